"""End to end through the real Scrapy engine: replay WARC archives into a temporary data dir,
then read the published DuckDB file."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from crawlers.archive import ArchiveRecord, write_records
from tests.conftest import SNAPSHOT, outages, query, table_counts

FIXTURES = Path(__file__).parent / "fixtures"


def test_demo_publishes_reports_outages_and_threads(demo_dir: Path) -> None:
    counts = table_counts(demo_dir)
    assert counts["reports"] >= 60  # 40 recorded alerts + constructed ones (+ NWS copies)
    # The only problem in the demo is a real training alert for Midway Atoll (SAME 074300),
    # a place outside our reference geography: recorded as a geocode warning, not an error.
    problems = query(demo_dir, "SELECT stage, message FROM crawl_errors")
    assert [stage for stage, _ in problems] == ["geocode"]
    assert "074300" in problems[0][1]
    assert query(demo_dir, "SELECT sum(errors), sum(warnings) FROM crawl_runs") == [(0, 1)]
    statuses = {row[0] for row in query(demo_dir, "SELECT DISTINCT status FROM reports")}
    assert {"outage", "update", "not_outage", "test"} <= statuses
    assert statuses & {"restored", "cancelled"}
    # The 40 recorded federal alerts are real and none is a 911 outage.
    real = query(
        demo_dir,
        "SELECT count(*), count(*) FILTER (WHERE is_outage) FROM reports "
        "WHERE source = 'openfema_ipaws' AND NOT is_constructed",
    )
    assert real == [(40, 0)]
    # No real outage alert has been recorded anywhere: every outage alert in the demo is
    # constructed and labelled so (the real outage records come from curated and FCC documents).
    assert query(
        demo_dir,
        "SELECT count(*) FROM reports WHERE is_outage AND NOT is_constructed "
        "AND source_kind NOT IN ('curated', 'regulator')",
    ) == [(0,)]
    sources = {row[0] for row in query(demo_dir, "SELECT DISTINCT source FROM reports")}
    # every source with a demo fixture reaches the quick start's demo (no hand-kept list:
    # the fixture folders); a source that says why it has none (demo_absent_because) is
    # the only one missing
    from crawlers.registry import spider_classes

    with_demo = {
        case.parent.parent.name
        for case in (Path(__file__).parent / "fixtures" / "spiders").glob("*/*/case.json")
        if json.loads(case.read_text()).get("demo")
    }
    assert sources == with_demo | {"curated"}
    assert {spider.name for spider in spider_classes()} - sources == {
        spider.name for spider in spider_classes() if spider.demo_absent_because
    }


def test_massachusetts_statewide_outage_covers_every_county(demo_dir: Path) -> None:
    rows = query(
        demo_dir,
        """
        SELECT r.report_id, count(rc.county_fips)
        FROM reports r JOIN report_counties rc USING (report_id)
        WHERE r.is_outage AND list_contains(r.statewide_states, 'MA')
          AND r.published_at::DATE = DATE '2024-06-18'
        GROUP BY ALL""",
    )
    assert rows, "no Massachusetts 2024-06-18 outage reports"
    assert {n for _, n in rows} == {14}  # SAME 025000: all 14 Massachusetts counties


def test_south_dakota_thread_ends_at_its_all_clear(demo_dir: Path) -> None:
    rows = query(
        demo_dir,
        """
        SELECT thread_id, min(started_at), max(ended_at), count(*),
               list(DISTINCT status ORDER BY status)
        FROM reports
        WHERE is_outage AND list_contains(state_codes, 'SD') AND source = 'openfema_ipaws'
          AND event_code = 'TOE'
        GROUP BY thread_id""",
    )
    assert len(rows) == 1, rows
    thread_id, started, ended, members, statuses = rows[0]
    assert thread_id is not None and members >= 3
    assert "outage" in statuses and ("cancelled" in statuses or "restored" in statuses)
    assert ended is not None and ended > started
    # The all-clear's own time is the thread's end.
    closing = query(
        demo_dir,
        "SELECT min(published_at) FROM reports WHERE thread_id = ? "
        "AND status IN ('restored', 'cancelled')",
        [thread_id],
    )[0][0]
    assert ended == closing


def test_sql_command_answers_on_demo_data(demo_dir: Path) -> None:
    result = outages(
        "sql",
        "SELECT count(*) AS n FROM reports WHERE is_outage",
        "--format",
        "json",
        data_dir=demo_dir,
    )
    rows = json.loads(result.stdout)
    assert rows[0]["n"] == query(demo_dir, "SELECT count(*) FROM reports WHERE is_outage")[0][0]
    assert rows[0]["n"] > 10
    csv_out = outages(
        "sql",
        "SELECT report_id, state_codes FROM reports ORDER BY 1 LIMIT 2",
        "--format",
        "csv",
        data_dir=demo_dir,
    ).stdout.splitlines()
    assert csv_out[0] == "report_id,state_codes" and len(csv_out) == 3
    public = outages("sql", "DELETE FROM reports", "--public", data_dir=demo_dir, check=False)
    assert public.returncode != 0 and "read-only" in public.stderr
    assert "Traceback" not in public.stderr


def test_replay_twice_is_idempotent(demo_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "twice"
    shutil.copytree(demo_dir, data_dir)
    before = table_counts(data_dir)
    before_rows = query(
        data_dir, "SELECT report_id, status, ended_at, thread_id FROM reports ORDER BY report_id"
    )
    outages("crawl", "--replay", str(SNAPSHOT), data_dir=data_dir)
    assert table_counts(data_dir) == before
    assert (
        query(
            data_dir,
            "SELECT report_id, status, ended_at, thread_id FROM reports ORDER BY report_id",
        )
        == before_rows
    )
    runs = query(data_dir, "SELECT spider, count(*) FROM crawl_runs GROUP BY ALL")
    assert {n for _, n in runs} == {2}  # each spider ran twice: runs are a log, reports are not


def test_broken_pages_are_recorded_and_good_items_kept(tmp_path: Path) -> None:
    good = FIXTURES / "spiders" / "openfema_ipaws" / "real_2026-07-29_page2" / "response.json"
    page = json.loads(good.read_text())
    page["IpawsArchivedAlerts"][3]["originalMessage"] = "<alert><identifier>broken"
    fema_url = page["metadata"]["url"]
    nws_url = "https://api.weather.gov/alerts?code=TOE&start=2024-01-01T00:00:00Z"
    archive = tmp_path / "broken.warc.gz"
    when = datetime(2026, 7, 30, tzinfo=UTC)
    write_records(
        archive,
        [
            ArchiveRecord(
                url=fema_url.replace("%24skip=25", "%24skip=0"),
                body=json.dumps(page).encode(),
                fetched_at=when,
            ),
            ArchiveRecord(
                url=nws_url,
                body=b'{"type": "FeatureCollection", "features": [{"id"',
                fetched_at=when,
            ),
        ],
    )
    data_dir = tmp_path / "data"
    result = outages("crawl", "--replay", str(archive), data_dir=data_dir, check=False)
    assert result.returncode != 0
    assert "nws_alerts" in result.stderr and "Traceback" not in result.stderr
    errors = query(data_dir, "SELECT spider, url, stage FROM crawl_errors ORDER BY spider")
    assert ("nws_alerts", nws_url, "parse") in errors
    assert any(
        spider == "openfema_ipaws" and "record 3" in message
        for spider, message in query(data_dir, "SELECT spider, message FROM crawl_errors")
    )
    kept = query(data_dir, "SELECT count(*) FROM reports WHERE source = 'openfema_ipaws'")[0][0]
    assert kept == len(page["IpawsArchivedAlerts"]) - 1
    statuses = dict(query(data_dir, "SELECT spider, status FROM crawl_runs"))
    assert statuses == {"openfema_ipaws": "partial", "nws_alerts": "failed"}


def test_from_url_loads_one_saved_response_per_spider(tmp_path: Path) -> None:
    data_dir = tmp_path / "from"
    nws = next((FIXTURES / "spiders" / "nws_alerts").glob("*/response.json"))
    fema = FIXTURES / "spiders" / "openfema_ipaws" / "constructed_2024-04-18" / "response.json"
    outages("crawl", "nws_alerts", "--from", nws.as_uri(), data_dir=data_dir)
    outages("crawl", "openfema_ipaws", "--from", fema.as_uri(), data_dir=data_dir)
    by_source = dict(query(data_dir, "SELECT source, count(*) FROM reports GROUP BY source"))
    assert by_source["nws_alerts"] == len(json.loads(nws.read_text())["features"])
    assert by_source["openfema_ipaws"] == len(json.loads(fema.read_text())["IpawsArchivedAlerts"])
    refs = query(data_dir, "SELECT DISTINCT archive_ref IS NOT NULL FROM reports")
    assert refs == [(True,)]  # --from responses are archived too


def test_exports_have_the_sources_row_counts(demo_dir: Path, tmp_path: Path) -> None:
    import csv

    import duckdb

    n_reports = query(demo_dir, "SELECT count(*) FROM reports")[0][0]
    for fmt in ("csv", "parquet", "jsonl"):
        target = tmp_path / f"reports.{fmt}"
        outages("export", "reports", "--format", fmt, "-o", str(target), data_dir=demo_dir)
        reader = {"csv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json"}[fmt]
        n = duckdb.execute(f"SELECT count(*) FROM {reader}('{target}')").fetchone()[0]
        assert n == n_reports, fmt
    with (tmp_path / "reports.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[:3] == ["report_id", "source", "source_url"]
    geo = tmp_path / "counties.geojson"
    outages(
        "export", "county_outage_reports", "--format", "geojson", "-o", str(geo), data_dir=demo_dir
    )
    features = json.loads(geo.read_text())["features"]
    assert len(features) == query(demo_dir, "SELECT count(*) FROM county_outage_reports")[0][0]
    assert all(f["geometry"] for f in features)
    # Tables whose county_fips is a list draw all their counties (incidents, reports).
    incidents_geo = tmp_path / "incidents.geojson"
    outages(
        "export", "incidents", "--format", "geojson", "-o", str(incidents_geo), data_dir=demo_dir
    )
    features = json.loads(incidents_geo.read_text())["features"]
    assert len(features) == query(demo_dir, "SELECT count(*) FROM incidents")[0][0]
    with_counties = query(demo_dir, "SELECT count(*) FROM incidents WHERE len(county_fips) > 0")
    assert sum(1 for f in features if f["geometry"]) == with_counties[0][0]
    bad = outages("export", "no_such_table", data_dir=demo_dir, check=False)
    assert bad.returncode != 0 and "no table or view" in bad.stderr


def test_spiders_lists_coverage_last_run_and_per_state_sources(demo_dir: Path) -> None:
    rows = json.loads(outages("spiders", "--format", "json", data_dir=demo_dir).stdout)
    by_name = {row["spider"]: row for row in rows}
    assert {"openfema_ipaws", "nws_alerts"} <= set(by_name)
    fema = by_name["openfema_ipaws"]
    assert fema["reports"] > 40 and fema["last_status"] == "ok" and fema["last_success_at"]
    assert fema["cadence_minutes"] == 24 * 60 and fema["kind"] == "alert"
    for row in rows:  # what each parser was checked against, as the spider declares it
        assert row["verified_count"] == len(row["verified_with"])
        assert row["checked"] == (
            f"{row['verified_count']} real page{'s' if row['verified_count'] > 1 else ''}"
            if row["verified_count"]
            else row["checked_by"] or "not yet checked against the real source"
        )
    assert "outages curated check" in by_name["curated"]["checked"]
    published = query(
        demo_dir, "SELECT spider, verified_with, verified_count, unverified_because FROM sources"
    )
    assert {r[0]: (r[1], r[2], r[3]) for r in published} == {
        r["spider"]: (r["verified_with"], r["verified_count"], r["unverified_because"])
        for r in rows
    }
    states = json.loads(
        outages("spiders", "--by-state", "--format", "json", data_dir=demo_dir).stdout
    )
    assert [row["state"] for row in states] == ["MA", "SD", "NV", "TX", "NE"]
    assert all("openfema_ipaws" in row["sources_with_reports"] for row in states)


def test_replay_serves_every_recording_of_a_polled_url(tmp_path: Path) -> None:
    """NWS is polled at one URL all day: each recorded answer must come back on replay."""
    case = FIXTURES / "spiders" / "nws_alerts" / "constructed_page2"
    page = json.loads((case / "response.json").read_text())
    url = "https://api.weather.gov/alerts?code=TOE&start=2024-04-17T00:00:00Z"
    first = dict(page, features=page["features"][:1])
    later = json.loads(json.dumps(first))
    later["features"][0]["properties"]["id"] += "-later"
    later["features"][0]["properties"]["sent"] = "2024-04-18T05:00:00-05:00"
    archive = tmp_path / "polls.warc.gz"
    write_records(
        archive,
        [
            ArchiveRecord(
                url=url,
                body=json.dumps(first).encode(),
                fetched_at=datetime(2024, 4, 18, 3, tzinfo=UTC),
            ),
            ArchiveRecord(
                url=url,
                body=json.dumps(later).encode(),
                fetched_at=datetime(2024, 4, 18, 3, 5, tzinfo=UTC),
            ),
        ],
    )
    data_dir = tmp_path / "data"
    outages("crawl", "nws_alerts", "--replay", str(archive), data_dir=data_dir)
    assert query(data_dir, "SELECT count(*) FROM reports")[0][0] == 2
