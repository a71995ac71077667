"""Is this alert (or press release, or news paragraph) about a 911 outage?

Rules, not a model: every decision points at the exact span of input text that made it
(``Classification.evidence`` is always a substring of one of the input fields, or None).

The phrase tables, the vetoes and the event codes are data: crawlers/data/outage_phrases.csv,
works_phrases.csv, restored_phrases.csv, not_outage_vetoes.csv, phrase_parts.csv and
event_codes.csv, read by crawlers/phrase_tables.py (docs/classification.md, "What counts as
an outage: the data files"). This module is the engine that applies them.

Order of decisions in :func:`classify_alert`
============================================
1. **Tests.** A SAME test code (``RMT``, ``RWT``, ``DMO``, ``NPT``, ``NAT``, ``NST``), a CAP
   status ``Test``/``Exercise``/``Draft``, or an event name such as "Required Monthly Test"
   -> ``status="test"``, ``is_outage=False``. This wins over ``<status>Actual</status>``:
   real monthly tests are sent as Actual. ``NMN`` (network notification) and ``ADR``
   (administrative) are *not* tests; they can carry real free text.
2. **Ack / Error** messages (CAP msgType) are about other messages -> ``not_outage``.
3. **Cheap screen.** Unless the event is a 911 Telephone Outage (SAME ``TOE``, or an event
   name "911 Telephone Outage ..."), the text fields (event, headline, description,
   instruction; never ``sender_name``, since "Rensselaer County 911" is an agency, not an
   outage) must contain "911", "9-1-1", "9 1 1", "9.1.1", "nine-one-one" or an "emergency
   phone/line/call" phrase; otherwise ``not_outage`` at once. This is plain substring
   search over the joined fields, and the result objects are shared constants, so nearly
   all alerts leave here in a few microseconds.
4. **Phrase analysis.** Only the clauses (sentences, or parts split at ";", " - ", "...")
   that mention 911 or an emergency phone/line/call phrase are analysed, and each compiled
   regex runs only when one of its keywords occurs in the clause, so a 911-mentioning alert
   costs tens to hundreds of microseconds (an outage also pays for phone-number parsing).
   Families:

   * *outage* phrases tie an outage predicate to a 911 subject: "911 service is currently
     down", "911 lines are down", "9-1-1 outage", "E911 service disruption", "not all 911
     calls are going through", "callers may be unable to reach 911", "landline customers
     cannot call 911", "text-to-911 is unavailable", "outage affecting 911", "loss of 911
     service", "no calls are reaching 911", "busy signal when calling 911", "phone service
     is out, including 911", "emergency phone lines are down", "if you cannot get through
     to 911", "911 centers cannot receive 911 voice calls", "Douglas County 911 still
     cannot receive all voice calls", and headline style without a verb, "911 VOICE
     CALLS NOT GOING THROUGH", "911 lines crash in Las Vegas", "911 service disrupted
     Sunday", "911 Services Across Massachusetts Down". News and FCC wording: a
     transitive verb with 911 service as its object ("Faulty firewall blocked 911 calls",
     "an outage has knocked out 911 voice calls", "Cut Fiber Line Downs 911 System",
     "outage that dropped 911 calls", "prevented more than 25,000 attempts to reach 911",
     "CenturyLink outage affects 9-1-1"), a lost ability ("lost the ability to take 911
     calls", "affected residents’ ability to call the 911 emergency number"), "left
     without an operating 911 emergency system", "No one has access to the 911 system",
     "disruptions to phone service, including 911 calling", "phone service across Cook
     County, including 911, is currently unavailable", "over 400 failed 911 calls", "911
     calls failing to reach emergency operators", "failed to deliver 911 calls", "PSAPs
     were unable to receive calls" (PSAP sentences are read in prose even without the
     number 911). One "911 call" is no service ("the dispatcher dropped the 911 call"),
     "911 calls down 10 percent" is no outage, and a person kept from calling 911 in a
     crime story ("took her phone to prevent her from calling 911") is not either;
   * *works* phrases say 911 works: "911 is working normally", "911 is not affected",
     "911 service is available", "does not affect 911", "no interruption to 911 service",
     "you can still call 911", "reports of a 911 outage are false", "911 call center not
     affected", "Connecticut is NOT experiencing a 911 outage". One that names a
     single channel ("Text to 911 is working", "texting 911 is available", "landline
     911 ...") affirms the alternative: it never vetoes or weakens an outage stated
     elsewhere, is never a TOE's all-clear, and "... working again" on it is no
     restoration when an outage is stated;
   * *restored* phrases: "911 service has been restored", "911 is back up", "911 is
     working again", "the 911 outage has been resolved", "Lumen has restored 911 service",
     "Lumen restored 911 service", headline "911 Outage Restored", "911 landlines appear
     to be functioning again", "Massachusetts can again make 911 phone calls", "911
     service outages, which affected ..., have been restored", "The 911 outage lasted
     about seven hours ... and was resolved", an "all clear" next to a works phrase or the
     outage. Restorations in a clause with if/will/expected/could are ignored (future or
     conditional); in one with when/once/until/before only when not narrated in the past
     ("until 911 is restored" is ignored, "before saying that services had been restored"
     is not). Generic ones ("service has been restored", "services restored", "systems
     have been restored", "the outage has ended") count only after an outage phrase of the
     same document;
   * *partial* restorations: "911 PARTLY RESTORED", "partially restored", "restored in
     most areas", "restored everywhere except Douglas County" (unless "fully restored"
     follows in the clause). The outage goes on somewhere;
   * *test* phrases: "this is a test", "test message", "exercise exercise".

   An outage phrase that overlaps a works or restored phrase is dropped (so "there is no
   911 outage" is not an outage). "Call 911" / "dial 911" are never outage phrases: the
   imperative is the common near miss, and its span ("DIAL 911") is the negative evidence.
   The words between a 911 subject and its predicate may not cross punctuation, nor be
   joiners, auxiliaries or agency nouns (and, but, if, to, call, is, dispatchers, fee,
   ...), so "911 is working; the non-emergency line is down" and "911 dispatchers are out
   in the field" stay negatives.
5. **Status.** test phrase -> ``test``. A restoration stands unless the outage goes on: an
   outage phrase after it with still/remains/continues/partial, an outage phrase anywhere
   that says so in the present tense ("911 remains down in Marshall County", but not "911
   was still down at noon"), or a partial restoration beside it when it does not say it
   is total (fully, all, statewide, ...). A standing restoration -> ``restored``, also on
   a Cancel (the all-clear sent as a Cancel: "restored" says more than "cancelled"); a
   TOE whose only phrase says 911 works is read as its all-clear. Otherwise msgType
   Cancel -> ``cancelled`` (``is_outage`` True when the text is about a 911 outage or the
   event is TOE, else ``not_outage``); msgType Update, a partial restoration or an
   overruled one -> ``update``; else ``outage``. CAP status ``System`` is treated like
   ``Actual``.

Confidence
==========
``confidence`` is the confidence in the returned ``is_outage`` value (so a clear negative
has a high confidence too):

==================================================================  ==========
situation                                                           confidence
==================================================================  ==========
test by SAME code, CAP status or test event name                    0.99
no 911 mention at all (the fast path)                               0.99
911 mentioned only as an instruction ("dial 911", "call 9-1-1")     0.97
explicit "911 works" phrase and no outage phrase                    0.95
911 mentioned in some other way (agency name, "911 center ...")     0.90
test phrase in the text ("this is a test")                          0.95
TOE with outage / restoration text                                  0.98
TOE without informative text                                        0.90
explicit outage phrase (down, outage, unable to reach 911, ...)     0.90
weaker phrase (issues/problems, affected/impacted, emergency lines) 0.65-0.80
conditional phrase ("if 911 is down, call ...")                     0.75
  ... + 0.05 when a backup number is given (up to 0.90)
  ... - 0.10 when a "911 works" phrase is also present (floor 0.50),
      except one about a single channel ("text to 911 is working")
explicit restoration ("911 service has been restored")              0.90
weak restoration ("service has been restored" after an outage)      0.75
partial restoration alone ("911 partly restored")                   0.85
Cancel carrying a restoration (status restored)                     0.90
Cancel of a 911 outage alert                                        0.90
Cancel of a non-911 alert with no text (cannot tell)                0.90
Ack / Error messages                                                0.90
==================================================================  ==========

Cause and provider are filled only when ``is_outage``; the backup phone only for status
``outage``/``update`` (an all-clear or a cancellation tells nobody to call elsewhere).
Cause comes from the
patterns in ``data/cause_phrases.csv`` (first rows win; a match right after "due to", "caused
by", ... wins over one after a weaker cue such as "after", "by" or "from", which wins over
one without; a cause the text denies or guards against, "not the result of a
cyberattack", "meant to prevent cyberattacks", is skipped); ``unknown`` when an outage
states none. Provider comes from the aliases in ``warehouse/taxonomies/providers.csv``
(whole-word matches; aliases that are ordinary words such as "Frontier", "Consolidated",
"Charter", "Level 3", ``match = cased``, match only as written or in capitals, and not in names
like "Consolidated Dispatch Center"). The backup phone is the
NANP number (via ``phonenumbers``) that the text tells people to call instead of 911:
numbers next to call/dial/contact and to emergency/instead/backup/if you cannot score
highest; when none is, the first number labelled with an agency name ("Massachusetts
State Police: 508-555-0119", "Sheriff's Office – 605-555-0100", "Douglas County
402-555-0110") is the fallback. Never an N11 code, never a number for media, press,
questions, updates, information or "for non-emergency matters" (but "call the
non-emergency line" during an outage is the backup). Description first, then
instruction, then headline; the first of equal scores wins.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

from crawlers import phrase_tables
from warehouse import taxonomy

__all__ = [
    "CAUSES",
    "STATUSES",
    "TEST_EVENT_CODES",
    "AlertText",
    "Classification",
    "classify_alert",
    "classify_text",
    "find_backup_phone",
    "find_cause",
    "find_provider",
    "mentions_911",
]

STATUSES: tuple[str, ...] = taxonomy.STATUSES
CAUSES: tuple[str, ...] = taxonomy.CAUSES
# SAME event codes that are tests only (they may still be sent with <status>Actual</status>):
# Required Weekly/Monthly Test, Practice/Demo Warning, National Periodic Test,
# National Audible Test, National Silent Test.
# (crawlers/data/event_codes.csv)
TEST_EVENT_CODES: frozenset[str] = phrase_tables.codes("same_code", "test")
TEST_CAP_STATUSES: frozenset[str] = phrase_tables.codes("cap_status", "test")
OUTAGE_EVENT_CODES: frozenset[str] = phrase_tables.codes("same_code", "outage")

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class AlertText:
    event_code: str | None = None  # SAME code, e.g. "CEM", "TOE", "LAE", "ADR", "RMT"
    event: str | None = None  # CAP <event>
    msg_type: str | None = None  # CAP msgType: Alert | Update | Cancel | Ack | Error
    cap_status: str | None = None  # CAP status: Actual | Exercise | System | Test | Draft
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None


@dataclass(frozen=True)
class Classification:
    is_outage: bool
    confidence: float
    evidence: str | None
    status: str
    cause: str | None
    provider: str | None
    backup_phone: str | None


# --------------------------------------------------------------------------------------
# Regex building blocks. Templates use <NAME> placeholders so regex braces stay readable.
# --------------------------------------------------------------------------------------

_I = re.IGNORECASE

# Patterns whose every match starts at a 911 term or at "calls to 911": these are tried
# only at those positions (``match``) instead of being scanned over the clause.
_ANCHORED: set[re.Pattern[str]] = set()
_ANCHOR_TOKENS = ("<SUBJ_ANY>", "<SUBJ_SVC>", "<SUBJ>", "<TERM>", "<CALLS>")
_expand = phrase_tables.expand  # <NAME> building blocks: crawlers/data/phrase_parts.csv


def _rx(
    phrase: phrase_tables.OutagePhrase | phrase_tables.WorksPhrase | phrase_tables.RestoredPhrase,
) -> re.Pattern[str]:
    if phrase.pattern.startswith(_ANCHOR_TOKENS):
        _ANCHORED.add(phrase.regex)
    return phrase.regex


_TERM_RE = re.compile(_expand(r"<TERM>"), _I)
# where a subject that ends in a 911 term starts: "calls to 911", "service for 911 calls",
# "phone service across Cook County, including 911"
_CALLS_TO_RE = re.compile(
    r"\b(?:(?:calls?|calling|access|connections?|services?)\s+(?:to|for)\s+(?:the\s+)?|"
    r"(?:phone|telephone|landline|voice|cell(?:ular)?|wireless|communications?)\s+"
    r"(?:services?|lines?|systems?|calls?)(?:\s+[\w'’&/-]+){0,4}?,\s+including\s+)$",
    _I,
)

# ---- the phrase tables (crawlers/data/*_phrases.csv) ---------------------------------
# outage: (family, regex, weight, subject first, keywords); the regex runs only when one of
# its keywords occurs in the clause
_OUTAGE_PATTERNS: list[tuple[str, re.Pattern[str], float, bool, tuple[str, ...]]] = [
    (p.family, _rx(p), p.weight, p.subject_first, p.keywords)
    for p in phrase_tables.outage_phrases()
]
_WORKS_PATTERNS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (_rx(p), p.keywords) for p in phrase_tables.works_phrases()
]
# restored: (regex, strong, keywords)
_RESTORED_PATTERNS: list[tuple[re.Pattern[str], bool, tuple[str, ...]]] = [
    (_rx(p), p.strong, p.keywords) for p in phrase_tables.restored_phrases()
]
# The vetoes (crawlers/data/not_outage_vetoes.csv), looked up by name where they apply.
_VETOES: dict[str, re.Pattern[str]] = {name: v.regex for name, v in phrase_tables.vetoes().items()}
_ALL_KEYWORDS: tuple[str, ...] = tuple(
    sorted(
        {k for *_, keys in _OUTAGE_PATTERNS for k in keys}
        | {k for _, keys in _WORKS_PATTERNS for k in keys}
        | {k for _, _, keys in _RESTORED_PATTERNS for k in keys}
    )
)

_ALL_CLEAR = re.compile(r"\ball[\s-]+clear\b", _I)
_STILL = re.compile(
    r"\b(?:still|remains?|remained|continues?|continuing|partial\w*|some\s+areas)\b", _I
)
_CONDITIONAL = re.compile(r"\b(?:if|in\s+the\s+event|in\s+case|should|whenever|unless|when)\b", _I)
# a person kept from calling 911 (a crime story), not a network that fails
_PERSON_BLOCKED_FAMILIES = frozenset(
    p.family for p in phrase_tables.outage_phrases() if p.crime_veto
)

# ---- tests, imperatives, TOE ---------------------------------------------------------

_TOE_EVENT_RE = re.compile(
    r"\b(?:911|9-1-1)\s+telephone\s+outage\b|\btelephone\s+outage\s+emergency\b", _I
)
_IMPERATIVE_RE = re.compile(
    _expand(
        r"\b(?:call|dial|text|contact|phone|notify|reach)(?:\s+(?:the\s+)?(?:local\s+)?)?\s+<TERM>"
    ),
    _I,
)

_PREFILTER_LITERALS = ("911", "9-1-1", "9 1 1", "9.1.1")
_PREFILTER_LOWER = (
    "nine-one-one",
    "nine one one",
    "emergency phone",
    "emergency telephone",
    "emergency line",
    "emergency services phone",
    "emergency services line",
    "emergency communications line",
    "emergency call",
    "emergency dispatch line",
)

# sentence / clause boundaries for evidence spans
_BOUNDARY = re.compile(r"\.\.\.|[.!?](?=\s|$|[\"'”’)])|\n[ \t]*\n|[;•*|]|\s-\s|\s--\s")
_MAX_EVIDENCE = 280


# --------------------------------------------------------------------------------------
# Data files: providers and causes
# --------------------------------------------------------------------------------------

# Aliases matched as written or in capitals (match = cased in providers.csv), or in any
# case, get name guards: not when they begin the name of a place, agency or thing.
_ALIAS_NAME_GUARD = (
    r"(?!\s+(?:Communications?\s+(?:Center|Centre|District|Authority|Agency|Board|Division|"
    r"Department|Unit|Office)|Dispatch|Emergency|911|9-1-1|E-?911|PSAP|Public|Regional|County|"
    r"City|Center|Centre|Law|Fire|Police|School|Schools|Township|Academy|Health|Lake|Airlines?|"
    r"Days|Park|Drive|Road|Street|Avenue|Lane|Rd|St|Ave|Dr|Blvd|Way|Trail|Bank|Credit|"
    r"Hospital|Mall|Middle|High|Elementary|Water|Sewer|Bus|Evacuation|GO|Go|Alert|"
    r"Emergency|Trauma|Status|Fire)\b)"
    r"(?!\s*[-:]\s*(?:GO|Go|go|SET|Set|READY|Ready|LEAVE|Leave|Evacuat\w*|EVACUAT\w*)\b)"
)
_ALIAS_PREFIX_GUARD = r"(?<!Nissan\s)(?<!NISSAN\s)(?<!Evacuation\s)(?<!EVACUATION\s)"


@dataclass(frozen=True)
class _Alias:
    provider: str
    alias: str
    key: str  # a lowercase word that must occur in the text for the alias to match
    regex: re.Pattern[str]


def _alias_regex(alias: str, match: str) -> str:
    body = re.escape(alias).replace(r"\ ", r"\s+")
    if match == "cased":
        upper = re.escape(alias.upper()).replace(r"\ ", r"\s+")
        alt = body if upper == body else f"{body}|{upper}"
        core = f"(?-i:{alt})"
    else:
        core = body
    ambiguous = match in ("cased", "guarded")
    prefix = _ALIAS_PREFIX_GUARD if ambiguous else ""
    suffix = _ALIAS_NAME_GUARD if ambiguous else ""
    return rf"(?<![\w&-]){prefix}(?:{core})(?![\w&]|-\w){suffix}"


@lru_cache(maxsize=1)
def _providers() -> tuple[_Alias, ...]:
    out = []
    for row in taxonomy.providers():  # warehouse/taxonomies/providers.csv
        provider = (row.get("provider") or "").strip()
        alias = (row.get("alias") or "").strip()
        kind = (row.get("kind") or "").strip()
        if not provider or not alias:
            continue
        if kind not in ("carrier", "vendor"):
            raise ValueError(f"taxonomies/providers.csv: unknown kind {kind!r} for {alias!r}")
        # any: any case; cased: as written or in capitals ("Frontier", not "frontier"), with
        # the name guards; guarded: any case, with the name guards
        match = (row.get("match") or "").strip()
        if match not in ("any", "cased", "guarded"):
            raise ValueError(
                f"taxonomies/providers.csv: match must be any, cased or guarded, not {match!r}"
                f" for {alias!r}"
            )
        words = re.findall(r"[A-Za-z0-9]+", alias)
        key = max(words, key=len).lower() if words else alias.lower()
        out.append(_Alias(provider, alias, key, re.compile(_alias_regex(alias, match), _I)))
    return tuple(out)


@lru_cache(maxsize=1)
def _cause_templates() -> tuple[tuple[str, str], ...]:
    """(cause, pattern template) in priority order; one combined template per cause."""
    by_cause: dict[str, list[str]] = {}
    with open(DATA_DIR / "cause_phrases.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cause = (row.get("cause") or "").strip()
            pattern = (row.get("pattern") or "").strip()
            if not cause or not pattern:
                continue
            if cause not in CAUSES:
                raise ValueError(
                    f"cause_phrases.csv: {cause!r} is not in warehouse/taxonomies/causes.csv"
                )
            by_cause.setdefault(cause, []).append(f"(?:{pattern})")
    return tuple((cause, "|".join(pats)) for cause, pats in by_cause.items())


@lru_cache(maxsize=512)
def _cause_regexes(provider_names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Cause regexes with {PROVIDER} bound to the provider names found in the text."""
    if provider_names:
        alt = "|".join(
            rf"(?<![\w&-]){re.escape(n).replace(chr(92) + ' ', chr(92) + 's+')}(?![\w&])"
            for n in sorted(set(provider_names), key=len, reverse=True)
        )
    else:
        alt = "(?!)"
    return tuple(
        (cause, re.compile(template.replace("{PROVIDER}", alt), _I))
        for cause, template in _cause_templates()
    )


