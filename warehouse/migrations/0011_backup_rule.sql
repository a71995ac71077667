-- The backup-number rule (docs/security.md): a number is an instruction only when an
-- authoritative source (curated record, FCC, government agency, official alert) gives it
-- and those sources agree; with who gave it and when. Every other number is only listed as
-- reported. `corroborated`: the incident rests on an authoritative report or on two or more
-- independent sources; only such an incident is shown as "active now".
ALTER TABLE incidents ADD COLUMN authoritative_backup_number VARCHAR;
ALTER TABLE incidents ADD COLUMN authoritative_backup_source VARCHAR;
ALTER TABLE incidents ADD COLUMN authoritative_backup_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN backup_numbers_reported VARCHAR[];
ALTER TABLE incidents ADD COLUMN corroborated BOOLEAN;
