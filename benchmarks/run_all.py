"""Run every benchmark of issue 6 in one go, on one snapshot of the code.

    uv run python benchmarks/run_all.py --alerts 1000000 [--profile]
    uv run python benchmarks/run_all.py --quick      # 100,000 alerts, fewer runs: < 15 min

1. snapshot the project's code (benchmarks/out/code/<time>/; the tree is shared and edited
   while benchmarks run) and smoke-test it on a tiny generated archive, retrying a few
   times if the tree is mid-change;
2. generate the data (skipped when OUT/manifest.json already has the same parameters);
3. ingest (bench_ingest.py, with --profile if asked), incidents, queries, export, map
   (benchmarks/bench_map.py, written by the app developer, when present), and last the
   re-crawl (a second replay into the ingest's data dir, compared with the ingest's time).
Each script appends its own section to RESULTS.md; this one prints a summary at the end.

`--quick` is the same sequence at a smaller scale for a check after a change: 100,000 alerts
unless --alerts says otherwise, 5 timed runs per query after 1 warm-up with a 10 s budget
per query and engine, 3 map runs, the load benchmark at 200,000 reports; no profile.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402

HERE = bl.BENCH_DIR
MAP_TARGET_FIRST_S = 3.0
MAP_TARGET_UPDATE_S = 0.5
# --quick: the scale and repetitions of a pass that finishes in under 15 minutes here.
QUICK_ALERTS = 100_000
QUICK_QUERY_ARGS = ("--runs", "5", "--warmup", "1", "--min-runs", "3", "--budget", "10")
QUICK_MAP_RUNS = 3
QUICK_LOAD_REPORTS = 200_000


NO_APPEND: list[str] = []


def script(name: str, *args: str, code: Path | None = None, check: bool = True) -> dict:
    cmd = [sys.executable, str(HERE / name), *args, *NO_APPEND]
    if code:
        cmd += ["--code", str(code)]
    print(f"\n=== {' '.join(cmd)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=bl.ROOT, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-3000:])
    if proc.returncode != 0:
        if check:
            raise SystemExit(f"{name} failed ({proc.returncode})")
        return {"failed": proc.returncode, "stderr": proc.stderr[-3000:]}
    text = proc.stdout.strip()
    try:
        out = json.loads(text[text.find("{") :])
    except ValueError:
        out = {"stdout": text[-3000:]}
    out["_seconds"] = round(time.monotonic() - started, 1)
    return out


def smoke(code: Path, out: Path) -> bool:
    """A tiny replay through the snapshot: does this version of the tree run at all?"""
    tiny = out / "smoke"
    if not (tiny / "manifest.json").exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                "--alerts",
                "600",
                "--seed",
                "7",
                "--start",
                "2024-04-10",
                "--end",
                "2024-04-20",
                "--out",
                str(tiny),
            ],
            check=True,
            capture_output=True,
            cwd=bl.ROOT,
        )
    bl.use_code(code)
    env = bl.bench_env()
    data_dir = tiny / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    res = bl.run(
        [
            bl.OUTAGES,
            "crawl",
            "openfema_ipaws",
            "--replay",
            str(tiny / "archive" / "openfema-bench.warc.gz"),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
    )
    if res["returncode"] != 0:
        print(f"smoke test failed on {code}:\n{res['stderr'][-2000:]}", file=sys.stderr)
    return res["returncode"] == 0


def map_section(data_dir: Path, code: Path | None, runs: int | None = None) -> dict:
    path = HERE / "bench_map.py"
    if not path.exists():
        return {"skipped": "benchmarks/bench_map.py is not there yet (the app developer writes it)"}
    mach = bl.machine()
    cmd = [sys.executable, str(path), "--data-dir", str(data_dir)]
    if runs:
        cmd += ["--runs", str(runs)]
    res = bl.run(cmd, env=bl.bench_env(), cwd=bl.ROOT)
    if res["returncode"] != 0:
        result = {"failed": res["returncode"], "stderr": res["stderr"][-3000:]}
        bl.append_results(
            "Map",
            "uv run python " + " ".join(cmd[1:]),
            mach,
            [],
            [],
            ["bench_map.py failed"],
            result,
        )
        return result
    text = res["stdout"].strip()
    result = json.loads(text[text.find("{") :])

    def find(*words: str):
        for k, v in result.items():
            if all(w in k.lower() for w in words) and isinstance(v, int | float):
                return k, v
        return None, None

    def key(exact: str, *words: str):
        if isinstance(result.get(exact), int | float):
            return exact, result[exact]
        return find(*words)

    k1, first = key("first_render_median_s", "first")
    k2, update = key("slider_update_median_s", "slider")
    k3, largest = key("largest_message_bytes", "largest")
    targets = []
    if first is not None:
        first_s = first / 1000 if "ms" in k1 else first
        targets.append(
            (
                f"first full render <= {MAP_TARGET_FIRST_S:g} s (median of 5)",
                f"{first_s:.2f} s ({k1})",
                first_s <= MAP_TARGET_FIRST_S,
            )
        )
    if update is not None:
        update_s = update / 1000 if "ms" in k2 else update
        targets.append(
            (
                f"update after a slider move <= {MAP_TARGET_UPDATE_S:g} s",
                f"{update_s:.2f} s ({k2})",
                update_s <= MAP_TARGET_UPDATE_S,
            )
        )
    rows = [("largest Streamlit message", f"{largest:,} ({k3})")] if largest is not None else []
    for extra in ("first_render_cold_s", "filter_update_median_s", "step_bytes_median"):
        if isinstance(result.get(extra), int | float):
            rows.append((extra, f"{result[extra]:,}"))
    rows.append(
        (
            "bench_map.py process",
            f"{res['wall_s']:.1f} s wall, "
            f"{res['max_rss_mb']:,.0f} MB max RSS (largest process of its tree)",
        )
    )
    bl.append_results(
        "Map (bench_map.py)",
        "uv run python "
        + " ".join(
            str(Path(c).relative_to(bl.ROOT)) if str(c).startswith(str(bl.ROOT)) else c
            for c in cmd[1:]
        ),
        mach,
        rows,
        targets,
        [],
        result,
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, help="default 1,000,000 (--quick: 100,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="default benchmarks/out/<alerts>")
    ap.add_argument("--profile", action="store_true", help="profile the ingest with py-spy")
    ap.add_argument("--runs", type=int, help="timed runs per query (default 30)")
    ap.add_argument(
        "--quick", action="store_true", help="smaller scale and fewer runs (under 15 min here)"
    )
    ap.add_argument("--code", type=Path, help="an existing snapshot to use")
    ap.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=["ingest", "incidents", "queries", "export", "map", "recrawl", "load"],
    )
    ap.add_argument("--no-append", action="store_true", help="do not write RESULTS.md")
    args = ap.parse_args()
    if args.no_append:
        NO_APPEND.append("--no-append")
    if args.alerts is None:
        args.alerts = QUICK_ALERTS if args.quick else 1_000_000
    if args.quick:
        args.profile = False
        query_args = list(QUICK_QUERY_ARGS)
        if args.runs:
            query_args[1] = str(args.runs)
    else:
        query_args = ["--runs", str(args.runs or 30)]
    out = (args.out or bl.OUT_DIR / f"{args.alerts}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = ["ingest", "incidents", "queries", "export", "map", "recrawl", "load"]
    only = set(args.only or steps)

    code = args.code.resolve() if args.code else None
    if code is None:
        for attempt in range(10):
            code = Path(bl.snapshot_code()["path"])
            if smoke(code, bl.OUT_DIR):
                break
            print(
                f"attempt {attempt + 1}: the tree does not run now; retrying in 60 s",
                file=sys.stderr,
            )
            time.sleep(60)
        else:
            raise SystemExit("no runnable snapshot of the tree")
    bl.use_code(code)
    print(f"code snapshot: {code}", file=sys.stderr)

    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if manifest.get("alerts") != args.alerts or manifest.get("seed") != args.seed:
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                "--alerts",
                str(args.alerts),
                "--seed",
                str(args.seed),
                "--out",
                str(out),
            ],
            check=True,
            cwd=bl.ROOT,
            stdout=subprocess.DEVNULL,
        )

    results: dict = {}
    ingest_dir = out / "ingest"
    if "ingest" in only:
        extra = ["--profile"] if args.profile else []
        results["ingest"] = script("bench_ingest.py", "--data", str(out), *extra, code=code)
    if "incidents" in only:
        results["incidents"] = script(
            "bench_incidents.py", "--from-dir", str(ingest_dir), code=code
        )
    if "queries" in only:
        results["queries"] = script(
            "bench_queries.py", "--data-dir", str(ingest_dir), *query_args, code=code
        )
    if "export" in only:
        results["export"] = script("bench_export.py", "--data-dir", str(ingest_dir), code=code)
    if "map" in only and not args.no_append:
        results["map"] = map_section(ingest_dir, code, QUICK_MAP_RUNS if args.quick else None)
    if "recrawl" in only:
        first = results.get("ingest")
        if first:
            results["recrawl"] = script(
                "bench_recrawl.py",
                "--data",
                str(out),
                "--reuse",
                str(ingest_dir),
                "--first-seconds",
                str(first["wall_s"]),
                "--first-max-rss-mb",
                str(first["max_rss_mb"]),
                "--first-cpu-seconds",
                str(first["cpu_s"]),
                code=code,
            )
        else:
            results["recrawl"] = script("bench_recrawl.py", "--data", str(out), code=code)
    if "load" in only:
        reports = QUICK_LOAD_REPORTS if args.quick else 1_000_000
        results["load"] = script("bench_load.py", "--reports", str(reports), code=code)
    (out / "run_all.json").write_text(json.dumps(results, indent=1, default=str))
    print(
        json.dumps(
            {
                k: {kk: vv for kk, vv in v.items() if not isinstance(vv, dict | list)}
                for k, v in results.items()
            },
            indent=1,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
