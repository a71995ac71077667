"""Exports of the published database: CSV (safe in spreadsheets), Parquet, GeoJSON, JSON lines."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb

from warehouse.bundle import kv_metadata_option

# OWASP CSV injection: a cell a spreadsheet would run as a formula gets a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The same as one RE2 pattern, for DuckDB's regexp_matches and Arrow's match_substring_regex
FORMULA_PATTERN = (
    "^(" + "|".join({"\t": "\\t", "\r": "\\r"}.get(p, "\\" + p) for p in FORMULA_PREFIXES) + ")"
)


class ExportError(ValueError):
    """The export cannot be made (unknown name, no geometry for GeoJSON...)."""


def neutralize_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = json.dumps(value, default=str)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def public_relations(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Tables and views of the main schema: name -> [(column, type)]."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND NOT starts_with(table_name, '_') "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    relations: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        relations.setdefault(table, []).append((column, dtype))
    return relations


# Types whose text a spreadsheet cannot take for a formula; every other type is written as
# text and neutralized like VARCHAR (ENUM, JSON, UUID, STRUCT, MAP, BLOB...).
_PLAIN_TYPE_RE = re.compile(
    r"(BOOLEAN|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL|DATE)\b"
)


def text_select(name: str, columns: list[tuple[str, str]], *, neutralize: bool = True) -> str:
    """A SELECT of relation `name` with each column as the CSV exports write it: numbers,
    booleans and dates as they are, times as ISO 8601 UTC, lists as JSON, the rest as
    text; with `neutralize`, text a spreadsheet would take for a formula gets a `'`."""
    parts = []
    for column, dtype in columns:
        ident = f'"{column}"'
        if dtype.endswith("]"):  # lists and arrays
            ident = f"to_json({ident})::VARCHAR"
        elif dtype.startswith("TIMESTAMP"):
            ident = f"strftime({ident} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"
        elif _PLAIN_TYPE_RE.match(dtype):
            parts.append(f'{ident} AS "{column}"')
            continue
        elif dtype != "VARCHAR":
            ident = f"CAST({ident} AS VARCHAR)"
        if neutralize:
            ident = (
                f"CASE WHEN regexp_matches({ident}, '{FORMULA_PATTERN}') THEN '''' || {ident} "
                f"ELSE {ident} END"
            )
        parts.append(f'{ident} AS "{column}"')
    return f'SELECT {", ".join(parts)} FROM "{name}"'


# Parquet as DuckDB writes it, measured on 1,000,000 reports (2 cores, benchmarks/RESULTS.md):
# most of the time goes to trying dictionaries on columns that are all distinct (body,
# report_id, alert_key); capping a dictionary at 2,000 entries saves a fifth and still
# dictionary-encodes the columns that repeat (source, status, state codes). zstd at level 1
# costs what snappy does and the file is 40% smaller (138 MB vs 222 MB); row groups of
# 61,440 rows (half DuckDB's default) take a quarter less memory at the same speed. pyarrow,
# pandas, Spark, R arrow and DuckDB all read zstd.
PARQUET_OPTIONS = (
    "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 61440, "
    "DICTIONARY_SIZE_LIMIT 2000"
)


def export_relation(
    db_path: Path,
    name: str,
    fmt: str,
    target: Path,
    *,
    metadata: dict[str, str] | None = None,
    progress: bool = True,
) -> int:
    """Write table or view `name` to `target` in `fmt`; return the number of rows.

    `metadata` (the data version, licence and dictionary: `warehouse.bundle.metadata`) goes
    inside the file where the format has room: Parquet key-value metadata, GeoJSON members.

    The file appears complete or not at all: it is written next to `target` and renamed
    over it, except when `target` is a symlink (written through) or not a regular file
    (/dev/stdout). Rows come in no particular order.
    """
    if not db_path.exists():
        raise FileNotFoundError(f"no published database at {db_path}: run `outages demo`")
    if fmt not in ("csv", "parquet", "jsonl", "geojson"):
        raise ExportError(f"unknown format {fmt!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    in_place = target.is_symlink() or (target.exists() and not target.is_file())
    # The temporary name keeps the target's suffixes (DuckDB compresses `.csv.gz`).
    temp = target if in_place else target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            relations = public_relations(con)
            if name not in relations:
                raise ExportError(
                    f"no table or view named {name!r}; try one of: " + ", ".join(sorted(relations))
                )
            # Otherwise COPY holds back what each thread has read until it can write it in
            # table order: at a million reports twice the memory (2 GB, not 1) and 15 to 50%
            # more CPU time.
            con.execute("SET preserve_insertion_order = false")
            if not progress:  # DuckDB's bar, drawn on a long COPY, is noise in a log
                con.execute("SET enable_progress_bar = false")
            count = _write(
                con, name, relations[name], fmt, temp, in_place=in_place, metadata=metadata
            )
        if not in_place:
            os.replace(temp, target)
    finally:
        if not in_place:
            temp.unlink(missing_ok=True)
    return count


def _write(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[tuple[str, str]],
    fmt: str,
    target: Path,
    *,
    in_place: bool = False,
    metadata: dict[str, str] | None = None,
) -> int:
    path = str(target).replace("'", "''")
    if fmt == "geojson":
        return _export_geojson(con, name, dict(columns), target, metadata=metadata)
    if fmt == "csv":
        query, options = text_select(name, columns), "FORMAT csv, HEADER true"
    elif fmt == "parquet":
        query, options = f'SELECT * FROM "{name}"', PARQUET_OPTIONS
    else:  # jsonl
        query, options = f'SELECT * FROM "{name}"', "FORMAT json"
    if metadata and fmt == "parquet":
        options += ", " + kv_metadata_option(metadata)
    if in_place:  # DuckDB would otherwise write `target.tmp` and rename it over the symlink
        options += ", USE_TMP_FILE false"
    # COPY answers with the number of rows it wrote.
    return con.execute(f"COPY ({query}) TO '{path}' ({options})").fetchall()[0][0]


def _export_geojson(
    con: duckdb.DuckDBPyConnection,
    name: str,
    types: dict[str, str],
    target: Path,
    *,
    metadata: dict[str, str] | None = None,
) -> int:
    """One feature per row, with the county (or state) outline(s) as geometry; return the
    number of features."""
    columns = list(types)
    if "geometry" in columns:
        geometry_sql, join = "t.geometry", ""
    elif "county_fips" in columns and types.get("county_fips", "").endswith("[]"):
        # A list of counties (reports, incidents): one GeometryCollection of their outlines.
        geometry_sql = (
            '(SELECT \'{"type": "GeometryCollection", "geometries": [\' || '
            "string_agg(g.geometry, ', ') || ']}' FROM counties AS g "
            "WHERE list_contains(t.county_fips, g.county_fips) AND g.geometry IS NOT NULL)"
        )
        join = ""
    elif "county_fips" in columns:
        geometry_sql, join = "g.geometry", "LEFT JOIN counties AS g USING (county_fips)"
    elif "state_code" in columns:
        geometry_sql, join = "g.geometry", "LEFT JOIN states AS g USING (state_code)"
    else:
        raise ExportError(f"{name} has no county_fips or state_code column to draw")
    kept = [c for c in columns if c != "geometry"]
    props = ", ".join(f't."{c}"' for c in kept)
    cursor = con.execute(f'SELECT {geometry_sql}, {props} FROM "{name}" AS t {join}')
    count = 0
    with target.open("w", encoding="utf-8") as out:
        out.write(geojson_head(metadata))
        while batch := cursor.fetchmany(5000):
            for geometry, *values in batch:
                if count:
                    out.write(",\n")
                count += 1
                feature = {
                    "type": "Feature",
                    "geometry": json.loads(geometry) if geometry else None,
                    "properties": dict(zip(kept, values, strict=True)),
                }
                out.write(json.dumps(feature, default=str))
        out.write("\n]}\n")
    return count


def geojson_head(metadata: dict[str, str] | None = None) -> str:
    """The opening of a FeatureCollection, with `metadata` as foreign members (RFC 7946 §6.1)
    before the features, where a reader sees them first."""
    members = "".join(f"{json.dumps(k)}: {json.dumps(v)}, " for k, v in (metadata or {}).items())
    return '{"type": "FeatureCollection", ' + members + '"features": [\n'
