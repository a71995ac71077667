"""Map: outages by county or state over a chosen period, animated over the whole history.

URL parameters (all optional; the first four are widgets bound to the URL, by their labels):
    level=Counties|States, metric=Outages|Outage hours|People affected, step=Month|Week,
    period=START&period=END (labels of the step: 2024-04 for months, 2024-04-15 for weeks),
    sel=FIPS or USPS code (the selected county or state; its outages are listed),
    place=FIPS (the county of the place box at the top, webapp/place.py).

First on the page, under the title: the place box and its one-sentence answer ("is 911
down where I am, and what do I do instead?"), so that on a phone they are above the fold.

The numbers come from `webapp/cube.py` (built once per published version); the map is the
component in `webapp/mapview.py` (outlines sent once; each rerun sends values only).
"""

from __future__ import annotations

import functools
import time
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from warehouse.display import md_text
from warehouse.localtime import incident_zone, zone_text
from webapp import data, place, ui
from webapp.cube import cube, scoped
from webapp.mapview import BLIND_LABEL, choropleth, coverage_arg

LEVELS = {"county": "Counties", "state": "States"}
METRICS = {
    "outages": ("Outages", "outages", True),
    "hours": ("Outage hours", "hours", False),
    "people": ("People affected", "people", True),
}
METRIC_HELP = (
    "Outages: incidents that began in the period (an incident that spans several counties "
    "counts once in each). Outage hours: their summed duration, where the end is known. "
    "People affected: the population of each county hit, once per outage."
)
STEPS = {"month": "Month", "week": "Week"}
LEVEL_LABELS = {label: level for level, label in LEVELS.items()}
METRIC_LABELS = {spec[0]: metric for metric, spec in METRICS.items()}
STEP_LABELS = {label: step for step, label in STEPS.items()}
PLAY_SECONDS = {"month": 1.0, "week": 0.6}  # one animation step
ACTIVE_WINDOW = timedelta(hours=24)
MAP_HEIGHT = 560
DEMO_LINE = (
    "**Demo data**: real recorded alerts mixed with ones this project *constructed* "
    "(marked demo; not real alerts)."
)

SELECTED_COUNTY_SQL = """
SELECT DISTINCT i.incident_id, i.title, i.started_at, i.duration_minutes, i.cause,
       i.provider, i.source_count, i.confidence, i.constructed_reports > 0 AS demo
FROM incidents AS i
JOIN incident_counties AS ic USING (incident_id)
LEFT JOIN county_aliases AS a ON a.county_fips = ic.county_fips
WHERE coalesce(a.shape_fips, ic.county_fips) = ? AND i.started_on >= ? AND i.started_on < ?
  AND /*scope*/
ORDER BY i.started_at DESC NULLS LAST
LIMIT 500
"""

SELECTED_STATE_SQL = """
SELECT i.incident_id, i.title, i.started_at, i.duration_minutes, i.cause, i.provider,
       i.source_count, i.confidence, i.constructed_reports > 0 AS demo
FROM incidents AS i
WHERE list_contains(i.state_codes, ?) AND i.started_on >= ? AND i.started_on < ?
  AND /*scope*/
ORDER BY i.started_at DESC NULLS LAST
LIMIT 500
"""

ACTIVE_SQL = """
SELECT incident_id, title, started_at, state_codes, authoritative_backup_number,
       authoritative_backup_source, authoritative_backup_at,
       (SELECT list(ic.county_fips ORDER BY ic.county_fips) FROM incident_counties AS ic
        WHERE ic.incident_id = i.incident_id) AS counties,
       coalesce(last_reported_at, started_at) AS last_report, constructed_reports > 0 AS demo
FROM incidents AS i
WHERE ended_at IS NULL AND coalesce(last_reported_at, started_at) >= ?
  AND coalesce(corroborated, false) AND /*scope*/
ORDER BY started_at DESC
"""

