"""The place box at the top of the Map page: "is 911 down where I am, and what do I do?"

A typed county, city or ZIP code, or the browser's position (after the "Use my location"
click), is resolved offline to a county (warehouse/places.py); the chosen county goes into
the URL (`?place=48453`) so that a shared link reopens it. The answer is one sentence from
the published incidents:

- active in the county: "911 is disrupted in Suffolk County, MA since 13:15 EDT." and, only
  when an authoritative source gave one (incidents.authoritative_backup_*, the trust rule
  of warehouse/incidents.py), "Officials say: call 617-555-0100, per ... at 13:30 EDT.";
- none, with a source covering the state: "No 911 outage reported in Travis County, TX
  (sources checked 5 min ago)." (the latest good live crawl of those sources,
  warehouse/status.py's facts);
- no source covering the state: said so (no data is not no outage).

"Active" is the banner's rule (map_page.ACTIVE_SQL): corroborated, no end yet, reported in
the last 24 hours. An incident covers the county when it lists the county (or a county
drawn on the same 2017 shape: Connecticut's planning regions) or names the county's state
and none of that state's counties. `now()` is the clock; tests replace it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import places
from warehouse.db import DataDir
from warehouse.display import md_text
from warehouse.localtime import local_text, zone_for
from warehouse.status import source_freshness
from webapp import data
from webapp.about_page import age_text
from webapp.cube import scoped
from webapp.geolocate import geolocate

ACTIVE_WINDOW = timedelta(hours=24)
PARAM = "place"  # ?place=48453: the county FIPS of the chosen place
BOX_KEY = "place_box"
CHOICE_KEY = "place_choice"
GEO_KEY = "geolocate"

PLACE_ACTIVE_SQL = """
SELECT i.incident_id, i.title, i.started_at, i.authoritative_backup_number,
       i.authoritative_backup_source, i.authoritative_backup_at,
       coalesce(i.last_reported_at, i.started_at) AS last_report,
       i.constructed_reports > 0 AS demo
FROM incidents AS i
WHERE i.ended_at IS NULL AND coalesce(i.last_reported_at, i.started_at) >= $1
  AND coalesce(i.corroborated, false) AND /*scope*/
  AND (
    EXISTS (
      SELECT 1 FROM incident_counties AS ic
      LEFT JOIN county_aliases AS a ON a.county_fips = ic.county_fips
      WHERE ic.incident_id = i.incident_id
        AND (ic.county_fips = $2
             OR list_contains(string_split($3, ','), coalesce(a.shape_fips, ic.county_fips)))
    )
    OR (
      list_contains(i.state_codes, $4)
      AND NOT EXISTS (
        SELECT 1 FROM incident_counties AS ic
        WHERE ic.incident_id = i.incident_id AND left(ic.county_fips, 2) = $5
      )
    )
  )
ORDER BY i.started_at NULLS LAST
"""

COVERING_SOURCES_SQL = """
SELECT spider, title, kind, cadence_minutes FROM sources
WHERE coalesce(kind, '') <> 'curated' AND (coverage_states = 'all'
   OR list_contains(string_split(replace(coverage_states, ' ', ''), ','), ?))
ORDER BY spider
"""


def now() -> datetime:
    """The clock of the answer ("active" = reported in the last 24 h; "checked 5 min ago").
    Whole minutes, so the query's cache key changes once a minute, not every rerun. Tests
    replace this function."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Answer:
    """The one sentence (markdown, source text escaped) and what kind of answer it is:
    "disrupted", "quiet" (covered, nothing active) or "blind" (no source covers it)."""

    kind: str
    text: str
    incidents: pd.DataFrame


# ---------------------------------------------------------------------------- facts
def active_incidents(
    pub: data.Published, county: places.County, at: datetime, scope: str = "true"
) -> pd.DataFrame:
    # $3: the 2017 shapes the county is drawn on, comma-joined (the cache wants plain values)
    params = (
        at - ACTIVE_WINDOW,
        county.fips,
        ",".join(places.shapes_of(county.fips)),
        county.state_code,
        county.fips[:2],
    )
    return data.query(pub, scoped(PLACE_ACTIVE_SQL, scope), params)


