"""Bulk files: the big tables as Parquet (or CSV), written once per publish (`DIR/bulk/`).

Why at publish: DuckDB's Parquet writer costs about 4 s of CPU per million reports
(benchmarks/RESULTS.md, "Export"), and every researcher's download and every `outages
export reports --format parquet` would pay it again on the same data. The publish already
holds the crawl lock and runs once per change of the data, so it writes each file once;
an export or a download of the same data version then copies the file (a copy runs at
disk speed), and the map's server never spends a visitor's download on the writer.

A bulk file is reused only when `manifest.json` (written last) names the published file
now in place (its inode, size and mtime: a publish swaps in a new file, so two publishes
in the same second, which share a data version, still differ) and the key-value metadata
in the bulk file's own footer equals what a fresh export would write (version, licence,
dictionary): a file left by an older publish, a changed dictionary or a half-written file
(each is written beside and renamed) is never passed off as current.

Which files are written is the setting OUTAGES_BULK_FILES: `reports.parquet,
incidents.parquet` by default, `none` for none; `reports.csv` adds a CSV (about 7 s of CPU
and 1.2 GB of disk per million reports, so it is not on by default).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from warehouse import bundle
from warehouse.export import export_relation
from warehouse.settings import setting

logger = logging.getLogger(__name__)

BULK_DIR = "bulk"
MANIFEST = "manifest.json"


FORMATS = ("parquet", "csv")


def bulk_files() -> list[tuple[str, str]]:
    """The (table, format) pairs that get a bulk file at each publish: OUTAGES_BULK_FILES,
    `table.format` entries (`reports.parquet`; a bare name means Parquet)."""
    value = str(setting("OUTAGES_BULK_FILES")).strip()
    if value.lower() == "none":  # an empty setting means the default, as every setting
        return []
    pairs = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        name, _, fmt = entry.partition(".")
        if (fmt or "parquet") not in FORMATS:
            logger.warning("OUTAGES_BULK_FILES: %r is not TABLE.parquet or TABLE.csv", entry)
            continue
        pairs.append((name, fmt or "parquet"))
    return pairs


def bulk_path(db_path: Path, dataset: str, fmt: str = "parquet") -> Path:
    """Where the bulk file of `dataset` in `fmt` lives, beside the published database."""
    return db_path.parent / BULK_DIR / f"{dataset}.{fmt}"


def write_bulk(db_path: Path) -> dict[str, int]:
    """Write every bulk file OUTAGES_BULK_FILES names, for the data version now published;
    return {file name: rows}. Files no longer named are removed, and `manifest.json` (last)
    lists what is there: version, the published file it was written from, rows, bytes."""
    version = bundle.data_version(db_path)
    folder = db_path.parent / BULK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # the manifest goes first: while the files are rewritten, none of them is current
    (folder / MANIFEST).unlink(missing_ok=True)
    wanted = bulk_files()
    written: dict[str, int] = {}
    for dataset, fmt in wanted:
        target = bulk_path(db_path, dataset, fmt)
        written[target.name] = export_relation(
            db_path,
            dataset,
            fmt,
            target,
            metadata=bundle.metadata(dataset, version),
            progress=False,
        )
    for old in folder.iterdir():
        if old.is_file() and old.name not in written and old.suffix[1:] in FORMATS:
            old.unlink(missing_ok=True)
    manifest = {
        "data_version": version,
        "published_db": published_identity(db_path),
        "files": {
            name: {"rows": rows, "bytes": (folder / name).stat().st_size}
            for name, rows in written.items()
        },
    }
    temp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    temp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(temp, folder / MANIFEST)
    return written


def published_identity(db_path: Path) -> dict[str, int]:
    """What tells one published file from the next: a publish renames a new file over it."""
    info = db_path.stat()
    return {"inode": info.st_ino, "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def current_bulk_file(
    db_path: Path, dataset: str, fmt: str, metadata: dict[str, str]
) -> tuple[Path, int] | None:
    """The bulk file of `dataset` in `fmt` and its row count, when the manifest says it was
    written from the published file now in place and (Parquet) its footer carries exactly
    `metadata`, so it is what an export with that metadata would write; else None."""
    path = bulk_path(db_path, dataset, fmt)
    try:
        manifest = json.loads((path.parent / MANIFEST).read_text())
        entry = manifest["files"][path.name]
        if manifest["published_db"] != published_identity(db_path):
            return None
        if path.stat().st_size != entry["bytes"]:
            return None
        if fmt != "parquet":  # a CSV holds no metadata: the manifest is its only record
            return path, int(entry["rows"])
        footer = pq.read_metadata(path)
    except (OSError, ValueError, KeyError, TypeError):  # missing, half-written, not Parquet
        return None
    stored = {k.decode(): v.decode() for k, v in (footer.metadata or {}).items()}
    if footer.num_rows != entry["rows"] or any(
        stored.get(key) != value for key, value in metadata.items()
    ):
        return None
    return path, footer.num_rows


def export(
    db_path: Path, name: str, fmt: str, target: Path, *, metadata: dict[str, str] | None = None
) -> int:
    """`warehouse.export.export_relation`, except that an export with a current bulk file
    (same published file, same metadata) is a copy of it; return the number of rows. The
    CLI's export and the app's Downloads page call this."""
    if fmt in FORMATS and metadata and "data_version" in metadata and db_path.exists():
        found = current_bulk_file(db_path, name, fmt, metadata)
        if found is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            in_place = target.is_symlink() or (target.exists() and not target.is_file())
            copy_bulk_file(found[0], target, in_place=in_place)
            return found[1]
    return export_relation(db_path, name, fmt, target, metadata=metadata)


def copy_bulk_file(source: Path, target: Path, *, in_place: bool) -> None:
    """Copy a bulk file to `target` as an export writes: complete or not at all (written
    beside and renamed), except through a symlink or to a non-regular file."""
    if in_place:
        with source.open("rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        return
    temp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        shutil.copyfile(source, temp)  # sendfile / copy_file_range on Linux
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
