"""Per-page work beside the reactor thread (crawlers/offload.py, issue 19): the decoding of
large gzip bodies, and the warehouse load in its own thread, give what they gave on the
reactor thread, failures included."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import threading
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawlers.items import PageRecord, ReportBatch
from crawlers.middlewares import OffReactorHttpCompressionMiddleware
from crawlers.offload import MIN_BYTES, off_reactor
from crawlers.pipelines import WarehousePipeline
from tests.warehouse_rows import report
from warehouse.db import DataDir, work_connection

URL = "https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?%24skip=0"


def test_large_work_runs_in_a_thread_small_work_here_and_errors_come_back() -> None:
    here = threading.get_ident()

    def boom(_: int) -> None:
        raise ValueError("boom")

    async def run() -> tuple[int, int, str]:
        big = await off_reactor(MIN_BYTES, lambda: threading.get_ident())
        small = await off_reactor(MIN_BYTES - 1, lambda: threading.get_ident())
        with pytest.raises(ValueError, match="boom"):
            await off_reactor(MIN_BYTES, boom, 1)
        return big, small, "ok"

    big, small, _ = asyncio.run(run())
    assert big != here and small == here
    # Driven by hand, with no loop running (as under a plain Twisted reactor): runs here.
    coro = off_reactor(MIN_BYTES, threading.get_ident)
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == here


class _Recording(OffReactorHttpCompressionMiddleware):
    """Remembers on which thread Scrapy's decode ran."""

    threads: list[str] = []

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        _Recording.threads.append(threading.current_thread().name)
        return HttpCompressionMiddleware._decode(body, encoding, max_size)


def _middlewares(max_size: int = 64 * 1024 * 1024) -> tuple:
    crawler = get_crawler(Spider, {"DOWNLOAD_MAXSIZE": max_size})
    crawler.spider = crawler._create_spider("t")
    return HttpCompressionMiddleware.from_crawler(crawler), _Recording.from_crawler(crawler)


def _gzip_response(body: bytes) -> tuple[Request, Response]:
    request = Request(URL)
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return request, Response(URL, body=body, headers=headers, request=request)


def _outcome(mw: HttpCompressionMiddleware, body: bytes) -> tuple:
    request, response = _gzip_response(body)

    async def run() -> Response:
        result = mw.process_response(request, response)
        return await result if asyncio.iscoroutine(result) else result

    try:
        out = asyncio.run(run())
    except Exception as exc:  # the exception is the outcome to compare
        return ("raised", type(exc), str(exc))
    return (type(out), out.body, out.headers.getlist("Content-Encoding"))


def _page_json(n: int) -> bytes:
    rng = random.Random(n)
    records = [{"id": i, "originalMessage": rng.randbytes(300).hex()} for i in range(n)]
    return json.dumps({"IpawsArchivedAlerts": records}).encode()


def test_a_large_gzip_body_is_decoded_in_a_thread_into_what_scrapy_gives() -> None:
    scrapy_mw, ours = _middlewares()
    body = gzip.compress(_page_json(200))
    assert len(body) >= MIN_BYTES
    _Recording.threads = []
    expected = _outcome(scrapy_mw, body)
    assert _outcome(ours, body) == expected
    assert expected[1] == _page_json(200) and expected[0].__name__ == "JsonResponse"
    assert _Recording.threads and _Recording.threads[0].startswith("outages-offload")
    # A small body is decoded on the reactor thread, into the same.
    _Recording.threads = []
    small = gzip.compress(b'{"IpawsArchivedAlerts": []}')
    assert _outcome(ours, small) == _outcome(scrapy_mw, small)
    assert _Recording.threads == [threading.current_thread().name]


def test_hostile_gzip_bodies_fail_as_they_fail_in_scrapy() -> None:
    scrapy_mw, ours = _middlewares(max_size=100_000)
    rng = random.Random(7)
    bomb = gzip.compress(rng.randbytes(200_000))  # over DOWNLOAD_MAXSIZE once inflated
    truncated = gzip.compress(_page_json(100))[:-5000]  # the part before the cut is kept
    garbage = b"\x1f\x8b\x08" + rng.randbytes(MIN_BYTES)
    for body in (bomb, truncated, garbage):
        assert len(body) >= MIN_BYTES
        _Recording.threads = []
        assert _outcome(ours, body) == _outcome(scrapy_mw, body)
        assert _Recording.threads[0].startswith("outages-offload")
    assert _outcome(ours, bomb)[:2] == ("raised", IgnoreRequest)
    assert _outcome(ours, truncated)[1] == _page_json(100)[: len(_outcome(ours, truncated)[1])]
    assert _outcome(ours, garbage)[0] == "raised"


