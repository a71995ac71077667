"""Point the spiders at a local server: `https://host/path?q` -> `BASE/host/path?q` (tests only).

The spiders build URLs to the real hosts. Tests of long-running behaviour (`outages watch`)
need the real Scrapy engine and real HTTP, offline; so a local server serves recorded
responses under `/<host>/<path>`, and setting ``OUTAGES_URL_REWRITE = "http://127.0.0.1:PORT"``
sends every download there.

The rewrite happens at the network's edge and nowhere else: this downloader middleware sits
after every other one (priority 970, after the WARC recorder 950 and replay 960), downloads
the rewritten request itself through Scrapy's own download handlers, and hands back the
response under the *original* URL. Offsite filtering, robots.txt (fetched from the local
server too), retries, redirects, decompression, the WARC recorder and the spiders all see
the real URLs, so an archive recorded against the local server replays like a live one.
Because the download happens in the middleware, the downloader's per-host slots (delays,
concurrency) are skipped: right for a local test server, and one more reason never to set
this in production. Unset (the default), the middleware is disabled (`NotConfigured`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

SETTING = "OUTAGES_URL_REWRITE"
PRIORITY = 970
MIDDLEWARE = "crawlers.rewrite.UrlRewriteMiddleware"


def rewrite_url(url: str, base: str) -> str | None:
    """The local URL for `url` (None when it is not an http(s) URL or already local)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    base = base.rstrip("/")
    if url.startswith(base + "/"):
        return None
    rest = url[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
    return f"{base}/{parts.netloc}{rest}"


class UrlRewriteMiddleware:
    """Downloads `https://host/...` from `OUTAGES_URL_REWRITE/host/...` (see the module doc)."""

    def __init__(self, crawler: Crawler, base: str) -> None:
        self.crawler = crawler
        self.base = base.rstrip("/")
        if urlsplit(self.base).scheme not in ("http", "https"):
            raise ValueError(f"{SETTING} must be an http(s) base URL, not {base!r}")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlRewriteMiddleware:
        base = crawler.settings.get(SETTING)
        if not base:
            raise NotConfigured  # off unless set; no message, so Scrapy logs no warning
        return cls(crawler, base)

    async def process_request(self, request: Request) -> Response | None:
        target = rewrite_url(request.url, self.base)
        if target is None:
            return None
        meta = {k: v for k, v in request.meta.items() if k not in ("proxy", "_auth_proxy")}
        local = request.replace(url=target, meta=meta)
        local.headers.pop(b"Proxy-Authorization", None)
        assert self.crawler.engine is not None
        handlers = self.crawler.engine.downloader.handlers
        response = await handlers.download_request_async(local)
        return response.replace(url=request.url)


def enable(settings: dict, base: str) -> dict:
    """Settings (for `Settings.setdict` at cmdline priority) that turn the rewrite on."""
    middlewares = dict(settings.get("DOWNLOADER_MIDDLEWARES") or {})
    middlewares.setdefault(MIDDLEWARE, PRIORITY)
    return {SETTING: base, "DOWNLOADER_MIDDLEWARES": middlewares}
