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
    the licenses for the activity's kind, ties broken by license order), its first unmet condition, the count and a summary of
    every unmet condition; or
  - ``sg:outsideModeledVersion true`` for activities starting before 2024-02-16, the
    date from which the encoded version of the licenses applies (no guess is made).

The shapes in ``shapes/nksr-510/`` only read these outcomes. The condition checks are
Python functions keyed by the local name of the condition individual; a test holds the
ontology and :data:`CHECKS` to the same set of conditions.
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

from sanctiongraph.derive import DERIVED
from sanctiongraph.namespaces import CODE, GL, ID, SG, country
from sanctiongraph.store import GraphStore

ORDER = 500

#: The encoded version of the licenses applies to activities starting on or after this.
MODELED_FROM = date(2024, 2, 16)
#: The report to the State Department is due no fewer than this many days before the start.
REPORT_DAYS = 30

LICENSES = ("510.512", "510.520", "510.521", "510.522")
#: The licenses an activity of each kind is assessed against first.
KIND_LICENSES = {"humanitarian": ("510.512",), "export": ("510.520", "510.521"),
                 "journalism": ("510.522",)}
HUMANITARIAN_CATEGORIES = {
    "basic_human_needs", "vulnerable_populations", "human_rights_democracy", "education",
    "development", "environment", "ddr_peacebuilding",
}
SECONDARY_OR_BELOW = {"primary", "secondary"}
EXCLUDED_SUBJECTS = {"math", "science", "technology", "engineering", "computer_programming"}
SECURITY_FUNCTIONS = {"military", "intelligence", "law_enforcement"}
COMMERCE_AUTHORIZED = {"nlr", "license_exception", "license"}
ACTIVITY_UN_OK = {"approved", "requested", "explained"}
ITEM_UN_OK = {"approved", "not_required"}
AGRI_MEDICAL = {"food", "agricultural_commodity", "medicine", "medical_device",
                "medical_device_part"}

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
        value = self.one(predicate)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None


def _at_least(value: str, bound: int) -> bool:
    try:
        return Decimal(value) >= bound
    except ArithmeticError:  # a malformed percentage is reported by shapes/common
        return False


@dataclass
class World:
    """What the checks need to know, read from the union graph."""

    as_of: date
    nodes: dict[str, Node]
    holdings: list[Node]

    def node(self, iri: str) -> Node:
        return self.nodes.get(iri) or Node(iri)

    def items(self, activity: Node) -> list[Node]:
        return [self.node(i) for i in sorted(activity.all(SG.item))]

    def north_korean_government(self, entity: Node) -> bool:
        """A government or government body of North Korea (31 CFR 510.311(a))."""
        kp = str(country("KP"))
        if entity.has_type(SG.Government) and kp in entity.all(SG.governs) + entity.all(SG.jurisdiction):
            return True
        return entity.has_type(SG.GovernmentBody) and kp in entity.all(SG.jurisdiction)

    def owned_or_controlled_by_nk_government(self, entity: Node) -> bool:
        """Part of, or directly owned 50%+ or controlled by, the Government of North Korea
        on the as-of date (31 CFR 510.311(a)-(b)); direct holdings only."""
        if self.north_korean_government(entity):
            return True
        for holding in self.holdings:
            if entity.iri not in holding.all(SG.owned):
                continue
            start, end = holding.day(SG.startDate), holding.day(SG.endDate)
            if (start and start > self.as_of) or (end and end <= self.as_of):
                continue
            owners = [self.node(o) for o in holding.all(SG.owner)]
            if not any(self.north_korean_government(o) for o in owners):
                continue
            if holding.has_type(SG.Control):
                return True
            if any(_at_least(v, 50) for v in holding.all(SG.percent) + holding.all(SG.percentMin)):
                return True
        return False

    def security_body(self, entity: Node) -> bool:
        return bool(entity.codes(SG.hasFunction) & SECURITY_FUNCTIONS)


Check = Callable[[World, Node], bool]


def _kind(activity: Node, kind: str) -> bool:
    return kind in activity.codes(SG.activityKind)


def _education(activity: Node) -> bool:
    return "education" in activity.codes(SG.category)


def _is_us(world: World, entity: Node) -> bool:
    return str(country("US")) in entity.all(SG.jurisdiction)


