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

import functools
import hashlib
import http
import importlib.metadata
import logging
import mimetypes
import os
import struct
import uuid
import zlib
from base64 import b32encode
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_datetime
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

try:  # pragma: no cover - platform dependent
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

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
    "parse_ref",
    "read_archived",
    "replay_settings",
    "write_records",
]

logger = logging.getLogger(__name__)

#: Priorities for ``DOWNLOADER_MIDDLEWARES`` (both on the downloader side of the chain).
RECORDER_PRIORITY = 950
REPLAY_PRIORITY = 960

CONSTRUCTED_HEADER = "WARC-Outages-Constructed"
NOTE_HEADER = "WARC-Outages-Note"
WARC_VERSION = "WARC/1.1"
SOFTWARE = "911-outage-watch crawlers.archive"
REPLAY_FLAG = "warc-replay"
DEFAULT_GZIP_LEVEL = 5  # live recording
WRITE_RECORDS_GZIP_LEVEL = 9  # small, one-off files (the bundled demo snapshot)

_READ_SIZE = 1 << 16
_OFFLINE_HANDLER = "crawlers.archive.OfflineDownloadHandler"
# Hop-by-hop / framing headers that must not describe the stored (de-chunked) body.
_DROP_HEADERS = frozenset({"transfer-encoding"})


# --------------------------------------------------------------------------- errors


class ArchiveError(Exception):
    """An archive cannot be opened, written or read as asked."""


class NotInArchive(IgnoreRequest):
    """Replay mode: the requested URL has no response record in the archive(s)."""


class NetworkOffError(RuntimeError):
    """Replay mode: a request reached a real download handler (the network is off)."""


# --------------------------------------------------------------------------- data


@dataclass
class ArchiveRecord:
    """One response to write with ``write_records`` (e.g. a constructed demo payload).

    ``fetched_at`` is keyword-only and required (naive datetimes are taken as UTC).
    """

    url: str
    body: bytes
    status: int = 200
    headers: dict[str, str] | list[tuple[str, str]] | None = None
    fetched_at: datetime = field(kw_only=True)
    constructed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class ArchivedResponse:
    """One response record read back from an archive."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    constructed: bool
    ref: str
    note: str | None = None


@dataclass(frozen=True)
class _Loaded:
    """A response record as stored: raw header list and raw (still encoded) body."""

    url: str
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    content_type: str | None  # of a resource record (its headers are empty)
    body: bytes
    fetched_at: datetime
    constructed: bool
    note: str | None


# --------------------------------------------------------------------------- helpers


def canonical_url(url: str) -> str:
    """The key both recording and replay use to match URLs (query order, escaping, fragment)."""
    return canonicalize_url(url)


def make_ref(path: str | os.PathLike[str], offset: int) -> str:
    return f"{os.path.basename(os.fspath(path))}#{offset}"


def parse_ref(ref: str) -> tuple[str, int]:
    """``"name.warc.gz#123"`` -> ``("name.warc.gz", 123)``; ``ValueError`` when malformed."""
    name, sep, off = ref.rpartition("#")
    if not sep or not name or not off.isdigit():
        raise ValueError(f"not an archive ref (expected 'FILE#OFFSET'): {ref!r}")
    if name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"archive ref must name a file, not a path: {ref!r}")
    return name, int(off)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _warc_date(dt: datetime) -> str:
    dt = _utc(dt)
    frac = f".{dt.microsecond:06d}" if dt.microsecond else ""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def _parse_warc_date(value: str | None) -> datetime:
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return iso_date_to_datetime(value, tz_aware=True)


def _sha1_label(*parts: bytes) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p)
    return "sha1:" + b32encode(h.digest()).decode("ascii")


def _clean_field(value: str) -> str:
    """A WARC/HTTP header value on one line (no header injection)."""
    return " ".join(str(value).split())


def _header_list(headers: Any) -> list[tuple[str, str]]:
    """dict / list of pairs / scrapy Headers -> list of (str, str), multi-values kept."""
    if not headers:
        return []
    if isinstance(headers, Headers):
        out = []
        for k, vs in headers.items():
            name = k.decode("latin-1") if isinstance(k, bytes) else str(k)
            for v in vs:
                out.append((name, v.decode("latin-1") if isinstance(v, bytes) else str(v)))
        return out
    items = headers.items() if isinstance(headers, dict) else headers
    out = []
    for k, v in items:
        name = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        values = v if isinstance(v, list | tuple) else [v]
        for one in values:
            out.append((name, one.decode("latin-1") if isinstance(one, bytes) else str(one)))
    return out


def _consistent_headers(headers: list[tuple[str, str]], body_len: int) -> list[tuple[str, str]]:
    """Drop framing headers that would contradict the stored body; fix Content-Length."""
    out = []
    for name, value in headers:
        low = name.lower()
        if low in _DROP_HEADERS:
            continue
        if low == "content-length":
            value = str(body_len)
        out.append((_clean_field(name), _clean_field(value)))
    return out


def _is_encoded(headers: list[tuple[str, str]]) -> bool:
    return any(
        name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
        for name, value in headers
    )


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> tuple[str, str]:
    """(request-target, host) of a URL for a synthesized HTTP request line."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target, parts.netloc


