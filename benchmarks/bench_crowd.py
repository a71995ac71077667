"""The public map under a crowd: N concurrent browser sessions against one `outages serve`.

    uv run python benchmarks/bench_crowd.py --data-dir DIR [--sessions 1,10,25,50] [--moves 5]
        [--profile [N]] [--plain] [--no-append]

For each level of `--sessions`, a fresh `outages serve` (a real Streamlit server) on a free
port, warmed by one visit (the first load builds the map's numbers for the published
version: reported apart as `cold_first_render_s`), then N sessions at once: N Playwright
browser contexts (each its own cookies, cache and WebSocket, that is, its own Streamlit
session) in ONE headless Chromium. One browser with many contexts is cheaper than N
browsers and still realistic for the server: every context is a separate visitor with an
empty cache. All N open the map together (a thundering herd, the worst case); once every
one has drawn (or failed), all N move their sliders; each

1. opens the map page: first render, navigation start until the map has drawn the outlines
   with the period's values and the app's run has finished (as bench_map.py measures it);
2. moves the Period slider `--moves` times (the keyboard, ArrowRight on the start thumb):
   each step is the time from the key press until the map has drawn the new values (the
   component stamps its body with the arguments it drew, and when);
3. errors: any console error or uncaught page error, a Streamlit exception element on the
   page, a WebSocket closed before the session ended, or a wait that timed out (180 s).

The server's RSS (psutil: `outages serve` and every descendant, summed) is taken before
the N sessions, at its peak while they run (sampled every 0.25 s), with all N still
connected, and after they closed; growth per session is (connected - before) / N. The
server's and the browser's CPU seconds are reported too: on one machine the browser
rendering N pages competes with the server for the same cores, which real visitors on their
own machines do not.

`--profile [N]` records the server under py-spy (`--gil`: the thread holding the GIL, that
is, where the server's Python CPU goes) during the level of N sessions (default: the
largest), as collapsed stacks in benchmarks/out/crowd-profile-N.txt; summarize them with
`profile_summary.py FILE` (its buckets are the crawl's; the function shares are generic).

Targets (issue 19): p95 first render < 6 s, p95 slider step < 1 s, no session errors,
server RSS growth < 30 MB per session. Prints JSON; appends a section to RESULTS.md.

`--plain` measures `streamlit run app.py` with Streamlit's defaults instead (what
`outages serve` ran before issue 19), for a before/after on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _benchlib import (  # noqa: E402
    OUT_DIR,
    ROOT,
    VENV_BIN,
    append_results,
    machine,
    percentile,
    this_command,
)
from bench_map import (  # noqa: E402
    CHROMIUM_ARGS,
    MAP_FRAME,
    counts,
    find_chromium,
    free_port,
    start_server,
    stop_server,
)

TARGETS = {"first_render_p95_s": 6.0, "step_p95_s": 1.0, "rss_mb_per_session": 30.0}
TIMEOUT_MS = 180_000  # one wait of one session; longer counts as an error
POLL_MS = 50  # 50 pages polling every 10 ms would cost the browser more than the waits
IDLE_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')"""
DRAWN_JS = "() => window.choropleth && window.choropleth.ready() && document.body.dataset.drawAt"
SLIDER = "Period — start"


# ----------------------------------------------------------------------------- processes
def tree_rss_mb(pid: int) -> float:
    """RSS of the process and all its descendants, summed (MB)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total / 1024 / 1024


def tree_cpu_s(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def server_procs(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def browser_procs(server_pid: int) -> list[psutil.Process]:
    """This benchmark's other descendants: Playwright's driver and Chromium."""
    mine = {p.pid for p in server_procs(server_pid)}
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in mine]


class RssSampler:
    """The largest tree RSS of the server seen while it runs (every `every` seconds)."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def streamlit_pid(server_pid: int) -> int:
    """The Python process that runs Streamlit (`outages serve` execs it as a child)."""
    for proc in server_procs(server_pid):
        try:
            if "streamlit" in " ".join(proc.cmdline()):
                return proc.pid
        except psutil.NoSuchProcess:
            pass
    return server_pid


