"""The app in a real browser: Debian's Chromium driven by Playwright, on the demo data.

Starts the real `outages serve` console script on a free port, loads the map, waits for the
map canvas to be drawn, moves the Period slider, clicks a county, opens one of its incidents,
runs a SQL query and downloads its CSV, and looks at the map at phone width. Screenshots land
in the test's tmp_path (map.png, map-after-slider.png, map-selected.png, incident.png,
sql.png, map-phone.png). It also checks that no Streamlit message is larger than 5 MB.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[1]
OUTAGES = Path(sys.executable).parent / "outages"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Mobile Safari/537.36"
)
MAP_FRAME = 'iframe[title="webapp.mapview.choropleth"]'
MAX_MESSAGE_BYTES = 5 * 1024 * 1024
BUFFALO_COUNTY_NE = "31019"  # two outages in the demo data


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; skip locally when it is missing, but fail in CI (it must be there)."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    reason = (
        "Chromium not found (looked for " + ", ".join(CHROMIUM_CANDIDATES) + "); "
        "install it with `apt-get install -y chromium`"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    print(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"outages serve exited {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"outages serve did not answer {url} in {timeout} s:\n{log.read_text()}")


def record_counts(demo_dir: Path) -> tuple[int, int]:
    """Incidents of the real record and constructed-only examples, from the published file."""
    import duckdb

    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT count(*) FILTER (WHERE report_count > constructed_reports), "
            "count(*) FILTER (WHERE report_count <= constructed_reports) FROM incidents"
        ).fetchone()


@pytest.fixture
def server(demo_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The real `outages serve` on a free port; stopped (with its children) afterwards."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = dict(os.environ, OUTAGES_DATA=str(demo_dir), NO_PROXY="*")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(OUTAGES), "serve", "--port", str(port), "--data-dir", str(demo_dir)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://localhost:{port}"
        wait_until_up(url + "/_stcore/health", proc, log)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def wait_for_idle(page, timeout: float = 30_000) -> None:
    """Until the app has finished its run (Streamlit shows a status widget while running)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout
    )


def map_frame(page):
    """The map component's frame, once it has drawn the outlines and the values."""
    page.wait_for_selector(MAP_FRAME, state="visible")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("canvas#map").wait_for(state="visible")
    frame.locator("body[data-stamp]").wait_for(state="attached")
    handle = page.locator(MAP_FRAME).element_handle()
    content = handle.content_frame()
    content.wait_for_function("() => window.choropleth && window.choropleth.ready()")
    return content


def record_messages(page, sizes: list[int]) -> None:
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: sizes.append(len(p))))


