"""Section 311 special measures (31 CFR 1010.659, North Korea, and every measure of its
pattern, such as 1010.660, Bank of Dandong): who is who, as of a date, with evidence.

The measures are data (``data/reference/measures/``): each ``sg:SpecialMeasure`` names
its section, its effective date and its target (``sg:targetJurisdiction`` or
``sg:targetInstitution``), the target populations it defines and the requirements that
cite its paragraphs. This deriver knows three *patterns* of population and nothing about
any particular measure:

* ``sg:JurisdictionBankPopulation`` (1010.659(a)(1), North Korean banking institution):
  every bank organised under the law of the target jurisdiction (``sg:jurisdiction``, not
  itself a branch of another institution), and every agency, branch or office of such a
  bank (``sg:branchOf``, at any depth) located outside the United States.
* ``sg:JurisdictionFinancialInstitutionPopulation`` (1010.659(a)(2), North Korean
  financial institution): every financial institution chartered or licensed by the
  jurisdiction, wherever located; every branch or office (any depth, anywhere) and every
  subsidiary of a member; and every branch or office located in the jurisdiction of a
  financial institution organised outside the United States.
* ``sg:NamedInstitutionPopulation`` (1010.660(a)(1), Bank of Dandong): the named
  institution, every entity ``owl:sameAs`` it, and every entity that a data package lists
  on ``FINCEN_311`` under the measure (the listing's ``dct:source`` is the measure's
  section, or its ``sg:sourceReference`` cites it, e.g. ``31 CFR 1010.660``); with their
  branches, offices and subsidiaries anywhere.

A *subsidiary* is a company (not a person) of which one member owns **more than**
``sg:subsidiaryAbove`` percent (1010.659(a)(6): more than 50, so exactly 50 is not), by one
``sg:Ownership`` in force on the date (``sg:percent``, else the band's ``sg:percentMin``;
a band that may or may not exceed the threshold does not count; ``sg:Control`` never
does). Subsidiaries of subsidiaries count, as the OWL axioms of
``sg:NorthKoreanFinancialInstitution`` state.

A measure is *in force* on the date when it is effective (``sg:effectiveFrom`` <= date <
``sg:effectiveUntil``) and, for a named institution, while that institution's
``FINCEN_311`` listing is in force. Populations are derived only for measures in force, so
nothing fires before 2016-12-09 for North Korea.

Measure-independent classes, with their evidence:

* ``sg:CoveredFinancialInstitution`` (1010.605(e)(1)): a financial institution organised
  in the United States, or one located there, such as the U.S. branch of a foreign bank.
  The data package does not say which kind of non-bank institution an entity is, so every
  U.S. financial institution is treated as covered.
* ``sg:ForeignFinancialInstitution`` (1010.605(f)) and ``sg:ForeignBank``
  (1010.100(u)): a financial institution (bank) located outside the United States that
  is organised outside it, or is an agency, branch or office there of any institution.

Everything goes into the derived graph: the types, and one ``sg:Classification`` per
(entity, class or population) with ``sg:legalBasis`` (the defining paragraph),
``sg:evidencePath`` (the chain in words, with data-package ids, from the entity to its
root institution), ``sg:rootInstitution`` and ``prov:wasDerivedFrom`` every node used.
Each measure in force gets ``sg:inForceOn`` the date. Chains are found breadth first, so
each member's evidence is a shortest chain; entities are visited once, so cycles of
branches or holdings terminate.
"""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, RDFS, XSD

from sanctiongraph.analysis.ownership import relation_key, unknown_listing_words
from sanctiongraph.derive import DERIVED, kit
from sanctiongraph.derive.kit import RuleProvenance, date_value, in_force_on
from sanctiongraph.namespaces import CODE, GRAPH, REF, SG, country, provision
from sanctiongraph.queries import (
    group_properties,
    load_query,
    select_properties,
    select_values,
    value_blocks,
)
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import decimal_value

ORDER = 200

RULE = "fincen-311-dprk"
PROVENANCE = RuleProvenance(RULE)
US = str(country("US"))
COUNTRY_PREFIX = str(REF) + "country/"

COVERED_BASIS = str(provision("31 CFR 1010.605(e)(1)"))
FOREIGN_FI_BASIS = str(provision("31 CFR 1010.605(f)"))
FOREIGN_BANK_BASIS = str(provision("31 CFR 1010.100(u)"))


# --------------------------------------------------------------------------- the facts


@dataclass
class Entity:
    iri: str
    id: str | None = None
    jurisdictions: set[str] = field(default_factory=set)
    located: set[str] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    fi: bool = False
    bank: bool = False
    person: bool = False
    label: str | None = None  # a reference entity's (it has no data-package id)

    @property
    def name(self) -> str:
        """How evidence names the entity: its data-package id, else (a reference
        entity: Bank of Dandong) its label, else its IRI."""
        return self.id or self.label or self.iri

    @property
    def location(self) -> set[str]:
        """Where it operates: ``sg:locatedIn``, else where it is organised."""
        return self.located or self.jurisdictions

    def in_us(self) -> bool:
        return US in self.location


@dataclass(frozen=True)
class Holding:
    iri: str
    owner: str
    owned: str
    percent: Decimal | None
    minimum: Decimal | None
    start: date | None
    end: date | None

    def in_force(self, as_of: date) -> bool:
        return in_force_on(self, as_of)

    def exceeds(self, threshold: Decimal) -> bool:
        """The share is certainly more than ``threshold`` percent."""
        if self.percent is not None:
            return self.percent > threshold
        return self.minimum is not None and self.minimum > threshold

    def share_text(self) -> str:
        if self.percent is not None:
            return f"{_number(self.percent)}%"
        return f"at least {_number(self.minimum)}%"


