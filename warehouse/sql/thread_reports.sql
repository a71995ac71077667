-- Alert threads: an update, an all-clear or a cancellation that references an outage alert
-- (CAP <references>) belongs to that outage. `_threads(report_id, thread_id)` comes from
-- warehouse/build.py (union-find over alert keys); this file applies it to `reports`, which
-- derive_reports.sql has just copied from the crawled facts (never to `crawled_reports`).

UPDATE reports SET thread_id = t.thread_id
FROM _threads AS t
WHERE reports.report_id = t.report_id;

-- A thread is about a 911 outage when any of its messages says so.
CREATE OR REPLACE TEMP TABLE _outage_threads AS
SELECT thread_id,
       min(started_at) FILTER (WHERE status IN ('outage', 'update')) AS thread_started_at
FROM reports
WHERE thread_id IS NOT NULL AND is_outage
GROUP BY thread_id;

-- Updates and cancellations with little text of their own inherit the thread's subject.
UPDATE reports
SET is_outage = true,
    status = CASE WHEN message_type = 'Cancel' THEN 'cancelled' ELSE 'update' END,
    evidence = coalesce(evidence, 'references an earlier 911 outage alert of the same thread')
FROM _outage_threads AS o
WHERE reports.thread_id = o.thread_id
  AND NOT reports.is_outage
  AND reports.status NOT IN ('test')
  AND reports.message_type IN ('Update', 'Cancel');

-- A bare cancellation (no <info>, so no area) applies to the places of the alerts it cancels.
UPDATE reports
SET state_codes = t.state_codes, county_fips = t.county_fips
FROM (
    SELECT thread_id,
           list_sort(list_distinct(flatten(list(state_codes)))) AS state_codes,
           list_sort(list_distinct(flatten(list(county_fips)))) AS county_fips
    FROM reports WHERE thread_id IS NOT NULL AND len(state_codes) > 0
    GROUP BY thread_id
) AS t
WHERE reports.thread_id = t.thread_id AND len(coalesce(reports.state_codes, [])) = 0;

-- The thread ends at its first all-clear or cancellation (an alert's expiry is not an end).
CREATE OR REPLACE TEMP TABLE _thread_ends AS
SELECT r.thread_id, min(r.published_at) AS thread_ended_at
FROM reports AS r
JOIN _outage_threads AS o USING (thread_id)
WHERE r.status IN ('restored', 'cancelled')
  AND (o.thread_started_at IS NULL OR r.published_at >= o.thread_started_at)
GROUP BY r.thread_id;

UPDATE reports
SET started_at = coalesce(o.thread_started_at, reports.started_at),
    ended_at = e.thread_ended_at
FROM _outage_threads AS o
LEFT JOIN _thread_ends AS e USING (thread_id)
WHERE reports.thread_id = o.thread_id;

-- An all-clear with no outage to attach to still states that the outage ended when it was sent.
UPDATE reports SET ended_at = published_at
WHERE status = 'restored' AND ended_at IS NULL;
