"""The public web server: the Streamlit app as an ASGI app (`st.App`), its static files from memory.

`outages serve` runs `streamlit run outages/webserver.py`; Streamlit finds the `app` below
and serves app.py through it. What this adds to a plain `streamlit run app.py` (issue 19,
measured by benchmarks/bench_crowd.py): every new visitor fetches Streamlit's frontend bundle
(a few MB of JavaScript) and the map component's files, the outlines `shapes.json` (540 KB)
among them. Streamlit reads each file from disk again for every request, and compresses the
component's files with gzip level 9 every time (about 0.15 s of CPU per visitor for
`shapes.json` alone); under a crowd of first visits that was about half of the server's
work. Here those files are read and compressed once, then answered from memory (with the
same cache headers as Streamlit's, an ETag and 304s), so the server's CPU goes to the
sessions. Anything else, and any file that is not there, goes on to Streamlit unchanged.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from starlette.middleware import Middleware
from streamlit import file_util
from streamlit.starlette import App
from streamlit.web.server.starlette.starlette_static_routes import (
    STATIC_ASSET_CACHE_MAX_AGE_SECONDS,
)

from webapp.shapes import FRONTEND_DIR

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_BYTES = 16 * 1024 * 1024
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")

# URL prefix -> (folder, Cache-Control). Streamlit's bundle is content-hashed ("immutable",
# as Streamlit says); a component's files are "public" (Streamlit's own header for them),
# their URLs carry a version where it matters (`shapes.json?v=`).
MOUNTS: dict[str, tuple[Path, str]] = {
    "/static/": (
        Path(file_util.get_static_dir()) / "static",
        f"public, immutable, max-age={STATIC_ASSET_CACHE_MAX_AGE_SECONDS}",
    ),
    "/component/webapp.mapview.choropleth/": (FRONTEND_DIR, "public"),
}


@dataclass(frozen=True)
class Entry:
    """One file as served: its bytes, gzipped bytes (None: not worth it), headers."""

    stamp: tuple[int, int]  # (mtime_ns, size): reread when the file changes
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


def _load(path: Path, stamp: tuple[int, int]) -> Entry:
    body = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    gzipped = None
    if content_type.startswith(COMPRESSIBLE) and len(body) >= 1024:
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    return Entry(stamp, body, gzipped, content_type, f'"{stamp[0]:x}-{stamp[1]:x}"')


class StaticFromMemory:
    """ASGI middleware: GET/HEAD of a file under one of `mounts`, from memory.

    Paths with `..`, hidden parts, folders, HTML (Streamlit's index and the component's
    page stay Streamlit's: it sets no-cache and CORS on them) and missing files fall through.
    """

    def __init__(self, app: Any, mounts: dict[str, tuple[Path, str]] | None = None) -> None:
        self.app = app
        self.mounts = {p: (root.resolve(), cc) for p, (root, cc) in (mounts or MOUNTS).items()}
        self._entries: dict[str, Entry] = {}
        # One load per file at a time: a crowd arriving after a restart would otherwise have
        # every first visitor read and gzip (level 9) the same files at once (issue 19:
        # 193-280 ms of server CPU per first render at 50 sessions, 30-60 ms once loaded).
        self._loading: dict[str, anyio.Lock] = {}

    def _find(self, url_path: str) -> tuple[Path, str] | None:
        for prefix, (root, cache_control) in self.mounts.items():
            if not url_path.startswith(prefix):
                continue
            rest = url_path[len(prefix) :]
            parts = rest.split("/")
            if not rest or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
                return None
            if "\\" in rest or "\x00" in rest or rest.endswith((".html", ".htm")):
                return None
            return root.joinpath(*parts), cache_control
        return None

    async def _entry(self, path: Path) -> Entry | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not os.path.isfile(path) or st.st_size > MAX_FILE_BYTES:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        key = str(path)
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp:
            async with self._loading.setdefault(key, anyio.Lock()):
                entry = self._entries.get(key)  # loaded while this request waited?
                if entry is None or entry.stamp != stamp:
                    # read and compress off the event loop: once per file (and version)
                    entry = await anyio.to_thread.run_sync(_load, path, stamp)
                    self._entries[key] = entry
        return entry

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        found = self._find(scope.get("path", ""))
        entry = await self._entry(found[0]) if found else None
        if entry is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        base = [
            (b"cache-control", found[1].encode()),
            (b"etag", entry.etag.encode()),
            (b"vary", b"Accept-Encoding"),
        ]
        if entry.etag in (t.strip() for t in headers.get("if-none-match", "").split(",")):
            await send({"type": "http.response.start", "status": 304, "headers": base})
            await send({"type": "http.response.body", "body": b""})
            return
        accepts = headers.get("accept-encoding", "")
        use_gzip = entry.gzipped is not None and "gzip" in accepts.lower()
        body = entry.gzipped if use_gzip else entry.body
        out = base + [
            (b"content-type", entry.content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if use_gzip:
            out.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


app = App(str(PROJECT_ROOT / "app.py"), middleware=[Middleware(StaticFromMemory)])
