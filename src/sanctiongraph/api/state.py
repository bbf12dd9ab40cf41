"""Per-app state: the store and the query runner (no process-wide globals)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pyoxigraph as ox

from sanctiongraph.analysis.access import AccessData, load_access_data
from sanctiongraph.analysis.loader import load_ownership
from sanctiongraph.analysis.ownership import OwnershipData
from sanctiongraph.api.bounded import WorkQueue
from sanctiongraph.api.dated_views import DatedViews
from sanctiongraph.api.encoding import StepMemo, StepWriter
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.worker import Limits, QueryRunner, Snapshot
from sanctiongraph.entities import view_as_of
from sanctiongraph.store import GraphStore
from sanctiongraph.store.oxigraph import (
    READER_CHECKPOINTS,
    OxigraphStore,
    process_running,
    publish_checkpoint,
    withdraw_checkpoint,
)

log = logging.getLogger("sanctiongraph.api")


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    owns_store: bool
    _runner: QueryRunner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _copies: dict[str, object] = field(default_factory=dict)
    """The store's data read once for the JSON endpoints; ``None`` when reading failed."""
    _copies_lock: threading.Lock = field(default_factory=threading.Lock)
    _analysis_limiter: anyio.CapacityLimiter | None = None
    long_walks: WorkQueue = field(
        default_factory=lambda: WorkQueue("long access-path walks", threads=1, waiting=8)
    )
    """Walks too long for the event loop: one at a time (a second thread running Python
    beside it doubled how long the event loop waited for the GIL)."""
    uploads: WorkQueue = field(
        default_factory=lambda: WorkQueue("uploads being read or validated", threads=1, waiting=2)
    )
    """Uploads to unpack, map and validate: off the event loop, one at a time."""
    dated_views: DatedViews = field(init=False)
    """The store derived for other dates than its own, for ``/entities/{id}?as_of=``."""

    data_version: int = 0
    """Incremented by every write through this app (caches compare it)."""
    _published: str | None = None
    """The checkpoint that read commands open while this app writes to the store."""

    def __post_init__(self) -> None:
        self.dated_views = DatedViews(partial(view_as_of, self.store))

    def snapshot(self) -> Snapshot:
        """What query workers open: a checkpoint of the on-disk store (immutable, so a
        write here never pulls files from under a reader; opening the live directory
        read-only beside a writer crashed readers), the directory itself when this
        process never writes, or an in-memory copy."""
        if self.settings.store_path is not None:
            if self.settings.read_only or not isinstance(self.store, OxigraphStore):
                return Snapshot(path=str(self.settings.store_path))
            return Snapshot(path=_checkpoint(self.store, self.settings.store_path), owned=True)
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, g)
            for g in self.store.graphs()
            for t in self.store.triples(g)
        ]
        return Snapshot(nquads=ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b"")

    def publish_for_readers(self) -> None:
        """Give read commands (``sanctiongraph query``, ``owners``, ...) a checkpoint
        of the on-disk store that this app holds for writing, named in the store's
        directory (:func:`~sanctiongraph.store.oxigraph.open_for_reading`); the previous
        one is deleted (a reader links its files first, so it keeps them)."""
        location = self.settings.store_path
        if location is None or self.settings.read_only or not isinstance(self.store, OxigraphStore):
            return
        checkpoint = _checkpoint(self.store, location)
        publish_checkpoint(self.store, Path(checkpoint))
        old, self._published = self._published, checkpoint
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    @property
    def runner(self) -> QueryRunner:
        with self._lock:
            if self._runner is None:
                s = self.settings
                self._runner = QueryRunner(
                    self.snapshot(),
                    Limits(
                        s.max_query_length,
                        s.max_nesting_depth,
                        s.max_result_rows,
                        s.max_result_bytes,
                        s.max_query_terms,
                        s.max_chain_length,
                        s.query_memory_mb,
                    ),
                    s.query_deadline_seconds,
                    s.query_workers,
                    s.worker_start_seconds,
                    s.query_queue,
                    s.query_per_client,
                )
            return self._runner

    async def query_runner(self) -> QueryRunner:
        """:attr:`runner`; the first call starts it off the event loop (it makes a
        checkpoint or copy of the store and starts processes) and off the shared pool."""
        runner = self._runner
        if runner is None:
            runner = await asyncio.get_running_loop().run_in_executor(None, lambda: self.runner)
        return runner

    def ownership(self) -> OwnershipData | None:
        """The whole store's holdings and listings, for ``/owners``."""
        return self.owners_inputs()[0]

    def owners_inputs(self) -> tuple[OwnershipData | None, StepWriter]:
        """:meth:`ownership` and a ``write_step`` that keeps the steps it writes as long
        as that data (read together: a write between the two cannot mix copies)."""
        copy = self._copy("ownership", _read_ownership)
        return (None, StepWriter()) if copy is None else (copy[0], StepWriter(copy[1]))

    def access(self) -> AccessData | None:
        """The whole store's accounts, for ``/access-paths``."""
        found: AccessData | None = self._copy("access", load_access_data)
        return found

    def _copy(self, name: str, read: Callable[[GraphStore], Any]) -> Any:
        """``read(store)``, read once: at start-up, and after a write at the first request
        that needs it. Requests wait while it is read: reading in the background, beside
        forty threads answering slowly without it, starved the reader. ``None`` when
        reading failed; the endpoint then reads what each request needs from the store.
        Everything alive then is hidden from the cyclic collector."""
        with self._copies_lock:
            if name not in self._copies:
                try:
                    self._copies[name] = read(self.store)
                except Exception:  # the per-request path still answers
                    log.exception("reading the %s data failed", name)
                    self._copies[name] = None
                _spare_from_the_collector()
            return self._copies[name]

    async def analyse(self, function: Callable[..., object], *args: object) -> object:
        """``function(*args)``: in the event loop's own thread when the copies are read
        and the store is the embedded one (the answer is then Python over memory that
        holds the GIL, mostly under a millisecond: a thread would add only the
        hand-over, about a fifth of the CPU of a request); otherwise in a worker thread, at most
        ``settings.analysis_threads`` of them at once (FastAPI's own pool runs up to 40),
        so that reading the copies or a remote store does not stop the server."""
        if self.copies_ready():
            return function(*args)
        if self._analysis_limiter is None:
            self._analysis_limiter = anyio.CapacityLimiter(self.settings.analysis_threads)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._analysis_limiter)

    def copies_ready(self) -> bool:
        """Whether :meth:`analyse` answers in the event loop's own thread."""
        return isinstance(self.store, OxigraphStore) and all(
            self._copies.get(name) is not None for name in ("ownership", "access")
        )

    def data_changed(self) -> None:
        """Workers reopen the store so that queries see a write; cached data is dropped."""
        self.data_version += 1
        with self._copies_lock:
            self._copies.clear()
            gc.unfreeze()  # the old copies may be collected again
        self.dated_views.clear()
        with self._lock:
            if self._runner is not None:
                self._runner.refresh(self.snapshot())
        self.publish_for_readers()

    def close(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.close()
                self._runner = None
        if self._published is not None and self.settings.store_path is not None:
            withdraw_checkpoint(self.settings.store_path)
            shutil.rmtree(self._published, ignore_errors=True)
            self._published = None
        if self.owns_store:
            self.store.close()


def _spare_from_the_collector() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight.

    The copies are millions of long-lived objects (at 100k entities); each full
    collection walked all of them and stopped every request for about 250 ms, every
    few seconds under load. They are freed by reference counting when dropped."""
    gc.collect()
    gc.freeze()


def _read_ownership(store: GraphStore) -> tuple[OwnershipData, StepMemo]:
    data = load_ownership(store)
    data.possible()  # indexes every request uses (about 0.5 s at 100k)
    data.ownerships("up")
    return data, {}


QUERY_SNAPSHOTS = READER_CHECKPOINTS
"""Where query workers' checkpoints live, inside the store's directory."""


def _checkpoint(store: OxigraphStore, location: Path) -> str:
    """A new checkpoint of ``store`` (hard links on the same file system) inside its
    directory, in ``sanctiongraph-query-snapshots/<pid>-<n>`` (the store's directory is
    writable wherever the store is; its parent need not be, e.g. a volume's mount
    point); checkpoints left by processes that no longer run are deleted first."""
    root = location / QUERY_SNAPSHOTS
    root.mkdir(exist_ok=True)
    for old in root.iterdir():
        pid = old.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    with _CHECKPOINTS_LOCK:
        global _CHECKPOINTS
        _CHECKPOINTS += 1
        target = root / f"{os.getpid()}-{_CHECKPOINTS}-{id(store):x}"
    store.native.backup(str(target))
    return str(target)


_CHECKPOINTS = 0
_CHECKPOINTS_LOCK = threading.Lock()
