"""Bulk, idempotent loading: batches of reports go in as one Arrow table, keyed by report_id."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from warehouse.cleantext import clean_strings
from warehouse.schema import REPORT_COLUMNS

_TS = pa.timestamp("us", tz="UTC")
_LIST = pa.list_(pa.string())
_TYPES: dict[str, pa.DataType] = {
    "fetched_at": _TS,
    "published_at": _TS,
    "started_at": _TS,
    "ended_at": _TS,
    "expires_at": _TS,
    "is_outage": pa.bool_(),
    "is_constructed": pa.bool_(),
    "confidence": pa.float64(),
    "state_codes": _LIST,
    "county_fips": _LIST,
    "references_keys": _LIST,
    "geocodes": _LIST,
    "stated_duration_minutes": pa.int64(),
    "psaps_affected": pa.int64(),
    "calls_affected": pa.int64(),
    "statewide_states": _LIST,
    "occurred_on": pa.date32(),
}
REPORT_SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in REPORT_COLUMNS])
_COLUMN_LIST = ", ".join(REPORT_COLUMNS)


def reports_table(rows: Iterable[Mapping]) -> pa.Table:
    """An Arrow table of report rows; the last row wins where a report_id repeats."""
    unique = {row["report_id"]: row for row in rows}
    columns = {name: [row.get(name) for row in unique.values()] for name in REPORT_COLUMNS}
    columns["field_evidence"] = [
        json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        for value in columns["field_evidence"]
    ]
    return pa.table(columns, schema=REPORT_SCHEMA)


def load_reports(
    con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping], *, crawl_run_id: str | None = None
) -> int:
    """Store report rows (a report_id again replaces its row); return how many. The same path as a
    crawl's (`load_table`, then the merge a finished run makes), so what tests load is loaded
    as production loads it."""
    count = load_table(con, [reports_table(rows)], crawl_run_id=crawl_run_id)
    merge_staged(con)
    return count


def load_table(
    con: duckdb.DuckDBPyConnection, tables: list[pa.Table], *, crawl_run_id: str | None
) -> int:
    """Store report tables (as `reports_table` makes them, in the order they came: the last
    row of a report_id wins), all of the one crawl run; return how many.

    The rows go to the unindexed staging table `_staged_reports`, committed when this
    returns (a crawl killed afterwards loses none of them), and reach `crawled_reports` in
    one merge when the run finishes (`finish_run`), or when the next build starts, which
    also merges what a killed crawl left staged. `merge_staged` merges now."""
    table = prepare_table(tables, crawl_run_id=crawl_run_id)
    if table.num_rows == 0:
        return 0
    ensure_staging(con)
    con.register("_report_batch", table)
    try:
        # The staging table has no constraints (that is what makes it fast), so the batch is
        # checked against crawled_reports' own here: a row the merge would refuse is refused
        # now, with the batch, instead of staying staged and failing every later merge.
        check_constraints(con, "_report_batch")
        # The batch number orders batches across runs: the merge keeps each report's last.
        con.execute(
            f"INSERT INTO {STAGING} ({_COLUMN_LIST}, loaded_at, staged_batch) "
            f"SELECT {_COLUMN_LIST}, now(), "
            f"(SELECT coalesce(max(staged_batch), 0) + 1 FROM {STAGING}) FROM _report_batch"
        )
    finally:
        con.unregister("_report_batch")
    return table.num_rows


_CONSTRAINTS_SQL = (
    "SELECT constraint_type, expression, constraint_column_names FROM duckdb_constraints() "
    "WHERE schema_name = 'main' AND table_name = 'crawled_reports' "
    "AND constraint_type IN ('CHECK', 'NOT NULL')"
)


def check_constraints(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Raise duckdb.ConstraintException, as an insert into crawled_reports would, when a row
    of `relation` breaks one of its CHECK or NOT NULL constraints (read from the catalog, so
    a migration's new constraint is checked too)."""
    for kind, expression, columns in con.execute(_CONSTRAINTS_SQL).fetchall():
        # A CHECK passes on NULL (SQL's rule); NOT NULL is its own constraint.
        if kind == "CHECK":
            broken, what = f"NOT coalesce({expression}, true)", f"CHECK {expression}"
        else:
            broken, what = f'"{columns[0]}" IS NULL', f"NOT NULL {columns[0]}"
        # fetchall, not fetchone: DuckDB 2 refuses more work on a connection whose last
        # result was not read to its end.
        bad = con.execute(f"SELECT report_id FROM {relation} WHERE {broken} LIMIT 1").fetchall()
        if bad:
            raise duckdb.ConstraintException(
                f"Constraint Error: report {bad[0][0]!r} breaks crawled_reports' {what}"
            )


