"""Incidents: reports that describe the same outage, joined and explained.

A 911 outage leaves many traces: the first alert, its updates and all-clear, the state's
press release, news stories, an FCC report months later. `cluster` joins outage reports into
incidents; `incident_facts` derives what a journalist cites. Both are pure functions of the
reports (no I/O), deterministic and independent of the order the reports come in:

1. Reports of one alert thread (CAP references, already joined by the build as `thread_id`)
   form one unit. Every other outage report is a unit of its own.
2. Two units belong to the same incident when their time windows overlap or lie within
   `MERGE_GAP` of each other, and
   - their places overlap (a shared county; a statewide report overlaps every county of its
     state; two reports that name only states overlap when a state is shared), and their
     providers do not contradict each other (both known and disjoint), or
   - they name the same provider (a carrier outage across states, such as 2018 CenturyLink).
   A report that names the documented record it is about (`curated_key`: an FCC document
   tied to a curated record in crawlers/data/fcc_documents.csv) joins that record's unit,
   whatever the time, places and providers: the link is reviewed, not inferred.
3. Incidents are the connected components of that relation. The relation is decided pair by
   pair on units, never on growing clusters, so the result does not depend on order.

The incident id is derived from its earliest member report (by publication, then id), so it
stays the same when later reports join.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from warehouse.taxonomy import cause_label, source_weight

# Tunable windows (documented in docs/methodology.md).
MERGE_GAP = timedelta(hours=6)  # units this close in time may be the same outage
OPEN_END = timedelta(
    hours=12
)  # an outage with no all-clear is assumed to run this long past its last report
REPORT_LAG = timedelta(hours=48)  # a report with no stated times describes the 48 h before it
DAY_SLACK = timedelta(hours=10)  # a stated day, widened to cover every US time zone


@dataclass(frozen=True)
class Report:
    """The fields of an outage report that incident building reads."""

    report_id: str
    source: str
    source_kind: str
    status: str
    published_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    state_codes: tuple[str, ...]
    county_fips: tuple[str, ...]
    thread_id: str | None = None
    cause: str | None = None
    provider: str | None = None
    confidence: float = 0.5
    source_url: str | None = None
    backup_phone: str | None = None
    sender_name: str | None = None
    stated_duration_minutes: int | None = None
    is_constructed: bool = False
    statewide: tuple[str, ...] = ()  # states the source says were affected as a whole
    occurred_on: date | None = None  # the day, when the document gives no time
    # The documented record's key: a curated report's own, or the one a document is about
    # by a reviewed link (an FCC document's `incident_key` in crawlers/data/fcc_documents.csv).
    curated_key: str | None = None

    @classmethod
    def from_row(cls, row: Mapping) -> Report:
        return cls(
            report_id=row["report_id"],
            source=row["source"],
            source_kind=row.get("source_kind") or "unknown",
            status=row["status"],
            published_at=row.get("published_at"),
            started_at=row.get("started_at"),
            ended_at=row.get("ended_at"),
            state_codes=tuple(row.get("state_codes") or ()),
            county_fips=tuple(row.get("county_fips") or ()),
            thread_id=row.get("thread_id"),
            cause=row.get("cause"),
            provider=row.get("provider"),
            confidence=row.get("confidence") or 0.5,
            source_url=row.get("source_url"),
            backup_phone=row.get("backup_phone"),
            sender_name=row.get("sender_name"),
            stated_duration_minutes=row.get("stated_duration_minutes"),
            is_constructed=bool(row.get("is_constructed")),
            statewide=tuple(row.get("statewide_states") or ()),
            occurred_on=row.get("occurred_on"),
            curated_key=row.get("curated_key"),
        )

    @property
    def order_key(self) -> tuple:
        return (
            self.published_at is None,
            self.published_at or datetime.min.replace(tzinfo=UTC),
            self.report_id,
        )

    @property
    def statewide_states(self) -> frozenset[str]:
        return frozenset(self.statewide)

    @property
    def state_level(self) -> frozenset[str]:
        """States named as a whole or without any county: for joining, they overlap every
        county of the state (for facts, only `statewide` states count every county)."""
        from warehouse.geography import state_code_from_fips

        county_states = {state_code_from_fips(fips[:2]) for fips in self.county_fips}
        return frozenset(self.statewide) | {s for s in self.state_codes if s not in county_states}


@dataclass
class Unit:
    """One alert thread, or one lone report: the atoms that clustering joins."""

    reports: list[Report]
    window_start: datetime
    window_end: datetime
    counties: frozenset[str]
    state_level: frozenset[str]
    states: frozenset[str]
    providers: frozenset[str]

    @property
    def key(self) -> tuple:
        return min(r.order_key for r in self.reports)


def make_unit(reports: list[Report]) -> Unit:
    starts = [r.started_at for r in reports if r.started_at and r.status in ("outage", "update")]
    starts += [r.started_at for r in reports if r.started_at and r.source_kind != "alert"]
    ends = [r.ended_at for r in reports if r.ended_at]
    published = [r.published_at for r in reports if r.published_at]
    last_seen = max(published + ends + starts, default=None)
    days = [r.occurred_on for r in reports if r.occurred_on]
    if not starts and days:
        # A document that gives the day but no time: that day, in any US time zone.
        window_start = datetime.combine(min(days), datetime.min.time(), UTC) - DAY_SLACK
        window_end = (
            datetime.combine(max(days), datetime.min.time(), UTC) + DAY_SLACK + timedelta(days=1)
        )
        return _unit(reports, window_start, max(ends) if ends else window_end)
    # An all-clear, or a document that states no time, describes what came before it.
    window_start = min(starts) if starts else min(published + ends) - REPORT_LAG
    window_end = max(ends) if ends else last_seen + OPEN_END
    return _unit(reports, window_start, window_end)


def _unit(reports: list[Report], window_start: datetime, window_end: datetime) -> Unit:
    return Unit(
        reports=sorted(reports, key=lambda r: r.order_key),
        window_start=window_start,
        window_end=max(window_end, window_start),
        counties=frozenset(c for r in reports for c in r.county_fips),
        state_level=frozenset().union(*(r.state_level for r in reports)),
        states=frozenset(s for r in reports for s in r.state_codes),
        providers=frozenset(r.provider for r in reports if r.provider),
    )


def units_of(reports: Iterable[Report]) -> list[Unit]:
    threads: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        threads[report.thread_id or report.report_id].append(report)
    units = [
        make_unit(members)
        for members in threads.values()
        if _has_time(members) and _has_place_or_provider(members)
    ]
    return sorted(units, key=lambda u: u.key)


def _has_place_or_provider(reports: list[Report]) -> bool:
    """A report that names neither a place nor a provider cannot be tied to any outage."""
    return any(r.state_codes or r.county_fips or r.provider for r in reports)


def _has_time(reports: list[Report]) -> bool:
    return any(r.published_at or r.started_at or r.ended_at or r.occurred_on for r in reports)


def places_overlap(a: Unit, b: Unit) -> bool:
    return bool(a.counties & b.counties or a.state_level & b.states or b.state_level & a.states)


def same_outage(a: Unit, b: Unit) -> bool:
    """The pairwise rule (see the module docstring)."""
    if a.window_start - b.window_end > MERGE_GAP or b.window_start - a.window_end > MERGE_GAP:
        return False
    if a.providers and b.providers:
        # The same carrier at the same time, in any state; two different carriers: two outages.
        return bool(a.providers & b.providers)
    return places_overlap(a, b)


def cluster(reports: Iterable[Report]) -> list[list[Report]]:
    """Outage reports -> incidents (lists of reports), deterministic and order-independent."""
    units = units_of(reports)
    parent = list(range(len(units)))
    providers = [set(u.providers) for u in units]  # per group root: the providers named

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # A report tied by a reviewed link to the documented record it is about joins that
    # record's incident first, whatever the providers: an FCC consent decree names its party
    # (the covered 911 service provider, Lumen), the record the company at fault (its NG911
    # subcontractor, Intrado), and the document often states no place to join by.
    record_unit = {
        r.curated_key: i
        for i, u in reversed(list(enumerate(units)))
        for r in u.reports
        if r.source_kind == "curated" and r.curated_key
    }
    for i, unit in enumerate(units):
        for key in sorted({r.curated_key for r in unit.reports if r.curated_key}):
            a, b = find(i), find(record_unit.get(key, i))
            if a != b:
                root, child = min(a, b), max(a, b)
                parent[child] = root
                providers[root] |= providers[child]
    # Links, strongest evidence first (then in a canonical order), each joining two groups
    # unless the groups name different providers: a weak link (a news story listing four
    # states) cannot merge outages that better sources tie to different carriers.
    for _, i, j in sorted(candidate_links(units)):
        a, b = find(i), find(j)
        if a == b or (providers[a] and providers[b] and not providers[a] & providers[b]):
            continue
        root, child = min(a, b), max(a, b)
        parent[child] = root
        providers[root] |= providers[child]
    groups: dict[int, list[Report]] = defaultdict(list)
    for i, unit in enumerate(units):
        groups[find(i)].extend(unit.reports)
    incidents = [sorted(members, key=lambda r: r.order_key) for members in groups.values()]
    return sorted(incidents, key=lambda members: members[0].order_key)


def candidate_links(units: list[Unit]) -> list[tuple[float, int, int]]:
    """Pairs of units that `same_outage` relates, as (-strength, i, j) with i < j.

    Units are in canonical order (`units_of` sorts them), so indexes are stable; a sweep in
    time order compares only units whose windows come within MERGE_GAP of each other.
    """
    order = sorted(range(len(units)), key=lambda i: (units[i].window_start, units[i].key))
    strength = [max(weight(r) for r in u.reports) for u in units]
    links = []
    active: list[int] = []
    for i in order:
        unit = units[i]
        active = [j for j in active if units[j].window_end + MERGE_GAP >= unit.window_start]
        for j in active:
            if same_outage(units[j], unit):
                links.append((-min(strength[i], strength[j]), min(i, j), max(i, j)))
        active.append(i)
    return links


# ---------------------------------------------------------------------------- facts
@dataclass
class Incident:
    incident_id: str
    title: str
    started_at: datetime | None
    ended_at: datetime | None
    started_on: date | None
    duration_minutes: int | None
    state_codes: list[str]
    county_fips: list[str]
    statewide_states: list[str]
    population_affected: int | None
    cause: str | None
    provider: str | None
    causes_reported: list[str]
    providers_reported: list[str]
    report_count: int
    source_count: int
    sources: list[str]
    confidence: float
    first_report_url: str | None
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    backup_phones: list[str]
    constructed_reports: int
    authoritative_backup_number: str | None = None
    authoritative_backup_source: str | None = None
    authoritative_backup_at: datetime | None = None
    backup_numbers_reported: list[str] = field(default_factory=list)
    corroborated: bool = False
    report_ids: list[str] = field(default_factory=list)


def incident_id_for(earliest: Report) -> str:
    return "i-" + hashlib.sha256(earliest.report_id.encode()).hexdigest()[:16]


def weight(report: Report) -> float:
    return source_weight(report.source_kind)


def best_value(reports: list[Report], attribute: str) -> tuple[str | None, list[str]]:
    """The value stated by the most reliable kind of source (most often, then alphabetically),
    and every value reported, with its source, so that disagreements stay visible."""
    stated = [
        (weight(r), getattr(r, attribute), r.source)
        for r in reports
        if getattr(r, attribute) and getattr(r, attribute) != "unknown"
    ]
    reported = sorted({f"{value} ({source})" for _, value, source in stated})
    if not stated:
        unknown = any(getattr(r, attribute) == "unknown" for r in reports)
        return ("unknown" if unknown else None), reported
    top = max(w for w, _, _ in stated)
    counts = Counter(value for w, value, _ in stated if w == top)
    value = sorted(counts, key=lambda v: (-counts[v], v))[0]
    return value, reported


def incident_start(reports: list[Report]) -> datetime | None:
    """Earliest credible start: news times only when nothing more reliable gives one."""
    starts = [
        (weight(r), r.started_at)
        for r in reports
        if r.started_at and r.status in ("outage", "update")
    ]
    credible = [s for w, s in starts if w >= source_weight("alert")] or [s for _, s in starts]
    return min(credible) if credible else None


def incident_end(reports: list[Report]) -> datetime | None:
    """The all-clear, or an end a reliable source states; NULL while any thread is open."""
    stated = [
        (weight(r), r.ended_at)
        for r in reports
        if r.ended_at and r.source_kind in ("curated", "regulator", "agency")
    ]
    if stated:
        top = max(w for w, _ in stated)
        return max(e for w, e in stated if w == top)
    threads: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        if r.source_kind == "alert":
            threads[r.thread_id or r.report_id].append(r)
    all_clears = [r for r in reports if r.status in ("restored", "cancelled") and r.published_at]
    ends = []
    for members in threads.values():
        if not any(m.status in ("outage", "update") for m in members):
            continue
        end = min((m.ended_at for m in members if m.ended_at), default=None)
        if end is None:
            end = _unreferenced_all_clear(members, all_clears)
        if end is None:
            return None  # one part of the outage has no all-clear yet
        ends.append(end)
    if ends:
        return max(ends)
    restored = [r.ended_at for r in reports if r.status == "restored" and r.ended_at]
    return max(restored) if restored else None


def _unreferenced_all_clear(thread: list[Report], all_clears: list[Report]) -> datetime | None:
    """An all-clear sent as a new alert (no CAP references) that covers the thread's places."""
    start = min(
        (m.started_at or m.published_at for m in thread if m.started_at or m.published_at),
        default=None,
    )
    counties = {c for m in thread for c in m.county_fips}
    states = {s for m in thread for s in m.state_codes}
    candidates = [
        r.published_at
        for r in all_clears
        if r not in thread
        and (start is None or r.published_at >= start)
        and (
            counties & set(r.county_fips)
            or (not r.county_fips and states & set(r.state_codes))
            or (not counties and states & set(r.state_codes))
        )
    ]
    return min(candidates) if candidates else None


