"""`outages watch`: a real watcher process, real Scrapy runs, a local server of recorded responses.

The spiders build URLs to the real hosts; `OUTAGES_URL_REWRITE` (crawlers/rewrite.py) sends
every download to `RecordedServer`, which serves the recorded fixture responses under
`/<host>/<path>` and can make one host answer 500 until told otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import feedparser
import pytest

from crawlers.rewrite import rewrite_url
from outages.watch import backoff_seconds, bytecode_cache_dir
from warehouse.warc import archive_files, current_archive_path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "spiders"
OUTAGES = Path(sys.executable).parent / "outages"
EMPTY_IPAWS_FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<ns1:alerts xmlns:ns1="http://gov.fema.ipaws.services/feed"></ns1:alerts>\n'
)


def fixture(spider: str, case: str) -> tuple[bytes, str]:
    folder = FIXTURES / spider / case
    meta = json.loads((folder / "case.json").read_text())
    body = next(folder.glob("response.*")).read_bytes()
    return body, meta.get("content_type") or "application/octet-stream"


class RecordedServer:
    """Serves recorded responses at http://127.0.0.1:PORT/<host>/<path> (counts every hit)."""

    def __init__(self) -> None:
        nws1 = fixture("nws_alerts", "constructed_page1")
        nws2 = fixture("nws_alerts", "constructed_page2")
        fema = fixture("openfema_ipaws", "constructed_2024-06-18")
        self.failing: set[str] = set()
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

        def route(host: str, path: str, query: dict) -> tuple[int, bytes, str]:
            if path == "/robots.txt":
                return 404, b"", "text/plain"
            if host == "api.weather.gov" and path == "/alerts":
                return (200, *(nws2 if "cursor" in query else nws1))
            if host == "www.fema.gov" and path == "/api/open/v1/IpawsArchivedAlerts":
                return (200, *fema)
            if host == "apps.fema.gov" and path.startswith(
                "/IPAWSOPEN_EAS_SERVICE/rest/public/recent/"
            ):
                return 200, EMPTY_IPAWS_FEED, "application/xml"
            return 404, b"not recorded", "text/plain"

        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                host, _, rest = parts.path.lstrip("/").partition("/")
                path = "/" + rest
                with server.lock:
                    server.hits[f"{host}{path}"] += 1
                    failing = host in server.failing
                if failing:
                    status, body, ctype = 500, b"recorded outage of the source", "text/plain"
                else:
                    status, body, ctype = route(host, path, parse_qs(parts.query))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RecordedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, host: str) -> None:
        with self.lock:
            self.failing.add(host)

    def heal(self, host: str) -> None:
        with self.lock:
            self.failing.discard(host)

    def data_hits(self, host: str) -> int:
        with self.lock:
            return sum(
                n
                for k, n in self.hits.items()
                if k.startswith(host + "/") and not k.endswith("/robots.txt")
            )


def watch_command() -> list[str]:
    """`outages watch` once the lead has wired it; the same command through its module until."""
    wired = subprocess.run([str(OUTAGES), "watch", "--help"], capture_output=True, cwd=ROOT)
    if wired.returncode == 0:
        return [str(OUTAGES), "watch"]
    return [sys.executable, "-m", "outages.watch", "watch"]


def offline_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, OUTAGES_DATA=str(data_dir), NO_PROXY="*", no_proxy="*")
    env["OUTAGES_SOURCE_CHECK_MINUTES"] = "0"  # its own tests: tests/test_sources_check.py
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "OUTAGES_LOG_LEVEL"):
        env.pop(key, None)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):  # as the watcher does for its runs
        env.setdefault("PYTHONPYCACHEPREFIX", str(bytecode_cache_dir()))
    return env


class LineReader:
    """Collects a process's stderr lines (with arrival times) in a thread."""

    def __init__(self, stream) -> None:
        self.lines: list[tuple[float, str]] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def runs(self, spider: str | None = None) -> list[str]:
        found = []
        for _, line in self.lines:
            words = line.split()
            is_run = len(words) > 4 and words[1] == "watch" and "items=" in line
            if is_run and (spider is None or words[2] == spider):
                found.append(line)
        return found

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def source_state(data_dir: Path, spider: str) -> dict:
    for row in read_json(data_dir / "status.json").get("sources", []):
        if row["spider"] == spider:
            return row
    return {}


