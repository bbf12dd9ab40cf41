"""The fast engine: constraints become whole-graph SPARQL queries in Oxigraph.

pySHACL evaluates SPARQL constraints one focus node at a time, which grows with the
square of the data. Here each query returns all violating focus nodes at once: targets
become graph patterns, core constraints become filters (the single-value constraints of
a property shape share one query; each count bound has its own), and a SPARQL
constraint's SELECT runs with ``$this`` unbound and is joined with the target set. Shapes must therefore bind ``$this`` in a positive pattern; the
differential test against pySHACL (``tests/test_engines.py``) holds every shape to it.

Supported: ``sh:targetClass``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``,
``sh:targetNode``; property shapes with a predicate path; ``sh:minCount``,
``sh:maxCount``, ``sh:datatype``, ``sh:class``, ``sh:pattern``, ``sh:in``,
``sh:hasValue``, ``sh:minInclusive``, ``sh:maxInclusive``, ``sh:minExclusive``,
``sh:maxExclusive`` and node-level ``sh:sparql``. Anything else raises
:class:`UnsupportedShape`, so a new shape cannot be silently skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from sanctiongraph.machine import usable_cores
from sanctiongraph.queries import with_rows_chunked
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import to_rdflib
from sanctiongraph.validate.engine import RawResult
from sanctiongraph.validate.shapes import firing_shapes

CHECKED_DATATYPES = {XSD.date, XSD.decimal, XSD.boolean, XSD.integer, XSD.dateTime}
_HANDLED = {
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH["class"],
    SH.pattern,
    SH.flags,
    SH["in"],
    SH.hasValue,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.sparql,
    SH.path,
    SH.property,
    SH.severity,
    SH.message,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
}
_COMPARISONS = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature the fast engine does not translate."""


def sparql_term(term: Node) -> str:
    return term.n3()


def target_pattern(shapes: Graph, shape: Node) -> str:
    """A graph pattern binding ``?this`` to every focus node of ``shape``."""
    owners = [shape] + list(shapes.subjects(SH.property, shape))
    parts = []
    for owner in owners:
        parts += [f"{{ ?this a {sparql_term(c)} }}" for c in shapes.objects(owner, SH.targetClass)]
        parts += [
            f"{{ ?this {sparql_term(p)} ?_t }}" for p in shapes.objects(owner, SH.targetSubjectsOf)
        ]
        parts += [
            f"{{ ?_t {sparql_term(p)} ?this }}" for p in shapes.objects(owner, SH.targetObjectsOf)
        ]
        parts += [
            f"{{ VALUES ?this {{ {sparql_term(n)} }} }}"
            for n in shapes.objects(owner, SH.targetNode)
        ]
    if not parts:
        raise UnsupportedShape(f"{shape} has no target the fast engine understands")
    if len(parts) == 1 and "?_t" not in parts[0]:
        # One class or node: a focus node repeats only if its type is stated in two
        # graphs, which repeats results that merge anyway; DISTINCT would cost more.
        return parts[0]
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def constraint_queries(shapes: Graph, shape: Node) -> list[tuple[str, Node | None]]:
    """(query, constraint node) pairs; each query returns ``?this`` and maybe ``?value``."""
    unknown = {
        p
        for p in shapes.predicates(shape, None)
        if str(p).startswith(str(SH)) and p not in _HANDLED
    }
    if unknown:
        raise UnsupportedShape(f"{shape} uses {sorted(map(str, unknown))}")
    targets = target_pattern(shapes, shape)
    path = shapes.value(shape, SH.path)
    queries: list[tuple[str, Node | None]] = []
    if path is not None:
        if not isinstance(path, URIRef):
            raise UnsupportedShape(f"{shape}: only predicate paths are supported")
        queries += _property_queries(shapes, shape, targets, sparql_term(path))
    for constraint in shapes.objects(shape, SH.sparql):
        select = shapes.value(constraint, SH.select)
        queries.append((str(select), constraint))
    return queries


def _property_queries(shapes: Graph, shape: Node, targets: str, p: str) -> list[tuple[str, None]]:
    """The counting constraints each need a query of their own; the constraints on
    single values share one query: a value fails when any of their tests fails."""
    values = f"{targets} ?this {p} ?value ."
    out = []
    # Counting by GROUP BY is slow on large targets; the common bounds of 1 are a
    # NOT EXISTS and a self-join.
    min_count = _integer(shapes.value(shape, SH.minCount))
    if min_count is not None and min_count == 1:
        out.append(f"SELECT ?this WHERE {{ {targets} FILTER NOT EXISTS {{ ?this {p} ?v }} }}")
    elif min_count is not None and min_count > 1:
        out.append(
            f"SELECT ?this WHERE {{ {targets} OPTIONAL {{ ?this {p} ?v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {min_count})"
        )
    max_count = _integer(shapes.value(shape, SH.maxCount))
    if max_count is not None and max_count == 1:
        out.append(
            f"SELECT DISTINCT ?this WHERE {{ {targets} ?this {p} ?v1 . ?this {p} ?v2 . "
            f"FILTER (!sameTerm(?v1, ?v2)) }}"
        )
    elif max_count is not None:
        out.append(
            f"SELECT ?this WHERE {{ {values} }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?value) > {max_count})"
        )
    for value in shapes.objects(shape, SH.hasValue):
        out.append(
            f"SELECT ?this WHERE {{ {targets} FILTER NOT EXISTS "
            f"{{ ?this {p} {sparql_term(value)} }} }}"
        )
    bind, failures = _value_failures(shapes, shape)
    if failures:
        # SPARQL's || is true when either side is true, even if the other is an error,
        # so the combined filter keeps exactly the union of the separate ones.
        out.append(
            f"SELECT ?this ?value WHERE {{ {values} {bind} FILTER ({' || '.join(failures)}) }}"
        )
    return [(q, None) for q in out]


