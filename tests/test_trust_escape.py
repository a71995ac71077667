"""Issue 17: what the public sees can't be planted.

Hostile reports are loaded into a real DuckDB with the warehouse loader, built and published;
then the real app runs in AppTest, the Atom feeds and webhook payloads are made from the
same file. Markdown the app sends is parsed with a CommonMark parser (markdown-it, which
Streamlit's own renderer follows) to check that no image or outside link comes out of it.

The reports are constructed: they model what a hostile source could publish.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from markdown_it import MarkdownIt

from crawlers.registry import source_records
from tests.conftest import outages
from tests.test_app import open_page, texts
from tests.test_app import report as app_report
from warehouse import display
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.feeds import build_feed, incident_json, read_incidents
from warehouse.incidents import Report, authoritative_backup, is_corroborated
from warehouse.load import load_reports
from warehouse.publish import publish
from warehouse.sources import write_sources_table

ROOT = Path(__file__).resolve().parents[1]
BEACON = "beacon.example"
RLO = "\u202e"
NOW = datetime.now(UTC).replace(microsecond=0)


def report(report_id: str, when: datetime, **fields) -> dict:
    """tests/test_app.py's report row, still going on (no end) unless `fields` say so."""
    return app_report(report_id, when, **{"ended_at": None, **fields})


HOSTILE_TITLE = (
    f"911 down ![](http://{BEACON}/title.png) [official](http://{BEACON}/phish) "
    f"](http://{BEACON}/repoint) <img src=http://{BEACON}/raw.png> :red[fake] "
    f"call {RLO}0010-555-317"
)


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four outages going on now:

    - Harris County, TX: one news item (confidence 0.54) with a number: not active, no number;
    - Johnson County, KS: an NWS alert with a number (its sender says it), plus a news story
      with another number and a hostile title and URL: active, the alert's number "per" it;
    - Travis County, TX: an agency and an alert that disagree on the number: active, none;
    - Sedgwick County, KS: two news outlets, no number: active (corroborated).
    """
    root = tmp_path_factory.mktemp("hostile-data")
    hour = NOW - timedelta(hours=1)
    rows = [
        report(
            "news-harris",
            hour,
            source="gdelt_news",
            source_kind="news",
            confidence=0.54,
            state_codes=["TX"],
            county_fips=["48201"],
            backup_phone="713-555-0199",
        ),
        report(
            "alert-johnson",
            hour,
            source="nws_alerts",
            source_kind="alert",
            sender_name=f"Johnson County OEM ![](http://{BEACON}/sender.png)",
            source_url="https://api.weather.gov/alerts/x",
            state_codes=["KS"],
            county_fips=["20091"],
            backup_phone="913-555-0100",
        ),
        report(
            "news-johnson",
            hour + timedelta(minutes=5),
            source="gdelt_news",
            source_kind="news",
            confidence=0.54,
            title=HOSTILE_TITLE,
            source_url=f"https://news.example/a)![x](http://{BEACON}/url.png)",
            state_codes=["KS"],
            county_fips=["20091"],
            backup_phone="913-555-0666",
        ),
        report(
            "alert-johnson-js",
            hour + timedelta(minutes=6),
            source="nws_alerts",
            source_kind="alert",
            title="alert with a script link",
            source_url="javascript:alert(document.cookie)",
            state_codes=["KS"],
            county_fips=["20091"],
        ),
        report(
            "alert-johnson-data",
            hour + timedelta(minutes=7),
            source="nws_alerts",
            source_kind="alert",
            title="alert with a data link",
            source_url="data:text/html,<script>alert(1)</script>",
            state_codes=["KS"],
            county_fips=["20091"],
        ),
        report(
            "alert-johnson-elsewhere",
            hour + timedelta(minutes=8),
            source="nws_alerts",
            source_kind="alert",
            title="alert pointing at another site",
            source_url=f"https://{BEACON}/not-weather-gov",
            state_codes=["KS"],
            county_fips=["20091"],
        ),
        report(
            "agency-travis",
            hour,
            source="tx_csec",
            source_kind="agency",
            state_codes=["TX"],
            county_fips=["48453"],
            backup_phone="512-555-0101",
        ),
        report(
            "alert-travis",
            hour,
            source="nws_alerts",
            source_kind="alert",
            sender_name="NWS Austin/San Antonio",
            state_codes=["TX"],
            county_fips=["48453"],
            backup_phone="512-555-0202",
        ),
        report(
            "news-sedgwick-1",
            hour,
            source="gdelt_news",
            source_kind="news",
            state_codes=["KS"],
            county_fips=["20173"],
        ),  # fmt: skip
        report(
            "news-sedgwick-2",
            hour,
            source="other_news",
            source_kind="news",
            state_codes=["KS"],
            county_fips=["20173"],
        ),  # fmt: skip
    ]
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, rows)
        # what the spiders declare (their homes bound their reports' links), as
        # build_and_publish's callers pass it: the warehouse loads no spider itself
        write_sources_table(con, source_records())
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    return root


def published(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "outages.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def incident_of(data_dir: Path, report_id: str) -> str:
    return published(data_dir, "SELECT incident_id FROM reports WHERE report_id = ?", [report_id])[
        0
    ][0]


# ---------------------------------------------------------------------------- markdown
def rendered(markdown: str) -> list[tuple[str, str]]:
    """(kind, target) of every image, link and raw HTML block a CommonMark renderer makes,
    with the GFM tables and strikethrough Streamlit adds."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    found = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.type == "image":
                found.append(("image", token.attrGet("src") or ""))
            elif token.type == "link_open":
                found.append(("link", token.attrGet("href") or ""))
            elif token.type in ("html_inline", "html_block"):
                found.append(("html", token.content))
            if token.children:
                walk(token.children)

    walk(md.parse(markdown))
    return found


