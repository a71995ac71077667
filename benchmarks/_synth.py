"""Synthetic CAP alerts for the scale benchmarks, built from real and constructed templates.

Templates
=========
* Regular alerts: the 40 real IPAWS messages of
  `/work/shared/samples/ipaws/openfema_ipaws_cap_corpus_2026-07-29_40alerts.json` (the same
  corpus as `demo/recorded/`). Each message is parsed once with lxml and turned into a
  *skeleton*: the serialized message with markers where the varying values go (identifier,
  sender, sent, references, event, SAME event code, sender name, headline, description,
  instruction, effective/onset/expires, CMAM texts, area description, geocodes, signature
  digest and value). Everything else (polygons, parameters, certificates, the Spanish
  `<info>` of NWS messages) stays as recorded, so sizes and structure stay realistic
  (mean ~8.7 KB). A template is chosen uniformly, so the mix of families (NWS warnings,
  civil alerts, tests, bare cancels, updates with references) follows the real sample.
* 911 outage threads: the constructed outage alerts of `demo/constructed/cap/` grouped by
  incident and sender (7 threads: alert, updates with CAP `<references>`, all-clear as an
  Update, a Cancel with text, a bare Cancel, or a new Alert without references). Counties,
  state names, providers and the fictional 555-01xx phone numbers are substituted.

All texts are generated from small phrase pools; about one civil alert in ten carries a
"call 911" / "dial 911" near miss and some sender names read "... County 911", the
classifier's hard negatives. Counties are real SAME codes (`0` + 5-digit FIPS) from
`warehouse/reference/counties.csv`.
"""

from __future__ import annotations

import base64
import csv
import json
import re
from bisect import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path("/work/shared/samples/ipaws/openfema_ipaws_cap_corpus_2026-07-29_40alerts.json")
SAMPLES_FALLBACK = ROOT / "demo" / "recorded" / "openfema_ipaws_cap_corpus_2026-07-29_40alerts.json"
CONSTRUCTED_CAP = ROOT / "demo" / "constructed" / "cap"
COUNTIES_CSV = ROOT / "warehouse" / "reference" / "counties.csv"
STATES_CSV = ROOT / "warehouse" / "reference" / "states.csv"

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
M = "\ue000"  # marker delimiter (a private-use character: never in the templates)
SYNTH_NOTE = "SYNTHETIC BENCHMARK DATA (benchmarks/generate.py) - not a real alert"
NWS_SENDER = "w-nws.webmaster@noaa.gov"

STATE_TZ = {
    "AL": "America/Chicago",
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "AR": "America/Chicago",
    "CA": "America/Los_Angeles",
    "CO": "America/Denver",
    "CT": "America/New_York",
    "DE": "America/New_York",
    "FL": "America/New_York",
    "GA": "America/New_York",
    "HI": "Pacific/Honolulu",
    "ID": "America/Denver",
    "IL": "America/Chicago",
    "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago",
    "KS": "America/Chicago",
    "KY": "America/New_York",
    "LA": "America/Chicago",
    "ME": "America/New_York",
    "MD": "America/New_York",
    "MA": "America/New_York",
    "MI": "America/Detroit",
    "MN": "America/Chicago",
    "MS": "America/Chicago",
    "MO": "America/Chicago",
    "MT": "America/Denver",
    "NE": "America/Chicago",
    "NV": "America/Los_Angeles",
    "NH": "America/New_York",
    "NJ": "America/New_York",
    "NM": "America/Denver",
    "NY": "America/New_York",
    "NC": "America/New_York",
    "ND": "America/Chicago",
    "OH": "America/New_York",
    "OK": "America/Chicago",
    "OR": "America/Los_Angeles",
    "PA": "America/New_York",
    "RI": "America/New_York",
    "SC": "America/New_York",
    "SD": "America/Chicago",
    "TN": "America/Chicago",
    "TX": "America/Chicago",
    "UT": "America/Denver",
    "VT": "America/New_York",
    "VA": "America/New_York",
    "WA": "America/Los_Angeles",
    "WV": "America/New_York",
    "WI": "America/Chicago",
    "WY": "America/Denver",
    "DC": "America/New_York",
    "AS": "Pacific/Pago_Pago",
    "GU": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
}

