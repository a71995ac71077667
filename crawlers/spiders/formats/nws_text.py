"""NWS text products (WMO/AWIPS bulletins), as the Iowa Environmental Mesonet archives them.

A relayed non-weather product (``TOE``, ``CEM``, ``CAE`` ...) looks like this::

    <SOH>
    081
    WOUS43 KDMX 242023              WMO heading: TTAAii CCCC DDHHMM [BBB]
    CAEIA                           AWIPS id: PIL (NNN, the product category) + location
    IAC000-250130-                  UGC group(s), ending with the DDHHMM expiry

    URGENT - CHILD ABDUCTION EMERGENCY          the MND block: product type,
    IOWA DEPARTMENT OF PUBLIC SAFETY            the agency that asked for it,
    RELAYED BY NATIONAL WEATHER SERVICE DES MOINES IA
    323 PM CDT SAT OCT 24 2015                  and the issuance time, local

    ...A CHILD ABDUCTION EMERGENCY HAS BEEN ISSUED...     headline
    THIS IS AN AMBER ALERT. ...                           body, up to "$$"
    $$

`parse_nws_text` reads one product (CR CR LF or LF line ends, upper or mixed case) and
raises `NwsTextParseError` when the text has no WMO heading and AWIPS id. Times are aware
UTC: the local issuance line is read with the time zone abbreviations of `dateparser`
(EST, CDT, AKST, HST, AST for Puerto Rico, ChST for Guam, SST for Samoa ...); the WMO
heading's DDHHMM and the UGC expiry are resolved to full dates next to it.
`product_report` turns a product into an `OutageReport` that the pipelines classify
(through `alert_text`, with the PIL's event code) and geocode (through `ugc_codes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dateparser.timezone_parser import pop_tz_offset_from_string

from crawlers.classify import AlertText
from crawlers.items import OutageReport, make_report_id
from warehouse.geography import expand_ugc_line

__all__ = [
    "EVENT_NAMES",
    "NwsTextParseError",
    "NwsTextProduct",
    "parse_issued",
    "parse_nws_text",
    "product_report",
    "resolve_ddhhmm",
    "split_products",
]

# SAME / PIL event codes of the relayed non-weather products, with NWS's names.
EVENT_NAMES: dict[str, str] = {
    "TOE": "911 Telephone Outage Emergency",
    "CEM": "Civil Emergency Message",
    "LAE": "Local Area Emergency",
    "ADR": "Administrative Message",
    "SPW": "Shelter in Place Warning",
    "EVI": "Evacuation Immediate",
    "CDW": "Civil Danger Warning",
    "CAE": "Child Abduction Emergency",
    "LEW": "Law Enforcement Warning",
    "HMW": "Hazardous Materials Warning",
    "NUW": "Nuclear Power Plant Warning",
    "RHW": "Radiological Hazard Warning",
    "FRW": "Fire Warning",
    "BLU": "Blue Alert",
    "DBW": "Dam Break Warning",
}
# Written after "$$" in the constructed fixtures; a real product never says it.
CONSTRUCTED_MARK = "CONSTRUCTED DEMO DATA"

_WMO = re.compile(r"^([A-Z]{4}\d{2})\s+([A-Z0-9]{4})\s+(\d{6})(?:\s+([A-Z]{3}))?\s*$")
_AWIPS = re.compile(r"^([A-Z0-9]{3})([A-Z0-9]{1,3})\s*$")
_UGC_START = re.compile(r"^[A-Z]{2}[CZ](?:\d{3}|ALL)[->]", re.IGNORECASE)
_UGC_END = re.compile(r"\d{6}-\s*$")
_UGC_CHARS = re.compile(r"[A-Z0-9>-]+", re.IGNORECASE)
_VTEC = re.compile(r"^/[A-Z0-9.#-]+/\s*$", re.IGNORECASE)
# "323 PM CDT SAT OCT 24 2015", "1005 AM EST Tue Jan 2 2024", "2023 UTC SAT OCT 24 2015"
_ISSUED = re.compile(
    r"^(?P<hhmm>\d{1,4})\s*(?P<ampm>AM|PM)?\s+(?P<tz>[A-Z]{1,5})\s+"
    r"(?:(?:MON|TUE|WED|THU|FRI|SAT|SUN)[A-Z]*\s+)?"
    r"(?P<month>[A-Z]{3})[A-Z]*\.?\s+(?P<day>\d{1,2})\s*,?\s+(?P<year>\d{4})\s*$",
    re.IGNORECASE,
)
_RELAYED = re.compile(r"^(?:RELAYED BY\s+)(?P<office>.+)$", re.IGNORECASE)
_NWS_OFFICE = re.compile(r"^NATIONAL WEATHER SERVICE\b", re.IGNORECASE)
_URGENCY = re.compile(r"^(?:URGENT|BULLETIN)\b[\s.-]*", re.IGNORECASE)
_BROADCAST = re.compile(r"ACTIVATION REQUESTED|BROADCAST REQUESTED", re.IGNORECASE)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}


class NwsTextParseError(ValueError):
    """The text is not an NWS text product (no WMO heading or AWIPS id)."""


@dataclass
class NwsTextProduct:
    wmo_id: str  # "WOUS43"
    office: str  # "KDMX": the WMO originating centre (CCCC)
    wmo_ddhhmm: str  # "242023" (UTC)
    bbb: str | None  # "CCA", "RRA", "AAB" ... (corrections, retransmissions, amendments)
    awips_id: str  # "CAEIA", "TOEFSD"
    wmo_time: datetime | None  # the DDHHMM resolved to a full UTC time
    issued: datetime | None  # the local issuance line, in UTC
    issued_raw: str | None  # "323 PM CDT SAT OCT 24 2015"
    ugc_codes: list[str] = field(default_factory=list)
    ugc_expiry: str | None = None  # "250130" (UTC DDHHMM) of the first segment
    expires: datetime | None = None
    area_desc: str | None = None  # zone names of a zone-based product
    product_type: str | None = None  # "CHILD ABDUCTION EMERGENCY"
    sender_name: str | None = None  # "IOWA DEPARTMENT OF PUBLIC SAFETY"
    relayed_by: str | None = None  # "NATIONAL WEATHER SERVICE DES MOINES IA"
    headline: str | None = None  # "A CHILD ABDUCTION EMERGENCY HAS BEEN ISSUED"
    body: str = ""  # paragraphs (lines joined), headline excluded, up to "$$"
    constructed: bool = False  # says CONSTRUCTED DEMO DATA after "$$"

    @property
    def pil(self) -> str:
        """The product category, the first three characters of the AWIPS id (``CAE``)."""
        return self.awips_id[:3]

    @property
    def event_code(self) -> str:
        return self.pil

    @property
    def event(self) -> str | None:
        return EVENT_NAMES.get(self.pil) or self.product_type

    @property
    def product_id(self) -> str | None:
        """The IEM product id, ``YYYYmmddHHMM-CCCC-TTAAii-AWIPSID[-BBB]``."""
        if self.wmo_time is None:
            return None
        tail = f"-{self.bbb}" if self.bbb else ""
        return f"{self.wmo_time:%Y%m%d%H%M}-{self.office}-{self.wmo_id}-{self.awips_id}{tail}"


# ---------------------------------------------------------------------------- helpers


def _normalize(text: str) -> list[str]:
    """Lines without the SOH/ETX framing and with CR CR LF / CR LF turned into LF."""
    text = text.replace("\x01", "").replace("\x03", "")
    text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n")]


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, each unwrapped onto one line."""
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def split_products(text: str) -> list[str]:
    """Several products returned under one IEM id (``nolimit``) are separated by ETX."""
    parts = [p for p in text.split("\x03") if p.strip(" \r\n\x01")]
    return parts or [text]


