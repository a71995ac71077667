"""Downloads: the data as CSV, Parquet and GeoJSON, the whole database, the data dictionary.

Files are made when the button is clicked (Streamlit's deferred downloads), from the published
file, so the page itself stays light whatever the size of the database.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from warehouse import bulk, bundle
from warehouse.export import geojson_head, neutralize_cell
from webapp import data, ui
from webapp.schema import DICTIONARY

# Grouped twice rather than counting DISTINCT incidents: DuckDB runs a DISTINCT count next to
# other aggregates as three passes over the rows (a third slower at a million reports).
COUNTY_MONTH_SQL = """
WITH county_incidents AS (
    -- One row per county, month and incident (an incident counts once in each county).
    SELECT ic.county_fips, ic.state_code, date_trunc('month', i.started_on)::DATE AS month,
           i.incident_id,
           any_value(coalesce(ic.county_name, c.county_name)) AS county_name,
           sum(i.duration_minutes) AS minutes,
           any_value(c.population) AS population,
           bool_or(i.constructed_reports = i.report_count) AS constructed
    FROM incident_counties AS ic
    JOIN incidents AS i USING (incident_id)
    LEFT JOIN counties AS c ON c.county_fips = ic.county_fips
    WHERE i.started_on IS NOT NULL
    GROUP BY ic.county_fips, ic.state_code, month, i.incident_id
)
SELECT county_fips, any_value(county_name) AS county_name, state_code, month,
       count(*) AS incidents,
       round(sum(minutes) / 60.0, 1) AS outage_hours,
       any_value(population) AS population,
       count(*) FILTER (WHERE constructed) AS constructed_incidents
