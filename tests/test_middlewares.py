"""Polite re-crawling (crawlers/middlewares.py): Retry-After, backoff, conditional requests.

The engine tests run a real Scrapy crawl in a subprocess (a Twisted reactor cannot be
restarted in one process) against a local `http.server` on 127.0.0.1 that this test
starts on a free port. The middlewares are configured explicitly, as the project
settings would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawlers.middlewares import (
    ConditionalRequestMiddleware,
    RetryAfterMiddleware,
    ValidatorStore,
    parse_retry_after,
)

ROOT = Path(__file__).resolve().parents[1]
LAST_MODIFIED = "Wed, 17 Apr 2024 23:00:00 GMT"

RUNNER = r'''
"""One crawl of the given URLs by a minimal OutageSpider, with the middlewares under test."""
import json
import sys

from scrapy.crawler import CrawlerProcess

from crawlers import signals as outage_signals
from crawlers.spiders.base import OutageSpider

config = json.loads(open(sys.argv[1]).read())
results = {"pages": [], "errors": []}


class Probe(OutageSpider):
    name = "probe"
    empty_ok_because = "a test"

    def live_requests(self):
        for url in config["urls"]:
            yield self.request(url, self.parse, dont_filter=True)

    def parse_page(self, response):
        results["pages"].append({"url": response.url, "status": response.status,
                                 "body": response.text})
        return []


def on_error(**kwargs):
    results["errors"].append({k: kwargs[k] for k in ("url", "stage", "error_type", "message")})


process = CrawlerProcess(settings=config["settings"])
crawler = process.create_crawler(Probe)
crawler.signals.connect(on_error, signal=outage_signals.error_recorded)
process.crawl(crawler)
process.start()
results["stats"] = {
    k: v for k, v in crawler.stats.get_stats().items()
    if k.startswith(("retry/", "outages/", "downloader/response_status_count", "finish_reason"))
}
with open(config["output"], "w") as out:
    json.dump(results, out, default=str)
'''


class Server:
    """A local HTTP server whose paths misbehave in the ways the middlewares handle."""

    def __init__(self) -> None:
        self.hits: dict[str, list[tuple[float, dict[str, str]]]] = defaultdict(list)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                with server.lock:
                    hits = server.hits[self.path]
                    hits.append((time.monotonic(), dict(self.headers.items())))
                    n = len(hits)
                server.answer(self, self.path, n)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, h: BaseHTTPRequestHandler, path: str, n: int) -> None:
        def send(status: int, body: bytes = b"", **headers: str) -> None:
            h.send_response(status)
            for name, value in headers.items():
                h.send_header(name.replace("_", "-"), value)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        if path == "/limited":  # 429 with Retry-After in seconds, then fine
            return send(429, b"slow down", Retry_After="1") if n == 1 else send(200, b"ok")
        if path == "/unavailable":  # 503 with Retry-After as an HTTP date, then fine
            if n == 1:
                return send(503, b"busy", Retry_After=formatdate(time.time() + 2, usegmt=True))
            return send(200, b"ok")
        if path == "/etag":
            if h.headers.get("If-None-Match") == '"v1"':
                return send(304, ETag='"v1"')
            return send(200, b"etag body", ETag='"v1"')
        if path == "/modified":
            if h.headers.get("If-Modified-Since") == LAST_MODIFIED:
                return send(304)
            return send(200, b"modified body", Last_Modified=LAST_MODIFIED)
        if path == "/down":  # always 503, no Retry-After: exponential backoff, then give up
            return send(503, b"down")
        if path == "/robots.txt":
            return send(200, b"User-agent: *\nDisallow: /forbidden\n")
        if path in ("/loop-a", "/loop-b"):  # a two-page redirect cycle
            h.send_response(302)
            h.send_header("Location", "/loop-b" if path == "/loop-a" else "/loop-a")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path == "/later":  # asks for an hour: beyond RETRY_AFTER_MAX, so no retry
            return send(429, b"later", Retry_After="3600")
        return send(404, b"no such path")

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as s:
        yield s


def crawl(tmp_path: Path, urls: list[str], name: str, settings: dict | None = None) -> dict:
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    output = tmp_path / f"{name}.json"
    config = {
        "urls": urls,
        "output": str(output),
        "settings": {
            "DOWNLOADER_MIDDLEWARES": {
                "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                "crawlers.middlewares.RetryAfterMiddleware": 550,
                "crawlers.middlewares.ConditionalRequestMiddleware": 940,
            },
            "OUTAGES_HTTP_VALIDATORS_PATH": str(tmp_path / "work" / "http_validators.json"),
            "RETRY_TIMES": 2,
            "RETRY_HTTP_CODES": [429, 500, 503],
            "RETRY_BACKOFF_BASE": 0.2,
            "RETRY_BACKOFF_MAX": 1.0,
            "RETRY_BACKOFF_JITTER": 0,
            "RETRY_AFTER_MAX": 30,
            "ROBOTSTXT_OBEY": False,
            "HTTPPROXY_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "DOWNLOAD_TIMEOUT": 10,
            "CLOSESPIDER_TIMEOUT": 60,
            "LOG_LEVEL": "INFO",
            **(settings or {}),
        },
    }
    (tmp_path / f"{name}-config.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NO_PROXY="*", PYTHONPATH=str(ROOT))
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, str(runner), str(tmp_path / f"{name}-config.json")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(output.read_text())
    data["log"] = result.stderr
    return data


def gaps(server: Server, path: str) -> list[float]:
    times = [t for t, _ in server.hits[path]]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# ---------------------------------------------------------------------------- the engine


def test_retries_wait_as_asked_and_revalidation_skips_unchanged_pages(
    server: Server, tmp_path: Path
) -> None:
    paths = ["/limited", "/unavailable", "/etag", "/modified", "/down", "/later"]
    first = crawl(tmp_path, [server.base + p for p in paths], "first")

    pages = {p["url"][len(server.base) :]: p for p in first["pages"]}
    assert set(pages) == {"/limited", "/unavailable", "/etag", "/modified"}
    assert all(p["status"] == 200 for p in pages.values())

    # 429 + "Retry-After: 1": one retry, a second later
    assert len(server.hits["/limited"]) == 2
    assert gaps(server, "/limited")[0] >= 0.95
    # 503 + Retry-After as an HTTP date about 2 s ahead (whole seconds: at least 1 s)
    assert len(server.hits["/unavailable"]) == 2
    assert gaps(server, "/unavailable")[0] >= 0.95
    # 503 without Retry-After: backoff 0.2 s then 0.4 s, then the failure is recorded
    assert len(server.hits["/down"]) == 3
    first_gap, second_gap = gaps(server, "/down")
    assert first_gap >= 0.19 and second_gap >= 0.39
    # Retry-After beyond RETRY_AFTER_MAX: no retry at all, the failure is recorded at once
    assert len(server.hits["/later"]) == 1
    errors = {e["url"][len(server.base) :]: e for e in first["errors"]}
    assert set(errors) == {"/down", "/later"}
    assert errors["/down"]["stage"] == "download" and errors["/down"]["message"] == "HTTP 503"
    assert errors["/later"]["message"] == "HTTP 429"
    assert first["stats"]["retry/retry_after_too_long"] == 1
    assert first["stats"]["retry/max_reached"] == 1

    # the first crawl sent no validators, and stored the ones it was given
    assert all("If-None-Match" not in h for _, h in server.hits["/etag"])
    stored = json.loads((tmp_path / "work" / "http_validators.json").read_text())
    assert stored[server.base + "/etag"]["etag"] == '"v1"'
    assert stored[server.base + "/modified"]["last_modified"] == LAST_MODIFIED
    assert not any(url.endswith(("/down", "/later")) for url in stored)

    # a re-crawl revalidates: 304 means unchanged, so no callback and no error
    second = crawl(tmp_path, [server.base + "/etag", server.base + "/modified"], "second")
    assert server.hits["/etag"][-1][1].get("If-None-Match") == '"v1"'
    assert server.hits["/modified"][-1][1].get("If-Modified-Since") == LAST_MODIFIED
    assert second["pages"] == [] and second["errors"] == []
    assert second["stats"]["outages/not_modified"] == 2
    assert second["stats"]["downloader/response_status_count/304"] == 2
    assert second["stats"]["finish_reason"] == "finished"


def test_a_start_url_that_robots_txt_forbids_is_an_error_not_a_quiet_empty_crawl(
    server: Server, tmp_path: Path
) -> None:
    """The probe spider says an empty crawl is normal (empty_ok_because): a start URL the
    site's robots.txt disallows must still be recorded, with its URL, as an error."""
    urls = [server.base + "/forbidden?q=911", server.base + "/etag"]
    result = crawl(tmp_path, urls, "robots", {"ROBOTSTXT_OBEY": True})
    assert "/forbidden?q=911" not in server.hits  # never sent
    assert len(server.hits["/robots.txt"]) == 1
    assert [p["url"] for p in result["pages"]] == [server.base + "/etag"]
    (error,) = result["errors"]
    assert error["url"] == server.base + "/forbidden?q=911"
    assert error["stage"] == "download" and error["error_type"] == "RobotsTxtForbidden"
    assert error["message"] == (
        f"forbidden by robots.txt: {server.base}/robots.txt disallows /forbidden "
        "for our User-Agent; not fetched"
    )
    assert result["stats"]["finish_reason"] == "finished"


