"""The backfill's fast path through a page of CAP alerts (issue 19), checked against the
slower reading it replaced, field by field:

- `parse_cap` on a str parses it as it is and scans it for what XML cannot carry
  (`xml_safe`) only when that fails: the same alert as scanning first, on any document;
- in a parse worker the reports are plain dicts (`alert_report(plain=True)`), with the
  same fields and values as the Scrapy items;
- validate checks only the page's own strings of a report whose texts are libxml2's
  output (`report_texts_from_xml`): on the real corpus and on generated documents, checking
  every field would change nothing;
- a page with a malformed message keeps its good alerts and records the bad one with the
  page's URL, in a worker as in the crawl process.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import Request, TextResponse
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawlers import workers
from crawlers.items import REPORT_COLUMNS, ReportBatch
from crawlers.pipelines import (
    NOT_FROM_DOCUMENT,
    ClassifyPipeline,
    NormalizePipeline,
    ValidatePipeline,
)
from crawlers.spiders.formats import cap as capmod
from crawlers.spiders.formats.cap import CapParseError, alert_report, parse_cap
from crawlers.spiders.openfema_ipaws import OpenfemaIpawsSpider
from tests.test_cap_parser import _alert, _documents, _info, _same
from warehouse.cleantext import clean_strings, xml_safe

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/spiders/openfema_ipaws"
META = {"archive_ref": "a-1", "fetched_at": datetime(2026, 7, 30, 12, 0, tzinfo=UTC)}


def _scan_first(xml: str) -> capmod.CapAlert:
    """What parse_cap did with a str before: drop the declaration, `xml_safe` the text,
    encode, parse."""
    declaration = capmod._XML_DECLARATION_RE.match(xml)
    if declaration is not None:
        xml = xml[declaration.end() :]
    return parse_cap(xml_safe(xml).encode("utf-8"))


def _outcome(read, xml):
    try:
        return read(xml)
    except CapParseError as exc:
        return CapParseError(str(exc))


def _same_outcome(got, want) -> None:
    if isinstance(want, CapParseError):
        assert isinstance(got, CapParseError), got
        assert str(got) == str(want)
    else:
        assert not isinstance(got, CapParseError), got
        _same(got, want)


# Characters XML 1.0 refuses (raw and as references), and ones it takes that look alike.
_INSERTS = st.sampled_from(
    [
        "\x00",
        "\x01",
        "\x0b",
        "\x1b",
        "\ud800",
        "\udfff",
        "\ufffe",
        "\uffff",
        "&#1;",
        "&#x1b;",
        "&#xFFFE;",
        "&#xD800;",
        "\t",
        "\x85",
        "\u2028",
        "\U0001f4de",
        "&#x1F4DE;",
        "&amp;",
        "\ufeff",
    ]
)


@st.composite
def _dirty_documents(draw) -> str:
    doc = draw(_documents())
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(doc)))
        doc = doc[:at] + draw(_INSERTS) + doc[at:]
    prefix = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>', "\ufeff", " "]))
    return prefix + doc


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dirty_documents())
def test_parsing_first_reads_what_scanning_first_read(xml: str) -> None:
    _same_outcome(_outcome(parse_cap, xml), _outcome(_scan_first, xml))


def test_a_control_character_in_a_text_is_still_dropped() -> None:
    xml = _alert(_info(event="Phone\x0b outage\ud800"))
    assert parse_cap(xml).event == "Phone outage"
    with pytest.raises(CapParseError, match="malformed XML"):
        parse_cap(xml.encode("utf-8", "surrogatepass"))  # bytes are parsed as they are


# ---- the reports --------------------------------------------------------------------------
def _real_messages() -> list[str]:
    """Every real CAP message the repository holds: the recorded corpus and the real pages."""
    corpus = json.loads(
        (ROOT / "demo/recorded/openfema_ipaws_cap_corpus_2026-07-29_40alerts.json").read_text()
    )
    messages = [record["xml"] for record in corpus]
    for case in sorted(FIXTURES.glob("real_*")):
        page = json.loads((case / "response.json").read_text())
        messages += [r["originalMessage"] for r in page["IpawsArchivedAlerts"]]
    return messages


REAL = _real_messages()


def _pipelines():
    crawler = get_crawler(OpenfemaIpawsSpider)
    crawler.spider = crawler._create_spider()
    return crawler, [
        step(crawler) for step in (NormalizePipeline, ClassifyPipeline, ValidatePipeline)
    ]


CRAWLER, STEPS = _pipelines()


def _through_pipelines(messages: list[str], *, plain: bool) -> list:
    url = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?$skip=0"
    reports = [
        alert_report(parse_cap(m), source="openfema_ipaws", source_url=url, meta=META, plain=plain)
        for m in messages
    ]
    batch = ReportBatch(url=url, reports=reports)
    for step in STEPS:
        batch = step.process_item(batch)
    assert batch.errors == 0
    return batch.reports


def _check(messages: list[str]) -> None:
    items = _through_pipelines(messages, plain=False)
    plain = _through_pipelines(messages, plain=True)
    assert len(items) == len(plain) == len(messages)
    for item, row in zip(items, plain, strict=True):
        assert type(row) is dict
        assert dict(item) == row  # the same fields, the same values
        for name in REPORT_COLUMNS:
            assert repr(item.get(name)) == repr(row.get(name)), name  # tzinfo too
        # What the full check would have changed: nothing, in any field.
        dirty = [name for name, value in row.items() if clean_strings(value)[1]]
        assert dirty == []


def test_real_messages_plain_reports_equal_the_items_and_need_no_cleaning() -> None:
    assert len(REAL) >= 50
    _check(REAL)


# Texts from the whole of Unicode, as a source could send them (what XML refuses included).
_TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS, _TEXTS, _TEXTS, _TEXTS)
def test_generated_texts_need_no_cleaning_after_the_parser(event, headline, area, phone) -> None:
    info = _info(event=event, areas=[(area, [("SAME", "031111")])]).replace(
        "Call 308-555-0100.", f"Call {phone} 911 is out of service"
    )
    xml = _alert(info).replace(f"<headline>{event} headline", f"<headline>{headline}")
    try:
        parse_cap(xml)
    except CapParseError:
        return  # e.g. a text that makes the markup malformed
    _check([xml])


def test_the_pages_own_strings_are_still_checked() -> None:
    (report,) = _through_pipelines(REAL[:1], plain=True)
    assert set(NOT_FROM_DOCUMENT) <= set(report)
    dirty = dict(report, source_url="https://example.org/\x0bpage", status=None)
    dirty.pop("is_outage")
    batch = ReportBatch(url="u", reports=[dirty])
    for step in STEPS:
        batch = step.process_item(batch)
    assert batch.reports[0]["source_url"] == "https://example.org/page"
    assert batch.errors == 1  # recorded (InvalidCharacters): the run is partial


# ---- a page in a worker ---------------------------------------------------------------------
def test_a_worker_keeps_the_good_alerts_of_a_page_and_records_the_malformed_one() -> None:
    case = FIXTURES / "broken_records"
    body = (case / "response.json").read_bytes()
    url = json.loads((case / "case.json").read_text())["url"]
    workers._start_worker("openfema_ipaws", {}, get_project_settings().copy_to_dict(), log=False)
    page = workers._parse(url, 200, {}, body, dict(META), TextResponse)
    assert page.failure is None and page.reports == []
    records = json.loads(body)["IpawsArchivedAlerts"]
    assert page.table.num_rows == len(records) - 2  # the truncated one, the one without XML
    errors = [(e["url"], e["message"]) for e in page.errors]
    assert (url, next(m for u, m in errors if "malformed XML" in m)) in errors
    assert any("has no originalMessage" in m for _, m in errors)
    assert all(u == url for u, _ in errors)
    # The good ones are the rows the crawl process makes from the same page.
    spider = CRAWLER.spider
    response = TextResponse(url, body=body, request=Request(url, meta=dict(META)))
    expected = [r for r in spider.parse(response) if not isinstance(r, Request)]
    assert page.table.column("report_id").to_pylist() == [r["report_id"] for r in expected]


def test_alert_pages_go_to_workers_from_a_few_messages_on() -> None:
    spider = CRAWLER.spider
    pool = workers.ParseWorkers(CRAWLER, 2, 400_000)  # the general threshold
    url = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?$skip=0"

    def page(size: int) -> TextResponse:
        return TextResponse(url, body=b" " * size, request=Request(url, callback=spider.parse))

    assert pool.wants(spider, page(spider.parse_in_workers_min_bytes))
    assert not pool.wants(spider, page(spider.parse_in_workers_min_bytes - 1))
    # An operator's lower threshold still counts.
    assert workers.ParseWorkers(CRAWLER, 2, 1).wants(spider, page(10))
