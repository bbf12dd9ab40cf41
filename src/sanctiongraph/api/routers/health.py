from __future__ import annotations

from fastapi import APIRouter

from sanctiongraph.api.deps import ReadsAllowed, StoreDep
from sanctiongraph.api.models import GraphCount, HealthOut
from sanctiongraph.entities import derived_as_of

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, response_model_exclude_unset=True,
            summary="Liveness and store status")
def healthz(store: StoreDep, full: ReadsAllowed) -> HealthOut:
    """The graphs in the store and their triple counts; the as-of date of the derived graph.
    When reads need the API key and none is given, only `{"status": "ok"}`."""
    if not full:
        return HealthOut(status="ok")
    as_of = derived_as_of(store)
    return HealthOut(status="ok", derived_as_of=as_of.isoformat() if as_of else None,
                     graphs=[GraphCount(graph=g.value, triples=store.count(g))
                             for g in store.graphs()])
