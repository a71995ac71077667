"""The public SQL guard, shared by `outages sql --public` and the app's SQL page.

Layers, each of which must hold on its own:
1. Statement check: exactly one statement, of the read kinds (SELECT and WITH ... SELECT).
2. A separate worker process opens the published file read-only with external access off
   (no files, no network, no extensions) and its configuration locked, with DuckDB's own
   memory and thread limits.
3. The worker runs under an OS address-space limit (RLIMIT_AS) and is killed at the time
   limit: DuckDB's interrupt and memory_limit alone do not stop every query.
4. Results are cut at a row cap.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

TIME_LIMIT_SECONDS = 5.0
ROW_CAP = 10_000
WORKER_MEMORY_BYTES = 2 * 1024**3  # OS cap on the worker's address space
DUCKDB_MEMORY_LIMIT = "512MB"
ALLOWED_TYPES = {duckdb.StatementType.SELECT}


class QueryRefused(Exception):
    """The guard refused or stopped a query; the message names the rule."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool = False
    column_types: list[str] = field(default_factory=list)


def check_statement(query: str) -> str:
    """Return the one read-only statement in `query`, or refuse with the rule's name."""
    if not query or not query.strip():
        raise QueryRefused("empty query")
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {exc}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"one statement only (found {len(statements)})")
    statement = statements[0]
    if statement.type not in ALLOWED_TYPES:
        kind = str(statement.type).split(".")[-1]
        raise QueryRefused(f"read-only: {kind} statements are not allowed, only SELECT")
    return query


def _connect(db_path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        db_path,
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "threads": 1,
            "lock_configuration": True,
        },
    )


def _run_in_worker(db_path: str, query: str, row_cap: int) -> tuple:
    """Inside the worker: run the query and return a picklable message."""
    try:
        con = _connect(db_path)
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description or []]
        types = [str(d[1]) for d in cursor.description or []]
        rows = cursor.fetchmany(row_cap + 1)
        return ("ok", columns, types, rows[:row_cap], len(rows) > row_cap)
    except MemoryError:
        return ("error", "memory limit: the query needed more memory than allowed")
    except duckdb.OutOfMemoryException as exc:
        return ("error", f"memory limit: {exc}")
    except duckdb.PermissionException as exc:
        return ("error", f"no file or network access: {exc}")
    except duckdb.Error as exc:
        return ("error", f"SQL error: {exc}")


def _worker_main() -> None:
    """`python -m warehouse.guard DB ROW_CAP`: one query on stdin, one pickled answer out."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    db_path, row_cap = sys.argv[1], int(sys.argv[2])
    query = sys.stdin.read()
    message = _run_in_worker(db_path, query, row_cap)
    try:
        data = pickle.dumps(message)
    except Exception as exc:  # a value type pickle cannot carry
        data = pickle.dumps(("error", f"result could not be returned: {exc}"))
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def run_public_query(
    db_path: Path | str,
    query: str,
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
    row_cap: int = ROW_CAP,
) -> QueryResult:
    """Run one untrusted query against the published file under every limit above."""
    check_statement(query)
    if not os.path.exists(db_path):
        raise FileNotFoundError(f"no published database at {db_path}")
    worker = subprocess.Popen(
        [sys.executable, "-m", "warehouse.guard", str(db_path), str(row_cap)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    try:
        out, _ = worker.communicate(query.encode(), timeout=time_limit)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise QueryRefused(f"time limit: stopped after {time_limit:g} s") from None
    if not out:
        raise QueryRefused(
            f"the query worker stopped without an answer (exit {worker.returncode}); "
            "most likely it reached the memory limit"
        )
    message = pickle.loads(out)  # our own worker's output, not the visitor's
    if message[0] == "error":
        raise QueryRefused(message[1])
    _, columns, types, rows, truncated = message
    return QueryResult(columns=columns, rows=rows, truncated=truncated, column_types=types)


if __name__ == "__main__":
    _worker_main()