def shown(markdown: str) -> str:
    """The text a reader sees: the markdown rendered, tags dropped."""
    import html
    import re

    rendered_html = MarkdownIt("commonmark").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html))


def all_markdown(app) -> list[str]:
    out = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption", "subheader"):
        out += [str(v) for v in texts(getattr(app, kind))]
    return out


def test_md_text_shows_source_text_as_is() -> None:
    for hostile in (HOSTILE_TITLE, "[a](javascript:x)", f"www.{BEACON}/x", "# heading", "$x$"):
        escaped = display.md_text(hostile)
        assert rendered(escaped) == [], (hostile, escaped)
        assert RLO not in escaped
    # What the markdown shows is the stored text (bidi controls gone).
    text = MarkdownIt("commonmark").render(display.md_text("a *b* [c](d) 1_000"))
    assert text == "<p>a *b* [c](d) 1_000</p>\n"


def test_md_link_keeps_only_http_links_on_the_sources_domain() -> None:
    assert rendered(display.md_link("x", "javascript:alert(1)")) == []
    assert rendered(display.md_link("x", "data:text/html,hi")) == []
    link = display.md_link("t](http://evil)", f"https://www.fema.gov/a)![x](http://{BEACON}/u)")
    (only,) = rendered(link)
    assert only[0] == "link" and only[1].startswith("https://www.fema.gov/a")
    assert display.md_link("t", f"https://{BEACON}/x", ["https://www.fema.gov"]) == "t"
    assert display.host_family("news.sd.gov") == display.host_family("dps.sd.gov") == "sd.gov"
    assert display.host_family("www.dps.state.ak.us") == "dps.state.ak.us"
    assert display.host_family("news.bbc.co.uk") == "bbc.co.uk"
    on_home = display.md_link("t", "https://apps.fema.gov/x", ["https://www.fema.gov/y"])
    assert rendered(on_home) == [("link", "https://apps.fema.gov/x")]


