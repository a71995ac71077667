-- How precisely a source gives the start: 'minute' (a clock time), 'hour' ("around 3 p.m."),
-- 'day' (only the day is known: started_at is NULL and occurred_on carries the day). Set by
-- curated records (checked by `outages curated check`); NULL where the source does not say.
ALTER TABLE crawled_reports ADD COLUMN started_precision VARCHAR;
ALTER TABLE reports ADD COLUMN started_precision VARCHAR;
