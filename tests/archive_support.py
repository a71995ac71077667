"""Helpers for tests/test_archive.py: a small link-following spider and a crawl runner.

The runner is executed in a subprocess (a Twisted reactor cannot be restarted in
one process)::

    python tests/archive_support.py CONFIG.json

CONFIG holds ``urls`` (start URLs), ``dont_filter`` (for repeated URLs), ``settings``
(merged over a minimal, project-independent base) and ``output`` (a JSON-lines
feed of the items).  Every response gives an item with what the archive layer put
in ``meta``; every failure gives an item with the exception type and message.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

BASE_SETTINGS = {
    "DOWNLOADER_MIDDLEWARES": {
        "crawlers.archive.WarcRecorderMiddleware": 950,
        "crawlers.archive.WarcReplayMiddleware": 960,
    },
    "ROBOTSTXT_OBEY": True,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "RETRY_ENABLED": False,
    "USER_AGENT": "outage-watch-tests (+https://example.invalid)",
}


class ChainSpider(scrapy.Spider):
    """Requests ``urls``; follows ``links`` of JSON pages (deduplicated)."""

    name = "archive_chain"

    def __init__(self, urls: list[str], dont_filter: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.urls = urls
        self.dont_filter = dont_filter

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(
                url, callback=self.parse, errback=self.failed, dont_filter=self.dont_filter
            )

    def parse(self, response):
        meta = response.meta
        fetched_at = meta.get("fetched_at")
        yield {
            "url": response.url,
            "status": response.status,
            "body": response.body.decode("utf-8", "replace"),
            "body_sha1": hashlib.sha1(response.body).hexdigest(),
            "archive_ref": meta.get("archive_ref"),
            "fetched_at": fetched_at.isoformat() if fetched_at else None,
            "constructed": meta.get("constructed", False),
            "flags": list(response.flags),
            "response_class": type(response).__name__,
        }
        if "json" in response.headers.get("Content-Type", b"").decode():
            for link in json.loads(response.body).get("links", []):
                yield response.follow(link, callback=self.parse, errback=self.failed)

    def failed(self, failure):
        yield {
            "url": failure.request.url,
            "error": failure.type.__name__,
            "message": str(failure.value),
        }


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text())
    settings = {**BASE_SETTINGS, **config.get("settings", {})}
    settings["FEEDS"] = {config["output"]: {"format": "jsonlines", "overwrite": True}}
    process = CrawlerProcess(settings)
    process.crawl(ChainSpider, urls=config["urls"], dont_filter=config.get("dont_filter", False))
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
