"""api.weather.gov `/alerts`: NWS alerts as GeoJSON, about the last 7 days.

NWS relays civil alerts (TOE, CEM, LAE, ADR, ...) for local agencies. The spider asks for
those codes over a time window and follows `pagination.next`. Each feature's properties
are CAP fields, so they become the same `CapAlert` as an IPAWS message.
"""

from __future__ import annotations

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
    page_maxsize = 16 * 1024 * 1024  # a page of the alerts API with geometries can reach a few MB
    # What parse_page/feature_report read (see crawlers/structure.py).
    expected_structure = (
        "json:features",
        "json:features[].properties.id",
        "json:features[].properties.sender",
        "json:features[].properties.sent",
    )
    source_title = "National Weather Service alerts API"
    source_home = "https://www.weather.gov/documentation/services-web-api"
    coverage_since = "(rolling 7 days)"
    source_kind = "alert"
    verified_with = ("real_2024-05-25_active",)
    robots_txt = (
        "DISALLOWED: https://api.weather.gov/robots.txt is 'User-agent: *' / 'Disallow: /' "
        "(no Allow line), so with ROBOTSTXT_OBEY every start URL (/alerts?...) is refused "
        "and recorded as a RobotsTxtForbidden error. No stored copy of the file itself: its "
        "complete text is quoted, checked against the live file, by several public "
        "repositories' source reviews (2026-05-04, 2026-07-06, 2026-08-13, 2026-10-07). The "
        "NWS documents the API for programs (terms below): the owner must decide (ask the "
        "NWS, or drop this source; iem_afos and the IPAWS spiders carry the same alerts)."
    )
    terms = (
        "https://www.weather.gov/documentation/services-web-api: 'intended to be open data, "
        "free to use for any purpose'; 'A User Agent is required to identify your application'"
    )
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
        payload = self.load_json(response, "NWS alerts page")
        if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
            raise PageError("NWS alerts page has no features list")
        meta = self.meta_of(response)
        for index, feature in enumerate(payload["features"]):
            try:
                alert = alert_from_feature(feature)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.record_error(
                    response.url, f"feature {index}: {exc!r}", archive_ref=meta["archive_ref"]
                )
                continue
            if alert.sent is None:  # kept: the pipelines fall back on the fetch time
                self.record_error(
                    response.url,
                    f"feature {index}: sent is not a time: {alert.sent_raw[:100]!r}",
                    stage="validate",
                    error_type="BadTime",
                    archive_ref=meta["archive_ref"],
                )
            yield alert_report(alert, source=self.name, source_url=response.url, meta=meta)
        pagination = payload.get("pagination")
        next_url = pagination.get("next") if isinstance(pagination, dict) else None
        # An empty page ends the paging, whatever its `next` says.
        if payload["features"] and isinstance(next_url, str) and next_url.startswith(API_URL):
            yield self.request(next_url, self.parse)


# Codes whose AWIPS product category (the first three letters of the AWIPS id) is the
# SAME event code: the civil codes asked for, and the tests that must not count as outages.
AWIPS_EVENT_CODES = frozenset(EVENT_CODES) | {"RMT", "RWT", "DMO", "NPT"}


def awips_event_code(parameters: object) -> str | None:
    """The event code from `parameters.AWIPSidentifier` (``["CEMFSD"]`` -> ``CEM``) when it
    is one of `AWIPS_EVENT_CODES`. Recorded answers may lack `eventCode` (the recorded
    2024 answer in tests/fixtures/spiders/nws_alerts/real_2024-05-25_active does), and an
    agency's event name does not always match the NWS name."""
    if not isinstance(parameters, dict):
        return None
    ids = parameters.get("AWIPSidentifier")
    if not isinstance(ids, list) or not ids or not isinstance(ids[0], str):
        return None
    code = ids[0][:3].upper()
    return code if code in AWIPS_EVENT_CODES else None


_TEXT_PROPERTIES = (
    "status",
    "messageType",
    "event",
    "senderName",
    "headline",
    "description",
    "instruction",
    "effective",
    "onset",
    "expires",
    "areaDesc",
)


def alert_from_feature(feature: dict) -> CapAlert:
    """The CAP fields of one GeoJSON alert feature."""
    props = feature["properties"]
    identifier, sender, sent = props["id"], props["sender"], props["sent"]
    if not (isinstance(identifier, str) and isinstance(sender, str) and isinstance(sent, str)):
        raise ValueError("feature lacks id, sender or sent")
    for name in _TEXT_PROPERTIES:
        if props.get(name) is not None and not isinstance(props[name], str):
            raise ValueError(f"feature property {name} is not a string")
    event_codes = (props.get("eventCode") or {}).get("SAME") or []
    geocode = props.get("geocode") or {}
    for name, value in (
        ("eventCode.SAME", event_codes),
        ("geocode.SAME", geocode.get("SAME")),
        ("geocode.UGC", geocode.get("UGC")),
    ):
        if value is not None and not isinstance(value, list):
            raise ValueError(f"feature property {name} is not a list")
    event = props.get("event")
    event_code = (
        str(event_codes[0])
        if event_codes
        else EVENT_NAMES.get((event or "").lower()) or awips_event_code(props.get("parameters"))
    )
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
