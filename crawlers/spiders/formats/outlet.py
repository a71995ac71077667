"""A local news outlet's own channel: its homepage (or section front) and its feed.

A local outlet is a public channel of its own for 9-1-1 outage notices: when a PSAP's
lines fail, the police or the county give the alternate number to the local paper and
stations, which post it within minutes (Lincoln Journal Star, 2021-11-16, "Lincoln 911
calls experiencing connection issues"; Las Vegas Review-Journal, "Las Vegas police 911
system suffers brief outage"). Unlike the aggregators (``gdelt_news`` finds articles of
many outlets by phrase), an outlet spider reads one outlet's own listing: every headline
it puts on its front, whatever words it uses.

News is copyrighted: like ``gdelt_news`` (and DESIGN.md, ``reports.body``), a report holds
the headline, the link and at most a 300-character excerpt (the listing's teaser or the
feed's description), never the article. So no article page is fetched: one listing
entry is one report, keyed by its normalised article URL (the same story on the homepage
and in the feed is one report), and the ClassifyPipeline decides which are 911 outages
(almost none are).

Places are read in the outlet's state (a county name several states share is the
outlet's), but a headline that names no place is not placed: a local paper also runs
national wire stories, so the outlet's state is not assumed.

Searched for another non-federal channel, 2026-12-07 (after the searches listed in
``sd_spearfish_alerts``, ``nv_lasvegas`` and ``ne_omaha_news``): the page-source collection
of silverfoxy/JSCryptoMinerStudy holds no copy of rcgov.org, minnehahacounty.org,
pennco.org, cityofsiouxfalls.com, argusleader.com, kotatv.com (South Dakota),
lincoln.ne.gov, lancaster.ne.gov, sarpy.com, kearneygov.org, wowt.com, omaha.com,
kolnkgin.com (Nebraska), lasvegasnevada.gov, washoecounty.us, cityofsparks.us, elkocity.com
or rgj.com (Nevada); its nevadaappeal.com is a WordPress microsite stub (www2, no news list)
and its cityofhenderson.com an Incapsula block page. It does hold keloland.com, ksfy.com,
rapidcityjournal.com (SD), ketv.com, journalstar.com, dailynebraskan.com (NE),
reviewjournal.com, lasvegassun.com, ktnv.com and kolotv.com (NV) homepages of 2018. The
three built (``sd_rapidcityjournal``, ``ne_journalstar``, ``nv_reviewjournal``) were chosen for
a platform of 2018 still in use and a feed: TownNews BLOX (other projects' current feed
lists subscribe to the same ``/search/?f=rss`` form for these papers) and WordPress
(another project's feed check found ``https://reviewjournal.com/feed`` valid, status 200, on
2026-02-24 and 2026-03-14). KELOLAND, by contrast, has left its 2018 Sitefinity site (feed
``/feeds/NewsRssFeed`` in older projects) for WordPress (``/feed/`` in newer ones), so its
recorded homepage would prove a parser for a site that is gone.
No recorded answer of any of their feeds, and no stored copy of their robots.txt (egonkm/
Robots.txt, find_string '<host>/robots') or terms page (corpus 'pages'), was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

from dateutil import parser as du_parser
from parsel import Selector
from scrapy.http import Request, Response
from w3lib.url import url_query_cleaner

from crawlers.extract import extract_facts, state_zone
from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.base import PageError
from crawlers.spiders.formats.article import (
    NewsListingSpider,
    is_feed,
    parse_article,
)
from crawlers.spiders.formats.feeds import (
    clean_text,
    excerpt,
    normalize_article_url,
    strip_html,
)

__all__ = ["NewsOutletSpider", "outlet_report"]

_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def outlet_report(
    spider: Any,
    response: Response,
    *,
    url: str,
    title: str,
    teaser: str | None,
    published_at: datetime | None,
) -> OutageReport:
    """One report of one story of an outlet: headline, link and a short excerpt only.

    The facts (places, times, cause, phone numbers) come from the headline and the excerpt,
    read in the outlet's state; a state is kept only where the words name a place.
    """
    meta = spider.meta_of(response)
    # WordPress feeds tag their links ?utm_source=rss&utm_medium=rss&utm_campaign=<slug>:
    # the story's address is without them
    url = url_query_cleaner(url, _UTM, remove=True)
    text = excerpt(teaser) if teaser else ""
    state = spider.story_state(url)
    facts = extract_facts(
        text or title,
        title=title if text else None,
        published_at=published_at or meta["fetched_at"],
        default_state=state,
    )
    fields = facts.item_fields()
    evidence = dict(fields.pop("field_evidence", None) or {})
    if "state_codes" not in evidence and not fields.get("county_fips"):
        # only the default: a wire story of a local paper is not in the paper's state
        fields.pop("state_codes", None)
    evidence["publisher"] = spider.publisher
    item = OutageReport(
        report_id=make_report_id(spider.name, normalize_article_url(url)),
        source=spider.name,
        source_url=url,
        archive_ref=meta["archive_ref"],
        fetched_at=meta["fetched_at"],
        is_constructed=bool(meta["constructed"]),
        published_at=published_at,
        title=title,
        body=text or title,
        field_evidence=evidence,
    )
    item.update({k: v for k, v in fields.items() if v not in (None, [], "")})
    return item


class NewsOutletSpider(NewsListingSpider):
    """One outlet's homepage or section front (HTML) and its RSS/Atom feed.

    Subclasses set the metadata, ``listing_urls`` (a feed URL is read as a feed),
    ``article_allow`` (the story URL pattern), ``item_css`` (one story teaser),
    ``link_css`` (its headline link, inside the teaser), and optionally ``teaser_css`` and
    ``entry_date_css`` (inside the teaser). When ``item_css`` finds no story (a redesign),
    every link of the page that matches ``article_allow`` stands in, titled by its words,
    undated; a page with no story link (an error page served with status 200) raises
    ``PageError``.
    """

    source_kind = "news"
    #: The outlet's name, kept in each report's evidence (``publisher``).
    publisher: ClassVar[str] = ""
    teaser_css: ClassVar[str | None] = None
    entry_date_css: ClassVar[str | None] = "time"
    #: The teasers' ``datetime`` is the outlet's wall-clock time whatever offset it names
    #: (a theme that prints local time with ``+00:00``): the offset is ignored.
    entry_time_is_local: ClassVar[bool] = False

    def story_state(self, url: str) -> str | None:
        """The state a story's place names are read in: the outlet's (its one coverage
        state) unless a subclass knows better from the story's address."""
        return self.agency_state

    def parse_listing(self, response: Response) -> Iterator[OutageReport | Request]:
        if is_feed(response):
            yield from self.feed_reports(response)
            return
        yield from self.front_reports(response)

    def story_date(self, node: Selector) -> datetime | None:
        """A teaser's publication time: ``datetime`` of `entry_date_css`, else its text."""
        if not self.entry_date_css:
            return None
        found = node.css(self.entry_date_css)
        raw = found.xpath("@datetime").get() or found.xpath("string()").get()
        if not raw or not raw.strip():
            return None
        try:
            parsed = du_parser.parse(raw.strip())
        except (ValueError, OverflowError):
            return None
        zone = state_zone(self.agency_state) or UTC
        if self.entry_time_is_local:
            parsed = parsed.replace(tzinfo=None)
        return parsed.replace(tzinfo=parsed.tzinfo or zone).astimezone(UTC)

    def front_reports(self, response: Response) -> Iterator[OutageReport]:
        try:
            sel = Selector(text=response.text)
        except AttributeError as exc:
            raise PageError("listing page is not HTML") from exc
        pattern = re.compile(self.article_allow)
        stories: dict[str, tuple[str, str, str | None, datetime | None]] = {}
        for node in sel.css(self.item_css) if self.item_css else []:
            for link in node.css(self.link_css):
                href = (link.xpath("@href").get() or "").strip()
                url = urljoin(response.url, href) if href else ""
                if not url or not pattern.search(url):
                    continue
                title = clean_text(link.xpath("string()").get() or "")
                key = normalize_article_url(url)
                if not title:
                    continue  # an image link: the headline link follows
                if key in stories:
                    break  # the story is already on the page (another module)
                teaser = None
                if self.teaser_css:
                    parts = node.css(self.teaser_css).xpath("string()").getall()
                    teaser = clean_text(" ".join(parts))
                stories[key] = (url, title, teaser or None, self.story_date(node))
                break
        if not stories:
            # the outlet's teaser markup changed: every story link of the page, titled by
            # its first link with words (an image link comes first and has none)
            for link in sel.css("a[href]"):
                url = urljoin(response.url, (link.xpath("@href").get() or "").strip())
                title = clean_text(link.xpath("string()").get() or "")
                key = normalize_article_url(url)
                if title and pattern.search(url) and key not in stories:
                    stories[key] = (url, title, None, None)
        if not stories:
            raise PageError("listing page has no story with a headline")
        for url, title, teaser, published in stories.values():
            yield outlet_report(
                self, response, url=url, title=title, teaser=teaser, published_at=published
            )

    def feed_reports(self, response: Response) -> Iterator[OutageReport]:
        for url, entry in self.feed_entries(response):
            yield outlet_report(
                self,
                response,
                url=url,
                title=entry.title,
                teaser=strip_html(entry.description_html) or None,
                published_at=entry.published,
            )

    def parse_article_page(self, response: Response, **extra: Any) -> Iterator[OutageReport]:
        # never requested; a story page given by hand (--from) is kept as an excerpt too
        article = parse_article(response, state=self.agency_state)
        yield outlet_report(
            self,
            response,
            url=article.url,
            title=article.title,
            teaser=article.description or article.text,
            published_at=article.published_at,
        )


