"""Incidents: a searchable, filterable table, and a detail view per incident.

URL parameters: q (text), state (repeatable), county (5-digit FIPS), since, until
(YYYY-MM-DD, by the local date the outage began), cause (repeatable), provider (repeatable),
conf (minimum confidence, 0 to 1), id (an incident: opens its detail view), constructed=true
(list the constructed demo examples too; the real record alone by default).
"""

from __future__ import annotations

import mimetypes
import re
from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from warehouse.display import display_text, link_url, md_link, md_text
from warehouse.settings import setting
from webapp import data, record, ui
from webapp.mapview import choropleth

INCIDENT_ID = re.compile(r"i-[0-9a-f]{16}")  # warehouse.incidents.incident_id_for
TABLE_LIMIT = 1000
REPORT_LIST_LIMIT = 60

FACETS_SQL = """
SELECT (SELECT min(started_on) FROM incidents) AS first,
       (SELECT max(started_on) FROM incidents) AS last,
       (SELECT list(DISTINCT s ORDER BY s) FROM incidents, unnest(state_codes) AS t(s)) AS states,
       (SELECT list(DISTINCT coalesce(cause, 'unknown') ORDER BY coalesce(cause, 'unknown'))
        FROM incidents) AS causes,
       (SELECT list(DISTINCT provider ORDER BY provider) FROM incidents
        WHERE provider IS NOT NULL) AS providers
"""

COUNTIES_SQL = """
SELECT DISTINCT ic.county_fips, coalesce(ic.county_name, c.county_name, ic.county_fips) AS name,
       ic.state_code
FROM incident_counties AS ic LEFT JOIN counties AS c USING (county_fips)
ORDER BY ic.state_code, name
"""

STATE_NAMES_SQL = "SELECT state_code, state_name FROM states"

INCIDENT_SQL = "SELECT * FROM incidents WHERE incident_id = ?"

INCIDENT_COUNTIES_SQL = """
SELECT ic.county_fips, coalesce(ic.county_name, c.county_name) AS county_name, ic.state_code,
       coalesce(a.shape_fips, ic.county_fips) AS shape_fips
FROM incident_counties AS ic
LEFT JOIN counties AS c USING (county_fips)
LEFT JOIN county_aliases AS a ON a.county_fips = ic.county_fips
WHERE ic.incident_id = ?
ORDER BY ic.state_code, county_name
"""

INCIDENT_REPORTS_SQL = """
SELECT report_id, published_at, source, source_kind, status, title, source_url, archive_ref,
       started_at, ended_at, cause, provider, backup_phone, confidence, evidence, is_constructed,
       field_evidence::VARCHAR AS field_evidence, body, occurred_on, stated_duration_minutes,
       calls_affected, psaps_affected, state_codes, county_fips
FROM reports
WHERE incident_id = ?
ORDER BY published_at NULLS LAST, report_id
"""

TABLE_COLUMNS = {
    "started_on": st.column_config.DateColumn(
        "began", format="YYYY-MM-DD", help="Local date the outage began"
    ),
    "title": st.column_config.TextColumn("incident", width="large"),
    "duration": st.column_config.TextColumn("duration"),
    "state_codes": st.column_config.ListColumn("states", width="medium"),
    "counties": st.column_config.NumberColumn("counties", width="small"),
    "population_affected": st.column_config.NumberColumn("people in area", format="localized"),
    "cause": st.column_config.TextColumn("cause"),
    "provider": st.column_config.TextColumn("provider"),
    "source_count": st.column_config.NumberColumn("sources", width="small"),
    "confidence": st.column_config.ProgressColumn(
        "confidence", min_value=0.0, max_value=1.0, format="%.2f", width="small"
    ),
    "demo": st.column_config.CheckboxColumn("demo", help="Built from constructed demo reports"),
    "incident_id": st.column_config.TextColumn("id"),
}

COUNTY_NAMES_SQL = """
SELECT county_fips, county_name || ', ' || state_code AS name FROM counties
WHERE list_contains(?::VARCHAR[], county_fips)
"""

