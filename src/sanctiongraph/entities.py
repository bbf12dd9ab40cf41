"""Look entities up by data-package id or IRI, and describe them as of a date.

Library functions shared by the API (``GET /entities/{id}``) and any other caller.
Queries bind the entity with ``substitutions``; input never becomes query text.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, RDFS

from sanctiongraph.derive import DERIVED, derived_is_complete, run_derivers
from sanctiongraph.derive import derived_date as derived_as_of
from sanctiongraph.namespaces import ID, REF, SG
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.terms import date_value


def resolve_entity(store: GraphStore, ident: str) -> str | None:
    """The IRI of the entity named by a data-package id, a reference key or a full IRI."""
    if "://" in ident:
        return ident if _exists(store, ident) else None
    for candidate in (str(ID[f"entity/{ident}"]), str(REF[f"entity/{ident}"])):
        if _exists(store, candidate):
            return candidate
    rows = list(store.query(
        f"SELECT ?e ?id WHERE {{ ?e <{DCTERMS.identifier}> ?id }} ORDER BY ?e LIMIT 1",
        {"id": ox.Literal(ident)}))
    return rows[0]["e"].value if rows else None


def _exists(store: GraphStore, iri: str) -> bool:
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not a valid IRI: no such entity
        return False
    return store.has_subject(node)


def derived_for(store: GraphStore, as_of: date) -> bool:
    """Whether ``store``'s derived graph answers for ``as_of``: computed for that date,
    and complete (else :func:`view_as_of` makes a copy derived for it)."""
    return derived_as_of(store) == as_of and derived_is_complete(store)


def view_as_of(store: GraphStore, as_of: date) -> GraphStore:
    """``store`` itself when its derived graph is for ``as_of``, else a derived copy in memory."""
    if derived_for(store, as_of):
        return store
    copy = open_store(in_memory=True)
    for graph in store.graphs():
        if graph != DERIVED:
            copy.replace_graph(graph, store.triples(graph))
    run_derivers(copy, as_of)
    return copy


def _labelled(store: GraphStore, iri: str) -> dict[str, str | None]:
    rows = list(store.query(f"SELECT ?x ?l WHERE {{ ?x <{RDFS.label}> ?l }} ORDER BY ?l LIMIT 1",
                            {"x": ox.NamedNode(iri)}))
    return {"iri": iri, "label": rows[0]["l"].value if rows else None}


def describe_entity(store: GraphStore, iri: str, as_of: date) -> dict[str, object]:
    """Names, kinds, jurisdictions, designations (active on ``as_of``) and derived classes.

    ``store`` should hold derived facts for ``as_of`` (see :func:`view_as_of`).
    """
    entity = {"e": ox.NamedNode(iri)}
    ident = [r["id"].value for r in store.query(
        f"SELECT ?e ?id WHERE {{ ?e <{DCTERMS.identifier}> ?id }} ORDER BY ?id", entity)]
    names = [r["n"].value for r in store.query(
        f"SELECT DISTINCT ?e ?n WHERE {{ ?e <{RDFS.label}> ?n }} ORDER BY ?n", entity)]
    asserted = sorted(r["t"].value for r in store.query(
        f"SELECT DISTINCT ?e ?t WHERE {{ GRAPH ?g {{ ?e <{RDF.type}> ?t }} "
        f"FILTER(?g != <{DERIVED.value}>) }}", entity))
    derived = sorted(r["t"].value for r in store.query(
        f"""SELECT DISTINCT ?e ?t WHERE {{
              GRAPH <{DERIVED.value}> {{ ?e <{RDF.type}> ?t }}
              FILTER NOT EXISTS {{ GRAPH ?g {{ ?e <{RDF.type}> ?t }} FILTER(?g != <{DERIVED.value}>) }}
              FILTER NOT EXISTS {{ GRAPH ?g2 {{ ?e <{RDF.type}> ?k }} FILTER(?g2 != <{DERIVED.value}>)
                                   ?k <{RDFS.subClassOf}>+ ?t }}
              FILTER(isIRI(?t))
            }}""", entity))
    jurisdictions = sorted(r["j"].value for r in store.query(
        f"SELECT DISTINCT ?e ?j WHERE {{ ?e <{SG.jurisdiction}> ?j }}", entity))
    designations = []
    for r in store.query(
        f"""SELECT ?e ?d ?list ?program ?start ?end ?measure ?source WHERE {{
              ?d <{SG.designates}> ?e .
              OPTIONAL {{ ?d <{SG.onList}> ?list }} OPTIONAL {{ ?d <{SG.underProgram}> ?program }}
              OPTIONAL {{ ?d <{SG.startDate}> ?start }} OPTIONAL {{ ?d <{SG.endDate}> ?end }}
              OPTIONAL {{ ?d <{SG.measure}> ?measure }} OPTIONAL {{ ?d <{SG.sourceReference}> ?source }}
            }} ORDER BY ?start ?d""", entity):
        start, end = (date_value(r[k]) for k in ("start", "end"))
        designations.append({
            "designation": r["d"].value,
            "list": _value(r["list"]), "program": _value(r["program"]),
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "measure": _value(r["measure"]), "source": _value(r["source"]),
            "active": (start is None or start <= as_of) and (end is None or as_of < end),
        })
    return {
        "entity": iri,
        "id": ident[0] if ident else None,
        "names": names,
        "kinds": [_labelled(store, t) for t in asserted],
        "jurisdictions": [_labelled(store, j) for j in jurisdictions],
        "designations": designations,
        "derived_classes": [_labelled(store, t) for t in derived],
        "as_of": as_of.isoformat(),
    }


def _value(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    return None if term is None else term.value


def search_entities(store: GraphStore, text: str, limit: int = 20) -> list[dict[str, str | None]]:
    """Agents whose name or data-package id contains ``text`` (case-insensitive)."""
    rows = store.query(
        f"""SELECT ?q ?e (SAMPLE(?n) AS ?name) (SAMPLE(?i) AS ?id) WHERE {{
              ?e a <{SG.Agent}> ; <{RDFS.label}> ?n .
              OPTIONAL {{ ?e <{DCTERMS.identifier}> ?i }}
              FILTER(CONTAINS(LCASE(STR(?n)), LCASE(?q)) || CONTAINS(LCASE(STR(?i)), LCASE(?q)))
            }} GROUP BY ?q ?e ORDER BY ?name ?e LIMIT {int(limit)}""",
        {"q": ox.Literal(text)})
    return [{"entity": r["e"].value, "id": _value(r["id"]), "name": _value(r["name"])}
            for r in rows]
