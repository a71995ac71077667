"""The Streamlit app run headless with AppTest: every page on the demo data, on an empty
database and with nothing published; filters, the SQL guard, downloads, URL parameters."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from crawlers.registry import source_records
from tests.conftest import query
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish
from warehouse.sources import write_sources_table
from webapp import map_page, mapview, schema, shapes, ui
from webapp.incidents_page import build_query
from webapp.trends_page import safe_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["map", "trends", "incidents", "place", "sql", "downloads", "about"]
TITLES = {
    "map": "911 outage map",
    "trends": "Trends",
    "incidents": "Incidents",
    "place": "Places",
    "sql": "SQL",
    "downloads": "Downloads",
    "about": "About 911 Outage Watch",
}


REAL = "SELECT count(*) FROM incidents WHERE report_count > constructed_reports"
CONSTRUCTED = "SELECT count(*) FROM incidents WHERE report_count <= constructed_reports"
MIXED = (
    "SELECT count(*) FROM incidents WHERE constructed_reports > 0 "
    "AND report_count > constructed_reports"
)


# ---------------------------------------------------------------------------- helpers
class RecordingMediaManager(MediaFileManager):
    """AppTest's media manager, kept so a test can fetch what a download button serves."""

    latest: RecordingMediaManager | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        RecordingMediaManager.latest = self


