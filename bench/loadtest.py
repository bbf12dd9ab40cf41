"""Load test of the HTTP API: ``/entities/{id}/owners`` and ``/entities/{id}/access-paths``.

    python bench/loadtest.py --entities 100000 --store /tmp/lt-100k \\
        --clients 50 --requests 5000 --duration 300 [--json out.json] [--requests-log r.jsonl]

1. Builds the seeded world of bench/pipeline.py (``write_world``: ownership, listings,
   banks, correspondent accounts, transactions) as a CSV data package and loads it into
   an on-disk store with the library calls the pipeline uses (read_sources, open_store,
   load_bundled, load_sources, run_derivers for the as-of date). With ``--store DIR``
   an existing store in DIR is reused (it must hold the world of the same size and
   seed; a marker file records what was built there).
2. Starts the real server (``sanctiongraph serve --store DIR``, i.e. uvicorn on
   ``create_app(Settings(store_path=DIR))``) in a subprocess on 127.0.0.1 with a free
   port and a cap on its address space (``--server-memory-mib``), waits for
   ``/healthz`` and stops it by its PID at the end.
3. Runs ``--clients`` concurrent asyncio clients (httpx, one connection each) over a
   seeded random sample of ids: entities with owners, blocked entities (directly listed
   or through the 50 Percent Rule), ordinary ones, and banks; half the requests go to
   ``/owners``, half to ``/access-paths`` (banks), all with ``as_of``. The run stops at
   ``--requests`` requests or ``--duration`` seconds, whichever comes first (requests
   still in flight at the time limit are cancelled and reported, not timed). Warm-up
   requests (``--warmup``) are sent first and not counted. The clients are made before
   the clock starts (making one takes tens of ms of this process's CPU).
4. Prints a Markdown table per endpoint and overall (requests, errors with status
   counts, p50/p95/p99/max latency in ms, throughput) and the machine (cores, load
   average at the start and the end, since the machine may be shared); ``--json``
   writes the same figures, ``--requests-log`` one line per measured request.

Latency is measured by the client: from sending the request to reading the whole body,
so it includes queueing in the server when all its threads are busy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import AS_OF, generate
from pipeline import write_world

MARKER = "loadtest-world.json"


# --------------------------------------------------------------------------- store


def build_store(entities: int, seed: int, store_dir: Path, as_of: date) -> dict:
    """Write the pipeline's world as a package and load it into ``store_dir``."""
    from sanctiongraph.derive import run_derivers
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store import open_store

    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / f"world-{entities}"
        package.mkdir()
        counts = write_world(entities, seed, package)
        t = time.perf_counter()
        sources = read_sources([package])
        timings["ingest_s"] = time.perf_counter() - t
    store = open_store(store_dir)
    try:
        load_bundled(store)
        t = time.perf_counter()
        load_sources(store, sources)
        timings["load_s"] = time.perf_counter() - t
        del sources
        t = time.perf_counter()
        run_derivers(store, as_of)
        timings["derive_s"] = time.perf_counter() - t
    finally:
        store.close()
    info = {
        "entities": entities,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "counts": counts,
        "timings": timings,
    }
    (store_dir / MARKER).write_text(json.dumps(info, indent=1))
    return info


def ensure_store(
    entities: int, seed: int, store_dir: Path | None, as_of: date, tmp: Path
) -> tuple[Path, dict]:
    if store_dir is None:
        store_dir = tmp / "store"
    marker = store_dir / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        if (info["entities"], info["seed"], info["as_of"]) != (entities, seed, as_of.isoformat()):
            sys.exit(
                f"{store_dir} holds entities={info['entities']} seed={info['seed']} "
                f"as_of={info['as_of']}; use another --store"
            )
        print(f"reusing store {store_dir} ({entities:,} entities, seed {seed})", file=sys.stderr)
        return store_dir, info
    if store_dir.exists() and any(store_dir.iterdir()):
        sys.exit(f"{store_dir} is not empty and has no {MARKER}; refusing to reuse it")
    store_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"building store {store_dir} ({entities:,} entities, seed {seed}) ...",
        file=sys.stderr,
        flush=True,
    )
    t = time.perf_counter()
    info = build_store(entities, seed, store_dir, as_of)
    print(
        f"built in {time.perf_counter() - t:.0f} s: {json.dumps(info['timings'])}",
        file=sys.stderr,
        flush=True,
    )
    return store_dir, info


# --------------------------------------------------------------------------- sample