def parse_issued(line: str) -> datetime | None:
    """``"323 PM CDT SAT OCT 24 2015"`` -> 2015-10-24 20:23 UTC; None when unreadable.

    The zone abbreviation is read by `dateparser` (US zones: EST/EDT, CST/CDT, MST/MDT,
    PST/PDT, AKST/AKDT, HST, AST, ChST, SST; UTC/GMT/Z). 12 AM is midnight, 12 PM noon.
    """
    match = _ISSUED.match(line.strip())
    if match is None:
        return None
    hhmm, ampm = match["hhmm"], (match["ampm"] or "").upper()
    hour, minute = (int(hhmm), 0) if len(hhmm) <= 2 else (int(hhmm[:-2]), int(hhmm[-2:]))
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    month = _MONTHS.get(match["month"].upper())
    rest, tzinfo = pop_tz_offset_from_string(f"0000 {match['tz']}")
    if month is None or tzinfo is None or rest.strip() != "0000" or hour > 23 or minute > 59:
        return None
    try:
        local = datetime(int(match["year"]), month, int(match["day"]), hour, minute)
    except ValueError:
        return None
    offset = tzinfo.utcoffset(local)
    return (local - offset).replace(tzinfo=UTC)


def resolve_ddhhmm(ddhhmm: str, near: datetime, *, not_before: bool = False) -> datetime | None:
    """A ``DDHHMM`` (UTC) as the full time nearest to `near` (previous, same or next month).

    With ``not_before`` (an expiry), the first such time no earlier than a day before `near`.
    """
    if not re.fullmatch(r"\d{6}", ddhhmm or ""):
        return None
    day, hour, minute = int(ddhhmm[:2]), int(ddhhmm[2:4]), int(ddhhmm[4:])
    near = near.astimezone(UTC)
    candidates = []
    for shift in (-1, 0, 1):
        year, month = near.year, near.month + shift
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
        try:
            candidates.append(datetime(year, month, day, hour, minute, tzinfo=UTC))
        except ValueError:  # 31st of a 30-day month, hour 24 ...
            continue
    if not candidates:
        return None
    if not_before:
        later = [c for c in candidates if c >= near - timedelta(days=1)]
        return min(later) if later else None
    return min(candidates, key=lambda c: abs(c - near))


