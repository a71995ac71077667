"""Freshness of every source: fresh, late, failing (or never run live), since when, last error.

Each spider declares how often it should run (`cadence_minutes`). From `crawl_runs` (live
runs only: a replay or `--from` run says nothing about the source today):

- **failing**: the last run failed (status `failed` or `empty`); *since* the first failed
  run after the last good one.
- **late**: no good run (status `ok` or `partial`) finished within 2 x cadence; *since* the
  moment the last good run became 2 x cadence old.
- **fresh**: otherwise; *since* the first good run after the last failure.
- **never**: no live run at all.

`write_status(data_dir, con)` writes the facts and states to `DIR/status.json` (atomically)
after every run of `outages watch` and at publish. `source_freshness(data_dir)` is what
`outages spiders` and the app's About page show: it takes the newest facts per source from
`status.json` and from the published database, adds what a running watcher says
(`DIR/work/watch.json`: next run, running now), and recomputes the states against the
clock, so a watcher that died shows its sources going late rather than fresh forever.

The environment variable `OUTAGES_CADENCE_SCALE` (tests: e.g. 0.01) scales every cadence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from warehouse.cleantext import clean_strings
from warehouse.db import DataDir
from warehouse.jsonable import dumps, jsonable
from warehouse.settings import setting

GOOD_STATUSES = ("ok", "partial")
FAILED_STATUSES = ("failed", "empty")
STATES = ("fresh", "late", "failing", "never")
LATE_FACTOR = 2
STATUS_FILE = "status.json"
WATCH_FILE = "watch.json"  # under DIR/work/, written by the running watcher
SOURCE_CHECKS_FILE = "source_checks.json"  # under DIR/work/, the watcher's last source check
FACT_FIELDS = (
    "last_run_at",
    "last_finished_at",
    "last_status",
    "last_close_reason",
    "last_items",
    "last_outages",
    "last_errors",
    "last_ok_at",
    "consecutive_failures",
    "failing_since",
    "fresh_since",
    "last_error",
)

_FACTS_SQL = """
WITH runs AS (
    SELECT spider, run_id, started_at, coalesce(finished_at, started_at) AS finished_at,
           status, close_reason, items, outages, errors,
           status IN ('ok', 'partial') AS good
    FROM crawl_runs
    WHERE coalesce(mode, 'live') = 'live' AND status <> 'running'
      AND coalesce(close_reason, '') <> 'shutdown'  -- stopped by the operator, not the source
),
last_run AS (
    SELECT * FROM runs
    QUALIFY row_number() OVER (PARTITION BY spider ORDER BY started_at DESC, run_id DESC) = 1
),
marks AS (
    SELECT spider,
           max(finished_at) FILTER (WHERE good) AS last_ok_at,
           max(started_at) FILTER (WHERE good) AS last_ok_started,
           max(started_at) FILTER (WHERE NOT good) AS last_fail_started
    FROM runs GROUP BY spider
),
streaks AS (
    SELECT r.spider,
           min(r.started_at) FILTER (
               WHERE NOT r.good AND (m.last_ok_started IS NULL OR r.started_at > m.last_ok_started)
           ) AS failing_since,
           count(*) FILTER (
               WHERE NOT r.good AND (m.last_ok_started IS NULL OR r.started_at > m.last_ok_started)
           ) AS consecutive_failures,
           min(r.started_at) FILTER (
               WHERE r.good AND (m.last_fail_started IS NULL OR r.started_at > m.last_fail_started)
           ) AS fresh_since
    FROM runs r JOIN marks m USING (spider)
    GROUP BY r.spider
)
SELECT l.spider, l.started_at AS last_run_at, l.finished_at AS last_finished_at,
       l.status AS last_status, l.close_reason AS last_close_reason, l.items AS last_items,
       l.outages AS last_outages, l.errors AS last_errors, m.last_ok_at,
       s.consecutive_failures, s.failing_since, s.fresh_since
