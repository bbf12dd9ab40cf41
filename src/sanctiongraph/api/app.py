"""The app factory: ``create_app(settings)``; nothing is configured at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sanctiongraph.api.errors import install_handlers
from sanctiongraph.api.limits import BodyLimit
from sanctiongraph.api.routers import dashboard, entities, graphs, health, sparql, validate
from sanctiongraph.api.security_headers import SecurityHeaders
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.state import AppState
from sanctiongraph.store.oxigraph import OxigraphStore

DESCRIPTION = """US sanctions rules as a knowledge graph: a read-only SPARQL 1.1 endpoint,
JSON endpoints for dashboards, and stateless validation of data packages.

Errors are JSON `{"detail": ...}`: 400 bad input, 401/403 API key, 404 unknown id,
413 too large, 415 unsupported media type, 503 query deadline passed."""


def create_app(settings: Settings) -> FastAPI:
    """A new app for ``settings``; each app owns its store handle and query workers."""
    if settings.store is not None:
        state = AppState(settings, settings.store, owns_store=False)
    else:
        store = OxigraphStore(settings.store_path, read_only=settings.read_only)
        state = AppState(settings, store, owns_store=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Read before the first request (30-40 s for 100k on disk).
        state.ownership()
        state.access()
        state.publish_for_readers()  # read commands open it while this app holds the store
        try:
            yield
        finally:
            state.close()

    # /docs and /redoc are our pages (routers/dashboard.py): their scripts come from npm.
    app = FastAPI(
        title="sanctiongraph",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.sanctiongraph = state
    install_handlers(app)
    app.add_middleware(BodyLimit, max_body_size=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    # Added last, so run first: a wrong Host is refused before anything else, and every
    # answer (413s and refusals included) carries the security headers.
    app.add_middleware(
        SecurityHeaders, require_key=settings.read_requires_key, api_key=settings.api_key
    )
    if settings.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    for module in (sparql, entities, validate, graphs, health):
        app.include_router(module.router)
    dashboard.mount(app)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sanctiongraph")
    except PackageNotFoundError:
        return "0"
