"""How a report that a pipeline dropped, or broke on, is recorded: one definition for the
crawl process and the parse workers (crawlers/workers.py), which send theirs on."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response


def _report_url(item: Any, response: Response | None) -> str:
    url = item.get("source_url") if hasattr(item, "get") else None
    return url or getattr(response, "url", None) or "?"


def dropped_report_error(item: Any, exception: Exception, response: Response | None) -> dict:
    """How a report a pipeline dropped is recorded (here, or sent on by a parse worker)."""
    return {
        "url": _report_url(item, response),
        "stage": "validate",
        "error_type": type(exception).__name__,
        "message": str(exception),
    }


def failed_report_error(item: Any, failure: Any, response: Response | None) -> dict:
    """How a report a pipeline step broke on is recorded (here, or sent on by a worker)."""
    return {
        "url": _report_url(item, response),
        "stage": "pipeline",
        "error_type": failure.type.__name__,
        "message": failure.getErrorMessage(),
    }
