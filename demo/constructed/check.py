"""Check the constructed demo payloads in demo/constructed/.

Run:  .venv/bin/python demo/constructed/check.py   (exit status 0 = all good)

What it checks:
- every cap/*.xml parses with lxml, is CAP 1.2, carries the CONSTRUCTED comment
  and the CAP <note>, keeps CAP 1.2 element order, and has a file name that
  matches its content (date_key_seq_EVENT_msgType.xml);
- every <references> entry points at another constructed file with exactly
  the same sender, identifier and sent;
- every phone number in any payload is a fictional 555-01XX number;
- every nws/*.json parses, is an api.weather.gov-style Feature and carries
  the "_constructed" label;
- manifest.json and incidents.json agree with the files.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
NSMAP = {"cap": CAP}
COMMENT_PREFIX = "CONSTRUCTED for 911 Outage Watch demo data: not a real alert."
NOTE = "CONSTRUCTED DEMO DATA - not a real alert"
CAUSES = {
    "fiber_cut",
    "firewall_or_security_device",
    "software_or_config_change",
    "hardware_failure",
    "power_failure",
    "weather_or_disaster",
    "cyberattack",
    "carrier_network_outage",
    "maintenance",
    "unknown",
}
# CAP 1.2 element order (OASIS CAP 1.2, section 3.2)
ALERT_ORDER = [
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "source",
    "scope",
    "restriction",
    "addresses",
    "code",
    "note",
    "references",
    "incidents",
    "info",
]
INFO_ORDER = [
    "language",
    "category",
    "event",
    "responseType",
    "urgency",
    "severity",
    "certainty",
    "audience",
    "eventCode",
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
    "parameter",
    "resource",
    "area",
]
AREA_ORDER = ["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"]
PHONE = re.compile(r"(?<!\d)\(?(\d{3})\)?[-. ]?(\d{3})[-. ](\d{4})(?!\d)")
FNAME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})_([a-z0-9-]+)_(\d{2})_([A-Z]{3})_(Alert|Update|Cancel)\.(xml|json)$"
)


def local(el) -> str:
    return etree.QName(el).localname


def check_order(children: list[str], order: list[str], where: str, errors: list[str]) -> None:
    pos = [order.index(c) if c in order else -1 for c in children]
    if -1 in pos:
        errors.append(f"{where}: unknown element {children[pos.index(-1)]}")
    elif pos != sorted(pos):
        errors.append(f"{where}: elements out of CAP 1.2 order: {children}")


def check_phones(text: str, where: str, errors: list[str]) -> None:
    for m in PHONE.finditer(text):
        if m.group(2) != "555" or not ("0100" <= m.group(3) <= "0199"):
            errors.append(
                f"{where}: phone number {m.group(0)!r} is not a fictional 555-01XX number"
            )


def iso(value: str | None, where: str, errors: list[str]) -> None:
    if value is None:
        return
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        errors.append(f"{where}: not ISO 8601: {value!r}")
        return
    if dt.tzinfo is None:
        errors.append(f"{where}: time without offset: {value!r}")


def check_cap(errors: list[str]) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    files = sorted((HERE / "cap").glob("*.xml"))
    if not files:
        errors.append("cap/: no files")
    for path in files:
        where = f"cap/{path.name}"
        try:
            tree = etree.parse(str(path))
        except etree.XMLSyntaxError as exc:
            errors.append(f"{where}: does not parse: {exc}")
            continue
        root = tree.getroot()
        prev = root.getprevious()
        if (
            prev is None
            or not isinstance(prev, etree._Comment)
            or not prev.text.strip().startswith(COMMENT_PREFIX)
        ):
            errors.append(f"{where}: first node is not the CONSTRUCTED comment")
        if root.tag != f"{{{CAP}}}alert":
            errors.append(f"{where}: root is {root.tag}, not a CAP 1.2 alert")
            continue
        names = [local(c) for c in root if isinstance(c.tag, str)]
        check_order(names, ALERT_ORDER, where, errors)
        if root.findtext("cap:note", namespaces=NSMAP) != NOTE:
            errors.append(f"{where}: missing <note>{NOTE}</note>")
        for info in root.findall("cap:info", NSMAP):
            check_order(
                [local(c) for c in info if isinstance(c.tag, str)],
                INFO_ORDER,
                where + " info",
                errors,
            )
            for area in info.findall("cap:area", NSMAP):
                check_order(
                    [local(c) for c in area if isinstance(c.tag, str)],
                    AREA_ORDER,
                    where + " area",
                    errors,
                )
            for g in info.findall("cap:area/cap:geocode", NSMAP):
                is_same = g.findtext("cap:valueName", namespaces=NSMAP) == "SAME"
                if is_same and not re.fullmatch(r"\d{6}", g.findtext("cap:value", "", NSMAP)):
                    errors.append(f"{where}: bad SAME geocode")
        rec = {
            t: root.findtext(f"cap:{t}", namespaces=NSMAP)
            for t in ("identifier", "sender", "sent", "status", "msgType")
        }
        rec["references"] = (root.findtext("cap:references", namespaces=NSMAP) or "").split()
        rec["event_code"] = root.findtext("cap:info/cap:eventCode/cap:value", namespaces=NSMAP)
        rec["file"] = where
        iso(rec["sent"], where, errors)
        if rec["status"] != "Actual":
            errors.append(f"{where}: status is {rec['status']}, expected Actual")
        check_phones(etree.tostring(root, encoding="unicode"), where, errors)
        m = FNAME.match(path.name)
        if not m:
            errors.append(
                f"{where}: file name does not follow YYYY-MM-DD_key_seq_EVENT_msgType.xml"
            )
        else:
            if m.group(5) != rec["msgType"]:
                errors.append(f"{where}: msgType {rec['msgType']} differs from the file name")
            if rec["event_code"] and m.group(4) != rec["event_code"]:
                errors.append(f"{where}: event code {rec['event_code']} differs from the file name")
            rec["key"] = m.group(2)
        if rec["identifier"] in seen:
            errors.append(f"{where}: duplicate identifier {rec['identifier']}")
        seen[rec["identifier"]] = rec
    # references: sender,identifier,sent triples pointing at other constructed files
    for rec in seen.values():
        if rec["msgType"] in ("Update", "Cancel") and not rec["references"]:
            errors.append(f"{rec['file']}: {rec['msgType']} without <references>")
        for ref in rec["references"]:
            parts = ref.split(",")
            if len(parts) != 3:
                errors.append(f"{rec['file']}: reference {ref!r} is not sender,identifier,sent")
                continue
            sender, identifier, sent = parts
            target = seen.get(identifier)
            if target is None:
                errors.append(f"{rec['file']}: reference to unknown identifier {identifier}")
            elif (target["sender"], target["sent"]) != (sender, sent):
                errors.append(f"{rec['file']}: reference {ref!r} does not match {target['file']}")
            elif datetime.fromisoformat(target["sent"]) >= datetime.fromisoformat(rec["sent"]):
                errors.append(f"{rec['file']}: references a message that is not earlier")
    return seen


def check_nws(errors: list[str]) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    for path in sorted((HERE / "nws").glob("*.json")):
        where = f"nws/{path.name}"
        try:
            feature = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: does not parse: {exc}")
            continue
        if next(iter(feature), None) != "_constructed" or not feature["_constructed"].startswith(
            "CONSTRUCTED"
        ):
            errors.append(f"{where}: first key must be _constructed")
        props = feature.get("properties", {})
        if feature.get("type") != "Feature" or props.get("@type") != "wx:Alert":
            errors.append(f"{where}: not an api.weather.gov alert Feature")
        if feature.get("id") != "https://api.weather.gov/alerts/" + str(
            props.get("id")
        ) or props.get("@id") != feature.get("id"):
            errors.append(f"{where}: id, @id and properties.id disagree")
        for key in ("sent", "effective", "onset", "expires", "ends"):
            iso(props.get(key), f"{where} {key}", errors)
        for ref in props.get("references", []):
            if set(ref) != {"@id", "identifier", "sender", "sent"}:
                errors.append(f"{where}: reference keys {sorted(ref)}")
        check_phones(json.dumps(feature), where, errors)
        if not FNAME.match(path.name):
            errors.append(
                f"{where}: file name does not follow YYYY-MM-DD_key_seq_EVENT_messageType.json"
            )
        seen[props.get("id")] = {"file": where, "props": props}
    for rec in seen.values():
        for ref in rec["props"].get("references", []):
            target = seen.get(ref["identifier"])
            if (
                target is None
                or target["props"]["sent"] != ref["sent"]
                or target["props"]["sender"] != ref["sender"]
            ):
                errors.append(
                    f"{rec['file']}: reference {ref['identifier']} matches no constructed feature"
                )
    return seen


def check_incidents(cap: dict[str, dict], errors: list[str]) -> None:
    incidents = json.loads((HERE / "incidents.json").read_text(encoding="utf-8"))
    keys = set()
    for inc in incidents:
        where = f"incidents.json {inc.get('key')}"
        keys.add(inc["key"])
        for field in (
            "key",
            "summary",
            "started_at",
            "ended_at",
            "states",
            "counties",
            "cause",
            "provider",
            "citations",
        ):
            if field not in inc:
                errors.append(f"{where}: missing {field}")
        iso(inc.get("started_at"), where, errors)
        iso(inc.get("ended_at"), where, errors)
        if inc.get("cause") not in CAUSES:
            errors.append(f"{where}: cause {inc.get('cause')!r} not in the taxonomy")
        for fips in inc.get("counties", []) + inc.get("counties_inferred", []):
            if not re.fullmatch(r"\d{5}", fips):
                errors.append(f"{where}: bad county FIPS {fips!r}")
        for c in inc.get("citations", []):
            if not (c.get("url", "").startswith("http") and c.get("title") and c.get("supports")):
                errors.append(f"{where}: citation needs url, title and supports")
    for rec in cap.values():
        key = rec.get("key", "")
        if key and not key.startswith("neg-") and key not in keys:
            errors.append(f"{rec['file']}: incident key {key} not in incidents.json")


def check_manifest(cap: dict[str, dict], nws: dict[str, dict], errors: list[str]) -> None:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    listed = set()
    for entry in manifest["files"]:
        listed.add(entry["file"])
        if not (HERE / entry["file"]).is_file():
            errors.append(f"manifest.json: {entry['file']} does not exist")
            continue
        rec = (nws if entry["format"] == "nws_geojson_feature" else cap).get(entry["identifier"])
        if rec is None or rec["file"] != entry["file"]:
            errors.append(f"manifest.json: identifier of {entry['file']} does not match the file")
    on_disk = {f"cap/{p.name}" for p in (HERE / "cap").glob("*.xml")} | {
        f"nws/{p.name}" for p in (HERE / "nws").glob("*.json")
    }
    for missing in sorted(on_disk - listed):
        errors.append(f"manifest.json: {missing} not listed")


def main() -> int:
    errors: list[str] = []
    cap = check_cap(errors)
    nws = check_nws(errors)
    check_incidents(cap, errors)
    check_manifest(cap, nws, errors)
    for e in errors:
        print("FAIL", e, file=sys.stderr)
    print(f"{len(cap)} CAP files, {len(nws)} NWS features checked; {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
