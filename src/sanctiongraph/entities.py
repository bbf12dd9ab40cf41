"""Look entities up by data-package id or IRI, and describe them as of a date.

Library functions shared by the API (``GET /entities/{id}``) and any other caller.
Queries bind the entity with ``substitutions``; input never becomes query text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

import pyoxigraph as ox
from pydantic import Field
from rdflib import DCTERMS, RDF, RDFS
from typing_extensions import TypedDict

from sanctiongraph.derive import DERIVED, derived_is_complete, run_derivers
from sanctiongraph.derive import derived_date as derived_as_of
from sanctiongraph.namespaces import ID, REF, SG
from sanctiongraph.queries import load_query
from sanctiongraph.store import GraphStore, open_store
from sanctiongraph.terms import date_value


class UnknownEntity(LookupError):
    """The store holds no entity with that id or IRI."""


@dataclass(frozen=True)
class ResolvedEntity:
    """An entity named by the caller: its IRI and its smallest data-package id."""

    iri: str
    id: str | None


_IDENTIFIER = ox.NamedNode(str(DCTERMS.identifier))
_MENTIONED = (
    f"ASK {{ {{ ?h <{SG.owner}> ?x }} UNION {{ ?h <{SG.owned}> ?x }} "
    f"UNION {{ ?d <{SG.designates}> ?x }} }}"
)


def resolve_entity(store: GraphStore, ident: str) -> ResolvedEntity:
    """The entity that ``ident`` names, for the CLI and the API alike.

    ``ident`` is a full IRI (``https://...``), a data-package id (``kp-bank-1``: the
    entity ``id/entity/<id>``, else one whose ``dct:identifier`` it is, the least IRI
    first) or a reference key (``ref/entity/<key>``). The entity must be described in
    the store, or be named there as an owner, an owned entity or a designated one.
    Raises :class:`UnknownEntity` otherwise."""
    if "://" in ident:
        iri = ident
        if not entity_exists(store, iri):
            raise UnknownEntity(f"no entity {ident!r} in the store")
    else:
        iri = _iri_of_id(store, ident)
    ids = [
        term.value
        for term in store.objects(ox.NamedNode(iri), _IDENTIFIER)
        if isinstance(term, ox.Literal)
    ]
    return ResolvedEntity(iri, min(ids) if ids else None)


def entity_iri_of(ident: str) -> str:
    """The IRI a data-package id names first (``id/entity/<id>``); an IRI as it is."""
    return ident if "://" in ident else str(ID[f"entity/{ident}"])


def _iri_of_id(store: GraphStore, ident: str) -> str:
    for candidate in (entity_iri_of(ident), str(REF[f"entity/{ident}"])):
        if entity_exists(store, candidate):
            return candidate
    found: list[str] = sorted(
        row["entity"].value
        for row in store.query(load_query("analysis/entity-by-id").text, {"id": ox.Literal(ident)})
    )
    for iri in found:
        if entity_exists(store, iri):
            return iri
    raise UnknownEntity(f"no entity with id {ident!r}")


def entity_exists(store: GraphStore, iri: str) -> bool:
    """Whether ``iri`` is described in the store or named as an owner, an owned entity
    or a designated one."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not a valid IRI: no such entity
        return False
    return store.has_subject(node) or bool(store.query(_MENTIONED, {"x": node}))


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


# The one description of an entity record: the library returns these dicts, and the API
# documents and encodes ``GET /entities/{id}`` from them (``api/models.EntityOut``).
# ``Optional`` fields are always present (``None`` when unknown); to pydantic, and so in
# the OpenAPI schema, they are optional with default ``null``.
Optional = Annotated[str | None, Field(default=None)]


class Labelled(TypedDict):
    iri: str
    label: Optional


class DesignationOut(TypedDict):
    designation: str
    list: Optional
    program: Optional
    start: Optional
    end: Optional
    measure: Optional
    source: Optional
    active: bool