def start_profile(server_pid: int, raw: Path) -> subprocess.Popen:
    """py-spy on the Streamlit process, collapsed stacks into `raw`, until stop_profile."""
    return subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(streamlit_pid(server_pid)),
            "--format",
            "raw",
            "--gil",  # only the thread holding the GIL: where the CPU goes
            "-r",
            "100",
            "-o",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_profile(spy: subprocess.Popen | None) -> None:
    if spy is None:
        return
    spy.send_signal(2)  # SIGINT: py-spy writes what it has
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()


# ----------------------------------------------------------------------------- one session
async def wait_idle(page: Any) -> None:
    await page.wait_for_function(IDLE_JS, timeout=TIMEOUT_MS, polling=POLL_MS)


async def map_frame(page: Any) -> Any:
    await page.wait_for_selector(MAP_FRAME, state="attached", timeout=TIMEOUT_MS)
    handle = await page.locator(MAP_FRAME).element_handle(timeout=TIMEOUT_MS)
    frame = await handle.content_frame()
    await frame.wait_for_function(DRAWN_JS, timeout=TIMEOUT_MS, polling=POLL_MS)
    return frame


async def open_session(browser: Any, url: str) -> dict[str, Any]:
    """A new context and page, with its error listeners; nothing loaded yet."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    state: dict[str, Any] = {
        "context": context,
        "page": page,
        "errors": [],
        "closing": False,
        "bytes": 0,
        "largest": 0,
        "sent": 0,  # messages to the server: back messages (reruns, widget values) mostly
        "requests": 0,  # HTTP requests of the page and its frames (static files included)
    }

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            state["errors"].append(f"console: {msg.text[:300]}")

    def on_socket(ws: Any) -> None:
        def frame(payload: Any) -> None:
            state["bytes"] += len(payload)
            state["largest"] = max(state["largest"], len(payload))

        def closed(_: Any) -> None:
            if not state["closing"]:
                state["errors"].append(f"websocket closed: {ws.url}")

        ws.on("framereceived", frame)
        ws.on("framesent", lambda _: state.__setitem__("sent", state["sent"] + 1))
        ws.on("close", closed)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: state["errors"].append(f"pageerror: {str(exc)[:300]}"))
    page.on("websocket", on_socket)
    page.on("request", lambda _: state.__setitem__("requests", state["requests"] + 1))
    return state


async def load_session(state: dict[str, Any], url: str) -> None:
    """Open the map page: the session's first render (or its error)."""
    page = state["page"]
    state["result"] = {"first_render_s": None, "steps_s": []}
    state["frame"] = None
    try:
        await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        frame = await map_frame(page)
        await wait_idle(page)
        origin = await page.evaluate("() => performance.timeOrigin")
        drawn = float(await frame.evaluate("() => Number(document.body.dataset.drawAt)"))
        idle = await page.evaluate("() => performance.timeOrigin + performance.now()")
        # idle is seen up to one poll late: take its earliest possible time
        state["result"]["first_render_s"] = (max(drawn, idle - POLL_MS) - origin) / 1000
        state["frame"] = frame
        state["result"]["load_messages_sent"] = state["sent"]
        state["result"]["load_requests"] = state["requests"]
    except Exception as exc:  # a timeout or a crash is this session's error, not the run's
        state["errors"].append(f"load: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")


async def move_slider(state: dict[str, Any], moves: int) -> None:
    """`moves` steps of the Period slider, each timed from the key press to the map drawn."""
    page, frame = state["page"], state["frame"]
    if frame is None:
        return
    try:
        thumb = page.get_by_role("slider", name=SLIDER)
        for _ in range(moves):
            await thumb.focus(timeout=TIMEOUT_MS)
            before = await frame.evaluate("() => document.body.dataset.stamp")
            start = await page.evaluate("() => Date.now()")
            await page.keyboard.press("ArrowRight")
            await frame.wait_for_function(
                "(s) => document.body.dataset.stamp !== s",
                arg=before,
                timeout=TIMEOUT_MS,
                polling=POLL_MS,
            )
            drawn = float(await frame.evaluate("() => Number(document.body.dataset.drawAt)"))
            state["result"]["steps_s"].append((drawn - start) / 1000)
            await wait_idle(page)
        shown = await page.locator('[data-testid="stException"]').count()
        if shown:
            state["errors"].append(f"streamlit exception shown ({shown})")
    except Exception as exc:
        state["errors"].append(f"step: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")


