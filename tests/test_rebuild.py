"""A build is a function of what was loaded: crawled reports are never rewritten by a build,
so building twice, or after a reload, gives exactly what a build from scratch gives."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_rows import T0, report
from warehouse.build import SQL_DIR, build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.sources import ensure_sources_table

# What the build derives. The aggregate tables are read from aggregates.sql, so a table added
# there is compared too.
DERIVED_TABLES = ("reports", "report_counties", "incidents", "incident_counties") + tuple(
    re.findall(r"^CREATE OR REPLACE TABLE (\w+)", (SQL_DIR / "aggregates.sql").read_text(), re.M)
)
# What a crawl loads, and the spiders' metadata that build_and_publish's caller stores (the
# incidents name a backup number's source by its title): the inputs of a build besides the
# reference tables.
LOADED_TABLES = ("crawled_reports", "crawl_runs", "sources")

ALERT_KEY = "sender,A,2024-04-17T17:00:00-05:00"


def alert(is_outage: bool) -> dict:
    return report(
        "alert",
        alert_key=ALERT_KEY,
        is_outage=is_outage,
        status="outage" if is_outage else "not_outage",
        message_type="Alert",
        state_codes=["SD"],
        county_fips=["46099"],
    )


# A CAP update with no words of its own about 911: it is an outage only through its thread.
UPDATE = report(
    "update",
    alert_key="sender,U,2024-04-17T18:00:00-05:00",
    references_keys=[ALERT_KEY],
    message_type="Update",
    published_at=T0 + timedelta(hours=1),
)


def snapshot(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = DERIVED_TABLES) -> dict:
    """Every row of every table, in a canonical order (rows as sorted lists of tuples)."""
    return {
        table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=lambda row: repr(row))
        for table in tables
    }


def from_scratch(source: duckdb.DuckDBPyConnection, tmp_path: Path) -> dict:
    """Copy only what was loaded into a new warehouse, build it there, return its tables."""
    fresh = connect_work(DataDir(tmp_path / "fresh"))
    try:
        ensure_sources_table(source)
        ensure_sources_table(fresh)
        for table in LOADED_TABLES:
            rows = source.sql(f"SELECT * FROM {table}").to_arrow_table()
            fresh.register("_copy", rows)
            fresh.execute(f"INSERT INTO {table} SELECT * FROM _copy")
            fresh.unregister("_copy")
        build(fresh)
        return snapshot(fresh)
    finally:
        fresh.close()


@pytest.fixture
def work(tmp_path: Path):
    con = connect_work(DataDir(tmp_path / "work"))
    yield con
    con.close()


def test_the_build_never_changes_a_crawled_report(work) -> None:
    load_reports(work, [alert(True), UPDATE])
    crawled = snapshot(work, ("crawled_reports",))
    build(work)
    assert snapshot(work, ("crawled_reports",)) == crawled
    # ... while the derived `reports` does carry what the thread gave the update.
    assert work.execute(
        "SELECT is_outage, status, state_codes FROM reports WHERE report_id = 'update'"
    ).fetchall() == [(True, "update", ["SD"])]


def test_an_update_loses_its_outage_when_its_alert_is_reloaded_as_not_an_outage(
    work, tmp_path: Path
) -> None:
    load_reports(work, [alert(True), UPDATE])
    build(work)
    assert work.execute("SELECT count(*) FROM incidents").fetchall() == [(1,)]

    load_reports(work, [alert(False)])  # the alert, parsed again, is not about 911
    build(work)
    assert work.execute(
        "SELECT is_outage, status, incident_id FROM reports WHERE report_id = 'update'"
    ).fetchall() == [(False, "not_outage", None)]
    assert work.execute("SELECT count(*) FROM incidents").fetchall() == [(0,)]
    assert snapshot(work) == from_scratch(work, tmp_path)


def test_building_twice_gives_what_one_build_gives(work, tmp_path: Path) -> None:
    load_reports(work, [alert(True), UPDATE])
    build(work)
    once = snapshot(work)
    build(work)
    assert snapshot(work) == once == from_scratch(work, tmp_path)


def test_the_demo_rebuilt_equals_the_demo_built_from_scratch(
    demo_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "demo"
    shutil.copytree(demo_dir, copy)
    con = connect_work(DataDir(copy))
    try:
        built_by_the_demo = snapshot(con)
        assert built_by_the_demo["incidents"], "the demo builds incidents"
        build(con)
        assert snapshot(con) == built_by_the_demo
        assert from_scratch(con, tmp_path) == built_by_the_demo
    finally:
        con.close()
