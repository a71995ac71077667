-- Incidents per carrier or 911 vendor named (unnamed providers are 'unknown').
CREATE OR REPLACE VIEW incidents_by_provider AS
SELECT coalesce(provider, 'unknown') AS provider, count(*) AS incidents,
       round(sum(duration_minutes) / 60.0, 1) AS outage_hours,
       median(duration_minutes) AS median_minutes,
       list_sort(list_distinct(flatten(list(state_codes)))) AS states
FROM incidents
GROUP BY ALL;
