"""About: the project, coverage and freshness by state and source, what to do when 911 fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import bundle
from warehouse.db import DataDir
from warehouse.display import md_text
from warehouse.sources import verified_text
from webapp import data, ui
from webapp.mapview import choropleth
from webapp.source_checks import render as source_checks

DOCS = Path(__file__).resolve().parents[1] / "docs"
CURATED_DOC = Path(__file__).resolve().parents[1] / "crawlers" / "data" / "CURATED.md"
RECORD_SQL = (
    "SELECT count(*) AS records, min(occurred_on) AS first, max(occurred_on) AS last, "
    "(SELECT count(DISTINCT s) FROM reports, unnest(state_codes) AS t(s) "
    "WHERE source_kind = 'curated') AS states FROM reports WHERE source_kind = 'curated'"
)
RECORD_HOW = """
Each documented outage is **one file** in the repository, `crawlers/data/curated/<key>.json`
(the key is the local date the outage began and a few words: `2024-06-18-comtech-firewall-ma`),
so every addition or correction is a reviewable change. A record gives the start (with its
precision: minute, hour or day) and end where public, the states and counties, the cause and
provider where a source states them, the calls, 911 centers and people affected where stated,
and the backup numbers officials gave. **Every fact has a citation**: the page's URL, its
publisher and date, and a verbatim quote of at most 300 characters that states the fact.
Nothing is inferred: what no source states stays empty, and a value calculated from others
(a duration from start and end) says so. FCC reports and consent decrees, state commission
orders, agency releases and local news are the sources; news stories are the bulk.

The record is checked by `outages curated check`: the schema, dates and time zones (the UTC
offset must be the one in force on that day), state and county codes, causes and providers
against the taxonomies, a quote for every fact that carries its value, the quote found in
the archived page wherever we hold a copy, and no two records of one outage. The incident
builder is tested against it: each documented outage must become one incident with its
states and its duration.

**A correction or a missing outage?** Edit or add the file (the format and every field are
in `crawlers/data/CURATED.md`), run `outages curated check` until it passes, and propose
the change as a pull request with the sources you read. The record counts documented
outages: a year with fewer stories is not a year with fewer outages.
"""

STATE_COVERAGE_SQL = """
SELECT s.state_code, s.state_name,
       count(DISTINCT c.source) AS sources,
       coalesce(sum(c.reports), 0) AS reports,
       coalesce(sum(c.outage_reports), 0) AS outage_reports,
       list(DISTINCT c.source ORDER BY c.source) FILTER (WHERE c.source IS NOT NULL) AS source_list,
       max(c.last_published_at) AS last_report
FROM states AS s LEFT JOIN source_coverage AS c USING (state_code)
GROUP BY ALL
ORDER BY s.state_code
"""

WHEN_911_IS_DOWN = """
**If 911 does not answer**

- **Call again**, and try from another phone or another carrier if you can: many outages hit
  one carrier or one 911 center.
- **Text 911** where text-to-911 is available (the FCC keeps the list of places that take
  texts). Send your location and the kind of emergency in the first message.
- **Call the 10-digit number your local agency gives** during an outage. Local alerts
  usually include one; the Map page shows the numbers of outages reported active now.
  Write your local police, fire and sheriff numbers down before you need them.
