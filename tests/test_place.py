"""The place box of the Map page (issue 18): a typed county, city or ZIP code, or a browser
position, resolved offline to a county; the one-sentence answer from the published
incidents (active, backup number by the trust rule, sources' freshness, no coverage);
local times; the place in the URL. Real DuckDB files built by the warehouse, AppTest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers.registry import source_records
from tests.test_app import open_page, report, texts
from warehouse import places
from warehouse.build import build
from warehouse.db import DataDir, connect_work
from warehouse.load import load_reports
from warehouse.publish import publish
from warehouse.sources import write_sources_table
from webapp import place
from webapp.geolocate import LABEL

# The clock of every answer below: 2024-06-18 18:00 UTC (14:00 EDT, 13:00 CDT).
NOW = datetime(2024, 6, 18, 18, 0, tzinfo=UTC)
STARTED = datetime(2024, 6, 18, 17, 15, tzinfo=UTC)  # 13:15 EDT


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(place, "now", lambda: NOW)


@pytest.fixture(scope="session")
def place_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Active incidents at NOW: Suffolk County MA (an official alert with a backup number),
    Norfolk County MA (an official alert, no number), Middlesex County MA (one news story
    with a number: not corroborated), Nebraska statewide (no county named); an ended one in
    Travis County TX. Sources: only the state ones (no national feed), so Wyoming has none;
    the Texas ones last crawled well 5 minutes before NOW."""
    root = tmp_path_factory.mktemp("place-data")
    alert = {"source": "nws_alerts", "source_kind": "alert", "ended_at": None}
    rows = [
        report(
            "ma-suffolk",
            STARTED + timedelta(minutes=15),  # published 13:30 EDT
            started_at=STARTED,
            state_codes=["MA"],
            county_fips=["25025"],
            title="911 is down in Suffolk County",
            backup_phone="617-555-0100",
            sender_name="Massachusetts Emergency Management Agency",
            **alert,
        ),
        report(
            "ma-norfolk",
            STARTED,
            state_codes=["MA"],
            county_fips=["25021"],
            title="911 outage in Norfolk County",
            sender_name="Norfolk County Sheriff",
            **alert,
        ),
        report(
            "ma-middlesex",
            STARTED,
            state_codes=["MA"],
            county_fips=["25017"],
            title="Callers report 911 trouble in Middlesex County",
            backup_phone="617-555-0199",
            source="gdelt_news",
            source_kind="news",
            ended_at=None,
        ),
        *(
            # two independent news stories: corroborated (active), but news is not an
            # authority, so the number they carry is never the instruction
            report(
                f"ma-plymouth-{source}",
                STARTED + timedelta(minutes=minutes),
                started_at=STARTED,
                state_codes=["MA"],
                county_fips=["25023"],
                title="911 outage in Plymouth County",
                backup_phone="508-555-0142",
                source=source,
                source_kind="news",
                ended_at=None,
            )
            for source, minutes in (("gdelt_news", 5), ("wcvb_news", 10))
        ),
        report(
            "ne-statewide",
            STARTED,
            state_codes=["NE"],
            county_fips=[],
            title="911 outage across Nebraska",
            sender_name="Nebraska Emergency Management Agency",
            **alert,
        ),
        report(
            "tx-old",
            datetime(2024, 6, 1, 12, tzinfo=UTC),
            state_codes=["TX"],
            county_fips=["48453"],
            source="tx_austin_apd",
            source_kind="agency",
        ),
    ]
    data_dir = DataDir(root)
    con = connect_work(data_dir)
    try:
        load_reports(con, rows)
        write_sources_table(con, [r for r in source_records() if r["states"] != "all"])
        checked = NOW - timedelta(minutes=5)
        con.execute(
            "INSERT INTO crawl_runs (run_id, spider, started_at, finished_at, status, mode) "
            "VALUES ('r1', 'tx_austin_apd', ?, ?, 'ok', 'live'), "
            "('r2', 'tx_csec', ?, ?, 'ok', 'live')",
            [
                checked - timedelta(minutes=1),
                checked,
                NOW - timedelta(hours=3),
                NOW - timedelta(hours=3),
            ],
        )
        build(con)
        publish(con, data_dir)
    finally:
        con.close()
    return root


