"""Summarize a py-spy profile in collapsed-stack form (`py-spy record --format raw`).

    uv run python benchmarks/profile_summary.py PROFILE.txt [--top 40] [--json]

Prints the share of samples in which each function is on the stack (inclusive) and at the
top of the stack (self), and the samples by bucket: each sample goes to the deepest frame of
this project's code on its stack (WARC replay, CAP parsing, classification, normalize, load,
build, publish...); samples with none are Scrapy/Twisted/asyncio machinery, idle waiting or
start-up imports. So RESULTS.md can quote numbers rather than impressions.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

# Buckets by the deepest frame of this project's code (crawlers/, warehouse/) in a sample;
# the first pattern that matches that frame names the bucket. Samples with no project frame
# below the CLI are Scrapy/Twisted/asyncio machinery, idle waiting, or start-up imports.
PROJECT = re.compile(r"\((crawlers|warehouse)/")
CLI_FRAMES = re.compile(r"^(crawl|run_crawl|OutagesGroup\.invoke|main) \(warehouse/cli\.py")
BUCKETS: list[tuple[str, str]] = [
    (
        "replay: archive scan, index, start URLs",
        r"(_scan|_build_index|archived_response_urls|archived_start_urls|iter_responses|"
        r"replay_requests|is_start_url|_ensure_index|spider_opened) \(",
    ),
    (
        "replay: serving pages (WarcReplayMiddleware)",
        r"(WarcReplayMiddleware\.process_request|_load_at|canonical_url) \(",
    ),
    ("spider: page JSON decode", r"(load_json|page_text) \(crawlers/spiders/base\.py"),
    ("spider: CAP parse (parse_cap, lxml, times)", r"(parse_cap|parse_time)[ .]"),
    ("spider: report building (alert_report)", r"(alert_report|make_report_id) \("),
    ("spider: other (parse_page, next_page, requests)", r"\(crawlers/spiders/"),
    ("pipeline: classify", r"(ClassifyPipeline|\(crawlers/classify\.py)"),
    ("pipeline: normalize (times, places)", r"(NormalizePipeline|\(warehouse/geography\.py)"),
    ("pipeline: validate", r"ValidatePipeline"),
    ("pipeline: rows for the warehouse", r"WarehousePipeline\.process_item[ .]"),
    ("load: Arrow table + DuckDB upsert", r"(\(warehouse/load\.py|WarehousePipeline\.flush)"),
    (
        "build (threads, report counties, incidents, views)",
        r"\((warehouse/build\.py|warehouse/incidents\.py)",
    ),
    ("publish", r"\(warehouse/publish\.py"),
    (
        "startup (spider list, settings, migrations)",
        r"(spider_names|scrapy_settings|connect_work|migrate|load_reference_tables) \(",
    ),
]
IDLE = re.compile(
    r"^(select|poll|epoll|_poll|doPoll|wait|sleep|acquire|_run_once|"
    # a parse worker waiting for its next page, or the pool's threads waiting on it
    r"Connection\._recv|SemLock\.__enter__|_wait_for_tstate_lock|EpollSelector\.select|"
    r"Condition\.wait|_PollLikeSelector\.select) \("
    # a thread of a thread pool (crawlers/offload.py, the warehouse load) waiting for work:
    # blocked in C, its top Python frame is the pool's loop
    r"|^_worker \(concurrent/futures/thread\.py"
)


def parse(path: Path) -> Counter:
    stacks: Counter = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def frames(stack: str) -> list[str]:
    # py-spy raw: "process ...;thread ...;frame (file:line);..." -- keep "func (file)"
    out = []
    for f in stack.split(";"):
        out.append(re.sub(r":\d+\)$", ")", f.strip()))
    return out


def bucket_of(raw: list[str]) -> str:
    deepest = None
    for i in range(len(raw) - 1, -1, -1):
        f = raw[i].strip()
        if PROJECT.search(f) and not CLI_FRAMES.search(f):
            deepest = f
            break
    if deepest is not None:
        for name, pattern in BUCKETS:
            if re.search(pattern, deepest):
                return name
        return "project: other"
    if not raw:
        return "idle (event loop waiting)"  # a process sampled with no Python frame
    leaf = raw[-1].strip()
    if any(f.strip().startswith("_find_and_load ") for f in raw) and not any(
        "Handle._run" in f for f in raw
    ):
        return "startup: imports"
    if IDLE.search(leaf) or "selectors.py" in leaf or "epollreactor" in leaf:
        return "idle (event loop waiting)"
    # The pool's feeder thread blocked writing a page until a worker is free to read it.
    if leaf.startswith("Connection._send (") and any("Queue._feed (" in f for f in raw):
        return "idle (event loop waiting)"
    return "Scrapy/Twisted/asyncio machinery (no project code below)"


def process_of(stack: str) -> str:
    """Which process a sample is from (py-spy --subprocesses puts "process PID:CMD" frames
    first): the crawl process, or one of its parse workers (crawlers/workers.py)."""
    processes = [f for f in stack.split(";") if f.startswith("process ")]
    if processes and "spawn_main" in processes[-1]:
        return "parse workers"
    if processes and "resource_tracker" in processes[-1]:
        return "multiprocessing resource tracker"
    return "crawl process"


def summarize(stacks: Counter, top: int = 40) -> dict:
    total = sum(stacks.values())
    inclusive: Counter = Counter()
    self_: Counter = Counter()
    buckets: Counter = Counter()
    per_process: Counter = Counter()
    busy_per_process: Counter = Counter()
    for stack, n in stacks.items():
        process = process_of(stack)
        stack = ";".join(f for f in stack.split(";") if not f.startswith("process "))
        fs = frames(stack)
        for f in set(fs):
            inclusive[f] += n
        self_[fs[-1]] += n
        bucket = (
            "idle (event loop waiting)"  # it only waits for processes to end
            if process.startswith("multiprocessing resource tracker")
            else bucket_of(stack.split(";"))
        )
        buckets[bucket] += n
        per_process[process] += n
        if not bucket.startswith("idle"):
            busy_per_process[process] += n

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "buckets_pct": {k: pct(v) for k, v in buckets.most_common()},
        # Samples per process (all its threads, idle included) and the share not idle.
        "processes": {
            k: {"samples": v, "busy_pct": round(100.0 * busy_per_process[k] / v, 1)}
            for k, v in per_process.most_common()
        },
        "inclusive_pct": {k: pct(v) for k, v in inclusive.most_common(top)},
        "self_pct": {k: pct(v) for k, v in self_.most_common(top)},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("profile", type=Path)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--busy", action="store_true", help="leave out idle samples (shares of the work done)"
    )
    args = ap.parse_args()
    stacks = parse(args.profile)
    if args.busy:
        stacks = Counter(
            {
                k: v
                for k, v in stacks.items()
                if not process_of(k).startswith("multiprocessing resource tracker")
                and not bucket_of(
                    [f for f in k.split(";") if not f.startswith("process ")]
                ).startswith("idle")
            }
        )
    summary = summarize(stacks, args.top)
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    print(f"samples: {summary['samples']}")
    for name, figures in summary["processes"].items():
        print(f"  {name}: {figures['samples']} samples, {figures['busy_pct']}% not idle")
    for title in ("buckets_pct", "inclusive_pct", "self_pct"):
        print(f"\n{title}:")
        for k, v in summary[title].items():
            print(f"  {v:5.1f}%  {k}")


if __name__ == "__main__":
    main()
