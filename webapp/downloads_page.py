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

from warehouse.export import export_relation, neutralize_cell
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
FORMATS = {"csv": "CSV", "parquet": "Parquet", "geojson": "GeoJSON"}
MIME = {
    "csv": "text/csv",
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


def make_file(path: Path, dataset: str, fmt: str) -> bytes:
    """The file's bytes (runs when the button is clicked, outside the page's run)."""
    with tempfile.TemporaryDirectory(prefix="outages-download-") as tmp:
        target = Path(tmp) / f"{dataset}.{fmt}"
        if dataset == "county_month":
            write_county_month(path, fmt, target)
        elif fmt == "geojson" and dataset in ("incidents", "reports"):
            write_places_geojson(path, dataset, target)
        else:
            export_relation(path, dataset, fmt, target)
        return target.read_bytes()


def write_county_month(path: Path, fmt: str, target: Path) -> None:
    with connect(path) as con:
        frame = con.sql(COUNTY_MONTH_SQL).to_arrow_table().to_pandas()
        if fmt == "csv":
            safe = frame.copy()
            for column in ("county_name", "county_fips", "state_code"):
                safe[column] = safe[column].map(neutralize_cell)
            safe.to_csv(target, index=False)
        elif fmt == "parquet":
            frame.to_parquet(target, index=False, compression="zstd")
        else:
            shapes = county_geometries(con)
            write_features(
                target,
                ((shapes.get(row["county_fips"]), row) for row in frame.to_dict(orient="records")),
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


def write_places_geojson(path: Path, dataset: str, target: Path) -> None:
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

        write_features(target, features())


def write_features(target: Path, features) -> None:
    with target.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
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


def file_maker(path: Path, dataset: str, fmt: str) -> Callable[[], bytes]:
    return lambda: make_file(path, dataset, fmt)


def whole_database(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()


# ---------------------------------------------------------------------------- page
def render() -> None:
    pub = ui.page(
        "Downloads",
        "The data as files: open CSV in a spreadsheet (cells that a spreadsheet would run as a "
        "formula get a leading quote), Parquet in pandas, R or DuckDB, GeoJSON in QGIS or a "
        "web map. Files are made from the published database when you click.",
    )
    if pub is None:
        return
    version = pub.published_at or pub.version
    stamp = ui.format_version(pub.published_at).replace(" UTC", "").replace(" ", "T")
    counts = data.query(
        pub,
        "SELECT (SELECT count(*) FROM incidents) AS incidents, "
        "(SELECT count(*) FROM reports) AS reports, "
        "(SELECT count(*) FROM incident_counties) AS incident_counties",
    ).iloc[0]
    st.subheader("How to cite", anchor=False)
    st.code(citation(pub), language=None, wrap_lines=True)
    st.caption(
        "Cite the original sources too: every incident lists them with links and archived "
        "copies (Incidents page)."
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
                    data=file_maker(pub.path, dataset, fmt),
                    file_name=f"911-outage-watch-{dataset}-{stamp}.{fmt}",
                    mime=MIME[fmt],
                    key=f"dl_{dataset}_{fmt}",
                    icon=":material/download:",
                    on_click="ignore",
                    width="stretch",
                )
            st.caption(GEOMETRY_NOTES[dataset])
    st.subheader("Everything", anchor=False)
    cols = st.columns(2)
    size_mb = pub.path.stat().st_size / 1e6
    cols[0].download_button(
        f"The whole database (DuckDB, {size_mb:,.1f} MB)",
        data=whole_database(pub.path),
        file_name=f"911-outage-watch-{stamp}.duckdb",
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
        file_name="911-outage-watch-data-dictionary.md",
        mime="text/markdown",
        key="dl_dictionary",
        icon=":material/menu_book:",
        on_click="ignore",
        width="stretch",
        disabled=not dictionary,
    )
    st.caption(
        "The database opens in DuckDB 1.5 or later (`duckdb 911-outage-watch.duckdb`); it is "
        f"the file the app and the SQL page read. Data version: {version}."
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
    year = version[:4] if version[:4].isdigit() else ""
    line = (
        f"911 Outage Watch ({year}). Public records of 911 outages in the United States "
        f"[data set], data version {version}."
    )
    if site:
        line += f" {site}/"
    return line
