"""Crash safety and concurrency, with real processes.

- A crawl is SIGKILLed while loading, at the publish swap, and in the middle of copying the
  published file: the published database stays openable and consistent (the previous
  publication), and a re-run ends with exactly the rows of an uninterrupted run.
- Readers (plain DuckDB sessions, the app's query function, the public SQL guard) read
  while another process publishes again and again: no reader sees an error or a
  half-written file, and new sessions see the new data.
- Two crawls started at once on one data directory (the re-run above): one runs, the other
  refuses with a clear message, a third with --wait waits its turn; nothing is corrupted.

The kill points come from `warehouse.publish.pause_point` (OUTAGES_TEST_PAUSE=load|publish),
except the mid-copy kill, which watches for the temporary publish file to appear.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest

from crawlers.archive import ArchiveRecord, write_records
from tests.conftest import ROOT
from tests.warehouse_rows import report

pytestmark = pytest.mark.slow

FEMA_API = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts"
RECORDED = ROOT / "demo" / "recorded" / "openfema_ipaws_cap_corpus_2026-07-29_40alerts.json"
PAGES, PER_PAGE, BATCH = 3, 300, 200
# `outages crawl` exactly, with a smaller load batch so that a crawl loads several batches.
RUNNER = (
    "import sys; import crawlers.settings as s; s.OUTAGES_BATCH_SIZE = int(sys.argv.pop(1)); "
    "from outages.cli import main; main()"
)
PUBLIC_TABLES = ("reports", "report_counties", "states", "counties", "crawl_errors")


def archive_pages(pages: int) -> list[ArchiveRecord]:
    """`pages` OpenFEMA day pages of PER_PAGE real alerts, each with its own identifier."""
    alerts = [r["xml"] for r in json.loads(RECORDED.read_text())]
    records = []
    for page in range(pages):
        rows = [
            {
                "originalMessage": alerts[(page * PER_PAGE + i) % len(alerts)].replace(
                    "<identifier>", f"<identifier>crash-{page}-{i}-", 1
                )
            }
            for i in range(PER_PAGE)
        ]
        query = {"$filter": f"day eq {page}", "$top": "1000", "$skip": "0"}
        records.append(
            ArchiveRecord(
                f"{FEMA_API}?{urlencode(query)}",
                json.dumps({"IpawsArchivedAlerts": rows}).encode(),
                200,
                {"Content-Type": "application/json"},
                fetched_at=datetime(2026, 7, 30, tzinfo=UTC),
            )
        )
    return records


def crawl_command(archive: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        RUNNER,
        str(BATCH),
        "crawl",
        "openfema_ipaws",
        "--replay",
        str(archive),
        *extra,
    ]


def start(command: list[str], data_dir: Path, pause: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, OUTAGES_DATA=str(data_dir), NO_PROXY="*")
    env.pop("OUTAGES_LOG_LEVEL", None)
    env.pop("OUTAGES_TEST_PAUSE", None)
    if pause:
        env["OUTAGES_TEST_PAUSE"] = pause
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def run_ok(command: list[str], data_dir: Path) -> None:
    code, err = finish(start(command, data_dir))
    assert code == 0, err[-3000:]


def kill_at_pause(
    proc: subprocess.Popen, point: str, timeout: float = 180, before_kill=lambda: None
) -> None:
    """Wait until the process says it stopped at `point`, then SIGKILL it (calling
    `before_kill` just before)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            assert proc.poll() is None, "the crawl ended before the pause point:\n" + "".join(seen)
            continue
        seen.append(line)
        if line.startswith(f"OUTAGES_TEST_PAUSE {point}"):
            before_kill()
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return
    proc.kill()
    raise AssertionError(f"never reached pause point {point}:\n" + "".join(seen[-30:]))


def kill_when_copying(proc: subprocess.Popen, data_dir: Path, timeout: float = 180) -> bool:
    """SIGKILL the process as soon as its temporary publish file appears."""
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(data_dir.glob(".outages.duckdb.*.tmp")):
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.002)
    return False


