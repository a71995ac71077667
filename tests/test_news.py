"""The news discovery spider, GDELT DOC 2.0 (`gdelt_news`), and the shared feed helpers.

Unit tests of window splitting, URL keys, excerpts and the no-article-fetch rule, then one
end-to-end replay of the spider's fixture folders through the real Scrapy engine. (Google
News RSS was dropped: news.google.com/robots.txt does not allow /rss/search.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.archive import ArchiveRecord, write_records
from crawlers.items import make_report_id
from crawlers.spiders import gdelt_news
from crawlers.spiders.base import PageError
from crawlers.spiders.formats import feeds
from crawlers.spiders.formats.feeds import (
    EXCERPT_CHARS,
    FeedError,
    excerpt,
    news_queries,
    normalize_article_url,
    parse_feed,
    split_publisher,
    strip_html,
)
from crawlers.spiders.gdelt_news import GdeltNewsSpider
from demo.build_snapshot import demo_records
from tests.conftest import outages, query

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
T0 = datetime(2024, 4, 17, tzinfo=UTC)


def make_spider(cls: type, **kwargs):
    crawler = get_crawler(cls)
    crawler.spider = crawler._create_spider(**kwargs)
    return crawler.spider


def respond(url: str, body: bytes, cls: type = TextResponse) -> TextResponse:
    request = Request(url, meta={"fetched_at": T0, "archive_ref": "test#0", "constructed": True})
    return cls(url, body=body, request=request, encoding="utf-8")


def gdelt_article(n: int, *, url: str | None = None, title: str | None = None) -> dict:
    return {
        "url": url or f"https://news{n}.example.com/story-{n}",
        "url_mobile": "",
        "title": title or f"Story {n} about a 911 outage in Nebraska",
        "seendate": "20240418T031500Z",
        "socialimage": "",
        "domain": f"news{n}.example.com",
        "language": "English",
        "sourcecountry": "United States",
    }


def outputs(spider, response) -> tuple[list, list[Request]]:
    out = list(spider.parse(response))
    return [o for o in out if not isinstance(o, Request)], [
        o for o in out if isinstance(o, Request)
    ]


# ---- GDELT windows ------------------------------------------------------------------------


def test_gdelt_live_requests_one_day_aligned_window_per_phrase() -> None:
    spider = make_spider(GdeltNewsSpider, since="2024-04-17", until="2024-04-18")
    urls = [r.url for r in spider.live_requests()]
    assert len(urls) == len(news_queries("gdelt_news")) >= 4
    params = parse_qs(urlsplit(urls[0]).query)
    assert params["mode"] == ["ArtList"] and params["format"] == ["json"]
    assert params["maxrecords"] == ["250"]
    assert params["startdatetime"] == ["20240417000000"]
    assert params["enddatetime"] == ["20240419000000"]
    assert params["query"][0].startswith('"911 outage"')
    assert all(spider.is_start_url(u) for u in urls)


def test_gdelt_polite_settings() -> None:
    settings = GdeltNewsSpider.custom_settings
    assert settings["DOWNLOAD_DELAY"] == 5
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["AUTOTHROTTLE_ENABLED"] is False
    assert settings["DOWNLOAD_DELAY_JITTER"] == 0


def test_gdelt_split_window_halves_are_contiguous_and_cover_the_window() -> None:
    url = gdelt_news.api_url("911 outage", T0, T0 + timedelta(days=2))
    first, second = gdelt_news.split_window(url)
    q1, s1, e1, _ = gdelt_news.window_of(first)
    q2, s2, e2, _ = gdelt_news.window_of(second)
    assert q1 == q2 == gdelt_news.window_of(url)[0]
    assert (s1, e1, s2, e2) == (
        T0,
        T0 + timedelta(days=1),
        T0 + timedelta(days=1),
        T0 + timedelta(days=2),
    )
    # keep halving: windows shrink until the smallest one, which is not split any more
    window, depth = url, 0
    while halves := gdelt_news.split_window(window):
        window, depth = halves[0], depth + 1
    _, start, end, _ = gdelt_news.window_of(window)
    assert gdelt_news.MIN_WINDOW <= end - start < 2 * gdelt_news.MIN_WINDOW
    assert depth == 6  # 48 h -> 45 min


def test_gdelt_full_window_is_split_and_a_short_one_is_not() -> None:
    spider = make_spider(GdeltNewsSpider)
    url = gdelt_news.api_url("911 outage", T0, T0 + timedelta(days=1))
    full = json.dumps({"articles": [gdelt_article(n) for n in range(250)]}).encode()
    items, requests = outputs(spider, respond(url, full))
    assert len(items) == 250
    assert [r.url for r in requests] == gdelt_news.split_window(url)
    assert not any(spider.is_start_url(r.url) for r in requests)  # 12:00 boundaries
    spider = make_spider(GdeltNewsSpider)
    short = json.dumps({"articles": [gdelt_article(n) for n in range(249)]}).encode()
    items, requests = outputs(spider, respond(url, short))
    assert len(items) == 249 and requests == []


def test_gdelt_full_window_at_the_smallest_size_is_recorded_not_split() -> None:
    spider = make_spider(GdeltNewsSpider)
    errors = []
    spider.record_error = lambda url, message, **kw: errors.append((url, message, kw))
    url = gdelt_news.api_url("911 outage", T0, T0 + timedelta(minutes=45))
    full = json.dumps({"articles": [gdelt_article(n) for n in range(250)]}).encode()
    items, requests = outputs(spider, respond(url, full))
    assert len(items) == 250 and requests == []
    assert errors and errors[0][0] == url and errors[0][2]["error_type"] == "WindowFull"


def test_gdelt_is_start_url() -> None:
    spider = make_spider(GdeltNewsSpider)
    day = gdelt_news.api_url("911 outage", T0, T0 + timedelta(days=1))
    assert spider.is_start_url(day)
    assert not spider.is_start_url(gdelt_news.api_url("911 outage", T0, T0 + timedelta(hours=6)))
    assert not spider.is_start_url("https://api.gdeltproject.org/api/v2/doc/doc?query=x")
    assert not spider.is_start_url("https://example.com/rss/search?q=x")


@pytest.mark.parametrize(
    "body",
    [
        b"Please limit requests to one every 5 seconds or contact us for larger queries.\n",
        b"<!DOCTYPE html><html><body>Invalid query</body></html>",
        b'{"articles": [{"url": "https://a.example/x", "title": "trunc',
        b"[]",
        b"",
    ],
)
def test_gdelt_non_json_answers_are_page_errors(body: bytes) -> None:
    with pytest.raises(PageError):
        gdelt_news.load_payload(body)


def test_gdelt_empty_window_and_control_characters() -> None:
    assert gdelt_news.load_payload(b"{}") == {}
    payload = gdelt_news.load_payload(b'{"articles": [{"title": "a\tb\x01c"}]}')
    assert payload["articles"][0]["title"] == "a\tb\x01c"


def test_gdelt_report_fields() -> None:
    spider = make_spider(GdeltNewsSpider)
    url = gdelt_news.api_url("911 outage", T0, T0 + timedelta(days=1))
    article = gdelt_article(
        1,
        title="911 services are down across South Dakota , officials say",
        url="http://www.example.com/a/?utm_source=rss",
    )
    items, _ = outputs(spider, respond(url, json.dumps({"articles": [article]}).encode()))
    (item,) = items
    assert (
        item["title"] == item["body"] == "911 services are down across South Dakota, officials say"
    )
    assert item["source_url"] == "http://www.example.com/a/?utm_source=rss"
    assert item["report_id"] == make_report_id("gdelt_news", "https://example.com/a")
    assert item["published_at"] == datetime(2024, 4, 18, 3, 15, tzinfo=UTC)
    assert item["state_codes"] == ["SD"]
    assert item["is_constructed"] is True
    assert "is_outage" not in item and "status" not in item  # left to the ClassifyPipeline


def test_gdelt_bad_article_is_recorded_and_the_rest_kept() -> None:
    spider = make_spider(GdeltNewsSpider)
    errors = []
    spider.record_error = lambda url, message, **kw: errors.append(message)
    url = gdelt_news.api_url("911 outage", T0, T0 + timedelta(days=1))
    body = json.dumps({"articles": [{"title": "no url"}, gdelt_article(2)]}).encode()
    items, _ = outputs(spider, respond(url, body))
    assert len(items) == 1 and len(errors) == 1 and errors[0].startswith("article 0")


# ---- RSS/Atom feeds (crawlers/spiders/formats/feeds.py) --------------------------------


def rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>t - Example feed</title>" + "".join(items) + "</channel></rss>"
    ).encode()


def rss_item(n: int, description: str = "", title: str | None = None) -> str:
    from xml.sax.saxutils import escape

    return (
        f"<item><title>{escape(title or f'911 outage in Omaha, Neb. {n}')} - Example Post</title>"
        f"<link>https://post.example.com/{n:04d}</link>"
        f'<guid isPermaLink="false">CBMi{n:04d}</guid>'
        "<pubDate>Thu, 18 Apr 2024 03:15:00 GMT</pubDate>"
        f"<description>{escape(description)}</description>"
        '<source url="https://post.example.com">Example Post</source></item>'
    )


def test_spiders_never_request_article_pages() -> None:
    """Every request the spider makes goes to its own API; article links are never followed."""
    for folder in sorted(FIXTURES.glob("gdelt_news/*")):
        case = json.loads((folder / "case.json").read_text())
        spider = make_spider(GdeltNewsSpider)
        body = next(folder.glob("response.*")).read_bytes()
        cls = HtmlResponse if case["content_type"].startswith("text/html") else TextResponse
        _, requests = outputs(spider, respond(case["url"], body, cls))
        hosts = {urlsplit(r.url).hostname for r in requests}
        assert hosts <= set(spider.allowed_domains), (folder, hosts)
        assert all(r.url.startswith(gdelt_news.API_URL) for r in requests)


def test_parse_feed_never_fetches_or_opens_files(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedparser.api

    def refuse(*args, **kwargs):
        raise AssertionError("feedparser tried to fetch")

    monkeypatch.setattr(feedparser.api.http, "get", refuse)
    for body in (
        b"https://example.com/feed.xml",
        b"/etc/hostname",
        b"<html><body>Sorry</body></html>",
    ):
        with pytest.raises(FeedError):
            parse_feed(body)


def test_malformed_and_empty_feeds() -> None:
    body = rss([rss_item(1), rss_item(2)])
    with pytest.raises(FeedError, match="not well-formed"):
        parse_feed(body[: len(body) // 2 + 40])
    assert parse_feed(rss([])).entries == []
    with pytest.raises(FeedError):
        parse_feed(b"")


# ---- shared helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (
            "https://kscj.com/2024/04/17/911-restored/?utm_source=rss&utm_medium=rss&utm_campaign=x",
            "https://kscj.com/2024/04/17/911-restored",
        ),
        (
            "http://WWW.Example.com:80/News/Story.html#comments",
            "https://example.com/News/Story.html",
        ),
        ("https://example.com/a?b=2&a=1&fbclid=xyz", "https://example.com/a?a=1&b=2"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/story?id=7&oc=5", "https://example.com/story?id=7&oc=5"),
    ],
)
def test_normalize_article_url(url: str, key: str) -> None:
    assert normalize_article_url(url) == key


def test_excerpt_length_and_word_boundary() -> None:
    text = "word " * 200
    cut = excerpt(text)
    assert len(cut) <= EXCERPT_CHARS and cut.endswith("word\u2026")
    assert excerpt("short text") == "short text"
    assert excerpt("a" * 400, 50) == "a" * 49 + "\u2026"


def test_strip_html() -> None:
    html = (
        '<p>Line&nbsp;one</p><p>Line two &amp;amp; <a href="x">link</a></p>'
        "<script>var x = '<b>';</script><style>p {}</style>caf&eacute;<br>end"
    )
    assert strip_html(html) == "Line one Line two & link café end"


def test_split_publisher() -> None:
    assert split_publisher("Outage - day 2 - KSCJ", "KSCJ") == ("Outage - day 2", "KSCJ")
    assert split_publisher("Outage - day 2", None) == ("Outage - day 2", None)
    assert split_publisher("KSCJ", "KSCJ") == ("KSCJ", "KSCJ")


def test_tidy_headline() -> None:
    assert feeds.tidy_headline("Outage hits Omaha , Lincoln ; What ' s next ?") == (
        "Outage hits Omaha, Lincoln; What's next?"
    )
    assert feeds.tidy_headline("AT&amp;T outage") == "AT&T outage"


def test_news_queries_file() -> None:
    assert "911 outage" in news_queries("gdelt_news")
    assert "9-1-1 outage" in news_queries("gdelt_news")
    assert news_queries("no_such_spider") == []


# ---- end to end ---------------------------------------------------------------------------


@pytest.mark.slow
def test_news_family_replays_through_the_engine(tmp_path: Path) -> None:
    records = demo_records(FIXTURES, ["gdelt_news"], demo_only=False)
    # The full GDELT window splits in two; the archive answers both halves (one article each).
    full = json.loads((FIXTURES / "gdelt_news" / "full_window_250" / "case.json").read_text())
    halves = gdelt_news.split_window(full["url"])
    assert len(halves) == 2
    for n, half in enumerate(halves):
        article = gdelt_article(
            900 + n, title=f"911 outage in Lincoln, Neb. (constructed half {n})"
        )
        records.append(
            ArchiveRecord(
                url=half,
                body=json.dumps({"articles": [article]}).encode(),
                headers=[("Content-Type", "application/json")],
                fetched_at=datetime(2024, 2, 23, 7, n, tzinfo=UTC),
                constructed=True,
                note="test: an answer to a split half",
            )
        )
    archive = tmp_path / "news.warc.gz"
    write_records(archive, records)
    data_dir = tmp_path / "data"
    result = outages(
        "crawl",
        "gdelt_news",
        "--replay",
        str(archive),
        data_dir=data_dir,
        check=False,
    )
    assert "Traceback" not in result.stderr

    by_source = dict(query(data_dir, "SELECT source, count(*) FROM reports GROUP BY source"))
    # + 4: the real recorded ArtList page (not about 911, so no outage among them)
    assert by_source == {"gdelt_news": 6 + 6 + 250 + 2 + 4}
    # the split halves were fetched and their articles kept
    halves_found = query(
        data_dir, "SELECT count(*) FROM reports WHERE title LIKE '%(constructed half %'"
    )
    assert halves_found == [(2,)]

    def states(source: str, title: str) -> list[str]:
        rows = query(
            data_dir,
            "SELECT state_codes FROM reports WHERE source = ? AND title = ?",
            [source, title],
        )
        assert len(rows) == 1, (source, title, rows)
        return rows[0][0]

    assert states("gdelt_news", "911 services are down across South Dakota") == ["SD"]
    assert states("gdelt_news", "Massachusetts suffers statewide outage of its 911 services") == [
        "MA"
    ]
    outage_states = query(
        data_dir,
        "SELECT DISTINCT unnest(state_codes) FROM reports "
        "WHERE is_outage AND source = 'gdelt_news'",
    )
    assert {"SD", "MA"} <= {row[0] for row in outage_states}

    # every news report is short: metadata, link and an excerpt only
    longest = query(
        data_dir,
        "SELECT max(length(body)) FROM reports WHERE source = 'gdelt_news'",
    )
    assert longest[0][0] <= EXCERPT_CHARS

    errors = query(data_dir, "SELECT spider, url, stage, error_type FROM crawl_errors")
    # the constructed HTML page and the real plain-text answer (status 200) are both PageErrors
    for case in ("html_error", "real_2026-07-12_keyword_error_plaintext"):
        page = json.loads((FIXTURES / "gdelt_news" / case / "case.json").read_text())
        assert ("gdelt_news", page["url"], "parse", "PageError") in errors
    assert len(errors) == 2, errors
    runs = dict(query(data_dir, "SELECT spider, status FROM crawl_runs"))
    assert runs == {"gdelt_news": "partial"}
