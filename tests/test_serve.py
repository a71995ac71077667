"""`outages serve`: the Streamlit options of the public server (issue 19)."""

from __future__ import annotations

from streamlit import config

from outages.cli import SERVE_OPTIONS, serve_command


def test_serve_options_are_streamlit_options_with_valid_values() -> None:
    """A renamed or retyped option would make `streamlit run` refuse to start, or be ignored."""
    options = config.get_config_options()
    for name, value in SERVE_OPTIONS.items():
        assert name in options, f"Streamlit has no option {name}"
        option = options[name]
        default = option.default_val
        if isinstance(default, bool):
            assert value in ("true", "false"), (name, value)
        if name == "server.fileWatcherType":
            assert value in ("auto", "watchdog", "poll", "none")


def test_serve_command_turns_off_the_per_session_watcher_and_the_gc_after_each_run() -> None:
    command = serve_command(8765, "0.0.0.0")
    pairs = dict(zip(command[5::2], command[6::2], strict=True))
    assert command[2:4] == ["outages.streamlit_launch", "run"]
    assert pairs["--server.port"] == "8765"
    assert pairs["--server.address"] == "0.0.0.0"
    assert pairs["--server.fileWatcherType"] == "none"
    assert pairs["--runner.postScriptGC"] == "false"
    assert pairs["--client.toolbarMode"] == "viewer"


# ---------------------------------------------------------------------------- static files
def call(app, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    """One request through an ASGI app: (status, headers, body)."""
    import asyncio

    sent: list[dict] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    head = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


async def streamlit_stand_in(scope, receive, send) -> None:
    """What the middleware passes on to: answers 418, so a pass-through is visible."""
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b"streamlit"})


def test_static_files_come_from_memory_gzipped_once_with_an_etag(tmp_path) -> None:
    import gzip

    from outages.webserver import StaticFromMemory

    (tmp_path / "js").mkdir()
    script = b"console.log('map');\n" * 200
    (tmp_path / "js" / "app.js").write_bytes(script)
    app = StaticFromMemory(streamlit_stand_in, {"/static/": (tmp_path, "public, immutable")})

    status, head, body = call(app, "/static/js/app.js", headers={"Accept-Encoding": "gzip, br"})
    assert status == 200 and head["content-encoding"] == "gzip"
    assert gzip.decompress(body) == script
    assert head["cache-control"] == "public, immutable"
    assert "javascript" in head["content-type"]
    assert int(head["content-length"]) == len(body) < len(script)

    status, head2, body = call(app, "/static/js/app.js")  # no gzip asked for: plain bytes
    assert status == 200 and "content-encoding" not in head2 and body == script

    status, _, body = call(app, "/static/js/app.js", headers={"If-None-Match": head["etag"]})
    assert status == 304 and body == b""

    status, _, body = call(app, "/static/js/app.js", method="HEAD")
    assert status == 200 and body == b""

    # a rebuilt file is served anew (its size and time change, so does the ETag)
    (tmp_path / "js" / "app.js").write_bytes(b"console.log('new');\n" * 300)
    status, head3, body = call(app, "/static/js/app.js")
    assert body == b"console.log('new');\n" * 300 and head3["etag"] != head["etag"]


def test_a_crowd_asking_for_a_file_at_once_reads_and_gzips_it_once(tmp_path, monkeypatch) -> None:
    import asyncio
    import threading

    from outages import webserver

    (tmp_path / "shapes.json").write_bytes(b'{"outlines": []}' * 500)
    loads: list[str] = []
    release = threading.Event()
    real_load = webserver._load

    def slow_load(path, stamp):  # held until every request has arrived
        loads.append(path.name)
        release.wait(timeout=30)
        return real_load(path, stamp)

    monkeypatch.setattr(webserver, "_load", slow_load)
    app = webserver.StaticFromMemory(streamlit_stand_in, {"/c/": (tmp_path, "public")})

    async def one(sent: list) -> None:
        scope = {"type": "http", "method": "GET", "path": "/c/shapes.json", "headers": []}

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)

    async def crowd() -> list[list]:
        answers: list[list] = [[] for _ in range(8)]
        tasks = [asyncio.create_task(one(sent)) for sent in answers]
        while not loads:  # the first request is loading; the others queue behind it
            await asyncio.sleep(0.01)
        for _ in range(20):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks)
        return answers

    answers = asyncio.run(crowd())
    assert loads == ["shapes.json"]
    assert [a[0]["status"] for a in answers] == [200] * 8
    assert len({a[1]["body"] for a in answers}) == 1


def test_everything_else_goes_on_to_streamlit(tmp_path) -> None:
    from outages.webserver import StaticFromMemory

    (tmp_path / "index.html").write_text("<html></html>")
    (tmp_path / ".secret").write_text("x")
    (tmp_path / "sub").mkdir()
    app = StaticFromMemory(streamlit_stand_in, {"/static/": (tmp_path, "public")})
    for path in (
        "/static/index.html",  # Streamlit's pages keep its no-cache and CORS headers
        "/static/missing.js",  # Streamlit answers unknown paths (its index, or a 404)
        "/static/../pyproject.toml",
        "/static/sub",
        "/static/.secret",
        "/static/",
        "/_stcore/health",
        "/map",
    ):
        assert call(app, path)[0] == 418, path
    assert call(app, "/static/sub/x.js", method="POST")[0] == 418


def test_the_served_map_outlines_are_the_component_file() -> None:
    import gzip

    from outages.webserver import MOUNTS, StaticFromMemory
    from webapp.shapes import SHAPES_FILE

    app = StaticFromMemory(streamlit_stand_in)
    assert "/component/webapp.mapview.choropleth/" in MOUNTS
    status, head, body = call(
        app,
        "/component/webapp.mapview.choropleth/shapes.json",
        headers={"Accept-Encoding": "gzip"},
    )
    assert status == 200 and head["content-type"] == "application/json"
    assert gzip.decompress(body) == SHAPES_FILE.read_bytes()


# ---------------------------------------------------------------------------- TCP_NODELAY
def test_the_server_socket_sends_small_replies_at_once() -> None:
    """outages/streamlit_launch.py: Streamlit's listening socket gets TCP_NODELAY, and so
    every connection it accepts (else a small reply waits ~40 ms for a delayed ACK)."""
    import socket

    from streamlit.web.server.starlette import starlette_server

    from outages import streamlit_launch

    original = starlette_server._bind_socket  # a rename in a Streamlit upgrade fails here
    try:
        assert streamlit_launch.patch_streamlit()
        assert streamlit_launch.patch_streamlit()  # twice: wrapped once
        assert starlette_server._bind_socket.__closure__[0].cell_contents is original
        listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
        with listener, socket.create_connection(listener.getsockname()):
            listener.setblocking(True)
            accepted, _ = listener.accept()
            with accepted:
                # Streamlit's own socket: protocol 0, which asyncio leaves as it is
                assert accepted.proto == 0
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        plain = original("127.0.0.1", 0, 8)
        with plain:
            assert plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    finally:
        starlette_server._bind_socket = original
