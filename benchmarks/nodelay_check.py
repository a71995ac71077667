"""Does the server's TCP hold small replies back? Streamlit's own CLI against `outages serve`,
which sets TCP_NODELAY on the server's socket (outages/streamlit_launch.py), measured with
the crowd's protocol client.

    uv run python benchmarks/nodelay_check.py --data-dir DIR [--sessions 3] [--moves 5]

Streamlit 1.67 binds its listening socket itself (`starlette_server._bind_socket`) as
`socket.socket(family)`, whose protocol number is 0; asyncio sets TCP_NODELAY only on
connections whose socket says IPPROTO_TCP, so the server's connections keep Nagle's
algorithm. A reply written in pieces (headers, then a small body; a run's many small
ForwardMsgs) then waits for the client's ACK of the first piece, which the client delays
(about 40 ms on Linux). This script runs both servers one after the other and prints, for
each, the time of `/_stcore/health` on a kept-alive connection and the protocol client's
first renders and slider steps, one session at a time (no crowd: the latency, not the load).

"stock" is `python -m streamlit` with `outages serve`'s arguments (what `outages serve` ran
before streamlit_launch); "tcp_nodelay" is `outages serve` itself. Prints JSON; appends
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_crowd_protocol as protocol  # noqa: E402
from _benchlib import OUT_DIR  # noqa: E402
from bench_map import free_port, start_server, stop_server  # noqa: E402

from outages.cli import serve_command  # noqa: E402


def health_ms(port: int, times: int = 10) -> list[float]:
    """`/_stcore/health` again and again on one kept-alive connection (the first is fresh)."""
    conn = http.client.HTTPConnection("localhost", port, timeout=30)
    out = []
    try:
        for _ in range(times):
            started = time.perf_counter()
            conn.request("GET", "/_stcore/health")
            conn.getresponse().read()
            out.append(round(1000 * (time.perf_counter() - started), 1))
    finally:
        conn.close()
    return out


async def sessions(base: str, n: int, moves: int) -> dict[str, Any]:
    http = protocol.Http(workers=8)
    try:
        await protocol.visit(base, http, moves=1)  # the warm-up: the cube built
        firsts, steps, errors = [], [], []
        for _ in range(n):
            report = await protocol.visit(base, http, moves=moves)
            errors += report["errors"]
            if report["first_render_s"] is not None:
                firsts.append(round(1000 * report["first_render_s"], 1))
            steps += [round(1000 * s, 1) for s in report["steps_s"]]
    finally:
        http.close()
    return {
        "first_render_ms": firsts,
        "step_ms": sorted(steps),
        "step_ms_median": statistics.median(steps) if steps else None,
        "errors": errors,
    }


def measure(data_dir: Path, nodelay: bool, n: int, moves: int) -> dict[str, Any]:
    port = free_port()
    log = OUT_DIR / f"nodelay-check-{'nodelay' if nodelay else 'stock'}.log"
    # outages serve's own command line, run by Streamlit's CLI instead of streamlit_launch
    stock = [sys.executable, "-m", "streamlit", *serve_command(port)[3:]]
    command = None if nodelay else stock
    proc = start_server(data_dir, port, log, command)
    try:
        health = health_ms(port)
        result = asyncio.run(sessions(f"http://localhost:{port}/", n, moves))
    finally:
        stop_server(proc)
    return {"health_keepalive_ms": health, **result}


def probe_proto() -> int:
    """The protocol number of `socket.socket(AF_INET)`, as Streamlit makes it: 0."""
    with socket.socket(socket.AF_INET) as probe:
        return probe.proto


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--moves", type=int, default=5)
    args = ap.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir.resolve()
    result = {
        "stock": measure(data_dir, False, args.sessions, args.moves),
        "tcp_nodelay": measure(data_dir, True, args.sessions, args.moves),
        "socket_proto_of_socket_family_only": probe_proto(),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
