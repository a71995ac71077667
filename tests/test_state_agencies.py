"""The state-agency spiders end to end: replay their fixture pages through the real engine
(`outages crawl ... --replay`), then read the published DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawlers.archive import write_records
from crawlers.spiders.base import PageError
from crawlers.spiders.formats.article import listing_entries, next_page, parse_article
from demo.build_snapshot import demo_records
from tests.conftest import outages, query
from tests.golden import recorded_html

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
SPIDERS = ["ma_state911", "ne_psc", "sd_dps", "tx_csec", "nv_lvmpd"]
MA_RELEASE = (
    "https://www.mass.gov/news/state-911-department-update-on-the-june-18-statewide-911-outage"
)
TX_PAGE2 = "https://www.csec.texas.gov/news?page=1"


@pytest.fixture(scope="module")
def agencies_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("state-agencies")
    archive = tmp / "agencies.warc.gz"
    write_records(archive, demo_records(FIXTURES, spiders=SPIDERS, demo_only=False))
    data_dir = tmp / "data"
    # --since reaches back to the fixtures' listings, so their next pages are followed
    result = outages(
        "crawl",
        *SPIDERS,
        "--replay",
        str(archive),
        "--since",
        "2023-01-01",
        data_dir=data_dir,
        check=False,
    )
    (tmp / "stderr.txt").write_text(result.stderr)
    assert "Traceback" not in result.stderr
    return data_dir


@pytest.mark.slow
def test_reports_per_spider(agencies_dir: Path) -> None:
    counts = dict(query(agencies_dir, "SELECT source, count(*) FROM reports GROUP BY source"))
    # MA: 2 releases on page 1 and 1 on page 2; NE: 3 releases and 2 docket pages;
    # SD: 3 releases the listing links and the 3 recorded real releases (replayed from the
    # archive as pages of their own: no recorded listing links them); TX: 2 news items (page
    # 2 is empty); NV: 2 releases
    assert counts == {"ma_state911": 3, "ne_psc": 5, "sd_dps": 6, "tx_csec": 2, "nv_lvmpd": 2}
    # the recorded real releases are the only reports not labelled constructed
    assert query(
        agencies_dir, "SELECT source, count(*) FROM reports WHERE NOT is_constructed GROUP BY 1"
    ) == [("sd_dps", 3)]


@pytest.mark.slow
def test_massachusetts_june_18_release_is_an_outage_with_its_times(agencies_dir: Path) -> None:
    rows = query(
        agencies_dir,
        "SELECT is_outage, state_codes, started_at, ended_at, cause, stated_duration_minutes, "
        "json_extract_string(field_evidence, '$.started_at') "
        "FROM reports WHERE source_url = ?",
        [MA_RELEASE],
    )
    assert len(rows) == 1
    is_outage, states, started, ended, cause, minutes, start_span = rows[0]
    assert is_outage and states == ["MA"]
    assert started == datetime(2024, 6, 18, 17, 15, tzinfo=UTC)  # 1:15 p.m. EDT
    assert ended == datetime(2024, 6, 18, 19, 15, tzinfo=UTC)  # 3:15 p.m. EDT
    assert cause == "firewall_or_security_device" and minutes == 120
    assert start_span == "1:15 p.m. on June 18"


@pytest.mark.slow
def test_articles_not_about_an_outage_are_not_outages(agencies_dir: Path) -> None:
    rows = query(
        agencies_dir,
        "SELECT source, is_outage, status FROM reports WHERE title ILIKE '%telecommunicators%' "
        "OR title ILIKE '%3-1-1%' OR title ILIKE '%rule 251.2%' OR title ILIKE '%Text-to-9-1-1%'",
    )
    assert {r[0] for r in rows} == set(SPIDERS)
    assert all(not is_outage and status == "not_outage" for _, is_outage, status in rows)
    outages_by_source = dict(
        query(agencies_dir, "SELECT source, count(*) FROM reports WHERE is_outage GROUP BY 1")
    )
    assert outages_by_source == {
        "ma_state911": 1,
        "ne_psc": 4,
        "sd_dps": 2,
        "tx_csec": 1,
        "nv_lvmpd": 1,
    }


@pytest.mark.slow
def test_empty_listing_page_is_recorded_and_the_crawl_goes_on(agencies_dir: Path) -> None:
    errors = query(agencies_dir, "SELECT spider, url, stage, error_type FROM crawl_errors")
    assert errors == [("tx_csec", TX_PAGE2, "parse", "PageError")]
    runs = dict(query(agencies_dir, "SELECT spider, status FROM crawl_runs"))
    assert runs == {
        "ma_state911": "ok",
        "ne_psc": "ok",
        "sd_dps": "ok",
        "tx_csec": "partial",
        "nv_lvmpd": "ok",
    }


# --------------------------------------------------------------------------------------
# The article format on its own (fast): metadata first, generic fallbacks, loud failures
# --------------------------------------------------------------------------------------


def fixture_response(spider: str, case: str, *, url: str | None = None, edit=None) -> HtmlResponse:
    return recorded_html(f"{spider}/{case}", url=url, edit=edit)


def test_article_metadata_and_main_text() -> None:
    article = parse_article(
        fixture_response("ma_state911", "article_2024-06-18_outage"), state="MA"
    )
    assert article.url == MA_RELEASE
    assert article.title == "State 911 Department update on the June 18 statewide 911 outage"
    assert article.published_at == datetime(2024, 6, 19, 21, 30, tzinfo=UTC)
    assert article.date_source == "json-ld"
    assert "fully restored at 3:15 p.m." in article.text
    assert "Privacy Policy" not in article.text and "Skip to main content" not in article.text


def test_a_redesign_without_metadata_or_classes_still_parses() -> None:
    import re

    def redesign(html: str) -> str:
        html = re.sub(r"<(?:meta|link|script)[^>]*?(?:/>|>(?:</script>)?)", "", html)
        return re.sub(r'class="[^"]*"', 'class="x"', html)

    response = fixture_response("ma_state911", "article_2024-06-18_outage", edit=redesign)
    article = parse_article(response, text_css=".ma__rich-text", state="MA")
    assert article.title.startswith("State 911 Department update")  # from <h1>
    assert article.published_at is not None and article.published_at.date().isoformat() in (
        "2024-06-18",
        "2024-06-19",
    )
    assert "firewall" in article.text
    listing = fixture_response("ma_state911", "listing_page1", edit=redesign)
    entries = listing_entries(
        listing,
        item_css=".ma__press-teaser",
        link_css=".ma__press-teaser__title a",
        allow=r"^https://(?:www\.)?mass\.gov/news/[\w-]+/?$",
    )
    assert [e.url for e in entries][0] == MA_RELEASE  # the generic fallback found them
    assert next_page(listing) == "https://www.mass.gov/orgs/state-911-department/news?page=1"


def test_a_listing_without_article_links_fails_loudly() -> None:
    with pytest.raises(PageError, match="no article links"):
        listing_entries(
            fixture_response("tx_csec", "listing_page2_no_entries"),
            allow=r"/news/[\w-]+$",
        )


def test_a_page_without_text_is_a_page_error() -> None:
    response = HtmlResponse(
        "https://www.csec.texas.gov/news/x", body=b"<html><body><h1>T</h1></body></html>"
    )
    with pytest.raises(PageError):
        parse_article(response)


def test_a_saved_page_is_keyed_by_its_canonical_url() -> None:
    path = FIXTURES / "sd_dps" / "article_2024-04-17_outage" / "response.html"
    response = HtmlResponse(path.as_uri(), body=path.read_bytes(), encoding="utf-8")
    assert (
        parse_article(response).url
        == "https://news.sd.gov/news?id=news_kb_article_view&sysparm_article=KB9000001"
    )


def test_a_fragment_page_is_read_by_the_spiders_selector_without_extractor_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """news.sd.gov serves a release as a bare <article> fragment (real KB0047023):
    trafilatura refuses a one-element tree and logged an ERROR for each; the spider's own
    body selector reads it instead, and gets the release's words."""
    from crawlers.spiders.sd_dps import SdDpsSpider

    case = FIXTURES / "sd_dps" / "real_2026-08-19_KB0047023_not_outage"
    response = HtmlResponse(
        url="https://news.sd.gov/kb_view.do?sysparm_article=KB0047023",
        body=(case / "response.html").read_bytes(),
        encoding="utf-8",
    )
    with caplog.at_level("DEBUG"):
        article = parse_article(
            response,
            text_css=SdDpsSpider.text_css,
            title_css=SdDpsSpider.title_css,
            date_css=SdDpsSpider.date_css,
            state="SD",
        )
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]
    assert article.title == (
        "Gov. Rhoden Awards Rural Health Transformation Technology and Data Grants"
    )
    assert article.text.startswith("FOR IMMEDIATE RELEASE")
    assert "Article Body" not in article.text  # the hidden heading stays out
    assert "PIERRE, S.D." in article.text
