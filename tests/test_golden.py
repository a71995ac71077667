"""Golden files: every fixture folder's response parses to exactly its expected items."""

import json

import pytest

from tests.golden import case_dirs, run_case

CASES = case_dirs()


def test_there_are_golden_cases_for_every_spider() -> None:
    from crawlers.registry import spider_classes

    spiders = {case.parent.name for case in CASES}
    assert {spider.name for spider in spider_classes()} <= spiders


@pytest.mark.parametrize("case_dir", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden(case_dir) -> None:
    expected = json.loads((case_dir / "expected.json").read_text())
    actual = run_case(case_dir)
    assert actual["requests"] == expected["requests"]
    assert actual["errors"] == expected["errors"]
    assert len(actual["items"]) == len(expected["items"])
    for got, want in zip(actual["items"], expected["items"], strict=True):
        assert got == want, f"item {want['report_id']} differs"
