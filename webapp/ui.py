"""What every page shares: the header with the data version, the demo-data label, formats."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import taxonomy
from webapp import data

DEMO_LABEL = (
    "**Demo data.** The bundled snapshot mixes real recorded alerts with alerts *constructed* "
    "by this project to model documented outages. Constructed records are marked "
    "(constructed / demo): they are not real alerts."
)
NOTHING_PUBLISHED = (
    "No data published yet. Run `./run demo` (or `outages demo --no-serve`) first, then "
    "reload this page."
)
NO_DATA_IS_NOT_NO_OUTAGE = (
    "No data is not no outage: a place with no reports is a place we heard nothing about."
)


def page(title: str, intro: str | None = None) -> data.Published | None:
    """Title, data version and demo label; None (with a note shown) when nothing is published."""
    st.title(title)
    pub = data.current()
    if pub is None:
        st.info(NOTHING_PUBLISHED, icon=":material/info:")
        return None
    if intro:
        st.caption(intro)
    if data.any_constructed(pub):
        st.warning(DEMO_LABEL, icon=":material/science:")
    return pub


def version_line(pub: data.Published) -> str:
    return f"Data version {format_version(pub.published_at)}"


def format_version(published_at: str | None) -> str:
    if not published_at:
        return "unknown"
    try:
        moment = datetime.fromisoformat(published_at)
    except ValueError:
        return published_at
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def duration_text(minutes: Any) -> str:
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)) or pd.isna(minutes):
        return "unknown"
    minutes = int(minutes)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def when(value: Any) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def cause_text(cause: Any) -> str:
    if cause is None or pd.isna(cause):
        return "unknown"
    return taxonomy.cause_label(str(cause))


def as_list(value: Any) -> list:
    """A list from what DuckDB gives for a LIST column (None, a list or a numpy array)."""
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    return list(value)


def empty_note(what: str) -> None:
    st.info(f"The published database has no {what} yet.", icon=":material/info:")
