"""The one item every spider yields: an `OutageReport`, one per source document."""

from __future__ import annotations

import hashlib

import scrapy

# Columns of the public `reports` table, in table order (warehouse/migrations/0001_initial.sql).
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

# Fields that live only between spider and pipelines (not stored).
TRANSIENT_FIELDS: tuple[str, ...] = ("alert_text", "same_codes", "ugc_codes", "state_hints")


class OutageReport(scrapy.Item):
    """One source document (an alert message, a press release, an article, an FCC document).

    Spiders fill what the document says; the pipelines normalize times and places, classify,
    validate and load. `report_id` is deterministic (see `make_report_id`), so a re-crawl
    updates a report in place instead of duplicating it.
    """

    locals().update({name: scrapy.Field() for name in REPORT_COLUMNS + TRANSIENT_FIELDS})


def make_report_id(source: str, natural_key: str) -> str:
    """A stable id from the source and the document's own key (CAP: sender,identifier,sent)."""
    digest = hashlib.sha256(f"{source}\x1f{natural_key}".encode()).hexdigest()
    return f"r-{digest[:20]}"
