"""The public SQL guard, shared by `outages sql --public` and the app's SQL page.

Layers, each of which must hold on its own (docs/security.md states them and their limits):

1. Statement check (in the caller): a length cap, exactly one statement, of the read kind
   (SELECT, WITH ... SELECT, FROM-first, VALUES, TABLE, and the inspection statements that
   DuckDB runs as SELECTs: SHOW, DESCRIBE, SUMMARIZE). Everything else is refused by name.
2. Function check (in the worker): the query's syntax tree (`json_serialize_sql`) may not
   call a function that reads files or URLs, scans process memory, runs SQL text, or changes
   logging, profiling or checkpoints.
3. A separate worker process opens the published file read-only with external access off
   (no files, no network, no extensions, no persistent secrets, no spilling to disk), its
   configuration locked, one thread and DuckDB's own memory limit. The worker runs with a
   scrubbed environment, `/` as working directory, and OS limits: address space
   (RLIMIT_AS), file size 0 (it cannot write a byte to any file), no core dumps, and CPU
   seconds per query.
4. Time: a timer inside the worker interrupts the query at the time limit; the caller kills
   the worker if no answer comes shortly after (DuckDB's interrupt does not stop every
   query), and the worker exits by itself if its caller has gone.
5. Results are cut at a row cap, a cell cap (rows x columns) and a byte cap, and come back
   as Arrow; exports of a result have their own byte cap.

Workers come from a small pool started on first use (or by `warm_up()`), so ordinary
queries skip the interpreter start: a worker that was killed or misbehaved is replaced.
The pool is thread-safe (Streamlit calls it from its script threads) and starts workers
with `subprocess` only: no multiprocessing, so the caller's `__main__` is never re-imported.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse.jsonable import jsonable
from warehouse.settings import setting

TIME_LIMIT_SECONDS = 5.0
ROW_CAP = 10_000
RESULT_BYTE_CAP = 16 * 1024**2  # Arrow size of the result one query may return
EXPORT_BYTE_CAP = 32 * 1024**2  # size of a CSV or JSON export of a query result
QUERY_MAX_CHARS = 20_000
# OS cap on the worker's address space: a backstop behind DuckDB's own memory limit.
# Address space is not memory: DuckDB's threads and allocator reserve ~700 MB of it before a
# query runs, pyarrow (results go back as Arrow) ~300 MB, and each thread's malloc arena
# more (MALLOC_ARENA_MAX caps those at 2). 3 GiB leaves a query more headroom than it had
# when results were Python rows under 2 GiB (measured: 1.5 GiB reserved after a first
# query, against 0.8 GiB then).
WORKER_MEMORY_BYTES = 3 * 1024**3
DUCKDB_MEMORY_LIMIT = "512MB"
POOL_SIZE = setting("OUTAGES_SQL_WORKERS")
# Rows alone do not bound a result: 1,000 NULL columns x 10,000 rows is 10 million cells,
# which the page would then have to show and export. The cell cap bounds the work after.
CELL_CAP = setting("OUTAGES_SQL_CELL_CAP")
FETCH_BATCH_ROWS = 64  # rows per Arrow batch: the caps are checked between batches
KILL_GRACE_SECONDS = 1.0  # after the time limit, how long the worker's own interrupt may take
START_TIMEOUT_SECONDS = 30.0  # a worker that is not ready by then is broken
WORKER_RETIRE_RSS_KB = 768 * 1024  # a worker that grew this large is replaced after answering
ALLOWED_TYPES = {duckdb.StatementType.SELECT}
ROOT = Path(__file__).resolve().parents[1]


def _names(text: str) -> set[str]:
    return set(text.split())


# Functions a public query may not call, with the rule each one breaks.
_FILE_FUNCTIONS = _names(
    """glob read_blob read_csv read_csv_auto read_duckdb read_json read_json_auto
    read_json_objects read_json_objects_auto read_ndjson read_ndjson_auto read_ndjson_objects
    read_parquet parquet_scan read_single_csv_file read_single_json_file
    read_single_parquet_file read_text sniff_csv parquet_bloom_probe parquet_file_metadata
    parquet_full_metadata parquet_kv_metadata parquet_metadata parquet_schema read_xlsx
    iceberg_scan delta_scan sqlite_scan postgres_scan mysql_scan duckdb_extensions
    which_secret duckdb_secrets duckdb_temporary_files duckdb_external_file_cache"""
)
_MEMORY_FUNCTIONS = _names(
    "arrow_scan arrow_scan_dumb pandas_scan python_arrow_scan python_map_function"
)
_SQL_TEXT_FUNCTIONS = _names("query query_table json_execute_serialized_sql")
_STATE_FUNCTIONS = _names(
    """checkpoint force_checkpoint enable_logging disable_logging enable_profiling
    disable_profiling truncate_duckdb_logs create_external_resource
    deregister_external_resource destroy_external_resource register_external_resource
    register_external_resource_type getenv"""
)
DENIED_FUNCTIONS: dict[str, str] = {
    **{f: "no file or network access" for f in _FILE_FUNCTIONS},
    **{f: "no access to process memory" for f in _MEMORY_FUNCTIONS},
    **{f: "one statement only (no SQL inside strings)" for f in _SQL_TEXT_FUNCTIONS},
    **{f: "read-only (no settings, logging or checkpoints)" for f in _STATE_FUNCTIONS},
}


class QueryRefused(Exception):
    """The guard refused or stopped a query; the message names the rule."""


@dataclass
class QueryResult:
    """A public query's answer. `table` is the result as Arrow (what the page shows and
    exports, with `warehouse.result_format`); `rows` is it as Python tuples, made only
    when asked (the CLI, tests)."""

    columns: list[str]
    table: Any  # pyarrow.Table; its field names are the column names, duplicates allowed
    truncated: bool = False
    column_types: list[str] = field(default_factory=list)
    limit: str | None = None  # "row cap", "cell cap" or "byte cap" when `truncated`
    seconds: float = 0.0

    @functools.cached_property
    def rows(self) -> list[tuple]:
        from warehouse.result_format import python_rows

        return python_rows(self.table)


def _read_ipc(data: bytes) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


# ---------------------------------------------------------------------------- statement check
def check_statement(query: str) -> str:
    """Return the one read-only statement in `query`, or refuse with the rule's name."""
    if not isinstance(query, str) or not query.strip():
        raise QueryRefused("empty query")
    if len(query) > QUERY_MAX_CHARS:
        raise QueryRefused(f"query length: at most {QUERY_MAX_CHARS:,} characters")
    if "\x00" in query:
        raise QueryRefused("the query does not parse: it contains a NUL character")
    try:
        statements = duckdb.extract_statements(query)
    except Exception as exc:  # duckdb.Error, or anything else: no parse, no run
        raise QueryRefused(f"the query does not parse: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"one statement only (found {len(statements)})")
    try:
        kind_of = statements[0].type
    except Exception:  # a statement kind this duckdb's Python enum lacks (UPDATE EXTENSIONS)
        kind_of = None
    if kind_of not in ALLOWED_TYPES:
        kind = str(kind_of).split(".")[-1] if kind_of is not None else "these"
        raise QueryRefused(
            f"read-only: {kind} statements are not allowed, only SELECT "
            "(with WITH, SHOW, DESCRIBE and SUMMARIZE)"
        )
    return query


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _function_names(tree: Any) -> set[str]:
    """Every `function_name` in a syntax tree (iterative: trees can be deep)."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            name = node.get("function_name")
            if isinstance(name, str):
                found.add(name.lower())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def check_functions(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse a query that calls a denied function (read from DuckDB's own syntax tree)."""
    text = con.execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0]
    try:
        tree = json.loads(text)
    except RecursionError:
        raise QueryRefused("the query is nested too deeply to check") from None
    if tree.get("error"):
        raise QueryRefused(f"the query does not parse: {tree.get('error_message')}")
    for name in sorted(_function_names(tree)):
        if name in DENIED_FUNCTIONS:
            raise QueryRefused(f"{DENIED_FUNCTIONS[name]}: the function {name}() is not allowed")


