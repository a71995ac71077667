"""Article pages and news listings of agency websites: a general extractor.

An agency's news page is a listing (links to releases, sometimes paged) and each release
is an article page. Site-specific CSS is brittle: a redesign silently empties it. So:

* :func:`parse_article` reads the title, publication time and main text from what pages
  publish for machines first (JSON-LD ``headline``/``datePublished``, OpenGraph
  ``og:title``/``article:published_time``, ``<time datetime>``, ``<link rel=canonical>``),
  and takes the main text from ``trafilatura`` (boilerplate removal made for news pages;
  offline, maintained) with its ``htmldate`` for a date the metadata does not give. A
  spider's own CSS selectors are only a fallback. A page with no title or no text raises
  ``PageError``: it is not what the source documents.
* :func:`listing_entries` takes the article links of a listing page, by the spider's
  selector and URL pattern, with a generic fallback (links in ``<article>``, ``<main>``,
  teaser/views rows) when the selector finds nothing. A listing page that yields no
  article links raises ``PageError`` (fail loudly, never an empty scrape that looks fine).
  :func:`next_page` finds the pager's next link.
* :func:`article_report` builds the ``OutageReport`` of an official release: report_id from
  the canonical URL, the full main text as body, and the facts of
  :func:`crawlers.extract.extract_facts` in the agency's state, each with its evidence.
  ``is_outage`` and ``status`` are left to the ClassifyPipeline (``classify_text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urljoin, urlsplit

from dateutil import parser as du_parser
from parsel import Selector
from scrapy.http import Request, Response

from crawlers.extract import extract_facts, state_zone
from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.feeds import FeedError, parse_feed, strip_html

__all__ = [
    "Article",
    "ListingEntry",
    "NewsListingSpider",
    "article_report",
    "is_feed",
    "listing_entries",
    "next_page",
    "parse_article",
]


@dataclass
class Article:
    url: str  # canonical URL of the article
    title: str
    published_at: datetime | None  # aware UTC; None when the page gives no date
    text: str  # main text, paragraphs separated by blank lines
    description: str | None = None
    date_source: str | None = None  # where the date came from (json-ld, og, time, htmldate)


@dataclass
class ListingEntry:
    url: str
    title: str | None
    published_at: datetime | None


# --------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "pressrelease",
    "webpage",
    "report",
    "governmentservice",
    "analysisnewsarticle",
}


def _json_ld(sel: Selector) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (``@graph`` flattened); unreadable blocks skipped."""
    out: list[dict[str, Any]] = []
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            out.append(node)
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return out