def _partnership_ok(world: World, activity: Node) -> bool:
    if activity.flag(SG.partnershipNeededForItems):
        return True
    for partner in activity.all(SG.partner):
        entity = world.node(partner)
        if world.security_body(entity) and world.owned_or_controlled_by_nk_government(entity):
            return False
    return True


def _first_report(world: World, activity: Node) -> date | None:
    """The earliest day a report about the activity was sent to the State Department."""
    days = [d for d in (world.node(r).day(SG.submittedOn) for r in activity.all(SG.hasReport)) if d]
    return min(days) if days else None


def _report_ok(world: World, activity: Node) -> bool:
    start = activity.day(SG.startOn)
    submitted = _first_report(world, activity)
    return bool(start and submitted and (start - submitted).days >= REPORT_DAYS)


def _no_objection(world: World, activity: Node) -> bool:
    for iri in activity.all(SG.hasObjection):
        objected = world.node(iri).day(SG.objectedOn)
        if objected is None or objected <= world.as_of:
            return False  # an undated objection counts: it was made
    return True


def _employer(world: World, actor: Node) -> Node | None:
    employers = [world.node(e) for e in sorted(actor.all(SG.employedBy))]
    news = [e for e in employers if e.has_type(SG.NewsOrganization)]
    return news[0] if news else None


def _news_actor(world: World, activity: Node) -> bool:
    actor = world.node(activity.one(SG.actor) or "")
    return actor.has_type(SG.NewsOrganization) or (
        actor.has_type(SG.Person) and _employer(world, actor) is not None)


def _us_persons(world: World, activity: Node) -> bool:
    actor = world.node(activity.one(SG.actor) or "")
    if not _is_us(world, actor):
        return False
    if actor.has_type(SG.Person):
        employer = _employer(world, actor)
        return employer is None or _is_us(world, employer)
    return True


def _ear_item_authorized(item: Node) -> bool:
    return bool(item.codes(SG.commerceAuthorization) & COMMERCE_AUTHORIZED)


def _subject_to_ear(item: Node) -> bool:
    return item.flag(SG.subjectToEAR)


def _ear99(item: Node) -> bool:
    return (item.one(SG.classification) or "").strip().upper() == "EAR99"


CHECKS: dict[str, Check] = {
    # 510.512
    "510.512-ngo": lambda w, a: w.node(a.one(SG.actor) or "").has_type(SG.NonGovernmentalOrganization),
    "510.512-kind": lambda w, a: _kind(a, "humanitarian")
    and bool(a.codes(SG.category) & HUMANITARIAN_CATEGORIES),
    "510.512-non-commercial": lambda w, a: not a.flag(SG.commercial),
    "510.512-education-level": lambda w, a: not _education(a)
    or bool(a.codes(SG.educationLevel)) and a.codes(SG.educationLevel) <= SECONDARY_OR_BELOW,
    "510.512-education-subjects": lambda w, a: not _education(a)
    or not (a.codes(SG.subject) & EXCLUDED_SUBJECTS),
    "510.512-partnership": _partnership_ok,
    "510.512-items-ear99": lambda w, a: all(
        _ear99(i) for i in w.items(a) if not _subject_to_ear(i)),
    "510.512-items-ear-authorized": lambda w, a: all(
        _ear_item_authorized(i) for i in w.items(a) if _subject_to_ear(i)),
    "510.512-report": _report_ok,
    "510.512-un-exemption": lambda w, a: bool(a.codes(SG.unExemption) & ACTIVITY_UN_OK),
    "510.512-no-objection": _no_objection,
    # 510.520
    "510.520-kind": lambda w, a: _kind(a, "export"),
    "510.520-has-items": lambda w, a: bool(w.items(a)),
    "510.520-subject-to-ear": lambda w, a: all(_subject_to_ear(i) for i in w.items(a)),
    # An item outside the EAR has no Commerce authorization either: it is 510.521's case.
    "510.520-commerce-authorization": lambda w, a: all(
        _ear_item_authorized(i) for i in w.items(a)),
    # 510.521
    "510.521-kind": lambda w, a: _kind(a, "export"),
    "510.521-has-items": lambda w, a: bool(w.items(a)),
    "510.521-covered-items": lambda w, a: all(
        bool(i.codes(SG.itemCategory) & AGRI_MEDICAL) for i in w.items(a)),
    "510.521-not-excluded-device": lambda w, a: not any(
        i.flag(SG.excludedDevice) for i in w.items(a)),
    "510.521-not-subject-to-ear": lambda w, a: not any(_subject_to_ear(i) for i in w.items(a)),
    "510.521-ear99": lambda w, a: all(_ear99(i) for i in w.items(a)),
    "510.521-not-luxury": lambda w, a: not any(i.flag(SG.luxury) for i in w.items(a)),
    "510.521-un-exemption": lambda w, a: all(
        bool(i.codes(SG.unExemption) & ITEM_UN_OK) for i in w.items(a)),
    "510.521-end-user": lambda w, a: not any(
        w.security_body(w.node(u)) for i in w.items(a) for u in i.all(SG.endUser)),
    # 510.522
    "510.522-kind": lambda w, a: _kind(a, "journalism"),
    "510.522-news-organization": _news_actor,
    "510.522-us-person": _us_persons,
    "510.522-equipment": lambda w, a: all(
        not _subject_to_ear(i) or _ear_item_authorized(i) for i in w.items(a)),
}


