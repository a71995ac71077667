"""OpenFEMA `IpawsArchivedAlerts`: every federal (IPAWS) alert since 2012, with a 24 h lag.

The API has no free-text search, so the spider reads every alert of each day and the
pipelines classify them locally. One request per day window over `sent`, paged with
`$top`/`$skip`; the CAP XML is the record's `originalMessage`. `--state SD` narrows the
windows with the filter OpenFEMA documents for a state, a `startswith` on the records'
`infos/areas/geocode/value` (FEMA/openfema-samples, dataset-samples/ipaws_archived_alerts.md:
`startswith(infos/areas/geocode/value,'006')` for California).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import us
from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.cap import CapParseError, alert_report, parse_cap

API_URL = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts"
RECORDS_KEY = "IpawsArchivedAlerts"


class OpenfemaIpawsSpider(OutageSpider):
    name = "openfema_ipaws"
    page_maxsize = 32 * 1024 * 1024  # one page of 1,000 archived alerts is about 10 MB
    # What parse_page reads: the records list and each record's CAP message.
    expected_structure = (
        "json:IpawsArchivedAlerts",
        "json:IpawsArchivedAlerts[].originalMessage",
    )
    source_title = "OpenFEMA IPAWS Archived Alerts"
    source_home = "https://www.fema.gov/openfema-data-page/ipaws-archived-alerts-v1"
    coverage_since = "2012-06-01"
    source_kind = "alert"
    verified_with = ("real_2026-07-29_page1", "real_2026-07-29_page2")
    robots_txt = (
        "allowed (no rules): https://www.fema.gov/robots.txt answers HTTP 403, reported by a "
        "public source review that also had the API answer 200 (re-checked 2026-10-07); no "
        "stored copy of the file"
    )
    terms = (
        "https://www.fema.gov/about/openfema/terms-conditions: say the product 'uses the "
        "Federal Emergency Management Agency's OpenFEMA API, but is not endorsed by FEMA'; "
        "no re-identification of individuals"
    )
    cadence_minutes = 24 * 60
    run_window = "the previous two days and today"
    page_size = 1000
    # A page holds up to 1,000 CAP messages: a backfill's pages are parsed on every core.
    parse_in_workers = True
    # From about four messages on: parsing one costs some 300 us of CPU, sending the page to
    # a worker and its rows back well under that per message. A backfill's pages average
    # 150 kB (one a day, about 20 alerts), below the general 400 kB threshold: with it, all
    # but the busiest days were parsed in the crawl process, on one core (issue 19).
    parse_in_workers_min_bytes = 32_000
    # Every text of its reports is libxml2's output (which refuses what XML cannot carry)
    # or derived from it: validate checks only the page's own strings (see clean_text).
    report_texts_from_xml = True
    allowed_domains = ["www.fema.gov"]

    @classmethod
    def default_days(cls) -> int:
        # The archive lags a day: yesterday and the day before are the newest complete days.
        return 2

    def live_requests(self) -> Iterator[Request]:
        day = self.since
        while day <= self.until:
            yield self.request(self.page_url(day, skip=0, top=self.page_size), self.parse)
            day += timedelta(days=1)

    def page_url(self, day: date, *, skip: int, top: int) -> str:
        window = (
            f"sent ge '{day.isoformat()}T00:00:00.000Z' and "
            f"sent lt '{(day + timedelta(days=1)).isoformat()}T00:00:00.000Z'"
        )
        if self.state:
            state = us.states.lookup(self.state)
            if state is None:
                raise ValueError(f"unknown state code: {self.state}")
            state_fips = state.fips
            window += f" and startswith(infos/areas/geocode/value,'0{state_fips}')"
        query = {
            "$filter": window,
            "$orderby": "sent",
            "$top": str(top),
            "$skip": str(skip),
            "$inlinecount": "allpages",
        }
        return f"{API_URL}?{urlencode(query)}"

    def is_start_url(self, url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        return url.startswith(API_URL) and query.get("$skip", ["0"]) == ["0"]

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        payload = self.load_json(response, "OpenFEMA page")
        if not isinstance(payload, dict) or not isinstance(payload.get(RECORDS_KEY), list):
            raise PageError(f"OpenFEMA page has no {RECORDS_KEY} list")
        records = payload[RECORDS_KEY]
        meta = self.meta_of(response)
        # In a parse worker whose rows go back as a table: plain dicts, no Scrapy items.
        plain = getattr(self, "plain_reports", False)
        for index, record in enumerate(records):
            xml = record.get("originalMessage") if isinstance(record, dict) else None
            if not isinstance(xml, str) or not xml.strip():
                self.record_error(
                    response.url, f"record {index} has no originalMessage", **self._ref(meta)
                )
                continue
            try:
                alert = parse_cap(xml)
            except CapParseError as exc:
                self.record_error(response.url, f"record {index}: {exc}", **self._ref(meta))
                continue
            if alert.sent is None:  # kept: the pipelines fall back on the fetch time
                self.record_error(
                    response.url,
                    f"record {index}: sent is not a time: {alert.sent_raw[:100]!r}",
                    stage="validate",
                    error_type="BadTime",
                    **self._ref(meta),
                )
            yield alert_report(
                alert, source=self.name, source_url=response.url, meta=meta, plain=plain
            )
        yield from self.next_page(response.url, len(records))

    def next_page(self, url: str, returned: int) -> Iterator[Request]:
        """OData paging: a full page means there may be more."""
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        top = int(query.get("$top", self.page_size))
        if returned < top or top <= 0:
            return
        query["$skip"] = str(int(query.get("$skip", 0)) + top)
        yield self.request(f"{API_URL}?{urlencode(query)}", self.parse)

    @staticmethod
    def _ref(meta: dict) -> dict:
        return {"archive_ref": meta.get("archive_ref")}