def test_a_redirect_cycle_is_a_loop_even_when_the_duplicate_filter_is_bypassed(
    server: Server, tmp_path: Path
) -> None:
    """The probe's requests carry dont_filter, so the scheduler never drops the repeat and
    the cycle runs on to REDIRECT_MAX_TIMES: the error must still say it is a loop (CI
    once recorded it as 'max redirections reached', which named no cycle)."""
    result = crawl(tmp_path, [server.base + "/loop-a"], "loop", {"REDIRECT_MAX_TIMES": 4})
    assert len(server.hits["/loop-a"]) >= 2  # it did go round
    (error,) = result["errors"]
    assert error["url"] == server.base + "/loop-a"  # the URL the crawl asked for
    assert error["error_type"] == "RedirectLoop"
    assert error["message"].startswith(
        f"redirect loop: {server.base}/loop-a -> {server.base}/loop-b -> {server.base}/loop-a"
    )


def test_a_robots_forbidden_run_fails_even_when_empty_is_normal() -> None:
    from crawlers.pipelines import run_status

    counts = {"items": 0, "errors": 1}
    assert run_status("finished", counts, "quiet windows are normal") == "failed"


# ---------------------------------------------------------------------------- units


def test_retry_after_values() -> None:
    now = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(b"120", now) == 120.0
    assert parse_retry_after("0", now) == 0.0
    later = formatdate((now + timedelta(seconds=90)).timestamp(), usegmt=True)
    assert parse_retry_after(later, now) == 90.0
    earlier = formatdate((now - timedelta(minutes=5)).timestamp(), usegmt=True)
    assert parse_retry_after(earlier, now) == 0.0
    assert parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == 0.0  # RFC 850 form
    for bad in (None, b"", "soon", "-5", "1.5"):
        assert parse_retry_after(bad, now) is None


