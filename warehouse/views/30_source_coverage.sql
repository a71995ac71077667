-- What each source has told us about each state: a county with alerts but no outage
-- reports is covered; a county with no reports at all is a blind spot, not a quiet place.
CREATE OR REPLACE VIEW source_coverage AS
SELECT r.source, s.state_code, count(*) AS reports,
       count(*) FILTER (WHERE r.is_outage) AS outage_reports,
       min(r.published_at) AS first_published_at, max(r.published_at) AS last_published_at
FROM reports AS r, unnest(r.state_codes) AS s(state_code)
GROUP BY ALL;