REPORT_COLUMNS = {
    "published_at": st.column_config.DatetimeColumn("published (UTC)", format="YYYY-MM-DD HH:mm"),
    "source": st.column_config.TextColumn("source", width="medium"),
    "status": st.column_config.TextColumn("status", width="small"),
    "title": st.column_config.TextColumn("title", width="large"),
    "source_url": st.column_config.LinkColumn("link", display_text="open"),
    "is_constructed": st.column_config.CheckboxColumn("constructed (demo)"),
    "report_id": st.column_config.TextColumn("report id"),
}


# ---------------------------------------------------------------------------- filters
def build_query(
    *,
    text: str = "",
    states: list[str] | tuple = (),
    county: str | None = None,
    since: date | None = None,
    until: date | None = None,
    causes: list[str] | tuple = (),
    providers: list[str] | tuple = (),
    min_confidence: float = 0.0,
    scope: str = "true",
) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters for the filters (all optional; `scope` is a condition
    on `i` such as `ui.incident_scope`)."""
    where, params = ([] if scope == "true" else [f"({scope})"]), []
    if text.strip():
        pattern = f"%{text.strip()}%"
        where.append(
            "(i.title ILIKE ? OR i.provider ILIKE ? OR i.cause ILIKE ? OR i.incident_id = ? "
            "OR EXISTS (SELECT 1 FROM reports AS r WHERE r.incident_id = i.incident_id "
            "AND (r.title ILIKE ? OR r.body ILIKE ?)))"
        )
        params += [pattern, pattern, pattern, text.strip(), pattern, pattern]
    if states:
        where.append("list_has_any(i.state_codes, ?::VARCHAR[])")
        params.append(list(states))
    if county:
        where.append(
            "EXISTS (SELECT 1 FROM incident_counties AS ic "
            "WHERE ic.incident_id = i.incident_id AND ic.county_fips = ?)"
        )
        params.append(county)
    if since:
        where.append("i.started_on >= ?")
        params.append(since)
    if until:
        where.append("i.started_on <= ?")
        params.append(until)
    if causes:
        where.append("list_contains(?::VARCHAR[], coalesce(i.cause, 'unknown'))")
        params.append(list(causes))
    if providers:
        where.append("list_contains(?::VARCHAR[], i.provider)")
        params.append(list(providers))
    if min_confidence > 0:
        where.append("i.confidence >= ?")
        params.append(float(min_confidence))
    return (" AND ".join(where) or "true"), params


def search(pub: data.Published, **filters: Any) -> tuple[pd.DataFrame, int]:
    where, params = build_query(**filters)
    total = int(data.scalar(pub, f"SELECT count(*) FROM incidents AS i WHERE {where}", params))
    rows = data.query(
        pub,
        f"""
        SELECT i.started_on, i.title, i.duration_minutes, i.state_codes,
               len(i.county_fips) AS counties, i.population_affected, i.cause, i.provider,
               i.source_count, i.confidence, i.constructed_reports > 0 AS demo, i.incident_id
        FROM incidents AS i WHERE {where}
        ORDER BY i.started_on DESC NULLS LAST, i.started_at DESC NULLS LAST, i.incident_id
        LIMIT {TABLE_LIMIT}
        """,
        params,
    )
    return rows, total


# ---------------------------------------------------------------------------- page
def render() -> None:
    pub = ui.page(
        "Incidents",
        "One row per outage: reports from every source that describe the same outage, joined "
        "(see the methodology on the About page). Filter, then open an incident for its facts, "
        "reports and sources.",
    )
    if pub is None:
        return
    total = int(data.scalar(pub, "SELECT count(*) FROM incidents"))
    if not total:
        ui.empty_note("incidents")
        return
    scope = ui.incident_scope(ui.record_banner(pub))
    chosen = st.query_params.get("id")
    if chosen and not INCIDENT_ID.fullmatch(chosen):
        # Not an incident id at all: said in plain text, the parameter never shown as markup.
        st.text("No such incident.")
        chosen = None
    if chosen:
        detail(pub, chosen)
        st.divider()
    rows, found = filtered_table(pub, scope)
    if len(rows):
        pick(rows)


def filtered_table(pub: data.Published, scope: str = "true") -> tuple[pd.DataFrame, int]:
    facets = data.query(pub, FACETS_SQL).iloc[0]
    first, last = (
        pd.Timestamp(facets[k]).date() if pd.notna(facets[k]) else None for k in ("first", "last")
    )
    counties = data.query(pub, COUNTIES_SQL)
    county_labels = dict(
        zip(
            counties["county_fips"],
            counties["name"] + ", " + counties["state_code"],
            strict=True,
        )
    )
    with st.container(border=True):
        top = st.columns([2, 2, 2])
        text = top[0].text_input(
            "Search",
            key="q",
            bind="query-params",
            placeholder="words in titles and report texts, a provider, an incident id",
        )
        states = top[1].multiselect(
            "States", ui.as_list(facets["states"]), key="state", bind="query-params"
        )
        county_options = [
            fips
            for fips in county_labels
            if not states or county_labels[fips].rsplit(", ", 1)[-1] in states
        ]
        county = top[2].selectbox(
            "County",
            county_options,
            index=None,
            key="county",
            bind="query-params",
            format_func=lambda fips: county_labels.get(fips, fips),
            placeholder="any county",
        )
        row = st.columns([1, 1, 2, 2, 1.4])
        since = row[0].date_input(
            "Began on or after",
            value=None,
            min_value=first,
            max_value=last,
            key="since",
            bind="query-params",
            format="YYYY-MM-DD",
        )
        until = row[1].date_input(
            "Began on or before",
            value=None,
            min_value=first,
            max_value=last,
            key="until",
            bind="query-params",
            format="YYYY-MM-DD",
        )
        causes = row[2].multiselect(
            "Cause",
            ui.as_list(facets["causes"]),
            key="cause",
            bind="query-params",
            format_func=ui.cause_text,
        )
        providers = row[3].multiselect(
            "Provider", ui.as_list(facets["providers"]), key="provider", bind="query-params"
        )
        confidence = row[4].slider(
            "Minimum confidence",
            0.0,
            1.0,
            0.0,
            0.05,
            key="conf",
            bind="query-params",
            help="See the About page: one alert gives about 0.77; confirmed by another "
            "source about 0.9; a curated record 1.0.",
        )
    rows, found = search(
        pub,
        text=text or "",
        states=states,
        county=county,
        since=since,
        until=until,
        causes=causes,
        providers=providers,
        min_confidence=confidence,
        scope=scope,
    )
    shown = f"{found:,} incident{'s' * (found != 1)}"
    if found > len(rows):
        shown += (
            f" (the latest {len(rows):,} shown: narrow the filters, or use the SQL page "
            "or the downloads for all of them)"
        )
    st.subheader(shown, anchor=False)
    if rows.empty:
        st.write("Nothing matches these filters. " + ui.NO_DATA_IS_NOT_NO_OUTAGE)
        return rows, found
    table = rows.assign(
        duration=rows["duration_minutes"].map(ui.duration_text),
        cause=rows["cause"].map(ui.cause_text),
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config=TABLE_COLUMNS,
        column_order=list(TABLE_COLUMNS),
        key="incident_table",
        on_select=open_selected,
        selection_mode="single-row",
        width="stretch",
    )
    st.caption("Select a row (click its left edge) to open the incident.")
    st.session_state["incident_rows"] = rows["incident_id"].tolist()
    return rows, found


def open_selected() -> None:
    event = st.session_state.get("incident_table")
    selected = getattr(getattr(event, "selection", None), "rows", None)
    if selected is None and isinstance(event, dict):
        selected = event.get("selection", {}).get("rows")
    ids = st.session_state.get("incident_rows") or []
    if selected and selected[0] < len(ids):
        st.query_params["id"] = ids[selected[0]]


def pick(rows: pd.DataFrame) -> None:
    options = rows["incident_id"].tolist()
    titles = dict(zip(rows["incident_id"], rows["title"], strict=True))
    current = st.query_params.get("id")
    st.selectbox(
        "Open an incident",
        options,
        index=options.index(current) if current in options else None,
        format_func=lambda i: display_text(titles.get(i, i)),
        key="open_incident",
        placeholder="choose one",
        on_change=open_picked,
    )


def open_picked() -> None:
    chosen = st.session_state.get("open_incident")
    if chosen:
        st.query_params["id"] = chosen


def close_detail() -> None:
    st.query_params.pop("id", None)
    st.session_state.pop("open_incident", None)


# ---------------------------------------------------------------------------- detail
def detail(pub: data.Published, incident_id: str) -> None:
    found = data.query(pub, INCIDENT_SQL, (incident_id,))
    if found.empty:
        st.text(f"No such incident in this data version: {incident_id}")
        st.button("Close", on_click=close_detail, key="close_missing")
        return
    inc = found.iloc[0]
    counties = data.query(pub, INCIDENT_COUNTIES_SQL, (incident_id,))
    reports = data.query(pub, INCIDENT_REPORTS_SQL, (incident_id,))
    states = data.query(pub, STATE_NAMES_SQL)
    state_names = dict(zip(states["state_code"], states["state_name"], strict=True))
    clock = record.Clock.for_incident(inc)
    with st.container(border=True, key="incident_detail"):
        head, close = st.columns([6, 1], vertical_alignment="center")
        head.subheader(md_text(inc["title"]), anchor=False)
        close.button("Close", on_click=close_detail, icon=":material/close:", key="close_detail")
        st.markdown(md_text(record.summary_sentence(inc, counties, state_names, clock)))
        if int(inc["constructed_reports"]):
            st.warning(
                f"**Demo data:** {int(inc['constructed_reports'])} of the "
                f"{int(inc['report_count'])} reports of this incident were constructed by this "
                "project to model a documented outage; they are not real alerts.",
                icon=":material/science:",
            )
        facts, where = st.columns([3, 2])
        with facts:
            st.markdown(facts_markdown(pub, inc, counties, state_names, clock))
        with where:
            shapes = sorted(set(counties["shape_fips"]))
            if shapes:
                choropleth(
                    level="county",
                    values=dict.fromkeys(shapes, 1),
                    legend_title="Counties named",
                    value_unit="",
                    focus=shapes,
                    selectable=False,
                    quiet_label="not named",
                    height=320,
                    stamp=f"incident|{incident_id}",
                    key="incident_map",
                )
            elif len(inc["state_codes"]):
                choropleth(
                    level="state",
                    values=dict.fromkeys(inc["state_codes"], 1),
                    legend_title="States named (no county given)",
                    value_unit="",
                    focus=list(inc["state_codes"]),
                    selectable=False,
                    quiet_label="not named",
                    height=320,
                    stamp=f"incident|{incident_id}",
                    key="incident_map",
                )
            else:
                st.info("The reports name no place we could map.")
        fact_table(pub, incident_id, reports, clock, state_names)
        st.markdown("**Timeline of its reports**")
        chart = timeline_chart(pub, inc, reports)
        st.altair_chart(chart, width="stretch", height=int(chart.height) + 60)
        st.markdown(f"**Reports ({len(reports)})**")
        st.dataframe(
            reports.assign(
                source_url=[
                    link_url(url, ui.source_domains(pub, source))
                    for url, source in zip(reports["source_url"], reports["source"], strict=True)
                ],
                source=reports["source"].map(lambda s: ui.source_title(pub, s)),
                status=reports["status"].map(ui.status_text),
                published_at=reports["published_at"],
            ),
            hide_index=True,
            column_config=report_columns(clock),
            column_order=list(REPORT_COLUMNS),
            width="stretch",
        )
        sources(pub, reports, clock)
        how_to_cite(pub, inc)


def fact_table(
    pub: data.Published,
    incident_id: str,
    reports: pd.DataFrame,
    clock: record.Clock,
    state_names: dict[str, str],
) -> None:
    """Each fact with the source that states it and the source's own words: a markdown
    table, every cell of source text escaped (`md_text`, `md_link`)."""
    fips = sorted({f for value in reports["county_fips"] for f in ui.as_list(value)})
    names = data.query(pub, COUNTY_NAMES_SQL, (fips,)) if fips else pd.DataFrame()
    county_names = dict(zip(names["county_fips"], names["name"], strict=True)) if fips else {}
    titles = {spider: ui.source_title(pub, spider) for spider in set(reports["source"])}
    rows = record.facts(
        reports,
        clock=clock,
        state_names=state_names,
        county_names=county_names,
        source_titles=titles,
    )
    st.markdown("**Facts and their sources**")
    if not rows:
        st.caption(
            "No report of this incident quotes its source fact by fact (alerts give their "
            "facts as fields: see the reports below)."
        )
        sql_link(incident_id)
        return
    lines = ["| fact | value | source | quote |", "|---|---|---|---|"]
    for fact in rows[: record.FACT_ROW_LIMIT]:
        link = md_link(fact.title, fact.url, ui.source_domains(pub, fact.spider))
        lines.append(
            f"| {md_text(fact.fact)} | {md_text(fact.value)} | {md_text(fact.source)} {link}"
            + (" *(constructed demo record)*" if fact.constructed else "")
            + f" | “{md_text(fact.quote)}” |"
        )
    st.markdown("\n".join(lines))
    more = len(rows) - record.FACT_ROW_LIMIT
    if more > 0:
        st.caption(f"{more} more facts: every one is on the SQL page (the link below).")
    sql_link(incident_id)


def sql_link(incident_id: str) -> None:
    """The same rows on the SQL page: its `sql` parameter, through Streamlit's own page link
    (the query is URL-encoded there)."""
    st.page_link(
        "webapp/pages/sql.py",
        label="Open these reports on the SQL page (the same rows, with each report's quotes)",
        icon=":material/terminal:",
        query_params={"sql": record.rows_query(incident_id)},
    )


def how_to_cite(pub: data.Published, inc: pd.Series) -> None:
    version = pub.published_at or "unknown"
    citation = record.Citation(
        title=display_text(inc["title"]),
        url=record.incident_url(setting("OUTAGES_PUBLIC_URL"), str(inc["incident_id"])),
        incident_id=str(inc["incident_id"]),
        version=version,
        accessed=today(),
    )
    st.markdown("**How to cite this**")
    st.code(citation.text(), language=None, wrap_lines=True)
    bibtex, csl = st.tabs(["BibTeX", "CSL-JSON"])
    with bibtex:
        st.code(citation.bibtex(), language="bibtex", wrap_lines=True)
    with csl:
        st.code(citation.csl_json(), language="json", wrap_lines=True)
    st.caption(
        "Always cite the original sources above too. The data version is the publication "
        "this page was made from; the Downloads page has the same version's files."
    )


def today() -> date:
    """The access date of a citation (UTC)."""
    return datetime.now(UTC).date()


def facts_markdown(
    pub: data.Published,
    inc: pd.Series,
    counties: pd.DataFrame,
    state_names: dict,
    clock: record.Clock | None = None,
) -> str:
    clock = clock or record.Clock.for_incident(inc)
    state_list = ", ".join(state_names.get(s, s) for s in inc["state_codes"]) or "unknown"
    statewide = list(inc["statewide_states"])
    county_names = [md_text(f"{r.county_name}, {r.state_code}") for r in counties.itertuples()]
    if statewide:
        county_text = "statewide in " + ", ".join(statewide)
        named = [n for n in county_names if n.rsplit(", ", 1)[-1] not in statewide]
        if named:
            county_text += "; " + "; ".join(named)
    elif county_names:
        county_text = "; ".join(county_names[:40]) + (
            f" and {len(county_names) - 40} more" if len(county_names) > 40 else ""
        )
    else:
        county_text = "none named"
    people = inc["population_affected"]
    causes = [md_text(ui.reported_text(pub, c, ui.cause_text)) for c in inc["causes_reported"]]
    providers = [md_text(ui.reported_text(pub, p)) for p in inc["providers_reported"]]
    reported_numbers = [
        md_text(ui.reported_text(pub, n)) for n in ui.as_list(inc.get("backup_numbers_reported"))
    ]
    source_names = [ui.source_title(pub, s) for s in inc["sources"]]
    lines = [
        f"- **Began:** {md_text(clock.text(inc['started_at']))} (local date {inc['started_on']})",
        f"- **Ended:** {md_text(clock.text(inc['ended_at']))}"
        + ("" if pd.notna(inc["ended_at"]) else " (no all-clear or stated end found)"),
        f"- **Duration:** {ui.duration_text(inc['duration_minutes'])}",
        f"- **States:** {state_list}",
        f"- **Counties:** {county_text}",
        "- **People in the area:** "
        + (f"{int(people):,}" if pd.notna(people) else "unknown")
        + " (population of the counties, not the number who needed 911)",
        f"- **Cause:** {md_text(ui.capitalised(ui.cause_text(inc['cause'])))}"
        + (f" (reported: {'; '.join(causes)})" if causes else ""),
        f"- **Provider:** {md_text(inc['provider']) if pd.notna(inc['provider']) else 'not named'}"
        + (f" (reported: {'; '.join(providers)})" if providers else ""),
        f"- **Confidence:** {inc['confidence']:.2f} from {int(inc['source_count'])} "
        f"source{'s' * (int(inc['source_count']) != 1)} ({md_text('; '.join(source_names))}), "
        f"{int(inc['report_count'])} report{'s' * (int(inc['report_count']) != 1)}",
    ]
    number = inc.get("authoritative_backup_number")
    if isinstance(number, str) and number:
        at = inc.get("authoritative_backup_at")
        lines.append(
            f"- **If you cannot reach 911 there, call:** {md_text(number)} "
            f"(per {md_text(inc.get('authoritative_backup_source'))}, {md_text(clock.text(at))})"
        )
    if reported_numbers:
        # Every number a source gave, news included: listed as reported, never as an
        # instruction (the backup-number rule, docs/security.md).
        lines.append("- **Backup numbers reported by:** " + "; ".join(reported_numbers))
    lines.append(f"- **Incident id:** {md_text(inc['incident_id'])}")
    return "\n".join(lines)


def timeline_chart(pub: data.Published, inc: pd.Series, reports: pd.DataFrame) -> alt.Chart:
    points = reports.dropna(subset=["published_at"]).assign(
        published=lambda f: f["published_at"].dt.tz_convert("UTC").dt.tz_localize(None),
        constructed=lambda f: f["is_constructed"].map({True: "constructed (demo)", False: "real"}),
        # Vega tooltips are HTML: text is escaped there, bidi controls are stripped here.
        title=lambda f: f["title"].map(display_text),
        source=lambda f: f["source"].map(lambda s: display_text(ui.source_title(pub, s))),
        status=lambda f: f["status"].map(ui.status_text),
    )[["published", "source", "status", "title", "constructed"]]
    base = alt.Chart(points).encode(
        x=alt.X("published:T", title="published (UTC)"),
        y=alt.Y("source:N", title=None),
    )
    dots = base.mark_point(filled=True, size=90).encode(
        color=alt.Color("status:N", legend=alt.Legend(orient="bottom", title="status")),
        shape=alt.Shape("constructed:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["published:T", "source:N", "status:N", "title:N", "constructed:N"],
    )
    marks = []
    for label, column in (("start", "started_at"), ("end", "ended_at")):
        if pd.notna(inc[column]):
            moment = pd.Timestamp(inc[column]).tz_convert("UTC").tz_localize(None)
            frame = pd.DataFrame({"t": [moment], "label": [label]})
            rule = alt.Chart(frame).mark_rule(strokeDash=[4, 3], color="#555")
            marks.append(rule.encode(x="t:T"))
            marks.append(
                alt.Chart(frame)
                .mark_text(align="left", dx=3, dy=-6, color="#555")
                .encode(x="t:T", y=alt.value(0), text="label:N")
            )
    height = max(90, 28 * points["source"].nunique())
    return alt.layer(dots, *marks).properties(height=height)


def report_columns(clock: record.Clock) -> dict:
    """The reports table's columns, its publication times in the incident's zone when it
    has one (UTC otherwise, as labelled)."""
    if clock.zone is None:
        return REPORT_COLUMNS
    published = st.column_config.DatetimeColumn(
        f"published ({clock.zone.key} time)", format="YYYY-MM-DD HH:mm", timezone=clock.zone.key
    )
    return {**REPORT_COLUMNS, "published_at": published}


def sources(pub: data.Published, reports: pd.DataFrame, clock: record.Clock) -> None:
    st.markdown("**Sources and archived copies**")
    shown = reports.head(REPORT_LIST_LIMIT)
    for i, row in enumerate(shown.itertuples()):
        line, button = st.columns([5, 1.3], vertical_alignment="center")
        label = row.title or row.report_id
        demo = " *(constructed demo record)*" if row.is_constructed else ""
        when = clock.text(row.published_at)
        # The link only when it is http(s) and on the source's own domain family.
        link = md_link(label, row.source_url, ui.source_domains(pub, row.source))
        line.markdown(
            f"{i + 1}. {link} — {md_text(ui.source_title(pub, row.source))}, "
            f"{md_text(ui.status_text(row.status))}, {md_text(when)}{demo}"
        )
        if isinstance(row.archive_ref, str) and row.archive_ref:  # NULL comes as NaN
            button.download_button(
                "Archived copy",
                data=archived_loader(pub, row.archive_ref),
                file_name=archive_file_name(row.archive_ref, row.report_id),
                key=f"archive_{row.report_id}",
                icon=":material/inventory_2:",
                on_click="ignore",
                help=f"The response as we fetched it, from the WARC archive ({row.archive_ref})",
            )
        else:
            button.caption("no archived copy")
    if len(reports) > len(shown):
        st.caption(
            f"{len(reports) - len(shown)} more reports: see the table above or query `reports` "
            "on the SQL page."
        )
    with_refs = shown.dropna(subset=["archive_ref"])
    if len(with_refs):
        with st.expander("Read an archived copy here"):
            ref = st.selectbox(
                "Report",
                with_refs["archive_ref"].tolist(),
                key="archive_preview",
                format_func=lambda r: (
                    f"{r}: "
                    + display_text(with_refs.loc[with_refs["archive_ref"] == r, "title"].iloc[0])
                ),
            )
            if ref:
                preview(pub, ref)


def archive_file_name(ref: str, report_id: str) -> str:
    name, _, offset = ref.partition("#")
    return f"{name.removesuffix('.warc.gz')}-{offset}-{report_id}.txt"


def archived_loader(pub: data.Published, ref: str):
    def load() -> bytes:
        status, headers, body = read_archive(pub, ref)
        kind = headers.get("Content-Type", "")
        return (
            f"Archived response {ref}\nHTTP status: {status}\nContent-Type: {kind}\n\n".encode()
            + body
        )

    return load


def read_archive(pub: data.Published, ref: str) -> tuple[int, dict[str, str], bytes]:
    from warehouse.warc import read_archived

    return read_archived(ref, [str(d) for d in pub.archive_dirs])


def preview(pub: data.Published, ref: str) -> None:
    try:
        status, headers, body = read_archive(pub, ref)
    except Exception as exc:  # a missing or damaged archive must not break the page
        st.text(f"The archived copy {ref} cannot be read here: {exc}")
        return
    kind = headers.get("Content-Type", "text/plain").split(";")[0]
    st.caption(md_text(f"HTTP {status}, {kind}, {len(body):,} bytes"))
    text = body[:20_000].decode("utf-8", errors="replace")
    language = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}.get(
        kind, mimetypes.guess_extension(kind) or "text"
    )
    st.code(
        text + ("\n… (cut)" if len(body) > 20_000 else ""),
        language=language.strip("."),
        wrap_lines=True,
    )
