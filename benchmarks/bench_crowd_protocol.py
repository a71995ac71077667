"""The crowd without browsers: N Streamlit sessions spoken to in Streamlit's own protocol.

    uv run python benchmarks/bench_crowd.py --client protocol --data-dir DIR
        [--sessions 1,10,25,50] [--moves 5] [--static] [--compare-browser] [--no-append]

`bench_crowd.py` (the browser client) measures N Chromium contexts on the server's two
cores: at 50 sessions the contexts' own rendering took 256 s of CPU against the server's
7.5 s, so its first-render times were the benchmark's browser, not the server. This client
does what Streamlit's frontend does on the wire and nothing else (no JavaScript, no layout,
no drawing), N sessions in one asyncio process, so the figures are the server's:

1. GET the page (and, with `--static`, the files the page names: the bundle's entry, its
   module preloads and stylesheet, then the map component's page, script, style and
   outlines once the map's delta has come: timed and counted apart; the bundle's lazily
   imported chunks, which only running the JavaScript finds, are not fetched), then
   `/_stcore/health` and `/_stcore/host-config` as the frontend does before it connects;
2. open `ws://HOST:PORT/_stcore/stream` with the subprotocols as the server reads them
   (`starlette_websocket._parse_subprotocols`: `streamlit`, then the XSRF token from the
   `_streamlit_xsrf` cookie), a same-origin Origin and the cookie, and send the first
   BackMsg `rerun_script` as Chromium's frontend does (captured from one: empty widget
   states, no page hash, the browser's context: time zone, locale, URL);
3. read ForwardMsgs until `script_finished` of that run: the first render is from the GET
   until then; the arrival of the map component's delta (its `json_args`, the map's
   payload) is reported apart;
4. move the Period slider `--moves` times, one step of its start each (what ArrowRight on
   the start thumb does in bench_crowd): a `rerun_script` whose ClientState holds every
   widget's current value (the frontend sends them all, not only the changed one), the
   slider's fragment id, the page's script hash, the query string of the widgets bound to
   it, and the hashes of the cached messages; a step is from the send until the run's
   `script_finished` and the map's new delta have both arrived.

The ForwardMsg cache is handled as the frontend's `ForwardMsgCache`: messages the server
marks `cacheable` are kept by hash, aged by finished runs and dropped past the server's
`max_cached_message_age`; every rerun reports the kept hashes, and the server then sends a
`ref_hash` in place of a message the client holds, which is resolved from the cache (a
miss is an error: Streamlit 1.67 has no endpoint to fetch a message by hash).

Errors: an `exception` element, a compile error (`script_finished` so, or a session event
with `script_compilation_exception`), the socket closed before the session ended, a cache
miss, an HTTP error, or a wait over 180 s.

What it does not measure: the browser's own work (running Streamlit's frontend, laying out
the page, drawing 3,000 county outlines: 2 to 4 s of CPU per first render in bench_crowd),
the lazily loaded bundle chunks (about 35 more requests per first visit), and, without
`--static`, any static file: a real first visit costs the server those requests too
(issue 19 moved them into memory; in bench_crowd's profile they are most of the HTTP work).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import http.client
import json
import os
import queue
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psutil
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchlib import OUT_DIR, percentile  # noqa: E402
from bench_crowd import (  # noqa: E402
    RssSampler,
    browser_launch,
    close_session,
    load_session,
    move_slider,
    open_session,
    start_plain_streamlit,
    start_profile,
    stop_profile,
    summary,
    tree_cpu_s,
    tree_rss_mb,
)
from bench_map import free_port, start_server, stop_server  # noqa: E402

TIMEOUT_S = 180.0  # one wait of one session; longer counts as an error (as bench_crowd)
MAP_COMPONENT = "webapp.mapview.choropleth"
SLIDER_LABEL = "Period"
HTTP_PARALLEL = 6  # a browser's connections per host over HTTP/1.1
XSRF_COOKIE = "_streamlit_xsrf"
FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# what Chromium's frontend reports about itself in the first rerun (bench_crowd's contexts)
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "color_scheme": "light"}
ASSET_RE = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="\./(static/[^"]+)"')
COMPONENT_ASSET_RE = re.compile(r'(?:src|href)="([^":/?#][^":?#]*)"')


class SessionError(Exception):
    """What ends one session's measurement (its error, not the run's)."""


# ----------------------------------------------------------------------------- HTTP
def session_error(stage: str, exc: BaseException) -> str:
    """How a session's error is reported: its stage and what went wrong."""
    if isinstance(exc, SessionError):
        return f"{stage}: {exc}"
    if isinstance(exc, ConnectionClosed):
        return f"{stage}: websocket closed: {exc}"
    return f"{stage}: {type(exc).__name__}: {exc}"


