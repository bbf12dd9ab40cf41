"""North Korea general licenses (31 CFR 510.512, 510.520, 510.521, 510.522): is each
activity authorised, and if not, why.

For every ``sg:Activity`` this deriver measures the activity against every condition of
every general license (the licenses and their conditions are individuals of
``ontology/license.ttl``: ``gl:510.512`` ... with ``sg:licenseCondition``,
``sg:conditionOrder`` and ``sg:citesProvision``), as of the validation date, and writes:

- one ``sg:LicenseAssessment`` per (activity, license) listing its unmet conditions;
- exactly one ``sg:LicenseOutcome`` per activity:
  - ``sg:authorized true`` with the license that authorises it (the first in license
    order when, unusually, more than one does); or
  - ``sg:authorized false`` with the closest license (fewest unmet conditions among
    the licenses for the activity's kind; of those, the one whose first unmet condition
    comes latest, then license order), its first unmet condition, the count and a summary of
    every unmet condition; or
  - ``sg:outsideModeledVersion true`` for activities starting on a day no encoded license
    is in force on (before their ``sg:effectiveFrom``, 2024-02-16: no guess is made).

The shapes in ``shapes/nksr-510/`` only read these outcomes. The condition checks are
Python functions keyed by the local name of the condition individual; a test holds the
ontology and :data:`CHECKS` to the same set of conditions. Every date, day count,
threshold and list a check applies is read from the ontology (:class:`Condition`,
:class:`License`): ``sg:effectiveFrom`` and ``sg:forActivityKind`` of a license,
``sg:allowedCode``, ``sg:excludedCode``, ``sg:minimumDaysBefore``, ``sg:windowDays`` and
``sg:sharePercentAtLeast`` of a condition, ``sg:onlyForItemCategory`` of a code.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pyoxigraph as ox
from rdflib import RDF, XSD

from sanctiongraph.analysis.loader import load_ownership_above
from sanctiongraph.analysis.ownership import (
    OwnershipData,
    owned_or_controlled,
    owned_or_controlled_holdings,
    to_units,
)
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.kit import RuleProvenance, date_value, day_key, in_force
from sanctiongraph.namespaces import CODE, GL, ID, SG, country
from sanctiongraph.queries import select_values
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import decimal_value

ORDER = 500
PROVENANCE = RuleProvenance("nksr-510")

#: The general licenses this deriver has checks for (``gl:<key>`` in ``ontology/license.ttl``).
LICENSES = ("510.512", "510.520", "510.521", "510.522")
#: The name of the export classification the licenses require; a designation, not a parameter.
EAR99 = "EAR99"

_TRUE = "true"


def _code_value(term: str | None) -> str | None:
    """``.../code/<scheme>/<value>`` -> ``value``."""
    if term and term.startswith(str(CODE)):
        return term.rsplit("/", 1)[-1]
    return None


@dataclass
class Node:
    """The properties of one resource, as lists of string values."""

    iri: str
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def all(self, predicate: object) -> list[str]:
        return self.values.get(str(predicate), [])

    def one(self, predicate: object) -> str | None:
        found = self.all(predicate)
        return min(found) if found else None

    def codes(self, predicate: object) -> set[str]:
        return {v for v in (_code_value(x) for x in self.all(predicate)) if v}

    def flag(self, predicate: object) -> bool:
        return _TRUE in self.all(predicate)

    def has_type(self, cls: object) -> bool:
        return str(cls) in self.all(RDF.type)

    def day(self, predicate: object) -> date | None:
        return date_value(self.one(predicate))


@dataclass(frozen=True)
class Condition:
    """One condition of a license, with the parameters the ontology gives it."""

    key: str
    iri: str
    order: Decimal
    label: str
    citation: str
    kinds: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    min_days: int | None = None
    window_days: int | None = None
    share_at_least: Decimal | None = None


@dataclass(frozen=True)
class License:
    """A general license: when it is in force and which kinds of activity it is for."""

    key: str
    effective_from: date | None
    effective_until: date | None
    kinds: frozenset[str]

    def in_force(self, day: date) -> bool:
        return in_force(day, self.effective_from, self.effective_until)


@dataclass(frozen=True)
class _GovernmentPoint:
    """The Government of North Korea's owned-or-controlled fixed point above an entity."""

    data: OwnershipData
    target: int  # the entity
    found: set[int]
    holdings: dict[int, list[int]]  # by owner, in force on the as-of date


