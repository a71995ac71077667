"""The map page in a real browser: Debian's Chromium driven by Playwright, on the demo data.

Starts the real `outages serve` console script on a free port, loads the page, waits for the
deck.gl map canvas and the reports table, moves the Period slider with the keyboard and checks
that the table follows. Screenshots land in the test's tmp_path (map.png, map-after-slider.png,
map-phone.png, map-phone-table.png).
"""

from __future__ import annotations

import os
import re
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

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

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
REPORTS_HEADING = re.compile(r"Reports \((\d+)\)")


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
        url = f"http://127.0.0.1:{port}"
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


def reports_count(page) -> int:
    heading = page.get_by_role("heading", name=REPORTS_HEADING)
    match = REPORTS_HEADING.search(heading.inner_text())
    assert match, heading.inner_text()
    return int(match.group(1))


def wait_for_map_and_table(page) -> None:
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', state="visible")
    page.wait_for_selector('[data-testid="stDataFrame"]', state="visible")
    page.get_by_role("heading", name=REPORTS_HEADING).wait_for()
    wait_for_idle(page)


def wait_for_idle(page, timeout: float = 20_000) -> None:
    """Until the app has finished its run (Streamlit shows a status widget while running)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=timeout,
    )


def test_map_page_in_chromium(chromium: str, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1700})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/", wait_until="domcontentloaded")
            wait_for_map_and_table(page)
            assert page.get_by_text("Demo data.").is_visible()
            before = reports_count(page)
            assert before > 1
            page.wait_for_timeout(1500)  # let deck.gl draw in software WebGL
            page.screenshot(path=str(tmp_path / "map.png"), full_page=True)

            # Move the start of the Period to the last day: only the newest reports remain.
            slider = page.locator('[data-testid="stSlider"]')
            start_thumb = slider.get_by_role("slider", name="Period — start")
            assert slider.get_by_role("slider").count() == 2
            start_thumb.focus()
            page.keyboard.press("End")
            page.wait_for_function(
                """(before) => {
                    const h = [...document.querySelectorAll('h3')]
                        .find(e => /Reports \\(\\d+\\)/.test(e.innerText));
                    return h && !h.innerText.includes('(' + before + ')');
                }""",
                arg=before,
            )
            wait_for_idle(page)
            after = reports_count(page)
            assert 0 < after < before
            page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', state="visible")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(tmp_path / "map-after-slider.png"), full_page=True)

            # A phone-sized window: the page still renders the map and the table.
            phone = browser.new_page(
                viewport={"width": 390, "height": 844},
                user_agent=PHONE_USER_AGENT,
                is_mobile=True,
                has_touch=True,
            )
            phone.set_default_timeout(30_000)
            phone.on("pageerror", lambda exc: errors.append(str(exc)))
            phone.goto(server + "/", wait_until="domcontentloaded")
            wait_for_map_and_table(phone)
            phone.locator('[data-testid="stDeckGlJsonChart"]').scroll_into_view_if_needed()
            phone.wait_for_timeout(1500)
            phone.screenshot(path=str(tmp_path / "map-phone.png"))
            phone.locator('[data-testid="stDataFrame"]').scroll_into_view_if_needed()
            phone.wait_for_timeout(500)
            phone.screenshot(path=str(tmp_path / "map-phone-table.png"))
            assert reports_count(phone) == before
        finally:
            browser.close()
    assert not errors, errors
