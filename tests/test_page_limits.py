"""A page bigger than its source is expected to send is refused while it streams in,
recorded with its URL, and the crawl goes on (issue 17: a 50 MB answer took more than 30 s
to fail). Through the real Scrapy engine against a local server; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawlers.spiders.nws_alerts import NwsAlertsSpider
from crawlers.spiders.openfema_ipaws import OpenfemaIpawsSpider
from tests.conftest import ROOT, query

# The recorded real api.weather.gov answer (one alert), served as the good page.
GOOD = (
    Path(__file__).parent / "fixtures/spiders/nws_alerts/real_2024-05-25_active/response.json"
).read_bytes()
DECLARED = NwsAlertsSpider.page_maxsize + 1  # one byte more than nws_alerts expects


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/big"):
            # Says it will send more than the source's pages ever are, then trickles: a
            # download that is not refused at once would hang here, not pass.
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(DECLARED))
            self.end_headers()
            self.wfile.write(b'{"features": [')
            return
        if self.path.startswith("/good"):
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_each_source_has_a_page_limit_under_the_global_one() -> None:
    from crawlers import settings

    assert NwsAlertsSpider.page_maxsize < settings.DOWNLOAD_MAXSIZE
    assert OpenfemaIpawsSpider.page_maxsize > NwsAlertsSpider.page_maxsize


def test_a_page_over_the_sources_limit_is_refused_and_the_crawl_goes_on(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    data_dir = tmp_path / "data"
    settings = {
        "OUTAGES_DATA_DIR": str(data_dir),
        "OUTAGES_WARC_PATH": str(data_dir / "archive" / "limits.warc.gz"),
        "LOG_LEVEL": "WARNING",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "0",
        "RETRY_TIMES": "0",
        "DOWNLOAD_TIMEOUT": "60",  # a refusal must not wait for the timeout
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "nws_alerts"]
    command += ["-a", f"from_url={base}/big?case=1\n{base}/good?case=2"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    errors = query(data_dir, "SELECT url, stage, message FROM crawl_errors")
    big = [e for e in errors if e[0] == f"{base}/big?case=1"]
    assert big and big[0][1] == "download", errors
    assert str(NwsAlertsSpider.page_maxsize) in big[0][2] or "max size" in big[0][2], big
    good = json.loads(GOOD)["features"]
    kept = query(
        data_dir, "SELECT count(*) FROM reports WHERE source_url = ?", [f"{base}/good?case=2"]
    )
    assert kept[0][0] == len(good)
    assert query(data_dir, "SELECT status FROM crawl_runs") == [("partial",)]
