"""The first map: counties with 911 outage reports over a chosen period, and the reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pydeck as pdk
import streamlit as st

from webapp import data

PERIOD_SQL = """
SELECT min(published_at) AS first, max(published_at) AS last, count(*) AS reports,
       bool_or(is_constructed) AS any_constructed
FROM reports WHERE is_outage
"""

COUNTY_SQL = """
SELECT county_fips, any_value(county_name) AS county_name, any_value(state_code) AS state_code,
       count(DISTINCT coalesce(thread_id, report_id)) AS outages, count(*) AS reports
FROM county_outage_reports
WHERE published_at >= ? AND published_at < ?
GROUP BY county_fips
"""

REPORTS_SQL = """
SELECT published_at, status, title, state_codes, len(county_fips) AS counties, source,
       source_url, backup_phone, cause, provider, is_constructed, report_id
FROM reports
WHERE is_outage AND published_at >= ? AND published_at < ?
ORDER BY published_at DESC
"""

ACTIVE_SQL = """
SELECT coalesce(thread_id, report_id) AS thread, min(started_at) AS started_at,
       string_agg(DISTINCT state, ', ') AS states, any_value(backup_phone) AS backup_phone,
       any_value(title) AS title
FROM reports, unnest(state_codes) AS s(state)
WHERE is_outage AND ended_at IS NULL AND status IN ('outage', 'update')
  AND started_at >= ?
GROUP BY ALL
"""


@st.cache_data(show_spinner=False, max_entries=64)
def cached(path: str, version: str, sql: str, params: tuple = ()) -> pd.DataFrame:
    from pathlib import Path

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
            icon="🧪",
        )
    now = datetime.now(UTC)
    active = cached(str(path), version, ACTIVE_SQL, (now - timedelta(hours=48),))
    if len(active):
        lines = [
            f"**{row.states}** since {row.started_at:%Y-%m-%d %H:%M} UTC"
            + (f" — call **{row.backup_phone}** instead" if row.backup_phone else "")
            for row in active.itertuples()
        ]
        st.error("911 outages reported active now (no all-clear yet):\n\n" + "\n\n".join(lines))
    else:
        st.success("No 911 outage is reported active right now in the sources we watch.")

    if period["reports"] == 0 or pd.isna(period["first"]):
        st.info("The published database has no 911 outage reports yet.")
        return
    first = period["first"].date()
    last = period["last"].date()
    chosen = st.slider(
        "Period", min_value=first, max_value=max(last, first + timedelta(days=1)),
        value=(first, max(last, first + timedelta(days=1))), format="YYYY-MM-DD", key="period",
    )
    start = datetime.combine(chosen[0], datetime.min.time(), UTC)
    end = datetime.combine(chosen[1], datetime.min.time(), UTC) + timedelta(days=1)
    counties = cached(str(path), version, COUNTY_SQL, (start, end))
    st.pydeck_chart(outage_map(counties), height=520)
    st.caption(
        f"{len(counties)} counties with 911 outage reports between {chosen[0]} and {chosen[1]}. "
        "Counties without reports are not known to be fine: no data is not no outage."
    )
    reports = cached(str(path), version, REPORTS_SQL, (start, end))
    st.subheader(f"Reports ({len(reports)})")
    st.dataframe(
        reports,
        hide_index=True,
        column_config={
            "source_url": st.column_config.LinkColumn("source", display_text="open"),
            "published_at": st.column_config.DatetimeColumn("published (UTC)"),
            "is_constructed": st.column_config.CheckboxColumn("constructed demo"),
        },
    )


def outage_map(counties: pd.DataFrame) -> pdk.Deck:
    shapes = data.county_shapes()
    merged = shapes.merge(counties, left_on="fips", right_on="county_fips", how="inner")
    peak = max(int(merged["outages"].max()) if len(merged) else 1, 1)
    merged["fill"] = [
        [200, 30, 30, 90 + int(150 * n / peak)] for n in merged["outages"].astype(int)
    ]
    merged["label"] = merged["name"] + ", " + merged["state_code_x"]
    county_layer = pdk.Layer(
        "GeoJsonLayer",
        json.loads(merged[["label", "outages", "reports", "fill", "geometry"]].to_json()),
        get_fill_color="properties.fill",
        get_line_color=[120, 0, 0],
        line_width_min_pixels=0.5,
        pickable=True,
    )
    state_layer = pdk.Layer(
        "GeoJsonLayer",
        json.loads(data.state_outlines_json()),
        stroked=True,
        filled=True,
        get_fill_color=[240, 240, 235, 255],
        get_line_color=[110, 110, 110],
        line_width_min_pixels=0.7,
    )
    return pdk.Deck(
        layers=[state_layer, county_layer],
        initial_view_state=pdk.ViewState(latitude=39.5, longitude=-98.5, zoom=3),
        map_style=None,
        tooltip={"text": "{label}\n{outages} outages, {reports} reports"},
    )