class Http:
    """Blocking GETs in threads, as a browser makes them: HTTP/1.1, gzip accepted, up to
    six kept-alive connections per visitor (`Connections`), enough threads for everyone.

    The stdlib's http.client, not a new dependency; no proxy (the server is on this
    machine). A fresh connection per request would cost the server a connection set-up for
    each of a first visit's ~70 files, which a browser does not."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(4, workers), thread_name_prefix="http")

    async def get(self, conns: Connections, path: str, cookie: str = "") -> Response:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.pool, conns.get, path, cookie)
        except (http.client.HTTPException, OSError) as exc:
            raise SessionError(f"http: {path}: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class Response:
    status: int
    body: bytes  # as it came (gzipped, if the server gzipped it): what was transferred
    cookies: list[str]
    gzipped: bool

    def text(self) -> str:
        return (gzip.decompress(self.body) if self.gzipped else self.body).decode(
            "utf-8", "replace"
        )


class Connections:
    """One visitor's kept-alive connections to the server (at most HTTP_PARALLEL)."""

    def __init__(self, host: str, port: int, size: int = HTTP_PARALLEL) -> None:
        self.host, self.port = host, port
        self.free: queue.LifoQueue[http.client.HTTPConnection | None] = queue.LifoQueue()
        self.opened: list[http.client.HTTPConnection] = []
        for _ in range(size):
            self.free.put(None)

    def _new(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
        self.opened.append(conn)
        return conn

    def get(self, path: str, cookie: str) -> Response:
        headers = {"Accept-Encoding": "gzip", "User-Agent": "bench-crowd-protocol"}
        if cookie:
            headers["Cookie"] = cookie
        conn = self.free.get()
        try:
            for attempt in (1, 2):
                conn = conn or self._new()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    conn.close()  # the server closed a kept-alive connection: once more
                    conn = None
                    if attempt == 2:
                        raise
            if response.will_close:
                conn.close()
                conn = None
            return Response(
                response.status,
                body,
                response.headers.get_all("Set-Cookie") or [],
                response.headers.get("Content-Encoding") == "gzip",
            )
        finally:
            self.free.put(conn)

    def close(self) -> None:
        for conn in self.opened:
            conn.close()


# ----------------------------------------------------------------------------- messages
class MessageCache:
    """The frontend's ForwardMsgCache: cacheable messages by hash, aged by finished runs."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[bytes, int]] = {}  # hash -> (encoded message, run seen)
        self.runs = 0
        self.max_age = 2  # replaced by the server's config.max_cached_message_age
        self.hits = 0

    def resolve(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg:
        """The message itself (kept if cacheable), or the one a `ref_hash` points to."""
        if msg.WhichOneof("type") != "ref_hash":
            if msg.metadata.cacheable and msg.hash:
                self.entries[msg.hash] = (raw, self.runs)
            return msg
        entry = self.entries.get(msg.ref_hash)
        if entry is None:
            raise SessionError(f"cache miss: ref_hash {msg.ref_hash}")
        self.entries[msg.ref_hash] = (entry[0], self.runs)  # a use makes it young again
        self.hits += 1
        full = ForwardMsg()
        full.ParseFromString(entry[0])
        full.metadata.CopyFrom(msg.metadata)  # the reference carries where it goes now
        return full

    def run_finished(self) -> None:
        self.runs += 1
        for key in [k for k, (_, seen) in self.entries.items() if self.runs - seen > self.max_age]:
            del self.entries[key]

    def hashes(self) -> list[str]:
        return list(self.entries)


def widget_value(kind: str, widget: Any) -> WidgetState | None:
    """A widget's value as the frontend first reports it (its default, or the value the
    script set), or None for widgets without a value until used (buttons, components)."""
    state = WidgetState(id=widget.id)
    if kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "text_input":
        state.string_value = widget.value if widget.set_value else widget.default
    elif kind == "button_group":
        if widget.set_value:
            state.string_array_value.data.extend(widget.raw_values)
        else:
            state.string_array_value.data.extend(widget.options[i].content for i in widget.default)
    elif kind == "slider" and widget.options:  # st.select_slider: the option labels
        if widget.set_value:
            state.string_array_value.data.extend(widget.raw_value)
        else:
            state.string_array_value.data.extend(widget.options[int(i)] for i in widget.default)
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if widget.set_value else widget.default)
    else:
        return None
    return state


@dataclass
class Slider:
    id: str
    options: list[str]
    fragment_id: str
    query_key: str


@dataclass
class Run:
    """What one script run brought: its finish, the map's payload, when."""

    sent_at: float
    run_id: str = ""
    finished_at: float | None = None
    status: int | None = None
    map_at: float | None = None
    map_args: str | None = None


