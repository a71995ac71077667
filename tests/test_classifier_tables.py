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


# ---------------------------------------------------------------- backup-phone cues
CUES = phrase_tables.backup_phone_cues()


def test_the_backup_phone_engine_runs_on_the_cue_table() -> None:
    places = {cue.where for cue in CUES}
    assert places == set(phrase_tables.PHONE_CUE_PLACES)
    assert classify.phone_cue_groups(CUES) == classify._PHONE_CUES
    rows = _raw("backup_phone_cues.csv")
    assert len(rows) == len(CUES)
    assert all(row["why"].strip() and row["example"].strip() for row in rows)
    keys = [(row["where"], row["cue"]) for row in rows]
    assert len(keys) == len(set(keys)), "a cue is listed twice for one place"


def _one_number(example: str) -> tuple[str, int, int]:
    (scored,) = classify.phone_scores(example)  # every example holds exactly one number
    number = scored[1]
    start = example.find(number)
    assert start >= 0, f"write the number of {example!r} as NPA-NXX-XXXX"
    return number, start, start + len(number)


@pytest.mark.parametrize("cue", CUES, ids=lambda c: f"{c.where}-{c.cue}")
def test_backup_cue_decides_its_example(cue: phrase_tables.PhoneCue) -> None:
    """The cue is in its example where the row says; the example's number is the backup
    number (a cue for) or is not (a cue against), and the other way round without the row:
    each row decides its own example."""
    number, start, end = _one_number(cue.example)
    window = cue.example[end:] if cue.where == "after" else cue.example[:start]
    assert cue.regex.search(window), f"{cue.cue!r} is not {cue.where} the number"
    without = classify.phone_cue_groups(c for c in CUES if c != cue)
    found = classify.find_backup_phone(cue.example)
    found_without = classify.find_backup_phone(cue.example, without)
    if cue.weight > 0:
        assert found and found[0] == number, found
        assert found_without is None, "the example is the backup number without this cue too"
    else:
        assert found is None, found
        assert found_without and found_without[0] == number, "the cue changes nothing"


def test_cues_of_one_place_and_weight_count_once() -> None:
    """'If you cannot get through' holds three cues of one group: 3, not 9."""
    (only,) = classify.phone_scores("If you cannot get through, call 605-555-0100.")
    assert only[0] == 3 + 2


def test_removing_a_cue_changes_what_the_classifier_reports() -> None:
    """Through the whole classifier: without the 'media' cue a press line becomes the
    alert's backup number."""
    alert = classify.AlertText(
        event_code="TOE",
        description="911 service is down in Lincoln County. Media may call 605-555-0199.",
    )
    assert classify.classify_alert(alert).backup_phone is None
    without = classify.phone_cue_groups(c for c in CUES if (c.where, c.cue) != ("before", "media"))
    assert classify.find_backup_phone(alert.description, without)[0] == "605-555-0199"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("instead,before,3,", "instead,beside,3,", 1), "where must be"),
        (lambda s: s.replace("instead,before,3,", "instead,before,three,", 1), "whole number"),
        (lambda s: s.replace("police,label,2,", "police,label,-2,", 1), "does nothing"),
        (lambda s: s.replace("police,label,2,", "police,label,3,", 1), "the same score"),
        (lambda s: s.replace(",instead\n", ",(instead\n", 1), "not a valid regular expression"),
    ],
)
def test_a_malformed_cue_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str], str], message: str
) -> None:
    text = (DATA / "backup_phone_cues.csv").read_text(encoding="utf-8")
    (tmp_path / "backup_phone_cues.csv").write_text(edit(text), encoding="utf-8")
    monkeypatch.setattr(phrase_tables, "DATA_DIR", tmp_path)
    with pytest.raises(TableError, match=r"backup_phone_cues\.csv line \d+: .*" + message):
        phrase_tables.backup_phone_cues.__wrapped__()


def test_the_cue_table_is_part_of_the_crawler_code_version() -> None:
    from crawlers import pages

    root = Path(pages._PACKAGE_ROOT)
    covered = {p.resolve() for g in pages._CODE_GLOBS for p in root.glob(g)}
    assert (DATA / "backup_phone_cues.csv").resolve() in covered
