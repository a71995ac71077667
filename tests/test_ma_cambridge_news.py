"""ma_cambridge_news on its real recorded page (the City of Cambridge homepage of March
2018, recorded by silverfoxy/JSCryptoMinerStudy): what the real layout taught the parser,
and the item URL pattern on the URL forms the stored copies show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from crawlers.items import make_report_id
from crawlers.spiders.formats.article import listing_entries, next_page
from crawlers.spiders.ma_cambridge_news import MaCambridgeNewsSpider, without_default_port
from tests.golden import recorded_html

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
HOME = "ma_cambridge_news/real_2018-03-17_homepage_news_list"


def test_homepage_news_block_gives_each_item_once_with_its_title() -> None:
    spider = MaCambridgeNewsSpider
    response = recorded_html(HOME)
    assert spider().is_listing(response)
    entries = listing_entries(
        response,
        item_css=spider.item_css,
        link_css=spider.link_css,
        allow=spider.article_allow,
        state="MA",
    )
    # 7 items, each linked twice (image and title): once each, titled by the h2
    assert len(entries) == 7
    assert entries[0].url == "https://www.cambridgema.gov/news/2018/03/earthhourcelebration"
    assert entries[0].title == "Earth Hour Cambridge Celebration March 24"
    # department items: capital "News", an unpadded month, two path segments before it
    urls = [e.url for e in entries]
    assert "https://www.cambridgema.gov/CDD/News/2018/3/cealightbulbswap" in urls
    assert "https://www.cambridgema.gov/DHSP/newsandevents/News/2018/03/jobfair" in urls
    # "View All" is the index, not an item; the block carries no dates, the homepage no pager
    assert "https://www.cambridgema.gov/news" not in urls
    assert all(e.published_at is None for e in entries)
    assert next_page(response, css=spider.next_css) is None


@pytest.mark.parametrize(
    ("url", "is_item"),
    [
        # a city item of the current site (stored text copy, corpus 'pages')
        (
            "https://www.cambridgema.gov/news/2025/04/"
            "thankadispatcheraspartofnationaltelecommunicatorsweekapril1420",
            True,
        ),
        # the current site's Sitecore detail link (cited by a stored file)
        (
            "https://www.cambridgema.gov/news/detail?path=%2Fsitecore%2Fcontent%2Fhome%2Fnews"
            "%2F2026%2F02%2Fcitymanagersignsexecutiveorder",
            True,
        ),
        ("https://www.cambridgema.gov/news", False),
        # the index's pages (stored text copy of page 334)
        (
            "https://www.cambridgema.gov/news?page=334&path=%2Fsitecore%2Fcontent%2Fhome"
            "&resultsPerPage=10",
            False,
        ),
        ("https://www.cambridgema.gov/Departments/emergencycommunications", False),
        # another city's news is not Cambridge's
        ("https://www.boston.gov/news/2018/03/something", False),
    ],
)
def test_item_pattern(url: str, is_item: bool) -> None:
    assert bool(re.search(MaCambridgeNewsSpider.article_allow, url)) is is_item


def test_the_index_is_a_listing_and_an_item_is_not() -> None:
    spider = MaCambridgeNewsSpider(since="2018-01-01", until="2018-03-17")
    index = HtmlResponse(
        "https://www.cambridgema.gov/news?page=2", body=b"<html></html>", encoding="utf-8"
    )
    item = HtmlResponse(
        "https://www.cambridgema.gov/news/2018/03/earthhourcelebration",
        body=b"<html></html>",
        encoding="utf-8",
    )
    assert spider.is_listing(index)
    assert not spider.is_listing(item)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.cambridgema.gov:443/en", "https://www.cambridgema.gov/en"),
        ("http://cambridgema.gov:80/news/2018/03/x", "http://cambridgema.gov/news/2018/03/x"),
        ("https://www.cambridgema.gov:8443/news", "https://www.cambridgema.gov:8443/news"),
        ("https://www.cambridgema.gov/news?page=2", "https://www.cambridgema.gov/news?page=2"),
    ],
)
def test_without_default_port(url: str, expected: str) -> None:
    assert without_default_port(url) == expected


def test_an_item_whose_og_url_names_the_port_has_one_address() -> None:
    """A made-up item page in the 2018 layout's manner (only its og:url with ':443' is taken
    from the recorded homepage): the report's address and id are those of the plain URL."""
    url = "https://www.cambridgema.gov/news/2018/03/earthhourcelebration"
    body = (
        b"<html><head><title>Earth Hour - City of Cambridge, MA</title>"
        b'<meta property="og:url" content="https://www.cambridgema.gov:443/news/2018/03/'
        b'earthhourcelebration">'
        b'<meta property="og:title" content="Earth Hour Cambridge Celebration March 24">'
        b"</head><body><main><h1>Earth Hour Cambridge Celebration March 24</h1>"
        b"<p>The City of Cambridge will participate in the worldwide Earth Hour Celebration "
        b"by turning off the lights at City Hall and other municipal buildings.</p>"
        b"</main></body></html>"
    )
    spider = MaCambridgeNewsSpider(since="2018-01-01", until="2018-03-17")
    fetched = datetime(2018, 3, 17, 21, 31, tzinfo=UTC)
    request = Request(url, meta={"fetched_at": fetched, "constructed": True})
    response = HtmlResponse(url, body=body, encoding="utf-8", request=request)
    (report,) = list(spider.parse_article_page(response))
    assert report["source_url"] == url
    assert report["report_id"] == make_report_id("ma_cambridge_news", url)
