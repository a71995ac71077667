"""FCC documents in their plain-text form, and the FCC pages that list them.

The FCC's EDOCS system publishes every attachment at
``https://docs.fcc.gov/public/attachments/<ID>.<ext>``, where ``<ID>`` is a document number
plus its attachment number: ``DOC-359134A1`` (news releases, reports, statements),
``DA-21-1543A1`` (bureau orders, public notices) or ``FCC-24-5A1`` (Commission items), and
``<ext>`` is ``pdf``, ``docx`` or ``txt``. The ``.txt`` form is the one read here: no PDF
parser is needed and the text is what the document says, page headers and all.

Kinds of document (``KINDS``), recognised from the text when the list of known documents
(``crawlers/data/fcc_documents.csv``) does not say:

- ``pshsb_report``: a Public Safety and Homeland Security Bureau report on an outage
  ("December 27, 2018 CenturyLink Network Outage Report", "... REPORT AND FINDINGS");
- ``consent_decree``: an Enforcement Bureau order adopting a consent decree
  ("In the Matter of CenturyLink, Inc. ... ORDER ... Consent Decree");
- ``dirs_report``: a "Communications Status Report for Areas Impacted by <event>" built from
  the Disaster Information Reporting System: the counties of the disaster area by state,
  then "911 Services" with the PSAPs affected (down or rerouted) by state;
- ``news_release``, ``public_notice``, ``statement``, ``order``, or ``document``.

Facts come from :func:`crawlers.extract.extract_facts` (places, times, duration, counts,
cause, provider, each with its span), with FCC-specific readings on top: the party "In the
Matter of" is the provider of a consent decree; the provider named in the sentence that gives
the cause wins over the first one named; the outage's own date ("a 911 outage on September
28, 2020") is kept as evidence but never becomes a start time (a date is not a time).
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector

from crawlers.classify import find_cause, find_provider
from crawlers.extract import Facts, extract_duration_minutes, extract_facts, parse_number
from warehouse import geography as geo

__all__ = [
    "ATTACHMENTS_URL",
    "KINDS",
    "DirsReport",
    "KnownDocument",
    "attachment_id",
    "county_fips_by_name",
    "detect_kind",
    "document_facts",
    "document_title",
    "facts_text",
    "main_cause",
    "incident_date",
    "known_documents",
    "listing_links",
    "parse_dirs",
    "read_document",
    "released_at",
    "txt_url",
]

ATTACHMENTS_URL = "https://docs.fcc.gov/public/attachments/"
DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "fcc_documents.csv"
KINDS = (
    "pshsb_report",
    "consent_decree",
    "order",
    "dirs_report",
    "news_release",
    "public_notice",
    "statement",
    "document",
)
# The FCC dates its documents in Washington, D.C.
FCC_ZONE = ZoneInfo("America/New_York")

_ID = r"(?:DOC-\d{4,7}|DA-\d{2}-\d{1,5}|FCC-\d{2}-\d{1,4})A\d{1,2}"
_ID_RE = re.compile(r"^" + _ID + r"$", re.I)
_ATTACHMENT_URL_RE = re.compile(
    r"^https?://(?:docs|apps|transition|www)\.fcc\.gov/(?:[\w./-]*/)?(?P<id>" + _ID + r")"
    r"\.(?:txt|pdf|docx?|html?)$",
    re.I,
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = r"(?P<date>" + _MONTHS + r"\s+\d{1,2}(?:\s*-\s*\d{1,2})?,?\s+(?:19|20)\d{2})"
_SPACES = re.compile(r"\s+")
# What makes a listed document worth fetching: it is about 911, outages or disasters.
RELEVANT = re.compile(
    r"(?<![\w.])(?:E|NG)?(?:9-1-1|911)(?![\w])|\boutages?\b|\bDIRS\b|"
    r"Disaster Information Reporting|Communications Status Report|network reliability",
    re.I,
)


# --------------------------------------------------------------------------------------
# Document numbers and the known list
# --------------------------------------------------------------------------------------


def attachment_id(url_or_id: str) -> str | None:
    """``.../attachments/DOC-359134A1.pdf`` or ``"doc-359134a1"`` -> ``"DOC-359134A1"``."""
    text = (url_or_id or "").strip()
    match = _ATTACHMENT_URL_RE.match(text)
    if match:
        return match.group("id").upper()
    return text.upper() if _ID_RE.match(text) else None


def txt_url(doc_id: str) -> str:
    """The plain-text attachment of a document: ``DOC-359134A1`` -> ``.../DOC-359134A1.txt``."""
    normal = attachment_id(doc_id)
    if normal is None:
        raise ValueError(f"not an FCC attachment number: {doc_id!r}")
    return f"{ATTACHMENTS_URL}{normal}.txt"


@dataclass(frozen=True)
class KnownDocument:
    """A row of ``crawlers/data/fcc_documents.csv``."""

    doc_id: str
    kind: str
    title: str
    released: date
    incident_key: str | None
    note: str


@functools.cache
def known_documents(path: Path = DATA_FILE) -> dict[str, KnownDocument]:
    """The known document numbers, by normalized id (``DOC-359134A1``)."""
    out: dict[str, KnownDocument] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            doc_id = attachment_id(row["doc_id"])
            if doc_id is None:
                raise ValueError(f"{path.name}: not an FCC attachment number: {row['doc_id']!r}")
            if row["kind"] not in KINDS:
                raise ValueError(f"{path.name}: {doc_id}: unknown kind {row['kind']!r}")
            out[doc_id] = KnownDocument(
                doc_id=doc_id,
                kind=row["kind"],
                title=row["title"].strip(),
                released=date.fromisoformat(row["released"]),
                incident_key=row.get("incident_key") or None,
                note=(row.get("note") or "").strip(),
            )
    return out


# --------------------------------------------------------------------------------------
# Reading a document
# --------------------------------------------------------------------------------------


def read_document(body: bytes) -> str:
    """The text of a ``.txt`` attachment: UTF-8 (with or without BOM), else Windows-1252.

    Raises ``ValueError`` when the bytes are a PDF, a Word file or an HTML page (an error
    page served in place of the text), or hold no text at all.
    """
    head = body[:512].lstrip()
    if head.startswith(b"%PDF") or head.startswith(b"PK\x03\x04"):
        raise ValueError("a PDF or Word file, not the .txt attachment")
    if re.match(rb"(?is)\s*(?:<!doctype\s+html|<html)", head):
        raise ValueError("an HTML page, not the .txt attachment")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    if not text.strip():
        raise ValueError("an empty document")
    return text


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _parse_date(raw: str) -> date | None:
    """``"December 17, 2021"``, ``"Sept. 1, 2023"``, ``"April 9-10, 2014"`` (first day)."""
    text = re.sub(r"(\d{1,2})\s*-\s*\d{1,2}", r"\1", raw.replace(".", "").strip())
    text = text.replace(",", "")
    for fmt in ("%B %d %Y", "%b %d %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    parts = text.split()
    if parts and parts[0].lower().startswith("sept"):
        return _parse_date(" ".join(["Sep", *parts[1:]]))
    return None


def detect_kind(text: str) -> str:
    """The kind of FCC document the text is (see ``KINDS``)."""
    head = _flat(text[:6000])
    if re.search(r"Communications Status Report for Areas Impacted", head, re.I):
        return "dirs_report"
    if re.search(r"In the Matter of", head) and re.search(r"Consent Decree", head, re.I):
        return "consent_decree"
    if re.search(r"For Immediate Release|Media Contact", head, re.I):
        return "news_release"
    if re.search(r"\bPUBLIC NOTICE\b", head[:300]):
        return "public_notice"
    if re.search(
        r"A Report of the Public Safety and Homeland Security Bureau|"
        r"REPORT AND FINDINGS|\bOutage Report\b",
        head,
    ):
        return "pshsb_report"
    if re.search(r"\bPUBLIC NOTICE\b", head):
        return "public_notice"
    if re.search(r"^(?:\W*)(?:STATEMENT|REMARKS) OF\b", head):
        return "statement"
    if re.search(r"\bORDER\b", head) and re.search(r"In the Matter of", head):
        return "order"
    return "document"


def released_at(text: str) -> tuple[datetime, str] | None:
    """When the document was released (aware, Eastern time) and the span it came from.

    "Released: December 17, 2021", a news release's "WASHINGTON, November 4, 2019", a DIRS
    report's "as of August 30, 2021 at 11:00 a.m. EDT" (with its time), or the date under a
    bureau report's byline. A date alone is the start of that day in Washington.
    """
    flat = _flat(text[:8000])
    m = re.search(
        r"as of " + _DATE + r",? at (?P<t>\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?)\s*(?P<z>[ECMP][SD]T)?",
        flat,
        re.I,
    )
    if m:
        day = _parse_date(m.group("date"))
        clock = _clock(m.group("t"))
        if day and clock:
            zone = _ZONE_BY_ABBR.get((m.group("z") or "EDT")[0].upper(), FCC_ZONE)
            return datetime.combine(day, clock, tzinfo=zone), m.group(0)
    for rx in (
        r"Released:?\s*" + _DATE,
        r"\bWASHINGTON,\s*" + _DATE,
        r"\bAdopted:?\s*" + _DATE,
    ):
        m = re.search(rx, flat)
        if m and (day := _parse_date(m.group("date"))):
            return datetime.combine(day, time(0), tzinfo=FCC_ZONE), m.group(0)
    # a bureau report: "A Report of the Public Safety and Homeland Security Bureau Federal
    # Communications Commission July 22, 2024" (the first date of its title is the outage's)
    m = re.search(
        r"Homeland Security Bureau\s+(?:Federal Communications Commission\s+)?" + _DATE, flat
    )
    if m and (day := _parse_date(m.group("date"))):
        return datetime.combine(day, time(0), tzinfo=FCC_ZONE), m.group(0)
    return None


_ZONE_BY_ABBR = {
    "E": ZoneInfo("America/New_York"),
    "C": ZoneInfo("America/Chicago"),
    "M": ZoneInfo("America/Denver"),
    "P": ZoneInfo("America/Los_Angeles"),
}


def _clock(raw: str) -> time | None:
    m = re.match(r"(\d{1,2})(?::(\d{2}))?\s*([ap])", raw.strip(), re.I)
    if not m:
        return None
    hour, minute = int(m.group(1)) % 12, int(m.group(2) or 0)
    if m.group(3).lower() == "p":
        hour += 12
    return time(hour, minute) if minute < 60 else None


def incident_date(text: str) -> tuple[date, str] | None:
    """The day the outage happened, as the document states it, and the span.

    "a 911 outage on September 28, 2020", "a multi-state 911 outage that took place on
    August 1, 2018", "On April 9-10, 2014, an extensive 911 outage occurred", "In the early
    morning of December 27, 2018, CenturyLink experienced a nationwide outage".
    """
    flat = _flat(text[:20000])
    patterns = (
        r"outages?\s+(?:that\s+(?:took\s+place|occurred|began)\s+|which\s+occurred\s+)?on\s+"
        r"(?:\w+day,\s+)?" + _DATE,
        r"\b(?:On|In the (?:early |late )?(?:morning|afternoon|evening|night) of)\s+"
        r"(?:\w+day,\s+)?" + _DATE + r"[^.]{0,200}?\boutage",
        r"\boutages?\b[^.]{0,120}?\bon\s+(?:\w+day,\s+)?" + _DATE,
    )
    for rx in patterns:
        m = re.search(rx, flat)
        if m and (day := _parse_date(m.group("date"))):
            return day, m.group(0)
    return None


def document_title(text: str, kind: str) -> str | None:
    """The document's own title, read from its first lines."""
    flat = _flat(text[:6000])
    if kind == "dirs_report":
        m = re.search(
            r"Communications Status Report for Areas Impacted by [^.]{3,80}?"
            + _DATE.replace("?P<date>", ""),
            flat,
        )
        if m:
            return m.group(0)
    if kind in ("consent_decree", "order"):
        party = _matter_party(flat)
        number = re.search(r"\b(DA|FCC)\s+(\d{2}-\d{1,5})\b", flat)
        label = "Order and Consent Decree" if kind == "consent_decree" else "Order"
        if party:
            suffix = f" ({number.group(1)} {number.group(2)})" if number else ""
            return f"{party}: {label}{suffix}"
    if kind in ("news_release", "public_notice"):
        marker = re.search(r"For Immediate Release|Released:?\s*" + _DATE, flat, re.I)
        if marker:
            heading = _caps_run(flat[marker.end() :])
            if heading:
                return heading
    if kind == "statement":
        m = re.search(
            r"((?:STATEMENT|REMARKS) OF [A-Z .'’-]+?)\s+(?:Re:\s*(.{5,160}?)(?:\s{2}|$|"
            r"(?<=\))\s))",
            flat,
        )
        if m:
            return f"{m.group(1).strip()}: {m.group(2).strip()}" if m.group(2) else m.group(1)
    if kind == "pshsb_report":
        m = re.search(
            r"^(.{10,160}?(?:Outage|Report)\b.{0,60}?)(?=\s+(?:REPORT AND FINDINGS|"
            r"A Report of|In the early|I\. INTRODUCTION)|$)",
            flat,
        )
        if m:
            return m.group(1).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:160] or None