# ---------------------------------------------------------------------------- framing
_HEADER = struct.Struct(">Q")


def _write_frame(fd: int, payload: bytes) -> None:
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    poller = select.poll()  # not select.select: a busy app may have fds past FD_SETSIZE
    poller.register(fd, select.POLLIN)
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not poller.poll(wait * 1000):
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None, max_size: int) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_size:
        raise OverflowError(size)
    return _read_exact(fd, size, deadline)


# Answers are pickled by our own worker and hold only str, bytes, numbers, lists and None
# (the result itself is an Arrow IPC stream): unpickle no class at all.
_SAFE_GLOBALS: set[tuple[str, str]] = set()


class _ResultUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"unexpected type {module}.{name} in a result")
        return super().find_class(module, name)


# ---------------------------------------------------------------------------- the worker
def _connect(db_path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        db_path,
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "allow_persistent_secrets": False,
            "temp_directory": "",
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "threads": 1,
            "lock_configuration": True,
        },
    )


class _Database:
    """The worker's connection to the published file, reopened when a publish swapped it."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.con: duckdb.DuckDBPyConnection | None = None

    def cursor(self, db_path: str) -> duckdb.DuckDBPyConnection:
        st = os.stat(db_path)
        key = (db_path, st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self.key or self.con is None:
            if self.con is not None:
                self.con.close()  # before reopening: duckdb caches instances by path
                self.con = None
            self.con = _connect(db_path)
            self.key = key
        return self.con.cursor()  # a fresh session: nothing carries over between queries


def _fetch_arrow(
    cursor: duckdb.DuckDBPyConnection, query: str, row_cap: int, byte_cap: int, cell_cap: int
) -> tuple[list[str], list[str], bytes, str | None]:
    """Run the query and read its result as Arrow record batches, up to the row cap, the
    cell cap and the byte cap: (column names, DuckDB types, Arrow IPC stream, limit hit).

    The result never becomes Python values here or in the caller: DuckDB streams Arrow
    batches (a relation's reader streams; an executed cursor's would copy every row
    first), and the caller gets them as one IPC stream to read without a copy.
    """
    import pyarrow as pa

    relation = cursor.sql(query)
    if relation is None:  # not a query with a result (the statement check allows none)
        raise QueryRefused("the statement returned no result")
    columns, types = list(relation.columns), [str(t) for t in relation.types]
    row_limit, limit_name = row_cap, "row cap"
    if cell_cap and cell_cap // max(1, len(columns)) < row_cap:
        row_limit, limit_name = max(1, cell_cap // max(1, len(columns))), "cell cap"
    batches: list[pa.RecordBatch] = []
    rows = size = 0
    limit = None
    with relation.to_arrow_reader(batch_size=FETCH_BATCH_ROWS) as reader:
        schema = reader.schema
        for batch in reader:
            if rows + batch.num_rows > row_limit:
                batch, limit = batch.slice(0, row_limit - rows), limit_name
            if size + batch.nbytes > byte_cap:
                batch, limit = _fit(batch, byte_cap - size), "byte cap"
            batches.append(batch)
            rows, size = rows + batch.num_rows, size + batch.nbytes
            if limit is not None:
                break
    if limit == "byte cap" and rows == 0:
        raise QueryRefused(f"byte cap: one row is larger than {byte_cap:,} bytes")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(batch)
    return columns, types, sink.getvalue().to_pybytes(), limit


def _fit(batch: Any, budget: int) -> Any:
    """The first rows of an Arrow batch whose size is within `budget` bytes."""
    keep = batch.num_rows
    while keep and batch.slice(0, keep).nbytes > budget:
        average = max(1, batch.slice(0, keep).nbytes // keep)
        keep = min(keep - 1, budget // average)
    return batch.slice(0, keep)


def _limit_hit(exc: BaseException, interrupted: bool, time_limit: float) -> tuple | None:
    """The answer for an error that is really the time or the memory limit, else None."""
    if interrupted:
        return ("error", f"time limit: stopped after {time_limit:g} s")
    text = str(exc).lower()
    if "out of memory" in text or "memory limit" in text:
        return ("error", f"memory limit: {_first_line(exc)}")
    return None


def _answer(database: _Database, request: dict) -> tuple:
    """Run one request inside the worker; return a picklable message."""
    import resource

    time_limit = float(request["time_limit"])
    cursor = None
    interrupted = threading.Event()
    timers: list[threading.Timer] = []
    try:
        cursor = database.cursor(request["db"])
        check_functions(cursor, request["query"])

        def interrupt() -> None:
            interrupted.set()
            cursor.interrupt()

        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        cpu = int(used + time_limit + 5)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.getrlimit(resource.RLIMIT_CPU)[1]))
        # The caller kills us shortly after the time limit; if it is gone, exit anyway.
        timers = [
            threading.Timer(time_limit, interrupt),
            threading.Timer(time_limit + KILL_GRACE_SECONDS + 2.0, os._exit, (70,)),
        ]
        for timer in timers:
            timer.daemon = True
            timer.start()
        columns, types, arrow_ipc, limit = _fetch_arrow(
            cursor,
            request["query"],
            int(request["row_cap"]),
            int(request["byte_cap"]),
            int(request.get("cell_cap") or 0),
        )
        return ("ok", columns, types, arrow_ipc, limit)
    except QueryRefused as exc:
        return ("error", str(exc))
    except MemoryError:
        return ("error", "memory limit: the query needed more memory than allowed")
    except duckdb.InterruptException:
        if interrupted.is_set():
            return ("error", f"time limit: stopped after {time_limit:g} s")
        return ("error", "the query was interrupted")
    except duckdb.OutOfMemoryException as exc:
        return ("error", f"memory limit: {_first_line(exc)}")
    except duckdb.PermissionException as exc:
        return ("error", f"no file or network access: {_first_line(exc)}")
    except duckdb.Error as exc:
        if limit := _limit_hit(exc, interrupted.is_set(), time_limit):
            return limit
        if "configuration has been locked" in str(exc):
            return ("error", f"configuration is locked: {_first_line(exc)}")
        return ("error", f"SQL error: {str(exc).strip()}")
    except Exception as exc:  # never let a query take the worker down with a traceback
        # DuckDB errors met while Arrow batches are read arrive as Arrow's exceptions
        if limit := _limit_hit(exc, interrupted.is_set(), time_limit):
            return limit
        return ("error", f"the query failed: {type(exc).__name__}: {_first_line(exc)}")
    finally:
        for timer in timers:
            timer.cancel()
        if cursor is not None:
            with contextlib.suppress(Exception):  # the session goes with the cursor anyway
                cursor.close()


def _worker_main() -> None:
    """Worker loop: frames of JSON requests on stdin, frames of pickled answers on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # not one byte written to any file
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ... as a failed write, not a crash
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the caller's
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    sys.stdout = sys.stderr  # nothing else may write into the answer channel
    database = _Database()
    _write_frame(stdout, pickle.dumps(("ready", os.getpid())))
    while True:
        try:
            request = json.loads(_read_frame(stdin, None, QUERY_MAX_CHARS * 8 + 4096))
        except (EOFError, OSError, ValueError):
            return  # the caller has gone
        message = _answer(database, request)
        retire = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > WORKER_RETIRE_RSS_KB
        try:
            data = pickle.dumps(message + (retire,), protocol=5)
        except Exception as exc:  # a value type pickle cannot carry
            data = pickle.dumps(("error", f"result could not be returned: {exc}", retire))
        try:
            _write_frame(stdout, data)
        except OSError:
            return
        if retire:
            return


