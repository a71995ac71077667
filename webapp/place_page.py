"""Places: one page per state and per county, at a stable URL (`place?state=MA`,
`place?county=25025`), the way PowerOutage.us gives each area its page.

A place page shows the outages reported active there now, its incidents per month (each
incident once), the list of its incidents (cause labels and source titles, each linking to
its incident page), the sources that cover it and since when, the months in which no source
told us anything about it (the map's "no source coverage": `webapp/cube.py`, read from the
build's `coverage_spans`), its Atom feed, and its incidents as CSV and on the SQL page.

URL parameters: state (a USPS code), county (a 5-digit FIPS code; wins over state),
constructed=true (include the constructed demo examples). Both codes are checked against
the published reference tables (`states`, `counties`); an unknown one gets a plain message
that does not repeat what was given. Without a parameter the page lists the states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from warehouse import taxonomy
from warehouse.display import md_text
from warehouse.result_format import csv_bytes
from warehouse.settings import setting
from warehouse.sources import LAST_SUCCESS_SQL, verified_text
from webapp import data, ui
from webapp.cube import cube, scoped
from webapp.map_page import ACTIVE_SQL, ACTIVE_WINDOW, active_line

PAGE = "webapp/pages/place.py"
STATE_RE = re.compile(r"[A-Za-z]{2}")
COUNTY_RE = re.compile(r"\d{5}")
UNKNOWN_STATE = (
    "No state or territory has that code. Use a two-letter USPS code, such as "
    "`place?state=MA`, or pick a state below."
)
UNKNOWN_COUNTY = (
    "No county has that code. Use a five-digit county FIPS code, such as "
    "`place?county=25025` (Suffolk County, MA), or pick a state below."
)

STATE_SQL = "SELECT state_code, state_name FROM states WHERE state_code = ?"
# A county without a 2017 outline of its own (Connecticut's planning regions, later Alaska
# splits) is drawn, and its coverage kept, on the shape `county_aliases` names.
COUNTY_SQL = """
SELECT c.county_fips, c.county_name, c.state_code, s.state_name,
       coalesce(a.shape_fips, c.county_fips) AS shape_fips
FROM counties AS c JOIN states AS s USING (state_code)
LEFT JOIN county_aliases AS a ON a.county_fips = c.county_fips
WHERE c.county_fips = ?
"""
# Incidents touching each state (an incident in several states counts in each).
STATES_INDEX_SQL = """
WITH touching AS (
    SELECT t.state_code, count(*) AS incidents, max(i.started_on) AS latest
    FROM incidents AS i, unnest(i.state_codes) AS t(state_code)
    WHERE /*scope*/
    GROUP BY ALL
)
SELECT s.state_code, s.state_name, coalesce(t.incidents, 0) AS incidents, t.latest
FROM states AS s LEFT JOIN touching AS t USING (state_code)
ORDER BY s.state_code
"""
# The place's incidents, one row each: the page's table, its monthly chart, the CSV and the
# SQL page all read these rows (the SQL text is what the SQL page link carries).
INCIDENTS_SQL = """
SELECT i.incident_id, i.started_on, i.started_at, i.ended_at, i.duration_minutes, i.title,
       i.cause, c.label AS cause_label, i.provider, i.state_codes,
       (SELECT list(coalesce(so.title, u.s) ORDER BY u.s)
        FROM unnest(i.sources) AS u(s) LEFT JOIN sources AS so ON so.spider = u.s)
           AS source_titles,
       i.sources, i.source_count, i.confidence, i.first_report_url,
       i.constructed_reports > 0 AS demo
FROM incidents AS i LEFT JOIN causes AS c ON c.cause = i.cause
WHERE {place} AND {scope}
ORDER BY i.started_at DESC NULLS LAST, i.incident_id
"""
RECORD_SPAN_SQL = (
    "SELECT min(started_on) AS first, max(started_on) AS last FROM incidents AS i WHERE /*scope*/"
)
COUNTIES_SQL = """
SELECT ic.county_fips, coalesce(c.county_name, ic.county_name, ic.county_fips) AS county,
       count(DISTINCT i.incident_id) AS incidents, max(i.started_on) AS latest
FROM incidents AS i
JOIN incident_counties AS ic USING (incident_id)
LEFT JOIN counties AS c ON c.county_fips = ic.county_fips
WHERE ic.state_code = ? AND /*scope*/
GROUP BY ALL ORDER BY incidents DESC, county
"""
# Reports about the place per source (outage or not): for a state, the build's `state_months`
# (what the About page sums); for a county, its `report_counties` rows.
STATE_REPORTS_SQL = """
SELECT source, sum(reports)::BIGINT AS reports, min(first_published_at) AS first_report,
       max(last_published_at) AS last_report
