"""Parse big pages in worker processes, so a backfill uses every core.

A full backfill of the federal alert archive reads every alert ever sent and parses each
one (CAP XML) in Python: on one core that, not the network, sets the pace. A spider that
sets `parse_in_workers = True` has its large pages (OUTAGES_PARSE_WORKERS_MIN_BYTES and up)
parsed by its own `parse` in a pool of worker processes (OUTAGES_PARSE_WORKERS, default one
per CPU; 0 turns it off).

Parsing alone was not enough: with the parse in workers, the crawl process still ran
normalize, classify and validate on every report and built the warehouse rows, and it was
the one busy process while the workers waited (benchmarks/RESULTS.md). So a worker also runs
the item pipelines that say `runs_in_workers = True`, in their order, from the first up to
the first that does not (normalize, classify, validate do; the warehouse does not). When all
that is left is a pipeline that takes rows as a table (`accepts_tables = True`: the
warehouse), the worker sends the page's reports back as one Arrow table of warehouse rows
rather than as items. The crawl process keeps the engine, the archive, the page memory and
the warehouse, and skips the pipelines the batch has been through (`ReportBatch.done_steps`).

A gzip page bound for a worker is not even inflated in the crawl process: the compression
middleware leaves its body encoded (`leave_encoded`), and the worker inflates it with
Scrapy's own `HttpCompressionMiddleware` (its `DOWNLOAD_MAXSIZE`, its response class),
hashes it for the page memory and, when the page memory already holds that digest for the
URL, stops there. At a million alerts that was 7.7 GB inflated, 7.7 GB hashed and 7.7 GB
pickled through the pipes by the crawl process, the one busy process (issue 19); a fifth
of that now travels, and the inflating and hashing run in the workers, in parallel.

A worker builds the same spider and the same pipelines from the same settings and
arguments. What its parse yields comes back as reports (or rows) and as request dicts
(Scrapy's own `Request.to_dict`, the form its disk queues use). What it records with
`record_error`, and what its pipelines drop or fail on, come back too and are recorded in
the crawl process, with the report's or the page's URL, as if done there.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.request import request_from_dict

from crawlers import signals
from crawlers.archive import page_digest
from crawlers.items import OutageReport

logger = logging.getLogger(__name__)

# Meta that a spider's parse may read (see OutageSpider.meta_of), and the limits Scrapy's
# decompression reads from a request's meta.
_META_KEYS = (
    "archive_ref",
    "fetched_at",
    "constructed",
    "depth",
    "download_maxsize",
    "download_warnsize",
)
# Set on a request's meta when its response's body was left encoded for a worker to inflate.
ENCODED_FOR_WORKER = "_outages_encoded_for_worker"


@dataclass
class ParsedPage:
    """What a worker's parse of one page gave."""

    reports: list[OutageReport] = field(default_factory=list)
    # Or, when every pipeline before the warehouse ran in the worker: the rows, as a table.
    table: pa.Table | None = None
    done_steps: tuple[str, ...] = ()  # the pipelines (class paths) the reports went through
    batch_errors: int = 0  # problems those pipelines recorded with the page's reports
    requests: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # record_error keyword arguments
    failure: str | None = None  # an unexpected exception (a bug), with its traceback
    # Of a page sent encoded: its decoded size (None: it could not be decoded, which is
    # among `errors`), its page-memory digest when asked for, and whether that digest was
    # one of those the crawl process sent (then nothing was parsed).
    body_bytes: int | None = None
    digest: str | None = None
    unchanged: bool = False


def worker_steps(settings: Any) -> tuple[list[str], bool]:
    """The item pipelines a worker runs (class paths, in order) and whether what is left
    after them takes a table of rows."""
    from scrapy.utils.conf import build_component_list

    paths = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    classes = [load_object(p) if isinstance(p, str) else p for p in paths]
    steps: list[str] = []
    for cls in classes:
        if not getattr(cls, "runs_in_workers", False):
            break
        steps.append(f"{cls.__module__}.{cls.__qualname__}")
    rest = classes[len(steps) :]
    return steps, bool(rest) and all(getattr(cls, "accepts_tables", False) for cls in rest)


# ---- in the worker --------------------------------------------------------------------
_spider: Any = None
_pipelines: list[Any] = []
_rows_as_table = False
_errors: list[dict] = []
_decoder: Any = None


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), so a crawl that
    is killed (and so cannot shut its pool down) leaves no worker behind; exit at once if
    the parent is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _start_worker(
    spider_name: str,
    spider_kwargs: dict,
    settings: dict,
    parent_pid: int | None = None,
    *,
    log: bool = True,
) -> None:
    global _spider, _pipelines, _rows_as_table
    if parent_pid is not None:
        die_with_parent(parent_pid)
    from scrapy.settings import Settings
    from scrapy.utils.log import configure_logging

    from crawlers.registry import spider_loader

    worker_settings = Settings(settings)
    # What the pipelines log here (a dropped report, a traceback) goes to stderr as the
    # crawl process's own log does, at the same level and in the same format.
    if log:
        configure_logging(worker_settings)
    spidercls = spider_loader(worker_settings).load(spider_name)
    crawler = Crawler(spidercls, worker_settings)
    _spider = spidercls.from_crawler(crawler, **spider_kwargs)
    crawler.spider = _spider
    crawler.signals.connect(_collect_error, signal=signals.error_recorded)
    crawler.signals.connect(_collect_dropped, signal=scrapy_signals.item_dropped)
    crawler.signals.connect(_collect_item_error, signal=scrapy_signals.item_error)
    global _decoder
    _decoder = _WorkerDecoder(worker_settings)
    steps, _rows_as_table = worker_steps(worker_settings)
    _pipelines = [build_from_crawler(load_object(path), crawler) for path in steps]
    # The reports become rows of a table here: a spider that can may yield plain dicts
    # (same fields) instead of Scrapy items, which every pipeline step reads and sets.
    _spider.plain_reports = _rows_as_table


