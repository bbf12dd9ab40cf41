"""The smaller items of issue 22 (item 12): strict ``as_of``, graph names of dots,
``OPTIONS``, reads that need the key (``/healthz``, ``/openapi.json``, ``/docs``,
``serve --read-requires-key``), the Host check (``serve --allowed-host``) and security
headers. Each test fails on the code before."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api.assets import STATIC_DIR
from sanctiongraph.api.security_headers import CSP

from .conftest import API_KEY, AS_OF


@pytest.fixture(scope="module")
def keyed(base_store) -> Iterator[TestClient]:
    settings = Settings(store=base_store, api_key=API_KEY, read_requires_key=True)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


# --- as_of ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "1",
        "20261123",
        "2026-11-23T00:00:00",
        "2026-11-23Z",
        "2026-1-23",
        "2026-02-30",
        " 2026-11-23",
        "today",
    ],
)
@pytest.mark.parametrize(
    "path", ["/entities/kp-bank", "/entities/kp-bank/owners", "/entities/kp-bank/access-paths"]
)
def test_as_of_only_as_yyyy_mm_dd(client, path, value):
    r = client.get(path, params={"as_of": value})
    assert r.status_code == 400, (path, value, r.text)
    assert "detail" in r.json()


def test_as_of_on_writes_and_validation_too(client):
    for path in ("/validate", "/graphs/x"):
        r = client.post(
            path,
            params={"as_of": "0"},
            content=b"<urn:a> <urn:b> <urn:c> .",
            headers={"content-type": "application/n-triples", "x-api-key": API_KEY},
        )
        assert r.status_code == 400, (path, r.text)


def test_as_of_accepted_and_documented(client):
    assert (
        client.get("/entities/kp-bank", params={"as_of": AS_OF.isoformat()}).json()["as_of"]
        == AS_OF.isoformat()
    )
    spec = client.get("/openapi.json").json()
    (param,) = [
        p
        for p in spec["paths"]["/entities/{entity_id}"]["get"]["parameters"]
        if p["name"] == "as_of"
    ]
    assert "YYYY-MM-DD" in param["description"]


# --- graph names ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["%2E", "%2E%2E", "...", "%2e%2e"])
def test_graph_names_of_dots_refused(client, name):
    r = client.post(
        f"/graphs/{name}",
        content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"content-type": "application/n-triples", "x-api-key": API_KEY},
    )
    assert r.status_code == 400 and "dots" in r.json()["detail"]


# --- OPTIONS and 405 -----------------------------------------------------------------


def test_options_answers_allow(client):
    r = client.options("/sparql")
    assert r.status_code == 204
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST", "OPTIONS"}
    assert client.options("/healthz").headers["allow"] == "GET, OPTIONS"


def test_405_names_every_allowed_method(client):
    r = client.delete("/sparql")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {
        "GET",
        "POST",
        "OPTIONS",
    }


# --- reads that need the key ---------------------------------------------------------


def test_healthz_without_the_key_says_only_that_it_is_up(keyed):
    r = keyed.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    full = keyed.get("/healthz", headers={"x-api-key": API_KEY}).json()
    assert full["graphs"] and "derived_as_of" in full


def test_healthz_in_full_when_reads_are_open(client):
    body = client.get("/healthz").json()
    assert body["graphs"] and body["derived_as_of"] == AS_OF.isoformat()


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_schema_and_docs_need_the_key(keyed, path):
    assert keyed.get(path).status_code == 401
    assert keyed.get(path, headers={"x-api-key": "wrong"}).status_code == 401
    assert keyed.get(path, headers={"x-api-key": API_KEY}).status_code == 200


def test_serve_passes_read_requires_key_and_hosts(monkeypatch, tmp_path):
    import uvicorn
    from click.testing import CliRunner

    from sanctiongraph import cli
    from sanctiongraph.api import serve as serve_module

    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: apps.append(app))
    monkeypatch.setattr(serve_module, "seed_if_empty", lambda store, as_of: False)
    # uvicorn does not run here, so nothing listens: no port to check either
    monkeypatch.setattr(serve_module, "check_port", lambda host, port: None)
    result = CliRunner().invoke(
        cli.cli, ["serve", "--store", str(tmp_path / "a"), "--read-requires-key"]
    )
    assert result.exit_code == 2 and "--api-key" in result.output
    result = CliRunner().invoke(
        cli.cli,
        [
            "serve",
            "--store",
            str(tmp_path / "b"),
            "--api-key",
            API_KEY,
            "--read-requires-key",
            "--host",
            "10.0.0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    settings = apps[-1].state.sanctiongraph.settings
    assert settings.read_requires_key is True
    assert set(settings.allowed_hosts) == {"localhost", "127.0.0.1", "::1", "[::1]", "10.0.0.5"}
    result = CliRunner().invoke(
        cli.cli,
        [
            "serve",
            "--store",
            str(tmp_path / "c"),
            "--allowed-host",
            "sanctions.example.org",
            "--allowed-host",
            "*.example.net",
        ],
    )
    assert result.exit_code == 0, result.output
    settings = apps[-1].state.sanctiongraph.settings
    assert settings.allowed_hosts == ("sanctions.example.org", "*.example.net")
    assert settings.read_requires_key is False
    for app in apps:
        app.state.sanctiongraph.close()


def test_worker_processes_get_the_same_settings(monkeypatch, tmp_path):
    from sanctiongraph.api import serve as serve_module
    from sanctiongraph.store import open_store

    open_store(tmp_path / "store").close()  # workers open an existing store read-only
    monkeypatch.setenv(
        serve_module.WORKER_SETTINGS,
        json.dumps(
            {
                "store_path": str(tmp_path / "store"),
                "api_key": API_KEY,
                "read_requires_key": True,
                "allowed_hosts": ["localhost"],
                "cors_origins": ["https://dash.example"],
            }
        ),
    )
    app = serve_module.worker_app()
    settings = app.state.sanctiongraph.settings
    assert settings.read_requires_key and settings.allowed_hosts == ("localhost",)
    assert settings.cors_origins == ("https://dash.example",)
    assert settings.read_only
    app.state.sanctiongraph.close()


# --- Host and security headers -------------------------------------------------------


def test_host_header_checked(base_store):
    settings = Settings(store=base_store, allowed_hosts=("localhost", "127.0.0.1"))
    with TestClient(
        create_app(settings), base_url="http://localhost", raise_server_exceptions=False
    ) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"host": "127.0.0.1:8000"}).status_code == 200
        assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400
        assert (
            client.get(
                "/sparql", params={"query": "ASK {}"}, headers={"host": "rebind.example:8000"}
            ).status_code
            == 400
        )


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/healthz"),
        ("GET", "/dashboard/"),
        ("GET", "/dashboard/app.js"),
        ("GET", "/sparql"),
        ("GET", "/entities/nobody"),
        ("GET", "/entities/kp-bank/access-paths"),
        ("POST", "/validate"),
        ("DELETE", "/sparql"),
        ("GET", "/no-such-page"),
    ],
)
def test_security_headers_on_every_answer(client, method, path):
    r = client.request(method, path, headers={"accept": "text/html"})
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_everything_from_our_origin(client, path):
    """Issue 19 item 12: Swagger UI and ReDoc come from npm (node_modules) like YASGUI,
    under the same policy as every page: no CDN, no inline script."""
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-security-policy"] == CSP
    assert "cdn" not in r.text.lower() and "http" not in r.text
    from sanctiongraph.api.assets import node_modules_dir

    if node_modules_dir() is None:
        assert "not installed" in r.text and "npm ci" in r.text
        return
    sources = re.findall(r'<script src="([^"]+)"', r.text)
    assert sources[-1] == "/dashboard/docs-init.js"
    for source in sources + re.findall(r'<link rel="stylesheet" href="([^"]+)"', r.text):
        assert source.startswith(("/assets/", "/dashboard/")), source
        assert client.get(source).status_code == 200, source


def test_our_pages_need_no_inline_script():
    """The policy allows scripts from our own origin only: our HTML loads every script
    from a file and sets no event handler attribute."""
    from sanctiongraph.api.static_pages import redoc_page, swagger_page, yasgui_page

    pages = [
        (STATIC_DIR / "dashboard" / "index.html").read_text(),
        yasgui_page(),
        swagger_page(),
        redoc_page(),
    ]
    for page in pages:
        for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S):
            assert "src=" in script[0] and not script[1].strip()
        assert not re.search(r"\son[a-z]+\s*=", page)
        assert "javascript:" not in page
    assert "script-src 'self';" in CSP and "unsafe-eval" not in CSP
