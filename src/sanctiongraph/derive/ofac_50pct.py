"""OFAC 50 Percent Rule: blocked and possibly blocked entities, with their reasons.

Runs after the type closure (ORDER 0) and before the rule derivers that may use the
status. Reads every SDN listing and the holdings of listed entities and of everything
below them (``queries/analysis/``; nothing else can be blocked), computes the fixed
point of :mod:`sanctiongraph.analysis.ownership` for the as-of date, and writes into the
derived graph:

- ``e a sg:BlockedEntity`` or ``sg:PossiblyBlockedEntity``, ``sg:blockedShare`` (bands at
  their minimum) and ``sg:blockedShareMax`` (the upper bound);
- ``sg:statusExplanation``: the status and its grounds in words
  (:func:`~sanctiongraph.analysis.ownership.status_in_words`), which the shapes quote;
- one ``sg:BlockingReason`` per SDN listing in force (``sg:viaDesignation``), per listing
  only possibly in force (the same, with ``sg:possiblyInForce true``: the entity is
  *possibly listed*, so possibly blocked) and per
  counted holding of a blocked or possibly blocked owner (``sg:viaHolding``,
  ``sg:blockedOwner``), each with ``dct:source`` the provision it rests on. A relation
  stated by several holding nodes (several sources) is one holding and one reason, with
  a ``sg:viaHolding`` for each node; identical listings likewise, with a
  ``sg:viaDesignation`` for each designation (``docs/rules/ofac-50pct.md``, "One relation,
  counted once");
- ``sg:blockedUnderProgram``: the programs of the designations the status rests on,
  followed up through blocked owners;
- for every transaction, ``sg:blockedParty`` / ``sg:possiblyBlockedParty`` for the
  parties it involves (``sg:involves``), with their status on the transaction's date,
  and a ``sg:partyStatus`` node (``sg:statusOf`` the party, ``sg:statusExplanation``)
  saying why in words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, XSD

from sanctiongraph.analysis.loader import load_ownership_below_listings
from sanctiongraph.analysis.ownership import (
    OwnershipData,
    Status,
    blocked_offices,
    compute_status,
    controlled_by_law,
    from_units,
    status_in_words,
)
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.divestment import divestment_triples
from sanctiongraph.derive.kit import GENERATED_BY, RuleProvenance, date_value
from sanctiongraph.namespaces import SG, provision
from sanctiongraph.queries import group_properties, select_properties
from sanctiongraph.store import GraphStore

ORDER = 50

RULE = ox.NamedNode(str(provision("OFAC 50 Percent Rule")))
FAQ_401 = ox.NamedNode(
    str(provision("OFAC 50 Percent Rule")).replace("OFAC-50-Percent-Rule", "OFAC-FAQ-401")
)
_TRANSACTION_FACTS = {str(SG.transactionDate): "date", str(SG.involves): "party"}


def _n(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


_TRUE = ox.Literal("true", datatype=_n(XSD.boolean))


def _decimal(units: int) -> ox.Literal:
    return ox.Literal(str(from_units(units)), datatype=_n(XSD.decimal))


PROVENANCE = RuleProvenance("ofac-50pct")


def _reason_iri(entity: str, ground: str, kind: str = "blocking-reason") -> ox.NamedNode:
    """The node of one reason for ``entity``'s status (stable across runs)."""
    return PROVENANCE.node(kind, f"{entity} {ground}")


def _generated(triples: list[ox.Triple]) -> list[ox.Triple]:
    """``triples`` with each reason and party status node said to be this rule's work."""
    kinds = {_n(SG.BlockingReason), _n(SG.PartyStatus)}
    made = [t.subject for t in triples if t.predicate.value == str(RDF.type) and t.object in kinds]
    return triples + [ox.Triple(node, GENERATED_BY, PROVENANCE.activity) for node in made]


def programs(
    data: OwnershipData, status: Status, members: set[int], possibly: bool = False
) -> dict[int, set[str]]:
    """Programs of the active designations and rules by operation of law (with
    ``possibly``, also of those possibly in force) each member's status rests on,
    followed down the active holdings among members and to their offices (and, with
    ``possibly``, from an office to its institution; a least fixed point)."""
    found: dict[int, set[str]] = defaultdict(set)
    seeds = [status.listed, status.possibly_listed] if possibly else [status.listed]
    for listed in seeds:
        for entity, numbers in listed.items():
            for number in numbers:
                found[entity].update(data.l_programs[number])
    for by_law in [status.by_law, status.possibly_by_law] if possibly else [status.by_law]:
        for entity, rules in by_law.items():
            for rule in rules:
                found[entity].update(data.r_programs[rule])
    outgoing, offices = data.outgoing(), data.offices()
    institutions = data.institutions() if possibly else {}
    stack = [e for e in found if found[e]]
    while stack:
        owner = stack.pop()
        reached = [
            data.h_owned[n]
            for n in outgoing.get(owner, ())
            if not data.h_control[n] and data.holding_active(n, status.day)
        ]
        for other in [*reached, *offices.get(owner, ()), *institutions.get(owner, ())]:
            if other in members and not found[other] >= found[owner]:
                found[other] |= found[owner]
                stack.append(other)
    return found


