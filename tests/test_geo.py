"""Reference geography (warehouse/reference) and geocoding (warehouse/geography.py); offline."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
import shapely

from warehouse.geography import (
    Place,
    counties_in_state,
    county_name,
    county_population,
    expand_ugc_line,
    normalize_county_fips,
    normalize_state_code,
    place_from_same,
    places_from_ugc,
    state_code_from_fips,
    state_code_from_name,
    state_name,
    state_population,
)
from warehouse.reference import (
    REFERENCE_DIR,
    counties_geodataframe,
    load_reference_tables,
    states_geodataframe,
)

CT_REGIONS = [f"091{n}0" for n in range(1, 10)]


def read_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- SAME --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("046103", Place("SD", "46103")),  # Pennington County
        ("046000", Place("SD", None)),  # whole state
        ("025000", Place("MA", None)),
        ("048201", Place("TX", "48201")),  # Harris County
        ("031055", Place("NE", "31055")),  # Douglas County
        ("032003", Place("NV", "32003")),  # Clark County
        ("146103", Place("SD", "46103")),  # subdivision digit ignored
        ("009110", Place("CT", "09110")),  # Capitol Planning Region (2022 code)
        ("009001", Place("CT", "09001")),  # legacy Fairfield County
        ("002063", Place("AK", "02063")),  # Chugach (2019 code)
        ("046113", Place("SD", "46102")),  # Shannon -> Oglala Lakota
        ("051515", Place("VA", "51019")),  # Bedford city -> Bedford County
        ("072127", Place("PR", "72127")),  # San Juan
        ("011001", Place("DC", "11001")),
    ],
)
def test_place_from_same(code: str, expected: Place) -> None:
    assert place_from_same(code) == expected


@pytest.mark.parametrize(
    "code", ["099999", "046999", "057000", "0461O3", "", "0461033", "abcdef", "-46103"]
)
def test_place_from_same_unknown(code: str) -> None:
    assert place_from_same(code) is None


# --- UGC ---------------------------------------------------------------------------


def test_places_from_ugc_county() -> None:
    assert places_from_ugc("SDC103") == [Place("SD", "46103")]
    assert places_from_ugc("ctc001") == [Place("CT", "09001")]
    assert places_from_ugc("AKC270") == [Place("AK", "02158")]  # retired code


def test_places_from_ugc_zone_maps_to_counties() -> None:
    assert places_from_ugc("NEZ052") == [Place("NE", "31055")]  # Douglas (Omaha)
    assert places_from_ugc("DCZ001") == [Place("DC", "11001")]
    fairfax = places_from_ugc("VAZ053")
    assert Place("VA", "51059") in fairfax
    assert all(p.state_code == "VA" and p.county_fips for p in fairfax)


def test_places_from_ugc_statewide_and_unknown() -> None:
    assert places_from_ugc("SDZ000") == [Place("SD", None)]
    assert places_from_ugc("SDC000") == [Place("SD", None)]
    assert places_from_ugc("NEZALL") == [Place("NE", None)]
    assert places_from_ugc("XXC001") == []
    assert places_from_ugc("SDC999") == []
    assert places_from_ugc("SDZ999") == []
    assert places_from_ugc("ANZ530") == []  # marine zone
    assert places_from_ugc("GUZ011") == []  # old zone outside the US (Micronesia)
    assert places_from_ugc("SD103") == []
    assert places_from_ugc("") == []


def test_every_zone_county_is_a_known_county() -> None:
    counties = {r["county_fips"] for r in read_rows("counties.csv")}
    zones = read_rows("ugc_zones.csv")
    assert len({r["ugc"] for r in zones}) > 4000
    assert {r["county_fips"] for r in zones if r["county_fips"]} <= counties


def test_expand_ugc_line_ranges_and_expiry() -> None:
    codes, expiry = expand_ugc_line("SDC003-005>009-011-251530-")
    assert codes == ["SDC003", "SDC005", "SDC006", "SDC007", "SDC008", "SDC009", "SDC011"]
    assert expiry == "251530"


def test_expand_ugc_line_multiple_states_and_continuation() -> None:
    line = "NEC001-003-SDC005-\nSDZ001>\n003-MNZ080-\n  251530-\n"
    codes, expiry = expand_ugc_line(line)
    assert codes == ["NEC001", "NEC003", "SDC005", "SDZ001", "SDZ002", "SDZ003", "MNZ080"]
    assert expiry == "251530"


def test_expand_ugc_line_without_expiry_and_junk() -> None:
    assert expand_ugc_line("SDC003>005-") == (["SDC003", "SDC004", "SDC005"], None)
    assert expand_ugc_line("005-007-") == ([], None)  # no prefix yet
    assert expand_ugc_line("") == ([], None)
    assert expand_ugc_line("SDC003-003-") == (["SDC003"], None)


# --- states and counties -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["South Dakota", "south dakota", "S.D.", "SD", "sd", " SOUTH DAKOTA ", "46", "046"]
)
def test_normalize_state_code_south_dakota(value: str) -> None:
    assert normalize_state_code(value) == ("SD" if value != "046" else None)


def test_state_lookups() -> None:
    assert state_code_from_fips("46") == "SD"
    assert state_code_from_fips("6") == "CA"
    assert state_code_from_fips(6) == "CA"
    assert state_code_from_fips("99") is None
    assert state_code_from_fips("x") is None
    assert state_code_from_name("Neb.") == "NE"
    assert state_code_from_name("District of Columbia") == "DC"
    assert state_code_from_name("Washington, D.C.") == "DC"
    assert state_code_from_name("Washington") == "WA"
    assert state_code_from_name("Puerto Rico") == "PR"
    assert state_code_from_name("Narnia") is None
    assert state_code_from_name("") is None
    assert normalize_state_code("XX") is None
    assert state_name("SD") == "South Dakota"
    assert state_name("ZZ") is None


def test_normalize_county_fips() -> None:
    assert normalize_county_fips("46103") == "46103"
    assert normalize_county_fips(6037) == "06037"
    assert normalize_county_fips("6037") == "06037"
    assert normalize_county_fips("09190") == "09190"
    assert normalize_county_fips("46113") == "46102"
    assert normalize_county_fips("02201") == "02201"  # retired, split: kept
    assert normalize_county_fips("99999") is None
    assert normalize_county_fips("123456") is None
    assert normalize_county_fips("4610a") is None


def test_names_and_populations() -> None:
    assert county_name("46103") == "Pennington County"
    assert county_name("24510") == "Baltimore city"
    assert county_name("24005") == "Baltimore County"
    assert county_name("09110") == "Capitol Planning Region"
    assert county_name("02066") == "Copper River Census Area"
    assert county_name("00000") is None
    assert county_population("48201") > 4_000_000
    assert county_population("09110") is None  # not in the Census table used
    assert state_population("SD") > 800_000
    assert state_population("CA") > 39_000_000
    assert state_population("ZZ") is None


def test_counties_in_state() -> None:
    ct = counties_in_state("CT")
    assert len(ct) == 17 and set(CT_REGIONS) <= set(ct)
    assert counties_in_state("DC") == ["11001"]
    assert len(counties_in_state("Texas")) == 254
    assert counties_in_state("ZZ") == []


# --- committed reference files -----------------------------------------------------


def test_reference_csv_counts_and_consistency() -> None:
    states = read_rows("states.csv")
    counties = read_rows("counties.csv")
    assert len(states) >= 51 and len(counties) >= 3140
    state_fips = {s["state_fips"]: s["state_code"] for s in states}
    assert {"AS", "GU", "MP", "PR", "VI", "DC"} <= set(state_fips.values())
    assert len({c["county_fips"] for c in counties}) == len(counties)
    for c in counties:
        assert len(c["county_fips"]) == 5 and c["county_fips"].isdigit()
        assert c["county_fips"][:2] == c["state_fips"]
        assert state_fips[c["state_fips"]] == c["state_code"]
        assert c["county_name"]
    fifty_one = [s for s in states if s["state_code"] not in {"AS", "GU", "MP", "PR", "VI"}]
    assert len(fifty_one) == 51
    assert all(int(s["population"]) > 0 for s in fifty_one)
    new_codes = {c["county_fips"] for c in counties if c["in_shapes"] == "False"}
    assert set(CT_REGIONS) | {"02063", "02066"} <= new_codes


def test_aliases_point_at_shapes() -> None:
    shapes = {r["county_fips"] for r in read_rows("counties.csv") if r["in_shapes"] == "True"}
    aliases = read_rows("county_aliases.csv")
    assert {a["shape_fips"] for a in aliases} <= shapes
    by_code: dict[str, set[str]] = {}
    for a in aliases:
        by_code.setdefault(a["county_fips"], set()).add(a["shape_fips"])
    assert by_code["09120"] == {"09001"}
    assert by_code["09140"] == {"09001", "09003", "09005", "09009"}
    assert set(CT_REGIONS) <= set(by_code)
    assert by_code["02063"] == by_code["02066"] == {"02261"}
    assert by_code["02270"] == {"02158"} and by_code["46113"] == {"46102"}
    assert by_code["51515"] == {"51019"}


@pytest.mark.parametrize(
    ("name", "count", "max_bytes"),
    [("counties.geojson", 3230, 2_000_000), ("states.geojson", 56, 400_000)],
)
def test_geojson_valid_and_compact(name: str, count: int, max_bytes: int) -> None:
    path = REFERENCE_DIR / name
    assert path.stat().st_size < max_bytes
    data = json.loads(path.read_text())
    features = data["features"]
    assert data["type"] == "FeatureCollection" and len(features) == count
    assert all(set(f["properties"]) == {"fips"} for f in features)
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    assert shapely.is_valid(geoms).all()
    assert not shapely.is_empty(geoms).any()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}  # Polygon, MultiPolygon
    coords = shapely.get_coordinates(geoms)
    assert (abs(coords[:, 0]) <= 180).all() and (abs(coords[:, 1]) <= 90).all()
    assert (abs(coords * 1e4 - (coords * 1e4).round()) < 1e-6).all()  # 4 decimals


# --- warehouse loading -------------------------------------------------------------


def test_load_reference_tables_counts_and_idempotent() -> None:
    con = duckdb.connect()
    load_reference_tables(con)
    load_reference_tables(con)  # again: replaces, does not duplicate
    n_states = len(read_rows("states.csv"))
    n_counties = len(read_rows("counties.csv"))
    assert con.execute("SELECT count(*), count(geometry) FROM states").fetchone() == (n_states,) * 2
    total, with_geometry = con.execute("SELECT count(*), count(geometry) FROM counties").fetchone()
    assert (total, with_geometry) == (n_counties, 3230)
    assert con.execute("SELECT count(*) FROM county_aliases").fetchone()[0] >= 15
    row = con.execute(
        "SELECT county_name, state_code, population, geometry FROM counties"
        " WHERE county_fips = '46103'"
    ).fetchone()
    assert row[:2] == ("Pennington County", "SD") and row[2] > 100_000
    assert json.loads(row[3])["type"] in {"Polygon", "MultiPolygon"}
    assert con.execute(
        "SELECT geometry IS NULL FROM counties WHERE county_fips = '09110'"
    ).fetchone() == (True,)
    # planning-region alerts still reach a shape through the aliases
    shapes = con.execute(
        "SELECT count(*) FROM county_aliases a JOIN counties c ON c.county_fips = a.shape_fips"
        " WHERE a.county_fips LIKE '091_0' AND c.geometry IS NOT NULL"
    ).fetchone()[0]
    assert shapes >= 9
    con.execute("INSERT INTO states VALUES ('99', 'ZZ', 'Nowhere', 1, NULL)")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO states VALUES ('46', 'SD', 'Dup', 1, NULL)")


def test_geodataframes() -> None:
    counties = counties_geodataframe()
    assert list(counties.columns) == ["fips", "name", "state_code", "population", "geometry"]
    assert len(counties) == 3230 and counties.crs.to_epsg() == 4326
    assert counties_geodataframe() is counties  # cached
    states = states_geodataframe()
    assert len(states) == 56
    assert states.set_index("fips").loc["46", "name"] == "South Dakota"
