-- One row per outage report and county it covers (statewide reports cover every county).
CREATE OR REPLACE VIEW county_outage_reports AS
SELECT rc.county_fips, c.county_name, rc.state_code, rc.report_id, r.status,
       r.published_at, r.started_at, r.ended_at, r.title, r.source, r.source_url,
       r.thread_id, r.is_constructed
FROM report_counties AS rc
JOIN reports AS r ON r.report_id = rc.report_id
JOIN counties AS c ON c.county_fips = rc.county_fips
WHERE r.is_outage;
