"""The documented record: curated incident files (format 2) and their check.

One JSON file per incident in `crawlers/data/curated/<key>.json` (see
`crawlers/data/CURATED.md` and the JSON Schema `crawlers/data/curated.schema.json`).

- `record_problems(record, name)` lists what is wrong with one record on its own: the schema,
  dates and time zones (the offset must be the one in force in the record's IANA zone on that
  day), the key, state and county codes, the cause and provider taxonomies, a citation for
  every fact, and quotes that carry the values. The curated spider refuses a record with any.
- `check_paths(paths, archives)` runs that over files and directories and adds what needs
  more than one record or our archives: a quote whose page is in a WARC archive of ours must
  be in the archived page's text, and no two records may be the same outage (same local day
  or overlapping times, and a shared county, or a shared state where one of them names no
  counties) unless they share an `event_group`; and the FCC documents a record names are in
  `crawlers/data/fcc_documents.csv`; and citation kinds are the page publisher's (one per
  page; never `news` on a .gov/.mil host; other than `news` only on a host listed in
  `crawlers/data/citation_hosts.csv`). `outages curated check` prints the result.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warehouse import geography as geo
from warehouse import taxonomy
from warehouse.taxonomy import CAUSES

DATA_DIR = Path(__file__).resolve().parent / "data"
CURATED_DIR = DATA_DIR / "curated"
SCHEMA_FILE = DATA_DIR / "curated.schema.json"
FORMAT = "911-outage-watch/curated-incident/2"

# Record fields that are facts: each needs a citation when it is not null (unless derived).
FACT_FIELDS = (
    "date",
    "started_at",
    "ended_at",
    "first_reported_at",
    "duration_minutes",
    "states",
    "counties",
    "cause",
    "provider",
    "calls_affected",
    "people_affected",
    "psaps_affected",
    "backup_numbers",
)
TIME_FIELDS = ("started_at", "ended_at", "first_reported_at")
COUNT_FIELDS = ("calls_affected", "people_affected", "psaps_affected")
PRECISIONS = ("minute", "hour", "day")
CITATION_KINDS = ("news", "agency", "company", "fcc", "psc")
QUOTE_MAX = 300
# How a quote may name a state other than by its name.
STATE_ALIASES = {"DC": ("D.C.", "District of Columbia"), "VI": ("Virgin",), "PR": ("Puerto Rico",)}
ALL_STATES_PHRASES = ("all 50 states", "nationwide", "across the country", "across the U.S.")


class RecordError(ValueError):
    """One curated record cannot be used as it is."""


# --------------------------------------------------------------------------- reference data
@functools.cache
def schema_validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@functools.cache
def providers() -> frozenset[str]:
    """Canonical provider names (warehouse/taxonomies/providers.csv)."""
    return frozenset(taxonomy.provider_names())


CITATION_HOSTS_FILE = DATA_DIR / "citation_hosts.csv"
# Top-level domains only the US government can hold: a page there is never a news outlet's.
GOVERNMENT_TLDS = (".gov", ".mil")


@functools.cache
def citation_hosts() -> dict[str, frozenset[str]]:
    """Host -> the citation kinds its pages may have (crawlers/data/citation_hosts.csv): the
    reviewed hosts whose pages are a government body's or a provider's own words."""
    import csv

    with CITATION_HOSTS_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["host"].strip().lower(): frozenset(row["kinds"].split("|"))
            for row in csv.DictReader(handle)
        }


def host_kinds(url: str) -> tuple[str, frozenset[str] | None]:
    """(host, the kinds listed for it or for a parent domain; None when not listed)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    listed = citation_hosts()
    parts = host.split(".")
    for i in range(len(parts) - 1):
        kinds = listed.get(".".join(parts[i:]))
        if kinds is not None:
            return host, kinds
    return host, None


