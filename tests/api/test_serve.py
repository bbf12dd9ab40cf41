"""`sanctiongraph serve` and the on-disk store (workers open it read-only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api.serve import seed_if_empty
from sanctiongraph.namespaces import GRAPH
from sanctiongraph.store import open_store

from .conftest import API_KEY


def test_seed_if_empty_loads_bundled_and_derives():
    store = open_store(in_memory=True)
    assert seed_if_empty(store, date(2026, 11, 23)) is True
    graphs = {g.value for g in store.graphs()}
    assert {str(GRAPH.ontology), str(GRAPH.reference), str(GRAPH.derived)} <= graphs
    assert seed_if_empty(store, date(2026, 11, 23)) is False


def test_on_disk_store_queries_see_writes(tmp_path):
    location = tmp_path / "store"
    store = open_store(location)
    seed_if_empty(store, date(2026, 11, 23))
    store.close()
    settings = Settings(store_path=location, api_key=API_KEY, query_deadline_seconds=5)
    ask = {"query": 'ASK { ?e <http://www.w3.org/2000/01/rdf-schema#label> "Disk probe" }'}
    with TestClient(create_app(settings)) as client:
        assert client.get("/sparql", params=ask).json()["boolean"] is False
        r = client.post("/graphs/disk", params={"as_of": "2026-11-23"},
                        content=b'<urn:x:d> <http://www.w3.org/2000/01/rdf-schema#label> "Disk probe" .',
                        headers={"content-type": "text/turtle", "x-api-key": API_KEY})
        assert r.status_code == 200, r.text
        assert client.get("/sparql", params=ask).json()["boolean"] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_command_serves_seeded_store(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "sanctiongraph.cli", "serve", "--port", str(port),
               "--store", str(tmp_path / "store")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, "server exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        graphs = {g["graph"] for g in health.json()["graphs"]}
        assert str(GRAPH.ontology) in graphs and str(GRAPH.derived) in graphs
        assert health.json()["derived_as_of"] == date.today().isoformat()
        r = httpx.get(base + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                      headers={"accept": "text/csv"}, timeout=30)
        assert r.status_code == 200 and "true" in r.text
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_serve_access_log_off_unless_asked(monkeypatch, tmp_path):
    # One log line per request cost about a tenth of the CPU of a cheap request.
    import uvicorn
    from click.testing import CliRunner

    from sanctiongraph import cli
    from sanctiongraph.api import serve as serve_module

    runs = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(serve_module, "seed_if_empty", lambda store, as_of: False)
    for number, extra in enumerate(([], ["--access-log"])):
        store = str(tmp_path / f"store-{number}")  # the unstarted app keeps its store open
        result = CliRunner().invoke(cli.cli, ["serve", "--store", store, *extra])
        assert result.exit_code == 0, result.output
    assert [options["access_log"] for options in runs] == [False, True]
