"""Publish: a consistent copy of the working database replaces the published file atomically.

Readers (the app, `outages sql`) only ever open `DIR/outages.duckdb` read-only. A publish
writes a complete new file next to it, syncs it to disk and swaps it in with `os.replace`,
so a reader sees either the old file or the new one, never half of one; a crash during
publish leaves the old file in place and a stray temporary file that the next publish removes.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.db import DataDir, set_memory_limit
from warehouse.settings import setting
from warehouse.sources import ensure_sources_table, stored_sources, write_sources_table

logger = logging.getLogger(__name__)

# Journalists open the published file in whatever DuckDB they have: DuckDB 1.5 clients
# cannot read 2.0's default storage format, so publish in the oldest one that holds our schema.
PUBLISH_STORAGE_VERSION = "v1.5.0"
PUBLIC_TABLES = (
    "reports",
    "report_counties",
    "incidents",
    "incident_counties",
    "states",
    "counties",
    "crawl_runs",
    "crawl_errors",
    "sources",
)


@dataclass
class Publication:
    published_at: str
    path: str
    storage_version: str
    counts: dict[str, int]


# The crawler's own bookkeeping (migrations applied, pages already loaded, builds), and the
# crawled facts that the published `reports` is derived from (the same rows before threading),
# and the loader's staging table (warehouse/load.py; empty once a build has run).
INTERNAL_TABLES = (
    "_migrations",
    "_crawled_pages",
    "_builds",
    "crawled_reports",
    "_staged_reports",
)


def publish(con: duckdb.DuckDBPyConnection, data_dir: DataDir) -> Publication:
    """Copy the working database to the published path atomically; return what was published."""
    target = data_dir.published_db
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # Left by a publish that was killed (the file, and its WAL if the copy was cut short).
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(microsecond=0)
    source_db = con.execute("SELECT current_database()").fetchone()[0]
    # Sized to the reports now held (a crawl may have added millions since the connection
    # was opened): the copy builds the published file's primary-key indexes in memory.
    set_memory_limit(con)
    # What each spider declares (coverage, cadence, what its parser was checked against,
    # robots and terms) is the working database's `sources` table, which build_and_publish
    # writes from the records its caller passes; the copy below publishes it, and the app
    # reads it, never the spiders themselves. A database nobody gave records to publishes
    # an empty one, so the published file always has the table.
    ensure_sources_table(con)
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{temp}' AS _publish (STORAGE_VERSION '{PUBLISH_STORAGE_VERSION}')")
    try:
        # The schema whole (tables with their keys, views), then the rows of the public tables
        # only: copying the internal ones and dropping them after (as publish once did) cost
        # half the copy time and left their blocks free inside the file (781 MiB published
        # for 404 MiB of data at 1M reports; benchmarks/RESULTS.md).
        con.execute(f"COPY FROM DATABASE {source_db} TO _publish (SCHEMA)")
        for internal in INTERNAL_TABLES:
            con.execute(f"DROP TABLE IF EXISTS _publish.{internal}")
        for table in _tables(con, source_db):
            if table not in INTERNAL_TABLES:
                # insertion order is kept: outage reports first (warehouse/sql/derive_reports.sql)
                con.execute(f'INSERT INTO _publish."{table}" SELECT * FROM "{source_db}"."{table}"')
        con.execute(
            "CREATE TABLE _publish.publication AS SELECT ?::TIMESTAMPTZ AS published_at, "
            "? AS storage_version",
            [published_at, PUBLISH_STORAGE_VERSION],
        )
        counts = {
            table: con.execute(f"SELECT count(*) FROM _publish.{table}").fetchone()[0]
            for table in PUBLIC_TABLES
        }
    finally:
        con.execute("DETACH _publish")
    _fsync(temp)
    pause_point("publish")
    os.replace(temp, target)
    _fsync(target.parent)
    publication = Publication(
        published_at=published_at.isoformat(),
        path=str(target),
        storage_version=PUBLISH_STORAGE_VERSION,
        counts=counts,
    )
    # Atomic too: the app reads it while a publish may be under way.
    info = data_dir.root / "publication.json"
    info_temp = info.with_name(f".{info.name}.{os.getpid()}.tmp")
    info_temp.write_text(json.dumps(asdict(publication), indent=2))
    os.replace(info_temp, info)
    return publication


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'main' ORDER BY table_name",
            [database],
        ).fetchall()
    ]


def pause_point(name: str) -> None:
    """Tests only: with OUTAGES_TEST_PAUSE=<name>, say so on stderr and stop here, so that a
    test can SIGKILL the process at a known point ("load": after a batch is committed to the
    working database; "publish": the new file written, not yet swapped in)."""
    if setting("OUTAGES_TEST_PAUSE") == name:
        print(f"OUTAGES_TEST_PAUSE {name} pid={os.getpid()}", file=sys.stderr, flush=True)
        time.sleep(3600)


def _fsync(path: os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- build and publish
FINGERPRINT_FILE = "published.fingerprint"
PUBLISH_RUN_ID = "publish"  # crawl_errors rows of the steps after a publish (no crawl run)


def build_and_publish(
    con: duckdb.DuckDBPyConnection,
    data_dir: DataDir,
    *,
    sources: Sequence[Mapping[str, Any]] | None,
    skip_build_if_current: bool = False,
    only_publish_if_changed: bool = False,
    max_publish_age: float | None = None,
) -> dict[str, Any]:
    """The one build-and-publish, for `outages crawl`/`build`, the watcher and `scrapy crawl`:
    build (and record the build), publish, then feeds, webhooks and status.json. The caller
    holds the crawl lock.

    `sources`: what every spider declares (`declared()` records, from
    crawlers/registry.py's `source_records()`): stored as the `sources` table before the
    build, so the incidents' "per <source title>", status.json and the published table all
    read the same records. The warehouse loads no spider itself; None keeps the table the
    working database already holds (required, so that no caller forgets it by accident).

    `skip_build_if_current`: a crawl that loaded nothing new since the last build by this
    code skips the build (the derived tables are current). `only_publish_if_changed`: the
    watcher publishes only when what the public sees changed, or the publication is older
    than `max_publish_age` seconds; otherwise it only rewrites status.json.
    """
    from warehouse.build import build, table_counts
    from warehouse.buildlog import build_is_current, record_build
    from warehouse.status import write_status

    ensure_sources_table(con)
    sources_changed = False
    if sources is not None:
        before = stored_sources(con)
        write_sources_table(con, sources)
        # a changed title must reach the incidents' "per <title>" even with no new reports
        sources_changed = stored_sources(con) != before
    if skip_build_if_current and not sources_changed and build_is_current(con):
        counts = table_counts(con)
    else:
        counts = build(con)
        record_build(con)
    result: dict[str, Any] = {"counts": counts, "published": False, "changed": True}
    if only_publish_if_changed and data_dir.published_db.exists():
        result["changed"] = content_fingerprint(con) != published_fingerprint(data_dir)
        age = publication_age_seconds(data_dir)
        fresh = age is not None and (max_publish_age is None or age <= max_publish_age)
        if not result["changed"] and fresh:
            write_status(data_dir, con, stored_sources(con))
            result["site"] = refresh_site(data_dir)  # it shows the sources' freshness
            return result
    publication = publish(con, data_dir)
    result.update(
        published=True,
        published_at=publication.published_at,
        path=publication.path,
        after_publish=after_publish(data_dir, con),  # never raises
    )
    return result


def refresh_site(data_dir: DataDir) -> dict[str, Any] | str:
    """Rewrite the static site after status.json changed without a publish (the pages show
    each source's freshness, so a failing source must not stay "fresh" there until the next
    publish). Only the pages that changed are written; never raises."""
    from warehouse.site import write_site

    if not data_dir.published_db.exists():
        return "no published database"
    try:
        return write_site(data_dir)
    except Exception as exc:  # a side output, as in after_publish
        logger.warning("refreshing the site failed: %s: %s", type(exc).__name__, exc)
        return f"failed: {exc}"


def content_fingerprint(con: Any) -> str:
    """What the public sees of reports, incidents and sources, minus what every re-crawl
    changes."""
    reports = con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(*COLUMNS(* EXCLUDE "
        "(fetched_at, loaded_at, archive_ref, crawl_run_id)))), 0) FROM reports"
    ).fetchone()
    incidents = con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(*COLUMNS(*))), 0) FROM incidents"
    ).fetchone()
    sources = con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(*COLUMNS(*))), 0) FROM sources"
    ).fetchone()
    return (
        f"r{reports[0]}-{reports[1]:x}-i{incidents[0]}-{incidents[1]:x}"
        f"-s{sources[0]}-{sources[1]:x}"
    )


def after_publish(data_dir: DataDir, con: Any | None = None) -> dict[str, Any]:
    """Everything that follows a publish: Atom feeds, webhooks, status.json, the static
    status site (`DIR/site/`, after status.json, whose facts it shows), the bulk Parquet
    files (`DIR/bulk/`, last: the slowest, and nothing before needs them), fingerprint.

    Call it right after `publish()` with the working connection while holding the crawl
    lock. Each step is guarded: a failure is logged and never undoes the publish.
    """
    from warehouse.bulk import write_bulk
    from warehouse.feeds import deliver_webhooks, write_feeds
    from warehouse.site import write_site
    from warehouse.sources import published_sources
    from warehouse.status import write_status

    def status() -> dict[str, Any]:
        # the sources the caller of build_and_publish stored (the warehouse loads no spider)
        sources = stored_sources(con) if con is not None else published_sources(data_dir)
        return write_status(data_dir, con, sources)["summary"]

    done: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []  # bad records cleaned on the way: crawl_errors rows
    steps = [
        (
            "feeds",
            lambda: write_feeds(data_dir.published_db, data_dir.root / "feeds", problems=problems),
        ),
        ("webhooks", lambda: deliver_webhooks(data_dir.published_db, data_dir.root, problems)),
        ("status", status),
        ("site", lambda: write_site(data_dir)),
        ("bulk", lambda: write_bulk(data_dir.published_db)),
    ]
    if con is not None:
        steps.append(("fingerprint", lambda: _store_fingerprint(data_dir, con)))
    for name, step in steps:
        try:
            done[name] = step()
        except Exception as exc:  # never let a side output break the publish
            logger.warning("after publish: %s failed: %s: %s", name, type(exc).__name__, exc)
            done[name] = f"failed: {exc}"
    if problems and con is not None:
        from warehouse.load import record_errors

        try:
            # a cursor of its own: an earlier step may have left a result open on `con`
            done["bad_records"] = record_errors(con.cursor(), problems, PUBLISH_RUN_ID)
        except Exception as exc:  # recording is a side output too
            logger.warning("after publish: recording bad records failed: %s", exc)
    return done


def _store_fingerprint(data_dir: DataDir, con: Any) -> str:
    value = content_fingerprint(con)
    (data_dir.work_db.parent / FINGERPRINT_FILE).write_text(value)
    return value


def published_fingerprint(data_dir: DataDir) -> str | None:
    try:
        return (data_dir.work_db.parent / FINGERPRINT_FILE).read_text().strip()
    except OSError:
        return None


def publication_age_seconds(data_dir: DataDir) -> float | None:
    try:
        info = json.loads((data_dir.root / "publication.json").read_text())
        published = datetime.fromisoformat(info["published_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (datetime.now(UTC) - published).total_seconds()
