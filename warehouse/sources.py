"""Per-source metadata (declared on each spider) joined with what the data and runs show.

The warehouse never loads a spider: the layer that knows them (crawlers/registry.py, called
by the CLI, the watcher and the crawl pipeline) passes their metadata as plain records
(`declared()` of each spider class) to `write_sources_table`, which keeps them as the
`sources` table of the working database; publishing copies it. Every reader here takes the
records as an argument or reads that stored table (`stored_sources`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.db import DataDir

# One source's declared metadata: the keys `declared()` gives (spider, title, kind, home,
# states, since, cadence_minutes, empty_ok_because, verified_with, verified_count,
# unverified_because, checked, robots_txt, terms).
SourceRecord = dict[str, Any]

LAST_RUNS_SQL = """
SELECT spider, started_at AS last_run_at, status AS last_status, items, outages, errors
FROM crawl_runs
QUALIFY row_number() OVER (PARTITION BY spider ORDER BY started_at DESC) = 1
"""
LAST_SUCCESS_SQL = """
SELECT spider, max(finished_at) AS last_success_at FROM crawl_runs
WHERE status IN ('ok', 'partial') GROUP BY spider
"""
DATA_SQL = """
SELECT source, min(published_at) AS first_published_at, max(published_at) AS last_published_at,
       count(*) AS reports, count(*) FILTER (WHERE is_outage) AS outage_reports,
       list_sort(list_distinct(flatten(list(state_codes)))) AS states_seen
FROM reports GROUP BY source
"""


def verified_text(count: int, *, long: bool = False, checked_by: str | None = None) -> str:
    """What a source's parser was checked against, in words: "3 real pages" (or, `long`,
    "parser checked against 3 recorded real pages"); when none, the spider's `checked_by`
    (a source with no remote page, checked another way) or "not yet checked against the
    real source"."""
    if not count:
        return checked_by or "not yet checked against the real source"
    pages = f"{count} recorded real page{'s' if count != 1 else ''}"
    return f"parser checked against {pages}" if long else pages.replace("recorded ", "")


def declared(spider: Any) -> SourceRecord:
    """What a spider declares about its source (the `sources` table's columns), read from the
    class attributes of whatever is passed (the warehouse imports no spider)."""
    verified = list(getattr(spider, "verified_with", ()) or ())
    return {
        "spider": spider.name,
        "title": spider.source_title,
        "kind": spider.source_kind,
        "home": spider.source_home,
        "states": spider.coverage_states,
        "since": spider.coverage_since,
        "cadence_minutes": spider.cadence_minutes,
        "empty_ok_because": spider.empty_ok_because,
        "verified_with": verified,
        "verified_count": len(verified),
        "unverified_because": None if verified else getattr(spider, "unverified_because", None),
        "checked_by": getattr(spider, "checked_by", None),
        "checked": verified_text(len(verified), checked_by=getattr(spider, "checked_by", None)),
        "robots_txt": getattr(spider, "robots_txt", None),
        "terms": getattr(spider, "terms", None),
    }


# The published `sources` table: one row per spider, as it declares itself.
SOURCES_SCHEMA = pa.schema(
    [
        ("spider", pa.string()),
        ("title", pa.string()),
        ("kind", pa.string()),
        ("home", pa.string()),
        ("coverage_states", pa.string()),
        ("coverage_since", pa.string()),
        ("cadence_minutes", pa.int32()),
        ("empty_ok_because", pa.string()),
        ("verified_with", pa.list_(pa.string())),
        ("verified_count", pa.int32()),
        ("unverified_because", pa.string()),
        ("checked_by", pa.string()),
        ("robots_txt", pa.string()),
        ("terms", pa.string()),
    ]
)
_SCHEMA_KEYS = {"coverage_states": "states", "coverage_since": "since"}