def wait_for(predicate, timeout: float, what: str, reader: LineReader) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\nwatch log:\n{reader.text()}")


# ---------------------------------------------------------------------------- the watch test
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_watch_cadences_failure_recovery_and_sigterm(tmp_path: Path) -> None:
    """Runs sources on their cadences, publishes, recovers from 500s, stops cleanly."""
    data_dir = tmp_path / "data"
    spiders = ("ipaws_feed", "nws_alerts", "openfema_ipaws")
    scale = 0.03  # ipaws_feed every 3.6 s, nws_alerts every 9 s, openfema_ipaws every 43 min
    began = time.monotonic()
    with RecordedServer() as server:
        server.fail("api.weather.gov")
        command = watch_command() + [
            "--data-dir",
            str(data_dir),
            *[arg for name in spiders for arg in ("--only", name)],
            "--cadence-scale",
            str(scale),
            "--for",
            "200",
            "--grace",
            "25",
            "-s",
            f"OUTAGES_URL_REWRITE={server.base}",
            "-s",
            "RETRY_TIMES=1",
        ]
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=offline_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = LineReader(proc.stderr)
        try:
            # 1. The failing source is marked failing in status.json, with its error.
            wait_for(
                lambda: source_state(data_dir, "nws_alerts").get("state") == "failing",
                90,
                "nws_alerts failing in status.json",
                reader,
            )
            failing = source_state(data_dir, "nws_alerts")
            assert "500" in json.dumps(failing["last_error"]), failing
            assert failing["since"] and failing["consecutive_failures"] >= 1
            # 2. The source comes back: the watcher retries after its backoff and recovers.
            server.heal("api.weather.gov")
            healed_at = datetime.now(UTC)
            healed = time.monotonic()
            wait_for(
                lambda: source_state(data_dir, "nws_alerts").get("state") == "fresh",
                90,
                "nws_alerts fresh again",
                reader,
            )
            recovered_after = time.monotonic() - healed
            # 3. Let the live feed run on its cadence a little more, then SIGTERM mid-run.
            wait_for(lambda: len(reader.runs("ipaws_feed")) >= 2, 60, "2 ipaws_feed runs", reader)
            wait_for(
                lambda: read_json(data_dir / "work" / "watch.json").get("running"),
                15,
                "a run in progress",
                reader,
            )
            proc.send_signal(signal.SIGTERM)
            stop_sent = time.monotonic()
            code = proc.wait(timeout=40)
            stop_seconds = time.monotonic() - stop_sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.thread.join(timeout=5)
        nws_hits = server.data_hits("api.weather.gov")

    log = reader.text()
    assert code == 0, log
    runs = reader.runs()
    by_spider = {name: reader.runs(name) for name in spiders}
    publishes = sum(" published=yes" in line for line in runs)
    for line in runs:  # one line per run: spider, status, items, outages, errors, seconds
        for key in ("items=", "outages=", "errors=", "seconds=", "published="):
            assert key in line, line
    assert len(by_spider["openfema_ipaws"]) == 1, log  # daily: once in this minute
    assert len(by_spider["ipaws_feed"]) >= 2 and len(by_spider["nws_alerts"]) >= 2, log
    assert any(line.split()[3] == "failed" and "500" in line for line in by_spider["nws_alerts"])
    assert "recovered after" in log, log
    assert any(" ok " in line for line in by_spider["nws_alerts"]), log
    assert publishes >= 2, log
    assert "stopping (SIGTERM)" in log and "stopped after" in log, log

    # The published database is whole and holds what the runs brought.
    assert not list(data_dir.glob(".outages.duckdb.*.tmp"))
    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        sources = dict(con.execute("SELECT source, count(*) FROM reports GROUP BY 1").fetchall())
        incidents = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    assert sources.get("nws_alerts", 0) >= 3 and sources.get("openfema_ipaws", 0) > 0, sources
    assert incidents > 0

    status = read_json(data_dir / "status.json")
    states = {row["spider"]: row for row in status["sources"]}
    assert states["nws_alerts"]["state"] == "fresh"
    assert states["nws_alerts"]["fresh_since"] >= healed_at.isoformat()[:19]
    assert states["openfema_ipaws"]["state"] == "fresh"
    assert status["cadence_scale"] == scale
    watch_info = read_json(data_dir / "work" / "watch.json")
    assert watch_info["stop_reason"] == "SIGTERM" and watch_info["stopped_at"]

    feed = feedparser.parse(str(data_dir / "feeds" / "incidents.xml"))
    assert not feed.bozo and feed.version == "atom10" and feed.entries
    assert (data_dir / "archive" / f"crawl-{datetime.now(UTC):%Y-%m}.warc.gz").stat().st_size

    figures = {
        "runs": len(runs),
        "runs_by_spider": {name: len(lines) for name, lines in by_spider.items()},
        "statuses": dict(Counter(line.split()[3] for line in runs)),
        "publishes": publishes,
        "nws_data_requests": nws_hits,
        "recovery_seconds_after_source_came_back": round(recovered_after, 1),
        "sigterm_to_exit_seconds": round(stop_seconds, 1),
        "test_seconds": round(time.monotonic() - began, 1),
    }
    print("watch log:\n" + log)
    print("watch test figures:", json.dumps(figures))
    (tmp_path / "figures.json").write_text(json.dumps(figures, indent=2))


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_watch_once_records_a_run_it_had_to_kill(tmp_path: Path) -> None:
    """A run that hangs is killed after --run-timeout and recorded as a failed run."""
    data_dir = tmp_path / "data"
    with RecordedServer() as server:
        result = subprocess.run(
            watch_command()
            + [
                "--data-dir",
                str(data_dir),
                "--once",
                "--only",
                "nws_alerts",
                "--run-timeout",
                "0.5",
                "-s",
                f"OUTAGES_URL_REWRITE={server.base}",
            ],
            cwd=ROOT,
            env=offline_env(data_dir),
            capture_output=True,
            text=True,
            timeout=100,
        )
    assert result.returncode == 1, result.stderr
    assert "nws_alerts failed" in result.stderr and "killed after" in result.stderr
    row = source_state(data_dir, "nws_alerts")
    assert row["state"] == "failing", row
    assert row["last_error"]["stage"] == "watch" and row["last_error"]["type"] == "Timeout"
    with duckdb.connect(str(data_dir / "work" / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT status, close_reason FROM crawl_runs").fetchall()
    assert runs == [("failed", "timeout")]


# ---------------------------------------------------------------------------- small parts
def test_rewrite_url() -> None:
    base = "http://127.0.0.1:8000"
    assert rewrite_url("https://api.weather.gov/alerts?code=TOE", base) == (
        "http://127.0.0.1:8000/api.weather.gov/alerts?code=TOE"
    )
    assert rewrite_url("https://www.fema.gov", base) == "http://127.0.0.1:8000/www.fema.gov/"
    assert rewrite_url("http://127.0.0.1:8000/api.weather.gov/alerts", base) is None
    assert rewrite_url("file:///tmp/x.json", base) is None


def test_backoff_grows_and_is_capped() -> None:
    # A 2-minute live feed: never more often than its cadence, at most hourly.
    assert [backoff_seconds(2, n) / 60 for n in (1, 2, 3, 6, 10)] == [2, 4, 8, 60, 60]
    # The daily archive: first retry after 5 minutes, never beyond a day.
    assert backoff_seconds(1440, 1) == 300
    assert backoff_seconds(1440, 30) == 1440 * 60
    assert backoff_seconds(5, 2, scale=0.01) == pytest.approx(6.0)


def test_archive_rotates_by_month_and_size(tmp_path: Path) -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    first = current_archive_path(tmp_path, 100, now)
    assert first.name == "crawl-2026-11.warc.gz"
    first.write_bytes(b"x" * 99)
    assert current_archive_path(tmp_path, 100, now) == first
    first.write_bytes(b"x" * 100)
    second = current_archive_path(tmp_path, 100, now)
    assert second.name == "crawl-2026-11-001.warc.gz"
    second.write_bytes(b"x" * 150)
    third = current_archive_path(tmp_path, 100, now)
    assert third.name == "crawl-2026-11-002.warc.gz"
    third.write_bytes(b"x")
    assert current_archive_path(tmp_path, 100, now) == third
    december = current_archive_path(tmp_path, 100, datetime(2026, 12, 1, tzinfo=UTC))
    assert december.name == "crawl-2026-12.warc.gz"
    december.write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an archive")
    assert [p.name for p in archive_files(tmp_path)] == [
        "crawl-2026-11.warc.gz",
        "crawl-2026-11-001.warc.gz",
        "crawl-2026-11-002.warc.gz",
        "crawl-2026-12.warc.gz",
    ]
