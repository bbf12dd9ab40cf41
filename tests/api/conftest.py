"""An app over an in-memory store with the bundled data and the minimal package."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

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
    settings = Settings(store=base_store, api_key=API_KEY, query_deadline_seconds=DEADLINE,
                        max_upload_bytes=2_000_000, cors_origins=("https://dash.example",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.close()
