"""`outages sources check` offline: the real command, the real Scrapy engine and parsers,
against a local HTTP server serving the recorded REAL responses of the spiders' fixtures
(case.json "constructed": false) and drifted versions of them made here.

The spiders keep their real URLs; OUTAGES_URL_REWRITE (crawlers/rewrite.py) sends each
download, robots.txt included, to `http://127.0.0.1:PORT/<host>/<path>`.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import outages

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
ALLOW_ALL = b"User-agent: *\nAllow: /\n"


def real(spider: str, case: str) -> tuple[str, bytes]:
    folder = FIXTURES / spider / case
    meta = json.loads((folder / "case.json").read_text())
    assert meta["constructed"] is False, f"{spider}/{case} is not real recorded material"
    (response,) = folder.glob("response.*")
    return meta["content_type"], response.read_bytes()


# Where each spider's live start URLs go (host + path prefix; queries and times vary) and the
# recorded real answer served there.
REAL = {
    "nws_alerts": ("/api.weather.gov/alerts", real("nws_alerts", "real_2024-05-25_active")),
    "openfema_ipaws": (
        "/www.fema.gov/api/open/v1/IpawsArchivedAlerts",
        real("openfema_ipaws", "real_2026-07-29_page1"),
    ),
    "ipaws_feed": (
        "/apps.fema.gov/IPAWSOPEN_EAS_SERVICE/rest/public/recent/",
        real("ipaws_feed", "real_2026-07-29_feed"),
    ),
    "iem_afos": (
        "/mesonet.agron.iastate.edu/api/1/nws/afos/list.json",
        real("iem_afos", "real_2026-07-10_list_CLINYC"),
    ),
    # an agency's HTML listing: its start page yields links to releases, not items
    "tx_austin_apd": (
        "/www.austintexas.gov/department/news/296",
        real("tx_austin_apd", "real_2020-03_police_news_listing"),
    ),
}


class Site:
    """What the local server answers: {path prefix: (status, headers, body)}."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []

    def serve(self, prefix: str, body: bytes, content_type: str, status: int = 200) -> None:
        self.routes[prefix] = (status, {"Content-Type": content_type}, body)

    def redirect(self, prefix: str, location: str) -> None:
        self.routes[prefix] = (302, {"Location": location}, b"")


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.requests.append(self.path)
            match = [p for p in state.routes if self.path.startswith(p)]
            if match:
                status, headers, body = state.routes[max(match, key=len)]
            elif self.path.endswith("/robots.txt"):
                status, headers, body = 200, {"Content-Type": "text/plain"}, ALLOW_ALL
            else:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def check(base: str, tmp_path: Path, *spiders: str, as_json: bool = True):
    args = ["sources", "check", *spiders, "--set", f"OUTAGES_URL_REWRITE={base}"]
    result = outages(*args, *(["--json"] if as_json else []), data_dir=tmp_path, check=False)
    assert result.returncode in (0, 1), result.stderr
    if not as_json:
        return result, None
    return result, {r["spider"]: r for r in json.loads(result.stdout)}


def serve_real(state: Site, *spiders: str) -> None:
    for spider in spiders:
        prefix, (content_type, body) = REAL[spider]
        state.serve(prefix, body, content_type)


