-- Incidents: one outage, many reports (built by warehouse/incidents.py on every build).

CREATE TABLE incidents (
    incident_id         VARCHAR PRIMARY KEY,   -- derived from the earliest member report
    title               VARCHAR NOT NULL,
    started_at          TIMESTAMPTZ,           -- earliest credible start
    ended_at            TIMESTAMPTZ,           -- the all-clear or a stated end; NULL when unknown
    started_on          DATE,                  -- local date of the start (first state's time zone)
    duration_minutes    BIGINT,
    state_codes         VARCHAR[] NOT NULL,
    county_fips         VARCHAR[] NOT NULL,    -- counties named by its reports
    statewide_states    VARCHAR[] NOT NULL,    -- states a report covered as a whole
    population_affected BIGINT,
    cause               VARCHAR,
    provider            VARCHAR,
    causes_reported     VARCHAR[] NOT NULL,    -- every cause a report gave ("fiber_cut (curated)")
    providers_reported  VARCHAR[] NOT NULL,
    report_count        BIGINT NOT NULL,
    source_count        BIGINT NOT NULL,
    sources             VARCHAR[] NOT NULL,
    confidence          DOUBLE NOT NULL,
    first_report_url    VARCHAR,
    first_reported_at   TIMESTAMPTZ,
    last_reported_at    TIMESTAMPTZ,
    backup_phones       VARCHAR[] NOT NULL,
    constructed_reports BIGINT NOT NULL        -- members that are constructed demo data
);

CREATE TABLE incident_counties (
    incident_id VARCHAR NOT NULL,
    county_fips VARCHAR NOT NULL,
    state_code  VARCHAR NOT NULL,
    county_name VARCHAR
);

-- What kind of source a report comes from (declared by each spider): curated, regulator,
-- agency, alert, news. Incidents take cause and provider from the most reliable kind.
ALTER TABLE reports ADD COLUMN source_kind VARCHAR;
