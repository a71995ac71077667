"""Scale-out: scrapy-redis's scheduler and duplicate filter with our spiders, on a real Redis.

Two crawler processes (two "machines", each with its own data directory) run the same
OpenFEMA backfill against one Redis: the shared duplicate filter lets each day's request in
once and the shared queue hands it to whichever worker is free, so the recorded server sees
each request exactly once. Needs Debian's `redis-server` (skipped, with the reason, without).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.test_watch import ROOT, RecordedServer, offline_env

REDIS_SERVER = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
)


def redis_settings(url: str, job: str) -> dict[str, str]:
    """What `OUTAGES_REDIS_URL` turns on (crawlers/settings.py; docs/scale-out.md)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": url,
        "SCHEDULER_PERSIST": "True",
        "SCHEDULER_QUEUE_KEY": f"%(spider)s:{job}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"%(spider)s:{job}:dupefilter",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path):
    if REDIS_SERVER is None:
        reason = "redis-server not installed (apt-get install redis-server; .ci/run installs it)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    port = free_port()
    proc = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


def scrapy_crawl(
    spider: str, data_dir: Path, settings: dict[str, str], env: dict, *args: str
) -> subprocess.Popen:
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    base = {
        "OUTAGES_DATA_DIR": str(data_dir),
        "OUTAGES_WARC_PATH": str(data_dir / "archive" / "crawl.warc.gz"),
        "OUTAGES_PUBLISH_ON_CLOSE": "False",
        "LOG_LEVEL": "WARNING",
    }
    for key, value in {**base, **settings}.items():
        command += ["-s", f"{key}={value}"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def rewrite(base: str) -> dict[str, str]:
    """Settings that send every download to the recorded server (crawlers/rewrite.py)."""
    import json

    from crawlers import settings
    from crawlers.rewrite import enable

    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in enable(vars(settings), base).items()
    }


def reports_loaded(data_dir: Path) -> int:
    with duckdb.connect(str(data_dir / "work" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM crawled_reports").fetchone()[0]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_workers_share_one_redis_queue_and_dupefilter(tmp_path: Path, redis_url: str):
    import redis

    days = ("2024-06-15", "2024-06-18")  # four day windows: four requests in all
    job = "backfill-test"
    with RecordedServer() as server:
        settings = {**redis_settings(redis_url, job), **rewrite(server.base)}
        workers = []
        for name in ("worker-a", "worker-b"):
            data_dir = tmp_path / name
            workers.append(
                (
                    data_dir,
                    scrapy_crawl(
                        "openfema_ipaws",
                        data_dir,
                        settings,
                        offline_env(data_dir),
                        "-a",
                        f"since={days[0]}",
                        "-a",
                        f"until={days[1]}",
                    ),
                )
            )
        outputs = [(d, *p.communicate(timeout=150), p.returncode) for d, p in workers]
        hits = server.data_hits("www.fema.gov")
        for _, _, stderr, code in outputs:
            assert code == 0, stderr
            assert "Traceback" not in stderr, stderr
        # Each day's request went out once, whichever worker took it.
        assert hits == 4, (server.hits, [o[2][-2000:] for o in outputs])
        assert sum(reports_loaded(d) > 0 for d, *_ in outputs) >= 1
        client = redis.Redis.from_url(redis_url)
        assert client.scard(f"openfema_ipaws:{job}:dupefilter") == 4
        assert client.zcard(f"openfema_ipaws:{job}:requests") == 0  # the queue was drained
        # A later run of the same job finds everything seen: nothing is fetched twice.
        again = tmp_path / "worker-c"
        proc = scrapy_crawl(
            "openfema_ipaws",
            again,
            settings,
            offline_env(again),
            "-a",
            f"since={days[0]}",
            "-a",
            f"until={days[1]}",
        )
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        assert server.data_hits("www.fema.gov") == 4
    client.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_outages_redis_url_setting_turns_the_redis_scheduler_on(tmp_path: Path, redis_url: str):
    import importlib

    settings_module = importlib.import_module("crawlers.settings")
    if not hasattr(settings_module, "OUTAGES_REDIS_URL"):
        reason = "crawlers/settings.py has no OUTAGES_REDIS_URL block yet (see docs/scale-out.md)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    import redis

    data_dir = tmp_path / "data"
    env = dict(offline_env(data_dir), OUTAGES_REDIS_URL=redis_url, OUTAGES_REDIS_JOB="envjob")
    with RecordedServer() as server:
        proc = scrapy_crawl("nws_alerts", data_dir, rewrite(server.base), env)
        _, stderr = proc.communicate(timeout=100)
    assert proc.returncode == 0, stderr
    client = redis.Redis.from_url(redis_url)
    keys = {k.decode() for k in client.keys("*")}
    assert any(k.startswith("nws_alerts:") and k.endswith(":dupefilter") for k in keys), keys
    assert reports_loaded(data_dir) >= 1
    client.close()
