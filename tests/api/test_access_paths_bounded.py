"""``/entities/{id}/access-paths`` on a dense network: bounded paths, bytes and time, with
``truncated``, and long walks never run in the event loop (issue 22, item 2: twelve
banks with accounts at each other gave 138 MB in 19 s at depth 6 and blocked the server
9 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sanctiongraph.analysis.access import MAX_PATH_BYTES, MAX_PATHS
from sanctiongraph.api import Settings, create_app
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.store import GraphStore, open_store
from test_access import BANKS, complete_world, simple_paths

from .conftest import AS_OF
from .loop_probe import longest_hold


@pytest.fixture(scope="module")
def complete_store() -> GraphStore:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store,
        [Source.from_triples("k12", parse_rdf(complete_world(), ox.RdfFormat.TURTLE, "k12.ttl"))],
    )
    return store


@pytest.fixture(scope="module")
def app(complete_store: GraphStore):
    return create_app(Settings(store=complete_store))


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_every_depth_is_bounded_and_says_truncated(client):
    for depth in range(1, 11):
        started = time.monotonic()
        r = client.get(
            "/entities/b0/access-paths", params={"as_of": AS_OF.isoformat(), "max_depth": depth}
        )
        elapsed = time.monotonic() - started
        assert r.status_code == 200, r.text
        body = r.json()
        everything = simple_paths(BANKS, depth)
        assert body["truncated"] is (everything > MAX_PATHS), depth
        assert len(body["paths"]) == min(everything, MAX_PATHS)
        assert len(r.content) <= MAX_PATH_BYTES
        assert elapsed < 10, (depth, elapsed)  # about 0.1-0.2 s


def test_openapi_documents_truncated(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AccessPathsOut"]
    assert schema["properties"]["truncated"]["type"] == "boolean"


def test_long_walks_leave_the_event_loop_free(app):
    """Four depth-10 walks at once (each about 0.1 s of Python) while a ticker in the
    same event loop measures how long the loop is held: long walks run in worker
    threads, so the loop answers within a few switch intervals of the GIL."""
    state = app.state.sanctiongraph
    state.ownership(), state.access()  # the copies, as read at start-up
    assert state.copies_ready()

    async def main() -> tuple[float, list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def walk() -> int:
                r = await http.get(
                    "/entities/b0/access-paths",
                    params={"as_of": AS_OF.isoformat(), "max_depth": 10},
                )
                return r.content.count(b'"hops"')  # json.loads here would hold the loop

            await walk()  # warm-up: the first request through the app sets things up
            return await longest_hold(asyncio.gather(*(walk() for _ in range(4))))

    for _attempt in range(3):  # the least held of three runs: other processes share the CPU
        longest, counts = asyncio.run(main())
        assert counts == [MAX_PATHS] * 4
        if longest < 0.08:
            break
    assert longest < 0.08, longest  # in the loop, each walk held it 0.1-0.6 s


def test_work_queue_refuses_past_its_line():
    """Heavy work waits in a short line of its own; past it, 503 at once."""
    import threading

    import anyio

    from sanctiongraph.api.bounded import WorkQueue
    from sanctiongraph.api.errors import Unavailable

    queue = WorkQueue("tests", threads=1, waiting=1)
    release = threading.Event()
    outcomes: list[str] = []

    async def call() -> None:
        try:
            await queue.run(release.wait, 5)
            outcomes.append("done")
        except Unavailable:
            outcomes.append("503")
            release.set()

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(call)
                await anyio.sleep(0.05)

    anyio.run(main)
    assert sorted(outcomes) == ["503", "done", "done"]
