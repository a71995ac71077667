"""Trends: patterns over time, as Altair (Vega-Lite) charts, each downloadable with its data.

URL parameters: states (repeatable USPS codes), years=FIRST&years=LAST, constructed=true
(include the constructed demo examples; the real record alone by default).
Incidents are placed by the local date they began. Every count is of incidents, each once
(a 50-state outage is one incident), except where a chart is split by state: there a
multi-state incident counts in each state it touched, and the chart says "touching".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from warehouse import bundle
from webapp import cube, data, ui

TOP_STATES = 8
TOP_PROVIDERS = 15
TOP_PLACES = 15
DURATION_BINS = [
    (0, 30, "under 30 min"),
    (30, 60, "30–60 min"),
    (60, 120, "1–2 h"),
    (120, 240, "2–4 h"),
    (240, 480, "4–8 h"),
    (480, 1440, "8–24 h"),
    (1440, 10**9, "over 24 h"),
]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

YEARS_SQL = """
SELECT (SELECT min(year(started_on)) FROM incidents AS i WHERE /*scope*/) AS first,
       (SELECT max(year(started_on)) FROM incidents AS i WHERE /*scope*/) AS last,
       (SELECT list(DISTINCT s ORDER BY s) FROM incidents AS i, unnest(state_codes) AS t(s)
        WHERE /*scope*/) AS states
"""


def where_clause(
    states: list[str], years: tuple[int, int], scope: str = "true"
) -> tuple[str, list[Any]]:
    where = [
        "i.started_on >= make_date(?, 1, 1)",
        "i.started_on < make_date(? + 1, 1, 1)",
        f"({scope})",
    ]
    params: list[Any] = [int(years[0]), int(years[1])]
    if states:
        where.append("list_has_any(i.state_codes, ?::VARCHAR[])")
        params.append(list(states))
    return " AND ".join(where), params


def state_filter(states: list[str]) -> tuple[str, list[Any]]:
    """For charts split by state: keep only the chosen states' parts."""
    return ("AND list_contains(?::VARCHAR[], s)", [list(states)]) if states else ("", [])


def time_zones_values() -> str:
    """A VALUES list of each state's main time zone (from the `us` package)."""
    import us

    rows = []
    for state in [*us.states.STATES_AND_TERRITORIES, us.states.DC]:
        if state.time_zones:
            rows.append(f"('{state.abbr}', '{state.time_zones[0]}')")
    return ", ".join(rows)


# ---------------------------------------------------------------------------- queries
def by_month(pub: data.Published, where: str, params: list):
    """Incidents per month, each counted once (a 50-state outage is one incident)."""
    return data.query(
        pub,
        f"""
        SELECT date_trunc('month', i.started_on) AS month, count(*) AS incidents
        FROM incidents AS i WHERE {where} GROUP BY ALL ORDER BY 1
        """,
        params,
    )


def by_state_month(pub: data.Published, where: str, params: list, states: list[str]):
    """Incidents touching each state per month: the TOP_STATES states with the most, the
    rest as "other" (the incidents touching any of them, each once per month)."""
    extra, extra_params = state_filter(states)
    return data.query(
        pub,
        f"""
        WITH parts AS (
            SELECT i.incident_id, date_trunc('month', i.started_on) AS month, s AS state
            FROM incidents AS i, unnest(i.state_codes) AS t(s)
            WHERE {where} {extra}
        ),
        top AS (
            SELECT state FROM parts GROUP BY state
            ORDER BY count(*) DESC, state LIMIT {TOP_STATES}
        )
        SELECT month, CASE WHEN state IN (SELECT state FROM top) THEN state ELSE 'other' END
                   AS state,
               count(DISTINCT incident_id) AS incidents
        FROM parts GROUP BY ALL ORDER BY 1, 2
        """,
        params + extra_params,
    )


def by_cause_month(pub: data.Published, where: str, params: list):
    return data.query(
        pub,
        f"""
        SELECT date_trunc('month', i.started_on) AS month,
               coalesce(i.cause, 'unknown') AS cause, count(*) AS incidents
        FROM incidents AS i WHERE {where} GROUP BY ALL ORDER BY 1, 2
        """,
        params,
    ).assign(cause=lambda f: f["cause"].map(ui.cause_text))


