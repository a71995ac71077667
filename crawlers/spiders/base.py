"""Shared base for every source spider.

A spider declares what it covers and how often it should run (metadata as data, read by
`outages spiders`), builds its live requests, and parses responses into `OutageReport`s.
The base gives it three ways to start (live, `--from URL`, `--replay ARCHIVE`), records
every failed download or unreadable record with its URL, and makes an empty scrape an
error unless the spider says an empty result is normal for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals as scrapy_signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawlers import signals


class PageError(ValueError):
    """The page is not what the source documents (malformed, truncated, wrong type)."""


def parse_day(value: str | date | None, default: date) -> date:
    """A day from `YYYY-MM-DD` (or a full ISO time); `default` when None."""
    if value is None or value == "":
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def is_robots_forbidden(failure: Failure) -> bool:
    """Whether a request failed because robots.txt disallows it (Scrapy's
    RobotsTxtMiddleware raises a plain `IgnoreRequest` with this message)."""
    return failure.check(IgnoreRequest) is not None and "robots.txt" in str(failure.value)


class OutageSpider(scrapy.Spider):
    """Base class: subclasses set the metadata and implement `live_requests` and `parse`."""

    # Metadata, shown by `outages spiders` and used by the scheduler and coverage views.
    source_title: ClassVar[str] = ""
    source_home: ClassVar[str] = ""
    coverage_states: ClassVar[str] = "all"  # "all" or a comma list of USPS codes
    coverage_since: ClassVar[str] = ""  # first date the source has data for
    cadence_minutes: ClassVar[int] = 24 * 60
    # curated, regulator (FCC), agency (state 911 offices), alert (CAP/NWS), news: incidents
    # take cause and provider from the most reliable kind that states them.
    source_kind: ClassVar[str] = "unknown"
    # Why an empty scrape is normal for this spider; None means an empty scrape is an error.
    empty_ok_because: ClassVar[str | None] = None
    # Every source is in the quick start's demo, unless it says why not (its only real
    # material links to pages that were never recorded, and a constructed stand-in would
    # show a made-up page as the source's).
    demo_absent_because: ClassVar[str | None] = None
    # What the parser was checked against: names of this spider's fixture case folders
    # (tests/fixtures/spiders/<name>/<case>/) that hold REAL recorded material of the source
    # (case.json: "constructed": false and a "provenance" object). Empty: not checked yet,
    # and `unverified_because` says what was searched and why no real material was found.
    verified_with: ClassVar[tuple[str, ...]] = ()
    unverified_because: ClassVar[str | None] = None
    # Only for a source with no remote page to record (this project's own files, no
    # allowed_domains): how its content is checked instead, in words. Shown in place of
    # "not yet checked against the real source"; never a claim of a check against a live site.
    checked_by: ClassVar[str | None] = None
    # The source's robots.txt verdict for the start URLs' paths, with the evidence URL (or
    # "not checked: no stored copy"), and its terms of use (URL and a one-line summary, or
    # "not found").
    robots_txt: ClassVar[str] = "not checked: no stored copy"
    terms: ClassVar[str] = "not found"
    # What the parser reads from a start URL's answer, probed by `outages sources check`
    # (crawlers/structure.py): "json:<dotted.path>" ("[]" = each element of a list),
    # "css:<selector>", "xpath:<expr>". Empty: not declared (shown, but not drift).
    expected_structure: ClassVar[tuple[str, ...]] = ()
    # What one run with no --since reaches, in words, where "the last `default_days()` days"
    # would not say it (docs/deploy.md's cadence table is generated from these).
    run_window: ClassVar[str | None] = None
    # The largest page this source sends, with room: a body over it is refused while it
    # streams (Scrapy's DOWNLOAD_MAXSIZE; at once when Content-Length says so), recorded in
    # crawl_errors as a download error with its URL, and the crawl goes on. A 50 MB hostile
    # page under the old project-wide 64 MB limit took over 30 s to fail (issue 17).
    # Named `page_maxsize`, not Scrapy's deprecated `download_maxsize` spider attribute,
    # which would override `-s DOWNLOAD_MAXSIZE=...` given on the command line.
    page_maxsize: ClassVar[int] = 8 * 1024 * 1024

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Per-spider DOWNLOAD_MAXSIZE / DOWNLOAD_WARNSIZE at "spider" priority, so the
        command line (`-s DOWNLOAD_MAXSIZE=...`, a test's small limit) still wins."""
        super().update_settings(settings)
        settings.set("DOWNLOAD_MAXSIZE", cls.page_maxsize, priority="spider")
        settings.set("DOWNLOAD_WARNSIZE", cls.page_maxsize // 4, priority="spider")

    def __init__(
        self,
        *args: Any,
        since: str | None = None,
        until: str | None = None,
        from_url: str | list[str] | None = None,
        state: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        today = datetime.now(UTC).date()
        self.until = parse_day(until, today)
        self.since = parse_day(since, self.until - timedelta(days=self.default_days()))
        if self.since > self.until:
            raise ValueError(f"--since {self.since} is after --until {self.until}")
        if isinstance(from_url, str):
            from_url = [u for u in from_url.split("\n") if u]
        self.from_urls: list[str] = list(from_url or [])
        self.state = state.upper() if state else None
        # links a listing gave that were not followed (--from, `outages sources check`): a
        # listing's parse output is links, so a check counts them beside the items
        self.links_not_followed = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutageSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_request_dropped, signal=scrapy_signals.request_dropped)
        return spider

    # ---- what subclasses provide -------------------------------------------------------
    @classmethod
    def default_days(cls) -> int:
        """How many days back a crawl with no --since reaches."""
        return 1

    def live_requests(self) -> Iterable[Request]:
        raise NotImplementedError

    def parse_page(self, response: Response) -> Iterable[Any]:
        """Items and follow-up requests of one page; raise `PageError` for a malformed page."""
        raise NotImplementedError

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Parse a page; a malformed one is recorded with its URL and the crawl goes on.

        Items yielded before the problem are kept. Other exceptions are bugs: Scrapy logs
        them with a traceback and the warehouse pipeline records them too.
        """
        try:
            for output in self.parse_page(response):
                if isinstance(output, Request) and (
                    self.from_urls or getattr(self, "no_follow", False)
                ):
                    # --from parses the saved pages given, and never goes to the network;
                    # `outages sources check` (no_follow) makes one request per start URL.
                    self.logger.info("not following %s", output.url)
                    self.links_not_followed += 1
                    continue
                yield output
        except PageError as exc:
            self.record_error(
                response.url,
                str(exc),
                error_type="PageError",
                archive_ref=response.meta.get("archive_ref"),
            )

    # ---- reading pages --------------------------------------------------------------------
    def page_text(self, response: Response) -> str:
        """The body as text: the charset the response declares, else JSON's own detection
        (UTF-8/16/32, with or without BOM). Bytes that decode in neither way are replaced,
        and that is recorded as an error of the page."""
        body = response.body
        content_type = response.headers.get(b"Content-Type") if response.headers else None
        declared = (
            http_content_type_encoding(content_type.decode("latin-1")) if content_type else None
        )
        if declared:
            try:
                return body.decode(declared).removeprefix("\ufeff")
            except (LookupError, UnicodeDecodeError):
                pass
        try:
            return body.decode(json.detect_encoding(body))
        except UnicodeDecodeError as exc:
            self.record_error(
                response.url,
                f"the page is not in its declared charset ({declared or 'none'}) nor UTF-8 "
                f"({exc.reason} at byte {exc.start}); undecodable bytes were replaced",
                error_type="BadEncoding",
                archive_ref=response.meta.get("archive_ref"),
            )
            return body.decode("utf-8", errors="replace")

    def load_json(self, response: Response, what: str = "page") -> Any:
        """The JSON document of a response; `PageError` (with `what`) when it is not one."""
        text = self.page_text(response)
        try:
            return json.loads(text)
        except RecursionError:
            raise PageError(f"{what} is not JSON: nested too deeply to read") from None
        except ValueError as exc:
            raise PageError(f"{what} is not JSON: {exc}") from exc

    def is_start_url(self, url: str) -> bool:
        """Whether an archived URL is one this spider starts a crawl from (for replay).

        By default, the URLs of `live_requests()`; spiders whose start URLs depend on dates
        (day windows) override this with a pattern.
        """
        from crawlers.archive import canonical_url

        if not hasattr(self, "_live_start_urls"):
            self._live_start_urls = {canonical_url(r.url) for r in self.live_requests()}
        return canonical_url(url) in self._live_start_urls

    # ---- starting ----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[Request]:
        if self.from_urls:
            for url in self.from_urls:
                # file:// has no host, so the offsite filter must let it through.
                yield self.request(url, self.parse, meta={"allow_offsite": True})
            return
        replay = self.settings.get("OUTAGES_REPLAY_PATH") if self.settings else None
        if replay:
            yield from self.replay_requests(replay)
            return
        for request in self.live_requests():
            yield request.replace(errback=request.errback or self.on_download_error)

    def replay_requests(self, replay_path: str) -> Iterator[Request]:
        """The archived first pages of this spider: the crawl then follows what was recorded."""
        # Every recording of a start URL is replayed, in order: a URL polled all day (NWS,
        # the live feed, a news search) holds a different answer each time. (Follow-up pages
        # of later polls are still deduplicated within the one replay run.)
        # The first recording goes through the duplicate filter as in a live crawl (so a
        # follow-up link to the same page is not fetched again); later ones bypass it.
        seen: set[str] = set()
        for url in self.archived_start_urls(replay_path.split(os.pathsep)):
            yield self.request(url, self.parse, dont_filter=url in seen)
            seen.add(url)

    def archived_start_urls(self, paths: list[str]) -> list[str]:
        """The archived URLs this spider would start a replay from: one per recording."""
        from crawlers.archive import archived_response_urls

        urls: list[str] = []
        for path in paths:
            urls += [url for url in archived_response_urls(path) if self.is_start_url(url)]
        return urls

    def request(self, url: str, callback: Any, **kwargs: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_download_error, **kwargs)

    # ---- errors --------------------------------------------------------------------------
    def record_error(
        self,
        url: str,
        message: str,
        *,
        stage: str = "parse",
        error_type: str = "ParseError",
        archive_ref: str | None = None,
    ) -> None:
        """Log and record an error with its URL; the crawl goes on."""
        self.logger.warning("%s error at %s: %s", stage, url, message)
        self.crawler.signals.send_catch_log(
            signals.error_recorded,
            spider=self,
            url=url,
            stage=stage,
            error_type=error_type,
            message=message,
            archive_ref=archive_ref,
        )

    def on_download_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        url = request.url if request is not None else "?"
        if is_robots_forbidden(failure):
            # With ROBOTSTXT_OBEY, Scrapy drops a disallowed request before it is sent and
            # says so only at DEBUG level: without this, a start URL the site forbids is a
            # silent empty crawl that `empty_ok_because` would report as "ok".
            parts = urlsplit(url)
            self.record_error(
                url,
                f"forbidden by robots.txt: {parts.scheme}://{parts.netloc}/robots.txt "
                f"disallows {parts.path or '/'} for our User-Agent; not fetched",
                stage="download",
                error_type="RobotsTxtForbidden",
            )
            return
        detail = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        if not detail and "Cancelled" in failure.type.__name__:
            limit = self.settings.getint("DOWNLOAD_MAXSIZE") if self.settings else 0
            detail = f"download cancelled (most likely the body passed DOWNLOAD_MAXSIZE, {limit} B)"
        hops = request.meta.get("redirect_urls") if request is not None else None
        chain = [*(hops or []), url]
        if len(set(chain)) < len(chain):
            # A chain that comes back to a URL it already visited is a loop, however it
            # ended: usually the duplicate filter drops the repeat (on_request_dropped),
            # but a request that bypasses the filter runs on to REDIRECT_MAX_TIMES.
            self.record_error(
                chain[0],
                "redirect loop: " + " -> ".join(chain),
                stage="download",
                error_type="RedirectLoop",
            )
            return
        if hops:  # record the URL the crawl asked for, and where the redirects led
            detail = f"{detail or failure.type.__name__} (redirected to {url})"
            url = hops[0]
        self.record_error(
            url,
            detail or failure.type.__name__,
            stage="download",
            error_type=failure.type.__name__,
        )

    def on_request_dropped(self, request: Request, spider: Any = None, **_: Any) -> None:
        """A redirect back to a URL of its own chain is a loop: record it (the scheduler's
        duplicate filter drops it silently). Other duplicates are normal and not recorded."""
        if spider is not None and spider is not self:
            return
        hops = request.meta.get("redirect_urls") or []
        if request.url in hops:
            self.record_error(
                hops[0],
                "redirect loop: " + " -> ".join([*hops, request.url]),
                stage="download",
                error_type="RedirectLoop",
            )

    @staticmethod
    def meta_of(response: Response) -> dict:
        """The archive reference, fetch time and constructed flag of a response."""
        meta = response.meta
        fetched = meta.get("fetched_at") or datetime.now(UTC)
        return {
            "archive_ref": meta.get("archive_ref"),
            "fetched_at": fetched,
            "constructed": meta.get("constructed", False),
        }
