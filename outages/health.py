"""The container health check: a recent watcher heartbeat and a published database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from warehouse.db import DataDir


class Unhealthy(Exception):
    """What is wrong, in one line."""


def check_health(ddir: DataDir, max_age: float, now: datetime | None = None) -> str:
    """A one-line "ok" when the heartbeat is at most `max_age` seconds old and a database is
    published; raises `Unhealthy` otherwise."""
    try:
        info = json.loads((ddir.work_db.parent / "watch.json").read_text())
        beat = datetime.fromisoformat(info["heartbeat_at"])
    except (OSError, ValueError, KeyError) as exc:
        raise Unhealthy(f"no watcher heartbeat: {exc}") from exc
    age = ((now or datetime.now(UTC)) - beat).total_seconds()
    if info.get("stopped_at") or age > max_age:
        raise Unhealthy(f"watcher heartbeat is {age:.0f} s old")
    if not ddir.published_db.exists():
        raise Unhealthy("nothing published yet")
    return f"ok: heartbeat {age:.0f} s ago, running {info.get('running') or 'nothing'}"
