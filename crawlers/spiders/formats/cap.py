"""CAP 1.2 alerts (OASIS Common Alerting Protocol), as IPAWS and NWS send them.

`parse_cap` reads one CAP XML message with a hardened parser (no entity resolution, no
network, no huge trees: hostile input cannot expand entities or read files). `alert_report`
turns a parsed alert, from XML or from the NWS GeoJSON form, into an `OutageReport`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from dateutil import parser as dateparser
from lxml import etree

from crawlers.classify import AlertText
from crawlers.items import OutageReport, make_report_id

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# SAME event codes that are only tests; they may still carry <status>Actual</status>.
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


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time with offset; None for missing or unreadable values."""
    if not value or not value.strip():
        return None
    try:
        parsed = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else None


# A Python string has no byte encoding left: an XML declaration's `encoding` would mislead.
_XML_DECLARATION_RE = re.compile(r"\A\ufeff?\s*<\?xml\b[^>]*\?>")


def parse_cap(xml: bytes | str) -> CapAlert:
    """Parse one CAP 1.2 message; raise `CapParseError` when it is not one.

    CAP has no DTD: a document with a DOCTYPE (the vehicle of entity expansion and external
    entities) is refused, and entities are never resolved in any case.
    """
    if isinstance(xml, str):
        data = _XML_DECLARATION_RE.sub("", xml, count=1).encode("utf-8")
    else:
        data = xml
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CapParseError(f"malformed XML: {exc}") from exc
    if root is None:
        raise CapParseError("not a CAP <alert> document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise CapParseError("a DOCTYPE is not allowed in CAP (no entity declarations or DTDs)")
    if etree.QName(root).localname != "alert":
        raise CapParseError("not a CAP <alert> document")
    ns = etree.QName(root).namespace or ""

    def find(node: etree._Element, path: str) -> str | None:
        element = node.find(f"{{{ns}}}{path}" if ns else path)
        if element is None or element.text is None:
            return None
        return element.text.strip()

    def find_all(node: etree._Element, path: str) -> list[etree._Element]:
        return node.findall("/".join(f"{{{ns}}}{part}" if ns else part for part in path.split("/")))

    identifier, sender, sent_raw = (
        find(root, "identifier"),
        find(root, "sender"),
        find(root, "sent"),
    )
    if not (identifier and sender and sent_raw):
        raise CapParseError("CAP alert lacks identifier, sender or sent")
    alert = CapAlert(
        identifier=identifier,
        sender=sender,
        sent_raw=sent_raw,
        sent=parse_time(sent_raw),
        status=find(root, "status"),
        msg_type=find(root, "msgType"),
        note=find(root, "note"),
        references=_REFERENCE_RE.findall(find(root, "references") or ""),
    )
    infos = find_all(root, "info")
    # Prefer the English <info> block; alerts may repeat it in other languages.
    info = next(
        (i for i in infos if (find(i, "language") or "en-US").lower().startswith("en")),
        infos[0] if infos else None,
    )
    if info is None:
        return alert
    alert.event = find(info, "event")
    alert.sender_name = find(info, "senderName")
    alert.headline = find(info, "headline")
    alert.description = find(info, "description")
    alert.instruction = find(info, "instruction")
    alert.effective = parse_time(find(info, "effective"))
    alert.onset = parse_time(find(info, "onset"))
    alert.expires = parse_time(find(info, "expires"))
    for code in find_all(info, "eventCode"):
        if (find(code, "valueName") or "").upper() == "SAME" and find(code, "value"):
            alert.event_code = find(code, "value").upper()
    areas = find_all(info, "area")
    alert.area_desc = "; ".join(d for a in areas if (d := find(a, "areaDesc"))) or None
    for area in areas:
        for geocode in find_all(area, "geocode"):
            name, value = (find(geocode, "valueName") or "").upper(), find(geocode, "value")
            if not value:
                continue
            if name == "SAME":
                alert.same_codes.append(value)
            elif name == "UGC":
                alert.ugc_codes.append(value)
    return alert


def alert_report(
    alert: CapAlert,
    *,
    source: str,
    source_url: str,
    meta: dict,
) -> OutageReport:
    """One `OutageReport` for one alert; the pipelines geocode and classify it."""
    body = "\n\n".join(part for part in (alert.description, alert.instruction) if part)
    text = AlertText(
        event_code=alert.event_code,
        event=alert.event,
        msg_type=alert.msg_type,
        cap_status=alert.status,
        sender_name=alert.sender_name,
        headline=alert.headline,
        description=alert.description,
        instruction=alert.instruction,
    )
    constructed = bool(meta.get("constructed")) or "CONSTRUCTED" in (alert.note or "").upper()
    return OutageReport(
        report_id=make_report_id(source, alert.key),
        source=source,
        source_url=source_url,
        archive_ref=meta.get("archive_ref"),
        fetched_at=meta.get("fetched_at"),
        published_at=alert.sent,
        title=alert.headline or alert.event,
        body=body or None,
        event_code=alert.event_code,
        started_at=alert.onset or alert.effective or alert.sent,
        sender=alert.sender,
        sender_name=alert.sender_name,
        message_type=alert.msg_type,
        cap_status=alert.status,
        alert_key=alert.key,
        references_keys=alert.references,
        expires_at=alert.expires,
        area_desc=alert.area_desc,
        geocodes=[f"SAME:{c}" for c in alert.same_codes] + [f"UGC:{c}" for c in alert.ugc_codes],
        same_codes=alert.same_codes,
        ugc_codes=alert.ugc_codes,
        is_constructed=constructed,
        alert_text=text,
    )