def answer_text(app) -> str:
    """The answer sentence, without the markdown escapes of source text."""
    return " ".join(texts(app.error) + texts(app.success) + texts(app.warning)).replace("\\", "")


# ---------------------------------------------------------------------------- resolution
def test_zip_code_resolves_to_its_county() -> None:
    assert places.resolve("78701").county == places.county("48453")
    assert places.resolve(" 02108-1234 ").county.label == "Suffolk County, MA"
    assert places.resolve("99501").county.label == "Anchorage Municipality, AK"
    unknown = places.resolve("00000")
    assert unknown.county is None and not unknown.choices
    assert "ZIP code 00000" in unknown.message


@pytest.mark.parametrize(
    ("text", "fips"),
    [
        ("Travis County, TX", "48453"),
        ("Travis, TX", "48453"),
        ("travis county texas", "48453"),
        ("Boston, MA", "25025"),  # a city: its ZIP codes are all in Suffolk County
        ("Springfield, IL", "17167"),
        ("Orleans Parish, LA", "22071"),
        ("Capitol Planning Region, CT", "09110"),
        ("Washington, DC", "11001"),
    ],
)
def test_county_and_city_names_resolve_to_one_county(text: str, fips: str) -> None:
    found = places.resolve(text)
    assert found.county is not None, found
    assert found.county.fips == fips


def test_ambiguous_places_give_choices_not_a_guess() -> None:
    austin = places.resolve("Austin, TX")  # Austin County, and the city across 3 counties
    assert austin.county is None
    assert [c.fips for c in austin.choices] == ["48015", "48453", "48491", "48209"]
    assert "which one" in austin.message
    richmond = places.resolve("Richmond, VA")  # Richmond County and Richmond city
    assert {"51159", "51760"} <= {c.fips for c in richmond.choices}
    springfield = places.resolve("Springfield")  # no state: many states
    assert len(springfield.choices) == places.MAX_CHOICES
    assert len({c.state_code for c in springfield.choices}) > 5
    assert "more not shown" in springfield.message


def test_unknown_place_says_so() -> None:
    found = places.resolve("Nowhereville, TX")
    assert not found.choices and "Nowhereville" in found.message and "in TX" in found.message
    assert "Type a county" in places.resolve("   ").message


def test_a_point_resolves_to_its_county_or_to_none() -> None:
    assert places.county_at(30.2672, -97.7431).fips == "48453"  # Austin city hall
    assert places.county_at(42.3601, -71.0589).fips == "25025"  # Boston
    assert places.county_at(61.2181, -149.9003).fips == "02020"  # Anchorage
    assert places.county_at(38.0, -40.0) is None  # the Atlantic
    assert places.county_at(48.8566, 2.3522) is None  # Paris
    assert places.county_at("x", None) is None and places.county_at(95, 0) is None


# ---------------------------------------------------------------------------- local times
def test_times_are_in_the_places_zone() -> None:
    suffolk, travis, maricopa = (places.county(f) for f in ("25025", "48453", "04013"))
    assert place.time_text(STARTED, suffolk, NOW) == "13:15 EDT"
    assert place.time_text(STARTED, travis, NOW) == "12:15 CDT"
    assert place.time_text(STARTED, maricopa, NOW) == "10:15 MST"  # no daylight saving
    # another local day: with its date
    assert place.time_text(STARTED - timedelta(days=1), suffolk, NOW) == "2024-06-17 13:15 EDT"


