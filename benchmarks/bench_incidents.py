"""Benchmark 2, incidents: rebuild everything derived from the reports of a crawled database.

    uv run python benchmarks/bench_incidents.py --from-dir benchmarks/out/1m/ingest

Copies the working database of a crawled data dir (bench_ingest's) to a scratch dir, then,
in a fresh process, runs `warehouse.build.build` on it (alert threads by union-find, thread
SQL, report counties, incidents, views) with each step timed, then `publish`. Reports
wall time, CPU time and max RSS of that process; also runs `outages build` (reference
tables, build, publish through the CLI) for the end-to-end figure. Targets: the build from
1,000,000 reports in under 60 s, under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402

TARGET_S = 60
TARGET_RSS_MB = 2048

# Runs in the measured child process: build() with its steps timed by wrapping the module
# functions it calls (looked up at call time), then publish().
CHILD = r"""
import json, sys, time
from pathlib import Path
import warehouse.build as b
import warehouse.incidents as inc
from warehouse.db import DataDir, work_connection
from warehouse.publish import publish

timings = {}
def timed(name, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
    return wrapper

for name in ("thread_ids", "build_incidents", "create_views"):
    setattr(b, name, timed(name, getattr(b, name)))
_run_sql = b.run_sql_file
b.run_sql_file = lambda con, path: timed("sql " + Path(path).name, _run_sql)(con, path)
for name in ("cluster", "incident_facts", "reference_maps"):
    setattr(inc, name, timed("incidents." + name, getattr(inc, name)))

ddir = DataDir.resolve(sys.argv[1])
t0 = time.perf_counter()
con = work_connection(ddir)
t1 = time.perf_counter()
counts = b.build(con)
t2 = time.perf_counter()
publish(con, ddir)
t3 = time.perf_counter()
outage_reports = con.execute("SELECT count(*) FROM reports WHERE is_outage").fetchall()[0][0]
print(json.dumps({"open_s": round(t1 - t0, 3), "build_s": round(t2 - t1, 3),
                  "publish_s": round(t3 - t2, 3), "counts": counts,
                  "outage_reports": outage_reports,
                  "steps_s": {k: round(v, 3) for k, v in timings.items()}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from-dir", type=Path, required=True, help="a crawled data dir")
    ap.add_argument("--scratch", type=Path, help="default FROM_DIR-incidents")
    bl.add_code_args(ap)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, value.resolve())
    scratch = args.scratch or args.from_dir.with_name(args.from_dir.name + "-incidents")
    bl.use_code(args.code)
    env = bl.bench_env(args.as_is)
    mach = bl.machine()

    def fresh_copy() -> None:
        if scratch.exists():
            shutil.rmtree(scratch)
        (scratch / "work").mkdir(parents=True)
        shutil.copy2(args.from_dir / "work" / "warehouse.duckdb", scratch / "work")

    fresh_copy()
    step = bl.run_json([sys.executable, "-c", CHILD, str(scratch)], env=env)
    fresh_copy()
    cli = bl.run([bl.OUTAGES, "build", "--data-dir", str(scratch)], env=env)
    if cli["returncode"] != 0:
        raise SystemExit(cli["stderr"][-3000:])
    child = step["json"]
    reports = child["counts"]["reports"]
    result = {
        "benchmark": "incidents",
        "reports": reports,
        "outage_reports": child["outage_reports"],
        "incidents": child["counts"]["incidents"],
        "build_s": child["build_s"],
        "publish_s": child["publish_s"],
        "steps_s": child["steps_s"],
        "process": {k: v for k, v in step.items() if k not in ("json", "stdout")},
        "cli_build": bl.strip_output(cli),
    }
    if not args.no_append:
        rss = step["max_rss_mb"]
        targets = [
            ("build < 60 s", f"{child['build_s']:.1f} s", child["build_s"] < TARGET_S),
            ("max RSS < 2 GB", f"{rss:,.0f} MB (build + publish process)", rss < TARGET_RSS_MB),
        ]
        rows = [
            (
                "reports (outage reports) -> incidents",
                f"{reports:,} ({child['outage_reports']:,}) -> {child['counts']['incidents']:,}",
            ),
            ("build steps", ", ".join(f"{k} {v:.2f} s" for k, v in child["steps_s"].items())),
            ("publish (after build)", f"{child['publish_s']:.1f} s"),
            (
                "`outages build` end to end (CLI: reference tables, build, publish)",
                f"{cli['wall_s']:.1f} s wall, {cli['cpu_user_s'] + cli['cpu_sys_s']:.1f} s CPU, "
                f"{cli['max_rss_mb']:,.0f} MB max RSS",
            ),
        ]
        bl.append_results(
            f"Incidents (build), {reports:,} reports",
            bl.this_command(),
            mach,
            rows,
            targets,
            [],
            result,
        )
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
