"""`outages sources check`: a first live run that says what drifted.

On a machine with internet, each source gets one short crawl through the real Scrapy engine,
in a throwaway data directory (nothing reaches the warehouse of record): robots.txt obeyed,
the project's User-Agent and contact, the spider's own delays, at most `PAGE_BUDGET` pages.
The real parser runs; the archive of the run is then read back to check the structure the
parser depends on (the spider's `expected_structure`: `json:` key paths, `css:` selectors,
`xpath:` expressions). A source has drifted when it is unreachable, answers with an error
status, is disallowed by robots.txt, lacks an expected structure, has parse errors, or
yields nothing where it does not say that is normal (`empty_ok_because`).

Tests run it offline against a local server (`OUTAGES_URL_REWRITE`) serving recorded real
responses and drifted copies of them (tests/test_sources_check.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from parsel import Selector

from warehouse.registry import spider_classes
from warehouse.warc import iter_responses

ROOT = Path(__file__).resolve().parents[1]
PAGE_BUDGET = 12  # pages one check may fetch per source: listing, a few items, paging
TIMEOUT_SECONDS = 600


@dataclass
class SourceCheck:
    """What one source's check found."""

    spider: str
    run_status: str = "not run"
    pages: int = 0
    http_statuses: list[int] = field(default_factory=list)
    robots: str = "allowed"
    reports: int = 0
    outages: int = 0
    structure_found: list[str] = field(default_factory=list)
    structure_missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.problems)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "drifted": self.drifted}


# ---------------------------------------------------------------------------- structure
def _json_has(value: Any, path: list[str]) -> bool:
    if not path:
        return True
    step, rest = path[0], path[1:]
    each = step.endswith("[]")
    key = step[:-2] if each else step
    if key:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    if each:
        return isinstance(value, list) and any(_json_has(item, rest) for item in value)
    return _json_has(value, rest)


def structure_found(entry: str, body: bytes, content_type: str = "") -> bool:
    """Whether one `expected_structure` entry is present in one response body."""
    kind, _, expression = entry.partition(":")
    if kind == "json":
        try:
            data = json.loads(body)
        except ValueError:
            return False
        return _json_has(data, [p for p in expression.split(".") if p])
    if kind in ("css", "xpath"):
        text = body.decode("utf-8", "replace")
        selector_type = "xml" if "xml" in content_type and "html" not in content_type else "html"
        selector = Selector(text=text, type=selector_type)
        nodes = selector.css(expression) if kind == "css" else selector.xpath(expression)
        return len(nodes) > 0
    raise ValueError(f"unknown expected_structure entry {entry!r} (json:, css: or xpath:)")


# ---------------------------------------------------------------------------- one source
def _crawl(name: str, work: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess:
    settings = {
        "OUTAGES_DATA_DIR": str(work),
        "OUTAGES_WARC_PATH": str(work / "archive" / "check.warc.gz"),
        "OUTAGES_PUBLISH_ON_CLOSE": "False",
        "CLOSESPIDER_PAGECOUNT": str(PAGE_BUDGET),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", name]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def check_source(spider: type, env: Mapping[str, str] | None = None) -> SourceCheck:
    """One short real crawl of `spider`'s source, and what it says about drift."""
    check = SourceCheck(spider=spider.name)
    with tempfile.TemporaryDirectory(prefix=f"sources-check-{spider.name}-") as tmp:
        work = Path(tmp)
        result = _crawl(spider.name, work, env if env is not None else os.environ)
        database = work / "work" / "warehouse.duckdb"
        if not database.exists():
            check.problems.append(f"the crawl did not run: {result.stderr.strip()[-300:]}")
            return check
        with duckdb.connect(str(database), read_only=True) as con:
            run = con.execute(
                "SELECT status, pages FROM crawl_runs ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
            if run:
                check.run_status, check.pages = run[0], int(run[1] or 0)
            check.reports, check.outages = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE is_outage) FROM crawled_reports"
            ).fetchone()
            errors = con.execute(
                "SELECT stage, error_type, url, message FROM crawl_errors ORDER BY 3"
            ).fetchall()
        archive = work / "archive" / "check.warc.gz"
        responses = list(iter_responses(archive)) if archive.exists() else []
    pages = [r for r in responses if not r.url.endswith("/robots.txt")]
    check.http_statuses = sorted({r.status for r in pages})
    for stage, error_type, url, message in errors:
        if error_type == "RobotsTxtForbidden":
            check.robots = "disallowed by robots.txt"
        if stage not in ("geocode",):  # unknown place codes are warnings
            check.errors.append(f"{stage} {error_type} at {url}: {message}"[:300])
    for entry in getattr(spider, "expected_structure", ()) or ():
        if any(
            structure_found(entry, r.body, r.headers.get("Content-Type", ""))
            for r in pages
            if 200 <= r.status < 300
        ):
            check.structure_found.append(entry)
        else:
            check.structure_missing.append(entry)
    check.problems = _problems(spider, check, pages)
    return check


def _problems(spider: type, check: SourceCheck, pages: list) -> list[str]:
    problems = []
    if check.robots != "allowed":
        problems.append("robots.txt disallows a start URL")
    if not pages and check.robots == "allowed":
        problems.append("unreachable: no page was fetched")
    bad = [s for s in check.http_statuses if not 200 <= s < 400]
    if bad:
        problems.append("HTTP " + ", ".join(map(str, bad)))
    if check.structure_missing:
        problems.append("structure missing: " + ", ".join(check.structure_missing))
    if check.errors:
        problems.append(f"{len(check.errors)} error(s) recorded")
    if check.reports == 0 and not getattr(spider, "empty_ok_because", None):
        problems.append("no reports, and the source does not say that is normal")
    if check.run_status in ("failed", "empty"):
        problems.append(f"run {check.run_status}")
    return problems


# ---------------------------------------------------------------------------- all sources
def remote_spiders(names: Iterable[str] = ()) -> list[type]:
    """The spiders to check (all that fetch from the web, or those named)."""
    known = {spider.name: spider for spider in spider_classes()}
    wanted = list(names)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(f"unknown spider(s): {', '.join(unknown)}")
    chosen = [known[name] for name in wanted] if wanted else list(known.values())
    return [s for s in chosen if getattr(s, "allowed_domains", None) or wanted]


def check_sources(
    names: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> list[SourceCheck]:
    return [check_source(spider, env) for spider in remote_spiders(names)]


def table_rows(checks: list[SourceCheck]) -> list[dict[str, Any]]:
    """The printed table: one row per source."""
    return [
        {
            "spider": c.spider,
            "verdict": "DRIFTED" if c.drifted else "ok",
            "http": ",".join(map(str, c.http_statuses)) or "-",
            "robots": c.robots,
            "pages": c.pages,
            "reports": c.reports,
            "outages": c.outages,
            "structure": (
                f"{len(c.structure_found)} found, {len(c.structure_missing)} missing"
                if c.structure_found or c.structure_missing
                else "not declared"
            ),
            "problems": "; ".join(c.problems) or "-",
        }
        for c in checks
    ]
