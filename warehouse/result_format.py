"""A public query's Arrow result as the SQL page shows and exports it: a table to display,
CSV, Parquet, and (for the CLI) Python rows.

Arrow's compute kernels format the common types column by column and DuckDB the rarer ones
(an in-memory connection that sees only that table and runs only our SELECT); Arrow writes
the bytes. No Python code runs per cell, and neither holds the GIL while it works, so a
large result does not stall the other visitors' pages on the same Streamlit server. The
text forms are the ones the CSV exports use (`warehouse.export.text_select`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import uuid
from collections import Counter
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from warehouse.export import FORMULA_PATTERN, neutralize_cell, text_select

_RELATION = "query_result"


def unique_names(columns: list[str]) -> list[str]:
    """Column names made unique for a table view: repeated names get a suffix (a, a_2)."""
    seen: Counter[str] = Counter()
    names = []
    for column in columns:
        seen[column] += 1
        names.append(column if seen[column] == 1 else f"{column}_{seen[column]}")
    return names


def _is_plain(kind: pa.DataType) -> bool:
    """Types kept as they are: numbers, booleans, nulls (nothing a formula can be). Dates
    go through DuckDB, which writes its infinite dates as `infinity` (Arrow cannot)."""
    return (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_null(kind)
    )


def _neutralized(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text a spreadsheet would take for a formula, with a leading `'`."""
    risky = pc.match_substring_regex(text, FORMULA_PATTERN)
    return pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)


def _formatted(table: pa.Table, *, neutralize: bool, all_text: bool = False) -> pa.Table:
    """`table` with its columns in their text forms (plain types kept unless `all_text`).

    Strings, enums and times are formatted by Arrow's compute kernels, column by column;
    the rarer types (lists, structs, maps, blobs, intervals, unions) by DuckDB, in one
    SELECT over just those columns, with the exports' own rules (`text_select`).
    """
    out: list[pa.ChunkedArray | None] = []
    rare: list[int] = []
    for index, column in enumerate(table.columns):
        kind = column.type
        if _is_plain(kind) and not all_text:
            out.append(column)
            continue
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_timestamp(kind) and not all_text:
            # whole seconds, as the CSV exports write them (Arrow's %S adds the fraction)
            utc = column.cast(pa.timestamp(kind.unit, tz="UTC")).cast(
                pa.timestamp("s", tz="UTC"), safe=False
            )
            out.append(pc.strftime(utc, format="%Y-%m-%dT%H:%M:%SZ"))
            continue
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            out.append(column)
            continue
        out.append(None)
        rare.append(index)
    if rare:
        for index, column in zip(rare, _duckdb_text(table.select(rare), all_text), strict=True):
            out[index] = column
    if neutralize:
        out = [
            _neutralized(c) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type) else c
            for c in out
        ]
    return pa.table(out, names=[f"c{i}" for i in range(len(out))])


def _duckdb_text(table: pa.Table, all_text: bool) -> list[pa.ChunkedArray]:
    """The columns of `table` as text, by DuckDB: an in-memory database of our own that
    holds nothing, sees only this table (under a name of its own per call) and runs only
    our SELECT. One database serves every call (a new one costs ~50 ms); each call has its
    own cursor, so threads do not share a session."""
    positional = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    cursor = _formatter().cursor()
    name = f"{_RELATION}_{uuid.uuid4().hex}"
    try:
        cursor.register(name, positional)
        relation = cursor.table(name)
        # all_text: a type name no rule of text_select knows, so every column is CAST
        # (and dates, which text_select keeps as DATE: here they must become text)
        types = [("ANY" if all_text or str(t) == "DATE" else str(t)) for t in relation.types]
        # not neutralized here: the caller does that once, for every text column
        sql = text_select(name, list(zip(relation.columns, types, strict=True)), neutralize=False)
        return list(cursor.sql(sql).to_arrow_table().columns)
    finally:
        with contextlib.suppress(duckdb.Error):
            cursor.unregister(name)
        cursor.close()


@functools.cache
def _formatter() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 1, "enable_external_access": False})
    atexit.register(con.close)  # closed before the interpreter's teardown, not after it
    return con


def display_table(table: pa.Table, columns: list[str]) -> Any:
    """The result as a pandas DataFrame to show: numbers as numbers, the rest as text."""
    if table.num_columns == 0:
        import pandas as pd

        return pd.DataFrame()
    names = unique_names(columns)
    try:
        return _formatted(table, neutralize=False).rename_columns(names).to_pandas()
    except (pa.ArrowException, ValueError, OverflowError, duckdb.Error):
        # a value pandas cannot hold (a date in year 5881580): show every column as text
        return _formatted(table, neutralize=False, all_text=True).rename_columns(names).to_pandas()


def csv_bytes(table: pa.Table, columns: list[str]) -> bytes:
    """UTF-8 CSV with a header; every text cell a spreadsheet would run as a formula is
    neutralized; CRLF line ends, so a lone CR inside a cell is quoted."""
    header = [str(neutralize_cell(c)) for c in columns]
    out = io.BytesIO()
    if table.num_columns == 0:
        return b"\r\n"
    formatted = _formatted(table, neutralize=True).rename_columns(header)
    pa_csv.write_csv(formatted, out, pa_csv.WriteOptions(eol="\r\n"))
    return out.getvalue()


def parquet_bytes(
    table: pa.Table, columns: list[str], metadata: dict[str, str] | None = None
) -> bytes:
    """The result as Parquet (zstd), with its types; a type Parquet cannot hold (a UNION)
    is written in its text form. `metadata` goes into the file's key-value metadata (the
    data version and licence)."""
    names = unique_names(columns)

    def with_metadata(named: pa.Table) -> pa.Table:
        return named.replace_schema_metadata(metadata) if metadata else named

    out = io.BytesIO()
    try:
        pq.write_table(with_metadata(table.rename_columns(names)), out, compression="zstd")
    except (pa.ArrowException, ValueError):
        out = io.BytesIO()
        text = _formatted(table, neutralize=False).rename_columns(names)
        pq.write_table(with_metadata(text), out, compression="zstd")
    return out.getvalue()


def python_rows(table: pa.Table) -> list[tuple]:
    """The result as Python tuples (for the CLI): a column whose values Python cannot hold
    (a date in year 5881580) comes as its text form."""
    if table.num_columns == 0:
        return []
    values = []
    for index, column in enumerate(table.columns):
        try:
            values.append(column.to_pylist())
        except (pa.ArrowException, ValueError, OverflowError):
            text = _formatted(table.select([index]), neutralize=False, all_text=True)
            values.append(text.column(0).to_pylist())
    return list(zip(*values, strict=True))
