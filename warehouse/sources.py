"""Per-source metadata (declared on each spider) joined with its last crawl."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.db import DataDir


def spider_classes() -> list[type]:
    import os

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return [loader.load(name) for name in sorted(loader.list())]


def source_status(data_dir: DataDir) -> list[dict[str, Any]]:
    """One row per spider: what it covers, how often it should run, and its last run."""
    last_runs: dict[str, dict[str, Any]] = {}
    if data_dir.published_db.exists():
        with duckdb.connect(str(data_dir.published_db), read_only=True) as con:
            cursor = con.execute(
                "SELECT spider, started_at AS last_run_at, status AS last_status, items, "
                "outages, errors FROM crawl_runs "
                "QUALIFY row_number() OVER (PARTITION BY spider ORDER BY started_at DESC) = 1"
            )
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                last_runs[row[0]] = dict(zip(columns, row, strict=True))
    rows = []
    for spider in spider_classes():
        rows.append(
            {
                "spider": spider.name,
                "title": spider.source_title,
                "home": spider.source_home,
                "states": spider.coverage_states,
                "since": spider.coverage_since,
                "cadence_minutes": spider.cadence_minutes,
                **{k: v for k, v in last_runs.get(spider.name, {}).items() if k != "spider"},
            }
        )
    return rows