def _name(node: Node) -> str:
    return node.one("http://purl.org/dc/terms/identifier") or node.iri


def _names(nodes: list[Node]) -> str:
    return ", ".join(sorted(_name(n) for n in nodes)) or "none"


def _report_detail(world: World, activity: Node) -> str:
    start = activity.day(SG.startOn)
    submitted = _first_report(world, activity)
    if submitted is None:
        return "no report to the State Department is recorded"
    if start is None:
        return "the activity has no start date"
    return (f"report sent on {submitted.isoformat()}, {(start - submitted).days} days before the "
            f"start on {start.isoformat()} ({REPORT_DAYS} needed)")


def _partner_detail(world: World, activity: Node) -> str:
    bad = [world.node(p) for p in activity.all(SG.partner)]
    bad = [p for p in bad if world.security_body(p) and world.owned_or_controlled_by_nk_government(p)]
    return (f"partners with {_names(bad)} (military, intelligence or law enforcement, owned or "
            "controlled by the Government of North Korea), and the partnership is not recorded as "
            "needed to export or import authorised items")


def _codes_detail(activity: Node, predicate: object, what: str) -> str:
    return f"{what}: {', '.join(sorted(activity.codes(predicate))) or 'none recorded'}"


#: For an unmet condition, the facts that fail it (a short phrase for messages).
DETAILS: dict[str, Callable[[World, Node], str]] = {
    "510.512-ngo": lambda w, a: f"the actor {_name(w.node(a.one(SG.actor) or ''))} is not an NGO",
    "510.512-kind": lambda w, a: _codes_detail(a, SG.activityKind, "kind")
    + ", " + _codes_detail(a, SG.category, "category"),
    "510.512-non-commercial": lambda w, a: "recorded as commercial",
    "510.512-education-level": lambda w, a: _codes_detail(a, SG.educationLevel, "level"),
    "510.512-education-subjects": lambda w, a: "teaches "
    + ", ".join(sorted(a.codes(SG.subject) & EXCLUDED_SUBJECTS)),
    "510.512-partnership": _partner_detail,
    "510.512-items-ear99": lambda w, a: "not shown to be EAR99: " + _names(
        [i for i in w.items(a) if not _subject_to_ear(i) and not _ear99(i)]),
    "510.512-items-ear-authorized": lambda w, a: "subject to the EAR without Commerce authorization: "
    + _names([i for i in w.items(a) if _subject_to_ear(i) and not _ear_item_authorized(i)]),
    "510.512-report": _report_detail,
    "510.512-un-exemption": lambda w, a: _codes_detail(a, SG.unExemption, "UN exemption"),
    "510.512-no-objection": lambda w, a: "the State Department objected on " + ", ".join(sorted(
        (w.node(o).one(SG.objectedOn) or "an unknown date") for o in a.all(SG.hasObjection))),
    "510.520-kind": lambda w, a: _codes_detail(a, SG.activityKind, "kind"),
    "510.520-has-items": lambda w, a: "no items recorded",
    "510.520-subject-to-ear": lambda w, a: "not subject to the EAR: " + _names(
        [i for i in w.items(a) if not _subject_to_ear(i)]),
    "510.520-commerce-authorization": lambda w, a: "no Commerce authorization: " + _names(
        [i for i in w.items(a) if not _ear_item_authorized(i)]),
    "510.521-kind": lambda w, a: _codes_detail(a, SG.activityKind, "kind"),
    "510.521-has-items": lambda w, a: "no items recorded",
    "510.521-covered-items": lambda w, a: "not covered: " + _names(
        [i for i in w.items(a) if not i.codes(SG.itemCategory) & AGRI_MEDICAL]),
    "510.521-not-excluded-device": lambda w, a: "excluded devices: " + _names(
        [i for i in w.items(a) if i.flag(SG.excludedDevice)]),
    "510.521-not-subject-to-ear": lambda w, a: "subject to the EAR: " + _names(
        [i for i in w.items(a) if _subject_to_ear(i)]),
    "510.521-ear99": lambda w, a: "not shown to be EAR99: " + _names(
        [i for i in w.items(a) if not _ear99(i)]),
    "510.521-not-luxury": lambda w, a: "luxury goods: " + _names(
        [i for i in w.items(a) if i.flag(SG.luxury)]),
    "510.521-un-exemption": lambda w, a: "no UN exemption recorded as obtained or not required: "
    + _names([i for i in w.items(a) if not i.codes(SG.unExemption) & ITEM_UN_OK]),
    "510.521-end-user": lambda w, a: "military, intelligence or law enforcement end users: " + _names(
        [i for i in w.items(a) if any(w.security_body(w.node(u)) for u in i.all(SG.endUser))]),
    "510.522-kind": lambda w, a: _codes_detail(a, SG.activityKind, "kind"),
    "510.522-news-organization": lambda w, a: f"the actor {_name(w.node(a.one(SG.actor) or ''))} is "
    "neither a news organisation nor employed by one",
    "510.522-us-person": lambda w, a: f"the actor {_name(w.node(a.one(SG.actor) or ''))}, or its "
    "employer, is not a U.S. person",
    "510.522-equipment": lambda w, a: "subject to the EAR without Commerce authorization: " + _names(
        [i for i in w.items(a) if _subject_to_ear(i) and not _ear_item_authorized(i)]),
}


