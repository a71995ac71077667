"""Is this alert (or press release, or news paragraph) about a 911 outage?

Rules, not a model: every decision points at the exact span of input text that made it
(``Classification.evidence`` is always a substring of one of the input fields, or None).

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
"Charter", "Level 3" match only capitalised as written or in capitals, and not in names
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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

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
TEST_EVENT_CODES: frozenset[str] = frozenset({"RWT", "RMT", "DMO", "NPT", "NAT", "NST"})
TEST_CAP_STATUSES: frozenset[str] = frozenset({"test", "exercise", "draft"})
OUTAGE_EVENT_CODES: frozenset[str] = frozenset({"TOE"})

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

_TOKENS: dict[str, str] = {}
_TOKENS["TERM"] = (
    r"(?<![\w.])(?:(?:E|NG)-?)?(?:9-1-1|9\.1\.1|9 1 1|911|nine[- ]one[- ]one)(?!\w|[-.]\d)"
)
_TOKENS["NOUN"] = (
    r"(?:(?:emergency|phone|telephone|landline|wireless|cell(?:ular)?|voice|text|dispatch|"
    r"center|communications?|call|trunk|network|answering|routing)\s+){0,2}"
    r"(?:services?|systems?|lines?|calls?|calling|networks?|trunks?|access|connectivity|"
    r"capabilit(?:y|ies)|circuits?|phones?|communications?|centers?|infrastructure|texting|"
    r"texts?|dispatch)\b"
)
_TOKENS["SUBJ"] = r"(?:<TERM>(?:['’]s)?(?:\s+<NOUN>(?:['’]s)?)?)"
# "phone service across Cook County, including 911, ..." is a 911 subject too
_TOKENS["INCL_SUBJ"] = (
    r"(?:(?:phone|telephone|landline|voice|cell(?:ular)?|wireless|communications?)\s+"
    r"(?:services?|lines?|systems?|calls?)(?:\s+(?!<GAPVETO>)[\w'’&/-]+){0,4}?,\s+including\s+"
    r"<TERM>(?:\s+<NOUN>)?,)"
)
_TOKENS["SUBJ_ANY"] = (
    r"(?:(?:calls?|calling|access|connections?|services?)\s+(?:to|for)\s+(?:the\s+)?<TERM>"
    r"(?:\s+<NOUN>)?|<INCL_SUBJ>|<SUBJ>)"
)
# headline subjects that name the service: "911 lines", "911 system", "calls to 911" (a bare
# "911" or one "911 call" is no subject here: "911 call interrupted by gunfire")
_TOKENS["SUBJ_SVC"] = (
    r"(?:(?:calls?|calling|access|connections?|services?)\s+(?:to|for)\s+(?:the\s+)?<TERM>"
    r"(?:\s+<NOUN>)?|<INCL_SUBJ>|<TERM>(?:['’]s)?\s+"
    r"(?!call\b(?!\s+(?:centers?|systems?|networks?|lines?|routing|trunks?)\b))<NOUN>(?:['’]s)?)"
)
# a relative clause or aside between a subject and its verb: "911 service outages, which
# affected multiple counties, have been restored"
_TOKENS["REL"] = r"(?:,\s+(?:which|who|that)\b[^,.;!?\n]{1,80},)?"
# "down" that is a state, not a number going down ("911 calls down 10 percent")
_TOKENS["DOWN"] = (
    r"down\b(?!\s*%|\s+(?:\d[\d,.]*\s*(?:%|percent\b|calls?\b|per\b|from\b)|by\s+(?:\d|about|"
    r"nearly|more|almost|half)|from\s+(?:\d[\d,.]*\s+(?:calls?|in|last|a\s+year|per)\b|last\b|"
    r"a\s+year|the\s+(?:previous|prior|same))|slightly\b|sharply\b|significantly\b|"
    r"the\s+(?:street|road|hall|block)\b))"
)
# the object of a transitive outage verb: "knocked out 911 service", "blocked 25 million
# 911 calls", "dropped 911 calls in 4 states", "affected 9-1-1, internet ..."
_TOKENS["OBJ_SVC"] = (
    r"(?:(?:the|all|some|many|several|most|its|their|more\s+than|over|about|nearly|almost|"
    r"approximately|at\s+least|up\s+to|(?:tens\s+of\s+)?(?:thousands|hundreds|millions|dozens)"
    r"\s+of|[\d][\d,.]*(?:\s+(?:million|thousand))?|an\s+estimated|local|regional|statewide|"
    r"county|countywide|emergency|area|land\s*line|wireless|cellular|cell)\s+){0,4}"
    r"<TERM>(?:\s+(?!call\b(?!\s+(?:centers?|systems?|networks?|lines?|routing|trunks?)\b))<NOUN>)?"
    r"(?=\s*(?:[.,;:!?)”\"’—–]|$)|\s+(?:-\s|in|for|across|at|throughout|statewide|nationwide|on|"
    r"to|from|after|during|around|and|or|but|by|with|since|until|over|into|as|while|when|"
    r"leaving|forcing|making|overnight|early|late|this|last|today|tonight|yesterday|"
    r"\w+day|\w+s\s+(?:in|across))\b)"
)
# Words that may not sit between a 911 subject and its predicate: clause joiners, verbs of
# calling, auxiliaries (the subject already had its predicate) and nouns that make "911" an
# agency or a fee rather than the service.
_TOKENS["GAPVETO"] = (
    r"(?:call|calls|calling|dial|dialing|text|please|if|and|but|or|nor|while|whereas|however|"
    r"although|though|to|when|about|report|reporting|because|that|which|who|as|so|than|"
    r"is|are|was|were|be|been|being|has|have|had|will|would|may|might|can|could|should|"
    r"must|do|does|did|remains?|says?|said|reports?|reported|advises?|asks?|urges?|reminds?|"
    r"dispatchers?|operators?|staff|telecommunicators?|directors?|coordinators?|board|fees?|"
    r"tax(?:es)?|address(?:es|ing)?|signs?|call-?takers?|officials?|personnel|employees|"
    r"workers|administrators?|authority|committee|district|agency|department|dept|office|"
    r"building|facility|crews?|not|no)\b"
)
_TOKENS["GAP"] = r"(?:\s+(?!<GAPVETO>)[\w'’&/-]+){0,7}?"
# between "911" and an outage noun ("911 landline outage"): no prepositions either
_TOKENS["NGAP"] = (
    r"(?:\s+(?!<GAPVETO>|(?:for|in|at|on|of|with|from|by|during|after|before|regarding|"
    r"concerning|the|a|an)\b)[\w'’-]+){0,2}?"
)
_TOKENS["AUX"] = (
    r"(?:is|are|was|were|has\s+been|have\s+been|had\s+been|may\s+be|might\s+be|could\s+be|"
    r"will\s+be|would\s+be|appears?\s+to\s+be|seems?\s+to\s+be|remains?|remained|"
    r"continues?\s+to\s+be|went|goes|has\s+gone|have\s+gone|became|has\s+become)"
)
_TOKENS["ADV"] = (
    r"(?:\s+(?:currently|presently|temporarily|now|still|partially|intermittently|completely|totally|"
    r"reportedly|possibly|also|largely|mostly|entirely|widely|briefly|apparently))*"
)
_TOKENS["EXPADV"] = r"(?:(?:currently|presently|temporarily|now|still)\s+)?"
_TOKENS["ISSUE_STRONG"] = (
    r"(?:an?\s+|some\s+|the\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:outages?|disruptions?|interruptions?|failures?)\b"
)
_TOKENS["ISSUE_WEAK"] = (
    r"(?:an?\s+|some\s+|the\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:issues?|problems?|difficult(?:y|ies)|trouble|malfunctions?)\b"
)
_TOKENS["CALLVERB"] = (
    r"(?:reach(?:ing)?|call(?:ing)?|dial(?:ing)?|connect(?:ing)?\s+(?:to|with)|"
    r"get(?:ting)?\s+through\s+to|contact(?:ing)?|access(?:ing)?|text(?:ing)?|"
    r"(?:make|making|place|placing|complete|completing)\s+(?:calls?\s+to\s+)?)"
)
_TOKENS["CANNOT"] = (
    r"(?:unable|not\s+(?:be\s+)?able|cannot|can\s*not|can['’]t|could\s+not|couldn['’]t|"
    r"won['’]t\s+be\s+able|will\s+not\s+be\s+able|fail(?:ed|ing|s)?)"
)
_TOKENS["NEGATE"] = r"(?:not|n['’]t|never)"
_TOKENS["THROUGH"] = (
    r"(?:going\s+through|go\s+through|getting\s+through|get\s+through|connect\w*|"
    r"complet\w*|reach\w*|answered|received|delivered)"
)
_TOKENS["CALLS"] = (
    r"(?:<TERM>\s+(?:[\w-]+\s+)?calls?|calls?\s+to\s+(?:the\s+)?<TERM>(?:\s+<NOUN>)?)"
    r"(?!\s+(?:centers?|centres?|takers?|handl\w+|recordings?|logs?|records?|volumes?|data|"
    r"audio|tapes?|transcripts?|reviews?|processing)\b)"
    r"(?:\s+(?!<GAPVETO>)[\w'’-]+){0,6}?"
)


# Patterns whose every match starts at a 911 term or at "calls to 911": these are tried
# only at those positions (``match``) instead of being scanned over the clause.
_ANCHORED: set[re.Pattern[str]] = set()
_ANCHOR_TOKENS = ("<SUBJ_ANY>", "<SUBJ_SVC>", "<SUBJ>", "<TERM>", "<CALLS>")


def _rx(template: str, flags: int = _I) -> re.Pattern[str]:
    rx = re.compile(_expand(template), flags)
    if template.startswith(_ANCHOR_TOKENS):
        _ANCHORED.add(rx)
    return rx


def _expand(template: str) -> str:
    out = template
    for _ in range(5):
        new = re.sub(r"<([A-Z_]+)>", lambda m: _TOKENS[m.group(1)], out)
        if new == out:
            break
        out = new
    return out


_TERM_RE = re.compile(_expand(r"<TERM>"), _I)
# where a subject that ends in a 911 term starts: "calls to 911", "service for 911 calls",
# "phone service across Cook County, including 911"
_CALLS_TO_RE = re.compile(
    r"\b(?:(?:calls?|calling|access|connections?|services?)\s+(?:to|for)\s+(?:the\s+)?|"
    r"(?:phone|telephone|landline|voice|cell(?:ular)?|wireless|communications?)\s+"
    r"(?:services?|lines?|systems?|calls?)(?:\s+[\w'’&/-]+){0,4}?,\s+including\s+)$",
    _I,
)

# ---- outage families: (name, regex, weight) ------------------------------------------
# Families whose subject comes first get a "called 911" veto (e.g. "CALL 911 LINES ...").
_OUTAGE_PATTERNS: list[tuple[str, re.Pattern[str], float, bool, tuple[str, ...]]] = [
    (
        "subject_state",
        _rx(
            r"<SUBJ_ANY><GAP><REL>\s+<AUX><ADV>\s+"
            r"(?:<DOWN>|out\s+of\s+(?:service|order)|out\b(?!\s+(?:to|and|there|for|of|looking|with)\b)|offline|off-line|unavailable|not\s+available|"
            r"not\s+(?:currently\s+)?(?:working|functioning|operational|operating|accessible|"
            r"reachable|in\s+service)|non-?operational|non-?functional|inoperable|"
            r"inoperative|disrupted|interrupted|impaired|failing|dead\b|unreachable|"
            r"inaccessible|disabled|knocked\s+out|cut\s+off|severed|"
            r"without\s+(?:\w+\s+)?(?:power|service|connectivity))"
        ),
        0.9,
        True,
        (
            "disabled",
            "knocked",
            "cut",
            "severed",
            "down",
            "out",
            "offline",
            "off-line",
            "unavailable",
            "not",
            "inoper",
            "disrupt",
            "interrupt",
            "impair",
            "failing",
            "dead",
            "unreach",
            "inaccess",
            "without",
            "non-op",
            "nonop",
            "non-fun",
            "nonfun",
        ),
    ),
    (
        "subject_state_weak",
        _rx(
            r"<SUBJ_ANY><GAP>\s+<AUX><ADV>\s+"
            r"(?:affected|impacted|degraded|compromised|intermittent|limited)\b"
        ),
        0.75,
        True,
        ("affected", "impacted", "degraded", "compromised", "intermittent", "limited"),
    ),
    (
        "subject_experiencing",
        _rx(
            r"<SUBJ_ANY><GAP>\s+(?:(?:is|are|was|were|has\s+been|have\s+been|may\s+be|"
            r"might\s+be)\s+)?<EXPADV>(?:experiencing|having|suffering|encountering|experienced|"
            r"had|suffered|encountered|has|have|(?:may|might|could|will|can)\s+(?:also\s+)?"
            r"(?:experience|have|encounter))\s+<ISSUE_STRONG>"
        ),
        0.9,
        True,
        ("outage", "disruption", "interruption", "failure"),
    ),
    (
        "subject_experiencing_weak",
        _rx(
            r"<SUBJ_ANY><GAP>\s+(?:(?:is|are|was|were|has\s+been|have\s+been|may\s+be|"
            r"might\s+be)\s+)?<EXPADV>(?:experiencing|having|suffering|encountering|experienced|"
            r"had|(?:may|might|could|will|can)\s+(?:also\s+)?(?:experience|have|encounter))\s+"
            r"<ISSUE_WEAK>"
        ),
        0.8,
        True,
        ("issue", "problem", "difficult", "trouble", "malfunction"),
    ),
    (
        "noun_outage",
        _rx(
            r"<TERM>(?:\s+<NOUN>|<NGAP>)\s+(?:outages?|disruptions?|interruptions?|failures?|"
            r"blackout|<DOWN>|out\s+of\s+service|offline)"
            r"(?!\s+(?:notifications?|plans?|procedures?|drills?|exercises?|training|protocols?|"
            r"polic(?:y|ies)|preparedness)\b)"
        ),
        0.9,
        True,
        ("outage", "disruption", "interruption", "failure", "blackout", "down", "out", "offline"),
    ),
    (
        "noun_issue",
        _rx(
            r"<TERM>(?:\s+<NOUN>|<NGAP>)\s+(?:issues?|problems?|difficult(?:y|ies)|malfunctions?)\b"
        ),
        0.75,
        True,
        ("issue", "problem", "difficult", "malfunction"),
    ),
    (
        "outage_of_911",
        _rx(
            r"\b(?:outages?|disruptions?|interruptions?|failures?|loss)\s+(?:of|to|with|"
            r"affecting|impacting|involving|in|on)\s+(?:the\s+)?"
            r"(?:(?!call\b|dial\b|text\b|contact\b|please\b|reach\b|if\b|and\b)"
            r"[\w'’&/-]+\s+){0,3}?<TERM>"
        ),
        0.9,
        False,
        ("outage", "disruption", "interruption", "failure", "loss"),
    ),
    (
        "issue_with_911",
        _rx(
            r"\b(?:issues?|problems?|difficult(?:y|ies))\s+(?:with|affecting|impacting)\s+"
            r"(?:the\s+)?(?:(?!call\b|dial\b|text\b|contact\b|please\b|if\b|and\b)"
            r"[\w'’&/-]+\s+){0,3}?<TERM>"
        ),
        0.8,
        False,
        ("issue", "problem", "difficult"),
    ),
    (
        "without_911",
        _rx(
            r"\b(?:lost|loss\s+of|losing|lose|without|no)\s+(?:all\s+|their\s+|its\s+|the\s+|"
            r"an?\s+)?(?:[\w-]+\s+){0,2}?<TERM>\s+(?:[\w-]+\s+)?(?:service|services|access|"
            r"connectivity|capabilit(?:y|ies)|coverage|systems?|lines?)\b"
        ),
        0.85,
        False,
        ("lost", "loss", "losing", "lose", "without", "no"),
    ),
    (
        "cannot_reach",
        _rx(r"<CANNOT>\s+(?:to\s+)?<CALLVERB>\s*(?:the\s+)?(?:[\w-]+\s+)?<TERM>"),
        0.9,
        False,
        ("unable", "not", "cannot", "can", "can't", "can’t", "couldn", "won't", "won’t", "fail"),
    ),
    (
        # "911 centers cannot receive 911 voice calls", "unable to answer calls to 911"
        "cannot_receive",
        _rx(
            r"<CANNOT>\s+(?:to\s+)?(?:receive|receiving|answer|answering|take|taking|accept|"
            r"accepting|process|processing|deliver|delivering|route|routing|transmit|"
            r"transmitting|complete|completing)\s+(?:any\s+|all\s+|some\s+|incoming\s+)?"
            r"(?:[\w-]+\s+)?(?:<TERM>\s+(?:[\w-]+\s+)?calls?\b|calls?\s+(?:to|on|from|for)\s+"
            r"(?:the\s+)?<TERM>)"
        ),
        0.9,
        False,
        ("unable", "not", "cannot", "can", "can't", "can’t", "couldn", "won't", "won’t", "fail"),
    ),
    (
        # "Douglas County 911 still cannot receive all voice calls"
        "subject_cannot_receive",
        _rx(
            r"<SUBJ><GAP>\s+(?:(?:(?:still|currently|now|temporarily)\s+)+<CANNOT>\s+(?:to\s+)?"
            r"(?:receive|answer|take|accept|process)\s+(?:any\s+|all\s+|some\s+|incoming\s+)?"
            r"(?:[\w-]+\s+){0,2}?(?:calls?|texts?)|<CANNOT>\s+(?:to\s+)?"
            r"(?:receive|answer|take|accept|process)\s+(?:any\s+|all\s+|some\s+|incoming\s+)?"
            r"(?!(?:[\w-]+\s+){0,2}?(?:video|photo|picture|image|multimedia))(?:[\w-]+\s+){0,2}?"
            r"calls?)\b"
        ),
        0.9,
        True,
        ("unable", "not", "cannot", "can", "can't", "can’t", "couldn", "won't", "won’t", "fail"),
    ),
    (
        "trouble_reaching",
        _rx(
            r"\b(?:trouble|difficulty|difficulties|problems?|issues?)\s+(?:when\s+|while\s+)?"
            r"<CALLVERB>\s*(?:the\s+)?<TERM>"
        ),
        0.85,
        False,
        ("trouble", "difficult", "problem", "issue"),
    ),
    (
        "not_all_calls",
        _rx(
            r"\bnot\s+all\s+(?:[\w-]+\s+){0,2}?<CALLS>\s+(?:are|were|is|was|may|might|will|"
            r"could)\s+(?:be\s+|been\s+)?<THROUGH>"
        ),
        0.9,
        False,
        ("not",),
    ),
    (
        "calls_not_through",
        _rx(
            r"<CALLS>\s+(?:(?:are|were|is|was|may|might|will|could|do|does|did)\s*<NEGATE>\s+"
            r"(?:be\s+|been\s+|being\s+)?(?:<THROUGH>|go\b|get\b|work\w*)|"
            # headline style, no auxiliary: "911 VOICE CALLS NOT GOING THROUGH"
            r"not\s+(?:going\s+through|getting\s+through|connecting|completing|working)\b)"
        ),
        0.9,
        True,
        ("not", "n't", "n’t", "never"),
    ),
    (
        "calls_failing",
        _rx(
            r"<CALLS>\s+(?:(?:are|were|is|was|may\s+be|might\s+be|could\s+be|have\s+been|"
            r"has\s+been)\s+(?:being\s+)?(?:failing|failed|dropped|dropping|blocked|lost|"
            r"disconnected|rejected|unanswered|receiving\s+(?:a\s+)?busy\s+signals?)|"
            r"(?:may|might|could|will)\s+(?:fail|drop|not\s+connect|not\s+go\s+through)|"
            r"failing\s+to\s+(?:reach|connect|go\s+through|get\s+through|complete|be\s+"
            r"(?:delivered|completed|connected|answered))|"
            r"(?:fail|failed|fails))\b"
        ),
        0.9,
        True,
        ("fail", "drop", "block", "lost", "disconnect", "reject", "unanswered", "busy", "not"),
    ),
    (
        "affecting_911",
        _rx(
            r"\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:currently\s+|also\s+)?"
            r"(?:affecting|impacting|disrupting|interrupting|blocking)\s+(?:the\s+)?"
            r"(?:(?!call\b|dial\b|text\b|contact\b|please\b|if\b|and\b)[\w'’&/-]+\s+){0,3}?"
            r"<TERM>(?!\s+(?:dispatchers?|operators?|staff|center|centers|fees?|tax)\b)"
        ),
        0.85,
        False,
        ("affecting", "impacting", "disrupting", "interrupting", "blocking"),
    ),
    (
        "preventing_911",
        _rx(
            r"\b(?:prevent\w*|keep\w*|kept|stop\w*|block\w*|inhibit\w*|bar(?:s|red|ring)?)\s+"
            r"(?:[\w'’&/-]+\s+){0,6}?from\s+(?:<CALLVERB>|deliver\w*|receiv\w*|rout\w*|"
            r"answer\w*|transmit\w*)\s*(?:the\s+)?(?:[\w-]+\s+)?<TERM>"
        ),
        0.85,
        False,
        ("prevent", "keep", "kept", "stop", "block", "inhibit", "bar"),
    ),
    (
        "busy_signal",
        _rx(
            r"\b(?:busy\s+signals?|fast\s+busy|circuits?\s+(?:are\s+)?busy|all\s+circuits)"
            r"[^.;!?\n]{0,60}?\b(?:calling|dialing|call|dial|calls?\s+to|reach)\s+<TERM>|"
            r"\b(?:calling|dialing|call(?:er)?s?\s+to)\s+<TERM>[^.;!?\n]{0,60}?\b(?:busy\s+signals?|"
            r"fast\s+busy|circuits?\s+(?:are\s+)?busy|all\s+circuits)"
        ),
        0.85,
        False,
        ("busy", "circuits"),
    ),
    (
        "outage_including_911",
        _rx(
            r"\b(?:out|down|unavailable|not\s+working|disrupted|interrupted|outages?|cannot|"
            r"can['’]t|unable|disruptions?|interruptions?|failures?)\b[^.;!?\n]{0,60}?"
            r"(?:,|\s[–—-])?\s+(?:including|as\s+well\s+as|and\s+also|"
            r"also\s+affecting)\s+(?:calls?\s+)?(?:to\s+)?<TERM>"
            r"(?!\s+(?:dispatchers?|operators?|staff|center|centers|fees?|tax|addresses|signs?)\b)"
        ),
        0.85,
        False,
        ("including", "well", "also"),
    ),
    (
        "psap_phones_down",
        _rx(
            r"\b(?:phone|telephone)\s+(?:lines?|service|system)s?\s+(?:are|is|were|was)\s+"
            r"(?:currently\s+)?(?:down|out|not\s+working|unavailable)\s+(?:at|in|for)\s+"
            r"(?:the\s+)?(?:[\w'’-]+\s+){0,3}?<TERM>\s+(?:center|dispatch|communications|"
            r"psap|call\s+center|answering\s+point)"
        ),
        0.8,
        False,
        ("phone",),
    ),
    (
        "trying_to_call",
        _rx(
            r"\b(?:trying|attempting|tries|try)\s+to\s+(?:call|dial|reach|contact|text)\s+<TERM>"
            r"[^.;!?\n]{0,80}?\b(?:may|might|will|could|can|are|is|do|does)\s+(?:not\s+)?"
            r"(?:\w+\s+)?(?:experienc\w*|hav\w*|encounter\w*|get\w*|receiv\w*|hear\w*)\s+"
            r"(?:an?\s+|some\s+)?(?:[\w-]+\s+)?(?:difficult\w*|problems?|issues?|trouble|"
            r"busy|errors?|recordings?|no\s+answer|dead\s+air)"
        ),
        0.85,
        False,
        ("try", "tries", "trying", "attempting"),
    ),
    (
        "if_call_and_fails",
        _rx(
            r"\bif\s+(?:you\s+)?(?:call|dial|try|text)\s+(?:to\s+(?:call|reach)\s+)?<TERM>\s+and\s+"
            r"(?:it|the\s+call|you|your\s+call)\s+(?:does|do|did|is|are|cannot|can['’]t|can\s+not|"
            r"get|hear|receive)\s*(?:<NEGATE>\s+)?(?:go\s+through|get\s+through|connect\w*|"
            r"answered|a\s+busy|busy|no\s+answer|(?:an?\s+)?error|(?:a\s+)?recording)"
        ),
        0.85,
        False,
        ("if",),
    ),
    (
        "no_calls_reaching",
        _rx(
            r"\bno\s+calls?\s+(?:were|are|have\s+been|was|is)\s+(?:being\s+)?(?:reaching|"
            r"getting\s+through\s+to|going\s+through\s+to|connecting\s+to|received\s+(?:by|at)|"
            r"answered\s+(?:by|at))\s+(?:the\s+)?(?:[\w'’-]+\s+){0,2}?<TERM>"
        ),
        0.85,
        False,
        ("no",),
    ),
    (
        "if_call_fails",
        _rx(
            r"\bif\s+(?:your\s+|a\s+)?(?:<TERM>\s+calls?|calls?\s+to\s+(?:the\s+)?<TERM>|<TERM>)"
            r"\s+(?:does|do|did|is|are|will)\s*<NEGATE>\s+(?:go|get|going|connect\w*|"
            r"answer\w*|complete|work\w*)"
        ),
        0.85,
        False,
        ("if",),
    ),
    (
        "including_911",
        _rx(
            r"(?:<CANNOT>|may\s+not|might\s+not)\s+(?:to\s+)?(?:make|place|complete|receive)\s+"
            r"(?:[\w-]+\s+){0,3}?calls?(?:,|\s[–—-])?\s+(?:including|even|such\s+as)\s+(?:calls?\s+)?"
            r"(?:to\s+)?<TERM>"
        ),
        0.85,
        False,
        ("including", "even", "such"),
    ),
    (
        "calls_including_911",
        _rx(
            r"\bcalls?,?\s+including\s+(?:calls?\s+)?(?:to\s+)?<TERM>(?:\s+calls?)?,?\s+"
            r"(?:are|were|may|might|will|could)\s*(?:<NEGATE>\s+|be\s+(?:failing|affected))"
        ),
        0.85,
        False,
        ("including",),
    ),
    (
        "emergency_lines",
        _rx(
            r"(?<!non-)(?<!non\s)(?<!non)\bemergency\s+(?:(?:services?|phone|telephone|"
            r"communications?|call|dispatch)\s+){0,2}(?:lines?|phones?|phone\s+service|"
            r"telephone\s+service|phone\s+system|telephone\s+system)\s+(?:is|are|was|were|"
            r"have\s+been|has\s+been|may\s+be|remains?)\s+(?:currently\s+|temporarily\s+)?"
            r"(?:down\b|out\b|out\s+of\s+service|not\s+working|unavailable|disrupted|"
            r"interrupted|inoperable)"
        ),
        0.7,
        False,
        ("emergency",),
    ),
    (
        "emergency_calls",
        _rx(
            r"(?:(?<!non-)(?<!non\s)(?<!non)\bemergency\s+calls?\s+(?:are|were|may|might|will|"
            r"could)\s*<NEGATE>\s+(?:be\s+)?<THROUGH>|<CANNOT>\s+(?:to\s+)?(?:make|place|"
            r"complete)\s+(?:[\w-]+\s+)?(?<!non-)emergency\s+calls?|<CANNOT>\s+(?:to\s+)?"
            r"<CALLVERB>\s*(?:the\s+)?(?:local\s+)?(?<!non-)emergency\s+(?:phone\s+|"
            r"telephone\s+)?(?:lines?|numbers?))"
        ),
        0.75,
        False,
        ("emergency",),
    ),
    (
        # headline style, without an auxiliary: "911 lines crash in Las Vegas", "911 service
        # disrupted Sunday", "911 Services Across Massachusetts Down", "911 calls fail"
        "subject_headline",
        _rx(
            r"<SUBJ_SVC><GAP>\s+(?:crash(?:es|ed)?\b(?!\s+(?:course|test|victims?|scene|site|"
            r"reports?|investigat\w*|involving|on)\b)|go(?:es)?\s+(?:down|dark|out|offline)\b|"
            r"went\s+(?:down|dark|out|offline)\b|gone\s+(?:down|dark)\b|disrupted\b|"
            r"interrupted\b|knocked\s+out\b|disabled\b|<DOWN>|offline\b|out\s+of\s+service\b|"
            r"fail(?:s|ed)?(?=\s*(?:[.,;:!?)—–]|$)|\s+(?:in|across|for|at|on|statewide|"
            r"nationwide|again|during|after|overnight|today|tonight|yesterday|briefly|"
            r"temporarily|\w+day)\b|\s+to\s+(?:connect|go|get|reach|work|complete|ring)\b))"
        ),
        0.9,
        True,
        (
            "crash",
            "go",
            "went",
            "gone",
            "disrupt",
            "interrupt",
            "knock",
            "disabl",
            "down",
            "offline",
            "out",
            "fail",
        ),
    ),
    (
        # transitive: "a CenturyLink outage has knocked out 911 voice calls", "Faulty firewall
        # blocked 911 calls", "Outage that dropped 911 calls", "Cut Fiber Line Downs 911
        # System", "prevented more than 25,000 attempts to reach 911"
        "knocked_out_911",
        _rx(
            r"(?<!\bto\s)(?<!\bhelp\s)\b(?:knock(?:s|ed|ing)?\s+out|took\s+(?:out|down)|"
            r"tak(?:e|es|ing)\s+(?:out|down)|shut(?:s|ting)?\s+down|downs|downed|"
            r"disrupt(?:s|ed|ing)|interrupt(?:s|ed|ing)|disabl(?:es|ed|ing)|crippl(?:es|ed|ing)|"
            r"block(?:s|ed|ing)|drop(?:s|ped|ping)|cut(?:s|ting)?\s+off|wip(?:es|ed|ing)\s+out|"
            r"prevent(?:s|ed|ing))\s+"
            r"(?:<OBJ_SVC>|(?:(?!call\b|dial\b|please\b|if\b)[\w,.’'&-]+\s+){0,6}?"
            r"(?:including\s+(?:[\w,.]+\s+){0,3}?)?(?:attempts?|calls?)\s+to\s+"
            r"(?:reach\s+|call\s+|dial\s+|contact\s+)?(?:the\s+)?<TERM>)"
        ),
        0.85,
        False,
        (
            "knock",
            "took",
            "tak",
            "shut",
            "downs",
            "downed",
            "disrupt",
            "interrupt",
            "disabl",
            "crippl",
            "block",
            "drop",
            "cut",
            "wip",
            "prevent",
        ),
    ),
    (
        # "CenturyLink outage affects 9-1-1", "an outage that affected 911 service"
        "outage_affects_911",
        _rx(
            r"\b(?:outages?|disruptions?|failures?|interruptions?|(?:fib(?:er|re)|cable|line)\s+"
            r"cuts?|crash(?:es)?)\b(?:\s+(?!call\b|dial\b|please\b|if\b)[\w'’&/-]+){0,8}?\s+"
            r"(?:affect(?:s|ed|ing)?|impact(?:s|ed|ing)?|hit|hits|hitting)\s+<OBJ_SVC>"
        ),
        0.85,
        False,
        ("affect", "impact", "hit ", "hits", "hitting"),
    ),
    (
        # "lost the ability to take 911 calls", "affected residents’ ability to call the 911
        # emergency number", "affected AT&T’s ability to deliver 911 calls"
        "ability_to_911",
        _rx(
            r"\b(?:los[te]|losing|loses|affect(?:s|ed|ing)|impact(?:s|ed|ing)|disrupt(?:s|ed|ing)|"
            r"impair(?:s|ed|ing)|hamper(?:s|ed|ing)|hinder(?:s|ed|ing)|limit(?:s|ed|ing)|without|"
            r"cut\s+off|prevent(?:s|ed|ing))\s+(?:(?!call\b|dial\b)[\w'’&/,-]+\s+){0,6}?"
            r"(?:ability|abilities|capability|capacity)\s+to\s+(?:<CALLVERB>|receive|take|"
            r"answer|deliver|route|process|transmit|complete)\s*(?:(?:or|and)\s+\w+\s+)?"
            r"(?:the\s+|any\s+|incoming\s+)?(?:[\w-]+\s+)?(?:<TERM>|calls?\s+(?:to|from)\s+"
            r"(?:the\s+)?<TERM>|(?<!non-)emergency\s+calls?)"
        ),
        0.85,
        False,
        ("ability", "abilities", "capability", "capacity"),
    ),
    (
        # "No one has access to the 911 system in Nassau County"
        "no_one_reaches_911",
        _rx(
            r"\b(?:no\s*one|nobody|no\s+callers?|no\s+residents?)\s+(?:can|could|was\s+able\s+to|"
            r"were\s+able\s+to|is\s+able\s+to|are\s+able\s+to|has|had|have)\s+(?:access\s+to\s+|"
            r"<CALLVERB>\s*|reached\s+|get\s+through\s+to\s+|got\s+through\s+to\s+)(?:the\s+)?<TERM>"
            r"(?!\s+(?:call\s+)?(?:recordings?|tapes?|audio|records?|logs?|data|transcripts?|"
            r"files?)\b)"
        ),
        0.85,
        False,
        ("no one", "noone", "nobody", "no caller", "no resident"),
    ),
    (
        # FCC reports: "resulting in over 400 failed 911 calls"
        "failed_911_calls",
        _rx(
            r"\b(?:failed|blocked|undelivered|uncompleted|incomplete|misrouted)\s+<TERM>\s+"
            r"(?:voice\s+|emergency\s+|wireless\s+)?calls\b"
        ),
        0.85,
        False,
        ("failed", "blocked", "undeliver", "uncomplet", "incomplet", "misrout"),
    ),
    (
        # FCC reports: "PSAPs were unable to receive calls", "the PSAP could not receive 911
        # calls"
        "psap_cannot_receive",
        _rx(
            r"\b(?:PSAPs?|public\s+safety\s+answering\s+points?|answering\s+points?)\b"
            r"(?:\s+(?!<GAPVETO>)[\w'’&/()-]+){0,5}?\s+(?:(?:(?:were|was|remained)\s+(?:still\s+|"
            r"temporarily\s+)?(?:unable|not\s+able)|could\s+not|couldn['’]t|did\s+not|didn['’]t|"
            r"failed)\s+(?:to\s+)?|(?:(?:are|is|remain|remains)\s+)?(?:still|currently|temporarily|"
            r"now)\s+(?:unable\s+to|not\s+able\s+to|cannot|can\s*not|can['’]t)\s+)(?:receive|"
            r"answer|take|accept|process|get)\s+(?:any\s+|all\s+|some\s+|incoming\s+)?"
            r"(?!(?:[\w-]+\s+){0,2}?(?:video|photo|picture|image|multimedia|text))"
            r"(?:[\w-]+\s+){0,2}?calls?\b"
        ),
        0.9,
        False,
        ("unable", "not", "cannot", "can", "can't", "can’t", "couldn", "won't", "won’t", "fail"),
    ),
]

# ---- "911 works" phrases -------------------------------------------------------------
_WORKS_PATTERNS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        _rx(
            r"<SUBJ_ANY><GAP>\s+(?:is|are|remains?|remained|continues?\s+to\s+be|has\s+been|"
            r"have\s+been|was|were|will\s+remain|will\s+be)(?:\s+(?:still|currently|fully|now|"
            r"also|completely))*\s+(?:working(?!\s+(?:to|on|with|around|hard|diligently|"
            r"closely)\b)|operational|functional|functioning|available|up\s+and\s+running|"
            r"in\s+service|operating|unaffected|normal|open\b|not\s+(?:been\s+|be\s+)?"
            r"(?:affected|impacted|disrupted|interrupted|down|out|experiencing|involved))"
            r"(?:\s+(?:normally|properly|as\s+(?:normal|usual)))?"
        ),
        (
            "work",
            "operat",
            "function",
            "avail",
            "running",
            "service",
            "unaffected",
            "normal",
            "open",
            "not",
        ),
    ),
    (
        _rx(
            r"(?:does|do|did|will|should|would|has|have|is|are|was|were)\s*<NEGATE>\s+"
            r"(?:be\s+|been\s+)?(?:affect|impact|disrupt|interrupt|involv)\w*\s+(?:the\s+)?"
            r"(?:[\w'’-]+\s+){0,3}?<TERM>(?:\s+<NOUN>)?"
        ),
        ("not", "n't", "n’t", "never"),
    ),
    (
        _rx(
            r"\bno\s+(?:known\s+|reported\s+)?(?:impacts?|effects?|disruptions?|interruptions?|"
            r"outages?|issues?|problems?|changes?|loss)\s+(?:to|on|with|for|of|affecting|in)\s+"
            r"(?:the\s+)?(?:[\w'’-]+\s+){0,2}?<TERM>(?:\s+<NOUN>)?"
        ),
        ("no",),
    ),
    (
        _rx(
            r"\b(?:no|not\s+an?|isn['’]t\s+an?|is\s+not\s+an?)\s+<TERM>\s+(?:[\w-]+\s+)?"
            r"(?:outage|disruption|issue|problem)"
        ),
        ("no", "not", "isn"),
    ),
    (
        _rx(
            r"\b(?:reports?|rumou?rs?|claims?|posts?)\s+(?:of|that|about)\s+(?:an?\s+|the\s+)?<TERM>"
            r"\s+(?:[\w-]+\s+)?(?:outage|being\s+down|is\s+down|was\s+down)\s+(?:are|is|were|was)\s+"
            r"(?:false|incorrect|inaccurate|untrue|unfounded|not\s+true)"
        ),
        ("false", "incorrect", "inaccurate", "untrue", "unfounded", "true"),
    ),
    (
        _rx(
            r"\bno\s+<TERM>\s+calls?\s+(?:were|was|have\s+been|are|has\s+been)\s+"
            r"(?:lost|affected|impacted|dropped|missed)"
        ),
        ("no",),
    ),
    (
        _rx(
            r"\b(?:can|may|should|will|are|is)\s+still\s+(?:be\s+able\s+to\s+)?"
            r"(?:call|dial|reach|use|text|contact)\s+<TERM>"
        ),
        ("still",),
    ),
    (
        _rx(r"<CALLS>\s+(?:are|is)\s+(?:still\s+)?going\s+through\b(?!\s+(?:again|now)\b)"),
        ("going",),
    ),
    (
        _rx(
            r"<CALLS>\s+(?:are|is)\s+(?:still\s+)?(?:being\s+)?(?:answered|received|completed|"
            r"connected)\s+normally"
        ),
        ("normally",),
    ),
]
_WORKS_PATTERNS += [
    (
        _rx(r"<SUBJ_ANY>\s+(?:not\s+(?:affected|impacted|disrupted|involved)|unaffected)\b"),
        ("not", "unaffected"),
    ),
    (
        _rx(
            r"\b(?:not|n['’]t|never|no\s+longer)\s+(?:currently\s+)?(?:experiencing|having|"
            r"seeing|affected\s+by|impacted\s+by)\s+(?:an?\s+|any\s+)?(?:[\w-]+\s+){0,2}?<TERM>\s+"
            r"(?:[\w-]+\s+)?(?:outages?|disruptions?|interruptions?|issues?|problems?)"
        ),
        ("not", "n't", "n’t", "never", "longer"),
    ),
]
_WORKS_PREFIX_VETO = re.compile(
    r"\b(?:not\s+all|some|many|only|few|certain|several|most)\s+(?:[\w-]+\s+){0,2}$", _I
)

# ---- restoration phrases: (regex, strong) -------------------------------------------
_RESTORED_PATTERNS: list[tuple[re.Pattern[str], bool, tuple[str, ...]]] = [
    (
        _rx(
            r"<SUBJ_ANY><GAP><REL>\s+(?:has|have|had)\s+(?:since\s+)?been\s+(?:fully\s+|"
            r"successfully\s+|now\s+|since\s+|partially\s+|partly\s+|mostly\s+)*(?:restored|repaired|fixed|resolved|"
            r"re-?established|brought\s+back)"
        ),
        True,
        ("restor", "repair", "fixed", "resolv", "establish", "brought"),
    ),
    (
        _rx(
            r"<SUBJ_ANY><GAP>\s+(?:was|were|is|are|appears?\s+to\s+be|appeared\s+to\s+be|"
            r"seems?\s+to\s+be)\s+(?:now\s+|fully\s+|successfully\s+|"
            r"partially\s+|partly\s+|mostly\s+)*"
            r"(?:restored|repaired|fixed|re-?established|back\s+(?:up|online|on-line|"
            r"in\s+service|to\s+normal|in\s+operation|working|operational)\b|"
            r"working\s+(?:normally\s+|properly\s+)?again|operational\s+again|"
            r"functioning\s+(?:normally\s+)?again|up\s+and\s+running\s+again|"
            r"going\s+through\s+(?:again|normally\s+again)|"
            r"back(?=\s*(?:[.!,;]|$|\s+(?:and|in\s+service|online|up|to\s+normal)\b))|"
            r"now\s+(?:working|operational|functioning|fully\s+operational|back))"
        ),
        True,
        ("restor", "repair", "fixed", "establish", "back", "again", "now"),
    ),
    (
        _rx(
            r"\ball[\s-]+clear\b[^.;!?\n]{0,60}?(?:<TERM>(?:\s+[\w-]+)?\s+(?:outage|service|"
            r"lines?|system|calls?)|outage)|<TERM>(?:\s+[\w-]+)?\s+(?:outage|service|lines?|"
            r"system|calls?)[^.;!?\n]{0,60}?\ball[\s-]+clear\b"
        ),
        True,
        ("clear",),
    ),
    (
        _rx(
            r"<SUBJ>\s+(?:(?:now\s+|fully\s+|partly\s+|partially\s+|mostly\s+)?restored|"
            r"back\s+(?:up|online|on-line|in\s+service)|"
            r"(?:service\s+)?(?:outage|disruption|interruption)s?\s+(?:now\s+|fully\s+)?"
            r"(?:resolved|restored|over|ended|cleared|fixed|repaired))\b"
        ),
        True,
        ("restor", "back", "resolv", "over", "ended", "cleared", "fixed", "repair"),
    ),
    (
        _rx(
            r"(?<!\bto\s)(?<!\bbe\s)(?<!\bbeen\s)\b(?:(?:has|have|had)\s+)?(?:now\s+|fully\s+|"
            r"since\s+|partially\s+|partly\s+)*restored\s+(?:the\s+|all\s+)?"
            r"(?:(?!power\b|electricity\b)[\w'’-]+\s+){0,2}?<TERM>"
        ),
        True,
        ("restor",),
    ),
    (
        _rx(
            r"<TERM>\s+(?:[\w-]+\s+){0,2}?(?:outage|disruption|interruption|issue|problem)s?"
            r"(?:\s+(?!<GAPVETO>)[\w'’-]+){0,4}?<REL>\s+(?:has|have|had)\s+(?:since\s+)?been\s+"
            r"(?:fully\s+)?(?:resolved|fixed|repaired|corrected|cleared|restored)"
        ),
        True,
        ("resolv", "fixed", "repair", "corrected", "cleared", "restor"),
    ),
    (
        _rx(
            r"<TERM>\s+(?:[\w-]+\s+){0,2}?(?:outage|disruption|interruption|issue|problem)s?"
            r"\s+(?:is|are|was|were)\s+(?:now\s+)?(?:over|resolved|fixed|repaired|cleared)"
        ),
        True,
        ("over", "resolv", "fixed", "repair", "cleared"),
    ),
    (
        # "The 911 outage lasted about seven hours early Thursday and was resolved at 7 a.m."
        _rx(
            r"<TERM>\s+(?:[\w-]+\s+){0,2}?(?:outage|disruption|interruption|failure)s?\b"
            r"[^.;!?\n]{0,80}?\s+and\s+(?:was|were|has\s+been|have\s+been|had\s+been)\s+"
            r"(?:since\s+)?(?:fully\s+)?(?:resolved|restored|fixed|repaired|cleared)"
        ),
        True,
        ("resolv", "restor", "fixed", "repair", "cleared"),
    ),
    (
        # "Massachusetts can again make 911 phone calls", "residents could again call or
        # text 911"
        _rx(
            r"\b(?:can|could|are\s+able\s+to|were\s+able\s+to|is\s+able\s+to|was\s+able\s+to)"
            r"\s+(?:once\s+)?again\s+<CALLVERB>\s*(?:(?:or|and)\s+<CALLVERB>\s*)?(?:the\s+)?"
            r"(?:[\w-]+\s+)?<TERM>"
        ),
        True,
        ("again",),
    ),
    # weak ones count only when the document is otherwise about a 911 outage
    (
        _rx(
            r"\b(?:outage|disruption|interruption|issue|problem)s?\s+(?:(?:has|have|had)\s+"
            r"(?:since\s+)?been\s+(?:fully\s+)?(?:resolved|fixed|repaired|corrected|cleared)|"
            r"(?:is|are|was|were)\s+(?:now\s+)?(?:over|resolved|fixed|repaired|cleared)|"
            r"(?:has\s+|have\s+)?ended)"
        ),
        False,
        ("resolv", "fixed", "repair", "corrected", "cleared", "over", "ended"),
    ),
    (
        _rx(
            r"\b(?:service|services|phone\s+service|telephone\s+service|it|phones|lines|"
            r"calls|systems?)\s+(?:(?:(?:has|have|had)\s+(?:since\s+)?been|(?:was|were|is|are)"
            r"(?:\s+now)?|now)\s+)?(?:fully\s+|successfully\s+|partially\s+|partly\s+)?"
            r"(?:restored|back\s+(?:up|online|in\s+service|to\s+normal))"
        ),
        False,
        ("restor", "back"),
    ),
    (
        _rx(
            r"<CALLS>\s+(?:are|is)\s+(?:now\s+)?(?:going\s+through|connecting|being\s+"
            r"(?:answered|completed|received))\s+(?:again|now|normally)\b|"
            r"<SUBJ>\s+(?:is|are)\s+now\s+(?:available|in\s+service|going\s+through|connecting)"
        ),
        False,
        ("again", "now", "normally"),
    ),
]
_ALL_KEYWORDS: tuple[str, ...] = tuple(
    sorted(
        {k for *_, keys in _OUTAGE_PATTERNS for k in keys}
        | {k for _, keys in _WORKS_PATTERNS for k in keys}
        | {k for _, _, keys in _RESTORED_PATTERNS for k in keys}
    )
)
_RESTORE_VETO = re.compile(
    r"\b(?:if|unless|whether|expect\w*|anticipat\w*|estimat\w*|hope\w*|working\s+to|"
    r"work\s+to|will|should|could|may|might|not\s+yet)\b",
    _I,
)
_RESTORE_VETO_TEMPORAL = re.compile(r"\b(?:when|once|until|till|as\s+soon\s+as|before)\b", _I)
_NARRATED = re.compile(r"\b(?:was|were|had)\b", _I)
_WORKS_VETO = re.compile(r"\b(?:when|once|until|till|if|unless|whether|as\s+soon\s+as)\b", _I)
_ALL_CLEAR = re.compile(r"\ball[\s-]+clear\b", _I)
_STILL = re.compile(
    r"\b(?:still|remains?|remained|continues?|continuing|partial\w*|some\s+areas)\b", _I
)
_CONDITIONAL = re.compile(r"\b(?:if|in\s+the\s+event|in\s+case|should|whenever|unless|when)\b", _I)
# a person kept from calling 911 (a crime story), not a network that fails
_PERSON_BLOCKED_FAMILIES = frozenset(
    {
        "cannot_reach",
        "preventing_911",
        "knocked_out_911",
        "ability_to_911",
        "trouble_reaching",
        "no_one_reaches_911",
    }
)
_CRIME_CONTEXT = re.compile(
    r"\b(?:abuser|abusive|(?:the|a)\s+suspect|boyfriend|girlfriend|husband|ex-\w+|domestic|assault\w*|"
    r"charged|charges|arrested|kidnapp\w*|strangl\w*|hostage|victims?|"
    r"(?:took|grabbed|smashed|broke|snatched|threw)\s+(?:away\s+)?(?:her|his|their|the\s+victim['’]s)"
    r"\s+(?:cell\s*)?phone|interfer\w+\s+with)\b",
    _I,
)
_CALLED_BEFORE = re.compile(r"\b(?:call|dial|text|contact|phone|use|using)\s*$", _I)
_TEXT_TO_911_PSA = re.compile(
    r"\b(?:deaf|hard\s+of\s+hearing|speech|unable\s+to\s+speak|can['’]t\s+speak|"
    r"not\s+safe|unsafe)\b",
    _I,
)

# ---- tests, imperatives, TOE ---------------------------------------------------------
_TEST_TEXT_RE = re.compile(
    r"(?<!not\s)(?<!n['’]t\s)\bthis\s+is\s+(?:only\s+)?an?\s+(?:test|drill|exercise)\b|"
    r"\b(?:this\s+is\s+)?only\s+an?\s+(?:test|drill|exercise)\b|"
    r"\btest\s+(?:message|alert|only)\b|\bexercise[,\s]+exercise\b|"
    r"\b(?:ipaws|eas|wea)\s+test\b",
    _I,
)
_TEST_EVENT_RE = re.compile(
    r"\brequired\s+(?:weekly|monthly)\s+test\b|\bpractice\s*/\s*demo\b|\bdemo\s+warning\b|"
    r"\bnational\s+(?:periodic|audible|silent)\s+test\b|^\s*test\s*$",
    _I,
)
_TOE_EVENT_RE = re.compile(
    r"\b(?:911|9-1-1)\s+telephone\s+outage\b|\btelephone\s+outage\s+emergency\b", _I
)
_IMPERATIVE_RE = _rx(
    r"\b(?:call|dial|text|contact|phone|notify|reach)(?:\s+(?:the\s+)?(?:local\s+)?)?\s+<TERM>"
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

# Aliases that are ordinary words: matched only as written or in capitals, and not when
# they begin the name of a place, agency or thing.
_CASED_ALIASES = frozenset(
    {
        "Frontier",
        "Consolidated",
        "Charter",
        "Spectrum",
        "Cox",
        "Sprint",
        "Lumen",
        "Optimum",
        "ATT",
        "TDS",
        "GCI",
        "Level 3",
        "Hexagon Safety",
        "Altice",
        "Embarq",
        "Vonage",
        "Zayo",
        "Carbyne",
        "Peraton",
        "Zetron",
        "Solacom",
        "Synergem",
        "Comtech",
        "Intrado",
        "Brightspeed",
        "Windstream",
        "Mediacom",
        "Sparklight",
        "Xfinity",
        "Comcast",
        "Verizon",
        "Motorola",
        "Qwest",
        "FairPoint",
        "FirstNet",
    }
)
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


def _alias_regex(alias: str) -> str:
    body = re.escape(alias).replace(r"\ ", r"\s+")
    if alias in _CASED_ALIASES:
        upper = re.escape(alias.upper()).replace(r"\ ", r"\s+")
        alt = body if upper == body else f"{body}|{upper}"
        core = f"(?-i:{alt})"
    else:
        core = body
    ambiguous = alias in _CASED_ALIASES or alias.startswith("Consolidated")
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
        words = re.findall(r"[A-Za-z0-9]+", alias)
        key = max(words, key=len).lower() if words else alias.lower()
        out.append(_Alias(provider, alias, key, re.compile(_alias_regex(alias), _I)))
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


_PHONE_GOOD_CONTEXT = re.compile(
    r"\b(?:instead|alternat\w*|backup|back-up|directly|(?<!non-)(?<!non\s)(?<!non)emergenc\w*|"
    r"unable|cannot|can['’]t|not\s+able|get\s+through|if\s+you|outage|down|until)\b",
    _I,
)
_PHONE_CALL_CONTEXT = re.compile(r"\b(?:call|dial|text|contact|reach|phone|use|at)\b", _I)
_PHONE_BAD_CONTEXT = re.compile(
    r"\b(?:fax|media|press|questions?|inquir\w*|more\s+information|information\s+only|"
    r"information\s+line|info\s+line|updates?|website|no\s+longer|non-?\s?emergencies|"
    # "for non-emergency matters call ..." (but "call the non-emergency line" in an outage
    # is the backup)
    r"for\s+(?:all\s+|other\s+)?non-?\s?emergency)\b",
    _I,
)
# what follows a number can disqualify it too: "605-555-0100 (non-emergency)", "... for
# media questions", "... is for information only"
_PHONE_BAD_AFTER = re.compile(
    r"\W{0,3}(?:is\s+|line\s+|number\s+)?(?:only\s+)?(?:for\s+)?(?:non-?\s?emergenc\w*|media|"
    r"press|information|info\b|questions?|inquir\w*|updates?|fax|general)",
    _I,
)
# A labelled number, "Massachusetts State Police: 508-555-0119", "Sheriff's Office –
# 605-555-0100", "Douglas County 402-555-0110": an agency name right before the number.
_PHONE_LABEL = re.compile(
    r"(?:^|[\s(])(?P<label>(?:[A-Z][\w.'’&]*|of|the|and|&)(?:\s+(?:[A-Z][\w.'’&-]*|of|the|"
    r"and|&)){0,6})\s*(?:[:–—-]|\s)\s*\(?$"
)
_PHONE_AGENCY = re.compile(
    r"\b(?:police|sheriff\w*|county|parish|borough|city|town|township|village|fire|"
    r"dispatch\w*|communications?|comm|office|department|dept|center|centre|psap|patrol|"
    r"troop\w*|ems|rescue|ambulance|marshal\w*|constable|safety|state)\b",
    _I,
)


def _phone_candidates(text: str) -> list[tuple[int, str, str]]:
    """(score, "605-555-0100", span) for each US number in the text that reads as a backup."""
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
        before = text[max(lo, m.start - 120) : m.start]
        score = 0
        if _PHONE_GOOD_CONTEXT.search(before):
            score += 3
        if _PHONE_CALL_CONTEXT.search(before):
            score += 2
        if _PHONE_BAD_CONTEXT.search(before):
            score -= 4
        if _PHONE_BAD_AFTER.match(text, m.end, hi):
            score -= 6
        if score < 2:
            # no call/dial next to it: a number labelled with an agency name still is the
            # one to call ("Massachusetts State Police: 508-555-0119"). The label may sit
            # across a " - " clause break, never across a sentence.
            near = text[max(0, m.start - 60) : m.start]
            near = re.split(r"[.!?;\n]\s", near)[-1]
            label = _PHONE_LABEL.search(near)
            if label and _PHONE_AGENCY.search(label.group("label")) and score >= 0:
                score = 2
        if score < 2:
            continue
        span_lo = max(lo, m.start - 80)
        if span_lo > lo:  # start the span on a word
            space = text.find(" ", span_lo, m.start)
            span_lo = space + 1 if space >= 0 else span_lo
        out.append((score, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", text[span_lo : m.end]))
    return out


def find_backup_phone(text: str | None) -> tuple[str, str] | None:
    """The number the text tells people to call instead of 911: ("605-555-0100", span).

    NANP numbers only, formatted NPA-NXX-XXXX; never 911 (or any N11 code); a number next to
    "media", "questions", "fax" or "updates" is not a backup number.
    """
    if not text:
        return None
    candidates = _phone_candidates(text)
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
            for m in _TEST_TEXT_RE.finditer(t):
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
                    if _WORKS_PREFIX_VETO.search(prefix) or _WORKS_VETO.search(prefix):
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
                    if subject_first and _CALLED_BEFORE.search(
                        t, max(0, m.start() - 12), m.start()
                    ):
                        continue
                    if not subject_first and _TEXT_TO_911_PSA.search(t, lo, hi):
                        continue  # "if you are deaf ... and cannot call 911, text 911"
                    if _name in _PERSON_BLOCKED_FAMILIES and _CRIME_CONTEXT.search(t, lo, hi):
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
            _RESTORE_VETO.search(prefix)
            or _WORKS_PREFIX_VETO.search(prefix)
            or (_RESTORE_VETO_TEMPORAL.search(prefix) and not _NARRATED.search(m.group(0)))
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
        m = _TEST_EVENT_RE.search(event) if event else None
        if m:
            evidence = event[m.start() : m.end()]
        elif code in TEST_EVENT_CODES:
            evidence = (alert.event_code or "").strip()
        else:
            evidence = (alert.cap_status or "").strip()
        return _result(False, 0.99, evidence, "test")
    low_event = event.lower()
    if "test" in low_event or "demo" in low_event:  # every test event name has one
        m = _TEST_EVENT_RE.search(event)
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
