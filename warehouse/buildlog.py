"""When the derived tables are current: a crawl that loaded nothing new need not rebuild.

Each build is logged in `_builds` with the newest `crawled_reports.loaded_at` it saw and a digest of
the build code. A later build can be skipped when both are unchanged: no report was loaded
or replaced since, and the code that derives threads, counties and incidents is the same.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb

_WAREHOUSE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def build_code_version() -> str:
    """A digest of the warehouse code, SQL and reference data."""
    digest = hashlib.sha1()
    for path in sorted(_WAREHOUSE.rglob("*")):
        wanted = path.suffix in (".py", ".sql", ".csv", ".json", ".geojson")
        if wanted and path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(_WAREHOUSE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _loaded_through(con: duckdb.DuckDBPyConnection) -> object:
    return con.execute("SELECT max(loaded_at) FROM crawled_reports").fetchone()[0]


def record_build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO _builds (built_at, code_version, reports_loaded_through) VALUES (now(), ?, ?)",
        [build_code_version(), _loaded_through(con)],
    )


def build_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the last build saw every report there is now, with the same code."""
    last = con.execute(
        "SELECT code_version, reports_loaded_through FROM _builds ORDER BY built_at DESC LIMIT 1"
    ).fetchone()
    if last is None or last[0] != build_code_version() or last[1] is None:
        return False
    return last[1] == _loaded_through(con)
