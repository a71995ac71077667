-- Pages already loaded, so that a re-crawl does not parse what it has already parsed.
-- A page is remembered by its URL and a digest of its body, only after its reports were
-- stored and only when it had no error; `code_version` is a digest of the crawler code and
-- reference data that turned it into reports, so a new parser or classifier parses it again.
-- `follow_ups` holds the requests the page led to (Scrapy's request_to_dict, pickled): a
-- skipped page still leads the crawl on to its next pages, which are checked in turn.
-- Internal: the leading underscore keeps it out of the published database.
CREATE TABLE _crawled_pages (
    spider          VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,   -- canonical URL
    content_digest  VARCHAR NOT NULL,   -- sha1 of status, URL and body
    code_version    VARCHAR NOT NULL,
    reports         BIGINT NOT NULL,    -- reports the page gave
    follow_ups      BLOB,
    run_id          VARCHAR,            -- the run that last parsed it
    parsed_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (spider, url, content_digest)
);

-- Each build, so that a crawl that loaded nothing new can skip rebuilding (warehouse/cli.py).
CREATE TABLE _builds (
    built_at        TIMESTAMPTZ NOT NULL,
    code_version    VARCHAR NOT NULL,   -- digest of the build code (warehouse/*.py, *.sql)
    reports_loaded_through TIMESTAMPTZ  -- max(reports.loaded_at) the build saw
);

-- Pages a crawl did not parse because they were unchanged: HTTP 304, or a body identical to
-- one already loaded; and the reports those pages had given (already in the warehouse).
ALTER TABLE crawl_runs ADD COLUMN unchanged_pages BIGINT DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN unchanged_reports BIGINT DEFAULT 0;
