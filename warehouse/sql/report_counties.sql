-- One row per report and county. A statewide report (SAME `SS000`, or a source that says
-- the whole state was affected) gets every county of that state that our map
-- draws (the 2017 shapes): Connecticut's 8 legacy counties rather than both those and its
-- 9 planning regions, which overlap them; Falls Church (no shape) is drawn within Fairfax.
DELETE FROM report_counties;

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(county_fips) AS county_fips FROM reports) AS r
JOIN counties AS c USING (county_fips);

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(statewide_states) AS state_code FROM reports) AS r
JOIN counties AS c ON c.state_code = r.state_code AND c.geometry IS NOT NULL
WHERE NOT EXISTS (
    SELECT 1 FROM report_counties AS named
    WHERE named.report_id = r.report_id AND named.county_fips = c.county_fips
);
