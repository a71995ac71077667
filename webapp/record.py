"""An incident as a citable record: the summary sentence, each fact with its source and quote,
how to cite it (text, BibTeX, CSL-JSON) and the SQL page link to its rows.

Pure functions of the published rows, so the tests call them directly as well as through the
page (webapp/incidents_page.py). What they return is plain text: the page escapes it for its
medium (`md_text` for markdown; `st.code` shows the citations verbatim).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd

from warehouse import taxonomy
from warehouse.bundle import PROJECT
from warehouse.localtime import incident_zone, zone_text

# The facts a report's `field_evidence` quotes, in the order a reader wants them, with the
# report column that holds the value the quote supports (None: the quote is the fact, as for
# a curated record's "first reported" line). Other keys (`curated_key`, `publisher`,
# `unverified`, notes) are bookkeeping, not facts of the outage.
FACT_FIELDS: dict[str, tuple[str, str | None]] = {
    "date": ("Date", "occurred_on"),
    "started_at": ("Began", "started_at"),
    "ended_at": ("Ended", "ended_at"),
    "stated_duration_minutes": ("Duration", "stated_duration_minutes"),
    "first_reported_at": ("First reported", None),
    "state_codes": ("States", "state_codes"),
    "county_fips": ("Counties", "county_fips"),
    "cause": ("Cause", "cause"),
    "cause_detail": ("Cause, in detail", None),
    "provider": ("Provider", "provider"),
    "provider_detail": ("Provider, in detail", None),
    "calls_affected": ("911 calls affected", "calls_affected"),
    "psaps_affected": ("911 centers affected", "psaps_affected"),
    "people_affected": ("People affected", None),
    "backup_phone": ("Backup number given", "backup_phone"),
}
FACT_ROW_LIMIT = 80  # beyond it, the SQL page link has every row
# A curated record names its fields as the record file does (crawlers/data/CURATED.md); these
# are the ones whose report column has another name (crawlers/spiders/curated.py ITEM_FIELD:
# the app may not import the crawlers).
RECORD_FIELD = {
    "duration_minutes": "stated_duration_minutes",
    "states": "state_codes",
    "counties": "county_fips",
    "backup_numbers": "backup_phone",
}
# A curated report's body lists every citation, one a line, as crawlers/spiders/curated.py
# `record_body` writes it: `- FIELD: “QUOTE” — TITLE (PUBLISHER, DATE) <URL>`, maybe followed
# by ` (read via ...)`. `field_evidence` keeps only each field's first quote, without its
# source; these lines give every quote with the document it is from.
CITATION_LINE = re.compile(
    r"^- (?P<field>[a-z_]+): \u201c(?P<quote>.*?)\u201d \u2014 (?P<title>.*) "
    r"<(?P<url>[^<>\s]+)>(?: \(read via [^)]*\))?$"
)


def missing(value: Any) -> bool:
    """None, NaN, NaT or NA (what DuckDB's NULL becomes in pandas); a list never is."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str | list | tuple) or hasattr(value, "__len__"):
        return False
    return bool(pd.isna(value))


def as_list(value: Any) -> list:
    return [] if missing(value) else list(value)


# ---------------------------------------------------------------------------- local time
@dataclass(frozen=True)
class Clock:
    """How the incident's times read: in its places' local time with the zone when they all
    lie in one zone ("2024-06-18 13:15 EDT"), else in UTC, said so by the label."""

    zone: ZoneInfo | None

    @classmethod
    def for_incident(cls, inc: pd.Series) -> Clock:
        return cls(incident_zone(as_list(inc.get("state_codes")), as_list(inc.get("county_fips"))))

    def text(self, value: Any, *, with_date: bool = True) -> str:
        if missing(value):
            return "unknown"
        return zone_text(pd.Timestamp(value).to_pydatetime(), self.zone, date=with_date)


# ---------------------------------------------------------------------------- summary
def duration_words(minutes: Any) -> str | None:
    """120 -> "2 hours"; 159 -> "2 hours 39 minutes"; None when unknown."""
    if missing(minutes):
        return None
    minutes = int(minutes)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'s' * (n != 1)}"

    if minutes < 60:
        return unit(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return unit(hours, "hour") + (f" {unit(rest, 'minute')}" if rest else "")
    days, hours = divmod(hours, 24)
    return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")


def and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def place_words(inc: pd.Series, counties: pd.DataFrame, state_names: dict[str, str]) -> str:
    """ "across Massachusetts", "in Suffolk County, MA", "in 12 counties of South Dakota"."""
    states = as_list(inc.get("state_codes"))
    statewide = as_list(inc.get("statewide_states"))
    if statewide:
        return "across " + and_list([state_names.get(s, s) for s in statewide])
    names = [
        f"{r.county_name}, {r.state_code}" if not missing(r.county_name) else str(r.county_fips)
        for r in counties.itertuples()
    ]
    if names and len(names) <= 3:
        return "in " + and_list(names)
    if names:
        if len(states) == 1:
            return f"in {len(names)} counties of {state_names.get(states[0], states[0])}"
        return f"in {len(names)} counties in {len(states)} states"
    if states and len(states) <= 3:
        return "in " + and_list([state_names.get(s, s) for s in states])
    if states:
        return f"in {len(states)} states"
    return "in a place the sources do not name"


def summary_sentence(
    inc: pd.Series, counties: pd.DataFrame, state_names: dict[str, str], clock: Clock
) -> str:
    """One plain sentence of the facts: what, where, when (local), how long, the cause, how
    many sources. "911 service was disrupted across Massachusetts on 18 June 2024 from 13:15
    EDT for 2 hours (cause: firewall or security device), according to 4 sources." """
    parts = ["911 service was disrupted", place_words(inc, counties, state_names)]
    day = inc.get("started_on")
    if not missing(day):
        parts.append("on " + pd.Timestamp(day).strftime("%-d %B %Y"))
    if not missing(inc.get("started_at")):
        parts.append("from " + clock.text(inc["started_at"], with_date=False))
    length = duration_words(inc.get("duration_minutes"))
    parts.append(f"for {length}" if length else "for a length of time no source states")
    sentence = " ".join(parts)
    cause = inc.get("cause")
    if not missing(cause) and cause != "unknown":
        sentence += f" (cause: {taxonomy.cause_label(str(cause))})"
    sources = int(inc.get("source_count") or 0)
    sentence += f", according to {sources} source{'s' * (sources != 1)}."
    return sentence


# ---------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class Fact:
    fact: str  # the fact's label ("Began")
    value: str  # what the source says, in words ("2024-06-18 13:15 EDT")
    source: str  # the source's title
    title: str  # the report's title (the link's text)
    url: str | None  # the report's link
    spider: str  # for the link's domain check
    quote: str  # the words of the source that say it
    constructed: bool = False  # from a constructed demo report, not a real source


def evidence_of(value: Any) -> dict[str, str]:
    if missing(value) or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def citations(body: Any) -> list[dict[str, str]]:
    """The citations of a curated report's body: field (as the report column), quote, title
    of the cited document (with its publisher), URL."""
    if not isinstance(body, str) or "Citations:" not in body:
        return []
    out = []
    for line in body.split("Citations:", 1)[1].splitlines():
        found = CITATION_LINE.match(line.strip())
        if found:
            cited = found.groupdict()
            cited["field"] = RECORD_FIELD.get(cited["field"], cited["field"])
            out.append(cited)
    return out


def fact_value(
    field: str,
    value: Any,
    *,
    clock: Clock,
    state_names: dict[str, str],
    county_names: dict[str, str],
) -> str:
    """A report column's value in words, as the facts table shows it."""
    if field in ("started_at", "ended_at"):
        return clock.text(value)
    if field == "date":
        return pd.Timestamp(value).strftime("%-d %B %Y")
    if field == "stated_duration_minutes":
        return duration_words(value) or "unknown"
    if field == "state_codes":
        return and_list([state_names.get(s, s) for s in as_list(value)])
    if field == "county_fips":
        names = [county_names.get(f, f) for f in as_list(value)]
        return and_list(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    if field == "cause":
        label = taxonomy.cause_label(str(value))
        return label[:1].upper() + label[1:]
    if field in ("calls_affected", "psaps_affected"):
        return f"{int(value):,}"
    return str(value)


def facts(
    reports: pd.DataFrame,
    *,
    clock: Clock,
    state_names: dict[str, str],
    county_names: dict[str, str],
    source_titles: dict[str, str],
) -> list[Fact]:
    """Every fact a member report quotes its source for, fact by fact, the most trusted kind
    of source first (the order the incident builder takes facts in). A quote whose report
    kept no value for it (the extractor judged the words not to be the fact) is left out."""
    out: list[tuple[int, float, str, Fact]] = []
    order = list(FACT_FIELDS)
    for row in reports.to_dict(orient="records"):
        spider = str(row.get("source") or "")
        source = source_titles.get(spider) or spider.replace("_", " ")
        url = row.get("source_url") if isinstance(row.get("source_url"), str) else None
        title = str(row.get("title") or row.get("report_id") or "")
        kind = taxonomy.label("source_kinds", str(row.get("source_kind") or "unknown"))
        # (field, quote, source, link text, URL): a curated record cites a document per quote
        cited = [
            (c["field"], c["quote"], f"{kind.capitalize()}, citing", c["title"], c["url"])
            for c in citations(row.get("body"))
        ] or [
            (field, text, source, title, url)
            for field, text in evidence_of(row.get("field_evidence")).items()
        ]
        for field, quote_text, credit, link_text, link in cited:
            if field not in FACT_FIELDS or not quote_text.strip():
                continue
            label, column = FACT_FIELDS[field]
            if column is None:
                value = "as quoted"
            else:
                raw = row.get(column)
                if missing(raw) or (isinstance(raw, list | tuple) and not raw):
                    continue
                if column == "cause" and raw == "unknown":
                    continue
                value = fact_value(
                    field, raw, clock=clock, state_names=state_names, county_names=county_names
                )
            fact = Fact(
                fact=label,
                value=value,
                source=credit,
                title=link_text,
                url=link,
                spider=spider,
                quote=quote_text,
                constructed=bool(row.get("is_constructed")),
            )
            weight = taxonomy.source_weight(row.get("source_kind"))
            published = row.get("published_at")
            when = "" if missing(published) else pd.Timestamp(published).isoformat()
            out.append((order.index(field), -weight, when, fact))
    out.sort(key=lambda t: t[:3])
    return [t[3] for t in out]


# ---------------------------------------------------------------------------- citation
def incident_url(public_url: str, incident_id: str) -> str:
    return f"{public_url.rstrip('/')}/incidents?id={quote(incident_id, safe='')}"


def version_date(version: str) -> date | None:
    try:
        return datetime.fromisoformat(version).date()
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Citation:
    title: str
    url: str
    incident_id: str
    version: str
    accessed: date

    def text(self) -> str:
        issued = version_date(self.version)
        year = str(issued.year) if issued else "n.d."
        return (
            f"{PROJECT} ({year}). {self.title} [data set record]. Incident {self.incident_id}, "
            f"data version {self.version}. {self.url} (accessed {self.accessed.isoformat()})."
        )

    def bibtex(self) -> str:
        issued = version_date(self.version)
        key = "outagewatch-" + self.incident_id.replace("i-", "")
        fields = [
            ("title", "{" + bibtex_escape(self.title) + "}"),
            ("author", "{" + PROJECT + "}"),
            ("year", str(issued.year) if issued else "n.d."),
            ("version", bibtex_escape(self.version)),
            ("url", self.url),
            ("urldate", self.accessed.isoformat()),
            ("note", f"Incident {self.incident_id}, data version {bibtex_escape(self.version)}"),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{key},\n{body}\n}}"

    def csl(self) -> dict[str, Any]:
        issued = version_date(self.version)
        item: dict[str, Any] = {
            "id": f"outagewatch-{self.incident_id}",
            "type": "dataset",
            "title": self.title,
            "author": [{"literal": PROJECT}],
            "publisher": PROJECT,
            "URL": self.url,
            "version": self.version,
            "number": self.incident_id,
            "note": f"Incident {self.incident_id}, data version {self.version}",
            "accessed": {"date-parts": [[*self.accessed.timetuple()[:3]]]},
        }
        if issued:
            item["issued"] = {"date-parts": [[*issued.timetuple()[:3]]]}
        return item

    def csl_json(self) -> str:
        return json.dumps([self.csl()], indent=2, ensure_ascii=False)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, so a title cannot end
    the field or run a macro."""
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in str(text))


# ---------------------------------------------------------------------------- SQL link
def rows_query(incident_id: str) -> str:
    """The incident's reports with the facts they give, as a query the SQL page runs. The id
    is checked against the id pattern before it gets here, so it is a plain literal."""
    literal = incident_id.replace("'", "''")
    return (
        "SELECT report_id, published_at, source, source_kind, status, title, source_url, "
        "started_at, ended_at, cause, provider, backup_phone, field_evidence, archive_ref\n"
        f"FROM reports\nWHERE incident_id = '{literal}'\nORDER BY published_at, report_id"
    )