@dataclass
class ProtocolSession:
    """One visitor, as Streamlit's frontend speaks to the server, without rendering."""

    base: str  # http://host:port/
    http: Http
    static: bool = False
    clock: Callable[[], float] = time.perf_counter
    errors: list[str] = field(default_factory=list)
    widgets: dict[str, WidgetState] = field(default_factory=dict)
    defaults: dict[str, WidgetState] = field(default_factory=dict)
    query_keys: dict[str, str] = field(default_factory=dict)  # widget id -> query param
    slider: Slider | None = None
    page_hash: str = ""
    cache: MessageCache = field(default_factory=MessageCache)
    ws: ClientConnection | None = None
    cookie: str = ""
    closing: bool = False
    received_bytes: int = 0
    received_messages: int = 0
    largest_message: int = 0
    sent_messages: int = 0
    last_sent: BackMsg | None = None  # the latest rerun request, as sent (for the tests)
    first_map_args: str = ""  # the map's arguments (JSON) of the first render, whole
    static_files: int = 0
    static_bytes: int = 0
    static_s: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ HTTP part
    def __post_init__(self) -> None:
        where = urlsplit(self.base)
        self.conns = Connections(where.hostname or "localhost", where.port or 80)
        # a thread only for a request that has a connection: no visitor holds the others'
        self.gate = asyncio.Semaphore(HTTP_PARALLEL)

    def _take_cookies(self, set_cookies: list[str]) -> None:
        jar: SimpleCookie = SimpleCookie()
        for header in set_cookies:
            with contextlib.suppress(Exception):
                jar.load(header)
        if XSRF_COOKIE in jar:
            self.cookie = f"{XSRF_COOKIE}={jar[XSRF_COOKIE].value}"

    async def _get(self, path: str) -> Response:
        """GET `path` (from the root), on one of this visitor's connections; 200 or error."""
        async with self.gate:
            response = await self.http.get(self.conns, path, self.cookie)
        if response.status != 200:
            raise SessionError(f"http {response.status}: {path}")
        self._take_cookies(response.cookies)
        return response

    async def _fetch_all(self, paths: list[str]) -> None:
        started = self.clock()

        async def one(path: str) -> None:
            response = await self._get(path)
            self.static_files += 1
            self.static_bytes += len(response.body)

        await asyncio.gather(*(one(p) for p in paths))
        self.static_s += self.clock() - started

    async def _component_assets(self, map_args: str) -> None:
        """The map frame's page, then the files it names (shapes.json as the map asks)."""
        root = f"/component/{MAP_COMPONENT}/"
        started = self.clock()
        page = await self._get(root + "index.html")
        self.static_files += 1
        self.static_bytes += len(page.body)
        self.static_s += self.clock() - started
        names = COMPONENT_ASSET_RE.findall(page.text())
        args = json.loads(map_args or "{}")
        if args.get("shapes"):
            names.append(args["shapes"])
        await self._fetch_all([root + n for n in dict.fromkeys(names)])

    # ------------------------------------------------------------------ WebSocket part
    async def _send_rerun(self, *, first: bool, fragment_id: str = "") -> Run:
        back = BackMsg()
        state = back.rerun_script
        state.widget_states.SetInParent()
        if not first:
            state.widget_states.widgets.extend(self.widgets.values())
            state.page_script_hash = self.page_hash
            state.fragment_id = fragment_id
            state.cached_message_hashes.extend(self.cache.hashes())
            state.query_string = self._query_string()
        info = state.context_info
        info.timezone, info.timezone_offset = CONTEXT["timezone"], CONTEXT["timezone_offset"]
        info.locale, info.color_scheme = CONTEXT["locale"], CONTEXT["color_scheme"]
        info.url, info.is_embedded = self.base, False
        run = Run(sent_at=self.clock())
        assert self.ws is not None
        await self.ws.send(back.SerializeToString())
        self.sent_messages += 1
        self.last_sent = back
        return run

    def _query_string(self) -> str:
        """The URL's query as the frontend keeps it: bound widgets away from their default."""
        pairs: list[tuple[str, str]] = []
        for wid, key in self.query_keys.items():
            now, default = self.widgets.get(wid), self.defaults.get(wid)
            if now is None or now == default:
                continue
            kind = now.WhichOneof("value")
            value = getattr(now, kind)
            values = list(value.data) if hasattr(value, "data") else [value]
            pairs += [(key, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
        return urlencode(pairs)

    def _element(self, delta: Any, at: float, run: Run) -> None:
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.type}: {element.exception.message}")
            return
        if kind == "component_instance":
            comp = element.component_instance
            if comp.component_name == MAP_COMPONENT:
                run.map_at, run.map_args = at, comp.json_args
            return
        widget = getattr(element, kind, None) if kind else None
        wid = getattr(widget, "id", "")
        if not wid:
            return
        value = widget_value(kind, widget)
        if value is None:
            return
        self.defaults.setdefault(wid, value)
        if wid not in self.widgets or getattr(widget, "set_value", False):
            self.widgets[wid] = value  # the frontend keeps what the visitor set
        if getattr(widget, "query_param_key", ""):
            self.query_keys[wid] = widget.query_param_key
        if kind == "slider" and widget.label == SLIDER_LABEL and widget.options:
            self.slider = Slider(
                wid, list(widget.options), delta.fragment_id, widget.query_param_key
            )

    def _handle(self, msg: ForwardMsg, at: float, run: Run) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            run.run_id = msg.metadata.run.script_run_id
            self.cache.max_age = msg.new_session.config.max_cached_message_age or 2
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta, at, run)
        elif kind == "session_event":
            event = msg.session_event
            if event.HasField("script_compilation_exception"):
                exc = event.script_compilation_exception
                self.errors.append(f"compile error: {exc.type}: {exc.message}")
        elif kind == "script_finished":
            if run.run_id and msg.metadata.run.script_run_id not in ("", run.run_id):
                return  # the end of an earlier run, read late
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # the script asked for a rerun: the page is not done yet
            run.finished_at, run.status = at, msg.script_finished
            if msg.script_finished != ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.cache.run_finished()  # the frontend ages its cache on every good run
            if msg.script_finished not in FINISHED_OK:
                self.errors.append(f"script finished: {msg.script_finished}")

    async def _read_until_done(self, run: Run, want_map: bool) -> None:
        """ForwardMsgs of this run, until it finished (and the map came, if `want_map`)."""
        assert self.ws is not None
        deadline = self.clock() + TIMEOUT_S
        while run.finished_at is None or (want_map and run.map_at is None):
            if run.finished_at is not None and run.status not in FINISHED_OK:
                return
            left = deadline - self.clock()
            if left <= 0:
                raise SessionError(f"timeout: no script_finished within {TIMEOUT_S:.0f} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(decode=False), left)
            except TimeoutError as exc:
                raise SessionError(f"timeout: waited {TIMEOUT_S:.0f} s") from exc
            at = self.clock()
            self.received_messages += 1
            self.received_bytes += len(raw)
            self.largest_message = max(self.largest_message, len(raw))
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            self._handle(self.cache.resolve(msg, raw), at, run)
        if want_map and run.map_at is None:
            raise SessionError("the run finished without the map's payload")

    # ------------------------------------------------------------------ the visit
    async def load(self) -> None:
        """The first visit: the page, its connection, the first run: the first render."""
        res = self.result = {"first_render_s": None, "steps_s": [], "steps_map_s": []}
        try:
            t0 = self.clock()
            html = await self._get("/")
            res["html_s"] = self.clock() - t0
            if self.static:
                await self._fetch_all(["/" + p for p in ASSET_RE.findall(html.text())])
            for path in ("/_stcore/health", "/_stcore/host-config"):
                await self._get(path)
            ws_url = "ws" + self.base.removeprefix("http") + "_stcore/stream"
            xsrf = self.cookie.partition("=")[2]
            self.ws = await connect(
                ws_url,
                subprotocols=["streamlit", *([xsrf] if xsrf else [])],
                origin=self.base.rstrip("/"),
                additional_headers={"Cookie": self.cookie} if self.cookie else None,
                proxy=None,
                open_timeout=TIMEOUT_S,
                ping_interval=None,  # a browser does not ping; it answers the server's pings
                max_size=None,
                max_queue=None,
            )
            res["ws_open_s"] = self.clock() - t0
            run = await self._send_rerun(first=True)
            await self._read_until_done(run, want_map=True)
            assert run.finished_at is not None and run.map_at is not None
            res["first_render_s"] = run.finished_at - t0
            res["map_payload_s"] = run.map_at - t0
            res["run_s"] = run.finished_at - run.sent_at
            self._keep_map(run.map_args or "")
            self.first_map_args = run.map_args or ""
            res["first_map"] = dict(res["map"])
            res["messages_received"] = self.received_messages
            res["bytes_received"] = self.received_bytes
            if self.static:
                await self._component_assets(run.map_args or "")
        except (SessionError, ConnectionClosed, OSError) as exc:
            self.errors.append(session_error("load", exc))

    def _keep_map(self, args: str) -> None:
        data = args.encode()
        try:
            stamp = json.loads(args).get("stamp", "")
        except ValueError:
            stamp = ""
        self.result["map"] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "stamp": stamp,
        }

    async def move(self, steps: int = 1) -> None:
        """Move the Period slider's start by `steps` options (ArrowRight: +1), timed."""
        res = self.result
        if self.ws is None or res.get("first_render_s") is None:
            return
        try:
            if self.slider is None:
                raise SessionError(f"no slider labelled {SLIDER_LABEL!r} on the page")
            current = self.widgets[self.slider.id].string_array_value.data
            index = {label: i for i, label in enumerate(self.slider.options)}
            start, end = index[current[0]], index[current[1]]
            start = max(0, min(start + steps, end))
            moved = WidgetState(id=self.slider.id)
            moved.string_array_value.data.extend(
                [self.slider.options[start], self.slider.options[end]]
            )
            self.widgets[self.slider.id] = moved
            before = res["map"]["sha256"]
            run = await self._send_rerun(first=False, fragment_id=self.slider.fragment_id)
            await self._read_until_done(run, want_map=True)
            assert run.finished_at is not None and run.map_at is not None
            res["steps_s"].append(max(run.finished_at, run.map_at) - run.sent_at)
            res["steps_map_s"].append(run.map_at - run.sent_at)
            self._keep_map(run.map_args or "")
            res.setdefault("steps_changed_map", []).append(res["map"]["sha256"] != before)
        except (SessionError, ConnectionClosed, OSError) as exc:
            self.errors.append(session_error("step", exc))

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        self.conns.close()

    def report(self) -> dict[str, Any]:
        return dict(
            self.result,
            errors=list(self.errors),
            ws_bytes=self.received_bytes,
            ws_messages=self.received_messages,
            ws_largest=self.largest_message,
            messages_sent=self.sent_messages,
            cache_hits=self.cache.hits,
            static_files=self.static_files,
            static_bytes=self.static_bytes,
            static_s=round(self.static_s, 3),
        )