def covering_sources(pub: data.Published, state_code: str) -> list[dict[str, Any]]:
    """The sources (spiders) that declare coverage of the state (or of every state). The
    documented record (kind `curated`) is left out: it is compiled after the fact and says
    nothing about whether 911 works now."""
    try:
        table = data.query(pub, COVERING_SOURCES_SQL, (state_code,))
    except Exception:  # an old file without the sources table: nothing declared
        return []
    return table.to_dict("records")


def last_checked(
    pub: data.Published, sources: list[dict[str, Any]], at: datetime
) -> datetime | None:
    """When one of `sources` last finished a good live crawl (warehouse/status.py's facts:
    the published runs and the newer status.json a watcher writes), None when never."""
    if not sources:
        return None
    rows = _freshness(str(pub.data_dir), pub.version, at.isoformat(), _records(sources))
    wanted = {row["spider"] for row in sources}
    stamps = [
        pd.Timestamp(row["last_ok_at"])
        for row in rows
        if row["spider"] in wanted and row.get("last_ok_at")
    ]
    return max(stamps).to_pydatetime() if stamps else None


def _records(sources: list[dict[str, Any]]) -> tuple[tuple[str, str, str, float], ...]:
    return tuple(
        (
            str(s["spider"]),
            str(s.get("title") or s["spider"]),
            str(s.get("kind") or ""),
            float(s.get("cadence_minutes") or 60),
        )
        for s in sources
    )


@st.cache_data(show_spinner=False, ttl=60, max_entries=64)
def _freshness(
    data_dir: str, version: str, at: str, records: tuple[tuple[str, str, str, float], ...]
) -> list[dict[str, Any]]:
    sources = [
        {"spider": spider, "title": title, "kind": kind, "cadence_minutes": cadence}
        for spider, title, kind, cadence in records
    ]
    return source_freshness(DataDir(Path(data_dir)), datetime.fromisoformat(at), sources=sources)


# ---------------------------------------------------------------------------- the sentence
def time_text(moment: Any, county: places.County, at: datetime) -> str:
    """A time in the place's zone: "13:15 EDT" on the local day of `at`, else with its date
    ("2024-06-18 13:15 EDT")."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    moment = stamp.to_pydatetime()
    zone = zone_for(county_fips=county.fips, state_code=county.state_code)
    same_day = moment.astimezone(zone).date() == at.astimezone(zone).date()
    return local_text(
        moment, county_fips=county.fips, state_code=county.state_code, date=not same_day
    )


def sentence(
    county: places.County,
    active: pd.DataFrame,
    covered: bool,
    checked: datetime | None,
    at: datetime,
) -> Answer:
    """The answer for `county` from its active incidents and its sources' freshness."""
    label = md_text(county.label)
    if len(active):
        starts = active["started_at"].dropna()
        since = f" since {md_text(time_text(starts.min(), county, at))}" if len(starts) else ""
        more = f" ({len(active)} outages reported)" if len(active) > 1 else ""
        text = f"**911 is disrupted in {label}**{since}{more}."
        numbered = active[
            active["authoritative_backup_number"].map(lambda v: isinstance(v, str) and bool(v))
        ]
        if len(numbered):
            # the latest official word, with who gave it and when (the trust rule)
            row = numbered.sort_values("last_report").iloc[-1]
            given = row["authoritative_backup_at"]
            stamp = (
                f" at {md_text(time_text(given, county, at))}"
                if given is not None and not pd.isna(given)
                else ""
            )
            source = row["authoritative_backup_source"]
            per = f", per {md_text(source)}{stamp}" if isinstance(source, str) and source else ""
            text += f" Officials say: call **{md_text(row['authoritative_backup_number'])}**{per}."
        else:
            text += (
                " No official backup number has been given: call again, or from another "
                "phone or carrier, and text 911 where it is available."
            )
        if bool(active["demo"].any()):
            text += " *(demo data)*"
        return Answer("disrupted", text, active)
    if not covered:
        return Answer(
            "blind",
            f"No source we watch covers {label}: no data is not no outage.",
            active,
        )
    when = (
        f"sources checked {md_text(age_text(checked, at))}"
        if checked is not None
        else "its sources have not been checked live yet"
    )
    return Answer("quiet", f"No 911 outage reported in {label} ({when}).", active)