def citation_kind_problems(record: dict) -> list[str]:
    """A citation's `kind` is the kind of the page's publisher (CURATED.md), not of the
    person it quotes: a news story that reprints an agency's statement is `news`. So one
    page has one kind; a page on a .gov/.mil host is never `news` or `company`; and any
    other kind than `news` on another host needs that host listed (reviewed) in
    crawlers/data/citation_hosts.csv, as a body's own site or a verbatim copy."""
    problems: list[str] = []
    kinds_of: dict[str, set[str]] = {}
    for entries in (record.get("citations") or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            url, kind = (entry.get("url"), entry.get("kind")) if isinstance(entry, dict) else (0, 0)
            if isinstance(url, str) and isinstance(kind, str):
                kinds_of.setdefault(url, set()).add(kind)
    for url, kinds in kinds_of.items():
        if len(kinds) > 1:
            problems.append(
                f"citations of {url} disagree on kind ({', '.join(sorted(kinds))}): a page "
                "has one publisher, so one kind"
            )
        host, allowed = host_kinds(url)
        for kind in sorted(kinds):
            if allowed is not None:
                if kind not in allowed:
                    problems.append(
                        f"a citation of {host} has kind {kind!r}; its pages are "
                        f"{' or '.join(sorted(allowed))} (crawlers/data/citation_hosts.csv)"
                    )
            elif host.endswith(GOVERNMENT_TLDS):
                if kind in ("news", "company"):
                    problems.append(f"a citation of {host} (a government site) has kind {kind!r}")
            elif kind != "news":
                problems.append(
                    f"a citation of {host} has kind {kind!r}, but {host} is neither a "
                    "government site nor listed in crawlers/data/citation_hosts.csv: a news "
                    "page that quotes an agency or a company is 'news' (list the host only if "
                    "it is the body's own site or a verbatim copy of its document)"
                )
    return problems


def known_state(code: Any) -> bool:
    return isinstance(code, str) and geo.normalize_state_code(code) == code


def known_county(fips: Any) -> bool:
    return isinstance(fips, str) and geo.normalize_county_fips(fips) == fips


# --------------------------------------------------------------------------- one record
def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time with offset; None for None; `RecordError` otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"not an ISO 8601 string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise RecordError(f"no UTC offset: {value!r}")
    return parsed


def zone_offsets(local: datetime, zone: ZoneInfo) -> set[timedelta]:
    """The UTC offsets `zone` has at this wall-clock time (two in the repeated DST hour)."""
    naive = local.replace(tzinfo=None)
    return {
        off
        for fold in (0, 1)
        if (off := naive.replace(tzinfo=zone, fold=fold).utcoffset()) is not None
    }


def _offset_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def record_problems(record: Any, name: str | None = None) -> list[str]:
    """Everything wrong with one record on its own (empty: none). `name` is the file's stem."""
    if not isinstance(record, dict):
        return ["not a JSON object (one incident per file)"]
    problems = [
        f"schema: {'/'.join(str(p) for p in error.absolute_path) or 'record'}: {error.message}"
        for error in sorted(
            schema_validator().iter_errors(record), key=lambda e: list(map(str, e.path))
        )
    ]
    key = record.get("key")
    if not isinstance(key, str) or not key:
        problems.append(f"missing or malformed key: {key!r}")
    elif name is not None and key != name:
        problems.append(f"key {key!r} is not the file name ({name}.json)")
    day = _date(record.get("date"))
    if day is None:
        problems.append(f"date is not a day (YYYY-MM-DD): {record.get('date')!r}")
    elif isinstance(key, str) and not key.startswith(f"{day.isoformat()}-"):
        problems.append(f"key {key!r} does not start with the date {day.isoformat()}")
    problems += _time_problems(record, day)
    problems += _place_problems(record)
    cause, provider = record.get("cause"), record.get("provider")
    if cause is not None and cause not in CAUSES:
        problems.append(f"unknown cause {cause!r} (one of: {', '.join(CAUSES)})")
    if provider is not None and provider not in providers():
        problems.append(f"unknown provider {provider!r} (see warehouse/taxonomies/providers.csv)")
    problems += _citation_problems(record)
    return _unique(problems)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _time_problems(record: dict, day: date | None) -> list[str]:
    problems: list[str] = []
    zone_name = record.get("timezone")
    zone = None
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(zone_name) if isinstance(zone_name, str) and zone_name else None
    if zone is None:
        problems.append(f"unknown time zone {zone_name!r} (an IANA name: America/Chicago)")
    times: dict[str, datetime | None] = {}
    for name in TIME_FIELDS:
        try:
            times[name] = parse_time(record.get(name))
        except RecordError as exc:
            problems.append(f"{name}: {exc}")
            times[name] = None
            continue
        when = times[name]
        if when is not None and zone is not None:
            allowed = zone_offsets(when, zone)
            if when.utcoffset() not in allowed:
                expected = " or ".join(sorted(_offset_text(o) for o in allowed))
                problems.append(
                    f"{name} {record[name]} has offset {_offset_text(when.utcoffset())}, but "
                    f"{zone_name} is at {expected} on {when.date().isoformat()}"
                )
    start, end, first = times["started_at"], times["ended_at"], times["first_reported_at"]
    if start and end and end < start:
        problems.append("ended_at is before started_at")
    if day and start and start.date() != day:
        problems.append(f"started_at {record['started_at']} is not on the date {day.isoformat()}")
    if day and start is None and first and first.date() < day:
        problems.append(f"first_reported_at {record['first_reported_at']} is before the date")
    precision = record.get("started_precision")
    if record.get("started_at") is None and precision not in (None, "day"):
        problems.append(
            f"started_at is null, so started_precision must be 'day', not {precision!r}"
        )
    if record.get("started_at") is not None and precision == "day":
        problems.append("started_precision is 'day' but started_at gives a time")
    ended_precision = record.get("ended_precision")
    if record.get("ended_at") is None and ended_precision not in (None, "day"):
        problems.append(f"ended_at is null but ended_precision is {ended_precision!r}")
    if record.get("ended_at") is not None and ended_precision is None:
        problems.append("ended_at is given without ended_precision")
    for listed in ("approximate", "derived"):
        for name in record.get(listed) or []:
            if record.get(name) in (None, []):
                problems.append(f"{listed} names {name}, which is null")
    return problems


def _place_problems(record: dict) -> list[str]:
    problems: list[str] = []
    states = record.get("states") if isinstance(record.get("states"), list) else []
    if not states:
        problems.append("no states")
    for code in states:
        if not known_state(code):
            problems.append(f"unknown state {code!r} (USPS codes only)")
    counties = record.get("counties") if isinstance(record.get("counties"), list) else []
    for fips in counties:
        if not known_county(fips):
            problems.append(f"unknown county {fips!r} (a current 5-digit FIPS code)")
        elif geo.state_code_from_fips(fips[:2]) not in states:
            problems.append(
                f"county {fips} ({geo.county_name(fips)}) is in "
                f"{geo.state_code_from_fips(fips[:2])}, not one of the record's states"
            )
    for fips in record.get("places_via") or {}:
        if fips not in counties:
            problems.append(f"places_via names {fips}, which is not in counties")
    return problems


def _citation_problems(record: dict) -> list[str]:
    cites = record.get("citations")
    if not isinstance(cites, dict) or not cites:
        return ["no citations"]
    problems: list[str] = []
    derived = set(record.get("derived") or [])
    for name in FACT_FIELDS:
        if record.get(name) in (None, []) or name in derived:
            continue
        entries = cites.get(name)
        if not isinstance(entries, list) or not entries:
            problems.append(f"{name} has no citation")
    for name, entries in cites.items():
        if record.get(name) in (None, []) and name not in (record.get("unverified") or []):
            problems.append(f"citations.{name} cites a field that is null (and not unverified)")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            quote = entry.get("quote")
            if isinstance(quote, str) and re.search(r"\.\.\.|\u2026", quote):
                problems.append(f"a quote of {name} has an ellipsis: quote one passage")
    return problems + quote_value_problems(record)


def _quotes(record: dict, name: str) -> str:
    entries = (record.get("citations") or {}).get(name) or []
    return "\n".join(
        e["quote"] for e in entries if isinstance(e, dict) and isinstance(e.get("quote"), str)
    )


_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(value: int) -> set[str]:
    """Spellings of a whole number: digits, with separators, in words, 'N million'."""
    out = {str(value), f"{value:,}"}
    if value < 20:
        out.add(_SMALL[value])
    elif value < 100:
        tens, ones = divmod(value, 10)
        out.add(_TENS[tens - 2] + (f"-{_SMALL[ones]}" if ones else ""))
    if value >= 1_000_000:
        millions = value / 1_000_000
        text = f"{millions:g}"
        out |= {f"{text} million", f"{text}-million"}
    if value >= 1000 and value % 1000 == 0 and value < 1_000_000:
        out.add(f"{value // 1000:,} thousand")
    return out


_COUNTY_WORDS = re.compile(
    r"\s+(County|Parish|Borough|City and Borough|Census Area|Municipality|Island|city)$"
)


def quote_value_problems(record: dict) -> list[str]:
    """CURATED.md, the verification rule, point 3: the quotes carry the values."""
    problems: list[str] = []
    states = [s for s in record.get("states") or [] if known_state(s)]
    counties = [f for f in record.get("counties") or [] if known_county(f)]
    text = comparable(_quotes(record, "states"))
    if states and text:
        county_states = {geo.state_code_from_fips(f[:2]) for f in counties}
        everywhere = any(comparable(p) in text for p in ALL_STATES_PHRASES)
        for code in states:
            names = STATE_ALIASES.get(code) or (geo.state_name(code) or code,)
            if not (
                any(comparable(n) in text for n in names) or everywhere or code in county_states
            ):
                problems.append(f"state {code} is not named in a quote of citations.states")
    text = comparable(_quotes(record, "counties"))
    via = record.get("places_via") or {}
    if counties and text:
        for fips in counties:
            base = re.sub(_COUNTY_WORDS, "", geo.county_name(fips) or "")
            places = [base] + re.split(r"\s*[,/;]\s*", str(via.get(fips) or ""))
            if not any(p.strip() and comparable(p) in text for p in places):
                problems.append(
                    f"county {fips} ({geo.county_name(fips)}) is not named in a quote of "
                    "citations.counties (nor its places_via place)"
                )
    for name in COUNT_FIELDS + ("duration_minutes",):
        value = record.get(name)
        if name == "duration_minutes" or not isinstance(value, int) or isinstance(value, bool):
            continue
        text = _quotes(record, name).lower()
        if text and not any(s in text for s in number_words(value)):
            problems.append(f"{name} {value} is not written in a quote of citations.{name}")
    text = re.sub(r"\D", "", _quotes(record, "backup_numbers"))
    for entry in record.get("backup_numbers") or []:
        number = entry.get("number") if isinstance(entry, dict) else None
        digits = re.sub(r"\D", "", number or "")
        if digits and digits not in text:
            problems.append(f"backup number {number} is not in a quote of citations.backup_numbers")
    return problems


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def validate_record(record: Any, name: str | None = None) -> dict[str, Any]:
    """The record, checked (raises `RecordError` with every problem, '; '-joined)."""
    problems = record_problems(record, name)
    if problems:
        raise RecordError("; ".join(problems))
    return record


# --------------------------------------------------------------------------- files
def record_files(paths: Iterable[str | Path] = ()) -> list[Path]:
    """The `*.json` files of these files and directories (default: the committed record)."""
    found: list[Path] = []
    for given in list(paths) or [CURATED_DIR]:
        path = Path(given)
        found += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return found


def load_records(directory: Path = CURATED_DIR) -> list[dict[str, Any]]:
    """Every record of a directory, in file-name order (for tests and tools)."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in record_files([directory])]


# --------------------------------------------------------------------------- archives
def page_text(body: bytes, content_type: str | None = None) -> str:
    """The readable text of an archived page (HTML tags and entities removed), in the charset
    the page declares (else UTF-8)."""
    from w3lib.encoding import http_content_type_encoding

    charset = http_content_type_encoding(content_type) if content_type else None
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    if "html" in (content_type or "").lower() or re.match(r"\s*<(!doctype|html)", text, re.I):
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
        text = html.unescape(text)
    return text


def comparable(text: str) -> str:
    """Text with quotes, dashes, spaces and case made uniform, for finding a quote."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(
        {
            0x2018: "'",
            0x2019: "'",
            0x201C: '"',
            0x201D: '"',
            0x2013: "-",
            0x2014: "-",
            0x00A0: " ",
            0x00AD: None,
        }
    )
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class ArchiveIndex:
    """The pages of our WARC archives, by canonical URL (the latest recording wins)."""

    pages: dict[str, str] = field(default_factory=dict)
    archives: list[Path] = field(default_factory=list)

    @classmethod
    def of(cls, archives: Iterable[Path], urls: Iterable[str] | None = None) -> ArchiveIndex:
        """The archived pages of these URLs (default: every page) in these archives."""
        from warehouse.warc import canonical_url, iter_responses

        index = cls()
        wanted = None if urls is None else {canonical_url(u) for u in urls}
        for path in archives:
            if not Path(path).is_file():
                continue
            index.archives.append(Path(path))
            for response in iter_responses(path, urls=wanted):
                if response.status == 200:
                    index.pages[canonical_url(response.url)] = comparable(
                        page_text(response.body, response.headers.get("Content-Type"))
                    )
        return index

    def text_of(self, url: str) -> str | None:
        from warehouse.warc import canonical_url

        return self.pages.get(canonical_url(url))


