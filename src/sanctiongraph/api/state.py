"""Per-app state: the store and the query runner (no process-wide globals)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import pyoxigraph as ox

from sanctiongraph.analysis.loader import load_ownership
from sanctiongraph.analysis.ownership import OwnershipData
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.worker import Limits, QueryRunner, Snapshot
from sanctiongraph.store import GraphStore

log = logging.getLogger("sanctiongraph.api")


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    owns_store: bool
    _runner: QueryRunner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _ownership: OwnershipData | None = None
    _ownership_version: int = 0
    _ownership_building: bool = False

    def snapshot(self) -> Snapshot:
        if self.settings.store_path is not None:
            return Snapshot(path=str(self.settings.store_path))
        quads = [ox.Quad(t.subject, t.predicate, t.object, g)
                 for g in self.store.graphs() for t in self.store.triples(g)]
        return Snapshot(nquads=ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b"")

    @property
    def runner(self) -> QueryRunner:
        with self._lock:
            if self._runner is None:
                s = self.settings
                self._runner = QueryRunner(
                    self.snapshot(),
                    Limits(s.max_query_length, s.max_nesting_depth, s.max_result_rows,
                           s.max_result_bytes),
                    s.query_deadline_seconds, s.query_workers, s.worker_start_seconds)
            return self._runner

    def ownership(self) -> OwnershipData | None:
        """The whole store's holdings and listings for ``/owners``, or ``None`` while
        they are being read (in a background thread, started by the first call)."""
        with self._lock:
            if self._ownership is None and not self._ownership_building:
                self._ownership_building = True
                threading.Thread(target=self._read_ownership, args=(self._ownership_version,),
                                 daemon=True).start()
            return self._ownership

    def _read_ownership(self, version: int) -> None:
        try:
            data = load_ownership(self.store)
        except Exception:  # e.g. the store closed at shutdown; requests read per entity
            log.exception("reading the ownership data failed")
            data = None
        with self._lock:
            self._ownership_building = False
            if data is not None and version == self._ownership_version:  # no write since
                self._ownership = data

    def data_changed(self) -> None:
        """Workers reopen the store so that queries see a write; cached data is dropped."""
        with self._lock:
            self._ownership = None
            self._ownership_version += 1
            if self._runner is not None:
                self._runner.refresh(self.snapshot())

    def close(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.close()
                self._runner = None
        if self.owns_store:
            self.store.close()
