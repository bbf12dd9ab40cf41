"""The dashboard: our own static files, npm assets only from node_modules, no CDN."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api.assets import STATIC_DIR

OWN_FILES = sorted((STATIC_DIR / "dashboard").glob("*"))


def test_dashboard_pages(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and 'id="search-form"' in page.text
    assert client.get("/dashboard/app.js").status_code == 200


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_no_cdn_in_our_files(path):
    # Every script and stylesheet is ours or from node_modules under /assets.
    urls = re.findall(r"""(?:src|href)=["'](https?:)?//""", path.read_text())
    assert urls == []
    assert not re.search(r"https?://(cdn|unpkg|cdnjs|jsdelivr)", path.read_text())


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("path", [p for p in OWN_FILES if p.suffix == ".js"], ids=lambda p: p.name)
def test_javascript_parses(path):
    subprocess.run(["node", "--check", str(path)], check=True)


def test_entity_search(client):
    hits = client.get("/entities", params={"q": "PYONG"}).json()
    assert {h["id"] for h in hits} == {"kp-bank", "kp-bank-cn"}
    assert client.get("/entities", params={"q": "zzz-nothing"}).json() == []


def test_example_queries(client):
    queries = client.get("/example-queries").json()
    assert queries and all(q["text"].strip() and q["path"].endswith(".rq") for q in queries)


def test_assets_restricted_to_bundles(client):
    assert client.get("/assets/cytoscape/package.json").status_code == 404
    assert client.get("/assets/..%2F..%2Fapp.py").status_code == 404


def test_degrades_without_node_modules(base_store, monkeypatch):
    from sanctiongraph.api import assets
    from sanctiongraph.api.routers import dashboard

    monkeypatch.setattr(assets, "node_modules_dir", lambda: None)
    monkeypatch.setattr(dashboard, "node_modules_dir", lambda: None)
    with TestClient(create_app(Settings(store=base_store))) as c:
        missing = c.get("/dashboard-assets").json()
        assert missing["installed"] == [] and "cytoscape/dist/cytoscape.min.js" in missing["missing"]
        page = c.get("/sparql", headers={"accept": "text/html"}).text
        assert "not installed" in page and "npm ci" in page
        assert c.get("/assets/cytoscape/dist/cytoscape.min.js").status_code == 404


# --- headless Chromium (Debian's chromium; CI installs it) ----------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_BROWSER = pytest.mark.skipif(
    CHROMIUM is None or not (STATIC_DIR / "node_modules").is_dir(),
    reason="needs Debian chromium and `npm ci` in src/sanctiongraph/api/static")


@pytest.fixture(scope="module")
def live_server(base_store):
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Settings(store=base_store, query_deadline_seconds=5))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def dump_dom(url: str, out: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={out / 'profile'}", "--virtual-time-budget=10000",
         f"--screenshot={out / 'shot.png'}", "--window-size=1280,1600", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, env={**os.environ})
    return result.stdout


@NEEDS_BROWSER
def test_browser_entity_page(live_server, tmp_path):
    dom = dump_dom(f"{live_server}/dashboard/?entity=kp-bank", tmp_path)
    assert "Example Pyong Bank" in dom
    assert "North Korean banking institution" in dom
    assert "<canvas" in dom  # cytoscape drew the ownership graph
    assert (tmp_path / "shot.png").stat().st_size > 10_000


@NEEDS_BROWSER
def test_browser_yasgui_page(live_server, tmp_path):
    dom = dump_dom(f"{live_server}/sparql", tmp_path)
    assert "yasgui" in dom.lower() and "CodeMirror" in dom
