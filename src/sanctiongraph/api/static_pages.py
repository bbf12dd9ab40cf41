"""HTML pages served by the API. Third-party JavaScript comes from npm (node_modules)
at install time, never from a CDN; without it the page says so."""

from __future__ import annotations

from html import escape


def yasgui_page() -> str:
    from sanctiongraph.api.assets import node_modules_dir

    base = node_modules_dir()
    if base is None or not (base / "@zazuko" / "yasgui" / "build" / "yasgui.min.js").is_file():
        return _page(
            "SPARQL endpoint",
            (
                "<p>The query editor (YASGUI) is not installed. Install it with "
                "<code>npm ci</code> in <code>src/sanctiongraph/api/static/</code> (see the README).</p>"
                "<p>The endpoint works without it: send <code>GET /sparql?query=...</code> or "
                "<code>POST /sparql</code> (SPARQL 1.1 Protocol).</p>"
            ),
        )
    return _page(
        "SPARQL endpoint",
        (
            '<link rel="stylesheet" href="/assets/@zazuko/yasgui/build/yasgui.min.css">'
            '<script src="/assets/@zazuko/yasgui/build/yasgui.min.js"></script>'
            '<div id="yasgui"></div><script src="/dashboard/yasgui-init.js"></script>'
        ),
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - sanctiongraph</title></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
