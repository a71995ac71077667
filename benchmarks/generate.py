"""Write a replayable OpenFEMA archive of N synthetic alerts, plus the same CAP messages as
plain XML for the bare-lxml baseline.

    uv run python benchmarks/generate.py --alerts 1000000 --seed 1 --out benchmarks/out/1m

Writes, under OUT:
- `archive/openfema-bench.warc.gz`: the OpenFEMA `IpawsArchivedAlerts` responses a live
  backfill crawl (`outages crawl openfema_ipaws --since 2012-06-01`) would have recorded:
  one day window per day from `--start` to `--end`, pages of 1,000 records (`$top=1000`,
  `$skip` 0, 1000, ...), URLs exactly as `OpenfemaIpawsSpider.page_url` builds them, records
  ordered by `sent`; a day whose last page is full gets the empty page the spider asks for
  next. Bodies are gzip-encoded with `Content-Encoding: gzip`, as the live recorder stores
  what the server sent (Scrapy asks for gzip). Written with `crawlers.archive.write_records`;
  every record is marked constructed, with a note saying it is synthetic benchmark data.
- `cap/YYYY/YYYY-MM-DD_SKIP.capbatch`: the CAP messages of each archive page, in page order,
  UTF-8, separated by one NUL byte (never valid in XML). One file per page rather than one
  per message: a million 9 KB files would cost minutes of file creation and a million
  open() calls in the baseline, which would then measure the file system, not lxml.
- `manifest.json`: the parameters and what was written (counts by family, event code and
  status, outage threads and their messages, pages, bytes), for the benchmarks to check.

Deterministic: the same `--alerts`, `--seed`, `--start` and `--end` give byte-identical
outputs (each day and each thread has its own seeded random stream; no wall-clock input).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _synth  # noqa: E402

PAGE_SIZE = 1000
ARCHIVE_NAME = "openfema-bench.warc.gz"
NOTE = (
    "SYNTHETIC benchmark data written by benchmarks/generate.py from real IPAWS CAP messages "
    "and the constructed outage alerts of demo/constructed/cap (varied ids, senders, times, "
    "places, codes and texts); not real alerts"
)
OUTAGE_EVERY = 500  # about one alert in 500 starts a 911 outage thread
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8"), ("Content-Encoding", "gzip")]


# ----------------------------------------------------------------------------- time layout
def day_weights(days: list[date], seed: int) -> list[float]:
    """Relative alert volume per day: IPAWS adoption growing from 2012, a spring-summer peak,
    quieter weekends, noise, and busy days (storms, outbreaks) at 5 to 40 times the usual."""
    rng = Random(f"{seed}:weights")
    out = []
    for d in days:
        t = d.year + (d.timetuple().tm_yday - 1) / 365.25
        growth = min(1.3, max(0.12, 0.15 + 0.12 * (t - 2012.4)))
        season = 1 + 0.25 * math.sin(2 * math.pi * (d.timetuple().tm_yday - 80) / 365.25)
        weekday = 0.85 if d.weekday() >= 5 else 1.05
        noise = rng.lognormvariate(0, 0.25)
        busy = rng.lognormvariate(math.log(10), 0.5) if rng.random() < 0.03 else 1.0
        out.append(growth * season * weekday * noise * busy)
    return out


def allocate(total: int, weights: list[float], seed: int) -> list[int]:
    """`total` alerts over the days in proportion to `weights` (largest remainders, with the
    remainders jittered by a seeded stream so the result is not a smooth curve)."""
    rng = Random(f"{seed}:allocate")
    s = sum(weights)
    exact = [total * w / s for w in weights]
    counts = [int(x) for x in exact]
    rest = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: -(exact[i] - counts[i] + rng.random()))
    for i in order[:rest]:
        counts[i] += 1
    return counts


# ----------------------------------------------------------------------------- workers
_STATE: dict = {}


def _init(seed: int, out: str) -> None:
    from crawlers.spiders.openfema_ipaws import OpenfemaIpawsSpider

    geo = _synth.load_geography()
    _STATE.update(
        seed=seed,
        out=Path(out),
        regular=_synth.RegularMaker(geo, _synth.load_regular_templates()),
        spider=OpenfemaIpawsSpider(since="2012-06-01", until="2012-06-01"),
    )


def openfema_record(r: _synth.Rendered) -> dict:
    """The OpenFEMA record around one CAP message (the fields demo/make_alert_fixtures.py
    writes)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, r.key)),
        "identifier": r.identifier,
        "sender": r.sender,
        "sent": r.sent.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "status": "Actual",
        "msgType": r.msg_type,
        "references": " ".join(r.references) or None,
        "originalMessage": r.xml,
    }


