"""The SPARQL 1.1 Protocol query endpoint: read-only, inspected, with a deadline.

Every query goes to :class:`~sanctiongraph.api.worker.QueryRunner`, whose workers
inspect it with :mod:`sanctiongraph.api.guard` before they execute it. The handler
waits for a worker in the event loop (an asyncio future), never in the shared thread
pool: SPARQL load cannot hold up the other routes.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sanctiongraph.api.deps import ReadAccess, SettingsDep, StateDep
from sanctiongraph.api.errors import (
    BadRequest,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from sanctiongraph.api.models import ErrorOut
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.state import AppState
from sanctiongraph.api.uploads import media_type
from sanctiongraph.api.worker import CANONICAL, GRAPH_TYPES, SOLUTION_TYPES
from sanctiongraph.queries import COMMON_PREFIXES

router = APIRouter(tags=["sparql"], dependencies=[ReadAccess])

RESULT_TYPES = list(dict.fromkeys(CANONICAL.values()))
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Query results, by content negotiation",
        "content": {m: {} for m in RESULT_TYPES},
    },
    400: {"model": ErrorOut, "description": "Bad, unsafe or refused query"},
    406: {"model": ErrorOut},
    413: {"model": ErrorOut},
    415: {"model": ErrorOut},
    429: {
        "model": ErrorOut,
        "description": "This client has too many queries running or waiting (see Retry-After)",
    },
    503: {
        "model": ErrorOut,
        "description": "The query passed its deadline, or too many "
        "queries are waiting (see Retry-After)",
    },
}
QueryText = Annotated[
    list[str] | None,
    Query(
        alias="query",
        description="The SPARQL query (exactly one).",
        examples=[
            "SELECT ?s WHERE { ?s a <https://w3id.org/sanctiongraph/ontology#Bank> } LIMIT 10"
        ],
    ),
]
DefaultGraphs = Annotated[list[str] | None, Query(alias="default-graph-uri")]
NamedGraphs = Annotated[list[str] | None, Query(alias="named-graph-uri")]


def parse_accept(header: str | None) -> tuple[str, ...]:
    """Media types of an Accept header, best first (q=0 dropped)."""
    if not header or not header.strip():
        return ("*/*",)
    ranked = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, media))
    return tuple(m for _, _, m in sorted(ranked)) or ("*/*",)


def _decode(body: bytes, content_type: str) -> str:
    for field in content_type.split(";")[1:]:
        key, _, value = field.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise BadRequest("the body must be UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None


async def _run(
    request: Request,
    state: AppState,
    settings: Settings,
    queries: list[str],
    defaults: list[str],
    named: list[str],
    accept: str | None,
) -> Response:
    if len(queries) != 1:
        raise BadRequest(
            "give exactly one 'query' parameter" if queries else "missing 'query' parameter"
        )
    query = queries[0]
    if len(query) > settings.max_query_length:
        raise BadRequest(f"query is longer than {settings.max_query_length} characters")
    runner = await state.query_runner()
    client = request.client.host if request.client else ""
    outcome = await runner.run(
        query, parse_accept(accept), tuple(defaults), tuple(named), client, request.is_disconnected
    )
    if outcome.status != 200:
        headers = (
            {"Retry-After": str(outcome.retry_after)} if outcome.retry_after is not None else None
        )
        return JSONResponse({"detail": outcome.detail}, status_code=outcome.status, headers=headers)
    return Response(outcome.body, media_type=outcome.media_type, headers={"Vary": "Accept"})


def _refuse_updates(params: list[tuple[str, str]]) -> None:
    if any(k == "update" for k, _ in params):
        raise BadRequest("updates are not allowed: this endpoint is read-only")


@router.get(
    "/sparql", summary="SPARQL 1.1 query (GET), or the service description", responses=RESPONSES
)
async def sparql_get(
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    query: QueryText = None,
    default_graph_uri: DefaultGraphs = None,
    named_graph_uri: NamedGraphs = None,
) -> Response:
    """`?query=`; without a query, the service description (Turtle) or, for browsers,
    the query page."""
    params = list(request.query_params.multi_items())
    _refuse_updates(params)
    if query is None:
        accept = parse_accept(request.headers.get("accept"))
        if "text/html" in accept[:1]:
            return HTMLResponse(query_page())
        return Response(
            service_description(str(request.url_for("sparql_get"))),
            media_type="text/turtle; charset=utf-8",
        )
    return await _run(
        request,
        state,
        settings,
        query,
        default_graph_uri or [],
        named_graph_uri or [],
        request.headers.get("accept"),
    )


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query (POST: urlencoded or direct)",
    responses=RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "string"},
                            "named-graph-uri": {"type": "string"},
                        },
                    }
                },
            },
        }
    },
)
async def sparql_post(request: Request, state: StateDep, settings: SettingsDep) -> Response:
    content_type = request.headers.get("content-type") or ""
    media = media_type(content_type)
    url_params = list(request.query_params.multi_items())
    _refuse_updates(url_params)
    limit = settings.max_query_length * 4 + 10_000
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    if media == "application/x-www-form-urlencoded":
        try:
            form = parse_qsl(
                _decode(body, content_type),
                keep_blank_values=True,
                strict_parsing=False,
                errors="strict",
            )
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the form body is not valid urlencoded UTF-8") from None
        _refuse_updates(form)
        params = url_params + form
        queries = [v for k, v in params if k == "query"]
    elif media == "application/sparql-query":
        if any(k == "query" for k, _ in url_params):
            raise BadRequest("give the query either in the body or as a parameter, not both")
        params = url_params
        queries = [_decode(body, content_type)]
    elif media == "application/sparql-update":
        raise BadRequest("updates are not allowed: this endpoint is read-only")
    else:
        raise UnsupportedMediaType(
            "POST /sparql takes application/x-www-form-urlencoded or application/sparql-query"
            + (f", not {media}" if media else " (no Content-Type given)")
        )
    defaults = [v for k, v in params if k == "default-graph-uri"]
    named = [v for k, v in params if k == "named-graph-uri"]
    return await _run(
        request, state, settings, queries, defaults, named, request.headers.get("accept")
    )


def service_description(endpoint: str) -> str:
    results = "\n".join(
        f"    sd:resultFormat <http://www.w3.org/ns/formats/{n}> ;"
        for n in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
        )
    )
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix dct: <http://purl.org/dc/terms/> .

[] a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
{results}
    dct:description "sanctiongraph: read-only SPARQL 1.1 query endpoint. Updates, SERVICE, LOAD and FROM outside this store's graphs are refused. The prefixes {", ".join(COMMON_PREFIXES)} are declared for every query that does not declare them itself." ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ]
    ] .
"""


def query_page() -> str:
    from sanctiongraph.api.static_pages import yasgui_page

    return yasgui_page()


__all__ = ["GRAPH_TYPES", "SOLUTION_TYPES", "NotAcceptable", "parse_accept", "router"]