@dataclass(frozen=True)
class Condition:
    key: str
    iri: str
    order: Decimal
    label: str
    citation: str


def license_conditions(store: GraphStore) -> dict[str, list[Condition]]:
    """The conditions of each license, in order, read from the ontology."""
    query = f"""
        SELECT ?license ?condition ?order ?label ?citation WHERE {{
          ?license a <{SG.GeneralLicense}> ; <{SG.licenseCondition}> ?condition .
          ?condition <{SG.conditionOrder}> ?order ; <http://www.w3.org/2000/01/rdf-schema#label> ?label ;
                     <{SG.citesProvision}> ?provision .
          ?provision <{SG.citation}> ?citation .
        }}"""
    found: dict[str, list[Condition]] = defaultdict(list)
    for s in store.query(query):
        license_key = s["license"].value[len(str(GL)):]
        if license_key not in LICENSES:
            continue
        key = s["condition"].value[len(str(GL)):]
        found[license_key].append(Condition(key, s["condition"].value, Decimal(s["order"].value),
                                            s["label"].value, s["citation"].value))
    return {k: sorted(set(v), key=lambda c: (c.order, c.key)) for k, v in found.items()}


def _read_nodes(store: GraphStore, pattern: str) -> dict[str, Node]:
    """Every property of the resources ``?s`` that ``pattern`` binds (it must not use
    ``?p`` or ``?o``). The resources are made distinct before their properties are
    read: a resource loaded in k graphs costs k rows a property, not k * k."""
    nodes: dict[str, Node] = {}
    for s in store.query(f"SELECT DISTINCT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s WHERE "
                         f"{{ {pattern} }} }} ?s ?p ?o }}"):
        subject = s["s"]
        if not isinstance(subject, ox.NamedNode):
            continue
        node = nodes.setdefault(subject.value, Node(subject.value))
        node.values[s["p"].value].append(s["o"].value)
    return nodes


