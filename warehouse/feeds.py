"""Subscriptions: Atom feeds of new and updated incidents, and optional webhooks.

Written at publish time from the published database (`write_feeds`):

- `feeds/incidents.xml`: every state, the most recently updated incidents first;
- `feeds/state-XX.xml`: one per state (USPS code), including states with no incident yet,
  so a subscription can start before the first outage there.

An entry is an incident: its id is a tag URI (`tag:outage-watch.github.io,2026:incident:ID`,
stable across rebuilds because incident IDs are), `updated` is the latest time of its
reports, `published` the first; the summary gives the states, times, duration, cause,
provider and sources, and the content links every source document. Times people read
(summary, content) are the places' local time with its zone ("Started 2024-06-18 13:15
EDT", warehouse/localtime.py), or UTC when the places span zones; `updated`/`published`
stay RFC 3339 UTC. Incidents built from
constructed demo records are labelled in the title and with the category `demo-data`.
Feed documents only change when the data does (the feed's `updated` is the newest entry's),
so HTTP caches and feed readers see no churn between publishes.

Webhooks (optional): `DIR/webhooks.json`::

    {"webhooks": [{"url": "https://example.org/hook", "states": ["MA", "NH"],
                   "headers": {"Authorization": "Bearer ..."}}]}

After each publish, every incident that is new or changed since the previous publish is
POSTed as JSON (`{"event": "incident.new" | "incident.updated", "incident": {...}}`) to each
hook whose `states` (all when absent) it touches. Delivery is at most once, with a short
timeout; a failing hook is logged and skipped for the rest of that publish. The first
publish with no record of what was seen (`feeds/.seen.json`) only records it, so turning
webhooks on does not replay the whole history. The feeds are the complete record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse import taxonomy
from warehouse.cleantext import clean_strings
from warehouse.display import display_text, html_link, html_text, safe_url
from warehouse.localtime import incident_zone, zone_text
from warehouse.settings import setting

logger = logging.getLogger(__name__)

TAG_AUTHORITY = "outage-watch.github.io,2026"
FEED_LIMIT = 200
ALL_FEED = "incidents.xml"
SEEN_FILE = ".seen.json"
WEBHOOKS_FILE = "webhooks.json"
WEBHOOK_TIMEOUT = 5.0
DEMO_LABEL = "[demo data] "

_INCIDENTS_SQL = """
SELECT i.incident_id, i.title, i.started_at, i.ended_at, i.duration_minutes, i.state_codes,
       i.county_fips, i.population_affected, i.cause, i.provider, i.report_count,
       i.source_count, i.sources, i.confidence, i.first_report_url, i.first_reported_at,
       i.last_reported_at, i.constructed_reports,
       greatest(r.latest, i.last_reported_at) AS updated_at
FROM incidents i
LEFT JOIN (
    SELECT incident_id, max(coalesce(published_at, fetched_at)) AS latest
    FROM reports WHERE incident_id IS NOT NULL GROUP BY incident_id
) r ON r.incident_id = i.incident_id
ORDER BY updated_at DESC NULLS LAST, i.incident_id
"""

_SOURCES_SQL = """
SELECT incident_id, source, source_url, title, coalesce(published_at, fetched_at) AS reported_at,
       status, is_constructed