- **Which backup numbers we show, and how.** A number is shown as "If you cannot reach 911
  there, call ..." only when an official source gives it: an emergency alert (IPAWS, NWS)
  by its sender, a government agency's own page, an FCC document, or a documented record,
  and only when those sources agree. Who gave it and when stand beside it ("per Johnson
  County Emergency Management, 2026-12-06 14:05 UTC"). A number that only news carries, or
  that official sources disagree on, is never an instruction: the incident page lists it
  as "reported by" its source. An outage is listed as **active now** only when an official
  source reports it or two independent sources do, never on one news story alone.
- **Go in person** to a fire station, police station or hospital if it is safe to.
- **Follow your county's emergency management and the National Weather Service** for
  updates; outages are announced as local alerts, on radio and TV, and on agency websites.

This site is a record of past and current reports, not an alerting service: it can lag by
minutes to days behind the sources.
"""

NO_DATA = """
**No data is not no outage.** A county with no reports is a county we heard nothing about.
Outage alerts are sent at the discretion of local agencies; many outages are never announced,
and many announcements never reach a public archive. Carriers' own reports to the FCC (NORS)
are confidential. The map draws counties that no source covered in the chosen period
(hatched) differently from counties that were covered and had no outage reported (plain).
"""


@st.cache_data(show_spinner=False, max_entries=4)
def sources_table(path: str, version: str) -> pd.DataFrame:
    """The spiders' declared coverage and their last successful crawl (cached per version)."""
    from warehouse.sources import source_status

    return pd.DataFrame(source_status(DataDir(Path(path).parent)))


def age_text(moment: Any, now: datetime) -> str:
    if moment is None or pd.isna(moment):
        return "never"
    moment = pd.Timestamp(moment)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    minutes = (now - moment.to_pydatetime()).total_seconds() / 60
    if minutes < 90:
        return f"{max(int(minutes), 0)} min ago"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h ago"
    return f"{minutes / 1440:.0f} days ago"


def freshness(row: pd.Series, now: datetime) -> str:
    last = row.get("last_success_at")
    if last is None or pd.isna(last):
        return "never crawled"
    cadence = row.get("cadence_minutes")
    age = (now - pd.Timestamp(last).to_pydatetime()).total_seconds() / 60
    if cadence and not pd.isna(cadence) and age > 3 * float(cadence):
        return "overdue"
    return "fresh"


def render() -> None:
    pub = ui.page("About 911 Outage Watch")
    st.markdown(
        "911 Outage Watch is a public, record-level, long-run database of **911 outages "
        "across the United States**. When 911 fails, the facts are scattered over emergency "
        "alerts, agency press releases, FCC filings and news. We collect those public "
        "traces, keep a link and an archived copy of every one, join the reports that "
        "describe the same outage into **incidents**, and show them on a map that works "
        "without an internet connection on the server."
    )
    st.error(WHEN_911_IS_DOWN, icon=":material/emergency:")
    st.info(NO_DATA, icon=":material/visibility_off:")
    if pub is None:
        return
    coverage(pub)
    source_checks(pub.data_dir)
    documented_record(pub)
    methodology()
    licence(pub)


def coverage(pub: data.Published) -> None:
    st.header("Coverage", anchor=False)
    st.markdown(
        "Which sources have told us anything (outage or not) about each state, and when each "
        "source was last crawled successfully. A source that covers a state but reported no "
        "outage there is coverage, not silence."
    )
    states = data.query(pub, STATE_COVERAGE_SQL)
    covered = states[states["sources"] > 0]
    left, right = st.columns([3, 2])
    with left:
        choropleth(
            level="state",
            values=dict(zip(covered["state_code"], covered["sources"], strict=True)),
            legend_title="Sources with reports",
            value_unit="sources",
            coverage={"covered": covered["state_code"].tolist()},
            selectable=False,
            quiet_label="no reports",
            blind_label="no reports from any source",
            height=360,
            stamp="about|coverage",
            key="coverage_map",
        )
    with right:
        st.dataframe(
            states[
                ["state_code", "state_name", "sources", "reports", "outage_reports", "last_report"]
            ],
            hide_index=True,
            width="stretch",
            height=360,
            column_config={
                "state_code": st.column_config.TextColumn("state", width="small"),
                "state_name": st.column_config.TextColumn("name"),
                "reports": st.column_config.NumberColumn("reports", help="outage or not"),
                "outage_reports": st.column_config.NumberColumn("outage reports"),
                "last_report": st.column_config.DatetimeColumn(
                    "latest report", format="YYYY-MM-DD"
                ),
            },
        )
    st.subheader("Sources and freshness", anchor=False)
    try:
        table = sources_table(str(pub.path), pub.version)
    except Exception as exc:  # an unreadable sources table must not break the page
        st.warning(f"The list of sources could not be read: {md_text(exc)}")
        return
    if table.empty:
        st.write("No sources are registered.")
        return
    now = datetime.now(UTC)
    table = table.assign(
        last_success=[age_text(v, now) for v in table.get("last_success_at", pd.Series())],
        freshness=[freshness(row, now) for _, row in table.iterrows()],
        cadence=table["cadence_minutes"].map(cadence_text),
        states=table["states"].map(lambda s: "nationwide" if s == "all" else s),
        # Labels, not codes: "curated" -> "documented record", "partial" -> words.
        kind=table["kind"].map(ui.kind_text),
        last_status=table["last_status"].map(run_status_text),
        checked=[
            verified_text(int(n or 0), long=True, checked_by=by if isinstance(by, str) else None)
            for n, by in zip(
                table["verified_count"],
                table.get("checked_by", pd.Series([None] * len(table))),
                strict=True,
            )
        ],
    )
    columns = {
        "title": st.column_config.TextColumn("source", width="large"),
        "home": st.column_config.LinkColumn("site", display_text="open", width="small"),
        "kind": st.column_config.TextColumn("kind"),
        "states": st.column_config.TextColumn("covers"),
        "since": st.column_config.TextColumn("history since"),
        "cadence": st.column_config.TextColumn("crawled every"),
        "last_success": st.column_config.TextColumn("last successful crawl"),
        "freshness": st.column_config.TextColumn("freshness"),
        "reports": st.column_config.NumberColumn("reports"),
        "outage_reports": st.column_config.NumberColumn("outage reports"),
        "last_status": st.column_config.TextColumn("last run"),
        "checked": st.column_config.TextColumn(
            "parser checked",
            help="the recorded real pages of the source that the parser is tested on",
        ),
        "spider": st.column_config.TextColumn("spider"),
    }
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=columns,
        column_order=[c for c in columns if c in table.columns],
    )
    st.caption(
        "Freshness: overdue when the last successful crawl is older than three times the "
        "source's cadence. A replayed demo counts as a crawl. Parser checked: how many "
        "recorded real pages of the source its parser is tested on; a source not yet checked "
        "against real material may be read wrongly when it is first crawled live. The "
        "documented record is no fetched page: its records are hand-curated from the sources "
        "they cite and checked by `outages curated check`."
    )