@dataclass
class World:
    """What the checks need to know, read from the union graph."""

    as_of: date
    nodes: dict[str, Node]
    store: GraphStore | None = None
    #: Commerce authorization code -> the item categories it can hold for (sg:onlyForItemCategory).
    code_limits: dict[str, frozenset[str]] = field(default_factory=dict)
    _above: dict[str, OwnershipData] = field(default_factory=dict, repr=False)
    _points: dict[tuple[str, Decimal], _GovernmentPoint | None] = field(
        default_factory=dict, repr=False
    )

    def node(self, iri: str) -> Node:
        return self.nodes.get(iri) or Node(iri)

    def items(self, activity: Node) -> list[Node]:
        return [self.node(i) for i in sorted(activity.all(SG.item))]

    def north_korean_government(self, entity: Node) -> bool:
        """A government or government body of North Korea (31 CFR 510.311(a))."""
        kp = str(country("KP"))
        if entity.has_type(SG.Government) and kp in entity.all(SG.governs) + entity.all(
            SG.jurisdiction
        ):
            return True
        return entity.has_type(SG.GovernmentBody) and kp in entity.all(SG.jurisdiction)

    def ownership_above(self, iri: str) -> OwnershipData:
        """The holdings of ``iri`` and of everything above it, as the 50 Percent Rule reads them."""
        if iri not in self._above:
            self._above[iri] = (
                load_ownership_above(self.store, iri) if self.store is not None else OwnershipData()
            )
        return self._above[iri]

    def owned_or_controlled_by_nk_government(self, entity: Node, at_least: Decimal) -> bool:
        """Part of the Government of North Korea, or owned or controlled by it, directly or
        indirectly, on the as-of date (31 CFR 510.311(a)-(b)): the one owned-or-controlled
        fixed point (:func:`~sanctiongraph.analysis.ownership.owned_or_controlled`; bands
        at their minimum, control in full) from its bodies, over the holdings in force."""
        if self.north_korean_government(entity):
            return True
        point = self._nk_government_fixed_point(entity, at_least)
        return point is not None and point.target in point.found

    def nk_government_holdings(self, entity: Node, at_least: Decimal) -> list[str]:
        """The holdings in force through which the Government of North Korea owns or
        controls ``entity``: every holding (each node stating it) whose owner is in the
        fixed point, into ``entity`` or into such an owner of it, at any depth."""
        point = self._nk_government_fixed_point(entity, at_least)
        if point is None or point.target not in point.found:
            return []
        data = point.data
        into: dict[int, list[int]] = defaultdict(list)  # owned -> holdings from the point
        for owner, numbers in point.holdings.items():
            if owner in point.found:
                for number in numbers:
                    into[data.h_owned[number]].append(number)
        keys: set[str] = set()
        seen, queue = {point.target}, [point.target]
        while queue:
            for number in into.get(queue.pop(), ()):
                keys.update(data.h_statements.get(number, [data.h_key[number]]))
                if (owner := data.h_owner[number]) not in seen:
                    seen.add(owner)
                    queue.append(owner)
        return sorted(keys)

    def _nk_government_fixed_point(
        self, entity: Node, at_least: Decimal
    ) -> _GovernmentPoint | None:
        """What the Government of North Korea owns or controls among the entities above
        ``entity``, on the as-of date; ``None`` when nothing is above it. Worked out once
        per entity and share (the check, its details and its citations all ask)."""
        key = (entity.iri, at_least)
        if key not in self._points:
            self._points[key] = self._work_out_government_point(entity, at_least)
        return self._points[key]

    def _work_out_government_point(
        self, entity: Node, at_least: Decimal
    ) -> _GovernmentPoint | None:
        data = self.ownership_above(entity.iri)
        target = data.index.get(entity.iri)
        if target is None:
            return None
        government = [
            n for n, key in enumerate(data.keys) if self.north_korean_government(self.node(key))
        ]
        day = day_key(self.as_of)
        holdings = owned_or_controlled_holdings(data, day)
        found = owned_or_controlled(
            data, government, day, at_least=to_units(at_least), offices=False, holdings=holdings
        )
        return _GovernmentPoint(data, target, found, holdings)

    def has_function(self, entity: Node, functions: frozenset[str]) -> bool:
        return bool(set(entity.all(SG.hasFunction)) & functions)


Check = Callable[[World, Node, Condition], bool]


def _codes(node: Node, predicate: object) -> set[str]:
    """The code IRIs of ``predicate`` on ``node``."""
    return {v for v in node.all(predicate) if v.startswith(str(CODE))}