class EntityDescription(TypedDict):
    """What :func:`describe_entity` answers (``GET /entities/{id}``)."""

    entity: str
    id: str | None
    names: list[str]
    kinds: list[Labelled]
    jurisdictions: list[Labelled]
    designations: list[DesignationOut]
    derived_classes: list[Labelled]
    as_of: str


def _labelled(store: GraphStore, iri: str) -> Labelled:
    rows = list(
        store.query(
            f"SELECT ?x ?l WHERE {{ ?x <{RDFS.label}> ?l }} ORDER BY ?l LIMIT 1",
            {"x": ox.NamedNode(iri)},
        )
    )
    return {"iri": iri, "label": rows[0]["l"].value if rows else None}


def describe_entity(store: GraphStore, iri: str, as_of: date) -> EntityDescription:
    """Names, kinds, jurisdictions, designations (active on ``as_of``) and derived classes.

    ``store`` should hold derived facts for ``as_of`` (see :func:`view_as_of`).
    """
    entity = {"e": ox.NamedNode(iri)}
    ident = [
        r["id"].value
        for r in store.query(
            f"SELECT ?e ?id WHERE {{ ?e <{DCTERMS.identifier}> ?id }} ORDER BY ?id", entity
        )
    ]
    names = [
        r["n"].value
        for r in store.query(
            f"SELECT DISTINCT ?e ?n WHERE {{ ?e <{RDFS.label}> ?n }} ORDER BY ?n", entity
        )
    ]
    asserted = sorted(
        r["t"].value
        for r in store.query(
            f"SELECT DISTINCT ?e ?t WHERE {{ GRAPH ?g {{ ?e <{RDF.type}> ?t }} "
            f"FILTER(?g != <{DERIVED.value}>) }}",
            entity,
        )
    )
    derived = sorted(
        r["t"].value
        for r in store.query(
            f"""SELECT DISTINCT ?e ?t WHERE {{
              GRAPH <{DERIVED.value}> {{ ?e <{RDF.type}> ?t }}
              FILTER NOT EXISTS {{ GRAPH ?g {{ ?e <{RDF.type}> ?t }} FILTER(?g != <{DERIVED.value}>) }}
              FILTER NOT EXISTS {{ GRAPH ?g2 {{ ?e <{RDF.type}> ?k }} FILTER(?g2 != <{DERIVED.value}>)
                                   ?k <{RDFS.subClassOf}>+ ?t }}
              FILTER(isIRI(?t))
            }}""",
            entity,
        )
    )
    jurisdictions = sorted(
        r["j"].value
        for r in store.query(f"SELECT DISTINCT ?e ?j WHERE {{ ?e <{SG.jurisdiction}> ?j }}", entity)
    )
    designations: list[DesignationOut] = []
    for r in store.query(
        f"""SELECT ?e ?d ?list ?program ?start ?end ?measure ?source WHERE {{
              ?d <{SG.designates}> ?e .
              OPTIONAL {{ ?d <{SG.onList}> ?list }} OPTIONAL {{ ?d <{SG.underProgram}> ?program }}
              OPTIONAL {{ ?d <{SG.startDate}> ?start }} OPTIONAL {{ ?d <{SG.endDate}> ?end }}
              OPTIONAL {{ ?d <{SG.measure}> ?measure }} OPTIONAL {{ ?d <{SG.sourceReference}> ?source }}
            }} ORDER BY ?start ?d""",
        entity,
    ):
        start, end = (date_value(r[k]) for k in ("start", "end"))
        designations.append(
            {
                "designation": r["d"].value,
                "list": _value(r["list"]),
                "program": _value(r["program"]),
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
                "measure": _value(r["measure"]),
                "source": _value(r["source"]),
                "active": (start is None or start <= as_of) and (end is None or as_of < end),
            }
        )
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
        {"q": ox.Literal(text)},
    )
    return [
        {"entity": r["e"].value, "id": _value(r["id"]), "name": _value(r["name"])} for r in rows
    ]
