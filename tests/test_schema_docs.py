"""The published schema is documented, and the report columns have one definition.

docs/data-dictionary.md names every published table and view and every column of each
(a table's columns in its own section); warehouse/schema.py's REPORT_COLUMNS is exactly the
column list the migrations give `crawled_reports` and the published `reports`."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from warehouse.schema import REPORT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DICTIONARY = (ROOT / "docs" / "data-dictionary.md").read_text()
# Only the build bookkeeping the loader adds after the report's own columns.
LOADER_COLUMNS = ("loaded_at",)


def sections() -> dict[str, str]:
    """`## \\`name\\`` heading -> the text under it."""
    parts = re.split(r"^## ", DICTIONARY, flags=re.M)
    found = {}
    for part in parts[1:]:
        match = re.match(r"`(\w+)`", part)
        if match:
            found[match.group(1)] = part
    return found


def documented(name: str, text: str) -> bool:
    return re.search(rf"`{re.escape(name)}`", text) is not None


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[str]]]:
    rows = con.execute(
        "SELECT table_name, table_type, list(column_name ORDER BY ordinal_position) "
        "FROM information_schema.columns JOIN information_schema.tables "
        "USING (table_catalog, table_schema, table_name) "
        "WHERE table_schema = 'main' GROUP BY ALL"
    ).fetchall()
    return {name: (kind, columns) for name, kind, columns in rows}


def test_every_published_table_view_and_column_is_documented(demo_dir: Path) -> None:
    with duckdb.connect(str(demo_dir / "outages.duckdb"), read_only=True) as con:
        published = relations(con)
    by_section = sections()
    missing = []
    for name, (kind, columns) in sorted(published.items()):
        if not documented(name, DICTIONARY):
            missing.append(f"{kind.lower()} {name}")
            continue
        # A table with a section of its own lists its columns there; others (views,
        # reference and operations tables) list theirs in their row or anywhere in the page.
        text = by_section.get(name, DICTIONARY)
        missing += [f"{name}.{c}" for c in columns if not documented(c, text)]
    assert not missing, "not in docs/data-dictionary.md: " + ", ".join(missing)


def test_report_columns_have_one_definition(tmp_path: Path) -> None:
    from warehouse.db import DataDir, connect_work

    con = connect_work(DataDir(tmp_path))
    try:
        tables = relations(con)
    finally:
        con.close()
    expected = [*REPORT_COLUMNS, *LOADER_COLUMNS]
    assert sorted(tables["crawled_reports"][1]) == sorted(expected)
    assert sorted(tables["reports"][1]) == sorted(expected)
