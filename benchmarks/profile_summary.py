"""Summarize a py-spy profile in collapsed-stack form (`py-spy record --format raw`).

    uv run python benchmarks/profile_summary.py PROFILE.txt [--top 40] [--json]

Prints the share of samples in which each function is on the stack (inclusive) and at the
top of the stack (self), plus a few named buckets of this project's ingest path (WARC
replay, Scrapy engine, CAP parsing, classification, normalize, load, build, publish), so
RESULTS.md can quote numbers rather than impressions.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

# Buckets: the first pattern that matches any frame of a stack (scanning from the leaf up)
# names the bucket of that sample. Order matters: more specific first.
BUCKETS: list[tuple[str, str]] = [
    (
        "idle (waiting: reactor select/epoll, sleeps, locks)",
        r"^(select|poll|epoll|_poll|doPoll|wait|sleep|acquire) \((selectors|threading|"
        r"twisted/internet/epollreactor|twisted/internet/pollreactor)",
    ),
    ("publish (COPY FROM DATABASE, checkpoint)", r"^publish \(warehouse/publish\.py"),
    ("build: incidents", r"^build_incidents \(warehouse/incidents\.py"),
    ("build: threads and SQL", r"^build \(warehouse/build\.py"),
    ("load: DuckDB insert", r"^load_reports \(warehouse/load\.py"),
    ("replay: archive scan for start URLs (iter_responses)", r"^replay_requests \("),
    ("replay: index (_build_index)", r"^_build_index \(crawlers/archive\.py"),
    ("replay: serve a page (_load_at)", r"^process_request \(crawlers/archive\.py"),
    ("HttpCompressionMiddleware (gunzip)", r"httpcompression\.py"),
    ("classify", r"^(classify_alert|classify_text) \(crawlers/classify\.py"),
    ("CAP parse (lxml + dateutil)", r"^parse_cap \(crawlers/spiders/formats/cap\.py"),
    ("OutageReport construction (alert_report)", r"^alert_report \("),
    ("json.loads of the page", r"^parse_page \(crawlers/spiders/openfema_ipaws\.py.*;loads"),
    ("normalize pipeline", r"^process_item \(crawlers/pipelines\.py:\d+\)$"),
    (
        "scrapy item/pipeline machinery",
        r"scrapy/(core/scraper|pipelines|middleware|utils/defer"
        r"|utils/asyncgen|core/spidermw|utils/python)",
    ),
]


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


def summarize(stacks: Counter, top: int = 40) -> dict:
    total = sum(stacks.values())
    inclusive: Counter = Counter()
    self_: Counter = Counter()
    buckets: Counter = Counter()
    for stack, n in stacks.items():
        fs = frames(stack)
        for f in set(fs):
            inclusive[f] += n
        self_[fs[-1]] += n
        raw = stack.split(";")
        # A sample goes to the deepest matching bucket (scan from the leaf up); the
        # "idle" bucket only matches the leaf.
        name = "other"
        leaf = raw[-1].strip()
        if re.search(BUCKETS[0][1], leaf):
            name = BUCKETS[0][0]
        else:
            joined_from = [";".join(raw[i:]) for i in range(len(raw))]
            found = None
            for bname, pattern in BUCKETS[1:]:
                rx = re.compile(pattern)
                for i, f in enumerate(raw):
                    if rx.search(f.strip()) or (";" in pattern and rx.search(joined_from[i])):
                        if found is None or i > found[0]:
                            found = (i, bname)
                        break
            if found:
                name = found[1]
        buckets[name] += n

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "buckets_pct": {k: pct(v) for k, v in buckets.most_common()},
        "inclusive_pct": {k: pct(v) for k, v in inclusive.most_common(top)},
        "self_pct": {k: pct(v) for k, v in self_.most_common(top)},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("profile", type=Path)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    summary = summarize(parse(args.profile), args.top)
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    print(f"samples: {summary['samples']}")
    for title in ("buckets_pct", "inclusive_pct", "self_pct"):
        print(f"\n{title}:")
        for k, v in summary[title].items():
            print(f"  {v:5.1f}%  {k}")


if __name__ == "__main__":
    main()
