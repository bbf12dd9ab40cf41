"""Dependencies, as ``Annotated`` aliases that routes declare in their signatures.

They never block, so they are ``async``: FastAPI runs a plain ``def`` dependency in its
thread pool, and five such hops cost about 1 ms of CPU per request here.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from sanctiongraph.api.errors import BadRequest, Forbidden, Unauthorized
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.state import AppState
from sanctiongraph.store import GraphStore


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.sanctiongraph
    return state


async def get_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


async def get_store(state: Annotated[AppState, Depends(get_state)]) -> GraphStore:
    return state.store


def _key_matches(settings: Settings, given: str | None) -> bool:
    return (
        settings.api_key is not None
        and given is not None
        and hmac.compare_digest(settings.api_key.encode(), given.encode())
    )


async def require_read(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    # The settings straight from the request: every read passes here, and each
    # sub-dependency costs FastAPI's resolver about 1 % of a JSON request's CPU.
    settings = request.app.state.sanctiongraph.settings
    if settings.read_requires_key and not _key_matches(settings, x_api_key):
        raise Unauthorized("this server needs an API key for reads (X-API-Key)")


async def reads_allowed(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> bool:
    """Whether this request may read: reads are open, or it has the key."""
    settings = request.app.state.sanctiongraph.settings
    return not settings.read_requires_key or _key_matches(settings, x_api_key)


async def require_write(
    settings: Annotated[Settings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    if settings.read_only:
        raise Forbidden(
            "writes are disabled on this server (several worker processes "
            "share its store, read-only)"
        )
    if settings.api_key is None:
        raise Forbidden("writes are disabled on this server (no API key configured)")
    if x_api_key is None:
        raise Unauthorized("writes need an API key (X-API-Key)")
    if not _key_matches(settings, x_api_key):
        raise Forbidden("wrong API key")


async def as_of_param(
    as_of: Annotated[
        str | None,
        Query(
            description="Date that governs every interval (YYYY-MM-DD; default: today).",
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            json_schema_extra={"format": "date"},
            examples=["2026-11-23"],
        ),
    ] = None,
) -> date:
    """The date as written, YYYY-MM-DD only (pydantic's own date parsing also took ``0``
    as 1970-01-01 and date-times); 400 otherwise."""
    if as_of is None:
        return date.today()
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        raise BadRequest(f"as_of must be a date written YYYY-MM-DD, not {as_of!r}") from None


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
AsOf = Annotated[date, Depends(as_of_param)]
ReadAccess = Depends(require_read)
ReadsAllowed = Annotated[bool, Depends(reads_allowed)]
WriteAccess = Depends(require_write)