def fcc_document_problems(record: dict) -> list[str]:
    """FCC document numbers the record names that `crawlers/data/fcc_documents.csv` lacks
    (the fcc_docs spider reads the documents of that list)."""
    from crawlers.spiders.formats import fcc

    known = fcc.known_documents()
    problems = []
    for doc in record.get("fcc_documents") or []:
        doc_id = fcc.attachment_id(doc) if isinstance(doc, str) else None
        if doc_id is None:
            problems.append(f"fcc_documents: {doc!r} is not an FCC attachment number")
        elif doc_id not in known:
            problems.append(
                f"fcc_documents: {doc_id} is not in crawlers/data/fcc_documents.csv (add it: "
                "doc_id, kind, title, released, incident_key, note)"
            )
    return problems


def cited_urls(records: Iterable[Any]) -> Iterator[str]:
    """Every URL (and `via` copy) the records cite."""
    for record in records:
        cites = record.get("citations") if isinstance(record, dict) else None
        for entries in (cites or {}).values() if isinstance(cites, dict) else ():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    for name in ("url", "via"):
                        if isinstance(entry.get(name), str):
                            yield entry[name]


def archive_problems(record: dict, index: ArchiveIndex) -> list[str]:
    """Quotes whose cited page (or its `via` copy) is archived but does not contain them."""
    problems = []
    for name, entries in (record.get("citations") or {}).items():
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("quote"), str):
                continue
            urls = [u for u in (entry.get("via"), entry.get("url")) if isinstance(u, str)]
            texts = [t for t in map(index.text_of, urls) if t is not None]
            if texts and not any(comparable(entry["quote"]) in t for t in texts):
                problems.append(
                    f"a quote of {name} is not in the archived page {urls[-1]}: "
                    f"{entry['quote'][:80]!r}"
                )
    return problems