async def close_session(state: dict[str, Any]) -> None:
    state["closing"] = True
    with contextlib.suppress(Exception):
        await state["context"].close()


# ----------------------------------------------------------------------------- one level
def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    return {
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


class Cpu:
    """CPU seconds of the server and of the browser since the last `lap`."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.last = self._now()

    def _now(self) -> tuple[float, float]:
        return tree_cpu_s(server_procs(self.pid)), tree_cpu_s(browser_procs(self.pid))

    def lap(self) -> dict[str, float]:
        now = self._now()
        server, browser = (round(a - b, 2) for a, b in zip(now, self.last, strict=True))
        self.last = now
        return {"server_cpu_s": server, "browser_cpu_s": browser}


def start_plain_streamlit(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    """`streamlit run app.py` with Streamlit's defaults (what `outages serve` ran before
    issue 19): the comparison for `--plain`."""
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    command += ["--server.port", str(port), "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    return start_server(data_dir, port, log, command)


async def level(
    n: int, data_dir: Path, chromium: str, moves: int, profile: bool, plain: bool = False
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    port = free_port()
    url = f"http://localhost:{port}/"
    start = start_plain_streamlit if plain else start_server
    proc = start(data_dir, port, OUT_DIR / f"crowd-serve-{n}.log")
    spy = None
    try:
        async with async_playwright() as pw:
            browser = await browser_launch(pw, chromium)
            # warm: the first visit after a start builds the version's numbers (cube)
            warm = await open_session(browser, url)
            await load_session(warm, url)
            cold = warm["result"]
            await close_session(warm)
            await asyncio.sleep(2)
            rss_before = tree_rss_mb(proc.pid)
            if profile:
                spy = start_profile(proc.pid, OUT_DIR / f"crowd-profile-{n}.txt")
            states = [await open_session(browser, url) for _ in range(n)]
            cpu = Cpu(proc.pid)
            load0 = os.getloadavg()
            started = time.monotonic()
            with RssSampler(proc.pid) as sampler:
                # all N open the map at once; once every one has drawn (or failed), all N
                # move their sliders: the steps are timed under N sessions stepping, not
                # mixed with other sessions' first loads (whose cost is reported apart)
                await asyncio.gather(*(load_session(s, url) for s in states))
                load_wall = time.monotonic() - started
                load_cpu = cpu.lap()
                rss_loaded = tree_rss_mb(proc.pid)
                await asyncio.gather(*(move_slider(s, moves) for s in states))
                wall = time.monotonic() - started
                step_cpu = cpu.lap()
                rss_open = tree_rss_mb(proc.pid)
                sessions = [
                    dict(
                        s["result"],
                        errors=s["errors"],
                        ws_bytes=s["bytes"],
                        ws_largest=s["largest"],
                    )
                    for s in states
                ]
                await asyncio.gather(*(close_session(s) for s in states))
                await asyncio.sleep(2)
                rss_closed = tree_rss_mb(proc.pid)
            load1 = os.getloadavg()
            version = browser.version
            await browser.close()
    finally:
        stop_profile(spy)
        stop_server(proc)
    renders = [s["first_render_s"] for s in sessions if s["first_render_s"] is not None]
    steps = [t for s in sessions for t in s["steps_s"]]
    errors = [e for s in sessions for e in s["errors"]]
    failed = sum(1 for s in sessions if s["errors"])
    result: dict[str, Any] = {
        "sessions": n,
        "cold_first_render_s": round(cold["first_render_s"] or -1, 3),
        "cold_errors": warm["errors"],
        "first_render_s": summary(renders),
        "step_s": summary(steps),
        "steps_expected": n * moves,
        "sessions_with_errors": failed,
        "errors": dict(Counter(errors).most_common(10)),
        "rss_mb": {
            "before": round(rss_before, 1),
            "peak": round(sampler.peak, 1),
            "connected": round(rss_open, 1),
            "after_close": round(rss_closed, 1),
        },
        "rss_growth_mb_per_session": round((rss_open - rss_before) / n, 2),
        "rss_loaded_mb": round(rss_loaded, 1),
        "server_cpu_s": round(load_cpu["server_cpu_s"] + step_cpu["server_cpu_s"], 1),
        "browser_cpu_s": round(load_cpu["browser_cpu_s"] + step_cpu["browser_cpu_s"], 1),
        "server_cpu_ms_per_first_render": round(1000 * load_cpu["server_cpu_s"] / n),
        "server_cpu_ms_per_step": round(1000 * step_cpu["server_cpu_s"] / max(1, n * moves)),
        "browser_cpu_ms_per_first_render": round(1000 * load_cpu["browser_cpu_s"] / n),
        "load_phase_wall_s": round(load_wall, 1),
        "wall_s": round(wall, 1),
        "ws_bytes_per_session_median": int(percentile([s["ws_bytes"] for s in sessions], 50)),
        "ws_largest_message_bytes": max(s["ws_largest"] for s in sessions),
        "first_render_messages_sent_median": percentile(
            [s.get("load_messages_sent", 0) for s in sessions], 50
        ),
        "first_render_http_requests_median": percentile(
            [s.get("load_requests", 0) for s in sessions], 50
        ),
        "load_average_before": [round(x, 2) for x in load0],
        "load_average_after": [round(x, 2) for x in load1],
        "chromium": version,
    }
    if spy is not None:
        result["profile"] = str(OUT_DIR / f"crowd-profile-{n}.txt")
    return result


async def browser_launch(pw: Any, chromium: str) -> Any:
    return await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)


def ok(level_result: dict[str, Any]) -> dict[str, bool]:
    fr, st = level_result["first_render_s"]["p95"], level_result["step_s"]["p95"]
    return {
        "first_render": fr is not None and fr < TARGETS["first_render_p95_s"],
        "step": st is not None and st < TARGETS["step_p95_s"],
        "errors": level_result["sessions_with_errors"] == 0
        and level_result["step_s"]["n"] == level_result["steps_expected"],
        "rss": level_result["rss_growth_mb_per_session"] < TARGETS["rss_mb_per_session"],
    }


def table(levels: list[dict[str, Any]]) -> str:
    head = (
        "| sessions | first render p50 / p95 | slider step p50 / p95 | sessions with errors "
        "| server RSS before / connected | growth per session | server / browser CPU s "
        "| server CPU per first render / per step |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in levels:
        fr, st, rss = r["first_render_s"], r["step_s"], r["rss_mb"]
        lines.append(
            f"| {r['sessions']} | {fr['p50']} / {fr['p95']} s | {st['p50']} / {st['p95']} s "
            f"| {r['sessions_with_errors']} | {rss['before']} / {rss['connected']} MB "
            f"| {r['rss_growth_mb_per_session']} MB | {r['server_cpu_s']} / "
            f"{r['browser_cpu_s']} | {r['server_cpu_ms_per_first_render']} / "
            f"{r['server_cpu_ms_per_step']} ms |"
        )
    return "\n".join(lines)


def targets_rows(levels: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """The four targets of issue 19 at every level, for RESULTS.md."""
    rows = []
    for r in levels:
        good = r["targets_ok"]
        rows += [
            (
                f"{r['sessions']} sessions: p95 first render < 6 s",
                f"{r['first_render_s']['p95']} s",
                good["first_render"],
            ),
            (
                f"{r['sessions']} sessions: p95 slider step < 1 s",
                f"{r['step_s']['p95']} s",
                good["step"],
            ),
            (
                f"{r['sessions']} sessions: no session errors",
                f"{r['sessions_with_errors']} of {r['sessions']}",
                good["errors"],
            ),
            (
                f"{r['sessions']} sessions: server RSS growth < 30 MB/session",
                f"{r['rss_growth_mb_per_session']} MB",
                good["rss"],
            ),
        ]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--sessions", default="1,10,25,50", help="comma-separated levels")
    ap.add_argument("--moves", type=int, default=5)
    ap.add_argument(
        "--client",
        choices=("browser", "protocol"),
        default="browser",
        help="browser: Playwright contexts in Chromium; protocol: Streamlit's WebSocket "
        "protocol spoken without rendering (bench_crowd_protocol.py)",
    )
    ap.add_argument(
        "--static",
        action="store_true",
        help="protocol client: also fetch the static files the page names, counted apart",
    )
    ap.add_argument(
        "--compare-browser",
        action="store_true",
        help="protocol client: at the first level, one browser session and one protocol "
        "session on the warm server, their map payloads compared",
    )
    ap.add_argument("--chromium")
    ap.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=-1,
        metavar="N",
        help="py-spy the server during the level of N sessions (no N: the largest)",
    )
    ap.add_argument(
        "--plain",
        action="store_true",
        help="measure `streamlit run app.py` with Streamlit's defaults instead of outages serve",
    )
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    data_dir = args.data_dir.resolve()
    if not (data_dir / "outages.duckdb").exists():
        raise SystemExit(f"no published database in {data_dir}")
    protocol = args.client == "protocol"
    chromium = find_chromium(args.chromium) if not protocol or args.compare_browser else None
    sizes = [int(s) for s in args.sessions.split(",") if s.strip()]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    mach = machine()
    levels = []
    for index, n in enumerate(sizes):
        profiled = args.profile is not None and n == (
            max(sizes) if args.profile == -1 else args.profile
        )
        if protocol:
            import bench_crowd_protocol

            compare = chromium if args.compare_browser and index == 0 else None
            r = asyncio.run(
                bench_crowd_protocol.level(
                    n, data_dir, args.moves, profiled, args.plain, args.static, compare
                )
            )
        else:
            r = asyncio.run(level(n, data_dir, chromium, args.moves, profiled, args.plain))
        r["targets_ok"] = ok(r)
        levels.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    result = {
        "levels": levels,
        "client": args.client,
        "data": counts(data_dir),
        "data_dir": str(data_dir),
        "moves": args.moves,
        "server": "streamlit run app.py (defaults)" if args.plain else "outages serve",
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=1))
    levels_table = bench_crowd_protocol.table(levels) if protocol else table(levels)
    print(levels_table, file=sys.stderr)
    if args.no_append:
        return
    top = levels[-1]
    if protocol:
        title = (
            f"The public map under a crowd, protocol client: {args.sessions} concurrent "
            "sessions (issue 19)"
        )
        how = [
            f"{args.moves} slider moves per session; N sessions speaking Streamlit's WebSocket "
            "protocol from one asyncio process (bench_crowd_protocol.py: no browser, nothing "
            "rendered), all started together; a fresh `outages serve` per level, warmed by "
            "one session (the cube built) before the crowd",
            "first render: the page's GET until the first run's script_finished; map payload: "
            "until the map component's delta (its args) arrived; step: the rerun sent until "
            "its script_finished and the map's new delta",
            "static files: "
            + (
                "fetched (the page's bundle entry, preloads and stylesheet before the "
                "socket; the map component's files after its delta), counted apart"
                if args.static
                else "not fetched (the server's HTTP work for a first visit is not in these "
                "figures)"
            ),
            "not measured: the browser's own work (running the frontend, layout, drawing the "
            "map), the bundle's lazily loaded chunks",
        ]
        comparison = levels[0].get("browser_comparison")
        if comparison:
            how.append(
                "one browser session against one protocol session on the warm server of the "
                f"first level: map payload equal at the first render "
                f"{comparison['first_map_equal']}, after one step "
                f"{comparison['step_map_equal']}; first render browser / protocol "
                f"{_round(comparison['browser']['first_render_s'])} / "
                f"{_round(comparison['protocol']['first_render_s'])} s, step "
                f"{_round_list(comparison['browser']['step_s'])} / "
                f"{_round_list(comparison['protocol']['step_s'])} s"
            )
    else:
        title = f"The public map under a crowd: {args.sessions} concurrent sessions (issue 19)"
        how = [
            f"{args.moves} slider moves per session; one headless Chromium, one context per "
            "session, all started together; a fresh `outages serve` per level, warmed by one "
            "visit (the cube built) before the crowd",
            "the browser runs on the same cores as the server (its CPU seconds are in the "
            "table): the figures are pessimistic for visitors on their own machines",
        ]
    append_results(
        title + (", plain `streamlit run app.py` for comparison" if args.plain else ""),
        this_command(),
        mach,
        [],
        targets_rows(levels),
        [
            "per level:\n\n" + levels_table + "\n",
            *how,
            f"load average at the end: {result['load_average_end']}; during the largest "
            f"level {top['load_average_before']} -> {top['load_average_after']}",
        ],
        result,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _round_list(values: list[float] | None) -> list[float]:
    return [round(v, 3) for v in values or []]


if __name__ == "__main__":
    main()
