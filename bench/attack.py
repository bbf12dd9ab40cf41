"""Attack harness for ``sanctiongraph serve`` and ``sanctiongraph query`` (issue 22).

    python bench/attack.py [--store DIR] [--runaway 45] [--seconds 30] [--slowloris 1000]
                           [--scenarios starvation,fair,writes,bombs,cli,slowloris]

Starts the real server (``sanctiongraph serve``, a subprocess on a free port of
127.0.0.1, over a store seeded with the demo world; stopped by its PID) and runs:

- ``starvation``: ``--runaway`` concurrent clients, each from its own loopback address
  (127.0.0.2, 127.0.0.3, ...), send a query that runs until its deadline, again and
  again, while one client polls ``/healthz`` and ``/entities/{id}/owners``: the
  latencies of those (p50/p95/p99/max) and what the runaway clients got, by status.
- ``fair``: the same from one address: the per-client cap answers 429.
- ``writes``: 5 ``POST /graphs/{name}`` (with the key) while 2 clients read through
  ``/sparql``: the statuses of the reads (every one must be 200).
- ``bombs``: the doubling-BIND memory bomb, a flat chain of 7,000 ``+`` and a query
  nested 3,000 levels: statuses, the peak memory of the query workers (their peak
  resident set, and their private data sampled every 20 ms, from /proc) against the
  cap, and a query answered afterwards.
- ``cli``: ``sanctiongraph query`` with SERVICE / LOAD / FROM probes aimed at a local
  listening socket, the flat chain and the 3,000-deep file: exit codes, and the
  connections the socket received (must be 0).
- ``slowloris``: ``--slowloris`` connections that send a header line every 2 s and
  never finish: how long the server keeps them, and ``/healthz`` meanwhile.

Each scenario is a function that returns a dict of figures; ``tests/api/test_attack.py``
runs them smaller and asserts on them. Prints a Markdown summary; ``--json`` writes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

API_KEY = "attack-key"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
MEMORY_BOMB = (
    'SELECT * { BIND("'
    + "x" * 64
    + '" AS ?a0) '
    + " ".join(f"BIND(CONCAT(?a{i},?a{i}) AS ?a{i + 1})" for i in range(40))
    + " }"
)
FLAT_CHAIN = "ASK { FILTER(" + "+".join(["1"] * 7000) + " > 0) }"
DEEP = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
VALID = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
SERVICE_PROBES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX x: <{url}> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
    'SELECT * WHERE {{ ?s ?p "#" . SERVICE <{url}> {{ ?a ?b ?c }} }}',
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "LOAD <{url}>",
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM NAMED <{url}> WHERE {{ ?s ?p ?o }}",
]
OWNED = "kp-crane"  # an entity of the demo world with owners
# Polled under attack: answered in the event loop (the first two, once their data is
# read) and in the shared thread pool (the entity itself).
POLLED = ["/healthz", f"/entities/{OWNED}/owners", f"/entities/{OWNED}"]


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``sanctiongraph serve`` in a subprocess; ``base`` once ``/healthz`` answers."""

    def __init__(self, store: Path, *options: str, log: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "sanctiongraph.cli",
            "serve",
            "--port",
            str(self.port),
            "--store",
            str(store),
            "--api-key",
            API_KEY,
            *options,
        ]
        output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the server writes it
        self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(self.base + "/healthz", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.3)
        httpx.get(self.base + "/sparql", params={"query": "ASK {}"}, timeout=120)  # workers up

    def query_workers(self) -> list[int]:
        """PIDs of the server's query worker processes (its spawned children)."""
        return [
            pid
            for pid in _children(self.process.pid)
            if b"spawn_main" in _read(f"/proc/{pid}/cmdline")
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read(f"/proc/{entry}/stat").decode(errors="replace")
            if ")" in stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _memory_kib(pid: int, field: str) -> int:
    for line in _read(f"/proc/{pid}/status").decode().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(pick(0.95), 1),
        "p99": round(pick(0.99), 1),
        "max": round(ordered[-1], 1),
    }


# --------------------------------------------------------------------------- scenarios


