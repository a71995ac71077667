"""The WARC archive format of the project: response records with a ref ("FILE#OFFSET"),
written gzip-member per record, read back by ref or in file order.

The warehouse and the app read archives (an incident's archived copy, the curated check);
the crawl writes and replays them through the Scrapy middlewares of crawlers/archive.py,
which is where the format is described in full.
"""

from __future__ import annotations

import functools
import hashlib
import http
import importlib.metadata
import logging
import mimetypes
import os
import re
import struct
import uuid
import zlib
from base64 import b32encode
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from scrapy.http import Headers
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from warehouse.settings import setting

logger = logging.getLogger(__name__)

CONSTRUCTED_HEADER = "WARC-Outages-Constructed"
NOTE_HEADER = "WARC-Outages-Note"
WARC_VERSION = "WARC/1.1"
SOFTWARE = "911-outage-watch crawlers.archive"
DEFAULT_GZIP_LEVEL = 5  # live recording
WRITE_RECORDS_GZIP_LEVEL = 9  # small, one-off files (the bundled demo snapshot)

_READ_SIZE = 1 << 16
# Hop-by-hop / framing headers that must not describe the stored (de-chunked) body.
_DROP_HEADERS = frozenset({"transfer-encoding"})


# --------------------------------------------------------------------------- errors


class ArchiveError(Exception):
    """An archive cannot be opened, written or read as asked."""


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


@functools.lru_cache(maxsize=16384)
def canonical_url(url: str) -> str:
    """The key both recording and replay use to match URLs (query order, escaping, fragment).

    Cached: a crawl asks for each page's key several times (replay, page memory, errors),
    and w3lib's canonicalize_url was 3% of a backfill's crawl process (issue 19)."""
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


# --------------------------------------------------------------------------- rotation
_ARCHIVE_NAME = re.compile(r"^crawl-(\d{4})-(\d{2})(?:-(\d{3}))?\.warc\.gz$")


def current_archive_path(
    archive_dir: os.PathLike | str, max_bytes: int | None = None, now: datetime | None = None
) -> Path:
    """The WARC file a live crawl should append to: by month, then by size.

    `crawl-YYYY-MM.warc.gz` first; once it holds `max_bytes` (default 1 GiB, environment
    `OUTAGES_WARC_MAX_BYTES`), `crawl-YYYY-MM-001.warc.gz`, `-002`, ... Records are never
    split across files and refs (`name#offset`) stay valid, because files are only appended.
    """
    if max_bytes is None:
        max_bytes = setting("OUTAGES_WARC_MAX_BYTES")
    month = f"{(now or datetime.now(UTC)):%Y-%m}"
    directory = Path(archive_dir)
    index = 0
    while True:
        path = directory / (
            f"crawl-{month}.warc.gz" if index == 0 else f"crawl-{month}-{index:03d}.warc.gz"
        )
        following = directory / f"crawl-{month}-{index + 1:03d}.warc.gz"
        if following.exists():
            index += 1
            continue
        if not path.exists() or path.stat().st_size < max_bytes:
            return path
        index += 1


def archive_files(archive_dir: os.PathLike | str) -> list[Path]:
    """Every rotated live archive in recording order (month, then part), for `--replay`.

    A shell glob sorts `crawl-2026-11-001.warc.gz` before `crawl-2026-11.warc.gz` in most
    locales; replay serves a URL recorded several times in archive order, so order matters.
    """
    found = []
    for path in Path(archive_dir).glob("crawl-*.warc.gz"):
        match = _ARCHIVE_NAME.match(path.name)
        if match:
            year, month, part = match.groups()
            found.append(((int(year), int(month), int(part or 0)), path))
    return [path for _, path in sorted(found)]
