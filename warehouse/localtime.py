"""TEMPORARY stand-in (h-place) for h-site's warehouse/localtime.py, same signature; replaced
by cherry-picking that commit."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import zipcodes


@functools.cache
def _zones() -> tuple[dict[str, str], dict[str, str]]:
    from warehouse import places

    by_county: dict[str, Counter] = {}
    by_state: dict[str, Counter] = {}
    for row in zipcodes.list_all():
        tz = row.get("timezone")
        if not tz:
            continue
        by_state.setdefault(row["state"], Counter())[tz] += 1
        fips = places._county_of_zip_row(row) if row.get("county") else None
        if fips:
            by_county.setdefault(fips, Counter())[tz] += 1
    return (
        {k: v.most_common(1)[0][0] for k, v in by_county.items()},
        {k: v.most_common(1)[0][0] for k, v in by_state.items()},
    )


def zone_for(county_fips: str | None = None, state_code: str | None = None) -> ZoneInfo:
    counties, states = _zones()
    name = counties.get(county_fips or "") or states.get(state_code or "") or "UTC"
    return ZoneInfo(name)


def local_text(
    ts: Any, *, county_fips: str | None = None, state_code: str | None = None, date: bool = True
) -> str:
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    moment: datetime = stamp.to_pydatetime().astimezone(UTC)
    local = moment.astimezone(zone_for(county_fips, state_code))
    return local.strftime("%Y-%m-%d %H:%M %Z" if date else "%H:%M %Z")
