"""Heavy work off the event loop, in a few threads of its own, behind a short queue.

FastAPI's shared thread pool runs up to 40 threads and queues without end: forty copies
of one heavy request (an upload to unzip and map, a store to copy and re-derive) took
every thread that ``/healthz`` needed and held gigabytes. Each kind of heavy work gets a
:class:`WorkQueue` instead: ``threads`` at a time (each holds the GIL most of the time,
so more would only slow the event loop), ``waiting`` more in line, and past that the
request is refused at once with 503 and ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio

from sanctiongraph.api.errors import Unavailable

T = TypeVar("T")


class WorkQueue:
    """At most ``threads`` calls at once in worker threads, and ``waiting`` in line."""

    def __init__(self, what: str, threads: int = 1, waiting: int = 4) -> None:
        if threads < 1 or waiting < 0:
            raise ValueError("threads must be >= 1 and waiting >= 0")
        self.what = what
        self.threads = threads
        self.waiting = waiting
        self._admitted = 0
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a worker thread, or :class:`Unavailable` (503) at once
        when ``threads + waiting`` calls are already admitted."""
        if self._admitted >= self.threads + self.waiting:
            raise Unavailable(f"too many {self.what} in progress; try again shortly")
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        finally:
            self._admitted -= 1