def sample_ids(entities: int, seed: int, size: int, as_of: date) -> dict[str, list[str]]:
    """A seeded sample of ids by kind, from the same generator as the world.

    ``owned``: entities with at least one holding above them; ``blocked``: entities on
    the SDN List on ``as_of`` and entities with a listed direct owner (many of them
    blocked through the 50 Percent Rule; the server decides); ``ordinary``: any entity;
    ``banks``: every fifth entity (pipeline.py's banks).
    """
    world = generate(entities, seed)
    owned = sorted({h[1] for h in world.holdings})
    listed = {
        e
        for e, _program, start, end in world.listings
        if start <= as_of.isoformat() and (end is None or end > as_of.isoformat())
    }
    children = {h[1] for h in world.holdings if h[0] in listed}
    blocked = sorted(listed | children)
    banks = [n for n in range(entities) if n % 5 == 0]
    rng = random.Random(seed + 7)

    def pick(pool: list[int], k: int) -> list[str]:
        return [f"e{n}" for n in rng.sample(pool, min(k, len(pool)))]

    return {
        "owned": pick(owned, size),
        "blocked": pick(blocked, size),
        "ordinary": pick(list(range(entities)), size),
        "banks": pick(banks, size),
    }


def request_plan(
    ids: dict[str, list[str]], count: int, seed: int, as_of: date, max_depth: int
) -> list[tuple[str, str]]:
    """``count`` (endpoint, path) pairs: alternately /owners (owned, blocked, ordinary
    ids in equal parts) and /access-paths (banks)."""
    rng = random.Random(seed + 11)
    owner_pool = ids["owned"] + ids["blocked"] + ids["ordinary"]
    plan = []
    for i in range(count):
        if i % 2 == 0:
            plan.append(("owners", f"/entities/{rng.choice(owner_pool)}/owners?as_of={as_of}"))
        else:
            plan.append(
                (
                    "access-paths",
                    f"/entities/{rng.choice(ids['banks'])}/access-paths"
                    f"?as_of={as_of}&max_depth={max_depth}",
                )
            )
    return plan


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    store_dir: Path, port: int, log_path: Path, extra: list[str], memory_mib: int
) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("sanctiongraph")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "sanctiongraph.cli"]
    command += [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store",
        str(store_dir),
        *extra,
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes it while it runs

    def cap_memory() -> None:
        # A cap on the server's address space, so that a runaway server fails alone
        # instead of waking the kernel's OOM killer on a shared machine.
        if memory_mib:
            limit = memory_mib * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=cap_memory
    )


def wait_healthy(base: str, process: subprocess.Popen, timeout: float) -> dict:
    import httpx

    # /healthz counts every graph's triples, which takes tens of seconds on a large
    # store: wait for the port first, then send one /healthz with a long timeout
    # (short-timeout retries would pile up counting requests in the server).
    deadline = time.monotonic() + timeout
    host, port = base.rsplit("/", 1)[-1].split(":")
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"server not listening after {timeout:.0f} s")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    t = time.perf_counter()
    response = httpx.get(base + "/healthz", timeout=max(1.0, deadline - time.monotonic()))
    response.raise_for_status()
    body = response.json()
    body["healthz_seconds"] = time.perf_counter() - t
    return body


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


# --------------------------------------------------------------------------- load


async def run_load(
    base: str,
    plan: list[tuple[str, str]],
    clients: int,
    duration: float,
    timeout: float,
    kind: str = "httpx",
) -> tuple[list[tuple], float, int]:
    """Send ``plan`` with ``clients`` concurrent clients until it is done or ``duration``
    seconds have passed (requests still in flight then are cancelled); return
    (endpoint, latency s, outcome, path, body bytes, start s) per finished request, the
    elapsed time and the number of requests cancelled at the time limit. ``kind`` is
    the client: ``httpx``, or ``raw`` (:func:`raw_get`)."""
    if kind == "raw":
        return await _run_raw(base, plan, clients, duration, timeout)
    import httpx

    results: list[tuple] = []
    queue = iter(plan)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # Made before the clock starts: making an AsyncClient takes tens of ms of the load
    # generator's CPU (its TLS context), which made the first requests wait up to 1.8 s.
    https = [
        httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) for _ in range(clients)
    ]
    stop_at = time.monotonic() + duration
    t0 = time.perf_counter()

    async def client(http: httpx.AsyncClient) -> None:
        async with http:
            for endpoint, path in queue:
                if time.monotonic() >= stop_at:
                    return
                t = time.perf_counter()
                size = 0
                try:
                    response = await http.get(path)
                    size = len(await response.aread())
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                results.append((endpoint, time.perf_counter() - t, outcome, path, size, t - t0))

    elapsed, cut = await _finish([client(http) for http in https], duration, t0)
    return results, elapsed, cut


