"""A page's reports travel the pipelines as one batch; pages already loaded are not parsed again.

Scrapy's per-item machinery (spider middlewares, the item pipeline chain, signals, stats)
costs more than reading a short alert: at a million alerts it was a third of the crawl's CPU
(benchmarks/RESULTS.md). `PageBatchMiddleware`, the spider middleware next to the spider,
passes a page's requests on as they come and gathers its reports into one `ReportBatch`,
which the pipelines then handle report by report (crawlers/pipelines.py). Spiders do not
change: they still yield one `OutageReport` per document.

The same middleware remembers pages. After a page's reports are stored, and only if the
page had no error, the warehouse keeps its URL, a digest of its body, the version of the
code that read it and the requests it led to (`_crawled_pages`). When a later crawl gets the
same body for the same URL from the same code, the spider does not parse it: its follow-up
requests are sent on (so paging goes on and every next page is checked in turn) and the run
counts it as unchanged, like an HTTP 304. `--reparse` (OUTAGES_SKIP_UNCHANGED_PAGES=False)
parses everything again.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.request import request_from_dict

from crawlers import signals
from crawlers.archive import canonical_url, page_digest
from crawlers.items import OutageReport, PageRecord, ReportBatch
from crawlers.offload import off_reactor
from crawlers.workers import ENCODED_FOR_WORKER, ParseWorkers, PreparedReports

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# What turns a page into reports: the crawler code and data, and the reference geography.
_CODE_GLOBS = (
    "crawlers/**/*.py",
    "crawlers/**/*.csv",
    "crawlers/**/*.json",
    "warehouse/reference/*",
    # the classifier reads causes and provider aliases (with their match rule) from here
    "warehouse/taxonomies/*.csv",
)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the code and data that turn pages into reports."""
    digest = hashlib.sha1()
    for pattern in _CODE_GLOBS:
        for path in sorted(_PACKAGE_ROOT.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(_PACKAGE_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class PageMemory:
    """The pages of one spider already parsed by this code version."""

    def __init__(self, spider: str, version: str, known: dict[tuple[str, str], tuple]) -> None:
        self.spider = spider
        self.version = version
        self.known = known  # (url, digest) -> (reports, pickled follow-ups)
        self._by_url: dict[str, frozenset[str]] | None = None
        self.unchanged_pages = 0
        self.unchanged_reports = 0

    @classmethod
    def load(
        cls, con: Any, spider: str, version: str | None = None, *, keep_days: int = 90
    ) -> PageMemory:
        version = version or code_version()
        cls.prune(con, spider, version, keep_days)
        rows = con.execute(
            "SELECT url, content_digest, reports, follow_ups FROM _crawled_pages "
            "WHERE spider = ? AND code_version = ?",
            [spider, version],
        ).fetchall()
        return cls(spider, version, {(url, dig): (n, blob) for url, dig, n, blob in rows})

    @staticmethod
    def prune(con: Any, spider: str, version: str, keep_days: int) -> int:
        """Forget what can no longer help: pages read by other code (they are parsed again
        anyway), and bodies of a URL older than `keep_days` that are not its latest. A feed
        polled every few minutes would otherwise add a row per poll for ever; an old archive
        replayed again is then parsed again, which is correct, only slower."""
        forgotten = con.execute(
            """
            DELETE FROM _crawled_pages AS p
            WHERE p.spider = $spider
              AND (p.code_version <> $version
                   OR (p.parsed_at < now() - to_days($keep_days)
                       AND p.parsed_at < (SELECT max(q.parsed_at) FROM _crawled_pages AS q
                                          WHERE q.spider = p.spider AND q.url = p.url)))
            RETURNING 1
            """,
            {"spider": spider, "version": version, "keep_days": keep_days},
        ).fetchall()
        return len(forgotten)

    def lookup(self, url: str, digest: str) -> tuple[int, bytes | None] | None:
        return self.known.get((url, digest))

    def digests_of(self, url: str) -> frozenset[str]:
        """The digests held for a URL (a parse worker compares the page's with them)."""
        if self._by_url is None:
            by_url: dict[str, set[str]] = {}
            for known_url, digest in self.known:
                by_url.setdefault(known_url, set()).add(digest)
            self._by_url = {u: frozenset(d) for u, d in by_url.items()}
        return self._by_url.get(url, frozenset())

    def save(self, con: Any, pages: Iterable[PageRecord], run_id: str | None) -> int:
        """Remember pages (in the caller's transaction, after their reports are stored)."""
        pages = list(pages)
        if not pages:
            return 0
        # One Arrow batch, not executemany: DuckDB runs executemany row by row.
        table = pa.table(
            {
                "spider": [self.spider] * len(pages),
                "url": [p.url for p in pages],
                "content_digest": [p.content_digest for p in pages],
                "code_version": [self.version] * len(pages),
                "reports": pa.array([p.reports for p in pages], pa.int64()),
                "follow_ups": pa.array([p.follow_ups for p in pages], pa.binary()),
                "run_id": [run_id] * len(pages),
                "parsed_at": pa.array([datetime.now(UTC)] * len(pages), pa.timestamp("us", "UTC")),
            }
        )
        con.register("_page_batch", table)
        try:
            con.execute("INSERT OR REPLACE INTO _crawled_pages SELECT * FROM _page_batch")
        finally:
            con.unregister("_page_batch")
        rows = pages
        return len(rows)


class PageBatchMiddleware:
    """Spider middleware next to the spider: one `ReportBatch` per page; unchanged pages skipped."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.skip_unchanged = crawler.settings.getbool("OUTAGES_SKIP_UNCHANGED_PAGES", True)
        self.memory: PageMemory | None = None
        self.workers = ParseWorkers.from_crawler(crawler)
        crawler.signals.connect(self.memory_opened, signal=signals.page_memory_opened)
        if self.workers is not None:
            crawler.signals.connect(self.workers.close, signal=scrapy_signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBatchMiddleware:
        return cls(crawler)

    def memory_opened(self, memory: PageMemory, **_: Any) -> None:
        self.memory = memory

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        memory = self.memory
        page_url = canonical_url(response.url)
        # Only what a server sent is remembered (a 304 has no body; --from parses files).
        remembered = memory is not None and response.status == 200 and not _from_file(response)
        if self.workers is not None and response.meta.get(ENCODED_FOR_WORKER):
            # Still gzip: the worker inflates it, hashes it and, if the page memory has that
            # digest for the URL, parses nothing (crawlers/workers.py).
            known_digests = (
                memory.digests_of(page_url) if remembered and self.skip_unchanged else frozenset()
            )
            page = await self.workers.parse_page(
                spider, response, encoded=True, digest=remembered, known=known_digests
            )
            if page.body_bytes is not None:
                self._count_decoded(response, page.body_bytes)
            digest = page.digest
            if page.unchanged:
                for request in self._unchanged(response, memory.lookup(page_url, digest)):
                    yield request
                return
            result = self.workers.outputs(spider, response, page)
        else:
            # Hashing a large body releases the GIL: beside the reactor (crawlers/offload.py).
            digest = (
                await off_reactor(len(response.body), page_digest, response) if remembered else None
            )
            known = memory.lookup(page_url, digest) if digest and self.skip_unchanged else None
            if known is not None:
                for request in self._unchanged(response, known):
                    yield request
                return
            if self.workers is not None and self.workers.wants(spider, response):
                result = await self.workers.parse(spider, response)  # the spider's own parse
        batch = ReportBatch(url=response.url)
        follow_ups: list[dict] | None = [] if digest else None
        try:
            async for output in result:
                if isinstance(output, OutageReport):
                    batch.reports.append(output)
                    continue
                if isinstance(output, PreparedReports):  # the pipelines it went through
                    batch.done_steps = output.done_steps
                    batch.table = output.table
                    batch.errors += output.errors
                    continue
                if follow_ups is not None and isinstance(output, Request):
                    try:
                        follow_ups.append(output.to_dict(spider=spider))
                    except ValueError:  # a callback that is not a spider method
                        follow_ups = None
                yield output
        except Exception:
            if len(batch):  # reports yielded before a bug are kept
                yield batch
            raise
        if follow_ups is not None:
            try:
                blob = pickle.dumps(follow_ups, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                blob = None  # meta that cannot be stored: the page is parsed every time
            if blob is not None:
                batch.page = PageRecord(page_url, digest, len(batch), blob)
        if len(batch) or batch.page is not None:
            yield batch

    def _unchanged(self, response: Response, known: tuple[int, bytes | None]) -> list[Request]:
        """A page the memory holds, byte for byte: counted as unchanged; its follow-ups."""
        spider, memory = self.crawler.spider, self.memory
        reports, blob = known
        memory.unchanged_pages += 1
        memory.unchanged_reports += reports
        self.crawler.stats.inc_value("outages/not_modified")
        spider.logger.debug("unchanged since it was loaded: %s", response.url)
        follow_ups = pickle.loads(blob) if blob else []
        return [request_from_dict(data, spider=spider) for data in follow_ups]

    def _count_decoded(self, response: Response, size: int) -> None:
        # What Scrapy's compression middleware counts, and the crawl's bytes (decoded).
        self.crawler.stats.inc_value("httpcompression/response_bytes", size)
        self.crawler.stats.inc_value("httpcompression/response_count")
        self.crawler.stats.inc_value("outages/decoded_in_workers")
        self.crawler.signals.send_catch_log(signals.body_decoded, response=response, size=size)


def _from_file(response: Response) -> bool:
    return response.url.startswith("file:")