def sources_arrow(sources: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Source records (as `declared()` gives them) as the published `sources` table."""
    rows = sorted(sources, key=lambda row: row["spider"])
    return pa.table(
        {
            name: [row[_SCHEMA_KEYS.get(name, name)] for row in rows]
            for name in SOURCES_SCHEMA.names
        },
        schema=SOURCES_SCHEMA,
    )


def write_sources_table(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[Mapping[str, Any]],
    table: str = "sources",
) -> int:
    """(Re)create `table` from the spiders' declared metadata; return its row count."""
    arrow = sources_arrow(sources)
    con.register("_sources_arrow", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _sources_arrow")
    finally:
        con.unregister("_sources_arrow")
    return arrow.num_rows


def ensure_sources_table(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `sources` table when the database has none yet (a working database that no
    caller with spider metadata has built), so that every published file has the table."""
    if not _has_sources_table(con):
        write_sources_table(con, [])


def _has_sources_table(con: duckdb.DuckDBPyConnection) -> bool:
    # fetchall: a result left unfinished would block the connection's next statement
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE table_name = 'sources' AND database_name = current_database() "
            "AND schema_name = current_schema()"
        ).fetchall()[0][0]
    )


def stored_sources(con: duckdb.DuckDBPyConnection) -> list[SourceRecord]:
    """The `sources` table of a database (working or published) as records, the same as
    `declared()` gave them; empty when the database has no such table."""
    if not _has_sources_table(con):
        return []
    cursor = con.execute("SELECT * FROM sources ORDER BY spider")
    columns = [_SCHEMA_KEYS.get(d[0], d[0]) for d in cursor.description]
    records = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for record in records:
        record["verified_with"] = list(record["verified_with"] or [])
        record["checked"] = verified_text(
            record["verified_count"] or 0, checked_by=record.get("checked_by")
        )
    return records


def published_sources(data_dir: DataDir) -> list[SourceRecord]:
    """The sources as the published database holds them (empty before the first publish)."""
    if not data_dir.published_db.exists():
        return []
    try:
        with duckdb.connect(str(data_dir.published_db), read_only=True) as con:
            return stored_sources(con)
    except duckdb.Error:
        return []


def source_titles(sources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Spider name -> its declared source title."""
    return {row["spider"]: row["title"] for row in sources}


def _rows_by_key(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns[1:], row[1:], strict=True)) for row in cursor.fetchall()}


def source_status(
    data_dir: DataDir, sources: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per spider: what it covers (declared and seen), its cadence, its last runs.
    `sources`: the spiders' records (the CLI passes them); None: the published table's."""
    if sources is None:
        sources = published_sources(data_dir)
    last_runs: dict[str, dict[str, Any]] = {}
    successes: dict[str, dict[str, Any]] = {}
    seen: dict[str, dict[str, Any]] = {}
    if data_dir.published_db.exists():
        with duckdb.connect(str(data_dir.published_db), read_only=True) as con:
            last_runs = _rows_by_key(con, LAST_RUNS_SQL)
            successes = _rows_by_key(con, LAST_SUCCESS_SQL)
            seen = _rows_by_key(con, DATA_SQL)
    rows = []
    for source in sources:
        name = source["spider"]
        data = seen.get(name, {})
        first, last = data.get("first_published_at"), data.get("last_published_at")
        rows.append(
            {
                **source,
                "years_seen": f"{first.year}-{last.year}" if first and last else None,
                "states_seen": len(data.get("states_seen") or []),
                "reports": data.get("reports", 0),
                "outage_reports": data.get("outage_reports", 0),
                "last_success_at": successes.get(name, {}).get("last_success_at"),
                **last_runs.get(name, {}),
            }
        )
    return with_freshness(rows, data_dir, sources)


def with_freshness(
    rows: list[dict[str, Any]],
    data_dir: DataDir,
    sources: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Add fresh / late / failing (from each spider's cadence and its runs), since when, and
    the last error (warehouse/status.py)."""
    from warehouse.status import source_freshness

    freshness = {row["spider"]: row for row in source_freshness(data_dir, sources=sources)}
    for row in rows:
        fresh = freshness.get(row["spider"], {})
        error = fresh.get("last_error") or {}
        row["freshness"] = fresh.get("state")
        row["freshness_since"] = fresh.get("failing_since") or fresh.get("fresh_since")
        row["last_error"] = error.get("message")
    return rows


def coverage_by_state(
    data_dir: DataDir,
    states: list[str] | None = None,
    sources: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Per state: the sources that declare coverage of it, and those with reports from it.
    `sources` as for `source_status`."""
    rows = source_status(data_dir, sources)
    seen: dict[str, set[str]] = {}
    if data_dir.published_db.exists():
        with duckdb.connect(str(data_dir.published_db), read_only=True) as con:
            for source, state in con.execute(
                "SELECT DISTINCT source, unnest(state_codes) FROM reports"
            ).fetchall():
                seen.setdefault(state, set()).add(source)
    if states is None:
        import us

        states = sorted(s.abbr for s in us.states.STATES_AND_TERRITORIES) + ["DC"]
    table = []
    for state in states:
        declared = sorted(
            r["spider"] for r in rows if r["states"] == "all" or state in r["states"].split(",")
        )
        state_only = sorted(
            r["spider"] for r in rows if r["states"] != "all" and state in r["states"].split(",")
        )
        table.append(
            {
                "state": state,
                "state_sources": ", ".join(state_only) or "-",
                "sources_declared": len(declared),
                "sources_with_reports": ", ".join(sorted(seen.get(state, set()))) or "-",
            }
        )
    return table
