"""The crowd's protocol client (benchmarks/bench_crowd_protocol.py) against a real server.

A real `outages serve` on the demo data dir, sessions that speak Streamlit's WebSocket
protocol as its frontend does: each must get its first run's script_finished and the map's
payload, and a slider step must bring a different payload. No timings are asserted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_crowd_protocol as protocol  # noqa: E402
from bench_map import free_port, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="module")
def base(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("crowd-protocol") / "serve.log"
    proc = start_server(demo_dir, port, log)
    try:
        yield f"http://localhost:{port}/"
    finally:
        stop_server(proc)


def run(coro):
    return asyncio.run(coro)


async def two_sessions_one_move(base: str) -> list[protocol.ProtocolSession]:
    http = protocol.Http(workers=4)
    sessions = [protocol.ProtocolSession(base, http) for _ in range(2)]
    try:
        await asyncio.gather(*(s.load() for s in sessions))  # at once, as the benchmark
        await asyncio.gather(*(s.move() for s in sessions))
        await asyncio.gather(*(s.close() for s in sessions))
    finally:
        http.close()
    return sessions


def test_each_session_renders_the_map_and_a_slider_step_changes_it(base: str) -> None:
    sessions = run(two_sessions_one_move(base))
    for session in sessions:
        report = session.report()
        assert report["errors"] == []
        # script_finished of the first run came, after the map's payload
        assert report["first_render_s"] is not None
        assert report["map_payload_s"] <= report["first_render_s"]
        first = report["first_map"]
        args = json.loads(session.first_map_args)
        assert first["bytes"] == len(session.first_map_args.encode())
        assert args["level"] == "county" and args["values"] and args["stamp"] == first["stamp"]
        # one step of the Period slider's start: a new payload, for the next month
        assert report["steps_changed_map"] == [True]
        assert len(report["steps_s"]) == 1
        before, after = first["stamp"].split("|"), report["map"]["stamp"].split("|")
        assert session.slider is not None
        options = session.slider.options
        assert before[2] == options[0] and after[2] == options[1]
        assert after[3] == before[3] == options[-1]
    # both sessions saw the same map: one published version, one cube
    assert sessions[0].report()["first_map"] == sessions[1].report()["first_map"]


def test_the_step_sends_every_widget_value_the_fragment_and_the_page_as_the_frontend(
    base: str,
) -> None:
    session = run(two_sessions_one_move(base))[0]
    sent = session.last_sent
    assert sent is not None and sent.WhichOneof("type") == "rerun_script"
    state = sent.rerun_script
    ids = {w.id for w in state.widget_states.widgets}
    # every widget the page showed with a value (toggles, the place box, the map's
    # controls, the slider), not only the one that changed
    assert ids == set(session.widgets) and len(ids) >= 5
    assert any(i.endswith("-period") for i in ids) and any(i.endswith("-level") for i in ids)
    slider = next(w for w in state.widget_states.widgets if w.id == session.slider.id)
    assert list(slider.string_array_value.data) == [
        session.slider.options[1],
        session.slider.options[-1],
    ]
    assert state.fragment_id == session.slider.fragment_id != ""
    assert state.page_script_hash == session.page_hash != ""
    assert f"{session.slider.query_key}={session.slider.options[1]}" in state.query_string
    # the map's first payload was cacheable: its hash is reported, so the server may refer
    assert list(state.cached_message_hashes)


def test_a_payload_seen_before_comes_back_as_a_cached_reference_and_is_resolved(
    base: str,
) -> None:
    async def there_and_back() -> protocol.ProtocolSession:
        http = protocol.Http(workers=2)
        session = protocol.ProtocolSession(base, http)
        try:
            await session.load()
            await session.move(+1)
            await session.move(-1)  # back to the first period: the server holds that delta
        finally:
            await session.close()
            http.close()
        return session

    session = run(there_and_back())
    report = session.report()
    assert report["errors"] == []
    assert report["steps_changed_map"] == [True, True]
    # the server sent a ref_hash for the map (the client had reported it), and the client
    # resolved it to the very payload of the first render
    assert report["cache_hits"] >= 1
    assert report["map"] == report["first_map"]


def test_a_level_of_two_sessions_summarizes_renders_steps_memory_and_cpu(demo_dir: Path) -> None:
    result = run(protocol.level(2, demo_dir, moves=1))
    assert result["sessions_with_errors"] == 0 and result["errors"] == {}
    assert result["first_render_s"]["n"] == 2 and result["step_s"]["n"] == 2
    assert result["steps_changed_map"] == 2 == result["steps_expected"]
    assert result["first_map_digests"] == 1
    assert result["rss_mb"]["peak"] >= result["rss_mb"]["before"] > 0
    assert result["server_cpu_s"] > 0
    assert "| 2 |" in protocol.table([result])


def test_a_socket_closed_under_a_session_is_that_sessions_error(
    demo_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    proc = start_server(demo_dir, port, tmp_path / "serve.log")

    async def cut_off() -> protocol.ProtocolSession:
        http = protocol.Http(workers=2)
        session = protocol.ProtocolSession(f"http://localhost:{port}/", http)
        try:
            await session.load()
            stop_server(proc)  # the server goes away while the session is open
            await session.move()
        finally:
            await session.close()
            http.close()
        return session

    try:
        session = run(cut_off())
    finally:
        stop_server(proc)
    report = session.report()
    assert report["first_render_s"] is not None and report["steps_s"] == []
    assert [e for e in report["errors"] if e.startswith("step: websocket closed")]


def test_with_static_files_a_visit_also_fetches_the_bundle_and_the_map_files(base: str) -> None:
    async def visit() -> dict:
        http = protocol.Http(workers=8)
        try:
            return await protocol.visit(base, http, moves=0, static=True)
        finally:
            http.close()

    report = run(visit())
    assert report["errors"] == []
    # the page's entry script, module preloads and stylesheet, then the map frame's page,
    # its script and style and the outlines it draws: dozens of files, counted apart
    assert report["static_files"] > 20
    assert report["static_bytes"] > 500_000  # as sent (gzipped): the bundle and the outlines
    assert report["first_render_s"] is not None


def test_an_exception_element_a_compile_error_and_a_cache_miss_are_errors() -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    http = protocol.Http(workers=1)
    try:
        session = protocol.ProtocolSession("http://localhost:9/", http)
        run_ = protocol.Run(sent_at=0.0)
        shown = ForwardMsg()
        shown.delta.new_element.exception.type = "ValueError"
        shown.delta.new_element.exception.message = "no such period"
        session._handle(shown, 1.0, run_)
        finished = ForwardMsg()
        finished.script_finished = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
        session._handle(finished, 2.0, run_)
        assert session.errors == [
            "exception: ValueError: no such period",
            f"script finished: {ForwardMsg.FINISHED_WITH_COMPILE_ERROR}",
        ]
        assert session.cache.runs == 0  # a compile error does not age the cache
        reference = ForwardMsg(ref_hash="not-held")
        with pytest.raises(protocol.SessionError, match="cache miss"):
            session.cache.resolve(reference, reference.SerializeToString())
    finally:
        http.close()