# ---------------------------------------------------------------------------- backup rule
def test_backup_number_only_from_an_authoritative_source(hostile_dir: Path) -> None:
    rows = dict(
        (r[0], r[1:])
        for r in published(
            hostile_dir,
            "SELECT r.report_id, i.authoritative_backup_number, i.authoritative_backup_source, "
            "i.authoritative_backup_at, i.backup_numbers_reported, i.corroborated "
            "FROM incidents AS i JOIN reports AS r USING (incident_id)",
        )
    )
    number, source, at, reported, corroborated = rows["alert-johnson"]
    assert number == "913-555-0100" and source.startswith("Johnson County OEM") and at
    assert "913-555-0666 (gdelt_news)" in reported and corroborated
    assert rows["news-harris"][0] is None and rows["news-harris"][4] is False
    assert rows["news-harris"][3] == ["713-555-0199 (gdelt_news)"]
    assert rows["agency-travis"][0] is None and rows["agency-travis"][4] is True
    assert rows["news-sedgwick-1"][0] is None and rows["news-sedgwick-1"][4] is True


def test_backup_rule_in_the_incident_facts() -> None:
    def r(rid, kind, phone, source="s") -> Report:
        return Report(rid, source, kind, "outage", NOW, NOW, None, ("KS",), (), backup_phone=phone)

    assert authoritative_backup([r("a", "news", "913-555-0100")]) is None
    assert authoritative_backup([r("a", "curated", "913-555-0100", "curated")])[0] == (
        "913-555-0100"
    )
    disagree = [r("a", "alert", "913-555-0100"), r("b", "agency", "913-555-0101", "t")]
    assert authoritative_backup(disagree) is None
    same = [r("a", "alert", "913-555-0100"), r("b", "agency", "(913) 555-0100", "t")]
    assert authoritative_backup(same) is not None
    # Who gave it: an agency's source title (as its spider declares it, passed in as the
    # stored `sources` table gives it), an alert's sender; no title known: the spider's name.
    from crawlers.registry import source_records
    from warehouse.sources import source_titles

    titles = source_titles(source_records())
    agency = authoritative_backup([r("a", "agency", "512-555-0101", "tx_csec")], titles)
    assert agency[1].startswith("Texas Commission on State Emergency Communications")
    assert authoritative_backup([r("a", "agency", "512-555-0101", "tx_csec")])[1] == "tx_csec"
    assert not is_corroborated([r("a", "news", None)])
    assert is_corroborated([r("a", "news", None), r("b", "news", None, "t")])


def test_banner_shows_only_authoritative_numbers_with_source_and_time(
    monkeypatch: pytest.MonkeyPatch, hostile_dir: Path
) -> None:
    app = open_page(monkeypatch, hostile_dir)
    banner = " ".join(shown(t) for t in texts(app.error))
    assert "913-555-0100" in banner and "per Johnson County OEM" in banner
    assert "713-555-0199" not in banner  # one news item: no number, not even active
    assert "Harris" not in banner
    assert "913-555-0666" not in banner  # news's number next to an alert's
    assert "512-555-01" not in banner and "512-555-02" not in banner  # disagreement
    assert "Travis" in banner and "Sedgwick" in banner  # active: authoritative, corroborated
    for markdown in all_markdown(app):
        assert all(urlsplit(t).hostname != BEACON for _, t in rendered(markdown)), markdown


