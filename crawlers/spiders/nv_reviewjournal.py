"""Las Vegas Review-Journal (Nevada): the outlet's homepage and its WordPress feed.

A NEWS OUTLET, not an agency (``source_kind = "news"``): Nevada's largest newspaper, whose
own channel carries the Las Vegas valley's 9-1-1 outage notices as they happen. Stored
copies in the search tool's corpus 'pages' show it: "Las Vegas police 911 system suffers
brief outage" (LVMPD's call center could not accept 911 calls for 31 minutes; calls were
answered by Henderson and North Las Vegas; reviewjournal.com/crime/...-1537471), and its
reporting of the June 2015 and February 2016 LVMPD outages (quoted by the Las Vegas Sun and
KTNV). It is independent of the city (``nv_lasvegas``) and of LVMPD (``nv_lvmpd``): the paper
writes its own items, from LVMPD's and the fire department's posts and its own reporting.
It is one outlet's channel, not an aggregator: ``gdelt_news`` finds Review-Journal articles
only when their words match its search phrases; this spider reads every headline the
paper puts on its front page and in its feed, and keeps each as a headline-and-link report
(no article text: news is copyrighted, see crawlers/spiders/formats/outlet.py).

Met on real material: the homepage of March 16, 2018 as recorded by the public repository
silverfoxy/JSCryptoMinerStudy (``pagesource/reviewjournal.com``). The site is WordPress
(``<meta name="generator" content="WordPress 4.9.4">``, theme ``rjth``) and names its feed
``https://www.reviewjournal.com/feed/`` (``<link rel="alternate" type="application/rss+xml">``),
the second start page, read as RSS (headline, link, description excerpt, pubDate). On the
homepage every story is an ``article.rj-story`` teaser (the latest-news block, the video
row, the "News Headlines" list, ...): an image link and the headline link
``.entry-title a`` to the same post, a ``.field-term`` link to its category front
(``https://www.reviewjournal.com/./news/...``, not a story), and no teaser text; the
latest-news teasers carry ``<time class="entry-date published" datetime=...>``, the others
no date. Two things the real page taught the parser:

* the ``datetime`` is Las Vegas wall-clock time labelled ``+00:00``: the lead story, AP's
  "No. 1 Virginia beaten by UMBC", says ``2018-03-16T20:33:38+00:00``, but that game ended
  late in the evening of March 16 Eastern time (after 3 a.m. UTC on the 17th), i.e. about
  8:10 p.m. in Las Vegas. So the offset is ignored and the time read as Pacific time
  (``entry_time_is_local``);
* the posts of 2018 sit at ``/<section>[/<sub>...]/<slug>/`` with no number (newer ones end
  ``-<id>/``), and category fronts share that shape except for the ``/./`` the theme
  writes in their links; staff pages (``/staff/``), tags and the advertisers' "Brand
  Publishing" posts (``/brandpublishing/``, labelled "Sponsored") are not the paper's news
  and are left out.

The homepage is of 2018 and the site has been redesigned since (newer post URLs end with an
id); the feed is WordPress's, a format that outlives redesigns. The first live run
(``outages sources check``) will show which start page still answers as recorded.

Why these three outlets, and what was searched before them: the docstring of
``crawlers/spiders/formats/outlet.py``.

One report per story; the ClassifyPipeline decides which are 911 outages (almost none).
"""

from __future__ import annotations

from crawlers.spiders.formats.outlet import NewsOutletSpider


class NvReviewjournalSpider(NewsOutletSpider):
    name = "nv_reviewjournal"
    source_title = "Las Vegas Review-Journal (news outlet): homepage and feed"
    source_home = "https://www.reviewjournal.com/"
    publisher = "Las Vegas Review-Journal"
    coverage_states = "NV"
    # the recorded homepage's oldest story is of March 2018
    coverage_since = "2018-03-01"
    cadence_minutes = 120
    run_window = "the stories on the homepage and the latest items of the site's feed"
    allowed_domains = ["www.reviewjournal.com", "reviewjournal.com"]

    listing_urls = ("https://www.reviewjournal.com/", "https://www.reviewjournal.com/feed/")
    # a post: one to four path segments and a slug (a feed link may carry a WordPress
    # plugin's ?utm_source=rss&... query: real WordPress feeds do), never a category front
    # ("/./"), a staff or tag page, the feed, the video index or an advertiser's "Brand
    # Publishing" post
    article_allow = (
        r"^https?://(?:www\.)?reviewjournal\.com/"
        r"(?!(?:staff|tag|brandpublishing|feed|comments|media-index|rss|wp-content)/)"
        r"(?:[a-z0-9-]+/){1,4}[a-z0-9-]+/?(?:\?.*)?$"
    )
    item_css = "article.rj-story"
    link_css = ".entry-title a"
    entry_date_css = "time.entry-date.published"
    entry_time_is_local = True
    next_css = None
    verified_with = ("real_2018-03-16_homepage_headlines",)
    unverified_because = None
    # No expected_structure: the recorded start page is of 2018 and the site has been
    # redesigned since; a structure probe built on it could report drift that is only age.
    robots_txt = (
        "not checked: no stored copy of https://www.reviewjournal.com/robots.txt found "
        "(find_string 'reviewjournal.com/robots.txt'; egonkm/Robots.txt has none)"
    )
    terms = (
        "not found in stored copies (the recorded homepage links /legal-notices/ 'Legal "
        "Information'); only headlines, links and feed excerpts are kept, never articles"
    )
