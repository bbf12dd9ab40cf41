from __future__ import annotations

from fastapi import APIRouter

from sanctiongraph.api.deps import SettingsDep, StoreDep
from sanctiongraph.api.models import GraphCount, HealthOut, QuerySettingsOut
from sanctiongraph.entities import derived_as_of

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness and store status")
def healthz(store: StoreDep, settings: SettingsDep) -> HealthOut:
    """The graphs in the store and their triple counts; the as-of date of the derived
    graph; how the SPARQL endpoint is bounded."""
    as_of = derived_as_of(store)
    return HealthOut(status="ok", derived_as_of=as_of.isoformat() if as_of else None,
                     graphs=[GraphCount(graph=g.value, triples=store.count(g))
                             for g in store.graphs()],
                     settings=QuerySettingsOut(**{name: getattr(settings, name)
                                                  for name in QuerySettingsOut.model_fields}))
