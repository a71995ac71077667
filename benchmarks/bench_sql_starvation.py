"""Can hostile SQL tabs starve an ordinary visitor? (issue 17)

    uv run python benchmarks/bench_sql_starvation.py --data-dir DIR [--runs 5] [--hostile 4]

Starts `outages serve` on a free port, then in one run, side by side:

1. idle: an ordinary visitor's map page first render in headless Chromium (the same
   measure as bench_map.py: navigation start until the map has drawn and the run has
   finished), `--runs` times, and the health check `/_stcore/health`;
2. under attack: `--hostile` client processes, each a Chromium tab that opens the SQL page
   with `SELECT NULL, NULL, ... (1,000 columns) FROM range(N)` again and again, a new N each
   time so no cache helps; the same visitor measures are taken meanwhile.

Reports the medians and the ratio attack / idle. Target: the map render within 2x idle.

On one machine the hostile tabs' own browsers compete with the server and the visitor for
the same cores, which a real attack from elsewhere does not. Two options separate that:

- ``--attack light``: the control. The same tabs reopen the SQL page with a trivial query
  (``SELECT n``), so what remains is the cost of 4 browsers reloading any page.
- ``--pin``: the hostile browsers run on the last CPU only, the server (with its query
  workers) and the visitor's browser on the others, so the ratio measures what the
  server's work for the attack costs the visitor, not the attackers' rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchlib import OUT_DIR, append_results, machine, this_command  # noqa: E402
from bench_map import (  # noqa: E402
    CHROMIUM_ARGS,
    find_chromium,
    first_render,
    free_port,
    start_server,
    stop_server,
    wait_idle,
)

TARGET_RATIO = 2.0


def heavy_sql(n: int) -> str:
    return "SELECT " + ", ".join(["NULL"] * 1000) + f" FROM range({n})"


def light_sql(n: int) -> str:
    return f"SELECT {n} AS n"


ATTACKS = {"heavy": heavy_sql, "light": light_sql}


def cpu_split() -> tuple[set[int], set[int]]:
    """(CPUs for the server and the visitor, CPUs for the hostile browsers)."""
    # every CPU of the machine, not this process's affinity: a hostile client is started
    # by the benchmark after it pinned itself to the server's share
    cpus = list(range(os.cpu_count() or 1))
    if len(cpus) < 2:
        raise SystemExit("--pin needs at least 2 CPUs")
    return set(cpus[:-1]), {cpus[-1]}


def hostile_client(
    base: str, chromium: str, seconds: float, seed: int, attack: str = "heavy"
) -> None:
    """One hostile tab: open the SQL page with a new query until time is up."""
    from playwright.sync_api import sync_playwright

    make_sql = ATTACKS[attack]
    deadline = time.monotonic() + seconds
    done = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        n = 10_000 + seed * 100_000
        while time.monotonic() < deadline:
            n += 1
            context = browser.new_context()
            page = context.new_page()
            try:
                page.goto(f"{base}sql?sql={quote(make_sql(n), safe='')}", wait_until="commit")
                page.wait_for_timeout(300)
                wait_idle(page, timeout=60_000)
                done += 1
            except Exception:  # a timed-out attack is still an attack
                pass
            context.close()
        browser.close()
    print(json.dumps({"queries": done}))


def health_seconds(base: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{base}_stcore/health", timeout=60):
        pass
    return time.monotonic() - started


def visitor(browser, base: str, runs: int) -> dict[str, list[float]]:
    sizes: list[int] = []
    renders, health = [], []
    for _ in range(runs):
        health.append(health_seconds(base))
        renders.append(first_render(browser, base, sizes))
    return {"render_s": renders, "health_s": health}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--hostile", type=int, default=4)
    ap.add_argument("--chromium")
    ap.add_argument("--attack", choices=sorted(ATTACKS), default="heavy")
    ap.add_argument("--pin", action="store_true", help="hostile browsers on their own CPU")
    ap.add_argument("--no-append", action="store_true")
    ap.add_argument(
        "--client", nargs=3, metavar=("BASE", "SECONDS", "SEED"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    chromium = find_chromium(args.chromium)
    if args.client:
        if args.pin:
            os.sched_setaffinity(0, cpu_split()[1])  # the browser it starts inherits it
        hostile_client(
            args.client[0], chromium, float(args.client[1]), int(args.client[2]), args.attack
        )
        return
    if args.data_dir is None:
        ap.error("--data-dir is required")
    from playwright.sync_api import sync_playwright

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://localhost:{port}/"
    if args.pin:  # the server, its query workers and the visitor's browser inherit it
        os.sched_setaffinity(0, cpu_split()[0])
    proc = start_server(args.data_dir.resolve(), port, OUT_DIR / "sql-starvation-serve.log")
    clients: list[subprocess.Popen] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            first_render(browser, base, [])  # warm: the first load builds the map's numbers
            idle = visitor(browser, base, args.runs)
            seconds = 30 + 15 * args.runs
            clients = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--client",
                        base,
                        str(seconds),
                        str(i),
                        "--attack",
                        args.attack,
                        *(["--pin"] if args.pin else []),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for i in range(args.hostile)
            ]
            time.sleep(8)  # the tabs are running their queries
            attack = visitor(browser, base, args.runs)
            browser.close()
        hostile_done = []
        for client in clients:
            # each tab stops at its own deadline (after the visitor's measures) and says
            # how many pages it loaded; a tab can be 60 s into its last page
            out, _ = client.communicate(timeout=seconds + 120)
            lines = out.strip().splitlines()
            hostile_done.append(json.loads(lines[-1])["queries"] if lines else None)
        if not all(hostile_done):  # an attack that did not run measures nothing
            raise SystemExit(f"a hostile client loaded no page: {hostile_done}")
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        stop_server(proc)
    med = {k: statistics.median(v) for k, v in idle.items()}
    med_attack = {k: statistics.median(v) for k, v in attack.items()}
    ratio = med_attack["render_s"] / med["render_s"]
    result = {
        "idle_render_median_s": round(med["render_s"], 3),
        "attack_render_median_s": round(med_attack["render_s"], 3),
        "render_ratio": round(ratio, 2),
        "idle_health_median_s": round(med["health_s"], 4),
        "attack_health_median_s": round(med_attack["health_s"], 4),
        "hostile_clients": args.hostile,
        "attack_kind": args.attack,
        "pinned": args.pin,
        "hostile_queries": hostile_done,
        "idle": idle,
        "attack": attack,
    }
    print(json.dumps(result, indent=1))
    if not args.no_append:
        append_results(
            f"SQL starvation: {args.hostile} {args.attack} SQL tabs vs one map visitor"
            + (", attackers pinned to their own CPU" if args.pin else "")
            + " (issue 17)",
            this_command(),
            machine(),
            [
                ("map render idle, median", f"{med['render_s']:.2f} s"),
                ("map render under attack, median", f"{med_attack['render_s']:.2f} s"),
                (
                    "health idle / under attack",
                    f"{med['health_s']:.3f} s / {med_attack['health_s']:.3f} s",
                ),
            ],
            [
                (
                    f"map render under attack <= {TARGET_RATIO:g}x idle",
                    f"{ratio:.2f}x",
                    ratio <= TARGET_RATIO,
                )
            ],
            [
                f"{args.hostile} hostile Chromium tabs, each reopening the SQL page with "
                + (
                    "a 1,000-column query over a new range"
                    if args.attack == "heavy"
                    else "a trivial query (the control: the cost of the browsers alone)"
                )
                + (
                    "; the hostile browsers on their own CPU, the server and the visitor "
                    "on the others"
                    if args.pin
                    else "; everything shares every CPU"
                )
            ],
            result,
        )


if __name__ == "__main__":
    main()
