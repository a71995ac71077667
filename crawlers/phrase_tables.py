"""The classifier's tables, as data: what counts as an outage, a restoration, a "911
works" statement and a veto, which alert codes are tests (crawlers/data/*.csv, described
in docs/classification.md, "What counts as an outage"), and the cue words that make a phone
number the backup number (backup_phone_cues.csv, docs/classification.md, "Backup phone").
The engine that applies them is crawlers/classify.py.

Each file is read once (cached). A malformed row raises ``TableError`` naming the file and
its line, so a wrong edit fails at import and in tests/test_classifier_tables.py, not
silently in a crawl.

Every ``pattern`` column is a Python regular expression, matched case-insensitively.
Patterns may use ``<NAME>`` for a building block of phrase_parts.csv (``<TERM>`` is the
number 911 in all its spellings); the blocks are expanded before compiling.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
_FLAGS = re.IGNORECASE
_PLACEHOLDER = re.compile(r"<([A-Z_]+)>")


class TableError(ValueError):
    """A row of a classifier table that cannot be used."""


@dataclass(frozen=True)
class OutagePhrase:
    family: str
    weight: float  # the confidence that an outage phrase of this family gives
    subject_first: bool  # the match starts at the 911 subject: "call 911 ..." vetoes it
    crime_veto: bool  # a crime story around it ("took her phone") vetoes it
    keywords: tuple[str, ...]  # one must occur in the clause for the regex to be tried
    why: str
    example: str
    pattern: str  # the template, before <NAME> expansion
    regex: re.Pattern[str]


@dataclass(frozen=True)
class WorksPhrase:
    name: str
    keywords: tuple[str, ...]
    why: str
    example: str
    pattern: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class RestoredPhrase:
    name: str
    strong: bool  # weak ones count only after an outage phrase of the same document
    keywords: tuple[str, ...]
    why: str
    example: str
    pattern: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Veto:
    name: str
    applies_to: str
    why: str
    example_field: str  # "text" (classify_text) or "event" (a CAP event name)
    example: str
    expect: str  # the status the example gets
    regex: re.Pattern[str]


@dataclass(frozen=True)
class PhoneCue:
    cue: str
    where: str  # before | after | label (see PHONE_CUE_PLACES)
    weight: int  # added to a number's score (before, after); a label sets it (label)
    why: str
    example: str  # a text with one phone number that this cue decides
    pattern: str  # the regular expression, <NAME> blocks expanded
    regex: re.Pattern[str]


# Where a backup-phone cue is looked for, relative to the number (crawlers/classify.py):
PHONE_CUE_PLACES = {
    "before": "in the same clause, up to 120 characters before the number",
    "after": "right after the number (after 'is', 'line', 'number', 'only', 'for')",
    "label": "in the capitalised name written right before the number",
}


@dataclass(frozen=True)
class EventCode:
    field: str  # same_code | cap_status
    code: str
    meaning: str  # test | outage
    why: str


def _rows(name: str, columns: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """(where, row) for each row of data/NAME, where = "NAME line N"; every column filled."""
    path = DATA_DIR / name
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise TableError(f"crawlers/data/{name}: missing column(s) {', '.join(missing)}")
        for row in reader:
            where = f"crawlers/data/{name} line {reader.line_num}"
            if None in row:  # more cells than the header has
                raise TableError(f"{where}: more cells than columns (quote a comma)")
            for c in columns:
                if not (row.get(c) or "").strip():
                    raise TableError(f"{where}: column {c!r} is empty")
            yield where, row


def _yes_no(where: str, column: str, value: str) -> bool:
    if value not in ("yes", "no"):
        raise TableError(f"{where}: {column} must be yes or no, not {value!r}")
    return value == "yes"


def _keywords(value: str) -> tuple[str, ...]:
    # not stripped: a keyword may end in a space on purpose ("hit " is not "hitting")
    return tuple(k for k in value.split("|") if k)


@cache
def parts() -> dict[str, str]:
    """The <NAME> building blocks of phrase_parts.csv: name -> regular expression."""
    out: dict[str, str] = {}
    for where, row in _rows("phrase_parts.csv", ("name", "why", "pattern")):
        name = row["name"]
        if not re.fullmatch(r"[A-Z_]+", name):
            raise TableError(f"{where}: name {name!r} must be CAPITALS and _")
        if name in out:
            raise TableError(f"{where}: {name} is defined twice")
        out[name] = row["pattern"]
    return out


def expand(template: str) -> str:
    """The template with every <NAME> replaced by its building block (blocks may nest)."""
    blocks = parts()
    out = template
    for _ in range(5):
        new = _PLACEHOLDER.sub(lambda m: blocks[m.group(1)], out)
        if new == out:
            break
        out = new
    return out


def _compile(where: str, template: str) -> re.Pattern[str]:
    unknown = sorted(set(_PLACEHOLDER.findall(template)) - set(parts()))
    if unknown:
        raise TableError(f"{where}: unknown building block(s) {', '.join(unknown)}")
    try:
        return re.compile(expand(template), _FLAGS)
    except re.error as exc:
        raise TableError(f"{where}: pattern is not a valid regular expression: {exc}") from exc


@cache
def outage_phrases() -> tuple[OutagePhrase, ...]:
    cols = ("family", "weight", "subject_first", "crime_veto", "keywords", "why", "example")
    out = []
    for where, row in _rows("outage_phrases.csv", (*cols, "pattern")):
        try:
            weight = float(row["weight"])
        except ValueError:
            raise TableError(f"{where}: weight {row['weight']!r} is not a number") from None
        if not 0.5 <= weight <= 0.99:
            raise TableError(f"{where}: weight {weight} is outside 0.5-0.99")
        out.append(
            OutagePhrase(
                family=row["family"],
                weight=weight,
                subject_first=_yes_no(where, "subject_first", row["subject_first"]),
                crime_veto=_yes_no(where, "crime_veto", row["crime_veto"]),
                keywords=_keywords(row["keywords"]),
                why=row["why"],
                example=row["example"],
                pattern=row["pattern"],
                regex=_compile(where, row["pattern"]),
            )
        )
    return tuple(out)


@cache
def works_phrases() -> tuple[WorksPhrase, ...]:
    cols = ("name", "keywords", "why", "example", "pattern")
    return tuple(
        WorksPhrase(
            name=row["name"],
            keywords=_keywords(row["keywords"]),
            why=row["why"],
            example=row["example"],
            pattern=row["pattern"],
            regex=_compile(where, row["pattern"]),
        )
        for where, row in _rows("works_phrases.csv", cols)
    )


@cache
def restored_phrases() -> tuple[RestoredPhrase, ...]:
    out = []
    cols = ("name", "strength", "keywords", "why", "example", "pattern")
    for where, row in _rows("restored_phrases.csv", cols):
        if row["strength"] not in ("strong", "weak"):
            raise TableError(f"{where}: strength must be strong or weak, not {row['strength']!r}")
        out.append(
            RestoredPhrase(
                name=row["name"],
                strong=row["strength"] == "strong",
                keywords=_keywords(row["keywords"]),
                why=row["why"],
                example=row["example"],
                pattern=row["pattern"],
                regex=_compile(where, row["pattern"]),
            )
        )
    return tuple(out)


# the vetoes the engine looks up by name (crawlers/classify.py)
VETO_NAMES = (
    "called_before",
    "text_to_911_psa",
    "crime_context",
    "works_prefix",
    "works_conditional",
    "restore_future",
    "restore_temporal",
    "restore_narrated",
    "test_text",
    "test_event",
)


@cache
def vetoes() -> dict[str, Veto]:
    out: dict[str, Veto] = {}
    cols = ("name", "applies_to", "why", "example_field", "example", "expect", "pattern")
    for where, row in _rows("not_outage_vetoes.csv", cols):
        name = row["name"]
        if name not in VETO_NAMES:
            raise TableError(
                f"{where}: {name!r} is not a veto the classifier applies ({', '.join(VETO_NAMES)})"
            )
        if name in out:
            raise TableError(f"{where}: {name} is defined twice")
        if row["example_field"] not in ("text", "event"):
            raise TableError(f"{where}: example_field must be text or event")
        out[name] = Veto(
            name=name,
            applies_to=row["applies_to"],
            why=row["why"],
            example_field=row["example_field"],
            example=row["example"],
            expect=row["expect"],
            regex=_compile(where, row["pattern"]),
        )
    missing = [n for n in VETO_NAMES if n not in out]
    if missing:
        raise TableError(f"crawlers/data/not_outage_vetoes.csv: missing {', '.join(missing)}")
    return out


@cache
def event_codes() -> tuple[EventCode, ...]:
    out = []
    for where, row in _rows("event_codes.csv", ("field", "code", "meaning", "why")):
        if row["field"] not in ("same_code", "cap_status"):
            raise TableError(f"{where}: field must be same_code or cap_status")
        if row["meaning"] not in ("test", "outage"):
            raise TableError(f"{where}: meaning must be test or outage")
        out.append(EventCode(row["field"], row["code"], row["meaning"], row["why"]))
    return tuple(out)


def codes(field: str, meaning: str) -> frozenset[str]:
    """The codes of event_codes.csv for one field and meaning."""
    return frozenset(c.code for c in event_codes() if c.field == field and c.meaning == meaning)


@cache
def backup_phone_cues() -> tuple[PhoneCue, ...]:
    """The cues of backup_phone_cues.csv, in file order (the engine joins the cues of one
    place and weight into one alternation, in this order)."""
    out: list[PhoneCue] = []
    seen: dict[tuple[str, str], str] = {}
    label_weights: set[int] = set()
    cols = ("cue", "where", "weight", "why", "example", "pattern")
    for where, row in _rows("backup_phone_cues.csv", cols):
        place = row["where"]
        if place not in PHONE_CUE_PLACES:
            raise TableError(f"{where}: where must be {', '.join(PHONE_CUE_PLACES)}, not {place!r}")
        try:
            weight = int(row["weight"])
        except ValueError:
            raise TableError(f"{where}: weight {row['weight']!r} is not a whole number") from None
        if weight == 0 or (place == "label" and weight < 0):
            raise TableError(f"{where}: weight {weight} does nothing (label cues need one > 0)")
        if place == "label":
            label_weights.add(weight)
            if len(label_weights) > 1:
                raise TableError(f"{where}: every label cue gives the same score")
        key = (place, row["cue"])
        if key in seen:
            raise TableError(f"{where}: cue {row['cue']!r} ({place}) repeats {seen[key]}")
        seen[key] = where
        out.append(
            PhoneCue(
                cue=row["cue"],
                where=place,
                weight=weight,
                why=row["why"],
                example=row["example"],
                pattern=expand(row["pattern"]),
                regex=_compile(where, row["pattern"]),
            )
        )
    return tuple(out)
