-- The public schema (see docs/data-dictionary.md). Times are UTC TIMESTAMPTZ.

CREATE TABLE reports (
    report_id        VARCHAR PRIMARY KEY,
    source           VARCHAR NOT NULL,
    source_url       VARCHAR NOT NULL,
    archive_ref      VARCHAR,
    fetched_at       TIMESTAMPTZ,
    published_at     TIMESTAMPTZ,
    title            VARCHAR,
    body             VARCHAR,
    event_code       VARCHAR,
    is_outage        BOOLEAN NOT NULL,
    confidence       DOUBLE,
    evidence         VARCHAR,
    status           VARCHAR NOT NULL CHECK (status IN
                        ('outage', 'restored', 'update', 'test', 'cancelled', 'not_outage')),
    state_codes      VARCHAR[],
    county_fips      VARCHAR[],
    started_at       TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    cause            VARCHAR,
    provider         VARCHAR,
    backup_phone     VARCHAR,
    incident_id      VARCHAR,
    -- Provenance and alert threading.
    sender           VARCHAR,
    sender_name      VARCHAR,
    message_type     VARCHAR,
    cap_status       VARCHAR,
    alert_key        VARCHAR,
    references_keys  VARCHAR[],
    thread_id        VARCHAR,
    expires_at       TIMESTAMPTZ,
    area_desc        VARCHAR,
    geocodes         VARCHAR[],
    is_constructed   BOOLEAN NOT NULL DEFAULT false,
    crawl_run_id     VARCHAR,
    loaded_at        TIMESTAMPTZ
);

-- One row per report and county it names; rebuilt from `reports` on every build.
CREATE TABLE report_counties (
    report_id   VARCHAR NOT NULL,
    county_fips VARCHAR NOT NULL,
    state_code  VARCHAR NOT NULL
);

CREATE TABLE crawl_runs (
    run_id       VARCHAR PRIMARY KEY,
    spider       VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,   -- running, ok, partial, empty, failed
    close_reason VARCHAR,
    mode         VARCHAR,            -- live, replay, from
    items        BIGINT DEFAULT 0,
    outages      BIGINT DEFAULT 0,
    errors       BIGINT DEFAULT 0,
    warnings     BIGINT DEFAULT 0,   -- e.g. place codes we cannot geocode
    pages        BIGINT DEFAULT 0,
    bytes        BIGINT DEFAULT 0,
    args         VARCHAR             -- JSON
);

-- One row per distinct problem (same spider, URL, stage and message): re-crawling a
-- broken page updates `last_seen_*` and `times_seen` instead of adding rows.
CREATE TABLE crawl_errors (
    error_id          VARCHAR PRIMARY KEY,
    spider            VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    stage             VARCHAR NOT NULL,  -- download, parse, geocode, validate, load
    error_type        VARCHAR NOT NULL,
    message           VARCHAR NOT NULL,
    archive_ref       VARCHAR,
    first_seen_at     TIMESTAMPTZ NOT NULL,
    last_seen_at      TIMESTAMPTZ NOT NULL,
    first_seen_run_id VARCHAR,
    last_seen_run_id  VARCHAR,
    times_seen        BIGINT NOT NULL DEFAULT 1
);
