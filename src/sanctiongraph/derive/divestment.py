"""OFAC FAQ 402: entities that stopped being blocked when blocked owners divested.

An entity owned 50 percent or more by blocked persons is blocked; when their aggregate
share falls below 50 percent because a holding of a blocked owner ends, FAQ 402 says it
is no longer blocked by the 50 Percent Rule, **provided** the divestment took place
entirely outside U.S. jurisdiction and involved no U.S. person, and property blocked
before stays blocked. The data do not record where a sale took place, so this deriver
only marks such entities for a warning: ``e sg:divestedBelowHalfOn D`` when a holding of
an owner blocked on the day before ``D`` ends on ``D``, ``e`` was blocked on that day
before, and ``e`` is not blocked on the as-of date. The status on each date comes from
the 50 Percent Rule's fixed point (:func:`sanctiongraph.analysis.ownership.compute_status`),
called once per distinct end date, on the ancestors of the entities that end date
can concern. The 50 Percent Rule deriver (:mod:`sanctiongraph.derive.ofac_50pct`, or its
Spark replacement) writes these triples from the holdings and listings it has read.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.analysis.ownership import NO_END, OwnershipData, compute_status
from sanctiongraph.namespaces import SG


def divestments(data: OwnershipData, as_of: date) -> dict[str, str]:
    """Entity IRI -> the latest day (ISO) on which it stopped being blocked through the
    end of a holding of a blocked owner, for entities not blocked on ``as_of``
    (``data``: :func:`~sanctiongraph.analysis.loader.load_ownership_below_listings`)."""
    if not data.l_entity:
        return {}
    today = as_of.isoformat()
    by_end: dict[str, list[int]] = {}
    for number, end in enumerate(data.h_end):
        if end != NO_END and end <= today and not data.h_control[number]:
            by_end.setdefault(end, []).append(number)
    if not by_end:
        return {}
    now = compute_status(data, as_of)
    possible = data.possible()
    found: dict[str, str] = {}
    for end, numbers in sorted(by_end.items()):
        # Only an entity that can be blocked at all, held by an owner that can be, and
        # not blocked now, can have been unblocked by this divestment.
        candidates = [
            n
            for n in numbers
            if data.h_owned[n] in possible
            and data.h_owner[n] in possible
            and data.h_owned[n] not in now.blocked
        ]
        if not candidates:
            continue
        # Each status is exact for the entities asked about (what is above them decides
        # it), so the fixed points run on their ancestors only, not the whole graph.
        scope = {data.h_owned[n] for n in candidates} | {data.h_owner[n] for n in candidates}
        day_before = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
        before = compute_status(data, day_before, scope)
        on_end = compute_status(data, end, scope)
        for n in candidates:
            entity = data.h_owned[n]
            if (
                data.h_owner[n] in before.blocked
                and entity in before.blocked
                and entity not in on_end.blocked
            ):
                found[data.keys[entity]] = end
    return found


def divestment_triples(data: OwnershipData, as_of: date) -> list[ox.Triple]:
    """``e sg:divestedBelowHalfOn D`` for each of :func:`divestments`."""
    predicate = ox.NamedNode(str(SG.divestedBelowHalfOn))
    datatype = ox.NamedNode(str(XSD.date))
    return [
        ox.Triple(ox.NamedNode(entity), predicate, ox.Literal(day, datatype=datatype))
        for entity, day in sorted(divestments(data, as_of).items())
        if ":" in entity
    ]
