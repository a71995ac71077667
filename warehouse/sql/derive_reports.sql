-- `reports` is derived: every build starts it again from the crawled facts, so building twice,
-- or after any reload, gives what a build from scratch gives. thread_reports.sql and the
-- incident builder then fill in what the build derives.
CREATE OR REPLACE TABLE reports AS
SELECT * REPLACE (NULL::VARCHAR AS thread_id, NULL::VARCHAR AS incident_id)
FROM crawled_reports;
