"""Scrapy settings for 911 Outage Watch: polite by default, every response archived.

`outages crawl` adds per-run settings on top (data dir, replay or record archive, progress);
`scrapy crawl NAME` from the project root uses these as they are.
"""

import os
from datetime import UTC, datetime

from warehouse.settings import setting

BOT_NAME = "outage_watch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

CONTACT = setting("OUTAGES_CONTACT")
# Identify ourselves: api.weather.gov asks for a User-Agent with contact details.
USER_AGENT = f"911OutageWatch/0.1 (+{CONTACT})"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
DOWNLOAD_FAIL_ON_DATALOSS = True
# An endless chain of ever-changing pagination URLs stops here.
DEPTH_LIMIT = 1000
# The project-wide ceiling. Each spider sets its own, smaller limit (`page_maxsize` in
# crawlers/spiders/base.py: 8 MB unless a source's pages are bigger). One OpenFEMA page of
# 1,000 alerts is about 10 MB; anything far beyond that is hostile.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
# `scrapy crawl X -O out.jsonl` writes one report per line, not one page batch per line.
FEED_EXPORTERS = {
    "json": "crawlers.feedexport.JsonReportExporter",
    "jsonlines": "crawlers.feedexport.JsonLinesReportExporter",
    "jsonl": "crawlers.feedexport.JsonLinesReportExporter",
    "jl": "crawlers.feedexport.JsonLinesReportExporter",
    "csv": "crawlers.feedexport.CsvReportExporter",
    "xml": "crawlers.feedexport.XmlReportExporter",
}
LOG_LEVEL = setting("OUTAGES_LOG_LEVEL")

# Every response is written, as the server sent it, to a WARC archive (crawlers/archive.py).
# Replay takes the network's place and nothing else, so robots, redirects, retries and
# decompression run as in a live crawl. Each is off unless its setting below is set.
# Retries honour Retry-After on 429/503 and back off exponentially otherwise; re-crawls send
# If-None-Match / If-Modified-Since and skip unchanged pages (crawlers/middlewares.py).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # The same, inflating large bodies beside the reactor thread (crawlers/offload.py).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawlers.middlewares.OffReactorHttpCompressionMiddleware": 590,
    "crawlers.middlewares.RetryAfterMiddleware": 550,
    "crawlers.middlewares.ConditionalRequestMiddleware": 940,
    "crawlers.archive.WarcRecorderMiddleware": 950,
    "crawlers.archive.WarcReplayMiddleware": 960,
    "crawlers.rewrite.UrlRewriteMiddleware": 970,
}
# Tests only: send every request to a local server of recorded responses (crawlers/rewrite.py).
OUTAGES_URL_REWRITE = setting("OUTAGES_URL_REWRITE") or None
RETRY_AFTER_HTTP_CODES = [429, 503]
RETRY_AFTER_MAX = 600  # seconds; a server asking for longer is recorded as failing instead
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
# `scrapy crawl` archives here; `outages crawl` sets the same under --data-dir, or --record.
OUTAGES_WARC_PATH = os.path.join(
    setting("OUTAGES_DATA"),
    "archive",
    f"crawl-{datetime.now(UTC):%Y-%m}.warc.gz",
)
OUTAGES_REPLAY_PATH = None  # `outages crawl --replay` sets it through replay_settings()

# Next to the spider: a page's reports go on as one batch, and a page already loaded, byte for
# byte, by the same code is not parsed again (crawlers/pages.py).
SPIDER_MIDDLEWARES = {
    "crawlers.pages.PageBatchMiddleware": 1100,
}
OUTAGES_SKIP_UNCHANGED_PAGES = True  # `outages crawl --reparse` turns it off
# A URL's older bodies are forgotten after this many days (its latest is kept).
OUTAGES_PAGE_MEMORY_DAYS = setting("OUTAGES_PAGE_MEMORY_DAYS")
# Spiders with `parse_in_workers = True` parse pages of this size and up in worker processes
# (crawlers/workers.py): -1 means one per CPU, 0 none. 400 kB is about 50 CAP messages: a
# backfill's pages average 1.5 MB, and a page much smaller is cheaper to parse than to send.
OUTAGES_PARSE_WORKERS = setting("OUTAGES_PARSE_WORKERS")
OUTAGES_PARSE_WORKERS_MIN_BYTES = setting("OUTAGES_PARSE_WORKERS_MIN_BYTES")
# Room for a few such pages in the scraper at once (Scrapy's default, 5 MB, holds one).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 64_000_000
# What a page's callback yields is processed by this many asyncio tasks, made afresh for every
# response (scrapy.utils.asyncio._parallel_asyncio). A page yields one ReportBatch and its
# follow-up requests, and every pipeline is synchronous, so Scrapy's default of 100 only made
# 100 tasks per page: 7% of a backfill's crawl-process CPU at 100k alerts (issue 19).
CONCURRENT_ITEMS = 2

ITEM_PIPELINES = {
    "crawlers.pipelines.NormalizePipeline": 100,
    "crawlers.pipelines.ClassifyPipeline": 200,
    "crawlers.pipelines.ValidatePipeline": 300,
    "crawlers.pipelines.WarehousePipeline": 900,
}

EXTENSIONS = {
    "crawlers.progress.ProgressExtension": 500,
}

# Project settings (read by pipelines and extensions).
OUTAGES_DATA_DIR = setting("OUTAGES_DATA")
# Reports per load into DuckDB: each load is one transaction with its own commit, and a
# backfill spent a quarter less on loading in batches of 20,000 than of 5,000.
OUTAGES_BATCH_SIZE = 20_000
# `scrapy crawl` on its own builds and publishes when the spider closes; `outages crawl`
# turns this off and publishes once after all its spiders have finished.
OUTAGES_PUBLISH_ON_CLOSE = True
OUTAGES_PROGRESS = False

# Scale-out (docs/scale-out.md): crawler processes on several machines share one request
# queue and one duplicate filter in Redis. OUTAGES_REDIS_JOB names a shared crawl; its keys
# persist until deleted. Without a job name, each process gets its own keys, flushed at close.
OUTAGES_REDIS_URL = setting("OUTAGES_REDIS_URL") or None
if OUTAGES_REDIS_URL:
    import uuid as _uuid

    _job = setting("OUTAGES_REDIS_JOB") or _uuid.uuid4().hex
    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
    REDIS_URL = OUTAGES_REDIS_URL
    SCHEDULER_PERSIST = bool(setting("OUTAGES_REDIS_JOB"))
    SCHEDULER_QUEUE_KEY = f"%(spider)s:{_job}:requests"
    SCHEDULER_DUPEFILTER_KEY = f"%(spider)s:{_job}:dupefilter"