def test_backoff_doubles_up_to_its_cap() -> None:
    mw = RetryAfterMiddleware(
        Settings({"RETRY_BACKOFF_BASE": 2, "RETRY_BACKOFF_MAX": 60, "RETRY_BACKOFF_JITTER": 0})
    )
    delays = [mw.backoff(Request("https://a.test", meta={"retry_times": n})) for n in range(7)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]
    jittery = RetryAfterMiddleware(
        Settings({"RETRY_BACKOFF_BASE": 2, "RETRY_BACKOFF_MAX": 60, "RETRY_BACKOFF_JITTER": 0.1})
    )
    assert all(2 <= jittery.backoff(Request("https://a.test")) <= 2.2 for _ in range(50))
    capped = RetryAfterMiddleware(Settings({"RETRY_AFTER_MAX": 600}))
    request = Request("https://a.test")
    asked = Response("https://a.test", status=429, headers={"Retry-After": "30"})
    assert capped.delay_for(request, asked) == 30
    too_long = Response("https://a.test", status=503, headers={"Retry-After": "3600"})
    assert capped.delay_for(request, too_long) is None
    no_header = Response("https://a.test", status=500, headers={"Retry-After": "30"})
    assert 2 <= capped.delay_for(request, no_header) <= 2.2  # not 429/503: backoff