def test_app_in_chromium(chromium: str, server: str, tmp_path: Path, demo_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    real, constructed = record_counts(demo_dir)
    assert real > constructed > 0
    errors: list[str] = []
    sizes: list[int] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1300})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            record_messages(page, sizes)

            # The map: outlines drawn, demo label, coverage legend.
            page.goto(server + "/", wait_until="domcontentloaded")
            frame = map_frame(page)
            wait_for_idle(page)
            assert page.get_by_text("Demo data.").first.is_visible()
            assert "no source coverage" in frame.locator("#legend").inner_text()
            stamp = frame.evaluate("() => document.body.dataset.stamp")
            assert stamp.startswith("county|outages|")
            # The real record first: the banner counts both, the examples are hidden.
            banner = page.locator('[data-testid="stAlert"]').filter(has_text="real incident")
            assert banner.is_visible() and f"{real} real incidents" in banner.inner_text()
            assert f"{constructed} constructed example" in banner.inner_text()
            assert "hidden" in banner.inner_text()
            toggle = page.locator(".st-key-constructed input")
            assert not toggle.is_checked() and "constructed=" not in page.url
            page.screenshot(path=str(tmp_path / "map.png"), full_page=True)

            # Move the start of the Period to the end: only the last month remains.
            thumb = page.get_by_role("slider", name="Period — start")
            thumb.focus()
            page.keyboard.press("End")
            frame.wait_for_function("(s) => document.body.dataset.stamp !== s", arg=stamp)
            wait_for_idle(page)
            after = frame.evaluate("() => document.body.dataset.stamp").split("|")
            assert after[2] == after[3] != stamp.split("|")[2]
            page.screenshot(path=str(tmp_path / "map-after-slider.png"), full_page=True)
            thumb.focus()
            page.keyboard.press("Home")
            frame.wait_for_function(
                "(s) => document.body.dataset.stamp === s", arg=stamp, timeout=30_000
            )
            wait_for_idle(page)

            # Play: the map steps month by month on its own until paused.
            page.get_by_role("button", name="Play").click()
            seen = {stamp}
            for _ in range(2):
                frame.wait_for_function(
                    "(s) => !s.includes(document.body.dataset.stamp)", arg=sorted(seen)
                )
                seen.add(frame.evaluate("() => document.body.dataset.stamp"))
            page.get_by_role("button", name="Pause").click()
            wait_for_idle(page)
            playing = sorted(seen - {stamp})
            assert all(s.split("|")[2] == s.split("|")[3] for s in playing), playing
            page.goto(server + "/", wait_until="domcontentloaded")
            frame = map_frame(page)
            wait_for_idle(page)

            # Click a county: its outages are listed under the map.
            x, y = frame.evaluate(f"() => window.choropleth.pointOf('{BUFFALO_COUNTY_NE}')")
            box = page.locator(MAP_FRAME).bounding_box()
            page.mouse.click(box["x"] + x, box["y"] + y)
            page.get_by_text("Buffalo County, NE: 2 outages").wait_for()
            wait_for_idle(page)
            assert "sel=31019" in page.url
            page.screenshot(path=str(tmp_path / "map-selected.png"), full_page=True)

            # Open the latest of them: the incident's facts, map, timeline and sources.
            page.get_by_role("link", name="Open the latest").click()
            detail = page.locator(".st-key-incident_detail")
            detail.wait_for()
            wait_for_idle(page)
            assert "/incidents" in page.url and "id=" in page.url
            assert "Sources and archived copies" in detail.inner_text()
            assert detail.get_by_role("button", name="Archived copy").count() >= 1
            page.wait_for_timeout(800)
            page.screenshot(path=str(tmp_path / "incident.png"), full_page=True)

            # Incidents: the toggle shows the examples and puts itself in the URL.
            page.goto(server + "/incidents", wait_until="domcontentloaded")
            page.get_by_text(f"{real} incidents", exact=True).wait_for()
            wait_for_idle(page)
            page.locator(".st-key-constructed label").first.click()
            page.get_by_text(f"{real + constructed} incidents", exact=True).wait_for()
            wait_for_idle(page)
            assert "constructed=true" in page.url
            assert page.get_by_text("shown, marked demo").first.is_visible()

            # Trends: the record's charts, each with its data and the coverage sentence.
            page.goto(server + "/trends", wait_until="domcontentloaded")
            page.get_by_text("Incidents per year", exact=True).wait_for()
            wait_for_idle(page)
            for title in (
                "Incidents by cause",
                "Incidents by provider",
                "Incidents by state",
                "How long outages last",
            ):
                assert page.get_by_text(title, exact=True).first.is_visible(), title
            charts = page.locator('[data-testid="stVegaLiteChart"]')
            charts.first.wait_for()
            assert charts.count() == 11
            coverage = page.get_by_text("a year with fewer stories is not a year with fewer")
            assert coverage.count() == 11
            with page.expect_download() as download_info:
                page.locator(".st-key-incidents-per-year_csv button").click()
            target = tmp_path / "per-year.csv"
            download_info.value.save_as(target)
            rows = list(csv.reader(target.open()))
            assert rows[0] == ["year", "incidents"]
            assert sum(int(r[1]) for r in rows[1:]) == real
            page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)

            # SQL: run a query, download its CSV.
            page.goto(server + "/sql", wait_until="domcontentloaded")
            editor = page.get_by_label("Query")
            editor.wait_for()
            editor.fill(
                "SELECT state_code, count(*) AS counties FROM counties GROUP BY 1 ORDER BY 1"
            )
            page.get_by_role("button", name="Run").click()
            page.get_by_role("heading", name="Result").wait_for()
            wait_for_idle(page)
            assert "sql=SELECT" in page.url
            with page.expect_download() as download_info:
                page.locator(".st-key-sql_csv button").click()
            target = tmp_path / "query.csv"
            download_info.value.save_as(target)
            rows = list(csv.reader(target.open()))
            assert rows[0] == ["state_code", "counties"] and len(rows) > 50
            page.screenshot(path=str(tmp_path / "sql.png"), full_page=True)

            # A phone: the map fits the width and still draws.
            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                user_agent=PHONE_USER_AGENT,
                is_mobile=True,
                has_touch=True,
            ).new_page()
            phone.set_default_timeout(30_000)
            phone.on("pageerror", lambda exc: errors.append(str(exc)))
            record_messages(phone, sizes)
            phone.goto(server + "/", wait_until="domcontentloaded")
            map_frame(phone)
            wait_for_idle(phone)
            frame_box = phone.locator(MAP_FRAME).bounding_box()
            assert frame_box["width"] <= 390
            phone.locator(MAP_FRAME).scroll_into_view_if_needed()
            phone.screenshot(path=str(tmp_path / "map-phone.png"))
        finally:
            browser.close()
    assert not errors, errors
    assert sizes and max(sizes) < MAX_MESSAGE_BYTES, max(sizes)
    print(f"screenshots in {tmp_path}; largest message {max(sizes):,} bytes")
