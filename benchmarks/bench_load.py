"""Load microbenchmark: the crawl's load path, old (`INSERT OR REPLACE` per batch) and new
(a plain append per batch into the unindexed staging table, one merge per run), side by side.

    uv run python benchmarks/bench_load.py --reports 1000000 [--batch 20000] [--again]

Each path runs in its own fresh process on its own fresh working database (`connect_work`:
migrations, the memory limit a crawl runs under), paths alternating, and loads the same
N Arrow batches of warehouse rows as `warehouse.load.reports_table` makes them (the shape
`WarehousePipeline` hands over: 20,000 reports a batch by default, the crawl's
OUTAGES_BATCH_SIZE). The rows are made up (labelled constructed) with the sizes of a
crawl's: a 600-byte body, title, sender, three counties, evidence JSON. `--again` then loads
the same batches a second time into the full table (what `--reparse` does: every report
replaced). After both, the two `crawled_reports` tables are compared (every column but
`loaded_at`): the paths must give the same rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402

CHILD = r"""
import json, sys, time
from datetime import UTC, datetime, timedelta
from random import Random
from pathlib import Path
import pyarrow as pa
from warehouse.db import DataDir, connect_work
from warehouse.load import load_table, merge_staged, prepare_table, replace_table, reports_table

path, data_dir, reports, batch, again = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
rng = Random(1)
words = "the of county alert warning service 911 phone outage area residents call " \
    "emergency weather storm flood line down restored expected until please".split()
body = [" ".join(rng.choice(words) for _ in range(100)) for _ in range(64)]
t0 = datetime(2012, 6, 1, tzinfo=UTC)

def template(n):
    rows = []
    for i in range(n):
        at = t0 + timedelta(minutes=7 * i)
        rows.append({
            "report_id": f"r-{i}", "source": "openfema_ipaws",
            "source_url": f"https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?id={i}",
            "archive_ref": f"warc:openfema-bench.warc.gz#{i * 8000}", "fetched_at": t0,
            "published_at": at, "title": "Flash Flood Warning issued for the county",
            "body": body[i % 64], "event_code": "FFW", "is_outage": i % 500 == 0,
            "confidence": 0.1, "evidence": "no 911 outage wording", "status": "not_outage",
            "state_codes": ["TX"], "county_fips": ["48113", "48439", "48085"],
            "sender": "w-nws.webmaster@noaa.gov", "sender_name": "NWS Fort Worth TX",
            "message_type": "Alert", "cap_status": "Actual", "alert_key": f"k-{i}",
            "references_keys": [], "expires_at": at + timedelta(hours=3),
            "area_desc": "Dallas, TX; Tarrant, TX; Collin, TX",
            "geocodes": ["048113", "048439", "048085"], "is_constructed": True,
            "field_evidence": {"title": "headline", "body": "description"},
            "source_kind": "alert", "occurred_on": at.date(), "started_precision": "minute",
        })
    return reports_table(rows)

base = template(batch)
ids = base.column("report_id").to_pylist()
keys = base.column("alert_key").to_pylist()
def batch_table(b):
    t = base.set_column(0, "report_id", pa.array([f"{x}-{b}" for x in ids], pa.string()))
    return t.set_column(t.schema.get_field_index("alert_key"), "alert_key",
                        pa.array([f"{x}-{b}" for x in keys], pa.string()))
tables = [batch_table(b) for b in range(reports // batch)]
con = connect_work(DataDir(Path(data_dir)))
out = {"path": path, "batches": len(tables), "reports": sum(t.num_rows for t in tables)}
for round_ in range(1 + again):
    t = time.perf_counter(); p0 = time.process_time()
    merge_s = 0.0
    for table in tables:
        if path == "old":
            replace_table(con, prepare_table([table], crawl_run_id="run-bench"))
        else:
            load_table(con, [table], crawl_run_id="run-bench")
    if path == "new":
        m = time.perf_counter()
        merge_staged(con)
        merge_s = time.perf_counter() - m
    key = "first" if round_ == 0 else "again"
    out[key] = {"seconds": round(time.perf_counter() - t, 3),
                "cpu_s": round(time.process_time() - p0, 2), "merge_s": round(merge_s, 3)}
out["rows"] = con.execute("SELECT count(*) FROM crawled_reports").fetchone()[0]
cols = [r[0] for r in con.execute(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'crawled_reports' "
    "AND column_name != 'loaded_at' ORDER BY ordinal_position").fetchall()]
out["digest"] = con.execute(
    "SELECT md5(string_agg(md5(row_to_json(r)::VARCHAR), '' ORDER BY report_id)) FROM "
    f"(SELECT {', '.join(cols)} FROM crawled_reports) AS r").fetchone()[0]
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--again", action="store_true", help="load everything a second time")
    ap.add_argument("--out", type=Path, default=bl.OUT_DIR / "load")
    ap.add_argument("--no-append", action="store_true")
    bl.add_code_args(ap)
    args = ap.parse_args()
    bl.use_code(args.code)
    env = bl.bench_env(args.as_is)
    mach = bl.machine()
    result: dict = {
        "benchmark": "load",
        "reports": args.reports,
        "batch": args.batch,
        "again": args.again,
        "paths": {},
    }
    for path in ("old", "new"):
        data_dir = args.out.resolve() / path
        shutil.rmtree(data_dir, ignore_errors=True)
        res = bl.run_json(
            [
                sys.executable,
                "-c",
                CHILD,
                path,
                str(data_dir),
                str(args.reports),
                str(args.batch),
                str(int(args.again)),
            ],
            env=env,
        )
        result["paths"][path] = {**res["json"], "max_rss_mb": res["max_rss_mb"]}
        shutil.rmtree(data_dir, ignore_errors=True)
    old, new = result["paths"]["old"], result["paths"]["new"]
    result["same_rows"] = old["digest"] == new["digest"] and old["rows"] == new["rows"]
    for key in ("first", "again"):
        if key in old:
            result[f"{key}_old_over_new"] = round(old[key]["seconds"] / new[key]["seconds"], 2)
    if not args.no_append:
        rows = []
        for key in ("first", "again"):
            if key not in old:
                continue
            label = "load into an empty table" if key == "first" else "the same again (reparse)"
            rows.append(
                (
                    label,
                    f"old {old[key]['seconds']:.1f} s ({old[key]['cpu_s']:.1f} s CPU), new "
                    f"{new[key]['seconds']:.1f} s ({new[key]['cpu_s']:.1f} s CPU; merge "
                    f"{new[key]['merge_s']:.1f} s): {result[f'{key}_old_over_new']}x",
                )
            )
        rss = f"old {old['max_rss_mb']:,.0f} MB, new {new['max_rss_mb']:,.0f} MB"
        rows.append(("max RSS", rss))
        targets = [("the same crawled_reports", str(result["same_rows"]), result["same_rows"])]
        bl.append_results(
            f"Load, {args.reports:,} reports in batches of {args.batch:,}",
            bl.this_command(),
            mach,
            rows,
            targets,
            [],
            result,
        )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
