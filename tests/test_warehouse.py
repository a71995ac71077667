"""The warehouse on a real DuckDB file: migrations, bulk load, threads, publish, lock, CSV."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_rows import T0, report
from warehouse import lock
from warehouse.build import build, thread_ids
from warehouse.db import DataDir, connect_work, migrate
from warehouse.export import neutralize_cell
from warehouse.load import load_reports, record_errors
from warehouse.publish import publish


@pytest.fixture
def work(tmp_path: Path):
    data_dir = DataDir(tmp_path)
    con = connect_work(data_dir)
    yield data_dir, con
    con.close()


def test_migrations_apply_once(work) -> None:
    _, con = work
    names = [r[0] for r in con.execute("SELECT name FROM _migrations").fetchall()]
    assert names and names[0].startswith("0001_")
    assert migrate(con) == []  # re-running is a no-op
    assert con.execute("SELECT count(*) FROM counties").fetchone()[0] > 3000


def test_bulk_load_is_idempotent_and_last_write_wins(work) -> None:
    _, con = work
    rows = [report(f"r{i}", title=f"t{i}") for i in range(2500)]
    assert load_reports(con, rows) == 2500
    assert load_reports(con, rows) == 2500
    rows[0]["title"] = "changed"
    load_reports(con, rows[:1] + rows[:1])  # a repeated id inside one batch is fine
    assert con.execute("SELECT count(*) FROM crawled_reports").fetchone()[0] == 2500
    assert (
        con.execute("SELECT title FROM crawled_reports WHERE report_id='r0'").fetchone()[0]
        == "changed"
    )


def test_errors_are_deduplicated_with_counts(work) -> None:
    _, con = work
    err = {"spider": "s", "url": "https://x", "stage": "parse", "error_type": "E", "message": "m"}
    record_errors(con, [err, err], "run-1")
    record_errors(con, [err], "run-2")
    assert con.execute(
        "SELECT count(*), max(times_seen), max(last_seen_run_id) FROM crawl_errors"
    ).fetchone() == (1, 3, "run-2")


def test_threads_join_updates_and_all_clear_and_end_the_outage(work) -> None:
    _, con = work
    a = "sender,A,2024-04-17T17:00:00-05:00"
    load_reports(
        con,
        [
            report(
                "alert",
                alert_key=a,
                is_outage=True,
                status="outage",
                message_type="Alert",
                state_codes=["SD"],
                county_fips=["46099"],
            ),
            # An update that arrives (is loaded) before the alert it updates.
            report(
                "update",
                alert_key="sender,B,x",
                references_keys=[a],
                is_outage=False,
                status="not_outage",
                message_type="Update",
                published_at=T0 + timedelta(hours=1),
            ),
            report(
                "clear",
                alert_key="sender,C,y",
                references_keys=["sender,B,x"],
                is_outage=True,
                status="restored",
                message_type="Update",
                published_at=T0 + timedelta(hours=2),
            ),
            # A restored message with no outage to attach to.
            report(
                "orphan",
                alert_key="other,Z,z",
                is_outage=True,
                status="restored",
                message_type="Alert",
                published_at=T0 + timedelta(days=3),
            ),
            report("unrelated", alert_key="other,Q,q", state_codes=["SD"]),
        ],
    )
    build(con)
    rows = dict(
        (r[0], r[1:])
        for r in con.execute(
            "SELECT report_id, thread_id, is_outage, status, ended_at FROM reports"
        ).fetchall()
    )
    assert rows["alert"][0] == rows["update"][0] == rows["clear"][0] == "alert"
    assert rows["update"][1:3] == (True, "update")  # inherits the thread's subject
    assert rows["alert"][3] == T0 + timedelta(hours=2)  # ended by the all-clear
    assert rows["orphan"][0] is None and rows["orphan"][3] == T0 + timedelta(days=3)
    assert rows["unrelated"][0] is None and rows["unrelated"][3] is None
    # Thread members that carry no area (a bare Cancel) take the places of their thread.
    assert con.execute(
        "SELECT state_codes, county_fips FROM reports WHERE report_id='update'"
    ).fetchone() == (["SD"], ["46099"])
    # The statewide-less county report maps to one county; report_counties is rebuilt.
    assert con.execute(
        "SELECT county_fips FROM report_counties WHERE report_id='alert'"
    ).fetchall() == [("46099",)]


def test_statewide_report_covers_every_county_of_its_state(work) -> None:
    _, con = work
    load_reports(
        con,
        [
            report(
                "ma", state_codes=["MA"], statewide_states=["MA"], is_outage=True, status="outage"
            ),
            report("ma-part", state_codes=["MA"], is_outage=True, status="outage"),
        ],
    )
    build(con)
    counts = dict(
        con.execute("SELECT report_id, count(*) FROM report_counties GROUP BY 1").fetchall()
    )
    assert counts["ma"] == 14
    # A state named without counties, not said to be affected as a whole, covers no county.
    assert "ma-part" not in counts


def test_statewide_connecticut_counts_each_place_once(work) -> None:
    _, con = work
    load_reports(
        con,
        [
            report(
                "ct", state_codes=["CT"], statewide_states=["CT"], is_outage=True, status="outage"
            )
        ],
    )
    build(con)
    # The 8 legacy counties drawn on the map, not also the 9 planning regions that overlap them.
    assert (
        con.execute("SELECT count(*) FROM report_counties WHERE report_id='ct'").fetchone()[0] == 8
    )


def test_thread_ids_do_not_depend_on_order() -> None:
    rows = [
        (f"r{i}", f"k{i}", [f"k{i - 1}"] if i % 3 else [], T0 + timedelta(minutes=i))
        for i in range(30)
    ]
    expected = thread_ids(rows)
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert thread_ids(shuffled) == expected
    assert expected["r2"] == "r0" and expected["r4"] == "r3"


def test_publish_replaces_atomically_while_a_reader_holds_the_old_file(work) -> None:
    data_dir, con = work
    load_reports(con, [report("one")])
    build(con)
    publish(con, data_dir)
    reader = duckdb.connect(str(data_dir.published_db), read_only=True)
    load_reports(con, [report("two")])
    build(con)
    publication = publish(con, data_dir)
    assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 1  # old snapshot
    reader.close()
    with duckdb.connect(str(data_dir.published_db), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
        assert fresh.execute("SELECT storage_version FROM publication").fetchone()[0] == "v1.5.0"
        assert "_migrations" not in {r[0] for r in fresh.execute("SHOW TABLES").fetchall()}
    assert publication.counts["reports"] == 2
    assert not list(data_dir.root.glob(".outages.duckdb.*.tmp"))


def test_second_writer_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    lock_path = tmp_path / "crawl.lock"
    lock.acquire(lock_path)
    try:
        code = (
            "import sys; from pathlib import Path; from warehouse import lock\n"
            "try:\n    lock.acquire(Path(sys.argv[1]))\nexcept lock.LockBusy as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code, str(lock_path)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 3
        assert "another crawl or build is running" in result.stdout
    finally:
        lock.release(lock_path)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_spreadsheets_would_run_are_neutralized(cell: str) -> None:
    assert neutralize_cell(cell) == "'" + cell
    assert neutralize_cell("safe =") == "safe ="


def test_run_status_rules() -> None:
    from crawlers.pipelines import run_status

    counts = {"items": 0, "errors": 0}
    assert run_status("finished", counts, None) == "empty"
    assert run_status("finished", counts, "quiet days are normal") == "ok"
    assert run_status("finished", {**counts, "not_modified": 3}, None) == "ok"  # all 304s
    assert run_status("finished", {"items": 0, "errors": 2}, "quiet") == "failed"
    assert run_status("finished", {"items": 5, "errors": 1}, None) == "partial"
    assert run_status("shutdown", {"items": 5, "errors": 0}, None) == "failed"


# ---------------------------------------------------------------------------- aggregates
# The aggregate tables of warehouse/sql/aggregates.sql must give what the aggregation they
# replace gives when done the slow way, on every report.
SLOW_SOURCE_COVERAGE = """
SELECT r.source, s.state_code, count(*) AS reports,
       count(*) FILTER (WHERE r.is_outage) AS outage_reports,
       min(r.published_at) AS first_published_at, max(r.published_at) AS last_published_at