# ---------------------------------------------------------------------------- answers
def test_active_official_incident_gives_the_number_with_its_source(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "25025"})
    answer = " ".join(texts(app.error)).replace("\\", "")
    assert "911 is disrupted in Suffolk County, MA** since 13:15 EDT." in answer
    assert (
        "Officials say: call **617-555-0100**, per Massachusetts Emergency Management "
        "Agency at 13:30 EDT." in answer
    )
    # first on the page: the title, then the box, then the answer
    assert app.title[0].value == "911 outage map"
    assert app.text_input(key=place.BOX_KEY).label == "Is 911 down where you are?"


def test_active_official_incident_without_a_number(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "25021"})
    answer = answer_text(app)
    assert "911 is disrupted in Norfolk County, MA** since 13:15 EDT." in answer
    assert "No official backup number has been given" in answer
    assert "Officials say" not in answer


def test_an_uncorroborated_report_is_not_an_answer_and_gives_no_number(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "25017"})
    answer = answer_text(app)
    assert "617-555-0199" not in answer and "Officials say" not in answer
    assert "No 911 outage reported in Middlesex County, MA" in answer


def test_a_number_only_news_gives_is_not_an_instruction(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "25023"})
    answer = answer_text(app)
    assert "911 is disrupted in Plymouth County, MA** since 13:15 EDT." in answer
    assert "No official backup number has been given" in answer
    assert "508-555-0142" not in answer


def test_the_selection_panel_links_to_the_place_page(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    def place_links(app) -> list[tuple[str, str]]:
        return [
            (link.proto.label, link.proto.query_string)
            for link in app.get("page_link")
            if link.proto.page == "place"
        ]

    app = open_page(monkeypatch, place_dir, params={"sel": "25025", "level": "Counties"})
    assert ("Open the page of Suffolk County, MA", "county=25025") in place_links(app)
    app = open_page(monkeypatch, place_dir, params={"sel": "MA", "level": "States"})
    assert [query for _, query in place_links(app)] == ["state=MA"]


def test_an_incident_naming_only_the_state_covers_its_counties(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "31019"})  # Buffalo County, NE
    assert "911 is disrupted in Buffalo County, NE** since 12:15 CDT." in answer_text(app)


def test_quiet_county_with_coverage_says_when_the_sources_were_checked(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "48453"})
    assert "No 911 outage reported in Travis County, TX (sources checked 5 min ago)." in (
        texts(app.success)
    )
    assert not any("Travis" in text for text in texts(app.error))


def test_county_no_source_covers_says_no_data_is_not_no_outage(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={"place": "56021"})  # Laramie County, WY
    assert "No source we watch covers Laramie County, WY: no data is not no outage." in texts(
        app.warning
    )


def test_the_answer_follows_the_clock(monkeypatch: pytest.MonkeyPatch, place_dir: Path) -> None:
    """Two days later the Suffolk alert (no all-clear, no new report) is no longer active."""
    monkeypatch.setattr(place, "now", lambda: NOW + timedelta(days=2))
    app = open_page(monkeypatch, place_dir, params={"place": "25025"})
    assert "No 911 outage reported in Suffolk County, MA" in answer_text(app)


# ---------------------------------------------------------------------------- the box
def test_typing_a_zip_code_answers_and_puts_the_place_in_the_url(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir)
    assert "911 is disrupted" not in answer_text(app)  # no place yet
    app = app.text_input(key=place.BOX_KEY).input("02108").run()
    assert not app.exception
    assert app.query_params[place.PARAM] in ("25025", ["25025"])
    assert "911 is disrupted in Suffolk County, MA" in answer_text(app)
    # the shared link reopens the same place
    again = open_page(monkeypatch, place_dir, params={place.PARAM: "25025"})
    assert "911 is disrupted in Suffolk County, MA" in answer_text(again)


