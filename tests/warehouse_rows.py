"""Report rows for the warehouse tests, as the pipelines hand them to `load_reports`.

Constructed, not recorded: every row says `is_constructed`.
"""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2024, 4, 17, 22, 0, tzinfo=UTC)


def report(report_id: str, **fields) -> dict:
    """A minimal storable report (not an outage, no places) with `fields` on top."""
    row = {
        "report_id": report_id,
        "source": "test",
        "source_url": f"https://example.org/{report_id}",
        "published_at": T0,
        "started_at": T0,
        "is_outage": False,
        "status": "not_outage",
        "state_codes": [],
        "county_fips": [],
        "references_keys": [],
        "is_constructed": True,
    }
    row.update(fields)
    return row
