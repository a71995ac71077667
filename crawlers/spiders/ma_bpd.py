"""Boston Police Department news (police.boston.gov, formerly BPDNews.com): a second
Massachusetts source.

Why this source (researched with the stored public pages, 2026-12):

* The Boston Police Department runs the Emergency 9-1-1 Center, the primary public safety
  answering point (PSAP) for the City of Boston (police.boston.gov/emergency-911-3/, stored
  copy), independent of the State 911 Department (``ma_state911``).
* It posts 911 interruptions on its news site: "911 Interruption Briefly Experienced in
  East Boston" (bpdnews.com/blog/2007/01/25/..., a Verizon technical issue, with the
  alternate numbers), and on June 18, 2024 "a statement available on the official Boston
  Police website" gave the district stations' numbers during the statewide outage
  (hoodline.com, 2024-06-18; caughtinsouthie.com pointed to bpdnews.com/districts).

Two layouts of the same news, both read by :meth:`MaBpdSpider.parse_page`:

* BPDNews.com, a Squarespace blog (to 2024 at least). Its post list (``/news``, older
  posts at ``?offset=<ms>``; RSS at ``/news?format=rss``, read by other public projects)
  carries each post in full: ``<article class="hentry">`` with ``h1.entry-title a`` (the
  post URL ``/news/<y>/<m>/<d>/<slug>``), ``time.published[datetime]`` and
  ``div.body.entry-content``: one report per post element, no request per post. Met on
  real material: a post element recorded by the public repository nstory/wokewindows
  (whose importer reads exactly these selectors).
* police.boston.gov, BPD's WordPress site now (posts such as /2025/12/22/crime-statistics-
  ...; "Stories in the News" at ``/stories-in-the-news/``, paged ``/page/N/``). Known only
  from another public project's scraper of it (2026): list entries are ``<article>`` with
  ``h2.entry-title a``, ``span.published`` ("May 13, 2026") and an excerpt
  (``div.ast-excerpt-container``, the Astra theme); the post page has ``div.entry-content``.
  An entry without the full text is followed to its post page. No page of it is recorded:
  its fixture is constructed, and the first live run will tell (``outages sources check``).

One report per post; the ClassifyPipeline decides which are 911 outages (most are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector
from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import PageError
from crawlers.spiders.formats.article import (
    Article,
    NewsListingSpider,
    _clean,
    _parse_time,
    article_report,
)

# block elements of a Squarespace post body whose text is the post's text
_TEXT_BLOCKS = ".//p | .//li | .//h2 | .//h3 | .//h4 | .//blockquote"


class MaBpdSpider(NewsListingSpider):
    name = "ma_bpd"
    source_title = "Boston Police Department news (police.boston.gov, formerly BPDNews.com)"
    source_home = "https://police.boston.gov/stories-in-the-news/"
    source_kind = "agency"
    coverage_states = "MA"
    coverage_since = "2007-01-01"
    cadence_minutes = 180
    allowed_domains = ["police.boston.gov", "bpdnews.com", "www.bpdnews.com"]

    # the current list; BPDNews.com pages (recorded or replayed) parse the same way
    listing_urls = ("https://police.boston.gov/stories-in-the-news/",)
    # where the recorded real listing is (the address of its day)
    former_listing_urls = ("https://bpdnews.com/news",)
    # posts: police.boston.gov/<y>/<mm>/<dd>/<slug>/ (WordPress), bpdnews.com/news/<y>/<m>/
    # <d>/<slug> (Squarespace) and /blog/<y>/<mm>/<dd>/<slug> (its earlier blog, 2007)
    article_allow = (
        r"^https?://(?:(?:www\.)?bpdnews\.com/(?:news|blog)|police\.boston\.gov)"
        r"/\d{4}/\d{1,2}/\d{1,2}/[\w%-]+/?$"
    )
    item_css = "article"
    link_css = ".entry-title a"
    # WordPress (Astra) "Next Page"; Squarespace "Older Posts" is ?offset=<ms> ("Newer"
    # adds reversePaginate)
    next_css = 'a.next.page-numbers, a[href*="offset="]:not([href*="reversePaginate"])'
    text_css = ".entry-content"
    title_css = ".entry-title"
    date_css = "time.published, .published"
    verified_with = ("real_2018-05-31_commendations_not_outage",)
    unverified_because = None
    # No expected_structure: the recorded material is a BPDNews.com post element, not the
    # start page (police.boston.gov/stories-in-the-news/), and `outages sources check`
    # probes the start page; guessed selectors would report drift that is not there.
    robots_txt = (
        "not checked: no stored copy of https://police.boston.gov/robots.txt or "
        "https://bpdnews.com/robots.txt found (find_string 'bpdnews.com/robots'; corpus "
        "'docs' for Squarespace's default robots.txt)"
    )
    terms = "not found in stored copies"

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        try:
            sel = Selector(text=response.text)
        except AttributeError as exc:
            raise PageError("not an HTML page") from exc
        posts = [p for p in sel.css(self.item_css) if p.css(self.title_css)]
        if not posts:
            raise PageError("no posts (article with an .entry-title) on the page")
        # a post's own page: its other entries are teasers (related posts), and its "next"
        # link is the next post, not an older list page
        post_page = bool(re.search(self.article_allow, response.url.split("#")[0]))
        dates: list[datetime] = []
        for post in posts:
            title, url, published, text = self.post_fields(response, post)
            if published is not None:
                dates.append(published)
            if text:
                article = Article(url=url, title=title, published_at=published, text=text)
                yield article_report(self, response, article)
            elif url != response.url and re.search(self.article_allow, url):
                if not post_page:  # a list entry with an excerpt: its post page has the text
                    yield self.request(url, self.parse)
            else:
                raise PageError(f"post {title!r} has no text (.entry-content) and no post link")
        if not post_page:
            yield from self.older_page(response, dates)

    def post_fields(
        self, response: Response, post: Selector
    ) -> tuple[str, str, datetime | None, str | None]:
        """Title, URL, publication time and full text (None if absent) of a post element."""
        from crawlers.archive import canonical_url

        title = _clean(" ".join(post.css(self.title_css).xpath("string()").getall()))
        if not title:
            raise PageError(f"post without a title (.entry-title) on {response.url}")
        # on a list page each post's URL is its title link; a post page's title may be
        # unlinked, and then the page is the post
        href = post.css(self.link_css).xpath("@href").get()
        url = canonical_url(urljoin(response.url, href.strip()) if href else response.url)
        dated = post.css(self.date_css)
        published = _parse_time(
            dated.xpath("@datetime").get() or dated.xpath("string()").get(),
            self.agency_state,
        )
        body = post.css(self.text_css) or post.css(".body")
        parts = [p.strip() for p in body.xpath(_TEXT_BLOCKS).xpath("string()").getall()]
        text = _clean("\n\n".join(p for p in parts if p))
        return title, url, published, text
