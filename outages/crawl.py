"""Running spiders in this process through the real Scrapy engine, and the crawl lock's
build-and-publish: what `outages crawl`/`demo`/`build` and the watcher's child run share."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click

from warehouse.db import DataDir


class CliError(click.ClickException):
    """An error for the user: printed to stderr, exit status 1, no traceback."""


def spider_names() -> list[str]:
    from crawlers.registry import spider_loader

    return sorted(spider_loader(scrapy_settings()).list())


def scrapy_settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def spiders_in_archives(names: list[str], archives: list[Path]) -> list[str]:
    """The spiders that have something to replay in these archives."""
    from crawlers.registry import spider_loader

    loader = spider_loader(scrapy_settings())
    paths = [str(p) for p in archives]
    return [name for name in names if loader.load(name)().archived_start_urls(paths)]


def run_crawl(
    data_dir: DataDir,
    spiders: list[str],
    *,
    from_urls: list[str] = (),
    replay: list[Path] = (),
    record: Path | None = None,
    since: date | None = None,
    until: date | None = None,
    state: str | None = None,
    progress: bool = False,
    log_level: str = "WARNING",
    reparse: bool = False,
    extra_settings: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run spiders in this process through the real Scrapy engine; return one result each.

    `extra_settings` (the watcher's `--set KEY=VALUE`) go over the project's settings; with
    `OUTAGES_URL_REWRITE` among them, the URL-rewrite middleware is enabled too."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.archive import replay_settings

    settings = scrapy_settings()
    if extra_settings:
        settings.setdict(dict(extra_settings), priority="cmdline")
        if extra_settings.get("OUTAGES_URL_REWRITE"):
            from crawlers import rewrite

            enabled = rewrite.enable(
                {"DOWNLOADER_MIDDLEWARES": settings.getdict("DOWNLOADER_MIDDLEWARES")},
                extra_settings["OUTAGES_URL_REWRITE"],
            )
            settings.setdict(enabled, priority="cmdline")
    settings.set("OUTAGES_DATA_DIR", str(data_dir.root), priority="cmdline")
    settings.set("OUTAGES_PUBLISH_ON_CLOSE", False, priority="cmdline")
    settings.set("OUTAGES_PROGRESS", progress, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if reparse:
        settings.set("OUTAGES_SKIP_UNCHANGED_PAGES", False, priority="cmdline")
    if replay:
        missing = [str(p) for p in replay if not Path(p).exists()]
        if missing:
            raise CliError(f"no such archive: {', '.join(missing)}")
        settings.setdict(replay_settings([str(p) for p in replay]), priority="cmdline")
    else:
        from warehouse.warc import current_archive_path

        # crawl-YYYY-MM.warc.gz, then -001, -002... once a file reaches OUTAGES_WARC_MAX_BYTES
        warc = record or current_archive_path(data_dir.archive_dir)
        settings.set("OUTAGES_WARC_PATH", str(warc), priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    kwargs: dict[str, Any] = {"since": since, "until": until, "state": state}
    if from_urls:
        kwargs["from_url"] = list(from_urls)
    for name in spiders:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **{k: v for k, v in kwargs.items() if v})
    started = time.monotonic()
    process.start()
    seconds = round(time.monotonic() - started, 2)
    results = []
    for crawler in crawlers:
        stats = crawler.stats
        counts = stats.get_value("outages/counts") or {}
        results.append(
            {
                "spider": crawler.spider.name if crawler.spider else "?",
                "run_id": stats.get_value("outages/run_id"),
                "status": stats.get_value("outages/run_status") or "failed",
                "reports": counts.get("items", 0),
                "outages": counts.get("outages", 0),
                "errors": counts.get("errors", 0),
                "warnings": counts.get("warnings", 0),
                "pages": counts.get("pages", 0),
                "unchanged_pages": counts.get("not_modified", 0),
                "unchanged_reports": counts.get("unchanged_reports", 0),
                "seconds": seconds,
            }
        )
    return results


def build_and_publish(data_dir: DataDir, *, only_if_changed: bool = False) -> dict[str, Any]:
    """Take the crawl lock and build and publish (warehouse.publish.build_and_publish).
    `only_if_changed`: a crawl that loaded nothing new skips the build but still publishes
    its run records."""
    from crawlers.registry import source_records
    from warehouse import lock
    from warehouse.db import work_connection
    from warehouse.publish import build_and_publish as build_publish

    lock.acquire(data_dir.lock_file)
    try:
        return build_publish(
            work_connection(data_dir),
            data_dir,
            sources=source_records(),
            skip_build_if_current=only_if_changed,
        )
    finally:
        lock.release(data_dir.lock_file)