def _caps_run(text: str) -> str | None:
    """The leading run of words written in capitals (a headline), if it is long enough."""
    words: list[str] = []
    for token in text.split():
        if re.search(r"[a-z]", token):
            break
        words.append(token)
    heading = " ".join(words).strip(" -–—")
    return heading if len(heading) >= 15 else None


def _matter_party(flat: str) -> str | None:
    m = re.search(r"In the Matter of\s*(?:\)\s*)*(?P<party>[A-Z][^)]{2,120}?)\s*\)", flat)
    if not m:
        return None
    return re.sub(r"\s+", " ", m.group("party")).strip(" ,")


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------

_WORD_DURATION = re.compile(
    r"\b(?:lasted|lasting|for)\s+(?:(?:almost|nearly|about|approximately|roughly|up\s+to|"
    r"as\s+long\s+as|over|more\s+than|just\s+over)\s+)?"
    r"(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"[a-z]+-(?:one|two|three|four|five|six|seven|eight|nine))\s+(?P<u>hours?|minutes?)\b",
    re.I,
)
_HOUR_MINUTE = re.compile(
    r"\b(?P<h>\d+|one|two|three|four|five|six)\s+hours?\s+and\s+(?P<m>\d+)\s+minutes?\b", re.I
)
_HYPHEN_DURATION = re.compile(
    r"\b(?:a|an|the)\s+(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve)-(?P<u>hour|minute)\s+(?:period|outage|interruption|disruption)\b",
    re.I,
)


