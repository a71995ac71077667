"""Feed exports write reports, not page batches.

Inside a crawl the unit is a page's `ReportBatch` (it is what makes loading fast), but a user
of `scrapy crawl nws_alerts -O out.jsonl` expects one report per line. Each of Scrapy's
exporters is wrapped so that a batch is written as its reports, in the columns the warehouse
stores (crawlers/items.py REPORT_COLUMNS).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy import exporters

from crawlers.items import REPORT_COLUMNS, ReportBatch


def batch_reports(batch: ReportBatch) -> Iterator[dict[str, Any]]:
    """The reports of a batch as dicts of the report columns, in the order they came."""
    for report in batch.reports:
        yield {name: report.get(name) for name in REPORT_COLUMNS}
    if batch.table is not None:
        for row in batch.table.to_pylist():
            yield {name: row.get(name) for name in REPORT_COLUMNS}


class _PerReport:
    def export_item(self, item: Any) -> None:
        if isinstance(item, ReportBatch):
            for report in batch_reports(item):
                super().export_item(report)  # type: ignore[misc]
        else:
            super().export_item(item)  # type: ignore[misc]


class JsonLinesReportExporter(_PerReport, exporters.JsonLinesItemExporter):
    """One report per line."""


class JsonReportExporter(_PerReport, exporters.JsonItemExporter):
    """A JSON array of reports."""


class CsvReportExporter(_PerReport, exporters.CsvItemExporter):
    """One report per row."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fields_to_export", list(REPORT_COLUMNS))
        super().__init__(file, **kwargs)


class XmlReportExporter(_PerReport, exporters.XmlItemExporter):
    """One <item> per report."""
