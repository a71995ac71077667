"""The static status site (`DIR/site/`, warehouse/site.py), written by the real
build_and_publish on a real DuckDB.

The reports are constructed to model what sources publish (a hostile headline among them);
all but one say `is_constructed=False` so the site treats them as the real record, which
is what the test is about; the one constructed report checks the demo label.
"""

from __future__ import annotations

import html
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import duckdb
import html5lib
import pytest
from lxml import etree

from crawlers.registry import source_records
from tests.test_app import report as app_report
from warehouse.db import DataDir, connect_work
from warehouse.load import finish_run, load_reports, start_run
from warehouse.publish import build_and_publish
from warehouse.site import SITE_DIR, covered_states, write_site

NOW = datetime.now(UTC).replace(microsecond=0)  # data made "active now", not a threshold
HOUR = NOW - timedelta(hours=1)
HOSTILE = (
    "<script>alert('x')</script> 911 down <b onmouseover=alert(1)>Harris</b> & \u202eevil"
    "\x1b[31m\x0b"
)


def report(report_id: str, when: datetime, **fields) -> dict:
    return app_report(report_id, when, **{"ended_at": None, **fields})


ROWS = [
    # active, authoritative: an NWS alert whose sender gives a backup number
    report(
        "alert-suffolk",
        HOUR,
        source="nws_alerts",
        source_kind="alert",
        sender_name="Massachusetts Emergency Management Agency",
        state_codes=["MA"],
        county_fips=["25025"],
        backup_phone="617-555-0100",
        title="911 service disrupted in Suffolk County",
    ),
    # one news item with a number: not corroborated, so not active and no number anywhere
    report(
        "news-harris",
        HOUR,
        source="gdelt_news",
        source_kind="news",
        confidence=0.54,
        state_codes=["TX"],
        county_fips=["48201"],
        backup_phone="713-555-0199",
        title="Harris County 911 trouble",
    ),
    # two news outlets (corroborated, so active) with a hostile headline and a number that
    # only news gave: shown active, the text escaped, no number
    report(
        "news-sedgwick-1",
        HOUR,
        source="gdelt_news",
        source_kind="news",
        state_codes=["KS"],
        county_fips=["20173"],
        title=HOSTILE,
        source_url="javascript:alert(document.cookie)",
        backup_phone="316-555-0666",
    ),
    report(
        "news-sedgwick-2",
        HOUR,
        source="tx_fortworth_news",
        source_kind="news",
        state_codes=["KS"],
        county_fips=["20173"],
        title=HOSTILE,
    ),
    # active in El Paso (Mountain time, in Central-time Texas)
    report(
        "alert-elpaso",
        HOUR,
        source="nws_alerts",
        source_kind="alert",
        sender_name="NWS El Paso",
        state_codes=["TX"],
        county_fips=["48141"],
        title="911 outage in El Paso County",
    ),
    # a constructed example going on now: labelled demo, not counted as the real record
    report(
        "alert-demo-ne",
        HOUR,
        source="nws_alerts",
        source_kind="alert",
        state_codes=["NE"],
        county_fips=["31055"],
        title="Constructed alert in Douglas County",
        is_constructed=True,
    ),
    # history: an ended outage in Suffolk County, 2024-06-18 17:15 UTC = 13:15 EDT
    report(
        "alert-suffolk-2024",
        datetime(2024, 6, 18, 17, 15, tzinfo=UTC),
        ended_at=datetime(2024, 6, 18, 19, 0, tzinfo=UTC),
        source="nws_alerts",
        source_kind="alert",
        state_codes=["MA"],
        county_fips=["25025"],
        title="911 outage in Suffolk County, June 2024",
    ),
]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site-data")
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, ROWS)
        result = build_and_publish(con, data_dir, sources=source_records())
    finally:
        con.close()
    (root / "result.json").write_text(json.dumps(result["after_publish"], default=str))
    return root


def pages(root: Path) -> dict[str, str]:
    site = root / SITE_DIR
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in site.rglob("*")
        if p.is_file()
    }


def incident_block(html: str, needle: str) -> str:
    """The <li class="incident"> holding `needle`."""
    tree = etree.fromstring(html.encode())
    found = [
        etree.tostring(li, encoding="unicode")
        for li in tree.iter("li")
        if "incident" in (li.get("class") or "") and needle in "".join(li.itertext())
    ]
    assert len(found) == 1, needle
    return found[0]


