"""The map's numbers, computed once per published version and then sliced per time step.

Moving the time slider must redraw the map in well under half a second with a million reports.
Querying the incidents and the coverage for every step costs hundreds of milliseconds at that
size, so the first visit after a publish reads a few small tables into memory:

- outages per drawn county shape and day (count, minutes, population), and the same per state;
- coverage: the build's `coverage_spans`, runs of consecutive weeks (and months) in which a
  county shape or a state had at least one report, outage or not (a few hundred thousand rows
  at a million reports, where the place-days are millions).

A step is then a binary search on the sorted days and a `numpy.bincount` over the slice, and a
comparison over the coverage spans that began before the period's end: a few milliseconds
whatever the period. Cached per published version (`st.cache_resource`), shared by
all sessions; a publish gives a new version and a new cube.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from webapp import data

EPOCH = date(1970, 1, 1)

# One row per drawn shape and incident: reported counties without a 2017 shape of their own
# (Connecticut's planning regions, later Alaska splits) count on the shapes that
# `county_aliases` names for them.
COUNTY_HITS = """
SELECT DISTINCT coalesce(a.shape_fips, ic.county_fips) AS fips, ic.state_code,
       i.incident_id, i.started_on, i.duration_minutes
FROM incidents AS i
JOIN incident_counties AS ic USING (incident_id)
LEFT JOIN county_aliases AS a ON a.county_fips = ic.county_fips
WHERE i.started_on IS NOT NULL AND /*scope*/
"""

COUNTY_OUTAGES_SQL = f"""
WITH hits AS ({COUNTY_HITS})
SELECT h.fips AS id, (h.started_on - DATE '1970-01-01')::INTEGER AS day, count(*) AS outages,
       coalesce(sum(h.duration_minutes), 0)::DOUBLE AS minutes,
       coalesce(sum(c.population), 0)::DOUBLE AS people
FROM hits AS h LEFT JOIN counties AS c ON c.county_fips = h.fips
GROUP BY ALL
ORDER BY day, id
"""

# A multi-state incident counts once in each of its states; its people are the populations
# of its counties in that state.
STATE_OUTAGES_SQL = f"""
WITH hits AS ({COUNTY_HITS}),
per_state AS (
    SELECT s.state_code, i.incident_id, i.started_on, any_value(i.duration_minutes) AS minutes
    FROM incidents AS i, unnest(i.state_codes) AS s(state_code)
    WHERE i.started_on IS NOT NULL AND /*scope*/
    GROUP BY ALL
),
people AS (
    SELECT h.state_code, h.incident_id, sum(c.population) AS people
    FROM hits AS h LEFT JOIN counties AS c ON c.county_fips = h.fips
    GROUP BY ALL
)
SELECT p.state_code AS id, (p.started_on - DATE '1970-01-01')::INTEGER AS day,
       count(*) AS outages,
       coalesce(sum(p.minutes), 0)::DOUBLE AS minutes,
       coalesce(sum(pe.people), 0)::DOUBLE AS people
FROM per_state AS p LEFT JOIN people AS pe USING (state_code, incident_id)
GROUP BY ALL
ORDER BY day, id
"""

# Coverage spans (warehouse/sql/aggregates.sql), as UTC day numbers since 1970; a place was
# covered in a period of whole weeks (months) when one of its week (month) spans overlaps it.
COUNTY_COVERAGE_SQL = """
SELECT place AS id, step, (first_day - DATE '1970-01-01')::INTEGER AS first,
       (last_day - DATE '1970-01-01')::INTEGER AS last
FROM coverage_spans
WHERE level = 'county'
ORDER BY step, first
"""

STATE_COVERAGE_SQL = """
SELECT place AS id, step, (first_day - DATE '1970-01-01')::INTEGER AS first,
       (last_day - DATE '1970-01-01')::INTEGER AS last
FROM coverage_spans
WHERE level = 'state'
ORDER BY step, first
"""

# Incidents that name states but no county: invisible on the county map, counted in a note.
STATE_ONLY_SQL = """
SELECT (i.started_on - DATE '1970-01-01')::INTEGER AS day
FROM incidents AS i
WHERE i.started_on IS NOT NULL AND /*scope*/
  AND NOT EXISTS (SELECT 1 FROM incident_counties AS ic WHERE ic.incident_id = i.incident_id)