async def _finish(clients: list, duration: float, t0: float) -> tuple[float, int]:
    """Run the clients for at most ``duration`` s; (elapsed s since ``t0``, requests cut)."""
    tasks = [asyncio.ensure_future(client) for client in clients]
    _done, pending = await asyncio.wait(tasks, timeout=duration)
    for task in pending:  # requests still in flight at the time limit: not counted
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return time.perf_counter() - t0, len(pending)


async def _run_raw(
    base: str, plan: list[tuple[str, str]], clients: int, duration: float, timeout: float
) -> tuple[list[tuple], float, int]:
    """:func:`run_load` with :func:`raw_get` clients, one keep-alive connection each."""
    host, port = base.rsplit("/", 1)[-1].split(":")
    results: list[tuple] = []
    queue = iter(plan)
    stop_at = time.monotonic() + duration
    t0 = time.perf_counter()

    async def client() -> None:
        connection = None
        try:
            for endpoint, path in queue:
                if time.monotonic() >= stop_at:
                    return
                t = time.perf_counter()
                size = 0
                try:
                    if connection is None:
                        connection = await asyncio.open_connection(host, int(port))
                    status, size = await asyncio.wait_for(raw_get(*connection, host, path), timeout)
                    outcome = str(status)
                except (
                    TimeoutError,
                    OSError,
                    EOFError,
                    ValueError,
                    asyncio.LimitOverrunError,
                ) as exc:
                    outcome = type(exc).__name__
                    if connection is not None:
                        connection[1].close()
                    connection = None  # its state is unknown: start a new one
                results.append((endpoint, time.perf_counter() - t, outcome, path, size, t - t0))
        finally:
            if connection is not None:
                connection[1].close()

    elapsed, cut = await _finish([client() for _ in range(clients)], duration, t0)
    return results, elapsed, cut


