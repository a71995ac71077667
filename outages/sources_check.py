"""`outages sources check`: one polite live request per start URL, through the real Scrapy
engine and the real parser, and a verdict per source on what drifted.

Robots.txt is obeyed (ROBOTSTXT_OBEY) with the project's User-Agent; a start URL it forbids is
reported as "disallowed by robots.txt", never as an empty success. Nothing is written to the
warehouse: the warehouse pipeline is left out and the data dir is a throwaway one, and no
follow-up pages are fetched (one request per start URL).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.http import Request

from outages.crawl import scrapy_settings


def _origin(request: Request) -> str:
    hops = request.meta.get("redirect_urls") or []
    return hops[0] if hops else request.url


def check_sources(names: list[str], extra_settings: dict[str, Any] | None = None) -> list[dict]:
    """Run each spider's live start requests once; return one result (a dict) per source."""
    from scrapy.crawler import CrawlerProcess

    from crawlers import signals as outage_signals
    from crawlers.structure import probe

    settings = scrapy_settings()
    with tempfile.TemporaryDirectory(prefix="outages-sources-check-") as tmp:
        if extra_settings:
            settings.setdict(dict(extra_settings), priority="cmdline")
            if extra_settings.get("OUTAGES_URL_REWRITE"):
                from crawlers import rewrite

                settings.setdict(
                    rewrite.enable(
                        {"DOWNLOADER_MIDDLEWARES": settings.getdict("DOWNLOADER_MIDDLEWARES")},
                        extra_settings["OUTAGES_URL_REWRITE"],
                    ),
                    priority="cmdline",
                )
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        pipelines.pop("crawlers.pipelines.WarehousePipeline", None)  # no warehouse writes
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
        settings.set("OUTAGES_DATA_DIR", tmp, priority="cmdline")
        settings.set("OUTAGES_WARC_PATH", None, priority="cmdline")
        settings.set("OUTAGES_PUBLISH_ON_CLOSE", False, priority="cmdline")
        settings.set("HTTPCACHE_ENABLED", False, priority="cmdline")
        settings.set("RETRY_ENABLED", False, priority="cmdline")  # one request, no retries
        settings.set("LOG_LEVEL", "ERROR", priority="cmdline")
        process = CrawlerProcess(settings)
        results: list[dict] = []
        handlers: list[Any] = []  # Scrapy's signals hold receivers weakly: keep them alive
        for name in names:
            crawler = process.create_crawler(name)
            result: dict[str, Any] = {
                "spider": name,
                "start_urls": [],
                "responses": [],
                "items": 0,
                "links": 0,
                "outages": 0,
                "errors": [],
                "robots": "allowed",
                "disallowed": [],
            }
            results.append(result)
            start_urls: set[str] = set()
            result["_start"] = start_urls

            def on_opened(spider: Any, result: dict = result, start_urls: set = start_urls) -> None:
                result["expected_structure"] = list(spider.expected_structure)
                result["empty_ok_because"] = spider.empty_ok_because

            def on_closed(spider: Any, result: dict = result, **_: Any) -> None:
                result["links"] = getattr(spider, "links_not_followed", 0)

            def on_scheduled(request: Request, spider: Any, start_urls: set = start_urls) -> None:
                # With no_follow, every scheduled request that is not a redirect hop is a
                # start request (robots.txt is downloaded past the scheduler). Taken from the
                # engine, not by calling live_requests() again: some spiders' start requests
                # have side effects (ipaws_feed remembers its last poll).
                if not request.meta.get("redirect_urls"):
                    start_urls.add(request.url)

            def on_response(
                response: Any, request: Request, spider: Any, result: dict = result
            ) -> None:
                origin = _origin(request)
                if origin not in result["_start"] or response.status in (301, 302, 303, 307, 308):
                    return
                entry = {
                    "url": origin,
                    "final_url": response.url,
                    "status": response.status,
                    "redirected": origin != response.url,
                }
                if result.get("expected_structure"):
                    entry["structure"] = probe(response.body, result["expected_structure"])
                result["responses"].append(entry)

            def on_item(item: Any, spider: Any, result: dict = result, **_: Any) -> None:
                from crawlers.items import ReportBatch

                if isinstance(item, ReportBatch):  # one page's reports as one item
                    result["items"] += len(item)
                    result["outages"] += item.outages()
                else:
                    result["items"] += 1
                    result["outages"] += bool(item.get("is_outage"))

            def on_error(result: dict = result, **kw: Any) -> None:
                if kw.get("error_type") == "RobotsTxtForbidden":
                    result["robots"] = "disallowed by robots.txt"
                    result["disallowed"].append(kw.get("url"))
                error = f"{kw.get('error_type')}: {kw.get('message')} ({kw.get('url')})"
                result["errors"].append(error)

            handlers += [on_opened, on_closed, on_scheduled, on_response, on_item, on_error]
            crawler.signals.connect(on_scheduled, signal=scrapy_signals.request_scheduled)
            crawler.signals.connect(on_opened, signal=scrapy_signals.spider_opened)
            crawler.signals.connect(on_closed, signal=scrapy_signals.spider_closed)
            crawler.signals.connect(on_response, signal=scrapy_signals.response_received)
            crawler.signals.connect(on_item, signal=scrapy_signals.item_scraped)
            crawler.signals.connect(on_error, signal=outage_signals.error_recorded)
            process.crawl(crawler, no_follow=True)
        process.start()
    checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    for result in results:
        result["start_urls"] = sorted(result.pop("_start"))
        result["checked_at"] = checked_at
        result["problems"] = problems(result)
        result["drifted"] = bool(result["problems"])
    return results