FROM county_incidents
GROUP BY county_fips, state_code, month
ORDER BY month, county_fips
"""

COUNTY_MONTH_COLUMNS = {
    "county_fips": "5-digit county FIPS code",
    "county_name": "the county's name",
    "state_code": "USPS code of its state",
    "month": "the first day of the month (by the local date the incidents began)",
    "incidents": "incidents that began that month and named the county (each once)",
    "outage_hours": "their summed duration in hours (incidents of unknown duration add none)",
    "population": "the county's population",
    "constructed_incidents": "of which built from constructed demo reports only",
}

DATASETS: dict[str, tuple[str, str]] = {
    "incidents": (
        "Incidents",
        "One row per outage: start, end, duration, places, people in the area, cause, "
        "provider, sources, confidence.",
    ),
    "reports": (
        "Reports",
        "One row per source document (alert, press release, article, FCC document), outage "
        "or not, with its link, archived copy and classification.",
    ),
    "incident_counties": (
        "Incident counties",
        "One row per incident and county it touched: for maps and joins.",
    ),
    "county_month": (
        "County-month aggregates",
        "One row per county and month with incidents (by the local date they began): "
        "incidents, outage hours, population.",
    ),
}
FORMATS = {"csv": "CSV (zip)", "parquet": "Parquet", "geojson": "GeoJSON"}
# A CSV comes zipped with its README.txt (data version, licence) and data-dictionary.csv.
EXTENSIONS = {"csv": "csv.zip", "parquet": "parquet", "geojson": "geojson"}
MIME = {
    "csv": "application/zip",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
}
GEOMETRY_NOTES = {
    "incidents": "GeoJSON geometry: the outlines of its counties (a state's outline when the "
    "whole state was affected, or when the sources name the state but no county).",
    "reports": "GeoJSON geometry: one point inside each county it names (a state's point "
    "when statewide or when no county is named); join report_counties to counties for "
    "outlines.",
    "incident_counties": "GeoJSON geometry: the county outline.",
    "county_month": "GeoJSON geometry: the county outline.",
}


# ---------------------------------------------------------------------------- file makers
def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return data.open_published(path)


def make_file(path: Path, dataset: str, fmt: str, version: str | None = None) -> bytes:
    """The file's bytes (runs when the button is clicked, outside the page's run), with the
    data version, licence and dictionary inside (`warehouse.bundle`)."""
    version = version or bundle.data_version(path)
    # county_month is made here, not a published table: its columns are described here
    columns = COUNTY_MONTH_COLUMNS if dataset == "county_month" else None
    meta = bundle.metadata(dataset, version, columns=columns)
    with tempfile.TemporaryDirectory(prefix="outages-download-") as tmp:
        target = Path(tmp) / f"{dataset}.{fmt}"
        if dataset == "county_month":
            write_county_month(path, fmt, target, meta)
        elif fmt == "geojson" and dataset in ("incidents", "reports"):
            write_places_geojson(path, dataset, target, meta)
        else:  # a Parquet of a table with a current bulk file is a copy of it
            bulk.export(path, dataset, fmt, target, metadata=meta)
        if fmt == "csv":
            return bundle.csv_zip(dataset, version, target.read_bytes(), columns=columns)
        return target.read_bytes()


def write_county_month(path: Path, fmt: str, target: Path, meta: dict[str, str]) -> None:
    with connect(path) as con:
        frame = con.sql(COUNTY_MONTH_SQL).to_arrow_table().to_pandas()
        if fmt == "csv":
            safe = frame.copy()
            for column in ("county_name", "county_fips", "state_code"):
                safe[column] = safe[column].map(neutralize_cell)
            safe.to_csv(target, index=False)
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            # pandas' own schema metadata stays; the version, licence and dictionary join it
            merged = {
                **(table.schema.metadata or {}),
                **{k.encode(): v.encode() for k, v in meta.items()},
            }
            pq.write_table(table.replace_schema_metadata(merged), target, compression="zstd")
        else:
            shapes = county_geometries(con)
            write_features(
                target,
                ((shapes.get(row["county_fips"]), row) for row in frame.to_dict(orient="records")),
                meta,
            )


def county_geometries(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = con.execute(
        "SELECT county_fips, geometry FROM counties WHERE geometry IS NOT NULL"
    ).fetchall()
    return {fips: json.loads(geometry) for fips, geometry in rows}


def state_geometries(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = con.execute(
        "SELECT state_code, geometry FROM states WHERE geometry IS NOT NULL"
    ).fetchall()
    return {code: json.loads(geometry) for code, geometry in rows}


def polygons(geometry: dict | None) -> list:
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def inner_point(geometry: dict | None) -> list[float] | None:
    """A point inside the shape (shapely's representative point)."""
    if not geometry:
        return None
    import shapely.geometry

    point = shapely.geometry.shape(geometry).representative_point()
    return [round(point.x, 4), round(point.y, 4)]


def write_places_geojson(path: Path, dataset: str, target: Path, meta: dict[str, str]) -> None:
    """Incidents (county outlines) or reports (points in their counties) as GeoJSON."""
    with connect(path) as con:
        counties = county_geometries(con)
        states = state_geometries(con)
        if dataset == "incidents":
            members = dict(
                con.execute(
                    "SELECT incident_id, list(county_fips ORDER BY county_fips) "
                    "FROM incident_counties GROUP BY 1"
                ).fetchall()
            )
            query = "SELECT * FROM incidents ORDER BY started_at, incident_id"
        else:
            members = {}
            query = "SELECT * FROM reports ORDER BY published_at, report_id"
        county_state = dict(con.execute("SELECT county_fips, state_code FROM counties").fetchall())
        cursor = data.cursor(con)
        cursor.execute(query)
        names = [d[0] for d in cursor.description]
        points: dict[str, Any] = {}

        def point(code: str, shapes: dict) -> list[float] | None:
            if code not in points:
                points[code] = inner_point(shapes.get(code))
            return points[code]

        def features():
            while batch := cursor.fetchmany(2000):
                for values in batch:
                    row = dict(zip(names, values, strict=True))
                    statewide = list(row.get("statewide_states") or [])
                    if dataset == "incidents":
                        parts = [p for s in statewide for p in polygons(states.get(s))]
                        for fips in members.get(row["incident_id"], []):
                            if county_state.get(fips) not in statewide:
                                parts += polygons(counties.get(fips))
                        if not parts:  # states named, no county: the states' outlines
                            parts = [p for s in row["state_codes"] for p in polygons(states.get(s))]
                        geometry = {"type": "MultiPolygon", "coordinates": parts} if parts else None
                    else:
                        coords = [point(s, states) for s in statewide]
                        coords += [
                            point(f, counties)
                            for f in row.get("county_fips") or []
                            if county_state.get(f) not in statewide
                        ]
                        if not coords:
                            coords = [point(s, states) for s in row.get("state_codes") or []]
                        coords = [c for c in coords if c]
                        geometry = {"type": "MultiPoint", "coordinates": coords} if coords else None
                    yield geometry, row

        write_features(target, features(), meta)


def write_features(target: Path, features, meta: dict[str, str] | None = None) -> None:
    with target.open("w", encoding="utf-8") as out:
        out.write(geojson_head(meta))
        first = True
        for geometry, properties in features:
            if not first:
                out.write(",\n")
            first = False
            feature = {
                "type": "Feature",
                "geometry": geometry,
                "properties": {k: v for k, v in properties.items() if k != "geometry"},
            }
            out.write(json.dumps(feature, default=str, ensure_ascii=False))
        out.write("\n]}\n")


def file_maker(path: Path, dataset: str, fmt: str, version: str) -> Callable[[], bytes]:
    return lambda: make_file(path, dataset, fmt, version)


def whole_database(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()


# ---------------------------------------------------------------------------- page
def how_to_open(version: str) -> str:
    """Which file for which tool, one line each (markdown; no source text in it)."""
    sample = bundle.file_name("incidents", version, "parquet")
    database = f"{bundle.FILE_PREFIX}-{bundle.version_stamp(version)}.duckdb"
    return "\n".join(
        [
            "- **In a spreadsheet** (Excel, LibreOffice, Google Sheets): take **CSV (zip)**, "
            "unzip it and open the `.csv` file; `README.txt` beside it gives the data "
            "version and licence, `data-dictionary.csv` what each column means.",
            "- **In a notebook** (Python, R, DuckDB): take **Parquet**, then "
            f'`pandas.read_parquet("{sample}")` or `duckdb.sql("FROM \'{sample}\'")`; '
            "or the whole database, `duckdb.connect(" + f'"{database}"' + ", read_only=True)`.",
            "- **On a map** (QGIS, a web map): take **GeoJSON**.",
        ]
    )


def render() -> None:
    pub = ui.page(
        "Downloads",
        "The data as files, made from the published database when you click. Every file "
        "names its data version and licence, and comes with the data dictionary.",
    )
    if pub is None:
        return
    version = pub.published_at or bundle.data_version(pub.path)
    counts = data.query(
        pub,
        "SELECT (SELECT count(*) FROM incidents) AS incidents, "
        "(SELECT count(*) FROM reports) AS reports, "
        "(SELECT count(*) FROM incident_counties) AS incident_counties",
    ).iloc[0]
    st.subheader("Which file to open", anchor=False)
    st.markdown(how_to_open(version))
    st.subheader("Data version and licence", anchor=False)
    st.markdown(
        f"**Data version:** {version} (the time of this publication, UTC: in every file "
        "name, in Parquet and GeoJSON files, and in the CSV zip's `README.txt`)"
    )
    st.markdown(bundle.LICENCE)
    st.subheader("How to cite", anchor=False)
    st.code(citation(pub), language=None, wrap_lines=True)
    st.caption(
        "Cite the original sources too: every incident lists them with links and archived "
        "copies, and gives its own citation (Incidents page)."
    )
    st.subheader("Tables", anchor=False)
    for dataset, (title, about) in DATASETS.items():
        with st.container(border=True, key=f"dl_{dataset}"):
            size = f" ({int(counts[dataset]):,} rows)" if dataset in counts else ""
            st.markdown(f"**{title}**{size}: {about}")
            cols = st.columns(len(FORMATS))
            for col, (fmt, label) in zip(cols, FORMATS.items(), strict=True):
                col.download_button(
                    label,
                    data=file_maker(pub.path, dataset, fmt, version),
                    file_name=bundle.file_name(dataset, version, EXTENSIONS[fmt]),
                    mime=MIME[fmt],
                    key=f"dl_{dataset}_{fmt}",
                    icon=":material/download:",
                    on_click="ignore",
                    width="stretch",
                )
            st.caption(GEOMETRY_NOTES[dataset])
    st.subheader("Everything", anchor=False)
    cols = st.columns(3)
    size_mb = pub.path.stat().st_size / 1e6
    cols[0].download_button(
        f"The whole database (DuckDB, {size_mb:,.1f} MB)",
        data=whole_database(pub.path),
        file_name=f"{bundle.FILE_PREFIX}-{bundle.version_stamp(version)}.duckdb",
        mime="application/octet-stream",
        key="dl_duckdb",
        icon=":material/database:",
        on_click="ignore",
        width="stretch",
    )
    dictionary = DICTIONARY.read_bytes() if DICTIONARY.exists() else b""
    cols[1].download_button(
        "The data dictionary (Markdown)",
        data=dictionary,
        file_name=f"{bundle.FILE_PREFIX}-data-dictionary.md",
        mime="text/markdown",
        key="dl_dictionary",
        icon=":material/menu_book:",
        on_click="ignore",
        width="stretch",
        disabled=not dictionary,
    )
    cols[2].download_button(
        "The data dictionary (CSV)",
        data=bundle.dictionary_csv,
        file_name=f"{bundle.FILE_PREFIX}-{bundle.DICTIONARY_CSV_NAME}",
        mime="text/csv",
        key="dl_dictionary_csv",
        icon=":material/table:",
        on_click="ignore",
        width="stretch",
        disabled=not dictionary,
    )
    st.caption(
        "The database opens in DuckDB 1.5 or later (`duckdb 911-outage-watch.duckdb`); it is "
        "the file the app and the SQL page read, and its `publication` table holds the data "
        f"version ({version})."
    )
    if dictionary:
        with st.expander("Read the data dictionary here"):
            st.markdown(dictionary.decode("utf-8"))


def citation(pub: data.Published) -> str:
    version = pub.published_at or "unknown"
    try:
        site = (st.context.url or "").split("?", 1)[0].rsplit("/", 1)[0] or None
    except Exception:
        site = None
    return bundle.citation_text(version, site)