FROM reports AS r, unnest(r.state_codes) AS s(state_code)
GROUP BY ALL
"""
SLOW_COUNTY_OUTAGE_REPORTS = """
SELECT rc.county_fips, c.county_name, rc.state_code, rc.report_id, r.status,
       r.published_at, r.started_at, r.ended_at, r.title, r.source, r.source_url,
       r.thread_id, r.is_constructed
FROM report_counties AS rc
JOIN reports AS r ON r.report_id = rc.report_id
JOIN counties AS c ON c.county_fips = rc.county_fips
WHERE r.is_outage
"""
# The days (UTC) on which each county shape and state had a report, outage or not.
SLOW_COVERAGE_DAYS = """
SELECT DISTINCT 'county' AS level, coalesce(a.shape_fips, rc.county_fips) AS place,
       (r.published_at AT TIME ZONE 'UTC')::DATE AS day
FROM report_counties AS rc JOIN reports AS r USING (report_id)
LEFT JOIN county_aliases AS a ON a.county_fips = rc.county_fips
WHERE r.published_at IS NOT NULL
UNION
SELECT 'state', s.state_code, (r.published_at AT TIME ZONE 'UTC')::DATE
FROM reports AS r, unnest(r.state_codes) AS s(state_code)
WHERE r.published_at IS NOT NULL
"""
# The weather-alert match as the cookbook used to write it: one join over all reports.
SLOW_INCIDENT_WEATHER_ALERTS = """
SELECT i.incident_id, r.report_id, r.event_code, r.published_at
FROM incidents AS i
JOIN reports AS r
  ON r.event_code IN ('TOR', 'SVR', 'HUW', 'HWW', 'TRW', 'FFW', 'FLW', 'BZW', 'WSW', 'EWW', 'SSW')
 AND list_has_any(r.state_codes, i.state_codes)
 AND r.published_at BETWEEN i.started_at - INTERVAL 12 HOUR
                        AND coalesce(i.ended_at, i.started_at + INTERVAL 12 HOUR)
