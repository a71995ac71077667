"""The "Use my location" button: a small Streamlit component of our own (protocol v1, the
same API as the choropleth in webapp/mapview.py).

The browser asks for its position only after the click (navigator.geolocation); the
component returns {"lat", "lon", "accuracy", "nonce"} (or {"error", "nonce"} when the
person refused or the browser could not tell) to this Python process, which resolves it to
a county by point-in-polygon (warehouse/places.py). Nothing leaves the machine. The button's
accessible name is "Use my location" (a browser test finds it by that label).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.components.v1 import declare_component

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"
LABEL = "Use my location"

_component = declare_component("geolocate", path=str(FRONTEND_DIR))


def geolocate(*, key: str = "geolocate") -> dict[str, Any] | None:
    """Draw the button; returns the latest position (or error) the browser gave, else None."""
    value = _component(key=key, default=None)
    return value if isinstance(value, dict) else None
