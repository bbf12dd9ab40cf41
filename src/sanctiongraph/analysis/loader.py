"""Fill :class:`~sanctiongraph.analysis.ownership.OwnershipData` from a store, and the
library function behind ``sanctiongraph owners`` and ``GET /entities/{id}/owners``.

Holdings and listings are read one fact per row (:func:`~sanctiongraph.queries.
select_properties`), so that facts stated in several graphs cost a row per copy, and
one relation stated by several holdings counts once (``docs/rules/ofac-50pct.md``, "One
relation, counted once"). Entity keys are IRIs, and the data-package id
(``dct:identifier``) is kept as the entity's label where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pyoxigraph as ox

from sanctiongraph.analysis.ownership import (
    OwnersBody,
    OwnershipData,
    OwnershipStatus,
    chain_steps,
    chains,
    effective_ownership,
    ownership_status,
)
from sanctiongraph.entities import entity_iri_of, resolve_entity
from sanctiongraph.namespaces import SG
from sanctiongraph.queries import (
    group_properties,
    iri_rows,
    select_properties,
    select_values,
    value_blocks,
    with_rows_chunked,
)
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import decimal_value

_OWNERSHIP, _CONTROL = str(SG.Ownership), str(SG.Control)
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DCT_IDENTIFIER = "http://purl.org/dc/terms/identifier"
_SDN = "https://w3id.org/sanctiongraph/ref/list/SDN"
_HOLDING_FACTS = {
    _TYPE: "type",
    str(SG.owner): "owner",
    str(SG.owned): "owned",
    str(SG.percent): "percent",
    str(SG.percentMin): "min",
    str(SG.percentMax): "max",
    str(SG.startDate): "start",
    str(SG.endDate): "end",
}
_LISTING_FACTS = {
    str(SG.designates): "entity",
    str(SG.underProgram): "program",
    str(SG.startDate): "start",
    str(SG.endDate): "end",
    str(SG.possiblyFrom): "possibly_from",
    str(SG.possiblyUntil): "possibly_until",
    str(SG.startBasis): "start_basis",
    str(SG.endBasis): "end_basis",
}
_FROM_PUBLICATIONS = "https://w3id.org/sanctiongraph/ontology/code/date-basis/publications"
# Which holdings to read (each binds ?s; see select_properties). The walks go from
# holding to holding (a holding's owner is owned through the next one): this form lets
# Oxigraph follow the path from ?target instead of joining all holdings.
_HOLDING_TYPES = (_OWNERSHIP, _CONTROL)
_HOLDINGS_OF = "VALUES ?owner {{ {owners} }} ?s <%s> ?owner ." % SG.owner
_HOLDINGS_ABOVE = f"?target ^<{SG.owned}> ?first . ?first (<{SG.owner}>/^<{SG.owned}>)* ?s ."
_HOLDINGS_BELOW = f"?target ^<{SG.owner}> ?first . ?first (<{SG.owned}>/^<{SG.owner}>)* ?s ."
_LISTINGS = f"?s <{SG.onList}> <{_SDN}> ."
_LISTINGS_OF = "VALUES ?entity {{ {entities} }} ?s <%s> ?entity ; <%s> <%s> ." % (
    SG.designates,
    SG.onList,
    _SDN,
)


_BRANCHES = f"SELECT DISTINCT ?office ?institution WHERE {{ ?office <{SG.branchOf}> ?institution }}"
_BRANCHES_OF = (
    f"SELECT DISTINCT ?office ?institution WHERE {{ VALUES ?x {{ {{values}} }} "
    f"{{ ?x <{SG.branchOf}> ?institution BIND (?x AS ?office) }} UNION "
    f"{{ ?office <{SG.branchOf}> ?x BIND (?x AS ?institution) }} }}"
)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
_RULE_FACTS = {
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
    str(SG.underProgram): "program",
    str(SG.startDate): "start",
    str(SG.endDate): "end",
    str(SG.blocksOwnedOrControlled): "owned_or_controlled",
    "http://purl.org/dc/terms/source": "source",
    str(SG.ownedOrControlledSource): "owned_source",
    str(SG.unverifiedStartDate): "unverified_start",
}


Row = dict[str, Any]  # a holding or listing as read: its facts by name


def _grouped(
    rows: list[dict[str, str | None]], names: dict[str, str], anchor: str
) -> dict[str, dict[str, set[str]]]:
    """:func:`~sanctiongraph.queries.group_properties`, and under ``"graph"`` the graphs
    that state each subject's ``anchor`` fact."""
    found = group_properties(rows, names)
    for row in rows:
        subject, predicate, graph = row["s"], row["p"], row["g"]
        if (
            subject is not None
            and graph is not None
            and predicate in names
            and names[predicate] == anchor
        ):
            found[subject]["graph"].add(graph)
    return found


