"""What every download carries with it: the data version, the licence and the data dictionary.

A newsroom that saves a file has to be able to say, months later, which publication it came
from and on what terms, and what each column means, without the site at hand. So:

- every file name holds the data version (`911-outage-watch-incidents-20261206T220343Z.csv`);
- a Parquet file holds it inside, in its key-value metadata (`data_version`, `licence`,
  `dictionary`: the table's columns and their meanings as JSON), as does a GeoJSON file
  (foreign members of the FeatureCollection);
- a CSV cannot hold metadata, so it travels in a zip with `README.txt` (version, licence, how
  to cite, how to open) and `data-dictionary.csv`; `outages export` writes the same two files
  beside the file it exports.

The data dictionary's one home is docs/data-dictionary.md; `descriptions` reads it (for the
SQL page's schema browser too, through `webapp.schema`), `dictionary_csv` gives it as a
table/column/description CSV.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PROJECT = "911 Outage Watch"
FILE_PREFIX = "911-outage-watch"
DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
DICTIONARY_CSV_NAME = "data-dictionary.csv"
# The data licence (the README's "Licence" section): every download, the About page and the
# README say it from here, so they cannot disagree.
LICENCE = (
    "Licence: the database (incidents, classifications, places, durations, the record's "
    "structure) is CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): use it, credit "
    "911 Outage Watch. Quoted source text stays its publishers' (short quotes, each with its "
    "link); alerts are public records of their issuing agencies; reference geography from the "
    "US Census Bureau (public domain). Code: MIT."
)
LICENCE_SHORT = "CC BY 4.0 (the database); quoted source text stays its publishers'"
_NAMES = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


# ---------------------------------------------------------------------------- version
def data_version(db_path: Path) -> str:
    """The publication time of the published database (ISO 8601, UTC): the data version a
    citation and a download name. `publication.json` beside it, else its `publication`
    table; "unknown" when neither says."""
    info = db_path.parent / "publication.json"
    try:
        value = json.loads(info.read_text()).get("published_at")
        if value:
            return str(value)
    except (OSError, ValueError):
        pass
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            con.execute("SET TimeZone = 'UTC'")
            row = con.execute("SELECT max(published_at) FROM publication").fetchone()
    except duckdb.Error:
        return "unknown"
    return row[0].isoformat() if row and row[0] is not None else "unknown"


def version_stamp(version: str | None) -> str:
    """The version as it goes in a file name: `20261206T220343Z` (no colons, which Windows
    refuses); "unknown" when it is not a time."""
    try:
        moment = datetime.fromisoformat(str(version))
    except (TypeError, ValueError):
        return "unknown"
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def file_name(dataset: str, version: str | None, extension: str) -> str:
    """`911-outage-watch-DATASET-VERSION.EXT`."""
    return f"{FILE_PREFIX}-{dataset}-{version_stamp(version)}.{extension}"


# ---------------------------------------------------------------------------- dictionary
@functools.lru_cache(maxsize=4)
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


def dictionary_rows(path: Path = DICTIONARY) -> list[tuple[str, str, str]]:
    """(table, column, description) for every relation and column the dictionary describes;
    a relation's own row has an empty column."""
    relations, columns = descriptions(path)
    out: list[tuple[str, str, str]] = []
    for name in dict.fromkeys([*relations, *columns]):
        out.append((name, "", relations.get(name, "")))
        out.extend((name, column, meaning) for column, meaning in columns.get(name, {}).items())
    return out


