"""The Places page (`place?state=MA`, `place?county=25025`) and the Trends counts, run headless
with AppTest on the demo build and on a small real database holding one 3-state incident."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from crawlers.registry import source_records
from tests.conftest import query
from tests.test_app import (  # noqa: F401 (recording_media: the autouse fixture)
    RecordingMediaManager,
    downloaded,
    empty_dir,
    open_page,
    real_dir,
    recording_media,
    report,
)
from warehouse import bundle, guard, taxonomy
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish
from warehouse.sources import write_sources_table
from webapp import data, place_page, ui

REAL = "report_count > constructed_reports"
STATUS_LABELS = {"active now", "ended", "no end reported"}


def place(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **params: str) -> AppTest:
    return open_page(monkeypatch, data_dir, "place", params)


# A table of the page by a column only it has (AppTest gives tables no key).
TABLES = {
    "place_incidents": "status",
    "place_counties": "county_fips",
    "place_sources": "checked",
    "place_gaps": "months",
    "place_states": "state_code",
}


def frame(app: AppTest, key: str):
    return next(d.value for d in app.dataframe if TABLES[key] in d.value.columns)


def has_frame(app: AppTest, key: str) -> bool:
    return any(TABLES[key] in d.value.columns for d in app.dataframe)


def page_links(app: AppTest) -> list:
    return [link.proto for link in app.get("page_link")]


def link_params(app: AppTest, page: str) -> dict[str, list[str]]:
    link = next(p for p in page_links(app) if p.page == page)
    return parse_qs(link.query_string)


def chart_rows(app: AppTest, container: str) -> list[tuple[str, int]]:
    """(month, incidents) of the bar chart in a container, from its Vega-Lite data."""
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            rows = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if list(rows.columns) == ["month", "incidents"]:
                return [
                    (f"{m:%Y-%m}", int(n)) for m, n in zip(rows.month, rows.incidents, strict=True)
                ]
    raise AssertionError(f"no monthly chart in {container}")


def codes_in(values) -> set[str]:
    """Every cell value of `values`, split on the separators the page joins lists with."""
    return {part.strip() for v in values for part in str(v).replace(";", ",").split(",")}


@pytest.fixture(scope="session")
def three_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real reports: one outage across Nebraska, South Dakota and Nevada (April 2024) and one
    in Nebraska alone (June 2024)."""
    root = tmp_path_factory.mktemp("three-state")
    rows = [
        report(
            "three",
            datetime(2024, 4, 17, 18, tzinfo=UTC),
            state_codes=["NE", "SD", "NV"],
            county_fips=["31019", "46081", "32003"],
            title="911 outage in Nebraska, South Dakota and Nevada",
            cause="fiber_cut",
        ),
        report(
            "one",
            datetime(2024, 6, 3, 12, tzinfo=UTC),
            state_codes=["NE"],
            county_fips=["31019"],
            title="911 outage in Buffalo County",
        ),
    ]
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, rows)
        write_sources_table(con, source_records())
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    return root