def _value_failures(shapes: Graph, shape: Node) -> tuple[str, list[str]]:
    """A BIND the tests need (or "") and one SPARQL test per value constraint, each true
    when ``?value`` fails it."""
    bind, failures = "", []
    datatype = shapes.value(shape, SH.datatype)
    if datatype is not None:
        dt = sparql_term(datatype)
        test = f"!isLiteral(?value) || datatype(?value) != {dt}"
        if datatype in CHECKED_DATATYPES:  # well-formed: the cast to the datatype works
            bind = f"BIND ({dt}(STR(?value)) AS ?_cast)"
            test += " || !BOUND(?_cast)"
        failures.append(f"({test})")
    for cls in shapes.objects(shape, SH["class"]):
        # The derivers materialise the rdfs:subClassOf closure, so a plain type test
        # equals SHACL's rdf:type/rdfs:subClassOf* and runs on servers without paths.
        failures.append(f"NOT EXISTS {{ ?value <{RDF.type}> {sparql_term(cls)} }}")
    for pattern in shapes.objects(shape, SH.pattern):
        flags = shapes.value(shape, SH.flags)
        flag_arg = f", {Literal(str(flags)).n3()}" if flags is not None else ""
        failures.append(
            f"(isBlank(?value) || !REGEX(STR(?value), {Literal(str(pattern)).n3()}{flag_arg}))"
        )
    members = shapes.value(shape, SH["in"])
    if members is not None:
        allowed = ", ".join(sparql_term(m) for m in Collection(shapes, members))
        failures.append(f"(?value NOT IN ({allowed}))")
    for parameter, operator in _COMPARISONS.items():
        bound = shapes.value(shape, parameter)
        if bound is not None:
            failures.append(f"!COALESCE(?value {operator} {sparql_term(bound)}, false)")
    return bind, failures


def run_fast(store: GraphStore, shapes: Graph) -> list[RawResult]:
    """Every violating (focus, shape, value) of the bundled shapes, one query each. The
    queries run side by side on the cores this process may use (the store evaluates a
    query without holding Python's interpreter lock); the results keep the order of the
    shapes and their constraints."""
    from sanctiongraph.validate.engine import Explainer

    prefixes = Explainer.prefix_block(shapes)
    jobs = [
        (shape, target_pattern(shapes, shape), query, constraint)
        for shape in sorted(firing_shapes(shapes), key=str)
        for query, constraint in constraint_queries(shapes, shape)
    ]

    def run(job: tuple[URIRef, str, str, Node | None]) -> list[RawResult]:
        return _violations(store, prefixes, *job)

    with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
        return [result for found in pool.map(run, jobs) for result in found]


def _violations(
    store: GraphStore,
    prefixes: str,
    shape: URIRef,
    targets: str,
    query: str,
    constraint: Node | None,
) -> list[RawResult]:
    """The results of one constraint's query: a core constraint's query (``constraint``
    None) selects the focus nodes itself; a SPARQL constraint's rows are kept for the
    focus nodes the shape targets."""
    if constraint is None:
        return [
            RawResult(to_rdflib(this), shape, None, None, _value(row.get("value")))
            for row in _rows(store, query)
            if not isinstance(this := row["this"], ox.Triple)  # never an RDF-star focus
        ]
    rows: dict[_OxTerm, list[dict[str, _OxTerm]]] = defaultdict(list)
    for row in _rows(store, prefixes + query):
        if "this" in row:
            rows[row.pop("this")].append(row)
    focus_set = _targeted(store, targets, rows)
    return [
        RawResult(to_rdflib(this), shape, None, constraint, None, tuple(focus_rows))
        for this, focus_rows in rows.items()
        if this in focus_set and not isinstance(this, ox.Triple)  # never an RDF-star focus
    ]


def _value(term: _OxTerm | None) -> Node | None:
    """A result's value as an rdflib term; an RDF-star triple is not shown (the result
    is kept)."""
    return None if term is None or isinstance(term, ox.Triple) else to_rdflib(term)


def _rows(store: GraphStore, query: str) -> list[dict[str, _OxTerm]]:
    """A SELECT's solutions as dicts of their bound terms, read to the end here: a
    pyoxigraph result may only be dropped on the thread that made it, so it must not
    outlive this call (a traceback logged while converting terms, kept by a log
    handler, would keep it alive)."""
    solutions = store.query(query)
    names = [v.value for v in solutions.variables]
    return [
        {name: term for name in names if (term := solution[name]) is not None}
        for solution in solutions
    ]


_OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _integer(value: Node | None) -> int | None:
    """An ``xsd:integer`` bound of a shape (``sh:minCount``, ``sh:maxCount``)."""
    return None if value is None else int(str(value))


def _targeted(store: GraphStore, targets: str, nodes: Iterable[_OxTerm]) -> set[_OxTerm]:
    """Those of ``nodes`` that the target pattern selects. A query checks the few nodes a
    constraint returns (in VALUES blocks); with a blank node among them, which VALUES
    cannot name, it reads the whole focus set instead."""
    nodes = list(nodes)
    if not nodes:
        return set()
    if any(isinstance(node, ox.BlankNode) for node in nodes):
        return {s["this"] for s in store.query(f"SELECT ?this WHERE {{ {targets} }}")}
    return {
        s["this"]
        for query in with_rows_chunked(
            f"SELECT ?this WHERE {{ {targets} }}", ["this"], [[node] for node in nodes]
        )
        for s in store.query(query)
    }
