"""Incident facts on the demo data (golden), and the check against the curated incidents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from crawlers.curated_record import load_records
from demo.ground_truth import alert_rows, builder_rows, curated_events, summary
from warehouse.incidents import REPORT_FIELDS_SQL, Report, cluster, incident_facts, reference_maps

VALIDATION_ROWS: list[dict] = []  # printed in the terminal summary (tests/conftest.py)
ALERT_ROWS: list[dict] = []


def incidents(demo_dir: Path) -> list[dict]:
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        return (
            con.sql("SELECT * FROM incidents ORDER BY started_on, incident_id")
            .to_arrow_table()
            .to_pylist()
        )


def one(rows: list[dict], day: str, states: list[str]) -> dict:
    found = [r for r in rows if r["started_on"].isoformat() == day and r["state_codes"] == states]
    assert len(found) == 1, f"{day} {states}: {[(r['title'], r['state_codes']) for r in rows]}"
    return found[0]


def test_massachusetts_2024_06_18_is_one_statewide_incident(demo_dir: Path) -> None:
    ma = one(incidents(demo_dir), "2024-06-18", ["MA"])
    assert ma["statewide_states"] == ["MA"] and len(ma["county_fips"]) == 14
    assert (ma["cause"], ma["provider"]) == ("firewall_or_security_device", "Comtech")
    assert ma["duration_minutes"] == 120  # 13:15 to 15:15 EDT, as the state said
    assert {"curated", "ma_state911", "openfema_ipaws"} <= set(ma["sources"])
    assert ma["title"] == (
        "911 outage statewide in Massachusetts, 2024-06-18, 2 h 0 min, firewall or security device"
    )
    assert ma["population_affected"] > 6_500_000 and ma["confidence"] == 1.0


def test_2024_04_17_lumen_fiber_cut_is_one_incident_across_three_states(demo_dir: Path) -> None:
    rows = incidents(demo_dir)
    lumen = one(rows, "2024-04-17", ["NE", "NV", "SD"])
    assert (lumen["cause"], lumen["provider"]) == ("fiber_cut", "Lumen")
    assert lumen["statewide_states"] == ["SD"]
    assert {"openfema_ipaws", "nws_alerts", "sd_dps", "nv_lvmpd", "curated"} <= set(
        lumen["sources"]
    )
    # The same evening's Texas trouble was a cellular carrier's, not Lumen's: its own incident.
    texas = one(rows, "2024-04-17", ["TX"])
    assert texas["provider"] == "T-Mobile" and texas["county_fips"] == ["48465"]
    assert texas["incident_id"] != lumen["incident_id"]


def test_nebraska_2023_08_31_is_one_incident(demo_dir: Path) -> None:
    ne = one(incidents(demo_dir), "2023-08-31", ["NE"])
    assert (ne["cause"], ne["provider"]) == ("fiber_cut", "Lumen")
    assert ne["ended_at"] is not None and ne["duration_minutes"] > 9 * 60
    assert {"curated", "ne_psc", "openfema_ipaws"} <= set(ne["sources"])


def test_every_outage_report_with_a_place_belongs_to_an_incident(demo_dir: Path) -> None:
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        orphans = con.execute(
            "SELECT count(*) FROM reports WHERE is_outage AND incident_id IS NULL "
            "AND (len(state_codes) > 0 OR provider IS NOT NULL) "
            "AND coalesce(published_at, started_at, ended_at, occurred_on) IS NOT NULL"
        ).fetchone()[0]
        counted = con.execute("SELECT sum(report_count) FROM incidents").fetchone()[0]
        members = con.execute(
            "SELECT count(*) FROM reports WHERE incident_id IS NOT NULL"
        ).fetchone()[0]
    assert orphans == 0 and counted == members


def test_each_documented_outage_becomes_one_incident(demo_dir: Path) -> None:
    """Ground truth for the incident builder, over every curated record: each documented
    outage (records sharing an event_group are one) becomes one incident, holding all its
    curated reports and no other outage's, with its states and, where the record documents
    one, a duration within 15 minutes."""
    events = curated_events()
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM reports WHERE source = 'curated'").fetchone()
        rows = builder_rows(con, events)
    assert loaded == (len(load_records()),)  # the demo holds the whole record
    assert len(rows) == len(events) > 0
    wrong = [r for r in rows if r["verdict"] != "one incident, right states and duration"]
    assert not wrong, wrong


def test_every_fcc_document_tied_to_a_documented_record_is_in_its_incident(
    demo_dir: Path,
) -> None:
    """crawlers/data/fcc_documents.csv ties an FCC document to the curated record it is about
    (incident_key): the document must be in that record's incident. Regression: the Lumen
    consent decree of the 2020-09-28 Intrado/Lumen NG911 outage (no place, provider Lumen; the
    record's provider is Intrado) was an incident of its own, in an unknown place."""
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT d.report_id, json_extract_string(d.field_evidence, '$.curated_key') AS key, "
            "d.incident_id, c.incident_id FROM reports AS d JOIN reports AS c "
            "ON c.source = 'curated' AND c.evidence = 'hand-curated record ' || "
            "json_extract_string(d.field_evidence, '$.curated_key') "
            "WHERE d.source = 'fcc_docs' AND d.is_outage"
        ).fetchall()
    keys = {key for _, key, _, _ in rows}
    assert "2020-09-28-intrado-lumen-ng911" in keys  # the defect's case is in the demo
    apart = [(key, doc) for doc, key, incident, record in rows if incident != record]
    assert not apart, apart


