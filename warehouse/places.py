"""Where is the person asking? A typed place or a point, resolved to US counties, offline.

- `resolve(text)`: a county ("Travis County, TX", "Travis, TX"), a city ("Austin, TX") or a
  5-digit ZIP code ("78701") to the counties it can mean. One county is an answer; several
  are choices for the person to pick from (a city that spans counties, "Springfield" with
  no state), never a guess; none comes with a message saying why.
- `county_at(lat, lon)`: the county a point lies in, by point-in-polygon on the committed
  Census shapes (`reference/counties.geojson`, an STRtree built once); None in the ocean or
  outside the US.

The ZIP codes and the cities they belong to come from the PyPI package `zipcodes` (the
USPS/Census ZIP list it bundles: each ZIP's primary city, other accepted city names, state,
county name and a point). Counties are `reference/counties.csv` (with Connecticut's
planning regions and the other current codes the 2017 shapes lack). Nothing is fetched:
everything here reads files installed with the project.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import zipcodes

from warehouse.geography import REFERENCE_DIR, _read_csv, state_code_from_name

__all__ = ["County", "Resolution", "county", "county_at", "resolve", "shapes_of"]

# The ZIP list and the shapes take seconds to load: one thread loads them (the app warms
# them in the background), the others wait for it instead of loading them again.
_LOADING = threading.RLock()


def _loaded_once(build):
    cached = functools.cache(build)

    @functools.wraps(build)
    def get():
        with _LOADING:
            return cached()

    return get


MAX_CHOICES = 12  # "Springfield" alone: the most populous first, the rest named by count

# Words a county's name carries that a person may leave out ("Travis" for Travis County,
# "Orleans" for Orleans Parish, "Falls Church" for Falls Church city).
_NAME_SUFFIXES = re.compile(
    r"\s+(county|parish|borough|census area|city and borough|municipality|"
    r"planning region|city)$"
)
_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")


@dataclass(frozen=True)
class County:
    """One county (or county equivalent) of `reference/counties.csv`."""

    fips: str
    name: str  # "Travis County"
    state_code: str  # "TX"
    population: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state_code}"


@dataclass(frozen=True)
class Resolution:
    """What a typed place means: `choices` (one = resolved) and, when there is none or
    several, a message for the person."""

    query: str
    choices: list[County] = field(default_factory=list)
    message: str = ""

    @property
    def county(self) -> County | None:
        return self.choices[0] if len(self.choices) == 1 else None


def _squash(text: str) -> str:
    """A name as compared: lower case, "Saint" and "St." alike, no punctuation."""
    text = text.lower().strip()
    text = re.sub(r"\bsaint\b|\bste?\b\.?", lambda m: "st", text)
    text = re.sub(r"[.,'’`-]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _bare(name: str) -> str:
    return _NAME_SUFFIXES.sub("", _squash(name))


@functools.cache
def _counties() -> dict[str, County]:
    return {
        row["county_fips"]: County(
            row["county_fips"],
            row["county_name"],
            row["state_code"],
            int(row["population"]) if row["population"] else None,
        )
        for row in _read_csv("counties.csv")
    }


@functools.cache
def _by_name() -> dict[tuple[str, str], list[str]]:
    """(state, squashed name) -> FIPS; each county under its full and its bare name."""
    table: dict[tuple[str, str], list[str]] = defaultdict(list)
    for fips, row in sorted(_counties().items()):
        for name in {_squash(row.name), _bare(row.name)}:
            table[(row.state_code, name)].append(fips)
    return dict(table)


@functools.cache
def _aliases() -> dict[str, list[str]]:
    """County code -> the 2017 shapes it is drawn on (CT planning regions, split areas)."""
    shapes: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv("county_aliases.csv"):
        shapes[row["county_fips"]].append(row["shape_fips"])
    return dict(shapes)


def shapes_of(fips: str) -> list[str]:
    """The 2017 shapes a county code is drawn on: itself, or its alias shapes."""
    return _aliases().get(fips) or [fips]


def county(fips: str | None) -> County | None:
    """The county of a 5-digit FIPS code (None when unknown)."""
    return _counties().get(str(fips or "").strip())


def _county_of_zip_row(row: dict) -> str | None:
    """The FIPS of a ZIP's county: its name in its state, else the shape under its point
    (a name the package spells otherwise, e.g. a renamed borough)."""
    state, name = row.get("state") or "", row.get("county") or ""
    found = _by_name().get((state, _squash(name))) or _by_name().get((state, _bare(name)))
    if found and len(found) == 1:
        return found[0]
    try:
        at = county_at(float(row["lat"]), float(row["long"]))
    except (KeyError, TypeError, ValueError):
        return None
    return at.fips if at is not None and at.state_code == state else None


@_loaded_once
def _zip_rows() -> dict[str, dict]:
    return {row["zip_code"]: row for row in zipcodes.list_all()}


@_loaded_once
def _cities() -> dict[tuple[str, str], Counter]:
    """(state, squashed city) -> Counter of county FIPS (how many ZIP codes of the city
    lie in each: the weight the choices are ordered by). Military ZIPs (APO/FPO) have no
    county and are left out."""
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    names_of_county: dict[tuple[str, str], str | None] = {}
    for row in _zip_rows().values():
        if row.get("zip_code_type") == "MILITARY" or not row.get("county"):
            continue
        key = (row["state"], row["county"])
        if key not in names_of_county:
            names_of_county[key] = _county_of_zip_row(row)
        fips = names_of_county[key]
        if fips is None:
            continue
        for city in {row["city"], *(row.get("acceptable_cities") or [])}:
            if city:
                table[(row["state"], _squash(city))][fips] += 1
    return dict(table)


def _split_state(text: str) -> tuple[str, str | None]:
    """("Travis County", "TX") from "Travis County, TX", "Travis County TX" or
    "Travis County, Texas"; (text, None) when no state is named at the end."""
    if "," in text:
        head, tail = text.rsplit(",", 1)
        state = state_code_from_name(tail.strip())
        if state:
            return head.strip(), state
    words = text.split()
    for take in (2, 1):  # "New York", then "NY" / "Texas"
        if len(words) > take:
            state = state_code_from_name(" ".join(words[-take:]))
            if state:
                return " ".join(words[:-take]), state
    return text.strip(), None


def resolve(text: str) -> Resolution:
    """The counties a typed place can mean (see the module docstring)."""
    query = (text or "").strip()
    if not query:
        return Resolution(query, message="Type a county, a city or a 5-digit ZIP code.")
    if match := _ZIP.match(query):
        row = _zip_rows().get(match.group(1))
        fips = _county_of_zip_row(row) if row and row.get("county") else None
        if fips is None:
            return Resolution(query, message=f"No US county is known for ZIP code {match[1]}.")
        return Resolution(query, [_counties()[fips]])
    if len(query) > 100:
        return Resolution(query[:100], message="That is too long for a place name.")
    name, state = _split_state(query)
    if not name:
        return Resolution(
            query, message="Name a county or a city in the state, or give a ZIP code."
        )
    states = [state] if state else sorted({c.state_code for c in _counties().values()})
    weights: Counter = Counter()
    named: list[str] = []
    for code in states:
        for key in {_squash(name), _bare(name)}:
            named += _by_name().get((code, key), [])
        weights.update(_cities().get((code, _squash(name)), Counter()))
    # A county of that name first, then the city's counties by how many of its ZIPs they hold
    order = list(dict.fromkeys(named)) + [
        fips for fips, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    found = [_counties()[fips] for fips in dict.fromkeys(order)]
    if not found:
        where = f" in {state}" if state else ""
        return Resolution(
            query,
            message=f"No county, city or town called “{name}” is known{where}. "
            "Try the county's name with its state (“Travis County, TX”) or a ZIP code.",
        )
    if len(found) == 1:
        return Resolution(query, found)
    if not state:
        # Across states: the most populous first (the likelier meaning), shown as choices
        found.sort(key=lambda c: -(c.population or 0))
    more = len(found) - MAX_CHOICES
    message = "Several places match: which one?" + (
        f" ({more} more not shown: add the state, e.g. “{name}, TX”.)" if more > 0 else ""
    )
    return Resolution(query, found[:MAX_CHOICES], message)


# ---------------------------------------------------------------------------- points
@_loaded_once
def _tree():
    """An STRtree of the county shapes and their FIPS codes (built once per process)."""
    import shapely
    from shapely.geometry import shape

    features = json.loads((REFERENCE_DIR / "counties.geojson").read_text())["features"]
    geometries = [shape(f["geometry"]) for f in features]
    fips = [f["properties"]["fips"] for f in features]
    shapely.prepare(geometries)
    return shapely.STRtree(geometries), geometries, fips


def county_at(lat: float, lon: float) -> County | None:
    """The county the point (WGS 84 degrees) lies in; None outside every US county."""
    from shapely.geometry import Point

    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    tree, geometries, codes = _tree()
    point = Point(lon, lat)
    for index in tree.query(point, predicate="intersects"):
        found = _counties().get(codes[int(index)])
        if found is not None:
            return found
    return None