FROM state_months WHERE state_code = ? GROUP BY source
"""
COUNTY_REPORTS_SQL = """
SELECT r.source, count(*) AS reports, min(r.published_at) AS first_report,
       max(r.published_at) AS last_report
FROM report_counties AS rc JOIN reports AS r USING (report_id)
WHERE rc.county_fips = ? GROUP BY r.source
"""
SOURCES_SQL = """
SELECT spider, title, kind, home, coverage_states, coverage_since, verified_count, checked_by
FROM sources
"""

INCIDENT_COLUMNS = {
    "started_at": st.column_config.DatetimeColumn("start (UTC)", format="YYYY-MM-DD HH:mm"),
    "title": st.column_config.TextColumn("incident", width="large"),
    "status": st.column_config.TextColumn("status"),
    "duration": st.column_config.TextColumn("duration"),
    "cause": st.column_config.TextColumn("cause"),
    "provider": st.column_config.TextColumn("provider"),
    "states": st.column_config.TextColumn("states"),
    "source_list": st.column_config.TextColumn("sources", width="medium"),
    "confidence": st.column_config.ProgressColumn(
        "confidence", min_value=0.0, max_value=1.0, format="%.2f", width="small"
    ),
    "demo": st.column_config.CheckboxColumn("demo", width="small"),
    "link": st.column_config.LinkColumn("details", display_text="open", width="small"),
}


@dataclass(frozen=True)
class Place:
    """A state or a county, as the reference tables name it."""

    level: str  # "state" or "county"
    code: str  # USPS code or county FIPS code
    name: str  # "Massachusetts" or "Suffolk County"
    state_code: str
    state_name: str
    shape: str  # its id on the map: the USPS code, or the county shape's FIPS code

    def __post_init__(self) -> None:
        # `condition` puts the code into SQL text: only a code of the reference tables' form
        if not (STATE_RE if self.level == "state" else COUNTY_RE).fullmatch(self.code):
            raise ValueError(f"not a {self.level} code")

    @property
    def title(self) -> str:
        if self.level == "county":
            return f"{self.name}, {self.state_code}"
        return f"{self.name} ({self.code})"

    @property
    def params(self) -> dict[str, str]:
        """The URL parameters of its page (for `st.page_link(PAGE, query_params=...)`)."""
        return {self.level: self.code}

    @property
    def condition(self) -> str:
        """A SQL condition on incidents `i`: those touching the place. The code is inlined
        (it was checked against the reference tables and is letters or digits only) so that
        the SQL page can be handed the very query the page runs."""
        if self.level == "county":
            return (
                "i.incident_id IN (SELECT incident_id FROM incident_counties "
                f"WHERE county_fips = '{self.code}')"
            )
        return f"list_contains(i.state_codes, '{self.code}')"


def resolve(pub: data.Published, params: Any) -> tuple[Place | None, str | None]:
    """The place the URL names, or None with a message (which never repeats the input):
    None and no message when the URL names none."""
    county = params.get("county")
    state = params.get("state")
    if county:
        text = str(county).strip()
        if COUNTY_RE.fullmatch(text):
            row = data.query(pub, COUNTY_SQL, (text,))
            if len(row):
                r = row.iloc[0]
                return Place(
                    "county",
                    r["county_fips"],
                    r["county_name"],
                    r["state_code"],
                    r["state_name"],
                    r["shape_fips"],
                ), None
        return None, UNKNOWN_COUNTY
    if state:
        text = str(state).strip().upper()
        if STATE_RE.fullmatch(text):
            row = data.query(pub, STATE_SQL, (text,))
            if len(row):
                r = row.iloc[0]
                return Place(
                    "state", r["state_code"], r["state_name"], r["state_code"],
                    r["state_name"], r["state_code"],
                ), None  # fmt: skip
        return None, UNKNOWN_STATE
    return None, None


def place_url(level: str, code: str) -> str:
    """The page's relative address for a state ("state", "MA") or county ("county",
    "25025"): what the tables here link to, and what the map's click can link to."""
    return f"place?{level}={code}"