INCIDENT_COLUMNS = {
    "started_at": st.column_config.DatetimeColumn("start (UTC)", format="YYYY-MM-DD HH:mm"),
    "title": st.column_config.TextColumn("incident", width="large"),
    "duration": st.column_config.TextColumn("duration"),
    "cause": st.column_config.TextColumn("cause"),
    "provider": st.column_config.TextColumn("provider"),
    "source_count": st.column_config.NumberColumn("sources", width="small"),
    "confidence": st.column_config.ProgressColumn(
        "confidence", min_value=0.0, max_value=1.0, format="%.2f", width="small"
    ),
    "demo": st.column_config.CheckboxColumn("demo", width="small"),
    "link": st.column_config.LinkColumn("details", display_text="open", width="small"),
}


# ---------------------------------------------------------------------------- time steps
def month_steps(first: date, last: date) -> list[str]:
    steps, day = [], date(first.year, first.month, 1)
    while day <= last:
        steps.append(day.strftime("%Y-%m"))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return steps


def week_steps(first: date, last: date) -> list[str]:
    day = first - timedelta(days=first.weekday())
    steps = []
    while day <= last:
        steps.append(day.isoformat())
        day += timedelta(days=7)
    return steps


def step_options(first: date, last: date, step: str) -> list[str]:
    return list(_step_labels(first, last, step))


# Every rerun of the map (each slider step of each session) asks for the same few hundred
# labels: built once per (first, last, step), a tenth of a step's map work under a crowd.
@functools.lru_cache(maxsize=32)
def _step_labels(first: date, last: date, step: str) -> tuple[str, ...]:
    return tuple(month_steps(first, last) if step == "month" else week_steps(first, last))


def step_start(label: str) -> date:
    return date.fromisoformat(label + "-01") if len(label) == 7 else date.fromisoformat(label)


def step_end(label: str) -> date:
    """The first day after the step `label`."""
    start = step_start(label)
    if len(label) == 7:
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + timedelta(days=7)


def convert_label(label: str, step: str) -> str:
    """A period label in the other step: the month of a week, or a month's first week."""
    start = step_start(label)
    if step == "month":
        return start.strftime("%Y-%m")
    return (start - timedelta(days=start.weekday())).isoformat()


def period_text(start: str, end: str, step: str) -> str:
    if step == "week":
        first, stop = step_start(start), step_end(end) - timedelta(days=1)
        return f"from {first:%Y-%m-%d} to {stop:%Y-%m-%d}"
    return f"in {start}" if start == end else f"from {start} to {end}"


# ---------------------------------------------------------------------------- page
def render() -> None:
    # The page's own head, not ui.page(): on a phone the title, the place box and its
    # answer come first (issue 18); the demo label and the banners follow, each short.
    st.title("911 outage map")
    pub = data.current()
    if pub is None:
        st.info(ui.NOTHING_PUBLISHED, icon=":material/info:")
        return
    top = st.container()
    if data.any_constructed(pub):
        st.warning(DEMO_LINE, icon=":material/science:")
    scope = ui.incident_scope(ui.record_banner(pub))
    st.session_state["map_scope"] = scope
    with top:
        place.place_box(pub, scope)
    active_banner(pub, scope)
    numbers = cube(pub, scope)
    if numbers.first is None:
        ui.empty_note("reports")
        return
    init_state()
    playing = bool(st.session_state.get("map_playing"))
    st.session_state["map_timer_on"] = playing
    interval = PLAY_SECONDS[STEP_LABELS.get(st.session_state.get("step") or "", "month")]
    fragment = st.fragment(map_view, run_every=interval if playing else None)
    fragment(pub, numbers.first, numbers.last)
    st.caption(
        f"{ui.version_line(pub)}. Counties are the Census 2017 shapes; Connecticut's planning "
        "regions are drawn on the counties they overlap. The answer and the banner give local "
        "times; the tables give UTC. Outages are placed by the local date they began."
    )


def init_state() -> None:
    """The selection comes from the URL once; later it follows the clicks on the map."""
    if "map_sel" not in st.session_state:
        st.session_state["map_sel"] = st.query_params.get("sel") or None


