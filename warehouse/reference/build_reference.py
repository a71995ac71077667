"""Rebuild the committed reference geography in ``warehouse/reference/``.

Run by hand, rarely (the outputs are committed; nothing downloads at run time)::

    cd /work/main && uv run --with pip python warehouse/reference/build_reference.py

It fetches three pinned packages from their registries into a cache directory
(``--cache``, default a temporary directory) and writes:

- ``states.csv``, ``counties.csv``: FIPS, USPS code, names, population
- ``counties.geojson``, ``states.geojson``: simplified shapes, ``{"fips": ...}`` only
- ``county_aliases.csv``: codes alerts may use -> the 2017 shape(s) that cover them
- ``ugc_zones.csv``: NWS public forecast zone (UGC ``SSZnnn``) -> counties
- ``county_zones.csv``: county -> IANA time zone (``--time-zones-only`` redoes just this
  one from the committed ``counties.*`` and ``county_aliases.csv``)

Sources (see PROVENANCE.md): npm ``us-atlas@3.0.1`` (Census 2017 shapes), PyPI
``delphi-utils==0.3.24`` (Census county/state population), PyPI ``pyiem==1.28.1``
(NWS zone and county UGC polygons), PyPI ``us`` (state and county names), and PyPI
``timezonefinder`` (time zone polygons from timezone-boundary-builder, bundled), which
must be on the path:
``uv run --with pip --with timezonefinder==8.3.0 --with timezonefinder-data==1.2026.3 ...``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import us

OUT_DIR = Path(__file__).resolve().parent

US_ATLAS = "us-atlas@3.0.1"
DELPHI = "delphi-utils==0.3.24"
PYIEM = "pyiem==1.28.1"
DELPHI_DATA = "delphi_utils/data/2020"
PYIEM_GEODF = "src/pyiem/data/geodf"

# Coverage simplification tolerance in degrees (~3 km); us-atlas 10m is already
# simplified, this takes the county layer from ~1.6 MB to ~1.3 MB.
SIMPLIFY_TOLERANCE = 0.03
GRID = 1e-4  # 4 decimals

# Connecticut's nine planning regions, county equivalents for Census since 2022.
# Overlapping legacy counties derived from the town -> planning region crosswalk
# (CT Data Collaborative, ct-town-to-planning-region.csv; town boundaries did not
# change, so each region covers whole towns of the listed counties).
CT_PLANNING_REGIONS: dict[str, tuple[str, list[str]]] = {
    "09110": ("Capitol Planning Region", ["09003", "09013"]),
    "09120": ("Greater Bridgeport Planning Region", ["09001"]),
    "09130": ("Lower Connecticut River Valley Planning Region", ["09007", "09011"]),
    "09140": ("Naugatuck Valley Planning Region", ["09001", "09003", "09005", "09009"]),
    "09150": ("Northeastern Connecticut Planning Region", ["09011", "09013", "09015"]),
    "09160": ("Northwest Hills Planning Region", ["09003", "09005"]),
    "09170": ("South Central Connecticut Planning Region", ["09009"]),
    "09180": ("Southeastern Connecticut Planning Region", ["09011", "09015"]),
    "09190": ("Western Connecticut Planning Region", ["09001", "09005"]),
}

# Codes not (or not usefully) in the 2017 shapes -> shapes that cover them.
# A code that is not a row of counties.csv and has exactly one shape here is a
# retired code with a single successor: warehouse/geography.py normalizes it to that.
OTHER_ALIASES: list[tuple[str, list[str], str]] = [
    ("02063", ["02261"], "Chugach Census Area, split from Valdez-Cordova (02261) in 2019"),
    ("02066", ["02261"], "Copper River Census Area, split from Valdez-Cordova (02261) in 2019"),
    ("02270", ["02158"], "Wade Hampton Census Area, renamed Kusilvak (02158) in 2015"),
    ("46113", ["46102"], "Shannon County SD, renamed Oglala Lakota (46102) in 2015"),
    ("51515", ["51019"], "Bedford city VA, merged into Bedford County (51019) in 2013"),
    ("51610", ["51059"], "Falls Church city VA: shape empty at 1:10M, drawn as Fairfax"),
    ("02201", ["02198", "02130"], "Prince of Wales-Outer Ketchikan, split in 2008"),
    ("02232", ["02230", "02105"], "Skagway-Hoonah-Angoon, split in 2007"),
    ("02280", ["02275", "02195"], "Wrangell-Petersburg, split in 2008"),
    ("12025", ["12086"], "Dade County FL, renamed Miami-Dade (12086) in 1997"),
    ("30113", ["30031", "30067"], "Yellowstone National Park MT, merged in 1997"),
    ("51560", ["51005"], "Clifton Forge city VA, merged into Alleghany (51005) in 2001"),
    ("51780", ["51083"], "South Boston city VA, merged into Halifax (51083) in 1995"),
]

# Zone -> county: keep a county when it holds at least this share of the zone's
# area, or the zone covers at least this share of the county (drops edge slivers
# from the two sources' slightly different boundaries).
ZONE_SHARE_MIN = 0.02
COUNTY_SHARE_MIN = 0.10


def _states() -> list[us.states.State]:
    """50 states, DC and the five inhabited territories (``us`` may already list DC)."""
    found = {s.fips: s for s in [*us.states.STATES_AND_TERRITORIES, us.states.DC]}
    return [found[k] for k in sorted(found)]


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True)


def fetch(cache: Path) -> dict[str, Path]:
    """Fetch the pinned packages into ``cache`` (skipped when already there)."""
    cache.mkdir(parents=True, exist_ok=True)
    if not list(cache.glob("us-atlas-*.tgz")):
        _run(["npm", "pack", US_ATLAS], cache)
    if not list(cache.glob("delphi_utils-*.whl")):
        _run([sys.executable, "-m", "pip", "download", "--no-deps", DELPHI, "-d", "."], cache)
    if not list(cache.glob("pyiem-*.tar.gz")) and not list(cache.glob("pyiem-*.whl")):
        _run([sys.executable, "-m", "pip", "download", "--no-deps", PYIEM, "-d", "."], cache)
    atlas = next(cache.glob("us-atlas-*.tgz"))
    with tarfile.open(atlas) as tar:
        tar.extract("package/counties-10m.json", cache, filter="data")
    pyiem = next(iter([*cache.glob("pyiem-*.tar.gz"), *cache.glob("pyiem-*.whl")]))
    geodf = cache / "pyiem_geodf"
    geodf.mkdir(exist_ok=True)
    wanted = ("ugcs_zone.parquet", "ugcs_zone_discontinued.parquet", "ugcs_county.parquet")
    if pyiem.suffix == ".whl":
        with zipfile.ZipFile(pyiem) as zf:
            for name in zf.namelist():
                if name.rsplit("/", 1)[-1] in wanted and "/geodf/" in name:
                    (geodf / name.rsplit("/", 1)[-1]).write_bytes(zf.read(name))
    else:
        with tarfile.open(pyiem) as tar:
            for member in tar.getmembers():
                if member.name.rsplit("/", 1)[-1] in wanted and "/geodf/" in member.name:
                    data = tar.extractfile(member)
                    assert data is not None
                    (geodf / member.name.rsplit("/", 1)[-1]).write_bytes(data.read())
    return {
        "atlas": cache / "package" / "counties-10m.json",
        "delphi": next(cache.glob("delphi_utils-*.whl")),
        "geodf": geodf,
    }


def _read_delphi(wheel: Path, name: str) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as zf:
        return pd.read_csv(io.BytesIO(zf.read(f"{DELPHI_DATA}/{name}")), dtype=str)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """make_valid, keeping only the (multi)polygon parts."""
    out = []
    for g in shapely.make_valid(geoms):
        if g is not None and g.geom_type == "GeometryCollection":
            g = shapely.union_all([p for p in g.geoms if p.geom_type.endswith("Polygon")])
        out.append(g)
    return np.array(out, dtype=object)


def _simplify(geoms: np.ndarray) -> np.ndarray:
    """Simplify a polygon coverage keeping shared borders, then snap to 4 decimals."""
    simple = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE)
    simple = shapely.set_precision(simple, GRID)
    simple = _polygonal(simple)
    assert shapely.is_valid(simple).all() and not shapely.is_empty(simple).any()
    return simple


def _round_coords(obj):
    if isinstance(obj, list):
        return [_round_coords(x) for x in obj]
    if isinstance(obj, float):
        return round(obj, 4)
    return obj


def write_geojson(path: Path, fips: list[str], geoms: np.ndarray) -> None:
    features = []
    for f, g in zip(fips, geoms, strict=True):
        geom = json.loads(shapely.to_geojson(g))
        geom["coordinates"] = _round_coords(geom["coordinates"])
        features.append({"type": "Feature", "properties": {"fips": f}, "geometry": geom})
    fc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(fc, separators=(",", ":")) + "\n")


def build_counties(paths: dict[str, Path]) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    atlas = gpd.read_file(paths["atlas"], layer="counties").set_crs(4326, allow_override=True)
    atlas["geometry"] = _polygonal(atlas.geometry.values)
    atlas["in_shapes"] = ~atlas.geometry.is_empty

    us_names = {c.fips: c.name for s in _states() for c in s.counties}
    fips_to_usps = {s.fips: s.abbr for s in _states()}

    rows: dict[str, dict] = {}
    for rec in atlas.itertuples():
        rows[rec.id] = {
            "county_fips": rec.id,
            "name": us_names.get(rec.id),
            "in_shapes": rec.in_shapes,
        }
    rows["02261"]["name"] = rows["02261"]["name"] or "Valdez-Cordova Census Area"
    for fips, name in us_names.items():  # post-2017 codes and islands without shapes
        rows.setdefault(fips, {"county_fips": fips, "name": name, "in_shapes": False})
    for fips, (name, _) in CT_PLANNING_REGIONS.items():
        rows[fips] = {"county_fips": fips, "name": name, "in_shapes": False}
    for fips, rec in rows.items():
        if rec["name"] is None:  # should not happen; fall back to the us-atlas name
            rec["name"] = atlas.loc[atlas.id == fips, "name"].iloc[0]

    pop = _read_delphi(paths["delphi"], "fips_pop.csv").set_index("fips")["pop"].astype(int)
    pop = pop.to_dict()
    pop["02261"] = pop["02063"] + pop["02066"]  # the 2020 table already has the split

    counties = pd.DataFrame(rows.values())
    counties["state_fips"] = counties.county_fips.str[:2]
    counties = counties[counties.state_fips.isin(fips_to_usps)]
    counties["state_code"] = counties.state_fips.map(fips_to_usps)
    counties["population"] = counties.county_fips.map(pop).astype("Int64")
    counties = counties.rename(columns={"name": "county_name"}).sort_values("county_fips")
    counties = counties[
        ["county_fips", "state_fips", "state_code", "county_name", "population", "in_shapes"]
    ].reset_index(drop=True)
    shapes = atlas[atlas.in_shapes].sort_values("id")
    return counties, shapes


def build_states(paths: dict[str, Path], counties: pd.DataFrame) -> pd.DataFrame:
    state_pop = _read_delphi(paths["delphi"], "state_pop.csv")
    state_pop = state_pop.set_index("state_code")["pop"].astype(int).to_dict()
    states = pd.DataFrame(
        [
            {"state_fips": s.fips, "state_code": s.abbr, "state_name": s.name}
            for s in sorted(_states(), key=lambda s: s.fips)
        ]
    )
    states["population"] = states.state_fips.map(state_pop).astype("Int64")
    # cross-check against the sum of the counties, each area counted once
    # (legacy CT counties, and Chugach + Copper River rather than Valdez-Cordova)
    legacy = counties[~counties.county_fips.isin([*CT_PLANNING_REGIONS, "02261"])]
    sums = legacy.groupby("state_fips").population.sum()
    for rec in states.itertuples():
        if rec.population != sums.get(rec.state_fips):
            print(
                f"note: {rec.state_code} population {rec.population} != county sum "
                f"{sums.get(rec.state_fips)}",
                file=sys.stderr,
            )
    return states


def build_aliases(counties: pd.DataFrame, shape_ids: set[str]) -> pd.DataFrame:
    rows = []
    for fips, (name, olds) in CT_PLANNING_REGIONS.items():
        for old in olds:
            rows.append((fips, old, f"{name} (Census 2022+), overlaps legacy county {old}"))
    for fips, targets, note in OTHER_ALIASES:
        if fips in shape_ids:
            raise SystemExit(f"{fips} is in the shapes after all; revisit OTHER_ALIASES")
        for target in targets:
            rows.append((fips, target, note))
    aliases = pd.DataFrame(rows, columns=["county_fips", "shape_fips", "note"])
    assert aliases.shape_fips.isin(shape_ids).all(), "alias target without a shape"
    missing = set(counties.county_fips[~counties.in_shapes]) - set(aliases.county_fips)
    if missing:
        print(f"note: counties without shape or alias: {sorted(missing)}", file=sys.stderr)
    return aliases.sort_values(["county_fips", "shape_fips"]).reset_index(drop=True)


def build_zones(paths: dict[str, Path], counties: pd.DataFrame) -> pd.DataFrame:
    """NWS public zones -> counties by polygon overlap (pyiem's zone and county UGC shapes)."""
    usps_to_fips = {s.abbr: s.fips for s in _states()}
    geodf = paths["geodf"]
    zones = pd.concat(
        [
            gpd.read_parquet(geodf / "ugcs_zone.parquet").assign(current=True),
            gpd.read_parquet(geodf / "ugcs_zone_discontinued.parquet").assign(current=False),
        ]
    )
    zones = zones[~zones.index.duplicated(keep="first")]
    zones = zones[zones.index.str[:2].isin(usps_to_fips)].rename_geometry("geometry")
    zones = zones.reset_index(names="ugc")[["ugc", "current", "geometry"]]
    cty = gpd.read_parquet(geodf / "ugcs_county.parquet").rename_geometry("geometry")
    cty = cty[cty.index.str[:2].isin(usps_to_fips)].reset_index(names="cugc")
    cty["county_fips"] = cty.cugc.str[:2].map(usps_to_fips) + cty.cugc.str[3:]
    cty = cty[cty.county_fips.isin(set(counties.county_fips))][["county_fips", "geometry"]]
    cty = cty.dissolve(by="county_fips").reset_index()  # some UGCs have several rows

    eq = "EPSG:6933"  # equal-area, for area shares
    zones = zones.to_crs(eq)
    cty = cty.to_crs(eq)
    zones["geometry"] = _polygonal(zones.geometry.values)
    cty["geometry"] = _polygonal(cty.geometry.values)
    pairs = gpd.sjoin(zones, cty, predicate="intersects")[["ugc", "current", "index_right"]]
    zg = zones.set_index("ugc").geometry
    inter = shapely.intersection(
        zg.loc[pairs.ugc].values, cty.geometry.loc[pairs.index_right].values
    )
    pairs["county_fips"] = cty.county_fips.loc[pairs.index_right].values
    pairs["zone_share"] = shapely.area(inter) / shapely.area(zg.loc[pairs.ugc].values)
    pairs["county_share"] = shapely.area(inter) / shapely.area(
        cty.geometry.loc[pairs.index_right].values
    )
    big = (pairs.zone_share >= ZONE_SHARE_MIN) | (pairs.county_share >= COUNTY_SHARE_MIN)
    same_state = pairs.county_fips.str[:2] == pairs.ugc.str[:2].map(usps_to_fips)
    # a zone keeps its own state's counties; only a zone with none of those (old
    # GUZ zones that covered the Northern Marianas) takes another state's
    has_own = pairs[big & same_state].ugc.unique()
    out = pairs[big & (same_state | ~pairs.ugc.isin(has_own))].copy()
    out["zone_share"] = out.zone_share.round(3)
    # zones outside every county we know (old GUZ zones for Micronesia, Palau):
    # a row with an empty county_fips, so geocoding gives no place, not all of Guam
    unmapped = zones[~zones.ugc.isin(out.ugc)][["ugc", "current"]]
    print(
        f"zones: {zones.ugc.nunique()} land zones, {len(unmapped)} outside every county: "
        f"{list(unmapped.ugc)}",
        file=sys.stderr,
    )
    out = pd.concat([out, unmapped.assign(county_fips="", zone_share=np.nan)])
    out = out[["ugc", "county_fips", "zone_share", "current"]]
    return out.sort_values(["ugc", "county_fips"]).reset_index(drop=True)


# Time zones: a county's zone is the one most of its area is in, read off a grid of
# points inside its shape (a county split by a zone line, such as Idaho County ID or
# Dunn County ND, goes with its larger part; the brief's "county level is fine").
TZ_GRID = 24  # points per side of the county's bounding box
# Arizona does not observe DST, but the Navajo Nation (most of Apache and Navajo
# counties' area) does, so the polygons give those two counties America/Denver. The
# county's towns off tribal land (Show Low, Holbrook, Winslow, Springerville) and the
# state's agencies keep Arizona time: the county level takes the state's zone.
TZ_OVERRIDES: dict[str, tuple[str, str]] = {
    "04001": ("America/Phoenix", "Apache County AZ: Navajo Nation's DST left to tribal land"),
    "04017": ("America/Phoenix", "Navajo County AZ: Navajo Nation's DST left to tribal land"),
}


def build_time_zones(out: Path) -> pd.DataFrame:
    """county_fips -> IANA zone from the committed county shapes, via timezonefinder.

    Codes without a shape take their alias shapes' zone (Connecticut's planning
    regions, Chugach, Copper River), then their state's most common zone (two
    uninhabited American Samoa islands). Retired codes in ``county_aliases.csv`` get
    a row too, so an old alert still finds its zone.
    """
    from timezonefinder import TimezoneFinder

    finder = TimezoneFinder()
    counties = pd.read_csv(out / "counties.csv", dtype=str, keep_default_na=False)
    aliases = pd.read_csv(out / "county_aliases.csv", dtype=str, keep_default_na=False)
    shapes = gpd.read_file(out / "counties.geojson")
    rows: dict[str, tuple[str, float]] = {}
    for fips, geom in zip(shapes.fips, shapes.geometry.values, strict=True):
        x0, y0, x1, y1 = geom.bounds
        xs, ys = np.meshgrid(np.linspace(x0, x1, TZ_GRID), np.linspace(y0, y1, TZ_GRID))
        xs, ys = xs.ravel(), ys.ravel()
        inside = shapely.contains_xy(geom, xs, ys)
        point = shapely.get_coordinates(shapely.point_on_surface(geom))[0]
        pts = [*zip(xs[inside], ys[inside], strict=True), tuple(point)]
        found = [finder.timezone_at(lng=float(x), lat=float(y)) for x, y in pts]
        # open-sea zones (Etc/GMT+5 ...) are sample points off a coastline's 1:10M line
        land = [z for z in found if z and not z.startswith("Etc/")]
        if not land:
            continue
        counts = pd.Series(land).value_counts()
        rows[fips] = (str(counts.index[0]), round(float(counts.iloc[0]) / len(land), 3))
    state_of = dict(zip(counties.county_fips, counties.state_code, strict=True))
    by_state: dict[str, pd.Series] = {}
    for fips, (zone, _) in rows.items():
        by_state.setdefault(state_of.get(fips, ""), []).append(zone)  # type: ignore[arg-type]
    state_zone = {st: pd.Series(z).value_counts().index[0] for st, z in by_state.items()}
    targets = aliases.groupby("county_fips").shape_fips.apply(list).to_dict()
    codes = sorted(set(counties.county_fips) | set(targets))
    out_rows = []
    for fips in codes:
        how = "shape"
        if fips in rows:
            zone, share = rows[fips]
        else:
            found = {rows[t][0] for t in targets.get(fips, []) if t in rows}
            if len(found) == 1:
                zone, share, how = found.pop(), np.nan, "alias shapes"
            else:
                st = state_of.get(fips) or state_of.get(targets.get(fips, [""])[0], "")
                zone, share, how = state_zone[st], np.nan, "state"
        if fips in TZ_OVERRIDES:
            zone, how = TZ_OVERRIDES[fips][0], "override"
        out_rows.append((fips, zone, share, how))
    table = pd.DataFrame(out_rows, columns=["county_fips", "time_zone", "zone_share", "from"])
    split = table[table.zone_share < 0.9]
    print(
        f"time zones: {len(table)} codes, {table.time_zone.nunique()} zones; split "
        f"counties (< 90% in one zone): {list(split.county_fips)}",
        file=sys.stderr,
    )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="where to keep the fetched packages")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--time-zones-only",
        action="store_true",
        help="only rewrite county_zones.csv, from the committed counties.* files",
    )
    args = parser.parse_args(argv)
    if args.time_zones_only:
        build_time_zones(args.out).to_csv(args.out / "county_zones.csv", index=False)
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = fetch(args.cache or Path(tmp))
        counties, shapes = build_counties(paths)
        states = build_states(paths, counties)
        aliases = build_aliases(counties, set(shapes.id))
        zones = build_zones(paths, counties)

        state_shapes = gpd.read_file(paths["atlas"], layer="states").set_crs(4326)
        state_shapes = state_shapes[state_shapes.id.isin(set(states.state_fips))].sort_values("id")
        state_geoms = _simplify(_polygonal(state_shapes.geometry.values))
        county_geoms = _simplify(shapes.geometry.values)

    out: Path = args.out
    counties.to_csv(out / "counties.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    states.to_csv(out / "states.csv", index=False)
    aliases.to_csv(out / "county_aliases.csv", index=False)
    zones.to_csv(out / "ugc_zones.csv", index=False)
    write_geojson(out / "counties.geojson", list(shapes.id), county_geoms)
    write_geojson(out / "states.geojson", list(state_shapes.id), state_geoms)
    build_time_zones(out).to_csv(out / "county_zones.csv", index=False)
    for name in (
        "states.csv",
        "counties.csv",
        "county_aliases.csv",
        "ugc_zones.csv",
        "states.geojson",
        "counties.geojson",
        "county_zones.csv",
    ):
        print(f"{name}: {(out / name).stat().st_size:,} bytes", file=sys.stderr)
    print(
        f"states {len(states)}, counties {len(counties)} ({int(counties.in_shapes.sum())} "
        f"with shapes), aliases {len(aliases)}, zone rows {len(zones)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
