"""Example queries for the SQL page (each one runs as is on the published database)."""

from __future__ import annotations

RECIPES: dict[str, tuple[str, str]] = {
    "Outages per state per year": (
        "Incidents by the year they began, one row per state and year (a multi-state outage "
        "counts in each state).",
        """SELECT s AS state, year(started_on) AS year, count(*) AS incidents,
       round(sum(duration_minutes) / 60.0, 1) AS outage_hours
FROM incidents, unnest(state_codes) AS t(s)
GROUP BY ALL
ORDER BY state, year""",
    ),
    "Longest outages": (
        "The longest incidents whose end is known, with their cause, provider and sources.",
        """SELECT title, started_at, ended_at, duration_minutes,
       round(duration_minutes / 60.0, 1) AS hours, cause, provider, sources, confidence,
       first_report_url
FROM incidents
WHERE duration_minutes IS NOT NULL
ORDER BY duration_minutes DESC
LIMIT 25""",
    ),
    "Outages by provider": (
        "Incidents per carrier or 911 vendor named by the sources.",
        """SELECT coalesce(provider, 'not named') AS provider, count(*) AS incidents,
       round(sum(duration_minutes) / 60.0, 1) AS outage_hours,
       median(duration_minutes) AS median_minutes,
       list_sort(list_distinct(flatten(list(state_codes)))) AS states
FROM incidents
GROUP BY ALL
ORDER BY incidents DESC""",
    ),
    "Counties with repeat outages": (
        "Counties with more than one incident, most first.",
        """SELECT ic.county_fips, c.county_name, ic.state_code, count(*) AS incidents,
       min(i.started_on) AS first, max(i.started_on) AS latest,
       round(sum(i.duration_minutes) / 60.0, 1) AS outage_hours
FROM incident_counties AS ic
JOIN incidents AS i USING (incident_id)
LEFT JOIN counties AS c ON c.county_fips = ic.county_fips
GROUP BY ALL
HAVING count(*) > 1
ORDER BY incidents DESC, outage_hours DESC NULLS LAST
LIMIT 100""",
    ),
    "Outages during severe weather": (
        "Incidents whose cause is weather, or that began while a severe weather alert "
        "(tornado, thunderstorm, hurricane, flood, winter storm...) was out in one of their "
        "states: from 12 hours before the start to the end. The build matches the alerts to "
        "the incidents once, in the table incident_weather_alerts.",
        """SELECT i.title, i.started_at, i.cause,
       list(DISTINCT w.event_code ORDER BY w.event_code) FILTER (WHERE w.event_code IS NOT NULL)
           AS weather_alerts,
       count(w.report_id) AS weather_alert_count
FROM incidents AS i
LEFT JOIN incident_weather_alerts AS w USING (incident_id)
GROUP BY i.incident_id, i.title, i.started_at, i.cause
HAVING i.cause = 'weather_or_disaster' OR count(w.report_id) > 0
ORDER BY i.started_at DESC""",
    ),
    "Latest outage reports with their sources": (
        "The newest reports about 911 outages, with the link to each source.",
        """SELECT published_at, source, status, title, state_codes, backup_phone, source_url,
       is_constructed
FROM reports
WHERE is_outage
ORDER BY published_at DESC
LIMIT 50""",
    ),
    "Blind spots: states with no reports at all": (
        "States and territories from which no source has given us any report, outage or not. "
        "No data is not no outage.",
        """SELECT s.state_code, s.state_name
FROM states AS s
WHERE NOT EXISTS (SELECT 1 FROM source_coverage AS c WHERE c.state_code = s.state_code)
ORDER BY s.state_code""",
    ),
}

DEFAULT = "Outages per state per year"
