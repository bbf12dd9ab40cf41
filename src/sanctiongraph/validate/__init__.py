"""The validate pipeline: load, derive, check shapes, report.

:func:`validate_paths` is stateless: it builds an in-memory store with the ontology,
the reference data and the given sources, and leaves nothing behind.
:func:`validate_store` checks what a store already holds (it rewrites only the
derived graph).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rdflib import Graph

from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import IngestError, Source
from sanctiongraph.loading import load_bundled, load_sources, read_and_load
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.validate.engine import Explainer, merge, run_pyshacl
from sanctiongraph.validate.fast import run_fast
from sanctiongraph.validate.report import Finding, Report
from sanctiongraph.validate.shapes import bundled_shapes

ENGINES = {"fast": run_fast, "reference": run_pyshacl}

__all__ = ["ENGINES", "Finding", "Report", "validate_paths", "validate_sources", "validate_store"]


def validate_store(
    store: GraphStore, as_of: date, engine: str = "fast", shapes: Graph | None = None,
    derive: bool = True,
) -> Report:
    """Check what ``store`` holds as of ``as_of``; ``derive=False`` reuses a derived
    graph already computed for that date."""
    shapes = shapes if shapes is not None else bundled_shapes()
    if derive:
        run_derivers(store, as_of)
    raw = ENGINES[engine](store, shapes)
    explainer = Explainer(store, shapes)
    return Report(as_of, merge(f for r in raw for f in explainer.explain(r)))


def validate_sources(
    sources: list[Source], as_of: date, engine: str = "fast", shapes: Graph | None = None
) -> Report:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, sources, bulk=True)  # a fresh private store: nobody reads it yet
    return validate_store(store, as_of, engine, shapes)


def validate_paths(paths: list[Path], as_of: date, engine: str = "fast") -> Report:
    """Validate folders, .zip packages and RDF files; bad input gives a report of errors.
    (Packages are loaded while they are mapped: :func:`~sanctiongraph.loading.read_and_load`.)"""
    store = open_store(in_memory=True)
    load_bundled(store)
    try:
        read_and_load(store, paths)
    except IngestError as exc:
        return Report(as_of, errors=tuple(exc.errors))
    return validate_store(store, as_of, engine)
