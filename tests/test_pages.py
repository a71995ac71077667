"""A page's reports as one batch, and pages already loaded not parsed again (crawlers/pages.py).

End to end through the real `outages` command and Scrapy engine on the demo snapshot, plus
the pipelines' handling of one bad report inside a batch.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers import workers
from crawlers.archive import ArchiveRecord, write_records
from crawlers.items import REPORT_COLUMNS, OutageReport, ReportBatch
from crawlers.pipelines import (
    ClassifyPipeline,
    CrawlerPipeline,
    NormalizePipeline,
    ValidatePipeline,
)
from crawlers.spiders.openfema_ipaws import OpenfemaIpawsSpider
from tests.conftest import SNAPSHOT, outages, query

FIXTURES = Path(__file__).parent / "fixtures"


PAGE_2 = FIXTURES / "spiders" / "openfema_ipaws" / "real_2026-07-29_page2" / "response.json"


def archive_of_a_page_with_a_broken_record(tmp_path: Path) -> tuple[dict, Path]:
    """The recorded page 2 of 2026-07-29 with its record 3 made unreadable, archived as the
    first page of a day (so replay starts from it); the page's JSON and the archive."""
    page = json.loads(PAGE_2.read_text())
    page["IpawsArchivedAlerts"][3]["originalMessage"] = "<alert><identifier>broken"
    url = page["metadata"]["url"].replace("%24skip=25", "%24skip=0")
    archive = tmp_path / "page.warc.gz"
    write_records(
        archive,
        [ArchiveRecord(url=url, body=json.dumps(page).encode(), fetched_at=datetime.now(UTC))],
    )
    return page, archive


