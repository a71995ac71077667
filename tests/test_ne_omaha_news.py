"""City of Omaha (ne_omaha_news): the banner and the dateline, on the real homepage."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse, Request

from crawlers.spiders.ne_omaha_news import (
    NeOmahaNewsSpider,
    banner_text,
    dateline,
    opening_paragraph,
)

CASES = Path(__file__).parent / "fixtures/spiders/ne_omaha_news"
REAL = CASES / "real_2018-03-25_homepage_news_and_banner/response.html"
HOME = "https://www.cityofomaha.org/"


def real_home(html: str | None = None) -> HtmlResponse:
    body = REAL.read_bytes() if html is None else html.encode()
    request = Request(
        HOME,
        meta={
            "fetched_at": datetime(2018, 3, 25, 12, tzinfo=UTC),
            "constructed": False,
            "archive_ref": "test",
        },
    )
    return HtmlResponse(HOME, body=body, encoding="utf-8", request=request)


def test_the_real_banner_is_read_whole_and_the_empty_banner_is_nothing() -> None:
    text = banner_text(real_home())
    assert text is not None
    assert text.startswith("WEEKEND TRAFFIC ALERT: The second phase of bridge demolition")
    assert text.endswith("Please drive carefully through the construction area.")
    assert "\xa0" not in text and "  " not in text
    # no banner (the module switched off): no report, the news list still read
    html = re.sub(r'<div class="news_scroll">.*?</div>', "", REAL.read_text(), flags=re.S)
    page = real_home(html)
    assert banner_text(page) is None
    outputs = list(NeOmahaNewsSpider().parse_listing(page))
    assert outputs and all(isinstance(o, Request) for o in outputs)


def test_a_changed_banner_is_another_report_and_the_same_banner_the_same_one() -> None:
    spider = NeOmahaNewsSpider()
    first = next(spider.banner_reports(real_home()))
    again = next(spider.banner_reports(real_home()))
    notice = (
        "911 OUTAGE: Douglas County 911 is not receiving calls. In an emergency call 402-444-5802."
    )
    html = REAL.read_text().replace("WEEKEND TRAFFIC ALERT:", notice + " WEEKEND TRAFFIC ALERT:")
    changed = next(spider.banner_reports(real_home(html)))
    assert first["report_id"] == again["report_id"]
    assert changed["report_id"] != first["report_id"]
    assert first["title"] == "WEEKEND TRAFFIC ALERT"
    assert changed["title"] == "911 OUTAGE"
    assert changed["source_url"] == HOME
    assert changed["published_at"] is None  # the banner gives no date


def test_the_datelines_of_the_real_releases() -> None:
    # both forms the real homepage's teasers open with
    assert dateline("(February 16, 2018)") == datetime(2018, 2, 16, 6, tzinfo=UTC)
    assert dateline("January 29, 2018 -\xa0Omaha Mayor Jean Stothert will again award") == (
        datetime(2018, 1, 29, 6, tzinfo=UTC)
    )
    assert dateline("Another Omaha Police recruit class graduated today") is None
    assert dateline(None) is None


def test_the_opening_paragraph_is_the_article_bodys_first() -> None:
    # the real featured article opens with its welcome (no dateline): no date from it
    home = real_home()
    assert opening_paragraph(home).startswith("Thank you for visiting the City of Omaha website")
    assert opening_paragraph(HtmlResponse(HOME, body=b"<html><body><p>x</p></body></html>")) is None


def test_news_urls_of_the_real_page_match_the_article_pattern() -> None:
    pattern = re.compile(NeOmahaNewsSpider.article_allow)
    hrefs = re.findall(r'href="(/latest-news/[^"]+)"', REAL.read_text())
    assert len(set(hrefs)) == 10
    assert all(pattern.search("https://www.cityofomaha.org" + h) for h in hrefs)
    assert not pattern.search(HOME)
    assert not pattern.search("https://www.cityofomaha.org/city-departments")
    assert not pattern.search("https://www.cityofomaha.org/latest-news")


def test_an_outage_notice_in_the_real_banner_is_an_outage_report() -> None:
    """A made-up notice (wording of the World-Herald's 2023-08-31 report: Douglas County's
    alternate number) in the real page's banner, through the real pipelines."""
    from scrapy.utils.test import get_crawler

    from crawlers.pipelines import ClassifyPipeline, NormalizePipeline, ValidatePipeline

    notice = (
        "911 OUTAGE: Douglas County 911 is not receiving calls. In an emergency call 402-444-5802."
    )
    html = re.sub(
        r"(<marquee[^>]*>).*?(</marquee>)", rf"\1<p>{notice}</p>\2", REAL.read_text(), flags=re.S
    )
    crawler = get_crawler(NeOmahaNewsSpider)
    crawler.spider = crawler._create_spider()
    item = next(crawler.spider.banner_reports(real_home(html)))
    for cls in (NormalizePipeline, ClassifyPipeline, ValidatePipeline):
        item = cls(crawler).process_item(item)
    assert (item["is_outage"], item["status"]) == (True, "outage")
    assert item["backup_phone"] == "402-444-5802"
    assert item["county_fips"] == ["31055"]  # Douglas County
