"""The bulk Parquet files of each publish (`DIR/bulk/`, warehouse/bulk.py), and the exports
that copy them: written by the real build_and_publish on a real DuckDB file, exported by
the real CLI. The reports are constructed (tests/warehouse_rows.py)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from crawlers.registry import source_records
from tests.conftest import outages
from tests.warehouse_rows import report
from warehouse import bundle
from warehouse.bulk import bulk_path, current_bulk_file, export, write_bulk
from warehouse.db import DataDir, connect_work
from warehouse.export import export_relation
from warehouse.load import load_reports
from warehouse.publish import build_and_publish


def publish(root: Path, n: int) -> DataDir:
    """Load reports r0..r{n-1} (those already loaded stay) and build and publish."""
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, [report(f"r{i}", title=f"report {i}") for i in range(n)])
        build_and_publish(con, data_dir, sources=source_records())
    finally:
        con.close()
    return data_dir


def footer(path: Path) -> dict[str, str]:
    meta = pq.read_metadata(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}


def report_ids(path: Path) -> list[str]:
    with duckdb.connect() as con:  # a private connection: xdist shares the default one
        rows = con.execute("SELECT report_id FROM read_parquet(?)", [str(path)]).fetchall()
    return sorted(r[0] for r in rows)


def cli_export(root: Path, target: Path) -> str:
    """The real console script (in-process CliRunner runs change click's cached help
    options for later renders of the command reference)."""
    result = outages("export", "reports", "--format", "parquet", "-o", str(target), data_dir=root)
    return result.stderr


def test_publish_writes_the_bulk_files_with_version_inside(tmp_path: Path) -> None:
    data_dir = publish(tmp_path, 3)
    version = bundle.data_version(data_dir.published_db)
    manifest = json.loads((tmp_path / "bulk" / "manifest.json").read_text())
    assert manifest["data_version"] == version
    assert set(manifest["files"]) == {"reports.parquet", "incidents.parquet"}
    assert manifest["files"]["reports.parquet"]["rows"] == 3
    reports = bulk_path(data_dir.published_db, "reports")
    assert report_ids(reports) == ["r0", "r1", "r2"]
    assert footer(reports) == bundle.metadata("reports", version)


def test_an_export_of_the_same_version_is_a_copy_with_the_same_rows(tmp_path: Path) -> None:
    data_dir = publish(tmp_path, 3)
    bulk_file = bulk_path(data_dir.published_db, "reports")
    # rewritten by pyarrow (same rows and metadata, other bytes than DuckDB's writer), so
    # that equal bytes below can only come from a copy
    pq.write_table(pq.read_table(bulk_file), bulk_file, compression="snappy")
    manifest_path = tmp_path / "bulk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["reports.parquet"]["bytes"] = bulk_file.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    copied = tmp_path / "out" / "reports.parquet"
    output = cli_export(tmp_path, copied)
    assert "wrote 3 rows" in output
    assert copied.read_bytes() == bulk_file.read_bytes()
    # the same as a file DuckDB writes afresh: rows and metadata
    fresh = tmp_path / "out" / "fresh.parquet"
    version = bundle.data_version(data_dir.published_db)
    meta = bundle.metadata("reports", version)
    assert export_relation(data_dir.published_db, "reports", "parquet", fresh, metadata=meta) == 3
    assert report_ids(fresh) == report_ids(copied)
    assert footer(fresh) == meta
    assert {key: footer(copied).get(key) for key in meta} == meta


def test_a_bulk_file_of_an_older_publish_is_never_copied(tmp_path: Path) -> None:
    data_dir = publish(tmp_path, 2)
    bulk_file = bulk_path(data_dir.published_db, "reports")
    old_file, old_manifest = bulk_file.read_bytes(), (tmp_path / "bulk" / "manifest.json")
    old_manifest_text = old_manifest.read_text()
    publish(tmp_path, 4)
    # put the first publish's file and manifest back, as a failed bulk step would leave them
    bulk_file.write_bytes(old_file)
    old_manifest.write_text(old_manifest_text)
    assert current_bulk_file(data_dir.published_db, "reports", "parquet", {}) is None
    target = tmp_path / "out.parquet"
    assert "wrote 4 rows" in cli_export(tmp_path, target)
    assert report_ids(target) == ["r0", "r1", "r2", "r3"]
    assert footer(target)["data_version"] == bundle.data_version(data_dir.published_db)


def test_a_same_second_publish_is_told_apart_by_the_published_file(tmp_path: Path) -> None:
    """Two publishes within one second share a data version: the manifest's record of the
    published file (a new file each publish) still tells them apart."""
    data_dir = publish(tmp_path, 2)
    version = bundle.data_version(data_dir.published_db)
    meta = bundle.metadata("reports", version)
    assert current_bulk_file(data_dir.published_db, "reports", "parquet", meta) is not None
    manifest_path = tmp_path / "bulk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["published_db"]["inode"] += 1  # as if written from the file before this one
    manifest_path.write_text(json.dumps(manifest))
    assert current_bulk_file(data_dir.published_db, "reports", "parquet", meta) is None


@pytest.mark.parametrize("damage", ["truncated", "other_metadata", "no_manifest"])
def test_a_damaged_or_different_bulk_file_is_not_copied(tmp_path: Path, damage: str) -> None:
    data_dir = publish(tmp_path, 3)
    bulk_file = bulk_path(data_dir.published_db, "reports")
    version = bundle.data_version(data_dir.published_db)
    meta = bundle.metadata("reports", version)
    if damage == "truncated":
        bulk_file.write_bytes(bulk_file.read_bytes()[:200])
    elif damage == "other_metadata":
        meta = {**meta, "licence": "a licence this file was not written with"}
    else:
        (tmp_path / "bulk" / "manifest.json").unlink()
    assert current_bulk_file(data_dir.published_db, "reports", "parquet", meta) is None
    target = tmp_path / "out.parquet"
    assert export(data_dir.published_db, "reports", "parquet", target, metadata=meta) == 3
    assert footer(target) == meta


def test_the_setting_names_the_tables_and_drops_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = publish(tmp_path, 1)
    monkeypatch.setenv("OUTAGES_BULK_FILES", "incidents")
    assert write_bulk(data_dir.published_db) == {"incidents.parquet": 0}
    assert not bulk_path(data_dir.published_db, "reports").exists()
    assert bulk_path(data_dir.published_db, "incidents").exists()
    monkeypatch.setenv("OUTAGES_BULK_FILES", "none")
    assert write_bulk(data_dir.published_db) == {}
    assert list((tmp_path / "bulk").glob("*.parquet")) == []


def test_a_bulk_csv_is_what_the_export_writes_and_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opt-in (`reports.csv`): the same bytes as a fresh export, formula cells neutralized;
    an export copies it, and a file whose size the manifest does not know is not copied."""
    monkeypatch.setenv("OUTAGES_BULK_FILES", "reports.csv,reports.parquet")
    data_dir = DataDir(tmp_path)
    con = connect_work(data_dir)
    try:
        load_reports(con, [report("r0", title="=HYPERLINK(1)"), report("r1", title="plain")])
        build_and_publish(con, data_dir, sources=source_records())
    finally:
        con.close()
    bulk_csv = bulk_path(data_dir.published_db, "reports", "csv")
    meta = bundle.metadata("reports", bundle.data_version(data_dir.published_db))
    fresh = tmp_path / "fresh.csv"
    export_relation(data_dir.published_db, "reports", "csv", fresh, metadata=meta)
    assert bulk_csv.read_text().count("\n") == fresh.read_text().count("\n") == 3
    assert "'=HYPERLINK(1)" in bulk_csv.read_text()
    assert sorted(bulk_csv.read_text().splitlines()) == sorted(fresh.read_text().splitlines())
    # a copy: a marker line appended to the bulk file (and the manifest told its size)
    # comes out in the export
    manifest_path = tmp_path / "bulk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    with bulk_csv.open("a") as out:
        out.write("marker\n")
    target = tmp_path / "copied.csv"
    assert export(data_dir.published_db, "reports", "csv", target, metadata=meta) == 2
    assert target.read_text() == fresh.read_text()  # size differs from the manifest: fresh
    manifest["files"]["reports.csv"]["bytes"] = bulk_csv.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    assert export(data_dir.published_db, "reports", "csv", target, metadata=meta) == 2
    assert target.read_text().endswith("marker\n")