FROM reports WHERE incident_id IS NOT NULL
ORDER BY incident_id, reported_at NULLS LAST, report_id
"""


# ---------------------------------------------------------------------------- reading
def read_incidents(
    con: duckdb.DuckDBPyConnection,
    problems: list[dict[str, Any]] | None = None,
    stage: str = "feeds",
) -> list[dict[str, Any]]:
    """Incidents (newest update first), each with its `reports` (source, url, title, at).

    Every string is cleaned of the characters XML and UTF-8 cannot carry (a NUL or a
    control character in one headline made lxml refuse the whole feed); each record that
    needed it is appended to `problems` as a `crawl_errors` row (its URL, this `stage`).
    """
    incidents = _read_incidents(con)
    for incident in incidents:
        reports = incident.pop("reports")
        cleaned, dirty = clean_strings(incident)
        incident.clear()
        incident.update(cleaned)
        if dirty and problems is not None:
            problems.append(
                _problem(
                    stage,
                    (incident.get("sources") or ["publish"])[0],
                    incident.get("first_report_url") or f"incident:{incident['incident_id']}",
                    f"incident {incident['incident_id']}",
                )
            )
        incident["reports"] = []
        for report in reports:
            cleaned, dirty = clean_strings(report)
            incident["reports"].append(cleaned)
            if dirty and problems is not None:
                problems.append(_problem(stage, cleaned["source"], cleaned["url"], "report"))
    return incidents


def _problem(stage: str, spider: str, url: str, what: str) -> dict[str, Any]:
    return {
        "spider": spider,
        "url": url,
        "stage": stage,
        "error_type": "InvalidCharacters",
        "message": f"{what}: text held characters XML/UTF-8 cannot carry (NUL, control "
        "characters or lone surrogates); they were removed from the published output",
    }


def _read_incidents(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(_INCIDENTS_SQL)
    columns = [d[0] for d in cursor.description]
    incidents = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    by_id = {i["incident_id"]: i for i in incidents}
    for incident in incidents:
        incident["reports"] = []
    cursor = con.execute(_SOURCES_SQL)
    for incident_id, source, url, title, at, status, constructed in cursor.fetchall():
        if incident_id in by_id:
            by_id[incident_id]["reports"].append(
                {
                    "source": source,
                    "url": url,
                    "title": title,
                    "at": at,
                    "status": status,
                    "constructed": bool(constructed),
                }
            )
    titles = source_titles(con)
    for incident in incidents:
        if incident["updated_at"] is None:
            incident["updated_at"] = incident["started_at"]
        # What a reader sees is the source's title, not the spider's name.
        incident["source_titles"] = [titles.get(s, s) for s in incident.get("sources") or []]
    return incidents


def source_titles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The published sources' titles by spider name ({} before a sources table exists)."""
    try:
        rows = con.execute("SELECT spider, title FROM sources WHERE title <> ''").fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


def state_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    try:
        rows = con.execute("SELECT state_code, state_name FROM states ORDER BY 1").fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


# ---------------------------------------------------------------------------- entries
def tag_uri(kind: str, key: str) -> str:
    return f"tag:{TAG_AUTHORITY}:{kind}:{key}"


def is_demo(incident: Mapping[str, Any]) -> bool:
    return bool(incident.get("constructed_reports"))


def entry_title(incident: Mapping[str, Any]) -> str:
    return (DEMO_LABEL if is_demo(incident) else "") + display_text(incident["title"])