_CAUSAL_CUE = re.compile(
    r"\b(?:due\s+to|caused\s+by|because\s+of|result(?:ed)?\s+(?:of|from)|as\s+a\s+result\s+of|"
    r"resulting\s+from|stemm\w*\s+from|blamed\s+on|attributed\s+to|traced\s+to|related\s+to|"
    r"after|following|from|by|cause\s+(?:was|is|of)|root\s+cause|when)\b[^.;!?]{0,40}$",
    _I,
)
# the cues that name *the* cause; "after", "by", "from" also introduce what made it worse
# ("caused by an equipment failure catastrophically exacerbated by a configuration error")
_STRONG_CAUSAL_CUE = re.compile(
    r"\b(?:due\s+to|caused\s+by|because\s+of|result(?:ed)?\s+(?:of|from)|as\s+a\s+result\s+of|"
    r"resulting\s+from|stemm\w*\s+from|blamed\s+on|attributed\s+to|traced\s+to|"
    r"cause\s+(?:was|is|of)|root\s+cause)\b(?:\s+(?:an?|the|this|that|its|their))?"
    r"(?:\s+[\w-]+){0,3}?\s*$",
    _I,
)


# --------------------------------------------------------------------------------------
# Helpers (public ones return the evidence span)
# --------------------------------------------------------------------------------------