def active_banner(pub: data.Published, scope: str = "true") -> None:
    # The place box's clock (whole minutes: the cache key changes once a minute; tests set it)
    now = place.now()
    active = data.query(pub, scoped(ACTIVE_SQL, scope), (now - ACTIVE_WINDOW,))
    if len(active):
        lines = [active_line(row) for row in active.itertuples()]
        st.error(
            "**911 outages reported active now** (no all-clear yet):\n\n"
            + "\n\n".join(f"- {line}" for line in lines),
            icon=":material/emergency:",
        )
    else:
        st.success(
            "No 911 outage reported active anywhere we watch "
            f"(data of {ui.format_version(pub.published_at)}). If 911 does not answer, call "
            "again or text 911 where available (About).",
            icon=":material/check_circle:",
        )


def active_line(row) -> str:
    """One incident of the banner, its source text escaped. The backup number is shown as an
    instruction only when it is authoritative (warehouse/incidents.py, the backup-number
    rule), with who gave it and when."""
    # Local time of the incident's places when they share one zone, else UTC
    zone = incident_zone(ui.as_list(row.state_codes), ui.as_list(row.counties))
    line = (
        f"**{md_text(', '.join(row.state_codes))}**: {md_text(row.title)} "
        f"(since {md_text(zone_text(row.started_at, zone) or 'unknown')})"
    )
    number = row.authoritative_backup_number
    if isinstance(number, str) and number:
        at = row.authoritative_backup_at
        stamp = f", {zone_text(at, zone)}" if at is not None and not pd.isna(at) else ""
        line += (
            f". If you cannot reach 911 there, call **{md_text(number)}** "
            f"(per {md_text(row.authoritative_backup_source)}{md_text(stamp)})"
        )
    if row.demo:
        line += " *(demo data)*"
    return line


def stop_playing() -> None:
    st.session_state["map_playing"] = False


def toggle_play(options: list[str]) -> None:
    if st.session_state.get("map_playing"):
        st.session_state["map_playing"] = False
        return
    start, end = st.session_state.get("period", (options[0], options[-1]))
    index = options.index(start) if start in options and start != end else 0
    if start == end and start == options[-1]:
        index = 0
    st.session_state["map_play_index"] = index
    st.session_state["map_play_at"] = 0.0
    st.session_state["map_playing"] = True


def change_step() -> None:
    """Keep the period when switching between months and weeks."""
    stop_playing()
    step = STEP_LABELS.get(st.session_state.get("step") or "", "month")
    period = st.session_state.get("period_last")
    if period:
        st.session_state["period"] = tuple(convert_label(label, step) for label in period)


def change_level() -> None:
    st.session_state["map_sel"] = None
    st.query_params.pop("sel", None)


