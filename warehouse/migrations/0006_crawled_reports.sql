-- Crawled reports are facts: the loader writes them (a reload replaces a report by its id)
-- and nothing else changes them. Everything the build derives from them (alert threads,
-- the outage flag and places an update inherits from its thread, thread start and end,
-- incident membership) goes into `reports`, which every build recreates from
-- `crawled_reports` (warehouse/sql/derive_reports.sql). Before this migration the build
-- rewrote those columns in place, so a rebuild depended on earlier builds: data loaded
-- before it keeps what earlier builds wrote into it until its pages are parsed again
-- (`outages crawl --replay ARCHIVE --reparse`).
ALTER TABLE reports RENAME TO crawled_reports;
CREATE TABLE reports AS SELECT * FROM crawled_reports;