def _ld_type(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def _parse_time(value: str | None, zone_state: str | None) -> datetime | None:
    """An ISO-ish date-time; a naive one is local time in the agency's state (else UTC)."""
    if not value or not value.strip():
        return None
    try:
        parsed = du_parser.isoparse(value.strip())
    except ValueError:
        try:
            parsed = du_parser.parse(value.strip())
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        zone = state_zone(zone_state) or UTC
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _meta(sel: Selector, *names: str) -> str | None:
    for name in names:
        value = sel.xpath(
            f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content'
        ).get()
        if value and value.strip():
            return value.strip()
    return None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"[ \t\r\f\v\xa0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() or None


def _canonical(sel: Selector, url: str) -> str:
    from crawlers.archive import canonical_url

    parts = urlsplit(url)
    for candidate in (sel.xpath('//link[@rel="canonical"]/@href').get(), _meta(sel, "og:url")):
        if candidate:
            absolute = urljoin(url, candidate.strip())
            # never trust a canonical on another site; a saved page (--from file://...) is
            # the page its canonical URL names
            target = urlsplit(absolute)
            same_site = parts.scheme == "file" or target.hostname == parts.hostname
            if same_site and target.scheme in ("http", "https"):
                return canonical_url(absolute)
    return canonical_url(url)


def parse_article(
    response: Response,
    *,
    text_css: str | None = None,
    title_css: str | None = None,
    date_css: str | None = None,
    state: str | None = None,
) -> Article:
    """Title, publication time and main text of an article page.

    ``text_css``/``title_css``/``date_css`` are the spider's selectors for its site, used
    only where the page's metadata and the general extractor find nothing. ``state`` is
    the agency's state: a date-time without a zone is read in its time zone.
    """
    import trafilatura

    try:
        html = response.text
    except AttributeError as exc:
        raise PageError(f"not an HTML page: {response.headers.get('Content-Type')!r}") from exc
    sel = Selector(text=html)
    nodes = [n for n in _json_ld(sel) if _ld_type(n) & _ARTICLE_TYPES]

    # title
    title = None
    for node in nodes:
        if isinstance(node.get("headline"), str):
            title = node["headline"]
            break
    title = title or _meta(sel, "og:title", "twitter:title")
    if not title and title_css:
        title = " ".join(sel.css(title_css).xpath("string()").getall())
    title = title or sel.xpath("string(//h1)").get() or sel.xpath("string(//title)").get()
    title = _clean(title)

    # publication time
    published, source = None, None
    for node in nodes:
        for key in ("datePublished", "dateCreated"):
            if isinstance(node.get(key), str):
                published = _parse_time(node[key], state)
                if published:
                    source = "json-ld"
                    break
        if published:
            break
    if published is None:
        published = _parse_time(
            _meta(sel, "article:published_time", "datePublished", "dc.date", "DC.date.issued"),
            state,
        )
        source = "meta" if published else None
    if published is None:  # <time datetime> in the article, then the spider's date element
        for value in (
            sel.css("article time, main time, time").xpath("@datetime").get(),
            sel.css(date_css).xpath("string()").get() if date_css else None,
        ):
            published = _parse_time(value, state)
            if published:
                source = "time"
                break
    if published is None:
        import htmldate

        found = htmldate.find_date(html, extensive_search=False, original_date=True)
        if found:
            day = datetime.fromisoformat(found).date()
            zone = state_zone(state) or UTC
            published = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
            source = "htmldate"

    # main text. A fragment (a knowledge-base article served without <html> or <body>, as
    # news.sd.gov's kb_view.do is) is all article: the spider's selector reads it when it
    # has one; trafilatura refuses a one-element tree (logging an ERROR on every page), so
    # it gets the fragment wrapped only when there is no selector.
    fragment = "<html" not in html[:4096].lower() and "<body" not in html.lower()
    text = None
    if not (fragment and text_css):
        text = trafilatura.extract(
            f"<html><body>{html}</body></html>" if fragment else html,
            url=response.url,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            with_metadata=False,
        )
    if not text and text_css:
        parts = sel.css(text_css).xpath(".//p|.//li").xpath("string()").getall()
        text = "\n\n".join(p.strip() for p in parts if p.strip())
    text = _clean(text)
    if not title:
        raise PageError("article page has no title")
    if not text or text == title or not text.removeprefix(title).strip():
        raise PageError("article page has no main text")
    description = _meta(sel, "og:description", "description")
    return Article(
        url=_canonical(sel, response.url),
        title=title,
        published_at=published,
        text=text,
        description=description,
        date_source=source,
    )


# --------------------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------------------

_GENERIC_CONTAINERS = (
    "article",
    "main li",
    "[class*=teaser]",
    "[class*=views-row]",
    "[class*=news-item]",
    "[class*=press-release]",
    "[class*=listing-item]",
    "[class*=post]",
    "main",
)


def _entry_date(node: Selector, state: str | None) -> datetime | None:
    value = node.css("time").xpath("@datetime").get()
    if value:
        return _parse_time(value, state)
    text = node.css("time, [class*=date]").xpath("string()").get()
    if text and text.strip():
        try:
            parsed = du_parser.parse(text.strip(), fuzzy=True)
        except (ValueError, OverflowError):
            return None
        zone = state_zone(state) or UTC
        return parsed.replace(tzinfo=parsed.tzinfo or zone).astimezone(UTC)
    return None


def listing_entries(
    response: Response,
    *,
    item_css: str | None = None,
    link_css: str = "a",
    allow: str | re.Pattern[str] | None = None,
    state: str | None = None,
) -> list[ListingEntry]:
    """The article links of a listing page, in page order, without duplicates.

    ``item_css`` selects one entry (teaser) per article, ``link_css`` its link inside it;
    ``allow`` is a regex the article URLs match (on the absolute URL). When the spider's
    selector finds nothing (a redesign), links in generic containers that match ``allow``
    are used. No article link at all raises ``PageError``.
    """
    try:
        sel = Selector(text=response.text)
    except AttributeError as exc:
        raise PageError("listing page is not HTML") from exc
    pattern = re.compile(allow) if isinstance(allow, str) else allow
    containers = [item_css] if item_css else []
    containers += [c for c in _GENERIC_CONTAINERS if c != item_css]
    for container in containers:
        entries: dict[str, ListingEntry] = {}
        # the spider's link selector belongs to its own entry selector; the generic
        # containers take every link
        link_sel = link_css if container == item_css else "a"
        for node in sel.css(container):
            links = node.css(link_sel) if link_sel else [node]
            for link in links:
                href = link.xpath("@href").get()
                if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
                    continue
                url = urljoin(response.url, href.strip())
                if pattern is not None and not pattern.search(url):
                    continue
                if url in entries:
                    continue
                title = _clean(link.xpath("string()").get())
                entries[url] = ListingEntry(url, title, _entry_date(node, state))
            if container == "main" and entries:
                break
        if entries:
            return list(entries.values())
    raise PageError("listing page has no article links")


def next_page(response: Response, *, css: str | None = None) -> str | None:
    """The URL of the listing's next page: the spider's selector, ``rel=next``, or a pager
    link labelled "next"/"older"; None on the last page."""
    sel = Selector(text=response.text)
    candidates: list[str | None] = []
    if css:
        candidates.append(sel.css(css).xpath("@href").get())
    candidates.append(sel.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href').get())
    candidates.append(
        sel.xpath(
            '//*[contains(@class, "pager") or contains(@class, "pagination")]'
            '//a[contains(translate(normalize-space(string()), "NEXTOLDR", "nextoldr"), "next")'
            ' or contains(translate(normalize-space(string()), "NEXTOLDR", "nextoldr"), "older")'
            "]/@href"
        ).get()
    )
    for href in candidates:
        if href and href.strip() and not href.startswith("#"):
            return urljoin(response.url, href.strip())
    return None


# --------------------------------------------------------------------------------------
# The item
# --------------------------------------------------------------------------------------


def page_address(url: str, *, query: bool = True) -> str:
    """A URL as the page it names, whatever its scheme, a leading ``www.`` or a trailing
    slash (a recorded copy of ``http://site.gov/news`` is the listing
    ``https://www.site.gov/news/``); `query`: with the query string, else without it."""
    from crawlers.archive import canonical_url

    parts = urlsplit(canonical_url(url))
    host = (parts.hostname or "").removeprefix("www.")
    address = host + parts.path.rstrip("/")
    return f"{address}?{parts.query}" if query and parts.query else address


_FEED_TYPES = (b"rss", b"atom", b"xml")
_FEED_ROOT = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)


def is_feed(response: Response) -> bool:
    """Whether a response is an RSS/Atom document: by its declared type, or (a saved page
    with no headers) by its root element."""
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    if b"html" not in content_type and any(t in content_type for t in _FEED_TYPES):
        return True
    return bool(_FEED_ROOT.match(response.body[:2000]))


def _single_state(spider: Any) -> str | None:
    states = [s.strip() for s in str(getattr(spider, "coverage_states", "")).split(",")]
    return states[0] if len(states) == 1 and len(states[0]) == 2 else None


def article_report(spider: Any, response: Response, article: Article, **extra: Any) -> OutageReport:
    """The OutageReport of an official release: full text as body, extracted facts.

    ``extra`` fields are set on the item last (e.g. ``title=`` to override); pass
    ``default_state=`` when the agency's state is not the spider's single coverage state.
    """
    default_state = extra.pop("default_state", None) or _single_state(spider)
    meta = spider.meta_of(response)
    facts = extract_facts(
        article.text,
        title=article.title,
        published_at=article.published_at or meta["fetched_at"],
        default_state=default_state,
    )
    item = OutageReport(
        report_id=make_report_id(spider.name, article.url),
        source=spider.name,
        source_url=article.url,
        archive_ref=meta["archive_ref"],
        fetched_at=meta["fetched_at"],
        is_constructed=bool(meta["constructed"]),
        published_at=article.published_at,
        title=article.title,
        body=article.text,
    )
    item.update(facts.item_fields())
    item.update(extra)
    return item


# --------------------------------------------------------------------------------------
# A spider for an agency's news listing and its articles
# --------------------------------------------------------------------------------------


class NewsListingSpider(OutageSpider):
    """An agency's news listing (paged or not) and its article pages.

    Subclasses set the metadata, ``listing_urls`` and the article URL pattern
    (``article_allow``); the selectors are hints for their site, and the generic
    extraction stands in when a redesign breaks them. The listing's next page is
    followed while its entries are not older than ``--since`` (``max_pages`` at most).
    """

    listing_urls: tuple[str, ...] = ()
    #: Addresses the source's listing had before on another host (recorded copies sit at
    #: them): read as listings and replayed, never fetched live. (Another scheme, ``www.``
    #: or a trailing slash need none: `page_address` takes them for the same page.)
    former_listing_urls: tuple[str, ...] = ()
    article_allow: str = r"."
    item_css: str | None = None
    link_css: str = "a"
    next_css: str | None = None
    text_css: str | None = None
    title_css: str | None = None
    date_css: str | None = None
    max_pages: int = 5
    #: A listing URL may answer RSS/Atom instead of HTML (`is_feed`). Its entries are
    #: followed to their pages, or are the reports themselves when this is set (an alert
    #: feed whose entry text is the notice; its links may not be fetchable pages).
    feed_entries_are_reports: bool = False
    cadence_minutes = 360
    # Until a state spider claims recorded real pages (verified_with), say so.
    unverified_because = (
        "not yet checked: the listing and article fixtures of this agency are constructed "
        "models of its pages, not recorded copies"
    )

    @classmethod
    def default_days(cls) -> int:
        return 30

    @property
    def agency_state(self) -> str | None:
        return _single_state(self)

    def live_requests(self) -> Iterator[Request]:
        for url in self.listing_urls:
            yield self.request(url, self.parse)

    def is_listing_start(self, url: str) -> bool:
        """Whether `url` is one of this spider's listings, now or at a former address (the
        pages `expected_structure` describes)."""
        listings = (*self.listing_urls, *self.former_listing_urls)
        return super().is_start_url(url) or page_address(url) in {page_address(u) for u in listings}

    def is_start_url(self, url: str) -> bool:
        """A replay also starts from the archived article pages of this spider's own site
        (a recorded release that no recorded listing links to is still replayed) and from
        its former listing addresses, besides its listings."""
        if self.is_listing_start(url):
            return True
        host = (urlsplit(url).hostname or "").lower()
        own_site = any(
            host == domain or host.endswith("." + domain) for domain in self.allowed_domains
        )
        return own_site and bool(re.search(self.article_allow, url))

    # ---- which kind of page ------------------------------------------------------------
    def is_listing(self, response: Response) -> bool:
        url = response.url.split("#")[0]
        listings = (*self.listing_urls, *self.former_listing_urls)
        if page_address(url, query=False) in {page_address(u, query=False) for u in listings}:
            return True
        if re.search(self.article_allow, url) and url.startswith(("http://", "https://")):
            return False
        # a saved page (--from file://...): an article declares itself in its metadata
        try:
            sel = Selector(text=response.text)
        except AttributeError:
            return False
        og_type = (sel.xpath('//meta[@property="og:type"]/@content').get() or "").lower()
        has_article = og_type == "article" or any(
            _ld_type(n) & (_ARTICLE_TYPES - {"webpage"}) for n in _json_ld(sel)
        )
        return not has_article

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        if self.is_listing(response):
            yield from self.parse_listing(response)
        else:
            yield from self.parse_article_page(response)

    def parse_listing(self, response: Response) -> Iterator[OutageReport | Request]:
        if is_feed(response):
            yield from self.parse_feed_listing(response)
            return
        entries = listing_entries(
            response,
            item_css=self.item_css,
            link_css=self.link_css,
            allow=self.article_allow,
            state=self.agency_state,
        )
        for entry in entries:
            yield self.request(entry.url, self.parse)
        yield from self.older_page(response, [e.published_at for e in entries])

    def older_page(self, response: Response, dates: list[datetime | None]) -> Iterator[Request]:
        """The listing's next (older) page, while the entries of this one (their `dates`)
        are not older than ``--since``, and ``max_pages`` at most."""
        page = int(response.meta.get("listing_page", 1))
        nxt = next_page(response, css=self.next_css)
        if nxt is None or page >= self.max_pages:
            return
        since = datetime.combine(self.since, time(0), tzinfo=UTC)
        dated = [d for d in dates if d is not None]
        if dated and min(dated) < since:
            return  # the next page only holds older news than this crawl asks for
        yield self.request(nxt, self.parse, meta={"listing_page": page + 1})

    def feed_entries(self, response: Response) -> Iterator[tuple[str, Any]]:
        """The entries of a listing feed whose link matches ``article_allow``, with that
        link made absolute; entries the feed parser had to skip are recorded as errors, and
        a feed that cannot be read at all raises PageError."""
        try:
            feed = parse_feed(response.body)
        except FeedError as exc:
            raise PageError(f"listing feed: {exc}") from exc
        for reason in feed.skipped:
            self.record_error(
                response.url,
                f"feed {reason}",
                error_type="FeedEntrySkipped",
                archive_ref=response.meta.get("archive_ref"),
            )
        pattern = re.compile(self.article_allow)
        for entry in feed.entries:
            url = urljoin(response.url, entry.link)
            if pattern.search(url):
                yield url, entry

    def parse_feed_listing(self, response: Response) -> Iterator[OutageReport | Request]:
        """A listing published as RSS/Atom: its entries are followed to their article pages,
        or, with ``feed_entries_are_reports``, are the reports themselves (alert feeds whose
        entry text is the whole notice). Every entry, as on an HTML listing's first page: a
        feed is its own window (``--since`` only stops paging, which a feed does not have),
        and page memory skips what was loaded before."""
        for url, entry in self.feed_entries(response):
            if self.feed_entries_are_reports:
                article = Article(
                    url=url,
                    title=entry.title,
                    published_at=entry.published,
                    text=strip_html(entry.description_html) or entry.title,
                    date_source="feed",
                )
                yield article_report(self, response, article)
            else:
                yield self.request(url, self.parse)

    def article_text(self, response: Response) -> str | None:
        """The release's own words when the site needs its own reading of them (a layout
        where the generic extractor keeps the footer); None: the generic text stands."""
        return None

    def parse_article_page(self, response: Response, **extra: Any) -> Iterator[OutageReport]:
        article = parse_article(
            response,
            text_css=self.text_css,
            title_css=self.title_css,
            date_css=self.date_css,
            state=self.agency_state,
        )
        text = self.article_text(response)
        if text:
            article = replace(article, text=text)
        yield article_report(self, response, article, **extra)