def read_world(store: GraphStore, as_of: date) -> tuple[World, list[Node]]:
    sg = str(SG)
    activities = _read_nodes(store, f"?s a <{sg}Activity> .")
    related = _read_nodes(store, f"""
        ?a a <{sg}Activity> .
        {{ ?a <{sg}actor>|<{sg}partner>|<{sg}item>|<{sg}hasReport>|<{sg}hasObjection> ?s }}
        UNION {{ ?a <{sg}item>/<{sg}endUser> ?s }}
        UNION {{ ?a <{sg}actor>/<{sg}employedBy> ?s }}
        UNION {{ ?a <{sg}partner> ?partner . ?h <{sg}owned> ?partner ; <{sg}owner> ?s }}
    """)
    holdings = _read_nodes(store, f"""
        ?a a <{sg}Activity> ; <{sg}partner> ?partner . ?s <{sg}owned> ?partner .
    """)
    nodes = {**related, **activities}
    world = World(as_of, nodes, [holdings[k] for k in sorted(holdings)])
    return world, [activities[k] for k in sorted(activities)]


@dataclass(frozen=True)
class Outcome:
    activity: str
    outside: bool
    license: str | None
    authorized: bool
    unmet: dict[str, tuple[Condition, ...]]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def unmet_of_license(self) -> tuple[Condition, ...]:
        return self.unmet.get(self.license or "", ())


def assess(world: World, activity: Node, conditions: dict[str, list[Condition]]) -> Outcome:
    start = activity.day(SG.startOn)
    if start is not None and start < MODELED_FROM:
        return Outcome(activity.iri, True, None, False, {})
    unmet = {lic: tuple(c for c in conditions.get(lic, []) if not CHECKS[c.key](world, activity))
             for lic in LICENSES}
    authorizing = [lic for lic in LICENSES if conditions.get(lic) and not unmet[lic]]
    if authorizing:
        return Outcome(activity.iri, False, authorizing[0], True, unmet)
    # The closest license is the one with the fewest unmet conditions among the licenses
    # for the activity's kind (all four when the kind is unknown); ties go to license order.
    candidates = KIND_LICENSES.get(next(iter(sorted(activity.codes(SG.activityKind))), ""), LICENSES)
    closest = min(candidates, key=lambda lic: (len(unmet[lic]), LICENSES.index(lic)))
    details = {c.key: DETAILS[c.key](world, activity) for c in unmet[closest]}
    return Outcome(activity.iri, False, closest, False, unmet, details)


def _slug(iri: str) -> str:
    prefix = str(ID) + "activity/"
    local = iri[len(prefix):] if iri.startswith(prefix) else ""
    if local and re.fullmatch(r"[A-Za-z0-9._:-]+", local):
        return local
    return "h-" + hashlib.sha1(iri.encode()).hexdigest()[:16]


def summary(conditions: tuple[Condition, ...], details: dict[str, str] | None = None) -> str:
    """``label [— facts] (citation)`` for every condition, in order."""
    details = details or {}
    return "; ".join(
        f"{c.label}" + (f" — {details[c.key]}" if details.get(c.key) else "") + f" ({c.citation})"
        for c in conditions)


def outcome_triples(outcome: Outcome) -> list[ox.Triple]:
    def n(iri: object) -> ox.NamedNode:
        return ox.NamedNode(str(iri))

    def lit(value: object, datatype: object) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(datatype))

    base = str(ID) + "derived/nksr/" + _slug(outcome.activity)
    node = n(base)
    triples = [ox.Triple(node, n(RDF.type), n(SG.LicenseOutcome)),
               ox.Triple(node, n(SG.assessedActivity), n(outcome.activity))]
    if outcome.outside:
        triples.append(ox.Triple(node, n(SG.outsideModeledVersion), lit(_TRUE, XSD.boolean)))
        return triples
    for lic, unmet in outcome.unmet.items():
        assessment = n(f"{base}/{lic}")
        triples += [ox.Triple(assessment, n(RDF.type), n(SG.LicenseAssessment)),
                    ox.Triple(assessment, n(SG.assessedActivity), n(outcome.activity)),
                    ox.Triple(assessment, n(SG.assessedLicense), n(GL[lic])),
                    ox.Triple(assessment, n(SG.unmetCount), lit(len(unmet), XSD.decimal))]
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
    world, activities = read_world(store, as_of)
    return [assess(world, activity, conditions) for activity in activities]


def derive(store: GraphStore, as_of: date) -> None:
    triples: list[ox.Triple] = []
    for outcome in outcomes(store, as_of):
        triples += outcome_triples(outcome)
    store.add_triples(DERIVED, triples)


__all__ = ["CHECKS", "DETAILS", "LICENSES", "MODELED_FROM", "Outcome", "assess", "derive",
           "license_conditions", "outcomes"]