# SAME codes by family, with weights and names (English, and Spanish for NWS).
NWS_CODES = [
    ("FFW", 25, "Flash Flood Warning", "Aviso de Inundaciones Repentinas"),
    ("TOR", 20, "Tornado Warning", "Aviso de Tornado"),
    ("SVR", 25, "Severe Thunderstorm Warning", "Aviso de Tormenta Eléctrica Severa"),
    ("FLW", 10, "Flood Warning", "Aviso de Inundación"),
    ("WSW", 8, "Winter Storm Warning", "Aviso de Tormenta Invernal"),
    ("SQW", 3, "Snow Squall Warning", "Aviso de Ráfagas de Nieve"),
    ("BZW", 2, "Blizzard Warning", "Aviso de Ventisca"),
    ("HUW", 2, "Hurricane Warning", "Aviso de Huracán"),
    ("EWW", 1, "Extreme Wind Warning", "Aviso de Vientos Extremos"),
    ("DSW", 1, "Dust Storm Warning", "Aviso de Tormenta de Polvo"),
]
CIVIL_CODES = [
    ("CEM", 22, "Civil Emergency Message"),
    ("LAE", 20, "Local Area Emergency"),
    ("EVI", 14, "Evacuation Immediate"),
    ("LEW", 8, "Law Enforcement Warning"),
    ("CDW", 6, "Civil Danger Warning"),
    ("SPW", 6, "Shelter in Place Warning"),
    ("FRW", 6, "Fire Warning"),
    ("ADR", 5, "Administrative Message"),
    ("HMW", 3, "Hazardous Materials Warning"),
    ("CAE", 4, "Child Abduction Emergency"),
    ("BLU", 2, "Blue Alert"),
    ("MEP", 4, "Missing and Endangered Persons"),
]
TEST_CODES = [("RMT", 55, "Required Monthly Test"), ("RWT", 45, "Required Weekly Test")]

PROVIDERS = [
    ("Lumen", 30),
    ("CenturyLink", 10),
    ("AT&T", 15),
    ("Verizon", 12),
    ("Frontier", 8),
    ("Windstream", 6),
    ("Brightspeed", 4),
    ("Consolidated Communications", 4),
    ("T-Mobile", 5),
    ("Charter", 3),
    ("Comcast", 3),
    ("TDS Telecom", 2),
]
VENDORS = [("Comtech", 4), ("Intrado", 4), ("Motorola Solutions", 2), ("INdigital", 1)]


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def weighted(items: list, weights: list[float]):
    """A sampler: rng -> item, by cumulative weights (bisect, O(log n))."""
    cum = list(accumulate(weights))
    total = cum[-1]

    def pick(rng: Random):
        return items[bisect(cum, rng.random() * total)]

    return pick


# ----------------------------------------------------------------------------- places
@dataclass(frozen=True)
class County:
    fips: str
    state: str
    name: str  # "Owyhee County"
    short: str  # "Owyhee"


@dataclass
class Geography:
    counties_by_state: dict[str, list[County]]
    state_names: dict[str, str]
    pick_state: object
    pick_county: dict[str, object]
    zones: dict[str, ZoneInfo]

    def counties(self, rng: Random, state: str, n: int) -> list[County]:
        pool = self.counties_by_state[state]
        if n >= len(pool):
            return list(pool)
        chosen: dict[str, County] = {}
        picker = self.pick_county[state]
        while len(chosen) < n:
            c = picker(rng)
            chosen[c.fips] = c
        return list(chosen.values())


def _short(name: str) -> str:
    for suffix in (
        " City and Borough",
        " Census Area",
        " Municipality",
        " Planning Region",
        " Borough",
        " County",
        " Parish",
        " city",
        " City",
        " Municipio",
        " District",
        " Island",
    ):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_geography() -> Geography:
    states = {r["state_code"]: r for r in csv.DictReader(STATES_CSV.open())}
    by_state: dict[str, list[County]] = defaultdict(list)
    pops: dict[str, list[float]] = defaultdict(list)
    for row in csv.DictReader(COUNTIES_CSV.open()):
        st = row["state_code"]
        if st not in STATE_TZ or st not in states:
            continue
        by_state[st].append(
            County(row["county_fips"], st, row["county_name"], _short(row["county_name"]))
        )
        pops[st].append(float(row["population"] or 1000))
    codes = sorted(by_state)
    state_weight = [sum(p**0.5 for p in pops[s]) for s in codes]
    return Geography(
        counties_by_state=dict(by_state),
        state_names={s: states[s]["state_name"] for s in codes},
        pick_state=weighted(codes, state_weight),
        pick_county={s: weighted(by_state[s], [p**0.5 for p in pops[s]]) for s in codes},
        zones={s: ZoneInfo(STATE_TZ[s]) for s in codes},
    )


# ----------------------------------------------------------------------------- times
def cap_time(moment: datetime, zone: ZoneInfo) -> str:
    """CAP time with the local offset, as IPAWS senders write it: 2026-07-28T20:15:08-06:00."""
    local = moment.astimezone(zone)
    return local.isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- skeletons