def _kind(activity: Node, condition: Condition) -> bool:
    return bool(_codes(activity, SG.activityKind) & condition.kinds)


def _education(activity: Node) -> bool:
    return "education" in activity.codes(SG.category)


def _is_us(entity: Node) -> bool:
    return str(country("US")) in entity.all(SG.jurisdiction)


def _government_share(condition: Condition) -> Decimal:
    return condition.share_at_least if condition.share_at_least is not None else Decimal(50)


def _bad_partners(world: World, activity: Node, condition: Condition) -> list[Node]:
    """Partners that are security bodies owned or controlled by the Government of North Korea."""
    at_least = _government_share(condition)
    partners = [world.node(p) for p in sorted(activity.all(SG.partner))]
    return [
        p
        for p in partners
        if world.has_function(p, condition.excluded)
        and world.owned_or_controlled_by_nk_government(p, at_least)
    ]


def _bad_partner_holdings(world: World, activity: Node, condition: Condition) -> list[str]:
    """The holdings through which the Government of North Korea owns or controls them."""
    at_least = _government_share(condition)
    return sorted(
        {
            key
            for partner in _bad_partners(world, activity, condition)
            for key in world.nk_government_holdings(partner, at_least)
        }
    )


def _partnership_ok(world: World, activity: Node, condition: Condition) -> bool:
    return activity.flag(SG.partnershipNeededForItems) or not _bad_partners(
        world, activity, condition
    )


def _first_report(world: World, activity: Node) -> date | None:
    """The earliest day a report about the activity was sent to the State Department."""
    days = [d for d in (world.node(r).day(SG.submittedOn) for r in activity.all(SG.hasReport)) if d]
    return min(days) if days else None


def _report_ok(world: World, activity: Node, condition: Condition) -> bool:
    start = activity.day(SG.startOn)
    submitted = _first_report(world, activity)
    needed = condition.min_days if condition.min_days is not None else 0
    return bool(start and submitted and (start - submitted).days >= needed)


def _objections(world: World, activity: Node, condition: Condition) -> list[str]:
    """The objections that count on the as-of date: undated ones, and dated ones made on or
    before it and within ``sg:windowDays`` days after the (first) report, when one is known."""
    submitted = _first_report(world, activity)
    found = []
    for iri in sorted(activity.all(SG.hasObjection)):
        objected = world.node(iri).day(SG.objectedOn)
        if objected is None:
            found.append("an unknown date")
        elif objected <= world.as_of and (
            submitted is None
            or condition.window_days is None
            or (objected - submitted).days <= condition.window_days
        ):
            found.append(objected.isoformat())
    return found


def _employer(world: World, actor: Node) -> Node | None:
    employers = [world.node(e) for e in sorted(actor.all(SG.employedBy))]
    news = [e for e in employers if e.has_type(SG.NewsOrganization)]
    return news[0] if news else None


def _news_actor(world: World, activity: Node, condition: Condition) -> bool:
    actor = world.node(activity.one(SG.actor) or "")
    return actor.has_type(SG.NewsOrganization) or (
        actor.has_type(SG.Person) and _employer(world, actor) is not None
    )


def _subject_to_ear(item: Node) -> bool:
    return item.flag(SG.subjectToEAR)


def _ear99(item: Node) -> bool:
    return (item.one(SG.classification) or "").strip().upper() == EAR99


def _authorized(world: World, item: Node, condition: Condition) -> bool:
    """The item has a Commerce authorization the condition accepts and that can hold for it:
    a code limited to some item categories (no license required: EAR99 food and medicine,
    15 CFR 746.4(a)) counts only for an EAR99 item of one of them."""
    categories = _codes(item, SG.itemCategory)
    for code_iri in _codes(item, SG.commerceAuthorization) & condition.allowed:
        limit = world.code_limits.get(code_iri)
        if limit is None or (_ear99(item) and categories & limit):
            return True
    return False


def _misclaimed(world: World, item: Node, condition: Condition) -> bool:
    """A limited authorization (no license required) is claimed where it cannot hold."""
    return not _authorized(world, item, condition) and bool(
        _codes(item, SG.commerceAuthorization) & condition.allowed & set(world.code_limits)
    )


def _blocked(world: World, actor: Node) -> bool:
    return actor.has_type(SG.BlockedEntity)


def _blocked_parties(world: World, activity: Node) -> list[Node]:
    """The activity's partners and its items' end users that are blocked on the as-of
    date."""
    ends = {u for i in world.items(activity) for u in i.all(SG.endUser)}
    parties = [world.node(p) for p in sorted({*activity.all(SG.partner), *ends})]
    return [p for p in parties if _blocked(world, p)]


