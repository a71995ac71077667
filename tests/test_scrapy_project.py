"""The Scrapy project from the project root: `scrapy list`, `scrapy crawl`, polite settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from crawlers import settings

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = Path(sys.executable).parent / "scrapy"
FIXTURE = ROOT / "tests" / "fixtures" / "spiders" / "nws_alerts" / "constructed_page1"


def test_polite_defaults() -> None:
    assert settings.ROBOTSTXT_OBEY is True
    assert settings.AUTOTHROTTLE_ENABLED is True
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 2
    assert settings.DOWNLOAD_DELAY >= 1
    assert settings.USER_AGENT.startswith("911OutageWatch/") and "+" in settings.USER_AGENT


def test_scrapy_list_and_crawl_work_from_the_project_root(tmp_path: Path) -> None:
    env = dict(os.environ, OUTAGES_DATA=str(tmp_path))
    listed = subprocess.run(
        [str(SCRAPY), "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert {"openfema_ipaws", "nws_alerts"} <= set(listed)
    url = (FIXTURE / "response.json").as_uri()
    subprocess.run(
        [str(SCRAPY), "crawl", "nws_alerts", "-a", f"from_url={url}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # `scrapy crawl` on its own loads, builds and publishes when the spider closes.
    with duckdb.connect(str(tmp_path / "outages.duckdb"), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM reports WHERE source = 'nws_alerts'").fetchone()[0]
            == 2
        )
        assert con.execute("SELECT mode, status FROM crawl_runs").fetchall() == [("from", "ok")]
    assert list((tmp_path / "archive").glob("crawl-*.warc.gz"))  # the response was archived


def test_feed_export_writes_one_report_per_line(tmp_path: Path) -> None:
    """`scrapy crawl X -O out.jsonl`: a line per report, as Scrapy users expect, although
    the crawl carries a page's reports as one batch."""
    import json

    case = ROOT / "tests" / "fixtures" / "spiders" / "openfema_ipaws" / "real_2026-07-29_page1"
    expected = json.loads((case / "expected.json").read_text())["items"]
    out = tmp_path / "out.jsonl"
    subprocess.run(
        [
            str(SCRAPY),
            "crawl",
            "openfema_ipaws",
            "-a",
            f"from_url={(case / 'response.json').as_uri()}",
            "-O",
            str(out),
        ],
        cwd=ROOT,
        env=dict(os.environ, OUTAGES_DATA=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == len(expected) > 1
    assert sorted(line["report_id"] for line in lines) == sorted(i["report_id"] for i in expected)
    assert all(line["source"] == "openfema_ipaws" for line in lines)