def published_state(data_dir: Path) -> dict:
    """Open the published file and check it is whole: counts, unique ids, references."""
    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in PUBLIC_TABLES}
        ids = con.execute("SELECT count(DISTINCT report_id) FROM reports").fetchone()[0]
        orphans = con.execute(
            "SELECT count(*) FROM report_counties WHERE report_id NOT IN "
            "(SELECT report_id FROM reports)"
        ).fetchone()[0]
        published_at = con.execute("SELECT published_at FROM publication").fetchone()[0]
        digest = con.execute(
            "SELECT md5(string_agg(report_id || coalesce(title, ''), ',' ORDER BY report_id)) "
            "FROM reports"
        ).fetchone()[0]
    assert ids == counts["reports"], "duplicated report_id"
    assert orphans == 0, "report_counties rows without their report"
    return {"counts": counts, "published_at": published_at, "digest": digest}


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("crash-archives")
    records = archive_pages(PAGES)
    small, big = root / "small.warc.gz", root / "big.warc.gz"
    write_records(small, records[:1])
    write_records(big, records)
    return {"small": small, "big": big}


@pytest.fixture(scope="module")
def reference(archives: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """An uninterrupted crawl of the big archive, started now, awaited when first needed."""
    data_dir = tmp_path_factory.mktemp("crash-reference")
    proc = start(crawl_command(archives["big"]), data_dir)
    result: dict = {}

    def get() -> dict:
        if not result:
            code, err = finish(proc)
            assert code == 0, err[-3000:]
            result.update(published_state(data_dir))
        return result

    yield get
    if proc.poll() is None:
        proc.kill()


def test_sigkill_and_concurrent_crawls_lose_and_duplicate_nothing(
    archives: dict[str, Path], reference, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    run_ok(crawl_command(archives["small"]), data_dir)
    first = published_state(data_dir)
    assert first["counts"]["reports"] == PER_PAGE

    # 1. Killed while loading: one batch committed to the working database, more to come.
    proc = start(crawl_command(archives["big"]), data_dir, pause="load")
    kill_at_pause(proc, "load")
    assert published_state(data_dir) == first
    with duckdb.connect(str(data_dir / "work" / "warehouse.duckdb"), read_only=True) as work:
        loaded = work.execute("SELECT count(*) FROM crawled_reports").fetchone()[0]
        running = work.execute("SELECT run_id FROM crawl_runs WHERE status = 'running'")
        killed = [row[0] for row in running.fetchall()]
        assert len(killed) == 1  # the killed run
        # Its acknowledged batch is committed in the staging table (warehouse/load.py), which
        # the next run merges: every row of it, none of the batches it never loaded.
        acknowledged = work.execute(
            "SELECT count(*) FROM _staged_reports WHERE crawl_run_id = ?", killed
        ).fetchone()[0]
    assert loaded == PER_PAGE  # the first run's, merged when it finished
    assert BATCH <= acknowledged < PAGES * PER_PAGE

    # 2. Killed at the swap: the new file is complete but not in place.
    proc = start(crawl_command(archives["big"]), data_dir, pause="publish")
    kill_at_pause(proc, "publish")
    assert list(data_dir.glob(".outages.duckdb.*.tmp")), "the new file should be left behind"
    assert published_state(data_dir) == first

    # 3. Killed while the new file is being copied.
    proc = start(crawl_command(archives["big"]), data_dir)
    assert kill_when_copying(proc, data_dir), "the crawl finished before it could be killed"
    assert published_state(data_dir) == first

    # 4. The re-run, started twice at once (and a third time with --wait): one runs, one
    #    refuses with a clear message, the waiting one runs after it. They finish with
    #    exactly the rows of an uninterrupted run.
    first_run = start(crawl_command(archives["big"]), data_dir)
    lock_file = data_dir / "work" / "crawl.lock"
    deadline = time.monotonic() + 120
    while lock_file.read_text().strip() != str(first_run.pid):  # the holder writes its pid
        assert time.monotonic() < deadline and first_run.poll() is None
        time.sleep(0.02)
    refused = start(crawl_command(archives["big"]), data_dir)
    waiting = start(crawl_command(archives["big"], "--wait", "240"), data_dir)
    code, err = finish(refused)
    assert code != 0
    assert "another crawl or build is running" in err and "Traceback" not in err
    for proc in (first_run, waiting):
        code, err = finish(proc)
        assert code == 0, err[-3000:]
    final = published_state(data_dir)
    expected = reference()
    assert final["counts"] == expected["counts"]
    assert final["digest"] == expected["digest"]
    assert final["counts"]["reports"] == PAGES * PER_PAGE
    assert not list(data_dir.glob(".outages.duckdb.*.tmp*")), "stale publish files are removed"
    with duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT status, close_reason FROM crawl_runs ORDER BY started_at")
        statuses = runs.fetchall()
    # The run killed while loading is marked failed (interrupted), not left `running`
    # forever; the runs killed while publishing had finished their crawl.
    assert statuses.count(("failed", "interrupted")) == 1, statuses
    assert ("running", None) not in statuses


PUBLISHER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish

data_dir = DataDir(Path(sys.argv[1]))
con = connect_work(data_dir)
for i in range(int(sys.argv[2])):
    load_reports(con, [{
        "report_id": f"pub-{i:03d}", "source": "test", "source_url": f"https://example.org/{i}",
        "published_at": datetime(2024, 4, 17, tzinfo=UTC), "is_outage": False,
        "status": "not_outage", "state_codes": [], "county_fips": [], "references_keys": [],
        "is_constructed": True,
    }])
    build(con)
    publish(con, data_dir)
    print(i + 1, flush=True)
"""


def test_readers_never_see_a_half_published_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import guard
    from webapp import data as app_data

    rounds = 8
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OUTAGES_DATA", str(data_dir))
    published = data_dir / "outages.duckdb"
    env = dict(os.environ)
    env.pop("OUTAGES_TEST_PAUSE", None)
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(data_dir), str(rounds)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert publisher.stdout.readline().strip() == "1", publisher.stderr.read()
    done = threading.Event()
    errors: list[str] = []
    seen: dict[str, list[int]] = {}

    def reader(name: str, read) -> None:
        counts = seen.setdefault(name, [])
        while not done.is_set():
            try:
                counts.append(read())
            except Exception as exc:  # any error at all is a failure of the publish design
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            time.sleep(0.01)

    def plain() -> int:
        # A fresh in-memory instance that attaches the file: duckdb.connect(path) would reuse
        # any instance of that path still open in this process (the app keeps one).
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{published}' AS pub (READ_ONLY)")
            con.execute("USE pub")
            con.execute("SELECT count(*) FROM counties").fetchone()
            assert con.execute("SELECT count(*) FROM publication").fetchone()[0] == 1
            return con.execute("SELECT count(*) FROM reports").fetchone()[0]

    def app() -> int:  # the app's own read path: current publication, cached per version
        json.loads((data_dir / "publication.json").read_text())
        return int(app_data.scalar(app_data.current(), "SELECT count(*) FROM reports"))

    def public_sql() -> int:
        result = guard.run_public_query(published, "SELECT count(*) FROM reports", time_limit=10)
        return result.rows[0][0]

    readers = (("plain-1", plain), ("plain-2", plain), ("app", app), ("sql", public_sql))
    threads = [threading.Thread(target=reader, args=reader_args) for reader_args in readers]
    for thread in threads:
        thread.start()
    try:
        out, err = publisher.communicate(timeout=240)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert publisher.returncode == 0, err[-3000:]
    assert errors == []
    for name, counts in seen.items():
        assert counts, f"{name} never read"
        assert counts == sorted(counts), f"{name} went back to older data: {counts}"
        assert set(counts) <= set(range(1, rounds + 1)), counts
    # New sessions see the newest publication.
    assert plain() == public_sql() == rounds
    assert json.loads((data_dir / "publication.json").read_text())["counts"]["reports"] == rounds


def test_the_app_sees_a_new_publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.build import build
    from warehouse.db import DataDir, connect_work
    from warehouse.load import load_reports
    from warehouse.publish import publish
    from webapp import data as app_data

    data_dir = DataDir(tmp_path / "data")
    monkeypatch.setenv("OUTAGES_DATA", str(data_dir.root))
    con = connect_work(data_dir)
    for n in (1, 2):
        load_reports(con, [report(f"app-{n}")])
        build(con)
        publish(con, data_dir)
        pub = app_data.current()
        assert app_data.scalar(pub, "SELECT count(*) FROM reports") == n
    con.close()


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_parse_workers_die_with_a_killed_crawl(archives: dict[str, Path], tmp_path: Path) -> None:
    """A SIGKILLed crawl cannot clean up: its parse workers must die with it (they ask the
    kernel for a signal when their parent dies), not live on as orphans."""
    proc = start(crawl_command(archives["big"]), tmp_path / "data", pause="load")
    workers: list[int] = []
    kill_at_pause(proc, "load", before_kill=lambda: workers.extend(children_of(proc.pid)))
    assert workers, "the crawl should have started parse workers"
    deadline = time.monotonic() + 60  # a wait for the kernel, not a speed limit
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]