FROM last_run l JOIN marks m USING (spider) JOIN streaks s USING (spider)
"""

_ERRORS_SQL = """
SELECT spider, last_seen_at, stage, error_type, message, url
FROM crawl_errors
WHERE stage NOT IN ('geocode')
QUALIFY row_number() OVER (PARTITION BY spider ORDER BY last_seen_at DESC, error_id) = 1
"""


# ---------------------------------------------------------------------------- facts
def cadence_scale() -> float:
    """How cadences are scaled (`OUTAGES_CADENCE_SCALE`, default 1; tests use e.g. 0.01)."""
    value = setting("OUTAGES_CADENCE_SCALE")
    return value if value > 0 else 1.0


def run_facts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per spider: its last live run, last good run, failure streak and last error."""
    facts: dict[str, dict[str, Any]] = {}
    cursor = con.execute(_FACTS_SQL)
    columns = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        facts[record.pop("spider")] = record
    cursor = con.execute(_ERRORS_SQL)
    for spider, seen_at, stage, error_type, message, url in cursor.fetchall():
        facts.setdefault(spider, {})["last_error"] = {
            "at": _iso(seen_at),
            "stage": stage,
            "type": error_type,
            "message": message,
            "url": url,
        }
    return {spider: {k: _iso(v) for k, v in f.items()} for spider, f in facts.items()}


def freshness(
    cadence_minutes: float,
    fact: Mapping[str, Any] | None,
    now: datetime,
    scale: float = 1.0,
) -> tuple[str, str | None]:
    """The state of one source and since when (ISO time, None when unknown)."""
    fact = fact or {}
    if not fact.get("last_run_at"):
        return "never", None
    if fact.get("last_status") not in GOOD_STATUSES:
        return "failing", fact.get("failing_since") or fact.get("last_run_at")
    late_after = timedelta(minutes=cadence_minutes * scale * LATE_FACTOR)
    last_ok = _parse(fact.get("last_ok_at"))
    if last_ok is None or now - last_ok > late_after:
        return "late", _iso(last_ok + late_after) if last_ok else fact.get("last_run_at")
    return "fresh", fact.get("fresh_since") or fact.get("last_ok_at")