def test_validator_store_merges_and_prunes(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    store = ValidatorStore(path, max_entries=2)
    store.save({"https://a.test/1": {"etag": '"1"', "seen": "2026-01-01T00:00:00+00:00"}})
    other = ValidatorStore(path, max_entries=2)  # e.g. another crawler of the same file
    other.save({"https://a.test/2": {"etag": '"2"', "seen": "2026-01-02T00:00:00+00:00"}})
    store.save({"https://a.test/3": {"etag": '"3"', "seen": "2026-01-03T00:00:00+00:00"}})
    assert set(json.loads(path.read_text())) == {"https://a.test/2", "https://a.test/3"}
    store.save({"https://a.test/2": None})
    assert set(json.loads(path.read_text())) == {"https://a.test/3"}
    path.write_text("{not json")
    assert ValidatorStore(path).entries == {}


def test_replayed_304_is_unchanged_and_nothing_is_stored(tmp_path: Path) -> None:
    crawler = get_crawler(
        settings_dict={
            "OUTAGES_REPLAY_PATH": str(tmp_path / "x.warc.gz"),
            "OUTAGES_HTTP_VALIDATORS_PATH": str(tmp_path / "v.json"),
        }
    )
    mw = ConditionalRequestMiddleware.from_crawler(crawler)
    request = Request("https://a.test/page", callback=lambda r: ["parsed"])
    assert mw.process_request(request) is None and b"If-None-Match" not in request.headers
    response = mw.process_response(request, Response(request.url, status=304))
    assert list(response.request.callback(response)) == []
    assert response.meta["handle_httpstatus_list"] == [304]
    ok = Response(request.url, status=200, headers={"ETag": '"x"'})
    assert mw.process_response(request, ok) is ok and mw.pending == {}


def test_validators_of_a_page_whose_follow_up_failed_are_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    crawler = get_crawler(settings_dict={"OUTAGES_HTTP_VALIDATORS_PATH": str(path)})
    mw = ConditionalRequestMiddleware.from_crawler(crawler)
    listing, other = "https://a.test/list?day=1", "https://a.test/list?day=2"
    for url in (listing, other):
        request = Request(url)
        mw.process_request(request)
        mw.process_response(request, Response(url, status=200, headers={"ETag": '"x"'}))
    child = Request("https://a.test/text/1", headers={"Referer": listing})
    mw.process_request(child)
    mw.error_recorded(url=child.url, stage="download")  # the product failed to download
    mw.error_recorded(url=other, stage="geocode")  # a warning does not count
    mw.spider_closed(crawler.spider, "finished")
    assert set(json.loads(path.read_text())) == {other}

    again = ConditionalRequestMiddleware.from_crawler(
        get_crawler(settings_dict={"OUTAGES_HTTP_VALIDATORS_PATH": str(tmp_path / "w.json")})
    )
    request = Request(listing)
    again.process_response(request, Response(listing, status=200, headers={"ETag": '"x"'}))
    again.error_recorded(url="-", stage="load")  # an error with no page: keep nothing
    again.spider_closed(None, "finished")
    assert not (tmp_path / "w.json").exists()