# ---------------------------------------------------------------------------- the pool
_WORKER_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from warehouse.guard import _worker_main; _worker_main()"
)


class _Worker:
    def __init__(self) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MALLOC_ARENA_MAX": "2",  # see WORKER_MEMORY_BYTES
        }
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-c", _WORKER_CODE, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env=env,
            close_fds=True,
        )
        self.ready = False
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        if self.ready:
            return
        deadline = self.started + START_TIMEOUT_SECONDS
        message = pickle.loads(_read_frame(self.proc.stdout.fileno(), deadline, 4096))
        if message[0] != "ready":
            raise EOFError(message)
        self.ready = True

    def ask(self, request: dict, timeout: float, max_size: int) -> tuple:
        _write_frame(self.proc.stdin.fileno(), json.dumps(request).encode())
        data = _read_frame(self.proc.stdout.fileno(), time.monotonic() + timeout, max_size)
        return _ResultUnpickler(io.BytesIO(data)).load()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


class _Pool:
    """Up to `size` workers; idle ones wait pre-started, a killed one is replaced at once."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.lock = threading.Condition()
        self.idle: list[_Worker] = []
        self.busy = 0
        self.closed = False

    def warm_up(self) -> None:
        with self.lock:
            while len(self.idle) + self.busy < self.size:
                self.idle.append(_Worker())

    def acquire(self, wait: float) -> _Worker:
        deadline = time.monotonic() + wait
        with self.lock:
            while True:
                if self.closed:
                    raise QueryRefused("the SQL service is shutting down")
                if self.idle:
                    # Prefer a worker that is already up.
                    ready = [w for w in self.idle if w.ready]
                    worker = ready[0] if ready else self.idle[0]
                    self.idle.remove(worker)
                    self.busy += 1
                    return worker
                if self.busy < self.size:
                    self.busy += 1
                    try:
                        return _Worker()
                    except BaseException:
                        self.busy -= 1
                        raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryRefused(
                        f"busy: {self.busy} public queries are running; try again in a moment"
                    )
                self.lock.wait(remaining)

    def release(self, worker: _Worker, *, keep: bool) -> None:
        if not keep:
            worker.kill()
        with self.lock:
            self.busy -= 1
            if keep and not self.closed:
                self.idle.append(worker)
            elif not self.closed and len(self.idle) + self.busy < self.size:
                self.idle.append(_Worker())  # the replacement starts while nobody waits
            self.lock.notify()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.kill()

    def pids(self) -> list[int]:
        with self.lock:
            return [w.pid for w in self.idle]


_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _get_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.closed:
            _pool = _Pool(POOL_SIZE)
            atexit.register(_pool.close)
        return _pool


def warm_up() -> None:
    """Start the pool's workers now (the app calls this at startup); returns at once."""
    _get_pool().warm_up()


