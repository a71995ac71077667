"""Benchmark 6, re-crawl: a second replay of the same archive changes nothing and is fast.

    uv run python benchmarks/bench_recrawl.py --data benchmarks/out/1m
    uv run python benchmarks/bench_recrawl.py --data benchmarks/out/1m \
        --reuse benchmarks/out/1m/ingest --first-seconds 812.4     # after bench_ingest

Without `--reuse`: replays the archive into a fresh data dir (first crawl), takes a
content fingerprint of the published database, replays the same archive into the same
data dir again (second crawl) and compares. With `--reuse DIR --first-seconds S`: DIR
already holds the first crawl (e.g. bench_ingest's) and S is its wall time from the same
run of run_all.py; only the second crawl is run here.

"Changes nothing": the same rows in `reports` (every column except `loaded_at` and
`crawl_run_id`, which say when and by which run a row was last written), `report_counties`,
`incidents` and `incident_counties`, and no new `crawl_errors`. Target: the second crawl
takes at most a third of the first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402
from bench_ingest import crawl_command  # noqa: E402

TARGET_FRACTION = 1 / 3
FINGERPRINT = {
    "reports": "SELECT * EXCLUDE (loaded_at, crawl_run_id) FROM reports",
    "report_counties": "SELECT * FROM report_counties",
    "incidents": "SELECT * FROM incidents",
    "incident_counties": "SELECT * FROM incident_counties",
    "crawl_errors": "SELECT error_id, spider, url, stage, error_type, message FROM crawl_errors",
}


def fingerprint(data_dir: Path) -> dict:
    import duckdb

    out = {}
    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        for name, sql in FINGERPRINT.items():
            n, h = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM ({sql}) AS t").fetchall()[0]
            out[name] = {"rows": n, "hash": str(h)}
        out["crawl_runs"] = con.execute("SELECT count(*) FROM crawl_runs").fetchall()[0][0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the OUT folder of generate.py")
    ap.add_argument("--data-dir", type=Path, help="default DATA/recrawl")
    ap.add_argument("--reuse", type=Path, help="a data dir that already holds the first crawl")
    ap.add_argument("--first-seconds", type=float, help="wall time of that first crawl")
    ap.add_argument("--first-max-rss-mb", type=float)
    ap.add_argument("--first-cpu-seconds", type=float, help="user+sys CPU of that first crawl")
    bl.add_code_args(ap)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, value.resolve())
    if bool(args.reuse) != bool(args.first_seconds):
        ap.error("--reuse and --first-seconds go together")

    manifest = json.loads((args.data / "manifest.json").read_text())
    archive = args.data / manifest["archive"]
    bl.use_code(args.code)
    env = bl.bench_env(args.as_is)
    mach = bl.machine()
    if not args.as_is:
        bl.warm_bytecode(env)

    if args.reuse:
        data_dir = args.reuse
        first = {
            "wall_s": args.first_seconds,
            "max_rss_mb": args.first_max_rss_mb,
            "cpu_s": args.first_cpu_seconds,
            "reused": str(args.reuse),
        }
    else:
        data_dir = args.data_dir or args.data / "recrawl"
        if data_dir.exists():
            shutil.rmtree(data_dir)
        first = bl.strip_output(bl.run(crawl_command(archive, data_dir), env=env))
        if first["returncode"] != 0:
            raise SystemExit(f"first crawl failed:\n{first['stderr']}")
    before = fingerprint(data_dir)
    second = bl.strip_output(bl.run(crawl_command(archive, data_dir), env=env))
    if second["returncode"] != 0:
        raise SystemExit(f"second crawl failed:\n{second['stderr']}")
    after = fingerprint(data_dir)

    changed = [k for k in FINGERPRINT if before[k] != after[k]]
    fraction = second["wall_s"] / first["wall_s"]
    if first.get("cpu_s") is None and "cpu_user_s" in first:
        first["cpu_s"] = round(first["cpu_user_s"] + first["cpu_sys_s"], 1)
    cpu2 = round(second["cpu_user_s"] + second["cpu_sys_s"], 1)
    cpu_fraction = cpu2 / first["cpu_s"] if first.get("cpu_s") else None
    result = {
        "benchmark": "recrawl",
        "alerts": manifest["messages"],
        "first": first,
        "second": second,
        "second_over_first": round(fraction, 3),
        "second_over_first_cpu": round(cpu_fraction, 3) if cpu_fraction else None,
        "changed_tables": changed,
        "fingerprint_before": before,
        "fingerprint_after": after,
    }
    if not args.no_append:
        targets = [
            (
                "second replay changes nothing",
                "no change" if not changed else "changed: " + ", ".join(changed),
                not changed,
            ),
            (
                "second replay <= 1/3 of the first",
                f"{fraction:.2f} of the first "
                f"({second['wall_s']:.1f} s vs {first['wall_s']:.1f} s)",
                fraction <= TARGET_FRACTION,
            ),
        ]
        rows = [
            ("alerts", f"{manifest['messages']:,}"),
            (
                "first replay wall",
                f"{first['wall_s']:.1f} s"
                + (" (from bench_ingest, same run)" if args.reuse else ""),
            ),
            (
                "second replay wall, CPU, max RSS",
                f"{second['wall_s']:.1f} s, {cpu2:.1f} s, {second['max_rss_mb']:,.0f} MB",
            ),
            ("crawl_runs after", after["crawl_runs"]),
            (
                "second replay, as the CLI put it",
                next(
                    (line for line in second["stderr"].splitlines() if " reports · " in line),
                    "?",
                ),
            ),
        ]
        if cpu_fraction:
            rows.append(
                (
                    "second over first in CPU time (steadier under load than wall)",
                    f"{cpu_fraction:.2f} ({cpu2:.0f} s / {first['cpu_s']:.0f} s)",
                )
            )
        bl.append_results(
            f"Re-crawl, {manifest['messages']:,} alerts",
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
