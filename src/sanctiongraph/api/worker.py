"""Run SPARQL queries in worker processes that can be killed at their deadline.

pyoxigraph has no query timeout, no memory limit and can crash on pathological input,
so no client query runs in the server process. Each worker opens its own copy of the
store (read-only: an immutable checkpoint of the on-disk store, or an in-memory copy of
a snapshot), caps its own memory, inspects the query with
:mod:`sanctiongraph.api.guard` *before* executing it, and answers with the serialized
result. A worker that passes its deadline, runs out of memory or crashes is replaced;
the server keeps answering.

:class:`QueryRunner` hands queries to the workers from the event loop without
occupying the shared thread pool that every other route uses: a query waits for a
worker in the runner's own bounded queue (an asyncio future), each client (by remote
address) may have only a few queries running or waiting, and the blocking exchange
with a worker runs on the runner's own threads, one per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing as mp
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import pyoxigraph as ox

from sanctiongraph.api.guard import MAX_CHAIN, MAX_TERMS

log = logging.getLogger("sanctiongraph.api")


# Media types by result kind, in order of preference (the first is the default).
SOLUTION_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "text/plain": "N_TRIPLES",
}
CANONICAL = {
    "JSON": "application/sparql-results+json",
    "XML": "application/sparql-results+xml",
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "TURTLE": "text/turtle",
    "N_TRIPLES": "application/n-triples",
    "JSON_LD": "application/ld+json",
}


@dataclass(frozen=True)
class Snapshot:
    """What a worker opens: an on-disk store read-only, or N-Quads bytes in memory.
    ``owned``: ``path`` is a checkpoint the runner deletes once no worker uses it."""

    path: str | None = None
    nquads: bytes | None = None
    owned: bool = False


@dataclass(frozen=True)
class Limits:
    max_length: int
    max_depth: int
    max_rows: int
    max_bytes: int
    max_terms: int = MAX_TERMS
    max_chain: int = MAX_CHAIN
    memory_mb: int | None = None
    """Cap on a worker's private memory (``RLIMIT_DATA``), in MiB; ``None``: no cap."""


@dataclass(frozen=True)
class Outcome:
    """``status`` 200 with a body, or an HTTP error status with ``detail``.
    ``retry_after`` (seconds) goes into a 429/503 answer; ``retryable`` marks a failure
    on our side that a fresh worker may not repeat (never sent to a client)."""

    status: int
    media_type: str = "application/json"
    body: bytes = b""
    detail: str = ""
    retry_after: int | None = None
    retryable: bool = False


INTERNAL = "the query could not be run because of an error on the server; it was logged"


class _TooLarge(Exception):
    pass


class _CappedWriter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLarge()
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _open(snapshot: Snapshot) -> ox.Store:
    import pyoxigraph as ox

    if snapshot.path is not None:
        return ox.Store.read_only(snapshot.path)
    store = ox.Store()
    if snapshot.nquads:
        store.bulk_load(snapshot.nquads, format=ox.RdfFormat.N_QUADS)
    return store


def _choose(accept: tuple[str, ...], table: dict[str, str]) -> str | None:
    for media in accept:
        if media in ("*/*", "application/*", "text/*"):
            first = (
                next(iter(table))
                if media == "*/*"
                else next((m for m in table if m.startswith(media[:-1])), None)
            )
            if first:
                return table[first]
        elif media in table:
            return table[media]
    return None


