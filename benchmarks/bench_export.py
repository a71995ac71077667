"""Benchmark 4, export: CSV and Parquet of all reports, in rows per second.

    uv run python benchmarks/bench_export.py --data-dir benchmarks/out/1m/ingest

For each format, measures `warehouse.export.export_relation` in a fresh process (DuckDB's
writer alone, without interpreter start-up), then `outages export reports --format F -o
FILE` (the CLI, end to end) twice: with no bulk file (DATA_DIR/bulk/ moved aside: the
writer runs) and after the publish step that writes the bulk files (`warehouse.bulk.
write_bulk`, timed: what each publish pays), when the export is a copy. Each with the CPU
time and max RSS of its process. Files go to DATA_DIR-exports/ and are removed after
measuring unless --keep; DATA_DIR/bulk/ is put back as it was. Targets: at least
1,000,000 rows/s for Parquet and 300,000 for CSV through `outages export`.
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
TARGET_CSV_ROWS_S = 300_000
BULK_CHILD = r"""
import json, sys, time
from pathlib import Path
from warehouse.bulk import write_bulk
t = time.perf_counter()
files = write_bulk(Path(sys.argv[1]))
print(json.dumps({"files": files, "seconds": time.perf_counter() - t}))
"""
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
    bulk_dir = args.data_dir / "bulk"
    kept_bulk = args.data_dir / "bulk.bench-kept"
    if bulk_dir.exists():
        bulk_dir.rename(kept_bulk)

    def cli_export(fmt: str, target: Path) -> dict:
        cmd = [bl.OUTAGES, "export", args.relation, "--format", fmt, "-o", str(target)]
        cli = bl.run([*cmd, "--data-dir", str(args.data_dir)], env=env)
        if cli["returncode"] != 0:
            raise SystemExit(cli["stderr"][-3000:])
        target.unlink(missing_ok=True)
        return cli

    try:
        for fmt in ("csv", "parquet"):
            target = out_dir / f"{args.relation}.{fmt}"
            inproc = bl.run_json(
                [sys.executable, "-c", CHILD, str(db), args.relation, fmt, str(target)], env=env
            )
            size = target.stat().st_size
            target.unlink()
            fresh = cli_export(fmt, target)
            rows = inproc["json"]["rows"]
            seconds = inproc["json"]["seconds"]
            result["formats"][fmt] = {
                "rows": rows,
                "export_s": round(seconds, 3),
                "rows_per_s": round(rows / seconds),
                "process_cpu_s": round(inproc["cpu_user_s"] + inproc["cpu_sys_s"], 2),
                "process_max_rss_mb": inproc["max_rss_mb"],
                "file_mb": round(size / 2**20, 1),
                "cli_fresh_wall_s": fresh["wall_s"],
                "cli_fresh_rows_per_s": round(rows / fresh["wall_s"]),
                "cli_fresh_max_rss_mb": fresh["max_rss_mb"],
            }
        # the publish step, for both formats (CSV is opt-in in production)
        bulk_env = {**env, "OUTAGES_BULK_FILES": f"{args.relation}.csv,{args.relation}.parquet"}
        built = bl.run_json([sys.executable, "-c", BULK_CHILD, str(db)], env=bulk_env)
        result["bulk_write"] = {
            "files": built["json"]["files"],
            "wall_s": round(built["json"]["seconds"], 3),
            "process_cpu_s": round(built["cpu_user_s"] + built["cpu_sys_s"], 2),
            "process_max_rss_mb": built["max_rss_mb"],
        }
        for fmt, x in result["formats"].items():
            copied = cli_export(fmt, out_dir / f"{args.relation}.{fmt}")
            x["cli_wall_s"] = copied["wall_s"]
            x["cli_rows_per_s"] = round(x["rows"] / copied["wall_s"])
            x["cli_cpu_s"] = round(copied["cpu_user_s"] + copied["cpu_sys_s"], 2)
            x["cli_max_rss_mb"] = copied["max_rss_mb"]
    finally:
        shutil.rmtree(bulk_dir, ignore_errors=True)
        if kept_bulk.exists():
            kept_bulk.rename(bulk_dir)
    if not args.no_append:
        f = result["formats"]
        pq, csv = f["parquet"]["cli_rows_per_s"], f["csv"]["cli_rows_per_s"]
        targets = [
            (
                ">= 1,000,000 rows/s for Parquet, `outages export` end to end",
                f"{pq:,} rows/s (a copy of the bulk file)",
                pq >= TARGET_PARQUET_ROWS_S,
            ),
            (
                ">= 300,000 rows/s for CSV, `outages export` end to end",
                f"{csv:,} rows/s (a copy of the opt-in bulk CSV); "
                f"{f['csv']['cli_fresh_rows_per_s']:,} rows/s written afresh",
                csv >= TARGET_CSV_ROWS_S,
            ),
        ]
        rows = []
        for fmt, x in f.items():
            rows.append(
                (
                    f"{fmt}: DuckDB's writer alone",
                    f"{x['rows']:,} rows in {x['export_s']:.2f} s = "
                    f"{x['rows_per_s']:,} rows/s; {x['file_mb']} MB; process "
                    f"{x['process_cpu_s']:.1f} s CPU, {x['process_max_rss_mb']:,.0f} MB max RSS",
                )
            )
            rows.append(
                (
                    f"{fmt}: `outages export`, no bulk file",
                    f"{x['cli_fresh_wall_s']:.2f} s = {x['cli_fresh_rows_per_s']:,} rows/s, "
                    f"{x['cli_fresh_max_rss_mb']:,.0f} MB max RSS",
                )
            )
            rows.append(
                (
                    f"{fmt}: `outages export`, a copy of the bulk file",
                    f"{x['cli_wall_s']:.2f} s = {x['cli_rows_per_s']:,} rows/s, "
                    f"{x['cli_cpu_s']:.2f} s CPU, {x['cli_max_rss_mb']:,.0f} MB max RSS",
                )
            )
        b = result["bulk_write"]
        rows.append(
            (
                "the publish step writing both bulk files",
                f"{b['wall_s']:.2f} s, {b['process_cpu_s']:.1f} s CPU, "
                f"{b['process_max_rss_mb']:,.0f} MB max RSS",
            )
        )
        n = f["csv"]["rows"]
        bl.append_results(
            f"Export, {n:,} {args.relation}", bl.this_command(), mach, rows, targets, [], result
        )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