# --------------------------------------------------------------------------- duplicates
@dataclass(frozen=True)
class Extent:
    """When and where a record says its outage was, for finding two records of one outage."""

    name: str
    days: frozenset[date]
    start: datetime | None
    end: datetime | None
    states: frozenset[str]
    counties: frozenset[str]
    event_group: str | None

    @classmethod
    def of(cls, name: str, record: dict) -> Extent | None:
        day = _date(record.get("date"))
        if day is None or not isinstance(record.get("states"), list):
            return None
        try:
            start, end = parse_time(record.get("started_at")), parse_time(record.get("ended_at"))
        except RecordError:
            start = end = None
        days = {day}
        if end is not None and start is not None:
            local_end = end.date()
            days |= {day + timedelta(d) for d in range((local_end - day).days + 1)}
        return cls(
            name,
            frozenset(days),
            start,
            end,
            frozenset(s for s in record["states"] if isinstance(s, str)),
            frozenset(f for f in record.get("counties") or [] if isinstance(f, str)),
            record.get("event_group"),
        )

    def same_time(self, other: Extent) -> bool:
        if self.days & other.days:
            return True
        if self.start and self.end and other.start and other.end:
            return self.start <= other.end and other.start <= self.end
        return False

    def same_place(self, other: Extent) -> bool:
        if self.counties & other.counties:
            return True
        shared = self.states & other.states
        if not shared:
            return False
        mine = {f for f in self.counties if geo.state_code_from_fips(f[:2]) in shared}
        theirs = {f for f in other.counties if geo.state_code_from_fips(f[:2]) in shared}
        # a shared state where one of them names none of its counties: it may be everywhere
        return any(
            not any(geo.state_code_from_fips(f[:2]) == s for f in mine)
            or not any(geo.state_code_from_fips(f[:2]) == s for f in theirs)
            for s in shared
        )


