"""Immutable settings of the HTTP API: built once, passed to :func:`create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sanctiongraph.api.guard import MAX_CHAIN, MAX_DEPTH, MAX_LENGTH, MAX_TERMS
from sanctiongraph.store import GraphStore


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know; nothing reads the environment behind its back.

    Give either ``store_path`` (an on-disk Oxigraph directory, opened by the app) or
    ``store`` (a store the caller owns, e.g. in memory for tests).
    """

    store_path: Path | None = None
    store: GraphStore | None = field(default=None, compare=False, repr=False)
    api_key: str | None = None
    """Key for writes (``X-API-Key``); with no key, writes are disabled."""
    read_requires_key: bool = False
    """When true, reads need the API key too (default: reads are open)."""
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    """Host header values answered (``*.example.org`` patterns too); empty: any. ``serve``
    sets localhost names and the host it binds unless told others."""
    query_deadline_seconds: float = 10.0
    max_query_length: int = MAX_LENGTH
    max_nesting_depth: int = MAX_DEPTH
    max_query_terms: int = MAX_TERMS
    """Terms (tokens outside comments) a query may have."""
    max_chain_length: int = MAX_CHAIN
    """Operators, patterns or groups one group or parenthesis may chain (pyoxigraph
    nests such a chain as deep as it is long)."""
    max_result_rows: int = 10_000
    max_result_bytes: int = 20_000_000
    max_upload_bytes: int = 5_000_000
    max_unzipped_bytes: int = 20_000_000
    max_upload_rows: int = 50_000
    """CSV rows of an uploaded package (or triples of an RDF upload) that ``/validate`` and
    ``/graphs`` take: about 5 KB of memory and 0.1 ms each to map and validate."""
    query_workers: int = 2
    """Processes that run SPARQL queries (each holds a read-only copy of the store)."""
    query_queue: int = 16
    """Queries that may wait for a worker; more get 503 with ``Retry-After``."""
    query_per_client: int = 4
    """Queries one client (remote address) may have running or waiting; more get 429."""
    query_memory_mb: int | None = 1024
    """Cap on a query worker's private memory (heap and anonymous mappings), in MiB
    (``None``: no cap); a query that needs more gets 400 and its worker is replaced."""
    worker_start_seconds: float = 60.0
    read_only: bool = False
    """Open the on-disk store read-only and refuse writes: several server processes
    (``sanctiongraph serve --workers N``) can then share one store."""
    analysis_threads: int = 4
    """Threads that answer ``/owners`` and ``/access-paths`` at once while the server's
    copies are not read, or over a SPARQL server (then they answer in the event loop).
    They hold the GIL nearly all the time: with FastAPI's 40, contention tripled the CPU
    per request."""

    def __post_init__(self) -> None:
        if (self.store_path is None) == (self.store is None):
            raise ValueError("give exactly one of store_path and store")
        if self.query_deadline_seconds <= 0 or self.query_workers < 1:
            raise ValueError("query_deadline_seconds must be > 0 and query_workers >= 1")
        if self.query_queue < 0 or self.query_per_client < 1:
            raise ValueError("query_queue must be >= 0 and query_per_client >= 1")
        if self.query_memory_mb is not None and self.query_memory_mb < 64:
            raise ValueError("query_memory_mb must be at least 64")
        if self.analysis_threads < 1:
            raise ValueError("analysis_threads must be >= 1")
