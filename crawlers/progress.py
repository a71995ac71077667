"""A live progress display for crawls (pages, reports, outages, errors per spider).

On when `OUTAGES_PROGRESS` is set (as `outages crawl` does on a terminal). One rich
`Progress` is shared by all spiders of the process, one line each.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers import signals

_progress: Progress | None = None
_open_tasks = 0


def _shared_progress() -> Progress:
    global _progress
    if _progress is None:
        _progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[spider]:<16}"),
            TextColumn(
                "{task.fields[pages]} pages · {task.fields[items]} reports · "
                "[red]{task.fields[outages]} outages[/] · {task.fields[errors]} errors"
            ),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        _progress.start()
    return _progress


class ProgressExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.counts = {"pages": 0, "items": 0, "outages": 0, "errors": 0}
        self.task: Any = None
        crawler.signals.connect(self.opened, signal=scrapy_signals.spider_opened)
        crawler.signals.connect(self.closed, signal=scrapy_signals.spider_closed)
        crawler.signals.connect(self.page, signal=scrapy_signals.response_received)
        crawler.signals.connect(self.item, signal=scrapy_signals.item_scraped)
        crawler.signals.connect(self.error, signal=signals.error_recorded)
        crawler.signals.connect(self.error, signal=scrapy_signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("OUTAGES_PROGRESS"):
            raise NotConfigured
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        global _open_tasks
        _open_tasks += 1
        self.task = _shared_progress().add_task(spider.name, spider=spider.name, **self.counts)

    def _bump(self, key: str, by: int = 1) -> None:
        self.counts[key] += by
        if self.task is not None and _progress is not None:
            _progress.update(self.task, **self.counts)

    def page(self, **_: Any) -> None:
        self._bump("pages")

    def item(self, item: Any, **_: Any) -> None:
        from crawlers.items import ReportBatch

        if isinstance(item, ReportBatch):  # a page's reports (crawlers/pages.py)
            self._bump("items", len(item))
            self._bump("outages", item.outages())
            return
        self._bump("items")
        if item.get("is_outage"):
            self._bump("outages")

    def error(self, **_: Any) -> None:
        self._bump("errors")

    def closed(self, spider: Any) -> None:
        global _open_tasks, _progress
        _open_tasks -= 1
        if _progress is not None:
            _progress.update(self.task, **self.counts)
            _progress.stop_task(self.task)
            if _open_tasks == 0:
                _progress.stop()
                _progress = None
