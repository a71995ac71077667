"""Hand-verified 911 outages, kept as data: one file per incident in `crawlers/data/curated/`.

Each record is one outage with its facts (dates with offsets and precision, states, counties,
duration, cause, provider, counts, backup numbers) and a citation (url, publisher, date,
title, exact quote) for every fact; see `crawlers/data/CURATED.md` for format 2 and
`crawlers/curated_record.py` for the check. The spider reads each committed file through a
`file://` URL computed at run time, so a crawl archives it like any other response and a
replay (`--replay`) reads the archived copies: any archived URL `.../curated/<name>.json`
is a start URL.

Curated records are classified by hand: the spider sets `is_outage`, `status` and
`confidence` itself. A file that is not one valid record (see `record_problems`) is recorded
in `crawl_errors` and skipped; the others are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from scrapy.http import Request, Response

from crawlers.curated_record import (
    CURATED_DIR,
    FACT_FIELDS,
    RecordError,
    parse_time,
    record_files,
    validate_record,
)
from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.base import OutageSpider

__all__ = ["CURATED_DIR", "FACT_FIELDS", "CuratedSpider", "RecordError", "curated_report"]

# Record field -> report column, where the names differ.
ITEM_FIELD = {
    "duration_minutes": "stated_duration_minutes",
    "states": "state_codes",
    "counties": "county_fips",
    "backup_numbers": "backup_phone",
}
_START_URL = re.compile(r"/curated/([^/?#]+)\.json$")


def first_day() -> str:
    """The earliest day of the record (file names start with it)."""
    days = sorted(p.name[:10] for p in record_files([CURATED_DIR]) if p.name[:4].isdigit())
    return days[0] if days else ""


class CuratedSpider(OutageSpider):
    name = "curated"
    # None declared: the curated record is this project's own files (format 2), checked
    # by `outages curated check`, not a remote page whose layout can drift.
    expected_structure = ()
    source_title = "The documented record: real 911 outages, every fact cited (911 Outage Watch)"
    source_home = "https://github.com/outage-watch/outage-watch/blob/main/crawlers/data/CURATED.md"
    coverage_states = "all"
    coverage_since = first_day()
    cadence_minutes = 24 * 60
    run_window = "every record file"
    source_kind = "curated"
    unverified_because = (
        "nothing to record: the source is this project's own files in crawlers/data/curated/ "
        "(one per incident), read through file:// URLs, not pages of another site; every "
        "record cites its sources (url, publisher, date, exact quote)"
    )
    # What is checked instead, and by what: `outages curated check` (crawlers/curated_record.py)
    # validates every file (schema, dates and offsets, places, taxonomies, a quote for every
    # fact, the quote found in our archived copy of the cited page where we hold one, no two
    # records of one outage); the parser's golden cases are copies of record files
    # (tests/fixtures/spiders/curated/record_*). Nothing here is compared with a live site.
    checked_by = (
        "not a fetched page: records hand-curated from their cited sources, "
        "checked by `outages curated check`"
    )
    robots_txt = "not applicable: a local file, no host is fetched"
    terms = "not applicable: this project's own data (its licence: the project's)"
    empty_ok_because = None
    allowed_domains: list[str] = []  # a local file: no host to restrict

    def live_requests(self) -> Iterator[Request]:
        for path in record_files([CURATED_DIR]):
            yield self.request(path.resolve().as_uri(), self.parse)

    def is_start_url(self, url: str) -> bool:
        return bool(_START_URL.search(url.split("?", 1)[0]))

    def parse_page(self, response: Response) -> Iterator[OutageReport]:
        match = _START_URL.search(response.url.split("?", 1)[0])
        name = match.group(1) if match else None
        record = self.load_json(response, "curated incident file")
        meta = self.meta_of(response)
        label = record.get("key") if isinstance(record, dict) else None
        # key -> the file that gave it (a second recording of the same file is no duplicate)
        seen: dict[str, str] = self.__dict__.setdefault("_seen_keys", {})
        try:
            item = curated_report(record, meta=meta, name=name)
            if seen.get(item["report_id"], response.url) != response.url:
                raise RecordError(
                    f"duplicate key {record['key']!r} (also in {seen[item['report_id']]})"
                )
        except RecordError as exc:
            self.record_error(
                response.url,
                f"record {label or 'with no key'}: {exc}",
                error_type="CuratedRecordError",
                archive_ref=meta["archive_ref"],
            )
            return
        seen[item["report_id"]] = response.url
        yield item


def curated_report(record: Any, *, meta: dict, name: str | None = None) -> OutageReport:
    """One curated record as an `OutageReport` (raises `RecordError` when malformed; `name`
    is the file's stem, which must be the key)."""
    checked = validate_record(record, name)
    key, cites = checked["key"], checked["citations"]
    times = {n: parse_time(checked.get(n)) for n in ("started_at", "ended_at", "first_reported_at")}
    unverified = list(checked.get("unverified") or [])
    # A fact the curator could not confirm stays in the body ("Not confirmed"), not in the data.
    for field_name in unverified:
        if field_name in times:
            times[field_name] = None
    first = (cites.get("date") or next(iter(cites.values())))[0]
    field_evidence = {ITEM_FIELD.get(n, n): entries[0]["quote"] for n, entries in cites.items()}
    if unverified:
        field_evidence["unverified"] = ", ".join(unverified)
    # the record's key, as an FCC document tied to it carries it: incidents join them
    field_evidence["curated_key"] = key
    states = list(checked["states"])
    return OutageReport(
        report_id=make_report_id("curated", key),
        source="curated",
        source_url=first["url"],
        archive_ref=meta["archive_ref"],
        fetched_at=meta["fetched_at"],
        is_constructed=meta["constructed"],
        published_at=times["started_at"] or times["first_reported_at"] or times["ended_at"],
        title=checked["title"].strip(),
        body=record_body(record),
        is_outage=True,
        status="outage",
        confidence=1.0,
        evidence=f"hand-curated record {key}",
        state_codes=states,
        county_fips=list(checked["counties"]),
        started_at=times["started_at"],
        ended_at=times["ended_at"],
        stated_duration_minutes=record.get("duration_minutes"),
        statewide_states=states if checked["statewide"] else [],
        occurred_on=date.fromisoformat(checked["date"]),
        started_precision=None if "started_at" in unverified else checked["started_precision"],
        cause=checked["cause"],
        provider=checked["provider"],
        backup_phone=backup_phone(checked["backup_numbers"]),
        calls_affected=record.get("calls_affected"),
        psaps_affected=record.get("psaps_affected"),
        field_evidence=field_evidence,
    )


def backup_phone(numbers: list[dict]) -> str | None:
    """The backup numbers officials gave, as one text ("605-367-8222, 605-367-7000"); NANP
    numbers written NPA-NXX-XXXX as the classifier writes them, others as given."""
    out = []
    for entry in numbers:
        digits = re.sub(r"\D", "", entry["number"])
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        out.append(
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else entry["number"]
        )
    return ", ".join(dict.fromkeys(out)) or None


def record_body(record: dict) -> str:
    """The record as readable text: summary, notes, and every citation with its quote."""
    lines = [record.get("summary") or record["title"], ""]
    if record.get("people_affected") is not None:
        lines.append(f"People affected: {record['people_affected']:,}")
    for name in ("cause_detail", "provider_detail"):
        if record.get(name):
            lines.append(f"{name.replace('_', ' ').capitalize()}: {record[name]}")
    precision = record.get("started_precision")
    if precision and precision != "minute":
        lines.append(f"Start known to the {precision}")
    for entry in record.get("backup_numbers") or []:
        lines.append(f"Backup number: {entry['number']} ({entry['for']})")
    if record.get("unverified"):
        lines.append("Not confirmed: " + ", ".join(record["unverified"]))
    for note in record.get("notes") or []:
        lines.append(f"Note: {note}")
    lines += ["", "Citations:"]
    for name, entries in record["citations"].items():
        for entry in entries:
            via = f" (read via {entry['via']})" if entry.get("via") else ""
            source = ", ".join(
                str(part) for part in (entry.get("publisher"), entry.get("published")) if part
            )
            lines.append(
                f"- {name}: \u201c{entry['quote']}\u201d \u2014 {entry.get('title', '')}"
                + (f" ({source})" if source else "")
                + f" <{entry['url']}>{via}"
            )
    return "\n".join(lines).strip()
