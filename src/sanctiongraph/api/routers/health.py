"""``/healthz``: liveness, the store's graphs and counts, the SPARQL endpoint's bounds."""

from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Request

from sanctiongraph.api.deps import ReadsAllowed, StateDep
from sanctiongraph.api.models import GraphCount, HealthOut, QuerySettingsOut
from sanctiongraph.derive import derived_date as derived_as_of
from sanctiongraph.store import GraphStore
from sanctiongraph.store.oxigraph import OxigraphStore

router = APIRouter(tags=["health"])
REMOTE_MAX_AGE = 10.0
"""Seconds the counts of a SPARQL-server store are reused (others may write to it)."""


@router.get(
    "/healthz",
    response_model=HealthOut,
    response_model_exclude_unset=True,
    summary="Liveness and store status",
)
async def healthz(request: Request, state: StateDep, full: ReadsAllowed) -> HealthOut:
    """The graphs in the store and their triple counts; the as-of date of the derived
    graph; how the SPARQL endpoint is bounded. When reads need the API key and none is
    given, only `{"status": "ok"}`.

    The counts are computed once per write through this server (counting is linear in
    the store: seconds at 100k entities), so a probe answers in the event loop."""
    if not full:
        return HealthOut(status="ok")
    version = state.data_version
    cached = getattr(request.app.state, "health", None)
    fresh = (
        cached is not None
        and cached[0] == version
        and (
            isinstance(state.store, OxigraphStore) or time.monotonic() - cached[1] < REMOTE_MAX_AGE
        )
    )
    if fresh and cached is not None:
        status = cached[2]
    else:
        status = await anyio.to_thread.run_sync(_status, state.store)
        request.app.state.health = (version, time.monotonic(), status)
    settings = state.settings
    return HealthOut(
        **status,
        settings=QuerySettingsOut(
            **{name: getattr(settings, name) for name in QuerySettingsOut.model_fields}
        ),
    )


def _status(store: GraphStore) -> dict[str, Any]:
    as_of = derived_as_of(store)
    return {
        "status": "ok",
        "derived_as_of": as_of.isoformat() if as_of else None,
        "graphs": [GraphCount(graph=g.value, triples=store.count(g)) for g in store.graphs()],
    }
