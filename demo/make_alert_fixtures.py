"""Write the alert spiders' fixture folders from the recorded and constructed alerts.

    uv run python demo/make_alert_fixtures.py && uv run python demo/build_snapshot.py

The pages are the responses the two alert spiders would have fetched:
- OpenFEMA `IpawsArchivedAlerts` pages for 2026-07-29 holding 40 real recorded CAP messages
  (demo/recorded/), in a rebuilt OpenFEMA envelope;
- OpenFEMA pages for the days of documented 911 outages, holding the CAP alerts constructed
  in demo/constructed/cap/ (labelled constructed in the archive and in the app);
- api.weather.gov `/alerts` pages (two, linked by `pagination.next`) holding the constructed
  NWS features of demo/constructed/nws/.
Each page becomes a fixture folder `tests/fixtures/spiders/<spider>/<case>/` (response,
case.json with `"demo": true`); `demo/build_snapshot.py` then puts every demo fixture into
the snapshot. Expected items are regenerated with `uv run python -m tests.golden --regen`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from crawlers.archive import ArchiveRecord
from crawlers.spiders.formats.cap import parse_cap, parse_time
from crawlers.spiders.nws_alerts import API_URL as NWS_URL
from crawlers.spiders.nws_alerts import EVENT_CODES
from crawlers.spiders.openfema_ipaws import RECORDS_KEY, OpenfemaIpawsSpider

DEMO = Path(__file__).resolve().parent
FIXTURES = DEMO.parent / "tests" / "fixtures" / "spiders"
RECORDED = DEMO / "recorded" / "openfema_ipaws_cap_corpus_2026-07-29_40alerts.json"
CONSTRUCTED_CAP = DEMO / "constructed" / "cap"
CONSTRUCTED_NWS = DEMO / "constructed" / "nws"
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8")]
GEOJSON_HEADERS = [("Content-Type", "application/geo+json")]
RECORDED_NOTE = (
    "OpenFEMA envelope rebuilt around recorded originalMessage values "
    "(demo/recorded/PROVENANCE.md); the CAP XML is as recorded"
)
# Where the recorded CAP messages come from (tests/test_verified_with.py checks it is there).
RECORDED_PROVENANCE = {
    "source": (
        "chelstein/mellowmountainradio@3059af7aa1e4faba7cb81b783f608e078d43a448:"
        "openeas-mcp/test/corpus/cap-openfema.json (40 originalMessage values of OpenFEMA "
        "IpawsArchivedAlerts?$top=40&$orderby=sent desc, about 2026-07-29/30; "
        "demo/recorded/PROVENANCE.md)"
    ),
    "retrieved_via": "the shared samples folder /work/shared/samples/ipaws/ (SOURCES.md)",
    "changes": (
        "the OpenFEMA envelope (metadata, record fields other than originalMessage) is "
        "rebuilt by demo/make_alert_fixtures.py: the corpus kept only originalMessage; each "
        "record's originalMessage, the CAP XML the spider parses, is unchanged; 25 and 15 of "
        "the 40 records, in sent order"
    ),
}
CONSTRUCTED_NOTE = (
    "CONSTRUCTED demo data: CAP alerts written by 911 Outage Watch to model documented "
    "outages (demo/constructed/README.md); not real alerts"
)


def openfema_record(xml: str) -> dict:
    """An OpenFEMA-style record for one CAP message (fields derived from the message)."""
    alert = parse_cap(xml)
    sent = alert.sent.astimezone(UTC) if alert.sent else None
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, alert.key)),
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": sent.strftime("%Y-%m-%dT%H:%M:%S.000Z") if sent else None,
        "status": alert.status,
        "msgType": alert.msg_type,
        "references": " ".join(alert.references) or None,
        "originalMessage": xml,
    }


def openfema_pages(
    day: date, xmls: list[str], top: int, fetched_at: datetime, constructed: bool, note: str
) -> list[ArchiveRecord]:
    spider = OpenfemaIpawsSpider(since=day.isoformat(), until=day.isoformat())
    records = [openfema_record(x) for x in sorted(xmls, key=lambda x: parse_cap(x).sent)]
    pages = []
    skip = 0
    while True:
        chunk = records[skip : skip + top]
        url = spider.page_url(day, skip=skip, top=top)
        body = {
            "metadata": {
                "skip": skip,
                "top": top,
                "count": len(records),
                "entityname": RECORDS_KEY,
                "version": "v1",
                "url": url,
                "rundate": fetched_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            },
            RECORDS_KEY: chunk,
        }
        pages.append(
            ArchiveRecord(
                url=url,
                body=json.dumps(body, indent=1).encode(),
                headers=JSON_HEADERS,
                fetched_at=fetched_at + timedelta(seconds=len(pages)),
                constructed=constructed,
                note=note,
            )
        )
        if len(chunk) < top:
            return pages
        skip += top


def nws_pages(fetched_at: datetime) -> list[ArchiveRecord]:
    features = []
    for path in sorted(CONSTRUCTED_NWS.glob("*.json")):
        feature = json.loads(path.read_text())
        feature.pop("_constructed", None)
        features.append(feature)
    features.sort(key=lambda f: f["properties"]["sent"])
    days = sorted(
        {parse_time(f["properties"]["sent"]).astimezone(UTC).date().isoformat() for f in features}
    )
    query = [("code", c) for c in EVENT_CODES] + [
        ("start", f"{days[0]}T00:00:00Z"),
        ("end", f"{days[-1]}T23:59:59Z"),
    ]
    first_url = f"{NWS_URL}?{urlencode(query)}"
    second_url = f"{NWS_URL}?{urlencode(query + [('cursor', 'demo-page-2')])}"
    split = max(1, len(features) - 1)
    pages = []
    for index, (url, chunk, next_url) in enumerate(
        (
            (first_url, features[:split], second_url),
            (second_url, features[split:], None),
        )
    ):
        body = {
            "@context": ["https://geojson.org/geojson-ld/geojson-context.jsonld"],
            "type": "FeatureCollection",
            "_constructed": CONSTRUCTED_NOTE,
            "features": chunk,
            "title": "Current watches, warnings, and advisories",
            "updated": fetched_at.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        }
        if next_url:
            body["pagination"] = {"next": next_url}
        pages.append(
            ArchiveRecord(
                url=url,
                body=json.dumps(body, indent=1).encode(),
                headers=GEOJSON_HEADERS,
                fetched_at=fetched_at + timedelta(seconds=index),
                constructed=True,
                note=CONSTRUCTED_NOTE,
            )
        )
    return pages


def build() -> list[ArchiveRecord]:
    records: list[ArchiveRecord] = []
    recorded = [item["xml"] for item in json.loads(RECORDED.read_text())]
    records += openfema_pages(
        date(2026, 7, 29),
        recorded,
        top=25,
        fetched_at=datetime(2026, 7, 30, 12, tzinfo=UTC),
        constructed=False,
        note=RECORDED_NOTE,
    )
    by_day: dict[date, list[str]] = defaultdict(list)
    for path in sorted(CONSTRUCTED_CAP.glob("*.xml")):
        xml = path.read_text()
        by_day[parse_cap(xml).sent.astimezone(UTC).date()].append(xml)
    for day in sorted(by_day):
        fetched = datetime.combine(day + timedelta(days=2), datetime.min.time(), UTC)
        records += openfema_pages(
            day, by_day[day], top=1000, fetched_at=fetched, constructed=True, note=CONSTRUCTED_NOTE
        )
    last_day = max(by_day)
    records += nws_pages(datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(hours=23))
    return records


def case_name(record: ArchiveRecord) -> tuple[str, str]:
    body = json.loads(record.body)
    if RECORDS_KEY in body:
        day = body[RECORDS_KEY][0]["sent"][:10]
        page = body["metadata"]["skip"] // body["metadata"]["top"] + 1
        kind = "constructed" if record.constructed else "real"
        return "openfema_ipaws", f"{kind}_{day}" + ("" if record.constructed else f"_page{page}")
    return "nws_alerts", "constructed_page2" if "cursor" in record.url else "constructed_page1"


def write_fixture(record: ArchiveRecord) -> Path:
    spider, name = case_name(record)
    folder = FIXTURES / spider / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "response.json").write_bytes(record.body)
    case = {
        "url": record.url,
        "fetched_at": record.fetched_at.isoformat(),
        "constructed": record.constructed,
        "demo": True,
        "content_type": dict(record.headers)["Content-Type"],
        "note": f"Written by demo/make_alert_fixtures.py. {record.note}",
    }
    if not record.constructed:
        case["provenance"] = RECORDED_PROVENANCE
    (folder / "case.json").write_text(json.dumps(case, indent=1) + "\n")
    return folder


if __name__ == "__main__":
    for record in build():
        print(write_fixture(record).relative_to(FIXTURES))
