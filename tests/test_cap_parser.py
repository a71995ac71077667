"""The single-pass CAP reader (`parse_cap`), its time parser and `alert_report`.

`parse_cap` walks each level of the tree once and reads times with `datetime.fromisoformat`;
it must give exactly what the straightforward reading gives: `find` (first match) and
`findall` with namespaced paths, and `dateutil.parser.isoparse` for times. `_reference_cap`
below is that straightforward reading, the oracle of the property tests.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from dateutil import parser as dateparser
from dateutil import tz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from crawlers.classify import AlertText
from crawlers.items import OutageReport
from crawlers.spiders.formats import cap as capmod
from crawlers.spiders.formats.cap import (
    CAP_NS,
    CapAlert,
    CapParseError,
    alert_report,
    parse_cap,
    parse_time,
)
from crawlers.spiders.formats.xml import XML_PARSER

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the oracle


def _reference_time(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else None


def _reference_cap(xml: bytes) -> CapAlert:
    """The reading parse_cap replaced: one namespaced `find` per field."""
    root = etree.fromstring(xml, parser=XML_PARSER)
    ns = etree.QName(root).namespace or ""

    def find(node, path):
        element = node.find(f"{{{ns}}}{path}" if ns else path)
        return None if element is None or element.text is None else element.text.strip()

    def find_all(node, path):
        return node.findall(f"{{{ns}}}{path}" if ns else path)

    alert = CapAlert(
        identifier=find(root, "identifier"),
        sender=find(root, "sender"),
        sent_raw=find(root, "sent"),
        sent=_reference_time(find(root, "sent")),
        status=find(root, "status"),
        msg_type=find(root, "msgType"),
        note=find(root, "note"),
        references=(find(root, "references") or "").split(),
    )
    infos = find_all(root, "info")
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
    alert.effective = _reference_time(find(info, "effective"))
    alert.onset = _reference_time(find(info, "onset"))
    alert.expires = _reference_time(find(info, "expires"))
    for code in find_all(info, "eventCode"):
        if (find(code, "valueName") or "").upper() == "SAME" and find(code, "value"):
            alert.event_code = find(code, "value").upper()
    areas = find_all(info, "area")
    alert.area_desc = "; ".join(d for a in areas if (d := find(a, "areaDesc"))) or None
    for area in areas:
        for geocode in find_all(area, "geocode"):
            name, value = (find(geocode, "valueName") or "").upper(), find(geocode, "value")
            if value and name == "SAME":
                alert.same_codes.append(value)
            elif value and name == "UGC":
                alert.ugc_codes.append(value)
    return alert


def _same(got: CapAlert, want: CapAlert) -> None:
    """Equal field by field, datetimes with the same tzinfo class (== alone ignores it)."""
    assert dataclasses.asdict(got) == dataclasses.asdict(want)
    for name in ("sent", "effective", "onset", "expires"):
        assert repr(getattr(got, name)) == repr(getattr(want, name)), name


# ----------------------------------------------------------------------------- documents


def _el(tag: str, text: str | None, children: str = "") -> str:
    if text is None and not children:
        return f"<{tag}/>"
    return f"<{tag}>{escape(text or '')}{children}</{tag}>"


def _pair(tag: str, name: str | None, value: str | None) -> str:
    inner = ("" if name is None else _el("valueName", name)) + (
        "" if value is None else _el("value", value)
    )
    return f"<{tag}>{inner}</{tag}>"


def _info(
    *,
    language: str | None = "en-US",
    event: str = "Civil Emergency Message",
    codes: list[tuple[str | None, str | None]] = (("SAME", "CEM"),),
    areas: list[tuple[str | None, list[tuple[str | None, str | None]]]] = (
        ("Lincoln County", [("SAME", "031111")]),
    ),
    extra: str = "",
) -> str:
    body = "" if language is None else _el("language", language)
    body += _el("category", "Safety") + _el("event", event)
    body += "".join(_pair("eventCode", n, v) for n, v in codes)
    body += _el("effective", "2024-04-17T10:00:00-05:00")
    body += _el("expires", "2024-04-17T14:00:00-05:00")
    body += _el("senderName", "Lincoln County Sheriff") + _el("headline", f"{event} headline")
    body += _el("description", " 911 is down. ") + _el("instruction", "Call 308-555-0100.")
    body += _pair("parameter", "SAME", "ignored-parameter")
    for desc, geocodes in areas:
        inner = "" if desc is None else _el("areaDesc", desc)
        inner += "".join(_pair("geocode", n, v) for n, v in geocodes)
        body += f"<area>{inner}</area>"
    return f"<info>{body}{extra}</info>"


def _alert(*infos: str, ns: str | None = CAP_NS, head: str = "", tail: str = "") -> str:
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (
        f"<alert{xmlns}>{head}<identifier>ID-1</identifier><sender>ema@example.org</sender>"
        "<sent>2024-04-17T10:00:00-05:00</sent><status>Actual</status><msgType>Alert</msgType>"
        f"<scope>Public</scope>{''.join(infos)}{tail}</alert>"
    )


# ----------------------------------------------------------------------------- parse_cap


def test_namespace_less_alert_reads_like_the_namespaced_one() -> None:
    with_ns, without = parse_cap(_alert(_info())), parse_cap(_alert(_info(), ns=None))
    _same(without, with_ns)
    assert without.event_code == "CEM"
    assert without.same_codes == ["031111"]
    assert without.effective == datetime(2024, 4, 17, 15, tzinfo=UTC)


def test_elements_of_another_namespace_are_not_read() -> None:
    foreign = '<x:identifier xmlns:x="urn:other">FOREIGN</x:identifier>'
    assert parse_cap(_alert(_info(), head=foreign)).identifier == "ID-1"
    # An unprefixed document in another namespace reads in that namespace.
    other = parse_cap(_alert(_info(), ns="urn:example:not-cap"))
    assert (other.identifier, other.event_code) == ("ID-1", "CEM")


@pytest.mark.parametrize(
    ("languages", "chosen"),
    [
        (["es-US", "en-US"], 1),
        (["fr-CA", "es-US"], 0),  # no English block: the first one
        (["es-US", None], 1),  # no <language> counts as en-US
        (["es-US", " "], 1),  # an empty one too
        (["es-US", "EN-gb"], 1),
        (["en-US", "en-CA"], 0),  # the first English one
        (["es-US"], 0),
    ],
)
def test_the_english_info_block_is_preferred(languages: list, chosen: int) -> None:
    infos = [_info(language=lang, event=f"event {i}") for i, lang in enumerate(languages)]
    alert = parse_cap(_alert(*infos))
    assert alert.event == f"event {chosen}"
    _same(alert, _reference_cap(_alert(*infos).encode()))


def test_the_last_same_event_code_counts_uppercased() -> None:
    codes = [("SAME", "cem"), ("NWS", "XYZ"), (" same ", " lae "), ("SAME", ""), (None, "RMT")]
    alert = parse_cap(_alert(_info(codes=codes)))
    assert alert.event_code == "LAE"
    assert parse_cap(_alert(_info(codes=[("SAME", "cem")]))).event_code == "CEM"
    assert parse_cap(_alert(_info(codes=[("NWS", "CEM")]))).event_code is None


def test_first_value_name_and_value_of_a_pair_count() -> None:
    code = "<eventCode><value>CEM</value><valueName>SAME</valueName><value>LAE</value></eventCode>"
    info = _info(codes=[]).replace("<effective>", code + "<effective>")
    assert parse_cap(_alert(info)).event_code == "CEM"
    code = "<eventCode><valueName>SAME</valueName><valueName>NWS</valueName><value>LAE</value>"
    info = _info(codes=[]).replace("<effective>", code + "</eventCode><effective>")
    assert parse_cap(_alert(info)).event_code == "LAE"
    geocode = "<geocode><valueName>UGC</valueName><valueName>SAME</valueName><value>X</value>"
    info = _info(areas=[]).replace("</info>", f"<area>{geocode}</geocode></area></info>")
    assert parse_cap(_alert(info)).ugc_codes == ["X"]


def test_areas_and_geocodes() -> None:
    areas = [
        ("  ", [("ugc", "NEC111"), ("SAME", None), ("FIPS", "31111")]),
        (None, [("SAME", " 031113 ")]),
        ("Keith County", [("SAME", "031101"), ("UGC", "NEZ044"), (None, "x")]),
    ]
    alert = parse_cap(_alert(_info(areas=areas)))
    assert alert.area_desc == "Keith County"
    assert alert.same_codes == ["031113", "031101"]
    assert alert.ugc_codes == ["NEC111", "NEZ044"]
    two = parse_cap(_alert(_info(areas=[("A", []), ("B", [])])))
    assert two.area_desc == "A; B"
    assert parse_cap(_alert(_info(areas=[]))).area_desc is None


def test_the_first_element_of_a_name_counts_even_when_empty() -> None:
    info = _info().replace("<headline>", "<headline/><headline>", 1)
    assert parse_cap(_alert(info)).headline is None
    info = _info().replace("<areaDesc>", "<areaDesc> </areaDesc><areaDesc>", 1)
    assert parse_cap(_alert(info)).area_desc is None
    doubled = _alert(_info(), head="<identifier>FIRST</identifier>")
    assert parse_cap(doubled).identifier == "FIRST"


def test_texts_are_stripped_and_references_split() -> None:
    refs = "<references>\n a@x,ID-0,2024-04-17T09:00:00-05:00  b@x,ID-9,2024-04-16 </references>"
    alert = parse_cap(_alert(_info(), tail=refs + "<note>  CONSTRUCTED demo </note>"))
    assert alert.references == ["a@x,ID-0,2024-04-17T09:00:00-05:00", "b@x,ID-9,2024-04-16"]
    assert alert.note == "CONSTRUCTED demo"
    assert alert.description == "911 is down."
    assert parse_cap(_alert(_info())).references == []


def test_an_alert_without_info() -> None:
    alert = parse_cap(_alert())
    assert (alert.identifier, alert.event, alert.area_desc) == ("ID-1", None, None)
    assert alert.same_codes == [] and alert.event_code is None


def test_str_with_an_encoding_declaration_and_bytes_read_alike() -> None:
    doc = _alert(_info(event="Caf\u00e9 alert"))
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + doc
    _same(parse_cap(declared), parse_cap(doc.encode("utf-8")))
    assert parse_cap(declared).event == "Caf\u00e9 alert"
    assert parse_cap(declared.encode("iso-8859-1")).event == "Caf\u00e9 alert"


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<!DOCTYPE alert>" + _alert(_info()), "a DOCTYPE is not allowed"),
        (
            '<!DOCTYPE alert [<!ENTITY e "x">]>' + _alert(_info()).replace("ID-1", "&e;"),
            "a DOCTYPE is not allowed",
        ),
        (_alert(_info())[:200], "malformed XML"),
        ("", "malformed XML"),
        (_alert(_info()).replace("alert", "alerts"), "not a CAP <alert> document"),
        (_alert(_info()).replace("<identifier>ID-1</identifier>", ""), "lacks identifier"),
        (_alert(_info()).replace("<sent>2024-04-17T10:00:00-05:00</sent>", "<sent/>"), "lacks"),
    ],
)
def test_refused_documents(xml: str, message: str) -> None:
    with pytest.raises(CapParseError, match=re.escape(message)):
        parse_cap(xml)
    if xml:
        with pytest.raises(CapParseError, match=re.escape(message)):
            parse_cap(xml.encode("utf-8"))


def test_hostile_fixtures_are_refused() -> None:
    for path in sorted((ROOT / "tests/fixtures/hostile").glob("*.xml")):
        with pytest.raises(CapParseError):
            parse_cap(path.read_bytes())


def test_demo_alerts_read_like_the_reference() -> None:
    paths = sorted((ROOT / "demo/constructed/cap").glob("*.xml"))
    assert paths
    for path in paths:
        _same(parse_cap(path.read_bytes()), _reference_cap(path.read_bytes()))


# ----------------------------------------------------------------------------- property


_LANGUAGES = st.sampled_from([None, "en-US", "EN", "es-US", "fr-CA", "", " en-GB "])
_NAMES = st.sampled_from([None, "SAME", "same", " UGC ", "ugc", "NWS", ""])
_VALUES = st.sampled_from([None, "", " 031111 ", "cem", "LAE", "NEZ044", "x y"])
_TIMES = st.sampled_from(
    [
        "2024-04-17T10:00:00-05:00",
        "2024-04-17T10:00:00Z",
        "2024-04-17T10:00:00z",
        "2024-04-17T10:00:00-00:00",
        "2024-04-17T10:00:00.25+05:30",
        "2024-04-17T10:00-05:00",
        "2024-04-17T10:00:00",
        "2024-04-17T24:00:00+00:00",
        "not a time",
        "",
    ]
)


@st.composite
def _documents(draw) -> str:
    def maybe(tag: str, strategy) -> str:
        return "" if draw(st.booleans()) else _el(tag, draw(strategy))

    def pairs(tag: str) -> str:
        n = draw(st.integers(0, 3))
        return "".join(_pair(tag, draw(_NAMES), draw(_VALUES)) for _ in range(n))

    infos = []
    for _ in range(draw(st.integers(0, 3))):
        children = [
            maybe("language", _LANGUAGES),
            maybe("event", st.sampled_from(["Event A", " Event B ", ""])),
            maybe("headline", st.sampled_from(["H", "", "  H2 "])),
            maybe("description", st.sampled_from(["D", " "])),
            maybe("instruction", st.sampled_from(["I", ""])),
            maybe("effective", _TIMES),
            maybe("onset", _TIMES),
            maybe("expires", _TIMES),
            pairs("eventCode"),
            pairs("parameter"),
        ]
        for _ in range(draw(st.integers(0, 2))):
            desc = maybe("areaDesc", st.sampled_from(["Area", " ", "Other area"]))
            children.append(f"<area>{desc}{pairs('geocode')}{maybe('areaDesc', _VALUES)}</area>")
        children += [maybe("event", st.just("late event")), maybe("language", _LANGUAGES)]
        infos.append("<info>" + "".join(draw(st.permutations(children))) + "</info>")
    head = [
        _el("identifier", "ID-7"),
        _el("sender", " s@example.org "),
        _el("sent", draw(_TIMES) or "2024-04-17T10:00:00-05:00"),
        maybe("status", st.sampled_from(["Actual", "Test", ""])),
        maybe("msgType", st.sampled_from(["Alert", "Update"])),
        maybe("note", st.sampled_from(["constructed", "n"])),
        maybe("references", st.sampled_from(["a,b,c d,e,f", " ", "x"])),
        maybe("status", st.just("second status")),
    ]
    body = "".join(draw(st.permutations(head + infos)))
    ns = draw(st.sampled_from([CAP_NS, None, "urn:example:other"]))
    return f'<alert xmlns="{ns}">{body}</alert>' if ns else f"<alert>{body}</alert>"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_parse_cap_matches_the_find_based_reading(xml: str) -> None:
    _same(parse_cap(xml), _reference_cap(xml.encode("utf-8")))
    _same(parse_cap(xml.encode("utf-8")), _reference_cap(xml.encode("utf-8")))


# ----------------------------------------------------------------------------- parse_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-17T10:00:00-05:00", datetime(2024, 4, 17, 15, tzinfo=UTC)),
        ("2024-04-17T10:00:00Z", datetime(2024, 4, 17, 10, tzinfo=UTC)),
        ("2024-04-17T10:00:00z", datetime(2024, 4, 17, 10, tzinfo=UTC)),
        ("2024-04-17T10:00:00-00:00", datetime(2024, 4, 17, 10, tzinfo=UTC)),
        (" 2024-04-17T10:00:00+05:30\n", datetime(2024, 4, 17, 4, 30, tzinfo=UTC)),
        ("2024-04-17T10:00:00.5Z", datetime(2024, 4, 17, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2024-04-17T10:00:00,25Z", datetime(2024, 4, 17, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2024-04-17T10:00:00.1234567Z", datetime(2024, 4, 17, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-04-17T10:00-05:00", datetime(2024, 4, 17, 15, tzinfo=UTC)),  # no seconds
        ("2024-04-17T10:00:00+0530", datetime(2024, 4, 17, 4, 30, tzinfo=UTC)),
        ("2024-04-17T24:00:00Z", datetime(2024, 4, 18, tzinfo=UTC)),  # midnight as 24:00
        ("2024-04-17T10:00:00", None),  # naive
        ("2024-04-17", None),
        ("2024-04-17T10:00:00+05:75", None),  # fromisoformat would take minute 75
        ("2024-04-17T10:00:00+24:00", None),
        ("2024-02-30T10:00:00Z", None),
        ("2024-04-17T10:00:60Z", None),
        ("\uff12024-04-17T10:00:00Z", None),  # a non-ASCII digit
        ("yesterday", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_time_edge_cases(value: str | None, expected: datetime | None) -> None:
    got = parse_time(value)
    assert got == expected
    assert repr(got) == repr(_reference_time(value))


def test_parse_time_keeps_dateutils_tzinfo() -> None:
    utc, offset = parse_time("2024-04-17T10:00:00Z"), parse_time("2024-04-17T10:00:00-05:00")
    assert utc.tzinfo is tz.UTC
    assert parse_time("2024-04-17T10:00:00+00:00").tzinfo is tz.UTC
    assert isinstance(offset.tzinfo, tz.tzoffset)
    assert offset.utcoffset() == timedelta(hours=-5)
    assert offset.tzname() is None  # datetime.timezone would say "UTC-05:00"


@settings(max_examples=1500, deadline=None)
@given(
    st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 60),
        st.integers(0, 61),
        st.sampled_from(["", ".5", ".123456", ".1234567", ",5"]),
        st.one_of(
            st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0530", "+05"]),
            st.builds(
                "{}{:02d}:{:02d}".format,
                st.sampled_from("+-"),
                st.integers(0, 25),
                st.integers(0, 99),
            ),
        ),
    )
)
def test_parse_time_matches_isoparse(value: str) -> None:
    assert repr(parse_time(value)) == repr(_reference_time(value))


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="0123456789-:+TZz., W", max_size=30))
def test_parse_time_matches_isoparse_on_any_text(value: str) -> None:
    assert repr(parse_time(value)) == repr(_reference_time(value))


# ----------------------------------------------------------------------------- alert_report


def test_alert_report_fills_every_field_like_the_item_constructor() -> None:
    alert = parse_cap(_alert(_info(areas=[("A", [("UGC", "NEZ044"), ("SAME", "031101")])])))
    report = alert_report(alert, source="demo", source_url="demo:", meta={"archive_ref": "r"})
    assert tuple(report.keys()) == capmod._REPORT_FIELDS
    assert report == OutageReport(**dict(report))
    assert report["geocodes"] == ["SAME:031101", "UGC:NEZ044"]
    assert report["body"] == "911 is down.\n\nCall 308-555-0100."
    assert report["alert_key"] == alert.key == "ema@example.org,ID-1,2024-04-17T10:00:00-05:00"
    assert report["started_at"] == alert.effective
    assert report["archive_ref"] == "r" and report["fetched_at"] is None
    assert report["is_constructed"] is False
    assert report["alert_text"] == AlertText(
        event_code="CEM",
        event="Civil Emergency Message",
        msg_type="Alert",
        cap_status="Actual",
        sender_name="Lincoln County Sheriff",
        headline="Civil Emergency Message headline",
        description="911 is down.",
        instruction="Call 308-555-0100.",
    )


@pytest.mark.parametrize(
    ("description", "instruction", "body"),
    [("D", "I", "D\n\nI"), ("D", None, "D"), ("", "I", "I"), (None, "", None), ("", "", None)],
)
def test_alert_report_body(description, instruction, body) -> None:
    alert = CapAlert(identifier="i", sender="s", sent_raw="t", sent=None)
    alert.description, alert.instruction = description, instruction
    assert alert_report(alert, source="x", source_url="u", meta={})["body"] == body


def test_alert_report_constructed_flag() -> None:
    alert = CapAlert(identifier="i", sender="s", sent_raw="t", sent=None, note="a Constructed demo")
    assert alert_report(alert, source="x", source_url="u", meta={})["is_constructed"] is True
    alert.note = None
    assert alert_report(alert, source="x", source_url="u", meta={})["is_constructed"] is False
    meta = {"constructed": True}
    assert alert_report(alert, source="x", source_url="u", meta=meta)["is_constructed"] is True
