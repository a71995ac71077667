"""Publish: a consistent copy of the working database replaces the published file atomically.

Readers (the app, `outages sql`) only ever open `DIR/outages.duckdb` read-only. A publish
writes a complete new file next to it, syncs it to disk and swaps it in with `os.replace`,
so a reader sees either the old file or the new one, never half of one; a crash during
publish leaves the old file in place and a stray temporary file that the next publish removes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb

from warehouse.db import DataDir, set_memory_limit
from warehouse.sources import write_sources_table

# Journalists open the published file in whatever DuckDB they have: DuckDB 1.5 clients
# cannot read 2.0's default storage format, so publish in the oldest one that holds our schema.
PUBLISH_STORAGE_VERSION = "v1.5.0"
PUBLIC_TABLES = (
    "reports",
    "report_counties",
    "incidents",
    "incident_counties",
    "states",
    "counties",
    "crawl_runs",
    "crawl_errors",
    "sources",
)


@dataclass
class Publication:
    published_at: str
    path: str
    storage_version: str
    counts: dict[str, int]


# The crawler's own bookkeeping: migrations applied, pages already loaded, builds.
INTERNAL_TABLES = ("_migrations", "_crawled_pages", "_builds")


def publish(con: duckdb.DuckDBPyConnection, data_dir: DataDir) -> Publication:
    """Copy the working database to the published path atomically; return what was published."""
    target = data_dir.published_db
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # Left by a publish that was killed (the file, and its WAL if the copy was cut short).
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(microsecond=0)
    source_db = con.execute("SELECT current_database()").fetchone()[0]
    # Sized to the reports now held (a crawl may have added millions since the connection
    # was opened): the copy builds the published file's primary-key indexes in memory.
    set_memory_limit(con)
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{temp}' AS _publish (STORAGE_VERSION '{PUBLISH_STORAGE_VERSION}')")
    try:
        con.execute(f"COPY FROM DATABASE {source_db} TO _publish")
        for internal in INTERNAL_TABLES:
            con.execute(f"DROP TABLE IF EXISTS _publish.{internal}")
        # What each spider declares (coverage, cadence, what its parser was checked
        # against, robots and terms): the app reads this, never the spiders themselves.
        write_sources_table(con, "_publish.sources")
        con.execute(
            "CREATE TABLE _publish.publication AS SELECT ?::TIMESTAMPTZ AS published_at, "
            "? AS storage_version",
            [published_at, PUBLISH_STORAGE_VERSION],
        )
        counts = {
            table: con.execute(f"SELECT count(*) FROM _publish.{table}").fetchone()[0]
            for table in PUBLIC_TABLES
        }
    finally:
        con.execute("DETACH _publish")
    _fsync(temp)
    pause_point("publish")
    os.replace(temp, target)
    _fsync(target.parent)
    publication = Publication(
        published_at=published_at.isoformat(),
        path=str(target),
        storage_version=PUBLISH_STORAGE_VERSION,
        counts=counts,
    )
    # Atomic too: the app reads it while a publish may be under way.
    info = data_dir.root / "publication.json"
    info_temp = info.with_name(f".{info.name}.{os.getpid()}.tmp")
    info_temp.write_text(json.dumps(asdict(publication), indent=2))
    os.replace(info_temp, info)
    return publication


def pause_point(name: str) -> None:
    """Tests only: with OUTAGES_TEST_PAUSE=<name>, say so on stderr and stop here, so that a
    test can SIGKILL the process at a known point ("load": after a batch is committed to the
    working database; "publish": the new file written, not yet swapped in)."""
    if os.environ.get("OUTAGES_TEST_PAUSE") == name:
        print(f"OUTAGES_TEST_PAUSE {name} pid={os.getpid()}", file=sys.stderr, flush=True)
        time.sleep(3600)


def _fsync(path: os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