def duplicate_pairs(extents: list[Extent]) -> Iterator[tuple[Extent, Extent]]:
    """Pairs of records that look like one outage (and do not share an event_group)."""
    ordered = sorted(extents, key=lambda e: (min(e.days), e.name))
    for i, one in enumerate(ordered):
        for other in ordered[i + 1 :]:
            if min(other.days) > max(one.days) + timedelta(days=1) and not (
                one.end and other.start and other.start <= one.end
            ):
                break
            if one.event_group and one.event_group == other.event_group:
                continue
            if one.same_time(other) and one.same_place(other):
                yield one, other


# --------------------------------------------------------------------------- the check
@dataclass
class CheckResult:
    files: list[Path]
    problems: dict[Path, list[str]]
    archives: list[Path]

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def report(self) -> str:
        """The per-file list of problems, and a summary line."""
        lines = []
        bad = [p for p in self.files if self.problems.get(p)]
        for path in bad:
            lines.append(f"{path}:")
            lines += [f"  - {problem}" for problem in self.problems[path]]
        archives = ", ".join(str(a) for a in self.archives) or "none found"
        lines.append(
            f"{len(self.files)} file(s) checked, {len(bad)} with problems "
            f"({sum(len(v) for v in self.problems.values())} problems); archives read: {archives}"
        )
        return "\n".join(lines)


