"""Read-only access to the published database for the app, cached per published version.

Every query result is cached under the published file's version (its inode and modification
time): a publish swaps the file in atomically, so the next rerun sees a new version, new
cache keys and fresh results, without a restart. One read-only connection is kept per
version (`st.cache_resource`) and each query runs on its own cursor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from warehouse.db import DataDir

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_ARCHIVE_DIR = REPO_ROOT / "demo"


@dataclass(frozen=True)
class Published:
    """The published database as one rerun sees it."""

    path: Path
    version: str
    published_at: str | None  # ISO 8601, from publication.json or the `publication` table
    data_dir: Path

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.path), self.version)

    @property
    def archive_dirs(self) -> list[Path]:
        """Where `reports.archive_ref` files are looked up: the crawl archive, then the demo."""
        return [self.data_dir / "archive", DEMO_ARCHIVE_DIR]


def data_dir() -> DataDir:
    return DataDir.resolve()


def published_version(path: Path) -> str:
    """Changes whenever a publish swaps the file in: the cache key of every query."""
    stat = path.stat()
    return f"{stat.st_ino}-{stat.st_mtime_ns}"


def current() -> Published | None:
    """The published database, or None when nothing has been published yet."""
    ddir = data_dir()
    path = ddir.published_db
    try:
        version = published_version(path)
    except FileNotFoundError:
        return None
    return Published(
        path=path,
        version=version,
        published_at=_published_at(str(path), version),
        data_dir=ddir.root,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _published_at(path: str, version: str) -> str | None:
    info = Path(path).parent / "publication.json"
    if info.exists():
        try:
            return json.loads(info.read_text()).get("published_at")
        except (OSError, ValueError):
            pass
    try:
        frame = _run(path, version, "SELECT max(published_at) AS at FROM publication", ())
    except duckdb.Error:
        return None
    value = frame["at"].iloc[0] if len(frame) else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version, shared by the sessions.

    The file is ATTACHed to a fresh in-memory instance: `duckdb.connect(path)` would hand
    back DuckDB's cached instance of that path while an older version's connection is still
    open, that is, the old file.
    """
    con = duckdb.connect()
    con.execute(f"ATTACH '{_quoted(path)}' AS published (READ_ONLY)")
    con.execute("USE published")
    return con


def _quoted(path: str) -> str:
    return str(path).replace("'", "''")


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of a connection made here, on the published file, with UTC times."""
    cur = con.cursor()
    cur.execute("USE published")
    cur.execute("SET TimeZone = 'UTC'")
    return cur


def _run(path: str, version: str, sql: str, params: tuple) -> pd.DataFrame:
    cur = cursor(_connection(path, version))
    try:
        return cur.sql(sql, params=list(params)).to_arrow_table().to_pandas()
    finally:
        cur.close()


def connection(pub: Published) -> duckdb.DuckDBPyConnection:
    """The shared read-only connection of this version (use a `.cursor()` per thread)."""
    return _connection(str(pub.path), pub.version)


def arrow(
    pub: Published,
    sql: str,
    params: tuple | list = (),
    con: duckdb.DuckDBPyConnection | None = None,
) -> Any:
    """An uncached query as an Arrow table (for callers that cache what they build from it)."""
    cur = cursor(con or connection(pub))
    try:
        return cur.sql(sql, params=list(params)).to_arrow_table()
    finally:
        cur.close()


def open_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A private read-only connection to the file as it is now (for work outside a rerun)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{_quoted(str(path))}' AS published (READ_ONLY)")
    con.execute("USE published")
    con.execute("SET TimeZone = 'UTC'")
    return con


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(path: str, version: str, sql: str, params: tuple) -> pd.DataFrame:
    return _run(path, version, sql, params)


def query(pub: Published, sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """Run one read-only query on the published database, cached for this version."""
    return _cached(str(pub.path), pub.version, sql, tuple(_plain(p) for p in params))


def _plain(value: Any) -> Any:
    """Parameters as hashable, stable values (dates as dates, lists as tuples)."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def scalar(pub: Published, sql: str, params: tuple | list = ()) -> Any:
    frame = query(pub, sql, params)
    return frame.iloc[0, 0] if len(frame) else None


def any_constructed(pub: Published) -> bool:
    return bool(scalar(pub, "SELECT coalesce(bool_or(is_constructed), false) FROM reports"))