def holdings(store: GraphStore, subjects: str | None) -> list[Row]:
    """The ownership and control holdings the pattern ``subjects`` binds to ``?s`` (all
    when ``None``), one
    dict each (``holding``, ``kind``, ``owner``, ``owned``, ``percent``, ``min``,
    ``max``, ``start``, ``end``, ``sources``: the graphs that state its owner).

    A holding node read from several graphs is one holding. Where its statements
    disagree, it is read as what they all allow: several percents make a band from the
    least to the greatest (a band's minimum is the least stated, its maximum the
    greatest), the start is the earliest and the end the latest stated; a node typed
    both ``sg:Ownership`` and ``sg:Control`` counts as ownership."""
    found = []
    facts_by_holding = _grouped(
        select_properties(store, subjects, _HOLDING_FACTS, _HOLDING_TYPES), _HOLDING_FACTS, "owner"
    )
    for key, facts in sorted(facts_by_holding.items()):
        kinds = facts["type"]
        if _OWNERSHIP not in kinds and _CONTROL not in kinds:
            continue
        percent, minimum, maximum = _share(facts["percent"], facts["min"], facts["max"])
        graphs = sorted(facts["graph"])
        start, end = min(facts["start"], default=None), max(facts["end"], default=None)
        for owner in sorted(facts["owner"]):
            for owned in sorted(facts["owned"]):
                found.append(
                    {
                        "holding": key,
                        "kind": _OWNERSHIP if _OWNERSHIP in kinds else _CONTROL,
                        "owner": owner,
                        "owned": owned,
                        "percent": percent,
                        "min": minimum,
                        "max": maximum,
                        "start": start,
                        "end": end,
                        "sources": graphs,
                    }
                )
    return found


def _share(
    percents: set[str], minimums: set[str], maximums: set[str]
) -> tuple[str | None, str | None, str | None]:
    """A holding node's percent, band minimum and band maximum from the values its
    graphs state: one value each as it is; several percents make a band from the least
    to the greatest (with a stated band's minimum and maximum)."""
    if len(percents) <= 1 and len(minimums) <= 1 and len(maximums) <= 1:  # the usual case
        return (next(iter(percents), None), next(iter(minimums), None), next(iter(maximums), None))
    numbers = {
        name: sorted(n for n in map(decimal_value, values) if n is not None)
        for name, values in (("percent", percents), ("min", minimums), ("max", maximums))
    }
    if len(numbers["percent"]) > 1:
        low = sorted(numbers["percent"] + numbers["min"])
        high = sorted(numbers["percent"] + numbers["max"])
        return None, str(low[0]), str(high[-1])
    return (
        str(numbers["percent"][0]) if numbers["percent"] else None,
        str(numbers["min"][0]) if numbers["min"] else None,
        str(numbers["max"][-1]) if numbers["max"] else None,
    )


def listings(store: GraphStore, subjects: str) -> list[Row]:
    """The SDN designations the pattern ``subjects`` binds to ``?s``, one dict each
    (``designation``, ``entity``, ``programs``, ``start``, ``end``, the unknown interval
    ``possibly_from`` / ``possibly_until`` and whether ``start`` / ``end`` come from
    publications): a designation node read from several graphs is one (the earliest
    start and possibly-from, the latest end and possibly-until)."""
    found = []
    for key, facts in sorted(
        _grouped(
            select_properties(store, subjects, _LISTING_FACTS), _LISTING_FACTS, "entity"
        ).items()
    ):
        for entity in sorted(facts["entity"]):
            found.append(
                {
                    "designation": key,
                    "entity": entity,
                    "programs": sorted(facts["program"]),
                    "start": min(facts["start"], default=None),
                    "end": max(facts["end"], default=None),
                    "possibly_from": min(facts["possibly_from"], default=None),
                    "possibly_until": max(facts["possibly_until"], default=None),
                    "start_from_publications": _FROM_PUBLICATIONS in facts["start_basis"],
                    "end_from_publications": _FROM_PUBLICATIONS in facts["end_basis"],
                }
            )
    return found


