"""Parse big pages in worker processes, so a backfill uses every core.

A full backfill of the federal alert archive reads every alert ever sent and parses each
one (CAP XML) in Python: on one core that, not the network, sets the pace. A spider that
sets `parse_in_workers = True` has its large pages (OUTAGES_PARSE_WORKERS_MIN_BYTES and up)
parsed by its own `parse` in a pool of worker processes (OUTAGES_PARSE_WORKERS, default one
per CPU; 0 turns it off). Everything else stays in the crawl process: the engine, the
archive, the pipelines (normalize, classify, validate) and the warehouse.

A worker builds the same spider from the same settings and arguments. What its parse
yields comes back as reports and as request dicts (Scrapy's own `Request.to_dict`, the
form its disk queues use), and what it records with `record_error` comes back too and is
recorded in the crawl process, with the page's URL, as if parsed there.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.request import request_from_dict

from crawlers import signals
from crawlers.items import OutageReport

logger = logging.getLogger(__name__)

# Meta that a spider's parse may read (see OutageSpider.meta_of).
_META_KEYS = ("archive_ref", "fetched_at", "constructed", "depth")


@dataclass
class ParsedPage:
    """What a worker's parse of one page gave."""

    reports: list[OutageReport] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # record_error keyword arguments
    failure: str | None = None  # an unexpected exception (a bug), with its traceback


# ---- in the worker --------------------------------------------------------------------
_spider: Any = None
_errors: list[dict] = []


def _start_worker(spider_name: str, spider_kwargs: dict, settings: dict) -> None:
    global _spider
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    worker_settings = Settings(settings)
    spidercls = SpiderLoader.from_settings(worker_settings).load(spider_name)
    crawler = Crawler(spidercls, worker_settings)
    _spider = spidercls.from_crawler(crawler, **spider_kwargs)
    crawler.spider = _spider
    crawler.signals.connect(_collect_error, signal=signals.error_recorded)


def _collect_error(**kwargs: Any) -> None:
    kwargs.pop("signal", None)
    kwargs.pop("sender", None)
    kwargs.pop("spider", None)
    _errors.append(kwargs)


def _parse(
    url: str, status: int, headers: dict, body: bytes, meta: dict, response_cls: type
) -> ParsedPage:
    request = Request(url, meta=meta)
    response = response_cls(url=url, status=status, headers=headers, body=body, request=request)
    page = ParsedPage()
    _errors.clear()
    try:
        for output in _spider.parse(response):
            if isinstance(output, Request):
                page.requests.append(output.to_dict(spider=_spider))
            elif output is not None:
                page.reports.append(output)
    except Exception:
        page.failure = traceback.format_exc()
    page.errors = list(_errors)
    return page


# ---- in the crawl process -------------------------------------------------------------
class ParseWorkers:
    """A pool of worker processes for one spider; started on the first large page."""

    def __init__(self, crawler: Crawler, processes: int, min_bytes: int) -> None:
        self.crawler = crawler
        self.processes = processes
        self.min_bytes = min_bytes
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParseWorkers | None:
        settings = crawler.settings
        processes = settings.getint("OUTAGES_PARSE_WORKERS", -1)
        if processes < 0:
            processes = os.cpu_count() or 1
        if processes == 0:
            return None
        return cls(crawler, processes, settings.getint("OUTAGES_PARSE_WORKERS_MIN_BYTES"))

    def wants(self, spider: Any, response: Response) -> bool:
        return (
            getattr(spider, "parse_in_workers", False)
            and len(response.body) >= self.min_bytes
            and response.request is not None
            and getattr(response.request.callback, "__func__", None) is type(spider).parse
        )

    def _start(self, spider: Any) -> ProcessPoolExecutor:
        if self.pool is None:
            kwargs = {k: getattr(spider, k) for k in ("since", "until", "state")}
            kwargs["from_url"] = list(spider.from_urls)
            kwargs = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in kwargs.items()}
            # spawn, not fork: the crawl process runs a reactor and holds DuckDB and files.
            self.pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(spider.name, kwargs, self.crawler.settings.copy_to_dict()),
            )
            logger.info(
                "parsing large pages of %s in %d worker processes", spider.name, self.processes
            )
        return self.pool

    async def parse(self, spider: Any, response: Response) -> Any:
        """The outputs of `spider.parse(response)`, parsed in a worker: an async iterator
        that raises `WorkerParseError` at its end if the parse failed part way."""
        pool = self._start(spider)
        meta = {k: response.meta[k] for k in _META_KEYS if k in response.meta}
        headers = {k: v for k, v in response.headers.items()}
        future = pool.submit(
            _parse, response.url, response.status, headers, response.body, meta, type(response)
        )
        page: ParsedPage = await asyncio.wrap_future(future)
        for error in page.errors:
            self.crawler.signals.send_catch_log(signals.error_recorded, spider=spider, **error)
        outputs: list[Any] = [request_from_dict(d, spider=spider) for d in page.requests]
        outputs += page.reports
        return _replay(outputs, page.failure, response.url)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


async def _replay(outputs: list[Any], failure: str | None, url: str) -> Any:
    for output in outputs:
        yield output
    if failure:  # after what was parsed before it: those reports are kept
        raise WorkerParseError(f"parsing {url} failed in a worker:\n{failure}")


class WorkerParseError(RuntimeError):
    """A spider's parse raised (a bug) in a worker process."""
