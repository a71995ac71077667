"""Source text as display text: one helper per medium.

Text from sources (titles, summaries, sender names, URLs) is data, never markup. Every page,
feed and payload that shows it passes it through the helper for its medium:

- markdown (Streamlit's `st.markdown`, `st.error`, `st.caption`, ...): `md_text`, `md_link`;
- HTML and XML (Atom feeds, the archived-copy viewer): `html_text`, `html_link`;
- the terminal (the CLI): `terminal_text`;
- everywhere: `display_text` strips bidi controls (a right-to-left override can make a
  number or a place read differently from what is stored) and control characters, and
  `safe_url` lets only http(s) URLs through (`javascript:`, `data:`, `file:` become None).

It lives in `warehouse/` because the feeds (in `warehouse/`) need it and `warehouse/` may
not import `webapp/`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

# U+202A-U+202E (embeddings, overrides), U+2066-U+2069 (isolates), U+200E/F (marks),
# U+061C (Arabic letter mark): invisible, and they reorder what is shown.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# C0/C1 controls (ESC starts terminal escape sequences), except tab and newline, which
# `display_text` turns into spaces anyway.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Top-level domains under which the second label names the organisation ("sd.gov").
GENERIC_TLDS = frozenset({"com", "org", "net", "gov", "edu", "mil", "int", "info"})
# The ASCII punctuation CommonMark, GFM and Streamlit give a meaning to, each escaped with a
# backslash: no link, image, emphasis, heading, list, table, HTML tag or entity (`&#x202e;`
# would make a bidi control), autolink (`www.x.y`, `http://`, `a@b.c`: the dot and colon
# are escaped), Streamlit directive (`:red[...]`, `:material/icon:`) or LaTeX (`$...$`).
# Commas, quotes and slashes mean nothing there and stay as they are.
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def display_text(value: Any) -> str:
    """`value` as one line of plain text: no bidi controls, no control characters, no line
    breaks (a newline in markdown can start a heading or a list)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = BIDI_CONTROLS.sub("", text)
    text = re.sub(r"[\r\n\t\u2028\u2029]+", " ", text)
    return CONTROLS.sub("", text)


def md_text(value: Any) -> str:
    """Source text for Streamlit markdown: shown exactly as stored, never interpreted."""
    return MD_SPECIAL.sub(r"\\\1", display_text(value))


def safe_url(url: Any) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(url, str):
        return None
    url = display_text(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c in url for c in " <>\"'\\`"):
        return None
    return url


def host_family(host: str | None) -> str | None:
    """The part of a host that names who runs it: the last two labels ("api.fema.gov" ->
    "fema.gov"); four under `.us` ("www.dps.state.ak.us" -> "dps.state.ak.us", not every
    Alaska site); three under a country's second level ("news.bbc.co.uk" -> "bbc.co.uk")."""
    if not host:
        return None
    labels = host.lower().rstrip(".").split(".")
    if labels[-1] == "us":
        keep = 4
    elif len(labels) >= 3 and len(labels[-2]) <= 3 and labels[-1] not in GENERIC_TLDS:
        keep = 3
    else:
        keep = 2
    return ".".join(labels[-keep:])


def same_family(url: str, domains: Iterable[str]) -> bool:
    """Is the URL's host in the domain family of one of `domains` (hosts or URLs)?"""
    host = urlsplit(url).hostname
    family = host_family(host)
    for domain in domains:
        if not domain:
            continue
        other = urlsplit(domain).hostname if "//" in domain else domain
        if other and family and family == host_family(other):
            return True
    return False


def link_url(url: Any, domains: Iterable[str] | None = None) -> str | None:
    """A URL fit to be shown as a link: http(s), and, when `domains` is given (the source's
    own home and allowed domains), in their family."""
    checked = safe_url(url)
    if checked is None:
        return None
    if domains is not None and not same_family(checked, list(domains)):
        return None
    return checked


def md_link(label: Any, url: Any, domains: Iterable[str] | None = None) -> str:
    """A markdown link with an escaped label, or the escaped label alone when the URL is not
    fit to be a link. The URL goes in angle brackets with `<`, `>` refused by `safe_url` and
    parentheses percent-encoded, so nothing in it can end the link early."""
    text = md_text(label)
    url = link_url(url, domains)
    if url is None:
        return text
    target = url.replace("(", "%28").replace(")", "%29")
    return f"[{text}](<{target}>)"


def html_text(value: Any) -> str:
    """Source text for HTML or XML content and attributes."""
    return html.escape(display_text(value), quote=True)


def html_link(label: Any, url: Any, domains: Iterable[str] | None = None) -> str:
    """An HTML link with escaped label and URL, or the escaped label alone."""
    url = link_url(url, domains)
    if url is None:
        return html_text(label)
    return f'<a href="{html.escape(url, quote=True)}">{html_text(label)}</a>'


def terminal_text(value: Any) -> str:
    """Source text for a terminal: no escape sequences, no bidi controls."""
    return display_text(value)
