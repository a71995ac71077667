"""The Texas city sources on their real recorded pages: what the real layouts taught the
parsers. tx_austin_apd: APD listing and release of 2020 (recorded by scrapd/scrapd);
tx_fortworth_news: the city homepage's News list of 2018 (recorded by
silverfoxy/JSCryptoMinerStudy)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawlers.spiders.formats.article import listing_entries, next_page, parse_article
from crawlers.spiders.tx_austin_apd import TxAustinApdSpider
from crawlers.spiders.tx_fortworth_news import TxFortworthNewsSpider
from tests.golden import recorded_html

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
LISTING = "tx_austin_apd/real_2020-03_police_news_listing"
RELEASE = "tx_austin_apd/real_2020-02-19_fatality_crash_18_not_outage"
FW_HOME = "tx_fortworth_news/real_2018-03-26_homepage_news_list"


def test_listing_follows_releases_not_unit_pages() -> None:
    spider = TxAustinApdSpider
    response = recorded_html(LISTING)
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
        recorded_html(RELEASE),
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


def test_fort_worth_homepage_news_list_gives_the_items_not_more_news() -> None:
    spider = TxFortworthNewsSpider
    response = recorded_html(FW_HOME)
    assert spider().is_listing(response)
    entries = listing_entries(
        response,
        item_css=spider.item_css,
        link_css=spider.link_css,
        allow=spider.article_allow,
        state="TX",
    )
    urls = [e.url for e in entries]
    assert len(urls) == 10
    assert urls[0] == "http://fortworthtexas.gov/news/2018/03/lake-country-jinkens-heights/"
    assert "http://fortworthtexas.gov/news/" not in urls  # "More News" is the index
    # the list carries no dates and the homepage no pager
    assert all(e.published_at is None for e in entries)
    assert next_page(response, css=spider.next_css) is None
