"""CAP 1.2 alerts (OASIS Common Alerting Protocol), as IPAWS and NWS send them.

`parse_cap` reads one CAP XML message with a hardened parser (no entity resolution, no
network, no huge trees: hostile input cannot expand entities or read files). `alert_report`
turns a parsed alert, from XML or from the NWS GeoJSON form, into an `OutageReport`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from dateutil import parser as dateparser
from lxml import etree

from crawlers.classify import AlertText
from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.formats.xml import parse_xml
from warehouse.cleantext import xml_safe

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# <references>: whitespace-separated "sender,identifier,sent" triples.
_REFERENCE_RE = re.compile(r"\S+")


class CapParseError(ValueError):
    """The document is not a readable CAP alert."""


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent_raw: str
    sent: datetime | None
    status: str | None = None
    msg_type: str | None = None
    note: str | None = None
    references: list[str] = field(default_factory=list)  # "sender,identifier,sent" triples
    event: str | None = None
    event_code: str | None = None  # SAME
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    area_desc: str | None = None
    same_codes: list[str] = field(default_factory=list)
    ugc_codes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """CAP's own unique key, in the form other alerts use to reference this one."""
        return f"{self.sender},{self.identifier},{self.sent_raw}"


# The form CAP 1.2 prescribes for times (plus `Z` and fractional seconds), in ASCII digits:
# `datetime.fromisoformat` reads it like `dateutil.parser.isoparse` does, at a fraction of
# the cost. Anything else (hour 24, `z`, `+0500`, week dates...) is left to dateutil.
_CANONICAL_TIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
_ISOPARSER = dateparser.isoparser()
# Offset text -> the tzinfo dateutil gives it (tz.UTC for Z and +-00:00, else tzoffset).
# Bounded: the pattern above allows at most 20,001 distinct offsets.
_ZONES: dict[str, tzinfo] = {}


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time with offset; None for missing or unreadable values.

    The result, its tzinfo included, is what `dateutil.parser.isoparse` gives.
    """
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    match = _CANONICAL_TIME_RE.fullmatch(value)
    if match is not None:
        offset = match[1]
        try:
            zone = _ZONES.get(offset)
            if zone is None:
                zone = _ZONES[offset] = _ISOPARSER.parse_tzstr(offset)
            t = datetime.fromisoformat(value)
        except ValueError:
            pass  # e.g. minute 75 of an offset, February 30: dateutil decides, as before
        else:
            # The constructor, not t.replace(tzinfo=...): several times cheaper.
            return datetime(t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond, zone)
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else None


# A Python string has no byte encoding left: an XML declaration's `encoding` would mislead.
_XML_DECLARATION_RE = re.compile(r"\A\ufeff?\s*<\?xml\b[^>]*\?>")

_ROOT_FIELDS = ("identifier", "sender", "sent", "status", "msgType", "note", "references")
_INFO_FIELDS = (
    "event",
    "senderName",
    "headline",
    "description",
    "instruction",
    "effective",
    "onset",
    "expires",
)
_MISSING = object()


class _Tags:
    """The full tags (`{namespace}local`) of the CAP elements read, for one namespace."""

    __slots__ = ("root", "info", "language", "area_desc", "geocode", "value_name", "value")

    def __init__(self, ns: str) -> None:
        prefix = f"{{{ns}}}" if ns else ""
        # Full tag -> local name, for the children of <alert> and of <info> that are read.
        self.root = {prefix + name: name for name in (*_ROOT_FIELDS, "info")}
        self.info = {prefix + name: name for name in (*_INFO_FIELDS, "eventCode", "area")}
        self.language = prefix + "language"
        self.area_desc = prefix + "areaDesc"
        self.geocode = prefix + "geocode"
        self.value_name = prefix + "valueName"
        self.value = prefix + "value"


_TAGS: dict[str, _Tags] = {CAP_NS: _Tags(CAP_NS), "": _Tags("")}
_MAX_CACHED_NAMESPACES = 16  # the namespace comes from the document: keep the cache small


def _tags(ns: str) -> _Tags:
    tags = _TAGS.get(ns)
    if tags is None:
        tags = _Tags(ns)
        if len(_TAGS) < _MAX_CACHED_NAMESPACES:
            _TAGS[ns] = tags
    return tags


def _name_value(node: etree._Element, tags: _Tags) -> tuple[str, str | None]:
    """A <valueName>/<value> pair (eventCode, geocode): the upper-cased name ("" if none)
    and the value. The first element of each name counts, as `find` would have it."""
    name = value = _MISSING
    name_tag, value_tag = tags.value_name, tags.value
    for child in node:
        tag = child.tag
        if tag == name_tag:
            if name is _MISSING:
                text = child.text
                name = text.strip().upper() if text is not None else ""
        elif tag == value_tag and value is _MISSING:
            text = child.text
            value = text.strip() if text is not None else None
    return ("" if name is _MISSING else name), (None if value is _MISSING else value)


def parse_cap(xml: bytes | str) -> CapAlert:
    """Parse one CAP 1.2 message; raise `CapParseError` when it is not one.

    CAP has no DTD: a document with a DOCTYPE (the vehicle of entity expansion and external
    entities) is refused, and entities are never resolved in any case.

    Each level of the tree is walked once, comparing full tags. Where an element may repeat,
    the first one counts (as `find` has it), except <info> (the first English one, else the
    first) and <eventCode> (the last SAME one). Texts are stripped; None when the element is
    missing or empty.
    """
    if isinstance(xml, str):
        declaration = _XML_DECLARATION_RE.match(xml)
        if declaration is not None:
            xml = xml[declaration.end() :]
        try:
            data = xml.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: xml_safe below drops it
            data = None
    else:
        data = xml
    try:
        root = parse_xml(data) if data is not None else None
    except etree.XMLSyntaxError as exc:
        if isinstance(xml, bytes):
            raise CapParseError(f"malformed XML: {exc}") from exc
        root = None
    if root is None and isinstance(xml, str):
        # A CAP message inside JSON (OpenFEMA's originalMessage) can hold "\\ud800" or
        # "\\u0000" escapes: characters neither UTF-8 nor XML can carry. Drop them so the
        # alert still parses (issue 17) instead of failing on encode. Only then: libxml2
        # refuses every such character (raw or as a character reference), so a text that
        # parses as it is has none, and the scan for them (as long as the parse itself on
        # an 8 KB message) is spared on every good one.
        cleaned = xml_safe(xml)
        try:
            root = parse_xml(cleaned.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            raise CapParseError(f"malformed XML: {exc}") from exc
    if root is None:
        raise CapParseError("not a CAP <alert> document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise CapParseError("a DOCTYPE is not allowed in CAP (no entity declarations or DTDs)")
    qname = etree.QName(root)
    if qname.localname != "alert":
        raise CapParseError("not a CAP <alert> document")
    tags = _tags(qname.namespace or "")

    # <alert>'s children: the first of each name (stripped text, None if empty), all <info>.
    top: dict[str, str | None] = {}
    infos: list[etree._Element] = []
    names = tags.root
    for child in root:
        name = names.get(child.tag)
        if name is None:
            continue
        if name == "info":
            infos.append(child)
        elif name not in top:
            text = child.text
            top[name] = text.strip() if text is not None else None
    identifier, sender, sent_raw = top.get("identifier"), top.get("sender"), top.get("sent")
    if not (identifier and sender and sent_raw):
        raise CapParseError("CAP alert lacks identifier, sender or sent")
    sent = parse_time(sent_raw)
    references = top.get("references")
    header = {  # what the <alert> element itself says
        "identifier": identifier,
        "sender": sender,
        "sent_raw": sent_raw,
        "sent": sent,
        "status": top.get("status"),
        "msg_type": top.get("msgType"),
        "note": top.get("note"),
        "references": _REFERENCE_RE.findall(references) if references else [],
    }
    if not infos:
        return CapAlert(**header)

    # Prefer the English <info> block (no <language> means en-US); else the first one.
    info = infos[0]
    if len(infos) > 1:  # a lone <info> is taken whatever its language
        language_tag = tags.language
        for candidate in infos:
            language = None
            for child in candidate:
                if child.tag == language_tag:
                    text = child.text
                    language = text.strip() if text is not None else None
                    break
            if (language or "en-US").lower().startswith("en"):
                info = candidate
                break

    fields: dict[str, str | None] = {}
    codes: list[etree._Element] = []
    areas: list[etree._Element] = []
    names = tags.info
    for child in info:
        name = names.get(child.tag)
        if name is None:
            continue
        if name == "eventCode":
            codes.append(child)
        elif name == "area":
            areas.append(child)
        elif name not in fields:
            text = child.text
            fields[name] = text.strip() if text is not None else None

    event_code = None
    for code in codes:  # the last SAME code counts
        kind, value = _name_value(code, tags)
        if kind == "SAME" and value:
            event_code = value.upper()
    descriptions: list[str] = []
    same_codes: list[str] = []
    ugc_codes: list[str] = []
    area_desc_tag, geocode_tag = tags.area_desc, tags.geocode
    for area in areas:
        description = _MISSING
        for child in area:
            tag = child.tag
            if tag == geocode_tag:
                kind, value = _name_value(child, tags)
                if not value:
                    continue
                if kind == "SAME":
                    same_codes.append(value)
                elif kind == "UGC":
                    ugc_codes.append(value)
            elif tag == area_desc_tag and description is _MISSING:
                text = child.text
                description = text.strip() if text is not None else None
        if description is not _MISSING and description:
            descriptions.append(description)

    # Times often repeat (effective = sent): a datetime is immutable, parse each text once.
    effective_raw, onset_raw = fields.get("effective"), fields.get("onset")
    effective = sent if effective_raw == sent_raw else parse_time(effective_raw)
    if onset_raw == effective_raw:
        onset = effective
    else:
        onset = sent if onset_raw == sent_raw else parse_time(onset_raw)
    return CapAlert(
        **header,
        event=fields.get("event"),
        event_code=event_code,
        sender_name=fields.get("senderName"),
        headline=fields.get("headline"),
        description=fields.get("description"),
        instruction=fields.get("instruction"),
        effective=effective,
        onset=onset,
        expires=parse_time(fields.get("expires")),
        area_desc="; ".join(descriptions) or None,
        same_codes=same_codes,
        ugc_codes=ugc_codes,
    )


# The fields `alert_report` fills, all declared by `OutageReport`: checked once here, so that
# each report can skip `Item.__setitem__`, a Python call and a check per field.
_REPORT_FIELDS = (
    "report_id",
    "source",
    "source_url",
    "archive_ref",
    "fetched_at",
    "published_at",
    "title",
    "body",
    "event_code",
    "started_at",
    "sender",
    "sender_name",
    "message_type",
    "cap_status",
    "alert_key",
    "references_keys",
    "expires_at",
    "area_desc",
    "geocodes",
    "same_codes",
    "ugc_codes",
    "is_constructed",
    "alert_text",
)


def _bulk_fill_works() -> bool:
    """Whether an `OutageReport` keeps its values in a plain `_values` dict (Scrapy's `Item`
    does), so that filling that dict equals setting each field."""
    if not set(_REPORT_FIELDS) <= set(OutageReport.fields):
        return False
    probe = OutageReport()
    values = getattr(probe, "_values", None)
    if type(values) is not dict or values:
        return False
    values["report_id"] = "probe"
    return dict(probe) == {"report_id": "probe"} and probe == OutageReport(report_id="probe")


_BULK_FILL = _bulk_fill_works()


def alert_report(
    alert: CapAlert,
    *,
    source: str,
    source_url: str,
    meta: dict,
    plain: bool = False,
) -> OutageReport | dict:
    """One `OutageReport` for one alert; the pipelines geocode and classify it.

    `plain=True` gives the same fields as a plain dict: what a parse worker whose reports
    leave it as a table of rows uses (crawlers/workers.py), where an Item's per-field
    `__setitem__`/`get` in every pipeline step cost more than building the report."""
    description, instruction = alert.description, alert.instruction
    if description and instruction:
        body = f"{description}\n\n{instruction}"
    else:
        body = description or instruction or None
    headline, event, event_code = alert.headline, alert.event, alert.event_code
    sender_name, msg_type, status = alert.sender_name, alert.msg_type, alert.status
    text = AlertText(
        event_code=event_code,
        event=event,
        msg_type=msg_type,
        cap_status=status,
        sender_name=sender_name,
        headline=headline,
        description=description,
        instruction=instruction,
    )
    constructed = bool(meta.get("constructed")) or "CONSTRUCTED" in (alert.note or "").upper()
    sender, sent = alert.sender, alert.sent
    key = alert.key
    same_codes, ugc_codes = alert.same_codes, alert.ugc_codes
    geocodes = [f"SAME:{c}" for c in same_codes]
    if ugc_codes:
        geocodes += [f"UGC:{c}" for c in ugc_codes]
    values = {  # the order of _REPORT_FIELDS, the order dict(report) iterates in
        "report_id": make_report_id(source, key),
        "source": source,
        "source_url": source_url,
        "archive_ref": meta.get("archive_ref"),
        "fetched_at": meta.get("fetched_at"),
        "published_at": sent,
        "title": headline or event,
        "body": body,
        "event_code": event_code,
        "started_at": alert.onset or alert.effective or sent,
        "sender": sender,
        "sender_name": sender_name,
        "message_type": msg_type,
        "cap_status": status,
        "alert_key": key,
        "references_keys": alert.references,
        "expires_at": alert.expires,
        "area_desc": alert.area_desc,
        "geocodes": geocodes,
        "same_codes": same_codes,
        "ugc_codes": ugc_codes,
        "is_constructed": constructed,
        "alert_text": text,
    }
    if plain:
        return values
    if not _BULK_FILL:
        return OutageReport(**values)
    report = OutageReport()
    report._values.update(values)
    return report
