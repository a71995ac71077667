"""GDELT DOC 2.0 API: worldwide online news, searched by phrase, as article lists.

Discovery only: GDELT gives each article's URL, title, the time GDELT first saw it
(`seendate`), domain, language and source country; no text. So a report holds the
headline, the link and the headline again as its excerpt, never the article (the spider
never fetches article pages).

Requests (https://blog.gdeltproject.org/gdelt-doc-2-0-api-debuts/): `mode=ArtList`,
`format=json`, `maxrecords` at most 250, `sort=DateDesc`, and an absolute UTC window
`startdatetime`/`enddatetime` (`YYYYMMDDHHMMSS`). One request per phrase of
`crawlers/data/news_queries.csv` (column `gdelt_news`) over the whole crawl period, in UTC
days; a window that comes back full (250 articles) may have cut articles off, so it is split
in two halves and both are asked again, down to `MIN_WINDOW`. GDELT asks for no more than
one request every 5 seconds, hence the per-spider settings.

Answers: `{"articles": [...]}`; an empty window is `{}` (gdeltdoc issue #1, PR #62). A bad
query or an overloaded server answers with plain text or an HTML page, often with status
200: that is a `PageError`. GDELT's JSON sometimes carries raw control characters inside
strings, which the strict JSON parser refuses; they are accepted here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.feeds import news_queries, news_report, strip_html, tidy_headline

API_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
MAX_RECORDS = 250
# English-language outlets in the United States (GDELT's FIPS country code).
QUERY_FILTERS = "sourcelang:english sourcecountry:US"
# GDELT updates every 15 minutes: a window shorter than this cannot be split usefully.
MIN_WINDOW = timedelta(minutes=30)
TIME_FORMAT = "%Y%m%d%H%M%S"


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: str) -> datetime:
    """``20240418T031500Z`` (seendate) or ``20240418031500`` (URL parameter) -> aware UTC."""
    text = value.strip().replace("T", "").replace("Z", "")
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def api_url(phrase: str, start: datetime, end: datetime, *, maxrecords: int = MAX_RECORDS) -> str:
    """The ArtList request for one phrase over [start, end)."""
    query = [
        ("query", f'"{phrase}" {QUERY_FILTERS}'),
        ("mode", "ArtList"),
        ("format", "json"),
        ("maxrecords", str(maxrecords)),
        ("sort", "DateDesc"),
        ("startdatetime", format_time(start)),
        ("enddatetime", format_time(end)),
    ]
    return f"{API_URL}?{urlencode(query)}"


def window_of(url: str) -> tuple[str, datetime, datetime, int] | None:
    """(query, start, end, maxrecords) of an ArtList URL; None when it is not one."""
    if not url.startswith(API_URL + "?"):
        return None
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    try:
        return (
            params["query"],
            parse_time(params["startdatetime"]),
            parse_time(params["enddatetime"]),
            int(params.get("maxrecords", MAX_RECORDS)),
        )
    except (KeyError, ValueError):
        return None


def split_window(url: str) -> list[str]:
    """The two half windows of a full window (none when it is already the smallest)."""
    window = window_of(url)
    if window is None:
        return []
    query, start, end, maxrecords = window
    if end - start < 2 * MIN_WINDOW:
        return []
    middle = start + (end - start) / 2
    middle = middle.replace(microsecond=0)
    params = parse_qs(urlsplit(url).query)
    halves = []
    for lo, hi in ((start, middle), (middle, end)):
        params["startdatetime"] = [format_time(lo)]
        params["enddatetime"] = [format_time(hi)]
        halves.append(f"{API_URL}?{urlencode({k: v[0] for k, v in params.items()})}")
    return halves


def load_payload(body: bytes) -> dict:
    """The JSON object of an answer; `PageError` for text, HTML or anything else."""
    text = body.decode("utf-8", "replace").strip()
    if not text.startswith(("{", "[")):
        kind = (
            "an HTML page"
            if text[:200].lower().lstrip().startswith(("<!doctype", "<html"))
            or "<body" in text[:500].lower()
            else "plain text"
        )
        snippet = strip_html(text[:2000])[:160]
        raise PageError(f"GDELT answered with {kind} where JSON was expected: {snippet!r}")
    try:
        payload = json.loads(text, strict=False)  # strict=False: raw control chars in strings
    except ValueError as exc:
        raise PageError(f"GDELT answer is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PageError("GDELT answer is not a JSON object")
    return payload


class GdeltNewsSpider(OutageSpider):
    name = "gdelt_news"
    # None declared: an answer with no match is "{}" (no "articles" key), which parse_page
    # accepts, so no key is required of every answer; the parser's PageError reports the rest.
    expected_structure = ()
    source_title = "GDELT DOC 2.0 API (worldwide online news search)"
    source_home = "https://blog.gdeltproject.org/gdelt-doc-2-0-api-debuts/"
    source_kind = "news"
    # Real answers recorded by yash2484/Overwatch (2026-07-12): an ArtList page (the eight
    # article fields, spaced punctuation, a non-Latin title; not about 911) and the one-line
    # plain-text error GDELT sends with status 200. The parser met both unchanged. The
    # outage-shaped cases (lumen_2024-04-17, massachusetts_2024-06-18) stay constructed:
    # no recorded answer of a 911 query was found.
    verified_with = (
        "real_2026-07-12_artlist_vizhinjam",
        "real_2026-07-12_keyword_error_plaintext",
    )
    robots_txt = (
        "allowed (no rules): https://api.gdeltproject.org/robots.txt answers HTTP 404, as "
        "measured and reported by several public repositories (2026); no stored copy"
    )
    terms = (
        "https://www.gdeltproject.org/about.html: open data, unlimited reuse with "
        "attribution (cite and link GDELT); the API asks for one request every 5 seconds"
    )
    coverage_since = "2017-01-01"  # the API searches back to 2017 (officially: a rolling 3 months)
    cadence_minutes = 60
    empty_ok_because = (
        "a quiet news day is normal: on most days no US outlet writes about a 911 outage"
    )
    allowed_domains = ["api.gdeltproject.org"]
    custom_settings = {
        # GDELT: "Please limit requests to one every 5 seconds".
        "DOWNLOAD_DELAY": 5,
        "DOWNLOAD_DELAY_JITTER": 0,  # never below 5 s (the default jitter is 0.5x..1.5x)
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_ENABLED": False,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.phrases = news_queries(self.name)
        self._seen: set[str] = set()

    def live_requests(self) -> Iterator[Request]:
        start = datetime.combine(self.since, time(0), tzinfo=UTC)
        end = datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=UTC)
        for phrase in self.phrases:
            yield self.request(api_url(phrase, start, end), self.parse)

    def is_start_url(self, url: str) -> bool:
        """First windows span whole UTC days (a day-aligned half of a split one looks the
        same; replaying it as a start is harmless, the duplicate request is filtered)."""
        window = window_of(url)
        if window is None:
            return False
        _, start, end, _ = window
        return start.time() == time(0) and end.time() == time(0) and end > start

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        payload = load_payload(response.body)
        articles = payload.get("articles", [])
        if not isinstance(articles, list):
            raise PageError("GDELT answer has an 'articles' value that is not a list")
        meta = self.meta_of(response)
        for index, article in enumerate(articles):
            try:
                report = self.article_report(article, meta)
            except (KeyError, TypeError, ValueError) as exc:
                self.record_error(
                    response.url, f"article {index}: {exc!r}", archive_ref=meta["archive_ref"]
                )
                continue
            if report["report_id"] in self._seen:
                continue
            self._seen.add(report["report_id"])
            yield report
        yield from self.follow_full_window(response.url, len(articles), meta)

    def follow_full_window(self, url: str, returned: int, meta: dict) -> Iterator[Request]:
        window = window_of(url)
        if window is None or returned < window[3]:
            return
        halves = split_window(url)
        if not halves:
            self.record_error(
                url,
                f"window still full ({returned} articles) at the smallest size; "
                "articles beyond GDELT's limit may be missing",
                error_type="WindowFull",
                archive_ref=meta["archive_ref"],
            )
        for half in halves:
            yield self.request(half, self.parse)

    def article_report(self, article: dict, meta: dict) -> OutageReport:
        url = article["url"]
        title = tidy_headline(article.get("title") or "")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"no article URL: {url!r}")
        if not title:
            raise ValueError("no title")
        seen = article.get("seendate")
        published_at = parse_time(seen) if isinstance(seen, str) and seen else None
        return news_report(
            source=self.name,
            url=url,
            title=title,
            excerpt_text=title,  # GDELT gives no text: the headline is the excerpt
            body=title,
            published_at=published_at,
            meta=meta,
            publisher=article.get("domain") or None,
        )