def source_rows(
    facts: Mapping[str, Mapping[str, Any]],
    now: datetime,
    scale: float,
    watch_info: Mapping[str, Any] | None = None,
    sources: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """One row per source in `sources` (the spiders' declared records, warehouse/sources.py):
    metadata, state, since, and the facts behind them."""
    watch_info = watch_info or {}
    running = set(watch_info.get("running") or [])
    next_runs = watch_info.get("next_run_at") or {}
    rows = []
    for source in sorted(sources, key=lambda row: row["spider"]):
        name = source["spider"]
        fact = dict(facts.get(name) or {})
        state, since = freshness(source["cadence_minutes"], fact, now, scale)
        rows.append(
            {
                "spider": name,
                "title": source["title"],
                "kind": source.get("kind") or "unknown",
                "cadence_minutes": source["cadence_minutes"],
                "state": state,
                "since": since,
                **{field: fact.get(field) for field in FACT_FIELDS},
                "running": name in running,
                "next_run_at": next_runs.get(name),
            }
        )
    return rows


# ---------------------------------------------------------------------------- status.json
def status_document(
    data_dir: DataDir,
    facts: Mapping[str, Mapping[str, Any]],
    now: datetime | None = None,
    sources: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    scale = cadence_scale()
    rows = source_rows(facts, now, scale, read_watch_info(data_dir), sources)
    summary = {state: sum(r["state"] == state for r in rows) for state in STATES}
    return {
        "generated_at": _iso(now),
        "cadence_scale": scale,
        "late_factor": LATE_FACTOR,
        "data": data_age(data_dir, facts),
        "summary": summary,
        "sources": rows,
        "source_checks": read_source_checks(data_dir),
    }


def write_source_checks(data_dir: DataDir, results: list[dict[str, Any]]) -> None:
    """Keep the last `outages sources check` result (one entry per source, each with its
    checked_at) for status.json's "source_checks" and the About page."""
    write_json_atomic(data_dir.work_db.parent / SOURCE_CHECKS_FILE, results)


def read_source_checks(data_dir: DataDir) -> list[dict[str, Any]]:
    try:
        results = json.loads((data_dir.work_db.parent / SOURCE_CHECKS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return results if isinstance(results, list) else []


def write_status(
    data_dir: DataDir,
    con: duckdb.DuckDBPyConnection | None,
    sources: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Compute and write `DIR/status.json` atomically; return it.

    Pass the working database's connection when you hold the crawl lock (after a run, at
    publish); without one, the published database is read. `sources`: the spiders'
    declared records (warehouse/sources.py: the caller that knows the spiders passes them,
    the publish passes the stored `sources` table).
    """
    facts = run_facts(con) if con is not None else published_facts(data_dir)
    document = status_document(data_dir, facts, sources=sources)
    write_json_atomic(data_dir.root / STATUS_FILE, document)
    return document


def refresh_status(data_dir: DataDir, sources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rewrite `status.json` from the facts already known (no working database needed).

    For the watcher between runs and at shutdown: states move with the clock (fresh to
    late) and the watcher's running/next-run information stays current. Hold the crawl
    lock while calling it, so no run writes a newer file meanwhile. `sources` as for
    `write_status`.
    """
    facts = merge_facts(published_facts(data_dir), status_facts(read_status(data_dir)))
    document = status_document(data_dir, facts, sources=sources)
    write_json_atomic(data_dir.root / STATUS_FILE, document)
    return document


def read_status(data_dir: DataDir) -> dict[str, Any]:
    path = data_dir.root / STATUS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def read_watch_info(data_dir: DataDir) -> dict[str, Any]:
    """What a running watcher last said (empty when none runs or its heartbeat is stale)."""
    path = data_dir.work_db.parent / WATCH_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    beat = _parse(info.get("heartbeat_at"))
    stale_after = timedelta(seconds=float(info.get("heartbeat_seconds") or 10) * 6)
    if info.get("stopped_at") or beat is None or datetime.now(UTC) - beat > stale_after:
        return {}
    return info


def published_facts(data_dir: DataDir) -> dict[str, dict[str, Any]]:
    if not data_dir.published_db.exists():
        return {}
    try:
        with duckdb.connect(str(data_dir.published_db), read_only=True) as con:
            return run_facts(con)
    except duckdb.Error:
        return {}


def source_freshness(
    data_dir: DataDir,
    now: datetime | None = None,
    *,
    sources: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """One row per source in `sources` (the spiders' declared records: for `outages spiders`
    and the app's About page, the published `sources` table).

    Keys: spider, title, kind, cadence_minutes, state (fresh/late/failing/never), since,
    last_run_at, last_finished_at, last_status, last_ok_at, consecutive_failures,
    failing_since, fresh_since, last_error ({at, stage, type, message, url} or None),
    last_items, last_outages, last_errors, running, next_run_at. Times are ISO 8601 UTC.
    """
    now = now or datetime.now(UTC)
    facts = merge_facts(published_facts(data_dir), status_facts(read_status(data_dir)))
    scale = read_status(data_dir).get("cadence_scale") or cadence_scale()
    return source_rows(facts, now, float(scale), read_watch_info(data_dir), sources)


def status_facts(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        row["spider"]: {name: row.get(name) for name in FACT_FIELDS}
        for row in document.get("sources") or []
        if row.get("spider")
    }


def merge_facts(*sources: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per spider, the facts with the latest last run (later sources win ties)."""
    merged: dict[str, dict[str, Any]] = {}
    for facts in sources:
        for spider, fact in facts.items():
            current = merged.get(spider)
            if current is None or _sort_time(fact.get("last_run_at")) >= _sort_time(
                current.get("last_run_at")
            ):
                merged[spider] = dict(fact)
    return merged


def data_age(
    data_dir: DataDir, facts: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """When the data was published, and when a source was last read successfully.

    For the map's "data as of" line: `published_at` (the file the app reads) and
    `last_checked_at` (the latest good live run of any source, which can be newer when
    the runs since the last publish found nothing new).
    """
    try:
        publication = json.loads((data_dir.root / "publication.json").read_text())
    except (OSError, ValueError):
        publication = {}
    if facts is None:
        facts = merge_facts(published_facts(data_dir), status_facts(read_status(data_dir)))
    checked = [f.get("last_ok_at") for f in facts.values() if f.get("last_ok_at")]
    return {
        "published_at": publication.get("published_at"),
        "last_checked_at": max(checked) if checked else None,
    }


# ---------------------------------------------------------------------------- helpers
def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON to a temporary file next to `path`, then `os.replace` it in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Source text (an error message, a title) may hold a NUL or a lone surrogate: clean it
    # so one bad record never stops status.json (issue 17).
    temp.write_text(dumps(clean_strings(jsonable(document))[0], indent=2) + "\n")
    os.replace(temp, path)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    return value


def _sort_time(value: Any) -> datetime:
    return _parse(value) or datetime.min.replace(tzinfo=UTC)


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