def _allowed(node: Node, predicate: object, condition: Condition) -> bool:
    return bool(_codes(node, predicate) & condition.allowed)


def _excluded(node: Node, predicate: object, condition: Condition) -> set[str]:
    return {_code_value(c) or c for c in _codes(node, predicate) & condition.excluded}


CHECKS: dict[str, Check] = {
    # 510.512
    "510.512-ngo": lambda w, a, c: w.node(a.one(SG.actor) or "").has_type(
        SG.NonGovernmentalOrganization
    ),
    "510.512-not-blocked": lambda w, a, c: not _blocked(w, w.node(a.one(SG.actor) or "")),
    "510.512-kind": lambda w, a, c: _kind(a, c) and _allowed(a, SG.category, c),
    "510.512-non-commercial": lambda w, a, c: not a.flag(SG.commercial),
    "510.512-education-level": lambda w, a, c: (
        not _education(a)
        or (bool(_codes(a, SG.educationLevel)) and _codes(a, SG.educationLevel) <= c.allowed)
    ),
    "510.512-education-subjects": lambda w, a, c: (
        not _education(a) or not _excluded(a, SG.subject, c)
    ),
    "510.512-partnership": _partnership_ok,
    "510.512-items-ear99": lambda w, a, c: all(
        _ear99(i) for i in w.items(a) if not _subject_to_ear(i)
    ),
    "510.512-items-ear-authorized": lambda w, a, c: all(
        _authorized(w, i, c) for i in w.items(a) if _subject_to_ear(i)
    ),
    "510.512-report": _report_ok,
    "510.512-un-exemption": lambda w, a, c: _allowed(a, SG.unExemption, c),
    "510.512-no-objection": lambda w, a, c: not _objections(w, a, c),
    # 510.520
    "510.520-kind": lambda w, a, c: _kind(a, c),
    "510.520-has-items": lambda w, a, c: bool(w.items(a)),
    "510.520-subject-to-ear": lambda w, a, c: all(_subject_to_ear(i) for i in w.items(a)),
    # An item outside the EAR has no Commerce authorization either: it is 510.521's case.
    "510.520-commerce-authorization": lambda w, a, c: all(_authorized(w, i, c) for i in w.items(a)),
    # 510.521
    "510.521-kind": lambda w, a, c: _kind(a, c),
    "510.521-has-items": lambda w, a, c: bool(w.items(a)),
    "510.521-covered-items": lambda w, a, c: all(
        _allowed(i, SG.itemCategory, c) for i in w.items(a)
    ),
    "510.521-not-excluded-device": lambda w, a, c: (
        not any(i.flag(SG.excludedDevice) for i in w.items(a))
    ),
    "510.521-not-subject-to-ear": lambda w, a, c: not any(_subject_to_ear(i) for i in w.items(a)),
    "510.521-ear99": lambda w, a, c: all(_ear99(i) for i in w.items(a)),
    "510.521-not-luxury": lambda w, a, c: not any(i.flag(SG.luxury) for i in w.items(a)),
    "510.521-un-exemption": lambda w, a, c: all(_allowed(i, SG.unExemption, c) for i in w.items(a)),
    "510.521-end-user": lambda w, a, c: (
        not any(
            w.has_function(w.node(u), c.excluded) for i in w.items(a) for u in i.all(SG.endUser)
        )
    ),
    # 510.521(a) lifts the export ban of 510.206 only; dealing with a blocked person stays
    # prohibited by 510.201 (510.520, unlike it, names such transactions)
    "510.521-no-blocked-party": lambda w, a, c: not _blocked_parties(w, a),
    # 510.522
    "510.522-kind": lambda w, a, c: _kind(a, c),
    "510.522-news-organization": _news_actor,
    # (a): the individual must be a U.S. person; the employing organisation need not be.
    "510.522-us-person": lambda w, a, c: _is_us(w.node(a.one(SG.actor) or "")),
    "510.522-equipment": lambda w, a, c: all(
        not _subject_to_ear(i) or _authorized(w, i, c) for i in w.items(a)
    ),
    "510.522-equipment-ear99": lambda w, a, c: all(
        _ear99(i) for i in w.items(a) if not _subject_to_ear(i)
    ),
    "510.522-equipment-un-approval": lambda w, a, c: all(
        _allowed(i, SG.unExemption, c) for i in w.items(a) if not _subject_to_ear(i)
    ),
}


