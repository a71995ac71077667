"""The public SQL guard against a corpus of hostile queries, and safe exports.

Every hostile query must be refused (with a message naming the rule) or bounded (cut at the
row or byte cap, or stopped at the time or memory limit), fast, and leave every file on
disk as it was. Benign queries answer well under a second from the warm worker pool.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import OUTAGES, ROOT
from warehouse import guard
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.export import export_relation
from warehouse.load import load_reports
from warehouse.publish import publish

TIME_LIMIT = 2.0  # shorter than the default 5 s, to keep the suite fast
SECRET = "outages-test-secret-4b1d"  # in the caller's environment, never in a worker's
HOSTILE_CELLS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


# ---------------------------------------------------------------------------- the database
@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = DataDir(tmp_path_factory.mktemp("guard-data"))
    con = connect_work(data_dir)
    t0 = datetime(2024, 4, 17, 22, 0, tzinfo=UTC)
    rows = []
    for i in range(50):
        title = HOSTILE_CELLS[i % len(HOSTILE_CELLS)] if i < 12 else f'Report {i}, "quoted"\nCafé ☎'
        rows.append(
            {
                "report_id": f"r{i:03d}",
                "source": "test",
                "source_url": f"https://example.org/{i}",
                "title": title,
                "body": "=cmd|' /C calc'!A0" if i == 0 else "line one\nline two",
                "published_at": t0,
                "started_at": t0,
                "is_outage": i % 2 == 0,
                "status": "outage" if i % 2 == 0 else "not_outage",
                "state_codes": ["=SD"] if i == 1 else ["SD"],
                "county_fips": ["46099"],
                "references_keys": [],
                "is_constructed": True,
            }
        )
    load_reports(con, rows)
    build(con)
    publish(con, data_dir)
    con.close()
    return data_dir.published_db


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file under `root`: size, modification time and inode."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.stat()
        out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


@pytest.fixture(scope="module")
def pool():
    """A fresh pool whose workers start after SECRET is in the caller's environment."""
    guard.shutdown()
    os.environ["OUTAGES_GUARD_TEST_SECRET"] = SECRET
    yield
    os.environ.pop("OUTAGES_GUARD_TEST_SECRET", None)
    guard.shutdown()