def execute(
    store: ox.Store,
    query: str,
    accept: tuple[str, ...],
    default_graphs: tuple[str, ...],
    named_graphs: tuple[str, ...],
    limits: Limits,
) -> Outcome:
    """Inspect and run one query on ``store`` (a pyoxigraph Store); never raises."""
    import pyoxigraph as ox

    from sanctiongraph.api.guard import QuerySyntaxError, UnsafeQuery, inspect_query
    from sanctiongraph.queries import (
        oxigraph_syntax_error,
        syntax_error_message,
        with_common_prefixes,
    )

    given = query
    query, added = with_common_prefixes(given)  # the bounds stay the user's text's own
    allowed = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    try:
        inspection = inspect_query(
            query,
            allowed,
            limits.max_length + len(query) - len(given),
            limits.max_depth,
            limits.max_terms + 3 * added,
            limits.max_chain,
        )
        for iri in default_graphs + named_graphs:
            if iri not in allowed:
                raise UnsafeQuery(f"<{iri}> is not a graph of this store")
    except QuerySyntaxError as exc:
        return Outcome(
            400, detail=syntax_error_message((exc.line, exc.column, exc.expected), given, added)
        )
    except UnsafeQuery as exc:
        return Outcome(400, detail=str(exc))
    graphs = inspection.form in ("CONSTRUCT", "DESCRIBE")
    fmt = _choose(accept, GRAPH_TYPES if graphs else SOLUTION_TYPES)
    if fmt is None:
        offered = ", ".join(
            dict.fromkeys(
                CANONICAL[v] for v in (GRAPH_TYPES if graphs else SOLUTION_TYPES).values()
            )
        )
        return Outcome(
            406,
            detail=f"cannot give a {inspection.form} result as "
            f"{', '.join(accept)}; available: {offered}",
        )
    options: dict[str, Any] = {}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    elif not inspection.dataset:  # FROM in the query sets the dataset itself
        options["use_default_graph_as_union"] = True
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]

    def run() -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        return store.query(query, **options)

    try:
        result = run()
        if not isinstance(result, ox.QueryBoolean):
            for count, _ in enumerate(result, 1):
                if count > limits.max_rows:
                    noun = "triples" if graphs else "rows"
                    return Outcome(
                        400,
                        detail=f"the result has more than {limits.max_rows} "
                        f"{noun}; add LIMIT or narrow the query",
                    )
            result = run()
        writer = _CappedWriter(limits.max_bytes)
        if isinstance(result, ox.QueryTriples):
            result.serialize(cast(IO[bytes], writer), format=getattr(ox.RdfFormat, fmt))
        else:
            result.serialize(cast(IO[bytes], writer), format=getattr(ox.QueryResultsFormat, fmt))
    except _TooLarge:
        return Outcome(
            400,
            detail=f"the result is larger than {limits.max_bytes} bytes; "
            "add LIMIT or narrow the query",
        )
    except SyntaxError as exc:
        return Outcome(400, detail=syntax_error_message(oxigraph_syntax_error(exc), given, added))
    except (ValueError, TypeError, RuntimeError) as exc:
        return Outcome(400, detail=f"query failed: {_scrub(str(exc))}")
    except OSError:  # the store, not the query: log it, let a fresh worker try again
        log.exception("query worker: store error")
        return Outcome(500, detail=INTERNAL, retryable=True)
    media = CANONICAL[fmt]
    if fmt in ("CSV", "TSV", "TURTLE", "N_TRIPLES"):
        media += "; charset=utf-8"
    return Outcome(200, media, b"".join(writer.chunks))


def _scrub(text: str) -> str:
    """``text`` without file paths (an engine message may name a store file)."""
    import re

    return re.sub(r"(?:[A-Za-z]:)?(?:/[^\s/:'\"]+){2,}/?", "<path>", text)


MEMORY_EXIT = 86  # a worker that hit its memory cap in Python code exits with this


