"""The staged loader (warehouse/load.py): batches append to `_staged_reports`, a finished run
(or the next build) merges them into `crawled_reports`, and the result is row for row what
the former `INSERT OR REPLACE` per batch gave, including a report loaded again, in the same
batch, in a later batch, or by a later run. Real DuckDB files throughout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_rows import T0, report
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import (
    STAGING,
    finish_run,
    load_table,
    merge_staged,
    prepare_table,
    replace_table,
    reports_table,
    start_run,
)
from warehouse.publish import publish


def batches() -> list[list[dict]]:
    """Batches as a crawl hands them over: new reports, a report repeated within a batch,
    reports loaded again by a later batch with other values, and an outage."""
    first = [report(f"r-{i}", title=f"first {i}", county_fips=["46099"]) for i in range(50)]
    first.append(report("r-3", title="first again"))  # the same batch: its last row wins
    second = [report(f"r-{i}", title=f"second {i}") for i in range(40, 60)]
    third = [
        report(
            "r-7",
            title="third",
            is_outage=True,
            status="outage",
            published_at=T0 + timedelta(hours=2),
            state_codes=["SD"],
            county_fips=["46099", "46011"],
            field_evidence={"title": "headline"},
        )
    ]
    return [first, second, third]


def crawled(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every column of every crawled report but loaded_at (the time of the load)."""
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'crawled_reports' AND column_name != 'loaded_at' ORDER BY ordinal_position"
        ).fetchall()
    ]
    return con.execute(
        f"SELECT {', '.join(columns)} FROM crawled_reports ORDER BY report_id"
    ).fetchall()


def staged(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()[0]


@pytest.fixture
def data_dirs(tmp_path: Path) -> tuple[DataDir, DataDir]:
    return DataDir(tmp_path / "old"), DataDir(tmp_path / "new")


def test_the_staged_path_gives_the_rows_of_insert_or_replace(data_dirs) -> None:
    old_dir, new_dir = data_dirs
    old, new = connect_work(old_dir), connect_work(new_dir)
    for run in ("run-1", "run-2"):  # the second run loads every report again
        for rows in batches():
            replace_table(old, prepare_table([reports_table(rows)], crawl_run_id=run))
            load_table(new, [reports_table(rows)], crawl_run_id=run)
        assert staged(new) > 0 and crawled(new) != crawled(old)  # not merged yet
        assert merge_staged(new) == 60
        assert staged(new) == 0
        assert crawled(new) == crawled(old)
    rows = {row[0]: row for row in crawled(new)}
    assert len(rows) == 60
    assert rows["r-3"][6] == "first again"
    assert rows["r-45"][6] == "second 45"
    assert rows["r-7"][6] == "third" and rows["r-7"][9] is True
    assert {row[32] for row in rows.values()} == {"run-2"}  # crawl_run_id


def test_a_run_is_merged_when_it_finishes(data_dirs) -> None:
    _, new_dir = data_dirs
    con = connect_work(new_dir)
    run_id = start_run(con, "test", "live", {})
    for rows in batches():
        load_table(con, [reports_table(rows)], crawl_run_id=run_id)
    assert crawled(con) == []
    finish_run(con, run_id, status="ok", close_reason="finished", counts={"items": 71})
    assert staged(con) == 0 and len(crawled(con)) == 60


def test_a_killed_run_s_staged_reports_survive_and_the_next_build_merges_them(
    data_dirs,
) -> None:
    _, new_dir = data_dirs
    con = connect_work(new_dir)
    for rows in batches():
        load_table(con, [reports_table(rows)], crawl_run_id="run-killed")
    con.close()  # what a SIGKILL leaves: committed batches, no merge

    con = connect_work(new_dir)
    assert staged(con) == 71 and crawled(con) == []
    counts = build(con)
    assert counts["reports"] == 60 and staged(con) == 0
    assert con.execute("SELECT count(*) FROM reports WHERE is_outage").fetchone()[0] == 1

    publish(con, new_dir)
    with duckdb.connect(str(new_dir.published_db), read_only=True) as pub:
        names = pub.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    tables = {row[0] for row in names}
    assert STAGING not in tables and "crawled_reports" not in tables


def test_a_later_run_s_rows_win_over_a_killed_run_s_staged_rows(data_dirs) -> None:
    _, new_dir = data_dirs
    con = connect_work(new_dir)
    load_table(con, [reports_table([report("r-1", title="killed")])], crawl_run_id="a")
    load_table(con, [reports_table([report("r-1", title="later")])], crawl_run_id="b")
    assert merge_staged(con) == 1
    assert [row[6] for row in crawled(con)] == ["later"]


def test_staging_follows_a_new_column_of_crawled_reports_without_dropping_rows(
    data_dirs,
) -> None:
    _, new_dir = data_dirs
    con = connect_work(new_dir)
    load_table(con, [reports_table([report("r-1", title="staged")])], crawl_run_id="a")
    # What a later migration may do while a killed crawl's rows are still staged.
    con.execute("ALTER TABLE crawled_reports ADD COLUMN later_column VARCHAR")
    load_table(con, [reports_table([report("r-2", title="after")])], crawl_run_id="b")
    merge_staged(con)
    assert [row[6] for row in crawled(con)] == ["staged", "after"]
