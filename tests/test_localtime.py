"""warehouse.localtime: county and state zones, local text with abbreviations."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from warehouse import localtime
from warehouse.localtime import incident_zone, local_text, zone_for, zone_text

SUMMER = datetime(2024, 6, 18, 17, 15)  # naive = UTC, as the warehouse stores it
WINTER = datetime(2024, 1, 18, 17, 15, tzinfo=UTC)

# Counties on the far side of a state's zone line, and one on the near side: what the
# derived table (timezonefinder on the county shapes) must give.
KNOWN_COUNTIES = [
    ("48141", "America/Denver"),  # El Paso TX
    ("48229", "America/Denver"),  # Hudspeth TX
    ("48201", "America/Chicago"),  # Harris TX
    ("46103", "America/Denver"),  # Pennington SD (Rapid City)
    ("46099", "America/Chicago"),  # Minnehaha SD (Sioux Falls)
    ("31157", "America/Denver"),  # Scotts Bluff NE
    ("31055", "America/Chicago"),  # Douglas NE (Omaha)
    ("20181", "America/Denver"),  # Sherman KS
    ("20173", "America/Chicago"),  # Sedgwick KS (Wichita)
    ("38089", "America/Denver"),  # Stark ND (Dickinson)
    ("38017", "America/Chicago"),  # Cass ND (Fargo)
    ("16055", "America/Los_Angeles"),  # Kootenai ID (panhandle)
    ("16001", "America/Boise"),  # Ada ID (Boise)
    ("41045", "America/Boise"),  # Malheur OR
    ("41051", "America/Los_Angeles"),  # Multnomah OR
    ("12033", "America/Chicago"),  # Escambia FL (Pensacola)
    ("12086", "America/New_York"),  # Miami-Dade FL
    ("21227", "America/Chicago"),  # Warren KY (Bowling Green)
    ("21111", "America/Kentucky/Louisville"),  # Jefferson KY
    ("47037", "America/Chicago"),  # Davidson TN (Nashville)
    ("47093", "America/New_York"),  # Knox TN (Knoxville)
    ("18089", "America/Chicago"),  # Lake IN (Gary, NW Indiana)
    ("18163", "America/Chicago"),  # Vanderburgh IN (Evansville, SW Indiana)
    ("18097", "America/Indiana/Indianapolis"),  # Marion IN
    ("26053", "America/Menominee"),  # Gogebic MI (Upper Peninsula, Central)
    ("26103", "America/Detroit"),  # Marquette MI (Upper Peninsula, Eastern)
    ("04013", "America/Phoenix"),  # Maricopa AZ
    ("04001", "America/Phoenix"),  # Apache AZ (Navajo Nation left to tribal land)
    ("04017", "America/Phoenix"),  # Navajo AZ
    ("49037", "America/Denver"),  # San Juan UT
    ("15003", "Pacific/Honolulu"),
    ("02020", "America/Anchorage"),
    ("72127", "America/Puerto_Rico"),
    ("66010", "Pacific/Guam"),
]


@pytest.mark.parametrize(("fips", "zone"), KNOWN_COUNTIES)
def test_known_split_state_counties(fips: str, zone: str) -> None:
    assert zone_for(fips).key == zone


def test_every_reference_county_has_a_valid_zone() -> None:
    with (localtime.REFERENCE_DIR / "counties.csv").open(newline="") as f:
        counties = [row["county_fips"] for row in csv.DictReader(f)]
    with (localtime.REFERENCE_DIR / "county_zones.csv").open(newline="") as f:
        zones = {row["county_fips"]: row["time_zone"] for row in csv.DictReader(f)}
    assert set(counties) <= set(zones)
    for key in set(zones.values()):
        assert ZoneInfo(key).key == key
        assert not key.startswith("Etc/")
    # codes without a shape of their own still have a zone
    assert zones["09110"] == "America/New_York"  # CT Capitol Planning Region
    assert zones["02063"] == "America/Anchorage"  # Chugach
    assert zones["60040"] == "Pacific/Pago_Pago"  # Swains Island


@pytest.mark.parametrize(
    ("state", "zone"),
    [
        ("TX", "America/Chicago"),
        ("FL", "America/New_York"),
        ("ID", "America/Boise"),
        ("OR", "America/Los_Angeles"),
        ("KY", "America/New_York"),
        ("TN", "America/Chicago"),
        ("IN", "America/Indiana/Indianapolis"),
        ("MI", "America/Detroit"),
        ("ND", "America/Chicago"),
        ("AZ", "America/Phoenix"),
        ("AK", "America/Anchorage"),
        ("MA", "America/New_York"),
        ("GU", "Pacific/Guam"),
    ],
)
def test_state_zone_is_its_most_populous(state: str, zone: str) -> None:
    assert zone_for(state_code=state).key == zone


def test_zone_for_fallbacks() -> None:
    assert zone_for("6037").key == "America/Los_Angeles"  # unpadded
    assert zone_for("46113").key == "America/Denver"  # retired Shannon County SD
    assert zone_for("48999").key == "America/Chicago"  # unknown county: its state's zone
    assert zone_for("48999", state_code="AZ").key == "America/Phoenix"
    assert zone_for(state_code="Texas").key == "America/Chicago"
    assert zone_for().key == "UTC"
    assert zone_for("", state_code="ZZ").key == "UTC"


def test_local_text_formats() -> None:
    assert local_text(SUMMER, state_code="MA") == "2024-06-18 13:15 EDT"
    assert local_text(SUMMER, state_code="MA", date=False) == "13:15 EDT"
    assert local_text(WINTER, state_code="MA") == "2024-01-18 12:15 EST"
    assert local_text(SUMMER, county_fips="48141") == "2024-06-18 11:15 MDT"
    assert local_text(SUMMER, county_fips="17031") == "2024-06-18 12:15 CDT"
    assert local_text(SUMMER, state_code="AZ") == "2024-06-18 10:15 MST"  # no DST
    assert local_text(SUMMER, state_code="CA") == "2024-06-18 10:15 PDT"
    assert local_text(SUMMER, state_code="AK") == "2024-06-18 09:15 AKDT"
    assert local_text(SUMMER, state_code="HI") == "2024-06-18 07:15 HST"
    assert local_text(SUMMER, state_code="GU") == "2024-06-19 03:15 ChST"  # next day
    # a pandas Timestamp, an aware datetime in another zone, an ISO string
    assert local_text(pd.Timestamp("2024-06-18 17:15"), state_code="MA") == ("2024-06-18 13:15 EDT")
    aware = datetime(2024, 6, 18, 19, 15, tzinfo=timezone(timedelta(hours=2)))
    assert local_text(aware, state_code="MA") == "2024-06-18 13:15 EDT"
    assert local_text("2024-06-18T17:15:00Z", state_code="MA") == "2024-06-18 13:15 EDT"
    assert local_text(pd.Timestamp("2024-06-18 17:15", tz="UTC"), state_code="TX", date=False) == (
        "12:15 CDT"
    )
    for empty in (None, pd.NaT, ""):
        assert local_text(empty, state_code="MA") == ""


def test_numeric_abbreviation_falls_back_to_offset() -> None:
    # zoneinfo names Sao Paulo's time "-03": not an abbreviation a reader knows
    assert zone_text(SUMMER, ZoneInfo("America/Sao_Paulo")) == "2024-06-18 14:15 UTC-03:00"
    assert zone_text(SUMMER, ZoneInfo("Asia/Kathmandu"), date=False) == "23:00 UTC+05:45"
    assert zone_text(SUMMER, None) == "2024-06-18 17:15 UTC"


def test_incident_zone() -> None:
    assert incident_zone(["MA"], ["25025"]).key == "America/New_York"
    assert incident_zone("MA", None).key == "America/New_York"
    # Michigan's and Ohio's zones read the same: one zone
    assert incident_zone(["MI", "OH"], []).key == "America/Detroit"
    # Texas's two zones: none
    assert incident_zone(["TX"], ["48141", "48201"]) is None
    # a state with a listed county is that county; another state counts on its own
    assert incident_zone(["TX"], ["48141"]).key == "America/Denver"
    assert incident_zone(["TX", "NM"], ["48141"]).key == "America/Denver"
    assert incident_zone(["TX", "OK"], ["48141"]) is None
    # Arizona (no DST) and Utah (DST) agree in winter only: not one zone
    assert incident_zone(["AZ", "UT"], []) is None
    assert incident_zone([], []) is None
    assert incident_zone(None, None) is None
    # list columns arrive as numpy arrays
    assert incident_zone(pd.Series([["MA", "NH"]]).iloc[0], None).key == "America/New_York"
