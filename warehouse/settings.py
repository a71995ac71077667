"""Every `OUTAGES_*` environment setting, resolved in one place: its default, its meaning and
how it is read. Everything else calls `setting(NAME)` (read at call time, so a test or the
watcher that sets the environment is seen); tests/test_settings.py fails on any other read
of an `OUTAGES_*` variable, and on a setting here that the docs do not name.

`outages COMMAND --data-dir DIR` overrides `OUTAGES_DATA` for that command (warehouse.db.DataDir).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    parse: Callable[[str], Any] = str


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "no", "off")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("OUTAGES_DATA", "data", "the data directory (databases, archives, feeds)"),
        Setting(
            "OUTAGES_CONTACT",
            "https://github.com/outage-watch/outage-watch",
            "the contact URL or address in the crawler's User-Agent",
        ),
        Setting("OUTAGES_LOG_LEVEL", "INFO", "Scrapy's log level for `scrapy crawl`"),
        Setting("OUTAGES_DEBUG", False, "show tracebacks of unexpected CLI errors", _flag),
        Setting(
            "OUTAGES_PARSE_WORKERS",
            -1,
            "worker processes that inflate and parse big pages (-1: one per CPU, 0: none)",
            int,
        ),
        Setting(
            "OUTAGES_PARSE_WORKERS_MIN_BYTES",
            400_000,
            "pages at least this big are parsed in a worker",
            int,
        ),
        Setting(
            "OUTAGES_PAGE_MEMORY_DAYS",
            90,
            "how long a page parsed without error is remembered (and not parsed again)",
            int,
        ),
        Setting(
            "OUTAGES_DUCKDB_MEMORY_LIMIT",
            "",
            "DuckDB's memory limit (2GB, 512MB); default sized to the reports held",
        ),
        Setting(
            "OUTAGES_WARC_MAX_BYTES",
            1 << 30,
            "a live archive file rotates to the next part at this size",
            int,
        ),
        Setting(
            "OUTAGES_BULK_FILES",
            "reports.parquet,incidents.parquet",
            "TABLE.parquet / TABLE.csv files written to DIR/bulk/ at each publish (exports "
            "and downloads copy them); none for none",
        ),
        Setting("OUTAGES_SQL_WORKERS", 2, "worker processes of the public SQL page", int),
        Setting(
            "OUTAGES_SQL_CELL_CAP",
            200_000,
            "most cells (rows x columns) one public SQL query may return",
            int,
        ),
        Setting(
            "OUTAGES_SQL_CONCURRENT",
            2,
            "public SQL queries one app server runs at once; more get a 'busy' message",
            int,
        ),
        Setting(
            "OUTAGES_PUBLIC_URL",
            "http://localhost:8501/",
            "the map's public address, for links in feeds and webhooks",
        ),
        Setting("OUTAGES_REDIS_URL", "", "share the request queue in Redis (docs/scale-out.md)"),
        Setting("OUTAGES_REDIS_JOB", "", "name a shared Redis crawl (its keys persist)"),
        Setting("OUTAGES_URL_REWRITE", "", "tests: send every request to a local server", str),
        Setting(
            "OUTAGES_CADENCE_SCALE",
            1.0,
            "tests: scale every source's cadence (0.01 = a hundred times faster)",
            float,
        ),
        Setting(
            "OUTAGES_SOURCE_CHECK_MINUTES",
            1440.0,
            "how often `outages watch` runs `outages sources check` (and once at start-up); "
            "0 = never",
            float,
        ),
        Setting(
            "OUTAGES_TEST_PAUSE",
            "",
            "tests: stop at a named point (load, publish) so a test can kill the process",
        ),
        Setting(
            "OUTAGES_TEST_ARTIFACTS",
            "",
            "tests: where the browser test writes its screenshots (default tests/artifacts/)",
        ),
    )
}


def setting(name: str) -> Any:
    """The value of `name` from the environment, parsed, or its default when unset, empty or
    unparsable."""
    spec = SETTINGS[name]
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return spec.default
    try:
        return spec.parse(raw.strip())
    except ValueError:
        return spec.default
