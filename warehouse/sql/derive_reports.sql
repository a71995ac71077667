-- `reports` is derived: every build starts it again from the crawled facts, so building twice,
-- or after any reload, gives what a build from scratch gives. thread_reports.sql and the
-- incident builder then fill in what the build derives.
--
-- Outage reports are written first, then the rest (two appends, not a sort: a sort of a
-- million wide rows costs twice the copy). Only outage reports join incidents, so every
-- row group after the first few holds no incident_id at all, and DuckDB's zone maps skip
-- them for `WHERE incident_id = ?`: an incident page's report list reads a few thousand
-- rows instead of every report (6.1 -> 1.8 ms at a million reports, issue 19).
CREATE OR REPLACE TABLE reports AS
SELECT * REPLACE (NULL::VARCHAR AS thread_id, NULL::VARCHAR AS incident_id)
FROM crawled_reports
WHERE is_outage;

INSERT INTO reports
SELECT * REPLACE (NULL::VARCHAR AS thread_id, NULL::VARCHAR AS incident_id)
FROM crawled_reports
WHERE is_outage IS DISTINCT FROM true;