# ---------------------------------------------------------------------------- queries
def incidents_sql(place: Place, scope: str) -> str:
    """The SQL of the place's incidents (the table, the chart, the CSV, the SQL page)."""
    return INCIDENTS_SQL.format(place=place.condition, scope=f"({scope})")


def incidents(pub: data.Published, place: Place, scope: str) -> pd.DataFrame:
    return data.query(pub, incidents_sql(place, scope))


def active_now(pub: data.Published, place: Place, scope: str, now: datetime) -> pd.DataFrame:
    """The place's incidents reported active now, by the map's own rule and query
    (`map_page.ACTIVE_SQL`: no end, a report in the last 24 hours, an official source or two
    independent ones), with the backup number only when an official source gives it."""
    return data.query(
        pub, scoped(ACTIVE_SQL, f"({scope}) AND {place.condition}"), (now - ACTIVE_WINDOW,)
    )


def status_text(ended: Any, active: bool) -> str:
    if active:
        return "active now"
    if ended is None or pd.isna(ended):
        return "no end reported"
    return "ended"


def shown_incidents(frame: pd.DataFrame, active_ids: set[str]) -> pd.DataFrame:
    """The incidents as the page shows them: labels, not codes; source titles; a link."""
    active = frame["incident_id"].isin(active_ids)
    return frame.assign(
        status=[status_text(e, a) for e, a in zip(frame["ended_at"], active, strict=True)],
        duration=frame["duration_minutes"].map(ui.duration_text),
        cause=[
            label if isinstance(label, str) else ui.cause_text(code)
            for label, code in zip(frame["cause_label"], frame["cause"], strict=True)
        ],
        provider=frame["provider"].fillna("not named"),
        states=frame["state_codes"].map(lambda s: ", ".join(ui.as_list(s))),
        source_list=frame["source_titles"].map(lambda s: "; ".join(ui.as_list(s))),
        link="incidents?id=" + frame["incident_id"],
        active=active,
    )


def per_month(
    frame: pd.DataFrame, first: date | None = None, last: date | None = None
) -> pd.DataFrame:
    """Incidents per month (by the local date each began): one row of `frame` is one
    incident, so each counts once, however many states or counties it touched. Every month
    from `first` to `last` (the record's span) is given, with its zero: a place's one
    outage is one bar in the record's years, not a bar across the chart."""
    dated = frame.dropna(subset=["started_on"])
    if dated.empty:
        return pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"), "incidents": []})
    months = pd.to_datetime(dated["started_on"]).dt.to_period("M").dt.to_timestamp()
    counts = months.value_counts()
    span = month_starts(
        min([d for d in (first, months.min().date()) if d is not None]),
        max([d for d in (last, months.max().date()) if d is not None]),
    )
    index = pd.to_datetime(pd.Series(span))
    return pd.DataFrame({"month": index, "incidents": [int(counts.get(m, 0)) for m in index]})


def sources_covering(pub: data.Published, place: Place) -> pd.DataFrame:
    """The sources that declare coverage of the place's state, or have reports about the
    place: their title, kind, declared coverage and history, reports here, last crawl."""
    try:
        declared = data.query(pub, SOURCES_SQL)
    except Exception:  # an old file without the sources table
        declared = pd.DataFrame(columns=["spider", "title", "kind", "coverage_states"])
    sql = COUNTY_REPORTS_SQL if place.level == "county" else STATE_REPORTS_SQL
    reports = data.query(pub, sql, (place.code,)).rename(columns={"source": "spider"})
    try:
        crawled = data.query(pub, LAST_SUCCESS_SQL)
    except Exception:
        crawled = pd.DataFrame(columns=["spider", "last_success_at"])
    covers = (
        declared["coverage_states"]
        .fillna("")
        .map(lambda s: s == "all" or place.state_code in s.split(","))
    )
    frame = declared[covers.astype(bool)].merge(reports, on="spider", how="outer")
    frame = frame.merge(crawled, on="spider", how="left")
    if frame.empty:
        return frame
    return (
        frame.assign(
            source=frame["title"].where(frame["title"].notna(), frame["spider"]),
            kind=frame["kind"].map(lambda k: taxonomy.label("source_kinds", k) if k else ""),
            covers=frame["coverage_states"].map(coverage_text),
            since=frame["coverage_since"].fillna(""),
            reports=frame["reports"].fillna(0).astype(int),
            checked=[
                verified_text(int(n or 0), checked_by=by if isinstance(by, str) else None)
                if not pd.isna(n)
                else ""
                for n, by in zip(frame["verified_count"], frame["checked_by"], strict=True)
            ],  # fmt: skip
            last_crawl=frame["last_success_at"].map(ui.when),
            first_report=pd.to_datetime(frame["first_report"], utc=True),
            last_report=pd.to_datetime(frame["last_report"], utc=True),
        )
        .sort_values(["reports", "source"], ascending=[False, True])
        .reset_index(drop=True)
    )


