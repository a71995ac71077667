-- What each source has told us about each state: a county with alerts but no outage
-- reports is covered; a county with no reports at all is a blind spot, not a quiet place.
-- Summed from `state_months` (the same counts by month), not from all reports.
CREATE OR REPLACE VIEW source_coverage AS
SELECT source, state_code, sum(reports)::BIGINT AS reports,
       sum(outage_reports)::BIGINT AS outage_reports,
       min(first_published_at) AS first_published_at, max(last_published_at) AS last_published_at
FROM state_months
GROUP BY ALL;
