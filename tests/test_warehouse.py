"""The warehouse on a real DuckDB file: migrations, bulk load, threads, publish, lock, CSV."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse import lock
from warehouse.build import build, thread_ids
from warehouse.db import DataDir, connect_work, migrate
from warehouse.export import neutralize_cell
from warehouse.load import load_reports, record_errors
from warehouse.publish import publish

T0 = datetime(2024, 4, 17, 22, 0, tzinfo=UTC)


def report(report_id: str, **fields) -> dict:
    row = {
        "report_id": report_id,
        "source": "test",
        "source_url": f"https://example.org/{report_id}",
        "published_at": T0,
        "started_at": T0,
        "is_outage": False,
        "status": "not_outage",
        "state_codes": [],
        "county_fips": [],
        "references_keys": [],
        "is_constructed": True,
    }
    row.update(fields)
    return row


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
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 2500
    assert con.execute("SELECT title FROM reports WHERE report_id='r0'").fetchone()[0] == "changed"


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
