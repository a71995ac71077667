"""The expected structure of a source's answer: one probe for `OutageSpider.expected_structure`.

Entries name what the parser reads, so a live check can say *which* part of a page drifted:
- ``json:<dotted.path>``: a key that must exist in the JSON document; ``[]`` means "each
  element of a list" (``json:features[].properties.headline`` holds when every element has
  the path; an empty list holds it too, since a quiet day is no drift: the key before
  ``[]`` must still exist and be a list).
- ``css:<selector>`` / ``xpath:<expr>``: must match at least one node of the HTML/XML page.
"""

from __future__ import annotations

import json
from typing import Any

from parsel import Selector


def _json_path(document: Any, path: str) -> bool:
    nodes = [document]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        found = []
        for node in nodes:
            if key:
                if not isinstance(node, dict) or key not in node:
                    return False
                node = node[key]
            if each:
                if not isinstance(node, list):
                    return False
                found.extend(node)
            else:
                found.append(node)
        nodes = found
    return True


def probe(body: bytes | str, entries: tuple[str, ...] | list[str]) -> dict[str, bool]:
    """For each entry, whether the body holds it (unknown entry kinds raise ValueError)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    document: Any = None
    selector: Selector | None = None
    result: dict[str, bool] = {}
    for entry in entries:
        kind, _, expr = entry.partition(":")
        if kind == "json":
            if document is None:
                try:
                    document = json.loads(text.removeprefix("\ufeff"))
                except ValueError:
                    result[entry] = False
                    continue
            result[entry] = _json_path(document, expr)
        elif kind in ("css", "xpath"):
            if selector is None:
                stripped = text.lstrip().removeprefix("\ufeff")
                is_xml = stripped.startswith("<?xml") and "<html" not in stripped[:500].lower()
                selector = Selector(text=text, type="xml" if is_xml else "html")
            try:
                nodes = selector.css(expr) if kind == "css" else selector.xpath(expr)
            except ValueError:
                result[entry] = False
                continue
            result[entry] = len(nodes) > 0
        else:
            raise ValueError(f"unknown expected_structure entry {entry!r} (json:, css:, xpath:)")
    return result