@pytest.fixture(autouse=True)
def recording_media(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("streamlit.testing.v1.app_test.MediaFileManager", RecordingMediaManager)


def downloaded(app: AppTest, key: str) -> bytes:
    """The bytes a download button serves (deferred ones are generated, as on a click)."""
    return served(app, key).content


def served(app: AppTest, key: str):
    """The media file a download button serves (`.content`, `.filename`)."""
    proto = app.get("download_button")
    button = next(b for b in proto if b.proto.id.endswith(f"-{key}") or b.key == key)
    manager = RecordingMediaManager.latest
    assert manager is not None
    url = button.proto.url
    if button.proto.HasField("deferred_file_id"):
        url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager._storage.get_file(url.rsplit("/", 1)[-1])


def open_page(
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    page: str = "map",
    params: dict | None = None,
) -> AppTest:
    monkeypatch.setenv("OUTAGES_DATA", str(data_dir))
    app = AppTest.from_file(APP, default_timeout=60)
    if page != "map":
        app.run()  # st.navigation registers the pages on the first run
        app.switch_page(f"webapp/pages/{page}.py")
    for name, value in (params or {}).items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def map_args(app: AppTest, key: str = "map") -> dict:
    component = next(c for c in app.get("component_instance") if c.proto.id.endswith(key))
    return json.loads(component.proto.json_args)


@pytest.fixture(scope="session")
def empty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published database with the schema and reference tables but no reports."""
    root = tmp_path_factory.mktemp("empty-data")
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    return root


def report(report_id: str, when: datetime, **fields) -> dict:
    row = {
        "report_id": report_id,
        "source": "test",
        "source_url": f"https://example.org/{report_id}",
        "published_at": when,
        "started_at": when,
        "ended_at": when + timedelta(hours=2),
        "is_outage": True,
        "status": "outage",
        "title": f"911 outage {report_id}",
        "state_codes": ["CT"],
        "county_fips": ["09110"],
        "references_keys": [],
        "is_constructed": False,
    }
    row.update(fields)
    return row


@pytest.fixture(scope="session")
def real_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real (not constructed) reports: a Connecticut planning region, Falls Church, and an
    outage that is still going on (no all-clear) with a backup number."""
    root = tmp_path_factory.mktemp("real-data")
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        report("ct-1", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        report(
            "va-1", datetime(2024, 5, 1, 12, tzinfo=UTC), state_codes=["VA"], county_fips=["51610"]
        ),
        report(
            "ks-now",
            now - timedelta(hours=1),
            state_codes=["KS"],
            county_fips=["20091"],
            ended_at=None,
            backup_phone="913-555-0100",
            title="911 is down in Johnson County",
            source="nws_alerts",
            source_kind="alert",
            sender_name="Johnson County Emergency Management",
        ),
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


# ---------------------------------------------------------------------------- every page
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_data(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path, page: str
) -> None:
    app = open_page(monkeypatch, demo_dir, page)
    assert app.title[0].value == TITLES[page]
    assert any("Demo data" in text for text in texts(app.warning))
    if page in ("map", "trends", "incidents", "place"):
        # the banner counts the real record and the constructed examples (hidden by default)
        real, constructed = (query(demo_dir, sql)[0][0] for sql in (REAL, CONSTRUCTED))
        mixed = query(demo_dir, MIXED)[0][0]
        assert real > constructed > 0
        banner = " ".join(texts(app.info))
        assert f"**{real} real incidents**" in banner
        assert f"**{constructed} constructed example" in banner and "hidden" in banner
        assert f"{mixed} real incident" in banner
        assert app.toggle(key=ui.CONSTRUCTED_KEY).value is False


def test_the_constructed_examples_toggle_is_in_the_url(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    total = query(demo_dir, "SELECT count(*) FROM incidents")[0][0]
    real = query(demo_dir, REAL)[0][0]
    app = open_page(monkeypatch, demo_dir, "incidents")
    assert len(app.dataframe[0].value) == real < total
    assert (
        not app.dataframe[0]
        .value["incident_id"]
        .isin([r[0] for r in query(demo_dir, CONSTRUCTED.replace("count(*)", "incident_id"))])
        .any()
    )
    app = app.toggle(key=ui.CONSTRUCTED_KEY).set_value(True).run()
    assert len(app.dataframe[0].value) == total
    assert app.query_params[ui.CONSTRUCTED_KEY] in ("true", ["true"])
    assert "shown, marked demo" in " ".join(texts(app.info))
    # a shared link opens with the examples shown
    app = open_page(monkeypatch, demo_dir, params={ui.CONSTRUCTED_KEY: "true"})
    assert app.toggle(key=ui.CONSTRUCTED_KEY).value is True
    assert "shown, marked demo" in " ".join(texts(app.info))
    # the map: the constructed-only incidents' places appear only with the toggle on
    states = {"level": "States"}
    hidden = map_args(open_page(monkeypatch, demo_dir, params=states))["values"]
    shown = map_args(
        open_page(monkeypatch, demo_dir, params={**states, ui.CONSTRUCTED_KEY: "true"})
    )["values"]
    assert sum(hidden.values()) < sum(shown.values())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(
    monkeypatch: pytest.MonkeyPatch, empty_dir: Path, page: str
) -> None:
    app = open_page(monkeypatch, empty_dir, page)
    assert app.title[0].value == TITLES[page]
    assert not any("Demo data" in text for text in texts(app.warning))
    if page in ("map", "trends", "incidents", "place"):
        assert any("has no" in text for text in texts(app.info))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_when_nothing_is_published(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str
) -> None:
    app = open_page(monkeypatch, tmp_path, page)
    assert any("No data published yet" in text for text in texts(app.info))
    assert not app.dataframe


# ---------------------------------------------------------------------------- map
def test_map_sends_values_and_coverage_not_shapes(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir)
    args = map_args(app)
    assert args["level"] == "county"
    assert args["shapes"].startswith("shapes.json?v=")
    assert args["values"]["31019"] == 2  # Buffalo County, NE: two outages in the demo
    assert "geometry" not in json.dumps(args) and len(json.dumps(args)) < 50_000
    blind = args["coverage"].get("uncovered") or []
    covered = args["coverage"].get("covered") or []
    assert "31019" in covered or ("31019" not in blind and blind)
    caption = " ".join(texts(app.caption))
    assert "with outages that began" in caption and "no source coverage" in caption


def test_period_slider_and_filters_change_the_map(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir)
    everything = map_args(app)["values"]
    app = app.select_slider(key="period").set_value(("2024-06", "2024-06")).run()
    assert not app.exception
    june = map_args(app)["values"]
    assert june and set(june) < set(everything)
    assert {fips[:2] for fips in june} == {"25"}  # the Massachusetts statewide outage
    assert "14 counties" in " ".join(texts(app.caption))

    app = app.segmented_control(key="metric").set_value("Outage hours").run()
    assert map_args(app)["values"]["25025"] == 2.0  # 2 h 0 min
    app = app.segmented_control(key="level").set_value("States").run()
    args = map_args(app)
    assert args["level"] == "state" and set(args["values"]) == {"MA"}


def test_week_steps_and_play_advance_one_step(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir)
    app = app.segmented_control(key="step").set_value("Week").run()
    start, end = app.select_slider(key="period").value
    assert len(start) == 10 and date.fromisoformat(start).weekday() == 0
    app = app.button(key="play").click().run()
    assert not app.exception
    first = app.select_slider(key="period").value
    assert first[0] == first[1] == start
    assert app.button(key="play").label == "Pause"
    app = app.button(key="play").click().run()
    assert app.button(key="play").label == "Play"


def test_url_selects_a_county_and_lists_its_outages(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir, params={"sel": "31019", "level": "Counties"})
    headings = texts(app.subheader)
    assert "Buffalo County, NE: 2 outages" in headings
    assert map_args(app)["selected"] == "31019"
    assert len(app.dataframe[0].value) == 2


def test_url_parameters_set_the_map_view(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    params = {"level": "States", "metric": "Outage hours", "period": ["2024-06", "2024-06"]}
    app = open_page(monkeypatch, demo_dir, params=params)
    args = map_args(app)
    assert args["level"] == "state" and args["values"] == {"MA": 2.0}
    assert args["legend_title"].startswith("Outage hours (in 2024-06)")


def test_active_outage_banner_gives_the_backup_number(
    monkeypatch: pytest.MonkeyPatch, real_dir: Path
) -> None:
    app = open_page(monkeypatch, real_dir)
    # The markdown escapes source text ("913\\-555\\-0100"): compare without the escapes.
    banner = " ".join(texts(app.error)).replace("\\", "")
    assert "active now" in banner and "913-555-0100" in banner and "KS" in banner
    assert "per Johnson County Emergency Management" in banner
    assert not any("Demo data" in text for text in texts(app.warning))


def test_counties_without_a_shape_are_drawn_on_their_alias_shapes(
    monkeypatch: pytest.MonkeyPatch, real_dir: Path
) -> None:
    """Connecticut's planning regions and Falls Church have no 2017 shape of their own."""
    app = open_page(monkeypatch, real_dir)
    app = app.select_slider(key="period").set_value(("2024-05", "2024-05")).run()
    values = map_args(app)["values"]
    assert set(values) == {"09003", "09013", "51059"}
    assert "Not drawn" not in " ".join(texts(app.caption))


# ---------------------------------------------------------------------------- incidents
def test_incident_filters_change_the_table(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = open_page(monkeypatch, demo_dir, "incidents")
    total = query(demo_dir, REAL)[0][0]
    assert len(app.dataframe[0].value) == total
    app = app.multiselect(key="state").set_value(["MA"]).run()
    in_ma = query(demo_dir, REAL + " AND list_contains(state_codes, 'MA')")
    assert 0 < len(app.dataframe[0].value) == in_ma[0][0] < total
    assert all("MA" in states for states in app.dataframe[0].value["state_codes"])
    app = app.multiselect(key="state").set_value([]).run()
    app = app.slider(key="conf").set_value(0.9).run()
    confident = query(demo_dir, REAL + " AND confidence >= 0.9")[0][0]
    assert len(app.dataframe[0].value) == confident <= total
    # Every real demo incident holds a curated record (confidence 1.0), so the threshold is
    # seen to cut on the list with the constructed examples (a lone constructed report: 0.855)
    every = open_page(monkeypatch, demo_dir, "incidents", params={"constructed": "true"})
    every = every.slider(key="conf").set_value(0.9).run()
    all_confident = query(demo_dir, "SELECT count(*) FROM incidents WHERE confidence >= 0.9")
    all_total = query(demo_dir, "SELECT count(*) FROM incidents")[0][0]
    assert len(every.dataframe[0].value) == all_confident[0][0] < all_total
    (ma,) = query(
        demo_dir,
        "SELECT incident_id FROM reports "
        "WHERE evidence = 'hand-curated record 2024-06-18-comtech-firewall-ma'",
    )
    app = app.text_input(key="q").input(ma[0]).run()
    assert app.dataframe[0].value["incident_id"].tolist() == [ma[0]]


def test_incident_detail_has_facts_reports_and_archived_copies(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    incident_id, title, reports = query(
        demo_dir,
        "SELECT incident_id, title, report_count FROM incidents WHERE provider = 'Comtech'",
    )[0]
    app = open_page(monkeypatch, demo_dir, "incidents", params={"id": incident_id})
    # Titles are escaped for markdown ("2024\\-06\\-18"): compare without the escapes.
    assert title in [text.replace("\\", "") for text in texts(app.subheader)]
    facts = " ".join(texts(app.markdown))
    assert "**Provider:** Comtech" in facts and "Began:" in facts
    assert any("Demo data" in text and "constructed" in text for text in texts(app.warning))
    assert map_args(app, "incident_map")["focus"]
    report_ids = [
        r[0]
        for r in query(
            demo_dir,
            "SELECT report_id FROM reports WHERE incident_id = ? AND archive_ref IS NOT NULL",
            [incident_id],
        )
    ]
    assert len(report_ids) >= 1 and reports >= len(report_ids)
    archived = downloaded(app, f"archive_{report_ids[0]}")
    assert archived.startswith(b"Archived response ") and b"HTTP status: 200" in archived


def test_unknown_incident_id_says_so(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = open_page(monkeypatch, demo_dir, "incidents", params={"id": "i-nope"})
    assert "No such incident." in texts(app.text)


def test_filter_query_builder_uses_parameters_only() -> None:
    where, params = build_query(text="x' OR 1=1 --", states=["MA"], min_confidence=0.5)
    assert "x'" not in where and params[0] == "%x' OR 1=1 --%"
    assert build_query() == ("true", [])


# ---------------------------------------------------------------------------- SQL
def test_sql_page_refuses_a_write(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    before = query(demo_dir, "SELECT count(*) FROM reports")[0][0]
    app = open_page(monkeypatch, demo_dir, "sql")
    app = app.text_area(key="sql_text").input("DELETE FROM reports").run()
    app = app.button(key="run_sql").click().run()
    refusal = " ".join(texts(app.error))
    assert "Refused" in refusal and "read-only" in refusal
    assert query(demo_dir, "SELECT count(*) FROM reports")[0][0] == before


def test_sql_page_runs_a_query_with_csv_and_parquet_downloads(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    sql = "SELECT state_code, count(*) AS n FROM report_counties GROUP BY 1 ORDER BY 1"
    app = open_page(monkeypatch, demo_dir, "sql", params={"sql": sql})  # a permalink runs
    expected = query(demo_dir, sql)
    table = app.dataframe[-1].value
    assert list(table.columns) == ["state_code", "n"] and len(table) == len(expected)
    rows = list(csv.reader(io.StringIO(downloaded(app, "sql_csv").decode())))
    assert rows[0] == ["state_code", "n"] and len(rows) == len(expected) + 1
    parquet = pq.read_table(io.BytesIO(downloaded(app, "sql_parquet")))
    assert parquet.num_rows == len(expected)
    assert any("Permalink" in text for text in texts(app.markdown))


def test_every_download_names_its_data_version(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    """Issue 18: every file the app hands out says which data it is: the data version in its
    name (an archived copy is the source's own bytes and is named for them instead); the
    SQL page's Parquet also holds the version and the licence, and each page with downloads
    names the licence beside them."""
    from warehouse import bundle as bundle_module

    published = json.loads((demo_dir / "publication.json").read_text())["published_at"]
    stamp = bundle_module.version_stamp(published)
    sql = "SELECT state_code, count(*) AS n FROM report_counties GROUP BY 1 ORDER BY 1"
    pages = [
        ("sql", {"sql": sql}),
        ("trends", {}),
        ("place", {"state": "MA"}),
        ("downloads", {}),
    ]
    for page, params in pages:
        app = open_page(monkeypatch, demo_dir, page, params=params)
        keys = [b.proto.id.rsplit("-", 1)[-1] for b in app.get("download_button")]
        assert keys, page
        for key in keys:
            name = served(app, key).filename
            assert (
                stamp in name
                or name.endswith("data-dictionary.md")
                or name.endswith(bundle_module.DICTIONARY_CSV_NAME)
            ), (page, key, name)
        if page == "sql":  # the licence beside the buttons (markdown-escaped: "4\\.0")
            assert any("CC BY 4" in text for text in texts(app.caption)), page
        if page == "trends":  # a chart's image carries its title, version and licence
            svg = downloaded(app, next(k for k in keys if k.endswith("_svg"))).decode()
            assert "CC BY 4.0" in svg and "data version" in svg
    app = open_page(monkeypatch, demo_dir, "sql", params={"sql": sql})
    meta = pq.read_metadata(io.BytesIO(downloaded(app, "sql_parquet"))).metadata
    assert meta[b"data_version"].decode() == published
    assert meta[b"licence"].decode() == bundle_module.LICENCE
    # The map's numbers, behind their toggle.
    app = open_page(monkeypatch, demo_dir)
    app = app.toggle(key="map_numbers").set_value(True).run()
    names = [
        served(app, b.proto.id.rsplit("-", 1)[-1]).filename for b in app.get("download_button")
    ]
    assert names and all(stamp in name for name in names), names


def test_sql_cookbook_queries_all_run(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    from webapp.cookbook import RECIPES

    app = open_page(monkeypatch, demo_dir, "sql")
    for name in RECIPES:
        app = app.selectbox(key="recipe").set_value(name).run()
        assert not app.exception
        assert not app.error, (name, texts(app.error))
        assert app.text_area(key="sql_text").value == RECIPES[name][1]


# ---------------------------------------------------------------------------- downloads
def test_downloads_yield_valid_files(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = open_page(monkeypatch, demo_dir, "downloads")
    incidents = query(demo_dir, "SELECT count(*) FROM incidents")[0][0]
    with zipfile.ZipFile(io.BytesIO(downloaded(app, "dl_incidents_csv"))) as bundle:
        table = next(n for n in bundle.namelist() if n.endswith(".csv") and "dictionary" not in n)
        rows = list(csv.DictReader(io.StringIO(bundle.read(table).decode())))
    assert len(rows) == incidents and "incident_id" in rows[0]
    assert (
        pq.read_table(io.BytesIO(downloaded(app, "dl_reports_parquet"))).num_rows
        == query(demo_dir, "SELECT count(*) FROM reports")[0][0]
    )
    geo = json.loads(downloaded(app, "dl_incidents_geojson"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == incidents
    assert {f["geometry"]["type"] for f in geo["features"] if f["geometry"]} == {"MultiPolygon"}
    months = json.loads(downloaded(app, "dl_county_month_geojson"))
    assert months["features"] and "month" in months["features"][0]["properties"]
    database = downloaded(app, "dl_duckdb")
    assert database[8:12] == b"DUCK"
    assert downloaded(app, "dl_dictionary").startswith(b"# Data dictionary")
    assert any("data version" in text for text in texts(app.code))


def test_downloads_name_their_version_and_licence_and_ship_the_dictionary(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path, tmp_path: Path
) -> None:
    """Issue 18: every file names the data version (file name and inside), the licence, and
    comes with the data dictionary; the page says which file for a spreadsheet, which for a
    notebook."""
    from warehouse import bundle

    app = open_page(monkeypatch, demo_dir, "downloads")
    version = json.loads((demo_dir / "publication.json").read_text())["published_at"]
    stamp = bundle.version_stamp(version)
    for key in ("dl_incidents_csv", "dl_reports_parquet", "dl_county_month_geojson", "dl_duckdb"):
        assert stamp in served(app, key).filename, key
    # CSV: zipped with README.txt (version, licence) and data-dictionary.csv
    with zipfile.ZipFile(io.BytesIO(downloaded(app, "dl_incidents_csv"))) as zipped:
        names = zipped.namelist()
        assert f"911-outage-watch-incidents-{stamp}.csv" in names
        readme = zipped.read("README.txt").decode()
        zipped.extract("data-dictionary.csv", tmp_path)
    assert f"Data version: {version}" in readme and bundle.LICENCE in readme
    assert "- incident_id: stable id" in readme
    con = duckdb.connect()  # its own: duckdb.sql() shares one connection per process
    described = con.sql(
        f'SELECT "table", "column", description FROM read_csv(\'{tmp_path}/data-dictionary.csv\') '
        "WHERE \"table\" = 'incidents' AND \"column\" = 'cause'"
    ).fetchall()
    assert described and "most reliable kind of source" in described[0][2]
    # Parquet: the version, licence and column meanings in the key-value metadata
    for key in ("dl_reports_parquet", "dl_county_month_parquet"):
        meta = pq.read_metadata(io.BytesIO(downloaded(app, key))).metadata
        assert meta[b"data_version"].decode() == version, key
        assert meta[b"licence"].decode() == bundle.LICENCE, key
        columns = json.loads(meta[b"dictionary"])
        assert columns and all(columns.values()), key
    target = tmp_path / "incidents.parquet"
    target.write_bytes(downloaded(app, "dl_incidents_parquet"))
    kv = dict(
        con.sql(
            f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{target}')"
        ).fetchall()
    )
    assert kv["data_version"] == version and "cause" in json.loads(kv["dictionary"])
    # GeoJSON: the same as members of the FeatureCollection
    geo = json.loads(downloaded(app, "dl_incidents_geojson"))
    assert geo["data_version"] == version and geo["licence"] == bundle.LICENCE
    # the dictionary as its own CSV file, and the page's plain words on which file to open
    assert downloaded(app, "dl_dictionary_csv").startswith(b"table,column,description")
    page = " ".join(texts(app.markdown))
    assert "**In a spreadsheet**" in page and "CSV (zip)" in page
    assert "**In a notebook**" in page and "Parquet" in page and "read_parquet" in page
    assert version in page and bundle.LICENCE in page


def test_county_month_aggregates_count_each_incident_once(demo_dir: Path) -> None:
    """The download's two-step grouping gives what counting DISTINCT incidents gives."""
    from webapp.downloads_page import COUNTY_MONTH_SQL

    direct = """
    SELECT ic.county_fips, any_value(coalesce(ic.county_name, c.county_name)) AS county_name,
           ic.state_code, date_trunc('month', i.started_on)::DATE AS month,
           count(DISTINCT i.incident_id) AS incidents,
           round(sum(i.duration_minutes) / 60.0, 1) AS outage_hours,
           any_value(c.population) AS population,
           count(DISTINCT i.incident_id) FILTER (WHERE i.constructed_reports = i.report_count)
               AS constructed_incidents
    FROM incident_counties AS ic
    JOIN incidents AS i USING (incident_id)
    LEFT JOIN counties AS c ON c.county_fips = ic.county_fips
    WHERE i.started_on IS NOT NULL
    GROUP BY ic.county_fips, ic.state_code, month
    ORDER BY month, ic.county_fips
    """
    rows = query(demo_dir, COUNTY_MONTH_SQL)
    assert rows and rows == query(demo_dir, direct)


# ---------------------------------------------------------------------------- trends, about
def test_trends_charts_follow_the_state_filter(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir, "trends")
    assert len(app.get("vega_lite_chart")) == 12
    total = query(demo_dir, REAL)[0][0]
    captions = " ".join(texts(app.caption))
    assert f"{total} incidents began" in captions
    # every chart says what its counts are, and is not
    assert captions.count(ui.COVERAGE_NOTE) == len(app.get("vega_lite_chart"))
    # the record's charts, each with its data
    (first, last), per_year = (
        query(
            demo_dir,
            "SELECT min(year(started_on)), max(year(started_on)) FROM incidents "
            + ("WHERE report_count > constructed_reports"),
        )[0],
        dict(
            query(
                demo_dir,
                "SELECT year(started_on), count(*) FROM incidents "
                "WHERE report_count > constructed_reports GROUP BY 1",
            )
        ),
    )
    rows = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-per-year_csv").decode())))
    assert [int(r["year"]) for r in rows] == list(range(first, last + 1))
    assert {int(r["year"]): int(r["incidents"]) for r in rows if int(r["incidents"])} == per_year
    states = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-by-state_csv").decode())))
    by_state = dict(
        query(
            demo_dir,
            "SELECT s, count(*) FROM incidents, unnest(state_codes) AS t(s) "
            "WHERE report_count > constructed_reports GROUP BY 1",
        )
    )
    assert {r["state"]: int(r["incidents"]) for r in states} == by_state
    # per month, each incident once (AT&T's 2024-02-22 outage touches 53 states: one incident)
    monthly = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-per-month_csv").decode())))
    assert sum(int(r["incidents"]) for r in monthly) == total
    feb = next(int(r["incidents"]) for r in monthly if r["month"].startswith("2024-02"))
    assert (
        feb
        == query(
            demo_dir,
            "SELECT count(*) FROM incidents WHERE report_count > constructed_reports "
            "AND date_trunc('month', started_on) = DATE '2024-02-01'",
        )[0][0]
        < 53
    )
    for name in ("incidents-by-cause", "incidents-by-provider", "incidents-by-duration"):
        assert downloaded(app, f"{name}_csv").decode().splitlines()[0].endswith("incidents") or (
            "incidents" in downloaded(app, f"{name}_csv").decode().splitlines()[0]
        )
    app = app.multiselect(key="states").set_value(["MA"]).run()
    in_ma = query(demo_dir, REAL + " AND list_contains(state_codes, 'MA')")
    assert f"{in_ma[0][0]} incident" in " ".join(texts(app.caption))
    svg = downloaded(app, "incidents-by-provider_svg")
    assert svg.lstrip().startswith(b"<svg") and b"incidents" in svg
    assert downloaded(app, "incidents-by-provider_png").startswith(b"\x89PNG")
    csv_rows = downloaded(app, "incidents-by-state-month_csv").decode().splitlines()
    assert csv_rows[0] == "month,state,incidents" and all(",MA," in r for r in csv_rows[1:])


def test_about_page_shows_coverage_and_freshness(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = open_page(monkeypatch, demo_dir, "about")
    tables = [frame.value for frame in app.dataframe]
    sources = next(t for t in tables if "spider" in t.columns)
    assert {"openfema_ipaws", "curated"} <= set(sources["spider"])
    assert set(sources["freshness"]) <= {"fresh", "overdue", "never crawled"}
    checked = dict(zip(sources["spider"], sources["checked"], strict=True))
    counts = dict(zip(sources["spider"], sources["verified_count"], strict=True))
    for spider, text in checked.items():
        if counts[spider]:
            assert text == f"parser checked against {counts[spider]} recorded real page" + (
                "s" if counts[spider] > 1 else ""
            )
        elif spider == "curated":  # no fetched page: says how its records are checked
            assert "hand-curated" in text and "outages curated check" in text
        else:
            assert text == "not yet checked against the real source"
    assert map_args(app, "coverage_map")["level"] == "state"
    assert any("text-to-911" in text for text in texts(app.error))
    # how the record is made and how to propose a correction
    assert "The documented record" in texts(app.header)
    records = query(demo_dir, "SELECT count(*) FROM reports WHERE source_kind = 'curated'")
    markdown = " ".join(texts(app.markdown))
    assert f"**{records[0][0]} documented outage records**" in markdown
    assert "outages curated check" in markdown and "crawlers/data/CURATED.md" in markdown
    # the data licence, from the one constant every download also carries
    assert "Data: CC BY 4.0 (the database)" in markdown and "credit 911 Outage Watch" in markdown


# ---------------------------------------------------------------------------- units
def test_chart_data_is_safe_in_a_spreadsheet() -> None:
    import pandas as pd

    frame = pd.DataFrame({"provider": ['=HYPERLINK("x")', "+1", "Lumen"], "incidents": [1, 2, 3]})
    rows = list(csv.reader(io.StringIO(safe_csv(frame).decode())))
    assert rows[1][0] == '\'=HYPERLINK("x")' and rows[2][0] == "'+1" and rows[3] == ["Lumen", "3"]


def test_colour_classes() -> None:
    assert mapview.class_breaks(0) == []
    assert mapview.class_breaks(3) == [1, 2, 3]
    wide = mapview.class_breaks(2690)
    assert wide[-1] == 2690 and wide == sorted(set(wide)) and len(wide) <= len(mapview.COLORS)
    assert mapview.break_labels([1, 2, 5]) == ["1", "2", "3–5"]
    assert mapview.coverage_arg(["c", "a", "b"], [False, True, False]) == {"covered": ["a"]}
    assert mapview.coverage_arg(["c", "a", "b"], [False, True, True]) == {"uncovered": ["c"]}
    assert mapview.coverage_arg(["b", "a", "c"], [True, False, True]) == {"uncovered": ["a"]}
    assert mapview.coverage_arg(["a"], [True]) is None
    assert mapview.coverage_arg(["b", "a"], [False, False]) == {"covered": []}


def test_time_steps() -> None:
    assert map_page.month_steps(date(2023, 11, 5), date(2024, 2, 1)) == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    weeks = map_page.week_steps(date(2024, 4, 17), date(2024, 5, 1))
    assert weeks == ["2024-04-15", "2024-04-22", "2024-04-29"]
    assert map_page.step_end("2023-12") == date(2024, 1, 1)
    assert map_page.step_end("2024-04-15") == date(2024, 4, 22)
    assert map_page.convert_label("2024-04-17", "month") == "2024-04"
    assert map_page.convert_label("2024-04", "week") == "2024-04-01"


def test_map_numbers_match_a_direct_query(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    """The in-memory cube gives what SQL on the published file gives."""
    app = open_page(monkeypatch, demo_dir)
    app = app.select_slider(key="period").set_value(("2024-04", "2024-04")).run()
    values = map_args(app)["values"]
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        expected = dict(
            con.execute(
                "SELECT coalesce(a.shape_fips, ic.county_fips), count(DISTINCT incident_id) "
                "FROM incidents JOIN incident_counties AS ic USING (incident_id) "
                "LEFT JOIN county_aliases AS a ON a.county_fips = ic.county_fips "
                "WHERE started_on >= DATE '2024-04-01' AND started_on < DATE '2024-05-01' "
                "AND report_count > constructed_reports GROUP BY 1"
            ).fetchall()
        )
    assert values == expected


def test_map_coverage_matches_a_direct_query(demo_dir: Path) -> None:
    """The coverage spans give, for every month and week, the places a report covered."""
    from webapp import cube, data

    path = demo_dir / "outages.duckdb"
    numbers = cube._cube(str(path), data.published_version(path))
    days = {
        "county": query(
            demo_dir,
            "SELECT DISTINCT coalesce(a.shape_fips, rc.county_fips), "
            "(r.published_at AT TIME ZONE 'UTC')::DATE "
            "FROM report_counties AS rc JOIN reports AS r USING (report_id) "
            "LEFT JOIN county_aliases AS a ON a.county_fips = rc.county_fips "
            "WHERE r.published_at IS NOT NULL",
        ),
        "state": query(
            demo_dir,
            "SELECT DISTINCT s, (published_at AT TIME ZONE 'UTC')::DATE "
            "FROM reports, unnest(state_codes) AS t(s) WHERE published_at IS NOT NULL",
        ),
    }
    checked = 0
    for level, seen_on in days.items():
        layer = numbers.layer(level)
        drawn = set(layer.ids)
        for step in ("month", "week"):
            labels = map_page.step_options(numbers.first, numbers.last, step)
            periods = [(label, label) for label in labels] + [(labels[0], labels[-1])]
            periods += [(labels[i], labels[i + 2]) for i in range(0, len(labels) - 2, 5)]
            for first, last in periods:
                start, end = map_page.step_start(first), map_page.step_end(last)
                expected = {p for p, day in seen_on if start <= day < end and p in drawn}
                assert set(layer.ids[layer.covered(start, end, step)]) == expected, (first, last)
                checked += bool(expected)
    assert checked > 50  # periods with coverage (most weeks of the demo have none)
    with pytest.raises(ValueError):
        numbers.county.covered(date(2024, 4, 3), date(2024, 5, 1), "month")


def test_sessions_share_one_cube_per_version(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    """Issue 19: the map's numbers are built once per published version and scope, not per
    session; a second visitor and every slider step slice the same arrays."""
    from webapp import cube

    built: list[str] = []
    real_layer = cube._layer

    def counting_layer(places, hits, cover):
        built.append("layer")
        return real_layer(places, hits, cover)

    monkeypatch.setattr(cube, "_layer", counting_layer)
    cube._cube.clear()
    first = open_page(monkeypatch, demo_dir)
    assert built == ["layer", "layer"]  # counties and states, once
    second = open_page(monkeypatch, demo_dir)
    second = second.select_slider(key="period").set_value(("2024-06", "2024-06")).run()
    first = first.select_slider(key="period").set_value(("2024-04", "2024-04")).run()
    assert not first.exception and not second.exception
    assert built == ["layer", "layer"]
    assert map_args(first)["values"] != map_args(second)["values"]


def test_committed_shapes_match_the_reference_geography() -> None:
    """Rebuild with `uv run python -m webapp.shapes` when this fails."""
    assert shapes.shapes_version() == shapes.reference_digest()
    head = json.loads(shapes.SHAPES_FILE.read_text())
    assert len(head["county"]["ids"]) == len(head["county"]["rings"]) > 3000
    assert set(head["state"]["ids"]) >= {"AK", "HI", "PR", "MA"}
    assert shapes.SHAPES_FILE.stat().st_size < 800_000


def test_schema_descriptions_come_from_the_data_dictionary() -> None:
    relations, columns = schema.descriptions()
    assert relations["reports"].startswith("one row per")
    assert "incident_id" in columns["incidents"] and "archive_ref" in columns["reports"]
    assert "source_coverage" in relations