def mentions_911(text: str | None) -> bool:
    """Does the text mention 911 (9-1-1, E911, nine-one-one) at all? Cheap."""
    if not text:
        return False
    if any(lit in text for lit in _PREFILTER_LITERALS) or "nine" in text.lower():
        return _TERM_RE.search(text) is not None
    return False


def _prefilter(texts: list[str]) -> bool:
    blob = "\n".join(texts)  # no literal spans a newline
    for lit in _PREFILTER_LITERALS:
        if lit in blob:
            return True
    low = blob.lower()
    if "nine" in low or "emergency" in low:  # every lowercase literal has one of these
        for lit in _PREFILTER_LOWER:
            if lit in low:
                return True
    return False


def _mentions_psap(texts: list[str]) -> bool:
    low = "\n".join(texts).lower()
    return "psap" in low or "answering point" in low


def _evidence(field: _Field, start: int, end: int) -> str:
    text = field.text
    lo, hi = field.clause(start, end)
    if hi - lo > _MAX_EVIDENCE:
        room = max(0, _MAX_EVIDENCE - (end - start))
        lo2 = max(lo, start - room // 2)
        hi2 = min(hi, end + (room - (start - lo2)))
        # snap to word boundaries
        while lo2 > lo and not text[lo2 - 1].isspace() and lo2 < start:
            lo2 += 1
        while hi2 < hi and hi2 > end and not text[hi2].isspace():
            hi2 -= 1
        lo, hi = lo2, hi2
    return text[lo:hi]


# What makes a number the backup number is data: crawlers/data/backup_phone_cues.csv (cue,
# where, weight, why, example), read by crawlers/phrase_tables.py and described in
# docs/classification.md, "Backup phone". The engine here scores each number from it.
_PHONE_THRESHOLD = 2  # a number scoring less is no backup number
_PHONE_BEFORE_CHARS = 120  # how far back (within the clause) the "before" cues are looked for
_PHONE_LABEL_CHARS = 60  # how far back the agency label of a number may start
# What may stand between a number and an "after" cue: "605-555-0100 (non-emergency)",
# "... is for information only", "... line for media questions".
_PHONE_AFTER_GLUE = r"\W{0,3}(?:is\s+|line\s+|number\s+)?(?:only\s+)?(?:for\s+)?"
# A labelled number, "Massachusetts State Police: 508-555-0119", "Sheriff's Office –
# 605-555-0100", "Douglas County 402-555-0110": a capitalised name right before the number,
# which counts when it holds an agency word (the table's "label" cues).
_PHONE_LABEL = re.compile(
    r"(?:^|[\s(])(?P<label>(?:[A-Z][\w.'’&]*|of|the|and|&)(?:\s+(?:[A-Z][\w.'’&-]*|of|the|"
    r"and|&)){0,6})\s*(?:[:–—-]|\s)\s*\(?$"
)
_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True)
class PhoneCueGroups:
    """The cue table compiled for the engine. The cues of one place and one weight form a
    group that counts once, however many of its words a text has: "if you cannot get
    through, call ..." scores 3 for saying it is the number to use and 2 for "call"."""

    before: tuple[tuple[int, re.Pattern[str]], ...]  # (weight, any of the group's cues)
    after: tuple[tuple[int, re.Pattern[str]], ...]
    label: re.Pattern[str]  # any agency word
    label_score: int  # the score a labelled number gets