def work_query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "work" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def last_runs(data_dir: Path) -> dict[str, tuple]:
    rows = query(
        data_dir,
        "SELECT spider, items, pages, unchanged_pages, unchanged_reports, status "
        "FROM crawl_runs QUALIFY row_number() OVER (PARTITION BY spider "
        "ORDER BY started_at DESC) = 1",
    )
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def twice(demo_dir: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "twice"
    shutil.copytree(demo_dir, data_dir)
    return data_dir


def test_second_replay_parses_nothing_and_changes_nothing(twice: Path) -> None:
    first = last_runs(twice)
    reports_before = query(twice, "SELECT report_id, loaded_at, status FROM reports ORDER BY 1")
    builds_before = work_query(twice, "SELECT count(*) FROM _builds")[0][0]
    result = outages("crawl", "openfema_ipaws", "--replay", str(SNAPSHOT), data_dir=twice)
    second = last_runs(twice)["openfema_ipaws"]
    items, pages, unchanged_pages, unchanged_reports, status = second
    assert first["openfema_ipaws"][0] > 0
    assert (items, status) == (0, "ok")  # nothing parsed, and that is not an empty scrape
    # Every page was still fetched (so paging went on) and every one was found unchanged.
    assert pages == first["openfema_ipaws"][1] == unchanged_pages
    assert unchanged_reports == first["openfema_ipaws"][0]
    assert f"{unchanged_pages} unchanged" in result.stderr
    # Nothing was reloaded (loaded_at is untouched), and the build was skipped.
    assert query(twice, "SELECT report_id, loaded_at, status FROM reports ORDER BY 1") == (
        reports_before
    )
    assert work_query(twice, "SELECT count(*) FROM _builds")[0][0] == builds_before


def test_reparse_parses_every_page_again(twice: Path) -> None:
    first = last_runs(twice)["openfema_ipaws"]
    outages("crawl", "openfema_ipaws", "--reparse", "--replay", str(SNAPSHOT), data_dir=twice)
    items, pages, unchanged_pages, _, status = last_runs(twice)["openfema_ipaws"]
    assert (items, pages, unchanged_pages, status) == (first[0], first[1], 0, "ok")


def test_new_code_parses_pages_again(twice: Path) -> None:
    # Pages remembered by another version of the parser do not count as loaded.
    with duckdb.connect(str(twice / "work" / "warehouse.duckdb")) as con:
        con.execute("UPDATE _crawled_pages SET code_version = 'older-code'")
    outages("crawl", "openfema_ipaws", "--replay", str(SNAPSHOT), data_dir=twice)
    items, _, unchanged_pages, _, _ = last_runs(twice)["openfema_ipaws"]
    assert items > 0 and unchanged_pages == 0


def test_internal_tables_stay_out_of_the_published_file(demo_dir: Path) -> None:
    assert work_query(demo_dir, "SELECT count(*) FROM _crawled_pages")[0][0] > 0
    published = {r[0] for r in query(demo_dir, "SELECT table_name FROM duckdb_tables()")}
    assert not published & {"_migrations", "_crawled_pages", "_builds"}
    assert "reports" in published


def test_a_page_with_an_error_is_parsed_again(tmp_path: Path) -> None:
    page, archive = archive_of_a_page_with_a_broken_record(tmp_path)
    data_dir = tmp_path / "data"
    for _ in range(2):
        outages("crawl", "openfema_ipaws", "--replay", str(archive), data_dir=data_dir)
    runs = query(data_dir, "SELECT items, unchanged_pages, status FROM crawl_runs ORDER BY 1")
    good_records = len(page["IpawsArchivedAlerts"]) - 1
    assert runs == [(good_records, 0, "partial")] * 2
    assert query(data_dir, "SELECT max(times_seen) FROM crawl_errors")[0][0] == 2
    assert work_query(data_dir, "SELECT count(*) FROM _crawled_pages")[0][0] == 0


def report(report_id: str, status: str = "not_outage") -> OutageReport:
    return OutageReport(
        report_id=report_id,
        source="openfema_ipaws",
        source_url="https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?page",
        status=status,
        is_outage=False,
        published_at=datetime(2024, 4, 17, tzinfo=UTC),
    )


def test_one_bad_report_leaves_the_batch_and_is_recorded() -> None:
    crawler = get_crawler(OpenfemaIpawsSpider)
    crawler.spider = crawler._create_spider()
    dropped: list[tuple[str, str]] = []

    def on_dropped(item, response, exception, spider) -> None:
        dropped.append((item["report_id"], str(exception)))

    from scrapy import signals

    crawler.signals.connect(on_dropped, signal=signals.item_dropped)
    batch = ReportBatch(
        url="https://example.invalid/page",
        reports=[report("r-1"), report("r-2", status="nonsense"), report("r-3")],
    )
    out = ValidatePipeline(crawler).process_item(batch)
    assert [r["report_id"] for r in out.reports] == ["r-1", "r-3"]
    assert out.errors == 1
    assert dropped == [("r-2", "unknown status 'nonsense'")]
    # A single report (not in a batch) still raises DropItem, as Scrapy expects.
    with pytest.raises(DropItem):
        ValidatePipeline(crawler).process_item(report("r-4", status="nonsense"))


def test_the_batch_middleware_is_next_to_the_spider() -> None:
    from scrapy.settings import default_settings

    from crawlers import settings

    ours = settings.SPIDER_MIDDLEWARES["crawlers.pages.PageBatchMiddleware"]
    assert ours > max(default_settings.SPIDER_MIDDLEWARES_BASE.values())


# Every stored column but the run and load stamps.
COMPARED_COLUMNS = ", ".join(c for c in REPORT_COLUMNS if c != "crawl_run_id")


def crawl_with_and_without_workers(archive: Path, tmp_path: Path) -> dict[str, tuple[str, Path]]:
    """The archive crawled with no parse workers ("0") and with two ("2"): the log, the
    data dir."""
    runs = {}
    for processes in ("0", "2"):
        data_dir = tmp_path / f"workers-{processes}"
        result = outages(
            "crawl",
            "openfema_ipaws",
            "--verbose",
            "--replay",
            str(archive),
            data_dir=data_dir,
            env={"OUTAGES_PARSE_WORKERS": processes, "OUTAGES_PARSE_WORKERS_MIN_BYTES": "1"},
        )
        assert ("in 2 worker processes" in result.stderr) == (processes == "2")
        runs[processes] = result.stderr, data_dir
    return runs


def test_pages_parsed_in_worker_processes_give_the_same_reports(tmp_path: Path) -> None:
    page, archive = archive_of_a_page_with_a_broken_record(tmp_path)
    columns = COMPARED_COLUMNS
    results = {}
    for processes, (_, data_dir) in crawl_with_and_without_workers(archive, tmp_path).items():
        results[processes] = (
            query(data_dir, f"SELECT {columns} FROM reports ORDER BY report_id"),
            query(data_dir, "SELECT url, stage, message FROM crawl_errors"),
            query(data_dir, "SELECT items, errors, status FROM crawl_runs"),
        )
    assert results["0"] == results["2"]
    reports, errors, runs = results["2"]
    assert len(reports) == len(page["IpawsArchivedAlerts"]) - 1
    # The worker's record_error reached the warehouse with the page's URL.
    assert [stage for _, stage, message in errors if "record 3" in message] == ["parse"]
    assert runs == [(len(reports), 1, "partial")]


def test_gzip_pages_are_inflated_in_the_workers_into_the_same_reports_bytes_and_memory(
    tmp_path: Path,
) -> None:
    """A gzip page for a parse worker goes there encoded; the warehouse ends the same as when
    the crawl process inflates it, and a second crawl finds it unchanged in the worker."""
    import gzip

    page, _ = archive_of_a_page_with_a_broken_record(tmp_path)
    url = page["metadata"]["url"].replace("%24skip=25", "%24skip=0")
    body = json.dumps(page).encode()
    archive = tmp_path / "gzip.warc.gz"
    write_records(
        archive,
        [
            ArchiveRecord(
                url=url,
                body=gzip.compress(body),
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                fetched_at=datetime.now(UTC),
            )
        ],
    )
    results = {}
    for processes, (log, data_dir) in crawl_with_and_without_workers(archive, tmp_path).items():
        # Scrapy's stats at the end: which process inflated the page.
        assert ("'outages/decoded_in_workers': 1" in log) == (processes == "2")
        results[processes] = (
            query(data_dir, f"SELECT {COMPARED_COLUMNS} FROM reports ORDER BY report_id"),
            query(data_dir, "SELECT url, stage, message FROM crawl_errors"),
            query(data_dir, "SELECT items, errors, status, pages, bytes FROM crawl_runs"),
            work_query(data_dir, "SELECT url, content_digest, reports FROM _crawled_pages"),
        )
    assert results["0"] == results["2"]
    reports, _, runs, pages = results["2"]
    assert len(reports) == len(page["IpawsArchivedAlerts"]) - 1
    assert runs[0][-1] == len(body)  # the crawl's bytes are the decoded body's
    assert pages == []  # a page with an error is not remembered: fix the record, then again
    # Without the broken record the page is remembered, and found unchanged by the worker.
    page["IpawsArchivedAlerts"].pop(3)
    archive = tmp_path / "gzip-fixed.warc.gz"
    write_records(
        archive,
        [
            ArchiveRecord(
                url=url,
                body=gzip.compress(json.dumps(page).encode()),
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                fetched_at=datetime.now(UTC),
            )
        ],
    )
    data_dir = tmp_path / "again"
    env = {"OUTAGES_PARSE_WORKERS_MIN_BYTES": "1"}
    for _ in range(2):
        outages("crawl", "openfema_ipaws", "--replay", str(archive), data_dir=data_dir, env=env)
    assert last_runs(data_dir)["openfema_ipaws"][:4] == (0, 1, 1, len(reports))
    assert len(work_query(data_dir, "SELECT url FROM _crawled_pages")) == 1


# ---- the pipelines in a worker process (crawlers/workers.py) -------------------------------
class FlakyStep(CrawlerPipeline):
    """A worker-safe step that drops the second report it sees and breaks on the fourth."""

    runs_in_workers = True
    seen = 0

    def process_report(self, item: OutageReport) -> OutageReport:
        FlakyStep.seen += 1
        if FlakyStep.seen == 2:
            raise DropItem("flaky: dropped")
        if FlakyStep.seen == 4:
            raise ValueError("flaky: broke")
        return item


class MainOnlyStep(CrawlerPipeline):
    """A step that must run in the crawl process."""


PIPELINE_PATHS = {
    "normalize": "crawlers.pipelines.NormalizePipeline",
    "classify": "crawlers.pipelines.ClassifyPipeline",
    "validate": "crawlers.pipelines.ValidatePipeline",
    "warehouse": "crawlers.pipelines.WarehousePipeline",
    "flaky": f"{__name__}.FlakyStep",
    "main_only": f"{__name__}.MainOnlyStep",
}


def parse_in_worker_here(steps: list[str], body: bytes, url: str) -> workers.ParsedPage:
    """What a worker gives for a page, with the worker's functions run in this process."""
    from scrapy.http import TextResponse
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("ITEM_PIPELINES", {PIPELINE_PATHS[s]: 100 * (i + 1) for i, s in enumerate(steps)})
    FlakyStep.seen = 0
    workers._start_worker("openfema_ipaws", {}, settings.copy_to_dict(), log=False)
    return workers._parse(url, 200, {}, body, dict(META), TextResponse)


META = {"archive_ref": "a-1", "fetched_at": datetime(2026, 7, 30, 12, 0, tzinfo=UTC)}


def fixture_page() -> tuple[bytes, str]:
    return PAGE_2.read_bytes(), json.loads(PAGE_2.read_text())["metadata"]["url"]


def test_a_worker_runs_the_pipelines_before_the_warehouse_and_sends_rows() -> None:
    from scrapy.http import Request, TextResponse

    from warehouse.load import reports_table

    body, url = fixture_page()
    steps = ["normalize", "classify", "flaky", "validate", "warehouse"]
    page = parse_in_worker_here(steps, body, url)
    assert page.failure is None and page.reports == []
    assert page.done_steps == tuple(PIPELINE_PATHS[s] for s in steps[:-1])
    # The same rows as the crawl process makes from the same page with the same steps.
    crawler = get_crawler(OpenfemaIpawsSpider)
    crawler.spider = spider = crawler._create_spider()
    response = TextResponse(url, body=body, request=Request(url, meta=dict(META)))
    batch = ReportBatch(url=url, reports=[r for r in spider.parse(response) if "report_id" in r])
    parsed = len(batch.reports)
    FlakyStep.seen = 0
    for step in (NormalizePipeline, ClassifyPipeline, FlakyStep, ValidatePipeline):
        batch = step(crawler).process_item(batch)
    expected = reports_table([{c: r.get(c) for c in REPORT_COLUMNS} for r in batch.reports])
    assert page.table.num_rows == parsed - 2 == len(batch.reports)
    differing = [c for c in REPORT_COLUMNS if not page.table[c].equals(expected[c])]
    assert differing == []
    # The dropped report and the broken step come back as the warehouse records them, and
    # they keep the page out of the page memory.
    assert page.batch_errors == batch.errors == 2
    recorded = {(e["stage"], e["error_type"], e["message"]) for e in page.errors}
    assert ("validate", "DropItem", "flaky: dropped") in recorded
    assert ("pipeline", "ValueError", "flaky: broke") in recorded
    assert all(e["url"].startswith("https://") for e in page.errors)


def test_a_worker_stops_at_the_first_step_that_must_run_in_the_crawl_process() -> None:
    body, url = fixture_page()
    page = parse_in_worker_here(["normalize", "main_only", "classify", "warehouse"], body, url)
    assert page.done_steps == (PIPELINE_PATHS["normalize"],)
    assert page.table is None and page.reports
    # Normalized (UTC times, sorted place lists), not yet classified.
    assert all(
        r.get("status") is None and r["published_at"].utcoffset().seconds == 0 for r in page.reports
    )
    assert workers.worker_steps(
        __import__("scrapy.settings").settings.Settings(
            {"ITEM_PIPELINES": {PIPELINE_PATHS["validate"]: 1}}
        )
    ) == ([PIPELINE_PATHS["validate"]], False)


def test_page_memory_forgets_other_code_and_old_bodies_but_keeps_a_urls_latest(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from crawlers.pages import PageMemory
    from warehouse.db import DataDir, connect_work

    con = connect_work(DataDir(tmp_path / "data"))
    now = datetime.now(UTC)
    rows = [
        # spider, url, digest, code version, age in days
        ("feed", "u1", "old", "v2", 200),  # an old body of u1: forgotten
        ("feed", "u1", "mid", "v2", 100),  # old too, and not u1's latest: forgotten
        ("feed", "u1", "new", "v2", 1),  # u1's latest: kept
        ("feed", "u2", "only", "v2", 400),  # old, but u2's latest: kept
        ("feed", "u3", "x", "v1", 1),  # read by other code: forgotten
        ("other", "u1", "old", "v1", 400),  # another spider's: untouched
    ]
    for spider, url, digest, version, age in rows:
        con.execute(
            "INSERT INTO _crawled_pages VALUES (?, ?, ?, ?, 1, NULL, 'run', ?)",
            [spider, url, digest, version, now - timedelta(days=age)],
        )
    memory = PageMemory.load(con, "feed", "v2", keep_days=90)
    assert sorted(memory.known) == [("u1", "new"), ("u2", "only")]
    left = con.execute("SELECT spider, url, content_digest FROM _crawled_pages ORDER BY ALL")
    assert left.fetchall() == [
        ("feed", "u1", "new"),
        ("feed", "u2", "only"),
        ("other", "u1", "old"),
    ]
    con.close()


def test_the_progress_display_counts_the_reports_of_a_batch() -> None:
    from crawlers.progress import ProgressExtension
    from warehouse.load import reports_table

    crawler = get_crawler(OpenfemaIpawsSpider, {"OUTAGES_PROGRESS": True})
    progress = ProgressExtension.from_crawler(crawler)
    outage = report("r-2", status="outage")
    outage["is_outage"] = True
    rows = reports_table([{"report_id": "r-9", "is_outage": True}, {"report_id": "r-8"}])
    batch = ReportBatch(url="https://example.invalid/p", reports=[report("r-1"), outage])
    progress.item(batch)
    progress.item(ReportBatch(url="https://example.invalid/q", table=rows))
    progress.item(report("r-3"))  # a report on its own
    assert (progress.counts["items"], progress.counts["outages"]) == (5, 2)


class WorkerKillingSpider(OpenfemaIpawsSpider):
    """Kills the worker process that parses a page whose URL says so (as a crash in a C
    extension or the kernel's OOM killer would); parses other pages as its parent does."""

    name = "kills_its_worker"

    def parse(self, response, **kwargs):
        if "kill-the-worker" in response.url:
            os._exit(1)
        yield from super().parse(response, **kwargs)


def test_dead_workers_are_replaced_and_a_page_that_kills_them_fails_alone() -> None:
    import asyncio
    import signal

    from scrapy.http import Request, TextResponse

    from crawlers.workers import ParseWorkers, WorkerParseError

    crawler = get_crawler(
        WorkerKillingSpider,
        {
            "SPIDER_MODULES": [__name__],
            "OUTAGES_PARSE_WORKERS": 1,
            "OUTAGES_PARSE_WORKERS_MIN_BYTES": 1,
        },
    )
    crawler.spider = spider = crawler._create_spider()
    workers = ParseWorkers.from_crawler(crawler)
    body, url = fixture_page()

    def page(url: str) -> TextResponse:
        request = Request(url, meta=dict(META), callback=spider.parse)
        return TextResponse(url, body=body, request=request)

    async def report_ids(url: str) -> list[str]:
        outputs = await workers.parse(spider, page(url))
        return [o["report_id"] async for o in outputs if isinstance(o, OutageReport)]

    try:
        assert workers.wants(spider, page(url))
        parsed = asyncio.run(report_ids(url))
        assert len(parsed) > 10
        # A worker killed from outside: new workers parse the next page.
        for process in list(workers.pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        assert asyncio.run(report_ids(url)) == parsed
        # A page that kills every worker that reads it fails alone, after one retry...
        with pytest.raises(WorkerParseError, match="died on it twice"):
            asyncio.run(report_ids(url + "&kill-the-worker"))
        # ...and the crawl goes on.
        assert asyncio.run(report_ids(url)) == parsed
    finally:
        workers.close()
