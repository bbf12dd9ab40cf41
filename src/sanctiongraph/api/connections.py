"""Slow and idle connections: uvicorn protocol classes with a request-head deadline.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) only until the
client sends a first byte, and never times out the head of a request: a client that
sends a header line every few seconds keeps its connection for as long as it likes
(slowloris). These classes close a connection that has not sent a whole request head
within ``HEADER_TIMEOUT_ENV`` seconds, counted from when it opened or from the end of
its previous response. They also refuse, with a 503 at once, a connection from an
address that already holds ``CONNECTIONS_PER_CLIENT_ENV`` of this process's
connections, so that one slow client cannot fill the cap on connections that ``serve``
gives uvicorn (``limit_concurrency``) and shut everyone else out until the deadline.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_ENV = "SANCTIONGRAPH_HEADER_TIMEOUT"
"""Where ``serve`` puts the header timeout, so that the processes of ``serve --workers
N`` (started by uvicorn, which imports these classes) see it too."""
DEFAULT_HEADER_TIMEOUT = 10.0
CONNECTIONS_PER_CLIENT_ENV = "SANCTIONGRAPH_CONNECTIONS_PER_CLIENT"
"""Where ``serve`` puts the cap on one address's connections (0: no cap)."""
DEFAULT_CONNECTIONS_PER_CLIENT = 100
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\n"
    b"Content-Type: application/json\r\nContent-Length: 59\r\n"
    b"Connection: close\r\n\r\n"
    b'{"detail": "too many connections from this client address"}'
)


class HeadDeadline:
    """Mixin for a uvicorn HTTP protocol class (it uses ``cycle``, ``loop``, ``transport``)."""

    _head_timer: asyncio.TimerHandle | None = None
    _armed_cycle: Any = None

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        seconds = float(os.environ.get(HEADER_TIMEOUT_ENV, DEFAULT_HEADER_TIMEOUT))
        self._armed_cycle = self.cycle  # type: ignore[attr-defined]
        self._head_timer = self.loop.call_later(  # type: ignore[attr-defined]
            seconds, self._head_deadline_passed
        )

    def _disarm_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        cycle = self.cycle  # type: ignore[attr-defined]
        # Still no new request since the deadline was armed, and none in progress.
        waiting_for_head = cycle is self._armed_cycle and (
            cycle is None or bool(cycle.response_complete)
        )
        transport = self.transport  # type: ignore[attr-defined]
        if waiting_for_head and not transport.is_closing():
            transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        transport = cast(asyncio.Transport, transport)  # uvicorn's TCP transports write
        if self._over_client_cap():
            transport.write(_REFUSED)
            transport.close()
            return
        self._arm_head_deadline()

    def _over_client_cap(self) -> bool:
        """Whether this connection's address already holds its share of the others."""
        limit = int(os.environ.get(CONNECTIONS_PER_CLIENT_ENV, DEFAULT_CONNECTIONS_PER_CLIENT))
        address = (self.client or (None,))[0]  # type: ignore[attr-defined]
        if not limit or address is None:
            return False
        held = len(
            [
                other
                for other in self.connections  # type: ignore[attr-defined]
                if other is not self and other.client and other.client[0] == address
            ]
        )
        return held >= limit

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():  # type: ignore[attr-defined]
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)  # type: ignore[misc]


class H11WithHeadDeadline(HeadDeadline, H11Protocol):
    """uvicorn's h11 protocol, with the request-head deadline."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional
    HttpToolsWithHeadDeadline = None
else:

    class HttpToolsWithHeadDeadline(HeadDeadline, HttpToolsProtocol):  # type: ignore[no-redef]
        """uvicorn's httptools protocol, with the request-head deadline."""


def protocol_class() -> type:
    """What ``serve`` gives uvicorn: the httptools protocol when installed, else h11."""
    return HttpToolsWithHeadDeadline or H11WithHeadDeadline