def answer(
    pub: data.Published, county: places.County, scope: str = "true", at: datetime | None = None
) -> Answer:
    at = at or now()
    active = active_incidents(pub, county, at, scope)
    sources = covering_sources(pub, county.state_code)
    return sentence(county, active, bool(sources), last_checked(pub, sources, at), at)


# ---------------------------------------------------------------------------- the box
_warm_lock = threading.Lock()
_warmed = False


def warm() -> None:
    """Load the ZIP list and the county shapes in the background once per process, so the
    first place typed (or located) answers without waiting for them."""
    global _warmed
    with _warm_lock:
        if _warmed:
            return
        _warmed = True

    def load() -> None:
        places.resolve("00000")
        places.resolve("Austin, TX")
        places.county_at(0.0, 0.0)

    threading.Thread(target=load, name="places-warm", daemon=True).start()


def chosen() -> places.County | None:
    """The chosen place: the session's, else the URL's (`?place=FIPS`, validated)."""
    if "place_fips" not in st.session_state:
        st.session_state["place_fips"] = st.query_params.get(PARAM) or None
    found = places.county(st.session_state.get("place_fips"))
    if found is None:
        st.session_state["place_fips"] = None
        st.query_params.pop(PARAM, None)
    else:
        st.query_params[PARAM] = found.fips
    return found


def choose(fips: str | None) -> None:
    st.session_state["place_fips"] = fips
    st.session_state.pop("place_choices", None)
    st.session_state.pop("place_message", None)


def typed() -> None:
    """The box changed: one county is chosen; several are offered; none says why."""
    found = places.resolve(st.session_state.get(BOX_KEY) or "")
    if not found.query:
        choose(None)
        return
    if found.county is not None:
        choose(found.county.fips)
        return
    st.session_state["place_choices"] = [c.fips for c in found.choices]
    st.session_state["place_message"] = found.message
    st.session_state.pop(CHOICE_KEY, None)


def picked() -> None:
    label = st.session_state.get(CHOICE_KEY)
    for fips in st.session_state.get("place_choices") or []:
        county = places.county(fips)
        if county is not None and county.label == label:
            choose(fips)
            return


def located(value: dict[str, Any] | None) -> None:
    """A new position from the browser (a new nonce): its county, or why there is none."""
    if not isinstance(value, dict) or value.get("nonce") == st.session_state.get("geo_nonce"):
        return
    st.session_state["geo_nonce"] = value.get("nonce")
    if value.get("error"):
        st.session_state["place_message"] = (
            "Your browser did not give a location; type your county, city or ZIP code."
        )
        st.session_state.pop("place_choices", None)
        return
    county = places.county_at(value.get("lat"), value.get("lon"))
    if county is None:
        st.session_state["place_message"] = (
            "That location is not in a US county; type your county, city or ZIP code."
        )
        st.session_state.pop("place_choices", None)
        return
    choose(county.fips)


def place_box(pub: data.Published, scope: str = "true") -> Answer | None:
    """The box, the location button, the choices or message, and the answer sentence."""
    warm()
    st.text_input(
        "Is 911 down where you are?",
        key=BOX_KEY,
        placeholder="County, city or ZIP code (e.g. 78701)",
        on_change=typed,
        help="Resolved on this server from the ZIP code and county lists it ships with.",
    )
    located(geolocate(key=GEO_KEY))
    choices = [c for c in map(places.county, st.session_state.get("place_choices") or []) if c]
    message = st.session_state.get("place_message")
    if choices:
        st.radio(
            md_text(message or "Which one?"),
            [c.label for c in choices],
            index=None,
            key=CHOICE_KEY,
            on_change=picked,
        )
    elif message:
        st.warning(md_text(message), icon=":material/help:")
    county = chosen()
    if county is None:
        return None
    result = answer(pub, county, scope)
    show = {"disrupted": st.error, "quiet": st.success, "blind": st.warning}[result.kind]
    icon = {
        "disrupted": ":material/emergency:",
        "quiet": ":material/check_circle:",
        "blind": ":material/visibility_off:",
    }[result.kind]
    show(result.text, icon=icon)
    return result