def _when(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """Wall-clock time in the incident's zone for people ("2024-06-18 13:15 EDT"); UTC
    when its places span zones. The Atom `updated`/`published` elements stay UTC."""
    return zone_text(value, zone) if value else "unknown"


def _zone(incident: Mapping[str, Any]) -> ZoneInfo | None:
    return incident_zone(incident.get("state_codes"), incident.get("county_fips"))


def _duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def summary_lines(incident: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    states = ", ".join(
        f"{names.get(code, code)} ({code})" for code in incident.get("state_codes") or []
    )
    lines = []
    if is_demo(incident):
        lines.append(
            "Demo data: built from records constructed by 911 Outage Watch to model a "
            "documented outage, not from real alerts."
        )
    lines.append(f"States: {states or 'unknown'}.")
    counties = incident.get("county_fips") or []
    if counties:
        lines.append(
            f"Counties: {len(counties)} ({', '.join(counties[:12])}"
            f"{', ...' if len(counties) > 12 else ''})."
        )
    end = incident.get("ended_at")
    zone = _zone(incident)
    timing = f"Started {_when(incident.get('started_at'), zone)}; "
    timing += f"ended {_when(end, zone)}" if end else "end not reported (ongoing or unknown)"
    duration = _duration(incident.get("duration_minutes"))
    lines.append(timing + (f" ({duration})." if duration and end else "."))
    if incident.get("population_affected"):
        lines.append(f"Population of the areas: {incident['population_affected']:,}.")
    lines.append(f"Cause: {taxonomy.label('causes', incident.get('cause') or 'unknown')}.")
    if incident.get("provider"):
        lines.append(f"Provider: {incident['provider']}.")
    sources = incident.get("source_titles") or incident.get("sources") or []
    lines.append(
        f"Sources: {'; '.join(sources) or 'none'} ({incident.get('report_count', 0)} reports)."
    )
    return lines


def content_html(incident: Mapping[str, Any], names: Mapping[str, str]) -> str:
    # Source text is data: escaped for HTML, bidi controls stripped, links only http(s).
    parts = [f"<p>{html_text(line)}</p>" for line in summary_lines(incident, names)]
    items = []
    zone = _zone(incident)
    for report in incident.get("reports") or []:
        label = f"{report['source']}: {report.get('title') or report['url']}"
        when = _when(report.get("at"), zone)
        note = " (constructed demo record)" if report.get("constructed") else ""
        items.append(
            f"<li>{html_link(label, report['url'])}"
            f" ({html_text(when)}, {html_text(report.get('status'))}){note}</li>"
        )
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "".join(parts)


def build_feed(
    incidents: Iterable[Mapping[str, Any]],
    *,
    feed_key: str,
    title: str,
    self_url: str,
    public_url: str,
    names: Mapping[str, str],
    fallback_updated: datetime,
) -> bytes:
    """One Atom document (bytes, UTF-8) of the given incidents, in the order given."""
    from feedgen.feed import FeedGenerator

    incidents = list(incidents)
    fg = FeedGenerator()
    fg.id(tag_uri("feed", feed_key))
    fg.title(title)
    fg.subtitle("New and updated 911 outages in the United States, from public reports.")
    fg.author({"name": "911 Outage Watch"})
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=public_url, rel="alternate", type="text/html")
    fg.generator("911 Outage Watch (feedgen)")
    fg.language("en")
    newest = max((i["updated_at"] for i in incidents if i.get("updated_at")), default=None)
    fg.updated(newest or fallback_updated)
    for incident in incidents:
        entry = fg.add_entry(order="append")
        entry.id(tag_uri("incident", incident["incident_id"]))
        entry.title(entry_title(incident))
        entry.updated(incident["updated_at"] or fallback_updated)
        if incident.get("first_reported_at"):
            entry.published(incident["first_reported_at"])
        entry.summary(display_text(" ".join(summary_lines(incident, names))))
        entry.content(content_html(incident, names), type="html")
        link = safe_url(incident.get("first_report_url")) or public_url
        entry.link(href=link, rel="alternate")
        for code in incident.get("state_codes") or []:
            entry.category(term=f"state-{code}", label=names.get(code, code))
        if incident.get("cause"):
            entry.category(
                term=f"cause-{incident['cause']}", label=taxonomy.label("causes", incident["cause"])
            )
        if is_demo(incident):
            entry.category(term="demo-data", label="Constructed demo data")
    return fg.atom_str(pretty=True)


# ---------------------------------------------------------------------------- writing
def write_feeds(
    published_db_path: os.PathLike | str,
    out_dir: os.PathLike | str,
    *,
    public_url: str | None = None,
    limit: int = FEED_LIMIT,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Write `incidents.xml` and one `state-XX.xml` per state; return entries per file.

    A record whose text XML cannot carry is cleaned and listed in `problems` (rows for
    `crawl_errors`); it never stops the other entries or the other feeds.

    `public_url` (default: environment `OUTAGES_PUBLIC_URL`, else http://localhost:8501/)
    is where the map is served; feeds are linked as `<public_url>feeds/<file>`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    public_url = public_url or setting("OUTAGES_PUBLIC_URL")
    if not public_url.endswith("/"):
        public_url += "/"
    with duckdb.connect(str(published_db_path), read_only=True) as con:
        incidents = read_incidents(con, problems, "feeds")
        names = state_names(con)
        published = _published_at(con)
    fallback = published or datetime(2000, 1, 1, tzinfo=UTC)
    written: dict[str, int] = {}

    def write(name: str, chosen: list[dict[str, Any]], title: str, key: str) -> None:
        body = build_feed(
            chosen[:limit],
            feed_key=key,
            title=title,
            self_url=f"{public_url}feeds/{name}",
            public_url=public_url,
            names=names,
            fallback_updated=fallback,
        )
        _write_if_changed(out / name, body)
        written[name] = min(len(chosen), limit)

    write(ALL_FEED, incidents, "911 Outage Watch: 911 outages in the United States", "all")
    for code in sorted(set(names) | {c for i in incidents for c in i["state_codes"] or []}):
        chosen = [i for i in incidents if code in (i["state_codes"] or [])]
        state = names.get(code, code)
        write(f"state-{code}.xml", chosen, f"911 Outage Watch: 911 outages in {state}", code)
    return written


def _published_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    try:
        row = con.execute("SELECT max(published_at) FROM publication").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _write_if_changed(path: Path, body: bytes) -> None:
    if path.exists() and path.read_bytes() == body:
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(body)
    os.replace(temp, path)


# ---------------------------------------------------------------------------- webhooks
URL_FIELDS = frozenset({"url", "first_report_url", "source_url"})


def incident_json(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The webhook document: JSON escapes by construction; source text loses bidi and control
    characters (receivers show it), and a URL field holds only an http(s) URL or null."""

    def plain(value: Any, key: str = "") -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        if isinstance(value, str):
            return safe_url(value) if key in URL_FIELDS else display_text(value)
        if isinstance(value, list | tuple):
            return [plain(v, key) for v in value]
        if isinstance(value, dict):
            return {k: plain(v, k) for k, v in value.items()}
        return value

    document = {k: plain(v, k) for k, v in incident.items()}
    document["id"] = tag_uri("incident", incident["incident_id"])
    document["demo_data"] = is_demo(incident)
    return document


def fingerprint(incident: Mapping[str, Any]) -> str:
    """What makes an incident 'updated' for subscribers (not just a re-crawl of the same)."""
    keys = (
        "title",
        "started_at",
        "ended_at",
        "state_codes",
        "county_fips",
        "cause",
        "provider",
        "report_count",
        "source_count",
        "updated_at",
    )
    document = incident_json({k: incident.get(k) for k in keys} | {"incident_id": ""})
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def changed_incidents(
    incidents: Iterable[Mapping[str, Any]], seen_path: Path
) -> tuple[list[tuple[str, Mapping[str, Any]]], dict[str, str], bool]:
    """(event, incident) for new and changed incidents, the new seen map, first time?"""
    try:
        seen = json.loads(seen_path.read_text())
        first = False
    except (OSError, ValueError):
        seen, first = {}, True
    now_seen: dict[str, str] = {}
    events = []
    for incident in incidents:
        key, value = incident["incident_id"], fingerprint(incident)
        now_seen[key] = value
        if key not in seen:
            events.append(("incident.new", incident))
        elif seen[key] != value:
            events.append(("incident.updated", incident))
    return ([] if first else events), now_seen, first


def load_webhooks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    config = json.loads(path.read_text())
    hooks = config.get("webhooks") if isinstance(config, dict) else config
    valid = []
    for hook in hooks or []:
        url = hook.get("url") if isinstance(hook, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            logger.warning("webhooks: ignoring an entry without an http(s) url: %r", hook)
            continue
        valid.append(hook)
    return valid


def post_json(
    url: str, document: Mapping[str, Any], headers: Mapping[str, str], timeout: float
) -> int:
    body = json.dumps(document, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "911OutageWatch-webhook/0.1",
            **dict(headers),
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


def deliver_webhooks(
    published_db_path: os.PathLike | str,
    data_root: os.PathLike | str,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """POST new and updated incidents to the hooks in `DIR/webhooks.json`; return counts.

    Text is cleaned as for the feeds (a lone surrogate cannot be encoded as UTF-8 JSON);
    records that needed it go to `problems`."""
    root = Path(data_root)
    seen_path = root / "feeds" / SEEN_FILE
    with duckdb.connect(str(published_db_path), read_only=True) as con:
        incidents = read_incidents(con, problems, "webhooks")
    events, now_seen, first = changed_incidents(incidents, seen_path)
    hooks = load_webhooks(root / WEBHOOKS_FILE)
    counts = {"events": len(events), "delivered": 0, "failed": 0, "first_publish": int(first)}
    for hook in hooks:
        states = {s.upper() for s in hook.get("states") or []}
        timeout = float(hook.get("timeout") or WEBHOOK_TIMEOUT)
        for event, incident in events:
            if states and not states & set(incident.get("state_codes") or []):
                continue
            document = {
                "event": event,
                "sent_at": datetime.now(UTC).isoformat(),
                "incident": incident_json(incident),
            }
            try:
                post_json(hook["url"], document, hook.get("headers") or {}, timeout)
                counts["delivered"] += 1
            except Exception as exc:  # a dead endpoint must never break a publish
                counts["failed"] += 1
                logger.warning(
                    "webhook %s failed: %s; skipping it until next publish", hook["url"], exc
                )
                break
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    temp = seen_path.with_name(f".{seen_path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(now_seen, sort_keys=True))
    os.replace(temp, seen_path)
    return counts