# ---------------------------------------------------------------------------- the corpus
# (query, what must happen): a substring of the refusal message, or "bounded" (refused by a
# limit or cut at a cap), or "answer" (a harmless answer, checked to leak nothing).
FILE = "no file or network access"
READ_ONLY = "read-only"
ONE = "one statement only"
HOSTILE_QUERIES: list[tuple[str, str]] = [
    # file reads through every table function, and the forms that hide them
    ("SELECT * FROM read_csv('/etc/passwd')", FILE),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", FILE),
    ("SELECT * FROM read_csv(['/etc/passwd', '/etc/group'])", FILE),
    ("SELECT * FROM read_text('/etc/passwd')", FILE),
    ("SELECT * FROM read_blob('/etc/hostname')", FILE),
    ("SELECT * FROM read_json('/etc/passwd')", FILE),
    ("SELECT * FROM read_json_auto('/etc/passwd')", FILE),
    ("SELECT * FROM read_json_objects('/etc/passwd')", FILE),
    ("SELECT * FROM read_ndjson('/etc/passwd')", FILE),
    ("SELECT * FROM read_parquet('{db}')", FILE),
    ("SELECT * FROM parquet_scan('/tmp/x.parquet')", FILE),
    ("SELECT * FROM parquet_metadata('/tmp/x.parquet')", FILE),
    ("SELECT * FROM parquet_schema('/tmp/x.parquet')", FILE),
    ("SELECT * FROM sniff_csv('/etc/passwd')", FILE),
    ("SELECT * FROM glob('/*')", FILE),
    ("SELECT * FROM read_duckdb('{db}')", FILE),
    ("SELECT * FROM '/etc/passwd'", ""),
    ("FROM '{db}.wal'", ""),
    ("SELECT (SELECT content FROM read_text('/etc/passwd'))", FILE),
    ("WITH x AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM x", FILE),
    ("SELECT * FROM reports, LATERAL (SELECT * FROM read_text(reports.source_url))", FILE),
    ("SELECT 1 UNION ALL SELECT length(content) FROM read_text('/etc/passwd')", FILE),
    ("SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')", ONE),
    ("SELECT * FROM query_table('reports')", ONE),
    ("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", ONE),
    # COPY, EXPORT, IMPORT
    ("COPY reports TO '{tmp}/pwned.csv'", READ_ONLY),
    ("COPY (SELECT 1) TO '{tmp}/pwned.parquet' (FORMAT parquet)", READ_ONLY),
    ("COPY reports FROM '/etc/passwd'", READ_ONLY),
    ("EXPORT DATABASE '{tmp}/pwned-export'", READ_ONLY),
    ("IMPORT DATABASE '{tmp}'", ""),
    ("EXPLAIN ANALYZE COPY reports TO '{tmp}/pwned-explain.csv'", READ_ONLY),
    # ATTACH, DETACH, USE
    ("ATTACH '{tmp}/pwned.duckdb' AS p", READ_ONLY),
    ("ATTACH ':memory:' AS m", READ_ONLY),
    ("ATTACH 'https://example.com/x.duckdb' AS r", READ_ONLY),
    ("DETACH outages", READ_ONLY),
    ("USE system", READ_ONLY),
    # extensions
    ("INSTALL httpfs", READ_ONLY),
    ("LOAD httpfs", READ_ONLY),
    ("INSTALL httpfs FROM 'http://127.0.0.1:9/'", READ_ONLY),
    ("FORCE INSTALL spatial", READ_ONLY),
    ("UPDATE EXTENSIONS", READ_ONLY),
    ("SELECT * FROM duckdb_extensions()", FILE),
    # settings
    ("SET enable_external_access = true", READ_ONLY),
    ("SET memory_limit = '100GB'", READ_ONLY),
    ("SET threads = 64", READ_ONLY),
    ("RESET ALL", ""),
    ("RESET memory_limit", READ_ONLY),
    ("SET VARIABLE x = 1", READ_ONLY),
    ("SELECT * FROM enable_logging(storage = 'file', storage_path = '{tmp}/log')", READ_ONLY),
    ("SELECT * FROM enable_profiling()", READ_ONLY),
    # PRAGMA, CALL, CHECKPOINT
    ("PRAGMA enable_profiling", READ_ONLY),
    ("PRAGMA profile_output = '{tmp}/profile.json'", READ_ONLY),
    ("PRAGMA show_tables", READ_ONLY),
    ("CALL pragma_version()", READ_ONLY),
    ("CALL enable_logging()", READ_ONLY),
    ("CHECKPOINT", READ_ONLY),
    ("SELECT * FROM checkpoint()", READ_ONLY),
    ("SELECT * FROM force_checkpoint()", READ_ONLY),
    # writes
    ("DELETE FROM reports", READ_ONLY),
    ("UPDATE reports SET title = 'x'", READ_ONLY),
    ("INSERT INTO reports (report_id) VALUES ('x')", READ_ONLY),
    ("DROP TABLE reports", READ_ONLY),
    ("CREATE TABLE pwned AS SELECT 1", READ_ONLY),
    ("CREATE TEMP TABLE t AS SELECT 1", READ_ONLY),
    ("CREATE MACRO m() AS 1", READ_ONLY),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')", READ_ONLY),
    ("ALTER TABLE reports ADD COLUMN x INT", READ_ONLY),
    ("BEGIN TRANSACTION", READ_ONLY),
    ("PREPARE p AS SELECT 1", READ_ONLY),
    ("VACUUM", READ_ONLY),
    ("PIVOT reports ON source USING count(*)", READ_ONLY),
    # several statements, and comments hiding a second one
    ("SELECT 1; SELECT 2", ONE),
    ("SELECT 1; DROP TABLE reports", ONE),
    ("SELECT 1; COPY reports TO '{tmp}/pwned-2.csv'", ONE),
    ("SELECT 1 /* harmless */; ATTACH ':memory:' AS m", ONE),
    ("SELECT 1 -- a comment\n; DELETE FROM reports", ONE),
    ("/* ; */ SELECT 1; /* ; */ INSTALL httpfs", ONE),
    ("SELECT 1 /*; COPY reports TO '{tmp}/pwned-3.csv'; */", "answer"),
    ("SELECT 1\x00; DROP TABLE reports", "NUL"),
    ("x" * 30_000, "query length"),
    ("SELECT " + "1 + " * 990 + "1", "nested too deeply"),
    ("", "empty"),
    ("  ;  ", ONE),
    # endless recursion
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r", "bounded"),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "bounded",
    ),
    (
        "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) SELECT * FROM r",
        "bounded",
    ),
    # memory and time bombs
    ("SELECT length(range(1000000000))", "bounded"),
    ("SELECT length(repeat('x', 2000000000))", "bounded"),
    ("SELECT repeat('x', 100000000)", "bounded"),
    ("SELECT list(i) FROM range(1000000000) t(i)", "bounded"),
    ("SELECT string_agg(repeat('x', 1000), '') FROM range(10000000)", "bounded"),
    ("SELECT * FROM range(1000000000) ORDER BY random()", "bounded"),
    ("SELECT count(*) FROM range(400000) a, range(400000) b", "bounded"),
    ("SELECT sum(hash(i)) FROM range(100000000000) t(i)", "bounded"),
    ("SELECT * FROM range(10000000000)", "bounded"),
    ("SELECT * FROM generate_series(1, 10000000000)", "bounded"),
    ("SELECT repeat('x', 1000000) FROM range(1000)", "bounded"),
    # environment, settings and secrets
    ("SELECT getenv('OUTAGES_GUARD_TEST_SECRET')", ""),
    ("SELECT * FROM read_text('/proc/self/environ')", FILE),
    ("SELECT * FROM duckdb_secrets()", FILE),
    ("SELECT * FROM which_secret('s3://bucket/key', 's3')", FILE),
    ("SELECT current_setting('home_directory'), current_setting('temp_directory')", "answer"),
    ("SELECT * FROM duckdb_settings()", "answer"),
    # URLs
    ("SELECT * FROM read_csv('https://example.com/data.csv')", FILE),
    ("SELECT * FROM 'https://example.com/data.parquet'", FILE),
    ("SELECT * FROM 'http://127.0.0.1:9/x.csv'", FILE),
    ("SELECT * FROM read_parquet('s3://bucket/key.parquet')", FILE),
    # process memory
    ("SELECT * FROM arrow_scan(1, 2, 3)", "process memory"),
    ("SELECT * FROM pandas_scan(1)", "process memory"),
    ("SELECT * FROM python_map_function(1, 2, 3)", "process memory"),
]
LIMIT_WORDS = ("time limit", "memory limit", "byte cap", "row cap")


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE_QUERIES) >= 40