def by_year(pub: data.Published, where: str, params: list, years: tuple[int, int]):
    frame = data.query(
        pub,
        f"SELECT year(i.started_on) AS year, count(*) AS incidents FROM incidents AS i "
        f"WHERE {where} GROUP BY ALL ORDER BY 1",
        params,
    )
    # every year of the range, with its zero: a year without a story is shown as one
    counts = dict(zip(frame["year"].astype(int), frame["incidents"].astype(int), strict=True))
    return pd.DataFrame(
        {
            "year": list(range(years[0], years[1] + 1)),
            "incidents": [counts.get(y, 0) for y in range(years[0], years[1] + 1)],
        }
    )


def by_cause(pub: data.Published, where: str, params: list):
    return data.query(
        pub,
        f"SELECT coalesce(i.cause, 'unknown') AS cause, count(*) AS incidents "
        f"FROM incidents AS i WHERE {where} GROUP BY ALL ORDER BY incidents DESC, cause",
        params,
    ).assign(cause=lambda f: f["cause"].map(ui.cause_text))


def by_state(pub: data.Published, where: str, params: list, states: list[str]):
    extra, extra_params = state_filter(states)
    return data.query(
        pub,
        f"SELECT s AS state, count(*) AS incidents FROM incidents AS i, "
        f"unnest(i.state_codes) AS t(s) WHERE {where} {extra} "
        f"GROUP BY ALL ORDER BY incidents DESC, state",
        params + extra_params,
    )


def by_provider(pub: data.Published, where: str, params: list):
    frame = data.query(
        pub,
        f"""
        SELECT coalesce(i.provider, 'not named') AS provider, count(*) AS incidents,
               round(sum(i.duration_minutes) / 60.0, 1) AS outage_hours
        FROM incidents AS i WHERE {where} GROUP BY ALL ORDER BY incidents DESC, provider
        """,
        params,
    )
    return frame.head(TOP_PROVIDERS)


def durations(pub: data.Published, where: str, params: list):
    frame = data.query(
        pub,
        f"SELECT i.duration_minutes FROM incidents AS i WHERE {where}",
        params,
    )
    rows = []
    minutes = frame["duration_minutes"]
    for order, (low, high, label) in enumerate(DURATION_BINS):
        rows.append(
            {
                "order": order,
                "duration": label,
                "incidents": int(((minutes >= low) & (minutes < high)).sum()),
            }
        )
    rows.append(
        {"order": len(DURATION_BINS), "duration": "unknown", "incidents": int(minutes.isna().sum())}
    )
    return pd.DataFrame(rows)


def hour_weekday(pub: data.Published, where: str, params: list):
    frame = data.query(
        pub,
        f"""
        WITH zones(state, zone) AS (VALUES {time_zones_values()}),
        local AS (
            SELECT timezone(coalesce(z.zone, 'UTC'), i.started_at) AS t
            FROM incidents AS i LEFT JOIN zones AS z ON z.state = i.state_codes[1]
            WHERE {where} AND i.started_at IS NOT NULL
        )
        SELECT isodow(t) AS dow, hour(t) AS hour, count(*) AS incidents
        FROM local GROUP BY ALL ORDER BY 1, 2
        """,
        params,
    )
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["dow", "hour"])
    frame = frame.set_index(["dow", "hour"]).reindex(grid, fill_value=0).reset_index()
    return frame.assign(weekday=lambda f: f["dow"].map(lambda d: WEEKDAYS[int(d) - 1]))


