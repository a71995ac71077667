"""The choropleth component: county or state outlines drawn by the browser, values from Python.

The outlines (`webapp/choropleth/shapes.json`, built by `webapp/shapes.py`) are static files
of the component, fetched by the browser once and cached; a rerun sends only the arguments
below (the values of the counties or states that have one, the coverage, the selection), a
few kilobytes to a few tens of kilobytes however many reports the database holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from streamlit.components.v1 import declare_component

from webapp.shapes import FRONTEND_DIR, shapes_version

_component = declare_component("choropleth", path=str(FRONTEND_DIR))

# Sequential colours: ColorBrewer's OrRd in 7 classes (marked colour-blind safe by ColorBrewer),
# less its lightest, which is too close to the "covered, no outage" fill (QUIET in map.js).
# Light to dark, a single lightness ramp: readable in greyscale and to colour-blind readers;
# tests/test_palette.py checks both against ColorBrewer's data (palettable) and a simulation
# of the three colour-vision deficiencies (colorspacious).
COLORS = ["#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"]
QUIET_LABEL = "covered, no outage reported"
BLIND_LABEL = "no source coverage"


def nice(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def class_breaks(peak: float, integer: bool = True, classes: int = len(COLORS)) -> list[float]:
    """Upper bounds of the colour classes for values in (0, peak].

    Small integer ranges get one class per value; wider ones are spaced on a square-root
    scale (outage counts are skewed: most counties have one or two), rounded to nice numbers.
    """
    if peak <= 0:
        return []
    if integer and peak <= classes:
        return list(range(1, int(math.ceil(peak)) + 1))
    breaks: list[float] = []
    for i in range(1, classes + 1):
        raw = peak * (i / classes) ** 2
        bound = nice(raw) if i < classes else peak
        if integer:
            bound = max(math.ceil(bound), 1)
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    breaks[-1] = max(breaks[-1], peak)
    return breaks


def break_labels(breaks: list[float], integer: bool = True) -> list[str]:
    labels = []
    low = 0.0
    for bound in breaks:
        if integer:
            first = int(math.floor(low)) + 1
            labels.append(_short(bound) if first >= bound else f"{_short(first)}–{_short(bound)}")
        else:
            labels.append(f"≤{_short(bound)}")
        low = bound
    return labels


def _short(value: float) -> str:
    value = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if not value.is_integer() else str(int(value))


def ramp(classes: int) -> list[str]:
    """`classes` colours spread over the whole ramp (two classes: light and dark)."""
    if classes <= 1:
        return [COLORS[3]]
    if classes >= len(COLORS):
        return list(COLORS)
    last = len(COLORS) - 1
    return [COLORS[round(i * last / (classes - 1))] for i in range(classes)]


def coverage_arg(ids: Sequence[str] | np.ndarray, seen: np.ndarray) -> dict[str, list[str]] | None:
    """Whichever list is shorter: the covered places (`seen`, a boolean per id in `ids`) or
    the uncovered ones (None: all covered). A mask, not sets: every session's slider step
    asks it of all ~3,200 counties (sets of them were a tenth of a step's map work under a
    crowd, benchmarks/RESULTS.md)."""
    ids = np.asarray(ids, dtype=object)
    seen = np.asarray(seen, dtype=bool)
    covered = int(seen.sum())
    if covered == len(ids):
        return None
    if covered <= len(ids) - covered:
        return {"covered": sorted(ids[seen].tolist())}
    return {"uncovered": sorted(ids[~seen].tolist())}


def choropleth(
    *,
    level: str,
    values: Mapping[str, float],
    legend_title: str,
    value_unit: str,
    integer: bool = True,
    peak: float | None = None,
    coverage: dict[str, list[str]] | None = None,
    selected: str | None = None,
    focus: list[str] | None = None,
    selectable: bool = True,
    quiet_label: str = QUIET_LABEL,
    blind_label: str = BLIND_LABEL,
    height: int = 520,
    stamp: str = "",
    title: str | None = None,
    key: str = "choropleth",
) -> Any:
    """Draw the map; returns the last click or Enter ({"id", "level", "nonce"}) or None.

    `title` names the map's frame for screen readers ("Map: " + the legend title by default).
    The map is a keyboard widget too (Tab to it, arrows between places, Enter selects; see
    docs/app.md, "Accessibility"), and says each place's state in words.
    """
    clean = {k: (int(v) if integer else round(float(v), 2)) for k, v in values.items() if v}
    top = max(peak or 0, max(clean.values(), default=0))
    breaks = class_breaks(top, integer)
    return _component(
        shapes=f"shapes.json?v={shapes_version()}",
        level=level,
        values=clean,
        breaks=breaks,
        break_labels=break_labels(breaks, integer),
        colors=ramp(len(breaks)),
        legend_title=legend_title,
        value_unit=value_unit,
        coverage=coverage,
        quiet_label=quiet_label,
        blind_label=blind_label,
        selected=selected,
        focus=focus,
        selectable=selectable,
        select_hint="click or press Enter to list its outages" if selectable else "",
        height=height,
        stamp=stamp,
        frame_title=title or f"Map: {legend_title}",
        key=key,
        default=None,
    )