def check_paths(paths: Iterable[str | Path] = (), archives: Iterable[Path] = ()) -> CheckResult:
    """Check record files (default: the committed directory) against each other and the
    archives: see the module docstring."""
    files = record_files(paths)
    records: dict[Path, Any] = {}
    problems: dict[Path, list[str]] = {path: [] for path in files}
    for path in files:
        if path.suffix != ".json":
            problems[path].append("not a .json file")
            continue
        try:
            records[path] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems[path].append(f"not readable JSON: {exc}")
    index = ArchiveIndex.of(archives, urls=set(cited_urls(records.values())))
    extents: dict[str, tuple[Path, Extent]] = {}
    keys: dict[str, Path] = {}
    for path, record in records.items():
        found = problems[path]
        found += record_problems(record, path.stem)
        if isinstance(record, dict):
            found += archive_problems(record, index)
            found += fcc_document_problems(record)
            # a label only (nothing reads it): checked here, not a reason for the spider to
            # refuse a record, so an archived copy with an old label still replays
            found += citation_kind_problems(record)
            key = record.get("key")
            if isinstance(key, str) and key in keys:
                found.append(f"duplicate key {key!r}: also in {keys[key]}")
            elif isinstance(key, str):
                keys[key] = path
            extent = Extent.of(str(path), record)
            if extent is not None:
                extents[str(path)] = (path, extent)
    for one, other in duplicate_pairs([e for _, e in extents.values()]):
        a, b = Path(one.name), Path(other.name)
        message = "the same outage as {} (same day and place; give both one event_group if "
        message += "they are parts of one event)"
        problems[a].append(message.format(b))
        problems[b].append(message.format(a))
    return CheckResult(files, problems, index.archives)
