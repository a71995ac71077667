"""The incident page as a citable record (issue 18), run headless with AppTest on the demo data
and on a database of hostile source text: the summary sentence, each fact with its source and
quote, the citation with id and data version, the SQL page link the guard accepts, labels
instead of codes, and source text escaped."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest

from crawlers.registry import source_records
from tests.conftest import query
from tests.test_app import open_page, texts
from warehouse import guard, taxonomy
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish
from warehouse.sources import write_sources_table
from webapp import record

MA_KEY = "hand-curated record 2024-06-18-comtech-firewall-ma"
HOSTILE = (
    "<img src=x onerror=alert(1)> [click](javascript:alert(1)) **loud** | cell :red[red] "
    "$x$ \u202eevil"
)


def ma_incident(demo_dir: Path) -> tuple[str, int, int]:
    return query(
        demo_dir,
        "SELECT incident_id, report_count, source_count FROM incidents WHERE incident_id = "
        "(SELECT incident_id FROM reports WHERE evidence = ?)",
        [MA_KEY],
    )[0]


def version_of(data_dir: Path) -> str:
    return json.loads((data_dir / "publication.json").read_text())["published_at"]


def rendered(app) -> str:
    """Everything a reader reads on the page, as markdown and text."""
    parts = texts(app.markdown) + texts(app.caption) + texts(app.code) + texts(app.subheader)
    return "\n".join(parts)


# ---------------------------------------------------------------------------- demo record
def test_incident_page_is_a_citable_record(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    incident_id, reports, sources = ma_incident(demo_dir)
    app = open_page(monkeypatch, demo_dir, "incidents", params={"id": incident_id})
    markdown = [m.replace("\\", "") for m in texts(app.markdown)]

    # the summary: what, where, when in local time, how long, cause label, how many sources
    summary = next(m for m in markdown if m.startswith("911 service was disrupted"))
    assert summary == (
        "911 service was disrupted across Massachusetts on 18 June 2024 from 13:15 EDT for "
        f"2 hours (cause: firewall or security device), according to {sources} sources."
    )
    # times read in the place's zone, not UTC
    assert any("**Began:** 2024-06-18 13:15 EDT" in m for m in markdown)

    # every fact with its source (linked) and quote: the curated record cites CapeCod.com
    table = next(m for m in markdown if m.startswith("| fact | value | source | quote |"))
    rows = table.splitlines()[2:]
    cause_rows = [r for r in rows if r.startswith("| Cause | Firewall or security device |")]
    assert any(
        "Documented record, citing [State officials say firewall problem" in r
        and "(<https://www.capecod.com/" in r
        and "“A preliminary investigation conducted by the State 911 Department and Comtech" in r
        for r in cause_rows
    )
    assert any(r.startswith("| Began | 2024-06-18 13:15 EDT |") for r in rows)
    # the agency's own page is a source too, with its title from the sources table
    assert any("Massachusetts State 911 Department news (mass.gov)" in r for r in rows)

    # how to cite: id, URL and data version, as text, BibTeX and CSL-JSON
    version = version_of(demo_dir)
    codes = texts(app.code)
    text = next(c for c in codes if c.startswith("911 Outage Watch ("))
    assert incident_id in text and f"data version {version}" in text
    assert f"/incidents?id={incident_id}" in text and "accessed " in text
    bibtex = next(c for c in codes if c.startswith("@misc{"))
    assert f"Incident {incident_id}" in bibtex and f"version = {{{version}}}" in bibtex
    csl = json.loads(next(c for c in codes if c.lstrip().startswith("[")))
    assert csl[0]["number"] == incident_id and csl[0]["version"] == version
    assert csl[0]["type"] == "dataset" and csl[0]["URL"].endswith(f"?id={incident_id}")

    # the SQL page link: decodes to a query the public guard runs, giving the same reports
    (link,) = [p.proto for p in app.get("page_link") if "SQL page" in p.proto.label]
    assert link.page.endswith("sql")
    sql = parse_qs(link.query_string)["sql"][0]
    assert f"incident_id = '{incident_id}'" in sql
    assert guard.check_statement(sql) == sql
    result = guard.run_public_query(demo_dir / "outages.duckdb", sql)
    assert len(result.rows) == reports
    assert {row[result.columns.index("source")] for row in result.rows} >= {"curated"}


def test_labels_not_codes_on_the_incident_page(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    incident_id, _, _ = ma_incident(demo_dir)
    app = open_page(monkeypatch, demo_dir, "incidents", params={"id": incident_id})
    shown = "\n".join(texts(app.markdown) + texts(app.caption)).replace("\\", "")
    # the code is in the database (and in the SQL page link's query), not in the prose
    assert query(demo_dir, "SELECT cause FROM incidents WHERE incident_id = ?", [incident_id]) == [
        ("firewall_or_security_device",)
    ]
    prose = shown
    for code in ("firewall_or_security_device", "(curated)", "(gdelt_news)", "(ma_state911)"):
        assert code not in prose
    for spider in ("gdelt_news", "openfema_ipaws", "ma_state911"):
        assert spider not in prose
    assert "reported: Firewall or security device (The documented record" in prose
    assert "Firewall or security device (Government agency: Massachusetts State 911" in prose
    # the reports table: source titles and status labels
    reports = app.dataframe[0].value
    if "source" not in reports.columns:  # the incident table comes first when it is shown
        reports = next(d.value for d in app.dataframe if "report_id" in d.value.columns)
    assert "openfema_ipaws" not in set(reports["source"])
    assert "OpenFEMA IPAWS Archived Alerts" in set(reports["source"])
    assert set(reports["status"]) <= {taxonomy.label("statuses", s) for s in taxonomy.STATUSES}


# ---------------------------------------------------------------------------- hostile text
@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two outages whose sources quote hostile text (constructed: `is_constructed` true): a
    news story about Boston, and a curated record's citation line, both naming Boston and
    Las Vegas, one incident in two time zones."""
    root = tmp_path_factory.mktemp("hostile-record")
    start = datetime(2024, 6, 18, 17, 15, tzinfo=UTC)
    common = {
        "is_outage": True,
        "status": "outage",
        "state_codes": ["MA", "NV"],
        "county_fips": ["25025", "32003"],
        "references_keys": [],
        "is_constructed": True,
        "started_at": start,
        "ended_at": start + timedelta(minutes=159),
        "published_at": start,
        "cause": "fiber_cut",
    }
    rows = [
        {
            **common,
            "report_id": "hostile-news",
            "source": "gdelt_news",
            "source_kind": "news",
            "source_url": "https://news.example.com/story",
            "title": "Story " + HOSTILE,
            "field_evidence": {"cause": HOSTILE, "publisher": "example.com"},
        },
        {
            **common,
            "report_id": "hostile-curated",
            "source": "curated",
            "source_kind": "curated",
            "source_url": "https://record.example.org/a",
            "title": "Record",
            "field_evidence": {"cause": "first quote", "curated_key": "x"},
            "body": "Summary\n\nCitations:\n"
            f"- cause: \u201c{HOSTILE}\u201d \u2014 Evil [title](javascript:x) (Pub, 2024) "
            "<https://record.example.org/a>",
        },
    ]
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, rows)
        write_sources_table(con, source_records())
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    return root


