"""Polite re-crawling: conditional requests, and retries that wait as the server asks.

ConditionalRequestMiddleware
============================
Re-crawls send the validators the server gave last time (``If-None-Match`` with the
``ETag``, ``If-Modified-Since`` with the ``Last-Modified``), and a ``304 Not Modified``
answer means "unchanged": the spider's callback is not called, so the crawl yields no
items and records no error for it (the page's reports are already in the warehouse).
The 304 is still archived like any response, and counted in the stat
``outages/not_modified``.

Only the validators are kept, not the pages: one small JSON file,
``OUTAGES_HTTP_VALIDATORS_PATH`` (default ``<OUTAGES_DATA_DIR>/work/http_validators.json``),
``{canonical URL: {"etag", "last_modified", "seen"}}``, pruned to the
``OUTAGES_HTTP_VALIDATORS_MAX`` most recently seen URLs. A crawl's new validators are
written when its spider closes with reason ``finished`` (atomically, merged with what is on
disk), so a crawl that dies before its items are loaded never makes the next one skip them.
Nor are the validators of a page kept when the crawl recorded an error for it or for a
page it led to (found through the ``Referer`` of follow-up requests): a day list whose
product failed to download is fetched in full again next time, not answered "unchanged".
A recorded error with no URL of this crawl keeps none of the crawl's new validators.
All crawlers of one process share one store per file.

Why not Scrapy's ``HttpCacheMiddleware`` with ``RFC2616Policy``: it stores every body a
second time (the WARC archive already keeps them, as evidence); on a 304 it hands the
cached body to the spider, which would parse and load every report again instead of
"unchanged"; within a response's ``max-age`` it answers from the cache without asking the
server at all (a live alert feed must be asked); and a cached answer is produced below
the WARC recorder, so the crawl's archive would miss what the crawl read.

In replay (``OUTAGES_REPLAY_PATH``) no validators are sent or stored, and a recorded
304 replays as "unchanged" too.

RetryAfterMiddleware
====================
Scrapy's ``RetryMiddleware`` (same settings: ``RETRY_TIMES``, ``RETRY_HTTP_CODES``,
``RETRY_EXCEPTIONS``, meta ``dont_retry`` / ``max_retry_times``) that waits before each
retry instead of retrying at once:

- a ``429`` or ``503`` (``RETRY_AFTER_HTTP_CODES``) with ``Retry-After`` waits what the
  server says, in seconds or as an HTTP date; when that is longer than
  ``RETRY_AFTER_MAX`` seconds it does not retry (hammering at our own pace would ignore
  the server), and the response fails at once;
- otherwise exponential backoff: ``RETRY_BACKOFF_BASE * 2 ** (retries so far)`` seconds,
  at most ``RETRY_BACKOFF_MAX``, plus up to ``RETRY_BACKOFF_JITTER`` (a fraction) of it.

After the last retry the response (or exception) goes on as a failure, so the spider's
errback records it with its URL (`OutageSpider.on_download_error`). The wait does not
hold a download slot; other requests go on. Replays never wait.

Settings for ``crawlers/settings.py``::

    DOWNLOADER_MIDDLEWARES = {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawlers.middlewares.RetryAfterMiddleware": 550,
        "crawlers.middlewares.ConditionalRequestMiddleware": 940,
        "crawlers.archive.WarcRecorderMiddleware": 950,
        "crawlers.archive.WarcReplayMiddleware": 960,
    }
    # the defaults, in case they should be said out loud:
    RETRY_AFTER_HTTP_CODES = [429, 503]
    RETRY_AFTER_MAX = 600  # seconds; a longer Retry-After is not waited for
    RETRY_BACKOFF_BASE = 2.0  # seconds, doubled per retry
    RETRY_BACKOFF_MAX = 120.0
    RETRY_BACKOFF_JITTER = 0.1
    OUTAGES_CONDITIONAL_REQUESTS = True
    OUTAGES_HTTP_VALIDATORS_MAX = 50_000

The recorder (950) sits outside the conditional middleware (940), so the archive holds the
request as sent (with its validators) and the 304 as received.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.utils.response import response_status_message

from crawlers import signals as outage_signals
from crawlers.archive import canonical_url
from crawlers.offload import MIN_BYTES, off_reactor
from crawlers.pipelines import WARNING_STAGES
from crawlers.workers import ENCODED_FOR_WORKER, leave_encoded

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

__all__ = [
    "ConditionalRequestMiddleware",
    "OffReactorHttpCompressionMiddleware",
    "RetryAfterMiddleware",
    "ValidatorStore",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

VALIDATORS_FILE = "http_validators.json"
DEFAULT_MAX_VALIDATORS = 50_000
REPLAY_FLAG = "warc-replay"


async def _sleep(seconds: float) -> None:
    try:
        from scrapy.utils.asyncio import sleep  # Scrapy 2.18+
    except ImportError:  # pragma: no cover - older Scrapy
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, seconds))
        return
    await sleep(seconds)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------- validators


class ValidatorStore:
    """ETag / Last-Modified per canonical URL, kept in one small JSON file."""

    _stores: ClassVar[dict[Path, ValidatorStore]] = {}
    _stores_lock = threading.Lock()

    def __init__(self, path: Path, max_entries: int = DEFAULT_MAX_VALIDATORS) -> None:
        self.path = path
        self.max_entries = max_entries
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, str]] = self._read()

    @classmethod
    def for_path(cls, path: str | os.PathLike[str], max_entries: int) -> ValidatorStore:
        """The process's one store for this file."""
        key = Path(path).resolve()
        with cls._stores_lock:
            store = cls._stores.get(key)
            if store is None:
                store = cls._stores[key] = cls(key, max_entries)
            return store

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable %s (%s); re-crawls start over", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            url: entry
            for url, entry in data.items()
            if isinstance(url, str) and isinstance(entry, dict)
        }

    def get(self, url: str) -> dict[str, str] | None:
        with self.lock:
            return self.entries.get(url)

    def save(self, updates: dict[str, dict[str, str] | None]) -> None:
        """Apply one crawl's updates (None = forget) over the file as it is now; write it."""
        if not updates:
            return
        with self.lock:
            merged = self._read()
            for url, entry in updates.items():
                if entry is None:
                    merged.pop(url, None)
                else:
                    merged[url] = entry
            if len(merged) > self.max_entries:
                newest = sorted(merged.items(), key=lambda kv: kv[1].get("seen", ""))
                merged = dict(newest[-self.max_entries :])
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(merged, indent=0, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
            self.entries = merged


def _unchanged(response: Response, **_: Any) -> list:
    """The callback of a 304: the page is as it was, so nothing to parse."""
    return []


class ConditionalRequestMiddleware:
    """Send the last ETag / Last-Modified; turn a 304 into "unchanged" (no items, no error)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("OUTAGES_CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        self.crawler = crawler
        self.replay = bool(settings.get("OUTAGES_REPLAY_PATH"))
        path = settings.get("OUTAGES_HTTP_VALIDATORS_PATH") or os.path.join(
            settings.get("OUTAGES_DATA_DIR") or "data", "work", VALIDATORS_FILE
        )
        self.store = ValidatorStore.for_path(
            path, settings.getint("OUTAGES_HTTP_VALIDATORS_MAX", DEFAULT_MAX_VALIDATORS)
        )
        self.pending: dict[str, dict[str, str] | None] = {}
        self.parents: dict[str, str] = {}  # canonical URL -> the page that linked to it
        self.failed: set[str] = set()  # pages with an error in them or below them
        self.failed_unknown = False  # an error this crawl cannot place
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.error_recorded, signal=outage_signals.error_recorded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.replay or not self._applies(request):
            return None
        referer = request.headers.get(b"Referer")
        if referer:
            parent = canonical_url(referer.decode("latin-1"))
            url = canonical_url(request.url)
            if parent != url:
                self.parents.setdefault(url, parent)
        headers = request.headers
        if b"If-None-Match" in headers or b"If-Modified-Since" in headers:
            return None  # the spider asked for its own condition
        entry = self.store.get(canonical_url(request.url))
        if not entry:
            return None
        if entry.get("etag"):
            headers[b"If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers[b"If-Modified-Since"] = entry["last_modified"]
        request.meta["outages_validated"] = True
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status == 304 and (
            request.meta.get("outages_validated") or self.replay or REPLAY_FLAG in response.flags
        ):
            return self._not_modified(request, response)
        if self.replay or not self._applies(request) or response.status != 200:
            return response
        url = canonical_url(request.url)
        etag = _header(response, b"ETag")
        last_modified = _header(response, b"Last-Modified")
        if etag or last_modified:
            entry = {"seen": _now()}
            if etag:
                entry["etag"] = etag
            if last_modified:
                entry["last_modified"] = last_modified
            self.pending[url] = entry
        elif self.store.get(url) is not None:
            self.pending[url] = None  # the server stopped sending validators
        return response

    def _not_modified(self, request: Request, response: Response) -> Response:
        url = canonical_url(request.url)
        entry = self.pending.get(url) or self.store.get(url)
        if entry:
            self.pending[url] = {**entry, "seen": _now()}
        self.crawler.stats.inc_value("outages/not_modified")
        logger.info("unchanged since the last crawl (HTTP 304): %s", request.url)
        meta = {**request.meta, "handle_httpstatus_list": [304], "outages_not_modified": True}
        # The scraper calls `response.request.callback`: the spider's parse is not called.
        response.request = request.replace(
            callback=_unchanged, errback=None, cb_kwargs={}, meta=meta
        )
        return response

    @staticmethod
    def _applies(request: Request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and not request.meta.get("dont_validate")
            and urlsplit(request.url).scheme in ("http", "https")
        )

    def error_recorded(self, url: str | None = None, stage: str = "", **_: Any) -> None:
        """An error at `url` keeps the validators of that page and of the pages above it."""
        if stage in WARNING_STAGES:
            return
        if not url or "://" not in url:
            self.failed_unknown = True
            return
        node: str | None = canonical_url(url)
        while node is not None and node not in self.failed:
            self.failed.add(node)
            node = self.parents.get(node)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason != "finished" or self.failed_unknown:
            why = reason if reason != "finished" else "an error with no page"
            logger.info("HTTP validators of this crawl not saved (%s)", why)
            return
        updates = {url: e for url, e in self.pending.items() if url not in self.failed}
        try:
            self.store.save(updates)
        except OSError as exc:
            logger.warning("could not save HTTP validators to %s: %s", self.store.path, exc)
        self.pending = {}


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    return text or None


# ---------------------------------------------------------------------------- retries


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (RFC 9110); None if unreadable.

    A date in the past gives 0.
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": a UTC time with no zone information
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting for ``Retry-After`` (429/503) or an exponential backoff."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.retry_after_codes = {
            int(x) for x in settings.getlist("RETRY_AFTER_HTTP_CODES", [429, 503])
        }
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 600.0)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.jitter = settings.getfloat("RETRY_BACKOFF_JITTER", 0.1)
        self.no_wait = bool(settings.get("OUTAGES_REPLAY_PATH"))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self.delay_for(request, response)
        if delay is None:
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            logger.warning(
                "not retrying %s: HTTP %d asks to wait %s, more than RETRY_AFTER_MAX (%.0f s)",
                request.url,
                response.status,
                _header(response, b"Retry-After"),
                self.retry_after_max,
            )
            return response
        retry = self._retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(delay, request, f"HTTP {response.status}")
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = self._retry_request(request, exception)
        if retry is None:
            return None
        await self._wait(self.backoff(request), request, type(exception).__name__)
        return retry

    def delay_for(self, request: Request, response: Response) -> float | None:
        """Seconds to wait before retrying; None when Retry-After is beyond the cap."""
        if response.status in self.retry_after_codes:
            asked = parse_retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                return None if asked > self.retry_after_max else asked
        return self.backoff(request)

    def backoff(self, request: Request) -> float:
        retries = int(request.meta.get("retry_times", 0))
        delay = min(self.backoff_max, self.backoff_base * 2**retries)
        if self.jitter > 0:
            delay *= 1 + random.uniform(0, self.jitter)  # noqa: S311 - not security
        return min(delay, self.backoff_max)

    def _retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        assert self.crawler.spider is not None
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )

    async def _wait(self, delay: float, request: Request, why: str) -> None:
        if self.no_wait or delay <= 0:
            return
        self.crawler.stats.inc_value("retry/wait_seconds", round(delay, 3))
        logger.info("%s: waiting %.1f s before retrying %s", why, delay, request.url)
        await _sleep(delay)


class OffReactorHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's ``HttpCompressionMiddleware`` (at its place, 590), except that a large body
    is inflated in a thread (crawlers/offload.py) rather than on the reactor thread.

    Only the decoding moves, and through Scrapy's own ``_handle_encoding``: its result, or
    its exception, is then handed to Scrapy's ``process_response``, which does everything
    else as before (``DOWNLOAD_MAXSIZE`` during decompression and the ``IgnoreRequest`` it
    raises, the warn size, stats, the response class, the header). In a backfill of gzip
    pages inflating was a tenth of the crawl process's time, with its parse workers waiting
    (issue 19).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crawler: Crawler | None = kwargs.get("crawler")
        # (body, outcome) decoded off the reactor, for the _handle_encoding call that
        # process_response makes right after (no await in between: no other page can come).
        self._decoded: tuple[bytes, tuple[bytes, list[bytes]] | BaseException] | None = None

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        encodings = response.headers.getlist("Content-Encoding")
        body = response.body
        max_size = request.meta.get("download_maxsize", self._max_size)
        # A page a parse worker will read is inflated there, not here (crawlers/workers.py).
        if self.crawler is not None and leave_encoded(self.crawler, request, response, max_size):
            request.meta[ENCODED_FOR_WORKER] = True
            return response
        request.meta.pop(ENCODED_FOR_WORKER, None)
        if request.method != "HEAD" and encodings and len(body) >= MIN_BYTES:
            outcome: tuple[bytes, list[bytes]] | BaseException
            try:
                outcome = await off_reactor(
                    len(body), self._handle_encoding, body, encodings, max_size
                )
            except Exception as exc:  # raised again where Scrapy's decode would raise it
                outcome = exc
            self._decoded = (body, outcome)
        try:
            return super().process_response(request, response)
        finally:
            self._decoded = None

    def _handle_encoding(
        self, body: bytes, content_encoding: list[bytes], max_size: int
    ) -> tuple[bytes, list[bytes]]:
        ready, self._decoded = self._decoded, None
        if ready is None or ready[0] is not body:
            return super()._handle_encoding(body, content_encoding, max_size)
        if isinstance(ready[1], BaseException):
            raise ready[1]
        return ready[1]
