"""Conversions between pyoxigraph and rdflib terms, and reading literal values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def rdf_bytes(items: Iterable[ox.Triple] | Iterable[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    """``items`` written in ``fmt``."""
    data = ox.serialize(items, format=fmt)
    assert data is not None  # without an output file, serialize returns the bytes
    return data


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """``triples`` as N-Triples bytes."""
    return rdf_bytes(triples, ox.RdfFormat.N_TRIPLES)


def graph_from_triples(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    graph = Graph()
    for t in triples:
        if isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple):
            raise TypeError(f"RDF-star triple {t!r} has no rdflib form")
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


def _text(value: ox.Literal | ox.NamedNode | str | None) -> str | None:
    return value if value is None or isinstance(value, str) else value.value


def date_value(value: ox.Literal | ox.NamedNode | str | None) -> date | None:
    """The date of a literal or its text (``None`` when absent or not a date)."""
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def decimal_value(value: ox.Literal | ox.NamedNode | str | None) -> Decimal | None:
    """The finite decimal of a literal or its text (``None`` when absent or not one)."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
