"""Run SPARQL queries in worker processes that can be killed at their deadline.

pyoxigraph has no query timeout and can crash on pathological input, so no client
query runs in the server process. Each worker opens its own copy of the store
(read-only on disk, or an in-memory copy of a snapshot), inspects the query with
:mod:`sanctiongraph.api.guard` *before* executing it, and answers with the serialized
result. A worker that passes its deadline is killed and replaced; the server keeps
answering.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

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
    "JSON": "application/sparql-results+json", "XML": "application/sparql-results+xml",
    "CSV": "text/csv", "TSV": "text/tab-separated-values", "TURTLE": "text/turtle",
    "N_TRIPLES": "application/n-triples", "JSON_LD": "application/ld+json",
}


@dataclass(frozen=True)
class Snapshot:
    """What a worker opens: an on-disk store read-only, or N-Quads bytes in memory."""

    path: str | None = None
    nquads: bytes | None = None


@dataclass(frozen=True)
class Limits:
    max_length: int
    max_depth: int
    max_rows: int
    max_bytes: int


@dataclass(frozen=True)
class Outcome:
    """``status`` 200 with a body, or an HTTP error status with ``detail``."""

    status: int
    media_type: str = "application/json"
    body: bytes = b""
    detail: str = ""


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


def _open(snapshot: Snapshot):
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
            first = next(iter(table)) if media == "*/*" else next(
                (m for m in table if m.startswith(media[:-1])), None)
            if first:
                return table[first]
        elif media in table:
            return table[media]
    return None


def execute(store, query: str, accept: tuple[str, ...], default_graphs: tuple[str, ...],
            named_graphs: tuple[str, ...], limits: Limits) -> Outcome:
    """Inspect and run one query on ``store`` (a pyoxigraph Store); never raises."""
    import pyoxigraph as ox

    from sanctiongraph.api.guard import UnsafeQuery, inspect_query

    allowed = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    try:
        inspection = inspect_query(query, allowed, limits.max_length, limits.max_depth)
        for iri in default_graphs + named_graphs:
            if iri not in allowed:
                raise UnsafeQuery(f"<{iri}> is not a graph of this store")
    except UnsafeQuery as exc:
        return Outcome(400, detail=str(exc))
    graphs = inspection.form in ("CONSTRUCT", "DESCRIBE")
    fmt = _choose(accept, GRAPH_TYPES if graphs else SOLUTION_TYPES)
    if fmt is None:
        offered = ", ".join(dict.fromkeys(CANONICAL[v] for v in
                                          (GRAPH_TYPES if graphs else SOLUTION_TYPES).values()))
        return Outcome(406, detail=f"cannot give a {inspection.form} result as "
                       f"{', '.join(accept)}; available: {offered}")
    options = {}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    elif not inspection.dataset:  # FROM in the query sets the dataset itself
        options["use_default_graph_as_union"] = True
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]

    def run():
        return store.query(query, **options)

    try:
        result = run()
        if not isinstance(result, ox.QueryBoolean):
            count = 0
            for _ in result:
                count += 1
                if count > limits.max_rows:
                    noun = "triples" if graphs else "rows"
                    return Outcome(400, detail=f"the result has more than {limits.max_rows} "
                                   f"{noun}; add LIMIT or narrow the query")
            result = run()
        writer = _CappedWriter(limits.max_bytes)
        if isinstance(result, ox.QueryTriples):
            result.serialize(writer, format=getattr(ox.RdfFormat, fmt))
        else:
            result.serialize(writer, format=getattr(ox.QueryResultsFormat, fmt))
    except _TooLarge:
        return Outcome(400, detail=f"the result is larger than {limits.max_bytes} bytes; "
                       "add LIMIT or narrow the query")
    except SyntaxError as exc:
        return Outcome(400, detail=f"SPARQL syntax error: {exc}")
    except (ValueError, OSError, TypeError, RuntimeError) as exc:
        return Outcome(400, detail=f"query failed: {exc}")
    media = CANONICAL[fmt]
    if fmt in ("CSV", "TSV", "TURTLE", "N_TRIPLES"):
        media += "; charset=utf-8"
    return Outcome(200, media, b"".join(writer.chunks))


def _serve(conn: Connection, snapshot: Snapshot, limits: Limits) -> None:
    """The worker's loop: open the store, say ready, answer requests until EOF."""
    sys.setrecursionlimit(20_000)
    import rdflib.plugins.sparql.parser  # noqa: F401 - warm up before saying ready

    store = _open(snapshot)
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = execute(store, *request, limits)
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            outcome = Outcome(500, detail=f"{exc.__class__.__name__}: {exc}")
        conn.send(outcome)


class _Worker:
    def __init__(self, context, snapshot: Snapshot, limits: Limits, generation: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, snapshot, limits),
                                       daemon=True, name="sanctiongraph-query")
        self.process.start()
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

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryRunner:
    """A small pool of query workers; thread-safe; no state shared between apps."""

    def __init__(self, snapshot: Snapshot, limits: Limits, deadline: float,
                 workers: int = 1, start_timeout: float = 60.0) -> None:
        self._context = mp.get_context("spawn")
        self._limits = limits
        self._deadline = deadline
        self._start_timeout = start_timeout
        self._lock = threading.Lock()
        self._snapshot = snapshot
        self._generation = 0
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._closed = False
        for _ in range(workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        with self._lock:
            worker = _Worker(self._context, self._snapshot, self._limits, self._generation)
            self._all.add(worker)
            return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; start its replacement in the background (starting a
        process sends it the snapshot, which blocks until the new process reads it)."""
        if worker.process.is_alive():
            worker.process.kill()

        def replace() -> None:
            self._retire(worker)
            if not self._closed:
                self._idle.put(self._spawn())

        threading.Thread(target=replace, daemon=True, name="sanctiongraph-respawn").start()

    def refresh(self, snapshot: Snapshot) -> None:
        """Make later queries see ``snapshot`` (after a write); old workers are replaced."""
        with self._lock:
            self._snapshot = snapshot
            self._generation += 1

    def run(self, query: str, accept: tuple[str, ...], default_graphs: tuple[str, ...] = (),
            named_graphs: tuple[str, ...] = ()) -> Outcome:
        if self._closed:
            return Outcome(503, detail="the server is shutting down")
        try:
            worker = self._idle.get(timeout=self._deadline + self._start_timeout)
        except queue.Empty:
            return Outcome(503, detail="all query workers are busy; try again")
        if worker.generation != self._generation:
            self._retire(worker)
            worker = self._spawn()
        if not worker.wait_ready(self._start_timeout):
            self._retire(worker)
            self._idle.put(self._spawn())
            return Outcome(503, detail="the query worker did not start; try again")
        started = time.monotonic()
        try:
            worker.conn.send((query, accept, default_graphs, named_graphs))
            if worker.conn.poll(self._deadline):
                outcome = worker.conn.recv()
                self._idle.put(worker)
                return outcome
        except (EOFError, OSError, BrokenPipeError):
            log.warning("query worker died on a query; replacing it")
            self._replace(worker)
            return Outcome(400, detail="the query engine failed on this query")
        log.warning("query passed its deadline after %.1f s; killing its worker",
                    time.monotonic() - started)
        self._replace(worker)
        return Outcome(503, detail=f"the query did not finish within its deadline of "
                       f"{self._deadline:g} s")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            self._retire(worker)
