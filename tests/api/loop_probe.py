"""How long the event loop is held while some work runs beside it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def longest_hold(work: Awaitable[T]) -> tuple[float, T]:
    """Await ``work`` while a ticker in the same loop sleeps 1 ms at a time; return the
    longest any tick took (how long the loop was held at most) and the work's result."""
    done = asyncio.Event()
    gaps: list[float] = [0.0]

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            gaps.append(time.perf_counter() - before)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)  # the ticker runs before the work starts
    try:
        result = await work
    finally:
        done.set()
        await tick
    return max(gaps), result
