"""Exports (Parquet as DuckDB writes it, atomic files) and the working database's memory:
the streamed report_counties build against the query it replaced, and the memory limit."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import warehouse.export as export
from tests.warehouse_rows import report
from warehouse import db
from warehouse.build import SQL_DIR, build, run_sql_file
from warehouse.db import DataDir, connect_work
from warehouse.export import ExportError, export_relation
from warehouse.load import load_reports
from warehouse.publish import publish

# report_counties.sql before it was streamed (DISTINCT and NOT EXISTS over the whole result).
OLD_REPORT_COUNTIES_SQL = """
DELETE FROM report_counties;

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(county_fips) AS county_fips FROM reports) AS r
JOIN counties AS c USING (county_fips);

INSERT INTO report_counties (report_id, county_fips, state_code)
SELECT DISTINCT r.report_id, c.county_fips, c.state_code
FROM (SELECT report_id, unnest(statewide_states) AS state_code FROM reports) AS r
JOIN counties AS c ON c.state_code = r.state_code AND c.geometry IS NOT NULL
WHERE NOT EXISTS (
    SELECT 1 FROM report_counties AS named
    WHERE named.report_id = r.report_id AND named.county_fips = c.county_fips
);
"""
ROWS = "SELECT report_id, county_fips, state_code FROM report_counties"


def old_and_new(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    run_sql_file(con, SQL_DIR / "derive_reports.sql")  # `reports` as a build starts it
    con.execute(OLD_REPORT_COUNTIES_SQL)
    old = con.execute(ROWS).fetchall()
    run_sql_file(con, SQL_DIR / "report_counties.sql")
    return old, con.execute(ROWS).fetchall()


PLACES = [
    # Named counties, one of them twice, one unknown code, one without a map shape.
    report("r-named", state_codes=["DE", "VA"], county_fips=["10001", "10001", "99999", "51610"]),
    # Statewide: every Delaware county; Connecticut's 8 drawn counties, not its 9 regions.
    report("r-statewide", state_codes=["DE", "CT"], statewide_states=["DE", "CT", "DE"]),
    # Statewide and naming one of the state's counties: that county once.
    report("r-both", state_codes=["DE"], county_fips=["10003"], statewide_states=["DE"]),
    # A planning region named explicitly is kept although it has no shape.
    report("r-region", state_codes=["CT"], county_fips=["09110"], statewide_states=["CT"]),
    report("r-none", county_fips=None, statewide_states=None, state_codes=None),
    report("r-empty"),
    report("r-null-element", state_codes=["DE"], county_fips=["10005", None]),
]


@pytest.fixture
def work(tmp_path: Path):
    data_dir = DataDir(tmp_path / "data")
    con = connect_work(data_dir)
    yield data_dir, con
    con.close()


def test_report_counties_match_the_query_they_replace(work) -> None:
    _, con = work
    load_reports(con, PLACES)
    expected, rows = old_and_new(con)
    assert sorted(rows) == sorted(expected)
    assert len(rows) == len(set(rows))  # no duplicates
    by_report: dict[str, set[str]] = {}
    for report_id, fips, _ in rows:
        by_report.setdefault(report_id, set()).add(fips)
    assert by_report["r-named"] == {"10001", "51610"}
    assert by_report["r-both"] == {"10001", "10003", "10005"}
    ct = {f for f in by_report["r-statewide"] if f.startswith("09")}
    assert len(ct) == 8 and "09110" not in ct
    assert "09110" in by_report["r-region"] and len(by_report["r-region"]) == 9
    assert by_report["r-null-element"] == {"10005"}
    assert "r-none" not in by_report and "r-empty" not in by_report


def test_report_counties_match_on_random_reports(work) -> None:
    import random

    _, con = work
    rng = random.Random(7)
    counties = con.execute("SELECT county_fips, state_code FROM counties").fetchall()
    states = sorted({s for _, s in counties})
    rows = []
    for i in range(400):
        named = [rng.choice(counties)[0] for _ in range(rng.randint(0, 4))]
        statewide = rng.sample(states, rng.randint(0, 2)) if rng.random() < 0.3 else []
        if statewide and rng.random() < 0.5:  # also name a county of a statewide state
            named.append(rng.choice([f for f, s in counties if s == statewide[0]]))
        rows.append(report(f"r-{i}", county_fips=named, statewide_states=statewide))
    load_reports(con, rows)
    expected, got = old_and_new(con)
    assert sorted(got) == sorted(expected) and len(expected) > 1000
    assert len(got) == len(set(got))


# ---------------------------------------------------------------------------- memory limit
def test_memory_limit_grows_with_the_reports(monkeypatch) -> None:
    monkeypatch.delenv("OUTAGES_DUCKDB_MEMORY_LIMIT", raising=False)
    assert db.memory_limit(0) == "384MB"
    assert db.memory_limit(1_000_000) == "512MB"
    assert db.memory_limit(10_000_000) == "1664MB"
    monkeypatch.setenv("OUTAGES_DUCKDB_MEMORY_LIMIT", "2GB")
    assert db.memory_limit(1_000_000) == "2GB"
    monkeypatch.setenv("OUTAGES_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="OUTAGES_DUCKDB_MEMORY_LIMIT"):
        db.memory_limit(0)


def _setting_for(limit: str) -> str:
    """How DuckDB shows a memory limit once set (e.g. 366.2 MiB for 384MB)."""
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{limit}'")
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_the_working_connection_has_a_memory_limit_that_publish_resizes(work, monkeypatch) -> None:
    monkeypatch.delenv("OUTAGES_DUCKDB_MEMORY_LIMIT", raising=False)
    data_dir, con = work
    current = "SELECT current_setting('memory_limit')"
    assert con.execute(current).fetchall() == [(_setting_for("384MB"),)]
    load_reports(con, PLACES)
    build(con)
    monkeypatch.setenv("OUTAGES_DUCKDB_MEMORY_LIMIT", "700MB")
    publish(con, data_dir)
    assert con.execute(current).fetchall() == [(_setting_for("700MB"),)]


def test_publish_copies_the_public_rows_and_no_internal_blocks(work, monkeypatch) -> None:
    data_dir, con = work
    # More rows than the copy holds in memory, so that what it copies reaches the file's
    # blocks before the copy ends (as at 1M reports), rather than only at its checkpoint.
    monkeypatch.setenv("OUTAGES_DUCKDB_MEMORY_LIMIT", "24MB")
    rows = [
        report(f"r-{i}", body=os.urandom(600).hex(), county_fips=["10001"]) for i in range(20000)
    ]
    load_reports(con, rows)
    build(con)
    publish(con, data_dir)
    with duckdb.connect(str(data_dir.published_db), read_only=True) as published:
        names = published.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        tables = {name for (name,) in names}
        assert "crawled_reports" not in tables and "_crawled_pages" not in tables
        for table in ("reports", "report_counties", "incidents", "counties", "states"):
            assert (
                published.execute(f"SELECT count(*) FROM {table}").fetchone()
                == con.execute(f"SELECT count(*) FROM {table}").fetchone()
            )
        assert published.execute("SELECT count(*) FROM reports").fetchone()[0] == 20000
        # the keys and the views came with the schema
        keyed = published.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
        assert ("incidents",) in keyed and ("counties",) in keyed
        views = "SELECT count(*) FROM duckdb_views() WHERE NOT internal"
        assert published.execute(views).fetchone()[0] > 0
        # Copying the internal tables and dropping them after left their blocks free in the file.
        size = published.execute("PRAGMA database_size").fetchall()[0]
        assert size[5] == 0, size  # free_blocks


# ---------------------------------------------------------------------------- exports
@pytest.fixture
def published(work) -> Path:
    data_dir, con = work
    rows = PLACES + [
        report(
            "r-formula",
            title='=HYPERLINK("http://x")',
            body="+1",
            provider="@evil",
            is_outage=True,
            status="outage",
            state_codes=["DE"],
            county_fips=["10001"],
        ),
        report("r-lists", county_fips=["10001"], references_keys=["-a", "b"], title="Café ☎"),
    ]
    load_reports(con, rows)
    build(con)
    publish(con, data_dir)
    return data_dir.published_db


def test_parquet_export_is_the_relation_as_duckdb_writes_it(published: Path, tmp_path) -> None:
    target = tmp_path / "out" / "reports.parquet"
    count = export_relation(published, "reports", "parquet", target)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{published}' AS pub (READ_ONLY)")
        assert count == con.execute("SELECT count(*) FROM pub.reports").fetchone()[0] == 9
        file = f"read_parquet('{target}')"
        columns = "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {})"
        assert (
            con.execute(columns.format(file)).fetchall()
            == con.execute(columns.format("pub.reports")).fetchall()
        )
        for a, b in ((file, "pub.reports"), ("pub.reports", file)):
            assert (
                con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0]
                == 0
            ), (a, b)
    meta = pq.ParquetFile(target).metadata
    assert meta.num_rows == 9
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert [p.name for p in target.parent.iterdir()] == ["reports.parquet"]  # no temp file


def test_csv_and_jsonl_exports_still_neutralize_and_count(published: Path, tmp_path) -> None:
    import csv
    import io

    target = tmp_path / "reports.csv"
    assert export_relation(published, "reports", "csv", target) == 9
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    cells = [c for row in rows[1:] for c in row]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert '\'=HYPERLINK("http://x")' in cells and "'@evil" in cells
    assert '["-a","b"]' in cells  # lists as JSON
    assert export_relation(published, "incidents", "jsonl", tmp_path / "i.jsonl") >= 1
    # The temporary file keeps the suffixes: DuckDB still compresses `.csv.gz`.
    gz = tmp_path / "reports.csv.gz"
    assert export_relation(published, "reports", "csv", gz) == 9
    assert gzip.decompress(gz.read_bytes()).decode("utf-8").startswith("report_id,")


def test_geojson_export_returns_its_feature_count(published: Path, tmp_path) -> None:
    import json

    target = tmp_path / "reports.geojson"
    count = export_relation(published, "reports", "geojson", target)
    assert count == len(json.loads(target.read_text())["features"]) == 9


def test_a_failed_export_leaves_the_previous_file_and_no_temporary(
    published: Path, tmp_path, monkeypatch
) -> None:
    target = tmp_path / "reports.parquet"
    target.write_bytes(b"previous export")

    def half_written(con, name, columns, fmt, path, in_place, metadata=None):
        path.write_bytes(b"PAR1 half")
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(export, "_write", half_written)
    with pytest.raises(duckdb.IOException):
        export_relation(published, "reports", "parquet", target)
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["reports.parquet"]
    monkeypatch.undo()
    with pytest.raises(ExportError):
        export_relation(published, "no_such_table", "parquet", target)
    with pytest.raises(ExportError):
        export_relation(published, "reports", "xlsx", target)
    assert target.read_bytes() == b"previous export"
    assert export_relation(published, "reports", "parquet", target) == 9
    assert pq.ParquetFile(target).metadata.num_rows == 9


def test_a_symlinked_target_is_written_through(published: Path, tmp_path) -> None:
    real = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    real.write_text("old")
    link.symlink_to(real)
    assert export_relation(published, "reports", "csv", link) == 9
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("report_id,")
