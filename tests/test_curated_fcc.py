"""The `curated` and `fcc_docs` sources: FCC parsing, the curated verification rule, and one
replay of both spiders' fixtures through the real engine into a published DuckDB file."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.archive import write_records
from crawlers.curated_record import (
    CURATED_DIR,
    FACT_FIELDS,
    RecordError,
    load_records,
    record_files,
    record_problems,
    validate_record,
)
from crawlers.spiders.base import PageError
from crawlers.spiders.curated import CuratedSpider, curated_report
from crawlers.spiders.fcc_docs import FccDocsSpider
from crawlers.spiders.formats import fcc
from demo.build_snapshot import demo_records
from tests.conftest import outages, query

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
FCC_FIXTURES = FIXTURES / "fcc_docs"
RECORDS = load_records()
KEYS = [r["key"] for r in RECORDS]
BROKEN_CASES = sorted(p for p in (FIXTURES / "curated").glob("broken_*") if p.is_dir())


def fixture_text(case: str) -> str:
    return (FCC_FIXTURES / case / "response.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# FCC document numbers and the known list
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://docs.fcc.gov/public/attachments/DOC-359134A1.pdf", "DOC-359134A1"),
        ("https://docs.fcc.gov/public/attachments/DA-21-1543A1.txt", "DA-21-1543A1"),
        ("https://docs.fcc.gov/public/attachments/FCC-24-5A1.docx", "FCC-24-5A1"),
        ("https://transition.fcc.gov/eb/News_Releases/DOC-332853A1.html", "DOC-332853A1"),
        ("doc-360612a1", "DOC-360612A1"),
        ("https://www.fcc.gov/document/some-title", None),
        ("https://docs.fcc.gov/public/attachments/DOC-359134.pdf", None),
    ],
)
def test_attachment_ids(given: str, expected: str | None) -> None:
    assert fcc.attachment_id(given) == expected


def test_txt_url_is_the_plain_text_attachment() -> None:
    assert fcc.txt_url("da-21-1543a1") == (
        "https://docs.fcc.gov/public/attachments/DA-21-1543A1.txt"
    )
    with pytest.raises(ValueError):
        fcc.txt_url("not-a-document")


def test_known_documents_are_data_and_point_at_curated_incidents() -> None:
    known = fcc.known_documents()
    assert len(known) >= 12
    kinds = {d.kind for d in known.values()}
    assert {"pshsb_report", "consent_decree", "dirs_report", "news_release"} <= kinds
    for doc in known.values():
        assert doc.kind in fcc.KINDS
        assert date(2010, 1, 1) <= doc.released <= date(2026, 12, 31)
        if doc.incident_key:
            assert doc.incident_key in KEYS, doc.doc_id
    # every FCC document a curated record names is in the list
    for record in RECORDS:
        for doc_id in record.get("fcc_documents") or []:
            assert doc_id in known, (record["key"], doc_id)


def test_read_document_refuses_what_is_not_the_text() -> None:
    assert fcc.read_document("Caf\u00e9 911".encode()) == "Caf\u00e9 911"
    assert fcc.read_document(b"\xef\xbb\xbfBOM") == "BOM"
    assert fcc.read_document("d\xe9j\xe0".encode("cp1252")) == "d\xe9j\xe0"
    for body in (b"%PDF-1.7 ...", b"PK\x03\x04 word", b"<!DOCTYPE html><html>", b"  \n"):
        with pytest.raises(ValueError):
            fcc.read_document(body)


# --------------------------------------------------------------------------------------
# Reading documents
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("report_DOC-359134A1_centurylink_2018", "pshsb_report"),
        ("consent_decree_DA-21-1543A1_lumen", "consent_decree"),
        ("news_release_DOC-360612A1", "news_release"),
        ("public_notice_DA-14-676A1", "public_notice"),
        ("statement_DOC-330013A1", "statement"),
        ("not_911_DA-22-80A1_auction", "consent_decree"),
        ("dirs_constructed_hurricane_ida", "dirs_report"),
    ],
)
def test_detect_kind(case: str, kind: str) -> None:
    assert fcc.detect_kind(fixture_text(case)) == kind


def test_release_dates_and_times() -> None:
    when, span = fcc.released_at(fixture_text("consent_decree_DA-21-1543A1_lumen"))
    assert when.date() == date(2021, 12, 17) and span == "Released: December 17, 2021"
    when, span = fcc.released_at(fixture_text("news_release_DOC-360612A1"))
    assert when.date() == date(2019, 11, 4) and span.startswith("WASHINGTON")
    when, _ = fcc.released_at(fixture_text("dirs_constructed_hurricane_ida"))
    assert when.astimezone(UTC) == datetime(2021, 8, 30, 15, 0, tzinfo=UTC)  # 11 a.m. EDT
    report = "X Outage REPORT AND FINDINGS A Report of the Public Safety and Homeland Security "
    when, _ = fcc.released_at(report + "Bureau Federal Communications Commission July 22, 2024")
    assert when.date() == date(2024, 7, 22)
    # the outage's own date at the top of a report is not its release date
    assert fcc.released_at(fixture_text("report_DOC-359134A1_centurylink_2018")) is None


def test_incident_dates_are_days_with_their_span() -> None:
    cases = {
        "consent_decree_DA-21-1543A1_lumen": date(2020, 9, 28),
        "news_release_DOC-360612A1": date(2018, 8, 1),
        "public_notice_DA-14-676A1": date(2014, 4, 9),
        "report_DOC-359134A1_centurylink_2018": date(2018, 12, 27),
    }
    for case, day in cases.items():
        found = fcc.incident_date(fixture_text(case))
        assert found is not None and found[0] == day, case
        assert found[1] in re.sub(r"\s+", " ", fixture_text(case))
    assert fcc.incident_date(fixture_text("not_911_DA-22-80A1_auction")) is None


def test_titles() -> None:
    assert fcc.document_title(
        fixture_text("consent_decree_DA-21-1543A1_lumen"), "consent_decree"
    ) == ("CenturyLink, Inc. nka Lumen Technologies, Inc.: Order and Consent Decree (DA 21-1543)")
    assert fcc.document_title(fixture_text("news_release_DOC-360612A1"), "news_release") == (
        "FCC ANNOUNCES SETTLEMENTS WITH CENTURYLINK & WEST SAFETY COMMUNICATIONS REGARDING 911 "
        "OUTAGE IN AUGUST 2018"
    )
    report = fixture_text("report_DOC-359134A1_centurylink_2018")
    assert fcc.document_title(report, "pshsb_report") == (
        "December 27, 2018 CenturyLink Network Outage Report"
    )
    assert fcc.document_title(fixture_text("statement_DOC-330013A1"), "statement").startswith(
        "STATEMENT OF COMMISSIONER JESSICA ROSENWORCEL: Multistate 911 Outage Presentation"
    )


def test_main_cause_is_the_one_after_caused_by() -> None:
    text = (
        "This outage was caused by an equipment failure catastrophically exacerbated by a "
        "network configuration error."
    )
    assert fcc.main_cause(text) == ("hardware_failure", "equipment failure")
    assert fcc.main_cause("The outage was caused by a coding error.")[0] == (
        "software_or_config_change"
    )
    assert fcc.main_cause("Nothing is said about why.") is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("This caused a one hour and 17 minute outage of the NG911 services", 77),
        ("Eighty-one 911 call centers lost service for as long as six hours.", 360),
        ("The 911 outage lasted 65 minutes and led to many 911 calls failing.", 65),
        ("calls did not get through during a six-hour period beginning at midnight", 360),
        ("a nationwide outage on its fiber network that lasted for almost 37 hours", 2220),
    ],
)
def test_fcc_durations(text: str, minutes: int) -> None:
    assert fcc.fcc_duration_minutes(text)[0] == minutes


def test_letterhead_is_not_a_place_and_nors_is_not_a_cause() -> None:
    text = fixture_text("public_notice_DA-14-676A1")
    clean = fcc.facts_text(text)
    assert "20554" not in clean and "Network Outage Reporting System" not in clean
    facts = fcc.document_facts(text, kind="public_notice")
    assert "DC" not in facts.state_codes
    assert set(facts.state_codes) == {"WA", "OR", "CA", "PA", "MN", "FL", "NC", "SC"}
    assert facts.calls_affected == 4500 and facts.stated_duration_minutes == 360
    assert facts.cause is None


def test_news_release_facts_take_the_provider_of_the_cause_sentence() -> None:
    facts = fcc.document_facts(fixture_text("news_release_DOC-360612A1"), kind="news_release")
    assert facts.provider == "Intrado"  # "a West Safety Services technician ...", not CenturyLink
    assert facts.field_evidence["provider"] == "West Safety Services"
    assert facts.cause == "software_or_config_change"
    assert (facts.calls_affected, facts.psaps_affected) == (693, 70)
    assert facts.stated_duration_minutes == 65 and facts.state_codes == ["MN"]


def test_consent_decree_provider_is_the_party_in_the_matter_of() -> None:
    facts = fcc.document_facts(
        fixture_text("consent_decree_DA-21-1543A1_lumen"), kind="consent_decree"
    )
    assert facts.provider == "Lumen"
    assert facts.field_evidence["provider"] == "CenturyLink, Inc. nka Lumen Technologies, Inc."
    assert facts.state_codes == []  # "Washington, D.C. 20554" is the FCC's address


def test_report_facts() -> None:
    facts = fcc.document_facts(
        fixture_text("report_DOC-359134A1_centurylink_2018"), kind="pshsb_report"
    )
    assert facts.stated_duration_minutes == 2220
    assert facts.calls_affected == 886
    assert (facts.cause, facts.provider) == ("hardware_failure", "Lumen")


def test_dirs_report_psaps_and_disaster_area() -> None:
    report = fcc.parse_dirs(fixture_text("dirs_constructed_hurricane_ida"))
    assert report.event == "Hurricane Ida"
    assert report.as_of.astimezone(UTC) == datetime(2021, 8, 30, 15, 0, tzinfo=UTC)
    assert {s: n for s, (n, _) in report.psaps.items()} == {"AL": 0, "LA": 6, "MS": 0}
    assert report.psaps_affected == 6 and report.affected_states == ["LA"]
    louisiana = report.area_counties["LA"]
    # "St, Mary", "Point Coupee" and "Vermillion" are the report's own spellings
    assert {"22101", "22077", "22113", "22099", "22095", "22071"} <= set(louisiana)
    assert len(louisiana) == 31  # 32 names, St. Martin listed twice
    assert len(report.area_counties["AL"]) == 7 and len(report.area_counties["MS"]) == 62
    assert report.unmatched == {}


@pytest.mark.parametrize(
    ("state", "name", "fips"),
    [
        ("LA", "St. John the Baptist", "22095"),
        ("LA", "Saint Tammany Parish", "22103"),
        ("VA", "Virginia Beach City", "51810"),
        ("NC", "New Hanover", "37129"),
        ("MS", "DeSoto", "28033"),
        ("FL", "Miami-Dade", "12086"),
        ("LA", "Nowhere At All", None),
        ("XX", "Orleans", None),
    ],
)
def test_county_names(state: str, name: str, fips: str | None) -> None:
    assert fcc.county_fips_by_name(state, name) == fips


def test_listing_links_follow_only_911_documents() -> None:
    html = (FCC_FIXTURES / "listing_headlines_constructed" / "response.html").read_text()
    links, total = fcc.listing_links(html, "https://www.fcc.gov/news-events/headlines")
    assert total == 4  # three attachment links and one /document/ page (the pager is neither)
    assert [link.url for link in links] == [
        "https://docs.fcc.gov/public/attachments/DOC-360612A1.txt",
        "https://www.fcc.gov/document/pshsb-announces-inquiry-washington-state-911-outage",
    ]
    page = (FCC_FIXTURES / "document_page_constructed" / "response.html").read_text()
    links, total = fcc.listing_links(
        page, "https://www.fcc.gov/document/pshsb-announces-inquiry-washington-state-911-outage"
    )
    assert total == 3 and [link.url for link in links] == [
        "https://docs.fcc.gov/public/attachments/DA-14-676A1.txt"
    ]


def _spider(cls: type) -> object:
    crawler = get_crawler(cls)
    crawler.spider = crawler._create_spider()
    return crawler.spider


def test_a_listing_without_documents_is_a_page_error() -> None:
    spider = _spider(FccDocsSpider)
    url = "https://www.fcc.gov/news-events/headlines"
    response = HtmlResponse(
        url,
        body=b"<html><body><p>Maintenance</p></body></html>",
        request=Request(url),
        encoding="utf-8",
    )
    with pytest.raises(PageError, match="lists no documents"):
        list(spider.parse_page(response))


def test_a_pdf_served_for_the_txt_is_a_page_error() -> None:
    spider = _spider(FccDocsSpider)
    url = fcc.txt_url("DOC-359134A1")
    response = TextResponse(url, body=b"%PDF-1.7\n...", request=Request(url))
    with pytest.raises(PageError, match="not readable text"):
        list(spider.parse_page(response))


def test_start_urls() -> None:
    spider = _spider(FccDocsSpider)
    starts = [r.url for r in spider.live_requests()]
    assert fcc.txt_url("DOC-359134A1") in starts
    assert starts[-1] == "https://www.fcc.gov/news-events/headlines"
    assert spider.is_start_url(fcc.txt_url("DA-22-80A1"))
    assert not spider.is_start_url("https://www.fcc.gov/document/some-title")
    curated = _spider(CuratedSpider)
    requests = list(curated.live_requests())
    assert [r.url for r in requests] == [p.resolve().as_uri() for p in record_files()]
    assert len(requests) == len(RECORDS)
    assert curated.is_start_url("file:///anywhere/else/curated/2024-06-18-x.json")
    assert not curated.is_start_url("file:///anywhere/else/other.json")
    assert not curated.is_start_url("file:///anywhere/else/curated_incidents.json")


def test_a_key_in_two_files_is_an_error_but_a_file_read_twice_is_not() -> None:
    from crawlers import signals

    spider = _spider(CuratedSpider)
    errors: list[str] = []
    spider.crawler.signals.connect(
        lambda **kw: errors.append(kw["message"]), signal=signals.error_recorded, weak=False
    )
    key = "2024-06-18-comtech-firewall-ma"
    body = (CURATED_DIR / f"{key}.json").read_bytes()

    def parse(url: str) -> list:
        response = TextResponse(url, body=body, request=Request(url), encoding="utf-8")
        return list(spider.parse(response))

    first = f"file:///a/curated/{key}.json"
    assert len(parse(first)) == 1 and len(parse(first)) == 1 and not errors  # replayed twice
    assert parse(f"file:///b/curated/{key}.json") == []
    assert len(errors) == 1 and f"duplicate key '{key}' (also in {first})" in errors[0]


# --------------------------------------------------------------------------------------
# The curated data and its verification rule
# --------------------------------------------------------------------------------------


def test_the_fixtures_are_copies_of_record_files() -> None:
    cases = sorted((FIXTURES / "curated").glob("record_*"))
    assert len(cases) >= 3
    for case in cases:
        key = case.name.removeprefix("record_")
        copy = case / "response.json"
        assert copy.read_bytes() == (CURATED_DIR / f"{key}.json").read_bytes(), (
            f"copy crawlers/data/curated/{key}.json to {case} and regenerate its expected.json "
            "(uv run python -m tests.golden --regen curated)"
        )
        assert json.loads((case / "case.json").read_text())["url"].endswith(f"/curated/{key}.json")


def test_required_incidents_are_there() -> None:
    by_date = {r["date"]: r for r in RECORDS}
    for day in (
        "2014-04-09",
        "2018-08-01",
        "2018-12-27",
        "2020-09-28",
        "2023-08-31",
        "2024-02-22",
        "2024-04-17",
        "2024-06-18",
        "2024-07-09",
    ):
        assert day in by_date, day
    assert len(set(KEYS)) == len(KEYS)
    lightpole = [r for r in RECORDS if r["event_group"] == "2024-04-17-lumen-lightpole"]
    assert sorted(s for r in lightpole for s in r["states"]) == ["NE", "NV", "SD"]
    texas = next(r for r in RECORDS if r["key"] == "2024-04-17-delrio-cellular-tx")
    # decided with evidence: Lumen is not a 911 provider in Texas; a cellular carrier failed
    assert texas["event_group"] is None and texas["cause"] == "carrier_network_outage"


@pytest.mark.parametrize("record", RECORDS, ids=KEYS)
def test_every_record_passes_the_check_on_its_own(record: dict) -> None:
    # the verification rule (CURATED.md): schema, times, places, taxonomies, a citation for
    # every fact, quotes that carry the values (crawlers/curated_record.py)
    assert record_problems(record, record["key"]) == []
    cites = record["citations"]
    assert cites.get("date"), "the primary document is the first citation of the date"
    for name in FACT_FIELDS:
        if record.get(name) not in (None, []) and name not in record.get("derived", []):
            assert cites.get(name), f"{name} has no citation"


def test_curated_report_fields() -> None:
    meta = {
        "archive_ref": "x#1",
        "fetched_at": datetime(2026, 11, 21, tzinfo=UTC),
        "constructed": False,
    }
    record = next(r for r in RECORDS if r["key"] == "2018-12-27-centurylink-transport")
    item = curated_report(record, meta=meta)
    assert (item["is_outage"], item["status"], item["confidence"]) == (True, "outage", 1.0)
    assert item["source_url"] == record["citations"]["date"][0]["url"]
    assert item["stated_duration_minutes"] == 2220 and item["calls_affected"] == 886
    # The curator could not confirm the start: it stays in the body, not in the data.
    assert item["started_at"] is None and item["ended_at"].utcoffset() is not None
    assert item["occurred_on"].isoformat() == "2018-12-27"
    assert item["field_evidence"]["stated_duration_minutes"].endswith("almost 37 hours.")
    assert item["field_evidence"]["unverified"] == "started_at"
    assert "People affected: 17,000,000" in item["body"]
    for entry in record["citations"]["states"]:
        assert entry["url"] in item["body"]
        assert entry["publisher"] in item["body"]
    # the start is unverified, so its precision is not claimed either
    assert item["started_precision"] is None and item["backup_phone"] is None
    ma = next(r for r in RECORDS if r["key"] == "2024-06-18-comtech-firewall-ma")
    item = curated_report(ma, meta=meta, name=ma["key"])
    assert item["started_precision"] == ma["started_precision"] == "minute"
    assert item["statewide_states"] == ["MA"]
    phone_quote = dict(
        ma["citations"]["date"][0], quote="call (508) 555-0100 or 1-508-555-0101 instead"
    )
    with_phones = dict(
        ma,
        backup_numbers=[
            {"number": "(508) 555-0100", "for": "Anytown police"},
            {"number": "1-508-555-0101", "for": "Othertown fire"},
        ],
        citations={**ma["citations"], "backup_numbers": [phone_quote]},
    )
    item = curated_report(with_phones, meta=meta, name=ma["key"])
    assert item["backup_phone"] == "508-555-0100, 508-555-0101"
    assert "Backup number: (508) 555-0100 (Anytown police)" in item["body"]
    broken = dict(record, states=["WA", "ZZ"])
    with pytest.raises(RecordError, match="unknown state"):
        validate_record(broken)
    with pytest.raises(RecordError, match="no UTC offset"):
        validate_record(dict(record, ended_at="2018-12-28T19:30:00"))
    with pytest.raises(RecordError, match="before started_at"):
        validate_record(dict(record, ended_at="2018-12-27T00:00:00-06:00"))
    with pytest.raises(RecordError, match="not one of the record's states"):
        validate_record(dict(record, counties=["31055"]))
    with pytest.raises(RecordError, match="is not the file name"):
        curated_report(record, meta=meta, name="2018-12-27-another-name")


# --------------------------------------------------------------------------------------
# End to end: both spiders replayed through the real engine
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("curated-fcc")
    archive = tmp / "curated-fcc.warc.gz"
    write_records(archive, demo_records(FIXTURES, spiders=["curated", "fcc_docs"], demo_only=False))
    data_dir = tmp / "data"
    result = outages(
        "crawl", "curated", "fcc_docs", "--replay", str(archive), data_dir=data_dir, check=False
    )
    (tmp / "stderr.txt").write_text(result.stderr)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return data_dir


@pytest.mark.slow
def test_replay_publishes_curated_and_fcc_reports(family_dir: Path) -> None:
    counts = dict(query(family_dir, "SELECT source, count(*) FROM reports GROUP BY source"))
    assert counts == {"curated": len(RECORDS), "fcc_docs": 7}
    # listing -> news release, listing -> document page -> public notice: all followed
    pages = query(family_dir, "SELECT spider, pages FROM crawl_runs ORDER BY spider")
    assert pages == [("curated", len(RECORDS) + len(BROKEN_CASES)), ("fcc_docs", 9)]
    # one archived copy per file: each report points at its own record's file
    refs = query(
        family_dir, "SELECT count(DISTINCT archive_ref) FROM reports WHERE source = 'curated'"
    )
    assert refs == [(len(RECORDS),)]
    precision = query(
        family_dir,
        "SELECT count(*) FROM reports WHERE source = 'curated' AND started_precision IS NOT NULL",
    )
    expected = [r for r in RECORDS if "started_at" not in r.get("unverified", [])]
    assert precision == [(len(expected),)]
    assert query(
        family_dir,
        "SELECT count(*) FROM reports WHERE source = 'curated' "
        "AND NOT (is_outage AND status = 'outage' AND confidence = 1.0)",
    ) == [(0,)]


@pytest.mark.slow
def test_replay_centurylink_2018_spans_states_for_about_37_hours(family_dir: Path) -> None:
    (row,) = query(
        family_dir,
        "SELECT state_codes, stated_duration_minutes, started_at, ended_at, cause, provider, "
        "incident_id FROM reports WHERE source = 'curated' "
        "AND evidence = 'hand-curated record 2018-12-27-centurylink-transport'",
    )
    states, stated, started, ended, cause, provider, incident_id = row
    assert len(states) >= 5 and {"WA", "AZ", "MN"} <= set(states)
    assert abs(stated - 37 * 60) <= 60
    assert started is None and ended is not None  # the start is unverified, so not used
    assert (cause, provider) == ("hardware_failure", "Lumen")
    (incident_states, duration, started_on) = query(
        family_dir,
        "SELECT state_codes, duration_minutes, started_on FROM incidents WHERE incident_id = ?",
        [incident_id],
    )[0]
    assert set(states) <= set(incident_states)
    assert duration == stated and started_on.isoformat() == "2018-12-27"


@pytest.mark.slow
def test_replay_records_broken_curated_records(family_dir: Path) -> None:
    errors = query(
        family_dir,
        "SELECT url, stage, message FROM crawl_errors WHERE spider = 'curated' ORDER BY message",
    )
    assert len(errors) == len(BROKEN_CASES) == 6
    assert all("/tests/broken/" in url for url, _, _ in errors)
    messages = " | ".join(m for _, _, m in errors)
    for reason in (
        "missing or malformed key",
        "unknown state 'XX'",
        "no UTC offset",
        "psaps_affected has no citation",
        "has offset -05:00, but America/New_York is at -04:00",
        "is not the file name",
    ):
        assert reason in messages
    assert query(family_dir, "SELECT count(*) FROM crawl_errors WHERE spider = 'fcc_docs'") == [
        (0,)
    ]
    assert dict(query(family_dir, "SELECT spider, status FROM crawl_runs")) == {
        "curated": "partial",
        "fcc_docs": "ok",
    }


@pytest.mark.slow
def test_replay_fcc_documents(family_dir: Path) -> None:
    rows = {
        url.rsplit("/", 1)[1]: rest
        for url, *rest in query(
            family_dir,
            "SELECT source_url, is_outage, status, state_codes, cause, provider, "
            "psaps_affected, calls_affected, json_extract_string(field_evidence, "
            "'$.incident_day') FROM reports WHERE source = 'fcc_docs'",
        )
    }
    assert rows["DA-22-80A1.txt"][:2] == [False, "not_outage"]  # an auction consent decree
    assert rows["DA-21-1543A1.txt"][:2] == [True, "outage"]
    assert rows["DA-21-1543A1.txt"][4] == "Lumen" and rows["DA-21-1543A1.txt"][7] == "2020-09-28"
    assert rows["DOC-360612A1.txt"][4:7] == ["Intrado", 70, 693]
    dirs = rows["DOC-999001A1.txt"]
    assert dirs[:4] == [True, "outage", ["LA"], "weather_or_disaster"]
    assert dirs[5] == 6
    assert rows["DA-14-676A1.txt"][2] == ["CA", "FL", "MN", "NC", "OR", "PA", "SC", "WA"]
