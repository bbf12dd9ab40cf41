"""Security headers on every answer, and the key for the documentation pages.

The Content-Security-Policy allows our own scripts and styles only, as the dashboard
and the YASGUI page load them (files under ``/dashboard/`` and ``/assets/``, no inline
script). Inline *styles* stay allowed: cytoscape adds a style element and YASGUI sets
style attributes as they draw, and a style cannot run code. Workers may start from
``blob:`` URLs (YASGUI and ReDoc make them so). No ``unsafe-eval``: the bundles' ``eval``
and ``Function(...)`` are fallbacks (a JSON parser, lodash's global lookup) that browsers
never reach. The OpenAPI pages (``/docs``, ``/redoc``) are ours too: Swagger UI and ReDoc
from npm under ``/assets/``, started by a file of ours, so they need nothing more.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SCHEMA_PATHS = ("/openapi.json", "/docs", "/redoc")

_COMMON = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_HEADERS = [*_COMMON, (b"content-security-policy", CSP.encode())]


class SecurityHeaders:
    """Adds the headers above to every HTTP answer; with ``require_key``
    (``read_requires_key``), the OpenAPI schema and pages answer 401 without
    ``api_key``."""

    def __init__(self, app: ASGIApp, require_key: bool = False, api_key: str | None = None) -> None:
        self.app = app
        self.require_key = require_key
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        added = _HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        if self.require_key and path in SCHEMA_PATHS and not self._key_given(scope):
            body = json.dumps({"detail": "this server needs an API key for reads (X-API-Key)"})
            await with_headers(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app(scope, receive, with_headers)

    def _key_given(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"x-api-key" and self.api_key is not None:
                return hmac.compare_digest(self.api_key.encode(), value)
        return False
