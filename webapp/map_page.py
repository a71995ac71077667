"""The first map: counties with 911 outage reports over a chosen period, and the reports."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pydeck as pdk
import streamlit as st

from webapp import data

PERIOD_SQL = """
SELECT min(published_at) AS first, max(published_at) AS last, count(*) AS reports,
       coalesce(bool_or(is_constructed), false) AS any_constructed
FROM reports WHERE is_outage
"""

# One row per drawable county shape. Reported counties without a 2017 shape of their own
# (Connecticut's planning regions, later Alaska splits) are drawn on the shapes that
# `county_aliases` names for them; a shape may then stand for several reported counties.
COUNTY_SQL = """
WITH chosen AS (
    SELECT * FROM county_outage_reports WHERE published_at >= ? AND published_at < ?
)
SELECT coalesce(a.shape_fips, c.county_fips) AS shape_fips,
       string_agg(DISTINCT c.county_name || ', ' || c.state_code, '; '
                  ORDER BY c.county_name || ', ' || c.state_code) AS label,
       list(DISTINCT c.county_fips ORDER BY c.county_fips) AS county_fips,
       count(DISTINCT coalesce(c.thread_id, c.report_id)) AS outages,
       count(DISTINCT c.report_id) AS reports
FROM chosen AS c
LEFT JOIN county_aliases AS a ON a.county_fips = c.county_fips
GROUP BY ALL
ORDER BY shape_fips
"""

REPORTS_SQL = """
SELECT published_at, status, title, state_codes,
       (SELECT count(*) FROM report_counties AS rc WHERE rc.report_id = r.report_id) AS counties,
       source, source_url, backup_phone, cause, provider, is_constructed, report_id
FROM reports AS r
WHERE is_outage AND published_at >= ? AND published_at < ?
ORDER BY published_at DESC, report_id
"""

ACTIVE_SQL = """
SELECT coalesce(thread_id, report_id) AS thread, min(started_at) AS started_at,
       string_agg(DISTINCT state, ', ') AS states, any_value(backup_phone) AS backup_phone,
       any_value(title) AS title
FROM reports, unnest(state_codes) AS s(state)
WHERE is_outage AND ended_at IS NULL AND status IN ('outage', 'update')
  AND started_at >= ?
GROUP BY ALL
ORDER BY started_at DESC
"""

REPORT_COLUMNS = {
    "published_at": st.column_config.DatetimeColumn(
        "published (UTC)", format="YYYY-MM-DD HH:mm", width="medium"
    ),
    "status": st.column_config.TextColumn("status", width="small"),
    "title": st.column_config.TextColumn("title", width="large"),
    "source_url": st.column_config.LinkColumn("link", display_text="open", width="small"),
    "state_codes": st.column_config.ListColumn("states", width="small"),
    "counties": st.column_config.NumberColumn(
        "counties", width="small", help="Counties the report covers (statewide: all of them)"
    ),
    "source": st.column_config.TextColumn("source", width="medium"),
    "backup_phone": st.column_config.TextColumn("backup phone"),
    "cause": st.column_config.TextColumn("cause"),
    "provider": st.column_config.TextColumn("provider"),
    "is_constructed": st.column_config.CheckboxColumn("constructed (demo)"),
    "report_id": st.column_config.TextColumn("report id"),
}

# The contiguous United States, for an empty map or results spread too wide to fit.
US_BOUNDS = (-125.0, 24.5, -66.5, 49.5)
MAP_HEIGHT = 520
PHONE_MAP_HEIGHT = 360
# deck.gl cannot fit bounds by itself through pydeck, and the server does not know the
# window's width: assume a desktop column, or a phone when the browser says it is mobile.
DESKTOP_MAP_WIDTH = 900
PHONE_MAP_WIDTH = 350


@st.cache_data(show_spinner=False, max_entries=64)
def cached(path: str, version: str, sql: str, params: tuple = ()) -> pd.DataFrame:
    """Query results, cached per published version (a new publish gives new keys)."""
    return data.query_df(Path(path), version, sql, params)


def render() -> None:
    ddir = data.data_dir()
    path = ddir.published_db
    st.title("911 Outage Watch")
    if not path.exists():
        st.info("No data published yet. Run `./run demo` (or `outages demo --no-serve`) first.")
        return
    version = data.published_version(path)
    period = cached(str(path), version, PERIOD_SQL).iloc[0]
    if bool(period["any_constructed"]):
        st.warning(
            "**Demo data.** This database holds the bundled offline snapshot: real recorded "
            "alerts plus alerts *constructed* by this project to model documented outages. "
            "Constructed reports are marked in the table below; they are not real alerts.",
            icon=":material/science:",
        )
    active_banner(path, version)

    if not period["reports"] or pd.isna(period["first"]):
        st.info("The published database has no 911 outage reports yet.")
        return
    first: date = period["first"].date()
    last: date = max(period["last"].date(), first + timedelta(days=1))
    chosen = st.slider(
        "Period",
        min_value=first,
        max_value=last,
        value=(first, last),
        format="YYYY-MM-DD",
        key="period",
        help="Days (UTC) on which the reports were published.",
    )
    start = datetime.combine(chosen[0], datetime.min.time(), UTC)
    end = datetime.combine(chosen[1], datetime.min.time(), UTC) + timedelta(days=1)
    counties = cached(str(path), version, COUNTY_SQL, (start, end))
    phone = on_phone()
    width, height = (
        (PHONE_MAP_WIDTH, PHONE_MAP_HEIGHT) if phone else (DESKTOP_MAP_WIDTH, MAP_HEIGHT)
    )
    deck, undrawn = outage_map(counties, width, height)
    st.pydeck_chart(deck, height=height)
    reported = sorted({fips for group in counties["county_fips"] for fips in group})
    caption = (
        f"{len(reported)} counties with 911 outage reports between {chosen[0]} and "
        f"{chosen[1]}. Counties without reports are not known to be fine: no data is not "
        "no outage."
    )
    if undrawn:
        caption += f" Not drawn (no county shape): {', '.join(undrawn)}."
    st.caption(caption)
    reports = cached(str(path), version, REPORTS_SQL, (start, end))
    st.subheader(f"Reports ({len(reports)})")
    st.dataframe(
        reports, hide_index=True, column_config=REPORT_COLUMNS, column_order=list(REPORT_COLUMNS)
    )


def active_banner(path: Path, version: str) -> None:
    # Whole minutes, so the cache key (and the query) changes once a minute, not every rerun.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    active = cached(str(path), version, ACTIVE_SQL, (now - timedelta(hours=48),))
    if len(active):
        lines = [
            f"**{row.states}** since {row.started_at:%Y-%m-%d %H:%M} UTC"
            + (f" — call **{row.backup_phone}** instead" if row.backup_phone else "")
            for row in active.itertuples()
        ]
        st.error(
            "911 outages reported active now (no all-clear yet):\n\n" + "\n\n".join(lines),
            icon=":material/emergency:",
        )
    else:
        st.success(
            "No 911 outage is reported active right now in the sources we watch.",
            icon=":material/check_circle:",
        )


def on_phone() -> bool:
    """Whether the browser says it is a phone ("Mobi" in its User-Agent)."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # no browser (AppTest, bare mode)
        agent = ""
    return "Mobi" in agent