# ---------------------------------------------------------------------------- parse


def parse_nws_text(text: str | bytes, *, received: datetime | None = None) -> NwsTextProduct:
    """Parse one NWS text product; `received` (UTC) anchors the DDHHMM times if needed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lines = _normalize(text)

    # WMO heading, within the first lines (after an optional sequence number), then AWIPS id
    wmo_at = next((i for i, line in enumerate(lines[:8]) if _WMO.match(line.strip())), None)
    if wmo_at is None:
        raise NwsTextParseError("no WMO heading (TTAAii CCCC DDHHMM) at the top of the text")
    wmo = _WMO.match(lines[wmo_at].strip())
    assert wmo is not None
    awips_at = next((i for i in range(wmo_at + 1, len(lines)) if lines[i].strip()), None)
    awips = _AWIPS.match(lines[awips_at].strip()) if awips_at is not None else None
    if awips is None or awips_at is None:
        raise NwsTextParseError("no AWIPS id (e.g. TOEFSD) on the line after the WMO heading")
    product = NwsTextProduct(
        wmo_id=wmo[1],
        office=wmo[2],
        wmo_ddhhmm=wmo[3],
        bbb=wmo[4],
        awips_id=awips[1] + awips[2],
        wmo_time=None,
        issued=None,
        issued_raw=None,
    )

    # Segments end with "$$"; what follows the last one is a signature (or our label).
    segments: list[list[str]] = [[]]
    for line in lines[awips_at + 1 :]:
        if line.strip() == "$$":
            segments.append([])
        else:
            segments[-1].append(line)
    tail = segments.pop() if len(segments) > 1 else []
    product.constructed = any(CONSTRUCTED_MARK in line.upper() for line in tail)

    body_paragraphs: list[str] = []
    area_parts: list[str] = []
    for index, segment in enumerate(segments):
        codes, expiry, rest = _take_ugc(segment)
        product.ugc_codes += [c for c in codes if c not in product.ugc_codes]
        if index == 0:
            product.ugc_expiry = expiry
        area, header, content = _split_header(rest)
        if area:
            area_parts.append(area)
        if index == 0 or (header and product.issued_raw is None):
            _read_header(product, header)
        body_paragraphs += _paragraphs(content)

    if body_paragraphs and re.fullmatch(r"\.{3}.+\.{3}", body_paragraphs[0]):
        product.headline = body_paragraphs.pop(0).strip(". ").strip() or None
    product.body = "\n\n".join(body_paragraphs)
    product.area_desc = "; ".join(area_parts) or None

    anchor = product.issued or received
    if anchor is not None:
        product.wmo_time = resolve_ddhhmm(product.wmo_ddhhmm, anchor)
    if product.issued is None:
        product.issued = product.wmo_time
    if product.ugc_expiry and product.issued is not None:
        product.expires = resolve_ddhhmm(product.ugc_expiry, product.issued, not_before=True)
    return product


def _take_ugc(segment: list[str]) -> tuple[list[str], str | None, list[str]]:
    """The UGC group (and VTEC lines) at the top of a segment, and the lines after it."""
    i = 0
    while i < len(segment) and not segment[i].strip():
        i += 1
    if i >= len(segment) or not _UGC_START.match(segment[i].strip()):
        return [], None, segment
    group: list[str] = []
    while i < len(segment) and _UGC_CHARS.fullmatch(segment[i].strip()):
        group.append(segment[i].strip())
        i += 1
        if _UGC_END.search(group[-1]):
            break
    while i < len(segment) and _VTEC.match(segment[i].strip()):
        i += 1
    codes, expiry = expand_ugc_line("".join(group))
    return codes, expiry, segment[i:]


def _split_header(lines: list[str]) -> tuple[str | None, list[str], list[str]]:
    """(area description, MND header lines ending with the issuance time, body lines)."""
    issued_at = next((i for i, line in enumerate(lines) if parse_issued(line)), None)
    if issued_at is None:
        return None, [], lines
    start = issued_at
    while start > 0 and lines[start - 1].strip():
        start -= 1
    # Zone names come as "Minnehaha-Lincoln-", then maybe "Including the cities of ..."
    parts: list[str] = []
    for line in (line.strip() for line in lines[:start]):
        if line.endswith("-"):
            parts += [name.strip() for name in line.split("-") if name.strip()]
        elif line:
            parts.append(line)
    return "; ".join(parts) or None, lines[start : issued_at + 1], lines[issued_at + 1 :]


def _read_header(product: NwsTextProduct, header: list[str]) -> None:
    """The MND block: product type, requesting agency, relaying office, issuance time."""
    if not header:
        return
    *names, time_line = (line.strip() for line in header)
    product.issued_raw = time_line
    product.issued = parse_issued(time_line)
    lines: list[str] = []
    for line in names:
        relayed = _RELAYED.match(line)
        if relayed:
            product.relayed_by = relayed["office"].strip()
        elif _NWS_OFFICE.match(line):
            product.relayed_by = product.relayed_by or line
        else:
            lines.append(line)
    # "URGENT - CHILD ABDUCTION EMERGENCY" names the type; "BULLETIN - EAS ACTIVATION
    # REQUESTED" does not. The line that names the PIL's event wins.
    stripped = [_URGENCY.sub("", line).strip() for line in lines]
    wanted = (EVENT_NAMES.get(product.pil) or "").upper()
    at = next((i for i, text in enumerate(stripped) if wanted and text.upper() == wanted), None)
    if at is None:
        at = next(
            (i for i, text in enumerate(stripped) if text and not _BROADCAST.search(text)), None
        )
    if at is None:
        return
    product.product_type = stripped[at]
    product.sender_name = " ".join(lines[at + 1 :]) or None


# ---------------------------------------------------------------------------- report


def product_report(
    product: NwsTextProduct,
    *,
    source: str,
    source_url: str,
    meta: dict,
    key: str | None = None,
) -> OutageReport:
    """One `OutageReport` for one product; the pipelines geocode (UGC) and classify it.

    `key` is the document's stable key (the IEM product id); by default the one the WMO
    heading gives.
    """
    natural_key = key or product.product_id or f"{product.office}-{product.awips_id}"
    text = AlertText(
        event_code=product.event_code,
        event=product.event,
        sender_name=product.sender_name,
        headline=product.headline,
        description=product.body or None,
    )
    constructed = bool(meta.get("constructed")) or product.constructed
    return OutageReport(
        report_id=make_report_id(source, natural_key),
        source=source,
        source_url=source_url,
        archive_ref=meta.get("archive_ref"),
        fetched_at=meta.get("fetched_at"),
        published_at=product.issued,
        title=product.headline or product.product_type or product.event,
        body=product.body or None,
        event_code=product.event_code,
        started_at=product.issued,
        sender=product.office,
        sender_name=product.sender_name,
        alert_key=natural_key,
        references_keys=[],
        expires_at=product.expires,
        area_desc=product.area_desc,
        geocodes=[f"UGC:{c}" for c in product.ugc_codes],
        ugc_codes=list(product.ugc_codes),
        is_constructed=constructed,
        alert_text=text,
    )