@pytest.mark.parametrize("index", range(len(HOSTILE_QUERIES)))
def test_hostile_query_is_refused_or_bounded(
    index: int, published: Path, pool, tmp_path: Path
) -> None:
    template, expect = HOSTILE_QUERIES[index]
    sql = template.replace("{db}", str(published)).replace("{tmp}", str(tmp_path))
    before = snapshot(published.parent)
    # Bounded in time by the guard's own limit (a query past it is refused with "time
    # limit"); how long that takes on this machine is for benchmarks/bench_queries.py.
    try:
        result = guard.run_public_query(published, sql, time_limit=TIME_LIMIT)
        message = ""
    except guard.QueryRefused as exc:
        result, message = None, str(exc)
    # Nothing changed on disk: the published directory, and the files the query aimed at.
    assert snapshot(published.parent) == before
    assert list(tmp_path.iterdir()) == []
    if expect == "answer":
        assert result is not None, message
        assert SECRET not in repr(result.rows)
    elif expect == "bounded":
        if result is not None:
            assert result.truncated and result.limit in LIMIT_WORDS
            assert len(result.rows) <= guard.ROW_CAP
        else:
            assert any(word in message for word in LIMIT_WORDS), message
    else:
        assert result is None, f"not refused: {sql!r} -> {result.rows[:3]}"
        assert expect in message, message
        assert "Traceback" not in message


