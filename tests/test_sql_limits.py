"""The public SQL page cannot starve other visitors (issue 17): a cell cap, a per-query
cache of the result and its CSV, and a limit on concurrent public queries per server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.test_app import downloaded, open_page, recording_media, texts  # noqa: F401
from warehouse import guard

WIDE = "SELECT " + ", ".join(f"NULL AS c{i}" for i in range(1000)) + " FROM range(10000)"


def test_a_thousand_null_columns_are_cut_at_the_cell_cap(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir, "sql", params={"sql": WIDE})
    table = app.dataframe[-1].value
    assert len(table.columns) == 1000
    assert len(table) * 1000 <= guard.CELL_CAP and len(table) == guard.CELL_CAP // 1000
    note = " ".join(texts(app.caption))
    assert "cell cap" in note and f"{guard.CELL_CAP:,} cells" in note
    rows = list(csv.reader(io.StringIO(downloaded(app, "sql_csv").decode())))
    assert len(rows) == len(table) + 1 and len(rows[0]) == 1000


def test_the_worker_applies_the_cell_cap(demo_dir: Path) -> None:
    result = guard.run_public_query(demo_dir / "outages.duckdb", WIDE, cell_cap=5000)
    assert result.truncated and result.limit == "cell cap" and len(result.rows) == 5


def test_a_query_beyond_the_concurrent_limit_gets_the_busy_message(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    from webapp import sql_page

    # Take every slot, as other visitors' running queries would (no timing involved).
    taken = 0
    while sql_page.QUERY_SLOTS.acquire(blocking=False):
        taken += 1
    try:
        assert taken >= 1
        app = open_page(monkeypatch, demo_dir, "sql", params={"sql": "SELECT 41 + 1 AS busy"})
        warning = " ".join(texts(app.warning))
        assert "busy" in warning and "try again in a moment" in warning
        assert not app.dataframe or "busy" not in app.dataframe[-1].value.columns
    finally:
        for _ in range(taken):
            sql_page.QUERY_SLOTS.release()
    # Busy is not cached: with a free slot the same query runs.
    app = open_page(monkeypatch, demo_dir, "sql", params={"sql": "SELECT 41 + 1 AS busy"})
    assert app.dataframe[-1].value["busy"].tolist() == [42]
