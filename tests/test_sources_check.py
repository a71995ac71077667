"""`outages sources check` offline: a local server serves the recorded REAL api.weather.gov
answer (tests/fixtures/spiders/nws_alerts/real_2024-05-25_active) and drifted copies of it
made here; the check crawls through the real Scrapy engine (`OUTAGES_URL_REWRITE` sends
every download to the server) and must pass the real answer and name every drift."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from outages.sources_check import structure_found
from tests.conftest import outages
from warehouse.registry import spider_classes

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
REAL = (FIXTURES / "nws_alerts/real_2024-05-25_active/response.json").read_bytes()
LOGIN = b"<!DOCTYPE html><html><body><form action=/login>Sign in</form></body></html>"
ERROR_200 = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"


def renamed_key() -> bytes:
    page = json.loads(REAL)
    for feature in page["features"]:
        feature["properties"]["alertId"] = feature["properties"].pop("id")
    return json.dumps(page).encode()


class Server(BaseHTTPRequestHandler):
    case = "real"

    def answer(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        case = type(self).case
        if self.path.endswith("/robots.txt"):
            rules = "Disallow: /" if case == "robots_disallow" else "Disallow: /private"
            return self.answer(200, f"User-agent: *\n{rules}\n".encode(), "text/plain")
        if self.path.startswith("/api.weather.gov/login"):
            return self.answer(200, LOGIN, "text/html")
        if not self.path.startswith("/api.weather.gov/alerts"):
            return self.answer(404, b"not found", "text/plain")
        if case == "server_error":
            return self.answer(500, b"Internal Server Error", "text/plain")
        if case == "html_error_200":
            return self.answer(200, ERROR_200, "text/html")
        if case == "redirect_to_login":
            return self.answer(302, b"", "text/html", Location="https://api.weather.gov/login")
        body = renamed_key() if case == "renamed_key" else REAL
        return self.answer(200, body, "application/geo+json")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> str:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def check(server: str, case: str, tmp_path: Path) -> tuple[int, dict]:
    Server.case = case
    result = outages(
        "sources", "check", "nws_alerts", "--format", "json",
        data_dir=tmp_path, check=False, env={"OUTAGES_URL_REWRITE": server},
    )  # fmt: skip
    assert result.stdout.strip(), result.stderr[-2000:]
    (row,) = json.loads(result.stdout)
    return result.returncode, row


def test_the_real_answer_passes(server: str, tmp_path: Path) -> None:
    code, row = check(server, "real", tmp_path)
    assert (code, row["drifted"]) == (0, False), row
    assert row["http_statuses"] == [200] and row["robots"] == "allowed"
    assert row["reports"] == 1 and row["outages"] == 0  # a weather alert, no outage
    assert row["structure_missing"] == [] and len(row["structure_found"]) == 4


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("renamed_key", "structure missing: json:features[].properties.id"),
        ("html_error_200", "error(s) recorded"),
        ("redirect_to_login", "structure missing"),
        ("robots_disallow", "robots.txt disallows a start URL"),
        ("server_error", "HTTP 500"),
    ],
)
def test_a_drifted_source_fails_and_says_how(
    server: str, tmp_path: Path, case: str, says: str
) -> None:
    code, row = check(server, case, tmp_path)
    assert code == 1 and row["drifted"], row
    assert any(says in problem for problem in row["problems"]), row["problems"]


def test_a_refused_connection_is_unreachable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = outages(
        "sources", "check", "nws_alerts", "--format", "json",
        data_dir=tmp_path, check=False, env={"OUTAGES_URL_REWRITE": f"http://127.0.0.1:{port}"},
    )  # fmt: skip
    (row,) = json.loads(result.stdout)
    assert result.returncode == 1 and row["drifted"]
    assert any("unreachable" in p or "error(s)" in p for p in row["problems"]), row


def test_declared_structure_is_in_each_spiders_real_fixtures() -> None:
    """What a spider says its parser depends on is there in the real pages it was proven on."""
    for spider in spider_classes():
        entries = getattr(spider, "expected_structure", ()) or ()
        real = [
            folder
            for folder in sorted((FIXTURES / spider.name).glob("*/"))
            if not json.loads((folder / "case.json").read_text()).get("constructed", True)
        ]
        if not entries or not real:
            continue
        for entry in entries:
            assert any(
                structure_found(
                    entry,
                    next(folder.glob("response.*")).read_bytes(),
                    json.loads((folder / "case.json").read_text()).get("content_type", ""),
                )
                for folder in real
            ), (spider.name, entry)


def test_structure_probe_reads_json_paths_css_and_xpath() -> None:
    page = b'{"features": [{"properties": {"id": "x"}}, {"properties": {}}]}'
    assert structure_found("json:features[].properties.id", page)
    assert not structure_found("json:features[].properties.sent", page)
    assert not structure_found("json:features", b"<html>")
    html = b'<html><body><div class="views-row"><h3><a href="/n/1">x</a></h3></div></body></html>'
    assert structure_found("css:.views-row h3 a", html, "text/html")
    assert not structure_found("css:.view-row", html, "text/html")
    assert structure_found("xpath://div[@class='views-row']", html, "text/html")
    with pytest.raises(ValueError, match="unknown expected_structure"):
        structure_found("regex:x", html)
