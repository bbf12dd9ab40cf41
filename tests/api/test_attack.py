"""Issue 22's attacks on a real ``sanctiongraph serve``, smaller and shorter than
``bench/attack.py`` (which runs the same scenario functions in full).

One server for the module: a seeded store on disk, query workers' memory capped at
256 MiB, header timeout 2 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

import attack

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc") or not sys.platform.startswith("linux"),
    reason="the memory cap and the process checks need Linux",
)
MEMORY_MB = 256


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    location = tmp_path_factory.mktemp("attack") / "store"
    attack.seed(location)
    return location


@pytest.fixture(scope="module")
def server(store):
    running = attack.Server(
        store, "--query-deadline", "10", "--query-memory", str(MEMORY_MB), "--header-timeout", "2"
    )
    yield running
    running.stop()


def test_healthz_reports_the_query_bounds(server):
    settings = httpx.get(server.base + "/healthz", timeout=30).json()["settings"]
    assert settings["query_workers"] == 2 and settings["query_memory_mb"] == MEMORY_MB
    assert settings["query_deadline_seconds"] == 10 and settings["query_per_client"] == 4


def test_runaway_sparql_clients_leave_other_routes_fast(server):
    """45 clients, each its own address, send queries that run until their deadline,
    while /healthz, /entities/{id}/owners and /entities/{id} are polled: p99 under
    100 ms. Before the fix, 41 such clients took every thread of the shared pool for
    ~70 s. On a machine too loaded to answer within 100 ms without any attack (this
    one is shared), the bound is twice the p99 measured just before without attack."""
    calm = attack.starvation(server.base, clients=0, seconds=8.0)
    result = attack.starvation(server.base, clients=45, seconds=8.0)
    assert sum(result["poll_statuses"].values()) >= 30, result
    assert all(key.endswith(" 200") for key in result["poll_statuses"]), result
    bound = max(100.0, 2 * calm["polled"]["p99"])
    assert result["polled"]["p99"] < bound, (result, calm)
    runaway = result["runaway_statuses"]
    assert "200" not in runaway and runaway.get("503", 0) > 0, runaway
    assert "refusal without Retry-After" not in runaway, runaway
    assert result["seconds_until_a_query_ran_again"] < 30, result


def test_one_client_gets_its_share_and_then_429(server):
    result = attack.starvation(server.base, clients=12, seconds=2.0, one_address=True)
    runaway = result["runaway_statuses"]
    assert runaway.get("429", 0) > 0 and "200" not in runaway, runaway
    assert "refusal without Retry-After" not in runaway, runaway


def test_writes_while_reading_never_fail_a_valid_read(server):
    result = attack.writes(server.base, count=5, readers=2)
    assert [w["status"] for w in result["writes"]] == [200] * 5, result
    assert result["reads"].get(200, 0) > 0 and result["non_200_reads"] == 0, result


def test_memory_bomb_flat_chain_and_deep_nesting_get_a_clean_400(server):
    result = attack.bombs(server, MEMORY_MB)
    for name in ("memory_bomb", "flat_chain", "deep_3000"):
        assert result[name]["status"] == 400, result
    assert "memory" in result["memory_bomb"]["detail"], result
    assert "chain" in result["flat_chain"]["detail"], result
    assert "nested deeper" in result["deep_3000"]["detail"], result
    assert result["after"] == 200 and result["workers_alive"] == 2, result
    assert 0 < result["peak_worker_data_mib"] <= MEMORY_MB, result
    for pid in server.query_workers():  # the cap is set in every worker
        limits = attack._read(f"/proc/{pid}/limits").decode()
        line = next(x for x in limits.splitlines() if x.startswith("Max data size"))
        assert line.split()[3] == str(MEMORY_MB << 20), line


def test_no_response_carries_a_path_or_exception_text(server, store):
    for query in (
        "SELECT * WHERE { ?s ?p }",
        attack.FLAT_CHAIN,
        attack.MEMORY_BOMB,
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ):
        r = httpx.post(server.base + "/sparql", data={"query": query}, timeout=60)
        assert str(store) not in r.text and "Traceback" not in r.text, r.text
        assert "Error:" not in r.text.split("SPARQL syntax error", 1)[0], r.text


def test_slow_headers_are_cut_and_healthz_answers_meanwhile(server):
    result = attack.slowloris(server.base, connections=100, seconds=8.0, interval=0.5)
    assert result["opened"] == 100, result
    assert result["held_to_the_end"] == 0 and result["held_seconds"]["max"] < 5, result
    assert all(status == 200 for status, _ in result["healthz_meanwhile"]), result


def test_one_slow_address_gets_its_share_of_connections_and_no_more(tmp_path):
    """One address holding more than its share (here 20) is refused at once, so the
    connection cap stays free for everyone else: /healthz from 127.0.0.1 answers."""
    attack.seed(tmp_path / "store")
    running = attack.Server(
        tmp_path / "store",
        "--header-timeout",
        "30",
        "--max-connections",
        "60",
        "--max-connections-per-client",
        "20",
    )
    try:
        result = attack.slowloris(
            running.base, connections=50, seconds=4.0, interval=0.5, source="127.0.0.9"
        )
    finally:
        running.stop()
    assert result["closed_within_a_second"] == 30, result
    assert result["held_to_the_end"] == 20, result
    assert all(status == 200 for status, _ in result["healthz_meanwhile"]), result


def test_cli_query_refuses_service_load_from_and_huge_trees_without_connecting(store):
    result = attack.cli(store)
    assert result["exit_codes"] == {2: result["runs"]}, result
    assert result["outbound_connections"] == 0 and result["tracebacks"] == 0, result
