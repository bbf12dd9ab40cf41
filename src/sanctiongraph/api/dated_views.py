"""Views of the store derived for dates other than its own, for ``GET /entities/{id}``.

Such a view is a copy of the store's sources in memory with the derivers run for the
date (:func:`sanctiongraph.entities.view_as_of`): about 4 s and 0.4 GB at 20k entities.
So that clients asking for many dates cannot exhaust the server, views are made in one
worker thread of their own (:class:`~sanctiongraph.api.bounded.WorkQueue`: a few more
dates wait, past that 503 with ``Retry-After``), requests for a date being derived wait
for that one derivation, and the last ``cached`` dates are kept (least recently used
first out) until the data changes.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from sanctiongraph.api.bounded import WorkQueue
from sanctiongraph.store import GraphStore


class DatedViews:
    """``derive(as_of)`` for each date once, bounded in threads, queue and cache."""

    def __init__(
        self,
        derive: Callable[[date], GraphStore],
        cached: int = 2,
        threads: int = 1,
        waiting: int = 3,
    ) -> None:
        self._derive = derive
        self._cached = cached
        self._queue = WorkQueue("re-derivations for other dates", threads, waiting)
        self._views: OrderedDict[date, GraphStore] = OrderedDict()
        self._pending: dict[date, asyncio.Future[GraphStore]] = {}
        self._generation = 0

    async def get(self, as_of: date) -> GraphStore:
        """The view for ``as_of``; :class:`~sanctiongraph.api.errors.Unavailable` (503)
        when too many other dates are being derived."""
        view = self._views.get(as_of)
        if view is not None:
            self._views.move_to_end(as_of)
            return view
        pending = self._pending.get(as_of)
        if pending is None:
            pending = asyncio.ensure_future(self._make(as_of))
            self._pending[as_of] = pending
            pending.add_done_callback(
                lambda f: self._pending.pop(as_of, None) if self._pending.get(as_of) is f else None
            )
        # A client that goes away does not cancel the derivation others wait for.
        return await asyncio.shield(pending)

    async def _make(self, as_of: date) -> GraphStore:
        generation = self._generation
        view = await self._queue.run(self._derive, as_of)
        if generation == self._generation and self._cached > 0:  # no write meanwhile
            self._views[as_of] = view
            while len(self._views) > self._cached:
                self._views.popitem(last=False)
        return view

    def clear(self) -> None:
        """Forget every view (the store changed); derivations under way are not kept."""
        self._generation += 1
        self._views.clear()
        self._pending.clear()
