"""Read-only access to the published database for the app, cached per published version."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse.db import DataDir


def data_dir() -> DataDir:
    return DataDir.resolve()


def published_version(path: Path) -> str:
    """Changes whenever a publish swaps the file in: the cache key of every query."""
    stat = path.stat()
    return f"{stat.st_ino}-{stat.st_mtime_ns}"


def query_df(path: Path, version: str, sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run one query on a fresh read-only connection (a publish may swap the file any time)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=list(params)).to_arrow_table().to_pandas()


def publication(path: Path) -> dict[str, Any]:
    info = path.parent / "publication.json"
    return json.loads(info.read_text()) if info.exists() else {}


@lru_cache(maxsize=2)
def state_outlines_json() -> str:
    """State outlines as GeoJSON text: the offline base layer (no web tiles needed)."""
    from warehouse.reference import states_geodataframe

    return states_geodataframe()[["fips", "geometry"]].to_json()


@lru_cache(maxsize=1)
def county_shapes() -> Any:
    from warehouse.reference import counties_geodataframe

    return counties_geodataframe()