def repeat_places(pub: data.Published, where: str, params: list, states: list[str]):
    extra = "AND list_contains(?::VARCHAR[], ic.state_code)" if states else ""
    counties = data.query(
        pub,
        f"""
        SELECT coalesce(ic.county_name, c.county_name, ic.county_fips) || ', ' || ic.state_code
                   AS place,
               ic.county_fips AS fips, count(DISTINCT i.incident_id) AS incidents
        FROM incidents AS i
        JOIN incident_counties AS ic USING (incident_id)
        LEFT JOIN counties AS c ON c.county_fips = ic.county_fips
        WHERE {where} {extra}
        GROUP BY ALL HAVING count(DISTINCT i.incident_id) > 1
        ORDER BY incidents DESC, place LIMIT {TOP_PLACES}
        """,
        params + ([list(states)] if states else []),
    )
    extra, extra_params = state_filter(states)
    state_rows = data.query(
        pub,
        f"""
        SELECT s AS state, count(*) AS incidents
        FROM incidents AS i, unnest(i.state_codes) AS t(s)
        WHERE {where} {extra}
        GROUP BY ALL HAVING count(*) > 1
        ORDER BY incidents DESC, state LIMIT {TOP_PLACES}
        """,
        params + extra_params,
    )
    return counties, state_rows


def year_over_year(pub: data.Published, where: str, params: list):
    return data.query(
        pub,
        f"""
        SELECT year(i.started_on) AS year, month(i.started_on) AS month, count(*) AS incidents
        FROM incidents AS i WHERE {where} GROUP BY ALL ORDER BY 1, 2
        """,
        params,
    ).assign(
        year=lambda f: f["year"].astype(str),
        month_name=lambda f: f["month"].map(lambda m: MONTHS[int(m) - 1]),
    )


