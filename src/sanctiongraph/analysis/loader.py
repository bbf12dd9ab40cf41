"""Fill :class:`~sanctiongraph.analysis.ownership.OwnershipData` from a store, and the
library function behind ``sanctiongraph owners`` and ``GET /entities/{id}/owners``.

The SPARQL lives in ``queries/analysis/``; entity keys are IRIs, and the data-package id
(``dct:identifier``) is kept as the entity's label where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pyoxigraph as ox

from sanctiongraph.analysis.ownership import (
    OwnershipData, chain_steps, chains, compute_status, effective_ownership, summary,
)
from sanctiongraph.namespaces import ID, SG
from sanctiongraph.queries import iri_rows, load_query, select_values, with_rows_chunked
from sanctiongraph.store import GraphStore

_CONTROL = str(SG.Control)


class UnknownEntity(LookupError):
    """No entity with that id or IRI is in the store."""


def add_holdings(data: OwnershipData, rows: list[dict[str, str | None]]) -> None:
    """Add holding rows (:func:`~sanctiongraph.queries.select_values` of a holdings query)."""
    seen = set(data.h_key)
    for row in rows:
        owner, owned = row["owner"], row["owned"]
        data.entity(owner, row["owner_id"])  # every id: the smallest is the label
        data.entity(owned, row["owned_id"])
        key = row["holding"]
        if key in seen:
            continue  # a path query can reach one holding twice; it counts once
        seen.add(key)
        control = row["kind"] == _CONTROL
        percent, minimum, maximum = row["percent"], row["min"], row["max"]
        if not control and percent is None and minimum is None and maximum is None:
            continue  # an ownership without any share is a data-quality finding, not a stake
        data.add_holding(owner, owned, percent, minimum=minimum, maximum=maximum,
                         start=row["start"], end=row["end"], key=key, control=control)


def add_listings(data: OwnershipData, rows: list[dict[str, str | None]]) -> None:
    """Add SDN listing rows (one per designation and program)."""
    programs: dict[str, list[str]] = {}
    listings: dict[str, tuple[str, str | None, str | None]] = {}
    for row in rows:
        data.entity(row["entity"], row["entity_id"])  # every id: the smallest is the label
        key = row["designation"]
        if key is None:
            continue  # an owner with no SDN designation (sdn-listings-above)
        listings[key] = (row["entity"], row["start"], row["end"])
        program = row["program"]
        bucket = programs.setdefault(key, [])
        if program is not None and program not in bucket:
            bucket.append(program)
    for key in sorted(listings):
        entity, start, end = listings[key]
        data.add_listing(entity, start, end, key, sorted(programs[key]))


def load_ownership(store: GraphStore) -> OwnershipData:
    """Every holding and SDN listing in the store."""
    data = OwnershipData()
    add_holdings(data, select_values(store, load_query("analysis/ownership-holdings").text))
    add_listings(data, select_values(store, load_query("analysis/sdn-listings").text))
    return data


def load_ownership_below_listings(store: GraphStore) -> OwnershipData:
    """The SDN listings, and the holdings of every listed entity and of everything below
    one: all that any entity's 50 Percent Rule status depends on (an entity with no
    listed entity above it is never blocked, and counts for nothing in the shares of
    what it owns). Read one level of owners per query. Blank nodes, which cannot be
    bound in a query, are not walked through."""
    data = OwnershipData()
    listings = select_values(store, load_query("analysis/sdn-listings").text)
    text = load_query("analysis/ownership-holdings").text
    rows: list[dict[str, str | None]] = []
    level = {row["entity"] for row in listings}
    reached = set(level)
    while level:
        found = [row for query in with_rows_chunked(text, ["owner"], iri_rows(sorted(level)))
                 for row in select_values(store, query)]
        rows += found
        level = {row["owned"] for row in found} - reached
        reached |= level
    add_holdings(data, rows)
    add_listings(data, listings)
    return data


def load_ownership_above(store: GraphStore, entity_iri: str) -> OwnershipData:
    """The holdings and SDN listings of ``entity_iri`` and of everything above it: all
    that its blocked status and its owner chains depend on."""
    data = OwnershipData()
    target = {"target": ox.NamedNode(entity_iri)}
    add_holdings(data, select_values(store, load_query("analysis/ownership-holdings-above").text,
                                     target))
    add_listings(data, [
        *select_values(store, load_query("analysis/sdn-listings-of").text, target),
        *select_values(store, load_query("analysis/sdn-listings-above").text, target)])
    return data


_IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")


def resolve_entity(store: GraphStore, entity: str) -> tuple[str, str | None]:
    """An entity's IRI and data-package id, from either; :class:`UnknownEntity` if absent."""
    if entity.startswith(("http://", "https://")):
        iri = entity
    else:
        found = [s["entity"].value for s in store.query(
            load_query("analysis/entity-by-id").text, {"id": ox.Literal(entity)})]
        preferred = str(ID[f"entity/{entity}"])
        if not found:
            raise UnknownEntity(f"no entity with id {entity!r}")
        iri = preferred if preferred in found else sorted(found)[0]
    node = ox.NamedNode(iri)
    ask = "ASK { { ?h <%s> ?x } UNION { ?h <%s> ?x } UNION { ?d <%s> ?x } }" % (
        SG.owner, SG.owned, SG.designates)
    if not store.has_subject(node) and not bool(store.query(ask, {"x": node})):
        raise UnknownEntity(f"no entity {entity!r} in the store")
    ids = [term.value for term in store.objects(node, _IDENTIFIER)]
    return iri, (min(ids) if ids else None)