def test_hostile_quotes_are_escaped(monkeypatch: pytest.MonkeyPatch, hostile_dir: Path) -> None:
    incident_id = query(hostile_dir, "SELECT incident_id FROM incidents")[0][0]
    app = open_page(
        monkeypatch, hostile_dir, "incidents", params={"id": incident_id, "constructed": "true"}
    )
    table = next(m for m in texts(app.markdown) if m.startswith("| fact | value |"))
    rows = table.splitlines()[2:]
    assert len(rows) == 2  # the story's quote and the record's citation
    for row in rows:
        # four cells: the quote's `|` is escaped and cannot open a fifth
        assert len(re.findall(r"(?<!\\)\|", row)) == 5
        assert not re.search(r"(?<!\\)<img", row)
        assert "\\<img src=x onerror=alert\\(1\\)\\>" in row
        assert "[click](javascript" not in row and "\\[click\\]\\(javascript\\:" in row
        assert "**loud**" not in row and ":red[" not in row and "\u202e" not in row
    # the record's citation: its title is text, and no javascript: link is made of it
    assert "](javascript" not in table
    assert "Documented record, citing [Evil \\[title\\]\\(javascript\\:x\\)" in table


def test_an_incident_across_time_zones_keeps_utc(
    monkeypatch: pytest.MonkeyPatch, hostile_dir: Path
) -> None:
    incident_id = query(hostile_dir, "SELECT incident_id FROM incidents")[0][0]
    app = open_page(
        monkeypatch, hostile_dir, "incidents", params={"id": incident_id, "constructed": "true"}
    )
    markdown = [m.replace("\\", "") for m in texts(app.markdown)]
    assert any("**Began:** 2024-06-18 17:15 UTC" in m for m in markdown)
    summary = next(m for m in markdown if m.startswith("911 service was disrupted"))
    assert "from 17:15 UTC for 2 hours 39 minutes (cause: fiber cut)" in summary
    assert "in Suffolk County, MA and Clark County, NV" in summary


# ---------------------------------------------------------------------------- pure parts
def test_citation_formats_escape_and_carry_the_version() -> None:
    citation = record.Citation(
        title="Outage {with} 100% _odd_ \\title",
        url="https://outages.example.org/incidents?id=i-0123456789abcdef",
        incident_id="i-0123456789abcdef",
        version="2026-01-02T03:04:05+00:00",
        accessed=date(2026, 2, 3),
    )
    bib = citation.bibtex()
    assert "title = {{Outage \\{with\\} 100\\% \\_odd\\_ \\textbackslash{}title}}" in bib
    assert bib.count("{") == bib.count("}")
    assert "urldate = {2026-02-03}" in bib and "year = {2026}" in bib
    csl = json.loads(citation.csl_json())[0]
    assert csl["title"] == "Outage {with} 100% _odd_ \\title"
    assert csl["accessed"] == {"date-parts": [[2026, 2, 3]]}
    assert csl["issued"] == {"date-parts": [[2026, 1, 2]]}
    assert "(accessed 2026-02-03)" in citation.text()


def test_duration_and_place_words() -> None:
    assert record.duration_words(120) == "2 hours"
    assert record.duration_words(159) == "2 hours 39 minutes"
    assert record.duration_words(1) == "1 minute"
    assert record.duration_words(3 * 24 * 60 + 60) == "3 days 1 hour"
    assert record.duration_words(float("nan")) is None
    counties = pd.DataFrame(
        {
            "county_fips": [f"46{n:03d}" for n in range(12)],
            "county_name": [f"C{n}" for n in range(12)],
            "state_code": ["SD"] * 12,
        }
    )
    inc = pd.Series({"state_codes": ["SD"], "statewide_states": []})
    assert record.place_words(inc, counties, {"SD": "South Dakota"}) == (
        "in 12 counties of South Dakota"
    )
    assert record.place_words(inc, counties.head(2), {}) == "in C0, SD and C1, SD"
