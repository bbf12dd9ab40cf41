"""Put the bundled ontology and reference data, and users' sources, into a store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import pyoxigraph as ox

from sanctiongraph.ingest import Source, ontology_triples
from sanctiongraph.ingest.rdf import parse_rdf
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
    store.replace_graph(ONTOLOGY_GRAPH, ontology_triples())
    store.replace_graph(REFERENCE_GRAPH, reference_triples())


def has_bundled(store: GraphStore) -> bool:
    return ONTOLOGY_GRAPH in store.graphs()


def load_sources(
    store: GraphStore,
    sources: Iterable[Source],
    progress: Callable[[Source, int], None] | None = None,
    *,
    bulk: bool = False,
) -> dict[str, int]:
    """Replace each source's graph with its N-Triples; return the triple count per
    graph (``Source.size``). ``bulk`` trades the one-transaction replacement for the
    store's faster bulk loader (see
    :meth:`~sanctiongraph.store.base.GraphStore.replace_graph_ntriples`)."""
    counts = {}
    for source in sources:
        store.replace_graph_ntriples(source.graph, source.ntriples, bulk=bulk)
        counts[source.graph.value] = source.size
        if progress:
            progress(source, counts[source.graph.value])
    return counts