def problems(result: dict) -> list[str]:
    """What drifted, in words (empty: the source answered as its parser expects)."""
    found: list[str] = []
    if result["robots"] != "allowed":
        found.append("disallowed by robots.txt")
    answered = {r["url"] for r in result["responses"]}
    for url in result["start_urls"]:
        if url not in answered and url not in result["disallowed"]:
            found.append(f"unreachable: {url}")
    for response in result["responses"]:
        if not 200 <= response["status"] < 300:
            found.append(f"HTTP {response['status']}: {response['url']}")
        if response["redirected"]:
            found.append(f"redirected to {response['final_url']}")
        missing = [k for k, ok in (response.get("structure") or {}).items() if not ok]
        if missing:
            found.append("structure missing: " + ", ".join(missing))
    if result["errors"]:
        found.append(f"{len(result['errors'])} parse/download error(s)")
    # a listing's start page yields links to its articles (not followed here), not items
    if result["items"] == 0 and not result.get("links") and not result.get("empty_ok_because"):
        found.append("zero items and zero links (the spider declares no empty_ok_because)")
    return found


def render(results: list[dict]) -> None:
    """A table per source (rich; text from the network is escaped, never markup)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(soft_wrap=True)
    for r in results:
        table = Table(title=escape(f"{r['spider']}: {'DRIFTED' if r['drifted'] else 'ok'}"))
        table.add_column("check")
        table.add_column("result")
        counts = Counter(x["status"] for x in r["responses"])
        statuses = ", ".join(f"{s} x{n}" if n > 1 else str(s) for s, n in counts.items()) or "-"
        structure: dict[str, bool] = {}
        for x in r["responses"]:
            for k, ok in (x.get("structure") or {}).items():
                structure[k] = structure.get(k, True) and ok
        rows = [
            ("reachable", "yes" if r["responses"] else "no"),
            ("HTTP status", statuses),
            ("robots.txt", r["robots"]),
            ("items parsed", str(r["items"])),
            ("links found (not followed)", str(r.get("links", 0))),
            ("outage items", str(r["outages"])),
            (
                "structure",
                "; ".join(f"{'found' if ok else 'MISSING'} {k}" for k, ok in structure.items())
                if r.get("expected_structure")
                else "not declared (warning)",
            ),
            ("errors", "\n".join(r["errors"]) or "none"),
            ("problems", "\n".join(r["problems"]) or "none"),
        ]
        for check, value in rows:
            table.add_row(escape(check), escape(value))
        console.print(table)
