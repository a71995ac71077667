"""One home per taxonomy (warehouse/taxonomies/*.csv), and the database agrees with it."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from crawlers import classify
from tests.warehouse_rows import report
from warehouse import taxonomy
from warehouse.db import MIGRATIONS_DIR, DataDir, connect_work
from warehouse.load import load_reports


def checked_values(column: str) -> set[str]:
    """The values the newest migration that constrains `column` allows."""
    pattern = re.compile(
        rf"\b{column}\s+VARCHAR[^,]*?CHECK\s*\(\s*{column}\s+IN\s*\(([^)]*)\)", re.S
    )
    found: set[str] = set()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        for match in pattern.finditer(path.read_text()):
            found = set(re.findall(r"'([^']+)'", match.group(1)))
    return found


@pytest.mark.parametrize(
    ("column", "codes"), [("cause", taxonomy.CAUSES), ("status", taxonomy.STATUSES)]
)
def test_the_database_constrains_a_column_to_its_taxonomy(column: str, codes: tuple) -> None:
    assert checked_values(column) == set(codes)


def test_the_classifier_uses_the_taxonomy() -> None:
    assert classify.CAUSES == taxonomy.CAUSES and classify.STATUSES == taxonomy.STATUSES
    phrases = Path(classify.DATA_DIR / "cause_phrases.csv").read_text().splitlines()[1:]
    assert {line.split(",", 1)[0] for line in phrases} <= set(taxonomy.CAUSES)


def test_every_code_has_one_label_and_a_meaning() -> None:
    for name in ("causes", "statuses", "source_kinds"):
        rows = taxonomy.rows(name)
        codes = taxonomy.codes(name)
        assert len(set(codes)) == len(codes) and all(r["label"] and r["meaning"] for r in rows)
    assert taxonomy.cause_label("firewall_or_security_device") == "firewall or security device"
    assert taxonomy.source_weight("curated") > taxonomy.source_weight("news")


def test_a_cause_outside_the_taxonomy_is_refused_by_the_database(tmp_path: Path) -> None:
    con = connect_work(DataDir(tmp_path))
    try:
        with pytest.raises(duckdb.ConstraintException):
            load_reports(con, [report("r1", cause="gremlins")])
        load_reports(con, [report("r2", cause="fiber_cut")])
        labels = con.execute(
            "SELECT c.label FROM crawled_reports JOIN causes AS c USING (cause)"
        ).fetchall()
        assert labels == [("fiber cut",)]
    finally:
        con.close()
