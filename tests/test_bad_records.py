"""One bad record can't stop the rest (issue 17): a control character in one headline
used to make lxml refuse the Atom feeds (ValueError) so no feed updated after it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import feedparser
import pytest

from warehouse.db import DataDir
from warehouse.publish import after_publish

BAD = "Phone service down\x0b\x1b[31m in the county\x08"  # VT, ESC, BS: XML refuses them


@pytest.fixture()
def dirty_dir(demo_dir: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the demo data whose newest incident and one of its reports hold a title
    with characters XML 1.0 cannot carry (as an NWS headline did)."""
    root = tmp_path / "data"
    shutil.copytree(demo_dir, root, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    with duckdb.connect(str(root / "outages.duckdb")) as con:
        incident_id, url = con.execute(
            "SELECT incident_id, first_report_url FROM incidents "
            "WHERE first_report_url IS NOT NULL ORDER BY incident_id LIMIT 1"
        ).fetchone()
        con.execute("UPDATE incidents SET title = ? WHERE incident_id = ?", [BAD, incident_id])
        con.execute(
            "UPDATE reports SET title = ? WHERE incident_id = ? AND source_url = ?",
            [BAD, incident_id, url],
        )
    return root, incident_id, url


def test_a_control_character_in_one_headline_does_not_freeze_the_feeds(
    dirty_dir: tuple[Path, str, str],
) -> None:
    root, incident_id, url = dirty_dir
    data_dir = DataDir(root)
    (root / "feeds").mkdir(exist_ok=True)
    for old in (root / "feeds").glob("*.xml"):
        old.unlink()  # so every feed found below was written by this publish
    with duckdb.connect(str(data_dir.work_db)) as con:
        done = after_publish(data_dir, con)
        errors = con.execute(
            "SELECT spider, url, stage, error_type, message FROM crawl_errors "
            "WHERE stage IN ('feeds', 'webhooks')"
        ).fetchall()
    assert isinstance(done["feeds"], dict), done
    assert isinstance(done["status"], dict) or not str(done["status"]).startswith("failed")
    feed = feedparser.parse((root / "feeds" / "incidents.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    titles = {e.id.rsplit(":", 1)[-1]: e.title for e in feed.entries}
    assert titles[incident_id].endswith("Phone service down[31m in the county")
    assert len(list((root / "feeds").glob("state-*.xml"))) >= 50  # every state feed written
    urls = {row[1] for row in errors if row[2] == "feeds"}
    assert url in urls
    assert all(row[3] == "InvalidCharacters" and "removed" in row[4] for row in errors)
    json.loads((root / "status.json").read_text())