# ---------------------------------------------------------------------------- demo pages
def test_state_page_lists_its_incidents_with_labels_and_links(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = place(monkeypatch, demo_dir, state="MA")
    assert app.title[0].value == "Massachusetts \\(MA\\)"
    ids = {
        r[0]
        for r in query(
            demo_dir,
            f"SELECT incident_id FROM incidents WHERE list_contains(state_codes, 'MA') AND {REAL}",
        )
    }
    assert ids  # the demo has incidents in Massachusetts (the 2024 statewide one, AT&T's)
    table = frame(app, "place_incidents")
    assert {link.removeprefix("incidents?id=") for link in table["link"]} == ids
    # labels, not codes: cause labels, source titles, status words
    causes = {r[0] for r in query(demo_dir, "SELECT cause FROM causes")}
    spiders = {r[0] for r in query(demo_dir, "SELECT spider FROM sources")}
    labels = {taxonomy.cause_label(c) for c in causes}
    assert set(table["cause"]) <= labels | {"unknown"}
    assert "firewall or security device" in set(table["cause"])
    assert not codes_in(table["source_list"]) & spiders
    assert set(table["status"]) <= STATUS_LABELS
    assert "source_list" in table.columns and "cause_label" not in table.columns
    # counted once per month: the chart's months add up to the incidents
    assert f"**{len(ids)} incidents** touching the state" in " ".join(m.value for m in app.markdown)
    # its counties, each linking to its page, with their incidents counted once
    counties = frame(app, "place_counties")
    expected = dict(
        query(
            demo_dir,
            "SELECT ic.county_fips, count(DISTINCT i.incident_id) FROM incidents AS i "
            "JOIN incident_counties AS ic USING (incident_id) "
            f"WHERE ic.state_code = 'MA' AND i.{REAL} GROUP BY 1",
        )
    )
    assert dict(zip(counties["county_fips"], counties["incidents"], strict=True)) == expected
    assert set(counties["link"]) == {f"place?county={f}" for f in expected}
    # its sources: the state's own and the nationwide ones, by title
    sources = frame(app, "place_sources")
    assert "Massachusetts State 911 Department news (mass.gov)" in set(sources["source"])
    assert not set(sources["source"]) & spiders
    kinds = {r[0]: r[1] for r in query(demo_dir, "SELECT source_kind, label FROM source_kinds")}
    assert set(sources["kind"]) <= set(kinds.values()) and "government agency" in set(
        sources["kind"]
    )
    assert set(sources[sources["source"].str.startswith("Massachusetts")]["covers"]) == {"MA"}
    # the state's Atom feed
    assert any("feeds/state-MA.xml" in m.value for m in app.markdown)


def test_state_page_downloads_and_sql_link_give_the_same_rows(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = place(monkeypatch, demo_dir, state="MA")
    shown = {link.removeprefix("incidents?id=") for link in frame(app, "place_incidents")["link"]}
    body = downloaded(app, "place_csv").decode()
    header = next(csv.reader(io.StringIO(body)))
    assert header[:3] == ["incident_id", "started_on", "started_at"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["incident_id"] for r in rows} == shown
    assert all(r["cause_label"] == taxonomy.cause_label(r["cause"]) for r in rows if r["cause"])
    button = next(b for b in app.get("download_button") if b.proto.id.endswith("place_csv"))
    published = json.loads((demo_dir / "publication.json").read_text())["published_at"]
    stamp = bundle.version_stamp(published)
    manager = RecordingMediaManager.latest
    assert manager is not None
    name = manager._deferred_callables[button.proto.deferred_file_id]["filename"]
    assert name == f"911-outage-watch-state-MA-incidents-{stamp}.csv"
    # the SQL page link carries the page's own query; the public guard runs it
    sql = link_params(app, "sql")["sql"][0]
    result = guard.run_public_query(str(demo_dir / "outages.duckdb"), sql)
    assert {row[0] for row in result.rows} == shown
    sql_app = open_page(monkeypatch, demo_dir, "sql", {"sql": sql})
    assert set(sql_app.dataframe[-1].value["incident_id"]) == shown


def test_county_page_links_to_its_state_and_back(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = place(monkeypatch, demo_dir, county="25025")
    assert app.title[0].value == "Suffolk County, MA"
    assert link_params(app, "place") == {"state": ["MA"]}
    ids = {
        r[0]
        for r in query(
            demo_dir,
            "SELECT DISTINCT incident_id FROM incident_counties AS ic JOIN incidents "
            f"USING (incident_id) WHERE ic.county_fips = '25025' AND {REAL}",
        )
    }
    assert ids
    table = frame(app, "place_incidents")
    assert {link.removeprefix("incidents?id=") for link in table["link"]} == ids
    # no feed per county: the state's, and the page says so
    feed = next(m.value for m in app.markdown if "Atom feed" in m.value)
    assert "feeds/state-MA.xml" in feed and "no feed per county" in feed
    # and the state page lists the county with a link back to it
    state = place(monkeypatch, demo_dir, state="MA")
    assert "place?county=25025" in set(frame(state, "place_counties")["link"])


def test_coverage_gaps_are_the_maps_hatched_months(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    """A month is a gap exactly when no month span of `coverage_spans` (the map's hatching)
    overlaps it."""
    app = place(monkeypatch, demo_dir, state="SD")
    spans = query(
        demo_dir,
        "SELECT first_day, last_day FROM coverage_spans "
        "WHERE level = 'state' AND step = 'month' AND place = 'SD'",
    )
    covered = set()
    for first, last in spans:
        month = first.replace(day=1)
        while month <= last:
            covered.add(f"{month:%Y-%m}")
            month = place_page.next_month(month)
    gaps = frame(app, "place_gaps")
    gap_months = set()
    for first, last in zip(gaps["first"], gaps["last"], strict=True):
        month = datetime.strptime(first, "%Y-%m").date()
        while f"{month:%Y-%m}" <= last:
            gap_months.add(f"{month:%Y-%m}")
            month = place_page.next_month(month)
    assert covered and gap_months
    assert not covered & gap_months
    caption = next(c.value for c in app.caption if "which any source sent any report" in c.value)
    total = int(caption.split(" of ")[1].split(".")[0])
    assert f": {len(covered)} of {total}." in caption
    assert len(covered) + len(gap_months) == total


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"state": "ZZ"}, place_page.UNKNOWN_STATE),
        ({"state": "<img src=x onerror=alert(1)>"}, place_page.UNKNOWN_STATE),
        ({"county": "99999"}, place_page.UNKNOWN_COUNTY),
        ({"county": "[click](javascript:alert(1))"}, place_page.UNKNOWN_COUNTY),
    ],
)
def test_unknown_code_says_so_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path, params: dict, message: str
) -> None:
    app = place(monkeypatch, demo_dir, **params)
    assert app.title[0].value == "Places"
    assert message in [w.value for w in app.warning]
    given = next(iter(params.values()))
    shown = [e.value for kind in ("markdown", "warning", "caption", "title") for e in app.get(kind)]
    assert not any(given in text for text in shown)
    assert has_frame(app, "place_states")  # the index of states instead


