"""One run of one source, in the watcher's child process (`python -m outages.watch run-one
SPIDER`): crawl, build, publish when what the public sees changed, write status.json; and how
a run that crashed or timed out is recorded."""

from __future__ import annotations

import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from warehouse.db import DataDir

GOOD = ("ok", "partial")


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` pairs (like `scrapy crawl -s`) into a dict."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        settings[key.strip()] = value
    return settings


def _crawl(data_dir: DataDir, spider: str, record: Path, overrides: Mapping[str, Any]) -> dict:
    """`outages.crawl.run_crawl` for one spider, with extra Scrapy settings."""
    from outages.crawl import run_crawl

    return run_crawl(data_dir, [spider], record=record, extra_settings=overrides)[0]


def run_one(
    data_dir: DataDir,
    spider: str,
    *,
    lock_wait: float,
    overrides: Mapping[str, Any] | None = None,
    max_publish_age: float | None = 3600.0,
) -> dict[str, Any]:
    """Crawl one spider, build, publish when something changed, write status.json."""
    from crawlers.registry import source_records
    from warehouse import lock
    from warehouse.db import work_connection
    from warehouse.publish import build_and_publish
    from warehouse.status import run_facts
    from warehouse.warc import current_archive_path  # imports Scrapy: not at CLI start-up

    try:
        lock.acquire(data_dir.ensure().lock_file, wait_seconds=lock_wait)
    except lock.LockBusy as exc:
        return {"spider": spider, "status": "busy", "message": str(exc)}
    try:
        archive = current_archive_path(data_dir.archive_dir)
        result = _crawl(data_dir, spider, archive, overrides or {})
        # The crawl is over: a SIGTERM now must not cut the build and publish short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        started = time.monotonic()
        con = work_connection(data_dir)
        publication = build_and_publish(
            con,
            data_dir,
            sources=source_records(),
            skip_build_if_current=True,
            only_publish_if_changed=True,
            max_publish_age=max_publish_age,
        )
        changed, published = publication["changed"], publication["published"]
        fact = run_facts(con).get(spider, {})
        row = con.execute(
            "SELECT close_reason FROM crawl_runs WHERE run_id = ?", [result.get("run_id")]
        ).fetchone()
        result.update(
            {
                "close_reason": row[0] if row else None,
                "changed": changed,
                "published": published,
                "publish_seconds": round(time.monotonic() - started, 2),
                "archive": archive.name,
                "last_error": fact.get("last_error") if result["status"] not in GOOD else None,
            }
        )
        return result
    finally:
        lock.release(data_dir.lock_file)


def publish_now(data_dir: DataDir, lock_wait: float = 0.0) -> dict[str, Any]:
    """Build and publish what the working database holds (e.g. an empty first database)."""
    from crawlers.registry import source_records
    from warehouse import lock
    from warehouse.db import work_connection
    from warehouse.publish import build_and_publish

    lock.acquire(data_dir.ensure().lock_file, wait_seconds=lock_wait)
    try:
        publication = build_and_publish(
            work_connection(data_dir), data_dir, sources=source_records()
        )
    finally:
        lock.release(data_dir.lock_file)
    return {"counts": publication["counts"], "published_at": publication["published_at"]}


def record_failure(
    data_dir: DataDir, spider: str, error_type: str, message: str, lock_wait: float
) -> None:
    """Record a run the child could not record itself (crash, timeout, kill)."""
    from crawlers.registry import source_records
    from warehouse import lock
    from warehouse.db import connect_work
    from warehouse.load import finish_run, record_errors, start_run
    from warehouse.publish import refresh_site
    from warehouse.status import write_status

    lock.acquire(data_dir.ensure().lock_file, wait_seconds=lock_wait)
    try:
        con = connect_work(data_dir)
        try:
            stuck = [
                row[0]
                for row in con.execute(
                    "SELECT run_id FROM crawl_runs WHERE spider = ? AND status = 'running'",
                    [spider],
                ).fetchall()
            ]
            if not stuck:
                stuck = [start_run(con, spider, "live", {"recorded_by": "outages watch"})]
            for run_id in stuck:
                finish_run(
                    con,
                    run_id,
                    status="failed",
                    close_reason=error_type.lower(),
                    counts={"errors": 1},
                )
            error = {
                "spider": spider,
                "url": "-",
                "stage": "watch",
                "error_type": error_type,
                "message": message,
            }
            record_errors(con, [error], stuck[-1])
            write_status(data_dir, con, source_records())
            refresh_site(data_dir)  # the static site shows this source's state too
        finally:
            con.close()
    finally:
        lock.release(data_dir.lock_file)