def _encode_header_value(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _decode_body(
    body: bytes, headers: list[tuple[str, str]]
) -> tuple[bytes, list[tuple[str, str]]]:
    """Undo Content-Encoding (gzip, deflate, br/zstd when available); drop the header."""
    codings = [
        c.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for c in value.split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if not codings:
        return body, headers
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                body = _gunzip_all(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # type: ignore[import-not-found]

                body = brotli.decompress(body)
            elif coding == "zstd":
                import zstandard  # type: ignore[import-not-found]

                body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
            else:
                raise ValueError(coding)
    except (ImportError, ValueError, OSError, zlib.error) as exc:
        logger.warning("cannot decode Content-Encoding %s (%s); body left encoded", codings, exc)
        return body, headers
    kept = [(n, v) for n, v in headers if n.lower() not in ("content-encoding", "content-length")]
    return body, kept


def _gunzip_all(data: bytes) -> bytes:
    out = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        out.append(d.flush())
        data = d.unused_data
        if not d.eof:
            break
    return b"".join(out)


def _headers_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _split_paths(value: Any) -> list[Path]:
    if not value:
        return []
    if isinstance(value, str | os.PathLike):
        parts = os.fspath(value).split(os.pathsep)
    else:
        parts = [os.fspath(v) for v in value]
    return [Path(p) for p in parts if p]


# --------------------------------------------------------------------------- writing


class _GzipMemberWriter:
    """File-like sink for warcio: each ``flush()`` closes one gzip member (one record).

    The gzip header carries no timestamp and OS 255 (unknown), so identical
    records give identical bytes.  ``offset`` is the file position where the
    next member starts.
    """

    _HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

    def __init__(self, fh: IO[bytes], offset: int, level: int = DEFAULT_GZIP_LEVEL):
        self.fh = fh
        self.offset = offset
        self.level = level
        self._comp: Any = None
        self._crc = 0
        self._size = 0

    def write(self, data: bytes) -> int:
        if not data:
            return 0
        if self._comp is None:
            self._comp = zlib.compressobj(self.level, zlib.DEFLATED, -zlib.MAX_WBITS)
            self._crc = 0
            self._size = 0
            self._emit(self._HEADER)
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        self._emit(self._comp.compress(data))
        return len(data)

    def flush(self) -> None:
        if self._comp is not None:
            self._emit(self._comp.flush())
            self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
            self._comp = None
        self.fh.flush()

    def rollback(self, offset: int) -> None:
        """Drop a partly written member: cut the file back to ``offset``."""
        self._comp = None
        try:
            self.fh.flush()
            self.fh.truncate(offset)
            self.fh.seek(offset)
            self.offset = offset
        except OSError:
            logger.exception("could not cut the archive back to offset %d", offset)

    def _emit(self, data: bytes) -> None:
        if data:
            self.fh.write(data)
            self.offset += len(data)


class _RecordWriter:
    """Builds WARC records with warcio and writes each as one gzip member."""

    def __init__(self, fh: IO[bytes], offset: int, name: str, level: int):
        self.name = name
        self.out = _GzipMemberWriter(fh, offset, level)
        self.warc = WARCWriter(self.out, gzip=False, warc_version=WARC_VERSION)

    def write_warcinfo(self, date: datetime, fields: dict[str, str], record_id: str) -> None:
        payload = "".join(f"{k}: {_clean_field(v)}\r\n" for k, v in fields.items() if v)
        data = payload.encode("utf-8")
        rec = self.warc.create_warc_record(
            "",
            "warcinfo",
            payload=BytesIO(data),
            length=len(data),
            warc_headers_dict={
                "WARC-Record-ID": record_id,
                "WARC-Filename": self.name,
                "WARC-Date": _warc_date(date),
                "WARC-Block-Digest": _sha1_label(data),
            },
        )
        self.warc.write_record(rec)

    def write_exchange(self, **kwargs: Any) -> str:
        """Write response then request record; return the response record's ref.

        On a write error the file is cut back to where the pair started (so a
        half-written gzip member cannot hide the records appended after it).
        """
        start = self.out.offset
        try:
            return self._write_exchange(**kwargs)
        except BaseException:
            self.out.rollback(start)
            raise

    def _write_exchange(
        self,
        *,
        url: str,
        fetched_at: datetime,
        status: int,
        protocol: str,
        headers: list[tuple[str, str]],
        body: bytes,
        method: str = "GET",
        request_headers: list[tuple[str, str]] | None = None,
        request_body: bytes = b"",
        response_id: str | None = None,
        request_id: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> str:
        date = _warc_date(fetched_at)
        response_id = response_id or _new_record_id()
        request_id = request_id or _new_record_id()
        extra = extra or {}
        if not url.lower().startswith(("http://", "https://")):
            return self._write_resource(url, date, status, headers, body, response_id, extra)

        if not protocol.upper().startswith("HTTP/"):
            protocol = "HTTP/1.1"
        http_headers = StatusAndHeaders(
            f"{status} {_reason(status)}".rstrip(),
            _consistent_headers(headers, len(body)),
            protocol=protocol,
        )
        http_headers.compute_headers_buffer()
        resp_headers = {
            "WARC-Record-ID": response_id,
            "WARC-Date": date,
            "WARC-Payload-Digest": _sha1_label(body),
            "WARC-Block-Digest": _sha1_label(http_headers.headers_buff, body),
            **extra,
        }
        resp = self.warc.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            warc_headers_dict=resp_headers,
            http_headers=http_headers,
        )
        offset = self.out.offset
        # An already-compressed body (Content-Encoding) gains nothing from deflate: store
        # it (gzip level 0), which costs ~0.2 ms instead of ~7 ms per 300 KB.
        level = self.out.level
        if _is_encoded(headers):
            self.out.level = 0
        try:
            self.warc.write_record(resp)
        finally:
            self.out.level = level

        target, host = _request_target(url)
        req_list = list(request_headers or [])
        if host and not any(n.lower() == "host" for n, _ in req_list):
            req_list.insert(0, ("Host", host))
        req_http = StatusAndHeaders(
            f"{method} {target} HTTP/1.1",
            _consistent_headers(req_list, len(request_body)),
            protocol="",
            is_http_request=True,
        )
        req_http.compute_headers_buffer()
        req = self.warc.create_warc_record(
            url,
            "request",
            payload=BytesIO(request_body),
            length=len(request_body),
            warc_headers_dict={
                "WARC-Record-ID": request_id,
                "WARC-Date": date,
                "WARC-Concurrent-To": response_id,
                "WARC-Payload-Digest": _sha1_label(request_body),
                "WARC-Block-Digest": _sha1_label(req_http.headers_buff, request_body),
                **extra,
            },
            http_headers=req_http,
        )
        self.warc.write_record(req)
        return f"{self.name}#{offset}"

    def _write_resource(
        self,
        url: str,
        date: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        record_id: str,
        extra: dict[str, str],
    ) -> str:
        """A non-HTTP URL (``file://``, ``data:``): one ``resource`` record, no request."""
        if status != 200:
            raise ValueError(f"a non-HTTP URL can only be archived with status 200: {url}")
        ctype = next((v for n, v in headers if n.lower() == "content-type"), None)
        if not ctype:
            ctype = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        digest = _sha1_label(body)
        rec = self.warc.create_warc_record(
            url,
            "resource",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type=_clean_field(ctype),
            warc_headers_dict={
                "WARC-Record-ID": record_id,
                "WARC-Date": date,
                "WARC-Payload-Digest": digest,
                "WARC-Block-Digest": digest,
                **extra,
            },
        )
        offset = self.out.offset
        self.warc.write_record(rec)
        return f"{self.name}#{offset}"


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _deterministic_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(parts))}>"


def _constructed_headers(constructed: bool, note: str | None) -> dict[str, str]:
    extra: dict[str, str] = {}
    if constructed:
        extra[CONSTRUCTED_HEADER] = "true"
    if note:
        extra[NOTE_HEADER] = _clean_field(note)
    return extra


def write_records(path: str | os.PathLike[str], records: Iterable[ArchiveRecord]) -> list[str]:
    """Write ``records`` as a new gzipped WARC at ``path`` (replacing it atomically).

    A ``warcinfo`` record comes first (dated like the first record), then a
    response + request pair per record.  Record IDs derive from position, URL and
    date, gzip members carry no timestamp: the same records give a byte-identical
    file.  Returns the archive refs of the response records, in order.
    """
    path = Path(path)
    records = list(records)
    first = _utc(records[0].fetched_at) if records else datetime(1970, 1, 1, tzinfo=UTC)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    refs: list[str] = []
    try:
        with open(tmp, "wb") as fh:
            writer = _RecordWriter(fh, 0, path.name, WRITE_RECORDS_GZIP_LEVEL)
            writer.write_warcinfo(
                first,
                {
                    "software": SOFTWARE,
                    "format": "WARC File Format 1.1",
                    "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                    "description": "written by crawlers.archive.write_records",
                },
                _deterministic_id("warcinfo", path.name, _warc_date(first)),
            )
            for i, rec in enumerate(records):
                date = _warc_date(rec.fetched_at)
                refs.append(
                    writer.write_exchange(
                        url=rec.url,
                        fetched_at=rec.fetched_at,
                        status=int(rec.status),
                        protocol="HTTP/1.1",
                        headers=_header_list(rec.headers),
                        body=bytes(rec.body),
                        response_id=_deterministic_id("response", str(i), rec.url, date),
                        request_id=_deterministic_id("request", str(i), rec.url, date),
                        extra=_constructed_headers(rec.constructed, rec.note),
                    )
                )
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return refs


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Scanned:
    offset: int
    length: int
    rec_type: str
    url: str


def _scan(fh: IO[bytes], name: str) -> tuple[list[_Scanned], int, str | None]:
    """Walk the records of an open archive.

    Returns (complete records, end offset of the last complete record, damage
    message or None).  Stops at the first unreadable or incomplete record.
    """
    fh.seek(0)
    found: list[_Scanned] = []
    good_end = 0
    damage: str | None = None
    it = ArchiveIterator(fh, no_record_parse=True)
    try:
        for rec in it:
            expected = rec.length
            got = 0
            while True:
                chunk = rec.raw_stream.read(_READ_SIZE)
                if not chunk:
                    break
                got += len(chunk)
            offset = it.get_record_offset()
            length = it.get_record_length()
            problem = None
            if not rec.rec_type or expected is None:
                problem = "has no complete header block"
            elif got < expected:
                problem = f"is incomplete ({got} of {expected} bytes)"
            elif not getattr(it.reader.decompressor, "eof", True):
                problem = "is incomplete (its gzip member is cut short)"
            if problem:
                damage = f"{name}: record at offset {offset} {problem}; archive truncated?"
                break
            found.append(
                _Scanned(
                    offset,
                    length,
                    rec.rec_type,
                    rec.rec_headers.get_header("WARC-Target-URI") or "",
                )
            )
            good_end = offset + length
    except Exception as exc:  # warcio raises assorted errors on damaged input
        damage = f"{name}: unreadable data after offset {good_end} ({type(exc).__name__}: {exc})"
    finally:
        it.close()
    if damage is None:
        size = fh.seek(0, os.SEEK_END)
        if size > good_end:
            fh.seek(good_end)
            if fh.read(min(size - good_end, _READ_SIZE)).strip():
                damage = f"{name}: {size - good_end} unreadable bytes after offset {good_end}"
    return found, good_end, damage


def _load_at(fh: IO[bytes], offset: int, name: str) -> _Loaded:
    """Read the response (or resource) record starting at ``offset``."""
    fh.seek(offset)
    it = ArchiveIterator(fh)
    try:
        rec = next(iter(it))
    except StopIteration:
        raise ArchiveError(f"no record at {name}#{offset}") from None
    except Exception as exc:
        raise ArchiveError(f"cannot read record at {name}#{offset}: {exc}") from exc
    try:
        if rec.rec_type not in ("response", "resource", "revisit"):
            raise ArchiveError(f"{name}#{offset} is a {rec.rec_type!r} record, not a response")
        if rec.rec_type == "revisit":
            raise ArchiveError(f"{name}#{offset} is a revisit record (no payload stored)")
        body = rec.raw_stream.read()
        h = rec.rec_headers
        if rec.rec_type == "response" and rec.http_headers:
            status = int(rec.http_headers.get_statuscode() or 200)
            protocol = rec.http_headers.protocol or "HTTP/1.1"
            headers = list(rec.http_headers.headers)
        else:  # a resource record (file://, data:): Scrapy gives such responses no headers
            status, protocol, headers = 200, "HTTP/1.1", []
        return _Loaded(
            url=h.get_header("WARC-Target-URI") or "",
            status=status,
            protocol=protocol,
            headers=headers,
            content_type=h.get_header("Content-Type") if rec.rec_type == "resource" else None,
            body=body,
            fetched_at=_parse_warc_date(h.get_header("WARC-Date")),
            constructed=(h.get_header(CONSTRUCTED_HEADER) or "").strip().lower() == "true",
            note=h.get_header(NOTE_HEADER),
        )
    finally:
        it.close()


def _to_archived(loaded: _Loaded, ref: str, decode: bool) -> ArchivedResponse:
    body, headers = loaded.body, loaded.headers
    if loaded.content_type:
        headers = [("Content-Type", loaded.content_type), *headers]
    if decode:
        body, headers = _decode_body(body, headers)
    return ArchivedResponse(
        url=loaded.url,
        status=loaded.status,
        headers=_headers_dict(headers),
        body=body,
        fetched_at=loaded.fetched_at,
        constructed=loaded.constructed,
        ref=ref,
        note=loaded.note,
    )


def read_archived(
    ref: str, search_dirs: Iterable[str | os.PathLike[str]], *, decode: bool = True
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the response record ``ref`` ("FILE#OFFSET").

    The file is looked up by name in each of ``search_dirs`` in turn.  With
    ``decode`` (default) the Content-Encoding is undone and its header dropped.
    Raises ``ValueError`` (bad ref), ``FileNotFoundError``, ``ArchiveError``.
    """
    name, offset = parse_ref(ref)
    dirs = [Path(d) for d in search_dirs]
    for d in dirs:
        candidate = d / name
        if candidate.is_file():
            with open(candidate, "rb") as fh:
                archived = _to_archived(_load_at(fh, offset, name), ref, decode)
            return archived.status, archived.headers, archived.body
    raise FileNotFoundError(f"archive {name!r} not found in {[str(d) for d in dirs]}")


def archived_response_urls(path: str | os.PathLike[str]) -> list[str]:
    """The URLs of an archive's response records, in file order, without reading bodies.

    Cached per file version: every spider of a replay asks, and a large archive is scanned once.
    """
    stat = os.stat(path)
    return list(_archived_urls(os.fspath(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _archived_urls(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    with open(path, "rb") as fh:
        scanned, _end, damage = _scan(fh, os.path.basename(path))
    if damage:
        logger.error("archive damaged: %s", damage)
    return tuple(s.url for s in scanned if s.rec_type in ("response", "resource"))


def iter_responses(
    path: str | os.PathLike[str], *, decode: bool = True, urls: Container[str] | None = None
) -> Iterator[ArchivedResponse]:
    """Every response record of an archive, in file order (only those whose canonical URL is
    in `urls`, when given: the others are not read).

    A damaged archive yields its complete records and logs the damage.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        scanned, _end, damage = _scan(fh, path.name)
        if damage:
            logger.error("archive damaged: %s", damage)
        for s in scanned:
            if s.rec_type in ("response", "resource") and (
                urls is None or canonical_url(s.url) in urls
            ):
                yield _to_archived(
                    _load_at(fh, s.offset, path.name), make_ref(path, s.offset), decode
                )


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
