-- Small tables derived from reports, report_counties and incidents on every build, so that
-- the app, the cookbook and the public views read thousands of rows instead of aggregating
-- the 12 million rows of report_counties (at a million reports) on every page view.
-- Each one equals the aggregation it replaces (tests/test_warehouse.py checks them against
-- the slow way). Days and months are UTC.

-- Coverage by state, month and source: what `source_coverage` and the About page sum.
-- A report counts in every state it names; reports without a publication time have no month.
CREATE OR REPLACE TABLE state_months AS
SELECT r.source, s.state_code,
       date_trunc('month', r.published_at AT TIME ZONE 'UTC')::DATE AS month,
       count(*) AS reports,
       count(*) FILTER (WHERE r.is_outage) AS outage_reports,
       min(r.published_at) AS first_published_at,
       max(r.published_at) AS last_published_at
FROM reports AS r, unnest(r.state_codes) AS s(state_code)
GROUP BY ALL
ORDER BY s.state_code, month, r.source;

-- Coverage spans: runs of consecutive calendar weeks (Monday to Sunday) or months in each of
-- which a place had at least one report (outage or not), with the first and last day that had
-- one. A period made of whole weeks (months) had a report about the place exactly when one of
-- its week (month) spans overlaps it; the gaps between spans are the blind spots. The map
-- reads these instead of millions of place-days. Places: county shapes (codes without a 2017
-- shape of their own count on the shape `county_aliases` names, as on the map) through
-- report_counties, and states through the states a report names.
--
-- First the first and last day with reports per place and piece of week: a week cut where a
-- month begins (a piece starts on a Monday or on the first of a month), so that the pieces
-- add up exactly to weeks and to months.
CREATE OR REPLACE TEMP TABLE _coverage_pieces AS
WITH report_days AS (
    SELECT report_id, state_codes, day,
           greatest(date_trunc('week', day), date_trunc('month', day))::DATE AS piece
    FROM (
        SELECT report_id, state_codes, (published_at AT TIME ZONE 'UTC')::DATE AS day
        FROM reports WHERE published_at IS NOT NULL
    )
)
SELECT 'county' AS level, place, piece, min(day) AS first_day, max(day) AS last_day
FROM (
    SELECT coalesce(a.shape_fips, rc.county_fips) AS place, r.piece, r.day
    FROM report_counties AS rc
    JOIN report_days AS r USING (report_id)
    LEFT JOIN county_aliases AS a ON a.county_fips = rc.county_fips
)
GROUP BY place, piece
UNION ALL
SELECT 'state', s.state_code, r.piece, min(r.day), max(r.day)
FROM report_days AS r, unnest(r.state_codes) AS s(state_code)
GROUP BY s.state_code, r.piece;

CREATE OR REPLACE TABLE coverage_spans AS
WITH places AS (
    -- A number per place and step: the window below runs several times faster on numbers.
    SELECT s.step, p.level, p.place, row_number() OVER (ORDER BY s.step, p.level, p.place) AS key
    FROM (SELECT DISTINCT level, place FROM _coverage_pieces) AS p,
         (VALUES ('week'), ('month')) AS s(step)
),
steps AS (
    -- Each week or month numbered so that consecutive ones differ by 1 (weeks from Monday
    -- 1969-12-29, months from 1970-01).
    SELECT p.key, (date_trunc('week', c.piece)::DATE - DATE '1969-12-29') // 7 AS n,
           min(c.first_day) AS first_day, max(c.last_day) AS last_day
    FROM _coverage_pieces AS c JOIN places AS p ON p.step = 'week' AND p.level = c.level
                                               AND p.place = c.place
    GROUP BY ALL
    UNION ALL
    SELECT p.key, date_diff('month', DATE '1970-01-01', c.piece),
           min(c.first_day), max(c.last_day)
    FROM _coverage_pieces AS c JOIN places AS p ON p.step = 'month' AND p.level = c.level
                                               AND p.place = c.place
    GROUP BY ALL
),
-- Along a run of consecutive numbers of one place and step, n minus the row number stays the
-- same, and it grows at every gap: it names the span.
runs AS (
    SELECT *, n - row_number() OVER (PARTITION BY key ORDER BY n) AS run
    FROM steps
)
SELECT p.step, p.level, p.place, min(r.first_day) AS first_day, max(r.last_day) AS last_day
FROM runs AS r JOIN places AS p USING (key)
GROUP BY p.step, p.level, p.place, r.run
ORDER BY p.step, p.level, first_day, p.place;

DROP TABLE _coverage_pieces;

-- One row per outage report and county it covers (statewide reports cover every county),
-- with the county's name and the report's facts. A table, not a view over report_counties:
-- outage reports are a small share of all reports, and finding their rows among the millions
-- of report_counties took a quarter of a second per query at a million reports.
CREATE OR REPLACE TABLE county_outage_reports AS
SELECT rc.county_fips, c.county_name, rc.state_code, rc.report_id, r.status,
       r.published_at, r.started_at, r.ended_at, r.title, r.source, r.source_url,
       r.thread_id, r.is_constructed
FROM report_counties AS rc
JOIN reports AS r ON r.report_id = rc.report_id
JOIN counties AS c ON c.county_fips = rc.county_fips
WHERE r.is_outage
ORDER BY rc.county_fips, r.published_at, rc.report_id;

-- Severe weather alerts sent in one of an incident's states from 12 hours before its start to
-- its end (12 hours after the start when the end is unknown), one row per incident and alert.
-- Severe weather: the SAME codes for tornado, severe thunderstorm, hurricane, hurricane wind,
-- tropical storm, flash flood, flood, blizzard, winter storm, extreme wind and storm surge.
CREATE OR REPLACE TABLE incident_weather_alerts AS
WITH weather AS (
    SELECT r.report_id, r.event_code, r.published_at, s.state_code,
           (r.published_at AT TIME ZONE 'UTC')::DATE AS day
    FROM reports AS r, unnest(r.state_codes) AS s(state_code)
    WHERE r.event_code IN ('TOR', 'SVR', 'HUW', 'HWW', 'TRW', 'FFW', 'FLW', 'BZW', 'WSW',
                           'EWW', 'SSW')
),
-- Each incident's window, once per state it names and (UTC) day the window touches.
windows AS (
    SELECT i.incident_id, s.state_code, i.window_start, i.window_end, d.day::DATE AS day
    FROM (
        SELECT incident_id, state_codes, started_at - INTERVAL 12 HOUR AS window_start,
               coalesce(ended_at, started_at + INTERVAL 12 HOUR) AS window_end
        FROM incidents
        WHERE started_at IS NOT NULL
    ) AS i,
    unnest(i.state_codes) AS s(state_code),
    unnest(generate_series((i.window_start AT TIME ZONE 'UTC')::DATE,
                           (i.window_end AT TIME ZONE 'UTC')::DATE, INTERVAL 1 DAY)) AS d(day)
)
-- Matching the state and the day first keeps the comparison of times to the alerts of that
-- state and day. An alert that names two of the incident's states counts once.
SELECT DISTINCT w.incident_id, a.report_id, a.event_code, a.published_at
FROM windows AS w
JOIN weather AS a
  ON a.state_code = w.state_code AND a.day = w.day
 AND a.published_at BETWEEN w.window_start AND w.window_end
ORDER BY w.incident_id, a.published_at, a.report_id;
