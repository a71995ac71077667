"""The Streamlit app run headless with AppTest: demo data, nothing published, an empty database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import query
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.publish import publish

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
    expected = dict(
        query(demo_dir, "SELECT report_id, source_url FROM reports WHERE is_outage")
    )
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