def _as_int(word: str) -> int | None:
    """ "12" -> 12, "twelve" -> 12 (the shared number reader of crawlers.extract)."""
    number = parse_number(word)
    return int(number) if number is not None and number.is_integer() else None


def fcc_duration_minutes(text: str) -> tuple[int, str] | None:
    """How long an outage lasted, as FCC documents put it, and the span.

    :func:`crawlers.extract.extract_duration_minutes` first; then the FCC's own phrasings:
    "a one hour and 17 minute outage", "lost service for as long as six hours",
    "The 911 outage lasted 65 minutes", "during a six-hour period".
    """
    found = extract_duration_minutes(text)
    if found:
        return found
    flat = _flat(text)
    m = _HOUR_MINUTE.search(flat)
    if m:
        hours = _as_int(m.group("h"))
        if hours is not None:
            return hours * 60 + int(m.group("m")), m.group(0)
    m = _HYPHEN_DURATION.search(flat)
    if m and (n := _as_int(m.group("n"))) is not None:
        return (n * 60 if m.group("u").lower() == "hour" else n), m.group(0)
    for m in _WORD_DURATION.finditer(flat):
        sentence = flat[max(0, m.start() - 200) : m.end() + 80]
        if not re.search(r"outage|service|911|9-1-1", sentence, re.I):
            continue
        n = _as_int(m.group("n"))
        if n is None:
            continue
        return (n * 60 if m.group("u").lower().startswith("hour") else n), m.group(0)
    return None


