"""WARC archiving of every crawled response, and offline replay of whole crawls.

Recording
=========
``WarcRecorderMiddleware`` is a downloader middleware that sits on the
*downloader side* of the chain (priority 950, above HttpCacheMiddleware 900 and
everything else in ``DOWNLOADER_MIDDLEWARES_BASE``).  Its ``process_response``
therefore runs first, on the response exactly as the download handler produced
it: **the raw body as received from the server** (still gzip/br/zstd encoded,
with its ``Content-Encoding`` header), each redirect hop (3xx) and each retried
error (5xx) as its own record, and the ``robots.txt`` fetches.  Decoding happens
later in the chain (HttpCompressionMiddleware, 590), both live and in replay.
Twisted already removed the transfer coding (chunking) and the connection
headers; the recorder also drops a stray ``Transfer-Encoding`` header and
corrects a ``Content-Length`` header that does not match the stored body, so
every WARC reader sees a consistent message.  Keeping the compressed body is
also what makes recording cheap: gzip over already-compressed bytes costs a
fraction of gzip over the decoded text (see the benchmark note below).

For each HTTP response the recorder writes a ``response`` record and then a
``request`` record (``WARC-Concurrent-To`` the response), WARC/1.1, each record
its own gzip member (so any record can be read by seeking to its offset), with
``WARC-Target-URI``, ``WARC-Date`` (fetch time, microsecond precision),
``WARC-Payload-Digest`` and ``WARC-Block-Digest`` (sha1, base32).  A
``warcinfo`` record opens every recording session.  Each record is flushed as
soon as it is written, so a killed crawl leaves a readable archive up to the last
complete record.  A response to a non-HTTP URL (``file://`` from
``--from file://PATH``, ``data:``) has no HTTP message to store: it becomes one
WARC ``resource`` record (the body, with the Content-Type guessed from the file
name) and no request record; replay serves it as Scrapy's file handler did
(status 200, no headers).

Settings: ``OUTAGES_WARC_PATH`` (the ``.warc.gz`` to write; unset = no
recording); ``OUTAGES_WARC_GZIP_LEVEL`` (default 5).  warcio's own gzip wrapper
is hard-wired to level 9, which costs about 1 s per 4 MB page of decoded JSON, so
records are written by warcio's ``WARCWriter`` into our own per-record gzip
member writer.  Measured on a 1,000-alert page (4 MB decoded, 0.6 MB gzip): a
gzip-encoded response costs about 2 ms to record (an already-compressed body is
stored in its member without recompression), a decoded one about 60 ms at level 5
(145 ms at 6, 30 ms at 1).  An existing archive is appended to, so refs stored by earlier
crawls stay valid; a damaged tail left by a killed crawl is moved aside to
``<archive>.damaged-<offset>`` first.  All crawlers of one process share one
writer per file; another process writing the same file is refused (flock).

Each crawled request gets ``request.meta["archive_ref"]`` and
``request.meta["fetched_at"]`` (aware UTC datetime, equal to the record's
WARC-Date).  ``fetched_at`` is left alone when something upstream set it before
the first download (e.g. a caller that knows when a saved file was fetched);
on a redirect or retry hop, which inherits the previous hop's meta, both keys
are refreshed.

Archive refs
============
``"<archive file basename>#<byte offset of the response record>"``, e.g.
``"crawl-2026-11-21.warc.gz#48213"``.  The offset is the start of the record's
gzip member, so ``read_archived(ref, search_dirs)`` seeks straight to it.

Replay
======
Setting ``OUTAGES_REPLAY_PATH`` (one archive, or several joined with
``os.pathsep``) turns a crawl into a replay (``replay_settings(paths)`` gives the
whole settings dict).  ``WarcReplayMiddleware`` (priority 960: on the downloader
side too, i.e. it stands in for the network and nothing else) indexes the
archives at spider open: canonical URL (``w3lib.url.canonicalize_url``) to the
list of response records, in file order.  A URL recorded several times is served
in that order, the last one repeating, so retries and re-polls replay as they
happened.  Every other middleware runs as in a live crawl: offsite filtering,
robots.txt (served from the archive when it was recorded; when it was not, the
miss is an ``IgnoreRequest`` and Scrapy's RobotsTxtMiddleware treats the site
as allowing everything), cookies, redirects, retries and decompression of the
raw recorded bodies.  The replayed response has the recorded status, headers
and body, the class ``scrapy.responsetypes`` picks, the ``"warc-replay"`` flag,
and meta ``archive_ref``, ``fetched_at`` (the record's WARC-Date) and
``constructed`` (see below).  A request whose URL is not in the archive fails
with ``NotInArchive`` (an ``IgnoreRequest``; the spider's errback sees it) and
never touches the network.  As a second line of defence ``replay_settings`` maps
the ``http``, ``https``, ``ftp`` and ``s3`` download handlers to
``OfflineDownloadHandler``, which fails every request with ``NetworkOffError``.
Request bodies and methods are not part of the match key.

A damaged archive (e.g. cut mid-record by a killed crawl) is indexed up to the
last complete record; the damage is logged, never raised.

Constructed records
===================
The bundled demo snapshot contains payloads we wrote ourselves rather than
fetched.  ``write_records(path, records)`` writes them (deterministically: fixed
record IDs derived from URL, date and position, the warcinfo dated like the
first record, gzip members with no timestamp) and marks each constructed record
with the WARC headers ``WARC-Outages-Constructed: true`` and
``WARC-Outages-Note: <note>``.  Replay sets ``meta["constructed"] = True`` for
them and ``iter_responses`` / ``ArchivedResponse.constructed`` expose the flag,
so the app can label demo data.

Reading
=======
``read_archived(ref, search_dirs)`` returns ``(status, headers, body)`` of one
archived response; ``iter_responses(path)`` yields every response record.  Both
decode the ``Content-Encoding`` by default (and then drop that header);
``decode=False`` gives the bytes as stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

try:  # pragma: no cover - platform dependent
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from warehouse.warc import (  # noqa: F401  (re-exported: the archive API of the crawl)
    CONSTRUCTED_HEADER,
    DEFAULT_GZIP_LEVEL,
    NOTE_HEADER,
    SOFTWARE,
    ArchivedResponse,
    ArchiveError,
    ArchiveRecord,
    _dist_version,
    _encode_header_value,
    _header_list,
    _load_at,
    _new_record_id,
    _RecordWriter,
    _scan,
    _split_paths,
    archived_response_urls,
    canonical_url,
    iter_responses,
    make_ref,
    parse_ref,
    read_archived,
    write_records,
)


def page_digest(response: Response) -> str:
    """What a page is, for "already parsed by this code": its status, its canonical URL
    and its (decoded) body. Computed in the crawl process or in a parse worker."""
    digest = hashlib.sha1(f"{response.status} {canonical_url(response.url)}\n".encode())
    digest.update(response.body)
    return digest.hexdigest()


__all__ = [
    "CONSTRUCTED_HEADER",
    "NOTE_HEADER",
    "RECORDER_PRIORITY",
    "REPLAY_PRIORITY",
    "ArchiveError",
    "ArchiveRecord",
    "ArchivedResponse",
    "NetworkOffError",
    "NotInArchive",
    "OfflineDownloadHandler",
    "WarcRecorderMiddleware",
    "WarcReplayMiddleware",
    "canonical_url",
    "iter_responses",
    "make_ref",
    "page_digest",
    "parse_ref",
    "read_archived",
    "replay_settings",
    "write_records",
]

logger = logging.getLogger(__name__)

#: Priorities for ``DOWNLOADER_MIDDLEWARES`` (both on the downloader side of the chain).
RECORDER_PRIORITY = 950
REPLAY_PRIORITY = 960

REPLAY_FLAG = "warc-replay"

_OFFLINE_HANDLER = "crawlers.archive.OfflineDownloadHandler"


# --------------------------------------------------------------------------- errors


class NotInArchive(IgnoreRequest):
    """Replay mode: the requested URL has no response record in the archive(s)."""


class NetworkOffError(RuntimeError):
    """Replay mode: a request reached a real download handler (the network is off)."""


# --------------------------------------------------------------------------- recording


class _SharedArchive:
    """One open archive file shared by every crawler of the process that records to it."""

    _open: dict[str, _SharedArchive] = {}

    def __init__(self, path: Path, level: int, info: dict[str, str]):
        self.path = path
        self.users = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+b")  # noqa: SIM115 - closed in release()
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ArchiveError(
                        f"{path} is being written by another process; record to another file"
                    ) from None
            end = self._repair(fh, path)
            fh.seek(end)
            self.fh = fh
            self.writer = _RecordWriter(fh, end, path.name, level)
            now = datetime.now(UTC)
            self.writer.write_warcinfo(now, info, _new_record_id())
        except BaseException:
            fh.close()
            raise

    @staticmethod
    def _repair(fh: IO[bytes], path: Path) -> int:
        """Return the offset to append at; move a damaged tail aside first."""
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        _found, good_end, damage = _scan(fh, path.name)
        if damage and good_end < size:
            aside = path.with_name(f"{path.name}.damaged-{good_end}")
            fh.seek(good_end)
            aside.write_bytes(fh.read())
            fh.truncate(good_end)
            logger.warning(
                "%s; moved the %d damaged bytes to %s and appending after the last complete record",
                damage,
                size - good_end,
                aside,
            )
        return good_end if damage else size

    @classmethod
    def acquire(cls, path: Path, level: int, info: dict[str, str]) -> _SharedArchive:
        key = str(path.resolve())
        shared = cls._open.get(key)
        if shared is None:
            shared = cls(path, level, info)
            cls._open[key] = shared
        shared.users += 1
        return shared

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            self._open.pop(str(self.path.resolve()), None)
            self.fh.flush()
            self.fh.close()


def _set_fetch_meta(meta: dict[str, Any], ref: str, fetched_at: datetime) -> None:
    # Keep a fetched_at set upstream before the first hop; refresh it on later hops
    # (a redirect or retry request inherits the previous hop's meta, archive_ref included).
    if "fetched_at" not in meta or "archive_ref" in meta:
        meta["fetched_at"] = fetched_at
    meta["archive_ref"] = ref


class WarcRecorderMiddleware:
    """Downloader middleware writing every response (as received) to a WARC file.

    Enable at priority 950 (``RECORDER_PRIORITY``).  Reads ``OUTAGES_WARC_PATH``;
    disabled when it is unset or when ``OUTAGES_REPLAY_PATH`` is set.
    """

    def __init__(self, crawler: Crawler, path: Path):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        settings = crawler.settings
        level = settings.getint("OUTAGES_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        info = {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": str(settings.get("USER_AGENT") or ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "scrapy-version": scrapy.__version__,
            "warcio-version": _dist_version("warcio"),
            "bot-name": str(settings.get("BOT_NAME") or ""),
        }
        self._shared: _SharedArchive | None = _SharedArchive.acquire(path, level, info)
        logger.info("Recording responses to %s", path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        settings = crawler.settings
        path = settings.get("OUTAGES_WARC_PATH")
        if not path:
            raise NotConfigured
        if settings.get("OUTAGES_REPLAY_PATH"):
            logger.info("Replay mode: not recording to %s", path)
            raise NotConfigured
        mw = cls(crawler, Path(path))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_response(self, request: Request, response: Response) -> Response:
        shared = self._shared
        if shared is None:
            return response
        fetched_at = datetime.now(UTC)
        body = response.body
        extra: dict[str, str] = {}
        if response.ip_address is not None:
            extra["WARC-IP-Address"] = str(response.ip_address)
        ref = shared.writer.write_exchange(
            url=response.url,
            fetched_at=fetched_at,
            status=response.status,
            protocol=response.protocol or "HTTP/1.1",
            headers=_header_list(response.headers),
            body=body,
            method=request.method,
            request_headers=_header_list(request.headers),
            request_body=request.body,
            extra=extra,
        )
        _set_fetch_meta(request.meta, ref, fetched_at)
        if self.stats is not None:
            self.stats.inc_value("archive/records")
            self.stats.inc_value("archive/response_bytes", len(body))
        return response

    def spider_closed(self, spider: Any = None) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None
            if self.stats is not None:
                self.stats.set_value("archive/path", str(self.path))


# --------------------------------------------------------------------------- replay


@dataclass
class _ArchiveIndex:
    paths: list[Path]
    by_url: dict[str, list[tuple[int, int]]]  # canonical url -> [(path index, offset)]
    responses: int
    damage: list[str]


_INDEX_CACHE: dict[tuple[tuple[str, int, int], ...], _ArchiveIndex] = {}


def _build_index(paths: list[Path]) -> _ArchiveIndex:
    key = tuple((str(p.resolve()), (st := p.stat()).st_size, st.st_mtime_ns) for p in paths)
    cached = _INDEX_CACHE.get(key)
    if cached is not None:
        return cached
    by_url: dict[str, list[tuple[int, int]]] = {}
    damage: list[str] = []
    count = 0
    for i, path in enumerate(paths):
        with open(path, "rb") as fh:
            scanned, _end, dmg = _scan(fh, path.name)
        if dmg:
            damage.append(dmg)
        for s in scanned:
            if s.rec_type in ("response", "resource") and s.url:
                by_url.setdefault(canonical_url(s.url), []).append((i, s.offset))
                count += 1
    index = _ArchiveIndex(paths, by_url, count, damage)
    _INDEX_CACHE[key] = index
    return index


class WarcReplayMiddleware:
    """Downloader middleware answering every request from WARC archive(s).

    Enable at priority 960 (``REPLAY_PRIORITY``); it raises ``NotConfigured``
    (stays out of the chain) unless ``OUTAGES_REPLAY_PATH`` is set.
    """

    def __init__(self, crawler: Crawler, paths: list[Path]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.paths = paths
        self._index: _ArchiveIndex | None = None
        self._served: dict[str, int] = {}
        self._files: dict[int, IO[bytes]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        paths = _split_paths(crawler.settings.get("OUTAGES_REPLAY_PATH"))
        if not paths:
            raise NotConfigured
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ArchiveError(f"replay archive not found: {', '.join(missing)}")
        mw = cls(crawler, paths)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self, spider: Any = None) -> None:
        self._ensure_index()

    def spider_closed(self, spider: Any = None) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()

    def _ensure_index(self) -> _ArchiveIndex:
        if self._index is None:
            index = _build_index(self.paths)
            for msg in index.damage:
                logger.error(
                    "Replay archive damaged, serving the complete records before it: %s", msg
                )
            logger.info(
                "Replay: %d responses for %d URLs from %s",
                index.responses,
                len(index.by_url),
                ", ".join(str(p) for p in self.paths),
            )
            if self.stats is not None:
                self.stats.set_value("archive/replay/indexed", index.responses)
                if index.damage:
                    self.stats.set_value("archive/replay/damaged_archives", len(index.damage))
            self._index = index
        return self._index

    def _file(self, i: int) -> IO[bytes]:
        fh = self._files.get(i)
        if fh is None:
            fh = self._files[i] = open(self._index.paths[i], "rb")  # type: ignore[union-attr]  # noqa: SIM115
        return fh

    def process_request(self, request: Request) -> Response:
        index = self._ensure_index()
        key = canonical_url(request.url)
        entries = index.by_url.get(key)
        if not entries:
            if self.stats is not None:
                self.stats.inc_value("archive/replay/not_in_archive")
            level = logging.DEBUG if urlsplit(key).path == "/robots.txt" else logging.WARNING
            logger.log(level, "Not in archive (network off): %s", request.url)
            raise NotInArchive(f"not in archive (replay mode, network off): {request.url}")
        n = self._served.get(key, 0)
        self._served[key] = n + 1
        i, offset = entries[min(n, len(entries) - 1)]
        path = index.paths[i]
        loaded = _load_at(self._file(i), offset, path.name)

        headers = Headers()
        for name, value in loaded.headers:
            headers.appendlist(name, _encode_header_value(value))
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=loaded.body)
        _set_fetch_meta(request.meta, make_ref(path, offset), loaded.fetched_at)
        if loaded.constructed:
            request.meta["constructed"] = True
        else:  # e.g. a redirect from a constructed record to a recorded one
            request.meta.pop("constructed", None)
        if self.stats is not None:
            self.stats.inc_value("archive/replay/responses")
        return respcls(
            url=request.url,
            status=loaded.status,
            headers=headers,
            body=loaded.body,
            flags=[REPLAY_FLAG],
            request=request,
            protocol=loaded.protocol,
        )


class OfflineDownloadHandler(BaseDownloadHandler):
    """Download handler for http/https (and ftp/s3) in replay mode: never connects."""

    lazy = False

    async def download_request(self, request: Request) -> Response:
        raise NetworkOffError(
            f"network is off in replay mode: refusing to download {request.url} "
            "(is WarcReplayMiddleware enabled?)"
        )


def replay_settings(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> dict:
    """Settings to merge (at high priority) for a replay of the given archive(s).

    Keeps ``ROBOTSTXT_OBEY`` as the project sets it: recorded robots.txt files are
    replayed, missing ones count as "allow everything" (see the module docstring).
    """
    if isinstance(paths, str | os.PathLike):
        path_list = _split_paths(paths)
    else:
        path_list = [Path(p) for p in paths]
    if not path_list:
        raise ValueError("replay needs at least one archive path")
    return {
        "OUTAGES_REPLAY_PATH": os.pathsep.join(str(p) for p in path_list),
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_DELAY_JITTER": 0,
        "HTTPCACHE_ENABLED": False,
        "DOWNLOAD_HANDLERS": {
            "http": _OFFLINE_HANDLER,
            "https": _OFFLINE_HANDLER,
            "ftp": _OFFLINE_HANDLER,
            "s3": _OFFLINE_HANDLER,
        },
    }