def incident_confidence(reports: list[Report]) -> float:
    """1 - prod(1 - weight * confidence) over independent sources: more sources, higher."""
    best_by_source: dict[str, float] = {}
    for r in reports:
        score = weight(r) * (r.confidence or 0.5)
        best_by_source[r.source] = max(best_by_source.get(r.source, 0.0), score)
    doubt = math.prod(1.0 - s for s in best_by_source.values())
    return round(min(1.0, 1.0 - doubt), 3)


def incident_facts(
    reports: list[Report],
    *,
    county_population: Mapping[str, int],
    state_population: Mapping[str, int],
    counties_by_state: Mapping[str, list[str]],
    state_names: Mapping[str, str],
    county_names: Mapping[str, str] | None = None,
    source_titles: Mapping[str, str] | None = None,
) -> Incident:
    """`source_titles`: spider name -> declared source title (the `sources` table), for the
    "per <who>" of a backup number; a source without one is named by its spider."""
    reports = sorted(reports, key=lambda r: r.order_key)
    earliest = reports[0]
    # Places from alerts, agencies, the FCC and curated records when there are any: a news
    # story's list of states is not evidence enough to widen an outage.
    placed = [r for r in reports if weight(r) >= source_weight("alert")] or reports
    states = sorted({s for r in placed for s in r.state_codes})
    statewide = sorted(set().union(*(r.statewide_states for r in placed)))
    named = sorted({c for r in placed for c in r.county_fips})
    counties = sorted(set(named) | {c for s in statewide for c in counties_by_state.get(s, [])})
    started, ended = incident_start(reports), incident_end(reports)
    if started and ended and ended < started:
        ended = None  # an end before the start is no end we can use
    duration = int((ended - started).total_seconds() // 60) if started and ended else None
    if duration is None:
        stated = [
            (weight(r), r.stated_duration_minutes) for r in reports if r.stated_duration_minutes
        ]
        duration = max(stated)[1] if stated else None
    population = sum(state_population.get(s, 0) for s in statewide) + sum(
        county_population.get(c, 0)
        for c in named
        if not _in_states(c, statewide, counties_by_state)
    )
    cause, causes = best_value(reports, "cause")
    provider, providers = best_value(reports, "provider")
    published = [r.published_at for r in reports if r.published_at]
    incident = Incident(
        incident_id=incident_id_for(earliest),
        title="",
        started_at=started,
        ended_at=ended,
        started_on=_started_on(started, reports, published, states),
        duration_minutes=duration,
        state_codes=states,
        county_fips=counties,
        statewide_states=statewide,
        population_affected=population or None,
        cause=cause,
        provider=provider,
        causes_reported=causes,
        providers_reported=providers,
        report_count=len(reports),
        source_count=len({r.source for r in reports}),
        sources=sorted({r.source for r in reports}),
        confidence=incident_confidence(reports),
        first_report_url=earliest.source_url,
        first_reported_at=min(published) if published else None,
        last_reported_at=max(published) if published else None,
        backup_phones=sorted({r.backup_phone for r in reports if r.backup_phone}),
        constructed_reports=sum(r.is_constructed for r in reports),
        report_ids=[r.report_id for r in reports],
        backup_numbers_reported=backup_numbers_reported(reports),
        corroborated=is_corroborated(reports),
    )
    backup = authoritative_backup(reports, source_titles)
    if backup:
        number, by, at = backup
        incident.authoritative_backup_number = number
        incident.authoritative_backup_source = by
        incident.authoritative_backup_at = at
    incident.title = incident_title(incident, named, state_names, county_names or {})
    return incident


# ---------------------------------------------------------------------------- backup rule
# Kinds of source whose backup number may be shown as an instruction ("If you cannot reach
# 911 there, call ..."): a curated record, the FCC, a government agency's own page, an
# official alert by its sender. News, and sources that do not say what they are, never.
AUTHORITATIVE_KINDS = frozenset({"curated", "regulator", "agency", "alert"})


def is_authoritative(report: Report) -> bool:
    return report.source_kind in AUTHORITATIVE_KINDS


def authoritative_backup(
    reports: list[Report], source_titles: Mapping[str, str] | None = None
) -> tuple[str, str, datetime | None] | None:
    """(number, who gave it, when) when authoritative reports give a backup number and all of
    them give the same one; None when none does or two of them disagree (a wrong number is
    the worst thing this product can show, so a disagreement shows none). `who` is the
    alert's sender name, else the source's title (from `source_titles`); `when` the latest
    report that gave it."""
    given = [r for r in reports if is_authoritative(r) and r.backup_phone]
    if not given or len({_numbers(r.backup_phone) for r in given}) != 1:
        return None
    latest = max(given, key=lambda r: r.order_key)
    return latest.backup_phone, source_label(latest, source_titles), latest.published_at


def _numbers(text: str) -> frozenset[str]:
    import re

    return frozenset(re.sub(r"\D", "", n)[-10:] for n in text.split(",") if n.strip())


def source_label(report: Report, source_titles: Mapping[str, str] | None = None) -> str:
    """Who said it, for "per <who>, 14:05": an alert's sender, else the source's title."""
    if report.source_kind == "alert" and report.sender_name:
        return report.sender_name
    return (source_titles or {}).get(report.source, report.source)


def backup_numbers_reported(reports: list[Report]) -> list[str]:
    """Every backup number any report gave, with its source ("713-555-0100 (khou_news)"): shown
    on the incident page as "reported by", never as an instruction."""
    return sorted({f"{r.backup_phone} ({r.source})" for r in reports if r.backup_phone})


def is_corroborated(reports: list[Report]) -> bool:
    """An authoritative report, or reports from two or more independent sources: the rule for
    showing an incident as "active now" (one low-confidence news item is not enough)."""
    return any(is_authoritative(r) for r in reports) or len({r.source for r in reports}) >= 2


def _started_on(started, reports, published, states) -> date | None:
    if started:
        return local_date(started, states)
    days = [r.occurred_on for r in reports if r.occurred_on]
    if days:
        return min(days)
    return local_date(min(published), states) if published else None


def _in_states(county: str, states: list[str], counties_by_state: Mapping[str, list[str]]) -> bool:
    return any(county in counties_by_state.get(s, ()) for s in states)


def incident_title(
    incident: Incident,
    named_counties: list[str],
    state_names: Mapping[str, str],
    county_names: Mapping[str, str],
) -> str:
    """ "911 outage in 12 South Dakota counties, 2024-04-17, 2 h 39 min, fiber cut"."""
    states = incident.state_codes
    names = [state_names.get(s, s) for s in states]
    if not states:
        where = "an unknown place"
    elif len(states) == 1 and states[0] in incident.statewide_states:
        where = f"statewide in {names[0]}"
    elif len(states) == 1 and len(named_counties) == 1 and named_counties[0] in county_names:
        where = f"{county_names[named_counties[0]]}, {names[0]}"
    elif len(states) == 1:
        n = len(named_counties)
        where = f"{n} {names[0]} count{'y' if n == 1 else 'ies'}" if n else names[0]
    elif len(states) <= 3:
        where = ", ".join(names[:-1]) + " and " + names[-1]
    else:
        where = f"{len(states)} states"
    parts = [
        f"911 outage {'' if where.startswith('statewide') else 'in '}{where}".replace("  ", " ")
    ]
    if incident.started_on:
        parts.append(incident.started_on.isoformat())
    if incident.duration_minutes is not None:
        hours, minutes = divmod(incident.duration_minutes, 60)
        parts.append(f"{hours} h {minutes} min" if hours else f"{minutes} min")
    if incident.cause and incident.cause != "unknown":
        parts.append(cause_label(incident.cause))
    return ", ".join(parts)


def local_date(moment: datetime, states: list[str]) -> date:
    """The date people there remember: in the main time zone of the most populous state."""
    from warehouse.geography import state_population

    main = max(states, key=lambda s: (state_population(s) or 0, s)) if states else None
    zone = state_time_zone(main) if main else None
    return (moment.astimezone(zone) if zone else moment.astimezone(UTC)).date()


def state_time_zone(state_code: str) -> ZoneInfo | None:
    import us

    state = us.states.lookup(state_code)
    if state is None or not state.time_zones:
        return None
    return ZoneInfo(state.time_zones[0])


# ---------------------------------------------------------------------------- warehouse
INCIDENT_COLUMNS = (
    "incident_id",
    "title",
    "started_at",
    "ended_at",
    "started_on",
    "duration_minutes",
    "state_codes",
    "county_fips",
    "statewide_states",
    "population_affected",
    "cause",
    "provider",
    "causes_reported",
    "providers_reported",
    "report_count",
    "source_count",
    "sources",
    "confidence",
    "first_report_url",
    "first_reported_at",
    "last_reported_at",
    "backup_phones",
    "constructed_reports",
    "authoritative_backup_number",
    "authoritative_backup_source",
    "authoritative_backup_at",
    "backup_numbers_reported",
    "corroborated",
)
REPORT_FIELDS_SQL = """
SELECT report_id, source, source_kind, status, published_at, started_at, ended_at, state_codes,
       county_fips, thread_id, cause, provider, confidence, source_url, backup_phone,
       sender_name, stated_duration_minutes, is_constructed, statewide_states, occurred_on,
       json_extract_string(field_evidence, '$.curated_key') AS curated_key
FROM reports WHERE is_outage
"""


def build_incidents(con) -> int:
    """Rebuild `incidents`, `incident_counties` and `reports.incident_id`; return the count."""
    import pyarrow as pa

    rows = con.sql(REPORT_FIELDS_SQL).to_arrow_table().to_pylist()
    reference = reference_maps(con)
    incidents = [
        incident_facts(group, **reference) for group in cluster(Report.from_row(r) for r in rows)
    ]
    columns = {name: [getattr(i, name) for i in incidents] for name in INCIDENT_COLUMNS}
    table = pa.table(columns, schema=_incident_schema())
    members = pa.table(
        {
            "report_id": [rid for i in incidents for rid in i.report_ids],
            "incident_id": [i.incident_id for i in incidents for _ in i.report_ids],
        },
        schema=pa.schema([("report_id", pa.string()), ("incident_id", pa.string())]),
    )
    con.register("_incident_batch", table)
    con.register("_incident_members", members)
    try:
        con.execute("DELETE FROM incidents")
        con.execute(
            f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) "
            f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM _incident_batch"
        )
        con.execute("UPDATE reports SET incident_id = NULL WHERE incident_id IS NOT NULL")
        con.execute(
            "UPDATE reports SET incident_id = m.incident_id FROM _incident_members AS m "
            "WHERE reports.report_id = m.report_id"
        )
        con.execute("DELETE FROM incident_counties")
        con.execute("""
            INSERT INTO incident_counties (incident_id, county_fips, state_code, county_name)
            SELECT i.incident_id, c.county_fips, c.state_code, c.county_name
            FROM (SELECT incident_id, unnest(county_fips) AS county_fips FROM incidents) AS i
            JOIN counties AS c USING (county_fips)
            ORDER BY 1, 2""")
    finally:
        con.unregister("_incident_batch")
        con.unregister("_incident_members")
    return len(incidents)