# The FCC's own address and the names of its reporting systems are not facts of the outage:
# "Washington, D.C. 20554" is not a place of the outage, and the "Network Outage Reporting
# System" is not a network outage.
_LETTERHEAD = (
    (re.compile(r"\b445\s+12\s*th\s+St(?:reet)?\.?,?\s+S\.?\s?W\.?,?", re.I), " "),
    (re.compile(r"\b45\s+L\s+Street,?\s+N\.?E\.?,?", re.I), " "),
    (re.compile(r"\bWashington,?\s+D\.?\s?C\.?,?\s+20554\b", re.I), " "),
    (re.compile(r"\bWASHINGTON,(?=\s+" + _MONTHS + r")"), " "),
    (re.compile(r"Network Outage Reporting System", re.I), "NORS"),
    (re.compile(r"Disaster Information Reporting System", re.I), "DIRS"),
)


def facts_text(text: str) -> str:
    """The document's text as the fact finders read it: one line, without the letterhead."""
    flat = _flat(text)
    for rx, repl in _LETTERHEAD:
        flat = rx.sub(repl, flat)
    return _flat(flat)


_CAUSED_BY = re.compile(
    r"\b(?:was|were|is|are)\s+(?:caused|triggered)\s+by\s+|\bresulted\s+from\s+|"
    r"\bthe\s+(?:root\s+)?cause\s+(?:of\s+the\s+outage\s+)?was\s+",
    re.I,
)
_CLAUSE_END = re.compile(
    r"[.;,]|\s(?:and|but|which|that|exacerbated|compounded|worsened|combined|made|"
    r"aggravated)\b",
    re.I,
)


