"""The dashboard: our own static files, npm assets only from node_modules, no CDN."""

from __future__ import annotations

import re
import shutil
import subprocess

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
    assert len(queries) >= 15
    assert all(q["text"].strip() and q["path"].startswith("examples/") for q in queries)


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
        assert (
            missing["installed"] == [] and "cytoscape/dist/cytoscape.min.js" in missing["missing"]
        )
        page = c.get("/sparql", headers={"accept": "text/html"}).text
        assert "not installed" in page and "npm ci" in page
        assert c.get("/assets/cytoscape/dist/cytoscape.min.js").status_code == 404


# The click-through tests in a real browser are in test_dashboard_browser.py.
