"""The map's colours read without colour vision: checked against ColorBrewer's own data
(palettable) and a simulation of the three colour-vision deficiencies (colorspacious, after
Machado et al. 2009), not by eye."""

from __future__ import annotations

import re
from pathlib import Path

import colorspacious
import numpy as np
import pytest
from palettable.colorbrewer.sequential import OrRd_7

from webapp.mapview import COLORS, ramp

ROOT = Path(__file__).resolve().parents[1]
MAP_JS = (ROOT / "webapp" / "choropleth" / "map.js").read_text()
QUIET = re.search(r'const QUIET = "(#[0-9a-fA-F]{6})"', MAP_JS).group(1)
SELECTED = re.search(r'const SELECTED = "(#[0-9a-fA-F]{6})"', MAP_JS).group(1)
DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def seen(hex_colour: str, deficiency: str | None) -> np.ndarray:
    """The colour as CAM02-UCS (J', a', b'), as a reader with `deficiency` (at full severity)
    sees it; None: normal colour vision."""
    colour = rgb(hex_colour)
    if deficiency:
        space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        colour = np.clip(colorspacious.cspace_convert(colour, space, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(colour, "sRGB1", "CAM02-UCS")


def test_the_ramp_is_colorbrewer_orrd() -> None:
    assert [c.lower() for c in OrRd_7.hex_colors[1:]] == COLORS


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_classes_stay_in_order_and_apart(deficiency: str | None) -> None:
    """Darker means more for every reader: lightness falls class by class, each step at least
    a visible difference, and the "no outage" fill is lighter and apart from the first class."""
    quiet = seen(QUIET, deficiency)
    classes = [seen(c, deficiency) for c in COLORS]
    lightness = [quiet[0]] + [c[0] for c in classes]
    assert all(a - b >= 3 for a, b in zip(lightness, lightness[1:], strict=False)), lightness
    steps = [np.linalg.norm(a - b) for a, b in zip(classes, classes[1:], strict=False)]
    assert min(steps) >= 5, steps
    assert np.linalg.norm(quiet - classes[0]) >= 10


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_the_selection_outline_stands_out_from_every_class(deficiency: str | None) -> None:
    outline = seen(SELECTED, deficiency)
    assert min(np.linalg.norm(outline - seen(c, deficiency)) for c in COLORS) >= 15


def test_fewer_classes_take_colours_across_the_whole_ramp() -> None:
    assert ramp(2) == [COLORS[0], COLORS[-1]]
    assert ramp(len(COLORS)) == COLORS