def identifiers(store: GraphStore, entities: Iterable[str] | None = None) -> dict[str, str]:
    """The smallest data-package id (``dct:identifier``) of each of ``entities`` (of every
    subject with one when ``None``)."""
    if entities is None:
        queries = [f"SELECT ?s ?id WHERE {{ ?s <{_DCT_IDENTIFIER}> ?id }}"]
    else:
        queries = with_rows_chunked(
            f"SELECT ?s ?id WHERE {{ ?s <{_DCT_IDENTIFIER}> ?id }}",
            ["s"],
            iri_rows(sorted(set(entities))),
        )
    found: dict[str, str] = {}
    for query in queries:
        for row in select_values(store, query):
            subject, ident = row["s"], row["id"]
            if subject is None or ident is None:
                continue
            known = found.get(subject)
            if known is None or ident < known:
                found[subject] = ident
    return found


def add_holdings(data: OwnershipData, rows: list[Row]) -> None:
    """Add :func:`holdings` rows: one relation stated by several holdings counts once
    (:meth:`~sanctiongraph.analysis.ownership.OwnershipData.add_holding`). An ownership
    that states no share is the band from 0 to 100 percent, as the BODS and FtM imports
    read one: its owner possibly owns it all, so an SDN owner makes it possibly blocked."""
    for row in rows:
        control = row["kind"] == _CONTROL
        percent, minimum, maximum = row["percent"], row["min"], row["max"]
        data.entity(row["owner"])
        data.entity(row["owned"])
        data.add_holding(
            row["owner"],
            row["owned"],
            percent,
            minimum=minimum,
            maximum=maximum,
            start=row["start"],
            end=row["end"],
            key=row["holding"],
            control=control,
            sources=row["sources"],
        )