async def visit(base: str, http: Http, moves: int, static: bool = False) -> dict[str, Any]:
    """One whole session: load, `moves` steps, close (the warm-up, the test's helper)."""
    session = ProtocolSession(base, http, static=static)
    await session.load()
    for _ in range(moves):
        await session.move()
    await session.close()
    return session.report()


# ----------------------------------------------------------------------------- one level
class ClientCpu:
    """CPU seconds of the server's tree and of this process (the client) since `lap`."""

    def __init__(self, server_pid: int) -> None:
        self.server = [psutil.Process(server_pid), *psutil.Process(server_pid).children(True)]
        self.me = psutil.Process()
        self.last = self._now()

    def _now(self) -> tuple[float, float]:
        return tree_cpu_s(self.server), tree_cpu_s([self.me])

    def lap(self) -> dict[str, float]:
        now = self._now()
        server, client = (round(a - b, 3) for a, b in zip(now, self.last, strict=True))
        self.last = now
        return {"server_cpu_s": server, "client_cpu_s": client}


async def level(
    n: int,
    data_dir: Path,
    moves: int,
    profile: bool = False,
    plain: bool = False,
    static: bool = False,
    compare_chromium: str | None = None,
) -> dict[str, Any]:
    """A fresh server, warmed by one session, then N protocol sessions at once (as
    bench_crowd.level: all N load together; once all have, all N move their sliders)."""
    port = free_port()
    base = f"http://localhost:{port}/"
    start = start_plain_streamlit if plain else start_server
    proc = start(data_dir, port, OUT_DIR / f"crowd-protocol-serve-{n}.log")
    http = Http(workers=n * (HTTP_PARALLEL if static else 1) + 4)
    spy = None
    compared = None
    try:
        # the warm-up builds the version's cube and, with --static, loads (and gzips) the
        # files into the server's memory once, as bench_crowd's browser warm-up does: else
        # the first visitors of the crowd would all compress the same files at once
        warm = await visit(base, http, moves=0, static=static)
        if compare_chromium:
            compared = await compare_with_browser(base, http, compare_chromium)
        await asyncio.sleep(2)
        rss_before = tree_rss_mb(proc.pid)
        if profile:
            spy = start_profile(proc.pid, OUT_DIR / f"crowd-protocol-profile-{n}.txt")
        sessions = [ProtocolSession(base, http, static=static) for _ in range(n)]
        cpu = ClientCpu(proc.pid)
        load0 = os.getloadavg()
        started = time.monotonic()
        with RssSampler(proc.pid) as sampler:
            await asyncio.gather(*(s.load() for s in sessions))
            load_wall = time.monotonic() - started
            load_cpu = cpu.lap()
            rss_loaded = tree_rss_mb(proc.pid)

            async def steps(session: ProtocolSession) -> None:
                for _ in range(moves):
                    await session.move()

            await asyncio.gather(*(steps(s) for s in sessions))
            wall = time.monotonic() - started
            step_cpu = cpu.lap()
            rss_open = tree_rss_mb(proc.pid)
            reports = [s.report() for s in sessions]
            await asyncio.gather(*(s.close() for s in sessions))
            await asyncio.sleep(2)
            rss_closed = tree_rss_mb(proc.pid)
        load1 = os.getloadavg()
    finally:
        stop_profile(spy)
        stop_server(proc)
        http.close()
    return level_result(
        n, moves, warm, reports, load_cpu, step_cpu, load_wall, wall, load0, load1,
        {"before": rss_before, "peak": sampler.peak, "connected": rss_open,
         "after_close": rss_closed, "loaded": rss_loaded},
        compared,
        profile=str(OUT_DIR / f"crowd-protocol-profile-{n}.txt") if spy else None,
    )  # fmt: skip


