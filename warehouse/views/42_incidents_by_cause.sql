-- Incidents per cause (the cause from the most reliable source; see incidents.causes_reported).
CREATE OR REPLACE VIEW incidents_by_cause AS
SELECT coalesce(cause, 'unknown') AS cause, count(*) AS incidents,
       round(sum(duration_minutes) / 60.0, 1) AS outage_hours,
       median(duration_minutes) AS median_minutes,
       min(started_at) AS first_started_at, max(started_at) AS last_started_at
FROM incidents
GROUP BY ALL;
