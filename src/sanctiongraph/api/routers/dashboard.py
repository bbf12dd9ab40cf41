"""The dashboard: our own static page, npm assets when installed, and example queries."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope

from sanctiongraph.api import static_pages
from sanctiongraph.api.assets import STATIC_DIR, node_modules_dir
from sanctiongraph.api.deps import ReadAccess
from sanctiongraph.queries import example_query_files
from sanctiongraph.resources import queries_dir

router = APIRouter(tags=["dashboard"])

# Only these files of node_modules are served (the prebuilt browser bundles).
ASSETS = {
    "@zazuko/yasgui/build/yasgui.min.js",
    "@zazuko/yasgui/build/yasgui.min.css",
    "cytoscape/dist/cytoscape.min.js",
    "dagre/dist/dagre.min.js",
    "cytoscape-dagre/cytoscape-dagre.js",
    static_pages.SWAGGER_JS,
    static_pages.SWAGGER_CSS,
    static_pages.REDOC_JS,
}


class ExampleQuery(BaseModel):
    name: str
    path: str
    summary: str
    text: str


class AssetsOut(BaseModel):
    installed: list[str]
    missing: list[str]


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/")


@router.get("/docs", include_in_schema=False)
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(static_pages.swagger_page())


@router.get("/redoc", include_in_schema=False)
def redoc() -> HTMLResponse:
    return HTMLResponse(static_pages.redoc_page())


@router.get("/ontology", include_in_schema=False)
async def ontology() -> HTMLResponse:
    """The vocabulary page (pyLODE), made at the first request (seconds, in a worker
    thread) and kept by :func:`~sanctiongraph.ontology_docs.ontology_html`."""
    from sanctiongraph.ontology_docs import OntologyDocsUnavailable, ontology_html

    try:
        return HTMLResponse(await anyio.to_thread.run_sync(ontology_html))
    except OntologyDocsUnavailable as exc:
        return HTMLResponse(static_pages.missing_page("Vocabulary", str(exc)))


@router.get("/ontology/{rest:path}", include_in_schema=False)
def ontology_module(rest: str) -> RedirectResponse:
    """Module, code-list and license IRIs (``.../ontology/core``) see the vocabulary page;
    term IRIs (``.../ontology#Person``) reach their section through the fragment."""
    return RedirectResponse("/ontology", status_code=303)


@router.get(
    "/example-queries",
    response_model=list[ExampleQuery],
    dependencies=[ReadAccess],
    summary="The researchers' example queries (queries/examples/), for the query editor",
)
def example_queries() -> list[ExampleQuery]:
    root = queries_dir()
    return [
        ExampleQuery(
            name=q.name, path=str(q.path.relative_to(root)), summary=q.summary, text=q.text
        )
        for q in example_query_files()
    ]


@router.get(
    "/dashboard-assets",
    response_model=AssetsOut,
    summary="Which npm assets of the dashboard are installed",
)
def assets() -> AssetsOut:
    base = node_modules_dir()
    installed = sorted(a for a in ASSETS if base is not None and (base / a).is_file())
    return AssetsOut(installed=installed, missing=sorted(ASSETS - set(installed)))


class _Assets(StaticFiles):
    """node_modules, restricted to the bundles in :data:`ASSETS`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        from starlette.responses import JSONResponse

        if path not in ASSETS:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return await super().get_response(path, scope)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(
        "/dashboard", StaticFiles(directory=STATIC_DIR / "dashboard", html=True), name="dashboard"
    )
    base = node_modules_dir()
    if base is not None:
        app.mount("/assets", _Assets(directory=base), name="assets")
