"""The small interface every store implements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from sanctiongraph.errors import StoreError as StoreError  # its home; named here too
from sanctiongraph.terms import ntriples

DEFAULT_STORE_DIR = ".sanctiongraph/store"


class GraphStore(Protocol):
    """What sanctiongraph needs from a quad store.

    Terms are pyoxigraph terms. ``query`` runs over the union of all graphs unless the
    query names graphs itself; ``substitutions`` binds variables without formatting
    them into the query text. Stores subclass this protocol to inherit
    :meth:`replace_graph`.
    """

    def replace_graph_ntriples(
        self, graph: ox.NamedNode, data: bytes, *, bulk: bool = False
    ) -> None:
        """Atomically replace the content of ``graph`` with the N-Triples ``data``.

        ``data`` must come from a serialiser we trust (a
        :class:`~sanctiongraph.ingest.Source`, ``ox.serialize``): stores may put it
        into SPARQL Update text. ``bulk=True`` allows a faster, two-step replacement
        (drop, then load) where a store has one; each step is still all or nothing."""

    def replace_graph(
        self, graph: ox.NamedNode, triples: Iterable[ox.Triple], *, bulk: bool = False
    ) -> int:
        """Replace ``graph`` with ``triples`` through :meth:`replace_graph_ntriples`;
        return how many were given."""
        triples = list(triples)
        self.replace_graph_ntriples(graph, ntriples(triples), bulk=bulk)
        return len(triples)

    def load_new_graph(self, graph: ox.NamedNode, chunks: Iterable[bytes]) -> int:
        """Fill ``graph``, which is not in the store yet, with the N-Triples ``chunks``
        (trusted, as for :meth:`replace_graph_ntriples`); return the number of triples
        (lines). When ``chunks`` raises, nothing is written and the exception propagates.

        Stores that can load while the chunks are still being made (the embedded
        store) override this; here the chunks are joined, then loaded."""
        if graph in self.graphs():
            raise ValueError(f"{graph} is in the store already")
        data = b"".join(chunks)
        self.replace_graph_ntriples(graph, data, bulk=True)
        return data.count(b"\n")

    def add_triples(self, graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> int:
        """Add triples to ``graph`` in one transaction; return how many were given."""

    def add_constructed(self, graph: ox.NamedNode, construct: str) -> None:
        """Add the triples of a CONSTRUCT query (over the union graph) to ``graph``."""

    def drop_graph(self, graph: ox.NamedNode) -> None: ...

    def graphs(self) -> list[ox.NamedNode]: ...

    def query(self, sparql: str, substitutions: Mapping[str, Any] | None = None) -> Any: ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL update (trusted, internal text only)."""

    def triples(self, graph: ox.NamedNode | None = None) -> Iterable[ox.Triple]:
        """The triples of one graph, or of all graphs."""

    def has_subject(self, node: ox.NamedNode) -> bool:
        """Whether any graph holds a triple about ``node``."""
        return bool(self.query("ASK { ?s ?p ?o }", {"s": node}))

    def objects(
        self, node: ox.NamedNode, predicate: ox.NamedNode
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
        """The objects of ``node``'s ``predicate`` triples, in any graph (repeats kept)."""
        return [
            row["o"]
            for row in self.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": node, "p": predicate})
        ]

    def count(self, graph: ox.NamedNode | None = None) -> int: ...

    def close(self) -> None: ...


def open_store(
    location: str | Path | None = None, *, in_memory: bool = False, for_reading: bool = False
) -> GraphStore:
    """Open the store at ``location``: a directory (created if missing), the URL of
    a SPARQL 1.1 query endpoint, or memory.

    ``None`` means the default on-disk store under the working directory.
    ``for_reading``: a directory that a server holds is opened read-only
    (:func:`~sanctiongraph.store.oxigraph.open_for_reading`).
    """
    from sanctiongraph.store.oxigraph import OxigraphStore, open_for_reading

    if in_memory:
        return OxigraphStore(None)
    text = str(location) if location is not None else DEFAULT_STORE_DIR
    if text.startswith(("http://", "https://")):
        from sanctiongraph.store.sparql_http import SparqlHttpStore

        return SparqlHttpStore(text)
    return open_for_reading(Path(text)) if for_reading else OxigraphStore(Path(text))