def test_real_responses_pass(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    serve_real(state, *REAL)
    result, by_spider = check(base, tmp_path, *REAL)
    assert result.returncode == 0, result.stdout
    for name, r in by_spider.items():
        assert not r["drifted"], (name, r["problems"])
        assert r["robots"] == "allowed"
        assert r["responses"] and all(x["status"] == 200 for x in r["responses"])
        assert all(all(x["structure"].values()) for x in r["responses"]), name
    assert by_spider["nws_alerts"]["items"] == 1
    assert by_spider["openfema_ipaws"]["items"] > 0
    assert by_spider["ipaws_feed"]["items"] == 6
    # the listing's release links are counted, and not one of them was fetched
    assert by_spider["tx_austin_apd"]["items"] == 0 and by_spider["tx_austin_apd"]["links"] > 5
    assert not [p for p in state.requests if p.startswith("/www.austintexas.gov/news/")]
    # one request per start URL: no follow-up pages (iem_afos' product texts) were fetched
    assert not [p for p in state.requests if "/nwstext/" in p]
    # nothing was written to the warehouse of record
    assert not (tmp_path / "outages.duckdb").exists()


def test_table_output_names_the_checks(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    serve_real(state, "nws_alerts")
    result, _ = check(base, tmp_path, "nws_alerts", as_json=False)
    assert result.returncode == 0
    for word in ("reachable", "HTTP status", "robots.txt", "items parsed", "outage items"):
        assert word in result.stdout
    assert "found json:features" in result.stdout


def test_renamed_json_key_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    prefix, (content_type, body) = REAL["nws_alerts"]
    state.serve(prefix, body.replace(b'"features"', b'"alerts"'), content_type)
    result, by_spider = check(base, tmp_path, "nws_alerts")
    assert result.returncode == 1
    problems = by_spider["nws_alerts"]["problems"]
    assert any("structure missing: json:features" in p for p in problems), problems
    assert by_spider["nws_alerts"]["items"] == 0


def test_renamed_xml_element_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    prefix, (content_type, body) = REAL["ipaws_feed"]
    state.serve(prefix, body.replace(b"ns1:alerts", b"ns1:alertList"), content_type)
    result, by_spider = check(base, tmp_path, "ipaws_feed")
    assert result.returncode == 1
    problems = by_spider["ipaws_feed"]["problems"]
    assert any("structure missing: xpath://*[local-name()='alerts']" in p for p in problems)


def test_changed_css_class_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    """The recorded real listing with the class its links sit in renamed (a redesign)."""
    state, base = site
    prefix, (content_type, body) = REAL["tx_austin_apd"]
    assert body.count(b"views-field-title") > 5
    state.serve(prefix, body.replace(b"views-field-title", b"views-field-headline"), content_type)
    result, by_spider = check(base, tmp_path, "tx_austin_apd")
    assert result.returncode == 1
    problems = by_spider["tx_austin_apd"]["problems"]
    assert any("structure missing: css:.views-field-title a" in p for p in problems), problems
    assert not any("css:.view-content .item-list li" in p for p in problems)  # still there


def test_a_listing_without_links_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    prefix, (content_type, body) = REAL["tx_austin_apd"]
    state.serve(prefix, body.replace(b'href="', b'data-href="'), content_type)
    result, by_spider = check(base, tmp_path, "tx_austin_apd")
    assert result.returncode == 1
    assert by_spider["tx_austin_apd"]["links"] == 0
    assert any("zero items and zero links" in p for p in by_spider["tx_austin_apd"]["problems"])


def test_html_error_page_with_status_200_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    page = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"
    state.serve(REAL["nws_alerts"][0], page, "text/html")
    result, by_spider = check(base, tmp_path, "nws_alerts")
    assert result.returncode == 1
    r = by_spider["nws_alerts"]
    assert r["responses"][0]["status"] == 200
    assert any("structure missing" in p for p in r["problems"])
    assert any("PageError" in e and "not JSON" in e for e in r["errors"]), r["errors"]


def test_redirect_to_login_page_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    state.redirect(REAL["nws_alerts"][0], "https://api.weather.gov/login?next=/alerts")
    state.serve("/api.weather.gov/login", b"<html><form>Sign in</form></html>", "text/html")
    result, by_spider = check(base, tmp_path, "nws_alerts")
    assert result.returncode == 1
    problems = by_spider["nws_alerts"]["problems"]
    assert any("redirected to https://api.weather.gov/login" in p for p in problems), problems
    assert any("structure missing" in p for p in problems)


def test_robots_txt_disallowing_the_path_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    serve_real(state, "nws_alerts")
    state.serve("/api.weather.gov/robots.txt", b"User-agent: *\nDisallow: /alerts\n", "text/plain")
    result, by_spider = check(base, tmp_path, "nws_alerts")
    assert result.returncode == 1
    r = by_spider["nws_alerts"]
    assert r["robots"] == "disallowed by robots.txt"
    assert "disallowed by robots.txt" in r["problems"]
    # the start URL was never requested
    assert not [p for p in state.requests if p.startswith("/api.weather.gov/alerts")]
    table, _ = check(base, tmp_path, "nws_alerts", as_json=False)
    assert "disallowed by robots.txt" in table.stdout


def test_http_500_drifts(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    state.serve(REAL["nws_alerts"][0], b"oops", "text/plain", status=500)
    result, by_spider = check(base, tmp_path, "nws_alerts")
    assert result.returncode == 1
    problems = by_spider["nws_alerts"]["problems"]
    assert any(p.startswith("HTTP 500") for p in problems), problems


def test_connection_refused_drifts(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, by_spider = check(f"http://127.0.0.1:{port}", tmp_path, "nws_alerts")
    assert result.returncode == 1
    r = by_spider["nws_alerts"]
    assert not r["responses"]
    assert any(p.startswith("unreachable") for p in r["problems"])
    assert any("ConnectionRefused" in e for e in r["errors"]), r["errors"]


def test_unknown_spider_is_an_error(tmp_path: Path) -> None:
    result = outages("sources", "check", "no_such_spider", data_dir=tmp_path, check=False)
    assert result.returncode == 1
    assert "unknown spider" in result.stderr


# ---------------------------------------------------------------- the watcher's source check
def watcher(tmp_path: Path, **kwargs: object):
    from outages.watch import Source, Watcher
    from warehouse.db import DataDir

    data_dir = DataDir.resolve(tmp_path / "data").ensure()
    return Watcher(data_dir=data_dir, sources=[Source("nws_alerts", 60.0)], **kwargs)


def test_watcher_schedules_the_check_at_start_up_and_daily(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 7, 29, 12, 0, tzinfo=UTC)  # an injected clock
    job = watcher(tmp_path, source_check_minutes=1440.0, scale=0.5).source_check_job(now)
    assert job is not None and job["id"] == "source_check"
    assert job["next_run_time"] == now  # at start-up
    trigger = job["trigger"]
    assert trigger.interval == timedelta(minutes=720)  # daily, scaled like the cadences
    first = trigger.get_next_fire_time(None, now)
    assert trigger.get_next_fire_time(first, first) - first == timedelta(minutes=720)
    assert watcher(tmp_path, source_check_minutes=0.0).source_check_job(now) is None


def test_watcher_writes_the_check_into_status_json(tmp_path: Path) -> None:
    from warehouse.status import read_status

    results = [
        {
            "spider": "nws_alerts",
            "checked_at": "2026-07-29T12:00:00+00:00",
            "drifted": True,
            "problems": ["structure missing: json:features"],
        },
    ]
    w = watcher(tmp_path, source_check_minutes=1440.0, source_check=lambda: results)
    assert w.run_source_check() == results
    status = read_status(w.data_dir)
    assert status["source_checks"] == results
    assert status["source_checks"][0]["checked_at"] == "2026-07-29T12:00:00+00:00"


def test_watcher_survives_a_failing_check(tmp_path: Path) -> None:
    def broken() -> list[dict]:
        raise RuntimeError("no network")

    w = watcher(tmp_path, source_check_minutes=1440.0, source_check=broken)
    assert w.run_source_check() is None


def test_watcher_child_check_against_the_local_server(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    """The default check: a child `outages sources check`, with the watcher's --set."""
    state, base = site
    serve_real(state, "nws_alerts")
    w = watcher(tmp_path, source_check_minutes=1440.0, settings={"OUTAGES_URL_REWRITE": base})
    (result,) = w.run_source_check()
    assert result["spider"] == "nws_alerts" and not result["drifted"], result
    assert result["checked_at"]


# ---------------------------------------------------------------- the About page's table
def _render_checks(data_dir: str) -> None:
    from pathlib import Path

    from webapp.source_checks import render

    render(Path(data_dir))


def test_about_table_shows_the_last_check_as_data(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from warehouse.db import DataDir
    from warehouse.status import write_json_atomic

    data_dir = DataDir.resolve(tmp_path / "data").ensure()
    hostile = "PageError: <script>alert(1)</script> **not markup**"
    write_json_atomic(
        data_dir.root / "status.json",
        {
            "source_checks": [
                {
                    "spider": "nws_alerts",
                    "checked_at": "2026-07-29T12:00:00+00:00",
                    "drifted": True,
                    "robots": "allowed",
                    "responses": [{"status": 200, "structure": {"json:features": False}}],
                    "expected_structure": ["json:features"],
                    "items": 0,
                    "problems": [hostile],
                },
                {"spider": "gdelt_news", "drifted": False, "robots": "disallowed by robots.txt"},
            ]
        },
    )
    app = AppTest.from_function(_render_checks, args=(str(data_dir.root),)).run()
    assert not app.exception
    (frame,) = [f.value for f in app.dataframe]
    rows = {row["spider"]: row for row in frame.to_dict("records")}
    assert rows["nws_alerts"]["verdict"] == "drifted"
    assert rows["nws_alerts"]["structure"] == "missing: json:features"
    assert rows["nws_alerts"]["problems"] == hostile  # verbatim, as data
    assert rows["gdelt_news"]["structure"] == "not declared"
    assert rows["gdelt_news"]["robots"] == "disallowed by robots.txt"
    assert not any("<script>" in m.value for m in app.markdown)


def test_about_table_without_a_check(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from warehouse.db import DataDir

    data_dir = DataDir.resolve(tmp_path / "data").ensure()
    app = AppTest.from_function(_render_checks, args=(str(data_dir.root),)).run()
    assert not app.exception and not app.dataframe
    assert any("No live source check has run here yet" in c.value for c in app.caption)