def _cap_memory(memory_mb: int | None) -> None:
    """Limit this process's private writable memory (heap and anonymous mappings,
    ``RLIMIT_DATA``; Linux) to ``memory_mb`` MiB. An allocation beyond it fails: Rust
    then aborts the process, Python raises ``MemoryError``. (The address space,
    ``RLIMIT_AS``, would also count the libraries and the reservations that RocksDB
    and malloc make: 400-750 MB at rest, against about 100 MB of data.)"""
    if not memory_mb:
        return
    import resource

    at_rest = _status_kib("VmData") << 10
    cap = memory_mb << 20
    if cap < at_rest + (32 << 20):
        log.warning(
            "query worker: a memory cap of %d MiB leaves a query almost nothing "
            "(the worker holds %d MiB at rest)",
            memory_mb,
            at_rest >> 20,
        )
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def _status_kib(field: str) -> int:
    """A ``kB`` field of /proc/self/status (0 when there is none)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


QUERY_NICENESS = 10


def _yield_to_the_server(pid: int) -> None:
    """Lower process ``pid``'s CPU priority (``nice`` 10, from its first instruction):
    on 2 cores, 2 runaway queries, or 2 workers starting (about a second of CPU each),
    would otherwise delay every other route. (``SCHED_IDLE`` starved the queries
    outright on a machine busy with other work: trivial ones passed their deadline.)"""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, pid, QUERY_NICENESS)


def _serve(conn: Connection, snapshot: Snapshot, limits: Limits) -> None:
    """The worker's loop: open the store, cap memory, say ready, answer until EOF."""
    sys.setrecursionlimit(20_000)
    os.environ["RUST_BACKTRACE"] = "0"  # a memory bomb is expected; no backtrace in the log
    import rdflib.plugins.sparql.parser  # noqa: F401 - warm up before saying ready

    store = _open(snapshot)
    if sys.platform.startswith("linux"):
        _cap_memory(limits.memory_mb)
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            query, accept, default_graphs, named_graphs = request
            outcome = execute(store, query, accept, default_graphs, named_graphs, limits)
        except MemoryError:
            outcome = None
        except Exception:
            log.exception("query worker: unexpected error")
            outcome = Outcome(500, detail=INTERNAL, retryable=True)
        if outcome is None:  # the heap may be fragmented: leave, the runner replaces us
            os._exit(MEMORY_EXIT)
        try:
            conn.send(outcome)
        except MemoryError:
            os._exit(MEMORY_EXIT)


class _Worker:
    def __init__(
        self, context: SpawnContext, snapshot: Snapshot, limits: Limits, generation: int
    ) -> None:
        self.conn, child = context.Pipe()
        self.snapshot = snapshot
        self.process = context.Process(
            target=_serve, args=(child, snapshot, limits), daemon=True, name="sanctiongraph-query"
        )
        self.process.start()
        assert self.process.pid is not None  # started
        _yield_to_the_server(self.process.pid)  # from its first instruction on
        child.close()
        self.ready = False
        self.generation = generation

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready:
            try:
                if self.conn.poll(timeout):
                    self.ready = self.conn.recv() == ("ready",)
            except (EOFError, OSError):
                self.ready = False
        return self.ready

    def out_of_memory(self) -> bool:
        """Whether the (dead) process hit its memory cap: Rust aborts when an allocation
        fails, Python code exits with :data:`MEMORY_EXIT`."""
        self.process.join(2)
        return self.process.exitcode in (-signal.SIGABRT, MEMORY_EXIT)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