def main_cause(text: str) -> tuple[str, str] | None:
    """The cause a document gives as *the* cause: the first one right after "was caused by".

    "This outage was caused by an equipment failure catastrophically exacerbated by a
    network configuration error" is a hardware failure; the configuration error only made
    it worse. None when no such sentence names a cause of the taxonomy.
    """
    flat = _flat(text)
    for m in _CAUSED_BY.finditer(flat):
        tail = flat[m.end() : m.end() + 160]
        end = _CLAUSE_END.search(tail)
        clause = tail[: end.start()] if end else tail
        found = find_cause(clause)
        if found and found[0] != "unknown":
            return found
    return None


def document_facts(
    text: str,
    *,
    kind: str,
    title: str | None = None,
    published_at: datetime | None = None,
) -> Facts:
    """Facts of an FCC document: :func:`extract_facts` plus the FCC-specific readings."""
    flat = _flat(text)
    facts = extract_facts(facts_text(flat), title=title, published_at=published_at)
    ev = facts.field_evidence
    main = main_cause(flat)
    if main:
        facts.cause, ev["cause"] = main
    if facts.stated_duration_minutes is None:
        found = fcc_duration_minutes(flat)
        if found:
            facts.stated_duration_minutes, ev["stated_duration_minutes"] = found
    # The party of a consent decree is the provider it is about.
    party = _matter_party(flat) if kind in ("consent_decree", "order") else None
    if party and (named := find_provider(party)):
        facts.provider, ev["provider"] = named[0], party
    elif facts.cause and ev.get("cause"):
        # The provider named where the cause is told did it ("a West Safety Services
        # technician mistakenly made a configuration change ..."), not the first one named.
        at = flat.find(ev["cause"])
        if at >= 0:
            lo = max(flat.rfind(". ", 0, at) + 2, 0)
            hi = flat.find(". ", at)
            sentence = flat[lo : hi if hi >= 0 else len(flat)]
            named = find_provider(sentence)
            if named:
                facts.provider, ev["provider"] = named
    return facts


# --------------------------------------------------------------------------------------
# DIRS communications status reports
# --------------------------------------------------------------------------------------


