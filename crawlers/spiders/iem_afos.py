"""Iowa Environmental Mesonet: the archive of NWS text products (AFOS), nationwide.

NWS offices relay civil alerts for local agencies as text products: ``TOExxx`` (911
Telephone Outage Emergency), ``CEMxxx``, ``LAExxx``, ``ADRxxx`` ... IEM keeps every
product, so this is the long history of the alerts `nws_alerts` sees for a week only.

Per UTC day and per PIL prefix, the IEM API lists the products
(``/api/1/nws/afos/list.json?pil=TOE&date=2024-04-18``: a three-character ``pil`` matches
every AWIPS id that starts with it), as a pandas "table" JSON::

    {"schema": {...}, "data": [{"index": 0, "entered": "2024-04-18T02:06:00Z",
      "pil": "TOEFSD", "product_id": "202404180206-KFSD-WOUS43-TOEFSD", "cccc": "KFSD",
      "count": 1, "link": ".../p.php?pid=...", "text_link": ".../api/1/nwstext/..."}]}

and ``/api/1/nwstext/{product_id}`` gives the product's text (several products stored
under one id come back together with ``nolimit``, separated by ETX). Each product is one
report: `crawlers.spiders.formats.nws_text` reads it, the PIL gives the event code for
the classifier and the UGC line the counties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.items import OutageReport
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats.nws_text import (
    NwsTextParseError,
    parse_nws_text,
    product_report,
    split_products,
)

API_URL = "https://mesonet.agron.iastate.edu/api/1"
LIST_URL = f"{API_URL}/nws/afos/list.json"
TEXT_URL = f"{API_URL}/nwstext/"
# 911 Telephone Outage plus the civil codes agencies use for 911 outages in practice
# (the same set as nws_alerts). `-a pils=CAE,TOE` crawls others.
PILS = ("TOE", "CEM", "LAE", "ADR", "SPW", "EVI", "CDW")
PRODUCT_ID = re.compile(r"^(\d{12})-([A-Z0-9]{4})-([A-Z0-9]{6})-([A-Z0-9]{4,6})(?:-([A-Z]{3}))?$")


class IemAfosSpider(OutageSpider):
    name = "iem_afos"
    # The product list parse_page reads (start URLs are list.json answers).
    expected_structure = ("json:data", "json:data[].product_id")
    source_title = "Iowa Environmental Mesonet: NWS text product archive"
    source_home = "https://mesonet.agron.iastate.edu/wx/afos/list.phtml"
    coverage_since = "2008-01-01"
    cadence_minutes = 60
    source_kind = "alert"
    verified_with = (
        "real_2015-10-24_CAEIA_text",
        "real_2026-07-10_list_CLINYC",
        "real_2026-07-10_CLINYC_text",
    )
    robots_txt = (
        "allowed: https://mesonet.agron.iastate.edu/robots.txt has no User-agent line; read "
        "leniently it disallows /usage/, /tmp/, /data/NIDS/, /data/nexrd2/, /data/model/, "
        "/archive/nexrad/, /archive/raw/snet/ (not /api/1/) and asks 'Crawl-delay: 120', "
        "which Scrapy does not apply (we send one request at a time). As quoted by a public "
        "source review (re-checked 2026-10-07); no stored copy of the file"
    )
    terms = (
        "https://mesonet.agron.iastate.edu/disclaimer.php: redistributed NWS public-domain "
        "products; no formal terms of use found; credit the IEM"
    )
    empty_ok_because = (
        "911 outage (TOE) and civil emergency products are rare: most UTC days have none "
        "nationwide, so a day list is often empty"
    )
    allowed_domains = ["mesonet.agron.iastate.edu"]
    # One request at a time to a university server; the project's DOWNLOAD_DELAY applies.
    custom_settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    pils: str | tuple[str, ...] = PILS

    def pil_list(self) -> list[str]:
        raw = self.pils.split(",") if isinstance(self.pils, str) else self.pils
        pils = [p.strip().upper() for p in raw if p.strip()]
        bad = [p for p in pils if not re.fullmatch(r"[A-Z0-9]{3,6}", p)]
        if bad:
            raise ValueError(f"not AWIPS PILs: {', '.join(bad)}")
        return pils

    def live_requests(self) -> Iterator[Request]:
        day = self.since
        while day <= self.until:
            for pil in self.pil_list():
                yield self.request(list_url(pil, day), self.parse)
            day += timedelta(days=1)

    def is_start_url(self, url: str) -> bool:
        if not url.startswith(LIST_URL + "?"):
            return False
        query = parse_qs(urlsplit(url).query)
        return bool(query.get("pil")) and bool(query.get("date"))

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        if "/nws/afos/list." in response.url or response.body.lstrip()[:1] == b"{":
            yield from self.parse_list(response)
        else:
            yield from self.parse_product(response)

    def parse_list(self, response: Response) -> Iterator[Request]:
        payload = self.load_json(response, "IEM product list")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise PageError("IEM product list has no data list")
        archive_ref = response.meta.get("archive_ref")
        for index, entry in enumerate(payload["data"]):
            product_id = entry.get("product_id") if isinstance(entry, dict) else None
            if not isinstance(product_id, str) or not PRODUCT_ID.match(product_id):
                self.record_error(
                    response.url, f"entry {index}: no valid product_id", archive_ref=archive_ref
                )
                continue
            yield self.request(text_url(product_id, entry), self.parse)

    def parse_product(self, response: Response) -> Iterator[OutageReport]:
        meta = self.meta_of(response)
        text = response.body.decode("utf-8", errors="replace")
        product_id = product_id_of(response.url)
        received = product_time(product_id) if product_id else None
        received = received or _aware(meta["fetched_at"])
        parts = split_products(text)
        for index, part in enumerate(parts):
            try:
                product = parse_nws_text(part, received=received)
            except NwsTextParseError as exc:
                if len(parts) == 1:
                    raise PageError(f"not an NWS text product: {exc}") from exc
                self.record_error(
                    response.url, f"product {index}: {exc}", archive_ref=meta["archive_ref"]
                )
                continue
            if self.state and not any(c.startswith(self.state) for c in product.ugc_codes):
                continue  # the list cannot be asked for one state: --state filters here
            key = product_id or product.product_id
            if key and len(parts) > 1:
                key = f"{key}#{index}"
            yield product_report(
                product, source=self.name, source_url=response.url, meta=meta, key=key
            )


def list_url(pil: str, day: date) -> str:
    return f"{LIST_URL}?{urlencode({'pil': pil, 'date': day.isoformat()})}"


def text_url(product_id: str, entry: dict | None = None) -> str:
    """The text of a listed product; all the products under the id when there are several."""
    link = (entry or {}).get("text_link")
    url = link if isinstance(link, str) and link.startswith(TEXT_URL) else TEXT_URL + product_id
    count = (entry or {}).get("count")
    if isinstance(count, int) and count > 1 and "?" not in url:
        url += "?nolimit=true"
    return url


def product_id_of(url: str) -> str | None:
    """``.../api/1/nwstext/201510242023-KDMX-WOUS43-CAEIA`` -> the product id."""
    path = urlsplit(url).path
    candidate = path.rsplit("/", 1)[-1]
    return candidate if "/nwstext/" in path and PRODUCT_ID.match(candidate) else None


def product_time(product_id: str) -> datetime | None:
    match = PRODUCT_ID.match(product_id)
    if match is None:
        return None
    try:
        return datetime.strptime(match[1], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
