"""The static status site: `DIR/site/`, written at each publish, for when the live app is
overloaded (everyone comes at once during a big outage).

Plain HTML5 and one stylesheet, no JavaScript, so any web server or CDN can serve it and
any phone can read it:

- `index.html`: what is active now (the map banner's rule: no all-clear, a report in the
  last 24 hours, corroborated), each with its places, since when in the places' local
  time, and the backup number only when authoritative, with who gave it (the
  `authoritative_backup_*` columns; docs/classification.md); the data version and the
  sources' freshness (the facts of `status.json`);
- `state/XX.html`, one per state and territory: what is active there, the last 20
  incidents, the sources covering it with their last successful check, its Atom feed;
- `status.json` (a copy of `DIR/status.json` as of this publish) and `site.css`.

"Now" is the publication time: the site says what the data version it names holds.
Pages are rendered with Jinja2 (autoescape on, so every source text is escaped; bidi and
control characters are stripped first, links only http(s)). A file is written only when
its bytes change, so an unchanged page keeps its ETag and Last-Modified for caches; a
changed one goes to a staging directory next to `DIR/site/` and is renamed into place
(each file atomic; `index.html` last, so it never links a state page older than itself).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import jinja2

from warehouse import geography
from warehouse.cleantext import clean_strings
from warehouse.db import DataDir
from warehouse.display import display_text, safe_url
from warehouse.localtime import incident_zone, zone_for, zone_text
from warehouse.settings import setting
from warehouse.status import STATUS_FILE, read_status
from warehouse.taxonomy import cause_label

SITE_DIR = "site"
ACTIVE_WINDOW = timedelta(hours=24)  # as the map banner (webapp/map_page.py)
RECENT_LIMIT = 20
COUNTY_LIMIT = 12  # counties named per incident; the rest are counted
TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"

_INCIDENT_COLUMNS = """
i.incident_id, i.title, i.started_at, i.ended_at, i.duration_minutes, i.state_codes,
i.county_fips, i.cause, i.source_count, i.report_count, i.constructed_reports,
i.first_report_url, coalesce(i.last_reported_at, i.started_at) AS last_report,
i.authoritative_backup_number, i.authoritative_backup_source, i.authoritative_backup_at
"""

# The headline of each shown incident's first report (only those: a state's last 20 and
# what is active, not every incident of a large database).
_FIRST_TITLES_SQL = """
SELECT r.incident_id, r.title
FROM reports AS r JOIN incidents AS i USING (incident_id)
WHERE list_contains(?, r.incident_id) AND r.source_url = i.first_report_url
QUALIFY row_number() OVER (
    PARTITION BY r.incident_id
    ORDER BY coalesce(r.published_at, r.fetched_at) NULLS LAST, r.report_id
) = 1
"""

# The map banner's "active now" (webapp/map_page.py ACTIVE_SQL), at the publication time.
_ACTIVE_SQL = f"""
SELECT {_INCIDENT_COLUMNS} FROM incidents AS i
WHERE i.ended_at IS NULL AND coalesce(i.last_reported_at, i.started_at) >= ?
  AND coalesce(i.last_reported_at, i.started_at) <= ? AND coalesce(i.corroborated, false)