def map_view(pub: data.Published, first: date, last: date) -> None:
    playing = bool(st.session_state.get("map_playing"))
    if st.session_state.get("map_timer_on", False) != playing:
        st.rerun()  # start or stop the play timer: the fragment is registered again
    cols = st.columns([1.1, 2.2, 1, 1.1], vertical_alignment="bottom")
    # The options are the labels themselves: a bound widget writes its label to the URL
    # (?level=States&metric=Outage+hours&step=Week).
    with cols[0]:
        level_label = st.segmented_control(
            "Show",
            list(LEVEL_LABELS),
            default="Counties",
            key="level",
            bind="query-params",
            on_change=change_level,
            required=True,
        )
    with cols[1]:
        # Segmented, not a select box: a select box's frontend code is some twenty more files
        # for the browser to fetch before the page (and the map) can show.
        metric_label = st.segmented_control(
            "Measure",
            list(METRIC_LABELS),
            default="Outages",
            key="metric",
            bind="query-params",
            help=METRIC_HELP,
            required=True,
        )
    with cols[2]:
        step_label = st.segmented_control(
            "Step",
            list(STEP_LABELS),
            default="Month",
            key="step",
            bind="query-params",
            on_change=change_step,
            required=True,
        )
    level = LEVEL_LABELS.get(level_label or "", "county")
    metric = METRIC_LABELS.get(metric_label or "", "outages")
    step = STEP_LABELS.get(step_label or "", "month")
    options = step_options(first, last, step)
    if playing:
        advance(options, PLAY_SECONDS[step])
    current = st.session_state.get("period")
    if current is not None and (
        not isinstance(current, tuple | list) or any(label not in options for label in current)
    ):
        del st.session_state["period"]
    with cols[3]:
        label = "Pause" if playing else "Play"
        st.button(
            label,
            icon=":material/pause:" if playing else ":material/play_arrow:",
            on_click=toggle_play,
            args=(options,),
            key="play",
            help=f"Animate {step} by {step} across the whole history",
            width="stretch",
        )
    if len(options) > 1:
        start_label, end_label = st.select_slider(
            "Period",
            options=options,
            value=(options[0], options[-1]),
            key="period",
            bind="query-params",
            on_change=stop_playing,
            help="Drag either end; the map shows outages that began in this period.",
        )
    else:
        start_label = end_label = options[0]
    st.session_state["period_last"] = (start_label, end_label)
    start, end = step_start(start_label), step_end(end_label)

    scope = st.session_state.get("map_scope", "true")
    layer = cube(pub, scope).layer(level)
    frame = layer.values(start, end)
    title, unit, integer = METRICS[metric]
    ids = layer.places
    series = dict(zip(frame["id"].tolist(), frame[metric].tolist(), strict=True))
    seen = layer.covered(start, end, step)
    seen[frame["place"].to_numpy()] = True  # an outage report is coverage too
    one_step = start_label == end_label
    peak = layer.peaks(step)[metric] if one_step else None

    selected = take_click(level)
    if selected and selected not in set(ids["id"]):
        # ?sel= from the URL is validated against the map's own places: an unknown value
        # selects nothing (and is never shown).
        selected = None
        st.session_state["map_sel"] = None
        st.query_params.pop("sel", None)
    stamp = f"{level}|{metric}|{start_label}|{end_label}|{selected or ''}"
    choropleth(
        level=level,
        values=series,
        legend_title=f"{title} ({period_text(start_label, end_label, step)})",
        value_unit=unit,
        integer=integer,
        peak=peak,
        coverage=coverage_arg(layer.ids, seen),
        selected=selected,
        height=MAP_HEIGHT,
        stamp=stamp,
        key="map",
    )
    blind = int((~seen).sum())
    noun = "counties" if level == "county" else "states"
    caption = (
        f"**{len(series)} {noun}** with outages that began "
        f"{period_text(start_label, end_label, step)}; **{blind} {noun}** with "
        f"{BLIND_LABEL} in that period (hatched). {ui.NO_DATA_IS_NOT_NO_OUTAGE} "
        "Click a place (or Tab to the map, move with the arrow keys, press Enter) to list its "
        "outages; Ctrl + scroll or the buttons zoom."
    )
    if level == "county" and (named_states := cube(pub, scope).state_only(start, end)):
        caption += (
            f" {named_states} outage{'s' * (named_states != 1)} in this period name"
            f"{'s' * (named_states == 1)} states but no county: see the state map."
        )
    if layer.undrawn:
        caption += f" Not drawn (no shape): {', '.join(layer.undrawn)}."
    st.caption(caption)
    if selected:
        selection_panel(pub, level, selected, ids, start, end, start_label, end_label, step)
    values_table(pub, frame, ids, level, metric, start_label, end_label)


def advance(options: list[str], seconds: float) -> None:
    """One step of the animation (at most one per `seconds`, whatever reran us)."""
    now = time.monotonic()
    index = int(st.session_state.get("map_play_index", 0))
    if now - float(st.session_state.get("map_play_at", 0.0)) < seconds * 0.8:
        index = max(index - 1, 0)
    else:
        st.session_state["map_play_at"] = now
    index = min(index, len(options) - 1)
    st.session_state["period"] = (options[index], options[index])
    if index >= len(options) - 1:
        st.session_state["map_playing"] = False
    st.session_state["map_play_index"] = index + 1


