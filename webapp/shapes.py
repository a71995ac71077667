"""The map's base layer: county and state outlines, projected once, sent to the browser once.

`build_shapes()` projects the committed reference shapes (`warehouse/reference/`) to an
Albers equal-area map of the United States with Alaska, Hawaii and the territories as insets
(like d3's `geoAlbersUsa`), quantizes the coordinates to a 250 m grid and writes them as one
compact JSON file next to the map component's frontend (`webapp/choropleth/`). The browser
fetches that file once (it is served with `Cache-Control: public`); each later rerun of the
map sends only the values per county or state.

Rebuild after the reference shapes change (a test checks that the file is current):

    uv run python -m webapp.shapes
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

FRONTEND_DIR = Path(__file__).resolve().parent / "choropleth"
SHAPES_FILE = FRONTEND_DIR / "shapes.json"
GRID_METRES = 250.0  # one unit of the stored coordinates

CONUS = "+proj=aea +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96 +datum=WGS84 +units=m"
# Insets: projection, scale, and where the inset's bounding box goes (lower-left corner,
# in the CONUS projection's metres). Positions follow geoAlbersUsa's layout.
INSETS: dict[str, tuple[str, float, tuple[float, float]]] = {
    "AK": (
        "+proj=aea +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154 +datum=WGS84 +units=m",
        0.3,
        (-2_300_000, -420_000),
    ),
    "HI": (
        "+proj=aea +lat_1=8 +lat_2=18 +lat_0=3 +lon_0=-157 +datum=WGS84 +units=m",
        1.0,
        (-1_000_000, -300_000),
    ),
    "PR": (
        "+proj=aea +lat_1=17 +lat_2=19 +lat_0=18 +lon_0=-66 +datum=WGS84 +units=m",
        1.0,
        (1_450_000, -200_000),
    ),
    "GU": (
        "+proj=aea +lat_1=13 +lat_2=16 +lat_0=14 +lon_0=145 +datum=WGS84 +units=m",
        0.5,
        (-200_000, -420_000),
    ),
    "AS": (
        "+proj=aea +lat_1=-15 +lat_2=-13 +lat_0=-14 +lon_0=-170 +datum=WGS84 +units=m",
        1.0,
        (150_000, -420_000),
    ),
}
# Territories drawn in the same inset as a neighbour.
INSET_OF = {"VI": "PR", "MP": "GU"}
INSET_LABELS = {
    "AK": "Alaska",
    "HI": "Hawaii",
    "PR": "Puerto Rico, Virgin Is.",
    "GU": "Guam, N. Mariana Is.",
    "AS": "Am. Samoa",
}


def reference_digest() -> str:
    """A digest of the reference files the shapes are built from (the file's version)."""
    from warehouse.reference import REFERENCE_DIR

    digest = hashlib.sha256()
    for name in ("counties.geojson", "states.geojson", "counties.csv", "states.csv"):
        digest.update((REFERENCE_DIR / name).read_bytes())
    digest.update(json.dumps([CONUS, INSETS, INSET_OF, GRID_METRES]).encode())
    return digest.hexdigest()[:16]


def _project(gdf: Any) -> Any:
    """Project each row to map metres: CONUS, or its inset (scaled and moved)."""
    import geopandas as gpd
    import shapely

    parts = []
    inset_of = gdf["state_code"].map(lambda code: INSET_OF.get(code, code))
    conus = gdf[~inset_of.isin(INSETS)].to_crs(CONUS)
    parts.append(conus)
    frames = []
    for code, (proj, scale, (left, bottom)) in INSETS.items():
        chunk = gdf[inset_of == code].to_crs(proj)
        if chunk.empty:
            continue
        minx, miny, maxx, maxy = chunk.total_bounds
        geoms = shapely.transform(
            chunk.geometry.values,
            lambda xy, minx=minx, miny=miny, scale=scale, left=left, bottom=bottom: np.column_stack(
                ((xy[:, 0] - minx) * scale + left, (xy[:, 1] - miny) * scale + bottom)
            ),
        )
        chunk = chunk.set_geometry(gpd.GeoSeries(geoms, index=chunk.index, crs=None))
        parts.append(chunk)
        pad = 40_000
        frames.append(
            {
                "label": INSET_LABELS[code],
                "box": [
                    round((left - pad) / GRID_METRES),
                    -round((bottom + (maxy - miny) * scale + pad) / GRID_METRES),
                    round((left + (maxx - minx) * scale + pad) / GRID_METRES),
                    -round((bottom - pad) / GRID_METRES),
                ],
            }
        )
    import pandas as pd

    projected = gpd.GeoDataFrame(pd.concat([p.set_crs(None, allow_override=True) for p in parts]))
    return projected.sort_values("fips"), frames


def _encode(geometry: Any) -> list[list[int]]:
    """Rings as delta-encoded integer coordinates on the grid, y pointing down."""
    import shapely

    rings: list[list[int]] = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        if polygon.is_empty or not isinstance(polygon, shapely.Polygon):
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            grid = np.column_stack(
                (np.round(xy[:, 0] / GRID_METRES), -np.round(xy[:, 1] / GRID_METRES))
            ).astype(np.int64)
            keep = np.ones(len(grid), dtype=bool)
            keep[1:] = np.any(grid[1:] != grid[:-1], axis=1)
            grid = grid[keep]
            if len(grid) < 4:
                continue
            deltas = np.vstack((grid[:1], np.diff(grid, axis=0)))
            rings.append(deltas.ravel().tolist())
    return rings


def build_shapes() -> dict[str, Any]:
    from warehouse.reference import counties_geodataframe, states_geodataframe

    counties, frames = _project(counties_geodataframe().copy())
    states, _ = _project(states_geodataframe().copy())
    layers = {}
    for name, gdf, key in (("county", counties, "fips"), ("state", states, "state_code")):
        bounds = gdf.total_bounds
        layers[name] = {
            "ids": gdf[key].tolist(),
            "names": gdf["name"].tolist(),
            "states": gdf["state_code"].tolist(),
            "rings": [_encode(g) for g in gdf.geometry],
            "bbox": [
                round(bounds[0] / GRID_METRES),
                -round(bounds[3] / GRID_METRES),
                round(bounds[2] / GRID_METRES),
                -round(bounds[1] / GRID_METRES),
            ],
        }
    boxes = [layers["county"]["bbox"], layers["state"]["bbox"]] + [f["box"] for f in frames]
    view = [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]
    return {
        "version": reference_digest(),
        "grid_metres": GRID_METRES,
        "view": view,
        "insets": frames,
        "county": layers["county"],
        "state": layers["state"],
    }


def write_shapes(path: Path = SHAPES_FILE) -> dict[str, Any]:
    shapes = build_shapes()
    path.write_text(json.dumps(shapes, separators=(",", ":")) + "\n")
    return shapes


def shapes_version(path: Path = SHAPES_FILE) -> str:
    """The version recorded in the committed file (cheap: reads only its start)."""
    with path.open() as handle:
        head = handle.read(200)
    return head.split('"version":"', 1)[1].split('"', 1)[0]


if __name__ == "__main__":
    written = write_shapes()
    size = SHAPES_FILE.stat().st_size
    print(f"wrote {SHAPES_FILE} ({size / 1024:.0f} KB, version {written['version']})")