def dictionary_csv(path: Path = DICTIONARY) -> bytes:
    """The data dictionary as a CSV (table, column, description), for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["table", "column", "description"])
    writer.writerows(dictionary_rows(path))
    return buffer.getvalue().encode("utf-8")


def table_dictionary(dataset: str, path: Path = DICTIONARY) -> dict[str, str]:
    """column -> meaning for one table (empty when the dictionary does not describe it)."""
    return dict(descriptions(path)[1].get(dataset, {}))


# ---------------------------------------------------------------------------- metadata
def metadata(
    dataset: str, version: str, *, columns: dict[str, str] | None = None
) -> dict[str, str]:
    """The key-value metadata a Parquet (or GeoJSON) file carries: who, which version, on
    what terms, and what its columns mean (`columns`, else the dictionary's for `dataset`)."""
    out = {
        "title": f"{PROJECT}: {dataset}",
        "data_version": version,
        "licence": LICENCE,
        "data_dictionary": "docs/data-dictionary.md (shipped as data-dictionary.csv)",
    }
    meanings = columns if columns is not None else table_dictionary(dataset)
    out["dictionary"] = json.dumps(meanings, ensure_ascii=False)
    return out


def citation_text(version: str, site: str | None = None) -> str:
    """How to cite the data set as a whole (the Downloads page and every README.txt)."""
    year = version[:4] if version[:4].isdigit() else "n.d."
    line = (
        f"{PROJECT} ({year}). Public records of 911 outages in the United States [data set], "
        f"data version {version}."
    )
    return f"{line} {site}/" if site else line


def readme_text(
    dataset: str,
    version: str,
    data_file: str,
    *,
    site: str | None = None,
    columns: dict[str, str] | None = None,
) -> str:
    """README.txt of a download: what the file is, its version and licence, how to open it,
    what its columns mean (`columns`, else the dictionary's for `dataset`)."""
    columns = columns if columns is not None else table_dictionary(dataset)
    lines = [
        f"{PROJECT}: {dataset}",
        "",
        f"File: {data_file}",
        f"Data version: {version} (the time of the publication it was made from, UTC)",
        LICENCE,
        "",
        "How to cite: " + citation_text(version, site),
        "",
        "Open the CSV in a spreadsheet (Excel, LibreOffice, Google Sheets: File > Open or "
        "Import). Cells a spreadsheet would run as a formula start with a ' (quote). Times "
        "are UTC, ISO 8601; lists are JSON.",
        f"What each column means: {DICTIONARY_CSV_NAME} (every table), and below.",
        "",
    ]
    lines += [f"- {column}: {meaning}" for column, meaning in columns.items()]
    return "\n".join(lines) + "\n"


def csv_zip(
    dataset: str,
    version: str,
    csv_bytes: bytes,
    *,
    site: str | None = None,
    columns: dict[str, str] | None = None,
) -> bytes:
    """A CSV with what it cannot hold itself: README.txt and data-dictionary.csv, zipped."""
    data_file = file_name(dataset, version, "csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(data_file, csv_bytes)
        bundle.writestr(
            "README.txt",
            readme_text(dataset, version, data_file, site=site, columns=columns),
        )
        bundle.writestr(DICTIONARY_CSV_NAME, dictionary_csv())
    return buffer.getvalue()


def write_sidecars(target: Path, dataset: str, version: str) -> list[Path]:
    """Beside an exported file: `NAME.README.txt` and `data-dictionary.csv` (what a CSV or
    JSON lines file cannot hold). Nothing when the target is not a regular file
    (/dev/stdout). Returns the files written."""
    if not target.is_file():
        return []
    readme = target.with_name(f"{target.name}.README.txt")
    readme.write_text(readme_text(dataset, version, target.name), encoding="utf-8")
    dictionary = target.with_name(DICTIONARY_CSV_NAME)
    dictionary.write_bytes(dictionary_csv())
    return [readme, dictionary]


def sql_literal(value: str) -> str:
    """A string as a DuckDB SQL literal (for COPY's KV_METADATA, which takes no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def kv_metadata_option(values: dict[str, str]) -> str:
    """`KV_METADATA {...}` for DuckDB's COPY ... (FORMAT parquet)."""
    pairs = ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in values.items())
    return f"KV_METADATA {{{pairs}}}"
