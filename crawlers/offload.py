"""Per-page work that releases the GIL, run beside the reactor thread instead of on it.

In a backfill the crawl process is the busy one (its parse workers wait on it), and some of
what it does per page is C code that lets go of the GIL: inflating a gzip body (zlib),
hashing a body for page memory (hashlib, for data over 2 kB). Run on the reactor thread,
each blocks every other page meanwhile; in a thread, it runs on the second core while the
reactor goes on with the next response (issue 19). Only pure functions go there: they get
the page's bytes and give back a value; Scrapy's own objects are touched on the reactor
thread alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

_T = TypeVar("_T")

# Below this many bytes the hop to a thread and back costs more than the work it moves.
MIN_BYTES = 16 * 1024
# Two threads: one page inflating while another is hashed; more would only queue for cores.
_THREADS = 2
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="outages-offload")
        return _pool


async def off_reactor(size: int, func: Callable[..., _T], *args: Any) -> _T:
    """`func(*args)`, in a thread when the data is `size` >= MIN_BYTES and an asyncio loop
    runs this coroutine (Scrapy's default reactor; under a plain Twisted reactor there is no
    loop to wait on); on this thread otherwise. Exceptions are raised here, as if it had
    run here."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if size < MIN_BYTES or loop is None:
        return func(*args)
    return await loop.run_in_executor(_executor(), func, *args)
