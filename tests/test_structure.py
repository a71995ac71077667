"""The expected-structure probe, and every declared entry matched by the spider's real fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.structure import probe
from outages.crawl import scrapy_settings

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"


def test_json_paths_with_lists() -> None:
    body = json.dumps({"features": [{"properties": {"id": "a"}}, {"properties": {"id": "b"}}]})
    found = probe(body, ("json:features", "json:features[].properties.id", "json:features[].x"))
    assert found == {
        "json:features": True,
        "json:features[].properties.id": True,
        "json:features[].x": False,
    }
    # a renamed key is missing; a quiet day (empty list) is not drift; non-JSON misses all
    assert probe('{"feature": []}', ("json:features",)) == {"json:features": False}
    assert probe('{"features": []}', ("json:features[].properties.id",)) == {
        "json:features[].properties.id": True
    }
    assert probe("<html>error</html>", ("json:features",)) == {"json:features": False}


def test_css_class_renamed_and_xpath() -> None:
    # constructed: a minimal HTML listing, then the same with its CSS class renamed
    page = '<html><body><div class="news-item"><a href="/a">A</a></div></body></html>'
    entries = ("css:div.news-item a", "xpath://div[@class='news-item']")
    assert probe(page, entries) == dict.fromkeys(entries, True)
    drifted = page.replace("news-item", "story-card")
    assert probe(drifted, entries) == dict.fromkeys(entries, False)


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown expected_structure entry"):
        probe("{}", ("jsonpath:$.a",))


def _real_start_cases(spider: object) -> list[tuple[str, Path]]:
    cases = []
    for case_json in sorted((FIXTURES / spider.name).glob("*/case.json")):
        case = json.loads(case_json.read_text())
        # a listing spider's start pages are its listings (a replay also starts from its
        # recorded articles, which the structure does not describe)
        is_start = getattr(spider, "is_listing_start", spider.is_start_url)
        if case.get("constructed") is False and is_start(case["url"]):
            (response,) = case_json.parent.glob("response.*")
            cases.append((case_json.parent.name, response))
    return cases


def test_declared_structure_is_matched_by_real_fixtures() -> None:
    from crawlers.registry import spider_loader

    loader = spider_loader(scrapy_settings())
    declared = 0
    for name in loader.list():
        spider = loader.load(name)()
        if not spider.expected_structure:
            continue
        declared += 1
        cases = _real_start_cases(spider)
        assert cases, f"{name} declares expected_structure but has no real start-URL fixture"
        for case, response in cases:
            found = probe(response.read_bytes(), spider.expected_structure)
            missing = [entry for entry, ok in found.items() if not ok]
            assert not missing, f"{name}/{case}: {missing}"
    assert declared >= 4  # nws_alerts, openfema_ipaws, ipaws_feed, iem_afos at least
