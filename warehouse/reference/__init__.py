"""Reference geography: states and counties (FIPS, names, population, shapes).

The files in this folder are committed and built once by ``build_reference.py``
(see ``PROVENANCE.md``); nothing here downloads anything. Shapes are the Census
2017 county layer (us-atlas), so codes created later (Connecticut planning
regions, Alaska's Chugach and Copper River) have no shape of their own:
``county_aliases`` maps them to the 2017 shapes that cover them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import geopandas

__all__ = [
    "REFERENCE_DIR",
    "counties_geodataframe",
    "load_reference_tables",
    "load_taxonomy_tables",
    "states_geodataframe",
]

REFERENCE_DIR: Path = Path(__file__).resolve().parent

_STATE_COLUMNS = "{'state_fips': 'VARCHAR', 'state_code': 'VARCHAR', 'state_name': 'VARCHAR', 'population': 'BIGINT'}"  # noqa: E501
_COUNTY_COLUMNS = "{'county_fips': 'VARCHAR', 'state_fips': 'VARCHAR', 'state_code': 'VARCHAR', 'county_name': 'VARCHAR', 'population': 'BIGINT', 'in_shapes': 'BOOLEAN'}"  # noqa: E501
_ALIAS_COLUMNS = "{'county_fips': 'VARCHAR', 'shape_fips': 'VARCHAR', 'note': 'VARCHAR'}"


def _sql_path(name: str) -> str:
    return str(REFERENCE_DIR / name).replace("'", "''")


def _geometries_sql(name: str) -> str:
    """A query giving (fips, geometry as GeoJSON text) for each feature of a file."""
    return f"""
        SELECT f ->> '$.properties.fips' AS fips, (f -> '$.geometry')::VARCHAR AS geometry
        FROM (SELECT unnest(json_extract(content::JSON, '$.features[*]')) AS f
              FROM read_text('{_sql_path(name)}'))
    """


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the reference tables ``states``, ``counties`` and ``county_aliases``.

    ``states(state_fips PK, state_code, state_name, population, geometry)`` and
    ``counties(county_fips PK, state_fips, state_code, county_name, population,
    geometry)``; ``geometry`` is the simplified GeoJSON geometry as text, NULL
    where the 2017 shapes have none (see ``county_aliases(county_fips, shape_fips,
    note)`` for what covers those). Bulk-loaded from the committed files with
    ``CREATE OR REPLACE``, so calling it again is harmless; takes ~0.1 s.
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE states (
            state_fips VARCHAR PRIMARY KEY, state_code VARCHAR NOT NULL UNIQUE,
            state_name VARCHAR NOT NULL, population BIGINT, geometry VARCHAR);
        INSERT INTO states
        SELECT s.state_fips, s.state_code, s.state_name, s.population, g.geometry
        FROM read_csv('{_sql_path("states.csv")}', header = true, columns = {_STATE_COLUMNS}) s
        LEFT JOIN ({_geometries_sql("states.geojson")}) g ON g.fips = s.state_fips
        ORDER BY s.state_fips;

        CREATE OR REPLACE TABLE counties (
            county_fips VARCHAR PRIMARY KEY, state_fips VARCHAR NOT NULL,
            state_code VARCHAR NOT NULL, county_name VARCHAR NOT NULL,
            population BIGINT, geometry VARCHAR);
        INSERT INTO counties
        SELECT c.county_fips, c.state_fips, c.state_code, c.county_name, c.population,
               g.geometry
        FROM read_csv('{_sql_path("counties.csv")}', header = true, columns = {_COUNTY_COLUMNS}) c
        LEFT JOIN ({_geometries_sql("counties.geojson")}) g ON g.fips = c.county_fips
        ORDER BY c.county_fips;

        CREATE OR REPLACE TABLE county_aliases AS
        SELECT * FROM read_csv('{_sql_path("county_aliases.csv")}', header = true,
                               columns = {_ALIAS_COLUMNS})
        ORDER BY county_fips, shape_fips;
    """)
    load_taxonomy_tables(con)


def load_taxonomy_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``causes``, ``statuses``, ``source_kinds`` and ``providers`` from
    warehouse/taxonomies/*.csv, so a query can show a code's label (and journalists can read
    what each code means)."""
    from warehouse.taxonomy import TAXONOMY_DIR

    for name in ("causes", "statuses", "source_kinds", "providers"):
        path = str(TAXONOMY_DIR / f"{name}.csv").replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS "
            f"SELECT * FROM read_csv('{path}', header = true, all_varchar = true)"
        )


def _geodataframe(csv_name: str, geojson_name: str, key: str, name: str) -> geopandas.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    table = pd.read_csv(REFERENCE_DIR / csv_name, dtype={key: str, "state_fips": str})
    shapes = gpd.read_file(REFERENCE_DIR / geojson_name).set_crs(4326, allow_override=True)
    table = table.rename(columns={key: "fips", name: "name"})
    table["population"] = table["population"].astype("Int64")
    gdf = shapes.merge(table[["fips", "name", "state_code", "population"]], on="fips")
    return gdf[["fips", "name", "state_code", "population", "geometry"]].sort_values("fips")


@functools.lru_cache(maxsize=1)
def counties_geodataframe() -> geopandas.GeoDataFrame:
    """Counties that have a 2017 shape, for maps: fips, name, state_code, population, geometry.

    Cached: treat the result as read-only (``.copy()`` before changing it).
    """
    return _geodataframe("counties.csv", "counties.geojson", "county_fips", "county_name")


@functools.lru_cache(maxsize=1)
def states_geodataframe() -> geopandas.GeoDataFrame:
    """States, DC and territories, for maps: fips, name, state_code, population, geometry.

    Cached: treat the result as read-only (``.copy()`` before changing it).
    """
    return _geodataframe("states.csv", "states.geojson", "state_fips", "state_name")
