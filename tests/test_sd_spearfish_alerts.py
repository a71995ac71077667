"""City of Spearfish Alert Center (sd_spearfish_alerts) on a REAL CivicPlus Alert Center feed.

No response of Spearfish's own feed is recorded anywhere we can read (see the spider's
`unverified_because`); its golden cases wrap real parsed entries in a constructed envelope.
The same CivicEngage module (RSSFeed.aspx?ModID=63) of another site was recorded byte for
byte: Pierce County, WA, 2021 (tests/fixtures/platforms/civicplus_alert_center/, provenance
in its case.json). These tests run the spider's feed parsing on that real platform shape,
pointed at Pierce County's host: what the constructed envelope does not have (a
non-permalink <guid> with a ticks suffix, no declared encoding, tab indentation, HTML
entities, two alerts with the same title) must not change what is reported.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers import signals
from crawlers.items import OutageReport
from crawlers.pipelines import ClassifyPipeline, NormalizePipeline, ValidatePipeline
from crawlers.spiders.formats.feeds import parse_feed
from crawlers.spiders.sd_spearfish_alerts import SdSpearfishAlertsSpider

REAL = Path(__file__).parent / "fixtures/platforms/civicplus_alert_center/pierce_county_2021-10-17"
CASE = json.loads((REAL / "case.json").read_text(encoding="utf-8"))
BODY = (REAL / "response.xml").read_bytes()


class _SameModuleElsewhere(SdSpearfishAlertsSpider):
    """The Spearfish spider, its host swapped for the recorded site's (the module is the
    same; only the address differs)."""

    name = "test_civicplus_alert_center_pierce"
    allowed_domains = ["www.piercecountywa.gov"]
    listing_urls = (CASE["url"],)
    article_allow = SdSpearfishAlertsSpider.article_allow.replace(
        r"(?:www\.)?spearfish\.gov", r"www\.piercecountywa\.gov"
    )
    coverage_states = "WA"


def _run(content_type: str | None) -> dict[str, Any]:
    crawler = get_crawler(_SameModuleElsewhere)
    spider = crawler._create_spider(since="2021-09-01")
    crawler.spider = spider
    errors: list[dict[str, Any]] = []

    def on_error(**kwargs: Any) -> None:
        errors.append({k: kwargs[k] for k in ("url", "error_type", "message")})

    crawler.signals.connect(on_error, signal=signals.error_recorded, weak=False)
    fetched = datetime.fromisoformat(CASE["fetched_at"])
    request = Request(CASE["url"], meta={"fetched_at": fetched, "archive_ref": "fixture"})
    headers = {"Content-Type": content_type} if content_type else {}
    response = XmlResponse(CASE["url"], body=BODY, request=request, headers=headers)
    outputs = list(spider.parse(response))
    pipelines = [cls(crawler) for cls in (NormalizePipeline, ClassifyPipeline, ValidatePipeline)]
    items = []
    for output in outputs:
        if isinstance(output, OutageReport):
            for pipeline in pipelines:
                output = pipeline.process_item(output)
            items.append(output)
    return {
        "requests": [o.url for o in outputs if isinstance(o, Request)],
        "items": items,
        "errors": errors,
    }


def test_the_case_is_labelled_real_platform_evidence_not_a_claimed_case() -> None:
    assert CASE["constructed"] is False
    assert all(CASE["provenance"][k].strip() for k in ("source", "retrieved_via", "changes"))
    # platform evidence only: the Spearfish spider does not claim it
    assert SdSpearfishAlertsSpider.verified_with == ()
    assert "postersw/AndersonIsland" in SdSpearfishAlertsSpider.unverified_because


def test_the_real_feed_reads_as_rss_with_every_item() -> None:
    feed = parse_feed(BODY)
    assert feed.version == "rss20"
    assert feed.title == "Pierce County, WA - Alert Center - Pierce County Ferry Rider Alert"
    assert feed.skipped == []
    assert [e.link.rsplit("=", 1)[1] for e in feed.entries] == ["2164", "2165", "2162", "2144"]
    # the platform's <guid> is not the link: the link plus a /<.NET ticks> suffix that
    # changes when an alert is edited, so it must not be an alert's identity
    assert feed.entries[0].guid == (
        "https://www.piercecountywa.gov/AlertCenter.aspx?AID=2164/637699084060000000"
    )


def test_each_real_alert_is_one_report_at_its_link_with_its_own_words() -> None:
    # the feed declares no encoding and a saved copy has no headers: read by its root element
    result = _run(content_type=None)
    assert result["requests"] == [] and result["errors"] == []
    items = result["items"]
    # the two same-titled alerts are two reports: their AIDs differ
    assert [i["source_url"] for i in items] == [
        f"https://www.piercecountywa.gov/AlertCenter.aspx?AID={aid}"
        for aid in (2164, 2165, 2162, 2144)
    ]
    assert len({i["report_id"] for i in items}) == 4
    first = items[0]
    assert first["title"] == (
        "The ticketing system including the phone app and scanners are offline."
    )
    # "-0800" as written (the platform writes the standard-time offset): the instant is kept
    assert first["published_at"] == datetime(2021, 10, 15, 22, 26, 46, tzinfo=UTC)
    # &#39; is an apostrophe in the text, not an entity
    assert "we'll update as soon as the system is back up" in first["body"]
    last = items[-1]
    assert last["title"].startswith(
        "Expect construction activity in Steilacoom on Thursday & Friday"
    )
    assert "Town of Steilacoom\u2019s roundabout" in last["body"]
    # a ferry ticketing system going offline is not a 911 outage
    assert [i["is_outage"] for i in items] == [False, False, False, False]


def test_the_same_reports_when_the_feed_is_served_as_xml() -> None:
    by_root = [i["source_url"] for i in _run(content_type=None)["items"]]
    assert [i["source_url"] for i in _run("text/xml; charset=utf-8")["items"]] == by_root
    assert [i["source_url"] for i in _run("application/rss+xml")["items"]] == by_root


def test_the_spearfish_pattern_takes_alert_links_of_its_own_host_only() -> None:
    pattern = re.compile(SdSpearfishAlertsSpider.article_allow)
    assert pattern.search("https://www.spearfish.gov/AlertCenter.aspx?AID=72")
    assert not pattern.search("https://www.spearfish.gov/AlertCenter.aspx")
    assert not pattern.search("https://www.piercecountywa.gov/AlertCenter.aspx?AID=2164")