def coverage_text(states: Any) -> str:
    if not isinstance(states, str):
        return "not declared"
    return "nationwide" if states == "all" else states.replace(",", ", ")


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = next_month(day)
    return months


def coverage_months(pub: data.Published, place: Place, scope: str) -> pd.DataFrame | None:
    """Per month of the map's history: whether any report (outage or not, any source)
    covered the place. The map's own answer (`Layer.covered`, the hatching); None when the
    place has no shape on the map, no rows when the history is empty."""
    numbers = cube(pub, scope)
    layer = numbers.layer(place.level)
    index = layer.places.index[layer.places["id"] == place.shape]
    if not len(index):
        return None
    if numbers.first is None or numbers.last is None:
        return pd.DataFrame({"month": [], "covered": []})
    spot = int(index[0])
    starts = month_starts(numbers.first, numbers.last)
    rows = []
    for start in starts:
        seen = layer.covered(start, next_month(start), "month")
        rows.append({"month": start, "covered": bool(seen[spot])})
    return pd.DataFrame(rows)


def gaps(months: pd.DataFrame) -> pd.DataFrame:
    """The runs of consecutive months without coverage: first and last month, length."""
    runs: list[dict[str, Any]] = []
    for month, covered in zip(months["month"], months["covered"], strict=True):
        if covered:
            continue
        if runs and runs[-1]["next"] == month:
            runs[-1].update(last=month, months=runs[-1]["months"] + 1)
        else:
            runs.append({"first": month, "last": month, "months": 1})
        runs[-1]["next"] = next_month(month)
    frame = pd.DataFrame(runs, columns=["first", "last", "months"])
    return frame.assign(
        first=frame["first"].map(lambda d: f"{d:%Y-%m}"),
        last=frame["last"].map(lambda d: f"{d:%Y-%m}"),
    )


def feed_link(place: Place) -> tuple[str, str]:
    """The Atom feed of the place's state (warehouse/feeds.py writes one per state and the
    national one; there is none per county), and what it is."""
    base = setting("OUTAGES_PUBLIC_URL")
    base = base if base.endswith("/") else base + "/"
    url = f"{base}feeds/state-{place.state_code}.xml"
    if place.level == "county":
        return url, (
            f"There is no feed per county: this is the feed of {place.state_name}, "
            "every incident that touches the state."
        )
    return url, f"Every incident that touches {place.state_name}, newest update first."


def csv_name(place: Place, pub: data.Published) -> str:
    """The download's file name, with the place and the data version."""
    return ui.download_name(pub, f"{place.level}-{place.code}-incidents", "csv")


def incidents_csv(pub: data.Published, sql: str) -> bytes:
    """The rows as CSV with the exports' text forms and formula guard
    (`warehouse.result_format.csv_bytes`, the SQL page's); the header is the first line."""
    table = data.arrow(pub, sql)
    return csv_bytes(table, table.column_names)


# ---------------------------------------------------------------------------- page
def render(now: datetime | None = None) -> None:
    pub = data.current()
    place, problem = resolve(pub, st.query_params) if pub is not None else (None, None)
    pub = ui.page(
        md_text(place.title) if place else "Places",
        "One page per state and county: its incidents over time, the sources that cover "
        "it and the gaps in that coverage, its feed and its data.",
    )
    if pub is None:
        return
    scope = ui.incident_scope(ui.record_banner(pub))
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    if problem:
        st.warning(problem, icon=":material/location_off:")
    if place is None:
        states_index(pub, scope)
    else:
        place_view(pub, place, scope, now)
    st.caption(ui.version_line(pub))


def states_index(pub: data.Published, scope: str) -> None:
    st.subheader("States and territories", anchor=False)
    frame = data.query(pub, scoped(STATES_INDEX_SQL, scope))
    if not frame["incidents"].sum():
        ui.empty_note("incidents")
    st.caption(
        "Incidents touching each state: an outage across several states counts in each. "
        "Open a state for its counties, sources and coverage."
    )
    places_table(
        frame,
        "state",
        {
            "state_code": st.column_config.TextColumn("state", width="small"),
            "state_name": st.column_config.TextColumn("name"),
            "incidents": st.column_config.NumberColumn("incidents touching it"),
        },
        key="place_states",
    )


