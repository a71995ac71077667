"""The classifier's data files (crawlers/data/*.csv, warehouse/taxonomies/providers.csv):
they load, say why each row is there, and each row does what it says on its own example."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from crawlers import classify, phrase_tables
from crawlers.phrase_tables import TableError
from warehouse import taxonomy

DATA = Path(phrase_tables.DATA_DIR)
TABLES = (
    "phrase_parts.csv",
    "outage_phrases.csv",
    "works_phrases.csv",
    "restored_phrases.csv",
    "not_outage_vetoes.csv",
    "event_codes.csv",
)
NEVER = re.compile(r"(?!)")


def _raw(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_table_loads() -> None:
    assert len(phrase_tables.parts()) >= 10
    assert len(phrase_tables.outage_phrases()) >= 30
    assert len(phrase_tables.works_phrases()) >= 5
    assert len(phrase_tables.restored_phrases()) >= 5
    assert set(phrase_tables.vetoes()) == set(phrase_tables.VETO_NAMES)
    assert phrase_tables.event_codes()
    # the engine runs on exactly these rows
    assert [p.regex for p in phrase_tables.outage_phrases()] == [
        rx for _, rx, *_ in classify._OUTAGE_PATTERNS
    ]


@pytest.mark.parametrize("name", TABLES)
def test_every_row_says_why(name: str) -> None:
    rows = _raw(name)
    assert rows
    empty = [i + 2 for i, row in enumerate(rows) if not (row.get("why") or "").strip()]
    assert not empty, f"{name}: rows on lines {empty} have no why"


@pytest.mark.parametrize("name", TABLES)
def test_no_duplicate_rows(name: str) -> None:
    rows = _raw(name)
    key = "code" if name == "event_codes.csv" else "pattern"
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=2):
        value = row[key] if key == "pattern" else f"{row['field']}:{row['code']}"
        assert value not in seen, f"{name} line {i} repeats line {seen[value]}"
        seen[value] = i
    names = [row.get("name") or row.get("family") for row in rows if "code" not in row]
    assert len(names) == len(set(names)), f"{name}: a name is used twice"


def test_every_building_block_is_used() -> None:
    templates = [p.pattern for p in phrase_tables.outage_phrases()]
    templates += [p.pattern for p in phrase_tables.works_phrases()]
    templates += [p.pattern for p in phrase_tables.restored_phrases()]
    templates += list(phrase_tables.parts().values())
    used = {m for t in templates for m in re.findall(r"<([A-Z_]+)>", t)}
    used.add("TERM")  # the engine's own 911 finder
    assert set(phrase_tables.parts()) <= used


def _found_by_engine(example: str, keywords: tuple[str, ...]) -> bool:
    # the engine tries a regex only in a clause that holds one of its keywords
    return any(k in example.lower() for k in keywords)


@pytest.mark.parametrize("phrase", phrase_tables.outage_phrases(), ids=lambda p: p.family)
def test_outage_phrase_example_is_an_outage(phrase: phrase_tables.OutagePhrase) -> None:
    assert phrase.regex.search(phrase.example), "the example does not match its own pattern"
    assert _found_by_engine(phrase.example, phrase.keywords)
    result = classify.classify_text(phrase.example)
    assert result.is_outage and result.status in ("outage", "update"), result


@pytest.mark.parametrize("phrase", phrase_tables.works_phrases(), ids=lambda p: p.name)
def test_works_phrase_example_is_no_outage(phrase: phrase_tables.WorksPhrase) -> None:
    assert phrase.regex.search(phrase.example)
    assert _found_by_engine(phrase.example, phrase.keywords)
    result = classify.classify_text(phrase.example)
    assert not result.is_outage and result.status == "not_outage", result


@pytest.mark.parametrize("phrase", phrase_tables.restored_phrases(), ids=lambda p: p.name)
def test_restored_phrase_example_is_a_restoration(phrase: phrase_tables.RestoredPhrase) -> None:
    assert phrase.regex.search(phrase.example)
    assert _found_by_engine(phrase.example, phrase.keywords)
    result = classify.classify_text(phrase.example)
    assert result.is_outage and result.status == "restored", result


def _classify_example(veto: phrase_tables.Veto) -> classify.Classification:
    if veto.example_field == "event":
        alert = classify.AlertText(
            event_code="CEM", event=veto.example, description="911 service is down."
        )
        return classify.classify_alert(alert)
    return classify.classify_text(veto.example)


@pytest.mark.parametrize("veto", phrase_tables.vetoes().values(), ids=lambda v: v.name)
def test_veto_decides_its_example(
    veto: phrase_tables.Veto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example classifies as the row says, and differently without the veto: each veto
    beats a phrase that would otherwise have decided."""
    with_veto = _classify_example(veto)
    assert with_veto.status == veto.expect, with_veto
    monkeypatch.setitem(classify._VETOES, veto.name, NEVER)
    without = _classify_example(veto)
    assert without != with_veto, "the veto changes nothing on its example"


