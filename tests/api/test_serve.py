"""`sanctiongraph serve` and the on-disk store (workers open it read-only)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

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


def test_prepare_derives_for_the_date_asked_and_keeps_the_stores_otherwise():
    from sanctiongraph.api.serve import prepare
    from sanctiongraph.derive import derived_date

    store = open_store(in_memory=True)
    assert prepare(store, date(2026, 11, 23)) == date(2026, 11, 23)  # seeded for it
    assert prepare(store, None) == date(2026, 11, 23)  # the store's date is kept
    assert prepare(store, date(2025, 1, 2)) == derived_date(store) == date(2025, 1, 2)


def test_on_disk_store_queries_see_writes(tmp_path):
    location = tmp_path / "store"
    store = open_store(location)
    seed_if_empty(store, date(2026, 11, 23))
    store.close()
    settings = Settings(store_path=location, api_key=API_KEY, query_deadline_seconds=5)
    ask = {"query": 'ASK { ?e <http://www.w3.org/2000/01/rdf-schema#label> "Disk probe" }'}
    with TestClient(create_app(settings)) as client:
        assert client.get("/sparql", params=ask).json()["boolean"] is False
        r = client.post(
            "/graphs/disk",
            params={"as_of": "2026-11-23"},
            content=b'<urn:x:d> <http://www.w3.org/2000/01/rdf-schema#label> "Disk probe" .',
            headers={"content-type": "text/turtle", "x-api-key": API_KEY},
        )
        assert r.status_code == 200, r.text
        assert client.get("/sparql", params=ask).json()["boolean"] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serving(tmp_path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`sanctiongraph serve` on a free port over a new store; (process, base URL) once
    /healthz answers."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "sanctiongraph.cli",
        "serve",
        "--port",
        str(port),
        "--store",
        str(tmp_path / "store"),
        *extra,
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(base + "/healthz", timeout=5).raise_for_status()
            return process, base
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_serving(process)
                raise AssertionError("the server did not start") from None
            time.sleep(0.3)


def stop_serving(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def test_serve_command_serves_seeded_store(tmp_path):
    process, base = start_serving(tmp_path)
    try:
        health = httpx.get(base + "/healthz", timeout=30)
        graphs = {g["graph"] for g in health.json()["graphs"]}
        assert str(GRAPH.ontology) in graphs and str(GRAPH.derived) in graphs
        assert health.json()["derived_as_of"] == date.today().isoformat()
        r = httpx.get(
            base + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"accept": "text/csv"},
            timeout=30,
        )
        assert r.status_code == 200 and "true" in r.text
    finally:
        stop_serving(process)


def cli_run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", *args, "--store", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_serve_as_of_cors_and_read_commands_beside_the_server(tmp_path):
    """Issue 19 item 13: the derived graph's date, CORS origins, and the CLI's read
    commands on the store that a single-process server holds for writing (they open
    the checkpoint it publishes, read-only; a write through the server reaches them)."""
    process, base = start_serving(
        tmp_path,
        "--as-of",
        "2026-11-23",
        "--api-key",
        API_KEY,
        "--cors-origin",
        "https://dash.example",
        "--cors-origin",
        "https://other.example",
    )
    try:
        assert httpx.get(base + "/healthz", timeout=30).json()["derived_as_of"] == "2026-11-23"
        for origin in ("https://dash.example", "https://other.example"):
            r = httpx.get(base + "/healthz", headers={"origin": origin}, timeout=30)
            assert r.headers["access-control-allow-origin"] == origin
        r = httpx.get(base + "/healthz", headers={"origin": "https://evil.example"}, timeout=30)
        assert "access-control-allow-origin" not in r.headers

        owners = cli_run(
            tmp_path, "owners", "my-silver-sail", "--as-of", "2026-11-23", "--format", "json"
        )
        assert owners.returncode == 0, owners.stderr
        assert json.loads(owners.stdout)["status"] == "blocked"
        access = cli_run(tmp_path, "access", "my-silver-sail", "--as-of", "2026-11-23")
        assert access.returncode == 0 and "sg-orchid-ny" in access.stdout, access.stderr
        export = cli_run(tmp_path, "export", "--graph", "shapes", "--format", "ntriples")
        assert export.returncode == 0 and "CaptaMaintainingShape" in export.stdout
        ask = "ASK { <urn:x:served> ?p ?o }"
        assert cli_run(tmp_path, "query", "--query", ask).stdout.strip() == "false"

        r = httpx.post(
            base + "/graphs/probe",
            params={"as_of": "2026-11-23"},
            content=b"<urn:x:served> <urn:x:b> <urn:x:c> .",
            headers={"content-type": "text/turtle", "x-api-key": API_KEY},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        query = cli_run(tmp_path, "query", "--query", ask)
        assert query.returncode == 0 and query.stdout.strip() == "true", query.stderr
        # The readers' private copies are gone once they have finished.
        left = [p.name for p in (tmp_path / "store" / "sanctiongraph-query-snapshots").iterdir()]
        assert not [name for name in left if "-reader-" in name]
    finally:
        stop_serving(process)
    # Once the server has stopped, a read command opens the store as before.
    assert cli_run(tmp_path, "query", "--query", ask).stdout.strip() == "true"


def test_serve_access_log_off_unless_asked(monkeypatch, tmp_path):
    # One log line per request cost about a tenth of the CPU of a cheap request.
    import uvicorn
    from click.testing import CliRunner

    from sanctiongraph import cli
    from sanctiongraph.api import serve as serve_module

    runs = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(serve_module, "seed_if_empty", lambda store, as_of: False)
    # uvicorn does not run here, so nothing listens: no port to check either
    monkeypatch.setattr(serve_module, "check_port", lambda host, port: None)
    for number, extra in enumerate(([], ["--access-log"])):
        store = str(tmp_path / f"store-{number}")  # the unstarted app keeps its store open
        result = CliRunner().invoke(cli.cli, ["serve", "--store", store, *extra])
        assert result.exit_code == 0, result.output
    assert [options["access_log"] for options in runs] == [False, True]


def test_a_read_only_app_answers_reads_and_refuses_writes(tmp_path):
    location = tmp_path / "store"
    writer = open_store(location)
    seed_if_empty(writer, date(2026, 11, 23))
    # A read-only open works beside the process's own writer (and beside other readers).
    settings = Settings(store_path=location, api_key=API_KEY, read_only=True)
    with TestClient(create_app(settings)) as client:
        owners = client.get("/entities/kp-crane/owners", params={"as_of": "2026-11-23"})
        assert owners.status_code == 200 and owners.json()["blocked"] is True
        r = client.post(
            "/graphs/x",
            content=b"<urn:x:a> <urn:x:b> <urn:x:c> .",
            headers={"content-type": "text/turtle", "x-api-key": API_KEY},
        )
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
    writer.close()


def test_workers_need_an_on_disk_store():
    from click.testing import CliRunner

    from sanctiongraph import cli

    result = CliRunner().invoke(
        cli.cli, ["serve", "--workers", "2", "--store", "http://127.0.0.1:9/sparql"]
    )
    assert result.exit_code == 2 and "needs an on-disk store" in result.output
    assert "Traceback" not in result.output


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts processes through /proc")
def test_serve_with_workers_shares_the_store_read_only(tmp_path):
    process, base = start_serving(tmp_path, "--workers", "2", "--api-key", API_KEY)
    try:
        for _ in range(20):  # both workers answer (each with its own copies)
            r = httpx.get(
                base + "/entities/kp-crane/owners", params={"as_of": "2026-11-23"}, timeout=30
            )
            assert r.status_code == 200 and r.json()["blocked"] is True
        r = httpx.post(
            base + "/graphs/x",
            content=b"<urn:x:a> <urn:x:b> <urn:x:c> .",
            headers={"content-type": "text/turtle", "x-api-key": API_KEY},
            timeout=30,
        )
        assert r.status_code == 403
        workers = [
            pid
            for pid in children(process.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 2
        # A read command opens the store read-only beside the workers (issue 19 item 13).
        owners = cli_run(tmp_path, "owners", "kp-crane", "--as-of", "2026-11-23")
        assert owners.returncode == 0 and "blocked" in owners.stdout, owners.stderr
    finally:
        stop_serving(process)


def test_serve_on_a_busy_port_fails_before_it_touches_the_store(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sanctiongraph.cli",
                "serve",
                "--port",
                str(port),
                "--store",
                str(tmp_path / "store"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ], result.stderr
    assert not (tmp_path / "store").exists()


def test_serve_refuses_a_port_out_of_range(tmp_path):
    """A port above 65535 was taken modulo 65536 by the system (99999 listened on 34463)."""
    from click.testing import CliRunner

    from sanctiongraph.cli import cli

    result = CliRunner().invoke(
        cli, ["serve", "--port", "99999", "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 2
    assert "99999 is not in the range 0<=x<=65535" in result.output
    assert not (tmp_path / "store").exists()
