"""OFAC 50 Percent Rule: blocked and possibly blocked entities, with their reasons.

Runs after the type closure (ORDER 0) and before the rule derivers that may use the
status. Reads every SDN listing and the holdings of listed entities and of everything
below them (``queries/analysis/``; nothing else can be blocked), computes the fixed
point of :mod:`sanctiongraph.analysis.ownership` for the as-of date, and writes into the
derived graph:

- ``e a sg:BlockedEntity`` or ``sg:PossiblyBlockedEntity``, ``sg:blockedShare`` (bands at
  their minimum) and ``sg:blockedShareMax`` (the upper bound);
- one ``sg:BlockingReason`` per SDN listing in force (``sg:viaDesignation``) and per
  counted holding of a blocked or possibly blocked owner (``sg:viaHolding``,
  ``sg:blockedOwner``), each with ``dct:source`` the provision it rests on. A relation
  stated by several holding nodes (several sources) is one holding and one reason, with
  a ``sg:viaHolding`` for each node; identical listings likewise, with a
  ``sg:viaDesignation`` for each designation (``docs/rules/ofac-50pct.md``, "One relation,
  counted once");
- ``sg:blockedUnderProgram``: the programs of the designations the status rests on,
  followed up through blocked owners;
- for every transaction, ``sg:blockedParty`` / ``sg:possiblyBlockedParty`` for the
  parties it involves (``sg:involves``), with their status on the transaction's date.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, XSD

from sanctiongraph.analysis.loader import load_ownership_below_listings
from sanctiongraph.analysis.ownership import OwnershipData, Status, compute_status, from_units
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.kit import date_value
from sanctiongraph.namespaces import ID, SG, provision
from sanctiongraph.queries import group_properties, select_properties
from sanctiongraph.store import GraphStore

ORDER = 50

RULE = ox.NamedNode(str(provision("OFAC 50 Percent Rule")))
FAQ_401 = ox.NamedNode(str(provision("OFAC 50 Percent Rule")) .replace(
    "OFAC-50-Percent-Rule", "OFAC-FAQ-401"))
_TRANSACTION_FACTS = {str(SG.transactionDate): "date", str(SG.involves): "party"}


def _n(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _decimal(units: int) -> ox.Literal:
    return ox.Literal(str(from_units(units)), datatype=_n(XSD.decimal))


def _reason_iri(entity: str, ground: str) -> ox.NamedNode:
    digest = hashlib.sha1(f"{entity} {ground}".encode()).hexdigest()[:20]
    return _n(ID[f"blocking-reason/{digest}"])


def programs(data: OwnershipData, status: Status, members: set[int]) -> dict[int, set[str]]:
    """Programs of the active designations each member's status rests on, followed down
    the active holdings among members (a least fixed point; cycles terminate)."""
    found: dict[int, set[str]] = defaultdict(set)
    for entity, numbers in status.listed.items():
        for number in numbers:
            found[entity].update(data.l_programs[number])
    outgoing = data.outgoing()
    stack = [e for e in found if found[e]]
    while stack:
        owner = stack.pop()
        for number in outgoing.get(owner, ()):
            owned = data.h_owned[number]
            if (owned in members and not data.h_control[number]
                    and data.holding_active(number, status.day)
                    and not found[owned] >= found[owner]):
                found[owned] |= found[owner]
                stack.append(owned)
    return found


def status_triples(data: OwnershipData, status: Status) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    add = triples.append
    rdf_type = _n(RDF.type)
    source = _n(DCTERMS.source)
    lower = programs(data, status, status.blocked)
    upper = programs(data, status, status.maybe)
    incoming = data.incoming()
    for entity in sorted(status.maybe, key=lambda e: data.keys[e]):
        iri = data.keys[entity]
        node = _n(iri)
        blocked = entity in status.blocked
        add(ox.Triple(node, rdf_type, _n(SG.BlockedEntity if blocked else SG.PossiblyBlockedEntity)))
        add(ox.Triple(node, _n(SG.blockedShare), _decimal(status.share_lo.get(entity, 0))))
        add(ox.Triple(node, _n(SG.blockedShareMax), _decimal(status.share_hi.get(entity, 0))))
        for program in sorted((lower if blocked else upper).get(entity, ())):
            add(ox.Triple(node, _n(SG.blockedUnderProgram), _n(program)))
        for number in status.listed.get(entity, ()):
            reason = _reason_iri(iri, data.l_key[number])
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            for statement in data.listing_statements(number):
                add(ox.Triple(reason, _n(SG.viaDesignation), _n(statement)))
            add(ox.Triple(reason, source, RULE))
        for number in incoming.get(entity, ()):
            owner = data.h_owner[number]
            if (data.h_control[number] or not data.holding_active(number, status.day)
                    or owner not in (status.blocked if blocked else status.maybe)):
                continue
            reason = _reason_iri(iri, data.h_key[number])
            add(ox.Triple(node, _n(SG.blockingReason), reason))
            add(ox.Triple(reason, rdf_type, _n(SG.BlockingReason)))
            add(ox.Triple(reason, _n(SG.blockedOwner), _n(data.keys[owner])))
            for statement in data.statements(number):  # every node stating the relation
                add(ox.Triple(reason, _n(SG.viaHolding), _n(statement)))
            add(ox.Triple(reason, source, FAQ_401))
    return triples


def transaction_triples(store: GraphStore, data: OwnershipData) -> list[ox.Triple]:
    """Each transaction's blocked and possibly blocked parties on its own date."""
    by_date: dict[date, list[tuple[ox.NamedNode, str]]] = defaultdict(list)
    facts = group_properties(select_properties(store, f"?s a <{SG.Transaction}>",
                                               _TRANSACTION_FACTS), _TRANSACTION_FACTS)
    for transaction, values in facts.items():  # one fact per row: linear in copies
        if ":" not in transaction:
            continue  # a blank node
        for day in filter(None, map(date_value, values["date"])):  # a non-date judges nothing
            for party in values["party"]:
                if party in data.index and ":" in party:  # not a blank node
                    by_date[day].append((_n(transaction), party))
    triples = []
    for day, rows in sorted(by_date.items()):
        parties = {data.index[p] for _, p in rows}
        status = compute_status(data, day, parties)
        for transaction_node, party in rows:
            state = status.status(data.index[party])
            if state != "not_blocked":
                predicate = SG.blockedParty if state == "blocked" else SG.possiblyBlockedParty
                triples.append(ox.Triple(transaction_node, _n(predicate), _n(party)))
    return triples


def derive(store: GraphStore, as_of: date) -> None:
    data = load_ownership_below_listings(store)
    if not data.l_entity:
        return
    store.add_triples(DERIVED, status_triples(data, compute_status(data, as_of)))
    store.add_triples(DERIVED, transaction_triples(store, data))
