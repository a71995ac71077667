"""Hostile and broken input, through the real spiders and the real Scrapy engine.

Two crawls run once for the whole corpus, side by side, each in its own process:

- a replay (`outages crawl openfema_ipaws nws_alerts --replay`) of a WARC archive holding
  one page per case: malformed, truncated or nested JSON, HTML, XML entity attacks, wrong
  encodings, absurd dates, unknown place codes, a compressed bomb;
- a live crawl (`scrapy crawl openfema_ipaws -a from_url=...`) against a local HTTP server:
  429/500/503 with Retry-After, timeouts, redirect loops, oversized and endless bodies.

For each case: the error is recorded in `crawl_errors` with the case's URL, the crawl goes
on (no traceback, the other pages load), the good items of the same page are kept, and the
crawl's peak memory stays bounded.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

from crawlers.archive import ArchiveRecord, write_records
from tests.conftest import OUTAGES, ROOT, query

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = FIXTURES / "hostile"
FEMA_API = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts"
NWS_API = "https://api.weather.gov/alerts"
MAX_RSS_MB = 700  # a crawl process is about 300 MB; a hostile page must not add much


@dataclass
class Case:
    name: str
    url: str
    error: str | None  # a substring of the recorded message (or error type); None: no error
    items: int  # good items of the same page that must be kept
    stage: str | None = None


# ---------------------------------------------------------------------------- payloads
def _template_cap() -> str:
    page = json.loads(
        (FIXTURES / "spiders/openfema_ipaws/real_2026-07-29_page2/response.json").read_text()
    )
    return page["IpawsArchivedAlerts"][0]["originalMessage"]


TEMPLATE_CAP = _template_cap()
TEMPLATE_FEATURE = json.loads(
    (FIXTURES / "spiders/nws_alerts/constructed_page1/response.json").read_text()
)["features"][0]


def good_cap(case: str, n: int, **replace: str) -> str:
    """A real CAP message with an identifier of its own (so its report_id is its own)."""
    xml = TEMPLATE_CAP.replace("<identifier>", f"<identifier>{case}-{n}-", 1)
    for old, new in replace.items():
        xml = xml.replace(old, new)
    return xml


def cap_with_sent(case: str, n: int, sent: str) -> str:
    return good_cap(case, n, **{"<sent>2026-07-29T06:30:00-04:00</sent>": f"<sent>{sent}</sent>"})


def fema_page(records: list) -> bytes:
    wrapped = [r if not isinstance(r, str) else {"originalMessage": r} for r in records]
    page = {"metadata": {"count": len(wrapped)}, "IpawsArchivedAlerts": wrapped}
    return json_bytes(page)


def json_bytes(page: object) -> bytes:
    """UTF-8 JSON; a page holding lone surrogates gets them as \\u escapes (as a source
    would send them: UTF-8 cannot carry them raw)."""
    try:
        return json.dumps(page, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(page).encode()


def fema_url(case: str) -> str:
    query_ = {"$filter": f"case eq '{case}'", "$top": "1000", "$skip": "0"}
    return f"{FEMA_API}?{urlencode(query_)}"


def feature(case: str, n: int, **props: object) -> dict:
    out = json.loads(json.dumps(TEMPLATE_FEATURE))
    out["properties"]["id"] = f"{case}-{n}"
    out["properties"].update(props)
    return out


def nws_page(features: list, **extra: object) -> bytes:
    page = {"type": "FeatureCollection", "features": features, **extra}
    return json_bytes(page)


def nws_url(case: str) -> str:
    return f"{NWS_API}?{urlencode({'case': case})}"


def with_good_features(case: str, bad: list) -> list:
    return [feature(case, 1), *bad, feature(case, 2)]


def with_good(case: str, bad: list) -> list:
    return [good_cap(case, 1), *bad, good_cap(case, 2)]


# ---------------------------------------------------------------------------- replay corpus
def replay_corpus() -> tuple[list[Case], list[ArchiveRecord]]:
    cases: list[Case] = []
    records: list[ArchiveRecord] = []
    when = datetime(2026, 7, 30, tzinfo=UTC)

    def add(case: Case, body: bytes, headers: dict | None = None, status: int = 200) -> None:
        cases.append(case)
        headers = headers or {"Content-Type": "application/json"}
        records.append(ArchiveRecord(case.url, body, status, headers, fetched_at=when))

    def fema(name: str, error: str | None, items: int, body: bytes, **kw) -> None:
        add(Case(name, fema_url(name), error, items, kw.pop("stage", None)), body, **kw)

    def nws(name: str, error: str | None, items: int, body: bytes, **kw) -> None:
        add(Case(name, nws_url(name), error, items, kw.pop("stage", None)), body, **kw)

    good = fema_page([good_cap("fema_good", 1), good_cap("fema_good", 2)])
    fema("fema_good", None, 2, good)
    whole = fema_page(with_good("fema_truncated_json", []))
    fema("fema_truncated_json", "is not JSON", 0, whole[: len(whole) // 2])
    fema("fema_trailing_garbage", "Extra data", 0, fema_page(with_good("x", [])) + b"}{")
    fema(
        "fema_html",
        "is not JSON",
        0,
        b"<html><head><title>503</title></head><body>Try later</body></html>",
        headers={"Content-Type": "text/html"},
    )
    fema("fema_empty_body", "is not JSON", 0, b"")
    fema("fema_not_an_object", "no IpawsArchivedAlerts list", 0, b"[1, 2, 3]")
    fema(
        "fema_records_not_a_list", "no IpawsArchivedAlerts list", 0, b'{"IpawsArchivedAlerts": "x"}'
    )
    fema("fema_deep_nesting", "nested too deeply", 0, b"[" * 200_000 + b"]" * 200_000)
    huge = b'{"metadata": {"count": ' + b"9" * 10_000 + b'}, "IpawsArchivedAlerts": []}'
    fema("fema_huge_number", "is not JSON", 0, huge)
    for name, file, error in (
        ("fema_billion_laughs", "billion_laughs.xml", "malformed XML"),
        ("fema_xxe_file", "xxe_file.xml", "DOCTYPE"),
        ("fema_xxe_network_dtd", "xxe_network_dtd.xml", "DOCTYPE"),
        ("fema_xxe_parameter_entity", "xxe_parameter_entity.xml", "DOCTYPE"),
    ):
        fema(name, error, 2, fema_page(with_good(name, [(HOSTILE / file).read_text()])))
    deep_xml = good_cap("fema_deep_xml", 9).replace(
        "<event>", "<a>" * 5000 + "</a>" * 5000 + "<event>"
    )
    fema("fema_deep_xml", "Excessive depth", 2, fema_page(with_good("fema_deep_xml", [deep_xml])))
    cut = good_cap("fema_truncated_cap", 9)
    fema(
        "fema_truncated_cap",
        "malformed XML",
        2,
        fema_page(with_good("fema_truncated_cap", [cut[: len(cut) // 3]])),
    )
    fema(
        "fema_not_cap",
        "not a CAP <alert>",
        2,
        fema_page(with_good("fema_not_cap", ["<html><body>Maintenance</body></html>"])),
    )
    fema(
        "fema_missing_message",
        "has no originalMessage",
        2,
        fema_page(with_good("fema_missing_message", [{"originalMessage": 42}, {"id": 1}, "x"])),
    )
    fema(
        "fema_cap_without_identifier",
        "lacks identifier",
        2,
        fema_page(
            with_good(
                "fema_cap_without_identifier",
                [good_cap("y", 9).replace("<identifier>", "<x>").replace("</identifier>", "</x>")],
            )
        ),
    )
    # A lone surrogate inside a CAP message (a JSON string): the CAP is cleaned and loaded.
    fema(
        "fema_lone_surrogate",
        None,
        3,
        fema_page(
            with_good(
                "fema_lone_surrogate",
                [good_cap("fema_lone_surrogate", 3, **{"<headline>": "<headline>\udfff\ud800 "})],
            )
        ),
        stage="validate",
    )
    latin = fema_page(
        [good_cap("fema_latin1_declared", 1, **{"<headline>": "<headline>Caf\u00e9 "})]
    )
    fema(
        "fema_latin1_declared",
        None,
        1,
        latin.decode("utf-8").encode("latin-1"),
        headers={"Content-Type": "application/json; charset=ISO-8859-1"},
    )
    wrong = fema_page(
        [
            good_cap("fema_wrong_encoding", n, **{"<headline>": "<headline>Caf\u00e9 "})
            for n in (1, 2)
        ]
    )
    fema("fema_wrong_encoding", "BadEncoding", 2, wrong.decode("utf-8").encode("latin-1"))
    utf16 = fema_page([good_cap("fema_utf16_bom", 1)]).decode("utf-8").encode("utf-16")
    fema("fema_utf16_bom", None, 1, utf16)
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?>' + good_cap(
        "fema_cap_declares_latin1", 1, **{"<headline>": "<headline>Caf\u00e9 "}
    )
    fema("fema_cap_declares_latin1", None, 1, fema_page([declared]))
    fema(
        "fema_invalid_dates",
        "sent is not a time",
        3,
        fema_page(
            [
                cap_with_sent("fema_invalid_dates", 1, "not-a-date"),
                cap_with_sent("fema_invalid_dates", 2, "2024-02-30T10:00:00-00:00"),
                cap_with_sent("fema_invalid_dates", 3, "2024-04-17T10:00:00"),  # no zone
            ]
        ),
        stage="validate",
    )
    fema(
        "fema_absurd_dates",
        "implausible",
        2,
        fema_page(
            [
                cap_with_sent("fema_absurd_dates", 1, "1900-01-01T00:00:00-00:00"),
                cap_with_sent("fema_absurd_dates", 2, "2999-12-31T00:00:00-00:00"),
            ]
        ),
        stage="validate",
    )
    same = "<geocode><valueName>SAME</valueName>"
    unknown = good_cap(
        "fema_unknown_codes", 1, **{same: f"{same}<value>999999</value></geocode>{same}"}
    )
    fema(
        "fema_unknown_codes",
        "unknown place codes: SAME 999999",
        1,
        fema_page([unknown]),
        stage="geocode",
    )
    bomb = gzip.compress(b" " * (80 * 1024 * 1024), compresslevel=1)
    fema(
        "fema_gzip_bomb",
        "DOWNLOAD_MAXSIZE",
        0,
        bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    # The same bomb with a gzip trailer that claims 500 kB: the crawl process leaves it
    # encoded for a parse worker (crawlers/workers.py), whose inflating enforces the limit.
    fema(
        "fema_gzip_bomb_lying_size",
        "DOWNLOAD_MAXSIZE",
        0,
        bomb[:-4] + (500_000).to_bytes(4, "little"),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    nws("nws_good", None, 2, nws_page([feature("nws_good", 1), feature("nws_good", 2)]))
    # Issue 17: NUL bytes and lone surrogates in one alert's text used to fail the whole
    # run (Arrow cannot encode a lone surrogate); the alert is cleaned and recorded.
    bad_text = json.loads((HOSTILE / "nul_surrogate_alert.json").read_text())["properties"]
    nws(
        "nws_nul_surrogate",
        "InvalidCharacters",
        3,
        nws_page(
            with_good_features("nws_nul_surrogate", [feature("nws_nul_surrogate", 3, **bad_text)])
        ),
        stage="validate",
    )
    page = nws_page([feature("nws_truncated", 1), feature("nws_truncated", 2)])
    nws("nws_truncated", "is not JSON", 0, page[: len(page) - 40])
    nws(
        "nws_html",
        "is not JSON",
        0,
        b"<!DOCTYPE html><html><body>Bad gateway</body></html>",
        headers={"Content-Type": "text/html"},
    )
    nws(
        "nws_deep_nesting",
        "nested too deeply",
        0,
        b'{"features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    )
    nws("nws_features_not_a_list", "no features list", 0, b'{"features": {"a": 1}}')
    nws(
        "nws_bad_features",
        "feature 1",
        2,
        nws_page(
            [
                feature("nws_bad_features", 1),
                "not a feature",
                {"properties": None},
                {"properties": {"id": 1, "sender": None, "sent": []}},
                feature("nws_bad_features", 2),
            ]
        ),
    )
    nws(
        "nws_wrong_types",
        "is not a",
        2,
        nws_page(
            [
                feature("nws_wrong_types", 1),
                feature("nws_wrong_types", 3, eventCode=["CEM"]),
                feature("nws_wrong_types", 4, description={"text": "x"}),
                feature("nws_wrong_types", 5, geocode={"SAME": "032003"}),
                feature("nws_wrong_types", 6, geocode=["032003"]),
                feature("nws_wrong_types", 2),
            ]
        ),
    )
    nws(
        "nws_invalid_dates",
        "sent is not a time",
        2,
        nws_page(
            [
                feature("nws_invalid_dates", 1, sent="yesterday-ish", expires="never"),
                feature("nws_invalid_dates", 2, sent="10000-01-01T00:00:00Z"),
            ]
        ),
        stage="validate",
    )
    nws(
        "nws_unknown_codes",
        "unknown place codes",
        1,
        nws_page(
            [
                feature(
                    "nws_unknown_codes",
                    1,
                    geocode={"SAME": ["999999", "ABCDEF"], "UGC": ["ZZZ999"]},
                )
            ]
        ),
        stage="geocode",
    )
    nws(
        "nws_pagination_loop",
        None,
        2,
        nws_page(
            [feature("nws_pagination_loop", 1), feature("nws_pagination_loop", 2)],
            pagination={"next": nws_url("nws_pagination_loop")},
        ),
    )
    nws(
        "nws_pagination_garbage",
        None,
        1,
        nws_page([feature("nws_pagination_garbage", 1)], pagination=["next", 42]),
    )
    bad_bytes = nws_page([feature("nws_wrong_encoding", 1, headline="Caf\u00e9 911 outage")])
    nws("nws_wrong_encoding", "BadEncoding", 1, bad_bytes.decode("utf-8").encode("latin-1"))
    return cases, records


REPLAY_CASES, _ = replay_corpus()


# ---------------------------------------------------------------------------- HTTP corpus
class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: dict[str, dict] = {}

    def log_message(self, *args: object) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # the crawler hung up on purpose (size, timeout)
            super().handle()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind = route.get("kind", "body")
        if kind == "sleep":
            time.sleep(route["seconds"])
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", route["to"](self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "stream":  # chunked, no Content-Length, never ends on its own
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"[" * 65536
            for _ in range(route["chunks"]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        body = route.get("body", b"")
        self.send_response(route.get("status", 200))
        for name, value in route.get("headers", {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(route.get("length", len(body))))
        self.end_headers()
        self.wfile.write(body)
        if "length" in route:  # promised more than it sends
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)


def http_corpus(base: str, closed_port: int) -> tuple[list[Case], dict[str, dict]]:
    def page(name: str) -> bytes:
        return fema_page([good_cap(name, 1), good_cap(name, 2)])

    retry_after = {"Content-Type": "text/plain", "Retry-After": "1"}
    routes: dict[str, dict] = {
        "/good": {"body": page("http_good")},
        "/status-429": {"status": 429, "headers": retry_after, "body": b"slow down"},
        "/status-503": {"status": 503, "headers": retry_after, "body": b"maintenance"},
        "/status-500": {"status": 500, "body": b"oops"},
        "/status-404": {"status": 404, "body": b"gone"},
        "/timeout": {"kind": "sleep", "seconds": 3, "body": page("http_timeout")},
        "/loop": {"kind": "redirect", "to": lambda path: "/loop"},
        "/loop-a": {"kind": "redirect", "to": lambda path: "/loop-b"},
        "/loop-b": {"kind": "redirect", "to": lambda path: "/loop-a"},
        "/redirects": {
            "kind": "redirect",
            "to": lambda path: f"/redirects?n={int(path.partition('=')[2] or 0) + 1}",
        },
        "/oversized": {"body": b" " * (3 * 1024 * 1024)},
        "/endless": {"kind": "stream", "chunks": 4096},  # 256 MB if nobody stops it
        "/gzip-bomb": {
            "body": gzip.compress(b" " * (100 * 1024 * 1024), compresslevel=1),
            "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        },
        "/cut-short": {"body": page("http_cut_short")[:500], "length": 100_000},
        "/html": {
            "body": b"<html><body>Login</body></html>",
            "headers": {"Content-Type": "text/html"},
        },
    }
    cases = [
        Case("http_good", f"{base}/good", None, 2),
        Case("http_429_retry_after", f"{base}/status-429", "HTTP 429", 0),
        Case("http_503_retry_after", f"{base}/status-503", "HTTP 503", 0),
        Case("http_500", f"{base}/status-500", "HTTP 500", 0),
        Case("http_404", f"{base}/status-404", "HTTP 404", 0),
        Case("http_timeout", f"{base}/timeout", "took longer than", 0),
        Case("http_redirect_to_itself", f"{base}/loop", "redirect loop", 0),
        Case("http_redirect_loop", f"{base}/loop-a", "redirect loop", 0),
        Case("http_too_many_redirects", f"{base}/redirects", "max redirections", 0),
        Case("http_oversized", f"{base}/oversized", "download max size", 0),
        Case("http_endless_body", f"{base}/endless", "DOWNLOAD_MAXSIZE", 0),
        Case("http_gzip_bomb", f"{base}/gzip-bomb", "DOWNLOAD_MAXSIZE", 0),
        Case("http_cut_short", f"{base}/cut-short", "", 0, stage="download"),
        Case("http_html", f"{base}/html", "is not JSON", 0),
        Case(
            "http_connection_refused",
            f"http://127.0.0.1:{closed_port}/x",
            "",
            0,
            stage="download",
        ),
    ]
    return cases, routes


HTTP_CASE_NAMES = [c.name for c in http_corpus("http://h", 1)[0]]


# ---------------------------------------------------------------------------- the two crawls
def _start(cmd: list[str], data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, OUTAGES_DATA=str(data_dir), NO_PROXY="*")
    env.pop("OUTAGES_LOG_LEVEL", None)
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen, timeout: float = 240) -> dict:
    """Wait for `proc` alone and return its exit status, output and peak memory (MB)."""
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda: out.__setitem__("stdout", proc.stdout.read())),
        threading.Thread(target=lambda: out.__setitem__("stderr", proc.stderr.read())),
    ]
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return {"returncode": proc.returncode, "max_rss_mb": usage.ru_maxrss / 1024, **out}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    cases, records = replay_corpus()
    archive = root / "hostile.warc.gz"
    write_records(archive, records)

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_port}"
    http_cases, HostileHandler.routes = http_corpus(base, closed_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    replay_dir, http_dir = root / "replay-data", root / "http-data"
    replay = _start(
        [str(OUTAGES), "crawl", "openfema_ipaws", "nws_alerts", "--replay", str(archive)],
        replay_dir,
    )
    settings = {
        "OUTAGES_DATA_DIR": str(http_dir),
        "OUTAGES_WARC_PATH": str(http_dir / "archive" / "hostile.warc.gz"),
        "LOG_LEVEL": "WARNING",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "RETRY_TIMES": "1",
        "RETRY_BACKOFF_BASE": "0.2",
        "RETRY_BACKOFF_MAX": "1",
        "DOWNLOAD_TIMEOUT": "1",
        "DOWNLOAD_MAXSIZE": str(2 * 1024 * 1024),
        "DOWNLOAD_WARNSIZE": str(1024 * 1024),
        "REDIRECT_MAX_TIMES": "5",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "openfema_ipaws"]
    command += ["-a", "from_url=" + "\n".join(c.url for c in http_cases)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    live = _start(command, http_dir)
    try:
        results = {"replay": _finish(replay), "http": _finish(live)}
    finally:
        server.shutdown()
    results["replay"].update(data_dir=replay_dir, cases={c.name: c for c in cases})
    results["http"].update(data_dir=http_dir, cases={c.name: c for c in http_cases})
    return results


# ---------------------------------------------------------------------------- the checks
def check_case(run: dict, name: str) -> None:
    case: Case = run["cases"][name]
    data_dir = run["data_dir"]
    errors = query(
        data_dir,
        "SELECT stage, error_type, message FROM crawl_errors WHERE url = ?",
        [case.url],
    )
    kept = query(data_dir, "SELECT count(*) FROM reports WHERE source_url = ?", [case.url])[0][0]
    if case.error is None:
        assert [e for e in errors if e[0] != "geocode"] == [], errors
    else:
        assert any(case.error in f"{etype}: {message}" for _, etype, message in errors), (
            f"{name}: no error matching {case.error!r} recorded for {case.url}: {errors}"
        )
        if case.stage:
            assert any(stage == case.stage for stage, _, _ in errors), errors
    assert kept == case.items, f"{name}: kept {kept} items, expected {case.items}"


@pytest.mark.parametrize("name", [c.name for c in REPLAY_CASES])
def test_replayed_hostile_page(crawls: dict, name: str) -> None:
    check_case(crawls["replay"], name)


@pytest.mark.parametrize("name", HTTP_CASE_NAMES)
def test_hostile_server(crawls: dict, name: str) -> None:
    check_case(crawls["http"], name)


@pytest.mark.parametrize("which", ["replay", "http"])
def test_crawl_goes_on_with_bounded_memory(crawls: dict, which: str) -> None:
    run = crawls[which]
    assert run["returncode"] == 0, run["stderr"][-3000:]
    assert "Traceback" not in run["stderr"], run["stderr"][-5000:]
    assert run["max_rss_mb"] < MAX_RSS_MB, f"{which} crawl peaked at {run['max_rss_mb']:.0f} MB"
    runs = query(run["data_dir"], "SELECT spider, status FROM crawl_runs")
    assert runs and all(status == "partial" for _, status in runs), runs


def test_entities_are_never_expanded_or_resolved(crawls: dict) -> None:
    data_dir = crawls["replay"]["data_dir"]
    leaked = query(
        data_dir,
        "SELECT count(*) FROM reports WHERE concat_ws(' ', title, body) LIKE '%root:%' "
        "OR concat_ws(' ', title, body) LIKE '%lollol%' OR report_id IS NULL",
    )
    assert leaked == [(0,)]


def test_declared_and_detected_encodings_decode_text_correctly(crawls: dict) -> None:
    data_dir = crawls["replay"]["data_dir"]
    for name in ("fema_latin1_declared", "fema_cap_declares_latin1"):
        titles = query(data_dir, "SELECT title FROM reports WHERE source_url = ?", [fema_url(name)])
        assert titles and all(t.startswith("Caf\u00e9 ") for (t,) in titles), (name, titles)
    # Undeclared latin-1: kept, with the undecodable byte replaced (and the error recorded).
    titles = query(
        data_dir,
        "SELECT title FROM reports WHERE source_url = ?",
        [fema_url("fema_wrong_encoding")],
    )
    assert titles and all(t.startswith("Caf\ufffd ") for (t,) in titles), titles


def test_unreadable_and_implausible_times_are_dropped_not_guessed(crawls: dict) -> None:
    data_dir = crawls["replay"]["data_dir"]
    rows = query(
        data_dir,
        "SELECT published_at, fetched_at FROM reports WHERE source_url IN (?, ?)",
        [fema_url("fema_invalid_dates"), fema_url("fema_absurd_dates")],
    )
    assert len(rows) == 5
    assert all(published is None and fetched is not None for published, fetched in rows)


def test_corpus_size() -> None:
    assert len(REPLAY_CASES) + len(HTTP_CASE_NAMES) >= 30


def test_a_bad_record_makes_the_run_partial_not_failed(crawls: dict) -> None:
    """Issue 17: the NUL/surrogate alert is one record's problem, not the run's."""
    runs = dict(query(crawls["replay"]["data_dir"], "SELECT spider, status FROM crawl_runs"))
    assert runs["nws_alerts"] == "partial", runs
    titles = query(
        crawls["replay"]["data_dir"],
        "SELECT title FROM reports WHERE source_url = ? ORDER BY title",
        [nws_url("nws_nul_surrogate")],
    )
    assert titles and all("\x00" not in t and "\x0b" not in t for (t,) in titles)
