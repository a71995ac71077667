"""The one item every spider yields: an `OutageReport`, one per source document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pyarrow as pa
import scrapy

from warehouse.schema import REPORT_COLUMNS

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


@dataclass
class PageRecord:
    """What the warehouse remembers of a page it parsed without error."""

    url: str  # canonical
    content_digest: str
    reports: int
    follow_ups: bytes | None  # pickled request dicts


@dataclass(repr=False)
class ReportBatch:
    """The reports of one page, as one item.

    A page parsed in a worker process (crawlers/workers.py) may arrive having been through
    some pipelines already (`done_steps`, class paths), and, when it has been through all
    of them before the warehouse, as a `table` of warehouse rows instead of `reports`.
    """

    url: str
    reports: list[OutageReport] = field(default_factory=list)
    page: PageRecord | None = None
    errors: int = 0  # problems the pipelines recorded with its reports
    table: pa.Table | None = None
    done_steps: tuple[str, ...] = ()

    def __bool__(self) -> bool:  # an item, even with no reports left
        return True

    def __len__(self) -> int:
        return len(self.reports) + (self.table.num_rows if self.table is not None else 0)

    def outages(self) -> int:
        """How many of its reports are about an outage (once classified)."""
        count = sum(bool(r.get("is_outage")) for r in self.reports)
        return count + (outages_in(self.table) if self.table is not None else 0)

    def __repr__(self) -> str:  # Scrapy logs items: not a thousand reports in full
        return f"<ReportBatch of {len(self)} reports from {self.url}>"


def outages_in(table: pa.Table) -> int:
    """How many rows of a table of warehouse rows are about an outage."""
    # true_count, not pyarrow.compute.sum: a compute call lets go of the GIL and, with the
    # crawl's other threads busy, waited milliseconds to get it back, once per page (issue 19).
    return sum(chunk.true_count for chunk in table.column("is_outage").chunks)
