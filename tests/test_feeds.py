"""Atom feeds of incidents (parsed with feedparser, checked against RFC 4287) and webhooks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import feedparser
import pytest
from lxml import etree

from warehouse.feeds import deliver_webhooks, tag_uri, write_feeds

ATOM = "{http://www.w3.org/2005/Atom}"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def feeds_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds")
    written = write_feeds(demo_dir / "outages.duckdb", out, public_url="https://example.org/")
    (out / "written.json").write_text(json.dumps(written))
    return out


def demo_incidents(demo_dir: Path) -> dict[str, tuple]:
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT incident_id, title, state_codes, constructed_reports FROM incidents"
        ).fetchall()
    return {row[0]: row for row in rows}


def rfc3339(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


def check_rfc4287(path: Path) -> None:
    """The must-haves of RFC 4287 that feedparser forgives: ids, titles, updated, authors."""
    feed = etree.parse(str(path)).getroot()
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    rfc3339(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        rfc3339(entry.findtext(f"{ATOM}updated"))
        assert (
            entry.find(f"{ATOM}link[@rel='alternate']") is not None
            or entry.find(f"{ATOM}content") is not None
        )
        assert entry.findtext(f"{ATOM}id").startswith("tag:")
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids))


def test_all_incidents_feed_holds_the_demo_incidents(feeds_dir: Path, demo_dir: Path) -> None:
    incidents = demo_incidents(demo_dir)
    assert incidents, "the demo should build incidents"
    path = feeds_dir / "incidents.xml"
    check_rfc4287(path)
    feed = feedparser.parse(str(path))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert {e.id for e in feed.entries} == {tag_uri("incident", i) for i in incidents}
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    for entry in feed.entries:
        incident_id = entry.id.rsplit(":", 1)[1]
        _, title, states, constructed = incidents[incident_id]
        assert title in entry.title
        if constructed:  # constructed demo incidents are labelled
            assert entry.title.startswith("[demo data]")
            assert "demo-data" in {t.term for t in entry.tags}
            assert "Demo data" in entry.summary
        assert "Started" in entry.summary and "Cause:" in entry.summary
        for code in states:
            assert f"({code})" in entry.summary
        assert entry.link.startswith("http")
        assert "<a href=" in entry.content[0].value  # every source document linked


# Golden entries of the demo record: summary and content times are the place's local time
# with its zone (warehouse/localtime.py); a multi-zone incident is in UTC; the Atom
# <updated>/<published> elements stay RFC 3339 UTC.
LOCAL_TIME_GOLDEN = [
    (
        "911 outage in Pima County, Arizona, 2014-03-17",  # Arizona: MST all year
        "Started 2014-03-17 14:45 MST; ended 2014-03-17 15:06 MST (21 min).",
        "2014-03-17T21:45:00+00:00",
    ),
    (
        "911 outage in 3 Kentucky counties, 2012-02-07",  # Northern Kentucky: Eastern
        "Started 2012-02-07 07:00 EST; ended 2012-02-07 09:00 EST (2 h 0 min).",
        "2012-02-07T12:00:00+00:00",
    ),
    (
        "911 outage in 8 states, 2012-06-30",  # eight Eastern states (IN, KY, OH ...): one zone
        "Started 2012-06-30 06:30 EDT; end not reported",
        "2012-06-30T10:30:00+00:00",
    ),
    (
        "911 outage in 7 states, 2014-04-09",  # CA, FL, MN ... WA: four zones, so UTC
        "Started 2014-04-10 06:45 UTC; ended 2014-04-10 13:06 UTC (6 h 21 min).",
        "2014-04-10T06:45:00+00:00",
    ),
]


@pytest.mark.parametrize(("title", "timing", "published"), LOCAL_TIME_GOLDEN)
def test_entries_say_local_times_with_zone(
    feeds_dir: Path, title: str, timing: str, published: str
) -> None:
    feed = etree.parse(str(feeds_dir / "incidents.xml")).getroot()
    entries = [
        e for e in feed.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title").startswith(title)
    ]
    assert len(entries) == 1, title
    entry = entries[0]
    assert timing in entry.findtext(f"{ATOM}summary")
    assert timing.split(";")[0].removeprefix("Started ") in entry.findtext(f"{ATOM}content")
    assert entry.findtext(f"{ATOM}published") == published
    assert rfc3339(entry.findtext(f"{ATOM}updated")).utcoffset().total_seconds() == 0


def test_state_feeds(feeds_dir: Path, demo_dir: Path) -> None:
    incidents = demo_incidents(demo_dir)
    written = json.loads((feeds_dir / "written.json").read_text())
    assert len([name for name in written if name.startswith("state-")]) >= 51
    massachusetts = feedparser.parse(str(feeds_dir / "state-MA.xml"))
    assert not massachusetts.bozo
    expected = {tag_uri("incident", i) for i, row in incidents.items() if "MA" in row[2]}
    assert expected and {e.id for e in massachusetts.entries} == expected
    assert "Massachusetts" in massachusetts.feed.title
    assert massachusetts.feed.links[0].href == "https://example.org/feeds/state-MA.xml"
    # A state with no incident yet still has a valid, empty feed to subscribe to.
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        codes = [r[0] for r in con.execute("SELECT state_code FROM states ORDER BY 1").fetchall()]
    quiet = next(c for c in codes if all(c not in row[2] for row in incidents.values()))
    check_rfc4287(feeds_dir / f"state-{quiet}.xml")
    parsed = feedparser.parse(str(feeds_dir / f"state-{quiet}.xml"))
    assert not parsed.bozo and parsed.entries == []


def test_feeds_only_change_when_the_data_does(
    feeds_dir: Path, demo_dir: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    write_feeds(demo_dir / "outages.duckdb", again, public_url="https://example.org/")
    for name in ("incidents.xml", "state-MA.xml", "state-NE.xml"):
        assert (again / name).read_bytes() == (feeds_dir / name).read_bytes()


def test_feeds_command(demo_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_dir / "outages.duckdb", data_dir / "outages.duckdb")
    result = subprocess.run(
        [sys.executable, "-m", "outages.watch", "feeds", "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not feedparser.parse(str(data_dir / "feeds" / "incidents.xml")).bozo


class HookServer:
    def __init__(self) -> None:
        self.received: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                server.received.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_webhooks_post_new_and_updated_incidents(demo_dir: Path, tmp_path: Path) -> None:
    incidents = demo_incidents(demo_dir)
    in_ma = [i for i, row in incidents.items() if "MA" in row[2]]
    elsewhere = [i for i, row in incidents.items() if "MA" not in row[2]]
    hooks = HookServer()
    try:
        (tmp_path / "webhooks.json").write_text(
            json.dumps(
                {
                    "webhooks": [
                        {"url": f"{hooks.url}/all", "headers": {"Authorization": "Bearer t"}},
                        {"url": f"{hooks.url}/ma", "states": ["ma"]},
                        {"url": "ftp://ignored.example/"},
                    ]
                }
            )
        )
        db = demo_dir / "outages.duckdb"
        first = deliver_webhooks(db, tmp_path)  # first publish: remember, do not replay history
        assert first["first_publish"] == 1 and hooks.received == []
        assert deliver_webhooks(db, tmp_path)["events"] == 0  # nothing changed

        seen_path = tmp_path / "feeds" / ".seen.json"
        seen = json.loads(seen_path.read_text())
        del seen[in_ma[0]]  # "new" since the last publish
        seen[elsewhere[0]] = "an older version"  # "updated" since the last publish
        seen_path.write_text(json.dumps(seen))
        counts = deliver_webhooks(db, tmp_path)
    finally:
        hooks.close()
    assert counts["events"] == 2 and counts["failed"] == 0
    by_path = {}
    for post in hooks.received:
        by_path.setdefault(post["path"], []).append(post)
    assert sorted(p["body"]["event"] for p in by_path["/all"]) == [
        "incident.new",
        "incident.updated",
    ]
    assert all(p["auth"] == "Bearer t" for p in by_path["/all"])
    assert [p["body"]["incident"]["incident_id"] for p in by_path["/ma"]] == [in_ma[0]]
    document = by_path["/ma"][0]["body"]["incident"]
    assert document["id"] == tag_uri("incident", in_ma[0])
    assert document["demo_data"] is bool(incidents[in_ma[0]][3])
    assert "MA" in document["state_codes"]
    rfc3339(document["updated_at"])


def test_a_dead_webhook_never_breaks_a_publish(demo_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "webhooks.json").write_text(
        json.dumps({"webhooks": [{"url": "http://127.0.0.1:9/", "timeout": 1}]})
    )
    db = demo_dir / "outages.duckdb"
    deliver_webhooks(db, tmp_path)
    (tmp_path / "feeds" / ".seen.json").write_text("{}")  # everything is new
    counts = deliver_webhooks(db, tmp_path)
    assert counts["failed"] == 1 and counts["delivered"] == 0  # gave up on it after one failure