def test_incident_page_lists_reported_numbers_and_escapes_source_text(
    monkeypatch: pytest.MonkeyPatch, hostile_dir: Path
) -> None:
    incident = incident_of(hostile_dir, "alert-johnson")
    app = open_page(monkeypatch, hostile_dir, "incidents", params={"id": incident})
    markdown = all_markdown(app)
    facts = " ".join(shown(t) for t in markdown)
    # each number with its source's title (and kind), not the spider's name (issue 18)
    reported = (
        "913-555-0100 (Official alert: National Weather Service alerts API); "
        "913-555-0666 (GDELT DOC 2.0 API (worldwide online news search))"
    )
    assert f"Backup numbers reported by: {reported}" in facts
    assert "If you cannot reach 911 there, call: 913-555-0100 (per Johnson County OEM" in facts
    made = [item for text in markdown for item in rendered(text)]
    assert not [m for m in made if m[0] in ("image", "html")], made
    links = [target for kind, target in made if kind == "link"]
    assert links and all(t.startswith(("http://", "https://")) for t in links), links
    assert not [t for t in links if urlsplit(t).hostname == BEACON], links
    # The news link is kept (news cites other sites), its `)` cannot end it early.
    assert any(t.startswith("https://news.example/a") for t in links)
    assert not any(RLO in text for text in markdown)
    # The reports table links only http(s) URLs.
    (table,) = [d.value for d in app.dataframe if "source_url" in d.value.columns]
    urls = table["source_url"].tolist()
    assert "https://api.weather.gov/alerts/x" in urls
    assert not [u for u in urls if isinstance(u, str) and urlsplit(u).hostname == BEACON]
    assert not [u for u in urls if isinstance(u, str) and not u.startswith("http")], urls


def test_unknown_incident_id_is_plain_text(
    monkeypatch: pytest.MonkeyPatch, hostile_dir: Path
) -> None:
    hostile = f"**Warning** [click](http://{BEACON}) ![](http://{BEACON}/id.png)"
    app = open_page(monkeypatch, hostile_dir, "incidents", params={"id": hostile})
    assert "No such incident." in texts(app.text)
    assert not any(BEACON in text for text in all_markdown(app))
    app = open_page(monkeypatch, hostile_dir, "incidents", params={"id": "i-0123456789abcdef"})
    assert any("No such incident" in t for t in texts(app.text))


def test_map_selection_from_the_url_is_validated(
    monkeypatch: pytest.MonkeyPatch, hostile_dir: Path
) -> None:
    hostile = f"KS ![](http://{BEACON}/sel.png) [x](http://{BEACON})"
    app = open_page(monkeypatch, hostile_dir, params={"level": "States", "sel": hostile})
    assert not any(BEACON in text for text in all_markdown(app))
    assert "sel" not in app.query_params


# ---------------------------------------------------------------------------- feeds, webhooks
def test_feeds_and_webhooks_escape_source_text(hostile_dir: Path) -> None:
    con = duckdb.connect(str(hostile_dir / "outages.duckdb"), read_only=True)
    try:
        incidents = read_incidents(con)
    finally:
        con.close()
    body = build_feed(
        incidents,
        feed_key="test",
        title="t",
        self_url="https://outage.example/feeds/incidents.xml",
        public_url="https://outage.example/",
        names={},
        fallback_updated=NOW,
    ).decode()
    assert "javascript:" not in body and "data:text" not in body
    assert RLO not in body and "<img" not in body
    payloads = json.dumps([incident_json(i) for i in incidents], ensure_ascii=False)
    assert RLO not in payloads and "javascript:" not in payloads and "data:text" not in payloads


def test_the_terminal_gets_plain_text(tmp_path: Path) -> None:
    """`outages sql` prints a table: no escape sequence or bidi control reaches the terminal."""
    hostile = "\x1b]8;;http://beacon.example\x07click\x1b[2J " + RLO + "0010-555"
    con = connect_work(DataDir(tmp_path))
    try:
        load_reports(con, [report("terminal", NOW, title=hostile)])
        build(con)
        publish(con, DataDir(tmp_path))
    finally:
        con.close()
    result = outages(
        "sql", "SELECT title FROM reports WHERE report_id = 'terminal'", data_dir=tmp_path
    )
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert RLO not in result.stdout and "click[2J 0010-555" in result.stdout