def outage_map(
    counties: pd.DataFrame, width_px: int = DESKTOP_MAP_WIDTH, height_px: int = MAP_HEIGHT
) -> tuple[pdk.Deck, list[str]]:
    """The map (state outlines, affected counties filled) and the labels it could not draw."""
    shapes = data.county_shapes()
    merged = shapes[["fips", "geometry"]].merge(
        counties, left_on="fips", right_on="shape_fips", how="inner"
    )
    undrawn = counties.loc[~counties["shape_fips"].isin(merged["fips"]), "label"].tolist()
    peak = max(int(merged["outages"].max()) if len(merged) else 1, 1)
    merged["fill"] = [
        [200, 30, 30, 110 + int(130 * n / peak)] for n in merged["outages"].astype(int)
    ]
    county_layer = pdk.Layer(
        "GeoJsonLayer",
        json.loads(merged[["fips", "label", "outages", "reports", "fill", "geometry"]].to_json()),
        id="counties",
        get_fill_color="properties.fill",
        get_line_color=[120, 0, 0],
        line_width_min_pixels=0.5,
        pickable=True,
    )
    state_layer = pdk.Layer(
        "GeoJsonLayer",
        json.loads(data.state_outlines_json()),
        id="states",
        stroked=True,
        filled=True,
        get_fill_color=[240, 240, 235, 255],
        get_line_color=[110, 110, 110],
        line_width_min_pixels=0.7,
    )
    bounds = tuple(merged.total_bounds) if len(merged) else US_BOUNDS
    deck = pdk.Deck(
        layers=[state_layer, county_layer],
        initial_view_state=fit_view(bounds, width_px, height_px),
        map_style=None,
        map_provider=None,
        tooltip={"text": "{label}\n{outages} outages, {reports} reports"},
    )
    return deck, undrawn


def fit_view(
    bounds: tuple[float, float, float, float],
    width_px: int = DESKTOP_MAP_WIDTH,
    height_px: int = MAP_HEIGHT,
) -> pdk.ViewState:
    """A view that shows `bounds` (lon/lat) with a margin, never closer than a few counties.

    Falls back to the contiguous US when the bounds span too much of the globe (e.g. a
    territory in the Pacific together with the mainland, or shapes across the antimeridian).
    """
    west, south, east, north = bounds
    if east - west > 80 or north - south > 40:
        west, south, east, north = US_BOUNDS

    def mercator_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    width_px, height_px = width_px * 0.85, height_px * 0.85
    lon_span = max(east - west, 0.5)
    y_span = max(mercator_y(north) - mercator_y(south), 0.01)
    zoom_x = math.log2(width_px * 360 / (lon_span * 512))
    zoom_y = math.log2(height_px * 2 * math.pi / (y_span * 512))
    zoom = max(min(zoom_x, zoom_y, 5.5), 1.5)
    center_y = (mercator_y(north) + mercator_y(south)) / 2
    center_lat = math.degrees(2 * math.atan(math.exp(center_y)) - math.pi / 2)
    return pdk.ViewState(
        latitude=round(center_lat, 4), longitude=round((west + east) / 2, 4), zoom=round(zoom, 2)
    )