def local(when: datetime, zone: str) -> str:
    moment = when.astimezone(ZoneInfo(zone))
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def test_publish_writes_the_site(site_dir: Path) -> None:
    done = json.loads((site_dir / "result.json").read_text())
    assert isinstance(done["site"], dict), done["site"]  # the after-publish step ran
    files = pages(site_dir)
    assert {"index.html", "site.css", "status.json", "state/MA.html", "state/TX.html"} <= set(files)
    # a page for every state and territory of the reference data
    with duckdb.connect(str(site_dir / "outages.duckdb"), read_only=True) as con:
        codes = [r[0] for r in con.execute("SELECT state_code FROM states").fetchall()]
    assert {f"state/{code}.html" for code in codes} <= set(files)
    assert len(codes) >= 56
    # status.json is the copy of the one published beside it
    assert files["status.json"] == (site_dir / "status.json").read_text(encoding="utf-8")


def test_every_page_is_valid_html5_without_script(site_dir: Path) -> None:
    for name, text in pages(site_dir).items():
        assert "<script" not in text.lower(), name
        if not name.endswith(".html"):
            continue
        assert text.startswith("<!DOCTYPE html>\n"), name
        # the WHATWG parsing algorithm, strict: any parse error raises
        html5lib.HTMLParser(strict=True).parse(text)
        # polyglot markup: well-formed XML is a strict subset of what HTML5 parsers accept
        tree = etree.fromstring(text.encode())
        assert tree.tag == "html" and tree.get("lang") == "en"
        head = tree.find("head")
        assert head[0].tag == "meta" and head[0].get("charset") == "utf-8"
        viewport = head.find("meta[@name='viewport']")
        assert viewport is not None and "width=device-width" in viewport.get("content")
        assert (head.findtext("title") or "").strip()
        ids = [el.get("id") for el in tree.iter() if el.get("id")]
        assert len(ids) == len(set(ids)), name
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.tag not in ("script", "iframe", "object", "embed", "img"), name
            assert not [a for a in element.attrib if a.lower().startswith("on")], name
            href = element.get("href")
            if href is not None:
                scheme = urlsplit(href).scheme
                assert scheme in ("", "http", "https"), (name, href)


def test_hostile_source_text_is_escaped(site_dir: Path) -> None:
    files = pages(site_dir)
    index, kansas = files["index.html"], files["state/KS.html"]
    for text in (index, kansas):
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
        assert "&lt;b onmouseover=alert(1)&gt;" in text
        assert "\u202e" not in text and "\x1b" not in text and "\x0b" not in text
        assert "javascript:" not in text
    block = incident_block(index, "911 down")  # the first report's headline, as text
    assert "Kansas" in block and "Sedgwick County, KS" in block
    assert "<a href" not in block.split("First report:")[1].split("·")[0]  # javascript: URL


def test_authoritative_number_is_shown_with_its_source(site_dir: Path) -> None:
    files = pages(site_dir)
    for page in ("index.html", "state/MA.html"):
        block = incident_block(files[page], "Suffolk County")
        assert "If you cannot reach 911 there, call <strong>617-555-0100</strong>" in block
        assert "per Massachusetts Emergency Management Agency" in block
        assert f"Since {local(HOUR, 'America/New_York')}" in block


def test_numbers_not_from_an_authority_are_never_shown(site_dir: Path) -> None:
    files = pages(site_dir)
    for name, text in files.items():
        if name == "status.json":
            continue
        assert "713-555-0199" not in text, name  # uncorroborated news
        assert "316-555-0666" not in text, name  # corroborated, but only news gave it
    # the uncorroborated one is not active; it is in Texas's history without a number
    assert "Harris County 911 trouble" not in files["index.html"]
    assert "911 outage in Harris County, Texas" in files["state/TX.html"]
    assert "cannot reach" not in incident_block(files["index.html"], "911 down")


def test_local_times_with_zones(site_dir: Path) -> None:
    files = pages(site_dir)
    texas = files["state/TX.html"]
    # El Paso is on Mountain time in a Central-time state
    elpaso = incident_block(texas, "El Paso County")
    assert f"Since {local(HOUR, 'America/Denver')}" in elpaso
    assert local(HOUR, "America/Denver")[-3:] in ("MDT", "MST")
    # history in the place's local time, golden
    massachusetts = files["state/MA.html"]
    assert "<td>2024-06-18 13:15 EDT</td><td>2024-06-18 15:00 EDT (1 h 45 min)</td>" in (
        massachusetts
    )
    # the data version in UTC, and in the state's own zone on its page
    published = json.loads((site_dir / "publication.json").read_text())["published_at"]
    version = datetime.fromisoformat(published)
    assert f"Data version {version:%Y-%m-%d %H:%M} UTC" in files["index.html"]
    assert f"({local(version, 'America/Chicago')})" in texas