ORDER BY i.started_at DESC NULLS LAST, i.incident_id
"""

_RECENT_SQL = f"""
SELECT s.state_code, {_INCIDENT_COLUMNS}
FROM incidents AS i, unnest(i.state_codes) AS s(state_code)
QUALIFY row_number() OVER (
    PARTITION BY s.state_code ORDER BY i.started_at DESC NULLS LAST, i.incident_id
) <= {RECENT_LIMIT}
ORDER BY s.state_code, i.started_at DESC NULLS LAST, i.incident_id
"""


# ---------------------------------------------------------------------------- reading
def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def read_snapshot(published_db: os.PathLike | str, now: datetime | None = None) -> dict[str, Any]:
    """What the pages show, from the published database: publication time, active and
    recent incidents, states, sources. `now` (default: the publication time) decides what
    is active."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        published_at = con.execute("SELECT max(published_at) FROM publication").fetchone()[0]
        moment = now or published_at or datetime.now(UTC)
        active = _rows(con, _ACTIVE_SQL, [moment - ACTIVE_WINDOW, moment])
        recent = _rows(con, _RECENT_SQL)
        states = con.execute("SELECT state_code, state_name FROM states ORDER BY 1").fetchall()
        sources = _rows(
            con, "SELECT spider, title, kind, coverage_states FROM sources ORDER BY spider"
        )
        shown = sorted({row["incident_id"] for row in [*active, *recent]})
        titles = dict(con.execute(_FIRST_TITLES_SQL, [shown]).fetchall()) if shown else {}
    for row in [*active, *recent]:
        row["first_report_title"] = titles.get(row["incident_id"])
    # characters no page can carry (NUL, lone surrogates: issue 17) go before rendering
    active, recent, sources = (clean_strings(rows)[0] for rows in (active, recent, sources))
    by_state: dict[str, list[dict]] = {}
    for row in recent:
        by_state.setdefault(row.pop("state_code"), []).append(row)
    return {
        "published_at": published_at,
        "now": moment,
        "active": active,
        "recent": by_state,
        "states": dict(states),
        "sources": sources,
    }


# ---------------------------------------------------------------------------- shaping
def _is_demo(row: Mapping[str, Any]) -> bool:
    """Labelled demo as the app and feeds do: any constructed report."""
    return bool(row.get("constructed_reports"))


def _is_real(row: Mapping[str, Any]) -> bool:
    """The app's real record (webapp/ui.py REAL_INCIDENT): not only constructed reports."""
    return (row.get("report_count") or 0) > (row.get("constructed_reports") or 0)


def _codes(value: Any) -> list[str]:
    return [str(v) for v in value] if value is not None else []


def _county_list(fips: Sequence[str]) -> str:
    names = []
    for code in fips[:COUNTY_LIMIT]:
        state = geography.state_code_from_fips(code[:2])
        name = geography.county_name(code) or code
        names.append(f"{name}, {state}" if state else name)
    more = len(fips) - COUNTY_LIMIT
    return "; ".join(names) + (f"; and {more} more" if more > 0 else "")


def _place_zone(row: Mapping[str, Any], state: str | None) -> ZoneInfo | None:
    """The incident's one zone; on a state's page, the zone of its places in that state
    (a Texas page shows an El Paso and Dallas outage in UTC, an El Paso one in MDT)."""
    states, counties = _codes(row.get("state_codes")), _codes(row.get("county_fips"))
    if state is not None:
        states = [state]
        counties = [c for c in counties if geography.state_code_from_fips(c[:2]) == state]
    return incident_zone(states, counties)


def incident_view(
    row: Mapping[str, Any],
    names: Mapping[str, str],
    app_url: str,
    state: str | None = None,
) -> dict[str, Any]:
    """One incident as the templates show it: text cleaned for display (the templates
    escape it), times in its places' local time, the backup number only when
    authoritative."""
    zone = _place_zone(row, state)
    states = _codes(row.get("state_codes"))
    counties = _codes(row.get("county_fips"))
    if state is not None:
        counties = [c for c in counties if geography.state_code_from_fips(c[:2]) == state]
    number = row.get("authoritative_backup_number")
    view = {
        "title": display_text(row.get("title")),
        "places": display_text(", ".join(names.get(code, code) for code in states) or "unknown"),
        "counties": display_text(_county_list(counties)) if counties else "",
        "since": zone_text(row.get("started_at"), zone) or "unknown",
        "began": zone_text(row.get("started_at"), zone) or "unknown",
        "ended": _ended(row, zone),
        "last_report": zone_text(row.get("last_report"), zone),
        "cause": display_text(cause_label(row.get("cause"))),
        "source_count": row.get("source_count") or 0,
        "source_url": safe_url(row.get("first_report_url")),
        "first_title": display_text(row.get("first_report_title")) or "first report",
        "app_url": f"{app_url}incidents?id={row['incident_id']}",
        "demo": _is_demo(row),
        "backup_number": display_text(number) if isinstance(number, str) and number else "",
        "backup_source": display_text(row.get("authoritative_backup_source")),
        "backup_at": zone_text(row.get("authoritative_backup_at"), zone),
    }
    return view


