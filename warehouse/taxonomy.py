"""The taxonomies, one home each, as data (warehouse/taxonomies/*.csv): causes, report
statuses, source kinds and providers, with the label the app, the incident titles and the
downloads show. The migrations constrain `cause` and `status` to these codes
(tests/test_taxonomy.py checks that the two agree), and the reference tables `causes`,
`statuses` and `source_kinds` are published with them."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

TAXONOMY_DIR = Path(__file__).parent / "taxonomies"


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of taxonomies/NAME.csv, in file order."""
    with open(TAXONOMY_DIR / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def codes(name: str) -> tuple[str, ...]:
    """The codes of a taxonomy (its first column), in file order."""
    return tuple(next(iter(row.values())) for row in rows(name))


def label(name: str, code: str | None) -> str:
    """The label of a code; an unknown one in words ("new_kind" -> "new kind")."""
    if code is None:
        return ""
    for row in rows(name):
        if next(iter(row.values())) == code:
            return row["label"]
    return str(code).replace("_", " ")


CAUSES: tuple[str, ...] = codes("causes")
STATUSES: tuple[str, ...] = codes("statuses")
SOURCE_KINDS: tuple[str, ...] = codes("source_kinds")


def cause_label(cause: str | None) -> str:
    return label("causes", cause)


def source_weight(kind: str | None) -> float:
    """How far a kind of source is trusted for facts (cause, provider, end) and confidence."""
    for row in rows("source_kinds"):
        if row["source_kind"] == kind:
            return float(row["weight"])
    return float(rows("source_kinds")[-1]["weight"])  # unknown


def providers() -> tuple[dict[str, str], ...]:
    """(provider, alias, kind) rows: every name a provider goes by."""
    return rows("providers")


def provider_names() -> tuple[str, ...]:
    """The canonical provider names, sorted."""
    return tuple(sorted({row["provider"] for row in providers()}))