# ---- the warehouse load in a thread (WarehousePipeline.flush) ------------------------------
def _pipeline(data_dir: Path, batch_size: int) -> WarehousePipeline:
    from crawlers.spiders.openfema_ipaws import OpenfemaIpawsSpider

    settings = {
        "OUTAGES_DATA_DIR": str(data_dir),
        "OUTAGES_BATCH_SIZE": batch_size,
        "OUTAGES_PUBLISH_ON_CLOSE": False,
    }
    crawler = get_crawler(OpenfemaIpawsSpider, settings)
    crawler.spider = crawler._create_spider()
    pipeline = WarehousePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def _page(n: int, **fields) -> ReportBatch:
    url = f"https://www.fema.gov/api/open/v1/IpawsArchivedAlerts?%24skip={n}"
    reports = [report(f"r{n}-{i}", **fields) for i in range(3)]
    return ReportBatch(url=url, reports=reports, page=PageRecord(url, f"d{n}", 3, None))


def _work(data_dir: Path, sql: str) -> list[tuple]:
    # The process's own connection (DuckDB refuses a second one with other settings).
    return work_connection(DataDir.resolve(str(data_dir))).execute(sql).fetchall()


def test_loads_in_a_thread_store_every_report_and_page_of_the_run(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, batch_size=4)
    for n in range(7):
        pipeline.process_item(_page(n))
        # at most one load in flight, and the crawl never waits for it to start the next page
        assert pipeline._loading is None or pipeline._loading[0] is not None
    assert pipeline._loader is not None  # batches filled mid-crawl were loaded in the thread
    pipeline.close_spider()
    assert _work(tmp_path, "SELECT count(*) FROM crawled_reports") == [(21,)]
    assert _work(tmp_path, "SELECT count(*) FROM _crawled_pages") == [(7,)]
    assert _work(tmp_path, "SELECT status, items, errors FROM crawl_runs") == [("ok", 21, 0)]
    assert pipeline._loader is None and pipeline._load_con is None


def test_a_load_that_fails_in_the_thread_is_recorded_against_the_page_that_started_it(
    tmp_path: Path,
) -> None:
    pipeline = _pipeline(tmp_path, batch_size=4)
    pipeline.process_item(_page(0))
    bad = _page(1, cause="gremlins")  # outside the taxonomy: crawled_reports' CHECK refuses it
    pipeline.process_item(bad)  # 6 pending: this page's batch starts a load, in the thread
    assert pipeline._loading is not None and pipeline._loading[1].trigger is bad
    pipeline.process_item(_page(2))  # 3 pending: no load
    pipeline.process_item(_page(3))  # 6 pending: waits for the load in flight, which failed
    # What it did not store was pending again, and went with this page's load.
    assert pipeline._loading is not None and pipeline._loading[1].trigger.url == _page(3).url
    assert sum(t.num_rows for t in pipeline._loading[1].tables) == 12
    pipeline.close_spider()
    errors = _work(tmp_path, "SELECT url, stage, error_type FROM crawl_errors ORDER BY url")
    # Each failed load, as when it ran in the process_item of the page whose batch filled it
    # (Scrapy's item_error for that page), and then the run's last load, tried once more.
    assert errors == [
        ("-", "load", "ConstraintException"),
        (bad.url, "pipeline", "ConstraintException"),
        (_page(3).url, "pipeline", "ConstraintException"),
    ]
    assert _work(tmp_path, "SELECT status, close_reason FROM crawl_runs") == [
        ("failed", "load_failed")
    ]
    # Nothing was stored, and no page is remembered as loaded.
    assert _work(tmp_path, "SELECT count(*) FROM crawled_reports") == [(0,)]
    assert _work(tmp_path, "SELECT count(*) FROM _crawled_pages") == [(0,)]
