"""Local time of a place, for text people read ("began 2024-06-18 13:15 EDT").

The warehouse stores UTC and so do the data and exports; this module only turns a
UTC instant into the wall-clock time of the county or state it is about.

A county's IANA zone comes from ``reference/county_zones.csv``, derived once by
``reference/build_reference.py`` with ``timezonefinder`` on the committed county
shapes (area majority, so a county split by a zone line goes with its larger part;
see ``reference/PROVENANCE.md``). Nothing here needs more than the standard library's
``zoneinfo``. A state's zone is the zone most of its people live in, from the
counties' populations in ``reference/counties.csv``; an incident that names only a
state is shown in it.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.geography import normalize_county_fips, normalize_state_code

__all__ = ["incident_zone", "local_text", "zone_for", "zone_text"]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
UTC_ZONE = ZoneInfo("UTC")

# zoneinfo gives some zones' abbreviation as a bare offset ("-04", "+0530"): those
# are not abbreviations a reader knows, so they are written "UTC-04:00".
_NUMERIC_ABBR = re.compile(r"[+-]\d{2,4}")


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.cache
def _county_zones() -> dict[str, str]:
    return {row["county_fips"]: row["time_zone"] for row in _read_csv("county_zones.csv")}


@functools.cache
def _state_zones() -> dict[str, str]:
    """USPS code -> the zone with most of the state's people (by county population).

    A county with no population figure (Connecticut's planning regions, which
    overlap the legacy counties that do have one) counts 0; ties and all-zero
    states (none today) go to the zone with most counties.
    """
    zones = _county_zones()
    people: dict[str, Counter[str]] = defaultdict(Counter)
    counties: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _read_csv("counties.csv"):
        zone = zones.get(row["county_fips"])
        if zone is None:
            continue
        people[row["state_code"]][zone] += int(row["population"] or 0)
        counties[row["state_code"]][zone] += 1
    return {
        state: max(counts, key=lambda z, s=state: (people[s][z], counts[z], z))
        for state, counts in counties.items()
    }


@functools.cache
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


def zone_for(county_fips: str | None = None, state_code: str | None = None) -> ZoneInfo:
    """The IANA zone of a county, else of a state (its most populous zone), else UTC.

    ``county_fips`` may be unpadded or a retired code (``46113`` -> Oglala Lakota's
    zone); an unknown county falls back to ``state_code``, then to the state its
    first two digits name. ``zone_for("48141")`` (El Paso) is ``America/Denver``,
    ``zone_for(state_code="TX")`` is ``America/Chicago``.
    """
    if county_fips is not None and str(county_fips).strip():
        text = str(county_fips).strip()
        fips = normalize_county_fips(text)
        key = _county_zones().get(fips or text.zfill(5))
        if key is not None:
            return _zone(key)
        if state_code is None and text.isdigit() and len(text) >= 4:
            state_code = text.zfill(5)[:2]
    if state_code is not None and str(state_code).strip():
        code = normalize_state_code(str(state_code))
        key = _state_zones().get(code or "")
        if key is not None:
            return _zone(key)
    return UTC_ZONE


def _as_utc(ts: object) -> datetime | None:
    """An aware datetime, a naive one (UTC, as stored), a pandas Timestamp or an ISO
    string -> aware datetime; None, NaT, NaN and "" -> None."""
    if ts is None:
        return None
    if isinstance(ts, str):
        if not ts.strip():
            return None
        ts = datetime.fromisoformat(ts.strip().replace("Z", "+00:00"))
    if not isinstance(ts, datetime):
        raise TypeError(f"not a timestamp: {ts!r}")
    if ts != ts:  # pandas NaT (a datetime subclass) is the one value unequal to itself
        return None
    if hasattr(ts, "to_pydatetime"):  # pandas Timestamp: drop nanoseconds quietly
        ts = ts.to_pydatetime(warn=False)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _abbreviation(moment: datetime) -> str:
    name = moment.tzname() or ""
    if name and not _NUMERIC_ABBR.fullmatch(name):
        return name
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_text(ts: object, zone: ZoneInfo | None, *, date: bool = True) -> str:
    """``ts`` in ``zone`` as "2024-06-18 13:15 EDT"; zone None is UTC ("17:15 UTC").

    For callers that already chose a zone, e.g. with :func:`incident_zone`.
    """
    moment = _as_utc(ts)
    if moment is None:
        return ""
    local = moment.astimezone(zone or UTC_ZONE)
    clock = local.strftime("%Y-%m-%d %H:%M" if date else "%H:%M")
    return f"{clock} {_abbreviation(local)}"


def local_text(
    ts: object,
    *,
    county_fips: str | None = None,
    state_code: str | None = None,
    date: bool = True,
) -> str:
    """A UTC instant as the place's wall-clock time with its zone.

    ``local_text(datetime(2024, 6, 18, 17, 15), state_code="MA")`` ->
    ``"2024-06-18 13:15 EDT"``; ``date=False`` -> ``"13:15 EDT"``. A naive datetime
    is UTC (what the warehouse stores); None or NaT -> ``""``.
    """
    return zone_text(ts, zone_for(county_fips, state_code), date=date)


def _codes(values: Iterable[str] | str | None) -> list[str]:
    """A list column (list, tuple, numpy array), a single code, or None -> codes."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


# Instants on which two zones must agree (offset and abbreviation) to count as one
# for a reader: the 1st and 15th of every month under today's US DST rules (2007 on).
# America/Detroit and America/Indiana/Indianapolis read the same as America/New_York.
_SAMPLE_INSTANTS = tuple(
    datetime(year, month, day, 12, tzinfo=UTC)
    for year in range(2007, 2036)
    for month in range(1, 13)
    for day in (1, 15)
)


@functools.cache
def _reading(key: str) -> tuple[tuple[object, str], ...]:
    zone = _zone(key)
    return tuple(
        (moment.astimezone(zone).utcoffset(), _abbreviation(moment.astimezone(zone)))
        for moment in _SAMPLE_INSTANTS
    )


def incident_zone(
    state_codes: Iterable[str] | str | None, county_fips_list: Iterable[str] | str | None
) -> ZoneInfo | None:
    """The one zone all of an incident's places are in, else None (show it in UTC).

    Places are its counties, plus each listed state none of whose counties is
    listed (taken at the state's zone). Zones that read the same since 2007
    (America/Detroit and America/New_York) count as one; the first place's is
    returned. No places at all -> None.
    """
    zones: list[ZoneInfo] = []
    covered: set[str] = set()
    for fips in _codes(county_fips_list):
        zones.append(zone_for(fips))
        if fips.isdigit():
            covered.add(fips.zfill(5)[:2])
    for state in _codes(state_codes):
        code = normalize_state_code(state)
        state_fips = _state_fips().get(code or "")
        if state_fips is not None and state_fips in covered:
            continue
        zones.append(zone_for(state_code=state))
    if not zones:
        return None
    first = _reading(zones[0].key)
    if all(_reading(z.key) == first for z in zones[1:]):
        return zones[0]
    return None


@functools.cache
def _state_fips() -> dict[str, str]:
    return {row["state_code"]: row["state_fips"] for row in _read_csv("states.csv")}
