"""Writes: load a source into its own named graph. Needs the API key."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from sanctiongraph.api.deps import AsOf, SettingsDep, StateDep, WriteAccess
from sanctiongraph.api.errors import BadRequest
from sanctiongraph.api.models import ErrorOut, LoadOut
from sanctiongraph.api.routers.validate import BODY, read_body
from sanctiongraph.api.uploads import read_upload
from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import IngestError
from sanctiongraph.loading import load_sources, split_histories, unknown_entries

router = APIRouter(tags=["graphs"], dependencies=[WriteAccess])
NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@router.post(
    "/graphs/{name}",
    response_model=LoadOut,
    summary="Replace the graph source/{name}",
    openapi_extra={"requestBody": BODY},
    responses={
        400: {"model": ErrorOut},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        413: {"model": ErrorOut},
        415: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def load_graph(
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    as_of: AsOf,
    name: Annotated[
        str,
        Path(description="Graph name: letters, digits, `.`, `_`, `-`.", examples=["demo-world"]),
    ],
) -> LoadOut:
    """Load a .zip data package, Turtle, N-Triples or JSON-LD into `graph/source/{name}`
    atomically, then recompute the derived graph for `as_of`. Needs `X-API-Key`."""
    if not NAME.fullmatch(name) or not name.strip("."):
        raise BadRequest(
            "graph name must be 1-100 letters, digits, '.', '_' or '-', not dots alone"
        )
    data = await read_body(request, settings.max_upload_bytes)
    try:  # off the event loop, one upload at a time (as /validate)
        source = await state.uploads.run(
            read_upload,
            data,
            request.headers.get("content-type"),
            name,
            settings.max_unzipped_bytes,
            settings.max_upload_rows,
        )
    except IngestError as exc:
        raise BadRequest([e.as_dict() for e in exc.errors]) from None

    def write() -> int:
        with state.write_lock:
            unknown = unknown_entries(state.store, [(0, r) for r in source.references], [source])
            # same_as naming an entry neither the upload nor the store holds; publications
            # of a list that another graph holds too (no one history)
            problems = unknown.get(0, []) + split_histories(
                state.store, [source], {source.graph.value}
            )
            if problems:
                raise IngestError(problems)
            try:
                count = load_sources(state.store, [source])[source.graph.value]
                run_derivers(state.store, as_of)
            finally:
                # Also after a failure part-way: the copies, counts and query workers must
                # not keep the old data beside a store that changed (its derived graph,
                # unmarked, is computed again when a reader needs it).
                state.data_changed()
            return count

    try:
        count = await run_in_threadpool(write)
    except IngestError as exc:
        raise BadRequest([e.as_dict() for e in exc.errors]) from None
    return LoadOut(graph=source.graph.value, triples=count, derived_as_of=as_of.isoformat())