ORDER BY day
"""

COUNTY_PLACES_SQL = """
SELECT county_fips AS id, county_name AS name, state_code FROM counties
WHERE geometry IS NOT NULL ORDER BY 1
"""
STATE_PLACES_SQL = "SELECT state_code AS id, state_name AS name, state_code FROM states ORDER BY 1"

METRICS = ("outages", "hours", "people")
STEPS = ("month", "week")


def day_number(day: date) -> int:
    return (day - EPOCH).days


def from_day_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


@dataclass
class Spans:
    """Coverage spans of one step, sorted by their first day (day numbers, inclusive)."""

    first: np.ndarray  # int32
    last: np.ndarray  # int32
    place: np.ndarray  # int32 index into the layer's places (-1: not drawable)


@dataclass
class Layer:
    """Outages and coverage of one level (county shapes or states), by day."""

    places: pd.DataFrame  # id, name, state_code: every drawable place, in index order
    hit_day: np.ndarray  # int32 day numbers, sorted
    hit_place: np.ndarray  # int32 index into places (-1: not drawable)
    hit_outages: np.ndarray
    hit_minutes: np.ndarray
    hit_people: np.ndarray
    coverage: dict[str, Spans]  # step ("month", "week") -> its spans
    undrawn: list[str]  # ids with outages but no shape
    _peaks: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.places)

    @functools.cached_property
    def ids(self) -> np.ndarray:
        """The places' ids as a numpy array of str, in index order."""
        return np.asarray(self.places["id"], dtype=object)

    def _slice(self, days: np.ndarray, start: date, end: date) -> slice:
        lo = np.searchsorted(days, day_number(start), side="left")
        hi = np.searchsorted(days, day_number(end), side="left")
        return slice(int(lo), int(hi))

    def values(self, start: date, end: date) -> pd.DataFrame:
        """Per place with any outage that began in [start, end): its id and index (`place`),
        outages, hours, people."""
        part = self._slice(self.hit_day, start, end)
        place = self.hit_place[part]
        keep = place >= 0
        place = place[keep]
        outages = np.bincount(place, self.hit_outages[part][keep], minlength=self.size)
        minutes = np.bincount(place, self.hit_minutes[part][keep], minlength=self.size)
        people = np.bincount(place, self.hit_people[part][keep], minlength=self.size)
        hit = np.nonzero(outages)[0]
        return pd.DataFrame(
            {
                "id": self.ids[hit],
                "place": hit,
                "outages": outages[hit].astype(np.int64),
                "hours": np.round(minutes[hit] / 60.0, 1),
                "people": people[hit].astype(np.int64),
            }
        )

    def covered(self, start: date, end: date, step: str) -> np.ndarray:
        """A boolean per place: any report (outage or not) covered it in [start, end).

        `start` and `end` are bounds of the step (the first day of a month, or a Monday):
        the spans answer for whole weeks or months, not for any day.
        """
        aligned = (
            start.day == end.day == 1 if step == "month" else start.weekday() == end.weekday() == 0
        )
        if step not in STEPS or not aligned:
            raise ValueError(f"coverage is kept by whole {step}s: {start} to {end}")
        spans = self.coverage[step]
        hi = np.searchsorted(spans.first, day_number(end), side="left")
        place = spans.place[:hi][spans.last[:hi] >= day_number(start)]
        seen = np.zeros(self.size, dtype=bool)
        seen[place[place >= 0]] = True
        return seen

    def peaks(self, step: str) -> dict[str, float]:
        """The largest value one place reaches in one month (or week), per metric."""
        if step not in self._peaks:
            self._peaks[step] = self._compute_peaks(step)
        return self._peaks[step]

    def _compute_peaks(self, step: str) -> dict[str, float]:
        if not len(self.hit_day):
            return dict.fromkeys(METRICS, 0.0)
        days = self.hit_day.astype("datetime64[D]")
        if step == "month":
            bucket = days.astype("datetime64[M]").astype(np.int64)
        else:  # weeks from Monday: 1970-01-01 was a Thursday
            bucket = (self.hit_day.astype(np.int64) + 3) // 7
        bucket = bucket - bucket.min()
        keep = self.hit_place >= 0
        key = self.hit_place[keep].astype(np.int64) * (int(bucket.max()) + 1) + bucket[keep]
        _, inverse = np.unique(key, return_inverse=True)
        result = {}
        for metric, weights in (
            ("outages", self.hit_outages),
            ("hours", self.hit_minutes / 60.0),
            ("people", self.hit_people),
        ):
            sums = np.bincount(inverse, weights[keep])
            result[metric] = float(sums.max()) if len(sums) else 0.0
        return result


