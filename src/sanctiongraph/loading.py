"""Put the bundled ontology and reference data, and users' sources, into a store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from sanctiongraph.derive import (
    derived_is_complete,
    ensure_derived,
    invalidate_derived,
    mark_derived_complete,
)
from sanctiongraph.ingest import (
    IngestError,
    InputError,
    Source,
    is_package,
    ontology_triples,
    package_chunks,
    read_source,
    source_names,
)
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.ingest.source import source_graph
from sanctiongraph.namespaces import GRAPH
from sanctiongraph.resources import reference_dir
from sanctiongraph.store import GraphStore

ONTOLOGY_GRAPH = ox.NamedNode(str(GRAPH.ontology))
REFERENCE_GRAPH = ox.NamedNode(str(GRAPH.reference))


@lru_cache(maxsize=1)
def reference_triples() -> tuple[ox.Triple, ...]:
    triples: list[ox.Triple] = []
    for path in sorted(reference_dir().rglob("*.ttl")):
        triples += parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
    return tuple(triples)


def load_bundled(store: GraphStore) -> None:
    """(Re)load the ontology and the reference data into their graphs."""
    invalidate_derived(store)
    store.replace_graph(ONTOLOGY_GRAPH, ontology_triples())
    store.replace_graph(REFERENCE_GRAPH, reference_triples())


def has_bundled(store: GraphStore) -> bool:
    graphs = store.graphs()
    return ONTOLOGY_GRAPH in graphs and REFERENCE_GRAPH in graphs


def make_ready(store: GraphStore, as_of: date | None = None) -> date | None:
    """Ready an opened store for reading: the bundled graphs loaded if missing, and the
    derived graph computed again if a load or a derivation was interrupted
    (:func:`~sanctiongraph.derive.ensure_derived`). Return the date it was computed
    for then, else ``None``."""
    if not has_bundled(store):
        load_bundled(store)
    return ensure_derived(store, as_of)


def load_sources(
    store: GraphStore,
    sources: Iterable[Source],
    progress: Callable[[str, int], None] | None = None,
    *,
    bulk: bool = False,
) -> dict[str, int]:
    """Replace each source's graph with its N-Triples; return the triple count per
    graph (``Source.size``). ``bulk`` trades the one-transaction replacement for the
    store's faster bulk loader (see
    :meth:`~sanctiongraph.store.base.GraphStore.replace_graph_ntriples`). ``progress``
    is called with each graph and its count once it is loaded."""
    counts = {}
    sources = list(sources)
    if sources:
        invalidate_derived(store)
    for source in sources:
        store.replace_graph_ntriples(source.graph, source.ntriples, bulk=bulk)
        counts[source.graph.value] = source.size
        if progress:
            progress(source.graph.value, source.size)
    return counts


def read_and_load(
    store: GraphStore,
    paths: list[Path],
    name: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Check sources and load each into its own graph (what ``sanctiongraph load``
    does); return the triple count per graph, in the order of ``paths``.

    All or nothing: when any source has a problem, the store is left as it was and
    :class:`IngestError` lists every problem of every source, in the order of
    ``paths``. A CSV data package whose graph is not in the store yet is loaded while
    it is being mapped (:meth:`~sanctiongraph.store.base.GraphStore.load_new_graph`:
    the store's loader works beside the mapper); a package that turns out to have a
    problem is abandoned, and graphs made earlier in the call are dropped (also when
    something else fails). Every other source is read and checked whole first, and
    replaces its graph (drop, then bulk load) only once every source has passed. If
    writing one of those fails all the same (a store error, not bad input), the graphs
    this call made are dropped; graphs it already replaced keep their new content.

    The derived graph is marked stale (:func:`~sanctiongraph.derive.invalidate_derived`)
    before the first write, and marked complete again when the call ends having changed
    nothing; the caller derives again after a load that changed the store.
    """
    names, duplicates = source_names(paths, name)
    existing = set(store.graphs())
    streamed = {i for i, path in enumerate(paths)
                if path.exists() and is_package(path) and source_graph(names[i]) not in existing}
    held: list[Source] = []
    problems: dict[int, list[InputError]] = {}
    for i, path in enumerate(paths):
        if i not in streamed:
            try:
                held.append(read_source(path, names[i]))
            except IngestError as exc:
                problems[i] = exc.errors
    counts: dict[str, int] = {}
    created: list[ox.NamedNode] = []
    was_complete = derived_is_complete(store)
    replacing = False
    if not (problems or duplicates):
        invalidate_derived(store)
    try:
        for i in sorted(streamed):
            graph = source_graph(names[i])
            try:
                if problems or duplicates:  # nothing will be loaded: only check it
                    read_source(paths[i], names[i])
                    continue
                counts[graph.value] = store.load_new_graph(
                    graph, package_chunks(paths[i], names[i]))
            except IngestError as exc:
                problems[i] = exc.errors
                continue
            created.append(graph)
            if progress:
                progress(graph.value, counts[graph.value])
        if problems or duplicates:
            raise IngestError([e for i in sorted(problems) for e in problems[i]] + duplicates)
        replacing = True
        counts.update(load_sources(store, held, progress, bulk=True))
    except BaseException:
        for graph in created:
            store.drop_graph(graph)
        if was_complete and not replacing:
            mark_derived_complete(store)
        raise
    return {source_graph(n).value: counts[source_graph(n).value] for n in names}
