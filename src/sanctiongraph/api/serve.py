"""What ``sanctiongraph serve`` does: fill an empty store with the demo, then run uvicorn."""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

from sanctiongraph.api.connections import DEFAULT_HEADER_TIMEOUT
from sanctiongraph.derive import derived_date, run_derivers
from sanctiongraph.ingest import IngestError, read_sources
from sanctiongraph.loading import (
    has_bundled,
    load_bundled,
    load_shapes,
    load_sources,
    make_ready,
)
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.store.base import DEFAULT_STORE_DIR
from sanctiongraph.store.oxigraph import hold_lock

log = logging.getLogger("sanctiongraph.api")


def seed_if_empty(store: GraphStore, as_of: date) -> bool:
    """Load the ontology, reference data and demo world into an empty store and derive
    for ``as_of``; return whether anything was loaded."""
    if has_bundled(store) or store.graphs():
        return False
    load_bundled(store)
    load_shapes(store)
    try:
        load_sources(store, read_sources([demo_world_dir()]))
    except IngestError as exc:
        log.warning("demo world not loaded: %s", exc)
    run_derivers(store, as_of)
    return True


def prepare(store: GraphStore, as_of: date | None) -> date:
    """Ready ``store`` for serving: the demo world in an empty store, a torn derived graph
    computed again, and the derived graph computed for ``as_of`` when given and the
    store's is for another date; return the derived graph's date."""
    if seed_if_empty(store, as_of or date.today()):
        log.info("empty store: loaded the ontology, reference data and demo world")
    elif (day := make_ready(store, as_of)) is not None:  # never serve a torn derived graph
        log.warning(
            "the derived graph was unfinished or older than the data (an "
            "interrupted load?); computed it again for %s",
            day.isoformat(),
        )
    current = derived_date(store)
    if as_of is not None and current != as_of:
        log.info(
            "deriving for %s (the store's derived graph was for %s)",
            as_of.isoformat(),
            current.isoformat() if current else "no date",
        )
        run_derivers(store, as_of)
        current = as_of
    return current or date.today()


# How ``serve`` hands its settings to the processes uvicorn starts for ``workers`` > 1.
WORKER_SETTINGS = "SANCTIONGRAPH_WORKER_SETTINGS"


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


def allowed_hosts(host: str, given: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The Host header values to answer: ``given``, else localhost names and ``host``
    (binding all addresses, 0.0.0.0 or ::, needs the names clients use given)."""
    return tuple(given) if given else tuple(dict.fromkeys((*LOCAL_HOSTS, host)))


@dataclass(frozen=True)
class ConnectionLimits:
    """What uvicorn is told about connections (per server process)."""

    max_connections: int = 1000
    """uvicorn's ``limit_concurrency``: above it, new requests get 503."""
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    """Seconds a connection may take to send a request's head (slowloris)."""
    keep_alive_timeout: int = 5
    """uvicorn's ``timeout_keep_alive``: an idle keep-alive connection is closed then."""
    per_client: int = 100
    """Connections one client address may hold; more are refused at once with a 503
    (0: no cap), so that one slow client cannot fill ``max_connections``."""


def check_port(host: str, port: int) -> None:
    """Raise ``ValueError`` with one line when ``host:port`` cannot be listened on (in
    use, or not an address of this machine), as uvicorn would bind it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(
    host: str,
    port: int,
    location: str | None,
    api_key: str | None = None,
    access_log: bool = False,
    workers: int = 1,
    read_requires_key: bool = False,
    hosts: tuple[str, ...] = (),
    query: dict[str, float | None] | None = None,
    connections: ConnectionLimits = ConnectionLimits(),
    as_of: date | None = None,
    cors_origins: tuple[str, ...] = (),
) -> None:
    """Run the API; with ``workers`` > 1, that many processes, each opening the on-disk
    store read-only and keeping its own copies for the JSON endpoints (memory times N;
    writes are refused). ``read_requires_key``: reads need ``api_key`` too; ``hosts``:
    the Host header values answered (default: :func:`allowed_hosts`). ``query`` holds
    :class:`Settings` fields of the SPARQL endpoint (``query_workers``,
    ``query_deadline_seconds``, ``query_memory_mb``, ``query_per_client``). ``as_of``:
    the date of the derived graph (derived again for it before serving when the store's
    is another; default: the store's date, or today for an empty store);
    ``cors_origins``: the origins whose pages may read the answers (default: none). Raises
    ``ValueError`` when ``workers`` cannot be used, or reads need a key and none is
    given."""
    import uvicorn

    from sanctiongraph.api import Settings, create_app
    from sanctiongraph.api.connections import (
        CONNECTIONS_PER_CLIENT_ENV,
        HEADER_TIMEOUT_ENV,
        protocol_class,
    )

    logging.basicConfig(level=logging.INFO)
    text = str(location) if location is not None else DEFAULT_STORE_DIR
    remote = text.startswith(("http://", "https://"))
    if workers < 1 or (workers > 1 and remote):
        raise ValueError("--workers must be 1 or more, and above 1 needs an on-disk store")
    if read_requires_key and not api_key:
        raise ValueError("--read-requires-key needs --api-key")
    options: dict[str, Any] = {
        "api_key": api_key,
        "read_requires_key": read_requires_key,
        "allowed_hosts": allowed_hosts(host, hosts),
        "cors_origins": tuple(cors_origins),
        **(query or {}),
    }
    check_port(host, port)  # before the store is opened, seeded or derived
    store = open_store(text)
    prepare(store, as_of)
    os.environ[HEADER_TIMEOUT_ENV] = str(connections.header_timeout)
    os.environ[CONNECTIONS_PER_CLIENT_ENV] = str(connections.per_client)
    server: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "http": protocol_class(),
        "limit_concurrency": connections.max_connections,
        "timeout_keep_alive": connections.keep_alive_timeout,
    }
    if workers > 1:
        store.close()
        # Held while serving: the processes read the directory without RocksDB's lock,
        # so a writer must not open it meanwhile (it would be refused, and this is too
        # while one has it open).
        readers_lock = hold_lock(Path(text), shared=True)  # noqa: F841 - held until exit
        os.environ[WORKER_SETTINGS] = json.dumps({"store_path": text, **options})
        uvicorn.run("sanctiongraph.api.serve:worker_app", factory=True, workers=workers, **server)
        return
    if remote:
        settings = Settings(store=store, **options)
    else:
        store.close()
        settings = Settings(store_path=Path(text), **options)
    uvicorn.run(create_app(settings), **server)


def worker_app() -> FastAPI:
    """The app of one of ``serve --workers N``'s processes (uvicorn imports this)."""
    from sanctiongraph.api import Settings, create_app

    given = json.loads(os.environ[WORKER_SETTINGS])
    return create_app(
        Settings(
            store_path=Path(given.pop("store_path")),
            read_only=True,
            **{
                **given,
                "allowed_hosts": tuple(given["allowed_hosts"]),
                "cors_origins": tuple(given.get("cors_origins", ())),
            },
        )
    )