def _name(node: Node) -> str:
    return node.one("http://purl.org/dc/terms/identifier") or node.iri


def _names(nodes: list[Node]) -> str:
    return ", ".join(sorted(_name(n) for n in nodes)) or "none"


def _report_detail(world: World, activity: Node, condition: Condition) -> str:
    start = activity.day(SG.startOn)
    submitted = _first_report(world, activity)
    if submitted is None:
        return "no report to the State Department is recorded"
    if start is None:
        return "the activity has no start date"
    return (
        f"report sent on {submitted.isoformat()}, {(start - submitted).days} days before the "
        f"start on {start.isoformat()} ({condition.min_days} needed)"
    )


def _partner_detail(world: World, activity: Node, condition: Condition) -> str:
    return (
        f"partners with {_names(_bad_partners(world, activity, condition))} (military, "
        "intelligence or law enforcement, owned or controlled by the Government of North "
        "Korea), and the partnership is not recorded as needed to export or import "
        "authorised items"
    )


def _unauthorized_detail(world: World, items: list[Node], condition: Condition) -> str:
    missing = [i for i in items if not _authorized(world, i, condition)]
    text = _names(missing)
    misclaimed = [i for i in missing if _misclaimed(world, i, condition)]
    if misclaimed:
        text += (
            f" (no license required is claimed for {_names(misclaimed)}, but 15 CFR "
            "746.4(a) requires a Commerce license for any item subject to the EAR other "
            "than EAR99 food and medicine, unless a license exception applies)"
        )
    return text


def _codes_detail(activity: Node, predicate: object, what: str) -> str:
    return f"{what}: {', '.join(sorted(activity.codes(predicate))) or 'none recorded'}"


def _actor(world: World, activity: Node) -> str:
    return _name(world.node(activity.one(SG.actor) or ""))


#: For an unmet condition, the facts that fail it (a short phrase for messages).
DETAILS: dict[str, Callable[[World, Node, Condition], str]] = {
    "510.512-ngo": lambda w, a, c: f"the actor {_actor(w, a)} is not an NGO",
    "510.512-not-blocked": lambda w, a, c: f"the actor {_actor(w, a)} is blocked on the as-of date",
    "510.512-kind": lambda w, a, c: (
        _codes_detail(a, SG.activityKind, "kind") + ", " + _codes_detail(a, SG.category, "category")
    ),
    "510.512-non-commercial": lambda w, a, c: "recorded as commercial",
    "510.512-education-level": lambda w, a, c: _codes_detail(a, SG.educationLevel, "level"),
    "510.512-education-subjects": lambda w, a, c: (
        "teaches " + ", ".join(sorted(_excluded(a, SG.subject, c)))
    ),
    "510.512-partnership": _partner_detail,
    "510.512-items-ear99": lambda w, a, c: (
        "not shown to be EAR99: "
        + _names([i for i in w.items(a) if not _subject_to_ear(i) and not _ear99(i)])
    ),
    "510.512-items-ear-authorized": lambda w, a, c: (
        "subject to the EAR without Commerce authorization: "
        + _unauthorized_detail(w, [i for i in w.items(a) if _subject_to_ear(i)], c)
    ),
    "510.512-report": _report_detail,
    "510.512-un-exemption": lambda w, a, c: _codes_detail(a, SG.unExemption, "UN exemption"),
    "510.512-no-objection": lambda w, a, c: (
        "the State Department objected on " + ", ".join(_objections(w, a, c))
    ),
    "510.520-kind": lambda w, a, c: _codes_detail(a, SG.activityKind, "kind"),
    "510.520-has-items": lambda w, a, c: "no items recorded",
    "510.520-subject-to-ear": lambda w, a, c: (
        "not subject to the EAR: " + _names([i for i in w.items(a) if not _subject_to_ear(i)])
    ),
    "510.520-commerce-authorization": lambda w, a, c: (
        "no Commerce authorization: " + _unauthorized_detail(w, w.items(a), c)
    ),
    "510.521-kind": lambda w, a, c: _codes_detail(a, SG.activityKind, "kind"),
    "510.521-has-items": lambda w, a, c: "no items recorded",
    "510.521-covered-items": lambda w, a, c: (
        "not covered: " + _names([i for i in w.items(a) if not _allowed(i, SG.itemCategory, c)])
    ),
    "510.521-not-excluded-device": lambda w, a, c: (
        "excluded devices: " + _names([i for i in w.items(a) if i.flag(SG.excludedDevice)])
    ),
    "510.521-not-subject-to-ear": lambda w, a, c: (
        "subject to the EAR: " + _names([i for i in w.items(a) if _subject_to_ear(i)])
    ),
    "510.521-ear99": lambda w, a, c: (
        "not shown to be EAR99: " + _names([i for i in w.items(a) if not _ear99(i)])
    ),
    "510.521-not-luxury": lambda w, a, c: (
        "luxury goods: " + _names([i for i in w.items(a) if i.flag(SG.luxury)])
    ),
    "510.521-un-exemption": lambda w, a, c: (
        "no UN exemption recorded as obtained or not required: "
        + _names([i for i in w.items(a) if not _allowed(i, SG.unExemption, c)])
    ),
    "510.521-no-blocked-party": lambda w, a, c: (
        "blocked on the as-of date: " + _names(_blocked_parties(w, a))
    ),
    "510.521-end-user": lambda w, a, c: (
        "military, intelligence or law enforcement end users: "
        + _names(
            [
                i
                for i in w.items(a)
                if any(w.has_function(w.node(u), c.excluded) for u in i.all(SG.endUser))
            ]
        )
    ),
    "510.522-kind": lambda w, a, c: _codes_detail(a, SG.activityKind, "kind"),
    "510.522-news-organization": lambda w, a, c: (
        f"the actor {_actor(w, a)} is neither a news organisation nor employed by one"
    ),
    "510.522-us-person": lambda w, a, c: f"the actor {_actor(w, a)} is not a U.S. person",
    "510.522-equipment": lambda w, a, c: (
        "subject to the EAR without Commerce authorization: "
        + _unauthorized_detail(w, [i for i in w.items(a) if _subject_to_ear(i)], c)
    ),
    "510.522-equipment-ear99": lambda w, a, c: (
        "equipment not shown to be EAR99: "
        + _names([i for i in w.items(a) if not _subject_to_ear(i) and not _ear99(i)])
    ),
    "510.522-equipment-un-approval": lambda w, a, c: (
        "equipment without UN approval recorded as "
        "obtained or not required: "
        + _names(
            [i for i in w.items(a) if not _subject_to_ear(i) and not _allowed(i, SG.unExemption, c)]
        )
    ),
}

