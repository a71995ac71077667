-- Reports about a 911 outage (its first alert, updates, all-clear or cancellation).
CREATE OR REPLACE VIEW outage_reports AS
SELECT report_id, source, status, published_at, started_at, ended_at,
       date_diff('minute', started_at, ended_at) AS duration_minutes,
       state_codes, county_fips, title, event_code, cause, provider, backup_phone,
       confidence, evidence, thread_id, source_url, archive_ref, is_constructed
FROM reports
WHERE is_outage;
