"""The documented record as ground truth for the incident builder.

    uv run python demo/ground_truth.py [DATA_DIR]     (default ./data, after `outages demo`)

Two questions, over every curated event (records sharing an `event_group` are one event):

1. **Builder.** Does each documented outage become one incident, holding all the event's
   curated reports and no other event's, with the event's states and (where the record gives
   one) a duration within 15 minutes? (`builder_rows`; tests/test_incidents_demo.py.)
2. **Alert path.** Where alert material exists (an alert outage report within a day of the
   event in one of its states), do incidents built from the alerts alone (`source_kind =
   'alert'`) reproduce the event: a start within a day of it, the same states, and a
   duration within 15 minutes where both are known? (`alert_rows`, `summary`.)

The demo's alerts are constructed to model a few documented outages (demo/constructed/), so
the alert figure says how the alert pipeline does on those models, not on real alerts.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from crawlers.curated_record import CURATED_DIR, load_records, parse_time
from crawlers.items import make_report_id
from warehouse.incidents import REPORT_FIELDS_SQL, Report, cluster, incident_facts, reference_maps

DURATION_TOLERANCE_MINUTES = 15


@dataclass
class Event:
    """One documented outage: the curated records of one event_group (or one record)."""

    name: str
    keys: list[str] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)
    states: set[str] = field(default_factory=set)
    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    stated_minutes: list[int] = field(default_factory=list)

    @property
    def report_ids(self) -> list[str]:
        return [make_report_id("curated", key) for key in self.keys]

    @property
    def duration_minutes(self) -> int | None:
        """From the earliest start to the latest end when both are documented, else the
        longest stated duration, else None (unknown)."""
        if self.starts and self.ends:
            return round((max(self.ends) - min(self.starts)).total_seconds() / 60)
        return max(self.stated_minutes) if self.stated_minutes else None

    def near(self, day: date | None) -> bool:
        return day is not None and min(self.dates) - timedelta(1) <= day <= max(self.dates) + (
            timedelta(1)
        )


def curated_events(records: Iterable[dict[str, Any]] | None = None) -> list[Event]:
    """Every curated record (default: all of crawlers/data/curated/) grouped into events."""
    events: dict[str, Event] = {}
    for record in load_records(CURATED_DIR) if records is None else records:
        name = record.get("event_group") or record["key"]
        event = events.setdefault(name, Event(name))
        event.keys.append(record["key"])
        event.dates.add(date.fromisoformat(record["date"]))
        event.states |= set(record["states"])
        unverified = set(record.get("unverified") or [])
        for attr, target in (("started_at", event.starts), ("ended_at", event.ends)):
            when = parse_time(record.get(attr))
            if when is not None and attr not in unverified:
                target.append(when)
        if record.get("duration_minutes") is not None:
            event.stated_minutes.append(record["duration_minutes"])
    return sorted(events.values(), key=lambda e: (min(e.dates), e.name))


def _within(expected: int | None, built: Any) -> bool | None:
    if expected is None or built is None:
        return None
    return abs(int(built) - expected) <= DURATION_TOLERANCE_MINUTES


def builder_rows(con: duckdb.DuckDBPyConnection, events: list[Event]) -> list[dict[str, Any]]:
    """Per event: the incident(s) its curated reports belong to, and what is wrong, if any."""
    membership = dict(
        con.execute(
            "SELECT report_id, incident_id FROM reports WHERE source = 'curated'"
        ).fetchall()
    )
    owner = {rid: e.name for e in events for rid in e.report_ids}
    incidents = {
        row[0]: row
        for row in con.execute(
            "SELECT incident_id, state_codes, duration_minutes, title FROM incidents"
        ).fetchall()
    }
    rows = []
    for event in events:
        ids = {membership.get(rid) for rid in event.report_ids}
        problems = []
        if None in ids:
            problems.append("a curated report is in no incident (or was not loaded)")
        ids.discard(None)
        if len(ids) > 1:
            problems.append(f"split over {len(ids)} incidents")
        incident = incidents.get(next(iter(ids))) if len(ids) == 1 else None
        states = sorted(incident[1]) if incident else []
        if incident:
            others = sorted(
                {owner[r] for r, i in membership.items() if i == incident[0] and r in owner}
                - {event.name}
            )
            if others:
                problems.append("merged with " + ", ".join(others))
            if set(states) != event.states:
                problems.append(f"states {','.join(states)}")
            if _within(event.duration_minutes, incident[2]) is False:
                problems.append(f"duration {incident[2]} min, documented {event.duration_minutes}")
        rows.append(
            {
                "event": event.name,
                "dates": f"{min(event.dates)}..{max(event.dates)}",
                "states": ",".join(sorted(event.states)),
                "documented min": event.duration_minutes,
                "incident min": incident[2] if incident else None,
                "verdict": "; ".join(problems) or "one incident, right states and duration",
            }
        )
    return rows


def alert_rows(con: duckdb.DuckDBPyConnection, events: list[Event]) -> list[dict[str, Any]]:
    """Per event: alert material or not, and whether alert-only incidents reproduce it."""
    rows = con.sql(REPORT_FIELDS_SQL + " AND source_kind = 'alert'").to_arrow_table().to_pylist()
    reference = reference_maps(con)
    built = [
        incident_facts(group, **reference) for group in cluster(Report.from_row(r) for r in rows)
    ]
    out = []
    for event in events:
        near = [i for i in built if event.near(i.started_on)]
        material = [i for i in near if event.states & set(i.state_codes)]
        same = [i for i in material if set(i.state_codes) == event.states]
        match = next(
            (i for i in same if _within(event.duration_minutes, i.duration_minutes) is not False),
            None,
        )
        if not material:
            verdict = "no alert material"
        elif match:
            verdict = "reproduced"
        elif same:
            verdict = f"same states, duration {same[0].duration_minutes} min"
        else:
            verdict = "not reproduced: alerts give " + " | ".join(
                ",".join(sorted(i.state_codes)) for i in material
            )
        out.append(
            {
                "event": event.name,
                "states": ",".join(sorted(event.states)),
                "documented min": event.duration_minutes,
                "alert incident min": match.duration_minutes if match else None,
                "verdict": verdict,
            }
        )
    return out


def summary(rows: list[dict[str, Any]]) -> str:
    with_material = [r for r in rows if r["verdict"] != "no alert material"]
    reproduced = [r for r in with_material if r["verdict"] == "reproduced"]
    return (
        f"alert path: {len(reproduced)} of {len(with_material)} documented outages with alert "
        f"material reproduced (same states, start within a day, duration within "
        f"{DURATION_TOLERANCE_MINUTES} min where known); {len(rows) - len(with_material)} of "
        f"{len(rows)} have no alert material"
    )


def table(rows: list[dict[str, Any]], width: int = 40) -> str:
    """Rows as aligned text columns (a cell longer than `width` is cut)."""
    if not rows:
        return "(none)"
    rows = [
        {k: (s if len(s := str(v)) <= width else s[: width - 3] + "...") for k, v in r.items()}
        for r in rows
    ]
    columns = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows
    ]
    return "\n".join(lines)


def main(data_dir: str = "data") -> None:
    events = curated_events()
    with duckdb.connect(str(Path(data_dir) / "outages.duckdb"), read_only=True) as con:
        built, alerts = builder_rows(con, events), alert_rows(con, events)
    print("The incident builder on the documented record:")
    print(table(built))
    print()
    print("Incidents from the alerts alone:")
    print(table(alerts))
    print()
    print(summary(alerts))


if __name__ == "__main__":
    main(*sys.argv[1:2])