@dataclass
class DirsReport:
    """What a DIRS communications status report says about 911 and where."""

    event: str | None
    as_of: datetime | None
    as_of_span: str | None
    # the disaster area: state -> county names as written, and their FIPS codes
    area_names: dict[str, list[str]] = field(default_factory=dict)
    area_counties: dict[str, list[str]] = field(default_factory=dict)
    area_spans: dict[str, str] = field(default_factory=dict)
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    # 911: state -> (PSAPs affected, span)
    psaps: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def psaps_affected(self) -> int:
        return sum(n for n, _ in self.psaps.values())

    @property
    def affected_states(self) -> list[str]:
        return sorted(s for s, (n, _) in self.psaps.items() if n > 0)


_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|"
    "District of Columbia|Florida|Georgia|Guam|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|"
    "Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|"
    "Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|"
    "North Dakota|Northern Mariana Islands|Ohio|Oklahoma|Oregon|Pennsylvania|Puerto Rico|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|U\\.S\\. Virgin Islands|"
    "Virgin Islands|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|"
    "American Samoa"
)
_STATE_LABEL = re.compile(r"(?<![\w.])(?P<state>" + _STATE_NAMES + r")\s*:", re.I)
_PSAP_LINE = re.compile(
    r"(?P<state>" + _STATE_NAMES + r")\s*:\s*(?P<n>No|\d+|one|two|three|four|five|six|seven|"
    r"eight|nine|ten)\s+PSAPs?\s+(?:is|are)\s+(?:currently\s+)?reported\s+as\s+(?:being\s+)?"
    r"affected",
    re.I,
)


def parse_dirs(text: str) -> DirsReport:
    """Event, time, disaster-area counties and PSAPs affected of a DIRS status report."""
    flat = _flat(text)
    event_m = re.search(
        r"Communications Status Report for Areas Impacted by (?P<e>.+?)\s+" + _DATE, flat
    )
    when = released_at(text)
    report = DirsReport(
        event=event_m.group("e").strip() if event_m else None,
        as_of=when[0] if when else None,
        as_of_span=when[1] if when else None,
    )
    # The disaster area: "The following counties are in the current geographic area that is
    # part of DIRS (the "disaster area") ... Alabama: Baldwin, Clarke. Louisiana: ..."
    area_m = re.search(
        r"(?:counties|parishes|municipios|areas)\s+(?:are\s+)?in the current "
        r"geographic area[^.]*\.",
        flat,
        re.I,
    )
    if area_m:
        tail_end = _section_start(flat, area_m.end())
        area = flat[area_m.end() : tail_end]
        labels = list(_STATE_LABEL.finditer(area))
        for i, label in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(area)
            chunk = area[label.end() : end]
            chunk = re.sub(r"\s+\d+\s*$", "", chunk.strip().rstrip(".").strip())  # footnote
            names = _area_names(chunk)
            state = geo.state_code_from_name(label.group("state"))
            if not state or not names:
                continue
            report.area_names.setdefault(state, []).extend(names)
            report.area_spans[state] = area[label.start() : end].strip()
            for name in names:
                fips = county_fips_by_name(state, name)
                if fips:
                    if fips not in report.area_counties.setdefault(state, []):
                        report.area_counties[state].append(fips)
                else:
                    report.unmatched.setdefault(state, []).append(name)
    services = re.search(r"\b911 Services\b", flat)
    if services:
        end = re.search(
            r"\b(?:Wireless|Cable|Wireline|Broadcast)\s+(?:Services|Systems)\b",
            flat[services.end() :],
        )
        section = flat[services.end() : services.end() + end.start() if end else len(flat)]
        for m in _PSAP_LINE.finditer(section):
            state = geo.state_code_from_name(m.group("state"))
            raw = m.group("n").lower()
            n = 0 if raw == "no" else (_as_int(raw) or 0)
            if state:
                report.psaps[state] = (n, m.group(0))
    return report


def _area_names(chunk: str) -> list[str]:
    """County names of one state's list; a stray "St," joins the name after it."""
    names: list[str] = []
    pending = ""
    for raw in re.split(r",|\band\b", chunk):
        name = raw.strip(" .")
        if not name:
            continue
        if name.lower() in ("st", "saint", "ste"):
            pending = name + " "
            continue
        names.append(pending + name)
        pending = ""
    return names


