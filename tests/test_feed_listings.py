"""An agency listing that answers RSS/Atom instead of HTML (`NewsListingSpider`).

The feeds here are CONSTRUCTED (inline, marked as such): they test the two branches of a
feed listing (entries followed to their pages; entries that are the reports) and its
failures (a broken feed, an entry without a link). Real recorded feeds of a source are in
that source's fixture folder and go through the golden tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers import signals
from crawlers.items import OutageReport
from crawlers.spiders.formats.article import NewsListingSpider, is_feed

LISTING = "https://www.example-county.gov/RSSFeed.aspx?ModID=63&CID=All-0"

# CONSTRUCTED: a CivicPlus-style Alert Center feed (RSS 2.0), two alerts and one entry
# older than the crawl's --since (followed all the same), plus an entry with no link.
FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Example County - Alert Center - Emergency</title>
<link>https://www.example-county.gov/AlertCenter.aspx</link>
<item><title>911 service outage in Example County</title>
<link>https://www.example-county.gov/AlertCenter.aspx?AID=911-Outage-12</link>
<pubDate>Wed, 17 Apr 2024 19:40:00 -0500</pubDate>
<description>&lt;p&gt;911 is down. If you cannot reach 911, call 402-555-0100.&lt;/p&gt;
</description></item>
<item><title>Road closure on County Road 12</title>
<link>https://www.example-county.gov/AlertCenter.aspx?AID=Road-11</link>
<pubDate>Tue, 16 Apr 2024 08:00:00 -0500</pubDate>
<description>County Road 12 is closed for repairs.</description></item>
<item><title>An old alert</title>
<link>https://www.example-county.gov/AlertCenter.aspx?AID=Old-1</link>
<pubDate>Mon, 01 Jan 2024 08:00:00 -0500</pubDate></item>
<item><title>An entry without a link</title></item>
</channel></rss>"""


class _FeedSpider(NewsListingSpider):
    name = "test_feed_listing"
    source_title = "Example County Alert Center (test)"
    source_home = "https://www.example-county.gov/AlertCenter.aspx"
    source_kind = "agency"
    coverage_states = "NE"
    coverage_since = "2020-01-01"
    listing_urls = (LISTING,)
    article_allow = r"AlertCenter\.aspx\?AID="


class _FeedReportsSpider(_FeedSpider):
    name = "test_feed_reports"
    feed_entries_are_reports = True


def _run(spidercls: type, body: bytes, content_type: str = "application/rss+xml") -> dict:
    crawler = get_crawler(spidercls)
    spider = crawler._create_spider(since="2024-04-01", until="2024-04-30")
    crawler.spider = spider
    errors: list[dict[str, Any]] = []

    def on_error(**kwargs: Any) -> None:
        errors.append({k: kwargs[k] for k in ("url", "error_type", "message")})

    crawler.signals.connect(on_error, signal=signals.error_recorded, weak=False)
    request = Request(LISTING, meta={"fetched_at": datetime(2024, 4, 18, tzinfo=UTC)})
    headers = {"Content-Type": content_type}
    response = XmlResponse(LISTING, body=body, request=request, headers=headers)
    outputs = list(spider.parse(response))
    return {
        "requests": [o.url for o in outputs if isinstance(o, Request)],
        "items": [o for o in outputs if isinstance(o, OutageReport)],
        "errors": errors,
    }


def test_a_feed_listing_follows_every_entry() -> None:
    # an entry older than --since too: a feed is its own window, as a listing's first page
    result = _run(_FeedSpider, FEED)
    assert result["requests"] == [
        "https://www.example-county.gov/AlertCenter.aspx?AID=911-Outage-12",
        "https://www.example-county.gov/AlertCenter.aspx?AID=Road-11",
        "https://www.example-county.gov/AlertCenter.aspx?AID=Old-1",
    ]
    assert result["items"] == []
    # the entry without a link is recorded, not silently dropped
    assert [e["error_type"] for e in result["errors"]] == ["FeedEntrySkipped"]
    assert "no link" in result["errors"][0]["message"]


def test_feed_entries_can_be_the_reports_themselves() -> None:
    items = _run(_FeedReportsSpider, FEED)["items"]
    assert [i["title"] for i in items] == [
        "911 service outage in Example County",
        "Road closure on County Road 12",
        "An old alert",
    ]
    first = items[0]
    assert first["source_url"].endswith("AID=911-Outage-12")
    assert first["published_at"] == datetime(2024, 4, 18, 0, 40, tzinfo=UTC)
    # the description is text, its markup removed
    assert first["body"] == "911 is down. If you cannot reach 911, call 402-555-0100."
    assert "NE" in (first.get("state_codes") or [])


def test_a_broken_feed_is_a_recorded_page_error() -> None:
    result = _run(_FeedSpider, FEED[: len(FEED) // 2])
    assert result["requests"] == [] and result["items"] == []
    assert [e["error_type"] for e in result["errors"]] == ["PageError"]
    assert "listing feed" in result["errors"][0]["message"]


def test_is_feed_by_type_or_by_root_element() -> None:
    def response(body: bytes, content_type: str | None) -> TextResponse:
        headers = {"Content-Type": content_type} if content_type else {}
        return TextResponse(LISTING, body=body, headers=headers, encoding="utf-8")

    assert is_feed(response(FEED, "application/rss+xml"))
    assert is_feed(response(FEED, None))  # a saved page with no headers
    assert is_feed(response(b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', None))
    assert not is_feed(response(b"<!doctype html><html><body>news</body></html>", "text/html"))
    # an HTML page served as text/html is HTML even when it quotes an <rss> tag
    assert not is_feed(response(b"<html><body>&lt;rss&gt;</body></html>", "text/html"))