async def raw_get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> tuple[int, int]:
    """One HTTP/1.1 GET on a kept-alive connection; (status, body bytes). A client of a
    few lines, for the load generator: httpx spent about 1.7 ms of CPU per request here,
    as much as the server, on the machine they share. It reads a body by
    Content-Length or chunked, and raises ``ValueError`` on anything else."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in lines[1:])
    }
    if b"content-length" in headers:
        return status, len(await reader.readexactly(int(headers[b"content-length"])))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        size = 0
        while (length := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
            size += len(await reader.readexactly(length + 2)) - 2
        await reader.readuntil(b"\r\n")  # (no trailers)
        return status, size
    raise ValueError("a response without Content-Length or chunked encoding")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def summarise(results: list[tuple], elapsed: float) -> dict[str, dict]:
    table = {}
    for name in ("owners", "access-paths", "overall"):
        rows = [r for r in results if name == "overall" or r[0] == name]
        latencies = sorted(r[1] * 1000 for r in rows)
        outcomes = Counter(r[2] for r in rows)
        errors = sum(n for o, n in outcomes.items() if not (o.isdigit() and 200 <= int(o) < 300))
        table[name] = {
            "requests": len(rows),
            "errors": errors,
            "outcomes": dict(sorted(outcomes.items())),
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else None,
            "throughput_rps": len(rows) / elapsed if elapsed else None,
        }
    return table


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants
    (``serve --workers`` runs its workers as child processes); Linux ``/proc`` only."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, grown = {pid}, True
    while grown:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def machine() -> dict:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def markdown(table: dict[str, dict], clients: int) -> str:
    lines = [
        "| endpoint | requests | errors (status counts) | p50 ms | p95 ms | p99 ms | max ms "
        "| req/s | clients |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in table.items():
        counts = ", ".join(f"{k}: {v}" for k, v in row["outcomes"].items())
        lines.append(
            f"| {name} | {row['requests']:,} | {row['errors']} ({counts}) "
            f"| {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['max_ms']:.1f} | {row['throughput_rps']:.1f} | {clients} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--store",
        type=Path,
        help="store directory to build or reuse "
        "(default: a temporary directory, removed at the end)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the store and stop")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5000, help="measured requests (at most)")
    parser.add_argument("--duration", type=float, default=300, help="time limit in seconds")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first")
    parser.add_argument("--sample", type=int, default=500, help="ids per kind in the sample")
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="load generator's client: httpx, or a few-line HTTP/1.1 client "
        "(raw_get) that leaves a shared machine's CPU to the server",
    )
    parser.add_argument("--server-start-timeout", type=float, default=300)
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra argument for `sanctiongraph serve` (repeatable)",
    )
    parser.add_argument(
        "--server-memory-mib",
        type=int,
        default=8192,
        help="address-space cap of the server process (0: none)",
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's output here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--requests-log",
        type=Path,
        help="write one JSON line per measured "
        "request here (endpoint, path, status, body bytes, start and latency s)",
    )
    args = parser.parse_args()
    as_of = AS_OF

    with tempfile.TemporaryDirectory() as tmp:
        store_dir, info = ensure_store(args.entities, args.seed, args.store, as_of, Path(tmp))
        if args.build_only:
            return
        ids = sample_ids(args.entities, args.seed, args.sample, as_of)
        warmup = request_plan(ids, args.warmup, args.seed + 1, as_of, args.max_depth)
        plan = request_plan(ids, args.requests, args.seed, as_of, args.max_depth)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = args.server_log or Path(tmp) / "server.log"
        server = start_server(store_dir, port, log_path, args.server_arg, args.server_memory_mib)
        try:
            health = wait_healthy(base, server, args.server_start_timeout)
            print(
                f"server pid {server.pid} on {base}; /healthz answered in "
                f"{health['healthz_seconds']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            if args.warmup:
                asyncio.run(
                    run_load(base, warmup, args.clients, args.duration, args.timeout, args.client)
                )
            load_start = os.getloadavg()
            started = time.strftime("%Y-%m-%d %H:%M:%S")
            server_cpu, client_cpu = tree_cpu_seconds(server.pid), time.process_time()
            results, elapsed, cut = asyncio.run(
                run_load(base, plan, args.clients, args.duration, args.timeout, args.client)
            )
            server_cpu = tree_cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            load_end = os.getloadavg()
        finally:
            exit_code = server.poll()
            stop_server(server)
            server_log = log_path.read_text(errors="replace")
        errors_500 = [line for line in server_log.splitlines() if "Traceback" in line]
    table = summarise(results, elapsed)
    out = {
        "started": started,
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "entities": args.entities,
        "seed": args.seed,
        "as_of": as_of.isoformat(),
        "world": info.get("counts"),
        "clients": args.clients,
        "requests_planned": args.requests,
        "duration_limit_s": args.duration,
        "elapsed_s": elapsed,
        "cut_at_time_limit": cut,
        "warmup": args.warmup,
        "server_args": args.server_arg,
        "client": args.client,
        "server_tracebacks": len(errors_500),
        "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(results)),
        "client_cpu_ms_per_request": 1000 * client_cpu / max(1, len(results)),
        "server_exit_code_during_run": exit_code,
        "healthz_s": health["healthz_seconds"],
        "endpoints": table,
    }
    print(
        f"{args.entities:,} entities, {args.clients} {args.client} clients, "
        f"{len(results):,} requests "
        f"in {elapsed:.1f} s ({cut} in flight at the time limit, not counted; "
        f"limits: {args.requests:,} requests, {args.duration:.0f} s), "
        f"{args.warmup} warm-up requests not counted; {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in load_start)} at the start, "
        f"{' '.join(f'{x:.2f}' for x in load_end)} at the end; CPU per request: server "
        f"{out['server_cpu_ms_per_request']:.2f} ms, load generator "
        f"{out['client_cpu_ms_per_request']:.2f} ms"
    )
    print()
    print(markdown(table, args.clients))
    if exit_code is not None:
        print(
            f"\nthe server exited during the run (exit code {exit_code}); "
            f"its log ends with:\n{server_log[-1500:]}",
            file=sys.stderr,
        )
    if errors_500:
        print(f"\nserver log has {len(errors_500)} tracebacks", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    if args.requests_log:
        with args.requests_log.open("w") as log:
            for endpoint, latency, outcome, path, size, start in results:
                log.write(
                    json.dumps(
                        {
                            "endpoint": endpoint,
                            "path": path,
                            "status": outcome,
                            "bytes": size,
                            "start_s": round(start, 4),
                            "latency_s": round(latency, 4),
                        }
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