def _ended(row: Mapping[str, Any], zone: ZoneInfo | None) -> str:
    if row.get("ended_at") is None:
        return "not reported"
    minutes = row.get("duration_minutes")
    text = zone_text(row["ended_at"], zone)
    if minutes is not None:
        hours, mins = divmod(int(minutes), 60)
        text += f" ({hours} h {mins} min)" if hours else f" ({mins} min)"
    return text


_STATE_CODE = re.compile(r"\b[A-Z]{2}\b")


def covered_states(coverage: Any, all_states: Sequence[str]) -> list[str] | None:
    """A source's `coverage_states` ("all", "MA", "MA, NH") -> codes; None = every state."""
    text = str(coverage or "")
    if text.strip().lower() in ("", "all") or text.lower().startswith("all"):
        return None
    return [code for code in _STATE_CODE.findall(text.upper()) if code in all_states]


def source_views(
    sources: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any],
    state: str | None,
    all_states: Sequence[str],
    zone: ZoneInfo | None,
) -> list[dict[str, Any]]:
    """The sources (covering `state`, or all), with the freshness status.json gives them."""
    fresh = {row.get("spider"): row for row in status.get("sources") or []}
    views = []
    for source in sources:
        covers = covered_states(source.get("coverage_states"), all_states)
        if state is not None and covers is not None and state not in covers:
            continue
        row = fresh.get(source["spider"]) or {}
        views.append(
            {
                "title": display_text(source.get("title") or source["spider"]),
                "kind": display_text(source.get("kind") or "unknown"),
                "covers": "all states" if covers is None else ", ".join(covers),
                "state": display_text(row.get("state") or "never"),
                "last_ok": zone_text(row.get("last_ok_at"), zone) or "none yet",
            }
        )
    return views


def _summary_line(status: Mapping[str, Any]) -> str:
    summary = status.get("summary") or {}
    if not summary:
        return "Source freshness is not known yet (no status.json)."
    parts = [f"{summary.get(k, 0)} {k}" for k in ("fresh", "late", "failing", "never")]
    return "Sources: " + ", ".join(parts) + " (never: no live run yet)."


def _checked_line(status: Mapping[str, Any], zone: ZoneInfo | None) -> str:
    checked = (status.get("data") or {}).get("last_checked_at")
    if not checked:
        return "No source has been checked live yet."
    return f"A source was last read successfully at {zone_text(checked, zone)}."