RUN_STATUS_TEXT = {
    "ok": "ok",
    "partial": "partial (some pages failed)",
    "failed": "failed",
    "empty": "found nothing",
    "running": "running",
    "interrupted": "interrupted",
}


def run_status_text(status: Any) -> str:
    """A crawl run's status in words (a status this page does not know is shown as is)."""
    if status is None or (isinstance(status, float) and pd.isna(status)):
        return "never run"
    return RUN_STATUS_TEXT.get(str(status), str(status).replace("_", " "))


def cadence_text(minutes: Any) -> str:
    if minutes is None or pd.isna(minutes):
        return ""
    minutes = int(minutes)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 1440:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} day" + ("s" if minutes >= 2880 else "")


def documented_record(pub: data.Published) -> None:
    """How the documented record (the curated source) is made and how to correct it."""
    st.header("The documented record", anchor=False)
    row = data.query(pub, RECORD_SQL).iloc[0]
    records = int(row["records"])
    if records:
        st.markdown(
            f"The published data holds **{records:,} documented outage record"
            f"{'s' * (records != 1)}**, from {pd.Timestamp(row['first']):%Y} to "
            f"{pd.Timestamp(row['last']):%Y}, in {int(row['states'])} states and territories. "
            "They are real outages described by public sources, and the map, Trends and "
            "Incidents show them (and what other sources add) by default."
        )
    st.markdown(RECORD_HOW)
    if CURATED_DOC.exists():
        with st.expander("The record format, field by field"):
            st.markdown(CURATED_DOC.read_text(encoding="utf-8"))


def methodology() -> None:
    st.header("How it works", anchor=False)
    st.markdown(
        "- **Reports.** One Scrapy spider per source reads alerts, press releases, FCC "
        "documents and news. Every response is archived (WARC) so each claim can be checked.\n"
        "- **Classification.** Rules decide whether a document is about a 911 outage, with "
        'the words that decided; "dial 911" and monthly tests are not outages.\n'
        "- **Incidents.** Reports that overlap in time and place (or name the same provider "
        "at the same time) are joined into one incident, with start, end, cause, provider and "
        "a confidence that rises with independent sources.\n"
        "- **Publication.** The database is published as one read-only DuckDB file; this site, "
        "the SQL page and the downloads all read that file."
    )
    path = DOCS / "methodology.md"
    if path.exists():
        with st.expander("The full methodology"):
            st.markdown(path.read_text(encoding="utf-8"))


def licence(pub: data.Published) -> None:
    st.header("Licence and sources", anchor=False)
    st.markdown(
        f"Data: {bundle.LICENCE_SHORT}; use it and credit {bundle.PROJECT}. Code: MIT "
        "licence. Alerts, press releases and FCC documents are public records "
        "of their issuing agencies; news items keep only a title, a link and a short excerpt. "
        "County and state outlines and populations: U.S. Census Bureau (public domain), via "
        "`us-atlas` and `delphi-utils`. Each record links to its source and archived copy.\n\n"
        f"{ui.version_line(pub)}. The demo snapshot mixes recorded alerts with alerts "
        "constructed by this project; constructed records are labelled everywhere."
    )