# The facts an unmet condition rests on, beyond the activity itself (node IRIs): the
# outcome is derived from them too (prov:wasDerivedFrom), so that a finding can cite the
# imported ones by publication (shapes/nksr-510/510-512.ttl).
RESTS_ON: dict[str, Callable[[World, Node, Condition], list[str]]] = {
    "510.512-partnership": _bad_partner_holdings,
}

_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def licenses(store: GraphStore) -> dict[str, License]:
    """The encoded general licenses, with their dates and activity kinds, read from the ontology."""
    found: dict[str, License] = {}
    rows = select_values(
        store,
        f"""
        SELECT ?license ?from ?until ?kind WHERE {{
          ?license a <{SG.GeneralLicense}> .
          OPTIONAL {{ ?license <{SG.effectiveFrom}> ?from }}
          OPTIONAL {{ ?license <{SG.effectiveUntil}> ?until }}
          OPTIONAL {{ ?license <{SG.forActivityKind}> ?kind }}
        }}""",
    )
    for row in rows:
        key = (row["license"] or "")[len(str(GL)) :]
        if key not in LICENSES:
            continue
        known = found.get(key)
        kinds = (known.kinds if known else frozenset()) | ({row["kind"]} if row["kind"] else set())
        found[key] = License(
            key, date_value(row["from"]), date_value(row["until"]), frozenset(kinds)
        )
    return found


