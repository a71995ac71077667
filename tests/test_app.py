"""The Streamlit app run headless with AppTest: demo data, nothing published, an empty database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import query
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish
from webapp.map_page import US_BOUNDS, fit_view

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> AppTest:
    monkeypatch.setenv("OUTAGES_DATA", str(data_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def reports_table(app: AppTest):
    assert len(app.dataframe) == 1
    return app.dataframe[0].value


def test_demo_data_renders_with_warning_map_and_table(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = run_app(monkeypatch, demo_dir)
    assert app.title[0].value == "911 Outage Watch"
    assert any("Demo data" in text for text in texts(app.warning))
    assert not app.info
    assert len(app.get("deck_gl_json_chart")) == 1
    table = reports_table(app)
    outage_reports = query(demo_dir, "SELECT count(*) FROM reports WHERE is_outage")[0][0]
    assert len(table) == outage_reports > 0
    assert app.subheader[0].value == f"Reports ({outage_reports})"
    assert table["is_constructed"].any()


def test_period_slider_changes_the_table(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = run_app(monkeypatch, demo_dir)
    slider = app.slider(key="period")
    first, last = slider.value
    assert first < last
    everything = reports_table(app)

    app = slider.set_value((date(2024, 6, 18), last)).run()
    assert not app.exception
    narrowed = reports_table(app)
    assert 0 < len(narrowed) < len(everything)
    assert {tuple(codes) for codes in narrowed["state_codes"]} == {("MA",)}
    caption = " ".join(texts(app.caption))
    assert "14 counties" in caption  # the statewide Massachusetts alerts cover its 14 counties

    app = app.slider(key="period").set_value((first, first)).run()
    assert not app.exception
    first_day = reports_table(app)
    assert 0 < len(first_day) < len(everything)
    assert {tuple(codes) for codes in first_day["state_codes"]} == {("NE",)}


def test_table_links_are_the_source_urls(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = run_app(monkeypatch, demo_dir)
    table = reports_table(app)
    expected = dict(query(demo_dir, "SELECT report_id, source_url FROM reports WHERE is_outage"))
    assert dict(zip(table["report_id"], table["source_url"], strict=True)) == expected
    assert all(url.startswith("https://") for url in table["source_url"])
    config = json.loads(app.dataframe[0].proto.columns)
    assert config["source_url"]["type_config"]["type"] == "link"


def test_nothing_published_shows_info(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = run_app(monkeypatch, tmp_path)
    assert any("No data published yet" in text for text in texts(app.info))
    assert not app.dataframe
    assert not app.warning


def test_published_but_empty_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    con = connect_work(data_dir)
    try:
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    app = run_app(monkeypatch, tmp_path)
    assert any("no 911 outage reports yet" in text for text in texts(app.info))
    assert not app.warning  # nothing constructed, so no demo label
    assert not app.dataframe
    assert not app.slider


def deck_layer(app: AppTest, layer_id: str) -> dict:
    spec = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
    return next(layer for layer in spec["layers"] if layer["id"] == layer_id)


def test_counties_without_a_shape_are_drawn_on_their_alias_shapes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Connecticut's planning regions and Falls Church have no 2017 shape of their own."""
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    rows = [
        {
            "report_id": report_id,
            "source": "test",
            "source_url": f"https://example.org/{report_id}",
            "published_at": when,
            "started_at": when,
            "ended_at": when + timedelta(hours=2),
            "is_outage": True,
            "status": "outage",
            "title": title,
            "state_codes": [state],
            "county_fips": [fips],
            "references_keys": [],
            "is_constructed": False,
        }
        for report_id, title, state, fips in (
            ("ct-1", "911 outage in the Capitol region", "CT", "09110"),
            ("va-1", "911 outage in Falls Church", "VA", "51610"),
        )
    ]
    data_dir = DataDir(tmp_path)
    con = connect_work(data_dir)
    try:
        load_reports(con, rows)
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    app = run_app(monkeypatch, tmp_path)
    assert not app.warning  # real (not constructed) reports: no demo label
    caption = " ".join(texts(app.caption))
    assert caption.startswith("2 counties") and "Not drawn" not in caption
    features = deck_layer(app, "counties")["data"]["features"]
    drawn = {f["properties"]["fips"]: f["properties"]["label"] for f in features}
    assert drawn == {
        "09003": "Capitol Planning Region, CT",
        "09013": "Capitol Planning Region, CT",
        "51059": "Falls Church city, VA",
    }
    assert len(reports_table(app)) == 2


def test_map_view_fits_the_counties_or_falls_back_to_the_us() -> None:
    massachusetts = fit_view((-73.5, 41.2, -69.9, 42.9))
    assert 41 < massachusetts.latitude < 43 and -72.5 < massachusetts.longitude < -71
    nationwide = fit_view(US_BOUNDS)
    assert massachusetts.zoom > nationwide.zoom >= 2
    # A Pacific territory with the mainland spans too much of the globe: show the mainland.
    assert str(fit_view((-124.0, 13.2, 145.8, 48.0))) == str(nationwide)
    assert fit_view(US_BOUNDS, width_px=350).zoom < nationwide.zoom