def level_result(
    n: int,
    moves: int,
    warm: dict[str, Any],
    reports: list[dict[str, Any]],
    load_cpu: dict[str, float],
    step_cpu: dict[str, float],
    load_wall: float,
    wall: float,
    load0: tuple[float, ...],
    load1: tuple[float, ...],
    rss: dict[str, float],
    compared: dict[str, Any] | None,
    profile: str | None = None,
) -> dict[str, Any]:
    renders = [r["first_render_s"] for r in reports if r["first_render_s"] is not None]
    maps = [r["map_payload_s"] for r in reports if r.get("map_payload_s") is not None]
    runs = [r["run_s"] for r in reports if r.get("run_s") is not None]
    steps = [t for r in reports for t in r["steps_s"]]
    step_maps = [t for r in reports for t in r["steps_map_s"]]
    errors = [e for r in reports for e in r["errors"]]
    first_maps = {r["first_map"]["sha256"] for r in reports if "first_map" in r}
    result: dict[str, Any] = {
        "sessions": n,
        "client": "protocol",
        "cold_first_render_s": round(warm["first_render_s"] or -1, 3),
        "cold_errors": warm["errors"],
        "first_render_s": summary(renders),
        "map_payload_s": summary(maps),
        "first_run_s": summary(runs),
        "step_s": summary(steps),
        "step_map_s": summary(step_maps),
        "steps_expected": n * moves,
        "steps_changed_map": sum(c for r in reports for c in r.get("steps_changed_map", [])),
        "sessions_with_errors": sum(1 for r in reports if r["errors"]),
        "errors": dict(Counter(errors).most_common(10)),
        "rss_mb": {k: round(rss[k], 1) for k in ("before", "peak", "connected", "after_close")},
        "rss_growth_mb_per_session": round((rss["connected"] - rss["before"]) / n, 2),
        "rss_loaded_mb": round(rss["loaded"], 1),
        "server_cpu_s": round(load_cpu["server_cpu_s"] + step_cpu["server_cpu_s"], 2),
        "client_cpu_s": round(load_cpu["client_cpu_s"] + step_cpu["client_cpu_s"], 2),
        "server_cpu_ms_per_first_render": round(1000 * load_cpu["server_cpu_s"] / n),
        "server_cpu_ms_per_step": round(1000 * step_cpu["server_cpu_s"] / max(1, n * moves)),
        "client_cpu_ms_per_first_render": round(1000 * load_cpu["client_cpu_s"] / n),
        "client_cpu_ms_per_step": round(1000 * step_cpu["client_cpu_s"] / max(1, n * moves)),
        "load_phase_wall_s": round(load_wall, 1),
        "wall_s": round(wall, 1),
        "map_payload_bytes": sorted({r["first_map"]["bytes"] for r in reports if "first_map" in r}),
        "first_map_digests": len(first_maps),  # 1: every session got the same first map
        "ws_bytes_per_session_median": int(percentile([r["ws_bytes"] for r in reports], 50)),
        "ws_messages_per_session_median": int(percentile([r["ws_messages"] for r in reports], 50)),
        "ws_largest_message_bytes": max(r["ws_largest"] for r in reports),
        "messages_sent_per_session_median": percentile([r["messages_sent"] for r in reports], 50),
        "cache_hits": sum(r["cache_hits"] for r in reports),
        "static_files_per_session_median": percentile([r["static_files"] for r in reports], 50),
        "static_bytes_per_session_median": percentile([r["static_bytes"] for r in reports], 50),
        "static_s": summary([r["static_s"] for r in reports if r["static_files"]]),
        "load_average_before": [round(x, 2) for x in load0],
        "load_average_after": [round(x, 2) for x in load1],
    }
    if compared is not None:
        result["browser_comparison"] = compared
    if profile:
        result["profile"] = profile
    return result