def test_the_alert_path_on_the_documented_record(demo_dir: Path) -> None:
    """How many documented outages incidents built from the alerts alone reproduce, where
    alert material exists (printed in the terminal summary; demo/ground_truth.py)."""
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        rows = alert_rows(con, curated_events())
    ALERT_ROWS.clear()
    ALERT_ROWS.extend(rows)
    ALERT_ROWS.append({"event": summary(rows)})
    with_material = [r for r in rows if r["verdict"] != "no alert material"]
    assert with_material  # the demo's constructed alerts model some documented outages
    assert any(r["verdict"] == "reproduced" for r in with_material)


def test_curated_incidents_are_found_by_the_other_sources(demo_dir: Path) -> None:
    """Incidents built from every source but `curated` must match each curated event the demo's
    other sources report on: start within the curated dates (a day either side) and the same
    states. Events no other demo source mentions, or whose other sources name only some of
    the states, are listed as such, not failed: that is a gap in the demo data, not a wrong
    incident."""
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        rows = con.sql(REPORT_FIELDS_SQL + " AND source <> 'curated'").to_arrow_table().to_pylist()
        reference = reference_maps(con)
    built = [
        incident_facts(group, **reference) for group in cluster(Report.from_row(r) for r in rows)
    ]
    VALIDATION_ROWS.clear()
    failures = []
    for event in curated_events():
        first, last = min(event.dates).isoformat(), max(event.dates).isoformat()
        near = [
            i
            for i in built
            if i.started_on
            and str(_shift(first, -1)) <= i.started_on.isoformat() <= str(_shift(last, 1))
        ]
        match = next((i for i in near if set(i.state_codes) == event.states), None)
        partial = next((i for i in near if set(i.state_codes) < event.states), None)
        covered = any(event.states & set(i.state_codes) for i in near)
        if match:
            verdict = "matched"
        elif partial:  # the demo's other sources report only some of the states
            verdict = "partial: other sources name " + ",".join(sorted(partial.state_codes))
        else:
            verdict = "MISSED" if covered else "no other source in demo"
        VALIDATION_ROWS.append(
            {
                "curated event": event.name,
                "dates": f"{first}..{last}",
                "states": ",".join(sorted(event.states))[:40],
                "verdict": verdict,
                "incident": match.title if match else "",
            }
        )
        if verdict == "MISSED":
            failures.append(event.name)
    matched = [r for r in VALIDATION_ROWS if r["verdict"] == "matched"]
    assert not failures, f"curated events the other sources report but do not match: {failures}"
    assert len(matched) >= 4  # MA 2024-06-18, Lumen 2024-04-17, Texas 2024-04-17, NE 2023-08-31


def _shift(day: str, days: int) -> str:
    from datetime import date

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


@pytest.fixture(autouse=True, scope="module")
def _stash_for_summary(request: pytest.FixtureRequest):
    yield
    request.config.stash.setdefault("curated_validation", []).extend(VALIDATION_ROWS)
    request.config.stash.setdefault("alert_path", []).extend(ALERT_ROWS)


def test_the_demo_map_has_real_incidents_in_every_year_of_the_record(demo_dir: Path) -> None:
    """The quick start's map animates across the record's years on real incidents: every year
    from the first documented outage to the last has at least one incident that is not built
    from constructed material."""
    records = load_records()
    first, last = min(int(r["date"][:4]) for r in records), max(int(r["date"][:4]) for r in records)
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        years = {
            year
            for (year,) in con.sql(
                "SELECT DISTINCT year(started_on) FROM incidents WHERE constructed_reports = 0"
            ).fetchall()
        }
    assert (first, last) == (2012, 2026)
    assert set(range(first, last + 1)) <= years