@dataclass(frozen=True)
class Listing:
    iri: str
    entity: str
    start: date | None
    end: date | None
    references: tuple[str, ...]
    sources: tuple[str, ...]
    possibly_from: date | None = None
    possibly_until: date | None = None
    from_publications: tuple[bool, bool] = (False, False)  # start's and end's basis

    def in_force(self, as_of: date) -> bool:
        return in_force_on(self, as_of)

    def possibly_in_force(self, day: date) -> bool:
        """``day`` falls in an unknown interval of the listing (publications that
        disagree): from ``possibly_from`` to its start, or from its end to
        ``possibly_until`` (docs/data-package.md, "Histories and *possibly listed*")."""
        if self.start is None:
            return False
        before = self.possibly_from is not None and self.possibly_from <= day < self.start
        after = (
            self.end is not None and self.possibly_until is not None
        ) and self.end <= day < self.possibly_until
        return before or after

    def unknown_words(self, day: date) -> str:
        """Why the listing is only possibly in force on ``day``, in words."""
        assert self.start is not None  # possibly_in_force(day) holds
        head, detail = unknown_listing_words(
            day.isoformat(),
            self.start.isoformat(),
            self.end.isoformat() if self.end else None,
            self.possibly_from.isoformat() if self.possibly_from else None,
            self.possibly_until.isoformat() if self.possibly_until else None,
            *self.from_publications,
        )
        return f"{head} ({detail})"

    def cites(self, section_iri: str, citation: str | None) -> bool:
        """The listing names the measure's section as its source."""
        if any(s == section_iri or s.startswith(section_iri + "-") for s in self.sources):
            return True
        if not citation:
            return False
        pattern = re.compile(re.escape(citation).replace(r"\ ", r"\s+") + r"(?![0-9.])")
        return any(pattern.search(r) for r in self.references)


@dataclass
class Population:
    iri: str
    kind: str
    basis: str
    threshold: Decimal
    cls: str | None


@dataclass
class Measure:
    iri: str
    effective: date | None = None
    until: date | None = None
    jurisdiction: str | None = None
    institution: str | None = None
    citation: str | None = None
    section: str | None = None
    populations: dict[str, Population] = field(default_factory=dict)

    def effective_on(self, as_of: date) -> bool:
        return kit.in_force(as_of, self.effective, self.until)


@dataclass(frozen=True)
class Membership:
    """Why one entity is in one class or population: a chain from it to its root."""

    entity: str
    steps: tuple[str, ...]
    root: str
    evidence: tuple[str, ...]


HOLDING_COLUMNS = ("holding", "owner", "owned", "percent", "min", "start", "end")
HOLDING_FACTS = {
    str(RDF.type): "type",
    str(SG.owner): "owner",
    str(SG.owned): "owned",
    str(SG.percent): "percent",
    str(SG.percentMin): "min",
    str(SG.startDate): "start",
    str(SG.endDate): "end",
}
ENTITY_FACTS = {
    str(DCTERMS.identifier): "id",
    str(SG.jurisdiction): "jurisdiction",
    str(SG.locatedIn): "located",
    str(SG.branchOf): "parent",
    str(RDF.type): "type",
}
_FLAGS = {str(SG.FinancialInstitution): "fi", str(SG.Bank): "bank", str(SG.Person): "person"}
# Which entities and holdings to read (each binds ?s; see queries.select_properties,
# which reads one fact per row, so that facts loaded in several graphs cost a row per
# copy, never one per combination of copies).
INSTITUTIONS = f"""
  {{ ?s a <{SG.FinancialInstitution}> }}
  UNION {{ ?s <{SG.branchOf}> ?of FILTER (isIRI(?of)) }}
  UNION {{ ?office <{SG.branchOf}> ?s }}
  ?s a <{SG.Agent}> ."""
ENTITIES = "VALUES ?s {{ {entities} }} ?s a <%s> ." % SG.Agent
HOLDINGS_OF = "VALUES ?of {{ {owners} }} ?s <%s> ?of ." % SG.owner


LISTING_FACTS = {
    str(SG.designates): "entity",
    str(SG.startDate): "start",
    str(SG.endDate): "end",
    str(SG.sourceReference): "reference",
    str(DCTERMS.source): "source",
    str(SG.possiblyFrom): "possibly_from",
    str(SG.possiblyUntil): "possibly_until",
    str(SG.startBasis): "start_basis",
    str(SG.endBasis): "end_basis",
}
FROM_PUBLICATIONS = str(CODE["date-basis/publications"])
LISTINGS = f"?s <{SG.onList}> <{REF['list/FINCEN_311']}> ."


def _least(values: set[str]) -> str | None:
    """The least of a fact's values (by number when they are numbers), if any."""
    if not values:
        return None
    return min(values, key=lambda v: (decimal_value(v) is None, decimal_value(v) or 0, v))


# holding, owner, owned, then percent, min, start, end as stated (HOLDING_COLUMNS)
_HoldingRow = tuple[str, str, str, str | None, str | None, str | None, str | None]


