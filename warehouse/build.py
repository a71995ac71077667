"""Build: thread alerts, derive per-county rows, build incidents and the aggregate tables,
recreate the public views."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.incidents import build_incidents
from warehouse.load import merge_staged

SQL_DIR = Path(__file__).parent / "sql"
VIEWS_DIR = Path(__file__).parent / "views"


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(path.read_text())


def thread_ids(rows: list[tuple[str, str | None, list[str] | None, object]]) -> dict[str, str]:
    """Union-find over CAP keys: report_id -> thread_id (the earliest member's report_id).

    `rows` are (report_id, alert_key, references_keys, published_at). Two reports share a
    thread when one references the other's key, or when both carry the same key (the same
    message seen through two sources). Deterministic for the same input in any order.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(key, key) != root:
            parent[key], key = root, parent[key]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for report_id, alert_key, refs, _ in rows:
        node = f"k:{alert_key}" if alert_key else f"r:{report_id}"
        union(f"r:{report_id}", node)
        for ref in refs or []:
            union(node, f"k:{ref}")

    groups: dict[str, list[tuple[object, str]]] = {}
    for report_id, _, _, published_at in rows:
        groups.setdefault(find(f"r:{report_id}"), []).append((published_at, report_id))
    result: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        earliest = min(members, key=lambda m: (m[0] is None, m[0] or 0, m[1]))[1]
        result.update({report_id: earliest for _, report_id in members})
    return result


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild everything derived from `crawled_reports` (which it only reads); return row
    counts. Reports still staged (a crawl killed before its run finished: see
    warehouse/load.py) are merged into `crawled_reports` first, as that run would have."""
    merge_staged(con)
    rows = con.execute(
        "SELECT report_id, alert_key, references_keys, published_at FROM crawled_reports "
        "WHERE alert_key IS NOT NULL AND (is_outage OR len(references_keys) > 0 "
        "OR alert_key IN (SELECT unnest(references_keys) FROM crawled_reports))"
    ).fetchall()
    threads = thread_ids(rows)
    con.register(
        "_threads",
        pa.table(
            {"report_id": list(threads), "thread_id": list(threads.values())},
            schema=pa.schema([("report_id", pa.string()), ("thread_id", pa.string())]),
        ),
    )
    con.execute("BEGIN")
    try:
        drop_views(con)  # recreated below; a view may have become a table
        run_sql_file(con, SQL_DIR / "derive_reports.sql")
        run_sql_file(con, SQL_DIR / "thread_reports.sql")
        run_sql_file(con, SQL_DIR / "report_counties.sql")
        build_incidents(con)
        run_sql_file(con, SQL_DIR / "aggregates.sql")
        create_views(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_threads")
    return table_counts(con)


def drop_views(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the public views (not the temporary ones, such as registered Arrow tables)."""
    for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "AND database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        con.execute(f'DROP VIEW "{name}"')


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create the public views, one `.sql` file each, in name order."""
    names = []
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        con.execute(path.read_text())
        names.append(path.stem)
    return names


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the tables a build reports."""
    return {
        table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in (
            "reports",
            "report_counties",
            "incidents",
            "incident_counties",
            "crawl_runs",
            "crawl_errors",
        )
    }