# ---------------------------------------------------------------------------- charts
def safe_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV, with cells a spreadsheet would run as a formula neutralized (a
    leading quote), as `outages export` writes them."""
    from warehouse.export import neutralize_cell

    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralize_cell)
    return safe.to_csv(index=False).encode()


def chart_block(
    title: str, note: str, make: Callable[[], alt.Chart], frame: pd.DataFrame, name: str
) -> None:
    """A chart with its downloads: PNG and SVG (drawn on request), and its data as CSV; and
    the coverage sentence (what the counts are, and are not)."""
    with st.container(border=True, key=f"chart_{name}"):
        st.markdown(f"**{title}**")
        st.caption(" ".join(filter(None, [note, ui.COVERAGE_NOTE])))
        if frame.empty:
            st.write("No incidents for these filters.")
            return
        chart = make()
        st.altair_chart(chart, width="stretch")
        spec = chart.to_dict()
        pub = data.current()
        # The files say what they are: the image carries the title and the credit line
        # (project, data version, licence); every file name the data version.
        credit = ui.download_credit(pub) if pub else bundle.PROJECT
        spec = {**spec, "title": {"text": title, "subtitle": credit}}

        def file_name(extension: str) -> str:
            return ui.download_name(pub, name, extension) if pub else f"{name}.{extension}"

        cols = st.columns([1, 1, 1, 2])
        cols[0].download_button(
            "PNG",
            data=lambda: render_chart(spec, "png"),
            file_name=file_name("png"),
            mime="image/png",
            key=f"{name}_png",
            icon=":material/image:",
            on_click="ignore",
            width="stretch",
        )
        cols[1].download_button(
            "SVG",
            data=lambda: render_chart(spec, "svg"),
            file_name=file_name("svg"),
            mime="image/svg+xml",
            key=f"{name}_svg",
            icon=":material/draw:",
            on_click="ignore",
            width="stretch",
        )
        cols[2].download_button(
            "Data (CSV)",
            data=safe_csv(frame),
            file_name=file_name("csv"),
            mime="text/csv",
            key=f"{name}_csv",
            icon=":material/table:",
            on_click="ignore",
            width="stretch",
        )


def render_chart(spec: dict, fmt: str) -> bytes:
    """The chart as SVG or PNG, drawn with vl-convert (Vega-Lite in-process, offline)."""
    import vl_convert as vlc

    spec = dict(spec, width=720) if spec.get("width") == "container" else spec
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode()
    return vlc.vegalite_to_png(spec, scale=2)


def naive_month(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(month=pd.to_datetime(frame["month"]).dt.tz_localize(None))


def stacked_months(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    return (
        alt.Chart(naive_month(frame))
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("sum(incidents):Q", title="incidents", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(f"{field}:N", title=title, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="month"),
                alt.Tooltip(f"{field}:N", title=title),
                alt.Tooltip("sum(incidents):Q", title="incidents"),
            ],
        )
        .properties(height=280)
    )


def state_months_grid(frame: pd.DataFrame) -> alt.Chart:
    """Incidents touching each state, month by month, as a grid: not stacked, since a
    multi-state incident is in several rows and the rows do not add up."""
    totals = frame.groupby("state")["incidents"].sum().sort_values(ascending=False)
    order = [s for s in totals.index if s != "other"] + (["other"] if "other" in totals else [])
    return (
        alt.Chart(naive_month(frame))
        .mark_rect()
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("state:N", sort=order, title=None),
            color=alt.Color(
                "incidents:Q",
                title="incidents touching the state",
                scale=alt.Scale(scheme="orangered"),
                legend=alt.Legend(orient="bottom", tickMinStep=1),
            ),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="month"),
                alt.Tooltip("state:N", title="state"),
                alt.Tooltip("incidents:Q", title="incidents touching the state"),
            ],
        )
        .properties(height=alt.Step(22))
    )


def horizontal_bars(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{field}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("incidents:Q", title="incidents", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip(f"{field}:N", title=title), "incidents:Q"],
        )
        .properties(height=alt.Step(24))
    )


# ---------------------------------------------------------------------------- page
def render() -> None:
    pub = ui.page(
        "Trends",
        "Patterns in the outages we know of. These are counts of reported outages, not of all "
        "outages: sources differ by state and over time (see coverage on the About page).",
    )
    if pub is None:
        return
    scope = ui.incident_scope(ui.record_banner(pub))
    span = data.query(pub, cube.scoped(YEARS_SQL, scope)).iloc[0]
    if pd.isna(span["first"]):
        ui.empty_note("incidents")
        return
    first, last = int(span["first"]), int(span["last"])
    left, right = st.columns([2, 3])
    states = left.multiselect(
        "States",
        ui.as_list(span["states"]),
        key="states",
        bind="query-params",
        placeholder="all states",
    )
    years = (first, last)
    if last > first:
        years = right.select_slider(
            "Years",
            options=list(range(first, last + 1)),
            value=(first, last),
            key="years",
            bind="query-params",
        )
    where, params = where_clause(states, years, scope)
    total = int(data.scalar(pub, f"SELECT count(*) FROM incidents AS i WHERE {where}", params))
    st.caption(
        f"{total:,} incident{'s' * (total != 1)} began in {years[0]}–{years[1]}"
        + (f" in {', '.join(states)}" if states else "")
        + ". Every chart can be saved as PNG or SVG, with its data as CSV."
    )
    if scope == "true" and data.any_constructed(pub):
        st.caption("Demo data: incidents built from constructed reports are included.")

    yearly = by_year(pub, where, params, years)
    chart_block(
        "Incidents per year",
        "By the local date each outage began.",
        lambda: (
            alt.Chart(yearly)
            .mark_bar()
            .encode(
                x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("incidents:Q", axis=alt.Axis(tickMinStep=1)),
                tooltip=["year:O", "incidents:Q"],
            )
            .properties(height=260)
        ),
        yearly,
        "incidents-per-year",
    )
    col1, col2 = st.columns(2)
    with col1:
        cause_totals = by_cause(pub, where, params)
        chart_block(
            "Incidents by cause",
            "The cause from the most reliable source that states one; unknown where none does.",
            lambda: horizontal_bars(cause_totals, "cause", "cause"),
            cause_totals,
            "incidents-by-cause",
        )
    with col2:
        state_totals = by_state(pub, where, params, states)
        chart_block(
            "Incidents touching each state",
            "A multi-state incident counts in each state it touched, so the bars add up to "
            "more than the incidents.",
            lambda: horizontal_bars(state_totals, "state", "state"),
            state_totals,
            "incidents-by-state",
        )

    monthly = by_month(pub, where, params)
    chart_block(
        "Incidents per month",
        "Each incident counted once, by the local date it began, however many states it touched.",
        lambda: (
            alt.Chart(naive_month(monthly))
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):T", title=None),
                y=alt.Y("incidents:Q", axis=alt.Axis(tickMinStep=1)),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "incidents:Q"],
            )
            .properties(height=260)
        ),
        monthly,
        "incidents-per-month",
    )
    months = by_state_month(pub, where, params, states)
    chart_block(
        "Incidents touching each state, per month",
        f"The {TOP_STATES} states with the most, the rest as other. A multi-state incident "
        "appears in each state it touched, so the rows add up to more than the incidents per "
        "month above.",
        lambda: state_months_grid(months),
        months,
        "incidents-by-state-month",
    )
    causes = by_cause_month(pub, where, params)
    chart_block(
        "Incidents per month, by cause",
        "The cause from the most reliable source that gives one.",
        lambda: stacked_months(causes, "cause", "cause"),
        causes,
        "incidents-by-cause-month",
    )
    providers = by_provider(pub, where, params)
    chart_block(
        "Incidents by provider",
        "The carrier or 911 vendor named by the sources.",
        lambda: horizontal_bars(providers, "provider", "provider"),
        providers,
        "incidents-by-provider",
    )
    col1, col2 = st.columns(2)
    with col1:
        spread = durations(pub, where, params)
        chart_block(
            "How long outages last",
            "From the stated start to the all-clear or stated end.",
            lambda: (
                alt.Chart(spread)
                .mark_bar()
                .encode(
                    x=alt.X(
                        "duration:N",
                        sort=alt.SortField("order"),
                        title=None,
                        axis=alt.Axis(labelAngle=-30),
                    ),
                    y=alt.Y("incidents:Q"),
                    tooltip=["duration:N", "incidents:Q"],
                )
                .properties(height=260)
            ),
            spread,
            "incidents-by-duration",
        )
    with col2:
        clock = hour_weekday(pub, where, params)
        chart_block(
            "When outages begin",
            "Hour of day and day of week, local time of the first state named.",
            lambda: (
                alt.Chart(clock)
                .mark_rect()
                .encode(
                    x=alt.X("hour:O", title="hour (local)", axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("weekday:N", sort=WEEKDAYS, title=None),
                    color=alt.Color(
                        "incidents:Q",
                        scale=alt.Scale(scheme="orangered"),
                        legend=alt.Legend(tickMinStep=1),
                    ),
                    tooltip=["weekday:N", "hour:O", "incidents:Q"],
                )
                .properties(height=220)
            ),
            clock,
            "incidents-by-hour-weekday",
        )
    counties, state_rows = repeat_places(pub, where, params, states)
    col1, col2 = st.columns(2)
    with col1:
        chart_block(
            "Counties with repeat outages",
            "Counties with more than one incident in the period.",
            lambda: horizontal_bars(counties, "place", "county"),
            counties,
            "repeat-outages-counties",
        )
    with col2:
        chart_block(
            "States with repeat outages",
            "States touched by more than one incident in the period (a multi-state incident "
            "counts in each).",
            lambda: horizontal_bars(state_rows, "state", "state"),
            state_rows,
            "repeat-outages-states",
        )
    yoy = year_over_year(pub, where, params)
    chart_block(
        "Year over year",
        "Incidents per calendar month, one line per year.",
        lambda: (
            alt.Chart(yoy)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "month_name:O",
                    title=None,
                    sort=MONTHS,
                    scale=alt.Scale(domain=MONTHS),
                    axis=alt.Axis(labelAngle=0),
                ),
                y=alt.Y("incidents:Q", axis=alt.Axis(tickMinStep=1)),
                color=alt.Color("year:N", legend=alt.Legend(orient="bottom")),
                tooltip=["year:N", alt.Tooltip("month_name:O", title="month"), "incidents:Q"],
            )
            .properties(height=260)
        ),
        yoy,
        "incidents-year-over-year",
    )
    st.caption(ui.version_line(pub))