def places_table(frame: Any, level: str, columns: dict[str, Any], *, key: str) -> None:
    """A table of places (its first column their codes) with the latest incident's day
    and a link to each place's page."""
    code_column = next(iter(columns))
    st.dataframe(
        frame.assign(link=[place_url(level, c) for c in frame[code_column]]),
        hide_index=True,
        width="stretch",
        column_config={
            **columns,
            "latest": st.column_config.DateColumn("latest", format="YYYY-MM-DD"),
            "link": st.column_config.LinkColumn("page", display_text="open", width="small"),
        },
        key=key,
    )


def place_view(pub: data.Published, place: Place, scope: str, now: datetime) -> None:
    if place.level == "county":
        st.page_link(
            PAGE,
            label=f"{place.state_name}: the state's page",
            icon=":material/arrow_upward:",
            query_params={"state": place.state_code},
        )
    frame = incidents(pub, place, scope)
    active = active_now(pub, place, scope, now)
    shown = shown_incidents(frame, set(active["incident_id"]))
    if len(active):
        st.error(
            "**911 outages reported active now here** (no all-clear yet):\n\n"
            + "\n\n".join(f"- {active_line(row)}" for row in active.itertuples()),
            icon=":material/emergency:",
        )
    else:
        st.success(
            f"No 911 outage is reported active now in {md_text(place.title)} by the sources "
            f"we watch (as of {ui.format_version(pub.published_at)}). "
            + ui.NO_DATA_IS_NOT_NO_OUTAGE,
            icon=":material/check_circle:",
        )
    total = len(frame)
    where = "touching the state" if place.level == "state" else "touching the county"
    st.markdown(f"**{total:,} incident{'s' * (total != 1)}** {where} in the record.")
    over_time(pub, frame, place, scope)
    incident_list(shown, place)
    if place.level == "state":
        counties_list(pub, place, scope)
    sources_section(pub, place)
    coverage_section(pub, place, scope)
    feed_and_downloads(pub, place, scope)


def over_time(pub: data.Published, frame: pd.DataFrame, place: Place, scope: str) -> None:
    span = data.query(pub, scoped(RECORD_SPAN_SQL, scope)).iloc[0]
    first, last = (None if pd.isna(v) else pd.Timestamp(v).date() for v in span)
    months = per_month(frame, first, last)
    with st.container(border=True, key="place_months"):
        st.markdown("**Incidents per month**")
        places = "counties" if place.level == "county" else "states"
        st.caption(
            f"Incidents touching {md_text(place.title)}, by the local date each began; each "
            f"incident counts once, however many {places} it touched. {ui.COVERAGE_NOTE}"
        )
        if months.empty:
            st.write("No incidents with a known start.")
            return
        chart = (
            alt.Chart(months)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):T", title=None),
                y=alt.Y("incidents:Q", axis=alt.Axis(tickMinStep=1)),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "incidents:Q"],
            )
            .properties(height=220)
        )
        st.altair_chart(chart, width="stretch")


def incident_list(shown: pd.DataFrame, place: Place) -> None:
    st.subheader("Incidents", anchor=False)
    if shown.empty:
        st.write("No incidents reported here. " + ui.NO_DATA_IS_NOT_NO_OUTAGE)
        return
    ordered = pd.concat([shown[shown["active"]], shown[~shown["active"]]])
    st.dataframe(
        ordered[list(INCIDENT_COLUMNS)],
        hide_index=True,
        width="stretch",
        column_config=INCIDENT_COLUMNS,
        column_order=list(INCIDENT_COLUMNS),
        key="place_incidents",
    )
    st.caption("Active ones first, then newest first. Open one for its sources and reports.")


def counties_list(pub: data.Published, place: Place, scope: str) -> None:
    st.subheader("Counties with incidents", anchor=False)
    frame = data.query(pub, scoped(COUNTIES_SQL, scope), (place.code,))
    if frame.empty:
        st.write("No incident here names a county.")
        return
    st.caption(
        "Each county's incidents, each counted once; a statewide outage counts in every "
        "county of the state."
    )
    places_table(
        frame,
        "county",
        {
            "county_fips": st.column_config.TextColumn("FIPS", width="small"),
            "county": st.column_config.TextColumn("county"),
            "incidents": st.column_config.NumberColumn("incidents"),
        },
        key="place_counties",
    )


