-- Facts extracted from prose (press releases, news, FCC documents), each with its evidence.
ALTER TABLE reports ADD COLUMN field_evidence JSON;           -- {"cause": "span", "started_at": "span", ...}
ALTER TABLE reports ADD COLUMN stated_duration_minutes BIGINT; -- "for about two hours" when no times are given
ALTER TABLE reports ADD COLUMN psaps_affected BIGINT;          -- 911 centers (PSAPs) affected, as stated
ALTER TABLE reports ADD COLUMN calls_affected BIGINT;          -- 911 calls that failed, as stated
