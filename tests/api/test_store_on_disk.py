"""The server over an on-disk store: query workers' checkpoints stay inside the store's
directory, and a write that fails part-way still refreshes what readers see."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api.serve import seed_if_empty
from sanctiongraph.api.state import QUERY_SNAPSHOTS
from sanctiongraph.store import open_store

KEY = "k" * 32


@pytest.fixture
def store_dir(tmp_path):
    location = tmp_path / "volume" / "store"
    opened = open_store(location)
    seed_if_empty(opened, date(2026, 11, 23))
    opened.close()
    return location


def test_query_checkpoints_live_inside_the_store_directory(store_dir):
    """The parent of the store may be a read-only mount point: nothing is made there
    (a sibling `<store>.query-snapshots` made every /sparql answer 500 there)."""
    app = create_app(Settings(store_path=store_dir, api_key=KEY))
    with TestClient(app) as client:
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 200, r.text
    assert [p.name for p in store_dir.parent.iterdir()] == ["store"]
    assert (store_dir / QUERY_SNAPSHOTS).is_dir()


def test_a_write_that_fails_part_way_still_refreshes_the_readers(store_dir, monkeypatch):
    from sanctiongraph.api.routers import graphs

    def broken(store, as_of):
        raise RuntimeError("derivation failed")

    monkeypatch.setattr(graphs, "run_derivers", broken)
    app = create_app(Settings(store_path=store_dir, api_key=KEY))
    state = app.state.sanctiongraph
    with TestClient(app, raise_server_exceptions=False) as client:
        before = state.data_version
        r = client.post(
            "/graphs/extra",
            headers={"X-API-Key": KEY, "content-type": "text/turtle"},
            content=b"<https://example.org/a> <https://example.org/b> 1 .\n",
        )
        assert r.status_code == 500 and "derivation failed" not in r.text
        assert state.data_version == before + 1
        graphs_now = [g["graph"] for g in client.get("/healthz").json()["graphs"]]
        assert "https://w3id.org/sanctiongraph/graph/source/extra" in graphs_now