def test_state_page_on_an_empty_database(
    monkeypatch: pytest.MonkeyPatch,
    empty_dir: Path,  # noqa: F811 (the fixture of tests/test_app.py)
) -> None:
    app = place(monkeypatch, empty_dir, state="MA")
    assert app.title[0].value == "Massachusetts \\(MA\\)"
    assert "**0 incidents** touching the state in the record." in [m.value for m in app.markdown]
    assert any("No source has sent any report yet" in m.value for m in app.markdown)


def test_without_a_place_the_page_lists_the_states(
    monkeypatch: pytest.MonkeyPatch, demo_dir: Path
) -> None:
    app = place(monkeypatch, demo_dir)
    states = frame(app, "place_states")
    counts = dict(zip(states["state_code"], states["incidents"], strict=True))
    # AT&T's 2024-02-22 outage touches 53 states and territories: one incident in each
    assert (
        counts["MA"]
        == query(
            demo_dir,
            f"SELECT count(*) FROM incidents WHERE list_contains(state_codes, 'MA') AND {REAL}",
        )[0][0]
    )
    assert set(states["link"]) == {f"place?state={s}" for s in states["state_code"]}


def test_place_parameters_round_trip(monkeypatch: pytest.MonkeyPatch, demo_dir: Path) -> None:
    app = place(monkeypatch, demo_dir, state="ne")  # a lower-case code is the same state
    assert app.title[0].value == "Nebraska \\(NE\\)"
    assert app.query_params["state"] == "ne"
    real = len(frame(app, "place_incidents"))
    assert ui.incident_scope(False) in link_params(app, "sql")["sql"][0]
    app = app.toggle(key=ui.CONSTRUCTED_KEY).set_value(True).run()
    assert app.query_params[ui.CONSTRUCTED_KEY] in ("true", ["true"])
    assert app.query_params["state"] == "ne"  # the place stays in the URL
    everything = query(
        demo_dir, "SELECT count(*) FROM incidents WHERE list_contains(state_codes, 'NE')"
    )[0][0]
    assert len(frame(app, "place_incidents")) == everything > real
    # the SQL page link holds the same rows: the constructed examples too, now
    assert ui.incident_scope(False) not in link_params(app, "sql")["sql"][0]


def test_county_page_shows_what_is_active_now_first(
    monkeypatch: pytest.MonkeyPatch,
    real_dir: Path,  # noqa: F811 (the fixture of tests/test_app.py: an outage going on now)
) -> None:
    app = place(monkeypatch, real_dir, county="20091")
    assert app.title[0].value == "Johnson County, KS"
    banner = " ".join(e.value for e in app.error)
    assert "active now here" in banner and "911 outage in Johnson County, Kansas" in banner
    assert "913\\-555\\-0100" in banner and "per Johnson County Emergency Management" in banner
    table = frame(app, "place_incidents")
    assert table["status"].iloc[0] == "active now"


