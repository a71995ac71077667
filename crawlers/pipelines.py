"""Item pipelines: normalize -> classify -> validate -> batch into the warehouse.

Each step is small and does one thing. Problems with one item are recorded in
`crawl_errors` with the item's URL and never stop the crawl.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.spiders import Spider
from twisted.python.failure import Failure

from crawlers import signals
from crawlers.archive import canonical_url
from crawlers.classify import STATUSES, classify_alert, classify_text
from crawlers.items import REPORT_COLUMNS, OutageReport, PageRecord, ReportBatch, outages_in
from crawlers.pages import PageMemory
from crawlers.report_errors import dropped_report_error, failed_report_error
from crawlers.workers import ENCODED_FOR_WORKER
from warehouse import geography as geo
from warehouse.cleantext import clean_strings

logger = logging.getLogger(__name__)

TIME_FIELDS = ("fetched_at", "published_at", "started_at", "ended_at", "expires_at")
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
WARNING_STAGES = ("geocode",)


class CrawlerPipeline:
    """Base of the pipelines: one report at a time, whether it came alone or in a page batch.

    Spiders' reports arrive as one `ReportBatch` per page (crawlers/pages.py). A report that
    is dropped or breaks a step is recorded and leaves the batch; the rest go on. Keeps the
    crawler (Scrapy 2.13+ no longer passes the spider to pipeline methods).

    A step that needs nothing but the report and the spider says `runs_in_workers = True`:
    for pages parsed in worker processes it then runs there (crawlers/workers.py), and the
    batch arrives here with the step in its `done_steps`.
    """

    runs_in_workers = False

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._batch: ReportBatch | None = None
        self._path = f"{type(self).__module__}.{type(self).__qualname__}"

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReportBatch):
            return self.process_report(item)
        if self._path in item.done_steps:
            return item
        kept = []
        self._batch = item
        try:
            for report in item.reports:
                try:
                    kept.append(self.process_report(report))
                except DropItem as exc:
                    item.errors += 1
                    logger.warning("Dropped: %s (%s)", exc, report.get("report_id", "?"))
                    self.crawler.signals.send_catch_log(
                        scrapy_signals.item_dropped,
                        item=report,
                        response=None,
                        exception=exc,
                        spider=self.spider,
                    )
                except Exception:
                    item.errors += 1
                    failure = Failure()
                    logger.error("Error processing %s", report.get("report_id", "?"), exc_info=True)
                    self.crawler.signals.send_catch_log(
                        scrapy_signals.item_error,
                        item=report,
                        response=None,
                        spider=self.spider,
                        failure=failure,
                    )
        finally:
            self._batch = None
        item.reports = kept
        return item

    def process_report(self, item: OutageReport) -> OutageReport:
        return item

    def record(self, item: OutageReport, message: str, stage: str, error_type: str) -> None:
        """Record a problem with one report (its page is then not remembered as loaded)."""
        if self._batch is not None and stage not in WARNING_STAGES:
            self._batch.errors += 1
        self.crawler.signals.send_catch_log(
            signals.error_recorded,
            spider=self.spider,
            url=item.get("source_url") or "?",
            stage=stage,
            error_type=error_type,
            message=f"{item.get('report_id', '?')}: {message}",
            archive_ref=item.get("archive_ref"),
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlerPipeline:
        return cls(crawler)

    @property
    def spider(self) -> Spider:
        return self.crawler.spider


# The strings of a report that do not come from the document's text: the page's URL and
# archive record, and names the code sets. A spider whose documents are XML (parsed by
# libxml2, which refuses every character XML cannot carry, raw or as a reference) says
# `report_texts_from_xml = True`, and only these are checked: every other text is the
# parser's output or derived from it (classify's evidence, cause, provider, number).
NOT_FROM_DOCUMENT = ("source", "source_url", "archive_ref", "source_kind")


def clean_text(step: CrawlerPipeline, item: OutageReport) -> None:
    """Remove what UTF-8, Arrow, DuckDB and XML cannot carry from every text of a report.

    The one place for every spider and format: a NUL byte or a lone surrogate in one
    alert's text (JSON's "\\u0000", "\\ud800" decode to them) made Arrow refuse the whole
    batch, and the run failed with every good report of the page. The report is kept,
    cleaned, and recorded in crawl_errors with its URL, so the run is `partial`.
    """
    dirty = []
    names = (
        NOT_FROM_DOCUMENT
        if getattr(step.spider, "report_texts_from_xml", False)
        else list(item.keys())
    )
    for name in names:
        value = item.get(name)
        if isinstance(value, str | list | tuple | dict):
            cleaned, changed = clean_strings(value)
            if changed:
                item[name] = cleaned
                dirty.append(name)
    if dirty:
        step.record(
            item,
            f"text held characters UTF-8/XML cannot carry (NUL, control characters or lone "
            f"surrogates) in {', '.join(dirty)}; they were removed",
            "validate",
            "InvalidCharacters",
        )


class NormalizePipeline(CrawlerPipeline):
    """UTC times; SAME/UGC/state/county codes to USPS codes and 5-digit county FIPS."""

    runs_in_workers = True

    def process_report(self, item: OutageReport) -> OutageReport:
        spider = self.spider
        latest_plausible = datetime.now(UTC) + timedelta(days=2)
        for name in TIME_FIELDS:
            value = item.get(name)
            if value is None:
                continue
            if not isinstance(value, datetime):
                self.record(item, f"{name} is not a time: {value!r}", "validate", "BadTime")
                item[name] = None
                continue
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            if not EARLIEST_PLAUSIBLE <= value <= latest_plausible and name != "expires_at":
                self.record(
                    item,
                    f"{name} is implausible: {value.isoformat()}",
                    "validate",
                    "BadTime",
                )
                value = None
            item[name] = value

        states: set[str] = set()
        counties: set[str] = set()
        statewide: set[str] = set(item.get("statewide_states") or [])
        unknown: list[str] = []
        for code in item.get("same_codes") or []:
            place = geo.place_from_same(code)
            if place is None:
                unknown.append(f"SAME {code}")
                continue
            states.add(place.state_code)
            if place.county_fips:
                counties.add(place.county_fips)
            else:
                statewide.add(place.state_code)  # SAME SS000: the whole state
        for code in item.get("ugc_codes") or []:
            places = geo.places_from_ugc(code)
            if not places:
                unknown.append(f"UGC {code}")
            for place in places:
                states.add(place.state_code)
                if place.county_fips:
                    counties.add(place.county_fips)
        for value in item.get("state_codes") or []:
            code = geo.normalize_state_code(value)
            if code:
                states.add(code)
            else:
                unknown.append(f"state {value}")
        for value in item.get("county_fips") or []:
            fips = geo.normalize_county_fips(value)
            if fips:
                counties.add(fips)
            else:
                unknown.append(f"county {value}")
        for fips in counties:
            state = geo.state_code_from_fips(fips[:2])
            if state:
                states.add(state)
        if unknown:
            self.record(
                item,
                "unknown place codes: " + ", ".join(unknown),
                "geocode",
                "UnknownPlace",
            )
        item["state_codes"] = sorted(states | statewide)
        item["county_fips"] = sorted(counties)
        item["statewide_states"] = sorted(statewide)
        item.setdefault("is_constructed", False)
        item.setdefault("source_kind", getattr(spider, "source_kind", "unknown"))
        return item


class ClassifyPipeline(CrawlerPipeline):
    """Is this document about a 911 outage? Status, cause, provider, backup phone, evidence."""

    runs_in_workers = True

    def process_report(self, item: OutageReport) -> OutageReport:
        if item.get("is_outage") is not None and item.get("status"):
            return item  # the spider knows (curated records)
        alert = item.get("alert_text")
        if alert is not None:
            result = classify_alert(alert)
        else:
            result = classify_text(item.get("body") or "", title=item.get("title"))
        item["is_outage"] = result.is_outage
        item["confidence"] = result.confidence
        item["evidence"] = result.evidence
        item["status"] = result.status
        for name in ("cause", "provider", "backup_phone"):
            if not result.is_outage:
                item[name] = None  # no outage, so no cause, provider or number to call
            elif not item.get(name):
                # What the spider extracted from the document itself wins over the classifier.
                item[name] = getattr(result, name)
        return item


class ValidatePipeline(CrawlerPipeline):
    """Drop (and record) items that cannot be stored; everything else goes on."""

    runs_in_workers = True

    REQUIRED = ("report_id", "source", "source_url", "status")

    def process_report(self, item: OutageReport) -> OutageReport:
        clean_text(self, item)  # last step before storage: sees fields classify derived too
        missing = [name for name in self.REQUIRED if not item.get(name)]
        if missing:
            raise DropItem(f"missing {', '.join(missing)}")
        if item["status"] not in STATUSES:
            raise DropItem(f"unknown status {item['status']!r}")
        if not isinstance(item.get("is_outage"), bool):
            raise DropItem("is_outage is not a boolean")
        if item.get("published_at") is None and item.get("fetched_at") is None:
            raise DropItem("no time at all (neither published nor fetched)")
        return item


class WarehousePipeline(CrawlerPipeline):
    """Batch items into the working DuckDB (Arrow batches, never row by row); record the run."""

    # A page's rows may come ready as an Arrow table from a worker (crawlers/workers.py).
    accepts_tables = True

    def __init__(self, crawler: Crawler) -> None:
        from warehouse.db import DataDir

        super().__init__(crawler)
        settings = crawler.settings
        self.data_dir = DataDir.resolve(settings.get("OUTAGES_DATA_DIR"))
        self.batch_size = settings.getint("OUTAGES_BATCH_SIZE", 20_000)
        self.publish_on_close = settings.getbool("OUTAGES_PUBLISH_ON_CLOSE", True)
        self.rows: list[dict[str, Any]] = []
        self.tables: list[Any] = []  # Arrow tables of rows, from workers or from self.rows
        self._table_rows = 0  # rows in self.tables (summed once per page was 1% of the crawl)
        self.errors: list[dict[str, Any]] = []
        self.pages: list[PageRecord] = []  # parsed pages, remembered once their reports are in
        self.failed_urls: set[str] = set()  # pages with an error: parsed again next time
        self.memory: PageMemory | None = None
        self.counts = {"items": 0, "outages": 0, "errors": 0, "warnings": 0, "pages": 0, "bytes": 0}
        self.run_id: str | None = None
        self._load_con: Any = None  # the loading thread's cursor (see flush)
        self._loader: ThreadPoolExecutor | None = None
        self._loading: tuple[Future, _Load] | None = None
        crawler.signals.connect(self.on_error_recorded, signal=signals.error_recorded)
        crawler.signals.connect(self.on_body_decoded, signal=signals.body_decoded)
        crawler.signals.connect(self.on_spider_error, signal=scrapy_signals.spider_error)
        crawler.signals.connect(self.on_item_dropped, signal=scrapy_signals.item_dropped)
        crawler.signals.connect(self.on_item_error, signal=scrapy_signals.item_error)
        crawler.signals.connect(self.on_response, signal=scrapy_signals.response_received)

    # ---- signals ------------------------------------------------------------------------
    def add_error(
        self,
        spider: Spider,
        url: str,
        stage: str,
        error_type: str,
        message: str,
        archive_ref: str | None = None,
    ) -> None:
        # Unknown place codes are recorded but do not make a run partial or failed.
        self.counts["warnings" if stage in WARNING_STAGES else "errors"] += 1
        if stage not in WARNING_STAGES and url and "://" in url:
            self.failed_urls.add(canonical_url(url))
        self.errors.append(
            {
                "spider": spider.name,
                "url": url,
                "stage": stage,
                "error_type": error_type,
                "message": message,
                "archive_ref": archive_ref,
                "occurred_at": datetime.now(UTC),
            }
        )

    def on_error_recorded(
        self,
        spider: Spider,
        url: str,
        stage: str,
        error_type: str,
        message: str,
        archive_ref: str | None = None,
        **_: Any,
    ) -> None:
        self.add_error(spider, url, stage, error_type, message, archive_ref)

    def on_spider_error(self, failure: Any, response: Response, spider: Spider) -> None:
        self.add_error(
            spider,
            response.url,
            "parse",
            failure.type.__name__,
            failure.getErrorMessage(),
            response.meta.get("archive_ref"),
        )

    def on_item_dropped(
        self, item: Any, response: Response, exception: Exception, spider: Spider
    ) -> None:
        self.add_error(spider, **dropped_report_error(item, exception, response))

    def on_item_error(self, item: Any, response: Response, spider: Spider, failure: Any) -> None:
        self.add_error(spider, **failed_report_error(item, failure, response))

    def on_response(self, response: Response, request: Any, spider: Spider) -> None:
        self.counts["pages"] += 1
        if not response.meta.get(ENCODED_FOR_WORKER):  # counted decoded, in on_body_decoded
            self.counts["bytes"] += len(response.body)

    def on_body_decoded(self, response: Response, size: int, **_: Any) -> None:
        self.counts["bytes"] += size

    # ---- pipeline -----------------------------------------------------------------------
    def open_spider(self) -> None:
        spider = self.spider
        from warehouse import lock
        from warehouse.db import work_connection
        from warehouse.load import start_run

        lock.acquire(self.data_dir.lock_file)
        self.con = work_connection(self.data_dir)
        self._load_con = self.con.cursor()
        settings = self.crawler.settings
        mode = (
            "replay"
            if settings.get("OUTAGES_REPLAY_PATH")
            else "from"
            if getattr(spider, "from_urls", None)
            else "live"
        )
        args = {key: getattr(spider, key, None) for key in ("since", "until", "state", "from_urls")}
        close_interrupted_runs(self.con)
        self.run_id = start_run(self.con, spider.name, mode, args)
        _RUNS_OF_THIS_PROCESS.add(self.run_id)
        self.crawler.stats.set_value("outages/run_id", self.run_id)
        self.memory = PageMemory.load(
            self.con, spider.name, keep_days=settings.getint("OUTAGES_PAGE_MEMORY_DAYS", 90)
        )
        self.crawler.signals.send_catch_log(signals.page_memory_opened, memory=self.memory)

    def process_item(self, item: Any) -> Any:
        reports = item.reports if isinstance(item, ReportBatch) else [item]
        for report in reports:
            self.add_row(report)
        if isinstance(item, ReportBatch) and item.table is not None:
            self.add_table(item.table)
        if isinstance(item, ReportBatch) and item.page is not None and not item.errors:
            self.pages.append(item.page)
        if self.pending >= self.batch_size:
            self.flush(wait=False)
            if self._loading is not None:
                self._loading[1].trigger = item
        return item

    def add_row(self, item: OutageReport) -> None:
        row = {name: item.get(name) for name in REPORT_COLUMNS}
        row["crawl_run_id"] = self.run_id
        self.rows.append(row)
        self.counts["items"] += 1
        self.counts["outages"] += bool(row["is_outage"])

    def add_table(self, table: Any) -> None:
        """Rows that came ready as an Arrow table (after the rows before them: the last
        row of a report_id wins)."""
        self._rows_to_table()
        self.tables.append(table)
        self._table_rows += table.num_rows
        self.counts["items"] += table.num_rows
        self.counts["outages"] += outages_in(table)

    def _rows_to_table(self) -> None:
        from warehouse.load import reports_table

        if self.rows:
            table = reports_table(self.rows)
            self.tables.append(table)
            self._table_rows += table.num_rows
            self.rows = []

    @property
    def pending(self) -> int:
        """Reports not yet loaded."""
        return len(self.rows) + self._table_rows

    def flush(self, *, wait: bool = True) -> None:
        """Load what is pending: the report tables, then the pages they complete (only
        pages without an error), then the recorded errors.

        `wait=False`, for a batch that fills in the middle of a crawl: the load runs in a
        thread, on a cursor of its own, while the crawl goes on (DuckDB lets go of the GIL
        while it appends; on the reactor thread the load was a fifth of a backfill's crawl
        process, its parse workers waiting, issue 19). At most one load is in flight: each
        flush first waits for the one before. The order of the steps and what they commit
        are those of a load done here; a load that fails is reported as if it had failed
        here (see _finish_load), and what it did not store is loaded again by the next flush.
        """
        self._finish_load()
        self._rows_to_table()
        work = _Load(
            tables=self.tables,
            pages=[p for p in self.pages if p.url not in self.failed_urls],
            errors=self.errors,
        )
        self.tables, self.pages, self.errors, self._table_rows = [], [], [], 0
        if wait or self._load_con is None:
            try:
                self._store(work, self.con)
            except BaseException:
                self._restore(work)
                raise
            return
        if self._loader is None:
            self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outages-load")
        self._loading = (self._loader.submit(self._store, work, self._load_con), work)

    def _store(self, work: _Load, con: Any) -> None:
        from warehouse.load import load_table, record_errors
        from warehouse.publish import pause_point

        if work.tables:
            load_table(con, work.tables, crawl_run_id=self.run_id)
            work.tables = []
            pause_point("load")
        # Only after their reports are stored.
        if work.pages and self.memory is not None:
            self.memory.save(con, work.pages, self.run_id)
        work.pages = []
        if work.errors:
            record_errors(con, work.errors, self.run_id or "?")
            work.errors = []

    def _restore(self, work: _Load) -> None:
        """Put back what a failed load did not store, before what came since."""
        self.tables = work.tables + self.tables
        self._table_rows = sum(table.num_rows for table in self.tables)
        self.pages = work.pages + self.pages
        self.errors = work.errors + self.errors

    def _finish_load(self) -> None:
        """Wait for the load in flight. One that failed is logged and sent as Scrapy's
        `item_error`, which records it (`on_item_error`) as a failure of the page whose batch
        started the load, as when the load ran in that page's process_item; what it did not
        store is pending again."""
        if self._loading is None:
            return
        future, work = self._loading
        self._loading = None
        try:
            future.result()
        except Exception as exc:
            self._restore(work)
            logger.error("Error loading the batch started by %s", work.trigger_url, exc_info=exc)
            self.crawler.signals.send_catch_log(
                scrapy_signals.item_error,
                item=work.trigger,
                # Scrapy sends the page's response; its URL is what the error is recorded with
                response=Response(work.trigger_url),
                spider=self.spider,
                failure=Failure(exc),
            )

    def close_spider(self) -> None:
        spider = self.spider
        from warehouse import lock
        from warehouse.load import finish_run

        reason = self.crawler.stats.get_value("finish_reason") or "finished"
        try:
            self.flush()
        except Exception as exc:  # a failed load must still close the run record
            logger.exception("loading the last batch failed")
            self.add_error(spider, "-", "load", type(exc).__name__, str(exc))
            self.flush_errors_only()
            reason = "load_failed"
        self._close_loader()
        self.counts["not_modified"] = self.crawler.stats.get_value("outages/not_modified", 0)
        self.counts["unchanged_reports"] = self.memory.unchanged_reports if self.memory else 0
        status = run_status(reason, self.counts, getattr(spider, "empty_ok_because", None))
        if status == "empty":
            spider.logger.error(
                "%s yielded nothing: an empty scrape is an error for this source", spider.name
            )
        finish_run(self.con, self.run_id, status=status, close_reason=reason, counts=self.counts)
        self.crawler.stats.set_value("outages/run_status", status)
        self.crawler.stats.set_value("outages/counts", dict(self.counts))
        try:
            if self.publish_on_close:  # `scrapy crawl NAME` on its own: as `outages crawl` does
                from crawlers.registry import source_records
                from warehouse.publish import build_and_publish

                # the warehouse loads no spider: this crawler's own loader lists them
                build_and_publish(
                    self.con,
                    self.data_dir,
                    sources=source_records(self.crawler.settings),
                    skip_build_if_current=True,
                )
        finally:
            lock.release(self.data_dir.lock_file)

    def _close_loader(self) -> None:
        if self._loader is not None:
            self._loader.shutdown(wait=True)
            self._loader = None
        if self._load_con is not None:
            self._load_con.close()
            self._load_con = None

    def flush_errors_only(self) -> None:
        from warehouse.load import record_errors

        if self.errors:
            record_errors(self.con, self.errors, self.run_id or "?")
            self.errors = []


@dataclass
class _Load:
    """One load of the warehouse pipeline (see WarehousePipeline.flush)."""

    tables: list[Any]
    pages: list[PageRecord]
    errors: list[dict[str, Any]]
    trigger: Any = None  # the item whose batch filled it (a failure is recorded against it)

    @property
    def trigger_url(self) -> str:
        return getattr(self.trigger, "url", None) or "?"


_RUNS_OF_THIS_PROCESS: set[str] = set()


def close_interrupted_runs(con: Any) -> int:
    """Runs still `running` that no live process owns (we hold the data dir's write lock)
    were killed: mark them failed, so a crash shows in crawl_runs instead of a run forever
    `running`. Their reports stay; the next crawl re-loads the same report_ids in place."""
    mine = sorted(_RUNS_OF_THIS_PROCESS) or [""]
    placeholders = ", ".join("?" for _ in mine)
    stale = con.execute(
        f"UPDATE crawl_runs SET status = 'failed', close_reason = 'interrupted' "
        f"WHERE status = 'running' AND run_id NOT IN ({placeholders}) RETURNING run_id",
        mine,
    ).fetchall()
    if stale:
        logger.warning("marked %d interrupted run(s) as failed: %s", len(stale), stale)
    return len(stale)


def run_status(close_reason: str, counts: dict[str, int], empty_ok_because: str | None) -> str:
    """ok, partial (items and errors), empty (nothing, and that is not normal), failed."""
    if close_reason not in ("finished",):
        return "failed"
    if counts["items"] == 0:
        if counts["errors"]:
            return "failed"
        # Nothing new because the server said every page is unchanged (HTTP 304) is fine.
        return "ok" if empty_ok_because or counts.get("not_modified") else "empty"
    return "partial" if counts["errors"] else "ok"
