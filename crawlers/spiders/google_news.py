"""Google News RSS search: headlines from thousands of outlets, searched by phrase.

Discovery only. `https://news.google.com/rss/search?q=...&hl=en-US&gl=US&ceid=US:en` is an
RSS 2.0 feed (Google documents none of it; the layout below is as observed and described
in public write-ups, e.g. NewsCatcher's "Google News RSS search parameters"): each `<item>`
has a `<title>` "Headline - Publisher", a `<link>` to a `news.google.com/rss/articles/...`
redirect (the publisher's URL is not given), a `<guid>`, a `<pubDate>` (RFC 822, GMT), a
`<description>` HTML snippet (the headline as a link, then the publisher; a story cluster
lists several) and `<source url="publisher home">Publisher</source>`. The search takes
the operators `after:YYYY-MM-DD` and `before:YYYY-MM-DD` (and `when:7d`); a feed holds at
most 100 items, so a full feed of a window longer than a day is split in two and asked again.

A report keeps the headline (publisher suffix removed), the link as given, the publication
time and an excerpt: the description without HTML, at most 300 characters, ending with the
publisher. The spider never follows the links (no article text: copyright).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.feeds import (
    EXCERPT_CHARS,
    FeedEntry,
    FeedError,
    drop_publisher,
    excerpt,
    news_queries,
    news_report,
    parse_feed,
    split_publisher,
    strip_html,
)

SEARCH_URL = "https://news.google.com/rss/search"
LOCALE = (("hl", "en-US"), ("gl", "US"), ("ceid", "US:en"))
MAX_ITEMS = 100  # Google News RSS never returns more items per feed
_AFTER = re.compile(r"\bafter:(\d{4}-\d{2}-\d{2})\b")
_BEFORE = re.compile(r"\bbefore:(\d{4}-\d{2}-\d{2})\b")
# "&nbsp;&nbsp;<font color=...>Publisher</font>" after each headline of a description
_PUBLISHER_FONT = re.compile(r"(?:&nbsp;|\u00a0|\s)*<font\b[^>]*>", re.IGNORECASE)


def search_url(phrase: str, after: date, before: date) -> str:
    """The feed of one phrase for the days from `after` up to (not including) `before`."""
    q = f'"{phrase}" after:{after.isoformat()} before:{before.isoformat()}'
    return f"{SEARCH_URL}?{urlencode([('q', q), *LOCALE])}"


def window_of(url: str) -> tuple[str, date, date] | None:
    """(phrase part of q, after, before) of a search feed URL; None when it is not one."""
    if not url.startswith(SEARCH_URL + "?"):
        return None
    q = (parse_qs(urlsplit(url).query).get("q") or [""])[0]
    after, before = _AFTER.search(q), _BEFORE.search(q)
    if not (after and before):
        return None
    phrase = _BEFORE.sub("", _AFTER.sub("", q)).strip()
    try:
        return phrase, date.fromisoformat(after.group(1)), date.fromisoformat(before.group(1))
    except ValueError:
        return None


def split_window(url: str) -> list[str]:
    """The two halves (in whole days) of a window longer than one day."""
    window = window_of(url)
    if window is None:
        return []
    phrase, after, before = window
    days = (before - after).days
    if days < 2:
        return []
    middle = after + timedelta(days=days // 2)
    return [_with_window(phrase, after, middle), _with_window(phrase, middle, before)]


def _with_window(phrase_query: str, after: date, before: date) -> str:
    q = f"{phrase_query} after:{after.isoformat()} before:{before.isoformat()}"
    return f"{SEARCH_URL}?{urlencode([('q', q), *LOCALE])}"


def description_text(fragment: str) -> str:
    """Plain text of a Google News description: "Headline — Publisher", a cluster's
    headlines separated by " | "."""
    fragment = _PUBLISHER_FONT.sub(" \u2014 ", fragment or "")
    fragment = re.sub(r"(?i)</li\s*>", " | ", fragment)
    return strip_html(fragment).strip(" |")


class GoogleNewsSpider(OutageSpider):
    name = "google_news"
    source_title = "Google News RSS search"
    source_home = "https://news.google.com/"
    source_kind = "news"
    unverified_because = "not yet checked against recorded real material (issue 15)"
    coverage_since = "(rolling; older stories drop out of the search)"
    cadence_minutes = 60
    empty_ok_because = (
        "a quiet news day is normal: on most days no outlet writes about a 911 outage"
    )
    allowed_domains = ["news.google.com"]
    custom_settings = {
        "DOWNLOAD_DELAY": 3,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.phrases = news_queries(self.name)
        self._seen: set[str] = set()

    def live_requests(self) -> Iterator[Request]:
        for phrase in self.phrases:
            url = search_url(phrase, self.since, self.until + timedelta(days=1))
            yield self.request(url, self.parse)

    def is_start_url(self, url: str) -> bool:
        """Search feeds with an after:/before: window (a split half looks the same; replaying
        it as a start is harmless, the duplicate request is filtered)."""
        return window_of(url) is not None

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        try:
            feed = parse_feed(response.body)
        except FeedError as exc:
            raise PageError(f"Google News answer: {exc}") from exc
        meta = self.meta_of(response)
        for problem in feed.skipped:
            self.record_error(response.url, problem, archive_ref=meta["archive_ref"])
        for entry in feed.entries:
            report = self.entry_report(entry, meta)
            if report["report_id"] in self._seen:
                continue
            self._seen.add(report["report_id"])
            yield report
        if len(feed.entries) + len(feed.skipped) >= MAX_ITEMS:
            halves = split_window(response.url)
            if not halves:
                self.record_error(
                    response.url,
                    f"feed full ({MAX_ITEMS} items) for a one-day window; "
                    "stories beyond Google's limit may be missing",
                    error_type="WindowFull",
                    archive_ref=meta["archive_ref"],
                )
            for half in halves:
                yield self.request(half, self.parse)

    def entry_report(self, entry: FeedEntry, meta: dict) -> OutageReport:
        headline, publisher = split_publisher(entry.title, entry.source_name)
        text = drop_publisher(description_text(entry.description_html), publisher)
        room = EXCERPT_CHARS - (len(publisher) + 3 if publisher else 0)
        short = excerpt(text or headline, max(room, EXCERPT_CHARS // 2))
        body = f"{short} ({publisher})" if publisher else short
        return news_report(
            source=self.name,
            url=entry.link,
            title=headline,
            excerpt_text=short,
            body=body,
            published_at=entry.published,
            meta=meta,
            publisher=publisher,
        )
