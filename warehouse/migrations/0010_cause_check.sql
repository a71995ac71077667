-- `cause` takes only a code of the cause taxonomy (warehouse/taxonomies/causes.csv), as
-- `status` takes only a status (tests/test_taxonomy.py checks both lists against the
-- taxonomy files). DuckDB cannot add a CHECK to a table, so the table is made again with it.
CREATE TABLE crawled_reports_0010 (
    report_id VARCHAR PRIMARY KEY,
    "source" VARCHAR NOT NULL,
    source_url VARCHAR NOT NULL,
    archive_ref VARCHAR,
    fetched_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    title VARCHAR,
    body VARCHAR,
    event_code VARCHAR,
    is_outage BOOLEAN NOT NULL,
    confidence DOUBLE,
    evidence VARCHAR,
    status VARCHAR NOT NULL CHECK (status IN
        ('outage', 'restored', 'update', 'test', 'cancelled', 'not_outage')),
    state_codes VARCHAR[],
    county_fips VARCHAR[],
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    cause VARCHAR CHECK (cause IN
        ('fiber_cut', 'firewall_or_security_device', 'software_or_config_change',
         'hardware_failure', 'power_failure', 'weather_or_disaster', 'cyberattack',
         'carrier_network_outage', 'maintenance', 'unknown')),
    provider VARCHAR,
    backup_phone VARCHAR,
    incident_id VARCHAR,
    sender VARCHAR,
    sender_name VARCHAR,
    message_type VARCHAR,
    cap_status VARCHAR,
    alert_key VARCHAR,
    references_keys VARCHAR[],
    thread_id VARCHAR,
    expires_at TIMESTAMPTZ,
    area_desc VARCHAR,
    geocodes VARCHAR[],
    is_constructed BOOLEAN NOT NULL DEFAULT false,
    crawl_run_id VARCHAR,
    loaded_at TIMESTAMPTZ,
    field_evidence JSON,
    stated_duration_minutes BIGINT,
    psaps_affected BIGINT,
    calls_affected BIGINT,
    source_kind VARCHAR,
    statewide_states VARCHAR[],
    occurred_on DATE,
    started_precision VARCHAR
);
INSERT INTO crawled_reports_0010 SELECT * FROM crawled_reports;
DROP TABLE crawled_reports;
ALTER TABLE crawled_reports_0010 RENAME TO crawled_reports;
