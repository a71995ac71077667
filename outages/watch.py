"""`outages watch`: run every source on its own cadence, unattended, for months.

Design (see docs/deploy.md for the reasoning):

- One long-running **scheduler process** (APScheduler's `BackgroundScheduler`, one interval
  job per spider at the spider's declared `cadence_minutes`, `max_instances=1` and
  `coalesce=True`: never two runs of one spider at once, a missed run is run once, late).
- Each run is a **child process** (`python -m outages.watch run-one SPIDER`), because a
  Scrapy `CrawlerProcess` cannot restart Twisted's reactor within one process. A child that
  leaks, hangs or crashes costs one run: it is killed after `--run-timeout`, recorded as a
  failed run, and the watcher goes on. Different spiders' children may overlap; the crawl
  lock (`warehouse/lock.py`, one writer per data directory) serialises their database work:
  a child waits for it up to `--lock-wait` seconds.
- The child crawls (live, recording to the month's WARC archive, rotated by size), builds,
  and **publishes only when the public data changed** (a fingerprint of reports and
  incidents against the one last published) or the published file is older than
  `--max-publish-age`; then it writes `DIR/status.json`. A publish also rewrites the Atom
  feeds and calls the webhooks (`after_publish`).
- A **failing source** (status `failed` or `empty`, a crash or a timeout) is retried with
  exponential backoff: first after min(cadence, 5 min), doubling, at most max(cadence, 1 h);
  never more often than its cadence. A good run returns it to its cadence.
- **SIGTERM/SIGINT**: no new runs; running children get SIGTERM (Scrapy's graceful shutdown:
  the spider closes, its last batch is loaded and its run recorded; the child then finishes
  its build and publish, which replaces the published file atomically or not at all); after
  `--grace` seconds what is left is killed (the published file is never half-written:
  publish writes a temporary file and `os.replace`s it). Exit status 0.
- One log line per run on stderr (spider, status, items, outages, errors, seconds, published,
  next run); each child's own log goes to `DIR/logs/<spider>.log` (last run).
- A heartbeat file `DIR/work/watch.json` (running spiders, next run times, counters) feeds
  `status.json`, the About page and the container health check.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from outages.health import Unhealthy, check_health
from outages.runner import GOOD, parse_settings, publish_now, record_failure, run_one
from warehouse.db import DataDir
from warehouse.settings import setting

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT_SECONDS = 5.0
STATUS_REFRESH_SECONDS = 60.0

logger = logging.getLogger("outages.watch")


# ---------------------------------------------------------------------------- the watcher
def bytecode_cache_dir() -> Path:
    """Where the watcher's runs cache compiled bytecode (outside the source tree)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "outage-watch" / "pycache"


def backoff_seconds(cadence_minutes: float, failures: int, scale: float = 1.0) -> float:
    """Retry delay after `failures` consecutive failures (never shorter than the cadence)."""
    first = min(cadence_minutes, 5.0)
    cap = max(cadence_minutes, 60.0)
    return min(cap, first * 2 ** max(failures - 1, 0)) * 60.0 * scale


@dataclass
class Source:
    name: str
    cadence_minutes: float
    failures: int = 0
    last_status: str | None = None
    runs: int = 0


