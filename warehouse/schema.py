"""The columns of a report: one definition, from which the loader's Arrow schema and the
spiders' item are made, and against which the migrations and the data dictionary are tested
(tests/test_schema_docs.py)."""

from __future__ import annotations

# Columns of `crawled_reports` and the published `reports`, in table order (the migrations in
# warehouse/migrations/ create them).
REPORT_COLUMNS: tuple[str, ...] = (
    "report_id",
    "source",
    "source_url",
    "archive_ref",
    "fetched_at",
    "published_at",
    "title",
    "body",
    "event_code",
    "is_outage",
    "confidence",
    "evidence",
    "status",
    "state_codes",
    "county_fips",
    "started_at",
    "ended_at",
    "cause",
    "provider",
    "backup_phone",
    "incident_id",
    "sender",
    "sender_name",
    "message_type",
    "cap_status",
    "alert_key",
    "references_keys",
    "thread_id",
    "expires_at",
    "area_desc",
    "geocodes",
    "is_constructed",
    "crawl_run_id",
    "field_evidence",
    "stated_duration_minutes",
    "psaps_affected",
    "calls_affected",
    "source_kind",
    "statewide_states",
    "occurred_on",
    "started_precision",
)