def prepare_table(tables: list[pa.Table], *, crawl_run_id: str | None) -> pa.Table:
    """The tables as one, stamped with the run, each report_id once (its last row)."""
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    # A crawl's batch is a table per page (a thousand chunks of some twenty rows): DuckDB
    # appends one contiguous table in half the time of that many chunks (issue 19).
    table = table.combine_chunks()
    table = table.set_column(
        REPORT_SCHEMA.get_field_index("crawl_run_id"),
        REPORT_SCHEMA.field("crawl_run_id"),
        pa.array([crawl_run_id] * table.num_rows, pa.string()),
    )
    ids = table.column("report_id").to_pylist()
    if len(set(ids)) < len(ids):  # a report seen twice in the batch: keep its last row
        last = {report_id: index for index, report_id in enumerate(ids)}
        table = table.take(sorted(last.values()))
    return table


# Loading a batch with `INSERT OR REPLACE` into `crawled_reports` probes and updates its
# primary-key index row by row, batch after batch, and each batch is a transaction of its
# own that rewrites the table's blocks: measured in benchmarks/bench_load.py against the
# staging table, which takes a plain append (no index, no constraint) per batch and one
# `INSERT OR REPLACE` of every staged report per run. Made from `crawled_reports` itself
# (plus the batch number), so it has its columns whatever migrations did; not published.
STAGING = "_staged_reports"


