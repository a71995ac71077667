-- One row per report and county. A report that names a state but none of its counties
-- covers the whole state (SAME `SS000`), so it gets every county of that state that our map
-- draws (the 2017 shapes): Connecticut's 8 legacy counties rather than both those and its
-- 9 planning regions, which overlap them; Falls Church (no shape) is drawn within Fairfax.
DELETE FROM report_counties;

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(county_fips) AS county_fips FROM reports) AS r
JOIN counties AS c USING (county_fips);

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, county_fips AS named, unnest(state_codes) AS state_code FROM reports) AS r
JOIN counties AS c ON c.state_code = r.state_code AND c.geometry IS NOT NULL
WHERE NOT list_has_any(
    coalesce(r.named, []::VARCHAR[]),
    (SELECT list(county_fips) FROM counties WHERE state_code = r.state_code)
);