# ----------------------------------------------------------------------------- honesty check
async def compare_with_browser(base: str, http: Http, chromium: str) -> dict[str, Any]:
    """One browser session and one protocol session on the same warm server, one after the
    other: the map payload of the first render and of one slider step (ArrowRight on the
    start thumb, the same step as `move`), as digests and sizes, and both timings."""
    from playwright.async_api import async_playwright

    received: list[bytes] = []

    def on_socket(ws: Any) -> None:
        ws.on("framereceived", lambda p: received.append(p if isinstance(p, bytes) else b""))

    async with async_playwright() as pw:
        browser = await browser_launch(pw, chromium)
        state = await open_session(browser, base)
        state["page"].on("websocket", on_socket)
        await load_session(state, base)
        first_count = len(received)
        await move_slider(state, 1)
        await close_session(state)
        await browser.close()

    def map_args(frames: list[bytes]) -> list[str]:
        found = []
        for raw in frames:
            msg = ForwardMsg()
            with contextlib.suppress(Exception):
                msg.ParseFromString(raw)
                element = msg.delta.new_element
                if element.component_instance.component_name == MAP_COMPONENT:
                    found.append(element.component_instance.json_args)
        return found

    def digest(args: list[str]) -> dict[str, Any] | None:
        if not args:
            return None
        data = args[-1].encode()
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    mine = ProtocolSession(base, http)
    await mine.load()
    await mine.move()
    await mine.close()
    proto = mine.report()
    browser_first = digest(map_args(received[:first_count]))
    browser_step = digest(map_args(received[first_count:]))
    proto_first = _size_digest(proto.get("first_map"))
    proto_step = _size_digest(proto.get("map"))
    browser_res = state["result"]
    return {
        "browser": {
            "first_map": browser_first,
            "step_map": browser_step,
            "first_render_s": browser_res.get("first_render_s"),
            "step_s": browser_res.get("steps_s"),
            "errors": state["errors"],
        },
        "protocol": {
            "first_map": proto_first,
            "step_map": proto_step,
            "first_render_s": proto.get("first_render_s"),
            "map_payload_s": proto.get("map_payload_s"),
            "step_s": proto.get("steps_s"),
            "errors": proto["errors"],
        },
        "first_map_equal": bool(browser_first) and browser_first == proto_first,
        "step_map_equal": bool(browser_step) and browser_step == proto_step,
    }


def _size_digest(found: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"bytes": found["bytes"], "sha256": found["sha256"]} if found else None


def table(levels: list[dict[str, Any]]) -> str:
    head = (
        "| sessions | first render p50 / p95 | map payload p50 / p95 | slider step p50 / p95 "
        "| sessions with errors | server RSS before / peak / connected / after "
        "| growth per session | server / client CPU s "
        "| server CPU per first render / per step |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in levels:
        fr, mp, st, rss = r["first_render_s"], r["map_payload_s"], r["step_s"], r["rss_mb"]
        lines.append(
            f"| {r['sessions']} | {fr['p50']} / {fr['p95']} s | {mp['p50']} / {mp['p95']} s "
            f"| {st['p50']} / {st['p95']} s | {r['sessions_with_errors']} "
            f"| {rss['before']} / {rss['peak']} / {rss['connected']} / {rss['after_close']} MB "
            f"| {r['rss_growth_mb_per_session']} MB | {r['server_cpu_s']} / "
            f"{r['client_cpu_s']} | {r['server_cpu_ms_per_first_render']} / "
            f"{r['server_cpu_ms_per_step']} ms |"
        )
    return "\n".join(lines)
