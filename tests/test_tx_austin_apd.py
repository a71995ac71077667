"""tx_austin_apd on its real recorded pages (APD listing and release of 2020, recorded by
scrapd/scrapd): what the real layout taught the parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse

from crawlers.spiders.formats.article import listing_entries, next_page, parse_article
from crawlers.spiders.tx_austin_apd import TxAustinApdSpider

FIXTURES = Path(__file__).parent / "fixtures" / "spiders" / "tx_austin_apd"
LISTING = "real_2020-03_police_news_listing"
RELEASE = "real_2020-02-19_fatality_crash_18_not_outage"


def recorded(case: str) -> HtmlResponse:
    folder = FIXTURES / case
    url = json.loads((folder / "case.json").read_text())["url"]
    return HtmlResponse(url, body=(folder / "response.html").read_bytes(), encoding="utf-8")


def test_listing_follows_releases_not_unit_pages() -> None:
    spider = TxAustinApdSpider
    response = recorded(LISTING)
    entries = listing_entries(
        response,
        item_css=spider.item_css,
        link_css=spider.link_css,
        allow=spider.article_allow,
        state="TX",
    )
    urls = [e.url for e in entries]
    # 20 entries on the page; the 6 /article/ unit pages ("About the Homicide Unit") are not
    # releases
    assert len(urls) == 14
    assert all("/news/" in u for u in urls)
    assert "http://austintexas.gov/news/fatality-crash-18-2" in urls
    first = entries[0]
    # (the recorder re-indented the page: the link text keeps a line break, which the
    # listing's _clean keeps; the title is not used for the report, the article's is)
    assert " ".join((first.title or "").split()) == (
        "APD Seeking Public's Assistance in Identifying Robbery Suspects"
    )
    # the entry date is the list's release-date field, read in Texas time
    assert first.published_at == datetime(2020, 3, 5, 6, 0, tzinfo=UTC)
    assert next_page(response, css=spider.next_css) == (
        "http://austintexas.gov/department/news/296?page=1"
    )


def test_release_title_date_and_text_from_the_real_layout() -> None:
    spider = TxAustinApdSpider
    article = parse_article(
        recorded(RELEASE),
        text_css=spider.text_css,
        title_css=spider.title_css,
        date_css=spider.date_css,
        state="TX",
    )
    # the hero h1, not the release header's second <h1> ("City of Austin")
    assert article.title == "Fatality Crash #18"
    # <time datetime="00Z">: the attribute holds no date, the text "Feb. 19, 2020" does
    assert article.published_at == datetime(2020, 2, 19, 6, 0, tzinfo=UTC)
    assert article.url == "http://austintexas.gov/news/fatality-crash-18-2"
    assert "Vehicular Homicide Unit" in article.text
    assert "Instagram" not in article.text