# ---------------------------------------------------------------------------- rendering
def _environment() -> jinja2.Environment:
    # autoescape for every template: source text is data, never markup
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_site(
    snapshot: Mapping[str, Any],
    status: Mapping[str, Any],
    status_bytes: bytes | None,
    public_url: str,
) -> dict[str, bytes]:
    """Relative path -> file bytes of the whole site."""
    env = _environment()
    names: dict[str, str] = dict(snapshot["states"])
    codes = sorted(names)
    app_url = public_url
    all_feed = f"{public_url}feeds/incidents.xml"
    version = zone_text(snapshot["published_at"], None) or "unknown"
    active_rows = [r for r in snapshot["active"] if _is_real(r)]
    demo_rows = [r for r in snapshot["active"] if not _is_real(r)]
    active_by_state: dict[str, list[Mapping[str, Any]]] = {}
    for row in snapshot["active"]:
        for code in _codes(row.get("state_codes")):
            active_by_state.setdefault(code, []).append(row)
    common = {"app_url": app_url, "all_feed_url": all_feed, "version": version}

    pages: dict[str, bytes] = {}
    index = env.get_template("index.html.j2").render(
        **common,
        root="",
        title="911 outages reported now in the United States",
        version_local="",
        checked_line=_checked_line(status, None),
        feed_url=all_feed,
        feed_title="911 Outage Watch: all incidents",
        active=[incident_view(r, names, app_url) for r in active_rows],
        active_demo=[incident_view(r, names, app_url) for r in demo_rows],
        states=[
            {
                "code": code,
                "name": names[code],
                "active": sum(_is_real(r) for r in active_by_state.get(code, [])),
            }
            for code in sorted(codes, key=lambda c: names[c])
        ],
        summary_line=_summary_line(status),
        sources=source_views(snapshot["sources"], status, None, codes, None),
    )
    pages["index.html"] = index.encode()
    state_template = env.get_template("state.html.j2")
    for code in codes:
        zone = zone_for(state_code=code)
        local_version = zone_text(snapshot["published_at"], zone)
        name = names[code]
        feed = f"{public_url}feeds/state-{code}.xml"
        page = state_template.render(
            **common,
            root="../",
            title=f"911 outages in {name} ({code})",
            state_name=name,
            version_local=local_version if local_version and local_version != version else "",
            checked_line=_checked_line(status, zone),
            feed_url=feed,
            feed_title=f"911 Outage Watch: {name}",
            active=[incident_view(r, names, app_url, code) for r in active_by_state.get(code, [])],
            recent=[
                incident_view(r, names, app_url, code) for r in snapshot["recent"].get(code, [])
            ],
            zone_note=_zone_note(code),
            sources=source_views(snapshot["sources"], status, code, codes, zone),
        )
        pages[f"state/{code}.html"] = page.encode()
    pages["site.css"] = (TEMPLATES / "site.css").read_bytes()
    if status_bytes is not None:
        pages["status.json"] = status_bytes
    return pages


def _zone_note(code: str) -> str:
    """Say so when a state spans zones: its incidents then read in their counties' zone."""
    zones = {zone_for(fips).key for fips in geography.counties_in_state(code)}
    if len(zones) <= 1:
        return ""
    return "each in its counties' zone; UTC when they span zones"


# ---------------------------------------------------------------------------- writing
def write_site(
    data_dir: DataDir,
    *,
    public_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Render the site from the published database and `DIR/status.json`; write the files
    that changed into `DIR/site/`. Returns {"files", "written", "active"}."""
    public_url = public_url or setting("OUTAGES_PUBLIC_URL")
    if not public_url.endswith("/"):
        public_url += "/"
    snapshot = read_snapshot(data_dir.published_db, now)
    status_path = data_dir.root / STATUS_FILE
    status_bytes = status_path.read_bytes() if status_path.exists() else None
    pages = render_site(snapshot, read_status(data_dir), status_bytes, public_url)
    written = install(data_dir.root / SITE_DIR, pages)
    return {
        "files": len(pages),
        "written": len(written),
        "active": sum(_is_real(r) for r in snapshot["active"]),
    }


def install(site: Path, pages: Mapping[str, bytes]) -> list[str]:
    """Put `pages` in `site`: only the files whose bytes changed, each renamed into place
    from a staging directory on the same file system; files no longer produced go.
    Returns the paths written."""
    site.mkdir(parents=True, exist_ok=True)
    for stale in site.parent.glob(f".{site.name}-*.tmp"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    changed = [
        rel
        for rel, body in pages.items()
        if not (site / rel).is_file() or (site / rel).read_bytes() != body
    ]
    stage = Path(tempfile.mkdtemp(prefix=f".{site.name}-", suffix=".tmp", dir=site.parent))
    try:
        for rel in changed:
            staged = stage / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(pages[rel])
            staged.chmod(0o644)  # served by another user (the web server)
        # index.html last: a reader who follows its links finds the state pages it names
        for rel in sorted(changed, key=lambda r: (r == "index.html", r)):
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    for path in sorted(site.rglob("*"), reverse=True):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and rel not in pages:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed
