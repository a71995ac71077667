-- Incidents per state and month (by the local date of the start, or of the first report when the start is unknown).
-- An incident that spans states counts once in each state.
CREATE OR REPLACE VIEW incidents_by_state_month AS
SELECT s.state_code,
       date_trunc('month', i.started_on)::DATE AS month,
       count(*) AS incidents,
       round(sum(i.duration_minutes) / 60.0, 1) AS outage_hours,
       sum(i.population_affected) AS people_affected,
       count(*) FILTER (WHERE i.constructed_reports = i.report_count) AS constructed_incidents
FROM incidents AS i, unnest(i.state_codes) AS s(state_code)
GROUP BY ALL;
