"""The query runner's admission (bounded queue, per-client share), its use of its own
threads rather than the shared pool, and the workers' error answers (issue 22, items
1 and 6)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp

import anyio.to_thread
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api import worker as worker_module
from sanctiongraph.api.worker import INTERNAL, Limits, QueryRunner, Snapshot, _Worker, execute

LIMITS = Limits(20_000, 32, 10_000, 20_000_000)
DATA = Snapshot(nquads=b"<urn:x:a> <urn:x:b> <urn:x:c> <urn:x:g> .\n")
# 10^9 solutions over any data: runs until its deadline.
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(9))
    + " }"
)


def run_all(runner: QueryRunner, clients: list[str]) -> list:
    async def main() -> list:
        return await asyncio.gather(
            *(runner.run(RUNAWAY, ("*/*",), client=client) for client in clients)
        )

    return asyncio.run(main())


def test_bounded_queue_answers_503_with_retry_after():
    runner = QueryRunner(DATA, LIMITS, deadline=1.5, workers=1, queue_size=1, per_client=4)
    try:
        running, waiting, refused = run_all(runner, ["a", "b", "c"])
    finally:
        runner.close()
    assert running.status == 503 and "deadline" in running.detail
    assert waiting.status == 503  # waited its deadline for the one worker
    assert refused.status == 503 and "too many queries are waiting" in refused.detail
    assert all(o.retry_after == 2 for o in (running, waiting, refused))


def test_one_client_beyond_its_share_gets_429():
    runner = QueryRunner(DATA, LIMITS, deadline=1.0, workers=1, queue_size=8, per_client=2)
    try:
        outcomes = run_all(runner, ["same", "same", "same", "other"])
    finally:
        runner.close()
    assert [o.status for o in outcomes].count(429) == 1
    assert outcomes[2].status == 429 and outcomes[2].retry_after == 1
    assert outcomes[3].status != 429


def test_sparql_never_waits_in_the_shared_thread_pool(base_store, monkeypatch):
    # The old handler waited for a worker in run_in_threadpool: ~41 slow queries took
    # every thread FastAPI's other routes need.
    settings = Settings(store=base_store, query_workers=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200

        def refuse(*args, **kwargs):
            raise AssertionError("/sparql used the shared thread pool")

        monkeypatch.setattr(anyio.to_thread, "run_sync", refuse)
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 200 and r.json()["boolean"] is True


def test_a_write_while_a_worker_starts_leaves_it_its_checkpoint(tmp_path, monkeypatch):
    """A write that lands while a worker is being started on the checkpoint before it
    must not delete that checkpoint: it did (the worker was not in the pool yet), and
    the query got 503 'the query worker did not start' (CI, writes beside reads)."""
    live = ox.Store(str(tmp_path / "live"))
    live.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.NamedNode("urn:x:c")))
    checkpoints = [tmp_path / name for name in ("one", "two", "three")]
    for checkpoint in checkpoints:
        live.backup(str(checkpoint))
    one, two, three = (Snapshot(path=str(c), owned=True) for c in checkpoints)
    runner = QueryRunner(one, LIMITS, deadline=30, workers=1)
    real = worker_module._Worker

    def started_while_a_write_lands(context, snapshot, limits, generation):
        monkeypatch.setattr(worker_module, "_Worker", real)
        assert snapshot is two
        runner.refresh(three)  # the write lands between choosing and registering
        return real(context, snapshot, limits, generation)

    try:
        runner.refresh(two)  # the idle worker on `one` is now stale
        monkeypatch.setattr(worker_module, "_Worker", started_while_a_write_lands)
        outcome = asyncio.run(runner.run("ASK { ?s ?p ?o }", ("*/*",)))
        assert outcome.status == 200 and b"true" in outcome.body, outcome
        assert not checkpoints[0].exists()  # its worker was retired
        assert checkpoints[1].exists() and checkpoints[2].exists()
    finally:
        runner.close()
    assert not any(c.exists() for c in checkpoints)


class FailingStore:
    """Stands for a pyoxigraph store whose files went away under it."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def named_graphs(self):
        return []

    def query(self, *args, **kwargs):
        raise self.error


def test_store_errors_are_retryable_and_never_show_a_path():
    outcome = execute(
        FailingStore(OSError("IO error: /srv/store/000123.sst: gone")),
        "ASK {}",
        ("*/*",),
        (),
        (),
        LIMITS,
    )
    assert outcome.status == 500 and outcome.retryable and outcome.detail == INTERNAL
    outcome = execute(
        FailingStore(RuntimeError("failed reading /srv/store/000123.sst")),
        "ASK {}",
        ("*/*",),
        (),
        (),
        LIMITS,
    )
    assert outcome.status == 400 and "/srv/store" not in outcome.detail


def test_worker_answers_a_generic_message_for_its_own_errors():
    worker = _Worker(mp.get_context("spawn"), DATA, LIMITS, 0)
    try:
        assert worker.wait_ready(60)
        worker.conn.send(("ASK {}",))  # a malformed request: the worker's own bug
        outcome = worker.conn.recv()
    finally:
        worker.stop()
    assert outcome.status == 500 and outcome.detail == INTERNAL and outcome.retryable
    assert "TypeError" not in outcome.detail


@pytest.mark.parametrize("memory_mb", [63])
def test_memory_cap_below_64_refused(base_store, memory_mb):
    with pytest.raises(ValueError):
        Settings(store=base_store, query_memory_mb=memory_mb)