def license_conditions(store: GraphStore) -> dict[str, list[Condition]]:
    """The conditions of each license, in order, with their parameters, read from the ontology."""
    query = f"""
        SELECT ?license ?condition ?order ?label ?citation ?days ?window ?share WHERE {{
          ?license a <{SG.GeneralLicense}> ; <{SG.licenseCondition}> ?condition .
          ?condition <{SG.conditionOrder}> ?order ; <{_RDFS_LABEL}> ?label ;
                     <{SG.citesProvision}> ?provision .
          ?provision <{SG.citation}> ?citation .
          OPTIONAL {{ ?condition <{SG.minimumDaysBefore}> ?days }}
          OPTIONAL {{ ?condition <{SG.windowDays}> ?window }}
          OPTIONAL {{ ?condition <{SG.sharePercentAtLeast}> ?share }}
        }}"""
    codes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in select_values(
        store,
        f"""
            SELECT ?condition ?p ?code WHERE {{
              ?condition ?p ?code . FILTER (?p IN (<{SG.allowedCode}>, <{SG.excludedCode}>))
            }}""",
    ):
        codes[(row["condition"] or "", row["p"] or "")].add(row["code"] or "")
    kinds = {key: lic.kinds for key, lic in licenses(store).items()}
    found: dict[str, set[Condition]] = defaultdict(set)
    for row in select_values(store, query):
        license_key = (row["license"] or "")[len(str(GL)) :]
        if license_key not in LICENSES:
            continue
        iri = row["condition"] or ""
        days, window, share = (decimal_value(row[k]) for k in ("days", "window", "share"))
        found[license_key].add(
            Condition(
                iri[len(str(GL)) :],
                iri,
                Decimal(row["order"] or "0"),
                row["label"] or "",
                row["citation"] or "",
                kinds.get(license_key, frozenset()),
                frozenset(codes[(iri, str(SG.allowedCode))]),
                frozenset(codes[(iri, str(SG.excludedCode))]),
                int(days) if days is not None else None,
                int(window) if window is not None else None,
                share,
            )
        )
    return {k: sorted(v, key=lambda c: (c.order, c.key)) for k, v in found.items()}


def _code_limits(store: GraphStore) -> dict[str, frozenset[str]]:
    limits: dict[str, set[str]] = defaultdict(set)
    for row in select_values(
        store, f"SELECT ?code ?category WHERE {{ ?code <{SG.onlyForItemCategory}> ?category }}"
    ):
        limits[row["code"] or ""].add(row["category"] or "")
    return {k: frozenset(v) for k, v in limits.items()}


def _read_nodes(store: GraphStore, pattern: str) -> dict[str, Node]:
    """Every property of the resources ``?s`` that ``pattern`` binds (it must not use
    ``?p`` or ``?o``). The resources are made distinct before their properties are
    read: a resource loaded in k graphs costs k rows a property, not k * k."""
    nodes: dict[str, Node] = {}
    for s in store.query(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s WHERE "
        f"{{ {pattern} }} }} ?s ?p ?o }}"
    ):
        subject = s["s"]
        if not isinstance(subject, ox.NamedNode):
            continue
        node = nodes.setdefault(subject.value, Node(subject.value))
        node.values[s["p"].value].append(s["o"].value)
    return nodes


def read_world(store: GraphStore, as_of: date) -> tuple[World, list[Node]]:
    sg = str(SG)
    activities = _read_nodes(store, f"?s a <{sg}Activity> .")
    related = _read_nodes(
        store,
        f"""
        ?a a <{sg}Activity> .
        {{ ?a <{sg}actor>|<{sg}partner>|<{sg}item>|<{sg}hasReport>|<{sg}hasObjection> ?s }}
        UNION {{ ?a <{sg}item>/<{sg}endUser> ?s }}
        UNION {{ ?a <{sg}actor>/<{sg}employedBy> ?s }}
        UNION {{ ?a <{sg}partner>/(^<{sg}owned>/<{sg}owner>)+ ?s }}
    """,
    )
    nodes = {**related, **activities}
    world = World(as_of, nodes, store, _code_limits(store))
    return world, [activities[k] for k in sorted(activities)]


@dataclass(frozen=True)
class Outcome:
    activity: str
    outside: bool
    license: str | None
    authorized: bool
    unmet: dict[str, tuple[Condition, ...]]
    details: dict[str, str] = field(default_factory=dict)
    rests_on: tuple[str, ...] = ()  # facts the closest license's unmet conditions rest on

    @property
    def unmet_of_license(self) -> tuple[Condition, ...]:
        return self.unmet.get(self.license or "", ())


def assess(
    world: World,
    activity: Node,
    conditions: dict[str, list[Condition]],
    known: dict[str, License] | None = None,
) -> Outcome:
    """The outcome of one activity: measured against every license in force on its start
    day (the as-of date when it has none); outside the modelled version when none is."""
    known = known or {}
    day = activity.day(SG.startOn) or world.as_of
    in_force = [
        lic
        for lic in LICENSES
        if conditions.get(lic) and (lic not in known or known[lic].in_force(day))
    ]
    if not in_force:
        return Outcome(activity.iri, True, None, False, {})
    unmet = {
        lic: tuple(c for c in conditions[lic] if not CHECKS[c.key](world, activity, c))
        for lic in in_force
    }
    authorizing = [lic for lic in in_force if not unmet[lic]]
    if authorizing:
        return Outcome(activity.iri, False, authorizing[0], True, unmet)
    # The closest license is the one with the fewest unmet conditions among the licenses
    # for the activity's kind (all of them when the kind is unknown); of those, the one
    # whose first unmet condition comes latest (the activity meets more of its scope:
    # a medicine outside the EAR for a police end user is 510.521's case, not 510.520's),
    # then license order.
    kinds = _codes(activity, SG.activityKind)
    candidates = [lic for lic in in_force if lic in known and known[lic].kinds & kinds] or in_force
    closest = min(
        candidates,
        key=lambda lic: (len(unmet[lic]), -unmet[lic][0].order, LICENSES.index(lic)),
    )
    details = {c.key: DETAILS[c.key](world, activity, c) for c in unmet[closest]}
    rests_on = tuple(
        fact
        for c in unmet[closest]
        if c.key in RESTS_ON
        for fact in RESTS_ON[c.key](world, activity, c)
    )
    return Outcome(activity.iri, False, closest, False, unmet, details, rests_on)