def shutdown() -> None:
    """Stop every idle worker (busy ones stop when their query ends)."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.close()


def run_public_query(
    db_path: Path | str,
    query: str,
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
    row_cap: int = ROW_CAP,
    byte_cap: int = RESULT_BYTE_CAP,
    cell_cap: int = CELL_CAP,
) -> QueryResult:
    """Run one untrusted query against the published file under every limit above."""
    check_statement(query)
    db_path = os.path.abspath(db_path)
    if not os.path.exists(db_path):
        raise FileNotFoundError(f"no published database at {db_path}")
    started = time.monotonic()
    pool = _get_pool()
    pool.warm_up()
    worker = pool.acquire(wait=time_limit)
    keep = False
    try:
        try:
            worker.wait_ready()
        except (EOFError, TimeoutError, OSError, pickle.UnpicklingError, struct.error) as exc:
            raise QueryRefused(f"the SQL worker did not start ({type(exc).__name__})") from None
        request = {
            "db": db_path,
            "query": query,
            "time_limit": time_limit,
            "row_cap": row_cap,
            "byte_cap": byte_cap,
            "cell_cap": cell_cap,
        }
        try:
            max_size = byte_cap + byte_cap // 4 + (1 << 20)  # _size() is an estimate
            message = worker.ask(request, time_limit + KILL_GRACE_SECONDS, max_size)
        except TimeoutError:
            raise QueryRefused(f"time limit: stopped after {time_limit:g} s") from None
        except OverflowError:
            raise QueryRefused(f"byte cap: the result is larger than {byte_cap:,} bytes") from None
        except (EOFError, OSError, struct.error):
            worker.proc.wait(timeout=5)
            code = worker.proc.returncode
            if code is not None and code < 0 and -code == signal.SIGXCPU:
                raise QueryRefused(f"time limit: CPU time over {time_limit:g} s") from None
            raise QueryRefused(
                f"memory limit: the query worker stopped without an answer (exit {code}); "
                "the query most likely needed more memory than allowed"
            ) from None
        except pickle.UnpicklingError as exc:
            raise QueryRefused(f"the result could not be returned: {exc}") from None
        *message, retire = message
        keep = not retire
        if message[0] == "error":
            raise QueryRefused(message[1])
        _, columns, types, arrow_ipc, limit = message
        return QueryResult(
            columns=columns,
            table=_read_ipc(arrow_ipc),
            truncated=limit is not None,
            column_types=types,
            limit=limit,
            seconds=round(time.monotonic() - started, 3),
        )
    finally:
        pool.release(worker, keep=keep)


# ---------------------------------------------------------------------------- exports
def result_csv(result: QueryResult, *, byte_cap: int = EXPORT_BYTE_CAP) -> bytes:
    """A query result as UTF-8 CSV with a header, safe to open in a spreadsheet (formatted
    by DuckDB and written by Arrow: no Python per cell)."""
    from warehouse.result_format import csv_bytes

    data = csv_bytes(result.table, result.columns)
    if len(data) > byte_cap:
        raise QueryRefused(f"export byte cap: the CSV would be over {byte_cap:,} bytes")
    return data


def result_json(result: QueryResult, *, byte_cap: int = EXPORT_BYTE_CAP) -> bytes:
    """A query result as a UTF-8 JSON array of row objects (the CLI's `--format json`)."""
    data = json.dumps(
        [dict(zip(result.columns, map(jsonable, row), strict=True)) for row in result.rows],
        ensure_ascii=False,
    ).encode("utf-8")
    if len(data) > byte_cap:
        raise QueryRefused(f"export byte cap: the JSON would be over {byte_cap:,} bytes")
    return data


if __name__ == "__main__":
    _worker_main()