@dataclass
class Skeleton:
    parts: list[str]  # literal, name, literal, name, ..., literal

    def render(self, values: dict[str, str]) -> str:
        parts = self.parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(values.get(parts[i], ""))
            out.append(parts[i + 1])
        return "".join(out)

    @classmethod
    def from_tree(cls, root: etree._Element) -> Skeleton:
        text = etree.tostring(root, encoding="unicode")
        text = re.sub(r"<MARK(\w+)/>", lambda m: f"{M}{m.group(1)}{M}", text)
        text = re.sub(r"<MARK(\w+) [^>]*/>", lambda m: f"{M}{m.group(1)}{M}", text)
        return cls(text.split(M))


def _q(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _mark(el: etree._Element | None, name: str) -> None:
    if el is not None:
        el.text = f"{M}{name}{M}"


def _mark_info(info: etree._Element, sfx: str) -> None:
    for tag in (
        "event",
        "senderName",
        "headline",
        "description",
        "instruction",
        "effective",
        "onset",
        "expires",
    ):
        _mark(
            info.find(_q(tag)),
            tag + (sfx if tag in ("event", "headline", "description", "instruction") else ""),
        )
    for code in info.findall(_q("eventCode")):
        name = (code.findtext(_q("valueName")) or "").strip()
        if name in ("SAME", "NationalWeatherService"):
            _mark(code.find(_q("value")), "code")
    for param in info.findall(_q("parameter")):
        name = (param.findtext(_q("valueName")) or "").strip()
        target = {
            "CMAMtext": "cmam" + sfx,
            "CMAMlongtext": "cmam_long" + sfx,
            "eventEndingTime": "expires",
        }.get(name)
        if target:
            _mark(param.find(_q("value")), target)
    areas = info.findall(_q("area"))
    for extra in areas[1:]:
        info.remove(extra)
    if areas:
        area = areas[0]
        _mark(area.find(_q("areaDesc")), "area_desc")
        for geocode in area.findall(_q("geocode")):
            area.remove(geocode)
        etree.SubElement(area, _q("MARKgeocodes"))


def _mark_signature(root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local == "DigestValue":
            _mark(el, "digest")
        elif local == "SignatureValue":
            _mark(el, "sigval")


def _parse(xml: str) -> etree._Element:
    start = xml.index("<alert")
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    return etree.fromstring(xml[start:].encode("utf-8"), parser)


# ----------------------------------------------------------------------------- regular
@dataclass
class Template:
    index: int
    family: str  # nws, civil, test, cancel
    msg_type: str
    code: str | None
    n_counties: int
    statewide: bool
    has_refs: bool
    has_info: bool
    skeleton: Skeleton
    id_style: str
    sender: str
    sender_name: str


def _id_style(identifier: str) -> str:
    if identifier.startswith("urn:oid:"):
        return "urn"
    if re.match(r"^[A-Z]{2}-[A-Z]{2}-", identifier):
        return "as"
    if identifier.isdigit():
        return "digits"
    if identifier.startswith("OnSolve-"):
        return "onsolve"
    return "prefix-uuid"


def load_regular_templates() -> list[Template]:
    path = SAMPLES if SAMPLES.exists() else SAMPLES_FALLBACK
    templates = []
    for i, item in enumerate(json.loads(path.read_text())):
        root = _parse(item["xml"])
        sender = (root.findtext(_q("sender")) or "").strip()
        identifier = (root.findtext(_q("identifier")) or "").strip()
        msg_type = (root.findtext(_q("msgType")) or "Alert").strip()
        infos = root.findall(_q("info"))
        code = None
        same = []
        sender_name = ""
        if infos:
            for ec in infos[0].findall(_q("eventCode")):
                if (ec.findtext(_q("valueName")) or "").strip() == "SAME":
                    code = (ec.findtext(_q("value")) or "").strip()
            same = sorted(
                {
                    (g.findtext(_q("value")) or "")
                    for g in infos[0].iter(_q("geocode"))
                    if (g.findtext(_q("valueName")) or "") == "SAME"
                }
            )
            sender_name = (infos[0].findtext(_q("senderName")) or "").strip()
        if not infos:
            family = "cancel"
        elif sender == NWS_SENDER:
            family = "nws"
        elif code in ("RMT", "RWT") or "test" in (infos[0].findtext(_q("event")) or "").lower():
            family = "test"
        else:
            family = "civil"
        _mark(root.find(_q("identifier")), "identifier")
        _mark(root.find(_q("sender")), "sender")
        _mark(root.find(_q("sent")), "sent")
        _mark(root.find(_q("references")), "references")
        for n, info in enumerate(infos):
            lang = (info.findtext(_q("language")) or "en-US").lower()
            _mark_info(info, "" if lang.startswith("en") or n == 0 else "_es")
        _mark_signature(root)
        templates.append(
            Template(
                index=i,
                family=family,
                msg_type=msg_type,
                code=code,
                n_counties=max(1, len([s for s in same if not s.endswith("000")])),
                statewide=any(s.endswith("000") for s in same),
                has_refs=root.find(_q("references")) is not None,
                has_info=bool(infos),
                skeleton=Skeleton.from_tree(root),
                id_style=_id_style(identifier),
                sender=sender,
                sender_name=sender_name,
            )
        )
    return templates


# ----------------------------------------------------------------------------- text pools
ROADS = [
    "Main Street",
    "Highway 20",
    "County Road 12",
    "Interstate 80",
    "Route 9",
    "Oak Avenue",
    "River Road",
    "Airport Boulevard",
    "Mill Street",
    "State Route 16",
    "Canyon Road",
    "Lake Drive",
    "Pine Street",
    "Old Mill Road",
    "Ridge Road",
    "5th Avenue",
]
PLACES = [
    "the fairgrounds",
    "the high school",
    "the water treatment plant",
    "the rail yard",
    "the industrial park",
    "the river bottoms",
    "the north side of town",
    "downtown",
    "the east subdivision",
    "the county line",
    "the community center",
    "the reservoir",
]
NEAR_MISSES = [
    "If you have an emergency, call 911.",
    "Call 911 if you see the person described.",
    "IF YOU NEED IMMEDIATE ASSISTANCE DIAL 911.",
    "Do not call 911 for information; call 211 instead.",
    "Please only call 9-1-1 for life-threatening emergencies.",
    "Report suspicious activity to 911.",
    "Dial 911 if you are trapped or injured.",
    "The non-emergency line is experiencing delays; for emergencies dial 911.",
]
CIVIL_TEXTS = {
    "CEM": [
        "{agency} reports a {hazard} affecting {area}. Residents near {place} should {action}.",
        "A boil water advisory is in effect for {area} until further notice. {action_cap}.",
        "Power outages are affecting parts of {area} after {cause}. Crews are working to "
        "restore service. Check on neighbors who rely on electricity for medical needs.",
        "{agency}: {road} is closed at {place} because of {cause}. Use alternate routes.",
    ],
    "LAE": [
        "{agency} advises that {road} is closed near {place} due to {cause}. Avoid the area.",
        "A {hazard} near {place} in {area} is under control but crews remain on scene. "
        "{action_cap}.",
        "Cooling centers are open in {area} at {place} until 8 PM because of extreme heat.",
        "Water service is interrupted in parts of {area}. Do not drink tap water until "
        "the advisory is lifted.",
    ],
    "EVI": [
        "{agency} has issued an evacuation order: LEVEL 3 GO NOW for the areas of {place} "
        "and {road}. Leave now. Shelter is available at {place2}.",
        "Evacuate immediately: a {hazard} is threatening {area} near {road}. Go now; "
        "responders may not be able to reach you if you stay.",
    ],
    "LEW": [
        "{agency} is conducting an active police operation near {road} and {place}. "
        "Shelter in place and stay away from windows.",
        "Law enforcement activity near {place}: avoid the area of {road} until further notice.",
    ],
    "CDW": [
        "A dangerous situation is developing near {place} in {area}. {action_cap}.",
        "{agency} warns of a {hazard} in {area}. Stay indoors and await instructions.",
    ],
    "SPW": [
        "Shelter in place now: a {hazard} near {road} is affecting {area}. Close windows "
        "and turn off ventilation.",
    ],
    "FRW": [
        "A wildfire is burning near {place} and {road}. Prepare to leave if conditions "
        "change. Evacuation WARNING (get set) for {area}.",
        "Evacuation Warning in place for an active wildfire near {place}. Refresh every 24 "
        "hours until the warning is lifted.",
    ],
    "ADR": [
        "{agency} will test outdoor warning sirens in {area} on Wednesday at 10 AM.",
        "Public information: the emergency operations center for {area} is open. "
        "Updates will follow.",
    ],
    "HMW": [
        "A hazardous materials spill on {road} near {place} is affecting {area}. "
        "Avoid the area and shelter in place if you smell chemicals.",
    ],
    "CAE": [
        "AMBER Alert: {agency} is looking for a child last seen near {place} in {area}. "
        "Vehicle: gray sedan.",
    ],
    "BLU": [
        "BLUE ALERT: {agency} is looking for a suspect who injured an officer near {road}. "
        "Do not approach.",
    ],
    "MEP": [
        "{agency} is looking for a missing and endangered person last seen near {place} "
        "on {road}. Light colored shorts, dark shirt.",
    ],
}
HAZARDS = [
    "gas leak",
    "structure fire",
    "water main break",
    "chemical spill",
    "wildfire",
    "dam seepage",
    "bridge failure",
    "train derailment",
    "flooding",
    "power line down",
]
CAUSES = [
    "a crash",
    "flooding",
    "a downed power line",
    "a gas leak",
    "storm damage",
    "a water main break",
    "road work",
    "a rock slide",
]
ACTIONS = [
    "avoid the area",
    "stay indoors",
    "follow instructions from first responders",
    "prepare to evacuate",
    "boil water before drinking",
    "keep roads clear",
]
NWS_TEXT = {
    "FFW": (
        "Flash flooding is ongoing or expected to begin shortly.",
        "Life threatening flash flooding. Heavy rain producing flash flooding.",
        "Turn around, don't drown when encountering flooded roads.",
    ),
    "TOR": (
        "A severe thunderstorm capable of producing a tornado was located near {place}.",
        "Tornado.",
        "TAKE COVER NOW! Move to a basement or an interior room on the lowest floor.",
    ),
    "SVR": (
        "A severe thunderstorm was located over {place}, moving east at 30 mph.",
        "60 mph wind gusts and quarter size hail.",
        "For your protection move to an interior room on the lowest floor of a building.",
    ),
    "FLW": (
        "Flooding caused by excessive rainfall is expected along {road}.",
        "Flooding of small creeks and streams.",
        "Do not drive into flooded roads.",
    ),
    "WSW": (
        "Heavy snow expected. Total snow accumulations of 8 to 14 inches.",
        "Heavy snow and gusty winds.",
        "If you must travel, keep an extra flashlight, food and water in your vehicle.",
    ),
    "SQW": (
        "A dangerous snow squall was located along {road}.",
        "Sudden whiteout conditions.",
        "Slow down and turn on headlights.",
    ),
    "BZW": (
        "Blizzard conditions expected with winds gusting as high as 55 mph.",
        "Whiteout conditions.",
        "Travel should be restricted to emergencies only.",
    ),
    "HUW": (
        "Hurricane conditions are expected within the warning area.",
        "Hurricane force winds and storm surge.",
        "Complete preparations to protect life and property.",
    ),
    "EWW": (
        "Extreme winds are occurring or imminent in the eyewall.",
        "Extreme winds.",
        "Take shelter in an interior portion of a well-built structure.",
    ),
    "DSW": (
        "A wall of blowing dust was located near {road}.",
        "Less than a quarter mile visibility.",
        "Pull aside, stay alive.",
    ),
}
SENDER_KINDS = [
    "County Emergency Management",
    "County Sheriff's Office",
    "Office of Emergency Management",
    "County Emergency Communications",
    "County 911",
    "Police Department",
]


def _civil_text(rng: Random, code: str, counties: list, state_name: str) -> tuple[str, str, str]:
    """(headline, description, instruction) for a civil alert."""
    first = counties[0].name if counties else state_name
    area = ", ".join(c.name for c in counties) if counties else state_name
    agency = f"{counties[0].short} County Sheriff's Office" if counties else f"{state_name} EMA"
    values = {
        "agency": agency,
        "area": area,
        "place": rng.choice(PLACES),
        "place2": rng.choice(PLACES),
        "road": rng.choice(ROADS),
        "hazard": rng.choice(HAZARDS),
        "cause": rng.choice(CAUSES),
        "action": rng.choice(ACTIONS),
    }
    values["action_cap"] = values["action"][0].upper() + values["action"][1:]
    desc = rng.choice(CIVIL_TEXTS.get(code, CIVIL_TEXTS["CEM"])).format(**values)
    if rng.random() < 0.1:
        desc += " " + rng.choice(NEAR_MISSES)
    headline = f"{first}: {desc.split('.')[0][:80]}"
    instruction = values["action_cap"] + "." if rng.random() < 0.6 else ""
    return headline, desc, instruction


def _nws_text(
    rng: Random,
    code: str,
    event: str,
    event_es: str,
    office: str,
    counties: list,
    state_name: str,
    expires_local: str,
) -> dict[str, str]:
    lead, hazard, instr = NWS_TEXT[code]
    place = rng.choice(PLACES)
    road = rng.choice(ROADS)
    county_lines = "\n".join(f"{c.name} in {state_name}..." for c in counties)
    until = expires_local[11:16]
    desc = (
        f"The National Weather Service in {office} has issued a\n\n* {event} for...\n"
        f"{county_lines}\n\n* Until {until}.\n\n* {lead.format(place=place, road=road)}\n\n"
        f"HAZARD...{hazard}\n\nSOURCE...Radar indicated.\n\nIMPACT...Damage to roofs, "
        f"siding, trees and vehicles is possible. Travel along {road} may be dangerous.\n\n"
        f"* Locations impacted include...\n{', '.join(c.short for c in counties)}, "
        f"{place} and {road}.\n\nPRECAUTIONARY/PREPAREDNESS ACTIONS...\n\n{instr}\n\n"
        f"Please report {event.lower()} impacts to the National Weather Service by calling "
        f"the toll free number or posting to social media; this information helps "
        f"forecasters warn others in {state_name}."
    )
    desc_es = (
        f"El Servicio Meteorológico Nacional en {office} ha emitido un\n\n* {event_es} "
        f"para...\n{county_lines}\n\n* Hasta las {until}.\n\nPELIGRO...{hazard}\n\n"
        f"FUENTE...Indicado por radar.\n\nIMPACTO...Posibles daños a techos, "
        f"revestimientos, árboles y vehículos. Viajar por {road} puede ser peligroso.\n\n"
        f"* Lugares afectados incluyen...\n{', '.join(c.short for c in counties)}.\n\n"
        f"ACCIONES PRECAUTORIAS/PREPARATIVAS...\n\nBusque refugio de inmediato y siga "
        f"las instrucciones de las autoridades locales en {state_name}."
    )
    when = expires_local[:16].replace("T", " at ")
    return {
        "event": event,
        "event_es": event_es,
        "headline": f"{event} issued until {when} by NWS {office}",
        "headline_es": f"{event_es} emitido hasta {when} por NWS {office}",
        "description": desc,
        "description_es": desc_es,
        "instruction": instr,
        "instruction_es": instr,
        "cmam": f"NWS: {event.upper()} this area til {until}. {instr.split('.')[0][:40]}.",
        "cmam_es": f"NWS: {event_es.upper()} hasta {until}.",
        "cmam_long": f"National Weather Service: A {event.upper()} is in effect for this area "
        f"until {until}. {instr}",
        "cmam_long_es": f"Servicio Meteorológico Nacional: {event_es} hasta {until}.",
    }


def _geocodes(counties: list, state_fips: str | None, ugc_state: str | None) -> str:
    out = []
    if state_fips:
        out.append(f"<geocode><valueName>SAME</valueName><value>0{state_fips}000</value></geocode>")
    for c in counties:
        out.append(f"<geocode><valueName>SAME</valueName><value>0{c.fips}</value></geocode>")
    if ugc_state:
        for c in counties:
            out.append(
                f"<geocode><valueName>UGC</valueName><value>{ugc_state}C{c.fips[2:]}"
                "</value></geocode>"
            )
    return "".join(out)


def _b64(rng: Random, n: int) -> str:
    return base64.b64encode(rng.getrandbits(8 * n).to_bytes(n, "big")).decode("ascii")


def _uuid(rng: Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _identifier(rng: Random, style: str, state: str) -> str:
    if style == "urn":
        return f"urn:oid:2.49.0.1.840.0.{rng.getrandbits(160):040x}.001.1.IPAWS"
    if style == "as":
        return f"AS-{state}-{_uuid(rng)}"
    if style == "digits":
        return str(rng.randrange(10**22, 10**23))
    if style == "onsolve":
        return f"OnSolve-{rng.getrandbits(128):032x}"
    return f"{state}EM-{_uuid(rng)}"


@dataclass
class Rendered:
    xml: str
    identifier: str
    sender: str
    sent_raw: str
    sent: datetime
    msg_type: str
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent_raw}"


class RegularMaker:
    """Renders regular (non-outage) alerts from the real templates."""

    def __init__(self, geo: Geography, templates: list[Template]):
        self.geo = geo
        self.templates = templates
        self.nws_code = weighted(NWS_CODES, [w for _, w, _, _ in NWS_CODES])
        self.civil_code = weighted(CIVIL_CODES, [w for _, w, _ in CIVIL_CODES])
        self.test_code = weighted(TEST_CODES, [w for _, w, _ in TEST_CODES])

    def render(self, rng: Random, sent: datetime, earlier: dict[str, list[str]]) -> Rendered:
        """One alert sent at `sent`; `earlier` holds keys of the day's earlier alerts by family
        (updates and cancels reference one of them, as real ones do)."""
        tpl = rng.choice(self.templates)
        geo = self.geo
        state = geo.pick_state(rng)
        zone = geo.zones[state]
        state_name = geo.state_names[state]
        state_fips = geo.counties_by_state[state][0].fips[:2]
        sent_raw = cap_time(sent, zone)
        family = tpl.family
        v: dict[str, str] = {"sent": sent_raw, "effective": sent_raw, "onset": sent_raw}
        identifier = _identifier(rng, tpl.id_style, state)
        statewide = False
        counties: list[County] = []
        if family == "nws":
            sender = NWS_SENDER
            counties = geo.counties(rng, state, rng.randint(1, max(1, tpl.n_counties)))
            code, _, event, event_es = self.nws_code(rng)
            expires = sent + timedelta(minutes=rng.choice((30, 45, 60, 90, 180, 360)))
            v["expires"] = cap_time(expires, zone)
            office = f"{geo.counties_by_state[state][0].short} {state}"
            v["senderName"] = f"NWS {office}"
            v.update(
                _nws_text(rng, code, event, event_es, office, counties, state_name, v["expires"])
            )
            v["geocodes"] = _geocodes(counties, None, state)
            v["area_desc"] = "; ".join(f"{c.short}, {state}" for c in counties)
        elif family == "cancel":
            sender = f"alerts@{state.lower()}{rng.randint(1, 40)}.example.org"
            code = None
        else:
            if family == "test":
                code, _, event = self.test_code(rng)
                statewide = rng.random() < 0.6
            else:
                code, _, event = self.civil_code(rng)
                statewide = code in ("CAE", "BLU") or rng.random() < 0.05
            if not statewide:
                counties = geo.counties(rng, state, 1 if rng.random() < 0.8 else 2)
            who = counties[0].short if counties else state_name
            kind = rng.choice(SENDER_KINDS)
            slug = re.sub(r"[^a-z0-9]+", "", who.lower())[:16] or "state"
            sender = f"{slug}-{kind.split()[-1].lower()}@{state.lower()}.example.org"
            v["senderName"] = (
                f"{who} {kind}" if counties else f"{state_name} Emergency Management Agency"
            )
            expires = sent + timedelta(hours=rng.choice((1, 2, 4, 6, 12, 24)))
            v["expires"] = cap_time(expires, zone)
            v["event"] = event
            if family == "test":
                v["headline"] = f"{event} of the Emergency Alert System"
                v["description"] = (
                    f"This is a {event} of the Emergency Alert System in "
                    f"{state_name}. This is only a test."
                )
                v["instruction"] = "No action is required."
            else:
                v["headline"], v["description"], v["instruction"] = _civil_text(
                    rng, code, counties, state_name
                )
            v["cmam"] = v["headline"][:90]
            v["cmam_long"] = v["description"][:360]
            v["geocodes"] = _geocodes(counties, state_fips if statewide else None, None)
            v["area_desc"] = "; ".join(c.name for c in counties) if counties else state_name
        for k in (
            "event",
            "headline",
            "description",
            "instruction",
            "cmam",
            "cmam_long",
            "event_es",
            "headline_es",
            "description_es",
            "instruction_es",
            "cmam_es",
            "cmam_long_es",
            "senderName",
            "area_desc",
        ):
            if k in v:
                v[k] = xml_escape(v[k])
        if code:
            v["code"] = code
        refs: list[str] = []
        if tpl.has_refs:
            pool = earlier.get(family if family != "cancel" else "civil") or []
            if pool:
                refs = [rng.choice(pool[-200:])]
            else:  # the referenced alert was sent the day before
                refs = [
                    f"{sender},{_identifier(rng, tpl.id_style, state)},"
                    f"{cap_time(sent - timedelta(hours=2), zone)}"
                ]
            v["references"] = " ".join(refs)
        v["identifier"] = identifier
        v["sender"] = xml_escape(sender)
        v["digest"] = _b64(rng, 32)
        v["sigval"] = _b64(rng, 256)
        xml = tpl.skeleton.render(v)
        out = Rendered(xml, identifier, sender, sent_raw, sent, tpl.msg_type, refs)
        earlier.setdefault(family if family in ("nws", "civil") else "other", []).append(out.key)
        return out


# ----------------------------------------------------------------------------- threads
@dataclass
class ThreadMessage:
    skeleton: Skeleton
    offset: timedelta  # after the thread's first message
    refs: list[int]  # indices of earlier messages of the thread this one references
    msg_type: str


@dataclass
class ThreadTemplate:
    key: str
    messages: list[ThreadMessage]
    county_shorts: list[str]  # the template's counties, as named in its texts
    statewide: bool
    state_name: str
    sender: str


def load_thread_templates(geo: Geography) -> list[ThreadTemplate]:
    """The constructed outage threads of demo/constructed/cap/ (the hard negatives, named
    `neg-*`, are left out: regular alerts carry near misses of their own)."""
    county_short = {c.fips: c.short for cs in geo.counties_by_state.values() for c in cs}
    groups: dict[tuple[str, str], list[tuple[str, etree._Element]]] = defaultdict(list)
    for path in sorted(CONSTRUCTED_CAP.glob("*.xml")):
        incident = path.name.split("_")[1]
        if incident.startswith("neg-"):
            continue
        root = _parse(path.read_text())
        groups[(incident, root.findtext(_q("sender")).strip())].append((path.name, root))
    threads = []
    for (incident, sender), members in sorted(groups.items()):
        keys: list[str] = []
        sents: list[datetime] = []
        messages = []
        first_info = next(
            (r.find(_q("info")) for _, r in members if r.find(_q("info")) is not None), None
        )
        same = [
            g.findtext(_q("value"))
            for g in first_info.iter(_q("geocode"))
            if g.findtext(_q("valueName")) == "SAME"
        ]
        statewide = any(s.endswith("000") for s in same)
        state_fips = same[0][1:3]
        state_name = next(
            geo.state_names[c.state]
            for cs in geo.counties_by_state.values()
            for c in cs
            if c.fips[:2] == state_fips
        )
        shorts = [county_short[s[1:]] for s in same if not s.endswith("000")]
        for _, root in members:
            ident = root.findtext(_q("identifier")).strip()
            sent_raw = root.findtext(_q("sent")).strip()
            keys.append(f"{sender},{ident},{sent_raw}")
            sents.append(datetime.fromisoformat(sent_raw))
            refs_text = (root.findtext(_q("references")) or "").split()
            refs = [keys.index(r) for r in refs_text if r in keys]
            _mark(root.find(_q("identifier")), "identifier")
            _mark(root.find(_q("sender")), "sender")
            _mark(root.find(_q("sent")), "sent")
            _mark(root.find(_q("references")), "references")
            note = root.find(_q("note"))
            if note is not None:
                note.text = SYNTH_NOTE
            for info in root.findall(_q("info")):
                for tag in ("effective", "onset", "expires"):
                    _mark(info.find(_q(tag)), f"{tag}")
                area = info.find(_q("area"))
                if area is not None:
                    _mark(area.find(_q("areaDesc")), "area_desc")
                    for g in area.findall(_q("geocode")):
                        area.remove(g)
                    etree.SubElement(area, _q("MARKgeocodes"))
            msg_type = root.findtext(_q("msgType")).strip()
            messages.append(
                ThreadMessage(Skeleton.from_tree(root), sents[-1] - sents[0], refs, msg_type)
            )
        # expires relative to sent, kept per message as an extra marker value
        threads.append(ThreadTemplate(incident, messages, shorts, statewide, state_name, sender))
    return threads


class ThreadMaker:
    """Renders 911 outage threads (alert, updates, all-clear) from the constructed ones."""

    def __init__(self, geo: Geography, templates: list[ThreadTemplate]):
        self.geo = geo
        self.templates = templates
        self.provider = weighted([p for p, _ in PROVIDERS], [w for _, w in PROVIDERS])
        self.vendor = weighted([p for p, _ in VENDORS], [w for _, w in VENDORS])

    def render(self, rng: Random, start: datetime) -> list[Rendered]:
        tpl = rng.choice(self.templates)
        geo = self.geo
        state = geo.pick_state(rng)
        zone = geo.zones[state]
        state_name = geo.state_names[state]
        state_fips = geo.counties_by_state[state][0].fips[:2]
        counties = [] if tpl.statewide else geo.counties(rng, state, len(tpl.county_shorts))
        # Texts: the template's places, provider and phone numbers swapped for the new ones.
        subs = [(tpl.state_name, state_name)]
        for old, new in zip(tpl.county_shorts, counties, strict=False):
            subs += [(old, new.short), (old.upper(), new.short.upper())]
        provider, vendor = self.provider(rng), self.vendor(rng)
        subs += [("Lumen", provider), ("LUMEN", provider.upper()), ("Comtech", vendor)]
        phone_tail = f"555-01{rng.randrange(100):02d}"
        who = counties[0].short if counties else state_name
        slug = re.sub(r"[^a-z0-9]+", "", who.lower())[:16] or "state"
        sender = f"{slug}-em.alerts@{state.lower()}.example.org"
        # Duration: the template's spacing stretched or squeezed; some threads never get an
        # all-clear (end unknown), as happens.
        scale = rng.uniform(0.4, 2.5)
        n = len(tpl.messages)
        if n > 1 and rng.random() < 0.15:
            n = rng.randint(1, n - 1)
        out: list[Rendered] = []
        area_desc = state_name if tpl.statewide else "; ".join(c.name for c in counties)
        geocodes = _geocodes(counties, state_fips if tpl.statewide else None, None)
        for msg in tpl.messages[:n]:
            sent = start + msg.offset * scale + timedelta(seconds=rng.randrange(60))
            if out and sent <= out[-1].sent:
                sent = out[-1].sent + timedelta(minutes=1)
            sent_raw = cap_time(sent, zone)
            identifier = f"BENCH911-{state}-{_uuid(rng)}"
            refs = [out[j].key for j in msg.refs if j < len(out)]
            v = {
                "identifier": identifier,
                "sender": sender,
                "sent": sent_raw,
                "effective": sent_raw,
                "onset": sent_raw,
                "expires": cap_time(sent + timedelta(hours=4), zone),
                "references": " ".join(refs),
                "area_desc": xml_escape(area_desc),
                "geocodes": geocodes,
            }
            xml = msg.skeleton.render(v)
            for old, new in subs:
                if old != new:
                    xml = xml.replace(old, xml_escape(new))
            xml = re.sub(r"555-01\d\d", phone_tail, xml)
            out.append(Rendered(xml, identifier, sender, sent_raw, sent, msg.msg_type, refs))
        return out
