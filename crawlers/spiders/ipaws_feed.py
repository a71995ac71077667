"""IPAWS-OPEN public feed: the CAP alerts IPAWS has posted since a given time, live.

`GET https://apps.fema.gov/IPAWSOPEN_EAS_SERVICE/rest/public/recent/<ISO time>` answers
with an XML envelope in the namespace ``http://gov.fema.ipaws.services/feed`` whose
children are complete CAP 1.2 ``<alert>`` messages (signed, as IPAWS relays them)::

    <ns1:alerts xmlns:ns1="http://gov.fema.ipaws.services/feed">
      <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"> ... </alert>
      ...
    </ns1:alerts>

The feed keeps only the recently active alerts (about half an hour), so it is polled
often and history comes from OpenFEMA (`openfema_ipaws`, a day behind). FEMA asks for
no more than one poll every 2 minutes: `cadence_minutes` says so to the scheduler, a
failed poll is not retried within the run, and a run started within 2 minutes of the
last live poll skips its poll (the time is kept in ``<data dir>/work``).

Each alert is parsed and classified exactly like an archived one (`parse_cap`,
`alert_report`); an alert that is not readable CAP is recorded with the feed's URL and
skipped, and the other alerts of the feed are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from lxml import etree
from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.cap import CapParseError, alert_report, parse_cap
from crawlers.spiders.formats.xml import parse_xml
from warehouse.geography import place_from_same

FEED_BASE = "https://apps.fema.gov/IPAWSOPEN_EAS_SERVICE/rest/public/recent/"
FEED_NS = "http://gov.fema.ipaws.services/feed"
MIN_POLL_SECONDS = 120
LAST_POLL_FILE = "ipaws_feed_last_poll.txt"


class IpawsFeedSpider(OutageSpider):
    name = "ipaws_feed"
    # The feed envelope parse_page requires (CAP alerts inside it may be none: quiet feed).
    expected_structure = ("xpath://*[local-name()='alerts']",)
    source_title = "FEMA IPAWS-OPEN public alert feed"
    source_home = "https://www.fema.gov/emergency-managers/practitioners/integrated-public-alert-warning-system"
    coverage_since = "(live: alerts active in the last ~30 minutes)"
    cadence_minutes = 2
    source_kind = "alert"
    verified_with = ("real_2026-07-29_feed",)
    robots_txt = "not checked: no stored copy (https://apps.fema.gov/robots.txt)"
    terms = (
        "FEMA IPAWS Program Management Office guidance, as distilled in "
        "https://easstation.com/docs/guides/ipaws_feed_integration: the public feeds need no "
        "key; poll no more often than every 2 minutes and cache before redistributing"
    )
    empty_ok_because = (
        "a poll returns only the alerts posted since the last window; most 2-minute "
        "windows have none"
    )
    allowed_domains = ["apps.fema.gov"]
    # FEMA: poll no more often than every 2 minutes. A run is one request; a failed poll
    # is recorded and not retried (the next poll, 2 minutes on, is the retry, and its
    # 30-minute window covers this one); a run within 2 minutes of the last live poll
    # does not poll at all (`poll_allowed`).
    custom_settings = {
        "RETRY_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/xml"},
    }
    # How far back a poll reaches: the feed's active window, so a missed poll or two
    # loses nothing (reports are keyed by CAP identity, so overlaps update in place).
    lookback_minutes = 30

    @staticmethod
    def clock() -> datetime:
        """Now (tests set another clock on the spider instead of waiting)."""
        return datetime.now(UTC)

    def live_requests(self) -> Iterator[Request]:
        if not self.poll_allowed():
            return
        now = self.clock().replace(second=0, microsecond=0)
        start = now - timedelta(minutes=int(self.lookback_minutes))
        # --since can only narrow the window (the feed keeps no history).
        start = max(start, datetime.combine(self.since, time(), tzinfo=UTC))
        # Each poll asks for a new URL, so there is nothing to revalidate.
        yield self.request(feed_url(start), self.parse, meta={"dont_validate": True})

    def poll_allowed(self) -> bool:
        """False when the last live poll (kept in ``<data dir>/work``) is under 2 minutes old."""
        settings = getattr(self, "settings", None)
        if settings is None:  # a bare spider object (no crawl, no data dir)
            return True
        path = Path(settings.get("OUTAGES_DATA_DIR") or "data") / "work" / LAST_POLL_FILE
        now = self.clock().timestamp()
        try:
            last = float(path.read_text().strip())
        except (OSError, ValueError):
            last = 0.0
        if 0 <= now - last < MIN_POLL_SECONDS:
            self.logger.warning(
                "not polling: the last poll was %.0f s ago and FEMA asks for %d s between polls",
                now - last,
                MIN_POLL_SECONDS,
            )
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{now:.3f}\n")
        return True

    def is_start_url(self, url: str) -> bool:
        return url.startswith(FEED_BASE) and len(url) > len(FEED_BASE)

    def parse_page(self, response: Response) -> Iterator[OutageReport]:
        meta = self.meta_of(response)
        for index, element in enumerate(feed_alerts(response.body)):
            try:
                alert = parse_cap(etree.tostring(element))
            except CapParseError as exc:
                self.record_error(
                    response.url, f"alert {index}: {exc}", archive_ref=meta["archive_ref"]
                )
                continue
            if self.state and not in_state(alert.same_codes, alert.ugc_codes, self.state):
                continue  # the feed cannot be asked for one state: --state filters here
            yield alert_report(alert, source=self.name, source_url=response.url, meta=meta)


def in_state(same_codes: list[str], ugc_codes: list[str], state: str) -> bool:
    """Whether an alert's SAME (PSSCCC) or UGC (SSCNNN) codes touch the USPS `state`."""
    for code in same_codes:
        place = place_from_same(code)
        if place is not None and place.state_code == state:
            return True
    return any(code.upper().startswith(state) for code in ugc_codes)


def feed_url(since: datetime) -> str:
    """The feed URL for the alerts posted since `since` (an aware time)."""
    return FEED_BASE + since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_alerts(body: bytes) -> list[etree._Element]:
    """The ``<alert>`` elements of a feed page; `PageError` when it is not a feed."""
    if not body or not body.strip():
        raise PageError("IPAWS feed page is empty (not even an <alerts> envelope)")
    try:
        root = parse_xml(body)
    except etree.XMLSyntaxError as exc:
        raise PageError(f"IPAWS feed page is not XML: {exc}") from exc
    name = etree.QName(root)
    if name.localname == "alert":  # a single bare CAP message
        return [root]
    if name.localname != "alerts" or name.namespace != FEED_NS:
        raise PageError(f"IPAWS feed page is not an <alerts> feed: <{name.localname}>")
    return [
        child
        for child in root
        if isinstance(child.tag, str) and etree.QName(child).localname == "alert"
    ]
