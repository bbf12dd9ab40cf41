"""HTML pages served by the API. Third-party JavaScript comes from npm (node_modules)
at install time, never from a CDN; without it the page says so."""

from __future__ import annotations

from html import escape

YASGUI_JS = "@zazuko/yasgui/build/yasgui.min.js"
SWAGGER_JS = "swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui-dist/swagger-ui.css"
REDOC_JS = "redoc/bundles/redoc.standalone.js"
NOT_INSTALLED = (
    "<p>{what} is not installed. Install it with <code>npm ci --prefix "
    "src/sanctiongraph/api/static</code> (see the README).</p>"
)


def _installed(asset: str) -> bool:
    from sanctiongraph.api.assets import node_modules_dir

    base = node_modules_dir()
    return base is not None and (base / asset).is_file()


def yasgui_page() -> str:
    if not _installed(YASGUI_JS):
        return _page(
            "SPARQL endpoint",
            (
                NOT_INSTALLED.format(what="The query editor (YASGUI)")
                + "<p>The endpoint works without it: send <code>GET /sparql?query=...</code> or "
                "<code>POST /sparql</code> (SPARQL 1.1 Protocol).</p>"
            ),
        )
    return _page(
        "SPARQL endpoint",
        (
            '<link rel="stylesheet" href="/assets/@zazuko/yasgui/build/yasgui.min.css">'
            f'<script src="/assets/{YASGUI_JS}"></script>'
            '<div id="yasgui"></div><script src="/dashboard/yasgui-init.js"></script>'
        ),
    )


def swagger_page() -> str:
    """``/docs``: Swagger UI over ``/openapi.json``, from npm's ``swagger-ui-dist``."""
    if not _installed(SWAGGER_JS):
        return _page("API documentation", NOT_INSTALLED.format(what="Swagger UI") + _SCHEMA_NOTE)
    return _page(
        "API documentation",
        (
            f'<link rel="stylesheet" href="/assets/{SWAGGER_CSS}">'
            f'<div id="swagger-ui"></div><script src="/assets/{SWAGGER_JS}"></script>'
            '<script src="/dashboard/docs-init.js"></script>'
        ),
        heading=False,
    )


def redoc_page() -> str:
    """``/redoc``: ReDoc over ``/openapi.json``, from npm's ``redoc``."""
    if not _installed(REDOC_JS):
        return _page("API documentation", NOT_INSTALLED.format(what="ReDoc") + _SCHEMA_NOTE)
    return _page(
        "API documentation",
        (
            f'<div id="redoc"></div><script src="/assets/{REDOC_JS}"></script>'
            '<script src="/dashboard/docs-init.js"></script>'
        ),
        heading=False,
    )


def missing_page(title: str, reason: str) -> str:
    return _page(title, f"<p>{escape(reason)}</p>")


_SCHEMA_NOTE = (
    '<p>The OpenAPI description itself is at <a href="/openapi.json">/openapi.json</a>.</p>'
)


def _page(title: str, body: str, heading: bool = True) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,">'
        f"<title>{escape(title)} - sanctiongraph</title></head>"
        f"<body>{f'<h1>{escape(title)}</h1>' if heading else ''}{body}</body></html>"
    )
