"""ma_bpd (Boston Police Department news) beyond its golden cases: the --since cut-off of
the pager, full posts versus excerpts, and loud failures when the post layout is not there.

Each test runs the real spider through the golden harness on a copy of a fixture case
whose body or arguments are changed, so what is tested is what a crawl would do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crawlers.archive import write_records
from demo.build_snapshot import demo_records
from tests.conftest import outages, query
from tests.golden import FIXTURES, run_case

REAL = FIXTURES / "ma_bpd" / "real_2018-05-31_commendations_not_outage"
LISTING = FIXTURES / "ma_bpd" / "listing_constructed_2007-01-25_east_boston_outage"
WP_LISTING = FIXTURES / "ma_bpd" / "listing_constructed_police_boston_gov"
WP_POST = FIXTURES / "ma_bpd" / "post_constructed_2024-06-18_statewide_outage"


def variant(tmp_path: Path, source: Path, *, body=None, **case_changes) -> Path:
    """A copy of a case under tmp_path/ma_bpd/ (the harness takes the spider from the
    folder's parent), with its body edited and case.json keys replaced."""
    folder = tmp_path / "ma_bpd" / source.name
    shutil.copytree(source, folder)
    if body is not None:
        page = folder / "response.html"
        page.write_text(body(page.read_text(encoding="utf-8")), encoding="utf-8")
    case = json.loads((folder / "case.json").read_text())
    case.update(case_changes)
    (folder / "case.json").write_text(json.dumps(case))
    return folder


def test_older_page_is_followed_only_while_posts_are_not_older_than_since(
    tmp_path: Path,
) -> None:
    followed = run_case(LISTING)
    assert followed["requests"] == ["https://bpdnews.com/news?offset=1169744400000"]
    # the 2007 post is older than --since 2010-01-01: the older page holds nothing newer
    stopped = run_case(variant(tmp_path, LISTING, spider_args={"since": "2010-01-01"}))
    assert stopped["requests"] == []
    assert len(stopped["items"]) == 2


def test_each_post_of_a_list_page_is_its_own_report(tmp_path: Path) -> None:
    result = run_case(LISTING)
    ids = [item["report_id"] for item in result["items"]]
    assert len(set(ids)) == 2
    outage = [item for item in result["items"] if item["is_outage"]]
    assert [item["title"] for item in outage] == [
        "911 Interruption Briefly Experienced in East Boston"
    ]


def test_a_page_without_posts_is_a_recorded_error(tmp_path: Path) -> None:
    # e.g. a redesign, or a login/error page served with status 200
    folder = variant(
        tmp_path, REAL, body=lambda _: "<html><body><h1>Page not found</h1></body></html>"
    )
    result = run_case(folder)
    assert result["items"] == []
    assert [(e["stage"], e["error_type"]) for e in result["errors"]] == [("parse", "PageError")]
    assert "no posts" in result["errors"][0]["message"]


def test_list_entries_with_excerpts_only_are_followed_to_their_post_pages() -> None:
    result = run_case(WP_LISTING)
    assert result["items"] == []
    assert result["requests"] == [
        "https://police.boston.gov/2025/12/22/crime-statistics-january-1-2025-december-21-2025-vs-2024/",
        "https://police.boston.gov/2024/06/18/911-is-currently-down-statewide/",
        "https://police.boston.gov/stories-in-the-news/page/2/",
    ]


def test_a_full_post_in_a_list_is_not_fetched_again() -> None:
    # Squarespace lists carry the text: reports, and no request per post
    result = run_case(LISTING)
    assert not [url for url in result["requests"] if "/news/2018/" in url or "/blog/" in url]


def test_a_post_page_whose_body_is_gone_fails_loudly(tmp_path: Path) -> None:
    # a redesign renames the body: the post page has a title, no text and no post link
    folder = variant(
        tmp_path,
        WP_POST,
        body=lambda html: html.replace('class="entry-content clear"', 'class="ast-content"'),
    )
    result = run_case(folder)
    assert result["items"] == [] and result["requests"] == []
    assert result["errors"][0]["error_type"] == "PageError"
    assert "has no text" in result["errors"][0]["message"]


def test_a_list_entry_without_text_or_post_link_fails_loudly_and_earlier_posts_are_kept(
    tmp_path: Path,
) -> None:
    def unlink_and_empty_second(html: str) -> str:
        first, second = html.split('id="article-constructed-2007-01-25"', 1)
        second = second.replace('class="body entry-content"', 'class="sqs-gallery"')
        second = second.replace(
            '<a href="/blog/2007/01/25/911-interruption-briefly-experienced-in-east-boston">'
            "911 Interruption",
            "<span>911 Interruption",
        )
        return first + 'id="article-constructed-2007-01-25"' + second

    result = run_case(variant(tmp_path, LISTING, body=unlink_and_empty_second))
    assert len(result["items"]) == 1
    assert result["errors"][0]["error_type"] == "PageError"
    assert "no post link" in result["errors"][0]["message"]


def test_a_post_page_follows_neither_related_posts_nor_its_next_post_link(
    tmp_path: Path,
) -> None:
    teaser = (
        '<article class="ast-related-post"><h3 class="entry-title"><a href="'
        'https://police.boston.gov/2024/06/17/an-older-post/">An older post</a></h3>'
        '<div class="ast-related-post-excerpt"><p>Excerpt.</p></div></article>'
        '<nav class="post-navigation"><a rel="next" href="'
        'https://police.boston.gov/2024/06/19/the-next-post/">Next Post</a></nav>'
    )
    folder = variant(
        tmp_path, WP_POST, body=lambda html: html.replace("</main>", teaser + "</main>")
    )
    result = run_case(folder)
    assert [item["title"] for item in result["items"]] == ["911 is Currently Down Statewide"]
    assert result["requests"] == [] and result["errors"] == []


@pytest.mark.slow
def test_replayed_through_the_real_engine_into_the_warehouse(tmp_path: Path) -> None:
    """`outages crawl ma_bpd --replay`: the start list (police.boston.gov) is followed to
    the recorded post page; the follow-ups that were never recorded are errors, not
    silence."""
    archive = tmp_path / "ma_bpd.warc.gz"
    write_records(archive, demo_records(FIXTURES, spiders=["ma_bpd"], demo_only=False))
    data_dir = tmp_path / "data"
    result = outages(
        "crawl", "ma_bpd", "--replay", str(archive), "--since", "2024-01-01", data_dir=data_dir
    )
    assert "Traceback" not in result.stderr
    rows = query(
        data_dir,
        "SELECT source_url, is_outage, status, state_codes, is_constructed FROM reports "
        "ORDER BY source_url",
    )
    # the recorded real BPDNews list (its former address, replayed as a listing too) gives
    # its one real post, not an outage
    assert rows == [
        (
            "https://bpdnews.com/news/2018/5/31/great-work-recognized-members-of-the-boston-"
            "police-department-and-dea-awarded-commissioners-commendations-for-outstanding-work",
            False,
            "not_outage",
            ["MA"],
            False,
        ),
        (
            "https://police.boston.gov/2024/06/18/911-is-currently-down-statewide/",
            True,
            "outage",
            ["MA"],
            True,
        ),
    ]
    errors = query(data_dir, "SELECT url, error_type FROM crawl_errors ORDER BY url")
    assert errors == [
        (
            "https://police.boston.gov/2025/12/22/"
            "crime-statistics-january-1-2025-december-21-2025-vs-2024/",
            "NotInArchive",
        ),
        ("https://police.boston.gov/stories-in-the-news/page/2/", "NotInArchive"),
    ]
    assert query(data_dir, "SELECT status FROM crawl_runs") == [("partial",)]
