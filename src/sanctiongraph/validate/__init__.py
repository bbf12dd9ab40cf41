"""The validate pipeline: load, derive, check shapes, report.

:func:`validate_paths` is stateless: it builds an in-memory store with the ontology,
the reference data and the given sources, and leaves nothing behind.
:func:`validate_store` checks what a store already holds (it rewrites only the
derived graph).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from rdflib import Graph

from sanctiongraph.derive import Deriver, run_derivers
from sanctiongraph.ingest import IngestError, Source
from sanctiongraph.loading import load_bundled, load_sources, read_and_load
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.validate.engine import Explainer, merge, run_pyshacl
from sanctiongraph.validate.fast import run_fast
from sanctiongraph.validate.report import Finding, Report
from sanctiongraph.validate.rules import rules_checked
from sanctiongraph.validate.shapes import bundled_shapes

ENGINES = {"fast": run_fast, "reference": run_pyshacl}

Progress = Callable[[str, str, float], None]
"""Told each stage when it ends: its name, what it did, and its seconds."""

__all__ = ["ENGINES", "Finding", "Report", "validate_paths", "validate_sources", "validate_store"]


def validate_store(
    store: GraphStore,
    as_of: date,
    engine: str = "fast",
    shapes: Graph | None = None,
    derive: bool = True,
    progress: Progress | None = None,
    derivers: Mapping[str, Deriver] | None = None,
) -> Report:
    """Check what ``store`` holds as of ``as_of``; ``derive=False`` reuses a derived
    graph already computed for that date; ``derivers`` replaces derivers by module name
    (:func:`~sanctiongraph.derive.run_derivers`)."""
    tell = progress or (lambda stage, detail, seconds: None)
    shapes = shapes if shapes is not None else bundled_shapes()
    if derive:
        start = time.perf_counter()
        size = run_derivers(store, as_of, derivers)
        tell(
            "derive", f"{size} derived triples for {as_of.isoformat()}", time.perf_counter() - start
        )
    start = time.perf_counter()
    raw = ENGINES[engine](store, shapes)
    explainer = Explainer(store, shapes)
    findings = merge(f for r in raw for f in explainer.explain(r))
    tell("validate", f"{len(findings)} findings ({engine} engine)", time.perf_counter() - start)
    return Report(as_of, findings, rules=rules_checked(store, (f.shape for f in findings)))


def validate_sources(
    sources: list[Source], as_of: date, engine: str = "fast", shapes: Graph | None = None
) -> Report:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, sources, bulk=True)  # a fresh private store: nobody reads it yet
    return validate_store(store, as_of, engine, shapes)


def validate_paths(
    paths: list[Path],
    as_of: date,
    engine: str = "fast",
    progress: Progress | None = None,
    derivers: Mapping[str, Deriver] | None = None,
) -> Report:
    """Validate folders, .zip packages and RDF files; bad input gives a report of errors.
    (Packages are loaded while they are mapped: :func:`~sanctiongraph.loading.read_and_load`.)"""
    store = open_store(in_memory=True)
    load_bundled(store)
    start = time.perf_counter()
    try:
        counts = read_and_load(store, paths)
    except IngestError as exc:
        return Report(as_of, errors=tuple(exc.errors))
    if progress:
        progress(
            "read and load",
            f"{sum(counts.values())} triples from {len(counts)} "
            f"source{'s' if len(counts) != 1 else ''}",
            time.perf_counter() - start,
        )
    return validate_store(store, as_of, engine, progress=progress, derivers=derivers)