def branches(store: GraphStore, entities: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(office, institution) pairs of ``sg:branchOf`` with an end among ``entities``
    (all when ``None``)."""
    if entities is None:
        queries = [_BRANCHES]
    else:
        queries = [_BRANCHES_OF.replace("{values}", block) for block in value_blocks(entities)]
    return sorted(
        {
            (str(row["office"]), str(row["institution"]))
            for query in queries
            for row in select_values(store, query)
        }
    )


def blocking_rules(store: GraphStore) -> list[Row]:
    """The rules that block persons by operation of law (``sg:BlockingByLaw`` in the
    reference data), one dict each: ``rule``, ``label``, ``citation`` (of its
    ``dct:source`` provisions), ``programs``, ``start``, ``end``,
    ``owned_or_controlled`` and ``named``: the agents it names with ``sg:blocksAgent``
    and, for ``sg:blocksGovernmentOf`` a country, every ``sg:Government`` that governs
    it or is of it and every ``sg:GovernmentBody`` and ``sg:CentralBank`` of it
    (``sg:jurisdiction``; a central bank is an agency or instrumentality of the state,
    docs/rules/ofac-50pct.md), and for ``sg:blocksPartyOf`` a country, every
    ``sg:PoliticalParty`` of it named as one of the rule's ``sg:blocksAgent``."""
    members = select_values(
        store,
        f"""SELECT DISTINCT ?rule ?agent WHERE {{
      ?rule a <{SG.BlockingByLaw}> .
      {{ ?rule <{SG.blocksAgent}> ?agent }}
      UNION {{ ?rule <{SG.blocksGovernmentOf}> ?country .
               ?agent a <{SG.Government}> ; <{SG.governs}> ?country }}
      UNION {{ ?rule <{SG.blocksGovernmentOf}> ?country .
               VALUES ?class {{ <{SG.Government}> <{SG.GovernmentBody}> <{SG.CentralBank}> }}
               ?agent a ?class ; <{SG.jurisdiction}> ?country }}
      UNION {{ ?rule <{SG.blocksPartyOf}> ?country ; <{SG.blocksAgent}> ?party .
               ?party <{RDFS_LABEL}>|<{SKOS_ALT_LABEL}> ?name .
               ?agent a <{SG.PoliticalParty}> ; <{SG.jurisdiction}> ?country ;
                      <{RDFS_LABEL}> ?agent_name .
               FILTER (REPLACE(LCASE(STR(?agent_name)), "\u2019", "'")
                       = REPLACE(LCASE(STR(?name)), "\u2019", "'")) }}
    }}""",
    )
    named: dict[str, set[str]] = {}
    for row in members:
        named.setdefault(str(row["rule"]), set()).add(str(row["agent"]))
    rules = [
        str(row["rule"])
        for row in select_values(
            store, f"SELECT DISTINCT ?rule WHERE {{ ?rule a <{SG.BlockingByLaw}> }}"
        )
    ]
    facts = group_properties(
        select_properties(store, f"?s a <{SG.BlockingByLaw}>", _RULE_FACTS), _RULE_FACTS
    )
    citations = {
        str(row["p"]): str(row["c"])
        for row in select_values(
            store,
            f"SELECT ?p ?c WHERE {{ ?r a <{SG.BlockingByLaw}> ; "
            f"<http://purl.org/dc/terms/source>|<{SG.ownedOrControlledSource}> ?p . "
            f"?p <{SG.citation}> ?c }}",
        )
    }
    found: list[Row] = []
    for rule in sorted(set(rules)):
        fact = facts.get(rule, {})
        found.append(
            {
                "rule": rule,
                "label": min(fact.get("label", ()), default=rule),
                "citation": ", ".join(
                    sorted(citations[p] for p in fact.get("source", ()) if p in citations)
                ),
                "sources": sorted(fact.get("source", ())),
                "owned_citation": ", ".join(
                    sorted(citations[p] for p in fact.get("owned_source", ()) if p in citations)
                ),
                "owned_sources": sorted(fact.get("owned_source", ())),
                "programs": sorted(fact.get("program", ())),
                "start": min(fact.get("start", ()), default=None),
                "end": max(fact.get("end", ()), default=None),
                "unverified_start": max(fact.get("unverified_start", ()), default=None),
                "owned_or_controlled": "true" in fact.get("owned_or_controlled", ()),
                "named": sorted(named.get(rule, ())),
            }
        )
    return found


def add_structure(data: OwnershipData, pairs: list[tuple[str, str]], rules: list[Row]) -> None:
    """Add :func:`branches` pairs and :func:`blocking_rules`."""
    for office, institution in pairs:
        data.add_branch(office, institution)
    for rule in rules:
        data.add_blocked_by_law(
            rule["rule"],
            rule["named"],
            label=rule["label"],
            citation=rule["citation"],
            sources=rule["sources"],
            programs=rule["programs"],
            start=rule["start"],
            end=rule["end"],
            owned_or_controlled=rule["owned_or_controlled"],
            owned_citation=rule["owned_citation"],
            owned_sources=rule["owned_sources"],
            unverified_start=rule["unverified_start"],
        )


def add_listings(data: OwnershipData, rows: list[Row]) -> None:
    """Add :func:`listings` rows."""
    for row in rows:
        data.add_listing(
            row["entity"],
            row["start"],
            row["end"],
            row["designation"],
            row["programs"],
            possibly_from=row.get("possibly_from"),
            possibly_until=row.get("possibly_until"),
            start_from_publications=row.get("start_from_publications", False),
            end_from_publications=row.get("end_from_publications", False),
        )


def _label(data: OwnershipData, ids: dict[str, str]) -> None:
    for key in data.index:
        if key in ids:
            data.entity(key, ids[key])


def load_ownership(store: GraphStore) -> OwnershipData:
    """Every holding and SDN listing in the store."""
    data = OwnershipData()
    add_holdings(data, holdings(store, None))
    add_listings(data, listings(store, _LISTINGS))
    add_structure(data, branches(store), blocking_rules(store))
    _label(data, identifiers(store))
    return data.compact()


def load_ownership_below_listings(store: GraphStore) -> OwnershipData:
    """The SDN listings, and the holdings of every listed entity and of everything below
    one: all that any entity's 50 Percent Rule status depends on (an entity with no
    listed entity above it is never blocked, and counts for nothing in the shares of
    what it owns). Read one level of owners per query. Blank nodes, which cannot be
    bound in a query, are not walked through."""
    data = OwnershipData()
    found_listings = listings(store, _LISTINGS)
    rules = blocking_rules(store)
    rows: list[Row] = []
    pairs: set[tuple[str, str]] = set()
    level = {row["entity"] for row in found_listings} | {e for r in rules for e in r["named"]}
    reached = set(level)
    while level:
        found = [
            row
            for values in value_blocks(level)
            for row in holdings(store, _HOLDINGS_OF.format(owners=values))
        ]
        rows += found
        linked = branches(store, level)  # offices below, and institutions above
        pairs.update(linked)
        level = ({row["owned"] for row in found} | {e for pair in linked for e in pair}) - reached
        reached |= level
    add_holdings(data, rows)
    add_listings(data, found_listings)
    add_structure(data, sorted(pairs), rules)
    _label(data, identifiers(store, data.keys))
    return data.compact()


def load_ownership_above(store: GraphStore, entity_iri: str) -> OwnershipData:
    """The holdings and SDN listings of ``entity_iri`` and of everything above it: all
    that its blocked status and its owner chains depend on."""
    data = OwnershipData()
    rows: list[Row] = []
    pairs: set[tuple[str, str]] = set()
    walk, reached = {entity_iri}, {entity_iri}
    while walk:  # the holdings above, then the institutions and offices of what they reach
        found = [
            row
            for node in sorted(walk)
            if ":" in node
            for row in holdings(store, _HOLDINGS_ABOVE.replace("?target", str(ox.NamedNode(node))))
        ]
        rows += found
        nodes = walk | {row["owner"] for row in found}
        reached |= nodes
        linked = branches(store, nodes)
        pairs.update(linked)
        walk = {e for pair in linked for e in pair} - reached
    add_holdings(data, rows)
    data.entity(entity_iri)
    add_structure(data, sorted(pairs), blocking_rules(store))  # before the listings: an
    for values in value_blocks(data.keys):  # office's institution is listed, not the office
        add_listings(data, listings(store, _LISTINGS_OF.format(entities=values)))
    _label(data, identifiers(store, data.keys))
    return data.compact()


def entity_status(
    store: GraphStore, entity: str, as_of: date, data: OwnershipData | None = None
) -> OwnershipStatus:
    """The 50 Percent Rule status of one entity on ``as_of``, with reasons and chains: the
    question ``sanctiongraph owners`` and ``GET /entities/{id}/owners`` ask.

    ``entity`` is whatever :func:`~sanctiongraph.entities.resolve_entity` accepts; raises
    :class:`UnknownEntity`. ``data`` may be the whole store's :func:`load_ownership`, read
    once and shared (the API keeps one): the answer is the same, without querying the
    store at all when the entity is in it (its label there is its smallest data-package
    id, as resolve_entity gives), and without reading above it when it is not (then
    nothing is above it). It is not modified."""
    iri = entity_iri_of(entity)
    if data is None or iri not in data.index:
        resolved = resolve_entity(store, entity)
        iri = resolved.iri
        if data is None:
            data = load_ownership_above(store, iri)
        elif iri not in data.index:
            data = OwnershipData()
        if iri not in data.index:
            data.entity(iri, resolved.id)
    return ownership_status(data, data.index[iri], as_of)


def owners(
    store: GraphStore, entity_iri: str, as_of: date, data: OwnershipData | None = None
) -> OwnersBody:
    """The 50 Percent Rule status of one entity on ``as_of``, with reasons and chains
    (:func:`entity_status` as plain data).

    Returns exactly ``{"entity", "blocked", "status", "blocked_share", "reasons",
    "chains"}``; ``status`` is ``blocked``, ``possibly_blocked`` or ``not_blocked``;
    ``blocked_share`` is the summed direct share (percent) of blocked owners, bands at
    their minimum; ``chains`` lists every maximal ownership path above the entity, each
    a list of ``{"owner", "owned", "percent"}`` steps from the top owner down (a band's
    ``percent`` is ``{"min", "max"}``). Ids are data-package ids where known, else IRIs.
    ``entity_iri`` may also be a data-package id. Raises :class:`UnknownEntity`.
    """
    return entity_status(store, entity_iri, as_of, data).as_dict()


def ownership_chains(
    store: GraphStore, entity_iri: str, as_of: date, direction: str = "up"
) -> dict[str, Any]:
    """Chains above (``up``: who owns the entity) or below (``down``: what it owns) on
    ``as_of``, each path listed, with effective ownership (the sum over paths of the
    product of shares, as min and max when a band is on a path). Returns ``{"entity",
    "direction", "chains", "effective": [{"entity", "min", "max"}], "truncated"}``."""
    resolved = resolve_entity(store, entity_iri)
    iri, label = resolved.iri, resolved.id
    pattern = _HOLDINGS_ABOVE if direction == "up" else _HOLDINGS_BELOW
    data = OwnershipData()
    add_holdings(data, holdings(store, pattern.replace("?target", str(ox.NamedNode(iri)))))
    _label(data, identifiers(store, data.keys))
    number = data.entity(iri, label)
    found = chains(data, number, as_of, direction)
    effective = effective_ownership(data, number, as_of, direction)
    return {
        "entity": data.label(number),
        "direction": direction,
        "chains": chain_steps(data, found),
        "effective": [
            {"entity": data.label(e), "min": lo, "max": hi}
            for e, (lo, hi) in sorted(effective.items(), key=lambda kv: data.label(kv[0]))
        ],
        "truncated": found.truncated,
    }


def render_text(body: OwnersBody, as_of: date) -> str:
    """``owners`` output for people: status, reasons, then each chain from the top down."""

    def share(percent: int | float | dict[str, int | float]) -> str:
        if isinstance(percent, dict):
            return f"{percent['min']}-{percent['max']}%"
        return f"{percent}%"

    lines = [
        f"{body['entity']}: {body['status'].replace('_', ' ')} on {as_of.isoformat()} "
        f"(blocked owners' direct share: {body['blocked_share']}%)"
    ]
    lines.append("reasons:" if body["reasons"] else "reasons: none")
    for reason in body["reasons"]:
        if reason["kind"] in ("listing", "possible_listing"):
            programs = (
                ", ".join(p.rsplit("/", 1)[-1] for p in reason["programs"]) or "program not given"
            )
            period = f"from {reason['start'] or 'an unknown date'}" + (
                f" until {reason['end']}" if reason["end"] else ""
            )
            if reason["kind"] == "listing":
                lines.append(f"  - on the SDN List ({programs}) {period}: {reason['listing']}")
            else:
                lines.append(
                    f"  - {reason['note']}: on the SDN List ({programs}) {period}: "
                    f"{reason['listing']}"
                )
        elif reason["kind"] == "blocked_by_law":
            how = "itself" if reason["named"] else "owned or controlled by it"
            maybe = "" if reason["certain"] else "possibly "
            lines.append(
                f"  - {maybe}blocked by operation of law as {reason['class']} ({how}; "
                f"{reason['citation']})"
            )
        elif reason["kind"] == "office_of":
            lines.append(
                f"  - an office of {reason['institution']} "
                f"({reason['institution_status'].replace('_', ' ')})"
            )
        elif reason["kind"] == "office":
            lines.append(
                f"  - its office {reason['office']} is "
                f"{reason['office_status'].replace('_', ' ')}: {reason['note']}"
            )
        elif reason["kind"] == "ownership":
            lines.append(
                f"  - {reason['owner']} ({reason['owner_status'].replace('_', ' ')}) "
                f"owns {share(reason['percent'])}: {reason['holding']}"
            )
        else:
            lines.append(
                f"  - {reason['owner']} ({reason['owner_status'].replace('_', ' ')}) "
                f"controls it; {reason['note']}"
            )
    lines.append(
        f"ownership chains above ({len(body['chains'])}):"
        if body["chains"]
        else "ownership chains above: none"
    )
    for chain in body["chains"]:
        text = chain[0]["owner"]
        for step in chain:
            text += f" -[{share(step['percent'])}]-> {step['owned']}"
        lines.append(f"  {text}")
    return "\n".join(lines)
