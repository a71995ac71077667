"""Golden-file harness: run a spider's parse on a saved response, through the item pipelines.

Each case is a folder `tests/fixtures/spiders/<spider>/<case>/` holding:
- `response.*`: the response body, as recorded (or constructed: see `case.json`);
- `case.json`: `url`, `fetched_at`, `constructed` (bool), `note` (provenance);
- `expected.json`: the items (selected fields), follow-up requests and recorded errors.

Regenerate the expectations after a deliberate change, then review the diff:
    uv run python -m tests.golden --regen [SPIDER ...]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.http import Request
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from crawlers import signals
from crawlers.pipelines import ClassifyPipeline, NormalizePipeline, ValidatePipeline

FIXTURES = Path(__file__).parent / "fixtures" / "spiders"
COMPARED_FIELDS = (
    "report_id",
    "source",
    "title",
    "published_at",
    "started_at",
    "event_code",
    "is_outage",
    "status",
    "state_codes",
    "county_fips",
    "cause",
    "provider",
    "backup_phone",
    "is_constructed",
    "message_type",
    "alert_key",
    "references_keys",
    "evidence",
    "ended_at",
    "field_evidence",
    "stated_duration_minutes",
    "psaps_affected",
    "calls_affected",
)


def recorded_html(case: str, *, url: str | None = None, edit=None):
    """The HTML response of fixture case `case` ("spider/case_folder") as the spider would
    get it: at its case.json URL (or `url`), its body optionally passed through `edit`."""
    from scrapy.http import HtmlResponse

    folder = FIXTURES / case
    body = (folder / "response.html").read_text(encoding="utf-8")
    if edit:
        body = edit(body)
    url = url or json.loads((folder / "case.json").read_text())["url"]
    return HtmlResponse(url, body=body.encode(), encoding="utf-8")


def case_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*") if (p / "case.json").exists())


def spider_class(name: str) -> type:
    from crawlers import settings as project_settings
    from crawlers.registry import spider_loader

    loader = spider_loader(
        get_crawler(settings_dict={"SPIDER_MODULES": project_settings.SPIDER_MODULES}).settings
    )
    return loader.load(name)


def run_case(case_dir: Path) -> dict[str, Any]:
    """Parse the case's response; return items, requests and errors as plain JSON data."""
    case = json.loads((case_dir / "case.json").read_text())
    body_path = next(case_dir.glob("response.*"))
    spidercls = spider_class(case_dir.parent.name)
    crawler = get_crawler(spidercls)
    crawler.spider = crawler._create_spider(**case.get("spider_args", {}))
    errors: list[dict[str, Any]] = []

    def on_error(**kwargs: Any) -> None:
        errors.append({k: kwargs[k] for k in ("url", "stage", "error_type", "message")})

    crawler.signals.connect(on_error, signal=signals.error_recorded, weak=False)
    request = Request(
        case["url"],
        meta={
            "fetched_at": datetime.fromisoformat(case["fetched_at"]),
            "constructed": case.get("constructed", False),
            "archive_ref": "fixture",
        },
    )
    body = body_path.read_bytes()
    headers = {"Content-Type": case["content_type"]} if case.get("content_type") else {}
    response_class = responsetypes.from_args(headers=headers, url=case["url"], body=body)
    response = response_class(
        case["url"], body=body, request=request, headers=headers, status=case.get("status", 200)
    )
    pipelines = [cls(crawler) for cls in (NormalizePipeline, ClassifyPipeline, ValidatePipeline)]
    items, requests = [], []
    try:
        for output in crawler.spider.parse(response):
            if isinstance(output, Request):
                requests.append(output.url)
                continue
            for pipeline in pipelines:
                output = pipeline.process_item(output)
            items.append({k: jsonable(output.get(k)) for k in COMPARED_FIELDS})
    except Exception as exc:  # a whole-page failure is part of the expectation
        errors.append(
            {
                "url": response.url,
                "stage": "parse",
                "error_type": type(exc).__name__,
                "message": str(exc),
            }
        )
    return {"items": items, "requests": requests, "errors": errors}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def regenerate(spiders: list[str] | None = None) -> None:
    for case_dir in case_dirs():
        if spiders and case_dir.parent.name not in spiders:
            continue
        result = run_case(case_dir)
        (case_dir / "expected.json").write_text(json.dumps(result, indent=1) + "\n")
        print(
            f"{case_dir.relative_to(FIXTURES)}: {len(result['items'])} items, "
            f"{len(result['requests'])} requests, {len(result['errors'])} errors"
        )


if __name__ == "__main__":
    if "--regen" in sys.argv:
        regenerate([a for a in sys.argv[1:] if not a.startswith("-")] or None)
    else:
        print(__doc__)
