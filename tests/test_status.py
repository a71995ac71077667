"""Freshness: fresh, late, failing, never, since when, the last error; status.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from crawlers.registry import source_records
from warehouse.db import MIGRATIONS_DIR, DataDir
from warehouse.status import (
    data_age,
    freshness,
    merge_facts,
    run_facts,
    source_freshness,
    write_status,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def operations_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute((MIGRATIONS_DIR / "0001_initial.sql").read_text())
    return con


def add_run(
    con,
    spider: str,
    minutes_ago: float,
    status: str,
    *,
    mode: str = "live",
    close_reason: str = "finished",
    items: int = 1,
) -> None:
    started = NOW - timedelta(minutes=minutes_ago)
    run_id = f"run-{spider}-{minutes_ago}-{status}"
    con.execute(
        "INSERT INTO crawl_runs (run_id, spider, started_at, finished_at, status, close_reason, "
        "mode, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            spider,
            started,
            started + timedelta(seconds=20),
            status,
            close_reason,
            mode,
            items,
        ],
    )


def add_error(con, spider: str, minutes_ago: float, message: str, stage: str = "download"):
    seen = NOW - timedelta(minutes=minutes_ago)
    con.execute(
        "INSERT INTO crawl_errors (error_id, spider, url, stage, error_type, message, "
        "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, 'HttpError', ?, ?, ?)",
        [
            f"e-{spider}-{minutes_ago}-{stage}",
            spider,
            "https://example.org/x",
            stage,
            message,
            seen,
            seen,
        ],
    )


@pytest.fixture
def facts() -> dict:
    con = operations_db()
    # nws_alerts (every 5 min): good 3 minutes ago -> fresh since the first good run after
    # its last failure.
    add_run(con, "nws_alerts", 40, "failed", items=0)
    add_run(con, "nws_alerts", 30, "ok")
    add_run(con, "nws_alerts", 8, "partial")
    add_run(con, "nws_alerts", 3, "ok")
    # ipaws_feed (every 2 min): last good run 30 minutes ago -> late since 30 - 4 minutes.
    add_run(con, "ipaws_feed", 30, "ok")
    # openfema_ipaws: good, then two failures -> failing since the first of them.
    add_run(con, "openfema_ipaws", 3000, "ok")
    add_run(con, "openfema_ipaws", 120, "failed", items=0)
    add_run(con, "openfema_ipaws", 60, "empty", items=0)
    add_error(con, "openfema_ipaws", 200, "HTTP 503")
    add_error(con, "openfema_ipaws", 60, "HTTP 500")
    add_error(con, "openfema_ipaws", 59, "unknown place code", stage="geocode")  # a warning
    # gdelt_news: a replay run and a run stopped by a shutdown say nothing about the source.
    add_run(con, "gdelt_news", 10, "ok", mode="replay")
    add_run(con, "iem_afos", 5, "failed", close_reason="shutdown")
    add_run(con, "iem_afos", 6, "running")
    return run_facts(con)


def test_states_and_since(facts: dict) -> None:
    state, since = freshness(5, facts["nws_alerts"], NOW)
    assert state == "fresh"
    assert since == (NOW - timedelta(minutes=30)).isoformat()

    state, since = freshness(2, facts["ipaws_feed"], NOW)
    assert state == "late"
    last_ok = NOW - timedelta(minutes=30) + timedelta(seconds=20)
    assert since == (last_ok + timedelta(minutes=4)).isoformat()

    state, since = freshness(24 * 60, facts["openfema_ipaws"], NOW)
    assert state == "failing"
    assert since == (NOW - timedelta(minutes=120)).isoformat()
    assert facts["openfema_ipaws"]["consecutive_failures"] == 2
    assert facts["openfema_ipaws"]["last_error"]["message"] == "HTTP 500"  # not the warning

    assert "gdelt_news" not in facts and "iem_afos" not in facts
    assert freshness(60, facts.get("gdelt_news"), NOW) == ("never", None)


def test_late_after_twice_the_cadence_and_scale(facts: dict) -> None:
    fact = facts["nws_alerts"]  # last good run finished 2 min 40 s ago
    assert freshness(5, fact, NOW + timedelta(minutes=7))[0] == "fresh"
    assert freshness(5, fact, NOW + timedelta(minutes=8))[0] == "late"
    # Tests scale cadences: 5 min x 0.01 = 3 s; twice that is long past.
    assert freshness(5, fact, NOW, scale=0.01)[0] == "late"


def test_merge_prefers_the_latest_run() -> None:
    older = {"nws_alerts": {"last_run_at": "2026-11-21T10:00:00+00:00", "last_status": "ok"}}
    newer = {"nws_alerts": {"last_run_at": "2026-11-21T10:00:00.5+00:00", "last_status": "failed"}}
    assert merge_facts(newer, older)["nws_alerts"]["last_status"] == "failed"
    assert merge_facts(older, newer)["nws_alerts"]["last_status"] == "failed"


def test_status_json_and_source_freshness(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("OUTAGES_CADENCE_SCALE", raising=False)
    data_dir = DataDir(tmp_path).ensure()
    con = operations_db()
    now = datetime.now(UTC)
    started = now - timedelta(minutes=1)
    con.execute(
        "INSERT INTO crawl_runs (run_id, spider, started_at, finished_at, status, mode) "
        "VALUES ('r1', 'nws_alerts', ?, ?, 'ok', 'live'), ('r2', 'ipaws_feed', ?, ?, "
        "'failed', 'live')",
        [started, started, started, started],
    )
    add_error(con, "ipaws_feed", 0, "HTTP 500")
    (tmp_path / "publication.json").write_text(
        json.dumps({"published_at": now.replace(microsecond=0).isoformat()})
    )
    document = write_status(data_dir, con, source_records())
    on_disk = json.loads((tmp_path / "status.json").read_text())
    assert on_disk == json.loads(json.dumps(document))
    rows = {row["spider"]: row for row in on_disk["sources"]}
    assert rows["nws_alerts"]["state"] == "fresh"
    assert rows["ipaws_feed"]["state"] == "failing"
    assert rows["ipaws_feed"]["last_error"]["message"] == "HTTP 500"
    assert rows["openfema_ipaws"]["state"] == "never"
    assert on_disk["summary"]["fresh"] == 1 and on_disk["summary"]["failing"] == 1
    assert on_disk["data"]["published_at"] and on_disk["data"]["last_checked_at"]

    # Read back for `outages spiders` and the About page; a watcher that died leaves
    # status.json behind, and its sources go late as the clock moves on.
    later = {
        r["spider"]: r
        for r in source_freshness(data_dir, now + timedelta(minutes=11), sources=source_records())
    }
    assert later["nws_alerts"]["state"] == "late"
    assert later["nws_alerts"]["since"] is not None
    assert later["ipaws_feed"]["state"] == "failing"
    assert data_age(data_dir)["last_checked_at"] == rows["nws_alerts"]["last_ok_at"]


def test_no_data_at_all(tmp_path: Path) -> None:
    rows = source_freshness(DataDir(tmp_path), sources=source_records())
    assert rows and {row["state"] for row in rows} == {"never"}
