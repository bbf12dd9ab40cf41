"""What ``sanctiongraph serve`` does: fill an empty store with the demo, then run uvicorn."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import IngestError, read_sources
from sanctiongraph.loading import has_bundled, load_bundled, load_sources
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.store.base import DEFAULT_STORE_DIR

log = logging.getLogger("sanctiongraph.api")


def seed_if_empty(store: GraphStore, as_of: date) -> bool:
    """Load the ontology, reference data and demo world into an empty store and derive
    for ``as_of``; return whether anything was loaded."""
    if has_bundled(store) or store.graphs():
        return False
    load_bundled(store)
    try:
        load_sources(store, read_sources([demo_world_dir()]))
    except IngestError as exc:
        log.warning("demo world not loaded: %s", exc)
    run_derivers(store, as_of)
    return True


def serve(host: str, port: int, location: str | None, api_key: str | None = None,
          access_log: bool = False) -> None:
    import uvicorn

    from sanctiongraph.api import Settings, create_app

    logging.basicConfig(level=logging.INFO)
    text = str(location) if location is not None else DEFAULT_STORE_DIR
    store = open_store(text)
    if seed_if_empty(store, date.today()):
        log.info("empty store: loaded the ontology, reference data and demo world")
    if text.startswith(("http://", "https://")):
        settings = Settings(store=store, api_key=api_key)
    else:
        store.close()
        settings = Settings(store_path=Path(text), api_key=api_key)
    uvicorn.run(create_app(settings), host=host, port=port, access_log=access_log)
