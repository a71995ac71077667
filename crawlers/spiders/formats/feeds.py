"""RSS/Atom feeds and news metadata: parsing, HTML-free excerpts, article URL keys.

News sources keep metadata, a link and a short excerpt only, never the article (copyright):
nothing here fetches anything. Feeds are parsed with `feedparser` from the bytes of the
response (handed over as a stream: given a string, feedparser would fetch a URL or open a
local file of that name).
"""

from __future__ import annotations

import csv
import html
import io
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
from w3lib.html import remove_tags, remove_tags_with_content

from crawlers.extract import extract_facts
from crawlers.items import OutageReport, make_report_id

__all__ = [
    "EXCERPT_CHARS",
    "Feed",
    "FeedEntry",
    "FeedError",
    "excerpt",
    "news_queries",
    "news_report",
    "normalize_article_url",
    "parse_feed",
    "split_publisher",
    "strip_html",
]

#: The longest excerpt of a news item that we keep (characters).
EXCERPT_CHARS = 300

# Query parameters that track the reader, not the article.
_TRACKING = (
    "fbclid gclid dclid msclkid mc_cid mc_eid igshid ocid cmpid cmp src ref ref_src smid sr_share "
    "taid soc_src soc_trk __twitter_impression rss feed outputtype partner amp"
)
_TRACKING_PARAMS = frozenset(_TRACKING.split())
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?%)])")
_SPACED_APOSTROPHE = re.compile(r"(\w) ' (s|t|re|ve|ll|d|m)\b")
_DASHES = " -\u2013\u2014|\u00b7:"


class FeedError(ValueError):
    """The document is not a readable RSS/Atom feed."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as the feed states it."""

    title: str
    link: str
    guid: str | None = None
    published: datetime | None = None
    published_raw: str | None = None
    description_html: str = ""
    source_name: str | None = None  # RSS <source>: the publisher (aggregator feeds)
    source_url: str | None = None


@dataclass(frozen=True)
class Feed:
    title: str
    version: str  # feedparser's: "rss20", "atom10", ...
    entries: list[FeedEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why entries were left out


def parse_feed(body: bytes) -> Feed:
    """The entries of an RSS or Atom document.

    Raises `FeedError` when the bytes are not a feed (an HTML page, JSON, nothing) or are
    not well-formed XML (truncated, broken markup): a broken document's entries cannot be
    trusted, the last one may be cut off. Entries without a title or a link are left out
    and listed in `Feed.skipped`.
    """
    if not body or not body.strip():
        raise FeedError("empty document, expected an RSS/Atom feed")
    parsed = feedparser.parse(io.BytesIO(body))
    version = parsed.get("version") or ""
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version:
        head = _SPACES.sub(" ", strip_html(body[:300].decode("utf-8", "replace")))[:120]
        raise FeedError(f"not an RSS/Atom feed (starts: {head!r})")
    if isinstance(problem, xml.sax.SAXException):
        raise FeedError(f"feed is not well-formed XML: {problem}")
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for index, raw in enumerate(parsed.entries):
        title = clean_text(raw.get("title") or "")
        link = (raw.get("link") or "").strip()
        if not title or not link:
            skipped.append(f"entry {index} has no {'title' if not title else 'link'}")
            continue
        published_raw = raw.get("published") or raw.get("updated")
        source = raw.get("source") or {}
        entries.append(
            FeedEntry(
                title=title,
                link=link,
                guid=raw.get("id"),
                published=_entry_time(published_raw, raw.get("published_parsed")),
                published_raw=published_raw,
                description_html=raw.get("summary") or "",
                source_name=clean_text(source.get("title") or "") or None,
                source_url=source.get("href") or None,
            )
        )
    feed_title = clean_text(parsed.feed.get("title") or "")
    return Feed(title=feed_title, version=version, entries=entries, skipped=skipped)


def _entry_time(raw: str | None, parsed: object) -> datetime | None:
    """An entry's time, aware UTC: the RFC 822 string as written, else feedparser's."""
    if raw:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            value = None
        if value is not None:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    if parsed:
        return datetime(*parsed[:6], tzinfo=UTC)  # type: ignore[index,misc]
    return None


def clean_text(text: str) -> str:
    """Entities decoded (twice-escaped ones too), non-breaking spaces and runs of space as one."""
    text = html.unescape(html.unescape(text or ""))
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return _SPACES.sub(" ", text).strip()


def strip_html(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed description): no tags, scripts or entities."""
    if not fragment:
        return ""
    text = remove_tags_with_content(fragment, which_ones=("script", "style"))
    # Block boundaries and line breaks become spaces, so words of two elements stay apart.
    text = re.sub(r"(?i)<\s*(br|/p|/li|/div|/h\d|/tr|/td)\b[^>]*>", " ", text)
    return clean_text(remove_tags(text))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of plain text, cut at a word boundary with an ellipsis."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\u2013\u2014") + "\u2026"


def tidy_headline(title: str) -> str:
    """A headline as a person writes it: GDELT's tokenised ``"Outage , officials say"``."""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", clean_text(title))
    return _SPACED_APOSTROPHE.sub(r"\1'\2", text)


def split_publisher(title: str, publisher: str | None) -> tuple[str, str | None]:
    """``"Headline - Publisher"`` (aggregator feed titles) -> ``("Headline", "Publisher")``.

    With a known publisher (the RSS `<source>`), only that suffix is removed; without one,
    the title is kept whole (a dash inside a headline is common).
    """
    title = clean_text(title)
    if publisher:
        for sep in (" - ", " \u2013 ", " \u2014 ", " | "):
            suffix = sep + publisher
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].rstrip(), publisher
    return title, publisher


