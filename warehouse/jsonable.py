"""The one JSON-ifier: database and report values as JSON values (times as ISO 8601, bytes
as hex, anything else unknown as its text), for the CLI, the SQL page, status.json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` with every part a JSON type. A naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date | dtime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def dumps(value: Any, **kwargs: Any) -> str:
    """json.dumps of `jsonable(value)`."""
    return json.dumps(jsonable(value), **kwargs)
