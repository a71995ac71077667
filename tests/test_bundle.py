"""What every download carries (warehouse/bundle.py): `outages export` run as a real process
on the demo data, and the data dictionary read from docs/data-dictionary.md."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.conftest import outages, query
from warehouse import bundle


def _con() -> duckdb.DuckDBPyConnection:
    """A connection of this test's own: duckdb.sql() shares the module's default
    connection with every other test in the process (and any result they left open)."""
    return duckdb.connect()


def version_of(data_dir: Path) -> str:
    return json.loads((data_dir / "publication.json").read_text())["published_at"]


def test_export_names_its_version_and_writes_licence_and_dictionary(demo_dir: Path) -> None:
    version = version_of(demo_dir)
    stamp = bundle.version_stamp(version)
    exports = demo_dir / "exports"
    result = outages("export", "incidents", "--format", "parquet", data_dir=demo_dir)
    target = exports / f"911-outage-watch-incidents-{stamp}.parquet"
    assert target.exists() and f"data version {version}" in result.stderr
    kv = dict(
        _con()
        .sql(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{target}')")
        .fetchall()
    )
    assert kv["data_version"] == version and kv["licence"] == bundle.LICENCE
    assert set(json.loads(kv["dictionary"])) >= {"incident_id", "cause", "started_at"}
    rows = _con().sql(f"SELECT count(*) FROM read_parquet('{target}')").fetchall()[0][0]
    assert rows == query(demo_dir, "SELECT count(*) FROM incidents")[0][0]

    # a CSV cannot hold them: README.txt and data-dictionary.csv beside it
    outages("export", "reports", data_dir=demo_dir)
    csv_file = exports / f"911-outage-watch-reports-{stamp}.csv"
    readme = (exports / f"{csv_file.name}.README.txt").read_text()
    assert f"Data version: {version}" in readme and bundle.LICENCE in readme
    assert "- archive_ref: the archived copy" in readme
    dictionary = (
        _con()
        .sql(f'SELECT "table", "column" FROM read_csv(\'{exports / "data-dictionary.csv"}\')')
        .fetchall()
    )
    assert ("reports", "archive_ref") in dictionary and ("incidents", "cause") in dictionary

    # GeoJSON: members of the FeatureCollection
    outages("export", "incident_counties", "--format", "geojson", data_dir=demo_dir)
    geo = json.loads((exports / f"911-outage-watch-incident_counties-{stamp}.geojson").read_text())
    assert geo["data_version"] == version and geo["licence"] == bundle.LICENCE
    assert geo["features"]


def test_export_to_stdout_writes_no_sidecar(demo_dir: Path, tmp_path: Path) -> None:
    result = outages(
        "export", "states", "--format", "jsonl", "-o", "/dev/stdout", data_dir=demo_dir
    )
    assert result.stdout.count("\n") == query(demo_dir, "SELECT count(*) FROM states")[0][0]
    assert not Path("/dev/stdout.README.txt").exists()


def test_dictionary_rows_cover_every_published_table(demo_dir: Path) -> None:
    described = {table for table, _, _ in bundle.dictionary_rows()}
    published = {
        name
        for (name,) in query(
            demo_dir,
            "SELECT DISTINCT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND NOT starts_with(table_name, '_')",
        )
    }
    assert published - described == set()
    text = bundle.dictionary_csv().decode()
    assert text.startswith("table,column,description\r\n")


def test_version_stamp_is_safe_in_a_file_name() -> None:
    assert bundle.version_stamp("2026-12-06T22:03:43+00:00") == "20261206T220343Z"
    assert bundle.version_stamp("2026-12-06T23:03:43+01:00") == "20261206T220343Z"
    assert bundle.version_stamp(None) == "unknown"
    assert bundle.file_name("incidents", "nonsense", "csv") == (
        "911-outage-watch-incidents-unknown.csv"
    )
