"""What every page shares: the header with the data version, the demo-data label, formats."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import bundle, taxonomy
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


# An incident of the real record has at least one report that is not constructed (a curated
# record, a recorded alert, a document); a constructed example is built from demo reports only.
REAL_INCIDENT = "{alias}.report_count > {alias}.constructed_reports"
RECORD_COUNTS_SQL = (
    "SELECT count(*) FILTER (WHERE report_count > constructed_reports) AS real, "
    "count(*) FILTER (WHERE report_count <= constructed_reports) AS constructed, "
    "count(*) FILTER (WHERE constructed_reports > 0 AND report_count > constructed_reports) "
    "AS mixed FROM incidents"
)
CONSTRUCTED_KEY = "constructed"  # the toggle's key and URL parameter (?constructed=true)
COVERAGE_NOTE = "Documented outages; a year with fewer stories is not a year with fewer outages."


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


def record_counts(pub: data.Published) -> tuple[int, int, int]:
    """Incidents of the real record, constructed examples, and real ones that also hold
    constructed reports."""
    row = data.query(pub, RECORD_COUNTS_SQL).iloc[0]
    return int(row["real"]), int(row["constructed"]), int(row["mixed"])


def record_banner(pub: data.Published) -> bool:
    """The banner with how many incidents are real and how many constructed, and the toggle
    that shows the constructed examples (off by default; `?constructed=true` in the URL).
    Returns whether they are shown."""
    real, constructed, mixed = record_counts(pub)
    show = False
    if constructed:
        show = st.toggle(
            "Show the constructed examples",
            key=CONSTRUCTED_KEY,
            bind="query-params",
            help="Incidents built only from reports this project constructed to demonstrate "
            "the alert pipeline (labelled demo). Hidden by default: the real record first.",
        )
    text = (
        f"**{real:,} real incident{'s' * (real != 1)}** (documented or recorded sources) and "
        f"**{constructed:,} constructed example{'s' * (constructed != 1)}** (demo reports only"
        + ("; shown, marked demo)." if show else "; hidden).")
        if constructed
        else f"**{real:,} real incident{'s' * (real != 1)}** (documented or recorded sources)."
    )
    if mixed:
        text += (
            f" {mixed:,} real incident{'s' * (mixed != 1)} also hold{'s' * (mixed == 1)} "
            "constructed demo reports and are marked demo."
        )
    st.info(text, icon=":material/fact_check:")
    return show


def incident_scope(show_constructed: bool, alias: str = "i") -> str:
    """A SQL condition on incidents: the real record alone, or everything."""
    return "true" if show_constructed else REAL_INCIDENT.format(alias=alias)


def download_name(pub: data.Published, dataset: str, extension: str) -> str:
    """A download's file name, with the data version: `911-outage-watch-DATASET-VERSION.EXT`."""
    return bundle.file_name(dataset, pub.published_at, extension)


def download_credit(pub: data.Published) -> str:
    """What a file the app hands out says of itself (a chart's subtitle, a Parquet file's
    metadata, the caption beside a button): project, data version and licence."""
    return (
        f"{bundle.PROJECT}, data version {format_version(pub.published_at)}, "
        f"licence {bundle.LICENCE_SHORT}"
    )


def download_metadata(pub: data.Published) -> dict[str, str]:
    """Key-value metadata for a Parquet download: the data version and the licence."""
    return {"data_version": pub.published_at or "unknown", "licence": bundle.LICENCE}


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


def capitalised(text: str) -> str:
    """The first letter upper case ("fiber cut" -> "Fiber cut"), the rest as it is."""
    return text[:1].upper() + text[1:]


def status_text(status: Any) -> str:
    """A report status in words, from the taxonomy ("not_outage" -> "not an outage")."""
    if status is None or (isinstance(status, float) and math.isnan(status)):
        return "unknown"
    return taxonomy.label("statuses", str(status))


def kind_text(kind: Any) -> str:
    """A kind of source in words ("curated" -> "documented record")."""
    if kind is None or (isinstance(kind, float) and math.isnan(kind)):
        return "unknown"
    return taxonomy.label("source_kinds", str(kind))


def source_table(pub: data.Published) -> dict[str, tuple[str, str]]:
    """spider -> (title, kind) from the published `sources` table (empty for an old file
    without it)."""
    try:
        table = data.query(pub, "SELECT spider, title, kind FROM sources")
    except Exception:  # an old file without the sources table: names in words instead
        return {}
    return {str(r.spider): (str(r.title or ""), str(r.kind or "")) for r in table.itertuples()}


def source_title(pub: data.Published, spider: Any) -> str:
    """What a reader sees for a source: its title from the `sources` table; a spider the
    table does not know, in words ("new_spider" -> "new spider")."""
    if spider is None or (isinstance(spider, float) and math.isnan(spider)):
        return "unknown source"
    title = source_table(pub).get(str(spider), ("", ""))[0]
    return title or str(spider).replace("_", " ")


def source_credit(pub: data.Published, spider: Any) -> str:
    """The source with its kind: "Documented record: The documented record: ..." reads
    twice, so the kind is left out when the title already says it."""
    title = source_title(pub, spider)
    kind = source_table(pub).get(str(spider), ("", ""))[1]
    if not kind:
        return title
    label = kind_text(kind)
    if label.lower() in title.lower():
        return title
    return f"{capitalised(label)}: {title}"


def reported_text(pub: data.Published, value: Any, label: Any = None) -> str:
    """One entry of `causes_reported`, `providers_reported` or `backup_numbers_reported`
    ("firewall_or_security_device (curated)") as a reader reads it: the value's label
    (`label`, a function of the code) and the source's credit, "Firewall or security
    device (The documented record: ...)". Plain text: escape it for the medium."""
    text = str(value)
    code, spider = text, None
    if text.endswith(")") and " (" in text:
        code, spider = text[:-1].rsplit(" (", 1)
    shown = label(code) if label else code
    return f"{capitalised(shown)} ({source_credit(pub, spider)})" if spider else capitalised(shown)


def as_list(value: Any) -> list:
    """A list from what DuckDB gives for a LIST column (None, a list or a numpy array)."""
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    return list(value)


def empty_note(what: str) -> None:
    st.info(f"The published database has no {what} yet.", icon=":material/info:")


# Kinds of source that publish on their own domain: a link from one of their reports goes
# only to that domain's family. News and curated records cite other sites by design.
OWN_DOMAIN_KINDS = ("agency", "regulator", "alert")


def source_domains(pub: data.Published, source: str) -> list[str] | None:
    """The home a report link of `source` must share a domain family with, or None when
    any http(s) link will do (news, curated records, a source the table does not know)."""
    try:
        table = data.query(pub, "SELECT spider, kind, home FROM sources")
    except Exception:  # an old file without the sources table: http(s) only
        return None
    row = table[table["spider"] == source]
    if row.empty or row["kind"].iloc[0] not in OWN_DOMAIN_KINDS or not row["home"].iloc[0]:
        return None
    return [str(row["home"].iloc[0])]