def blox_story_pattern(*hosts: str) -> str:
    """The story URLs of a TownNews BLOX site: ``/<section path>/<slug>/article_<uuid>.html``
    on one of `hosts` (with or without ``www.``). Collections (``collection_<uuid>``: the
    jail's mugshots, the day's obituaries), galleries, videos and section fronts are not
    stories."""
    names = "|".join(re.escape(h.removeprefix("www.")) for h in hosts)
    return (
        rf"^https?://(?:www\.)?(?:{names})/(?:[\w.-]+/)+article_"
        r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\.html(?:[?#].*)?$"
    )


class BloxOutletSpider(NewsOutletSpider):
    """A newspaper on TownNews' BLOX CMS (Lee Enterprises' dailies among many): its
    homepage's story cards and its search feed.

    On the real homepages of 2018 (the Lincoln Journal Star's, recorded by
    silverfoxy/JSCryptoMinerStudy), a story is an ``article.card``: an image link and the
    headline link (``.card-headline a``, in an ``h3`` or ``h4``) to the same
    ``.../article_<uuid>.html``, sometimes a section label linking the section front, and a
    ``<time class="asset-date" datetime="2018-03-20T12:44:03-05:00">`` (a true offset; it is
    the last update when the card says "Updated"); a lead story's card (the Rapid City
    Journal's, recorded the same way) adds its first sentences in ``.card-lead``. BLOX
    serves any section as RSS at
    ``/search/?f=rss&t=article&c=<section>&l=<n>&s=start_time&sd=desc`` (the form other
    projects subscribe to for these papers), the second start page.
    """

    item_css = "article.card"
    link_css = ".card-headline a"
    # the lead story's card carries the story's first sentences (Rapid City Journal, 2018)
    teaser_css = ".card-lead"
    entry_date_css = "time.asset-date"