def drop_publisher(text: str, publisher: str | None) -> str:
    """Text without a trailing publisher name (aggregator descriptions end with it)."""
    text = clean_text(text)
    if publisher and text.endswith(publisher) and len(text) > len(publisher):
        text = text[: -len(publisher)].rstrip(_DASHES)
    return text


def normalize_article_url(url: str) -> str:
    """The key of an article URL: the same article reached by two links gives one key.

    Lower-case scheme and host, ``http`` as ``https``, no ``www.``, default port,
    fragment, tracking parameters (``utm_*``, ``fbclid`` ...) or
    trailing slash; the remaining query parameters sorted. Path case is kept (servers
    may tell paths apart by case).
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    scheme = (parts.scheme or "https").lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    drop = _TRACKING_PARAMS
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in drop and not key.lower().startswith("utm_")
    )
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


# ---- news items (shared by the news spiders) --------------------------------------------

QUERIES_CSV = Path(__file__).resolve().parents[2] / "data" / "news_queries.csv"


def news_queries(spider: str, path: Path = QUERIES_CSV) -> list[str]:
    """The search phrases enabled for `spider` in `crawlers/data/news_queries.csv`."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        row["phrase"].strip()
        for row in rows
        if row.get("phrase", "").strip() and (row.get(spider) or "").strip().lower() == "yes"
    ]


def news_report(
    *,
    source: str,
    url: str,
    title: str,
    excerpt_text: str,
    body: str,
    published_at: datetime | None,
    meta: dict,
    publisher: str | None = None,
) -> OutageReport:
    """One `OutageReport` for one news article: metadata, link and a short excerpt only.

    `report_id` comes from the normalized article URL, so the same article found by two
    queries (or twice in one window) is one report. Places, dates, cause and provider come
    from `crawlers.extract.extract_facts` over the headline and the excerpt; `is_outage` and
    `status` are left to the ClassifyPipeline.
    """
    text = excerpt_text if excerpt_text and excerpt_text != title else ""
    facts = extract_facts(text or title, title=title if text else None, published_at=published_at)
    fields = facts.item_fields()
    evidence = dict(fields.pop("field_evidence", None) or {})
    if publisher:
        evidence["publisher"] = publisher
    return OutageReport(
        report_id=make_report_id(source, normalize_article_url(url)),
        source=source,
        source_url=url,
        archive_ref=meta.get("archive_ref"),
        fetched_at=meta.get("fetched_at"),
        published_at=published_at,
        title=title,
        body=body,
        is_constructed=bool(meta.get("constructed")),
        field_evidence=evidence or None,
        **{k: v for k, v in fields.items() if v not in (None, [], "")},
    )