def reference_maps(con) -> dict:
    """Populations and names for incident facts, from the reference tables, and the sources'
    titles from the `sources` table (which the caller of build_and_publish wrote)."""
    from warehouse.sources import source_titles, stored_sources

    counties = con.execute(
        "SELECT county_fips, state_code, population, geometry IS NOT NULL, county_name "
        "FROM counties"
    ).fetchall()
    states = con.execute("SELECT state_code, state_name, population FROM states").fetchall()
    by_state: dict[str, list[str]] = defaultdict(list)
    for fips, state, _, drawn, _ in counties:
        if drawn:  # the same county set as report_counties: the map's shapes
            by_state[state].append(fips)
    return {
        "county_population": {fips: pop for fips, _, pop, _, _ in counties if pop},
        "county_names": {fips: name for fips, _, _, _, name in counties if name},
        "state_population": {code: pop for code, _, pop in states if pop},
        "counties_by_state": {k: sorted(v) for k, v in by_state.items()},
        "state_names": {code: name for code, name, _ in states},
        "source_titles": source_titles(stored_sources(con)),
    }


def _incident_schema():
    import pyarrow as pa

    ts, lst = pa.timestamp("us", tz="UTC"), pa.list_(pa.string())
    types = {
        "started_at": ts,
        "ended_at": ts,
        "started_on": pa.date32(),
        "first_reported_at": ts,
        "last_reported_at": ts,
        "authoritative_backup_at": ts,
        "corroborated": pa.bool_(),
        "duration_minutes": pa.int64(),
        "population_affected": pa.int64(),
        "report_count": pa.int64(),
        "source_count": pa.int64(),
        "constructed_reports": pa.int64(),
        "confidence": pa.float64(),
        **{
            name: lst
            for name in (
                "state_codes",
                "county_fips",
                "statewide_states",
                "causes_reported",
                "providers_reported",
                "sources",
                "backup_phones",
                "backup_numbers_reported",
            )
        },
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in INCIDENT_COLUMNS])