def phone_cue_groups(cues: Iterable[phrase_tables.PhoneCue]) -> PhoneCueGroups:
    """Compile the cue rows (all of backup_phone_cues.csv, or a test's selection)."""
    groups: dict[tuple[str, int], list[str]] = {}
    for cue in cues:
        groups.setdefault((cue.where, cue.weight), []).append(cue.pattern)

    def alternation(patterns: list[str]) -> str:
        return "(?:" + "|".join(patterns) + ")"

    before = tuple(
        (weight, re.compile(rf"\b{alternation(patterns)}\b", _I))
        for (where, weight), patterns in groups.items()
        if where == "before"
    )
    after = tuple(
        (weight, re.compile(_PHONE_AFTER_GLUE + alternation(patterns), _I))
        for (where, weight), patterns in groups.items()
        if where == "after"
    )
    labels = [
        (weight, patterns) for (where, weight), patterns in groups.items() if where == "label"
    ]
    label_score, label_words = labels[0] if labels else (_PHONE_THRESHOLD, [])
    label = re.compile(rf"\b{alternation(label_words)}\b", _I) if label_words else _NEVER
    return PhoneCueGroups(before, after, label, label_score)


_PHONE_CUES = phone_cue_groups(phrase_tables.backup_phone_cues())


def phone_scores(text: str, cues: PhoneCueGroups | None = None) -> list[tuple[int, str, str]]:
    """(score, "605-555-0100", span) for each US number in the text, however low it scores:
    the before and after cue groups add their weights; a number that scores from 0 to below
    the threshold and carries an agency label gets the label score."""
    cues = cues or _PHONE_CUES
    out = []
    field = _Field(text)
    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    for m in matcher:
        if m.number.country_code != 1:
            continue
        digits = str(m.number.national_number)
        if len(digits) != 10 or digits[1:3] == "11":  # N11 codes (911, 411, ...) are not numbers
            continue
        lo, hi = field.clause(m.start, m.end)
        before = text[max(lo, m.start - _PHONE_BEFORE_CHARS) : m.start]
        score = sum(weight for weight, rx in cues.before if rx.search(before))
        score += sum(weight for weight, rx in cues.after if rx.match(text, m.end, hi))
        if 0 <= score < _PHONE_THRESHOLD:
            # no call/dial next to it: a number labelled with an agency name still is the
            # one to call ("Massachusetts State Police: 508-555-0119"). The label may sit
            # across a " - " clause break, never across a sentence.
            near = text[max(0, m.start - _PHONE_LABEL_CHARS) : m.start]
            near = re.split(r"[.!?;\n]\s", near)[-1]
            label = _PHONE_LABEL.search(near)
            if label and cues.label.search(label.group("label")):
                score = cues.label_score
        span_lo = max(lo, m.start - 80)
        if span_lo > lo:  # start the span on a word
            space = text.find(" ", span_lo, m.start)
            span_lo = space + 1 if space >= 0 else span_lo
        out.append((score, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", text[span_lo : m.end]))
    return out


def _phone_candidates(text: str, cues: PhoneCueGroups | None = None) -> list[tuple[int, str, str]]:
    """(score, "605-555-0100", span) for each US number in the text that reads as a backup."""
    return [c for c in phone_scores(text, cues) if c[0] >= _PHONE_THRESHOLD]


def find_backup_phone(
    text: str | None, cues: PhoneCueGroups | None = None
) -> tuple[str, str] | None:
    """The number the text tells people to call instead of 911: ("605-555-0100", span).

    NANP numbers only, formatted NPA-NXX-XXXX; never 911 (or any N11 code); a number next to
    "media", "questions", "fax" or "updates" is not a backup number.
    """
    if not text:
        return None
    candidates = _phone_candidates(text, cues)
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c[0])  # first of the best
    return best[1], best[2]


def find_provider(text: str | None) -> tuple[str, str] | None:
    """First carrier or 911 vendor named in the text: (canonical name, matched span)."""
    found = _provider_matches([text] if text else [])
    if not found:
        return None
    _, _, _, provider, span = found[0]
    return provider, span


def _provider_matches(texts: list[str]) -> list[tuple[int, int, int, str, str]]:
    """(field, start, end, provider, span) for every alias named, longest match wins."""
    out = []
    aliases = _providers()
    for fi, t in enumerate(texts):
        if not t:
            continue
        low = t.lower()
        found = []
        for a in aliases:
            if a.key in low:
                for m in a.regex.finditer(t):
                    found.append((m.start(), m.end(), a.provider, m.group(0)))
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        last_end = -1
        for start, end, provider, span in found:
            if start >= last_end:
                out.append((fi, start, end, provider, span))
                last_end = end
    return out


# a cause that the text denies or names as something guarded against
_CAUSE_DENIED = re.compile(
    r"(?:\b(?:not|no|never|n['’]t)\s+(?:(?:the\s+)?(?:result|work)\s+of|caused\s+by|due\s+to|"
    r"related\s+to|linked\s+to|from|by|an?|any)|\bprevent\w*|\bprotect\w*(?:\s+\w+)?\s+against|"
    r"\bagainst|\bruled?\s+out|\brather\s+than|\binstead\s+of|\bno\s+(?:sign|indication|"
    r"evidence)s?\s+(?:of|that)|\bnot\s+believed\s+to\s+(?:be|have\s+been))\s+(?:an?\s+|the\s+|"
    r"any\s+)?(?:[\w-]+\s+){0,2}$",
    _I,
)


def find_cause(text: str | None) -> tuple[str, str] | None:
    """Cause taxonomy value named in the text: (cause, matched span); None if none."""
    return _find_cause([text] if text else [])


def _find_cause(
    texts: list[str], providers: list[tuple[int, int, int, str, str]] | None = None
) -> tuple[str, str] | None:
    if providers is None:
        providers = _provider_matches(texts)
    names = tuple(sorted({p[4] for p in providers}))
    best = None
    for rank, (cause, regex) in enumerate(_cause_regexes(names)):
        for fi, t in enumerate(texts):
            if not t:
                continue
            for m in regex.finditer(t):
                if _CAUSE_DENIED.search(t, max(0, m.start() - 60), m.start()):
                    continue  # "not the result of a cyberattack", "meant to prevent cyberattacks"
                lo = max(0, m.start() - 60)
                cue = (
                    2
                    if _STRONG_CAUSAL_CUE.search(t, lo, m.start())
                    else 1
                    if _CAUSAL_CUE.search(t, lo, m.start())
                    else 0
                )
                key = (cue, -rank, -fi, -m.start())
                if best is None or key > best[0]:
                    best = (key, cause, m.group(0))
                break  # first match per field is enough for this cause
    if best is None:
        return None
    return best[1], best[2]


# --------------------------------------------------------------------------------------
# Phrase analysis
# --------------------------------------------------------------------------------------


@dataclass
class _Hit:
    kind: str  # outage | works | restored | test | imperative | mention
    field: int  # index into the field list (document order)
    start: int
    end: int
    weight: float = 0.0
    strong: bool = True
    conditional: bool = False
    alt: bool = False  # a "works" phrase about one channel only ("text to 911 is working")


def _overlaps(a: _Hit, b: _Hit) -> bool:
    return a.field == b.field and a.start < b.end and b.start < a.end


class _Field:
    """One text field with its clause boundaries, computed once."""

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        for m in _BOUNDARY.finditer(text):
            self.starts.append(m.start())
            self.ends.append(m.end())

    def clause(self, start: int, end: int) -> tuple[int, int]:
        text = self.text
        i = bisect_right(self.ends, start) - 1
        lo = self.ends[i] if i >= 0 else 0
        j = bisect_left(self.starts, end)
        hi = self.starts[j] if j < len(self.starts) else len(text)
        while lo < start and text[lo].isspace():
            lo += 1
        while hi > end and text[hi - 1].isspace():
            hi -= 1
        return lo, hi


_EMERGENCY_PHRASE_RE = re.compile(
    r"emergency\s+(?:services?\s+|communications?\s+|dispatch\s+)?(?:tele)?(?:phone|line|call)",
    _I,
)


_PSAP_RE = re.compile(r"\bPSAPs?\b|\b(?:public\s+safety\s+)?answering\s+points?\b", _I)


def _windows(field: _Field) -> list[tuple[int, int]]:
    """The clauses that mention 911 (or an emergency phone/line/call phrase), merged."""
    text = field.text
    spans = [(m.start(), m.end()) for m in _TERM_RE.finditer(text)]
    low = text.lower()
    if "emergency" in low:
        spans += [(m.start(), m.end()) for m in _EMERGENCY_PHRASE_RE.finditer(text)]
    if "psap" in low or "answering point" in low:
        spans += [(m.start(), m.end()) for m in _PSAP_RE.finditer(text)]
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(field.clause(a, b) for a, b in spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _anchors(text: str, lo: int, hi: int) -> list[int]:
    """Start positions of 911 terms and of "calls to 911" in text[lo:hi]."""
    out = []
    for m in _TERM_RE.finditer(text, lo, hi):
        start = m.start()
        pre = _CALLS_TO_RE.search(text, max(lo, start - 90), start)
        if pre:
            out.append(pre.start())
        out.append(start)
    return out


def _matches(
    rx: re.Pattern[str], text: str, lo: int, hi: int, anchors: list[int] | None
) -> list[re.Match[str]] | Iterator[re.Match[str]]:
    if anchors is not None and rx in _ANCHORED:
        return [m for p in anchors if (m := rx.match(text, p, hi))]
    return rx.finditer(text, lo, hi)


def _analyse(fields_: list[_Field]) -> dict[str, list[_Hit]]:
    hits: dict[str, list[_Hit]] = {
        k: [] for k in ("outage", "works", "restored", "partial", "test", "imperative", "mention")
    }
    for fi, f in enumerate(fields_):
        t = f.text
        if not t:
            continue
        low_all = t.lower()
        if any(k in low_all for k in ("test", "drill", "exercise", "broadcast")):
            for m in _VETOES["test_text"].finditer(t):
                hits["test"].append(_Hit("test", fi, m.start(), m.end()))
        for m in _TERM_RE.finditer(t):
            hits["mention"].append(_Hit("mention", fi, m.start(), m.end()))
        for lo_w, hi_w in _windows(f):
            low = t[lo_w:hi_w].lower()
            present = {k for k in _ALL_KEYWORDS if k in low}
            anchors = _anchors(t, lo_w, hi_w)
            for m in _IMPERATIVE_RE.finditer(t, lo_w, hi_w):
                hits["imperative"].append(_Hit("imperative", fi, m.start(), m.end()))
            for rx, keys in _WORKS_PATTERNS:
                if present.isdisjoint(keys):
                    continue
                for m in _matches(rx, t, lo_w, hi_w, anchors):
                    lo, _ = f.clause(m.start(), m.end())
                    prefix = t[lo : m.start()]
                    if _VETOES["works_prefix"].search(prefix) or _VETOES[
                        "works_conditional"
                    ].search(prefix):
                        continue
                    alt = _is_alt_channel(t, m.start(), m.end(), lo)
                    hits["works"].append(_Hit("works", fi, m.start(), m.end(), alt=alt))
            for rx, strong, keys in _RESTORED_PATTERNS:
                if not strong or present.isdisjoint(keys):
                    continue
                _restore_hits(
                    f, fi, rx, strong, lo_w, hi_w, hits["restored"], hits["partial"], anchors
                )
            for _name, rx, weight, subject_first, keys in _OUTAGE_PATTERNS:
                if present.isdisjoint(keys):
                    continue
                for m in _matches(rx, t, lo_w, hi_w, anchors):
                    lo, hi = f.clause(m.start(), m.end())
                    prefix = t[lo : m.start()]
                    if subject_first and _VETOES["called_before"].search(
                        t, max(0, m.start() - 12), m.start()
                    ):
                        continue
                    if not subject_first and _VETOES["text_to_911_psa"].search(t, lo, hi):
                        continue  # "if you are deaf ... and cannot call 911, text 911"
                    if _name in _PERSON_BLOCKED_FAMILIES and _VETOES["crime_context"].search(
                        t, lo, hi
                    ):
                        continue  # "he took her phone to prevent her from calling 911"
                    conditional = bool(_CONDITIONAL.search(prefix)) or bool(
                        re.match(r"if\b", m.group(0), _I)
                    )
                    hits["outage"].append(
                        _Hit("outage", fi, m.start(), m.end(), weight, conditional=conditional)
                    )
    # "all clear" next to a works phrase (or "... again") is a restoration
    for w in hits["works"]:
        f = fields_[w.field]
        lo, hi = f.clause(w.start, w.end)
        if _ALL_CLEAR.search(f.text, max(0, lo - 40), hi) or _AFTER_WORKS_RESTORED.search(
            f.text, w.end, hi
        ):
            hits["restored"].append(
                _Hit("restored", w.field, w.start, w.end, strong=True, alt=w.alt)
            )
    # outage phrases inside works/restored phrases are not outage phrases
    blockers = hits["works"] + hits["restored"] + hits["partial"]
    hits["outage"] = [o for o in hits["outage"] if not any(_overlaps(o, b) for b in blockers)]
    hits["works"] = [w for w in hits["works"] if not any(_overlaps(w, r) for r in hits["restored"])]
    for kind in hits:
        hits[kind].sort(key=lambda h: (h.field, h.start))
    return hits


_EXPLICIT_RESTORE = re.compile(r"restor|resolv|repair|fixed|back\b", _I)
_AFTER_WORKS_RESTORED = re.compile(
    r"\b(?:again|restored|resolved|back\s+to\s+normal|back\s+up)\b", _I
)
# a partial restoration: the outage goes on somewhere ("911 partly restored", "restored
# in most areas", "restored except Douglas County")
_PARTIAL = re.compile(
    r"\bpartial\w*|\bpartly\b|\bsome\s+areas\b|\bexcept\b|\bparts\s+of\b|"
    r"\bmost\s+(?:areas|counties|places|of\s+the)\b",
    _I,
)
# the words of a restoration that cover everything ("fully restored", "in all counties")
_TOTAL = re.compile(
    r"\b(?:fully|completely|all|every\w*|entire\w*|statewide|countywide|county-wide|full)\b",
    _I,
)
# the outage goes on now (present tense); "was still down" is narrative, not ongoing
_ONGOING_NOW = re.compile(r"\b(?:still|remains?|continues?|continuing|ongoing|persists?)\b", _I)
_PAST = re.compile(r"\b(?:was|were|had)\b", _I)
# a "911 works" phrase about one channel only: text-to-911, landlines, wireless, ...
_ALT_CHANNEL = re.compile(
    r"\b(?:text\w*|sms|landlines?|land\s+lines?|wireless|cell(?:ular)?|mobile|voip)\b", _I
)


_ALT_CHANNEL_BEFORE = re.compile(
    r"\b(?:text(?:ing)?(?:\s+to|-to)?|sms(?:\s+to)?|landline|wireless|cell(?:ular)?|mobile)"
    r"[\s-]*$",
    _I,
)


def _is_alt_channel(text: str, start: int, end: int, lo: int) -> bool:
    """Does the works phrase text[start:end] (clause from lo) name one channel of 911
    ("Text to 911 is working", "911 texting is available", "landline 911 calls ...")?"""
    if _ALT_CHANNEL_BEFORE.search(text, max(lo, start - 12), start):
        return True
    m = _TERM_RE.search(text, start, end)
    head_end = m.end() if m else end
    # the 911 term and the two words after it ("911 texting service")
    tail = re.match(r"(?:\s+[\w-]+){0,2}", text[head_end:end])
    head = text[start : head_end + (tail.end() if tail else 0)]
    return _ALT_CHANNEL.search(head) is not None


def _restore_hits(
    f: _Field,
    fi: int,
    rx: re.Pattern[str],
    strong: bool,
    lo_w: int,
    hi_w: int,
    out: list[_Hit],
    partial_out: list[_Hit],
    anchors: list[int] | None = None,
) -> None:
    t = f.text
    for m in _matches(rx, t, lo_w, hi_w, anchors):
        lo, hi = f.clause(m.start(), m.end())
        prefix = t[lo : m.start()]
        if (
            _VETOES["restore_future"].search(prefix)
            or _VETOES["works_prefix"].search(prefix)
            or (
                _VETOES["restore_temporal"].search(prefix)
                and not _VETOES["restore_narrated"].search(m.group(0))
            )
        ):
            continue  # future, conditional or hoped-for restoration
        pm = _PARTIAL.search(t, lo, hi)
        # "partly restored at noon and fully restored at 3 p.m." is a full restoration
        if pm and not _TOTAL.search(t, pm.end(), hi):
            partial_out.append(_Hit("partial", fi, m.start(), m.end(), strong=strong))
            continue
        out.append(_Hit("restored", fi, m.start(), m.end(), strong=strong))


def _weak_restores(fields_: list[_Field]) -> tuple[list[_Hit], list[_Hit]]:
    """Generic restorations ("service has been restored"), anywhere in the text:
    (full ones, partial ones)."""
    out: list[_Hit] = []
    partial: list[_Hit] = []
    for fi, f in enumerate(fields_):
        if not f.text:
            continue
        low = f.text.lower()
        for rx, strong, keys in _RESTORED_PATTERNS:
            if strong or not any(k in low for k in keys):
                continue
            _restore_hits(f, fi, rx, strong, 0, len(f.text), out, partial)
    return out, partial


def _pick(hits: list[_Hit], prefer: tuple[int, ...]) -> _Hit:
    order = {f: i for i, f in enumerate(prefer)}
    return max(hits, key=lambda h: (h.weight, -order.get(h.field, 99), -h.start))


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------

# field order (document order) used throughout the analysis
_FIELDS = ("event", "headline", "description", "instruction")
_EVIDENCE_PREFERENCE = (2, 1, 3, 0)  # description, headline, instruction, event


def _result(
    is_outage: bool,
    confidence: float,
    evidence: str | None,
    status: str,
    cause: str | None = None,
    provider: str | None = None,
    backup_phone: str | None = None,
) -> Classification:
    return Classification(
        is_outage=is_outage,
        confidence=round(min(0.99, max(0.5, confidence)), 2),
        evidence=evidence or None,
        status=status,
        cause=cause,
        provider=provider,
        backup_phone=backup_phone,
    )


_NO_911 = _result(False, 0.99, None, "not_outage")
_CANCEL_WITH_TEXT = _result(False, 0.97, None, "not_outage")
_CANCEL_WITHOUT_TEXT = _result(False, 0.9, None, "not_outage")


def classify_alert(alert: AlertText) -> Classification:
    """Classify one CAP / NWS alert. See the module docstring for the rules."""
    return _classify(alert, prose=False)


def _classify(alert: AlertText, prose: bool) -> Classification:
    code = (alert.event_code or "").strip().upper()
    cap_status = (alert.cap_status or "").strip().lower()
    msg = (alert.msg_type or "").strip().lower()
    event = alert.event or ""

    # 1. tests, by code, status or event name
    if code in TEST_EVENT_CODES or cap_status in TEST_CAP_STATUSES:
        m = _VETOES["test_event"].search(event) if event else None
        if m:
            evidence = event[m.start() : m.end()]
        elif code in TEST_EVENT_CODES:
            evidence = (alert.event_code or "").strip()
        else:
            evidence = (alert.cap_status or "").strip()
        return _result(False, 0.99, evidence, "test")
    low_event = event.lower()
    if "test" in low_event or "demo" in low_event:  # every test event name has one
        m = _VETOES["test_event"].search(event)
        if m:
            return _result(False, 0.99, event[m.start() : m.end()], "test")

    # 2. acknowledgements and error notices are about other messages
    if msg in ("ack", "error"):
        return _result(False, 0.9, (alert.msg_type or "").strip(), "not_outage")

    is_toe = code in OUTAGE_EVENT_CODES or (
        "outage" in low_event and _TOE_EVENT_RE.search(event) is not None
    )
    texts = [event, alert.headline or "", alert.description or "", alert.instruction or ""]
    cancelled = msg == "cancel"

    # 3. the cheap screen (results are immutable, so the fast path returns shared ones)
    # prose (FCC reports) may speak of PSAPs without the number in that sentence
    if not is_toe and not _prefilter(texts) and not (prose and _mentions_psap(texts)):
        if cancelled:
            has_text = any(t.strip() for t in texts[1:])
            return _CANCEL_WITH_TEXT if has_text else _CANCEL_WITHOUT_TEXT
        return _NO_911

    # 4. phrase analysis
    fields_ = [_Field(t) for t in texts]
    hits = _analyse(fields_)

    if hits["test"]:
        h = hits["test"][0]
        return _result(False, 0.95, texts[h.field][h.start : h.end], "test")

    outages = hits["outage"]
    works = hits["works"]
    # "text to 911 is working again" restores one channel, not 911, when an outage is stated
    strong_restores = [r for r in hits["restored"] if not (r.alt and outages)]
    partials = hits["partial"]
    # weak restorations ("service has been restored") count only in a document that is
    # otherwise about a 911 outage, and only after its last outage phrase
    weak_restores: list[_Hit] = []
    if outages or is_toe or strong_restores or partials:
        last_outage = max(((o.field, o.start) for o in outages), default=(-1, -1))
        weak_full, weak_partial = _weak_restores(fields_)
        known = outages + strong_restores + partials
        weak_restores = [
            r
            for r in weak_full
            if (r.field, r.start) > last_outage and not any(_overlaps(r, o) for o in known)
        ]
        partials = partials + [r for r in weak_partial if not any(_overlaps(r, o) for o in known)]
    # A restoration stands unless the outage goes on: an ongoing outage phrase follows it
    # ("... restored in Sarpy County. Douglas County 911 still cannot receive calls"), one
    # anywhere says so in the present tense, or a partial restoration ("911 PARTLY
    # RESTORED") stands beside a restoration that does not say it is total.
    ongoing_now = [
        o
        for o in outages
        if _ONGOING_NOW.search(texts[o.field], *fields_[o.field].clause(o.start, o.end))
        and not _PAST.search(texts[o.field], *fields_[o.field].clause(o.start, o.end))
    ]
    valid_restores = []
    overruled = False  # a restoration that the outage going on overrules: an update
    for r in strong_restores + weak_restores:
        later_ongoing = any(
            (o.field, o.start) > (r.field, r.start)
            and _STILL.search(texts[o.field], *fields_[o.field].clause(o.start, o.end))
            for o in outages
        )
        if (
            later_ongoing
            or ongoing_now
            or (
                partials
                and not _TOTAL.search(texts[r.field], *fields_[r.field].clause(r.start, r.end))
            )
        ):
            overruled = True
            continue
        valid_restores.append(r)
    if valid_restores:
        partials = []  # "partly restored at noon; fully restored at 3 p.m."

    about_outage = bool(outages or valid_restores or partials or is_toe)

    if not about_outage:
        if works:
            h = works[0]
            evidence, conf = _evidence(fields_[h.field], h.start, h.end), 0.95
        elif hits["imperative"]:
            h = _pick(hits["imperative"], _EVIDENCE_PREFERENCE)
            evidence, conf = texts[h.field][h.start : h.end], 0.97
        elif hits["mention"]:
            h = hits["mention"][0]
            evidence, conf = _evidence(fields_[h.field], h.start, h.end), 0.9
        else:
            evidence, conf = None, 0.97
        return _result(False, conf, evidence, "not_outage")

    # it is about a 911 outage: status
    if valid_restores:
        # the latest strong one, preferring an explicit "restored" over "you can again call 911"
        r = max(
            valid_restores,
            key=lambda h: (
                h.strong,
                h.field == 1,
                _EXPLICIT_RESTORE.search(texts[h.field], h.start, h.end) is not None,
                h.field,
                h.start,
            ),
        )
        evidence = _evidence(fields_[r.field], r.start, r.end)
        confidence = 0.98 if is_toe else (0.9 if r.strong else 0.75)
        status = "restored"
    elif outages:
        best = _pick(outages, _EVIDENCE_PREFERENCE)
        evidence = _evidence(fields_[best.field], best.start, best.end)
        weight = (
            max(o.weight for o in outages if not o.conditional)
            if any(not o.conditional for o in outages)
            else 0.75
        )
        confidence = 0.98 if is_toe else weight
        # "911 works" lowers it, unless it speaks of one channel ("text to 911 is working")
        if not is_toe and any(
            not w.alt and not re.search(r"\bstill\b", texts[w.field][w.start : w.end], _I)
            for w in works
        ):
            confidence -= 0.1
        # a partial or overruled restoration reports progress on an outage under way
        status = "update" if msg == "update" or partials or overruled else "outage"
    elif partials:  # "911 PARTLY RESTORED" and nothing else
        r = _pick(partials, _EVIDENCE_PREFERENCE)
        evidence = _evidence(fields_[r.field], r.start, r.end)
        confidence = 0.98 if is_toe else (0.85 if r.strong else 0.75)
        status = "update"
    elif any(not w.alt for w in works):  # TOE with only a "911 works" phrase: an all-clear
        h = next(w for w in works if not w.alt)
        evidence = _evidence(fields_[h.field], h.start, h.end)
        confidence = 0.8
        status = "restored"
    else:  # TOE without informative text
        m = _TOE_EVENT_RE.search(event) if event else None
        evidence = event[m.start() : m.end()] if m else (alert.event_code or "").strip()
        confidence = 0.9
        status = "update" if msg == "update" else "outage"

    if cancelled and status == "restored":
        # a Cancel that carries the all-clear text: "restored" says more than "cancelled"
        confidence = max(confidence, 0.9)
    elif cancelled:
        status = "cancelled"
        confidence = max(confidence, 0.9) if (outages or valid_restores) else 0.85
        if is_toe:
            confidence = max(confidence, 0.9)

    content = texts[1:]
    provider_hits = _provider_matches(content)
    cause_hit = _find_cause(content, provider_hits)
    cause = cause_hit[0] if cause_hit else "unknown"
    provider = _choose_provider(provider_hits, cause_hit)
    backup = None
    if status in ("outage", "update"):  # not on an all-clear or a cancellation
        candidates = [
            (score, -order, -i, number)
            for order, t in enumerate((texts[2], texts[3], texts[1]))
            if t and any(ch.isdigit() for ch in t)
            for i, (score, number, _span) in enumerate(_phone_candidates(t))
        ]
        if candidates:
            backup = max(candidates)[3]
    if backup and status in ("outage", "update") and confidence < 0.9 and not is_toe:
        confidence = min(0.9, confidence + 0.05)
    return _result(True, confidence, evidence, status, cause, provider, backup)


def _choose_provider(
    found: list[tuple[int, int, int, str, str]], cause_hit: tuple[str, str] | None
) -> str | None:
    if not found:
        return None
    if cause_hit and cause_hit[0] == "carrier_network_outage":
        for _fi, _s, _e, provider, span in found:
            if span in cause_hit[1]:
                return provider
    # most often named, then first named
    counts: dict[str, int] = {}
    for _fi, _s, _e, provider, _span in found:
        counts[provider] = counts.get(provider, 0) + 1
    first = {}
    for i, (_fi, _s, _e, provider, _span) in enumerate(found):
        first.setdefault(provider, i)
    return max(counts, key=lambda p: (counts[p], -first[p]))


def classify_text(text: str, *, title: str | None = None) -> Classification:
    """The same rules on plain prose (press releases, news); no event code or msgType."""
    return _classify(AlertText(headline=title, description=text), prose=True)