async def _poll(
    base: str, stop: asyncio.Event, latencies: dict[str, list[float]], statuses: Counter
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        turn = 0
        while not stop.is_set():
            path = POLLED[turn % len(POLLED)]
            turn += 1
            started = time.perf_counter()
            try:
                status = str((await client.get(path)).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies[path].append((time.perf_counter() - started) * 1000)
            statuses[f"{path} {status}"] += 1
            await asyncio.sleep(0.02)


async def _runaway(
    base: str, address: str, stop: asyncio.Event, statuses: Counter, pause: float
) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as client:
        statuses["clients sending"] += 1
        while not stop.is_set():
            try:
                response = await client.get("/sparql", params={"query": RUNAWAY})
                statuses[response.status_code] += 1
                if response.status_code in (429, 503) and "Retry-After" not in response.headers:
                    statuses["refusal without Retry-After"] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
            await asyncio.sleep(pause)


def _runaway_process(
    base: str, addresses: list[str], seconds: float, pause: float, results, sending
) -> None:
    """The runaway clients, in their own process (not the poller's event loop), at a
    lower CPU priority (nice 10): here they share the machine's cores with the server,
    where a real attacker's clients would run elsewhere."""
    os.nice(10)

    async def main() -> None:
        stop = asyncio.Event()
        statuses: Counter = Counter()
        tasks = [asyncio.create_task(_runaway(base, a, stop, statuses, pause)) for a in addresses]
        while statuses["clients sending"] < len(addresses):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # their first requests are on the wire
        sending.set()
        await asyncio.sleep(seconds)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put({str(k): v for k, v in statuses.items()})

    asyncio.run(main())


def starvation(
    base: str,
    clients: int = 45,
    seconds: float = 30.0,
    one_address: bool = False,
    pause: float = 0.1,
) -> dict:
    """Runaway SPARQL clients (in a child process) against a poller of ``/healthz`` and
    a JSON route (in this one); latencies as the poller sees them."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    sending = context.Event()
    addresses = ["127.0.0.1" if one_address else f"127.0.0.{2 + i}" for i in range(clients)]
    attackers = context.Process(
        target=_runaway_process, args=(base, addresses, seconds + 1.0, pause, results, sending)
    )
    started = time.monotonic()
    attackers.start()
    if not sending.wait(120):
        raise RuntimeError("the runaway clients did not start")
    attackers_ready = time.monotonic() - started

    async def poll() -> tuple[dict[str, list[float]], Counter]:
        stop = asyncio.Event()
        latencies: dict[str, list[float]] = {path: [] for path in POLLED}
        polled: Counter = Counter()
        await asyncio.sleep(1.0)  # their queries fill the workers and the queue
        poller = asyncio.create_task(_poll(base, stop, latencies, polled))
        await asyncio.sleep(seconds)
        stop.set()
        await poller
        return latencies, polled

    latencies, polled = asyncio.run(poll())
    try:
        runaway = results.get(timeout=60)
    except Exception:
        runaway = {"error": f"the runaway clients' process ended with {attackers.exitcode}"}
    attackers.join(30)
    drained = drain(base)
    together = [v for values in latencies.values() for v in values]
    return {
        "runaway_clients": clients,
        "one_address": one_address,
        "seconds": seconds,
        "attackers_ready_after_seconds": round(attackers_ready, 1),
        "polled": percentiles(together),
        **{path: percentiles(values) for path, values in latencies.items()},
        "poll_statuses": dict(polled),
        "runaway_statuses": runaway,
        "seconds_until_a_query_ran_again": drained,
    }


def drain(base: str, timeout: float = 120.0) -> float:
    """Seconds until a small query is answered again (the runaway ones have ended)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            response = httpx.get(base + "/sparql", params={"query": "ASK {}"}, timeout=timeout)
            if response.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def writes(base: str, count: int = 5, readers: int = 2) -> dict:
    """``count`` writes while ``readers`` clients query: the statuses of the reads."""
    stop = threading.Event()
    reads: Counter = Counter()
    bodies: Counter = Counter()

    def read() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                response = client.get("/sparql", params={"query": VALID})
                reads[response.status_code] += 1
                if response.status_code != 200:
                    bodies[response.text[:200]] += 1

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    written = []
    try:
        for number in range(count):
            turtle = (
                f"<https://w3id.org/sanctiongraph/id/entity/attack-{number}> "
                f'<http://www.w3.org/2000/01/rdf-schema#label> "Attack {number}" .'
            ).encode()
            started = time.monotonic()
            response = httpx.post(
                f"{base}/graphs/attack-{number % 2}",
                content=turtle,
                headers={"content-type": "text/turtle", "x-api-key": API_KEY},
                timeout=600,
            )
            written.append(
                {"status": response.status_code, "seconds": round(time.monotonic() - started, 2)}
            )
    finally:
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
    return {
        "writes": written,
        "reads": dict(reads),
        "non_200_reads": sum(v for k, v in reads.items() if k != 200),
        "non_200_bodies": dict(bodies),
    }


def bombs(server: Server, memory_mb: int) -> dict:
    """The memory bomb, the flat chain and the 3,000-deep query through ``/sparql``."""
    peak = {"rss_kib": 0, "data_kib": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in server.query_workers():
                peak["rss_kib"] = max(peak["rss_kib"], _memory_kib(pid, "VmHWM"))
                peak["data_kib"] = max(peak["data_kib"], _memory_kib(pid, "VmData"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    answers = {}
    try:
        for name, query in (
            ("memory_bomb", MEMORY_BOMB),
            ("flat_chain", FLAT_CHAIN),
            ("deep_3000", DEEP),
        ):
            started = time.monotonic()
            response = httpx.post(server.base + "/sparql", data={"query": query}, timeout=120)
            answers[name] = {
                "status": response.status_code,
                "detail": response.json().get("detail")
                if response.headers.get("content-type", "").startswith("application/json")
                else None,
                "seconds": round(time.monotonic() - started, 2),
            }
    finally:
        stop.set()
        sampler.join()
    after = httpx.get(server.base + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
    return {
        **answers,
        "after": after.status_code,
        "cap_mib": memory_mb,
        "peak_worker_rss_mib": round(peak["rss_kib"] / 1024, 1),
        "peak_worker_data_mib": round(peak["data_kib"] / 1024, 1),
        "workers_alive": len(server.query_workers()),
    }


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

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


def cli(store: Path) -> dict:
    """``sanctiongraph query`` on the SERVICE probes, the flat chain and the deep file."""
    listener = CountingListener()
    exits: Counter = Counter()
    messages = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            runs = [["--query", probe.format(url=listener.url)] for probe in SERVICE_PROBES]
            for name, text in (("chain.rq", FLAT_CHAIN), ("deep.rq", DEEP)):
                path = Path(folder) / name
                path.write_text(text, encoding="utf-8")
                runs.append([str(path)])
            for args in runs:
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "sanctiongraph.cli",
                        "query",
                        "--store",
                        str(store),
                        *args,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                exits[done.returncode] += 1
                messages.append(done.stderr.strip().splitlines()[-1] if done.stderr else "")
        time.sleep(0.3)
    finally:
        listener.close()
    return {
        "runs": sum(exits.values()),
        "exit_codes": dict(exits),
        "outbound_connections": listener.connections,
        "tracebacks": sum("Traceback" in m for m in messages),
        "messages": messages,
    }


def slowloris(
    base: str,
    connections: int = 1000,
    seconds: float = 30.0,
    interval: float = 2.0,
    source: str | None = None,
) -> dict:
    """Connections that never finish their headers (from the loopback address
    ``source``, e.g. 127.0.0.9, when given): when the server closes them, and how
    ``/healthz`` answers another address meanwhile."""
    host, port = base.removeprefix("http://").split(":")
    local = {"local_addr": (source, 0)} if source else {}

    async def hold(opened: list[float], closed: list[float]) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port), **local)
        except OSError:
            closed.append(0.0)
            return
        started = time.monotonic()
        opened.append(started)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            await writer.drain()
            while time.monotonic() - started < seconds:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), interval) == b"":
                        break  # the server closed the connection
                except TimeoutError:
                    continue
        except (ConnectionError, OSError):
            pass
        closed.append(time.monotonic() - started)
        writer.close()

    async def main() -> dict:
        opened: list[float] = []
        closed: list[float] = []
        holders = [asyncio.create_task(hold(opened, closed)) for _ in range(connections)]
        await asyncio.sleep(min(seconds / 3, 3.0))
        health = []
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(5):
                started = time.perf_counter()
                response = await client.get(base + "/healthz")
                health.append(
                    (response.status_code, round((time.perf_counter() - started) * 1000, 1))
                )
                await asyncio.sleep(0.2)
        await asyncio.gather(*holders)
        held = sorted(closed)
        return {
            "connections": connections,
            "opened": len(opened),
            "closed_within_a_second": sum(1 for h in held if h < 1.0),
            "held_seconds": percentiles(held),
            "held_to_the_end": sum(1 for h in held if h >= seconds - 0.5),
            "healthz_meanwhile": health,
        }

    return asyncio.run(main())


# --------------------------------------------------------------------------- main


def seed(store: Path) -> None:
    """An on-disk store with the ontology, reference data and demo world."""
    from datetime import date

    from sanctiongraph.api.serve import seed_if_empty
    from sanctiongraph.store import open_store

    opened = open_store(store)
    seed_if_empty(opened, date.today())
    opened.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: new)")
    parser.add_argument("--runaway", type=int, default=45)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--pause", type=float, default=0.1, help="a runaway client's pause after each answer"
    )
    parser.add_argument("--slowloris", type=int, default=1000)
    parser.add_argument("--memory", type=int, default=1024, help="serve --query-memory")
    parser.add_argument("--scenarios", default="starvation,fair,writes,bombs,cli,slowloris")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    chosen = args.scenarios.split(",")
    with tempfile.TemporaryDirectory() as folder:
        store = args.store or Path(folder) / "store"
        seed(store)
        results: dict = {"cores": os.cpu_count(), "load_before": os.getloadavg()}
        server = Server(
            store,
            "--query-memory",
            str(args.memory),
            "--header-timeout",
            "10",
            log=Path(folder) / "server.log",
        )
        try:
            if "starvation" in chosen:
                results["starvation"] = starvation(
                    server.base, args.runaway, args.seconds, pause=args.pause
                )
            if "fair" in chosen:
                results["fair"] = starvation(
                    server.base,
                    args.runaway,
                    min(args.seconds, 10),
                    one_address=True,
                    pause=args.pause,
                )
            if "bombs" in chosen:
                results["bombs"] = bombs(server, args.memory)
            if "writes" in chosen:
                results["writes"] = writes(server.base)
            if "slowloris" in chosen:
                results["slowloris"] = slowloris(server.base, args.slowloris, 30.0)
        finally:
            server.stop()
        if "cli" in chosen:
            results["cli"] = cli(store)
        results["load_after"] = os.getloadavg()
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