"""


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def spans_by_step(con: duckdb.DuckDBPyConnection, step: str) -> tuple[set, set]:
    """(level, place, week or month) with a report: from the days, and from the spans."""
    slow = {
        (level, place, period)
        for level, place, period in con.execute(
            f"SELECT level, place, date_trunc('{step}', day)::DATE FROM ({SLOW_COVERAGE_DAYS})"
        ).fetchall()
    }
    fast = set(
        con.execute(
            f"SELECT level, place, unnest(generate_series(date_trunc('{step}', first_day), "
            f"date_trunc('{step}', last_day), INTERVAL 1 {step}))::DATE "
            "FROM coverage_spans WHERE step = ?",
            [step],
        ).fetchall()
    )
    return slow, fast


def check_aggregates(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    assert rows_of(con, "SELECT * FROM source_coverage") == rows_of(con, SLOW_SOURCE_COVERAGE)
    assert rows_of(con, "SELECT * FROM county_outage_reports") == rows_of(
        con, SLOW_COUNTY_OUTAGE_REPORTS
    )
    assert rows_of(con, "SELECT * FROM incident_weather_alerts") == rows_of(
        con, SLOW_INCIDENT_WEATHER_ALERTS
    )
    assert rows_of(
        con,
        "SELECT source, state_code, month, reports, outage_reports FROM state_months",
    ) == rows_of(
        con,
        "SELECT r.source, s.state_code, date_trunc('month', r.published_at)::DATE, count(*), "
        "count(*) FILTER (WHERE r.is_outage) "
        "FROM reports AS r, unnest(r.state_codes) AS s(state_code) GROUP BY ALL",
    )
    for step in ("week", "month"):
        slow, fast = spans_by_step(con, step)
        assert slow == fast, step
    # Spans of one place never touch (else they would be one), and end on days with reports.
    assert not con.execute(
        "SELECT 1 FROM (SELECT step, first_day, lag(last_day) OVER (PARTITION BY step, level, "
        "place ORDER BY first_day) AS before FROM coverage_spans) "
        "WHERE before IS NOT NULL AND date_trunc(step, first_day) "
        "<= date_trunc(step, before) + CASE step WHEN 'week' THEN INTERVAL 1 WEEK "
        "ELSE INTERVAL 1 MONTH END"
    ).fetchall()
    days = {(level, place, day) for level, place, day in con.execute(SLOW_COVERAGE_DAYS).fetchall()}
    for level, place, first, last in con.execute(
        "SELECT level, place, first_day, last_day FROM coverage_spans"
    ).fetchall():
        assert (level, place, first) in days and (level, place, last) in days


def test_aggregates_equal_the_slow_way_on_the_demo_data(demo_dir: Path) -> None:
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM coverage_spans").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM county_outage_reports").fetchone()[0] > 0
        check_aggregates(con)


def test_coverage_spans_cut_at_utc_days_weeks_and_months(work) -> None:
    _, con = work
    at = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    load_reports(
        con,
        [
            # Sunday 2024-04-28, 23:30 UTC: still that week and April (not Monday, not May).
            report("a", published_at=at(2024, 4, 28, 23, 30), county_fips=["46099"]),
            # The next week (Monday 2024-04-29) and, on 2024-05-01, the next month.
            report("b", published_at=at(2024, 5, 1, 9), county_fips=["46099"]),
            # A week without reports, then two in the same week of May.
            report("c", published_at=at(2024, 5, 15, 12), county_fips=["46099"]),
            report("d", published_at=at(2024, 5, 17, 12), county_fips=["46099"]),
            # Connecticut's planning region counts on the 2017 shapes it overlaps.
            report("ct", published_at=at(2024, 5, 2, 12), county_fips=["09110"]),
            report("nodate", published_at=None, county_fips=["46099"], state_codes=["SD"]),
        ],
    )
    build(con)
    spans = con.execute(
        "SELECT step, place, first_day::VARCHAR, last_day::VARCHAR FROM coverage_spans "
        "WHERE level = 'county' AND place = '46099' ORDER BY step, first_day"
    ).fetchall()
    assert spans == [
        ("month", "46099", "2024-04-28", "2024-05-17"),
        ("week", "46099", "2024-04-28", "2024-05-01"),
        ("week", "46099", "2024-05-15", "2024-05-17"),
    ]
    ct = {
        r[0]
        for r in con.execute("SELECT place FROM coverage_spans WHERE level = 'county'").fetchall()
    }
    assert "09110" not in ct and {"09003", "09013"} <= ct
    assert con.execute(
        "SELECT month::VARCHAR, reports FROM state_months WHERE state_code = 'SD' ORDER BY 1"
    ).fetchall() == [(None, 1)]
    check_aggregates(con)


def test_incident_weather_alerts_take_the_window_and_the_states(work) -> None:
    _, con = work
    start = T0
    load_reports(
        con,
        [
            report(
                "outage",
                is_outage=True,
                status="outage",
                started_at=start,
                ended_at=start + timedelta(hours=2),
                state_codes=["SD", "NE"],
                county_fips=["46099", "31055"],
            ),
            # Inside the window (12 h before the start to the end) and in one of its states.
            report(
                "tor",
                event_code="TOR",
                published_at=start - timedelta(hours=11),
                state_codes=["SD"],
            ),
            # Naming both of its states: once.
            report(
                "svr",
                event_code="SVR",
                published_at=start + timedelta(hours=1),
                state_codes=["SD", "NE"],
            ),
            # Too early, another state, not severe weather.
            report(
                "early",
                event_code="FFW",
                published_at=start - timedelta(hours=13),
                state_codes=["SD"],
            ),
            report("iowa", event_code="FFW", published_at=start, state_codes=["IA"]),
            report("test", event_code="RMT", published_at=start, state_codes=["SD"]),
        ],
    )
    build(con)
    assert [
        r[0]
        for r in con.execute(
            "SELECT report_id FROM incident_weather_alerts ORDER BY published_at"
        ).fetchall()
    ] == ["tor", "svr"]
    check_aggregates(con)


def test_outage_reports_are_stored_first_so_an_incident_lookup_skips_the_rest(work) -> None:
    """derive_reports.sql writes outage reports before the others (the zone maps of the
    later row groups then hold no incident_id, and `WHERE incident_id = ?` skips them):
    in storage order no outage report comes after a report that is not one."""
    rows = [
        report(f"r{i:03}", is_outage=i % 7 == 0, status="outage" if i % 7 == 0 else "not_outage")
        for i in range(200)
    ]
    random.Random(1).shuffle(rows)
    _, con = work
    load_reports(con, rows)
    build(con)
    order = [
        flag for (flag,) in con.execute("SELECT is_outage FROM reports ORDER BY rowid").fetchall()
    ]
    assert order.count(True) == 29
    assert order == sorted(order, reverse=True)  # every True before every False
