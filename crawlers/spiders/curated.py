"""Hand-verified major 911 outages, kept as data (`crawlers/data/curated_incidents.json`).

Each record is one outage with its facts (dates with offsets, states, counties, duration,
cause, provider, counts) and a citation (url, title, exact quote) for every fact; see
`crawlers/data/CURATED.md` for the format and the verification rule. The spider reads the
committed file through a `file://` URL computed at run time, so a crawl archives it like any
other response and a replay (`--replay`) reads the archived copy: any archived URL that ends
in `/curated_incidents.json` is a start URL.

Curated records are classified by hand: the spider sets `is_outage`, `status` and
`confidence` itself. A malformed record (no key, an unknown state, a bad date, a fact without
a citation, ...) is recorded in `crawl_errors` and skipped; the others are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.http import Request, Response

from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.base import OutageSpider, PageError
from warehouse import geography as geo
from warehouse.taxonomy import CAUSES

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "curated_incidents.json"
FILE_NAME = "curated_incidents.json"

# Record fields that are facts: each needs a citation when it is not null.
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
)
TIME_FIELDS = ("started_at", "ended_at", "first_reported_at")
COUNT_FIELDS = ("duration_minutes", "calls_affected", "people_affected", "psaps_affected")
# Record field -> report column, where the names differ.
ITEM_FIELD = {
    "duration_minutes": "stated_duration_minutes",
    "states": "state_codes",
    "counties": "county_fips",
}
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")


class RecordError(ValueError):
    """One curated record cannot be used as it is."""


class CuratedSpider(OutageSpider):
    name = "curated"
    source_title = "Hand-verified major 911 outages (911 Outage Watch)"
    source_home = "https://github.com/outage-watch/outage-watch/blob/main/crawlers/data/CURATED.md"
    coverage_states = "all"
    coverage_since = "2014-04-09"
    cadence_minutes = 24 * 60
    source_kind = "curated"
    unverified_because = (
        "nothing to record: the source is this project's own file "
        "crawlers/data/curated_incidents.json, read through a file:// URL, not a page of "
        "another site; every record cites its sources (url, title, exact quote)"
    )
    robots_txt = "not applicable: a local file, no host is fetched"
    terms = "not applicable: this project's own data (its licence: the project's)"
    empty_ok_because = None
    allowed_domains: list[str] = []  # a local file: no host to restrict

    def live_requests(self) -> Iterator[Request]:
        yield self.request(DATA_FILE.as_uri(), self.parse)

    def is_start_url(self, url: str) -> bool:
        return url.split("?", 1)[0].endswith("/" + FILE_NAME)

    def parse_page(self, response: Response) -> Iterator[OutageReport]:
        payload = self.load_json(response, "curated incidents file")
        records = payload.get("incidents") if isinstance(payload, dict) else None
        if not isinstance(records, list) or not records:
            raise PageError("curated incidents file has no 'incidents' list")
        meta = self.meta_of(response)
        seen: set[str] = set()
        for index, record in enumerate(records):
            label = record.get("key") if isinstance(record, dict) else None
            try:
                item = curated_report(record, meta=meta)
                if item["report_id"] in seen:
                    raise RecordError(f"duplicate key {record['key']!r}")
            except RecordError as exc:
                self.record_error(
                    response.url,
                    f"record {index} ({label or 'no key'}): {exc}",
                    error_type="CuratedRecordError",
                    archive_ref=meta["archive_ref"],
                )
                continue
            seen.add(item["report_id"])
            yield item


def _time(record: dict, name: str) -> datetime | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name} is not an ISO 8601 string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"{name} is not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise RecordError(f"{name} has no UTC offset: {value!r}")
    return parsed


def _citations(record: dict) -> dict[str, list[dict]]:
    cites = record.get("citations")
    if not isinstance(cites, dict) or not cites:
        raise RecordError("no citations")
    for name, entries in cites.items():
        if not isinstance(entries, list) or not entries:
            raise RecordError(f"citations of {name} are not a non-empty list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise RecordError(f"a citation of {name} is not an object")
            url, quote = entry.get("url"), entry.get("quote")
            if not (isinstance(url, str) and re.match(r"^https?://", url)):
                raise RecordError(f"a citation of {name} has no http(s) url")
            if not (isinstance(quote, str) and quote.strip()):
                raise RecordError(f"a citation of {name} has no quote")
    return cites


def validate_record(record: Any) -> dict[str, Any]:
    """The checked facts of one record (raises `RecordError` with the reason)."""
    if not isinstance(record, dict):
        raise RecordError("not an object")
    key = record.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise RecordError(f"missing or malformed key: {key!r}")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise RecordError("missing title")
    day = record.get("date")
    try:
        datetime.strptime(str(day), "%Y-%m-%d")
    except ValueError as exc:
        raise RecordError(f"date is not YYYY-MM-DD: {day!r}") from exc
    times = {name: _time(record, name) for name in TIME_FIELDS}
    if times["started_at"] and times["ended_at"] and times["ended_at"] < times["started_at"]:
        raise RecordError("ended_at is before started_at")
    states = record.get("states")
    if not isinstance(states, list) or not states:
        raise RecordError("no states")
    for code in states:
        if not isinstance(code, str) or geo.normalize_state_code(code) != code:
            raise RecordError(f"unknown state {code!r} (USPS codes only)")
    counties = record.get("counties") or []
    if not isinstance(counties, list):
        raise RecordError("counties is not a list")
    for fips in counties:
        if not isinstance(fips, str) or geo.normalize_county_fips(fips) != fips:
            raise RecordError(f"unknown county {fips!r} (5-digit FIPS only)")
        if geo.state_code_from_fips(fips[:2]) not in states:
            raise RecordError(f"county {fips} is not in one of the record's states")
    cause = record.get("cause")
    if cause is not None and cause not in CAUSES:
        raise RecordError(f"unknown cause {cause!r}")
    for name in COUNT_FIELDS:
        value = record.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise RecordError(f"{name} is not a whole number: {value!r}")
    provider = record.get("provider")
    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise RecordError("provider is not a name")
    cites = _citations(record)
    unverified = record.get("unverified") or []
    for name in FACT_FIELDS:
        value = record.get(name)
        if value in (None, []) or name in cites:
            continue
        raise RecordError(f"{name} has no citation")
    return {
        "key": key,
        "title": title.strip(),
        "times": times,
        "states": states,
        "counties": counties,
        "cause": cause,
        "provider": provider,
        "citations": cites,
        "unverified": list(unverified),
    }


def curated_report(record: Any, *, meta: dict) -> OutageReport:
    """One curated record as an `OutageReport` (raises `RecordError` when malformed)."""
    checked = validate_record(record)
    times, cites = dict(checked["times"]), checked["citations"]
    # A fact the curator could not confirm stays in the body ("Not confirmed"), not in the data.
    for name in checked["unverified"]:
        if name in times:
            times[name] = None
    first = next(iter(cites.values()))[0]
    field_evidence = {
        ITEM_FIELD.get(name, name): entries[0]["quote"] for name, entries in cites.items()
    }
    if checked["unverified"]:
        field_evidence["unverified"] = ", ".join(checked["unverified"])
    return OutageReport(
        report_id=make_report_id("curated", checked["key"]),
        source="curated",
        source_url=first["url"],
        archive_ref=meta["archive_ref"],
        fetched_at=meta["fetched_at"],
        is_constructed=meta["constructed"],
        published_at=times["started_at"] or times["first_reported_at"] or times["ended_at"],
        title=checked["title"],
        body=record_body(record),
        is_outage=True,
        status="outage",
        confidence=1.0,
        evidence=f"hand-curated record {checked['key']}",
        state_codes=list(checked["states"]),
        county_fips=list(checked["counties"]),
        started_at=times["started_at"],
        ended_at=times["ended_at"],
        stated_duration_minutes=record.get("duration_minutes"),
        statewide_states=[s for s in record.get("statewide") or [] if s in checked["states"]],
        occurred_on=_record_date(record),
        cause=checked["cause"],
        provider=checked["provider"],
        calls_affected=record.get("calls_affected"),
        psaps_affected=record.get("psaps_affected"),
        field_evidence=field_evidence,
    )


def _record_date(record: dict):
    """The record's local date (YYYY-MM-DD), for records whose times are unknown."""
    from datetime import date

    try:
        return date.fromisoformat(str(record.get("date") or "")[:10])
    except ValueError:
        return None


def record_body(record: dict) -> str:
    """The record as readable text: summary, notes, and every citation with its quote."""
    lines = [record.get("summary") or record["title"], ""]
    if record.get("people_affected") is not None:
        lines.append(f"People affected: {record['people_affected']:,}")
    for name in ("cause_detail", "provider_detail"):
        if record.get(name):
            lines.append(f"{name.replace('_', ' ').capitalize()}: {record[name]}")
    if record.get("unverified"):
        lines.append("Not confirmed: " + ", ".join(record["unverified"]))
    for note in record.get("notes") or []:
        lines.append(f"Note: {note}")
    lines += ["", "Citations:"]
    for name, entries in record["citations"].items():
        for entry in entries:
            via = f" (read via {entry['via']})" if entry.get("via") else ""
            lines.append(
                f"- {name}: \u201c{entry['quote']}\u201d \u2014 {entry.get('title', '')} "
                f"<{entry['url']}>{via}"
            )
    return "\n".join(lines).strip()
