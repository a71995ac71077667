"""`outages curated check`: every committed record passes, and each kind of problem is found.

The failing examples are variants of a committed record written to a temporary directory.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.archive import ArchiveRecord, write_records
from crawlers.curated_record import (
    CURATED_DIR,
    check_paths,
    load_records,
    number_words,
    record_files,
    record_problems,
)
from tests.conftest import outages

RECORDS = load_records()
MA = next(r for r in RECORDS if r["key"] == "2024-06-18-comtech-firewall-ma")
NE = next(r for r in RECORDS if r["key"] == "2023-08-31-lumen-nebraska-fiber")


def variant(record: dict, **changes) -> dict:
    out = copy.deepcopy(record)
    out.update(copy.deepcopy(changes))
    return out


def write(directory: Path, *records: dict, names: list[str] | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, record in enumerate(records):
        name = names[i] if names else record["key"]
        path = directory / f"{name}.json"
        path.write_text(json.dumps(record, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def problems_of(record: dict) -> str:
    return " | ".join(record_problems(record, record.get("key")))


def test_the_committed_record_passes_the_command(tmp_path: Path) -> None:
    result = outages("curated", "check", data_dir=tmp_path)
    files = record_files()
    assert len(files) == len(RECORDS) and files
    assert f"{len(files)} file(s) checked, 0 with problems" in result.stdout
    assert "snapshot.warc.gz" in result.stdout  # the demo archive was read


@pytest.mark.parametrize("path", record_files(), ids=lambda p: p.stem)
def test_every_committed_file_passes(path: Path) -> None:
    result = check_paths([path])
    assert result.ok, result.report()


def test_the_command_lists_problems_per_file_and_fails(tmp_path: Path) -> None:
    records = tmp_path / "records"
    bad_quote = copy.deepcopy(MA)
    bad_quote["citations"]["date"][0]["quote"] = " "
    write(records, bad_quote, variant(NE, counties=["31999"]))
    result = outages("curated", "check", str(records), data_dir=tmp_path, check=False)
    assert result.returncode == 1
    out = result.stdout
    assert f"{records / (MA['key'] + '.json')}:" in out
    assert f"{records / (NE['key'] + '.json')}:" in out
    assert "unknown county '31999'" in out
    assert "2 file(s) checked, 2 with problems" in out
    # one file given by name is checked alone
    one = outages("curated", "check", str(CURATED_DIR / f"{MA['key']}.json"), data_dir=tmp_path)
    assert "1 file(s) checked, 0 with problems" in one.stdout


def test_a_missing_quote_and_a_fact_without_citation() -> None:
    record = copy.deepcopy(MA)
    del record["citations"]["date"][0]["quote"]
    assert "'quote' is a required property" in problems_of(record)
    record = copy.deepcopy(MA)
    del record["citations"]["cause"]
    assert "cause has no citation" in problems_of(record)
    record = copy.deepcopy(MA)
    record["citations"]["date"][0]["quote"] = "x" * 301
    assert "is too long" in problems_of(record)
    record = copy.deepcopy(MA)
    del record["citations"]["date"][0]["publisher"]
    assert "'publisher' is a required property" in problems_of(record)


def test_bad_fips_and_a_county_outside_the_states() -> None:
    assert "unknown county '25999'" in problems_of(variant(MA, counties=["25999"]))
    assert "unknown county '2502'" in problems_of(variant(MA, counties=["2502"]))
    outside = problems_of(variant(NE, counties=["46099"]))
    assert "county 46099 (Minnehaha County) is in SD, not one of the record's states" in outside
    assert "unknown state 'XX'" in problems_of(variant(MA, states=["MA", "XX"]))


def test_a_time_with_the_wrong_dst_offset() -> None:
    winter = problems_of(variant(MA, started_at="2024-06-18T13:15:00-05:00"))
    assert "has offset -05:00, but America/New_York is at -04:00 on 2024-06-18" in winter
    # the same wall-clock time in January is right with -05:00
    january = variant(
        MA,
        key="2024-01-18-comtech-firewall-ma",
        date="2024-01-18",
        started_at=None,
        ended_at="2024-01-18T15:15:00-05:00",
        started_precision="day",
    )
    assert "offset" not in problems_of(january)
    # the repeated hour of the autumn change has both offsets
    fall = variant(
        MA,
        key="2024-11-03-comtech-firewall-ma",
        date="2024-11-03",
        started_at="2024-11-03T01:30:00-04:00",
        ended_at="2024-11-03T01:45:00-05:00",
    )
    assert "offset" not in problems_of(fall)
    assert "unknown time zone" in problems_of(variant(MA, timezone="America/Boston"))


def test_dates_keys_and_precision() -> None:
    assert "does not start with the date" in problems_of(variant(MA, date="2024-06-19"))
    assert "is not on the date" in problems_of(variant(MA, key="2024-06-17-x", date="2024-06-17"))
    assert "is not the file name" in " ".join(record_problems(MA, "another-name"))
    assert "ended_at is before started_at" in problems_of(
        variant(MA, ended_at="2024-06-18T12:00:00-04:00")
    )
    assert "started_precision must be 'day'" in problems_of(
        variant(MA, started_at=None, started_precision="minute")
    )
    assert "started_precision" in problems_of(variant(MA, started_precision="second"))


def test_taxonomies() -> None:
    assert "unknown cause 'gremlins'" in problems_of(variant(MA, cause="gremlins"))
    assert "unknown provider 'CenturyLink'" in problems_of(variant(MA, provider="CenturyLink"))


def with_kind(record: dict, url_part: str, kind: str) -> dict:
    """The record with every citation of a page whose URL holds `url_part` given `kind`."""
    out = copy.deepcopy(record)
    for entries in out["citations"].values():
        for entry in entries:
            if url_part in entry["url"]:
                entry["kind"] = kind
    return out


def kind_problems(record: dict) -> str:
    from crawlers.curated_record import citation_kind_problems

    return " | ".join(citation_kind_problems(record))


def test_a_citation_kind_is_the_kind_of_the_pages_publisher(tmp_path: Path) -> None:
    # the defect that was in the record: CapeCod.com, a news outlet, labelled an agency
    # because its story reprints the State 911 Department's statement
    capecod = kind_problems(with_kind(MA, "capecod.com", "agency"))
    assert "capecod.com has kind 'agency'" in capecod and "is 'news'" in capecod
    assert "has kind 'company'" in kind_problems(with_kind(MA, "capecod.com", "company"))
    assert kind_problems(with_kind(MA, "capecod.com", "news")) == ""
    # the command reports it; the record itself stays valid for the spider (a label only)
    bad = with_kind(MA, "capecod.com", "agency")
    assert problems_of(bad) == ""
    result = check_paths(write(tmp_path, bad))
    assert not result.ok and "capecod.com has kind 'agency'" in result.report()
    # one page, one publisher, one kind
    one = copy.deepcopy(MA)
    one["citations"]["date"][0]["kind"] = "fcc"
    assert "disagree on kind (fcc, news)" in kind_problems(one)
    # a government site is never news; a reviewed host keeps the kinds it is listed with
    psc = next(e for e in NE["citations"]["date"] if "psc.nebraska.gov" in e["url"])
    assert psc["kind"] == "psc"
    on_gov = copy.deepcopy(MA)
    for entries in on_gov["citations"].values():
        for entry in entries:
            entry["url"] = entry["url"].replace("www.capecod.com", "www.mass.gov")
    assert "mass.gov (a government site) has kind 'news'" in kind_problems(on_gov)
    listed = kind_problems(with_kind(NE, "psc.nebraska.gov", "agency"))
    assert "its pages are psc (crawlers/data/citation_hosts.csv)" in listed


def test_no_committed_citation_labels_a_news_page_an_agency_or_an_agency_page_news() -> None:
    from crawlers.curated_record import GOVERNMENT_TLDS, host_kinds

    for record in RECORDS:
        for entries in record["citations"].values():
            for entry in entries:
                host, listed = host_kinds(entry["url"])
                if host.endswith(GOVERNMENT_TLDS):
                    assert entry["kind"] not in ("news", "company"), (record["key"], host)
                elif listed is None:
                    assert entry["kind"] == "news", (record["key"], host, entry["kind"])


def test_quotes_must_carry_the_values() -> None:
    record = variant(NE, states=["NE", "IA"])
    assert "state IA is not named in a quote of citations.states" in problems_of(record)
    record = copy.deepcopy(NE)
    record["calls_affected"] = 4321
    record["citations"]["calls_affected"] = [dict(NE["citations"]["date"][0], quote="many calls")]
    assert "calls_affected 4321 is not written in a quote" in problems_of(record)
    record["citations"]["calls_affected"][0]["quote"] = "4,321 calls failed"
    assert "calls_affected" not in problems_of(record)
    record = variant(MA, backup_numbers=[{"number": "508-555-0100", "for": "State Police"}])
    record["citations"]["backup_numbers"] = [
        dict(MA["citations"]["date"][0], quote="call 508-555-0199 instead")
    ]
    assert "backup number 508-555-0100 is not in a quote" in problems_of(record)
    assert {"eighty-one", "81"} <= number_words(81)
    assert "11 million" in number_words(11_000_000)


def _page_archive(path: Path, url: str, text: str) -> Path:
    html = f"<html><body><h1>Story</h1><p>{text}</p></body></html>".encode()
    record = ArchiveRecord(
        url=url,
        body=html,
        headers=[("Content-Type", "text/html; charset=utf-8")],
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    write_records(path, [record])
    return path


def test_quotes_are_found_in_archived_pages(tmp_path: Path) -> None:
    cite = MA["citations"]["cause"][0]
    path = write(tmp_path / "records", MA)[0]
    # the archived page has the quotes cited from it (typographic quotes and spacing may
    # differ; markup between words is not text)
    quotes = [
        e["quote"]
        for entries in MA["citations"].values()
        for e in entries
        if e["url"] == cite["url"]
    ]
    text = " ".join(quotes).replace("'", "\u2019").replace(" ", "  \n ", 1)
    good = _page_archive(tmp_path / "good.warc.gz", cite["url"], text)
    assert check_paths([path], archives=[good]).ok
    bad = _page_archive(tmp_path / "bad.warc.gz", cite["url"], "A different story entirely.")
    result = check_paths([path], archives=[bad])
    assert not result.ok
    assert f"a quote of cause is not in the archived page {cite['url']}" in result.report()
    # a page no archive holds is not checked
    assert check_paths([path], archives=[tmp_path / "missing.warc.gz"]).ok


def test_two_records_of_one_outage(tmp_path: Path) -> None:
    twin = variant(MA, key="2024-06-18-massachusetts-911-down", title="Another story")
    result = check_paths(write(tmp_path / "twins", MA, twin))
    report = result.report()
    assert not result.ok
    assert "2024-06-18-massachusetts-911-down.json (same day and place" in report
    assert f"{MA['key']}.json (same day and place" in report
    # parts of one event share an event_group
    grouped = [variant(r, event_group="2024-06-18-ma") for r in (MA, twin)]
    assert check_paths(write(tmp_path / "grouped", *grouped)).ok
    # a county record and a record of its whole state (no counties) on the same day
    county = copy.deepcopy(MA)
    county.update(key="2024-06-18-boston-911", counties=["25025"], places_via={})
    county["citations"]["counties"] = [dict(MA["citations"]["date"][0], quote="Suffolk County")]
    statewide = variant(MA, counties=[], places_via={})
    statewide["citations"].pop("counties", None)
    assert not check_paths(write(tmp_path / "county", county, statewide)).ok
    # two different counties of one state on the same day are two outages
    other = copy.deepcopy(county)
    other.update(key="2024-06-18-worcester-911", counties=["25027"])
    other["citations"]["counties"] = [dict(MA["citations"]["date"][0], quote="Worcester County")]
    assert check_paths(write(tmp_path / "two-counties", county, other)).ok, check_paths(
        write(tmp_path / "two-counties", county, other)
    ).report()
    # the same place on another day is another outage
    later = variant(
        MA,
        key="2024-06-25-comtech-firewall-ma",
        date="2024-06-25",
        started_at="2024-06-25T13:15:00-04:00",
        ended_at="2024-06-25T15:15:00-04:00",
    )
    assert check_paths(write(tmp_path / "later", MA, later)).ok


def test_fcc_documents_are_in_the_known_list(tmp_path: Path) -> None:
    record = variant(MA, fcc_documents=["DA-99-999A1", "not-a-number"])
    report = check_paths(write(tmp_path, record)).report()
    assert "DA-99-999A1 is not in crawlers/data/fcc_documents.csv" in report
    assert "'not-a-number' is not an FCC attachment number" in report


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "2024-01-01-broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "2024-01-02-list.json").write_text("[]", encoding="utf-8")
    result = check_paths([tmp_path])
    report = result.report()
    assert "not readable JSON" in report and "not a JSON object" in report
    assert "2 file(s) checked, 2 with problems" in report


def test_the_demo_snapshot_holds_every_record() -> None:
    """`./run demo` shows the whole record: rebuild the snapshot after adding a file
    (uv run python demo/build_snapshot.py)."""
    from crawlers.archive import iter_responses
    from demo.build_snapshot import CURATED_URL
    from tests.conftest import SNAPSHOT

    archived = {r.url: r.body for r in iter_responses(SNAPSHOT) if "/curated/" in r.url}
    expected = {CURATED_URL.format(name=p.name): p.read_bytes() for p in record_files()}
    assert archived == expected, "rebuild the snapshot: uv run python demo/build_snapshot.py"


def test_curated_md_counts_are_the_records_own() -> None:
    """CURATED.md's "What the record holds" is generated from the files, never hand-kept."""
    from crawlers.curated_record import load_records
    from demo import curated_counts

    records = load_records()
    doc = curated_counts.DOC.read_text()
    assert doc == curated_counts.render(doc, records), "run `uv run python demo/curated_counts.py`"
    years, states = curated_counts.counts(records)
    assert sum(years.values()) == len(records)
    assert f"{len(records)} documented outages, {len(states)} states" in doc
