"""Descriptions of the tables, views and columns, read from docs/data-dictionary.md."""

from __future__ import annotations

import functools
import re
from pathlib import Path

DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
_NAMES = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


@functools.lru_cache(maxsize=1)
def descriptions(path: Path = DICTIONARY) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(relation -> description, relation -> {column -> meaning}) from the data dictionary.

    A section headed by one backticked name (`## \\`reports\\`: one row per ...`) describes
    that relation, and its table rows describe columns (the last cell is the meaning). In
    other sections (Views, Reference tables, Operations) a row describes a relation.
    """
    relations: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return relations, columns
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            names = _NAMES.findall(line)
            current = names[0] if len(names) == 1 else None
            if current:
                relations[current] = line.split(":", 1)[1].strip() if ":" in line else ""
            continue
        if not line.startswith("|") or set(line) <= {"|", "-", " ", ":"}:
            if current and line.strip() and not line.startswith("|") and current not in columns:
                # a section without a column table: the paragraph names its columns
                relations[current] = relations.get(current) or line.strip()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = _NAMES.findall(cells[0])
        if not names:
            continue
        meaning = _plain(cells[-1])
        if current:
            kind = cells[1] if len(cells) > 2 else ""
            for name in names:
                columns.setdefault(current, {})[name] = (
                    f"{meaning} ({_plain(kind)})" if kind and not kind.isupper() else meaning
                )
        else:
            for name in names:
                relations.setdefault(name, meaning)
    return relations, columns


def _plain(text: str) -> str:
    return text.replace("`", "")