def _entity_rows(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """Property rows as the rows :meth:`World._add_entities` reads (one fact each)."""
    found = []
    for row in rows:
        fact, value = ENTITY_FACTS[str(row["p"])], row["o"]
        entry = dict.fromkeys(("id", "jurisdiction", "located", "parent", "fi", "bank", "person"))
        entry["entity"] = row["s"]
        if fact == "type":
            if value in _FLAGS:
                entry[_FLAGS[value]] = "true"
        elif fact == "id" or (value is not None and ":" in value):  # links: IRIs only
            entry[fact] = value
        found.append(entry)
    return found


class World:
    """The entities, holdings, listings and measures the classification reads.

    Institutions (financial institutions and both ends of every branch link) are read
    at once; other entities, and holdings, are read on demand, in batches: only the
    subsidiary walk from a population's members needs them.
    """

    def __init__(self, store: GraphStore | None = None) -> None:
        self.store = store
        self.entities: dict[str, Entity] = {}
        self.reference_labels: dict[str, str] = {}  # reference entities by IRI
        self.children: dict[str, list[str]] = defaultdict(list)
        self.holdings_by_owner: dict[str, list[Holding]] = defaultdict(list)
        self.listings: list[Listing] = []
        self.same_as: dict[str, set[str]] = defaultdict(set)
        self.measures: dict[str, Measure] = {}
        self._read: set[str] = set()  # entities read (found or not)
        self._owners_read: set[str] = set()
        self._holding_rows: dict[str, _HoldingRow] = {}
        self.walk: Walk | None = None  # replaces breadth_first (Spark: spark/fincen311.py)
        # Jurisdiction population seeds by (jurisdiction, banks only): see _seeds_in.
        self._seeds: dict[tuple[str, bool], tuple[int, dict[str, Membership]]] = {}

    @classmethod
    def load(cls, store: GraphStore) -> World:
        world = cls(store)
        world.reference_labels = {
            s["e"].value: s["label"].value
            for s in store.query(
                f"SELECT ?e ?label WHERE {{ GRAPH <{GRAPH.reference}> {{ ?e <{RDFS.label}> "
                f'?label }} FILTER (STRSTARTS(STR(?e), "{REF["entity/"]}")) }} '
                "ORDER BY DESC(?label)"  # of several labels, the least is kept (last)
            )
        }
        world._add_entities(_entity_rows(select_properties(store, INSTITUTIONS, ENTITY_FACTS)))
        for e in world.entities.values():
            for parent in e.parents:
                world.children[parent].append(e.iri)
        for kids in world.children.values():
            kids.sort(key=world.sort_key)
        rows: dict[str, dict[str, Any]] = {}
        for key, facts in sorted(
            group_properties(
                select_properties(store, LISTINGS, LISTING_FACTS), LISTING_FACTS
            ).items()
        ):
            if facts["entity"]:
                rows[key] = {
                    "entity": _least(facts["entity"]),
                    "start": date_value(_least(facts["start"])),
                    "end": date_value(_least(facts["end"])),
                    "references": facts["reference"],
                    "sources": facts["source"],
                    "possibly_from": date_value(_least(facts["possibly_from"])),
                    "possibly_until": date_value(_least(facts["possibly_until"])),
                    "from_publications": (
                        FROM_PUBLICATIONS in facts["start_basis"],
                        FROM_PUBLICATIONS in facts["end_basis"],
                    ),
                }
        world.listings = [
            Listing(
                k,
                r["entity"],
                r["start"],
                r["end"],
                tuple(sorted(r["references"])),
                tuple(sorted(r["sources"])),
                r["possibly_from"],
                r["possibly_until"],
                r["from_publications"],
            )
            for k, r in sorted(rows.items())
        ]
        for s in store.query(load_query("derive/fincen-311-dprk-same-as").text):
            world.same_as[s["a"].value].add(s["b"].value)
        citations = {
            s["p"].value: s["c"].value
            for s in store.query(
                f"SELECT ?p ?c WHERE {{ ?m a <{SG.SpecialMeasure}> ; <{SG.legalBasis}> ?p . "
                f"?p <{SG.citation}> ?c }}"
            )
        }
        for s in store.query(load_query("derive/fincen-311-dprk-measures").text):
            m = world.measures.setdefault(s["measure"].value, Measure(s["measure"].value))
            m.effective = m.effective or date_value(s["effective"])
            m.until = m.until or date_value(s["until"])
            if s["jurisdiction"] is not None:
                m.jurisdiction = s["jurisdiction"].value
            if s["institution"] is not None:
                m.institution = s["institution"].value
            threshold = decimal_value(s["threshold"])
            m.populations[s["population"].value] = Population(
                s["population"].value,
                s["kind"].value,
                s["basis"].value,
                threshold if threshold is not None else Decimal(50),
                s["class"].value if s["class"] is not None else None,
            )
        for s in store.query(
            f"SELECT ?m ?p WHERE {{ ?m a <{SG.SpecialMeasure}> ; <{SG.legalBasis}> ?p }}"
        ):
            if s["m"].value in world.measures:
                world.measures[s["m"].value].section = s["p"].value
                world.measures[s["m"].value].citation = citations.get(s["p"].value)
        return world

    def _add_entities(self, rows: Iterable[dict[str, str | None]]) -> None:
        for row in rows:
            iri = row["entity"]
            if iri is None:
                continue
            e = self.entities.setdefault(iri, Entity(iri, label=self.reference_labels.get(iri)))
            if row["id"] is not None and (e.id is None or row["id"] < e.id):
                e.id = row["id"]
            for name, bucket in (
                ("jurisdiction", e.jurisdictions),
                ("located", e.located),
                ("parent", e.parents),
            ):
                if (value := row[name]) is not None:
                    bucket.add(value)
            e.fi = e.fi or _true(row["fi"])
            e.bank = e.bank or _true(row["bank"])
            e.person = e.person or _true(row["person"])
        self._read.update(self.entities)

    def read_entities(self, iris: Iterable[str]) -> None:
        """Read the entities among ``iris`` not read yet (one query)."""
        missing = sorted({iri for iri in iris if iri not in self._read})
        if missing and self.store is not None:
            for values in value_blocks(missing):
                self._add_entities(
                    _entity_rows(
                        select_properties(
                            self.store, ENTITIES.format(entities=values), ENTITY_FACTS
                        )
                    )
                )
        self._read.update(missing)

    @property
    def holdings_read(self) -> int:
        """How many holdings have been read so far (reads only add)."""
        return len(self._holding_rows)

    def holdings_of(self, owner: str, batch: Iterable[str] = ()) -> list[Holding]:
        """The holdings of ``owner``, ordered by what they own. When they are not read
        yet, read them with those of the owners in ``batch`` (one query)."""
        if owner not in self._owners_read and self.store is not None:
            owners = sorted({owner, *batch} - self._owners_read)
            # A holding node with two values of one fact (stated differently in two
            # graphs): the least value. One relation stated by several nodes: one holding.
            facts = group_properties(
                (
                    row
                    for values in value_blocks(owners)
                    for row in select_properties(
                        self.store, HOLDINGS_OF.format(owners=values), HOLDING_FACTS
                    )
                ),
                HOLDING_FACTS,
            )
            rows: dict[str, _HoldingRow] = {}
            relations = set()
            for key in sorted(facts):
                found = facts[key]
                if key in self._holding_rows or str(SG.Ownership) not in found["type"]:
                    continue
                values = (key, *(_least(found[n]) for n in HOLDING_COLUMNS[1:]))
                holder_iri, owned_iri = values[1], values[2]
                if holder_iri is None or owned_iri is None:
                    continue
                relation = relation_key(
                    holder_iri,
                    owned_iri,
                    percent=decimal_value(values[3]),
                    minimum=decimal_value(values[4]),
                    start=values[5],
                    end=values[6],
                )
                if relation in relations:
                    continue
                relations.add(relation)
                rows[key] = (key, holder_iri, owned_iri, values[3], values[4], values[5], values[6])
            self._holding_rows.update(rows)
            self._owners_read.update(owners)
            self.read_entities(values[2] for values in rows.values())
            touched = set()
            for key, holder, owned, percent, minimum, start, end in rows.values():
                self.holdings_by_owner[holder].append(
                    Holding(
                        key,
                        holder,
                        owned,
                        decimal_value(percent),
                        decimal_value(minimum),
                        date_value(start),
                        date_value(end),
                    )
                )
                touched.add(holder)
            for holder in touched:
                self.holdings_by_owner[holder].sort(key=lambda h: (self.sort_key(h.owned), h.iri))
        return self.holdings_by_owner.get(owner, [])

    # ----------------------------------------------------------------- helpers

    def entity(self, iri: str) -> Entity:
        return self.entities.get(iri) or Entity(iri, label=self.reference_labels.get(iri))

    def name(self, iri: str) -> str:
        return self.entity(iri).name

    def sort_key(self, iri: str) -> tuple[str, str]:
        """Order by name, then IRI (called for every entity and holding: kept lean)."""
        e = self.entities.get(iri)
        return (e.name if e is not None else iri, iri)

    def sorted(self, iris: Iterable[str]) -> list[str]:
        return sorted(iris, key=self.sort_key)


# --------------------------------------------------------------------------- classes


def covered_institutions(world: World) -> dict[str, Membership]:
    """U.S. financial institutions, including U.S. offices of foreign institutions."""
    found = {}
    for iri in world.sorted(world.entities):
        e = world.entities[iri]
        if not e.fi:
            continue
        if US in e.jurisdictions:
            step = f"{e.name} is a financial institution organised in US"
            found[iri] = Membership(iri, (step,), iri, (iri,))
        elif US in e.located:
            parent = world.sorted(e.parents)[0] if e.parents else None
            if parent:
                step = f"{e.name} is a branch or office located in US of {world.name(parent)}"
                found[iri] = Membership(iri, (step,), parent, (iri, parent))
            else:
                step = f"{e.name} is a financial institution located in US"
                found[iri] = Membership(iri, (step,), iri, (iri,))
    return found


def foreign_institutions(world: World, banks_only: bool) -> dict[str, Membership]:
    """Financial institutions (banks) operating outside the U.S. that are organised
    outside it, or are an office there of any institution."""
    found = {}
    for iri in world.sorted(world.entities):
        e = world.entities[iri]
        if not (e.bank if banks_only else e.fi) or not e.location or e.in_us():
            continue
        kind = "bank" if banks_only else "financial institution"
        places = ", ".join(_code(c) for c in sorted(e.location))
        if e.jurisdictions and US not in e.jurisdictions:
            organised = ", ".join(_code(c) for c in sorted(e.jurisdictions))
            step = f"{e.name} is a {kind} organised in {organised}"
        elif e.parents:
            step = f"{e.name} is a {kind} office located outside the US ({places})"
        else:
            continue
        found[iri] = Membership(iri, (step,), iri, (iri,))
    return found


# --------------------------------------------------------------------------- populations


@dataclass(frozen=True)
class Reached:
    """How a walk reached an entity first: from ``via`` through a branch or office link
    (``holding`` is ``None``) or through a subsidiary's ``holding``."""

    via: str
    holding: Holding | None = None


# A walk: (world, seeds in order, date, threshold) -> every entity it reaches beyond the
# seeds, in the order reached, each with how it was reached first (see breadth_first).
Walk = Callable[[World, list[str], date, Decimal | None], dict[str, Reached]]


def breadth_first(
    world: World, seeds: list[str], as_of: date, threshold: Decimal | None
) -> dict[str, Reached]:
    """Breadth-first walk from ``seeds`` over branches and offices (``sg:branchOf``) and,
    when ``threshold`` is given, over subsidiaries owned more than ``threshold``% by a
    holding in force on ``as_of`` (not persons). Each entity is reached once, first
    through the earliest entity in the queue, offices before holdings, each in
    :meth:`World.sorted` order (holdings then by IRI)."""
    reached: dict[str, Reached] = {}
    queue: deque[str] = deque(seeds)
    visited: set[str] = set(seeds)
    while queue:
        iri = queue.popleft()
        for office in world.children.get(iri, []):
            if office not in visited:
                visited.add(office)
                reached[office] = Reached(iri)
                queue.append(office)
        if threshold is None:
            continue
        for holding in world.holdings_of(iri, queue):
            owned = holding.owned
            if owned in visited or not holding.in_force(as_of) or not holding.exceeds(threshold):
                continue
            if world.entity(owned).person:
                continue
            visited.add(owned)
            reached[owned] = Reached(iri, holding)
            queue.append(owned)
    return reached


def _spread(
    world: World,
    seeds: dict[str, Membership],
    as_of: date,
    threshold: Decimal | None,
    offices_outside_us_only: bool = False,
) -> dict[str, Membership]:
    """Closure of ``seeds`` over branches and offices and, when ``threshold`` is given,
    over subsidiaries owned more than ``threshold``%: the walk is ``world.walk``
    (:func:`breadth_first` unless replaced, e.g. by Spark), each member's evidence the
    chain the walk reached it by."""
    if offices_outside_us_only and threshold is not None:
        # PopulationsByStretch cuts stretches by the members' holdings: a walk that
        # follows holdings must keep every entity it reaches.
        raise ValueError("offices_outside_us_only is for walks without holdings")
    members: dict[str, Membership] = {}
    chains: dict[str, Membership] = {}
    ordered = world.sorted(seeds)
    for iri in ordered:
        members[iri] = chains[iri] = seeds[iri]
    for entity, how in (world.walk or breadth_first)(world, ordered, as_of, threshold).items():
        via, holding = chains[how.via], how.holding
        if holding is None:
            o = world.entity(entity)
            where = ", ".join(_code(c) for c in sorted(o.location)) or "unknown location"
            step = f"{o.name} is a branch or office ({where}) of {world.name(how.via)}"
            chains[entity] = Membership(
                entity, (step,) + via.steps, via.root, (entity,) + via.evidence
            )
            if not (offices_outside_us_only and o.in_us()):
                members[entity] = chains[entity]
        else:
            step = (
                f"{world.name(entity)} is owned {holding.share_text()} by "
                f"{world.name(how.via)} (more than {_number(threshold)}%: a subsidiary)"
            )
            members[entity] = chains[entity] = Membership(
                entity, (step,) + via.steps, via.root, (entity, holding.iri) + via.evidence
            )
    return members


def _seeds_in(world: World, jurisdiction: str, banks_only: bool) -> dict[str, Membership]:
    """The seeds of :func:`jurisdiction_banks` (``banks_only``) or of
    :func:`jurisdiction_financial_institutions`. They do not depend on the date, only on
    the entities read, so they are kept on the world until it reads more (entities are
    only ever added). Each seed depends on its own entity alone: the order they are
    found in does not matter (:func:`_spread` sorts them)."""
    cached = world._seeds.get((jurisdiction, banks_only))
    if cached is None or cached[0] != len(world.entities):
        find = _bank_seeds if banks_only else _institution_seeds
        cached = world._seeds[jurisdiction, banks_only] = (
            len(world.entities),
            find(world, jurisdiction),
        )
    return cached[1]


def _bank_seeds(world: World, jurisdiction: str) -> dict[str, Membership]:
    code = _code(jurisdiction)
    seeds = {}
    for iri, e in world.entities.items():
        if e.bank and not e.person and jurisdiction in e.jurisdictions and not e.parents:
            step = f"{e.name} is a bank organised under the law of {code}"
            seeds[iri] = Membership(iri, (step,), iri, (iri,))
    return seeds


def _institution_seeds(world: World, jurisdiction: str) -> dict[str, Membership]:
    code = _code(jurisdiction)
    seeds: dict[str, Membership] = {}
    for iri, e in world.entities.items():
        if e.fi and not e.person and jurisdiction in e.jurisdictions:
            step = f"{e.name} is a financial institution chartered or licensed in {code}"
            seeds[iri] = Membership(iri, (step,), iri, (iri,))
    for iri, e in world.entities.items():
        if iri in seeds or jurisdiction not in e.located:
            continue
        for parent in world.sorted(e.parents):
            p = world.entity(parent)
            if p.fi and p.jurisdictions and US not in p.jurisdictions:
                organised = ", ".join(_code(c) for c in sorted(p.jurisdictions))
                step = (
                    f"{e.name} is a branch or office in {code} of {p.name}, a foreign "
                    f"financial institution organised in {organised}"
                )
                seeds[iri] = Membership(iri, (step,), parent, (iri, parent))
                break
    return seeds


def jurisdiction_banks(world: World, jurisdiction: str) -> dict[str, Membership]:
    seeds = _seeds_in(world, jurisdiction, banks_only=True)
    return _spread(world, seeds, date.min, None, offices_outside_us_only=True)


def jurisdiction_financial_institutions(
    world: World, jurisdiction: str, as_of: date, threshold: Decimal
) -> dict[str, Membership]:
    seeds = _seeds_in(world, jurisdiction, banks_only=False)
    return _spread(world, seeds, as_of, threshold)


def named_institution(
    world: World, measure: Measure, as_of: date, threshold: Decimal
) -> dict[str, Membership]:
    target = measure.institution
    citation = measure.citation or measure.iri
    seeds: dict[str, Membership] = {}
    if target is None:
        return seeds
    listings = linked_listings(world, measure, as_of)
    world.read_entities([target, *world.same_as.get(target, ()), *(x.entity for x in listings)])
    seeds[target] = Membership(
        target, (f"{world.name(target)} is named by {citation}",), target, (target,)
    )
    for other in world.sorted(world.same_as.get(target, ())):
        step = f"{world.name(other)} is the same institution as {world.name(target)}, named by {citation}"
        seeds.setdefault(other, Membership(other, (step,), target, (other, target)))
    for listing in listings:
        if listing.entity not in seeds:
            step = f"{world.name(listing.entity)} is listed on FINCEN_311 under {citation}"
            seeds[listing.entity] = Membership(
                listing.entity, (step,), listing.entity, (listing.entity, listing.iri)
            )
    return _spread(world, seeds, as_of, threshold)


def linked_listings(world: World, measure: Measure, as_of: date) -> list[Listing]:
    """FINCEN_311 listings in force that tie an entity to the measure."""
    if measure.section is None:
        return []
    return [
        listing
        for listing in world.listings
        if listing.in_force(as_of) and listing.cites(measure.section, measure.citation)
    ]


def in_force(world: World, measure: Measure, as_of: date) -> bool:
    if not measure.effective_on(as_of):
        return False
    if measure.institution is None:
        return measure.jurisdiction is not None
    names = {measure.institution} | world.same_as.get(measure.institution, set())
    return any(
        listing.entity in names and listing.in_force(as_of) for listing in world.listings
    ) or bool(linked_listings(world, measure, as_of))


def populations(
    world: World, as_of: date
) -> list[tuple[Measure, Population, dict[str, Membership]]]:
    """Every population of every measure in force, with its members."""
    out = []
    for key in sorted(world.measures):
        measure = world.measures[key]
        if not in_force(world, measure, as_of):
            continue
        for pkey in sorted(measure.populations):
            pop = measure.populations[pkey]
            if pop.kind == str(SG.JurisdictionBankPopulation) and measure.jurisdiction:
                members = jurisdiction_banks(world, measure.jurisdiction)
            elif (
                pop.kind == str(SG.JurisdictionFinancialInstitutionPopulation)
                and measure.jurisdiction
            ):
                members = jurisdiction_financial_institutions(
                    world, measure.jurisdiction, as_of, pop.threshold
                )
            elif pop.kind == str(SG.NamedInstitutionPopulation):
                members = named_institution(world, measure, as_of, pop.threshold)
            else:
                members = {}
            out.append((measure, pop, members))
    return out


def possible_populations(
    world: World, day: date, certain: list[tuple[Measure, Population, dict[str, Membership]]]
) -> list[tuple[Measure, Population, dict[str, Membership]]]:
    """The members that a named-institution population has on ``day`` only *possibly*:
    those that rest on a FINCEN_311 listing possibly in force then (publications that
    disagree), with their branches, offices and subsidiaries, less the ``certain``
    members. Where such a listing is what would put the measure in force, its named
    institution (and every entity the same as it) is possibly a member too."""
    sure = {(m.iri, p.iri): members for m, p, members in certain}
    out = []
    for key in sorted(world.measures):
        measure = world.measures[key]
        target = measure.institution
        if target is None or measure.section is None or not measure.effective_on(day):
            continue
        names = {target} | world.same_as.get(target, set())
        possible = [
            listing
            for listing in world.listings
            if listing.possibly_in_force(day)
            and not listing.in_force(day)
            and (listing.entity in names or listing.cites(measure.section, measure.citation))
        ]
        if not possible:
            continue
        citation = measure.citation or measure.iri
        world.read_entities([target, *names, *(x.entity for x in possible)])
        seeds: dict[str, Membership] = {}
        for listing in possible:
            step = (
                f"{world.name(listing.entity)} is {listing.unknown_words(day)} "
                f"on FINCEN_311 under {citation}"
            )
            seeds.setdefault(
                listing.entity,
                Membership(listing.entity, (step,), listing.entity, (listing.entity, listing.iri)),
            )
        if not in_force(world, measure, day):
            why = seeds[world.sorted(seeds)[0]].steps[0]
            for name in world.sorted(names):
                step = (
                    f"{world.name(name)} is named by {citation}, which is in force while a "
                    f"FINCEN_311 listing under it is, and {why}"
                )
                seeds.setdefault(name, Membership(name, (step,), target, (name, target)))
        for pkey in sorted(measure.populations):
            pop = measure.populations[pkey]
            if pop.kind != str(SG.NamedInstitutionPopulation):
                continue
            members = _spread(world, seeds, day, pop.threshold)
            already = sure.get((measure.iri, pop.iri), {})
            out.append((measure, pop, {e: m for e, m in members.items() if e not in already}))
    return out


# --------------------------------------------------------------------------- dated status


ACTS = f"""SELECT DISTINCT ?date ?party WHERE {{
  {{ ?act a <{SG.Transaction}> ; <{SG.transactionDate}> ?date ; <{SG.involves}> ?party . }}
  UNION {{ ?act <{SG.openedOn}> ?date ; <{SG.heldBy}> ?party . }}
  FILTER (isIRI(?party))
}}"""


def acts_by_date(store: GraphStore, as_of: date) -> dict[str, set[str]]:
    """The parties of every dated act on or before ``as_of`` (transactions and account
    openings), by the date as the data write it."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in select_values(store, ACTS):
        day = date_value(row["date"])
        if day is not None and day <= as_of and row["party"]:
            found[str(row["date"])].add(str(row["party"]))
    return found


def change_points(
    world: World, owners: Iterable[str] | None = None, threshold: Decimal | None = None
) -> list[date]:
    """Every day on which a fact the populations read may start or stop being in force
    (holdings read so far, or only those of ``owners`` that exceed ``threshold``;
    listings; measures). Between two of them nothing changes."""
    days: set[date] = set()
    if owners is None:
        for holdings in world.holdings_by_owner.values():
            days.update(d for h in holdings for d in (h.start, h.end) if d is not None)
    else:
        for owner in owners:
            for h in world.holdings_by_owner.get(owner, ()):
                if threshold is not None and h.exceeds(threshold):
                    days.update(d for d in (h.start, h.end) if d is not None)
    days.update(
        d
        for x in world.listings
        for d in (x.start, x.end, x.possibly_from, x.possibly_until)
        if d is not None
    )
    days.update(d for m in world.measures.values() for d in (m.effective, m.until) if d is not None)
    return sorted(days)


Groups = list[tuple[Measure, Population, dict[str, Membership]]]


class Stretch(NamedTuple):
    """The populations on the days of a stretch in which no fact they read starts or
    ends: ``found`` (certain members) and ``maybe`` (:func:`possible_populations`)."""

    found: Groups
    maybe: Groups
    end: date | None  # the first day after the stretch; None: it never ends


class PopulationsByStretch:
    """The populations on a day, computed once per stretch of days in which no holding,
    listing or measure read starts or ends. A day's populations hold for its stretch as
    cut right after computing them (the walks on any day of it read the same facts);
    facts read later cut later stretches finer, never one already kept.

    With the embedded walk (:func:`breadth_first`), the holdings that cut a stretch are
    only those of its members that exceed the least threshold of its populations: a walk
    follows no other holding (it looks at those of the entities it reaches, and follows
    those above its threshold), so on any day on which none of those starts or ends (nor
    a listing or measure) it takes the same steps and finds the same members. Most
    holdings are below no population. A replaced walk (Spark's) is first asked without
    answering, so its stretches are cut by every holding, as the walks it is later asked
    for must be the ones it recorded."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.starts: list[date] = []  # of the stretches kept, which never overlap
        self.kept: dict[date, Stretch] = {}
        self._every_point: tuple[int, list[date]] = (-1, [])  # holdings read, points

    def _every_change_point(self) -> list[date]:
        """:func:`change_points` of every holding read, worked out again only when more
        have been read (with every holding read first, as Spark's walk does, once
        rather than once per stretch)."""
        read, points = self._every_point
        if read != self.world.holdings_read:
            self._every_point = read, points = self.world.holdings_read, change_points(self.world)
        return points

    def on(self, day: date) -> Stretch:
        index = bisect_right(self.starts, day) - 1
        if index >= 0:
            kept = self.kept[self.starts[index]]
            if kept.end is None or day < kept.end:
                return kept
        found = populations(self.world, day)
        maybe = possible_populations(self.world, day, found)
        if self.world.walk is None:  # the embedded walk: what it follows is known
            groups = found + maybe
            points = change_points(
                self.world,
                {e for _m, _p, members in groups for e in members},
                min((pop.threshold for _m, pop, _members in groups), default=None),
            )
        else:
            points = self._every_change_point()
        at = bisect_right(points, day)
        start = points[at - 1] if at else date.min
        stretch = Stretch(found, maybe, points[at] if at < len(points) else None)
        insort(self.starts, start)
        self.kept[start] = stretch
        return stretch


def dated_membership_triples(
    stretches: PopulationsByStretch, acts: dict[str, set[str]]
) -> list[ox.Triple]:
    """One ``sg:DatedMembership`` per party of an act and population it belongs to on the
    act's date, and one also typed ``sg:PossibleDatedMembership`` per party that belongs
    to it only possibly (:func:`possible_populations`). The populations are computed once
    per stretch of days (:class:`PopulationsByStretch`)."""
    triples: list[ox.Triple] = []
    for lexical in sorted(acts, key=lambda text: (date_value(text), text)):
        day = date_value(lexical)
        assert day is not None  # acts_by_date keeps only dates
        stretch = stretches.on(day)
        for possibly, groups in ((False, stretch.found), (True, stretch.maybe)):
            for _measure, pop, members in groups:
                for party in sorted(acts[lexical] & members.keys()):
                    triples += dated_membership(members[party], pop, lexical, possibly)
    return triples


def dated_membership(
    membership: Membership, pop: Population, lexical: str, possibly: bool = False
) -> list[ox.Triple]:
    kind = "possible-dated-membership" if possibly else "dated-membership"
    node = PROVENANCE.node(kind, f"{membership.entity} {pop.iri} {lexical}")
    return [
        *([ox.Triple(node, _TYPE, _n(SG.PossibleDatedMembership))] if possibly else []),
        ox.Triple(node, _TYPE, _n(SG.DatedMembership)),
        ox.Triple(node, _n(SG.memberEntity), ox.NamedNode(membership.entity)),
        ox.Triple(node, _n(SG.memberOfPopulation), ox.NamedNode(pop.iri)),
        ox.Triple(node, _n(SG.membershipDate), ox.Literal(lexical, datatype=_n(XSD.date))),
        ox.Triple(node, _BASIS, ox.NamedNode(pop.basis)),
        ox.Triple(node, _n(SG.membershipEvidence), ox.Literal("; ".join(membership.steps))),
        *PROVENANCE.triples(node, membership.evidence),
    ]


_US_ACCOUNTS = f"""SELECT ?account ?holder ?opened ?closed WHERE {{
  ?account <{SG.heldBy}> ?holder ; <{SG.maintainedBy}> ?by ; <{SG.accountLocatedIn}> <{US}> .
  OPTIONAL {{ ?account <{SG.openedOn}> ?opened }}
  OPTIONAL {{ ?account <{SG.closedOn}> ?closed }}
  FILTER (isIRI(?account) && isIRI(?holder))
}}"""


def maintained_periods(
    stretches: PopulationsByStretch, store: GraphStore, as_of: date
) -> list[ox.Triple]:
    """One ``sg:MaintainedPeriod`` per stretch of days before ``as_of`` in which an
    account in the United States was open while its holder belonged to a population of a
    measure in force (1010.659(b)(1) "maintain"), and that has ended: the account was
    closed, or the holder left the population, or the measure ended, on or before
    ``as_of``. A stretch still going on ``as_of`` is the maintaining that the as-of
    classification reports. An account without an opening date is taken to have been
    open since the first day a fact starts, as the as-of shapes take it to be open.
    Stretches are the overlap of the account's life, the measure's period and the
    membership, judged between the days on which a fact the populations read starts or
    ends. A stretch in which the holder belonged to it only possibly
    (:func:`possible_populations`) is also a ``sg:PossibleMaintainedPeriod``."""
    after_as_of = as_of + timedelta(days=1)
    # (account, holder) -> (opened, None: unknown; the first day not looked at: the
    # closing, or the day after as_of while the account is open), the earliest of each
    accounts: dict[tuple[str, str], tuple[date | None, date]] = {}
    for row in select_values(store, _US_ACCOUNTS):
        opened, closed = date_value(row["opened"]), date_value(row["closed"])
        if opened is not None and opened > as_of:
            continue
        until = closed if closed is not None and closed <= as_of else after_as_of
        key = (str(row["account"]), str(row["holder"]))
        if key in accounts:
            known_opened, known_until = accounts[key]
            unknown = opened is None or known_opened is None  # open since the first fact
            opened = None if unknown else min(opened, known_opened)  # type: ignore[type-var]
            until = min(until, known_until)
        accounts[key] = (opened, until)
    points = change_points(stretches.world)  # an account without an opening starts here
    first_days = {
        key: opened if opened is not None else points[0] if points else closed
        for key, (opened, closed) in accounts.items()
    }
    # Most holders are never members: the stretches are swept once to find those who are.
    ever: set[str] = set()
    day = min(first_days.values(), default=as_of)
    last = max((closed for _opened, closed in accounts.values()), default=as_of)
    while day < last:
        stretch = stretches.on(day)
        for groups in (stretch.found, stretch.maybe):
            for _measure, _pop, members in groups:
                ever.update(members)
        day = last if stretch.end is None else stretch.end
    triples: list[ox.Triple] = []

    def ended(account: str, run: list[Any]) -> list[ox.Triple]:
        return _maintained_period(account, *run) if run[1] <= as_of else []

    for (account, holder), (_opened, closed) in sorted(accounts.items()):
        if holder not in ever:
            continue
        day = first_days[(account, holder)]
        # (population, possibly) -> [from, until, membership, pop, possibly]
        runs: dict[tuple[str, bool], list[Any]] = {}
        while day < closed:
            stretch = stretches.on(day)
            until = closed if stretch.end is None else min(closed, stretch.end)
            for possibly, groups in ((False, stretch.found), (True, stretch.maybe)):
                for _measure, pop, members in groups:
                    if holder not in members:
                        continue
                    run = runs.get((pop.iri, possibly))
                    if run is not None and run[1] == day:
                        run[1] = until
                    else:
                        if run is not None:
                            triples += ended(account, run)
                        runs[(pop.iri, possibly)] = [day, until, members[holder], pop, possibly]
            day = until
        for run in runs.values():
            triples += ended(account, run)
    return triples


def _maintained_period(
    account: str,
    start: date,
    until: date,
    membership: Membership,
    pop: Population,
    possibly: bool = False,
) -> list[ox.Triple]:
    kind = "possible-maintained-period" if possibly else "maintained-period"
    node = PROVENANCE.node(kind, f"{account} {pop.iri} {start.isoformat()}")
    xsd_date = _n(XSD.date)
    return [
        *([ox.Triple(node, _TYPE, _n(SG.PossibleMaintainedPeriod))] if possibly else []),
        ox.Triple(node, _TYPE, _n(SG.MaintainedPeriod)),
        ox.Triple(node, _n(SG.periodAccount), ox.NamedNode(account)),
        ox.Triple(node, _n(SG.periodPopulation), ox.NamedNode(pop.iri)),
        ox.Triple(node, _n(SG.periodFrom), ox.Literal(start.isoformat(), datatype=xsd_date)),
        ox.Triple(node, _n(SG.periodUntil), ox.Literal(until.isoformat(), datatype=xsd_date)),
        ox.Triple(node, _BASIS, ox.NamedNode(pop.basis)),
        ox.Triple(node, _n(SG.periodEvidence), ox.Literal("; ".join(membership.steps))),
        *PROVENANCE.triples(node, membership.evidence),
    ]


# --------------------------------------------------------------------------- output


_TYPE, _CLASSIFICATION = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(SG.Classification))
_CLASSIFIED, _BASIS = ox.NamedNode(str(SG.classifiedEntity)), ox.NamedNode(str(SG.legalBasis))
_EVIDENCE, _ROOT = ox.NamedNode(str(SG.evidencePath)), ox.NamedNode(str(SG.rootInstitution))
_ASSIGNED, _POPULATION = ox.NamedNode(str(SG.assignedClass)), ox.NamedNode(str(SG.inPopulation))


def classification_triples(
    world: World,
    membership: Membership,
    basis: str,
    cls: str | None = None,
    population: str | None = None,
    possibly: bool = False,
) -> list[ox.Triple]:
    """One ``sg:Classification`` of ``membership``'s entity; ``possibly``: also a
    ``sg:PossibleClassification`` (it rests on a listing possibly in force:
    :func:`possible_populations`), and the entity is not typed with ``cls``."""
    key = f"{membership.entity} {cls or ''} {population or ''}"
    node = PROVENANCE.node("possible-classification" if possibly else "classification", key)
    entity = ox.NamedNode(membership.entity)
    out = [
        *([ox.Triple(node, _TYPE, _n(SG.PossibleClassification))] if possibly else []),
        ox.Triple(node, _TYPE, _CLASSIFICATION),
        ox.Triple(node, _CLASSIFIED, entity),
        ox.Triple(node, _BASIS, ox.NamedNode(basis)),
        ox.Triple(node, _EVIDENCE, ox.Literal("; ".join(membership.steps))),
        ox.Triple(node, _ROOT, ox.NamedNode(membership.root)),
        *PROVENANCE.triples(node, membership.evidence),
    ]
    if cls is not None and not possibly:
        out.append(ox.Triple(node, _ASSIGNED, ox.NamedNode(cls)))
        out.append(ox.Triple(entity, _TYPE, ox.NamedNode(cls)))
    if population is not None:
        out.append(ox.Triple(node, _POPULATION, ox.NamedNode(population)))
    return out


def derived_triples(world: World, store: GraphStore, as_of: date) -> list[ox.Triple]:
    """Everything :func:`derive` writes but the correspondent accounts: classes, the
    populations of the measures in force, dated memberships and maintained periods."""
    triples: list[ox.Triple] = []
    for cls, basis, found in (
        (SG.CoveredFinancialInstitution, COVERED_BASIS, covered_institutions(world)),
        (SG.ForeignFinancialInstitution, FOREIGN_FI_BASIS, foreign_institutions(world, False)),
        (SG.ForeignBank, FOREIGN_BANK_BASIS, foreign_institutions(world, True)),
    ):
        for membership in found.values():
            triples += classification_triples(world, membership, basis, cls=str(cls))
    date_literal = ox.Literal(as_of.isoformat(), datatype=_n(XSD.date))
    forced = set()
    certain = populations(world, as_of)
    for measure, pop, members in certain:
        if measure.iri not in forced:
            triples.append(ox.Triple(ox.NamedNode(measure.iri), _n(SG.inForceOn), date_literal))
            forced.add(measure.iri)
        for membership in members.values():
            triples += classification_triples(
                world, membership, pop.basis, cls=pop.cls, population=pop.iri
            )
    for _measure, pop, members in possible_populations(world, as_of, certain):
        for membership in members.values():
            triples += classification_triples(
                world, membership, pop.basis, cls=pop.cls, population=pop.iri, possibly=True
            )
    stretches = PopulationsByStretch(world)  # the acts' dates and the accounts' pasts share it
    triples += dated_membership_triples(stretches, acts_by_date(store, as_of))
    triples += maintained_periods(stretches, store, as_of)
    return triples


def derive(store: GraphStore, as_of: date, world: World | None = None) -> None:
    """Write the classifications as of ``as_of``; ``world`` (default: read from the
    store) may carry another walk (``World.walk``)."""
    world = world or World.load(store)
    store.add_triples(DERIVED, derived_triples(world, store, as_of))
    # With the institutions classified: an account is a correspondent account by what it
    # does (1010.605(c)(1)(i)), not by the type the data give it.
    store.add_constructed(DERIVED, load_query("derive/correspondent-accounts").text)


# --------------------------------------------------------------------------- small helpers


def _n(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def _true(value: str | None) -> bool:
    """An EXISTS result: ``true`` (Oxigraph) or ``1`` (Virtuoso answers with an integer)."""
    return value in ("true", "1")


def _number(value: Decimal | None) -> str:
    if value is None:
        return "?"
    text = format(value.normalize(), "f")
    return text


def _code(country_iri: str) -> str:
    return (
        country_iri[len(COUNTRY_PREFIX) :]
        if country_iri.startswith(COUNTRY_PREFIX)
        else country_iri
    )