def test_hostile_queries_through_the_command_line(published: Path, tmp_path: Path) -> None:
    env = dict(os.environ, OUTAGES_DATA=str(published.parent))
    refused = subprocess.run(
        [str(OUTAGES), "sql", f"COPY reports TO '{tmp_path}/x.csv'", "--public"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "refused: read-only" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert list(tmp_path.iterdir()) == []
    ok = subprocess.run(
        [
            str(OUTAGES),
            "sql",
            "SELECT title FROM reports WHERE report_id < 'r005' ORDER BY report_id",
            "--public",
            "--format",
            "csv",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    rows = list(csv.reader(io.StringIO(ok.stdout, newline="")))
    assert rows[0] == ["title"] and len(rows) == 6
    assert all(row[0].startswith("'") for row in rows[1:])  # neutralized formulas


# ---------------------------------------------------------------------------- limits and pool
def test_benign_queries_answer_from_a_cold_and_a_warm_pool(published: Path, pool) -> None:
    # Their speed is measured by benchmarks/bench_queries.py, not here.
    guard.shutdown()
    result = guard.run_public_query(published, "SELECT count(*) FROM reports")
    assert result.rows == [(50,)] and not result.truncated
    for _ in range(3):
        grouped = guard.run_public_query(
            published, "SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 1"
        )
        assert sum(n for _, n in grouped.rows) == 50


def test_row_cap_and_byte_cap_cut_results(published: Path, pool) -> None:
    rows = guard.run_public_query(published, "SELECT * FROM range(50000)", row_cap=1000)
    assert len(rows.rows) == 1000 and rows.truncated and rows.limit == "row cap"
    big = guard.run_public_query(
        published, "SELECT repeat('x', 100000) FROM range(100)", byte_cap=1_000_000
    )
    assert big.truncated and big.limit == "byte cap" and 0 < len(big.rows) <= 10
    with pytest.raises(guard.QueryRefused, match="byte cap"):
        guard.run_public_query(published, "SELECT repeat('x', 2000000)", byte_cap=1_000_000)


def test_a_query_that_ignores_the_interrupt_is_killed(
    published: Path, pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No grace: the caller kills the worker at the time limit itself, whatever the worker does.
    monkeypatch.setattr(guard, "KILL_GRACE_SECONDS", 0.0)
    guard.run_public_query(published, "SELECT 1")
    before = set(guard._get_pool().pids())
    with pytest.raises(guard.QueryRefused, match="time limit"):
        guard.run_public_query(published, "SELECT length(range(100000000))", time_limit=0.2)
    monkeypatch.setattr(guard, "KILL_GRACE_SECONDS", 1.0)
    assert guard.run_public_query(published, "SELECT 2").rows == [(2,)]
    after = set(guard._get_pool().pids())
    assert before - after, "the worker that ran past the limit was not replaced"
    for pid in before - after:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_pool_is_thread_safe(published: Path, pool) -> None:
    errors: list[str] = []
    answers: list[int] = []

    def ask(n: int) -> None:
        for _ in range(5):
            try:
                result = guard.run_public_query(
                    published, f"SELECT count(*) + {n} FROM reports", time_limit=10
                )
                answers.append(result.rows[0][0] - n)
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and answers == [50] * 40


def test_each_query_gets_a_fresh_session(published: Path, pool) -> None:
    first = guard.run_public_query(published, "SELECT current_setting('threads')").rows
    assert first == [(1,)]
    with pytest.raises(guard.QueryRefused):
        guard.run_public_query(published, "SELECT * FROM temp_table_that_was_never_made")


def test_workers_exit_when_their_caller_dies(published: Path) -> None:
    code = (
        "import os, sys; from warehouse import guard\n"
        "guard.run_public_query(sys.argv[1], 'SELECT 1')\n"
        "print(' '.join(map(str, guard._get_pool().pids())), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(published)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pids = [int(p) for p in out.stdout.split()]
    assert pids, out.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{p}").exists() for p in pids)


# ---------------------------------------------------------------------------- exports
def test_csv_export_is_safe_in_a_spreadsheet_and_complete(published: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports.csv"
    count = export_relation(published, "reports", "csv", target)
    with duckdb.connect(str(published), read_only=True) as con:
        assert count == con.execute("SELECT count(*) FROM reports").fetchone()[0] == 50
    raw = target.read_bytes()
    text = raw.decode("utf-8")  # UTF-8, or this raises
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["report_id", "source", "source_url"]
    assert len(body) == count
    cells = [cell for row in body for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    for hostile in HOSTILE_CELLS:
        assert "'" + hostile in cells
    assert "Café ☎" in text


def test_query_result_exports_are_neutralized_and_capped(published: Path, pool) -> None:
    result = guard.run_public_query(
        published, 'SELECT title AS "=col", state_codes FROM reports ORDER BY report_id'
    )
    rows = list(csv.reader(io.StringIO(guard.result_csv(result).decode("utf-8"), newline="")))
    assert rows[0] == ["'=col", "state_codes"] and len(rows) == 51
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)
    assert len(guard.result_json(result)) > 0
    with pytest.raises(guard.QueryRefused, match="export byte cap"):
        guard.result_csv(result, byte_cap=100)


def command_line_csv(published: Path, where: str) -> list[list[str]]:
    env = dict(os.environ, OUTAGES_DATA=str(published.parent))
    out = subprocess.run(
        [str(OUTAGES), "sql", f"SELECT title FROM reports WHERE {where}", "--format", "csv"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    # Bytes, not text=True: universal newlines would turn the cell's \r into \n.
    return list(csv.reader(io.StringIO(out.stdout.decode("utf-8"), newline="")))


def test_command_line_csv_quotes_a_carriage_return(published: Path) -> None:
    assert command_line_csv(published, "report_id = 'r005'") == [["title"], ["'\rx"]]
