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


def test_results_are_formatted_without_python_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV of a wide result is made by Arrow and DuckDB: Python code runs per column
    (the header), not per cell."""
    import pyarrow as pa

    from warehouse import result_format

    calls = []
    real = result_format.neutralize_cell
    monkeypatch.setattr(result_format, "neutralize_cell", lambda v: calls.append(v) or real(v))
    names = [f"c{i}" for i in range(1000)]
    table = pa.table([pa.array(["=HYPERLINK(1)"] * 200) for _ in names], names=names)
    rows = list(csv.reader(io.StringIO(result_format.csv_bytes(table, names).decode())))
    assert len(calls) == 1000  # the header's names only
    assert len(rows) == 201 and rows[1][0] == "'=HYPERLINK(1)" and rows[200][999].startswith("'")


def test_every_duckdb_type_can_be_shown_and_exported(demo_dir: Path) -> None:
    """Types Arrow or pandas cannot hold as values (a UNION, a date in year 5881580) still
    show, export and print; lists are JSON, times ISO 8601 UTC, formulas neutralized."""
    from warehouse import result_format
    from webapp import sql_page

    query = (
        "SELECT union_value(num := 2) AS u, 'infinity'::DATE AS d, [1, 2] AS l, "
        "map([1], ['=x']) AS m, INTERVAL 3 DAY AS i, 'ab'::BLOB AS b, "
        "TIMESTAMPTZ '2024-04-17 19:40:00+00' AS t, '+1 555'::VARCHAR AS v, 1.5 AS n, "
        "'a'::ENUM('a', 'b') AS e, 1 AS n"
    )
    result = guard.run_public_query(demo_dir / "outages.duckdb", query)
    assert result.columns == ["u", "d", "l", "m", "i", "b", "t", "v", "n", "e", "n"]
    assert len(result.rows) == 1 and result.rows[0][2] == [1, 2] and result.rows[0][-1] == 1
    assert result.rows[0][1] == "infinity"  # its text form: Python's date cannot hold it
    frame = sql_page.result_frame(result)
    assert list(frame.columns) == ["u", "d", "l", "m", "i", "b", "t", "v", "n", "e", "n_2"]
    header, row = list(csv.reader(io.StringIO(guard.result_csv(result).decode())))
    assert header == result.columns
    cells = dict(zip(["u", "d", "l", "m", "i", "b", "t", "v", "n1", "e", "n2"], row, strict=True))
    assert cells["l"] == "[1,2]" and cells["t"] == "2024-04-17T19:40:00Z"
    assert cells["v"] == "'+1 555" and cells["d"] == "infinity" and cells["n2"] == "1"
    assert cells["e"] == "a" and cells["u"] == "2"
    assert result_format.parquet_bytes(result.table, result.columns)[:4] == b"PAR1"