def test_active_now_follows_the_clock(real_dir: Path) -> None:  # noqa: F811
    """The map's rule, with the clock given: active within 24 hours of the latest report."""
    path = real_dir / "outages.duckdb"
    pub = data.Published(path, data.published_version(path), None, real_dir)
    (latest,) = query(
        real_dir,
        "SELECT coalesce(last_reported_at, started_at) FROM incidents "
        "WHERE list_contains(state_codes, 'KS')",
    )[0]
    johnson, _ = place_page.resolve(pub, {"county": "20091"})
    assert johnson is not None
    soon = latest + timedelta(hours=23)
    later = latest + timedelta(hours=25)
    assert len(place_page.active_now(pub, johnson, "true", soon)) == 1
    assert len(place_page.active_now(pub, johnson, "true", later)) == 0
    elsewhere, _ = place_page.resolve(pub, {"state": "CT"})
    assert elsewhere is not None
    assert len(place_page.active_now(pub, elsewhere, "true", soon)) == 0


# ---------------------------------------------------------------------------- counted once
def test_a_three_state_incident_counts_once_per_month_and_once_per_state(
    monkeypatch: pytest.MonkeyPatch, three_state_dir: Path
) -> None:
    assert query(three_state_dir, "SELECT count(*) FROM incidents")[0][0] == 2
    app = open_page(monkeypatch, three_state_dir, "trends")
    monthly = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-per-month_csv").decode())))
    assert [(r["month"][:7], int(r["incidents"])) for r in monthly] == [
        ("2024-04", 1),
        ("2024-06", 1),
    ]
    per_state = list(
        csv.DictReader(io.StringIO(downloaded(app, "incidents-by-state-month_csv").decode()))
    )
    april = {r["state"]: int(r["incidents"]) for r in per_state if r["month"].startswith("2024-04")}
    assert april == {"NE": 1, "NV": 1, "SD": 1}
    by_state = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-by-state_csv").decode())))
    assert {r["state"]: int(r["incidents"]) for r in by_state} == {"NE": 2, "NV": 1, "SD": 1}
    titles = [m.value for m in app.markdown]
    assert "**Incidents per month**" in titles
    assert "**Incidents touching each state, per month**" in titles
    captions = " ".join(c.value for c in app.caption)
    assert "appears in each state it touched" in captions
    # the state filter keeps working, from the URL too
    app = open_page(monkeypatch, three_state_dir, "trends", {"states": ["SD"]})
    assert app.multiselect(key="states").value == ["SD"]
    assert app.query_params["states"] in ("SD", ["SD"])
    monthly = list(csv.DictReader(io.StringIO(downloaded(app, "incidents-per-month_csv").decode())))
    assert [(r["month"][:7], int(r["incidents"])) for r in monthly] == [("2024-04", 1)]


def test_other_states_count_each_incident_once(
    monkeypatch: pytest.MonkeyPatch, three_state_dir: Path
) -> None:
    """Past the top states, "other" is the incidents touching any of them, not a sum."""
    monkeypatch.setattr("webapp.trends_page.TOP_STATES", 1)
    app = open_page(monkeypatch, three_state_dir, "trends")
    per_state = list(
        csv.DictReader(io.StringIO(downloaded(app, "incidents-by-state-month_csv").decode()))
    )
    april = {r["state"]: int(r["incidents"]) for r in per_state if r["month"].startswith("2024-04")}
    assert april == {"NE": 1, "other": 1}


def test_state_page_counts_the_three_state_incident_once(
    monkeypatch: pytest.MonkeyPatch, three_state_dir: Path
) -> None:
    app = place(monkeypatch, three_state_dir, state="SD")
    assert len(frame(app, "place_incidents")) == 1
    # every month of the record (April to June 2024), the outage once
    assert chart_rows(app, "place_months") == [("2024-04", 1), ("2024-05", 0), ("2024-06", 0)]
    table = frame(app, "place_incidents")
    assert table["states"].iloc[0] == "NE, NV, SD" and table["cause"].iloc[0] == "fiber cut"
    app = place(monkeypatch, three_state_dir, county="31019")
    assert app.title[0].value == "Buffalo County, NE"
    assert len(frame(app, "place_incidents")) == 2
