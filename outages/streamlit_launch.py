"""`outages serve`'s Streamlit: Streamlit's own command line, with TCP_NODELAY on its socket.

    python -m outages.streamlit_launch run outages/webserver.py [Streamlit's options]

Streamlit (1.67, Starlette mode) binds the listening socket itself, as
`socket.socket(family)`: its protocol number is 0, and asyncio sets TCP_NODELAY only on
accepted connections whose socket says IPPROTO_TCP. So every connection kept Nagle's
algorithm, and a reply written in pieces (headers, then a small body; a run's many small
ForwardMsgs on the WebSocket) waited for the client's delayed ACK of the first piece, about
40 ms on Linux: most of a slider step (43.7 -> 12.4 ms, a first render 139-188 -> 27-42 ms,
benchmarks/nodelay_check.py, issue 19). The same cause in uvicorn, with a pre-bound socket:
github.com/Kludex/uvicorn/issues/3149.

The fix here sets TCP_NODELAY on the listening socket Streamlit's `_bind_socket` returns;
Linux copies it to every connection accepted from it. `_bind_socket` is Streamlit's private
function: if a Streamlit upgrade renames it, the server starts as before (with Nagle), says
so in its log, and tests/test_serve.py fails, so the upgrade does not lose this silently.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def with_nodelay(bind: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    """`bind`, whose listening socket then has TCP_NODELAY (inherited by what it accepts)."""

    def bind_with_nodelay(*args: Any, **kwargs: Any) -> socket.socket:
        sock = bind(*args, **kwargs)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    bind_with_nodelay.with_nodelay = True  # type: ignore[attr-defined]
    return bind_with_nodelay


def patch_streamlit() -> bool:
    """Put `with_nodelay` around Streamlit's `_bind_socket`; False if it is not there."""
    from streamlit.web.server.starlette import starlette_server

    bind = getattr(starlette_server, "_bind_socket", None)
    if bind is None:
        logger.warning(
            "streamlit.web.server.starlette.starlette_server._bind_socket is gone: the "
            "server's connections keep Nagle's algorithm (about 40 ms more per small reply)"
        )
        return False
    if not getattr(bind, "with_nodelay", False):
        starlette_server._bind_socket = with_nodelay(bind)
    return True


def main() -> None:
    patch_streamlit()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(args=sys.argv[1:], prog_name="streamlit")


if __name__ == "__main__":
    main()
