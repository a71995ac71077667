-- Incidents per county and year: the counties with repeat outages.
CREATE OR REPLACE VIEW incidents_by_county_year AS
SELECT ic.county_fips, ic.county_name, ic.state_code,
       year(i.started_on) AS year,
       count(*) AS incidents,
       round(sum(i.duration_minutes) / 60.0, 1) AS outage_hours
FROM incident_counties AS ic
JOIN incidents AS i USING (incident_id)
GROUP BY ALL;
