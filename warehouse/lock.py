"""One writer at a time: a crawl, build or publish holds `DIR/work/crawl.lock`.

DuckDB allows one writing process per file; this lock turns a second writer into a clear
message (or a wait) instead of a DuckDB lock error halfway through. Re-entrant within a
process, so `outages crawl` and the pipelines it runs share one hold.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path


class LockBusy(RuntimeError):
    """Another process holds the data directory's write lock."""


_held: dict[Path, tuple[int, int]] = {}  # path -> (fd, depth)


def acquire(path: Path, *, wait_seconds: float = 0.0) -> None:
    path = path.resolve()
    if path in _held:
        fd, depth = _held[path]
        _held[path] = (fd, depth + 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise LockBusy(
                    f"another crawl or build is running on this data directory (pid {holder}); "
                    f"wait for it to finish or use --wait SECONDS"
                ) from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held[path] = (fd, 1)


def release(path: Path) -> None:
    path = path.resolve()
    if path not in _held:
        return
    fd, depth = _held[path]
    if depth > 1:
        _held[path] = (fd, depth - 1)
        return
    del _held[path]
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
