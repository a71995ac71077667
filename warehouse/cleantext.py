"""Text from sources made safe to write: XML 1.0 refuses control characters, NUL and lone
surrogates (lxml raises ValueError), and UTF-8 cannot encode lone surrogates. One bad
character in one record must not stop a feed, a webhook or status.json (issue 17)."""

from __future__ import annotations

import re
from typing import Any

# Everything outside XML 1.0's Char production: C0 controls but tab, LF, CR; surrogates;
# U+FFFE and U+FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 and UTF-8 cannot carry."""
    return _XML_INVALID.sub("", text)


def is_xml_safe(text: str) -> bool:
    return _XML_INVALID.search(text) is None


def clean_strings(value: Any) -> tuple[Any, bool]:
    """(the value with every string in it made `xml_safe`, whether anything changed)."""
    if isinstance(value, str):
        cleaned = xml_safe(value)
        return cleaned, cleaned != value
    if isinstance(value, list | tuple):
        pairs = [clean_strings(v) for v in value]
        return type(value)(p[0] for p in pairs), any(p[1] for p in pairs)
    if isinstance(value, dict):
        out, changed = {}, False
        for key, item in value.items():
            out[key], dirty = clean_strings(item)
            changed = changed or dirty
        return out, changed
    return value, False
