"""Benchmark 4, export: CSV and Parquet of all reports, in rows per second.

    uv run python benchmarks/bench_export.py --data-dir benchmarks/out/1m/ingest

For each format, measures `warehouse.export.export_relation` in a fresh process (the
export alone, without interpreter start-up) and `outages export reports --format F -o
FILE` (the CLI, end to end), with the CPU time and max RSS of each process. Files go to
DATA_DIR-exports/ and are removed after measuring unless --keep. Target: at least
1,000,000 rows/s for Parquet.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402

TARGET_PARQUET_ROWS_S = 1_000_000
CHILD = r"""
import json, sys, time
from pathlib import Path
from warehouse.export import export_relation
t = time.perf_counter()
rows = export_relation(Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4]))
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--relation", default="reports")
    ap.add_argument("--keep", action="store_true", help="keep the exported files")
    ap.add_argument("--no-append", action="store_true")
    bl.add_code_args(ap)
    args = ap.parse_args()
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, value.resolve())
    bl.use_code(args.code)
    env = bl.bench_env(args.as_is)
    mach = bl.machine()
    out_dir = args.data_dir.with_name(args.data_dir.name + "-exports")
    out_dir.mkdir(parents=True, exist_ok=True)
    db = args.data_dir / "outages.duckdb"
    result: dict = {"benchmark": "export", "relation": args.relation, "formats": {}}
    for fmt in ("csv", "parquet"):
        target = out_dir / f"{args.relation}.{fmt}"
        inproc = bl.run_json(
            [sys.executable, "-c", CHILD, str(db), args.relation, fmt, str(target)], env=env
        )
        size = target.stat().st_size
        target.unlink()
        cli = bl.run(
            [
                bl.OUTAGES,
                "export",
                args.relation,
                "--format",
                fmt,
                "-o",
                str(target),
                "--data-dir",
                str(args.data_dir),
            ],
            env=env,
        )
        if cli["returncode"] != 0:
            raise SystemExit(cli["stderr"][-3000:])
        rows = inproc["json"]["rows"]
        seconds = inproc["json"]["seconds"]
        result["formats"][fmt] = {
            "rows": rows,
            "export_s": round(seconds, 3),
            "rows_per_s": round(rows / seconds),
            "process_cpu_s": round(inproc["cpu_user_s"] + inproc["cpu_sys_s"], 2),
            "process_max_rss_mb": inproc["max_rss_mb"],
            "file_mb": round(size / 2**20, 1),
            "cli_wall_s": cli["wall_s"],
            "cli_rows_per_s": round(rows / cli["wall_s"]),
            "cli_max_rss_mb": cli["max_rss_mb"],
        }
        if not args.keep:
            target.unlink(missing_ok=True)
    if not args.keep:
        shutil.rmtree(out_dir, ignore_errors=True)
    if not args.no_append:
        f = result["formats"]
        pq = f["parquet"]["rows_per_s"]
        targets = [
            (">= 1,000,000 rows/s for Parquet", f"{pq:,} rows/s", pq >= TARGET_PARQUET_ROWS_S)
        ]
        rows = []
        for fmt, x in f.items():
            rows.append(
                (
                    f"{fmt}: export alone",
                    f"{x['rows']:,} rows in {x['export_s']:.2f} s = "
                    f"{x['rows_per_s']:,} rows/s; {x['file_mb']} MB; process "
                    f"{x['process_cpu_s']:.1f} s CPU, {x['process_max_rss_mb']:,.0f} MB max RSS",
                )
            )
            rows.append(
                (
                    f"{fmt}: `outages export` end to end",
                    f"{x['cli_wall_s']:.2f} s = "
                    f"{x['cli_rows_per_s']:,} rows/s, {x['cli_max_rss_mb']:,.0f} MB max RSS",
                )
            )
        n = f["csv"]["rows"]
        bl.append_results(
            f"Export, {n:,} {args.relation}", bl.this_command(), mach, rows, targets, [], result
        )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
