"""An app over an in-memory store with the bundled data and the minimal package."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from attack import CountingListener
from sanctiongraph.api import Settings, create_app
from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import read_sources
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.store import GraphStore, open_store

AS_OF = date(2026, 11, 23)
API_KEY = "test-key-123"
MINIMAL = Path(__file__).parents[1] / "fixtures" / "packages" / "minimal"
DEADLINE = 2.0


def make_store() -> GraphStore:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([MINIMAL]))
    run_derivers(store, AS_OF)
    return store


@pytest.fixture(scope="session")
def base_store() -> GraphStore:
    return make_store()


@pytest.fixture(scope="module")
def client(base_store: GraphStore) -> Iterator[TestClient]:
    settings = Settings(
        store=base_store,
        api_key=API_KEY,
        query_deadline_seconds=DEADLINE,
        max_upload_bytes=2_000_000,
        cors_origins=("https://dash.example",),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.close()
