"""City of Las Vegas posts (nv_lasvegas): the body is the post's own words, on the real page."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse

from crawlers.spiders.nv_lasvegas import NvLasVegasSpider, post_text

REAL = (
    Path(__file__).parent
    / "fixtures/spiders/nv_lasvegas/real_2026-03-11_play_pickleball_not_outage/response.html"
)
URL = "https://www.lasvegasnevada.gov/News/Blog/Detail/play-pickleball-in-las-vegas"


def real_page() -> HtmlResponse:
    return HtmlResponse(URL, body=REAL.read_bytes(), encoding="utf-8")


def test_the_body_of_the_real_post_is_its_lead_paragraphs_and_list_without_the_footer() -> None:
    text = post_text(real_page())
    assert text is not None
    assert text.startswith("Pickleball is booming in Las Vegas!")
    # the list items the generic extractor dropped
    assert "Four at Aloha Shores Park" in text and "Eight at Police Memorial Park" in text
    # the footer the generic extractor kept: City Hall's switchboard and TTY line
    assert "229-6011" not in text and "TTY" not in text and "Subscribe" not in text


def test_a_page_without_the_post_body_leaves_the_generic_text() -> None:
    page = HtmlResponse(URL, body=b"<html><body><h1>T</h1><p>x</p></body></html>")
    assert post_text(page) is None


def test_post_urls_of_the_real_page_match_the_article_pattern() -> None:
    import re

    pattern = re.compile(NvLasVegasSpider.article_allow)
    assert pattern.search(URL)
    # the share links on the real page write "details"; the breadcrumb script adds /Id/<n>
    assert pattern.search(
        "https://www.lasvegasnevada.gov/News/Blog/details/play-pickleball-in-las-vegas"
    )
    assert pattern.search(URL + "/Id/11850")
    assert not pattern.search("https://www.lasvegasnevada.gov/News/Blog")
    assert not pattern.search("https://www.lasvegasnevada.gov/News/News-Releases")


def test_a_listing_in_the_real_page_chrome_yields_its_post_links_only() -> None:
    # the real page with its (empty) DNN content pane given two post links: the pane, not a
    # <main> the page does not have, is where a listing module would render
    from crawlers.spiders.formats.article import listing_entries

    html = REAL.read_text(encoding="utf-8").replace(
        '<div id="dnn_ContentPane" class="content-wrap py-clv pt-clv-md DNNEmptyPane"></div>',
        '<div id="dnn_ContentPane" class="content-wrap py-clv pt-clv-md">'
        '<a href="/News/Blog/Detail/first-post">First</a>'
        '<a href="https://www.lasvegasnevada.gov/News/Blog/Detail/second-post">Second</a>'
        '<a href="/News/Blog">All posts</a></div>',
    )
    listing = HtmlResponse(
        "https://www.lasvegasnevada.gov/News/News-Releases", body=html.encode(), encoding="utf-8"
    )
    entries = listing_entries(
        listing,
        item_css=NvLasVegasSpider.item_css,
        link_css=NvLasVegasSpider.link_css,
        allow=NvLasVegasSpider.article_allow,
    )
    assert [e.url for e in entries] == [
        "https://www.lasvegasnevada.gov/News/Blog/Detail/first-post",
        "https://www.lasvegasnevada.gov/News/Blog/Detail/second-post",
    ]
