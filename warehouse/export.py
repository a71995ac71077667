"""Exports of the published database: CSV (safe in spreadsheets), Parquet, GeoJSON, JSON lines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb

# OWASP CSV injection: a cell a spreadsheet would run as a formula gets a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def _select_for_csv(name: str, columns: list[tuple[str, str]]) -> str:
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
        prefixes = "|".join({"\t": "\\t", "\r": "\\r"}.get(p, "\\" + p) for p in FORMULA_PREFIXES)
        parts.append(
            f"CASE WHEN regexp_matches({ident}, '^({prefixes})') THEN '''' || {ident} "
            f'ELSE {ident} END AS "{column}"'
        )
    return f'SELECT {", ".join(parts)} FROM "{name}"'


def export_relation(db_path: Path, name: str, fmt: str, target: Path) -> int:
    """Write table or view `name` to `target` in `fmt`; return the number of rows."""
    if not db_path.exists():
        raise FileNotFoundError(f"no published database at {db_path}: run `outages demo`")
    target.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path), read_only=True) as con:
        relations = public_relations(con)
        if name not in relations:
            raise ExportError(
                f"no table or view named {name!r}; try one of: " + ", ".join(sorted(relations))
            )
        columns = relations[name]
        count = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        path = str(target).replace("'", "''")
        if fmt == "csv":
            con.execute(
                f"COPY ({_select_for_csv(name, columns)}) TO '{path}' (FORMAT csv, HEADER true)"
            )
        elif fmt == "parquet":
            con.execute(
                f"COPY (SELECT * FROM \"{name}\") TO '{path}' (FORMAT parquet, COMPRESSION zstd)"
            )
        elif fmt == "jsonl":
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{path}' (FORMAT json)")
        elif fmt == "geojson":
            _export_geojson(con, name, dict(columns), target)
        else:
            raise ExportError(f"unknown format {fmt!r}")
    return count


def _export_geojson(
    con: duckdb.DuckDBPyConnection, name: str, types: dict[str, str], target: Path
) -> None:
    """One feature per row, with the county (or state) outline(s) as geometry."""
    columns = list(types)
    if "geometry" in columns:
        geometry_sql, join = "t.geometry", ""
    elif "county_fips" in columns and types.get("county_fips", "").endswith("[]"):
        # A list of counties (reports, incidents): one GeometryCollection of their outlines.
        geometry_sql = (
            "(SELECT '{\"type\": \"GeometryCollection\", \"geometries\": [' || "
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
    with target.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        first = True
        while batch := cursor.fetchmany(5000):
            for geometry, *values in batch:
                if not first:
                    out.write(",\n")
                first = False
                feature = {
                    "type": "Feature",
                    "geometry": json.loads(geometry) if geometry else None,
                    "properties": dict(zip(kept, values, strict=True)),
                }
                out.write(json.dumps(feature, default=str))
        out.write("\n]}\n")
