"""The bare lower bound of ingest: parse the same CAP messages with lxml and nothing else.

    uv run python benchmarks/lxml_baseline.py --cap benchmarks/out/1m/cap [--jobs 1]

Reads every `.capbatch` file that `generate.py` wrote (CAP messages separated by NUL),
and parses each message with `lxml.etree.fromstring` and the same hardened parser options
as `crawlers.spiders.formats.cap` (no entities, no network, no DTD, comments and PIs
dropped). No field extraction, no JSON, no gzip, no Scrapy. Prints JSON: messages, seconds,
messages per second. `--jobs 1` (the default) is the one-core figure the ingest target is
measured against; more jobs give the whole machine's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from multiprocessing import get_context
from pathlib import Path

from lxml import etree

PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_files(paths: list[str]) -> tuple[int, int]:
    n = size = 0
    fromstring = etree.fromstring
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        for msg in data.split(b"\0"):
            fromstring(msg, PARSER)
            n += 1
            size += len(msg)
    return n, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cap", type=Path, required=True, help="the cap/ folder of generate.py")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    files = sorted(str(p) for p in args.cap.rglob("*.capbatch"))
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if args.jobs <= 1:
        n, size = parse_files(files)
    else:
        chunks = [files[i :: args.jobs] for i in range(args.jobs)]
        with get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(parse_files, chunks)
        n, size = sum(r[0] for r in results), sum(r[1] for r in results)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "messages": n,
                "bytes": size,
                "files": len(files),
                "jobs": args.jobs,
                "seconds": round(seconds, 3),
                "cpu_seconds_main": round(time.process_time() - cpu0, 3),
                "messages_per_s": round(n / seconds) if seconds else None,
                "mean_message_bytes": round(size / n) if n else None,
                "pid": os.getpid(),
            }
        )
    )


if __name__ == "__main__":
    main()
