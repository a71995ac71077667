"""Each spider says what its parser was checked against (`verified_with`), truthfully.

A claimed case is a folder tests/fixtures/spiders/<spider>/<case>/ whose case.json says
`"constructed": false` and carries a `provenance` object: {source, retrieved_via, changes}.
A spider with no real case says why (`unverified_because`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.registry import spider_classes
from tests.golden import FIXTURES
from warehouse.sources import declared, verified_text

PROVENANCE_KEYS = ("source", "retrieved_via", "changes")
SPIDERS = spider_classes()


def real_case_problems(case_dir: Path) -> list[str]:
    """Why a fixture folder is not a real recorded case (empty when it is one)."""
    case_file = case_dir / "case.json"
    if not case_file.is_file():
        return [f"{case_dir}: no such case (no case.json)"]
    case = json.loads(case_file.read_text(encoding="utf-8"))
    problems = []
    if case.get("constructed") is not False:
        problems.append(f'{case_dir.name}: case.json does not say "constructed": false')
    provenance = case.get("provenance")
    if not isinstance(provenance, dict):
        problems.append(f"{case_dir.name}: case.json has no provenance object")
    else:
        for key in PROVENANCE_KEYS:
            value = provenance.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{case_dir.name}: provenance.{key} is missing or empty")
    if not list(case_dir.glob("response.*")):
        problems.append(f"{case_dir.name}: no recorded response.* file")
    return problems


@pytest.mark.parametrize("spider", SPIDERS, ids=lambda s: s.name)
def test_every_spider_says_what_its_parser_was_checked_against(spider: type) -> None:
    verified = spider.verified_with
    assert isinstance(verified, tuple), f"{spider.name}.verified_with must be a tuple"
    if verified:
        assert len(set(verified)) == len(verified), f"{spider.name} claims a case twice"
    else:
        reason = spider.unverified_because
        assert isinstance(reason, str) and reason.strip(), (
            f"{spider.name} claims no real case and does not say why (unverified_because)"
        )


@pytest.mark.parametrize("spider", SPIDERS, ids=lambda s: s.name)
def test_every_claimed_case_is_real_recorded_material(spider: type) -> None:
    problems = [
        p
        for case in spider.verified_with
        for p in real_case_problems(FIXTURES / spider.name / case)
    ]
    assert not problems, f"{spider.name}: " + "; ".join(problems)


@pytest.mark.parametrize("spider", SPIDERS, ids=lambda s: s.name)
def test_every_spider_records_robots_and_terms(spider: type) -> None:
    assert isinstance(spider.robots_txt, str) and spider.robots_txt.strip()
    assert isinstance(spider.terms, str) and spider.terms.strip()


def write_case(folder: Path, case: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "case.json").write_text(json.dumps(case))
    (folder / "response.json").write_text("{}")
    return folder


def test_a_case_without_provenance_is_not_real(tmp_path: Path) -> None:
    bare = write_case(tmp_path / "bare", {"url": "https://example.org/", "constructed": False})
    assert any("no provenance" in p for p in real_case_problems(bare))


def test_a_constructed_case_is_not_real(tmp_path: Path) -> None:
    provenance = {"source": "s", "retrieved_via": "r", "changes": "none"}
    made = write_case(tmp_path / "made", {"constructed": True, "provenance": provenance})
    assert any("constructed" in p for p in real_case_problems(made))


def test_an_incomplete_provenance_is_not_real(tmp_path: Path) -> None:
    partial = write_case(
        tmp_path / "partial", {"constructed": False, "provenance": {"source": "a repo"}}
    )
    problems = real_case_problems(partial)
    assert any("retrieved_via" in p for p in problems) and any("changes" in p for p in problems)


def test_a_missing_case_is_not_real(tmp_path: Path) -> None:
    assert real_case_problems(tmp_path / "nowhere")


def test_a_complete_real_case_passes(tmp_path: Path) -> None:
    provenance = {"source": "a repo@commit:path", "retrieved_via": "read_file", "changes": "none"}
    real = write_case(tmp_path / "real", {"constructed": False, "provenance": provenance})
    assert real_case_problems(real) == []


def test_the_words_shown_for_it() -> None:
    assert verified_text(3) == "3 real pages"
    assert verified_text(1) == "1 real page"
    assert verified_text(3, long=True) == "parser checked against 3 recorded real pages"
    assert verified_text(0) == "not yet checked against the real source"
    assert verified_text(0, long=True) == "not yet checked against the real source"
    # a source with no remote page says how it is checked instead; real pages still count first
    assert verified_text(0, checked_by="checked by a rule") == "checked by a rule"
    assert verified_text(0, long=True, checked_by="checked by a rule") == "checked by a rule"
    assert verified_text(2, checked_by="checked by a rule") == "2 real pages"


@pytest.mark.parametrize("spider", SPIDERS, ids=lambda s: s.name)
def test_only_a_source_with_no_remote_page_says_it_is_checked_another_way(spider: type) -> None:
    """`checked_by` replaces "not yet checked against the real source" only where there is
    no real page to record: a spider that fetches from a host must show its real cases."""
    if spider.checked_by is None:
        return
    assert not spider.allowed_domains, f"{spider.name} fetches from a host: no checked_by"
    assert isinstance(spider.checked_by, str) and spider.checked_by.strip()
    assert "live" not in spider.checked_by  # no claim of a check against a live site


def test_the_curated_record_says_truthfully_what_it_is_checked_by() -> None:
    from crawlers.spiders.curated import CuratedSpider

    row = declared(CuratedSpider)
    assert row["verified_with"] == [] and row["unverified_because"]
    assert row["checked"] == row["checked_by"] == CuratedSpider.checked_by
    assert "not yet checked" not in row["checked"]
    assert "hand-curated" in row["checked"] and "`outages curated check`" in row["checked"]
    # and every other spider still shows its real cases, or "not yet checked"
    others = [declared(s) for s in SPIDERS if s is not CuratedSpider]
    assert all(r["checked_by"] is None for r in others)
    assert all(r["checked"] == verified_text(r["verified_count"]) for r in others)


@pytest.mark.parametrize("spider", SPIDERS, ids=lambda s: s.name)
def test_the_declared_row_counts_the_claimed_cases(spider: type) -> None:
    row = declared(spider)
    assert row["verified_with"] == list(spider.verified_with)
    assert row["verified_count"] == len(spider.verified_with)
    assert row["checked"] == verified_text(len(spider.verified_with), checked_by=spider.checked_by)
    assert (row["unverified_because"] is None) == bool(spider.verified_with)


def test_the_published_sources_table_holds_every_spider_and_is_documented() -> None:
    import duckdb

    from warehouse.sources import write_sources_table

    con = duckdb.connect()
    assert write_sources_table(con, [declared(s) for s in SPIDERS]) == len(SPIDERS)
    rows = con.execute(
        "SELECT spider, verified_with, verified_count, unverified_because, checked_by FROM sources"
    ).fetchall()
    assert {r[0]: r[1:] for r in rows} == {
        s.name: (
            list(s.verified_with),
            len(s.verified_with),
            declared(s)["unverified_because"],
            s.checked_by,
        )
        for s in SPIDERS
    }
    columns = [r[0] for r in con.execute("DESCRIBE sources").fetchall()]
    dictionary = (Path(__file__).parents[1] / "docs" / "data-dictionary.md").read_text()
    section = dictionary.split("## `sources`", 1)[1].split("\n## ", 1)[0]
    documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert documented == columns


def test_the_stored_table_gives_back_the_records_it_was_given() -> None:
    """The warehouse's readers (status.json, incident titles, the About page) read the
    stored table instead of the spiders: it must give back exactly what they declared."""
    import duckdb

    from crawlers.registry import source_records
    from warehouse.sources import stored_sources, write_sources_table

    records = source_records()
    con = duckdb.connect()
    assert stored_sources(con) == []  # no table yet: no sources, not an error
    write_sources_table(con, list(reversed(records)))
    assert stored_sources(con) == sorted(records, key=lambda r: r["spider"])
