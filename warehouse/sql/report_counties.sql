-- One row per report and county. A statewide report (SAME `SS000`, or a source that says
-- the whole state was affected) gets every county of that state that our map
-- draws (the 2017 shapes): Connecticut's 8 legacy counties rather than both those and its
-- 9 planning regions, which overlap them; Falls Church (no shape) is drawn within Fairfax.
--
-- Streamed, one report at a time: report_id is the key of `reports` and county_fips that
-- of `counties`, so duplicates can only come from a report's own lists (list_distinct),
-- and a county a statewide report also names is already in its county_fips. No DISTINCT
-- or NOT EXISTS over the whole result (12 million rows at a million reports, which took
-- 1.4 GB of memory to deduplicate).
DELETE FROM report_counties;

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(list_distinct(county_fips)) AS county_fips FROM reports) AS r
JOIN counties AS c USING (county_fips)
UNION ALL
SELECT r.report_id, c.county_fips, c.state_code
FROM (
    SELECT report_id, county_fips AS named, unnest(list_distinct(statewide_states)) AS state_code
    FROM reports
) AS r
JOIN counties AS c ON c.state_code = r.state_code AND c.geometry IS NOT NULL
WHERE NOT coalesce(list_contains(r.named, c.county_fips), false);