@dataclass
class Cube:
    county: Layer
    state: Layer
    first: date | None
    last: date | None
    state_only_day: np.ndarray  # start days of incidents that name no county

    def state_only(self, start: date, end: date) -> int:
        """How many incidents that began in [start, end) name states but no county."""
        lo = np.searchsorted(self.state_only_day, day_number(start), side="left")
        hi = np.searchsorted(self.state_only_day, day_number(end), side="left")
        return int(hi - lo)

    def layer(self, level: str) -> Layer:
        return self.state if level == "state" else self.county


def _arrays(table: Any, places: pd.Index) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name)
        if name == "id":
            out["ids"] = np.asarray(column.to_pandas(), dtype=object)
            out["place"] = places.get_indexer(out["ids"]).astype(np.int32)
        elif name == "step":
            out[name] = np.asarray(column.to_pandas(), dtype=object)
        elif name in ("day", "first", "last"):
            out[name] = column.to_numpy(zero_copy_only=False).astype(np.int32)
        else:
            out[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
    return out


def _spans(cover: dict[str, np.ndarray]) -> dict[str, Spans]:
    result = {}
    for step in STEPS:
        mine = cover["step"] == step
        result[step] = Spans(
            first=cover["first"][mine], last=cover["last"][mine], place=cover["place"][mine]
        )
    return result


def _layer(places: pd.DataFrame, hits_table: Any, cover_table: Any) -> Layer:
    index = pd.Index(places["id"])
    hits = _arrays(hits_table, index)
    cover = _arrays(cover_table, index)
    undrawn = sorted(set(hits["ids"][hits["place"] < 0])) if len(hits["ids"]) else []
    return Layer(
        places=places.reset_index(drop=True),
        hit_day=hits["day"],
        hit_place=hits["place"],
        hit_outages=hits["outages"],
        hit_minutes=hits["minutes"],
        hit_people=hits["people"],
        coverage=_spans(cover),
        undrawn=undrawn,
    )


def scoped(sql: str, scope: str) -> str:
    """A query with its incidents limited by `scope` (a condition on `i`)."""
    return sql.replace("/*scope*/", f"({scope})")


@st.cache_resource(show_spinner="Preparing the map for this data version…", max_entries=4)
def _cube(path: str, version: str, scope: str = "true") -> Cube:
    pub = data.Published(
        path=Path(path), version=version, published_at=None, data_dir=Path(path).parent
    )
    # The tables are independent: read them side by side.
    queries = tuple(
        scoped(sql, scope)
        for sql in (
            COUNTY_OUTAGES_SQL,
            COUNTY_COVERAGE_SQL,
            STATE_OUTAGES_SQL,
            STATE_COVERAGE_SQL,
            STATE_ONLY_SQL,
        )
    )
    con = data.connection(pub)
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        tables = list(pool.map(lambda sql: data.arrow(pub, sql, con=con), queries))
    county = _layer(data.query(pub, COUNTY_PLACES_SQL), tables[0], tables[1])
    state = _layer(data.query(pub, STATE_PLACES_SQL), tables[2], tables[3])
    # The history runs from the first to the last day with any report or outage.
    firsts = [a.min() for a in (state.hit_day, county.hit_day) if len(a)]
    lasts = [a.max() for a in (state.hit_day, county.hit_day) if len(a)]
    for layer in (state, county):
        spans = layer.coverage["month"]
        if len(spans.first):
            firsts.append(spans.first.min())
            lasts.append(spans.last.max())
    if firsts:
        first = from_day_number(min(int(d) for d in firsts))
        last = from_day_number(max(int(d) for d in lasts))
    else:
        first = last = None
    state_only = tables[4].column("day").to_numpy(zero_copy_only=False).astype(np.int32)
    return Cube(county=county, state=state, first=first, last=last, state_only_day=state_only)


def cube(pub: data.Published, scope: str = "true") -> Cube:
    """The map's numbers of this version, for the incidents `scope` keeps (a condition on
    `i`, such as `webapp.ui.incident_scope`: the real record alone, or everything)."""
    return _cube(str(pub.path), pub.version, scope)