def _collect_error(**kwargs: Any) -> None:
    kwargs.pop("signal", None)
    kwargs.pop("sender", None)
    kwargs.pop("spider", None)
    _errors.append(kwargs)


# Recorded in the crawl process as the warehouse pipeline records them there.
def _collect_dropped(item: Any, exception: Exception, **_: Any) -> None:
    from crawlers.report_errors import dropped_report_error

    _errors.append(dropped_report_error(item, exception, None))


def _collect_item_error(item: Any, failure: Any, **_: Any) -> None:
    from crawlers.report_errors import failed_report_error

    _errors.append(failed_report_error(item, failure, None))


def _parse(
    url: str,
    status: int,
    headers: dict,
    body: bytes,
    meta: dict,
    response_cls: type,
    *,
    encoded: bool = False,
    digest: bool = False,
    known: frozenset[str] = frozenset(),
) -> ParsedPage:
    """Parse one page (and run the worker's pipelines on its reports). `encoded`: the body
    still has its Content-Encoding, to undo first; `digest`: compute the page-memory digest,
    and parse nothing when it is in `known`."""
    from crawlers.items import ReportBatch

    request = Request(url, meta=meta)
    response = response_cls(url=url, status=status, headers=headers, body=body, request=request)
    page = ParsedPage()
    _errors.clear()
    if encoded:
        decoded = _decode(request, response)
        if decoded is None:
            page.errors = list(_errors)
            return page
        response = decoded
        page.body_bytes = len(response.body)
    if digest:
        page.digest = page_digest(response)
        if page.digest in known:
            page.unchanged = True
            return page
    try:
        for output in _spider.parse(response):
            if isinstance(output, Request):
                page.requests.append(output.to_dict(spider=_spider))
            elif output is not None:
                page.reports.append(output)
    except Exception:
        page.failure = traceback.format_exc()
    if page.reports and _pipelines:
        # The reports parsed before a failure are kept, as in the crawl process.
        batch = ReportBatch(url=url, reports=page.reports)
        for pipeline in _pipelines:
            batch = pipeline.process_item(batch)
        page.done_steps = tuple(f"{type(p).__module__}.{type(p).__qualname__}" for p in _pipelines)
        page.batch_errors = batch.errors
        page.reports = batch.reports
        if _rows_as_table:
            page.table = report_rows_table(page.reports)
            page.reports = []
    page.errors = list(_errors)
    return page


class _WorkerDecoder(HttpCompressionMiddleware):
    """Scrapy's compression middleware, as the crawl process would have run it (a worker
    has no reactor to keep free: not the off-reactor subclass), with the crawl's limits.
    Scrapy's constructor wants the crawler's stats, which a crawler that never crawls does
    not have; the crawl process counts the decoded bytes (crawlers/pages.py)."""

    def __init__(self, settings: Any) -> None:
        self.stats = None
        self._max_size = settings.getint("DOWNLOAD_MAXSIZE")
        self._warn_size = settings.getint("DOWNLOAD_WARNSIZE")


def _decode(request: Request, response: Response) -> Response | None:
    """The response with its body decoded by Scrapy's middleware, or None when that fails
    (recorded as the crawl process records a download that fails in its middlewares)."""
    ref = request.meta.get("archive_ref")
    try:
        return _decoder.process_response(request, response)
    except IgnoreRequest as exc:  # DOWNLOAD_MAXSIZE passed while inflating
        error_type, message = "IgnoreRequest", str(exc)
    except Exception as exc:  # not gzip after all: zlib's or gzip's error
        error_type, message = type(exc).__name__, str(exc) or type(exc).__name__
    _spider.record_error(
        response.url, message, stage="download", error_type=error_type, archive_ref=ref
    )
    return None


def gzip_size_hint(body: bytes) -> int | None:
    """The size a gzip body says it inflates to (ISIZE, the last 4 bytes: RFC 1952), or None
    for a body that does not start as gzip does. A hint only: it can lie, and of several
    gzip members it gives the last one's; the worker's inflating enforces the limits."""
    if len(body) < 18 or body[:2] != b"\x1f\x8b":
        return None
    return int.from_bytes(body[-4:], "little")


