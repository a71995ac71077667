"""Descriptions of the tables, views and columns, read from docs/data-dictionary.md.

The reader lives in `warehouse.bundle` (the downloads ship the dictionary too, and the
warehouse may not import the app); this module keeps the app's name for it.
"""

from __future__ import annotations

from warehouse.bundle import DICTIONARY, descriptions

__all__ = ["DICTIONARY", "descriptions"]