Request = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class QueryRunner:
    """A pool of query workers fed from the event loop; no state shared between apps.

    ``workers`` processes run queries; at most ``queue_size`` more wait for one (then
    503), each client may have at most ``per_client`` running or waiting (then 429),
    and a query waits at most its deadline for a worker (then 503).
    """

    def __init__(
        self,
        snapshot: Snapshot,
        limits: Limits,
        deadline: float,
        workers: int = 1,
        start_timeout: float = 60.0,
        queue_size: int = 16,
        per_client: int = 4,
    ) -> None:
        self._context = mp.get_context("spawn")
        self._limits = limits
        self._deadline = deadline
        self._start_timeout = start_timeout
        self._queue_size = queue_size
        self._per_client = per_client
        self.retry_after = max(1, math.ceil(deadline))
        self._lock = threading.Lock()
        self._snapshot = snapshot
        self._generation = 0
        self._idle: list[_Worker] = []
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]] = deque()
        self._clients: Counter[str] = Counter()
        self._all: set[_Worker] = set()
        self._starting: list[Snapshot] = []
        """Snapshots that workers are being started on (not in ``_all`` yet)."""
        self._closed = False
        # One thread per worker: a thread drives one worker at a time, so a query never
        # waits for a thread, and the shared pool of the other routes is never used.
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="sanctiongraph-query")
        for _ in range(workers):
            self._idle.append(self._spawn())

    def _spawn(self) -> _Worker:
        # Not under the lock: starting a process sends it the snapshot, which can take
        # a while, and the event loop takes the lock for every query's admission.
        with self._lock:
            snapshot, generation = self._snapshot, self._generation
            self._starting.append(snapshot)  # a write meanwhile must not delete it
        try:
            worker = _Worker(self._context, snapshot, self._limits, generation)
        except BaseException:
            with self._lock:
                self._started(snapshot)
                unused = self._unused(snapshot)  # a write meanwhile left it to us
            if unused and snapshot.path is not None:
                shutil.rmtree(snapshot.path, ignore_errors=True)
            raise
        with self._lock:
            self._started(snapshot)
            self._all.add(worker)
        return worker

    def _started(self, snapshot: Snapshot) -> None:
        """Take one start on ``snapshot`` off ``_starting`` (by identity, as
        :meth:`_unused` reads it; under the lock)."""
        del self._starting[next(i for i, s in enumerate(self._starting) if s is snapshot)]

    def _unused(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is an owned checkpoint that nothing will open again:
        not the current one, no worker's, none being started on it (under the lock)."""
        return (
            snapshot.owned
            and snapshot is not self._snapshot
            and all(w.snapshot is not snapshot for w in self._all)
            and all(s is not snapshot for s in self._starting)
        )

    def _retire(self, worker: _Worker) -> None:
        """Stop ``worker`` once: a query's thread and :meth:`close` may both retire it,
        and the one that takes it out of the pool stops it (closing its connection
        twice could close a descriptor the system has given to something else since)."""
        with self._lock:
            if worker not in self._all:
                return
            self._all.discard(worker)
        worker.stop()
        with self._lock:
            unused = self._unused(worker.snapshot)
        if unused and worker.snapshot.path is not None:
            shutil.rmtree(worker.snapshot.path, ignore_errors=True)

    def refresh(self, snapshot: Snapshot) -> None:
        """Make later queries see ``snapshot`` (after a write); old workers are replaced
        when next used, and an owned checkpoint is deleted when no worker uses it."""
        with self._lock:
            old, self._snapshot = self._snapshot, snapshot
            self._generation += 1
            unused = self._unused(old)
        if unused and old.path is not None:
            shutil.rmtree(old.path, ignore_errors=True)

    # --- from the event loop ----------------------------------------------------------

    async def run(
        self,
        query: str,
        accept: tuple[str, ...],
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
        client: str = "",
        abandoned: Callable[[], Awaitable[bool]] | None = None,
    ) -> Outcome:
        """Run one query: admission, a wait for a worker, the exchange; never raises.
        ``abandoned()`` is asked once a worker is free: a query whose client has gone
        away meanwhile is not run."""
        with self._lock:
            if self._closed:
                return Outcome(503, detail="the server is shutting down")
            if self._clients[client] >= self._per_client:
                return Outcome(
                    429,
                    detail=f"this client already has {self._per_client} "
                    "queries running or waiting; wait for one to finish",
                    retry_after=self.retry_after,
                )
            if not self._idle and len(self._waiters) >= self._queue_size:
                return Outcome(
                    503,
                    detail="too many queries are waiting for a query worker; try again later",
                    retry_after=self.retry_after,
                )
            self._clients[client] += 1
        try:
            worker = await self._acquire()
            if worker is None:
                return Outcome(
                    503,
                    detail=f"no query worker became free within "
                    f"{self._deadline:g} s; try again later",
                    retry_after=self.retry_after,
                )
            if abandoned is not None and await abandoned():
                self._release(worker)
                return Outcome(499, detail="the client went away")
            request: Request = (query, accept, default_graphs, named_graphs)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._run_on, worker, request)
        finally:
            with self._lock:
                self._clients[client] -= 1
                if self._clients[client] <= 0:
                    del self._clients[client]

    async def _acquire(self) -> _Worker | None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._idle:
                return self._idle.pop()
            waiter = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            return await asyncio.wait_for(waiter, self._deadline)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with self._lock:
                try:
                    self._waiters.remove((loop, waiter))
                except ValueError:
                    pass  # a worker is on its way: _hand gives it back (waiter is done)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return None

    def _hand(self, waiter: asyncio.Future[_Worker], worker: _Worker) -> None:
        if waiter.done():  # the query stopped waiting meanwhile
            self._release(worker)
        else:
            waiter.set_result(worker)

    def _release(self, worker: _Worker) -> None:
        """Give ``worker`` to the next waiting query, or back to the pool (any thread)."""
        with self._lock:
            closed = self._closed
            if not closed:
                while self._waiters:
                    loop, waiter = self._waiters.popleft()
                    try:
                        loop.call_soon_threadsafe(self._hand, waiter, worker)
                        return
                    except RuntimeError:  # that loop is closed
                        continue
                self._idle.append(worker)
                return
        self._retire(worker)

    # --- on the runner's own threads ------------------------------------------------

    def _run_on(self, worker: _Worker, request: Request) -> Outcome:
        """The blocking exchange with a worker, retried once on a fresh worker after a
        failure on our side; the worker (or its replacement) is released after."""
        if worker.generation != self._generation or not worker.process.is_alive():
            worker = self._spawn_now(worker)  # the data changed, or it died idle
        for attempt in (1, 2):
            if not worker.wait_ready(self._start_timeout):
                log.warning("a query worker did not start")
                self._release(worker)  # dead: the next query starts another in its place
                return Outcome(
                    503,
                    detail="the query worker did not start; try again",
                    retry_after=self.retry_after,
                )
            outcome, alive = self._exchange(worker, request)
            if not outcome.retryable or attempt == 2:
                if alive:
                    self._release(worker)
                else:  # answer now, start its replacement on this pool's next free thread
                    try:
                        self._threads.submit(self._replace, worker)
                    except RuntimeError:  # shutting down
                        self._retire(worker)
                return outcome
            log.warning("retrying a query on a fresh worker after an error on our side")
            worker = self._spawn_now(worker)
        raise AssertionError("unreachable")

    def _spawn_now(self, worker: _Worker) -> _Worker:
        self._retire(worker)
        return self._spawn()

    def _replace(self, worker: _Worker) -> None:
        """Start a worker in the place of a dead or killed one (after its answer went)."""
        self._release(self._spawn_now(worker))

    def _exchange(self, worker: _Worker, request: Request) -> tuple[Outcome, bool]:
        """Send ``request``; (the outcome, whether the worker may be used again)."""
        started = time.monotonic()
        try:
            worker.conn.send(request)
            if worker.conn.poll(self._deadline):
                return worker.conn.recv(), True
        except (EOFError, OSError):
            if worker.out_of_memory():
                log.warning(
                    "a query needed more than %s MiB; replacing its worker", self._limits.memory_mb
                )
                return Outcome(
                    400,
                    detail=f"the query needed more memory than a query "
                    f"worker may use ({self._limits.memory_mb} MiB); narrow it "
                    "or add LIMIT",
                ), False
            log.warning(
                "query worker died on a query (exit code %s); replacing it", worker.process.exitcode
            )
            return Outcome(400, detail="the query engine failed on this query"), False
        log.warning(
            "query passed its deadline after %.1f s; killing its worker", time.monotonic() - started
        )
        worker.process.kill()
        return Outcome(
            503,
            detail=f"the query did not finish within its deadline of {self._deadline:g} s",
            retry_after=self.retry_after,
        ), False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            waiters = list(self._waiters)
            self._waiters.clear()
            self._idle.clear()
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(waiter.cancel)
            except RuntimeError:
                pass
        for worker in workers:
            self._retire(worker)
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._snapshot.owned and self._snapshot.path:
            shutil.rmtree(self._snapshot.path, ignore_errors=True)
