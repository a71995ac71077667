"""Benchmark 1, ingest: a full replay of the generated archive through the real crawl.

    uv run python benchmarks/bench_ingest.py --data benchmarks/out/1m [--profile]

Runs, in this order and in one go (the machine is shared: only figures measured side by
side are compared):
1. the bare lower bound, `lxml_baseline.py` (one core, lxml only, the same messages);
2. `outages crawl openfema_ipaws --replay ARCHIVE --data-dir DIR`: the Scrapy engine, the
   WARC replay middleware, decompression, the spider, the pipelines (normalize, classify,
   validate, load into DuckDB in Arrow batches), then build (threads, report counties,
   incidents, views) and publish;
3. the lower bound again (the figure used is the mean of the two).
Measures wall time, CPU time and max RSS of the whole `outages` process (wait4 rusage),
checks the published database against the generator's manifest, appends to RESULTS.md
and prints JSON. `--profile` then repeats the crawl under `py-spy record` (collapsed
stacks in DATA/profile-ingest.txt, a flame graph in DATA/profile-ingest.svg) and adds the
summary by bucket (see profile_summary.py).

Targets (issue 19, which raised issue 6's 5,000 alerts/s and 3x): at 1M alerts at least
8,000 alerts/s end to end and at most 2.5x the lower bound's time measured in the same run;
below 1M (start-up and build weigh more) at most 4x; max RSS under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _benchlib as bl  # noqa: E402

TARGET_RATE = 8000  # at 1M alerts
TARGET_RATIO = 2.5  # at 1M alerts
TARGET_RATIO_SMALL = 4.0  # below 1M: start-up and build are a larger share
TARGET_RSS_MB = 1536
RESULT_LINE = re.compile(
    r"(?P<spider>\w+): (?P<status>\w+) · (?P<reports>\d+) reports · (?P<outages>\d+) outages · "
    r"(?P<errors>\d+) errors · (?P<warnings>\d+) warnings · (?P<pages>\d+) pages"
    r"(?: \((?P<unchanged_pages>\d+) unchanged, "
    r"(?P<unchanged_reports>\d+) reports already in\))? · "
    r"(?P<seconds>[\d.]+) s"
)


def baseline(data: Path, env: dict) -> dict:
    res = bl.run_json(
        [sys.executable, str(bl.BENCH_DIR / "lxml_baseline.py"), "--cap", str(data / "cap")],
        env=env,
    )
    return {**res["json"], "wall_s": res["wall_s"], "max_rss_mb": res["max_rss_mb"]}


def crawl_command(archive: Path, data_dir: Path) -> list[str]:
    return [
        bl.OUTAGES,
        "crawl",
        "openfema_ipaws",
        "--replay",
        str(archive),
        "--data-dir",
        str(data_dir),
    ]


def check_published(data_dir: Path) -> dict:
    import duckdb

    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        one = lambda q: con.execute(q).fetchall()[0][0]  # noqa: E731
        return {
            "reports": one("SELECT count(*) FROM reports"),
            "outage_reports": one("SELECT count(*) FROM reports WHERE is_outage"),
            "outage_threads": one(
                "SELECT count(DISTINCT thread_id) FROM reports "
                "WHERE is_outage AND thread_id IS NOT NULL"
            ),
            "incidents": one("SELECT count(*) FROM incidents"),
            "report_counties": one("SELECT count(*) FROM report_counties"),
            "crawl_errors": one("SELECT count(*) FROM crawl_errors"),
            # Nothing lost or changed: one md5 over the report rows in report_id order (each
            # row's md5 of its text form; the run and load stamps left out), to
            # compare with another run on the same archive (--expect-digest).
            "report_rows_md5": one(
                "SELECT md5(string_agg(md5(CAST(r AS VARCHAR)), '' ORDER BY r.report_id)) "
                "FROM (SELECT * EXCLUDE (crawl_run_id, loaded_at) FROM reports) AS r"
            ),
            "db_mb": round((data_dir / "outages.duckdb").stat().st_size / 2**20, 1),
            "work_db_mb": round((data_dir / "work" / "warehouse.duckdb").stat().st_size / 2**20, 1),
        }


def crawl(archive: Path, data_dir: Path, env: dict) -> dict:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    res = bl.run(crawl_command(archive, data_dir), env=env)
    if res["returncode"] != 0:
        raise RuntimeError(f"crawl failed:\n{res['stderr'][-4000:]}")
    m = RESULT_LINE.search(res["stderr"])
    res["cli"] = m.groupdict() if m else {}
    return res


def profile(archive: Path, data_dir: Path, env: dict, rate: int) -> dict:
    from profile_summary import parse, summarize

    if data_dir.exists():
        shutil.rmtree(data_dir)
    raw = data_dir.parent / f"{data_dir.name}-profile-ingest.txt"
    svg = data_dir.parent / f"{data_dir.name}-profile-ingest.svg"
    pyspy = str(bl.VENV_BIN / "py-spy")
    res = bl.run(
        [
            pyspy,
            "record",
            "--idle",
            "--subprocesses",  # the parse workers (crawlers/workers.py)
            "--format",
            "raw",
            "-r",
            str(rate),
            "-o",
            str(raw),
            "--",
            *crawl_command(archive, data_dir),
        ],
        env=env,
    )
    summary = summarize(parse(raw), top=30)
    # The same profile as a flame graph, for reading by eye.
    bl.run(
        [
            pyspy,
            "record",
            "--idle",
            "--subprocesses",
            "-r",
            str(max(10, rate // 4)),
            "-o",
            str(svg),
            "--",
            *crawl_command(archive, data_dir.with_name(data_dir.name + "-svg")),
        ],
        env=env,
    )
    shutil.rmtree(data_dir.with_name(data_dir.name + "-svg"), ignore_errors=True)
    return {"raw": str(raw), "svg": str(svg), "wall_s": res["wall_s"], "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the OUT folder of generate.py")
    ap.add_argument("--data-dir", type=Path, help="where the crawl writes (default DATA/ingest)")
    ap.add_argument("--profile", action="store_true", help="also profile a second crawl")
    ap.add_argument("--profile-rate", type=int, default=50)
    bl.add_code_args(ap)
    ap.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument(
        "--expect",
        type=Path,
        help="the JSON a previous run printed (same archive): its published counts and report "
        "digest must equal this run's",
    )
    args = ap.parse_args()
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, value.resolve())

    manifest = json.loads((args.data / "manifest.json").read_text())
    archive = args.data / manifest["archive"]
    data_dir = args.data_dir or args.data / "ingest"
    bl.use_code(args.code)
    env = bl.bench_env(args.as_is)
    mach = bl.machine()
    if not args.as_is:
        bl.warm_bytecode(env)

    before = baseline(args.data, env)
    run = crawl(archive, data_dir, env)
    after = baseline(args.data, env)
    published = check_published(data_dir)

    alerts = manifest["messages"]
    wall = run["wall_s"]
    base_s = (before["seconds"] + after["seconds"]) / 2
    rate = alerts / wall
    ratio = wall / base_s
    base_cpu = (before["cpu_seconds_main"] + after["cpu_seconds_main"]) / 2
    crawl_s = float(run["cli"].get("seconds", "nan"))
    # Peak RSS in the crawl phase and after it (build, publish), from the 1 s RSS samples:
    # the crawl ends `crawl_s` after the reactor starts, a few seconds after the process.
    crawl_end = crawl_s
    timeline = run.get("rss_timeline_mb") or []
    rss_crawl = max((r for t, r in timeline if t <= crawl_end), default=None)
    rss_after = max((r for t, r in timeline if t > crawl_end), default=None)
    cpu = run["cpu_user_s"] + run["cpu_sys_s"]
    by_role = run.get("cpu_s_by_role_sampled") or {}
    # The crawl process's CPU until its parse workers stopped (the crawl's end), and after
    # (build, publish): from its CPU sampled each second.
    workers_end = run.get("parse_workers_last_seen_s")
    main_timeline = run.get("main_cpu_timeline_s") or []
    main_in_crawl = (
        max((c for t, c in main_timeline if t <= workers_end), default=None)
        if workers_end is not None
        else None
    )
    result = {
        "benchmark": "ingest",
        "alerts": alerts,
        "pages": manifest["pages"],
        "archive_mb": round(manifest["archive_bytes"] / 2**20, 1),
        "wall_s": wall,
        "alerts_per_s": round(rate),
        "cpu_s": round(cpu, 1),
        "alerts_per_cpu_s": round(alerts / cpu) if cpu else None,
        "max_rss_mb": run["max_rss_mb"],
        "max_tree_rss_mb_sampled": run.get("max_tree_rss_mb_sampled"),
        "peak_rss_mb_sampled_crawl_phase": rss_crawl,
        "peak_rss_mb_sampled_after_crawl": rss_after,
        "rss_timeline_mb": timeline,
        "cpu_s_by_process": by_role,
        "crawl_process_cpu_s_until_workers_stopped": main_in_crawl,
        "parse_workers_stopped_at_s": workers_end,
        "crawl_s_reported_by_cli": crawl_s,
        "after_crawl_s (startup, build, publish)": round(wall - crawl_s, 1),
        "baseline_before": before,
        "baseline_after": after,
        "baseline_s_mean": round(base_s, 3),
        "ratio_to_baseline": round(ratio, 2),
        "ratio_cpu_to_baseline_cpu": round(cpu / base_cpu, 2),
        "cli": run["cli"],
        "published": published,
        "manifest_outage_thread_messages": manifest["outage_thread_messages"],
        "loadavg": [run["loadavg_1min_before"], run["loadavg_1min_after"]],
        "command": run["command"],
        "machine": mach,
    }
    problems = []
    if published["reports"] != alerts:
        problems.append(f"published {published['reports']} reports, generated {alerts}")
    if args.expect:
        expected = json.loads(args.expect.read_text())["published"]
        for key in ("reports", "outage_reports", "outage_threads", "incidents", "report_rows_md5"):
            if key in expected and expected[key] != published[key]:
                problems.append(f"{key}: {published[key]} here, {expected[key]} in {args.expect}")
    result["problems"] = problems
    if args.profile:
        result["profile"] = profile(
            archive, data_dir.with_name(data_dir.name + "-profiled"), env, args.profile_rate
        )

    # With parse workers, memory is the sum over the processes (sampled once a second).
    peak_mb = max(run["max_rss_mb"], run.get("max_tree_rss_mb_sampled") or 0)
    if not args.no_append:
        full_scale = alerts >= 1_000_000
        target_ratio = TARGET_RATIO if full_scale else TARGET_RATIO_SMALL
        targets = [
            (
                f">= {TARGET_RATE:,} alerts/s end to end"
                + ("" if full_scale else " (set for 1M; shown for reference)"),
                f"{rate:,.0f} alerts/s",
                rate >= TARGET_RATE,
            ),
            (
                f"<= {target_ratio:g}x the bare lxml time ({base_s:.1f} s)",
                f"{ratio:.1f}x ({wall:.1f} s)",
                ratio <= target_ratio,
            ),
            (
                "max RSS < 1.5 GB (the crawl process and its parse workers together)",
                f"{peak_mb:,.0f} MB (largest process {run['max_rss_mb']:,.0f} MB)",
                peak_mb < TARGET_RSS_MB,
            ),
        ]
        rows = [
            ("alerts (pages)", f"{alerts:,} ({manifest['pages']:,} pages)"),
            ("wall, CPU (user+sys)", f"{wall:.1f} s, {cpu:.1f} s"),
            (
                "CPU time over the lower bound's CPU time (steadier under load than wall)",
                f"{cpu / base_cpu:.1f}x ({cpu:.0f} s / {base_cpu:.1f} s)",
            ),
            ("crawl (engine, parse, pipelines, load) as reported by the CLI", f"{crawl_s:.1f} s"),
            (
                "CPU by process (sampled each second): crawl process, parse workers, other",
                f"{by_role.get('main', 0):.1f} s, {by_role.get('parse worker', 0):.1f} s, "
                f"{by_role.get('other', 0):.1f} s",
            ),
            (
                "crawl process CPU until the workers stopped (the crawl) / after (build, publish)",
                f"{main_in_crawl} s / "
                + (
                    f"{by_role.get('main', 0) - main_in_crawl:.1f} s"
                    if main_in_crawl is not None
                    else "?"
                ),
            ),
            ("startup + build + publish (the rest)", f"{wall - crawl_s:.1f} s"),
            (
                "lxml lower bound, one core (before / after)",
                f"{before['seconds']:.1f} s / {after['seconds']:.1f} s "
                f"({before['messages_per_s']:,} / {after['messages_per_s']:,} msgs/s)",
            ),
            (
                "published: reports, outage reports, threads, incidents",
                f"{published['reports']:,}, {published['outage_reports']:,}, "
                f"{published['outage_threads']:,}, {published['incidents']:,}",
            ),
            (
                "database sizes (published / working)",
                f"{published['db_mb']} MB / {published['work_db_mb']} MB",
            ),
            ("crawl errors recorded", published["crawl_errors"]),
            (
                "peak RSS sampled each second: crawl phase / build and publish",
                f"{rss_crawl} MB / {rss_after} MB",
            ),
        ]
        notes = [f"problem: {p}" for p in problems]
        if "profile" in result:
            b = result["profile"]["summary"]["buckets_pct"]
            notes.append(
                "profile (py-spy, share of samples incl. idle): "
                + "; ".join(f"{k} {v}%" for k, v in b.items())
            )
            processes = result["profile"]["summary"].get("processes", {})
            notes.append(
                "profile, per process (samples of all its threads; share not idle): "
                + "; ".join(
                    f"{k} {v['samples']} samples, {v['busy_pct']}%" for k, v in processes.items()
                )
                + f". Without the idle samples: `profile_summary.py {result['profile']['raw']}"
                " --busy`"
            )
        bl.append_results(
            f"Ingest, {alerts:,} alerts",
            bl.this_command(),
            mach,
            rows,
            targets,
            notes,
            {k: v for k, v in result.items() if k != "machine"},
        )
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