def test_event_codes_classify_as_listed() -> None:
    for code in phrase_tables.event_codes():
        if code.field == "same_code":
            alert = classify.AlertText(event_code=code.code, description="911 service is down.")
        else:
            alert = classify.AlertText(
                event_code="CEM", cap_status=code.code.title(), description="911 service is down."
            )
        result = classify.classify_alert(alert)
        expected = "test" if code.meaning == "test" else "outage"
        assert result.status == expected, (code, result)


def test_provider_aliases_map_to_their_providers() -> None:
    rows = taxonomy.providers()
    owner: dict[str, str] = {}
    for row in rows:
        assert row["match"] in ("any", "cased", "guarded"), row
        assert row["kind"] in ("carrier", "vendor"), row
        alias = row["alias"].lower()
        assert owner.setdefault(alias, row["provider"]) == row["provider"], (
            f"alias {row['alias']!r} is listed for two providers"
        )
        found = classify.find_provider(f"An outage at {row['alias']} affected 911 service.")
        assert found == (row["provider"], row["alias"]), (row, found)
    assert {r["provider"] for r in rows} == set(taxonomy.provider_names())


def test_cased_aliases_do_not_match_as_ordinary_words() -> None:
    lower_aliases = {r["alias"].lower() for r in taxonomy.providers() if r["match"] != "cased"}
    for row in taxonomy.providers():
        if row["match"] != "cased" or row["alias"].lower() in lower_aliases:
            continue
        text = f"the {row['alias'].lower()} of the county"
        assert classify.find_provider(text) is None, row


def _broken_copy(tmp_path: Path, name: str, edit: Callable[[str], str]) -> None:
    for table in TABLES:
        shutil.copy(DATA / table, tmp_path / table)
    path = tmp_path / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "loader", "edit", "message"),
    [
        (
            "outage_phrases.csv",
            "outage_phrases",
            lambda s: s.replace("subject_state,0.9,", "subject_state,high,", 1),
            "outage_phrases.csv line 2: weight 'high' is not a number",
        ),
        (
            "outage_phrases.csv",
            "outage_phrases",
            lambda s: s.replace("<SUBJ_ANY><GAP><REL>", "<SUBJ_ANY><GAPS><REL>", 1),
            "outage_phrases.csv line 2: unknown building block(s) GAPS",
        ),
        (
            "restored_phrases.csv",
            "restored_phrases",
            lambda s: s.replace("restored_01,strong", "restored_01,sure", 1),
            "restored_phrases.csv line 2: strength must be strong or weak",
        ),
        (
            "works_phrases.csv",
            "works_phrases",
            lambda s: s.replace("works_01,", "works_01,,", 1),
            "works_phrases.csv line 2: more cells than columns",
        ),
        (
            "not_outage_vetoes.csv",
            "vetoes",
            lambda s: s.replace("\\b(?:call|dial|text", "\\b(?:call|dial|(text", 1),
            "not_outage_vetoes.csv line 2: pattern is not a valid regular expression",
        ),
    ],
)
def test_a_malformed_row_names_its_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    loader: str,
    edit: Callable[[str], str],
    message: str,
) -> None:
    _broken_copy(tmp_path, name, edit)
    monkeypatch.setattr(phrase_tables, "DATA_DIR", tmp_path)
    with pytest.raises(TableError, match=re.escape(message)):
        getattr(phrase_tables, loader).__wrapped__()  # the uncached loader


def test_the_tables_are_part_of_the_crawler_code_version() -> None:
    """A page remembered as parsed is parsed again after a table changes (crawlers/pages.py)."""
    from crawlers import pages

    root = Path(pages._PACKAGE_ROOT)
    covered = {p.resolve() for g in pages._CODE_GLOBS for p in root.glob(g)}
    for table in TABLES + ("cause_phrases.csv",):
        assert (DATA / table).resolve() in covered, table
    assert (root / "warehouse/taxonomies/providers.csv").resolve() in covered
