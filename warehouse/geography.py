"""Geocoding of alert area codes: SAME, NWS UGC, state names and FIPS.

Pure Python and fast: the reference CSVs in ``warehouse/reference`` are read once,
lazily, on first use. Unknown or malformed input gives ``None`` or ``[]`` and never
raises, so a crawl goes on; callers record what did not geocode.

- SAME location codes are ``PSSCCC``: ``P`` a county subdivision (ignored), ``SS``
  the state FIPS, ``CCC`` the county FIPS, ``000`` meaning the whole state.
- NWS UGC codes are ``SSFNNN``: ``SS`` the USPS state code, ``F`` ``C`` (county,
  ``NNN`` its FIPS) or ``Z`` (public forecast zone). Zones map to counties with
  ``ugc_zones.csv``, derived from the overlap of the NWS zone and county polygons
  shipped in the PyPI package ``pyiem`` (see PROVENANCE.md); it is not the NWS
  zone-county correlation file itself. ``000`` or ``ALL`` is the whole state.

Retired county codes with a single successor (``46113`` Shannon SD -> ``46102``
Oglala Lakota, ``02270`` -> ``02158``, ``51515`` -> ``51019`` ...) are normalized to
the successor; current codes the 2017 shapes lack (Connecticut planning regions
``09110``..``09190``, Alaska ``02063``/``02066``) are kept as they are.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import us

__all__ = [
    "Place",
    "counties_in_state",
    "county_name",
    "county_population",
    "expand_ugc_line",
    "normalize_county_fips",
    "normalize_state_code",
    "place_from_same",
    "places_from_ugc",
    "state_code_from_fips",
    "state_code_from_name",
    "state_name",
    "state_population",
]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Place:
    """A state, or one county in it."""

    state_code: str  # USPS, e.g. "SD"
    county_fips: str | None  # 5-digit; None = the whole state (or an unmappable zone)


@dataclass(frozen=True)
class _County:
    state_code: str
    name: str
    population: int | None


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.cache
def _states() -> dict[str, dict[str, str]]:
    """USPS code -> row of states.csv (state_fips, state_name, population)."""
    return {row["state_code"]: row for row in _read_csv("states.csv")}


@functools.cache
def _fips_to_code() -> dict[str, str]:
    return {row["state_fips"]: code for code, row in _states().items()}


@functools.cache
def _names_to_code() -> dict[str, str]:
    """Lower-cased spellings (name, USPS, AP style, no dots or spaces) -> USPS code."""
    table: dict[str, str] = {}
    for code in _states():
        table[code.lower()] = code
        state = us.states.lookup(code)
        spellings = [_states()[code]["state_name"]]
        if state is not None:
            spellings += [state.name, state.ap_abbr or ""]
        for spelling in filter(None, spellings):
            table[_squash(spelling)] = code
    table.update({"washingtondc": "DC", "dc": "DC", "usvirginislands": "VI"})
    return table


def _squash(text: str) -> str:
    return re.sub(r"[\s.,'_-]+", "", text).lower()


@functools.cache
def _counties() -> dict[str, _County]:
    out: dict[str, _County] = {}
    for row in _read_csv("counties.csv"):
        pop = int(row["population"]) if row["population"] else None
        out[row["county_fips"]] = _County(row["state_code"], row["county_name"], pop)
    return out


@functools.cache
def _successors() -> dict[str, str]:
    """Retired code -> its code today (retired = in aliases but not in counties.csv)."""
    targets: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv("county_aliases.csv"):
        targets[row["county_fips"]].append(row["shape_fips"])
    counties = _counties()
    # a retired code split in two (02201, 02232 ...) stays itself: still a known code
    return {
        old: new[0] if len(new) == 1 else old for old, new in targets.items() if old not in counties
    }


@functools.cache
def _zones() -> dict[str, list[str]]:
    """NWS public zone UGC -> county FIPS (empty list: outside every US county)."""
    zones: dict[str, list[str]] = {}
    for row in _read_csv("ugc_zones.csv"):
        counties = zones.setdefault(row["ugc"], [])
        if row["county_fips"]:
            counties.append(row["county_fips"])
    return zones


@functools.cache
def _counties_by_state() -> dict[str, list[str]]:
    by_state: dict[str, list[str]] = defaultdict(list)
    for fips, county in sorted(_counties().items()):
        by_state[county.state_code].append(fips)
    return dict(by_state)


def state_code_from_fips(state_fips: str | int) -> str | None:
    """State FIPS -> USPS code: ``"46"`` -> ``"SD"``; ``"6"`` or ``6`` -> ``"CA"``."""
    text = str(state_fips).strip()
    if not text.isdigit() or len(text) > 2:
        return None
    return _fips_to_code().get(text.zfill(2))


def state_code_from_name(name: str) -> str | None:
    """State name or abbreviation -> USPS code.

    ``"South Dakota"``, ``"south dakota"``, ``"S.D."``, ``"SD"`` -> ``"SD"``. Unknown -> None.
    """
    if not isinstance(name, str) or not name.strip():
        return None
    code = _names_to_code().get(_squash(name))
    if code is None and len(name) > 4:  # us' phonetic match for misspelt full names
        state = us.states.lookup(name.strip())
        code = state.abbr if state is not None and state.abbr in _states() else None
    return code


def normalize_state_code(value: str | int) -> str | None:
    """USPS code, state name or state FIPS -> USPS code; None if unknown."""
    text = str(value).strip()
    if text.isdigit():
        return state_code_from_fips(text)
    return state_code_from_name(text)


def normalize_county_fips(value: str | int) -> str | None:
    """County FIPS -> 5-digit code known to the reference data, else None.

    Zero-pads (``6037`` -> ``"06037"``); a retired code with one successor becomes
    the successor (``"46113"`` -> ``"46102"``).
    """
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 5:
        return None
    fips = text.zfill(5)
    if fips in _counties():
        return fips
    return _successors().get(fips)


def place_from_same(code: str) -> Place | None:
    """SAME ``PSSCCC`` -> Place: ``"046103"`` -> ``Place("SD", "46103")``.

    ``CCC == "000"`` is the whole state: ``"046000"`` -> ``Place("SD", None)``. The
    subdivision digit ``P`` is ignored. Unknown state or county, or malformed -> None.
    """
    text = str(code).strip()
    if not text.isdigit() or len(text) > 6:
        return None
    text = text.zfill(6)
    state = state_code_from_fips(text[1:3])
    if state is None:
        return None
    if text[3:] == "000":
        return Place(state, None)
    fips = normalize_county_fips(text[1:])
    if fips is None:
        return None
    return Place(_counties()[fips].state_code if fips in _counties() else state, fips)


_UGC = re.compile(r"^([A-Z]{2})([CZ])(\d{3}|ALL)$")


def places_from_ugc(code: str) -> list[Place]:
    """NWS UGC -> Places: ``"SDC103"`` -> ``[Place("SD", "46103")]``.

    ``C`` codes are county FIPS. ``Z`` (public forecast zone) codes map to the
    counties the zone covers (usually one, sometimes several; current and
    discontinued zones). ``000`` or ``ALL`` is the whole state. Unknown counties or
    zones, zones outside every US county, marine zones and unknown states give ``[]``.
    """
    match = _UGC.match(str(code).strip().upper())
    if match is None:
        return []
    state, kind, number = match.groups()
    state_fips = _states().get(state, {}).get("state_fips")
    if state_fips is None:
        return []
    if number in ("000", "ALL"):
        return [Place(state, None)]
    if kind == "C":
        fips = normalize_county_fips(state_fips + number)
        return [] if fips is None else [Place(state, fips)]
    counties = _zones().get(state + "Z" + number, [])
    return [Place(_counties()[f].state_code, f) for f in counties if f in _counties()]


_UGC_HEAD = re.compile(r"^([A-Z]{2}[CZ])(\d{3}|ALL)(?:>(\d{3}))?$")
_UGC_TAIL = re.compile(r"^(\d{3})(?:>(\d{3}))?$")
_EXPIRY = re.compile(r"^\d{6}$")


def _expand(prefix: str, first: str, last: str | None) -> list[str]:
    if last is None or first == "ALL":
        return [prefix + first]
    lo, hi = int(first), int(last)
    if hi < lo:
        return [prefix + first]
    return [f"{prefix}{n:03d}" for n in range(lo, hi + 1)]


def expand_ugc_line(line: str) -> tuple[list[str], str | None]:
    """Expand an NWS text-product UGC group into codes and its expiry.

    ``"SDC003-005>009-011-251530-"`` -> ``(["SDC003", "SDC005", ..., "SDC009",
    "SDC011"], "251530")``. Handles several state/type prefixes in one group
    (``"NEC001-003-SDC005-"``), ``>`` ranges, lines broken across newlines and the
    trailing ``DDHHMM`` expiry (None when absent). Codes keep their first order,
    without duplicates; unreadable pieces are skipped.
    """
    codes: list[str] = []
    expiry: str | None = None
    prefix: str | None = None
    text = re.sub(r"\s+", "", str(line)).upper()
    for token in text.split("-"):
        if not token:
            continue
        if head := _UGC_HEAD.match(token):
            prefix = head.group(1)
            codes += _expand(prefix, head.group(2), head.group(3))
        elif _EXPIRY.match(token):
            expiry = token
        elif (tail := _UGC_TAIL.match(token)) and prefix is not None:
            codes += _expand(prefix, tail.group(1), tail.group(2))
    return list(dict.fromkeys(codes)), expiry


def county_name(county_fips: str) -> str | None:
    """``"46103"`` -> ``"Pennington County"``; None if unknown."""
    fips = normalize_county_fips(county_fips)
    return _counties()[fips].name if fips in _counties() else None


def state_name(state_code: str) -> str | None:
    """``"SD"`` (or a name or FIPS) -> ``"South Dakota"``; None if unknown."""
    code = normalize_state_code(state_code)
    return _states()[code]["state_name"] if code else None


def county_population(county_fips: str) -> int | None:
    """Census population of a county (2020 vintage); None if unknown or not tabulated.

    Connecticut's planning regions have no population in the source table: None.
    """
    fips = normalize_county_fips(county_fips)
    return _counties()[fips].population if fips in _counties() else None


def state_population(state_code: str) -> int | None:
    """Census population of a state, DC or territory (2020 vintage); None if unknown."""
    code = normalize_state_code(state_code)
    if code is None or not _states()[code]["population"]:
        return None
    return int(_states()[code]["population"])


def counties_in_state(state_code: str) -> list[str]:
    """Sorted county FIPS codes of a state, including codes without a 2017 shape.

    Connecticut lists both its 8 legacy counties and its 9 planning regions, and
    Alaska both Valdez-Cordova (02261) and its successors (02063, 02066): they
    overlap, so do not sum their populations (use ``state_population``).
    """
    code = normalize_state_code(state_code)
    return list(_counties_by_state().get(code, [])) if code else []