def sources_section(pub: data.Published, place: Place) -> None:
    st.subheader("Sources", anchor=False)
    frame = sources_covering(pub, place)
    if frame.empty:
        st.write("No source covers this place.")
        return
    st.caption(
        f"The sources that cover {place.state_name} (declared) or sent reports about "
        f"{md_text(place.title)}: reports here count every document, outage or not. History since: "
        "the first date the source has data for."
    )
    st.dataframe(
        frame[
            [
                "source",
                "kind",
                "covers",
                "since",
                "reports",
                "first_report",
                "last_report",
                "last_crawl",
                "checked",
            ]
        ],  # fmt: skip
        hide_index=True,
        width="stretch",
        column_config={
            "source": st.column_config.TextColumn("source", width="large"),
            "covers": st.column_config.TextColumn("covers"),
            "since": st.column_config.TextColumn("history since"),
            "reports": st.column_config.NumberColumn("reports here"),
            "first_report": st.column_config.DatetimeColumn("first here", format="YYYY-MM-DD"),
            "last_report": st.column_config.DatetimeColumn("latest here", format="YYYY-MM-DD"),
            "last_crawl": st.column_config.TextColumn("last successful crawl"),
            "checked": st.column_config.TextColumn("parser checked"),
        },
        key="place_sources",
    )


def coverage_section(pub: data.Published, place: Place, scope: str) -> None:
    st.subheader("Coverage and gaps", anchor=False)
    months = coverage_months(pub, place, scope)
    if months is None:
        st.write("No coverage is kept for this place (it has no outline on the map).")
        return
    if months.empty:
        st.write("No source has sent any report yet. " + ui.NO_DATA_IS_NOT_NO_OUTAGE)
        return
    covered = int(months["covered"].sum())
    st.caption(
        f"Months from {months['month'].iloc[0]:%Y-%m} to {months['month'].iloc[-1]:%Y-%m} in "
        f"which any source sent any report about {md_text(place.title)} (outage or not): "
        f"{covered} of {len(months)}. A month without is a gap, hatched on the map as "
        '"no source coverage": no data is not no outage.'
    )
    # a bar for each month with a report; the empty stretches are the gaps
    strip = months[months["covered"]].assign(
        month=lambda f: pd.to_datetime(f["month"]),
        end=lambda f: pd.to_datetime([next_month(m) for m in f["month"]]),
        bottom=0,
        top=1,
    )
    history = [
        f"{months['month'].iloc[0]:%Y-%m-%d}",
        f"{next_month(months['month'].iloc[-1]):%Y-%m-%d}",
    ]
    st.altair_chart(
        alt.Chart(strip)
        .mark_rect(color="#4c78a8")
        .encode(
            x=alt.X("month:T", title=None, scale=alt.Scale(domain=history)),
            x2="end:T",
            y=alt.Y("bottom:Q", title=None, axis=None, scale=alt.Scale(domain=[0, 1])),
            y2="top:Q",
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month with reports")],
        )
        .properties(height=90),
        width="stretch",
    )
    holes = gaps(months)
    if holes.empty:
        st.write("No gaps: every month had a report.")
        return
    st.dataframe(
        holes,
        hide_index=True,
        column_config={
            "first": st.column_config.TextColumn("from"),
            "last": st.column_config.TextColumn("to"),
            "months": st.column_config.NumberColumn("months without coverage"),
        },
        key="place_gaps",
    )


def feed_and_downloads(pub: data.Published, place: Place, scope: str) -> None:
    st.subheader("Feed and data", anchor=False)
    url, what = feed_link(place)
    st.markdown(f"**Atom feed:** [{md_text(url)}]({url}). {md_text(what)}")
    sql = incidents_sql(place, scope)
    left, right = st.columns(2)
    left.download_button(
        "These incidents (CSV)",
        data=lambda: incidents_csv(pub, sql),
        file_name=csv_name(place, pub),
        mime="text/csv",
        key="place_csv",
        icon=":material/table:",
        on_click="ignore",
        width="stretch",
    )
    with right:
        st.page_link(
            "webapp/pages/sql.py",
            label="The same rows on the SQL page",
            icon=":material/terminal:",
            query_params={"sql": sql.strip()},
        )
    st.caption(
        "The CSV holds the rows of the table above with codes and labels (cause and "
        "cause_label, sources and source_titles), times in UTC; cells a spreadsheet would run "
        "as a formula get a leading quote. The file name carries the data version."
    )