def ensure_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging table, or remake it when `crawled_reports` changed its columns
    (after merging what it holds: staged rows are never dropped)."""
    columns = _columns(con, STAGING)
    wanted = _columns(con, "crawled_reports") + ["staged_batch"]
    if columns == wanted:
        return
    if columns:
        merge_staged(con)
        con.execute(f"DROP TABLE {STAGING}")
    con.execute(
        f"CREATE TABLE {STAGING} AS SELECT *, 0::BIGINT AS staged_batch FROM crawled_reports "
        "LIMIT 0"
    )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


def merge_staged(con: duckdb.DuckDBPyConnection) -> int:
    """Move every staged report into `crawled_reports` (its last staged row replacing any
    row of its report_id) in one transaction; return how many reports."""
    staged = _columns(con, STAGING)
    if not staged or con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()[0] == 0:
        return 0
    target = set(_columns(con, "crawled_reports"))
    # The columns both have: a staged row of an older layout still merges.
    shared = ", ".join(f'"{c}"' for c in staged if c in target)
    source = STAGING
    repeated = con.execute(
        f"SELECT count(*) - count(DISTINCT report_id) FROM {STAGING}"
    ).fetchone()[0]
    if repeated:  # a report staged by two batches: its last batch's row
        source = (
            f"(SELECT * FROM {STAGING} SEMI JOIN (SELECT report_id, max(staged_batch) AS "
            f"staged_batch FROM {STAGING} GROUP BY report_id) USING (report_id, staged_batch))"
        )
    con.execute("BEGIN")
    try:
        # Delete and insert rather than INSERT OR REPLACE, which checks and replaces row by
        # row: a plain insert of a million reports takes a third of the time (bench_load.py).
        con.execute(
            f"DELETE FROM crawled_reports WHERE report_id IN (SELECT report_id FROM {STAGING})"
        )
        count = con.execute(
            f"INSERT INTO crawled_reports ({shared}) SELECT {shared} FROM {source}"
        ).fetchall()[0][0]
        con.execute(f"DELETE FROM {STAGING}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return count


def replace_table(con: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
    """The loader before staging: `INSERT OR REPLACE` of one prepared table straight into
    `crawled_reports`. Kept for benchmarks/bench_load.py, which measures both side by side,
    and for the test that both give the same rows."""
    if table.num_rows == 0:
        return 0
    con.register("_report_batch", table)
    try:
        con.execute(
            f"INSERT OR REPLACE INTO crawled_reports ({_COLUMN_LIST}, loaded_at) "
            f"SELECT {_COLUMN_LIST}, now() FROM _report_batch"
        )
    finally:
        con.unregister("_report_batch")
    return table.num_rows


def error_id(spider: str, url: str, stage: str, error_type: str, message: str) -> str:
    key = "\x1f".join((spider, url, stage, error_type, message))
    return "e-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def record_errors(con: duckdb.DuckDBPyConnection, errors: list[Mapping], run_id: str) -> int:
    """Upsert errors: a problem seen again updates its last sighting and count."""
    if not errors:
        return 0
    now = datetime.now(UTC)
    merged: dict[str, dict] = {}
    for err in errors:
        # An error's own text may quote the bad record (a NUL, a lone surrogate): clean it,
        # or recording the error would fail like the record did.
        err = clean_strings(dict(err))[0]
        message = str(err["message"])[:2000]
        eid = error_id(err["spider"], err["url"], err["stage"], err["error_type"], message)
        if eid in merged:
            merged[eid]["times_seen"] += 1
            continue
        merged[eid] = {
            "error_id": eid,
            "spider": err["spider"],
            "url": err["url"],
            "stage": err["stage"],
            "error_type": err["error_type"],
            "message": message,
            "archive_ref": err.get("archive_ref"),
            "seen_at": err.get("occurred_at") or now,
            "run_id": run_id,
            "times_seen": 1,
        }
    table = pa.Table.from_pylist(list(merged.values()))
    con.register("_error_batch", table)
    try:
        con.execute(
            """
            INSERT INTO crawl_errors AS e (error_id, spider, url, stage, error_type, message,
                archive_ref, first_seen_at, last_seen_at, first_seen_run_id, last_seen_run_id,
                times_seen)
            SELECT error_id, spider, url, stage, error_type, message, archive_ref,
                   seen_at, seen_at, run_id, run_id, times_seen
            FROM _error_batch
            ON CONFLICT (error_id) DO UPDATE SET
                last_seen_at = EXCLUDED.last_seen_at,
                last_seen_run_id = EXCLUDED.last_seen_run_id,
                times_seen = e.times_seen + EXCLUDED.times_seen
            """
        )
    finally:
        con.unregister("_error_batch")
    return len(merged)


def start_run(con: duckdb.DuckDBPyConnection, spider: str, mode: str, args: Mapping) -> str:
    run_id = f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    con.execute(
        "INSERT INTO crawl_runs (run_id, spider, started_at, status, mode, args) "
        "VALUES (?, ?, now(), 'running', ?, ?)",
        [run_id, spider, mode, json.dumps(dict(args), default=str, sort_keys=True)],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, *, status: str, close_reason: str, counts: Mapping
) -> None:
    """Record the end of a run, after merging its staged reports (and any a killed run
    left) into crawled_reports, which the build that follows reads."""
    merge_staged(con)
    con.execute(
        "UPDATE crawl_runs SET finished_at = now(), status = ?, close_reason = ?, items = ?, "
        "outages = ?, errors = ?, warnings = ?, pages = ?, bytes = ?, unchanged_pages = ?, "
        "unchanged_reports = ? WHERE run_id = ?",
        [
            status,
            close_reason,
            counts.get("items", 0),
            counts.get("outages", 0),
            counts.get("errors", 0),
            counts.get("warnings", 0),
            counts.get("pages", 0),
            counts.get("bytes", 0),
            counts.get("not_modified", 0),
            counts.get("unchanged_reports", 0),
            run_id,
        ],
    )
