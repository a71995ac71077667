"""WARC recording and offline replay (crawlers/archive.py) through the real Scrapy engine.

Crawls run in subprocesses (tests/archive_support.py) against a local HTTP server
on 127.0.0.1; nothing here touches the network.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawlers.archive import (
    ArchiveRecord,
    WarcRecorderMiddleware,
    canonical_url,
    iter_responses,
    parse_ref,
    read_archived,
    replay_settings,
    write_records,
)

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "archive_support.py"

PAGES = {
    "/page1.json": {"page": 1, "links": ["/page2.json?b=2&a=1", "/old", "/private.json"]},
    "/page2.json": {"page": 2, "links": ["/page1.json"]},  # served gzip-encoded
    "/page3.json": {"page": 3, "links": []},
    "/private.json": {"page": "disallowed by robots.txt"},
}


class _Handler(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self):  # noqa: N802 - http.server API
        self.hits.append(self.path)
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private\n", "text/plain")
        elif path == "/old":
            self.send_response(301)
            self.send_header("Location", "/page3.json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path in PAGES:
            body = json.dumps(PAGES[path]).encode()
            encoding = None
            if path == "/page2.json" and "gzip" in self.headers.get("Accept-Encoding", ""):
                body, encoding = gzip.compress(body, mtime=0), "gzip"
            self._send(200, body, "application/json", encoding)
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status, body, ctype, encoding=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _crawl(
    tmp_path: Path, name: str, urls: list[str], settings: dict, dont_filter: bool = False
) -> tuple[list[dict], str]:
    out = tmp_path / f"{name}.jsonl"
    config = tmp_path / f"{name}.json"
    config.write_text(
        json.dumps(
            {"urls": urls, "settings": settings, "output": str(out), "dont_filter": dont_filter}
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(SUPPORT), str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    items = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return items, proc.stderr


def _by_url(items: list[dict]) -> dict[str, dict]:
    return {canonical_url(i["url"]): i for i in items}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A live crawl of the local server, recorded; then the server is stopped."""
    tmp_path = tmp_path_factory.mktemp("recorded")
    handler = type("Handler", (_Handler,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    warc = tmp_path / "live.warc.gz"
    saved = tmp_path / "saved" / "alert.json"  # a --from file:// document
    saved.parent.mkdir()
    saved.write_text('{"page": "saved file"}')
    try:
        items, _log = _crawl(
            tmp_path,
            "live",
            [f"{base}/page1.json", saved.as_uri()],
            {"OUTAGES_WARC_PATH": str(warc)},
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    saved.unlink()  # replay must serve it from the archive too
    return {
        "tmp": tmp_path,
        "base": base,
        "warc": warc,
        "items": items,
        "hits": handler.hits,
        "file_url": saved.as_uri(),
    }


def test_live_crawl_records_every_response(recorded):
    base, warc, items = recorded["base"], recorded["warc"], recorded["items"]
    pages = _by_url([i for i in items if "error" not in i])
    assert len(pages) == len([i for i in items if "error" not in i])  # each page fetched once
    assert set(pages) == {
        canonical_url(f"{base}/page1.json"),
        canonical_url(f"{base}/page2.json?a=1&b=2"),
        canonical_url(f"{base}/page3.json"),  # reached through the 301 at /old
        canonical_url(recorded["file_url"]),
    }
    errors = [i for i in items if "error" in i]
    assert [(e["url"], e["message"]) for e in errors] == [
        (f"{base}/private.json", "Forbidden by robots.txt")
    ]
    assert "/private.json" not in recorded["hits"]

    archived = list(iter_responses(warc, decode=False))
    by_url = {}
    for a in archived:
        by_url.setdefault(canonical_url(a.url), []).append(a)
    # every hop is archived, as received: robots.txt, the redirect, the raw gzip body
    assert canonical_url(f"{base}/robots.txt") in by_url
    assert by_url[canonical_url(f"{base}/old")][0].status == 301
    raw2 = by_url[canonical_url(f"{base}/page2.json?a=1&b=2")][0]
    assert raw2.headers["Content-Encoding"] == "gzip"
    assert raw2.body[:2] == b"\x1f\x8b"
    assert all(not a.constructed for a in archived)
    file_record = by_url[canonical_url(recorded["file_url"])][0]
    assert file_record.headers == {"Content-Type": "application/json"}  # a resource record

    # a valid WARC for other tools: every record's digests check out
    with open(warc, "rb") as fh:
        types = []
        for rec in ArchiveIterator(fh, check_digests="raise"):
            rec.content_stream().read()
            types.append(rec.rec_type)
    assert types[0] == "warcinfo"
    assert types.count("response") == types.count("request") == len(archived) - 1
    assert types.count("resource") == 1

    for url, item in pages.items():
        status, headers, body = read_archived(item["archive_ref"], [warc.parent])
        assert status == 200
        assert "Content-Encoding" not in headers  # decoded for readers by default
        assert json.loads(body) == json.loads(item["body"])
        name, offset = parse_ref(item["archive_ref"])
        assert name == warc.name
        record = next(a for a in archived if a.ref == item["archive_ref"])
        assert canonical_url(record.url) == url
        assert record.fetched_at == datetime.fromisoformat(item["fetched_at"])
        assert record.fetched_at.tzinfo is not None
    assert read_archived(pages[next(iter(pages))]["archive_ref"], [warc.parent], decode=False)


def test_replay_reproduces_the_crawl_with_network_off(recorded):
    base, warc, tmp = recorded["base"], recorded["warc"], recorded["tmp"]
    # the server is stopped: anything that tried the network would get "connection refused"
    missing = f"{base}/missing.json"
    urls = [f"{base}/page1.json", recorded["file_url"], missing]
    items, log = _crawl(tmp, "replay", urls, replay_settings(warc))
    live = _by_url([i for i in recorded["items"] if "error" not in i])
    replayed = _by_url([i for i in items if "error" not in i])
    assert replayed.keys() == live.keys()
    for url, item in replayed.items():
        for key in ("status", "body_sha1", "archive_ref", "fetched_at", "response_class"):
            assert item[key] == live[url][key], (url, key)
        assert "warc-replay" in item["flags"]
        assert item["constructed"] is False
    errors = {e["url"]: e for e in items if "error" in e}
    assert errors[f"{base}/private.json"]["message"] == "Forbidden by robots.txt"  # robots replayed
    assert errors[missing]["error"] == "NotInArchive"
    assert "not in archive" in errors[missing]["message"]
    assert missing in errors[missing]["message"]
    assert "refused" not in log.lower()


def test_offline_handler_refuses_to_connect(recorded):
    """With the replay middleware switched off, the download handler still never connects."""
    settings = {
        **replay_settings(recorded["warc"]),
        "DOWNLOADER_MIDDLEWARES": {"crawlers.archive.WarcReplayMiddleware": None},
        "ROBOTSTXT_OBEY": False,
    }
    url = f"{recorded['base']}/page1.json"
    items, log = _crawl(recorded["tmp"], "offline", [url], settings)
    assert len(items) == 1
    assert items[0]["error"] == "NetworkOffError"
    assert "network is off in replay mode" in items[0]["message"]
    assert "refused" not in log.lower()


def _demo_records() -> list[ArchiveRecord]:
    when = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    return [
        ArchiveRecord(
            "https://alerts.example.gov/feed?page=1&state=NE",
            b'{"alerts": ["demo 1"]}',
            headers={"Content-Type": "application/json"},
            fetched_at=when,
            constructed=True,
            note="demo payload,\nwritten for the quick start",
        ),
        ArchiveRecord(
            "https://alerts.example.gov/doc/1.txt",
            b"911 service restored",
            200,
            [("Content-Type", "text/plain"), ("X-Multi", "a"), ("X-Multi", "b")],
            fetched_at=datetime(2024, 5, 1, 12, 0, 1, 250000),
        ),
    ]


def test_write_records_is_deterministic(tmp_path):
    a, b = tmp_path / "a" / "demo.warc.gz", tmp_path / "b" / "demo.warc.gz"
    a.parent.mkdir()
    b.parent.mkdir()
    refs_a = write_records(a, _demo_records())
    refs_b = write_records(b, _demo_records())
    assert refs_a == refs_b
    assert a.read_bytes() == b.read_bytes()
    first, second = list(iter_responses(a))
    assert first.constructed and first.note == "demo payload, written for the quick start"
    assert first.ref == refs_a[0]
    assert not second.constructed and second.headers["X-Multi"] == "a, b"
    assert second.fetched_at == datetime(2024, 5, 1, 12, 0, 1, 250000, tzinfo=UTC)
    assert read_archived(refs_a[1], [tmp_path / "x", a.parent]) == (
        200,
        {"Content-Type": "text/plain", "X-Multi": "a, b"},
        b"911 service restored",
    )
    with pytest.raises(ValueError):
        read_archived("../demo.warc.gz#0", [a.parent])
    with pytest.raises(FileNotFoundError):
        read_archived("other.warc.gz#0", [a.parent])


def test_constructed_records_replay_in_order(tmp_path):
    first = tmp_path / "demo1.warc.gz"
    second = tmp_path / "demo2.warc.gz"
    write_records(first, _demo_records())
    feed = _demo_records()[0].url
    write_records(
        second,
        [ArchiveRecord(feed, b'{"alerts": ["v2"]}', fetched_at=datetime(2024, 5, 2, tzinfo=UTC))],
    )
    # same URL in another query order, three times: served v1, v2, then v2 repeating
    asked = "https://alerts.example.gov/feed?state=NE&page=1"
    urls = [asked, asked, asked, _demo_records()[1].url]
    items, _log = _crawl(
        tmp_path, "constructed", urls, replay_settings([first, second]), dont_filter=True
    )
    assert all("error" not in i for i in items), items
    feeds = [i for i in items if "feed" in i["url"]]
    assert sorted(i["body"] for i in feeds) == [
        '{"alerts": ["demo 1"]}',
        '{"alerts": ["v2"]}',
        '{"alerts": ["v2"]}',
    ]
    for item in feeds:
        assert item["constructed"] is ("demo 1" in item["body"])
        assert item["archive_ref"].startswith("demo1" if item["constructed"] else "demo2")
    (doc,) = [i for i in items if i["url"].endswith(".txt")]
    assert doc["constructed"] is False
    assert doc["fetched_at"] == "2024-05-01T12:00:01.250000+00:00"
    assert doc["response_class"] == "TextResponse"


def test_truncated_archive_replays_complete_records(recorded, tmp_path):
    base, warc = recorded["base"], recorded["warc"]
    data = warc.read_bytes()
    responses = list(iter_responses(warc))
    last = responses[-1]
    cut = parse_ref(last.ref)[1] + 40  # mid-way into the last response record
    damaged = tmp_path / "cut.warc.gz"
    damaged.write_bytes(data[:cut])

    readable = list(iter_responses(damaged))
    assert [r.url for r in readable] == [r.url for r in responses[:-1]]

    items, log = _crawl(tmp_path, "truncated", [f"{base}/page1.json"], replay_settings(damaged))
    assert "archive damaged" in log.lower()
    served = {canonical_url(i["url"]) for i in items if "error" not in i}
    expected_missing = canonical_url(last.url)
    complete = {canonical_url(r.url) for r in responses[:-1]}
    assert served and served <= complete
    assert expected_missing not in served
    not_found = [i for i in items if i.get("error") == "NotInArchive"]
    assert not_found  # the request whose record was cut fails cleanly


def test_recorder_appends_after_a_damaged_tail(tmp_path, caplog):
    """Recording into an archive left damaged by a killed crawl keeps what was complete."""
    warc = tmp_path / "crawl.warc.gz"
    refs = write_records(warc, _demo_records())
    whole = warc.read_bytes()
    warc.write_bytes(whole[: len(whole) - 25])  # the last (request) record is cut short

    crawler = get_crawler(settings_dict={"OUTAGES_WARC_PATH": str(warc)})
    caplog.set_level(logging.WARNING, logger="crawlers.archive")
    mw = WarcRecorderMiddleware.from_crawler(crawler)
    assert "damaged bytes" in caplog.text
    assert list(tmp_path.glob("crawl.warc.gz.damaged-*"))

    url = "https://alerts.example.gov/new?x=1"
    request = Request(url, headers={"Accept": "application/json"})
    response = TextResponse(
        url, body=b'{"new": true}', headers={"Content-Type": "application/json"}
    )
    before = datetime.now(UTC)
    assert mw.process_response(request, response) is response
    request2 = Request(url + "&y=2", meta={"fetched_at": before})  # kept when set upstream
    mw.process_response(request2, TextResponse(request2.url, body=b"{}"))
    mw.spider_closed()

    ref = request.meta["archive_ref"]
    assert ref.startswith("crawl.warc.gz#")
    assert request.meta["fetched_at"] >= before
    assert request2.meta["fetched_at"] == before
    urls = [r.url for r in iter_responses(warc)]
    assert urls == [r.url for r in _demo_records()] + [url, url + "&y=2"]
    assert read_archived(refs[0], [tmp_path])[2] == b'{"alerts": ["demo 1"]}'
    assert read_archived(ref, [tmp_path])[2] == b'{"new": true}'
