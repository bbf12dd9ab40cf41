"""Entities, their owners and their access paths: the same library calls as the CLI."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from sanctiongraph.analysis import access as access_analysis
from sanctiongraph.analysis.access import AccessPathsBody, PathLimits
from sanctiongraph.analysis.loader import entity_status
from sanctiongraph.api.deps import AsOf, ReadAccess, StateDep, StoreDep
from sanctiongraph.api.encoding import access_paths_json, owners_response
from sanctiongraph.api.errors import BadRequest, NotFound
from sanctiongraph.api.models import AccessPathsOut, EntityHit, EntityOut, ErrorOut, OwnersOut
from sanctiongraph.api.state import AppState
from sanctiongraph.entities import (
    EntityDescription,
    UnknownEntity,
    derived_for,
    describe_entity,
    resolve_entity,
    search_entities,
)
from sanctiongraph.store import GraphStore

router = APIRouter(
    prefix="/entities",
    tags=["entities"],
    dependencies=[ReadAccess],
    responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)

EntityId = Annotated[
    str,
    Path(
        description="The data-package id (e.g. `kp-bank-1`) or a full IRI, URL-encoded.",
        examples=["kp-bank-1"],
    ),
]


def _resolve(store: GraphStore, entity_id: str) -> str:
    try:
        return resolve_entity(store, entity_id).iri
    except UnknownEntity as exc:
        raise NotFound(str(exc)) from None


@router.get("", response_model=list[EntityHit], summary="Search entities by name or id")
def search(
    store: StoreDep,
    q: Annotated[str, Query(min_length=1, max_length=200, examples=["pyong"])],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, str | None]]:
    """Entities (agents) whose name or data-package id contains `q`, case-insensitively."""
    return search_entities(store, q, limit)


@router.get(
    "/{entity_id:path}/owners",
    response_model=OwnersOut,
    summary="Ownership chains above an entity and its OFAC 50 Percent Rule status",
)
async def owners(entity_id: EntityId, state: StateDep, as_of: AsOf) -> Any:
    """Calls `sanctiongraph.analysis.loader.entity_status`, as `sanctiongraph owners` does
    (with the server's copy of the store's holdings and listings, once it has read them)."""
    return await state.analyse(_owners, state, entity_id, as_of)


def _owners(state: AppState, entity_id: str, as_of: date) -> Response:
    data, write_step = state.owners_inputs()
    try:
        found = entity_status(state.store, entity_id, as_of, data)
    except UnknownEntity as exc:
        raise NotFound(str(exc)) from None
    return owners_response(found, write_step)


# A walk in the event loop lists at most this many paths, for at most this long (a few
# milliseconds); one that would go further is done again in a worker thread of its own
# (``state.long_walks``) with the library's bounds (MAX_PATHS, MAX_PATH_BYTES, MAX_SECONDS).
INLINE_LIMITS = PathLimits(paths=200, seconds=0.002)


@router.get(
    "/{entity_id:path}/access-paths",
    response_model=AccessPathsOut,
    summary="Indirect-access paths from an institution into US correspondent accounts",
    responses={503: {"model": ErrorOut}},
)
async def access_paths(
    entity_id: EntityId,
    state: StateDep,
    as_of: AsOf,
    max_depth: Annotated[int, Query(ge=1, le=10)] = 4,
) -> Any:
    """Calls `sanctiongraph.analysis.access.access_paths`, as `sanctiongraph access` does
    (with the server's copy of the store's accounts, once it has read them). At most
    10,000 paths, about 5 MB and 5 s; `truncated` says when the walk stopped at a bound.
    503 with `Retry-After` when too many long walks are waiting."""
    if not state.copies_ready():
        return await state.analyse(_access_paths_response, state, entity_id, as_of, max_depth)
    body = _access_paths(state, entity_id, as_of, max_depth, INLINE_LIMITS)
    if not body["truncated"]:  # small walks answer in the event loop
        return Response(access_paths_json(body), media_type="application/json")
    return await state.long_walks.run(_access_paths_response, state, entity_id, as_of, max_depth)


def _access_paths(
    state: AppState, entity_id: str, as_of: date, max_depth: int, limits: PathLimits | None = None
) -> AccessPathsBody:
    try:
        return access_analysis.access_paths(
            state.store, entity_id, as_of, max_depth, state.access(), limits or PathLimits()
        )
    except UnknownEntity as exc:
        raise NotFound(str(exc)) from None
    except ValueError as exc:  # max_depth outside the library's range
        raise BadRequest(str(exc)) from None


def _access_paths_response(
    state: AppState, entity_id: str, as_of: date, max_depth: int
) -> Response:
    body = _access_paths(state, entity_id, as_of, max_depth)
    return Response(access_paths_json(body), media_type="application/json")


@router.get(
    "/{entity_id:path}",
    response_model=EntityOut,
    summary="One entity, as of a date",
    responses={503: {"model": ErrorOut}},
)
async def entity(entity_id: EntityId, state: StateDep, as_of: AsOf) -> Any:
    """Names, kinds, jurisdictions, designations and derived classes (such as
    North Korean banking institution). For another date than the store's derived graph,
    the store is re-derived for it in a copy, one date at a time, a few waiting (503 with
    `Retry-After` past that), the last two dates kept."""
    found = await run_in_threadpool(_describe_on_the_derived_date, state.store, entity_id, as_of)
    if isinstance(found, dict):
        return found
    view = await state.dated_views.get(as_of)
    return await run_in_threadpool(describe_entity, view, found, as_of)


def _describe_on_the_derived_date(
    store: GraphStore, entity_id: str, as_of: date
) -> EntityDescription | str:
    """The entity described when the store is derived for ``as_of``, else its IRI."""
    iri = _resolve(store, entity_id)
    if not derived_for(store, as_of):
        return iri
    return describe_entity(store, iri, as_of)
