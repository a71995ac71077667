"""South Dakota Department of Public Safety: news releases.

The Department of Public Safety runs the state 9-1-1 Coordination program and the
statewide Next Generation 911 contract (Lumen). It announced the statewide 911 outages of
April 17, 2024 and July 9-10, 2024 and their restoration. Its releases are published in
the South Dakota State News Room (``news.sd.gov``), which lists them by agency
(``/news?agency=...``, paged) and serves each at ``/news/<id>``; DPS's own site points
there for press releases.

One report per release; the ClassifyPipeline decides which are 911 outages. The listing
and article layout of the fixtures is constructed (no live page could be fetched).
"""

from __future__ import annotations

from crawlers.spiders.formats.article import NewsListingSpider


class SdDpsSpider(NewsListingSpider):
    name = "sd_dps"
    source_title = "South Dakota Department of Public Safety news releases"
    source_home = "https://dps.sd.gov"
    source_kind = "agency"
    coverage_states = "SD"
    coverage_since = "2019-01-01"
    cadence_minutes = 360
    allowed_domains = ["news.sd.gov", "dps.sd.gov"]

    listing_urls = ("https://news.sd.gov/news?agency=Public%20Safety",)
    article_allow = r"^https://news\.sd\.gov/news/[\w-]+/?$"
    item_css = ".news-item"
    link_css = "a.news-title, h3 a"
    next_css = "a[rel=next], .pagination .next a"
    text_css = ".news-body"
    title_css = "h1"
    date_css = ".news-date"