def owners(store: GraphStore, entity_iri: str, as_of: date,
           data: OwnershipData | None = None,
           write_step: Callable[[OwnershipData, int], bytes] | None = None) -> dict:
    """The 50 Percent Rule status of one entity on ``as_of``, with reasons and chains.

    Returns exactly ``{"entity", "blocked", "status", "blocked_share", "reasons",
    "chains"}``; ``status`` is ``blocked``, ``possibly_blocked`` or ``not_blocked``;
    ``blocked_share`` is the summed direct share (percent) of blocked owners, bands at
    their minimum; ``chains`` lists every maximal ownership path above the entity, each
    a list of ``{"owner", "owned", "percent"}`` steps from the top owner down (a band's
    ``percent`` is ``{"min", "max"}``). Ids are data-package ids where known, else IRIs.
    ``entity_iri`` may also be a data-package id. Raises :class:`UnknownEntity`.

    ``data`` may be the whole store's :func:`load_ownership`, read once and shared (the
    API keeps one): the answer is the same, without querying the store at all when the
    entity is in it (its label there is its smallest data-package id, as
    :func:`resolve_entity` gives), and without reading above it when it is not (then
    nothing is above it). It is not modified.

    With ``write_step``, each chain is given as text instead (see :func:`summary`).
    """
    iri = entity_iri
    if data is None or iri not in data.index:
        iri, label = resolve_entity(store, entity_iri)
        if data is None:
            data = load_ownership_above(store, iri)
        elif iri not in data.index:
            data = OwnershipData()
        if iri not in data.index:
            data.entity(iri, label)
    number = data.index[iri]
    return summary(data, number, as_of, compute_status(data, as_of, [number]), write_step)


def ownership_chains(store: GraphStore, entity_iri: str, as_of: date,
                     direction: str = "up") -> dict:
    """Chains above (``up``: who owns the entity) or below (``down``: what it owns) on
    ``as_of``, each path listed, with effective ownership (the sum over paths of the
    product of shares, as min and max when a band is on a path). Returns ``{"entity",
    "direction", "chains", "effective": [{"entity", "min", "max"}], "truncated"}``."""
    iri, label = resolve_entity(store, entity_iri)
    query = "analysis/ownership-holdings-above" if direction == "up" else "analysis/ownership-holdings-below"
    data = OwnershipData()
    add_holdings(data, select_values(store, load_query(query).text, {"target": ox.NamedNode(iri)}))
    number = data.entity(iri, label)
    found = chains(data, number, as_of, direction)
    effective = effective_ownership(data, number, as_of, direction)
    return {
        "entity": data.label(number),
        "direction": direction,
        "chains": chain_steps(data, found),
        "effective": [{"entity": data.label(e), "min": lo, "max": hi}
                      for e, (lo, hi) in sorted(effective.items(), key=lambda kv: data.label(kv[0]))],
        "truncated": found.truncated,
    }


def render_text(body: dict, as_of: date) -> str:
    """``owners`` output for people: status, reasons, then each chain from the top down."""
    def share(percent) -> str:
        if isinstance(percent, dict):
            return f"{percent['min']}-{percent['max']}%"
        return f"{percent}%"

    lines = [f"{body['entity']}: {body['status'].replace('_', ' ')} on {as_of.isoformat()} "
             f"(blocked owners' direct share: {body['blocked_share']}%)"]
    lines.append("reasons:" if body["reasons"] else "reasons: none")
    for reason in body["reasons"]:
        if reason["kind"] == "listing":
            programs = ", ".join(p.rsplit("/", 1)[-1] for p in reason["programs"]) or "program not given"
            period = f"from {reason['start'] or 'an unknown date'}" + (
                f" until {reason['end']}" if reason["end"] else "")
            lines.append(f"  - on the SDN List ({programs}) {period}: {reason['listing']}")
        elif reason["kind"] == "ownership":
            lines.append(f"  - {reason['owner']} ({reason['owner_status'].replace('_', ' ')}) "
                         f"owns {share(reason['percent'])}: {reason['holding']}")
        else:
            lines.append(f"  - {reason['owner']} ({reason['owner_status'].replace('_', ' ')}) "
                         f"controls it; {reason['note']}")
    lines.append(f"ownership chains above ({len(body['chains'])}):" if body["chains"]
                 else "ownership chains above: none")
    for chain in body["chains"]:
        text = chain[0]["owner"]
        for step in chain:
            text += f" -[{share(step['percent'])}]-> {step['owned']}"
        lines.append(f"  {text}")
    return "\n".join(lines)