def _slug(iri: str) -> str:
    prefix = str(ID) + "activity/"
    local = iri[len(prefix) :] if iri.startswith(prefix) else ""
    if local and re.fullmatch(r"[A-Za-z0-9._:-]+", local):
        return local
    return "h-" + hashlib.sha1(iri.encode()).hexdigest()[:16]


def summary(conditions: tuple[Condition, ...], details: dict[str, str] | None = None) -> str:
    """``label [— facts] (citation)`` for every condition, in order."""
    details = details or {}
    return "; ".join(
        f"{c.label}" + (f" — {details[c.key]}" if details.get(c.key) else "") + f" ({c.citation})"
        for c in conditions
    )


def outcome_triples(outcome: Outcome) -> list[ox.Triple]:
    def n(iri: object) -> ox.NamedNode:
        return ox.NamedNode(str(iri))

    def lit(value: object, datatype: object) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(datatype))

    base = PROVENANCE.base + _slug(outcome.activity)
    node = n(base)
    triples = [
        ox.Triple(node, n(RDF.type), n(SG.LicenseOutcome)),
        ox.Triple(node, n(SG.assessedActivity), n(outcome.activity)),
        *PROVENANCE.triples(node, [outcome.activity, *outcome.rests_on]),
    ]
    if outcome.outside:
        triples.append(ox.Triple(node, n(SG.outsideModeledVersion), lit(_TRUE, XSD.boolean)))
        return triples
    assert outcome.license is not None  # only an activity outside the model has none
    for lic, unmet in outcome.unmet.items():
        assessment = n(f"{base}/{lic}")
        triples += [
            ox.Triple(assessment, n(RDF.type), n(SG.LicenseAssessment)),
            ox.Triple(assessment, n(SG.assessedActivity), n(outcome.activity)),
            ox.Triple(assessment, n(SG.assessedLicense), n(GL[lic])),
            ox.Triple(assessment, n(SG.unmetCount), lit(len(unmet), XSD.decimal)),
            *PROVENANCE.triples(assessment, [outcome.activity]),
        ]
        triples += [ox.Triple(assessment, n(SG.unmetCondition), n(c.iri)) for c in unmet]
    triples += [
        ox.Triple(node, n(SG.authorized), lit(str(outcome.authorized).lower(), XSD.boolean)),
        ox.Triple(node, n(SG.assessedLicense), n(GL[outcome.license])),
    ]
    unmet = outcome.unmet_of_license
    if unmet:
        triples += [
            ox.Triple(node, n(SG.firstUnmetCondition), n(unmet[0].iri)),
            ox.Triple(node, n(SG.unmetCount), lit(len(unmet), XSD.decimal)),
            ox.Triple(node, n(SG.unmetSummary), ox.Literal(summary(unmet, outcome.details))),
        ]
        triples += [ox.Triple(node, n(SG.unmetCondition), n(c.iri)) for c in unmet]
    return triples


def outcomes(store: GraphStore, as_of: date) -> list[Outcome]:
    conditions = license_conditions(store)
    known = licenses(store)
    world, activities = read_world(store, as_of)
    return [assess(world, activity, conditions, known) for activity in activities]


def derive(store: GraphStore, as_of: date) -> None:
    triples: list[ox.Triple] = []
    for outcome in outcomes(store, as_of):
        triples += outcome_triples(outcome)
    store.add_triples(DERIVED, triples)


__all__ = [
    "CHECKS",
    "DETAILS",
    "LICENSES",
    "Condition",
    "License",
    "Outcome",
    "assess",
    "derive",
    "license_conditions",
    "licenses",
    "outcomes",
]
