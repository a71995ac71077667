"""api.weather.gov `/alerts`: NWS alerts as GeoJSON, about the last 7 days.

NWS relays civil alerts (TOE, CEM, LAE, ADR, ...) for local agencies. The spider asks for
those codes over a time window and follows `pagination.next`. Each feature's properties
are CAP fields, so they become the same `CapAlert` as an IPAWS message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.cap import CapAlert, alert_report, parse_time

API_URL = "https://api.weather.gov/alerts"
# 911 Telephone Outage plus the civil codes that agencies use for 911 outages in practice.
EVENT_CODES = ("TOE", "CEM", "LAE", "ADR", "SPW", "EVI", "CDW")
# Older responses carry no `eventCode`: map NWS event names back to SAME codes.
EVENT_NAMES = {
    "911 telephone outage": "TOE",
    "911 telephone outage emergency": "TOE",
    "civil emergency message": "CEM",
    "local area emergency": "LAE",
    "administrative message": "ADR",
    "shelter in place warning": "SPW",
    "evacuation immediate": "EVI",
    "civil danger warning": "CDW",
}


class NwsAlertsSpider(OutageSpider):
    name = "nws_alerts"
    source_title = "National Weather Service alerts API"
    source_home = "https://www.weather.gov/documentation/services-web-api"
    coverage_since = "(rolling 7 days)"
    source_kind = "alert"
    cadence_minutes = 5
    allowed_domains = ["api.weather.gov"]
    custom_settings = {"DEFAULT_REQUEST_HEADERS": {"Accept": "application/geo+json"}}

    @classmethod
    def default_days(cls) -> int:
        return 7

    def live_requests(self) -> Iterator[Request]:
        query = [("code", code) for code in EVENT_CODES]
        query += [
            ("start", f"{self.since.isoformat()}T00:00:00Z"),
            ("end", f"{self.until.isoformat()}T23:59:59Z"),
        ]
        yield self.request(f"{API_URL}?{urlencode(query)}", self.parse)

    def is_start_url(self, url: str) -> bool:
        return url.startswith(API_URL) and "cursor=" not in url

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        try:
            payload = json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PageError(f"NWS alerts page is not JSON: {exc}") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
            raise PageError("NWS alerts page has no features list")
        meta = self.meta_of(response)
        for index, feature in enumerate(payload["features"]):
            try:
                alert = alert_from_feature(feature)
            except (KeyError, TypeError, ValueError) as exc:
                self.record_error(
                    response.url, f"feature {index}: {exc!r}", archive_ref=meta["archive_ref"]
                )
                continue
            yield alert_report(alert, source=self.name, source_url=response.url, meta=meta)
        next_url = (payload.get("pagination") or {}).get("next")
        if isinstance(next_url, str) and next_url.startswith(API_URL):
            yield self.request(next_url, self.parse)


def alert_from_feature(feature: dict) -> CapAlert:
    """The CAP fields of one GeoJSON alert feature."""
    props = feature["properties"]
    identifier, sender, sent = props["id"], props["sender"], props["sent"]
    if not (isinstance(identifier, str) and isinstance(sender, str) and isinstance(sent, str)):
        raise ValueError("feature lacks id, sender or sent")
    event_codes = (props.get("eventCode") or {}).get("SAME") or []
    event = props.get("event")
    event_code = event_codes[0] if event_codes else EVENT_NAMES.get((event or "").lower())
    geocode = props.get("geocode") or {}
    references = [
        f"{ref['sender']},{ref['identifier']},{ref['sent']}"
        for ref in props.get("references") or []
        if isinstance(ref, dict) and {"sender", "identifier", "sent"} <= ref.keys()
    ]
    return CapAlert(
        identifier=identifier,
        sender=sender,
        sent_raw=sent,
        sent=parse_time(sent),
        status=props.get("status"),
        msg_type=props.get("messageType"),
        references=references,
        event=event,
        event_code=event_code,
        sender_name=props.get("senderName"),
        headline=props.get("headline"),
        description=props.get("description"),
        instruction=props.get("instruction"),
        effective=parse_time(props.get("effective")),
        onset=parse_time(props.get("onset")),
        expires=parse_time(props.get("expires")),
        area_desc=props.get("areaDesc"),
        same_codes=[str(c) for c in geocode.get("SAME") or []],
        ugc_codes=[str(c) for c in geocode.get("UGC") or []],
    )
