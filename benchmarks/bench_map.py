"""The map page's render benchmark, in headless Chromium, on a published data dir.

    uv run python benchmarks/bench_map.py --data-dir DIR [--runs 5] [--chromium PATH]

Starts `outages serve` on a free port and drives Debian's Chromium through Playwright:

- first full render: a fresh browser context (empty cache) opens the map page; the time from
  navigation start until the map has drawn the outlines with the values of the period and
  the app's run has finished. The first load after the server starts (`first_render_cold_s`)
  also builds the per-version numbers behind the map; the median is over the next `--runs`.
- slider update: moving the Period slider one step (the keyboard, on the start thumb), the
  time from the key press until the map has drawn the new values (the component stamps its
  body with the arguments it drew, and the time it drew them). Median over `--runs` moves,
  each to a period not seen before (no cache hit).
- filter update: switching the map between counties and states, the same way.
- messages: every WebSocket frame the page receives, in bytes: the largest one, and what one
  slider step costs.

Prints one JSON object (the numbers the benchmark runner reads are top-level keys).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTAGES = Path(sys.executable).parent / "outages"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]
MAP_FRAME = 'iframe[src*="/component/webapp.mapview.choropleth/"]'  # the map retitles its frame
TARGETS = {"first_render_s": 3.0, "update_s": 0.5, "message_bytes": 5 * 1024 * 1024}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_chromium(given: str | None) -> str:
    for candidate in ([given] if given else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if not found:
        raise SystemExit("Chromium not found: apt-get install -y chromium (or --chromium PATH)")
    return found


def start_server(
    data_dir: Path, port: int, log: Path, command: list[str] | None = None
) -> subprocess.Popen:
    """`outages serve` (or `command`) on `port`, its output in `log`; returns once
    `/_stcore/health` answers, and fails loudly if it exits or has not answered in 60 s."""
    env = dict(os.environ, OUTAGES_DATA=str(data_dir), NO_PROXY="*")
    log.parent.mkdir(parents=True, exist_ok=True)  # a clean clone has no benchmarks/out yet
    out = log.open("w")
    command = command or [str(OUTAGES), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{command[0]} exited {proc.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2):
                return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit(f"{command[0]} did not start: {log.read_text()}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_idle(page, timeout: float = 120_000) -> None:
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=timeout,
        polling=20,
    )


def map_frame(page, timeout: float = 120_000):
    page.wait_for_selector(MAP_FRAME, state="attached", timeout=timeout)
    frame = page.locator(MAP_FRAME).element_handle(timeout=timeout).content_frame()
    frame.wait_for_function(
        "() => window.choropleth && window.choropleth.ready() && document.body.dataset.drawAt",
        timeout=timeout,
        polling=10,
    )
    return frame


def first_render(browser, url: str, sizes: list[int]) -> float:
    """Seconds from navigation start to the map drawn with values and the run finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: sizes.append(len(p))))
    page.goto(url, wait_until="commit")
    frame = map_frame(page)
    wait_idle(page)
    origin = page.evaluate("() => performance.timeOrigin")
    drawn = float(frame.evaluate("() => Number(document.body.dataset.drawAt)"))
    idle = page.evaluate("() => performance.timeOrigin + performance.now()")
    context.close()
    return max(drawn, idle - 25) / 1000 - origin / 1000  # 25 ms: the idle poll's resolution


def timed_change(page, frame, action, sockets: list) -> tuple[float, int]:
    """(seconds from the action until the map drew its new arguments, bytes received)."""
    before = frame.evaluate("() => document.body.dataset.stamp")
    received: list[int] = []

    def listener(payload) -> None:
        received.append(len(payload))

    for ws in sockets:
        ws.on("framereceived", listener)
    start = page.evaluate("() => Date.now()")
    action()
    frame.wait_for_function(
        "(s) => document.body.dataset.stamp !== s", arg=before, timeout=60_000, polling=10
    )
    drawn = float(frame.evaluate("() => Number(document.body.dataset.drawAt)"))
    wait_idle(page)
    for ws in sockets:
        ws.remove_listener("framereceived", listener)
    return (drawn - start) / 1000, sum(received)


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "all": [round(v, 3) for v in values],
    }


def counts(data_dir: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("reports", "incidents", "report_counties", "incident_counties")
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--chromium")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    data_dir = args.data_dir.resolve()
    if not (data_dir / "outages.duckdb").exists():
        raise SystemExit(f"no published database in {data_dir}")
    chromium = find_chromium(args.chromium)
    port = args.port or free_port()
    url = f"http://localhost:{port}/"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-map-serve-{port}.log"

    from playwright.sync_api import sync_playwright

    sizes: list[int] = []
    proc = start_server(data_dir, port, log)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            cold = first_render(browser, url, sizes)
            renders = [first_render(browser, url, sizes) for _ in range(args.runs)]

            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            sockets: list = []

            def on_socket(ws) -> None:
                sockets.append(ws)
                ws.on("framereceived", lambda p: sizes.append(len(p)))

            page.on("websocket", on_socket)
            page.goto(url)
            frame = map_frame(page)
            wait_idle(page)
            thumb = page.get_by_role("slider", name="Period — start")
            moves, step_bytes = [], []
            for _ in range(args.runs):
                thumb.focus()
                seconds, received = timed_change(
                    page, frame, lambda: page.keyboard.press("ArrowRight"), sockets
                )
                moves.append(seconds)
                step_bytes.append(received)
            filters = []
            for label in ["States", "Counties"] * ((args.runs + 1) // 2):
                button = page.locator(".st-key-level").get_by_text(label, exact=True)
                seconds, _ = timed_change(page, frame, button.click, sockets)
                filters.append(seconds)
            shapes = frame.evaluate(
                "() => performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes('shapes.json'))"
                ".map(e => [e.transferSize, e.decodedBodySize])"
            )
            version = browser.version
            browser.close()
    finally:
        stop_server(proc)

    result: dict[str, Any] = {
        "first_render_median_s": round(statistics.median(renders), 3),
        "first_render_cold_s": round(cold, 3),
        "slider_update_median_s": round(statistics.median(moves), 3),
        "filter_update_median_s": round(statistics.median(filters), 3),
        "largest_message_bytes": max(sizes) if sizes else 0,
        "step_bytes_median": int(statistics.median(step_bytes)),
        "first_render_s": summary(renders),
        "slider_update_s": summary(moves),
        "filter_update_s": summary(filters),
        "step_bytes": step_bytes,
        "messages": len(sizes),
        "shapes_json_bytes": {"transferred": shapes[0][0], "decoded": shapes[0][1]}
        if shapes
        else None,
        "targets": {
            "first_render_ok": statistics.median(renders) <= TARGETS["first_render_s"],
            "slider_update_ok": statistics.median(moves) <= TARGETS["update_s"],
            "largest_message_ok": (max(sizes) if sizes else 0) <= TARGETS["message_bytes"],
        },
        "data": counts(data_dir),
        "data_dir": str(data_dir),
        "runs": args.runs,
        "chromium": version,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": list(os.getloadavg()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
