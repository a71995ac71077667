"""Lincoln Journal Star (Nebraska): the outlet's homepage and its local-news feed.

A NEWS OUTLET, not an agency (``source_kind = "news"``): Lincoln's daily, whose own channel
carries Lincoln's and Lancaster County's 9-1-1 outage notices as the police give them.
Stored copies in the search tool's corpus 'pages' show it: "Lincoln 911 calls
experiencing connection issues, police department says" (2021-11-16: LPD's news release,
"anyone who has trouble connecting to dispatchers should hang up and call
402-441-6000"), and "LPD says don't call 911 to report power outages" (2021-02-16). It is
independent of the City of Omaha (``ne_omaha_news``) and of the state regulator
(``ne_psc``): another city, another PSAP (the Lincoln Emergency Communications Center), and
the paper's own items. It is one outlet's channel, not an aggregator: ``gdelt_news`` finds
Journal Star articles only when their words match its phrases; this spider reads every
headline of the paper's homepage and local-news feed and keeps each as a
headline-and-link report (no article text: news is copyrighted; see
crawlers/spiders/formats/outlet.py).

Met on real material: the homepage of March 20, 2018 as recorded by the public repository
silverfoxy/JSCryptoMinerStudy (``pagesource/journalstar.com``), a TownNews BLOX site (see
``BloxOutletSpider``). What the real page taught the parser:

* the homepage mixes stories (``article_<uuid>.html``) with collections
  (``collection_<uuid>.html``: "Mugshots from the county jail: 3-20-2018", "Southeast
  Nebraska neighbors: Obituaries published today"), which are not news items: only
  ``article_`` assets are stories;
* the paper's crime-and-courts section lives at ``/news/local/911/`` (labelled "Crime and
  Courts"): a "911" in a story's URL says nothing about 9-1-1 service, so the section label
  link is not a story and only the headline's words are classified;
* the cards carry no teaser text, and their ``datetime`` has a true offset (``-05:00``,
  CDT).

The feed URL (``/search/?f=rss&t=article&c=news/local&l=50&s=start_time&sd=desc``) is the
BLOX search feed other projects subscribe to for this paper (e.g. a tt-rss database dump
with ``http://journalstar.com/search/?f=rss&t=article&c=news/local&l=25&s=start_time&sd=desc``);
no answer of it is recorded. The homepage is of 2018; the first live run (``outages
sources check``) will show what moved.

Why these three outlets, and what was searched before them: the docstring of
``crawlers/spiders/formats/outlet.py``.

One report per story; the ClassifyPipeline decides which are 911 outages (almost none).
"""

from __future__ import annotations

from crawlers.spiders.formats.outlet import BloxOutletSpider, blox_story_pattern


class NeJournalstarSpider(BloxOutletSpider):
    name = "ne_journalstar"
    source_title = "Lincoln Journal Star (news outlet): homepage and local-news feed"
    source_home = "https://journalstar.com/"
    publisher = "Lincoln Journal Star"
    coverage_states = "NE"
    # the recorded homepage's stories are of March 2018
    coverage_since = "2018-03-01"
    cadence_minutes = 120
    run_window = "the stories on the homepage and the latest 50 items of the local-news feed"
    allowed_domains = ["journalstar.com", "www.journalstar.com"]

    listing_urls = (
        "https://journalstar.com/",
        "https://journalstar.com/search/?f=rss&t=article&c=news/local&l=50&s=start_time&sd=desc",
    )
    article_allow = blox_story_pattern("journalstar.com")
    next_css = None
    verified_with = ("real_2018-03-20_homepage_cards",)
    unverified_because = None
    # No expected_structure: the recorded start page is of 2018; a structure probe built on
    # it could report drift that is only age.
    robots_txt = (
        "not checked: no stored copy of https://journalstar.com/robots.txt found "
        "(find_files robots/journalstar.com, robots/www.journalstar.com in egonkm/Robots.txt)"
    )
    terms = (
        "not found in stored copies; only headlines, links and feed excerpts are kept, "
        "never articles"
    )