def take_click(level: str) -> str | None:
    """The selection: the latest click on the map (a new nonce), else what we had."""
    click = st.session_state.get("map")
    if isinstance(click, dict) and click.get("nonce") != st.session_state.get("map_nonce"):
        st.session_state["map_nonce"] = click.get("nonce")
        if click.get("level") == level:
            st.session_state["map_sel"] = click.get("id")
    selected = st.session_state.get("map_sel")
    if selected and (len(selected) == 5) != (level == "county"):
        selected = None  # a county code on the state map or the other way round
    if selected:
        st.query_params["sel"] = selected
    else:
        st.query_params.pop("sel", None)
    return selected


def selection_panel(
    pub: data.Published,
    level: str,
    selected: str,
    ids: pd.DataFrame,
    start: date,
    end: date,
    start_label: str,
    end_label: str,
    step: str,
) -> None:
    row = ids[ids["id"] == selected]
    name = selected
    if len(row):
        name = row["name"].iloc[0] + (f", {row['state_code'].iloc[0]}" if level == "county" else "")
    sql = SELECTED_COUNTY_SQL if level == "county" else SELECTED_STATE_SQL
    scope = st.session_state.get("map_scope", "true")
    found = data.query(pub, scoped(sql, scope), (selected, start, end))
    with st.container(border=True):
        head, button = st.columns([5, 1], vertical_alignment="center")
        head.subheader(
            f"{md_text(name)}: {len(found)} outage{'s' * (len(found) != 1)}", anchor=False
        )
        button.button("Clear", key="clear_sel", on_click=clear_selection, icon=":material/close:")
        st.caption(f"Outages that began {period_text(start_label, end_label, step)}.")
        # The place page: its whole history, sources, gaps, feed and downloads.
        st.page_link(
            "webapp/pages/place.py",
            label=f"Open the page of {name}",
            icon=":material/location_city:",
            query_params={"county" if level == "county" else "state": selected},
        )
        if found.empty:
            st.write(
                "No outage reports for this place in this period. " + ui.NO_DATA_IS_NOT_NO_OUTAGE
            )
            return
        table = found.assign(
            duration=found["duration_minutes"].map(ui.duration_text),
            cause=found["cause"].map(ui.cause_text),
            link="incidents?id=" + found["incident_id"],
        )
        st.dataframe(
            table,
            hide_index=True,
            column_config=INCIDENT_COLUMNS,
            column_order=list(INCIDENT_COLUMNS),
            width="stretch",
        )
        first = found.iloc[0]
        st.page_link(
            "webapp/pages/incidents.py",
            label=f"Open the latest: {first['title']}",
            icon=":material/open_in_new:",
            query_params={"id": first["incident_id"]},
        )


def clear_selection() -> None:
    st.session_state["map_sel"] = None


def values_table(
    pub: data.Published,
    frame: pd.DataFrame,
    ids: pd.DataFrame,
    level: str,
    metric: str,
    start: str,
    end: str,
) -> None:
    if st.toggle("Show the numbers behind the map", key="map_numbers"):
        if frame.empty:
            st.write("No outages in this period.")
            return
        names = ids.set_index("id")
        table = frame.join(names, on="id").sort_values(metric, ascending=False)
        columns = ["id", "name"] + (["state_code"] if level == "county" else [])
        columns += list(METRICS)
        table = table[columns].rename(columns={"id": "fips" if level == "county" else "state"})
        st.dataframe(table, hide_index=True, width="stretch", height=300)
        st.download_button(
            "Download as CSV",
            table.to_csv(index=False).encode(),
            file_name=ui.download_name(pub, f"outages-by-{level}-{start}-{end}", "csv"),
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
        st.caption(f"{md_text(ui.download_credit(pub))} (see Downloads).")