@dataclass
class Watcher:
    data_dir: DataDir
    sources: list[Source]
    scale: float = 1.0
    workers: int = 2
    lock_wait: float = 1800.0
    run_timeout: float = 3600.0
    grace: float = 60.0
    max_publish_age: float | None = 3600.0
    settings: dict[str, str] = field(default_factory=dict)
    verbose: bool = False
    # `outages sources check` at start-up and every this many minutes (0: never); the check
    # itself is injectable (tests: no network), by default a child `outages sources check`.
    source_check_minutes: float = 0.0
    source_check: Callable[[], list[dict[str, Any]]] | None = None

    def __post_init__(self) -> None:
        self.stop_event = threading.Event()
        self.stopping = threading.Event()
        self.state_lock = threading.Lock()
        self.db_lock = threading.Lock()
        self.echo_lock = threading.Lock()
        self.procs: dict[str, subprocess.Popen] = {}
        self.active: set[str] = set()
        self.counters = {
            "runs": 0,
            "publishes": 0,
            "failed_runs": 0,
            "skipped_busy": 0,
            "interrupted": 0,
        }
        self.started_at = datetime.now(UTC)
        self.stop_reason = ""
        self.signals = 0
        self.scheduler: Any = None
        self.by_name = {s.name: s for s in self.sources}
        self._source_records: list[dict[str, Any]] | None = None
        (self.data_dir.root / "logs").mkdir(parents=True, exist_ok=True)

    def source_records(self) -> list[dict[str, Any]]:
        """Every spider's declared metadata (crawlers/registry.py), for the status.json the
        watcher writes between runs: the warehouse loads no spider itself. Read once."""
        if self._source_records is None:
            from crawlers.registry import source_records

            self._source_records = source_records()
        return self._source_records

    # ---- output ---------------------------------------------------------------------------
    def say(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.echo_lock:
            click.echo(f"{stamp} watch {message}", err=True)

    def interval(self, source: Source) -> float:
        return source.cadence_minutes * 60.0 * self.scale

    # ---- one run ----------------------------------------------------------------------------
    def child_command(self, name: str) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "outages.watch",
            "run-one",
            name,
            "--data-dir",
            str(self.data_dir.root),
            "--lock-wait",
            str(self.lock_wait),
        ]
        if self.max_publish_age is not None:
            command += ["--max-publish-age", str(self.max_publish_age)]
        for key, value in self.settings.items():
            command += ["-s", f"{key}={value}"]
        return command

    def run_source(self, name: str) -> dict[str, Any] | None:
        """Run one spider in a child process and account for it (an APScheduler job)."""
        if self.stopping.is_set():
            return None
        with self.state_lock:
            self.active.add(name)
        try:
            return self._run_source(name)
        finally:
            with self.state_lock:
                self.active.discard(name)

    def _run_source(self, name: str) -> dict[str, Any]:
        source = self.by_name[name]
        started = time.monotonic()
        result: dict[str, Any] | None = None
        error: tuple[str, str] | None = None
        env = dict(
            os.environ,
            OUTAGES_DATA=str(self.data_dir.root),
            OUTAGES_CADENCE_SCALE=repr(self.scale),
            PYTHONUNBUFFERED="1",
        )
        if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
            # Every run is a fresh interpreter: without cached bytecode each one would
            # compile some 1,200 modules again (seconds of CPU). Keep the cache out of the
            # source tree, which is what PYTHONDONTWRITEBYTECODE is usually set for.
            env.pop("PYTHONDONTWRITEBYTECODE")
            env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache_dir())
        log_path = self.data_dir.root / "logs" / f"{name}.log"
        try:
            with open(log_path, "w") as log:
                proc = subprocess.Popen(
                    self.child_command(name),
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    start_new_session=True,
                )
                with self.state_lock:
                    self.procs[name] = proc
                if self.stopping.is_set():  # a stop came while starting: pass it on
                    self._signal(proc, signal.SIGTERM)
                try:
                    stdout, _ = proc.communicate(timeout=self.run_timeout)
                except subprocess.TimeoutExpired:
                    self._terminate(proc, 30.0)
                    stdout = ""
                    error = ("Timeout", f"run killed after {self.run_timeout:g} s")
            result = _last_json(stdout)
            if self.stopping.is_set() and (result is None or proc.returncode != 0):
                result, error = {"spider": name, "status": "interrupted"}, None
            if error is None and (proc.returncode != 0 or result is None):
                tail = _tail(log_path)
                error = ("Crashed", f"exit status {proc.returncode}: {tail}")
        except OSError as exc:
            error = ("Crashed", f"could not start the run: {exc}")
        finally:
            with self.state_lock:
                self.procs.pop(name, None)
        seconds = round(time.monotonic() - started, 1)
        if error is not None:
            try:
                with self.db_lock:
                    record_failure(
                        self.data_dir, name, error[0], error[1], lock_wait=min(self.lock_wait, 60.0)
                    )
            except Exception as exc:  # the watcher survives even this
                self.say(f"{name}: could not record the failure: {exc}")
            result = {
                "spider": name,
                "status": "failed",
                "reports": 0,
                "outages": 0,
                "errors": 1,
                "published": False,
                "error": error[1],
            }
        assert result is not None
        self.account(source, result, seconds)
        return result

    def account(self, source: Source, result: dict[str, Any], seconds: float) -> None:
        status = result.get("status", "failed")
        if result.get("close_reason") == "shutdown":
            status = "interrupted"
        previous_failures = source.failures
        with self.state_lock:
            self.counters["publishes"] += bool(result.get("published"))
            if status == "busy":
                self.counters["skipped_busy"] += 1
            elif status == "interrupted":
                self.counters["interrupted"] += 1
            else:
                self.counters["runs"] += 1
                source.runs += 1
                source.last_status = status
                if status in GOOD:
                    source.failures = 0
                else:
                    source.failures += 1
                    self.counters["failed_runs"] += 1
        next_run = self.next_run_after(source, status)
        error = result.get("error") or ((result.get("last_error") or {}).get("message"))
        line = (
            f"{source.name} {status} items={result.get('reports', 0)} "
            f"outages={result.get('outages', 0)} errors={result.get('errors', 0)} "
            f"seconds={seconds} published={'yes' if result.get('published') else 'no'}"
        )
        if next_run is not None:
            line += f" next={next_run:%H:%M:%S}Z"
        if source.failures:
            line += f" failures={source.failures}"
        elif previous_failures and status in GOOD:
            line += f" (recovered after {previous_failures} failed runs)"
        if status == "busy":
            line += " (another writer held the lock; next run at the cadence)"
        elif status == "interrupted":
            line += " (stopped by the shutdown; not counted against the source)"
        elif error and status not in GOOD:
            line += f' error="{_one_line(error)[:200]}"'
        self.say(line)

    def next_run_after(self, source: Source, status: str) -> datetime | None:
        """Reschedule a failing source with backoff; return its next run time."""
        if self.scheduler is None or self.stopping.is_set():
            return None
        try:
            if status not in (*GOOD, "busy", "interrupted") and source.failures:
                delay = backoff_seconds(source.cadence_minutes, source.failures, self.scale)
                when = datetime.now(UTC) + timedelta(seconds=delay)
                self.scheduler.modify_job(source.name, next_run_time=when)
                return when
            job = self.scheduler.get_job(source.name)
            return job.next_run_time if job else None
        except Exception:  # the scheduler may be shutting down
            return None

    # ---- process control ------------------------------------------------------------------
    @staticmethod
    def _signal(proc: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)

    def _terminate(self, proc: subprocess.Popen, wait: float) -> None:
        self._signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self._signal(proc, signal.SIGKILL)
            proc.wait()

    def on_signal(self, signum: int, _frame: Any) -> None:
        self.signals += 1
        self.stop_reason = signal.Signals(signum).name
        self.stop_event.set()
        if self.signals > 1:  # a second signal: no more grace
            with self.state_lock:
                procs = list(self.procs.values())
            for proc in procs:
                self._signal(proc, signal.SIGKILL)

    # ---- heartbeat ------------------------------------------------------------------------
    def next_runs(self) -> dict[str, str]:
        if self.scheduler is None:
            return {}
        try:
            jobs = self.scheduler.get_jobs()
        except Exception:
            return {}
        return {
            job.id: job.next_run_time.astimezone(UTC).isoformat()
            for job in jobs
            if job.next_run_time is not None
        }

    def heartbeat(self, stopped: bool = False) -> None:
        from warehouse.status import write_json_atomic

        with self.state_lock:
            info = {
                "pid": os.getpid(),
                "started_at": self.started_at.isoformat(),
                "heartbeat_at": datetime.now(UTC).isoformat(),
                "heartbeat_seconds": HEARTBEAT_SECONDS,
                "cadence_scale": self.scale,
                "sources": {
                    s.name: {
                        "cadence_minutes": s.cadence_minutes,
                        "runs": s.runs,
                        "failures": s.failures,
                        "last_status": s.last_status,
                    }
                    for s in self.sources
                },
                "running": sorted(self.active),
                "counters": dict(self.counters),
            }
        info["next_run_at"] = {} if stopped else self.next_runs()
        if stopped:
            info["stopped_at"] = datetime.now(UTC).isoformat()
            info["stop_reason"] = self.stop_reason
        write_json_atomic(self.data_dir.work_db.parent / "watch.json", info)

    def refresh_status(self) -> None:
        """Rewrite status.json between runs (states move with the clock), unless a run
        holds the crawl lock (it writes a fresher one itself)."""
        from warehouse import lock
        from warehouse.status import refresh_status

        if not self.db_lock.acquire(blocking=False):
            return
        try:
            lock.acquire(self.data_dir.lock_file, wait_seconds=0)
        except lock.LockBusy:
            self.db_lock.release()
            return
        try:
            refresh_status(self.data_dir, self.source_records())
        except Exception as exc:
            logger.warning("could not refresh status.json: %s", exc)
        finally:
            lock.release(self.data_dir.lock_file)
            self.db_lock.release()

    # ---- source check -----------------------------------------------------------------------
    def source_check_job(self, now: datetime) -> dict[str, Any] | None:
        """The scheduler job of the source check (add_job keyword arguments): first run at
        `now` (start-up), then every `source_check_minutes` (scaled); None when disabled."""
        from apscheduler.triggers.interval import IntervalTrigger

        if self.source_check_minutes <= 0:
            return None
        seconds = self.source_check_minutes * 60.0 * self.scale
        return {
            "func": self.run_source_check,
            "trigger": IntervalTrigger(seconds=seconds),
            "id": "source_check",
            "name": "source_check",
            "next_run_time": now,
        }

    def run_source_check(self) -> list[dict[str, Any]] | None:
        """Check every watched source's live start URLs; keep the result for status.json."""
        from warehouse.status import write_source_checks

        if self.stopping.is_set():
            return None
        try:
            results = (self.source_check or self._source_check_child)()
        except Exception as exc:  # the check must never stop the watcher
            self.say(f"source check failed: {exc}")
            return None
        write_source_checks(self.data_dir, results)
        drifted = [r["spider"] for r in results if r.get("drifted")]
        self.say(
            f"source check: {len(results)} sources, "
            + (f"drifted: {', '.join(drifted)}" if drifted else "none drifted")
        )
        self.refresh_status()
        return results

    def _source_check_child(self) -> list[dict[str, Any]]:
        # A child process, as for runs: Scrapy's Twisted reactor cannot restart in-process.
        command = [sys.executable, "-m", "outages.cli", "sources", "check", "--json"]
        command += [s.name for s in self.sources]
        for key, value in self.settings.items():
            command += ["--set", f"{key}={value}"]
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=self.run_timeout, check=False
        )
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"exit {proc.returncode}: {_one_line(proc.stderr[-500:])}")
        return json.loads(proc.stdout)

    # ---- startup ----------------------------------------------------------------------------
    def first_runs(self) -> dict[str, datetime]:
        """When each source first runs: when it is due by its last run, staggered."""
        from warehouse.status import _parse, source_freshness

        now = datetime.now(UTC)
        try:
            facts = {
                row["spider"]: row
                for row in source_freshness(self.data_dir, now, self.source_records())
            }
        except Exception:
            facts = {}
        shortest = min((self.interval(s) for s in self.sources), default=60.0)
        step = min(5.0, shortest / 4)
        firsts = {}
        for index, source in enumerate(self.sources):
            earliest = now + timedelta(seconds=index * step)
            fact = facts.get(source.name) or {}
            last = _parse(fact.get("last_run_at"))
            source.failures = int(fact.get("consecutive_failures") or 0)
            if last is None:
                due = earliest
            elif fact.get("last_status") in GOOD:
                due = last + timedelta(seconds=self.interval(source))
            else:
                delay = backoff_seconds(source.cadence_minutes, source.failures, self.scale)
                due = last + timedelta(seconds=delay)
            firsts[source.name] = max(due, earliest)
        return firsts

    # ---- main loop --------------------------------------------------------------------------
    def run(self, for_seconds: float | None = None) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        if not self.verbose:
            logging.getLogger("apscheduler").setLevel(logging.ERROR)
        previous = {
            sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self.say(
                f"starting (pid {os.getpid()}, data {self.data_dir.root}, "
                f"{len(self.sources)} sources, cadence scale {self.scale:g}): "
                + ", ".join(f"{s.name} every {self.interval(s):g} s" for s in self.sources)
            )
            self.scheduler = BackgroundScheduler(
                executors={"default": ThreadPoolExecutor(max_workers=self.workers)},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
                timezone=UTC,
            )
            firsts = self.first_runs()
            for source in self.sources:
                seconds = self.interval(source)
                self.scheduler.add_job(
                    self.run_source,
                    IntervalTrigger(seconds=seconds, jitter=min(30.0, seconds * 0.05)),
                    args=[source.name],
                    id=source.name,
                    name=source.name,
                    next_run_time=firsts[source.name],
                )
            check_job = self.source_check_job(datetime.now(UTC))
            if check_job is not None:
                self.scheduler.add_job(**check_job)
            self.scheduler.start()
            self.heartbeat()
            deadline = time.monotonic() + for_seconds if for_seconds else None
            last_beat = last_refresh = time.monotonic()
            while not self.stop_event.wait(0.25):
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    self.heartbeat()
                    last_beat = time.monotonic()
                if time.monotonic() - last_refresh >= STATUS_REFRESH_SECONDS:
                    self.refresh_status()
                    last_refresh = time.monotonic()
                if deadline is not None and time.monotonic() >= deadline:
                    self.stop_reason = f"--for {for_seconds:g} s elapsed"
                    break
            self.shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def shutdown(self) -> None:
        self.stopping.set()
        self.say(f"stopping ({self.stop_reason or 'stop requested'}): no new runs")
        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.shutdown(wait=False)
        with self.state_lock:
            procs = dict(self.procs)
        for name, proc in procs.items():
            self.say(f"{name}: asking the running crawl to stop (SIGTERM)")
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while self.active and time.monotonic() < deadline:
            time.sleep(0.2)
        with self.state_lock:
            left = dict(self.procs)
        for name, proc in left.items():
            self.say(f"{name}: still running after {self.grace:g} s: killed")
            self._signal(proc, signal.SIGKILL)
        end = time.monotonic() + 30.0
        while self.active and time.monotonic() < end:
            time.sleep(0.2)
        self.heartbeat(stopped=True)
        self.refresh_status()
        c = self.counters
        self.say(
            f"stopped after {c['runs']} runs ({c['failed_runs']} failed, "
            f"{c['skipped_busy']} skipped: lock busy, {c['interrupted']} interrupted), "
            f"{c['publishes']} publishes"
        )

    def run_once(self) -> int:
        """Every source once, one after another; exit status 1 when one failed."""
        failed = []
        for source in self.sources:
            result = self.run_source(source.name)
            if result is None or result.get("status") not in (*GOOD, "busy", "interrupted"):
                failed.append(source.name)
        self.heartbeat(stopped=True)
        self.refresh_status()
        return 1 if failed else 0


def _last_json(stdout: str | None) -> dict[str, Any] | None:
    for line in reversed((stdout or "").strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "spider" in value:
            return value
    return None


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace('"', "'")


def plan(only: Sequence[str] = ()) -> list[Source]:
    """The sources to watch, with their cadences, from the spiders' own metadata."""
    from crawlers.registry import spider_classes

    classes = {cls.name: cls for cls in spider_classes()}
    unknown = [name for name in only if name not in classes]
    if unknown:
        raise click.UsageError(
            f"unknown spider {', '.join(unknown)}; known: {', '.join(sorted(classes))}"
        )
    names = list(only) or sorted(classes)
    return [Source(name, float(classes[name].cadence_minutes)) for name in names]


# ---------------------------------------------------------------------------- commands
def _data_dir_option(func: Any) -> Any:
    return click.option(
        "--data-dir",
        envvar="OUTAGES_DATA",
        default="data",
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Where the databases, archives and exports live (env OUTAGES_DATA).",
    )(func)


@click.command()
@click.option("--only", multiple=True, metavar="SPIDER", help="Watch only these (repeatable).")
@click.option("--once", is_flag=True, help="Run every source once, one after another, and exit.")
@click.option(
    "--for",
    "for_seconds",
    type=float,
    metavar="SECONDS",
    help="Stop (as on SIGTERM) after this long.",
)
@click.option(
    "--cadence-scale",
    type=float,
    default=1.0,
    show_default=True,
    envvar="OUTAGES_CADENCE_SCALE",
    help="Multiply every cadence (tests: 0.01).",
)
@click.option(
    "--workers",
    type=int,
    default=2,
    show_default=True,
    help="Runs started at once (the crawl lock still serialises database work).",
)
@click.option(
    "--lock-wait",
    type=float,
    default=1800.0,
    show_default=True,
    help="How long a run waits for another writer (seconds).",
)
@click.option(
    "--run-timeout",
    type=float,
    default=3600.0,
    show_default=True,
    help="Kill a run after this long (seconds).",
)
@click.option(
    "--grace",
    type=float,
    default=60.0,
    show_default=True,
    help="On SIGTERM, how long running crawls get to stop (seconds).",
)
@click.option(
    "--max-publish-age",
    type=float,
    default=3600.0,
    show_default=True,
    help="Publish after a run that changed nothing when the published file is "
    "older than this (seconds).",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Scrapy setting for every run (repeatable).",
)
@click.option("--verbose", "-v", is_flag=True, help="The scheduler's own log too.")
@_data_dir_option
def watch(
    only: tuple[str, ...],
    once: bool,
    for_seconds: float | None,
    cadence_scale: float,
    workers: int,
    lock_wait: float,
    run_timeout: float,
    grace: float,
    max_publish_age: float,
    settings: tuple[str, ...],
    verbose: bool,
    data_dir: Path,
) -> None:
    """Run every source on its cadence, publish what changed, until SIGTERM."""
    if cadence_scale <= 0:
        raise click.BadParameter("must be positive", param_hint="--cadence-scale")
    os.environ["OUTAGES_CADENCE_SCALE"] = repr(cadence_scale)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    watcher = Watcher(
        data_dir=DataDir.resolve(data_dir).ensure(),
        sources=plan(only),
        scale=cadence_scale,
        workers=max(1, workers),
        lock_wait=lock_wait,
        run_timeout=run_timeout,
        grace=grace,
        max_publish_age=max_publish_age,
        settings=parse_settings(settings),
        verbose=verbose,
        source_check_minutes=0.0 if once else float(setting("OUTAGES_SOURCE_CHECK_MINUTES")),
    )
    code = watcher.run_once() if once else watcher.run(for_seconds)
    raise SystemExit(code)


@click.command()
@click.option("--public-url", envvar="OUTAGES_PUBLIC_URL", help="Where the map is served.")
@_data_dir_option
def feeds(public_url: str | None, data_dir: Path) -> None:
    """Write the Atom feeds (DIR/feeds/) from the published database."""
    from warehouse.feeds import write_feeds

    ddir = DataDir.resolve(data_dir)
    if not ddir.published_db.exists():
        raise click.ClickException(f"nothing published in {ddir.root}")
    written = write_feeds(ddir.published_db, ddir.root / "feeds", public_url=public_url)
    click.echo(
        f"wrote {len(written)} feeds to {ddir.root / 'feeds'} "
        f"({written.get('incidents.xml', 0)} incidents in incidents.xml)",
        err=True,
    )


# Internal commands (`python -m outages.watch ...`): what the watcher and the container run.
@click.group()
def internal() -> None:
    """Internal commands of `outages watch`."""


@internal.command("run-one")
@click.argument("spider")
@click.option("--lock-wait", type=float, default=1800.0)
@click.option("--max-publish-age", type=float, default=None)
@click.option("-s", "--set", "settings", multiple=True)
@_data_dir_option
def run_one_command(
    spider: str,
    lock_wait: float,
    max_publish_age: float | None,
    settings: tuple[str, ...],
    data_dir: Path,
) -> None:
    """Crawl SPIDER, build, publish if changed; print the result as one JSON line."""
    # Until Scrapy installs its graceful-shutdown handler (and after the crawl, when run_one
    # ignores SIGTERM to finish its publish), a SIGTERM abandons the run cleanly.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = run_one(
            DataDir.resolve(data_dir),
            spider,
            lock_wait=lock_wait,
            overrides=parse_settings(settings),
            max_publish_age=max_publish_age,
        )
    except Interrupted:
        result = {"spider": spider, "status": "interrupted"}
    click.echo(json.dumps(result, default=str))


class Interrupted(Exception):
    """SIGTERM reached a run before its crawl started."""


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted()


@internal.command()
@click.option("--max-age", type=float, default=60.0, show_default=True)
@_data_dir_option
def healthcheck(max_age: float, data_dir: Path) -> None:
    """Exit 0 when a watcher's heartbeat is recent and something is published."""
    try:
        click.echo(check_health(DataDir.resolve(data_dir), max_age))
    except Unhealthy as exc:
        raise click.ClickException(str(exc)) from exc


@internal.command("publish")
@click.option("--lock-wait", type=float, default=60.0)
@_data_dir_option
def publish_command(lock_wait: float, data_dir: Path) -> None:
    """Build and publish the working database, then status, feeds and webhooks."""
    click.echo(json.dumps(publish_now(DataDir.resolve(data_dir), lock_wait), default=str))


internal.add_command(watch)
internal.add_command(feeds)


if __name__ == "__main__":
    internal()