def _work(job: tuple[list[tuple[str, int]], dict[str, list[_synth.Rendered]]]) -> list:
    """Render the days of one chunk: pages (gzip bodies) and their .capbatch files."""
    days, threads_by_day = job
    seed, out, regular, spider = (_STATE[k] for k in ("seed", "out", "regular", "spider"))
    results = []
    for day_iso, count in days:
        day = date.fromisoformat(day_iso)
        rng = Random(f"{seed}:day:{day_iso}")
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        seconds = sorted(rng.randrange(86400) for _ in range(count))
        earlier: dict[str, list[str]] = {}
        msgs = [regular.render(rng, midnight + timedelta(seconds=s), earlier) for s in seconds]
        msgs += threads_by_day.get(day_iso, [])
        msgs.sort(key=lambda m: m.sent)
        stats = Counter()
        pages = []
        skip = 0
        folder = out / "cap" / day_iso[:4]
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            chunk = msgs[skip : skip + PAGE_SIZE]
            url = spider.page_url(day, skip=skip, top=PAGE_SIZE)
            body = {
                "metadata": {
                    "skip": skip,
                    "top": PAGE_SIZE,
                    "count": len(msgs),
                    "entityname": "IpawsArchivedAlerts",
                    "version": "v1",
                    "url": url,
                },
                "IpawsArchivedAlerts": [openfema_record(m) for m in chunk],
            }
            raw = json.dumps(body).encode("utf-8")
            gz = gzip.compress(raw, compresslevel=6, mtime=0)
            cap = b"\0".join(m.xml.encode("utf-8") for m in chunk)
            if chunk:
                (folder / f"{day_iso}_{skip:06d}.capbatch").write_bytes(cap)
            stats["pages"] += 1
            stats["json_bytes"] += len(raw)
            stats["gzip_bytes"] += len(gz)
            stats["cap_bytes"] += len(cap)
            pages.append((url, gz, len(chunk)))
            if len(chunk) < PAGE_SIZE:
                break
            skip += PAGE_SIZE
        stats["messages"] += len(msgs)
        results.append((day_iso, pages, stats))
    return results


# ----------------------------------------------------------------------------- main
def generate(n: int, seed: int, out: Path, start: date, end: date, jobs: int) -> dict:
    from crawlers.archive import ArchiveRecord, write_records

    t0 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "cap").rglob("*.capbatch") if (out / "cap").exists() else []:
        old.unlink()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weights = day_weights(days, seed)

    # 911 outage threads first (their message count is part of N), placed on days drawn
    # with the same weights.
    geo = _synth.load_geography()
    threads = _synth.ThreadMaker(geo, _synth.load_thread_templates(geo))
    n_threads = max(0, round(n / OUTAGE_EVERY))
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    from bisect import bisect

    threads_by_day: dict[str, list[_synth.Rendered]] = {}
    thread_msgs = 0
    thread_stats = Counter()
    for t in range(n_threads):
        rng = Random(f"{seed}:thread:{t}")
        day = days[min(len(days) - 1, bisect(cum, rng.random() * acc))]
        begin = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(86400)
        )
        msgs = threads.render(rng, begin)
        if thread_msgs + len(msgs) > n:
            break
        thread_msgs += len(msgs)
        thread_stats["threads"] += 1
        thread_stats[f"threads_with_{len(msgs)}_messages"] += 1
        for m in msgs:
            thread_stats[f"msgType_{m.msg_type}"] += 1
            d = m.sent.astimezone(UTC).date()
            if d > end:  # an all-clear after the last day: the crawl has not seen it yet
                thread_msgs -= 1
                thread_stats["dropped_after_end"] += 1
                continue
            threads_by_day.setdefault(d.isoformat(), []).append(m)
    counts = allocate(n - thread_msgs, weights, seed)

    # Chunks of about 20,000 alerts for the workers, in day order.
    chunks: list[tuple[list[tuple[str, int]], dict]] = []
    current: list[tuple[str, int]] = []
    size = 0
    for d, c in zip(days, counts, strict=True):
        current.append((d.isoformat(), c))
        size += c + 1
        if size >= 20000:
            chunks.append(
                (current, {k: threads_by_day[k] for k, _ in current if k in threads_by_day})
            )
            current, size = [], 0
    if current:
        chunks.append((current, {k: threads_by_day[k] for k, _ in current if k in threads_by_day}))

    fetched = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=2)
    records: list[ArchiveRecord] = []
    stats = Counter()
    pages_per_day = Counter()
    ctx = get_context("fork")
    with ctx.Pool(jobs, initializer=_init, initargs=(seed, str(out))) as pool:
        for result in pool.imap(_work, chunks):
            for _day, pages, day_stats in result:
                stats.update(day_stats)
                pages_per_day[len(pages)] += 1
                for url, gz, _count in pages:
                    records.append(
                        ArchiveRecord(
                            url=url,
                            body=gz,
                            headers=JSON_HEADERS,
                            fetched_at=fetched + timedelta(milliseconds=500 * len(records)),
                            constructed=True,
                            note=NOTE,
                        )
                    )
    rendered = time.monotonic()
    archive = out / "archive" / ARCHIVE_NAME
    archive.parent.mkdir(parents=True, exist_ok=True)
    write_records(archive, records)
    written = time.monotonic()
    manifest = {
        "generator": "benchmarks/generate.py",
        "alerts": n,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "page_size": PAGE_SIZE,
        "archive": str(archive.relative_to(out)),
        "archive_bytes": archive.stat().st_size,
        "cap_dir": "cap",
        "cap_format": "one .capbatch file per archive page: CAP XML messages separated by NUL",
        "messages": stats["messages"],
        "regular_alerts": stats["messages"] - (thread_msgs),
        "outage_threads": thread_stats["threads"],
        "outage_thread_messages": thread_msgs,
        "outage_thread_stats": dict(sorted(thread_stats.items())),
        "days": len(days),
        "pages": stats["pages"],
        "pages_per_day": {str(k): v for k, v in sorted(pages_per_day.items())},
        "busiest_day_alerts": max(counts) if counts else 0,
        "json_bytes": stats["json_bytes"],
        "gzip_bytes": stats["gzip_bytes"],
        "cap_bytes": stats["cap_bytes"],
        "mean_cap_bytes": round(stats["cap_bytes"] / max(1, stats["messages"])),
        "seconds_render": round(rendered - t0, 1),
        "seconds_write_archive": round(written - rendered, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2012, 6, 1))
    ap.add_argument(
        "--end",
        type=date.fromisoformat,
        default=date(2026, 11, 1),
        help="last day (fixed by default, so the output does not depend on today)",
    )
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    manifest = generate(args.alerts, args.seed, args.out, args.start, args.end, args.jobs)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