def test_an_ambiguous_city_offers_choices_and_a_choice_answers(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir)
    app = app.text_input(key=place.BOX_KEY).input("Austin, TX").run()
    choice = app.radio(key=place.CHOICE_KEY)
    assert choice.options[:2] == ["Austin County, TX", "Travis County, TX"]
    assert place.PARAM not in app.query_params
    app = choice.set_value("Travis County, TX").run()
    assert app.query_params[place.PARAM] in ("48453", ["48453"])
    assert "No 911 outage reported in Travis County, TX" in answer_text(app)


def test_an_unknown_place_says_so_on_the_page(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir)
    app = app.text_input(key=place.BOX_KEY).input("Nowhereville, TX").run()
    assert any("Nowhereville" in text for text in texts(app.warning))
    assert place.PARAM not in app.query_params


def test_an_unknown_place_in_the_url_is_dropped(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    app = open_page(monkeypatch, place_dir, params={place.PARAM: "<b>99999</b>"})
    assert place.PARAM not in app.query_params
    assert not any("99999" in text for text in answer_text(app).split())


def test_the_location_button_is_on_the_page() -> None:
    """Its accessible name is what the browser test clicks."""
    html = (Path(place.__file__).parent / "geolocate" / "frontend" / "index.html").read_text()
    assert f'aria-label="{LABEL}"' in html
    script = (Path(place.__file__).parent / "geolocate" / "frontend" / "geolocate.js").read_text()
    # the position is asked for only inside the click handler, never on load
    click = script.index('addEventListener("click"')
    assert script.index("getCurrentPosition") > click


def test_the_browsers_position_answers_for_its_county(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    """What the geolocation component returns after the click ({lat, lon, nonce}) is
    resolved here, by point-in-polygon: Austin is in Travis County, the ocean in none."""
    app = open_page(monkeypatch, place_dir)
    app.session_state[place.GEO_KEY] = {"lat": 30.2672, "lon": -97.7431, "nonce": "1"}
    app.run()
    assert app.query_params[place.PARAM] in ("48453", ["48453"])
    assert "No 911 outage reported in Travis County, TX (sources checked 5 min ago)." in (
        texts(app.success)
    )
    app.session_state[place.GEO_KEY] = {"lat": 38.0, "lon": -40.0, "nonce": "2"}
    app.run()
    assert any("not in a US county" in text for text in texts(app.warning))
    app.session_state[place.GEO_KEY] = {"error": "denied", "nonce": "3"}
    app.run()
    assert any("did not give a location" in text for text in texts(app.warning))


def test_the_active_banner_gives_local_times(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    """The national banner under the answer: each incident in its places' zone."""
    app = open_page(monkeypatch, place_dir)
    banner = " ".join(texts(app.error)).replace("\\", "")
    assert "active now" in banner
    assert "(since 2024-06-18 13:15 EDT)" in banner  # Massachusetts
    assert "(since 2024-06-18 12:15 CDT)" in banner  # Nebraska, statewide
    assert "call **617-555-0100** (per Massachusetts Emergency Management Agency, " in banner
    assert "2024-06-18 13:30 EDT)" in banner
    assert "UTC)" not in banner


def test_the_title_box_and_answer_come_first(
    monkeypatch: pytest.MonkeyPatch, place_dir: Path
) -> None:
    """On a phone the page is one column: what comes first in the page is what shows
    above the fold. The title, the box, the location button and the answer lead; the
    record banner, the national banner and the map controls follow."""
    app = open_page(monkeypatch, place_dir, params={"place": "25025"})
    order = [node.type for node in app.main if getattr(node, "type", None)]
    first = [kind for kind in order if kind in ("title", "text_input", "warning", "info")]
    assert first[:2] == ["title", "text_input"], order
    answer_at = next(
        i
        for i, node in enumerate(app.main)
        if "911 is disrupted" in str(getattr(node, "value", ""))
    )
    banner_at = next(
        i for i, node in enumerate(app.main) if "real incident" in str(getattr(node, "value", ""))
    )
    map_at = next(i for i, node in enumerate(app.main) if getattr(node, "key", "") == "level")
    assert answer_at < banner_at < map_at
