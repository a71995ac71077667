"""Paths, connections and migrations.

The crawl writes a working database (`DIR/work/warehouse.duckdb`); `publish` copies it to
`DIR/outages.duckdb`, which the app and `outages sql` open read-only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.settings import setting

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class DataDir:
    """Where everything of one installation lives."""

    root: Path

    @classmethod
    def resolve(cls, value: str | os.PathLike | None = None) -> DataDir:
        return cls(Path(value or setting("OUTAGES_DATA")).resolve())

    @property
    def work_db(self) -> Path:
        return self.root / "work" / "warehouse.duckdb"

    @property
    def published_db(self) -> Path:
        return self.root / "outages.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def lock_file(self) -> Path:
        return self.root / "work" / "crawl.lock"

    def ensure(self) -> DataDir:
        for path in (self.root, self.work_db.parent, self.archive_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self


def connect_work(data_dir: DataDir) -> duckdb.DuckDBPyConnection:
    """Open (creating and migrating) the working database."""
    data_dir.ensure()
    con = duckdb.connect(str(data_dir.work_db))
    migrate(con)
    set_memory_limit(con)
    return con


# DuckDB's own limit is 80% of the machine's memory, and it keeps every block it has read or
# written cached until it reaches that limit: at a million reports a crawl, build and publish
# in one process (one connection, see work_connection) held 2 GB although nothing needed
# more than a few hundred MB. Under a limit DuckDB drops cached blocks (they are on disk)
# and spills what it must keep to `work/warehouse.duckdb.tmp/`, at the same speed here.
# What it cannot drop is the primary-key index of `reports` (about 50 MB per million
# reports; publish builds another for the published file), so the limit grows with the
# table: 512 MB at a million reports, set when the connection opens and again by publish.
# Environment OUTAGES_DUCKDB_MEMORY_LIMIT (e.g. "2GB") overrides.
MEMORY_LIMIT_BASE_MB = 384
MEMORY_LIMIT_PER_MILLION_REPORTS_MB = 128
_MEMORY_LIMIT_RE = re.compile(r"\d+(\.\d+)?\s*(B|[KMGT]i?B)", re.IGNORECASE)


def memory_limit(reports: int) -> str:
    """The DuckDB memory limit for a working database of `reports` reports."""
    configured = str(setting("OUTAGES_DUCKDB_MEMORY_LIMIT")).strip()
    if configured:
        if not _MEMORY_LIMIT_RE.fullmatch(configured):
            raise ValueError(
                f"OUTAGES_DUCKDB_MEMORY_LIMIT={configured!r}: expected a size such as 2GB or 512MB"
            )
        return configured
    per_report = MEMORY_LIMIT_PER_MILLION_REPORTS_MB * reports / 1_000_000
    return f"{MEMORY_LIMIT_BASE_MB + round(per_report)}MB"


def set_memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    """(Re)size the working connection's memory limit to the reports it holds; return it."""
    reports = con.execute("SELECT count(*) FROM crawled_reports").fetchone()[0]
    limit = memory_limit(reports)
    con.execute(f"SET memory_limit = '{limit}'")
    return limit


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered `.sql` migrations not yet applied; return their names."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        if path.name in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(path.read_text())
            con.execute("INSERT INTO _migrations (name) VALUES (?)", [path.name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(path.name)
    if applied or not _has_table(con, "counties"):
        from warehouse.reference import load_reference_tables

        load_reference_tables(con)
    return applied


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return con.execute(query, [name]).fetchone()[0] > 0


def connect_published(data_dir: DataDir) -> duckdb.DuckDBPyConnection:
    """Open the published database read-only; a clear error when none is published yet."""
    path = data_dir.published_db
    if not path.exists():
        raise FileNotFoundError(
            f"no published database at {path}: run `outages demo --no-serve` or `outages crawl`"
        )
    return duckdb.connect(str(path), read_only=True)


_work_connections: dict[Path, duckdb.DuckDBPyConnection] = {}


def work_connection(data_dir: DataDir) -> duckdb.DuckDBPyConnection:
    """The process's one connection to the working database (pipelines and CLI share it)."""
    path = data_dir.work_db
    if path not in _work_connections:
        _work_connections[path] = connect_work(data_dir)
    return _work_connections[path]