def _min_bytes(settings: Any, spider: Any) -> int:
    # A spider may know its pages are worth sending from a smaller size on (a page of CAP
    # messages costs far more to parse than to pickle): the smaller of the two.
    general = settings.getint("OUTAGES_PARSE_WORKERS_MIN_BYTES")
    return min(general, getattr(spider, "parse_in_workers_min_bytes", general))


def _parsed_by_spider_parse(spider: Any, request: Request | None) -> bool:
    return (
        getattr(spider, "parse_in_workers", False)
        and request is not None
        and getattr(request.callback, "__func__", None) is type(spider).parse
    )


def leave_encoded(crawler: Crawler, request: Request, response: Response, max_size: int) -> bool:
    """Whether the compression middleware should leave this response's body gzip-encoded,
    for the worker that will parse it to inflate: a 200 for the spider's `parse`, parsed in
    workers, one gzip encoding, and a body that says it inflates to a page big enough for a
    worker and within `max_size` (a body that says more is inflated here, where Scrapy
    refuses it as it always has)."""
    spider = crawler.spider
    settings = crawler.settings
    if settings.getint("OUTAGES_PARSE_WORKERS", -1) == 0 or response.status != 200:
        return False
    if not _parsed_by_spider_parse(spider, request) or request.method == "HEAD":
        return False
    encodings = [e.strip().lower() for e in response.headers.getlist("Content-Encoding")]
    if encodings not in ([b"gzip"], [b"x-gzip"]):
        return False
    size = gzip_size_hint(response.body)
    return size is not None and _min_bytes(settings, spider) <= size < max_size


def report_rows_table(reports: list[Any]) -> pa.Table:
    """The warehouse rows of reports that went through every pipeline before it."""
    from warehouse.load import reports_table

    # A Scrapy item keeps its fields in a plain dict, `_values`: reading that directly saves
    # a row dict per report and the item's slower Mapping.get (7% of a backfill's CPU went
    # to building rows). reports_table reads only the stored columns.
    return reports_table([_fields(report) for report in reports])


def _fields(report: Any) -> Any:
    values = getattr(report, "_values", None)
    return values if isinstance(values, dict) else dict(report)


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
        min_bytes = min(
            self.min_bytes, getattr(spider, "parse_in_workers_min_bytes", self.min_bytes)
        )
        return len(response.body) >= min_bytes and _parsed_by_spider_parse(spider, response.request)

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
                initargs=(spider.name, kwargs, self.crawler.settings.copy_to_dict(), os.getpid()),
            )
            logger.info(
                "parsing large pages of %s in %d worker processes", spider.name, self.processes
            )
        return self.pool

    async def parse(self, spider: Any, response: Response, *, attempt: int = 1) -> Any:
        """The outputs of `spider.parse(response)`, parsed in a worker: an async iterator
        that raises `WorkerParseError` at its end if the parse failed part way.

        When the pool breaks (a worker died: killed by the kernel's OOM killer, say, or a
        crash in a C extension), new workers are started and the page is tried once more
        in them; if they die on it too, the page fails with `WorkerParseError` (recorded
        with its URL; not remembered, so tried again next crawl) and the crawl goes on. It
        is never parsed in the crawl process, which whatever killed the workers would kill.
        """
        return self.outputs(spider, response, await self.parse_page(spider, response))

    async def parse_page(
        self, spider: Any, response: Response, *, attempt: int = 1, **options: Any
    ) -> ParsedPage:
        """What a worker gives for the page (`options`: `_parse`'s keywords), retried once
        in new workers if the pool breaks (see `parse`)."""
        pool = self._start(spider)
        meta = {k: response.meta[k] for k in _META_KEYS if k in response.meta}
        headers = {k: v for k, v in response.headers.items()}
        try:
            future = pool.submit(
                _parse,
                response.url,
                response.status,
                headers,
                response.body,
                meta,
                type(response),
                **options,
            )
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            if self.pool is pool:  # pages in flight at the time all land here: restart once
                self.pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            if attempt > 1:
                raise WorkerParseError(
                    f"parsing {response.url} failed: the parse workers died on it twice ({exc})"
                ) from exc
            logger.error("a parse worker died (%s); trying %s in new workers", exc, response.url)
            return await self.parse_page(spider, response, attempt=attempt + 1, **options)

    def outputs(self, spider: Any, response: Response, page: ParsedPage) -> Any:
        """The page's outputs as the spider's parse would have yielded them (an async
        iterator), after recording the errors the worker collected."""
        for error in page.errors:
            self.crawler.signals.send_catch_log(signals.error_recorded, spider=spider, **error)
        outputs: list[Any] = [request_from_dict(d, spider=spider) for d in page.requests]
        outputs += page.reports
        if page.done_steps:
            outputs.append(
                PreparedReports(
                    done_steps=page.done_steps, table=page.table, errors=page.batch_errors
                )
            )
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


@dataclass
class PreparedReports:
    """What a page's reports went through in a worker (the middleware puts it on the batch)."""

    done_steps: tuple[str, ...]
    table: pa.Table | None
    errors: int


class WorkerParseError(RuntimeError):
    """A spider's parse raised (a bug) in a worker process."""