def _section_start(flat: str, after: int) -> int:
    m = re.search(r"\b(?:The following map|911 Services|As prepared by)\b", flat[after:])
    return after + m.start() if m else len(flat)


@functools.cache
def _county_keys(state: str) -> dict[str, str]:
    return {_county_key(geo.county_name(f) or ""): f for f in geo.counties_in_state(state)}


_COUNTY_WORDS = re.compile(
    r"\b(?:county|parish|borough|census area|city and borough|municipality|municipio)\b", re.I
)


def _county_key(name: str) -> str:
    low = re.sub(r"\bsaint\b", "st", name.lower().replace(",", " "))
    low = _COUNTY_WORDS.sub(" ", low)
    return re.sub(r"[^a-z0-9]+", "", low)


def county_fips_by_name(state: str, name: str) -> str | None:
    """A county (parish, independent city, municipio) of a state by its name as written.

    ``("LA", "St. John the Baptist")`` -> ``"22095"``; ``("VA", "Chesapeake City")`` ->
    ``"51550"``; small misspellings ("Point Coupee", "Vermillion") match the closest name
    of the state (similarity 0.85 or more). None when nothing is close enough.
    """
    code = geo.normalize_state_code(state)
    if not code or not name:
        return None
    keys = _county_keys(code)
    key = _county_key(name)
    if key in keys:
        return keys[key]
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.85)
    return keys[close[0]] if close else None


# --------------------------------------------------------------------------------------
# Listing pages
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedLink:
    url: str  # a .txt attachment URL, or an fcc.gov /document/ page
    kind: str  # "attachment" or "document_page"
    text: str  # the words that made it relevant


def listing_links(html: str, base_url: str) -> tuple[list[ListedLink], int]:
    """Relevant document links of an FCC page, and how many document links it has at all.

    Works on any fcc.gov page that links documents: the Headlines listing, EDOCS search
    results, and a single document's page (``www.fcc.gov/document/<slug>``). It reads only
    anchors and the text of the item around them (``li``, ``tr``, ``article`` or a Drupal
    ``views-row``), so it does not depend on one page layout:

    - an attachment (``docs.fcc.gov/public/attachments/<ID>.pdf|docx|txt``) becomes the
      ``.txt`` of that attachment, when its item's text is about 911, outages or DIRS (on a
      document page: always, that page was chosen for its title);
    - a ``/document/<slug>`` page is followed when its link or item text is relevant.
    """
    sel = Selector(text=html)
    own_page = urlsplit(base_url).path.startswith("/document/")
    page_title = _flat(" ".join(sel.css("title::text, h1 *::text, h1::text").getall()))
    out: dict[str, ListedLink] = {}
    total = 0
    for a in sel.css("a[href]"):
        href = urljoin(base_url, a.attrib["href"].strip())
        anchor = _flat(" ".join(a.css("*::text").getall()))
        item = a.xpath(
            "ancestor::*[self::li or self::tr or self::article or "
            "contains(concat(' ', normalize-space(@class), ' '), ' views-row ')][1]"
        )
        context = _flat(" ".join(item.css("*::text").getall()))[:600] if item else anchor
        doc_id = attachment_id(href)
        if doc_id:
            total += 1
            relevant = own_page and RELEVANT.search(page_title or context or anchor)
            if relevant or RELEVANT.search(context) or RELEVANT.search(anchor):
                out.setdefault(
                    txt_url(doc_id), ListedLink(txt_url(doc_id), "attachment", context or anchor)
                )
            continue
        parts = urlsplit(href)
        if parts.netloc.endswith("fcc.gov") and parts.path.startswith("/document/"):
            total += 1
            page = f"https://www.fcc.gov{parts.path}"
            if page != f"https://www.fcc.gov{urlsplit(base_url).path}" and (
                RELEVANT.search(anchor) or RELEVANT.search(context)
            ):
                out.setdefault(page, ListedLink(page, "document_page", context or anchor))
    return list(out.values()), total