def test_active_counts_and_demo_label(site_dir: Path) -> None:
    files = pages(site_dir)
    index = files["index.html"]
    assert "911 outages reported active: 3" in index  # Suffolk, Sedgwick, El Paso
    demo = incident_block(index, "Constructed alert in Douglas County")
    assert "Demo data" in demo and 'class="incident demo"' in demo
    heading = index.index("Constructed examples (demo data, not real outages)")
    assert index.index("Constructed alert in Douglas County") > heading
    assert "No 911 outage is reported active in Vermont" in files["state/VT.html"]
    assert "No incident recorded in Vermont yet." in files["state/VT.html"]


def test_state_page_sources_and_feed(site_dir: Path) -> None:
    files = pages(site_dir)
    massachusetts = files["state/MA.html"]
    titles = {r["spider"]: html.escape(r["title"]) for r in source_records()}
    covers = {r["spider"]: r["states"] for r in source_records()}
    assert titles["nws_alerts"] in massachusetts  # national source
    for spider, states in covers.items():
        only = covered_states(states, ["MA", "TX", "NV", "SD", "NE"])
        if only is not None and "MA" not in only:
            assert titles[spider] not in massachusetts, spider  # another state's agency
        if only == ["MA"]:
            assert titles[spider] in massachusetts, spider
    assert 'href="http://localhost:8501/feeds/state-MA.xml"' in massachusetts
    assert "Latest incidents" in massachusetts
    assert "Suffolk County, Massachusetts, 2024-06-18" in massachusetts


def test_rewritten_only_when_changed(site_dir: Path) -> None:
    site = site_dir / SITE_DIR
    data_dir = DataDir(site_dir)

    def stats() -> dict[str, tuple[int, int]]:
        return {
            p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in site.rglob("*")
            if p.is_file()
        }

    write_site(data_dir)  # from the status.json the publish left, as it was
    before = stats()
    assert write_site(data_dir)["written"] == 0  # the same published data and status.json
    assert stats() == before
    # one Massachusetts-only source's freshness changes: its state's page, the index (which
    # lists every source) and the status.json copy change; no other page is touched
    status = json.loads((site_dir / "status.json").read_text())
    for row in status["sources"]:
        if row["spider"] == "ma_state911":
            row.update(state="fresh", last_ok_at="2026-01-02T03:04:05+00:00")
    (site_dir / "status.json").write_text(json.dumps(status))
    result = write_site(data_dir)
    after = stats()
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"index.html", "state/MA.html", "status.json"}
    assert result["written"] == 3
    assert "2026-01-01 22:04 EST" in (site / "state" / "MA.html").read_text()
    # no staging directory is left beside the site
    assert not [p for p in site_dir.iterdir() if p.name.startswith(f".{SITE_DIR}-")]
    # files are readable by the web server's user
    assert all(os.stat(site / name).st_mode & 0o004 for name in after)


def test_the_site_follows_status_json_when_nothing_is_published(tmp_path: Path) -> None:
    """The watcher rewrites status.json after a run that changed nothing to publish: the
    site's copy and its freshness lines follow, though no publish happened."""
    data_dir = DataDir(tmp_path)
    con = connect_work(data_dir)
    try:
        load_reports(con, ROWS[:1])
        build_and_publish(con, data_dir, sources=source_records())
        published = (tmp_path / "publication.json").read_text()
        # the status the next run leaves: a source failing since a moment ago
        run_id = start_run(con, "ma_state911", "live", {})
        finish_run(con, run_id, status="failed", close_reason="test", counts={"errors": 1})
        result = build_and_publish(
            con,
            data_dir,
            sources=source_records(),
            skip_build_if_current=True,
            only_publish_if_changed=True,
            max_publish_age=3600,
        )
    finally:
        con.close()
    assert result["published"] is False
    assert (tmp_path / "publication.json").read_text() == published  # no publish
    assert result["site"]["written"] >= 1
    status = (tmp_path / "status.json").read_bytes()
    assert (tmp_path / SITE_DIR / "status.json").read_bytes() == status
    row = next(r for r in json.loads(status)["sources"] if r["spider"] == "ma_state911")
    assert row["state"] == "failing"
