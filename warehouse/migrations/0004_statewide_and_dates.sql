-- A state named without counties is not necessarily affected as a whole: only a source that
-- says so (SAME `SS000`, a curated record) makes a report statewide.
ALTER TABLE reports ADD COLUMN statewide_states VARCHAR[];
-- The day a document says the outage happened when it gives no time (FCC reports, news).
ALTER TABLE reports ADD COLUMN occurred_on DATE;