def status_triples(data: OwnershipData, status: Status) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    add = triples.append
    rdf_type = _n(RDF.type)
    source = _n(DCTERMS.source)
    lower = programs(data, status, status.blocked)
    upper = programs(data, status, status.maybe, possibly=True)
    incoming = data.incoming()
    for entity in sorted(status.maybe, key=lambda e: data.keys[e]):
        iri = data.keys[entity]
        node = _n(iri)
        blocked = entity in status.blocked
        add(
            ox.Triple(node, rdf_type, _n(SG.BlockedEntity if blocked else SG.PossiblyBlockedEntity))
        )
        add(ox.Triple(node, _n(SG.blockedShare), _decimal(status.share_lo.get(entity, 0))))
        add(ox.Triple(node, _n(SG.blockedShareMax), _decimal(status.share_hi.get(entity, 0))))
        add(
            ox.Triple(
                node, _n(SG.statusExplanation), ox.Literal(status_in_words(data, status, entity))
            )
        )
        for program in sorted((lower if blocked else upper).get(entity, ())):
            add(ox.Triple(node, _n(SG.blockedUnderProgram), _n(program)))
        possible = set(status.possibly_listed.get(entity, ()))
        for number in [*status.listed.get(entity, ()), *sorted(possible)]:
            reason = _reason_iri(iri, data.l_key[number])
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            for statement in data.listing_statements(number):
                add(ox.Triple(reason, _n(SG.viaDesignation), _n(statement)))
            if number in possible:
                add(ox.Triple(reason, _n(SG.possiblyInForce), _TRUE))
            add(ox.Triple(reason, source, RULE))
        for rule in status.by_law.get(entity, []) + status.possibly_by_law.get(entity, []):
            reason = _reason_iri(iri, data.r_key[rule])
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            add(ox.Triple(reason, _n(SG.viaRule), _n(data.r_key[rule])))
            if rule not in status.by_law.get(entity, ()):
                add(ox.Triple(reason, _n(SG.possiblyInForce), _TRUE))
            for provision_iri in data.rule_sources(rule, entity):
                add(ox.Triple(reason, source, _n(provision_iri)))
        related = [
            i
            for i in data.institutions().get(entity, ())
            if i in (status.blocked if blocked else status.maybe)
        ]
        if not blocked:
            related += blocked_offices(data, status, entity)
        for other in related:
            reason = _reason_iri(iri, data.keys[other], "office-reason")
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            add(ox.Triple(reason, _n(SG.viaOffice), _n(data.keys[other])))
            add(ox.Triple(reason, source, RULE))
        for number in incoming.get(entity, ()):
            owner = data.h_owner[number]
            if not data.holding_active(number, status.day) or owner not in (
                status.blocked if blocked else status.maybe
            ):
                continue
            law = controlled_by_law(data, status, owner, entity) if data.h_control[number] else None
            if data.h_control[number] and law is None:
                continue  # control alone does not block (FAQ 398)
            reason = _reason_iri(iri, data.h_key[number])
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            add(ox.Triple(reason, _n(SG.blockedOwner), _n(data.keys[owner])))
            for statement in data.statements(number):  # every node stating the relation
                add(ox.Triple(reason, _n(SG.viaHolding), _n(statement)))
            for provision_iri in (
                data.rule_sources(law, entity) if law is not None else [FAQ_401.value]
            ):
                add(ox.Triple(reason, source, _n(provision_iri)))
    return _generated(triples)


StatusesByDate = Callable[[OwnershipData, Mapping[date, set[int]]], Mapping[date, Status]]


def statuses_by_date(data: OwnershipData, parties: Mapping[date, set[int]]) -> dict[date, Status]:
    """Each date's status, computed for (and exact for) the parties on that date."""
    return {day: compute_status(data, day, wanted) for day, wanted in parties.items()}


def transaction_triples(
    store: GraphStore,
    data: OwnershipData,
    as_of: date,
    statuses: StatusesByDate = statuses_by_date,
) -> list[ox.Triple]:
    """Each transaction's blocked and possibly blocked parties on its own date, each
    with a ``sg:PartyStatus`` node that says why in words, for transactions dated on or
    before ``as_of`` (a later one has not happened as of that date: every rule skips
    it). ``statuses`` computes the statuses of the parties by date (``--compute spark``
    passes its own)."""
    by_date: dict[date, list[tuple[ox.NamedNode, str]]] = defaultdict(list)
    facts = group_properties(
        select_properties(store, f"?s a <{SG.Transaction}>", _TRANSACTION_FACTS), _TRANSACTION_FACTS
    )
    for transaction, values in facts.items():  # one fact per row: linear in copies
        if ":" not in transaction:
            continue  # a blank node
        for day in filter(None, map(date_value, values["date"])):  # a non-date judges nothing
            if day > as_of:
                continue
            for party in values["party"]:
                if party in data.index and ":" in party:  # not a blank node
                    by_date[day].append((_n(transaction), party))
    triples = []
    found = statuses(data, {day: {data.index[p] for _, p in rows} for day, rows in by_date.items()})
    for day, rows in sorted(by_date.items()):
        status = found[day]
        for transaction_node, party in rows:
            state = status.status(data.index[party])
            if state != "not_blocked":
                predicate = SG.blockedParty if state == "blocked" else SG.possiblyBlockedParty
                triples.append(ox.Triple(transaction_node, _n(predicate), _n(party)))
                node = _reason_iri(transaction_node.value, party, "party-status")
                triples += [
                    ox.Triple(transaction_node, _n(SG.partyStatus), node),
                    ox.Triple(node, _n(RDF.type), _n(SG.PartyStatus)),
                    ox.Triple(node, _n(SG.statusOf), _n(party)),
                    ox.Triple(
                        node,
                        _n(SG.statusExplanation),
                        ox.Literal(status_in_words(data, status, data.index[party])),
                    ),
                ]
    return _generated(triples)


def derive(store: GraphStore, as_of: date) -> None:
    data = load_ownership_below_listings(store)
    if not data.l_entity:
        return
    store.add_triples(DERIVED, status_triples(data, compute_status(data, as_of)))
    store.add_triples(DERIVED, transaction_triples(store, data, as_of))
    store.add_triples(DERIVED, divestment_triples(data, as_of))  # FAQ 402, the same data
