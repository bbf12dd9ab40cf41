"""A source read and checked, held as N-Triples until a store loads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from sanctiongraph.namespaces import GRAPH
from sanctiongraph.terms import ntriples


@dataclass(frozen=True)
class EntryReference:
    """A list entry that an entities.csv row names in same_as or not_same_as."""

    row: int
    column: str
    value: str


@dataclass(frozen=True)
class Source:
    """One source as N-Triples bytes, and the named graph it goes into.

    ``size`` is the number of triples (lines) in ``ntriples``, duplicates included.
    The CSV mapper writes the bytes directly; RDF files come through
    :meth:`from_triples`. Stores load the bytes without making Python objects.
    """

    name: str
    ntriples: bytes
    size: int
    references: tuple[EntryReference, ...] = ()
    """The list entries a CSV package names (same_as, not_same_as), to be found among
    the sources loaded with it or in the store (:func:`sanctiongraph.loading.unknown_entries`)."""

    @classmethod
    def from_triples(cls, name: str, triples: Iterable[ox.Triple]) -> Source:
        triples = list(triples)
        return cls(name, ntriples(triples), len(triples))

    @property
    def triples(self) -> list[ox.Triple]:
        """The triples, parsed from ``ntriples`` on every access: for inspection and
        tests (slow for big sources; loading never uses it)."""
        return [quad.triple for quad in ox.parse(self.ntriples, ox.RdfFormat.N_TRIPLES)]

    @property
    def graph(self) -> ox.NamedNode:
        return source_graph(self.name)


def source_graph(name: str) -> ox.NamedNode:
    """The named graph of the source called ``name``."""
    return ox.NamedNode(str(GRAPH[f"source/{name}"]))