# ---------------------------------------------------------------------------- a crawl
def test_a_crawled_hostile_alert_reaches_the_app_as_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A saved NWS response (constructed here: the times must be now) whose sender name and
    headline carry markdown and a bidi override, crawled by the real spider (`outages crawl
    nws_alerts --from file://...`), built and published; then the map and incident pages."""
    page = json.loads(
        (ROOT / "tests/fixtures/spiders/nws_alerts/constructed_page1/response.json").read_text()
    )
    feature = page["features"][0]
    props = feature["properties"]
    sent = (NOW - timedelta(hours=1)).isoformat()
    props.pop("note", None)
    props.update(
        id="HOSTILE-1",
        sent=sent,
        effective=sent,
        expires=(NOW + timedelta(hours=3)).isoformat(),
        senderName=f"Nevada DEM ![](http://{BEACON}/sender.png) {RLO}[x](http://{BEACON})",
        headline=f"911 OUTAGE IN SOUTHERN NEVADA ![](http://{BEACON}/headline.png)",
    )
    props["@id"] = "https://api.weather.gov/alerts/HOSTILE-1"
    feature["id"] = props["@id"]
    saved = tmp_path / "response.json"
    saved.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    data_dir = tmp_path / "data"
    outages("crawl", "nws_alerts", "--from", saved.as_uri(), data_dir=data_dir)
    ((sender, title),) = published(data_dir, "SELECT sender_name, title FROM reports")
    assert BEACON in sender and BEACON in title  # stored as the source gave it: data
    app = open_page(monkeypatch, data_dir)
    banner = " ".join(shown(t) for t in texts(app.error))
    assert "702-555-0188" in banner and "per Nevada DEM ![](http" in banner
    for markdown in all_markdown(app):
        assert all(urlsplit(t).hostname != BEACON for _, t in rendered(markdown)), markdown
        assert RLO not in markdown
    (incident,) = published(data_dir, "SELECT incident_id FROM incidents")
    app = open_page(monkeypatch, data_dir, "incidents", params={"id": incident[0]})
    made = [item for text in all_markdown(app) for item in rendered(text)]
    assert not [m for m in made if m[0] in ("image", "html") or urlsplit(m[1]).hostname == BEACON]
    # Read from a file, the report's URL is a file:// URL: shown as text, never a link.
    ((url,),) = published(data_dir, "SELECT source_url FROM reports")
    assert url.startswith("file://") and not [t for _, t in made if t.startswith("file:")]
    assert "911 OUTAGE IN SOUTHERN NEVADA ![](http" in " ".join(shown(t) for t in all_markdown(app))


# ---------------------------------------------------------------------------- the pages
SOURCE_FIELDS = {
    "title",
    "source",
    "source_url",
    "sender_name",
    "body",
    "provider",
    "name",
    "label",
    "county_name",
    "backup_phones",
    "url",
}
RENDERERS = {"markdown", "write", "caption", "info", "warning", "error", "success", "subheader"}
SAFE_CALLS = {"md_text", "md_link", "len", "int"}  # the helpers; numbers


def _mentions_source_field(node: ast.AST) -> bool:
    """A field of a row, frame or record (`row.title`, `inc["title"]`): where source text is."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in SOURCE_FIELDS:
            return True
        if (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.slice, ast.Constant)
            and sub.slice.value in SOURCE_FIELDS
        ):
            return True
    return False


def _unescaped_values(joined: ast.JoinedStr) -> list[ast.AST]:
    bad = []
    for value in joined.values:
        if not isinstance(value, ast.FormattedValue):
            continue
        inner = value.value
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id in SAFE_CALLS
        ):
            continue
        if _mentions_source_field(inner):
            bad.append(inner)
    return bad


def test_pages_render_source_fields_only_through_the_helper() -> None:
    """No `st.markdown(f"...{row.title}...")` (or write, caption, ...) on a source field."""
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in RENDERERS:
                continue
            for arg in node.args[:1]:
                for joined in [n for n in ast.walk(arg) if isinstance(n, ast.JoinedStr)]:
                    for bad in _unescaped_values(joined):
                        offenders.append(f"{path.name}:{bad.lineno}: {ast.unparse(bad)}")
    assert not offenders, offenders
