"""Ownership chains and the OFAC 50 Percent Rule, in plain Python over arrays and dicts.

This module knows nothing about RDF. :class:`OwnershipData` holds the holdings and the
SDN listings as parallel lists indexed by integers; :mod:`sanctiongraph.analysis.loader`
fills it from a store with the SPARQL files in ``queries/analysis/``, and
``bench/generate.py`` fills it directly.

**Blocked status** (OFAC 50 Percent Rule; FAQ 399, 401; FAQ 398 for control) is the
least fixed point of:

- an entity listed on the SDN List on the date asked is blocked;
- an entity is blocked by operation of law on the dates a rule that blocks it without a
  listing is in force (:meth:`OwnershipData.add_blocked_by_law`: the persons a program
  names, for instance the Government of North Korea, 31 CFR 510.201(a)(1)); with
  ``owned_or_controlled``, so is every entity in which those persons and the entities
  already included hold 50 percent or more together, directly or through included
  entities, or which one of them controls (31 CFR 510.311(b)): a fixed point of its own
  per rule, where control counts in full;
- an office (agency, branch) of a blocked person is blocked: it is not a separate
  person (``sg:branchOf``). The other way, an office that is blocked (or possibly
  blocked) makes its institution *possibly* blocked: the office's property is the
  institution's, but a listing of one office does not show that the whole institution
  is designated (docs/rules/ofac-50pct.md, "Branches and offices");
- an entity is blocked when the *direct* shares held in it by blocked owners add up to
  50 percent or more. A blocked owner's share counts in full; shares are never
  multiplied along a chain (FAQ 401, examples 1 and 2). Shares held by owners that are
  not blocked count for nothing, however large (the non-attribution example).
- control (``sg:Control``) never counts (FAQ 398); it is reported as a caution only.

Holdings and listings count only on dates within ``[start, end)``, kept as day keys
(:func:`sanctiongraph.derive.kit.in_force`, the derivers' one rule for intervals). Each entity becomes
blocked at most once, so the worklist terminates on any graph, cycles included; a cycle
of entities that own each other but have no blocked owner outside stays unblocked
(the *least* fixed point).

**Bands** (``percent_min``/``percent_max``, exact share unknown) give two fixed points:

- the *lower* one counts every band at its minimum and only blocked owners: an entity
  whose lower sum reaches 50 is ``blocked``;
- the *upper* one counts every band at its maximum, and counts an owner that is itself
  only possibly blocked as if it were blocked (conservative propagation): an entity
  that reaches 50 there, but not in the lower one, is ``possibly_blocked``.

A band with no minimum counts 0 at the lower end; a band with no maximum counts 100 at
the upper end.

**Possibly listed.** A listing may carry an unknown interval on each side (publications
that disagree: ``possibly_from`` before its start, ``possibly_until`` after its end).
On a day in one, the entry is *possibly listed*: the upper fixed point is seeded with it
as if it were listed, the lower one is not, so the entry and everything its holdings
carry to 50 percent are ``possibly_blocked`` (``Status.possibly_listed``).

Shares are kept as integers in units of 10^-9 of a percent, so the 50 percent boundary
is decided exactly for shares written with up to nine decimal places (49.99995 does not
reach it, 16.66664 + 16.66664 + 16.66672 does); a share written with more (a binary
float's tail, ``16.666666666666668``) is rounded to the nearest unit.

**One relation, counted once.** Holdings with the same owner, owned entity, kind
(ownership or control), share (exact percent, or band minimum and maximum, compared as
numbers) and dates are one relation, however many sources or holding nodes state it
(:func:`relation_key`): :meth:`OwnershipData.add_holding` keeps one holding for them,
under the least of their keys, and records every key and every source graph. Holdings
that differ in any of these facts stay distinct and are summed, as two stakes are.

**Effective ownership** is a separate figure: the sum over every simple path of the
product of the shares (a band gives a lower and an upper product). Chains are the
maximal simple paths above (owners of owners) or below (holdings of holdings) an
entity; walking stops where a path would revisit an entity, so cycles terminate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict, overload

from sanctiongraph.derive.kit import OPEN_END, day_key, in_force, in_force_among
from sanctiongraph.derive.kit import OPEN_START as OPEN_START_KEY

UNIT = 10**9  # integer share units per percent: exact to nine decimal places
HALF = 50 * UNIT
FULL = 100 * UNIT
NO_START = OPEN_START_KEY  # day keys of open bounds (the kit's)
NO_END = OPEN_END
# a possibly_from "open" (no earlier bound: before the first publication), as the data
# package's mapping writes it (docs/data-package.md); not the kit's open day key
OPEN_START = "0001-01-01"

BLOCKED = "blocked"
POSSIBLY_BLOCKED = "possibly_blocked"
NOT_BLOCKED = "not_blocked"


def to_units(value: object) -> int:
    """A percentage (number or decimal string) as integer share units."""
    return int((Decimal(str(value)) * UNIT).to_integral_value())


def from_units(units: int) -> int | float:
    """Share units back to a percentage (an int when whole)."""
    if units % UNIT == 0:
        return units // UNIT
    return units / UNIT  # correctly rounded, as float(Decimal(units) / UNIT) was


_day = day_key  # spark/ofac50.py imports it under this name


def stake(
    percent: object = None, minimum: object = None, maximum: object = None, control: bool = False
) -> tuple[int, int, bool]:
    """A holding's share as counted: (lower, upper) in units and whether it is exact. A
    band without a minimum counts 0 at the lower end, without a maximum 100 at the upper
    end; control counts nothing."""
    if control:
        return 0, 0, percent is not None
    if percent is not None and percent != "":
        units = to_units(percent)
        return units, units, True
    return (
        to_units(minimum) if minimum not in (None, "") else 0,
        to_units(maximum) if maximum not in (None, "") else FULL,
        False,
    )


RelationKey = tuple[str, str, bool, int, int, bool, str, str]


def relation_key(
    owner: str,
    owned: str,
    *,
    control: bool = False,
    percent: object = None,
    minimum: object = None,
    maximum: object = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> RelationKey:
    """What makes two holdings the same relation: owner, owned, kind, the share as it
    counts (:func:`stake`: ``30`` and ``30.0`` are one share, and so are two bands that
    count alike) and the dates. The derivers, the ownership analysis and the CSV
    mapper's check for repeated rows all use this one rule."""
    return (
        owner,
        owned,
        control,
        *stake(percent, minimum, maximum, control),
        day_key(start, NO_START),
        day_key(end, NO_END),
    )


@dataclass
class OwnershipData:
    """Entities, holdings and SDN listings as parallel lists (no RDF).

    Entities are numbered in the order first seen; ``keys`` holds each entity's key
    (an IRI in the store, any string elsewhere) and ``labels`` the data-package id when
    known. Holdings: owner, owned, lower and upper share in units, start and end as ISO
    dates (``""`` and ``"9999-12-31"`` when open), a key, and whether it is a control
    holding; ``h_sources`` the graphs that state it, and ``h_statements`` (only for a
    holding stated by several nodes) every key that states it. Listings: entity, start,
    end, key, programs, and ``l_statements`` like ``h_statements``; the unknown interval
    around each (``l_possibly_from`` / ``l_possibly_until``, equal to start / end when
    there is none) and whether start and end come from publications. Offices:
    ``b_office[i]`` is an office of ``b_institution[i]``. Rules by operation of law:
    key, label, citation, provision keys, programs, start, end, the entities named
    (``r_named``) and whether what they own or control is included.
    """

    keys: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    h_owner: list[int] = field(default_factory=list)
    h_owned: list[int] = field(default_factory=list)
    h_lo: list[int] = field(default_factory=list)
    h_hi: list[int] = field(default_factory=list)
    h_exact: list[bool] = field(default_factory=list)
    h_start: list[str] = field(default_factory=list)
    h_end: list[str] = field(default_factory=list)
    h_key: list[str] = field(default_factory=list)
    h_control: list[bool] = field(default_factory=list)
    h_sources: list[tuple[str, ...]] = field(default_factory=list)
    h_statements: dict[int, list[str]] = field(default_factory=dict)
    l_entity: list[int] = field(default_factory=list)
    l_start: list[str] = field(default_factory=list)
    l_end: list[str] = field(default_factory=list)
    l_key: list[str] = field(default_factory=list)
    l_programs: list[tuple[str, ...]] = field(default_factory=list)
    l_statements: dict[int, list[str]] = field(default_factory=dict)
    l_possibly_from: list[str] = field(default_factory=list)
    l_possibly_until: list[str] = field(default_factory=list)
    l_from_publications: list[tuple[bool, bool]] = field(default_factory=list)
    b_office: list[int] = field(default_factory=list)
    b_institution: list[int] = field(default_factory=list)
    r_key: list[str] = field(default_factory=list)
    r_label: list[str] = field(default_factory=list)
    r_citation: list[str] = field(default_factory=list)
    r_sources: list[tuple[str, ...]] = field(default_factory=list)
    r_owned_citation: list[str] = field(default_factory=list)
    r_owned_sources: list[tuple[str, ...]] = field(default_factory=list)
    r_programs: list[tuple[str, ...]] = field(default_factory=list)
    r_start: list[str] = field(default_factory=list)
    r_unverified_start: list[str] = field(default_factory=list)
    r_end: list[str] = field(default_factory=list)
    r_named: list[list[int]] = field(default_factory=list)
    r_owned_or_controlled: list[bool] = field(default_factory=list)
    _offices: dict[int, list[int]] | None = field(default=None, repr=False)
    _institutions: dict[int, list[int]] | None = field(default=None, repr=False)
    _in: dict[int, list[int]] | None = field(default=None, repr=False)
    _out: dict[int, list[int]] | None = field(default=None, repr=False)
    _listed: dict[int, list[int]] | None = field(default=None, repr=False)
    _possible: set[int] | None = field(default=None, repr=False)
    _steps: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    _walks: dict[str, tuple[dict[int, list[int]], set[int]]] = field(
        default_factory=dict, repr=False
    )
    _relations: dict[int, int | list[int]] | None = field(default=None, repr=False)
    _listings: dict[tuple[str, str, str, tuple[str, ...], str, str], int] = field(
        default_factory=dict, repr=False
    )
    _source_sets: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False)

    # --- building ------------------------------------------------------------
    def entity(self, key: str, label: str | None = None) -> int:
        """The number of the entity ``key`` (added when new). Of several labels given
        for one entity (it has several data-package ids), the smallest is kept."""
        number = self.index.get(key)
        if number is None:
            number = self.index[key] = len(self.keys)
            self.keys.append(key)
        if label is not None:
            known = self.labels.get(number)
            if known is None or label < known:
                self.labels[number] = label
                self._steps = {}
        return number

    def add_holding(
        self,
        owner: str,
        owned: str,
        percent: object = None,
        *,
        minimum: object = None,
        maximum: object = None,
        start: date | str | None = None,
        end: date | str | None = None,
        key: str | None = None,
        control: bool = False,
        sources: Iterable[str] = (),
    ) -> int:
        """Add an ownership (or, with ``control=True``, a control) holding, stated in the
        graphs ``sources``. A holding that is the same relation as one already added
        (:func:`relation_key`) is not added again: that one's number is returned, and it
        takes the least of the two keys and the sources of both."""
        relation = relation_key(
            owner,
            owned,
            control=control,
            percent=percent,
            minimum=minimum,
            maximum=maximum,
            start=start,
            end=end,
        )
        index, digest = self._relation_index(), hash(relation)
        found = index.get(digest)
        for same in () if found is None else (found,) if isinstance(found, int) else found:
            if self.relation(same) == relation:
                self._merge(same, key, sources)
                return same
        _, _, _, lo, hi, exact, start_day, end_day = relation
        number = len(self.h_owner)
        _index_add(index, digest, number)
        self.h_owner.append(self.entity(owner))
        self.h_owned.append(self.entity(owned))
        self.h_lo.append(lo)
        self.h_hi.append(hi)
        self.h_exact.append(exact)
        self.h_start.append(start_day)
        self.h_end.append(end_day)
        self.h_key.append(key if key is not None else f"holding-{number}")
        self.h_control.append(control)
        self.h_sources.append(self._sources(sources))
        self._in = self._out = self._possible = None
        self._walks = {}
        return number

    def relation(self, number: int) -> RelationKey:
        """Holding ``number``'s :func:`relation_key`."""
        return (
            self.keys[self.h_owner[number]],
            self.keys[self.h_owned[number]],
            self.h_control[number],
            self.h_lo[number],
            self.h_hi[number],
            self.h_exact[number],
            self.h_start[number],
            self.h_end[number],
        )

    def _relation_index(self) -> dict[int, int | list[int]]:
        """Holding numbers by the hash of their relation (a list when hashes collide;
        built again after :meth:`compact`)."""
        if self._relations is None:
            self._relations = {}
            for number in range(len(self.h_owner)):
                _index_add(self._relations, hash(self.relation(number)), number)
        return self._relations

    def compact(self) -> OwnershipData:
        """Drop the index that finds a repeated relation (about as large as the holdings
        themselves; adding a holding builds it again). For data that is read, not
        extended, such as the API's copy."""
        self._relations = None
        return self

    def _sources(self, graphs: Iterable[str]) -> tuple[str, ...]:
        """``graphs`` as a sorted tuple, one shared tuple per set (most holdings of a
        store have one of a few)."""
        if not graphs:
            return ()
        found = tuple(sorted(set(graphs)))
        return self._source_sets.setdefault(found, found)

    def _merge(self, number: int, key: str | None, sources: Iterable[str]) -> None:
        """Record another statement (``key``, in ``sources``) of holding ``number``."""
        self.h_sources[number] = self._sources((*self.h_sources[number], *sources))
        if key is None or key == self.h_key[number]:
            return
        keys = self.h_statements.setdefault(number, [self.h_key[number]])
        if key not in keys:
            keys.append(key)
            keys.sort()
        if key < self.h_key[number]:
            self.h_key[number] = key
            self._in = self._out = None  # ordered by key
            self._walks = {}
            self._steps.pop(number, None)

    def statements(self, number: int) -> list[str]:
        """Every key that states holding ``number`` (its own first)."""
        return self.h_statements.get(number) or [self.h_key[number]]

    def add_listing(
        self,
        entity: str,
        start: date | str | None = None,
        end: date | str | None = None,
        key: str | None = None,
        programs: Iterable[str] = (),
        *,
        possibly_from: date | str | None = None,
        possibly_until: date | str | None = None,
        start_from_publications: bool = False,
        end_from_publications: bool = False,
    ) -> int:
        """Add an SDN listing of ``entity`` over ``[start, end)``, *possibly* in force
        over ``[possibly_from, start)`` and ``[end, possibly_until)`` (unknown intervals;
        none when not given). ``*_from_publications`` say that a date is a publication's
        rather than stated (it words the reasons). A listing with the same entity, dates
        and programs as one already added is the same listing: that one's number is
        returned, and it takes the least of the two keys (both are kept in
        ``l_statements``)."""
        programs = tuple(programs)
        start_day, end_day = day_key(start, NO_START), day_key(end, NO_END)
        listing = (
            entity,
            start_day,
            end_day,
            tuple(sorted(programs)),
            day_key(possibly_from, start_day),
            day_key(possibly_until, end_day),
        )
        same = self._listings.get(listing)
        if same is not None:
            if key is not None and key != self.l_key[same]:
                keys = self.l_statements.setdefault(same, [self.l_key[same]])
                if key not in keys:
                    keys.append(key)
                    keys.sort()
                self.l_key[same] = keys[0]
            return same
        number = len(self.l_entity)
        self._listings[listing] = number
        self.l_entity.append(self.entity(entity))
        self.l_start.append(listing[1])
        self.l_end.append(listing[2])
        self.l_key.append(key if key is not None else f"listing-{number}")
        self.l_programs.append(programs)
        self.l_possibly_from.append(min(listing[4], start_day))
        self.l_possibly_until.append(max(listing[5], end_day))
        self.l_from_publications.append((start_from_publications, end_from_publications))
        self._listed = self._possible = None
        return number

    def add_branch(self, office: str, institution: str) -> None:
        """Record that ``office`` is an agency, branch or office of ``institution`` (not a
        separate person)."""
        pair = (self.entity(office), self.entity(institution))
        if pair[0] != pair[1] and pair not in zip(self.b_office, self.b_institution):
            self.b_office.append(pair[0])
            self.b_institution.append(pair[1])
            self._offices = self._institutions = self._possible = None

    def offices(self) -> dict[int, list[int]]:
        """Each institution's offices, in the order of their keys."""
        if self._offices is None:
            self._offices = self._branch_index(self.b_institution, self.b_office)
        return self._offices

    def institutions(self) -> dict[int, list[int]]:
        """The institution (or institutions, in bad data) of each office."""
        if self._institutions is None:
            self._institutions = self._branch_index(self.b_office, self.b_institution)
        return self._institutions

    def _branch_index(self, keys: list[int], values: list[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for key, value in zip(keys, values):
            found.setdefault(key, []).append(value)
        return {k: sorted(v, key=self.keys.__getitem__) for k, v in found.items()}

    def add_blocked_by_law(
        self,
        key: str,
        named: Iterable[str],
        *,
        label: str = "",
        citation: str = "",
        sources: Iterable[str] = (),
        programs: Iterable[str] = (),
        start: date | str | None = None,
        end: date | str | None = None,
        owned_or_controlled: bool = False,
        owned_citation: str = "",
        owned_sources: Iterable[str] = (),
        unverified_start: date | str | None = None,
    ) -> int:
        """Add a rule that blocks the persons ``named`` without a listing over ``[start,
        end)`` (``label`` names the class in words, ``citation`` the provision); with
        ``owned_or_controlled``, also every entity they own 50 percent or more of
        together, directly or indirectly, or control (see the module doc). ``sources``
        are the provisions' keys (IRIs); ``owned_citation`` and ``owned_sources`` those
        of the entities reached through ownership or control (default: the same). Before
        ``unverified_start`` (a start date our sources suggest but do not establish) the
        rule only *possibly* applies: whom it blocks is possibly blocked."""
        number = len(self.r_key)
        self.r_key.append(key)
        self.r_label.append(label or key)
        self.r_citation.append(citation)
        self.r_sources.append(tuple(sorted(sources)))
        self.r_owned_citation.append(owned_citation or citation)
        self.r_owned_sources.append(tuple(sorted(owned_sources)) or self.r_sources[-1])
        self.r_programs.append(tuple(programs))
        self.r_start.append(day_key(start, NO_START))
        self.r_unverified_start.append(day_key(unverified_start, NO_START))
        self.r_end.append(day_key(end, NO_END))
        self.r_named.append(sorted({self.entity(e) for e in named}))
        self.r_owned_or_controlled.append(owned_or_controlled)
        self._possible = None
        return number

    def rule_citation(self, rule: int, entity: int) -> str:
        """The provisions ``rule`` blocks ``entity`` under, in words: its own for a
        person it names, those for what they own or control otherwise."""
        return (
            self.r_citation[rule] if entity in self.r_named[rule] else self.r_owned_citation[rule]
        )

    def rule_sources(self, rule: int, entity: int) -> tuple[str, ...]:
        """The provision keys of :meth:`rule_citation`."""
        return self.r_sources[rule] if entity in self.r_named[rule] else self.r_owned_sources[rule]

    def listing_state(self, number: int, day: str) -> str | None:
        """``"listed"`` when listing ``number`` is in force on ``day``, ``"possibly"``
        when ``day`` is in one of its unknown intervals, else ``None``."""
        start, end = self.l_start[number], self.l_end[number]
        if in_force(day, start, end):
            return "listed"
        if in_force(day, self.l_possibly_from[number], start) or in_force(
            day, end, self.l_possibly_until[number]
        ):
            return "possibly"
        return None

    def listing_statements(self, number: int) -> list[str]:
        """Every key that states listing ``number`` (its own first)."""
        return self.l_statements.get(number) or [self.l_key[number]]

    # --- indexes (date-independent; built once, reused for every date) ------
    def incoming(self) -> dict[int, list[int]]:
        """Holding numbers by owned entity, each list in the order of the holdings' keys
        (so that answers do not depend on the order in which holdings were read)."""
        if self._in is None:
            self._in = self._by_key(self.h_owned)
        return self._in

    def ownerships(self, direction: str) -> tuple[dict[int, list[int]], set[int]]:
        """For walking ``up`` (to owners) or ``down``: each entity's ownership (not
        control) holdings that way, in key order; and the entities with a dated one
        among them, whose holdings must be checked against the day of each walk."""
        found = self._walks.get(direction)
        if found is None:
            index = self.incoming() if direction == "up" else self.outgoing()
            control = self.h_control
            held = {node: [n for n in numbers if not control[n]] for node, numbers in index.items()}
            dated = {
                node
                for node, numbers in held.items()
                if any(self.h_start[n] != NO_START or self.h_end[n] != NO_END for n in numbers)
            }
            found = self._walks[direction] = (held, dated)
        return found

    def outgoing(self) -> dict[int, list[int]]:
        """Holding numbers by owner, in the order of the holdings' keys."""
        if self._out is None:
            self._out = self._by_key(self.h_owner)
        return self._out

    def _by_key(self, ends: list[int]) -> dict[int, list[int]]:
        index: dict[int, list[int]] = {}
        for number in sorted(range(len(ends)), key=self.h_key.__getitem__):
            bucket = index.get(ends[number])
            if bucket is None:
                index[ends[number]] = [number]
            else:
                bucket.append(number)
        return index

    def step(self, number: int) -> dict[str, Any]:
        """Holding ``number`` as ``{"owner", "owned", "percent"}``: one dict per holding,
        shared by every answer that shows it (treat it as read-only)."""
        found = self._steps.get(number)
        if found is None:
            found = self._steps[number] = {
                "owner": self.label(self.h_owner[number]),
                "owned": self.label(self.h_owned[number]),
                "percent": _percent(self, number),
            }
        return found

    def listings_of(self) -> dict[int, list[int]]:
        if self._listed is None:
            index: dict[int, list[int]] = {}
            for number, entity in enumerate(self.l_entity):
                index.setdefault(entity, []).append(number)
            self._listed = index
        return self._listed

    def label(self, number: int) -> str:
        """The data-package id of an entity where known, else its key (IRI)."""
        return self.labels.get(number, self.keys[number])

    def holding_active(self, number: int, day: str) -> bool:
        """Whether holding ``number`` is in force on the day key ``day``."""
        return in_force(day, self.h_start[number], self.h_end[number])

    def ancestors(self, entities: Iterable[int], within: set[int] | None = None) -> set[int]:
        """The entities themselves and every entity their status can depend on: owners
        and controllers above them, and the institution and the offices of each (only
        through entities in ``within``, when given)."""
        incoming = self.incoming()
        owners = self.h_owner
        offices, institutions = self.offices(), self.institutions()
        seen = set(entities)
        stack = list(seen)
        while stack:
            entity = stack.pop()
            above = [owners[n] for n in incoming.get(entity, ())]
            for found in (above, offices.get(entity, ()), institutions.get(entity, ())):
                for other in found:
                    if other not in seen and (within is None or other in within):
                        seen.add(other)
                        stack.append(other)
        return seen

    def possible(self) -> set[int]:
        """Every entity that is blocked or possibly blocked on *some* date: the upper
        fixed point with every listing, every person a rule blocks by law and every
        holding (control too, in full) counted, whatever their dates. The fixed point is
        monotone in what counts, so this contains the ``maybe`` set of every date."""
        if self._possible is None:
            out: dict[int, list[int]] = {}
            for number, owner in enumerate(self.h_owner):
                out.setdefault(owner, []).append(number)
            seeds = [*self.listings_of(), *(e for named in self.r_named for e in named)]
            full = [FULL if c else hi for c, hi in zip(self.h_control, self.h_hi)]
            self._possible, _ = _fixed_point(
                seeds, out, self.h_owned, full, self.offices(), self.institutions()
            )
        return self._possible


def _index_add(index: dict[int, int | list[int]], digest: int, number: int) -> None:
    known = index.get(digest)
    if known is None:
        index[digest] = number
    elif isinstance(known, int):
        index[digest] = [known, number]
    else:
        known.append(number)


@dataclass(frozen=True)
class Status:
    """The result of the fixed point for one date.

    ``blocked`` and ``maybe`` are sets of entity numbers (``maybe`` includes
    ``blocked``); ``share_lo`` / ``share_hi`` map entity numbers to the summed direct
    shares of blocked (resp. possibly blocked) owners, in units; ``listed`` maps listed
    entities to their active listing numbers; ``possibly_listed`` maps entities that are
    not listed but possibly are (a listing's unknown interval) to those listings;
    ``by_law`` maps the entities a rule blocks by operation of law to the rules' numbers,
    ``possibly_by_law`` those that are only possibly included (bands).
    """

    day: str
    blocked: set[int]
    maybe: set[int]
    share_lo: dict[int, int]
    share_hi: dict[int, int]
    listed: dict[int, list[int]]
    possibly_listed: dict[int, list[int]] = field(default_factory=dict)
    by_law: dict[int, list[int]] = field(default_factory=dict)
    possibly_by_law: dict[int, list[int]] = field(default_factory=dict)

    def status(self, entity: int) -> str:
        if entity in self.blocked:
            return BLOCKED
        if entity in self.maybe:
            return POSSIBLY_BLOCKED
        return NOT_BLOCKED

    @property
    def possibly_blocked(self) -> set[int]:
        return self.maybe - self.blocked


def _fixed_point(
    seeds: Iterable[int],
    out: Mapping[int, Sequence[int]],
    owned: Sequence[int],
    share: Sequence[int],
    offices: dict[int, list[int]] | None = None,
    institutions: dict[int, list[int]] | None = None,
    at_least: int = HALF,
) -> tuple[set[int], dict[int, int]]:
    """Least fixed point: from the seeds, add every entity whose blocked owners' direct
    shares reach ``at_least`` (50 percent), every office of a blocked entity
    (``offices``: by institution) and, when ``institutions`` is given (the upper fixed
    point), the institution of a blocked office. ``out`` lists, per owner, the holdings
    active on the date; ``share`` is what each counts."""
    blocked = set(seeds)
    sums: dict[int, int] = {}
    stack = list(blocked)
    get = sums.get
    no_branches: dict[int, list[int]] = {}
    down = offices or no_branches
    up = institutions or no_branches
    while stack:
        entity = stack.pop()
        for number in out.get(entity, ()):
            target = owned[number]
            total = get(target, 0) + share[number]
            sums[target] = total
            if total >= at_least and target not in blocked:
                blocked.add(target)
                stack.append(target)
        for branches in (down, up):
            for other in branches.get(entity, ()):
                if other not in blocked:
                    blocked.add(other)
                    stack.append(other)
    return blocked, sums


def compute_status(
    data: OwnershipData,
    as_of: date | str,
    entities: Iterable[int] | None = None,
) -> Status:
    """Blocked and possibly blocked entities on ``as_of``.

    With ``entities``, only those entities and their ancestors are considered, which is
    exact for them (an entity's status depends only on what is above it) and cheap.
    Owners that can never be blocked (outside :meth:`OwnershipData.possible`) are left
    out of that scope: their holdings never count.
    """
    day = day_key(as_of, NO_START)
    scope = data.ancestors(entities, within=data.possible()) if entities is not None else None
    listed: dict[int, list[int]] = {}
    possibly_listed: dict[int, list[int]] = {}
    if scope is None:
        candidates: Iterable[tuple[int, list[int]]] = data.listings_of().items()
    else:
        listings = data.listings_of()
        candidates = ((e, listings[e]) for e in scope if e in listings)
    state = data.listing_state
    for entity, numbers in candidates:
        states = [(n, state(n, day)) for n in numbers]
        active = [n for n, s in states if s == "listed"]
        if active:
            listed[entity] = active
        else:
            maybe_active = [n for n, s in states if s == "possibly"]
            if maybe_active:
                possibly_listed[entity] = maybe_active

    out, controls = holdings_in_force(data, day, scope)
    by_law, possibly_by_law = _blocked_by_law(data, day, scope, out, controls)
    offices, institutions = data.offices(), data.institutions()
    blocked, share_lo = _fixed_point([*listed, *by_law], out, data.h_owned, data.h_lo, offices)
    maybe, share_hi = _fixed_point(
        [*listed, *possibly_listed, *by_law, *possibly_by_law],
        out,
        data.h_owned,
        data.h_hi,
        offices,
        institutions,
    )
    return Status(
        day, blocked, maybe, share_lo, share_hi, listed, possibly_listed, by_law, possibly_by_law
    )


def holdings_in_force(
    data: OwnershipData, day: str, scope: Iterable[int] | None = None
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """By owner, the ownership holdings and the control holdings in force on the day key
    ``day`` (with ``scope``, only the holdings in entities of ``scope``)."""
    out: dict[int, list[int]] = {}
    controls: dict[int, list[int]] = {}
    h_control, h_owner = data.h_control, data.h_owner
    if scope is None:
        numbers: Iterable[int] = range(len(h_owner))
    else:
        incoming = data.incoming()
        numbers = (n for e in scope for n in incoming.get(e, ()))
    for number in in_force_among(day, data.h_start, data.h_end, numbers):
        bucket = (controls if h_control[number] else out).setdefault(h_owner[number], [])
        bucket.append(number)
    return out, controls


def owned_or_controlled(
    data: OwnershipData,
    seeds: Iterable[int],
    day: str,
    *,
    at_least: int | None = HALF,
    upper: bool = False,
    offices: bool = True,
    holdings: Mapping[int, Sequence[int]] | None = None,
) -> set[int]:
    """``seeds`` and every entity that they and the entities already included own
    ``at_least`` (share units; 50 percent) or more of together, directly or through
    included entities, or that one of them controls, on the day key ``day``: a least
    fixed point, so cycles end and an entity on a cycle with no seed above stays out.

    Bands count at their minimum, with ``upper`` at their maximum; a control holding
    counts in full; with ``at_least`` ``None`` (no share is given) only control
    includes. With ``offices`` an office of an included entity is included (it is no
    separate person). ``holdings``: by owner, the ownership and control holdings in
    force on ``day``, when the caller has them (:func:`holdings_in_force`).

    One fixed point serves every rule of this shape: the Government of North Korea
    (31 CFR 510.311(b), :func:`compute_status`) and the Government of Iran and foreign
    governments (31 CFR 561.321(b), 561.323; ``derive/ifsr_561_203.py``)."""
    if holdings is None:
        holdings = owned_or_controlled_holdings(data, day)
    shares: Sequence[int] = data.h_hi if upper else data.h_lo
    if at_least is None:
        shares, at_least = [0] * len(shares), HALF
    found, _ = _fixed_point(
        seeds,
        holdings,
        data.h_owned,
        _Counted(shares, data.h_control),
        data.offices() if offices else None,
        at_least=at_least,
    )
    return found


def owned_or_controlled_holdings(data: OwnershipData, day: str) -> dict[int, list[int]]:
    """By owner, the ownership and control holdings in force on the day key ``day``: what
    :func:`owned_or_controlled` walks (compute it once for several calls on one day)."""
    return _merged(*holdings_in_force(data, day))


def _merged(out: dict[int, list[int]], controls: dict[int, list[int]]) -> dict[int, list[int]]:
    """Ownership and control holdings together, by owner."""
    both = {**out}
    for owner, numbers in controls.items():
        both[owner] = [*both.get(owner, ()), *numbers]
    return both


def _blocked_by_law(
    data: OwnershipData,
    day: str,
    scope: set[int] | None,
    out: dict[int, list[int]],
    controls: dict[int, list[int]],
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The entities each rule in force on ``day`` blocks by operation of law, and those
    it only possibly blocks (bands), by rule number. A rule with ``owned_or_controlled``
    runs its own fixed point from the persons it names: ownership as in the 50 Percent
    Rule (bands at their minimum, resp. maximum), control in full, offices included."""
    certain: dict[int, list[int]] = {}
    possible: dict[int, list[int]] = {}
    both: dict[int, list[int]] | None = None  # ownership and control holdings by owner
    for rule, named in enumerate(data.r_named):
        if not in_force(day, data.r_start[rule], data.r_end[rule]):
            continue
        seeds = [e for e in named if scope is None or e in scope]
        if data.r_owned_or_controlled[rule]:
            if both is None:
                both = _merged(out, controls)
            lower = owned_or_controlled(data, seeds, day, holdings=both)
            upper = owned_or_controlled(data, seeds, day, upper=True, holdings=both)
        else:
            lower = upper = set(seeds)
        doubtful = day < data.r_unverified_start[rule]  # before a start not established
        for entity in lower:
            (possible if doubtful else certain).setdefault(entity, []).append(rule)
        for entity in upper - lower:
            possible.setdefault(entity, []).append(rule)
    return certain, possible


class _Counted(Sequence[int]):
    """Shares as a rule by operation of law counts them: a control holding in full."""

    def __init__(self, shares: Sequence[int], control: Sequence[bool]) -> None:
        self.shares, self.control = shares, control

    @overload
    def __getitem__(self, number: int) -> int: ...

    @overload
    def __getitem__(self, number: slice) -> Sequence[int]: ...

    def __getitem__(self, number: int | slice) -> int | Sequence[int]:
        if isinstance(number, slice):
            return [self[i] for i in range(len(self))[number]]
        return FULL if self.control[number] else self.shares[number]

    def __len__(self) -> int:
        return len(self.shares)


# --- explanations -------------------------------------------------------------


def _percent(data: OwnershipData, number: int) -> int | float | dict[str, int | float]:
    if data.h_exact[number]:
        return from_units(data.h_lo[number])
    return {"min": from_units(data.h_lo[number]), "max": from_units(data.h_hi[number])}


def _provenance(data: OwnershipData, number: int) -> dict[str, list[str]]:
    """A reason's ``sources`` (the graphs that state the holding, when known) and, when
    several holding nodes state it, ``statements`` (their keys)."""
    found: dict[str, list[str]] = {}
    if data.h_sources[number]:
        found["sources"] = list(data.h_sources[number])
    if number in data.h_statements:
        found["statements"] = list(data.h_statements[number])
    return found


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def possible_listing_note(data: OwnershipData, number: int, day: str) -> str:
    """Why listing ``number`` is only *possibly* in force on ``day``, in words: between
    which publications (when its dates come from publications) or from when until when
    it is unknown."""
    head, detail = _possible_listing_parts(data, number, day)
    return f"{head} ({detail})"


def _possible_listing_parts(data: OwnershipData, number: int, day: str) -> tuple[str, str]:
    return unknown_listing_words(
        day,
        data.l_start[number],
        data.l_end[number],
        data.l_possibly_from[number],
        data.l_possibly_until[number],
        *data.l_from_publications[number],
    )


def unknown_listing_words(
    day: str,
    start: str,
    end: str | None,
    possibly_from: str | None,
    possibly_until: str | None,
    start_from_publications: bool,
    end_from_publications: bool,
) -> tuple[str, str]:
    """A listing possibly in force on ``day`` (ISO dates; ``possibly_from`` before
    ``start``, or ``possibly_until`` after ``end``), in words: ``("possibly listed",
    "between the publication of 2022-03-01 without it and the publication of
    2022-12-02 with it")``, or, when its dates are not the publications', from when
    until when it is unknown. The one wording for every rule that reads listings."""
    if day < start:
        since = possibly_from or OPEN_START
        if start_from_publications:
            if since <= OPEN_START:
                return (
                    "possibly listed",
                    f"before the publication of {start}, the first given, which lists it",
                )
            return (
                "possibly listed",
                f"between the publication of {_day_before(since)} "
                f"without it and the publication of {start} with it",
            )
        if since <= OPEN_START:
            return "possibly listed", f"unknown before the listing's start, {start}"
        return "possibly listed", f"unknown from {since} until the listing's start, {start}"
    until = possibly_until
    if end_from_publications:
        return (
            "possibly still listed",
            f"between the publication of {_day_before(end or day)} "
            f"with it and the publication of {until} without it",
        )
    return "possibly still listed", f"unknown from the listing's end, {end}, until {until}"


def _unknown_interval(data: OwnershipData, number: int) -> dict[str, str | None]:
    """``possibly_from`` (``"open"``: no earlier bound) and ``possibly_until`` as the
    data package writes them; ``None`` where the listing has no unknown interval."""
    since, until = data.l_possibly_from[number], data.l_possibly_until[number]
    return {
        "possibly_from": (
            "open" if since <= OPEN_START else None if since == data.l_start[number] else since
        ),
        "possibly_until": None if until == data.l_end[number] else until,
    }


def _listing_reason(data: OwnershipData, number: int, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "listing": data.l_key[number],
        "list": "SDN",
        "programs": list(data.l_programs[number]),
        "start": data.l_start[number] or None,
        "end": None if data.l_end[number] == NO_END else data.l_end[number],
        **({"statements": list(data.l_statements[number])} if number in data.l_statements else {}),
    }


def reasons(data: OwnershipData, status: Status, entity: int) -> list[dict[str, Any]]:
    """Why ``entity`` has its status: its active SDN listings (or, when it is only
    possibly listed, the listings whose unknown interval holds the day, kind
    ``possible_listing`` with a ``note`` in words), the holdings of blocked or possibly
    blocked owners that were counted, and (as a caution only) control by them."""
    found: list[dict[str, Any]] = []
    for rule in status.by_law.get(entity, []) + status.possibly_by_law.get(entity, []):
        found.append(
            {
                "kind": "blocked_by_law",
                "rule": data.r_key[rule],
                "class": data.r_label[rule],
                "citation": data.rule_citation(rule, entity),
                "programs": list(data.r_programs[rule]),
                "named": entity in data.r_named[rule],
                "certain": rule in status.by_law.get(entity, ()),
            }
        )
    for institution in data.institutions().get(entity, ()):
        if institution in status.maybe:
            found.append(
                {
                    "kind": "office_of",
                    "institution": data.label(institution),
                    "institution_status": status.status(institution),
                }
            )
    if entity not in status.blocked:  # an office's status reaches its institution as "possibly"
        for office in blocked_offices(data, status, entity):
            found.append(
                {
                    "kind": "office",
                    "office": data.label(office),
                    "office_status": status.status(office),
                    "note": "an office of it is blocked or possibly blocked; whether "
                    "the whole institution is, the designation must say",
                }
            )
    for number in status.listed.get(entity, ()):
        found.append(_listing_reason(data, number, "listing"))
    for number in status.possibly_listed.get(entity, ()):
        found.append(
            {
                **_listing_reason(data, number, "possible_listing"),
                **_unknown_interval(data, number),
                "note": possible_listing_note(data, number, status.day),
            }
        )
    day = status.day
    for number in data.incoming().get(entity, ()):
        owner = data.h_owner[number]
        if owner not in status.maybe or not data.holding_active(number, day):
            continue
        if data.h_control[number]:
            law = controlled_by_law(data, status, owner, entity)
            found.append(
                {
                    "kind": "control",
                    "owner": data.label(owner),
                    "holding": data.h_key[number],
                    "owner_status": status.status(owner),
                    "note": (
                        f"control by {data.r_label[law]} blocks it ({data.rule_citation(law, entity)})"
                        if law is not None
                        else "control alone does not block (OFAC FAQ 398)"
                    ),
                    **_provenance(data, number),
                }
            )
            continue
        found.append(
            {
                "kind": "ownership",
                "owner": data.label(owner),
                "holding": data.h_key[number],
                "percent": _percent(data, number),
                "owner_status": status.status(owner),
                **_provenance(data, number),
            }
        )
    return found


def _share_words(data: OwnershipData, number: int) -> str:
    if data.h_exact[number]:
        return f"{from_units(data.h_lo[number])}%"
    return f"{from_units(data.h_lo[number])}-{from_units(data.h_hi[number])}%"


def _listing_words(data: OwnershipData, number: int) -> str:
    """``the SDN List (DPRK) from 2020-01-01``; dates that are publications' say so
    (``first shown in the publication of 2021-07-07``): a list published without dates
    does not say since when an entry is on it."""
    programs = ", ".join(p.rsplit("/", 1)[-1] for p in data.l_programs[number])
    text = "the SDN List" + (f" ({programs})" if programs else "")
    start, end = data.l_start[number], data.l_end[number]
    start_published, end_published = data.l_from_publications[number]
    if start:
        text += (
            f", first shown in the publication of {start}" if start_published else f" from {start}"
        )
    if end != NO_END:
        if end_published:
            text += f", last shown in the publication of {_day_before(end)}"
        else:
            text += f"{',' if start_published else ''} until {end}"
    return text


def grounds_in_words(
    data: OwnershipData,
    status: Status,
    entity: int,
    upper: bool,
    depth: int = 3,
    path: frozenset[int] = frozenset(),
    most: int = 4,
) -> str:
    """The grounds of ``entity``'s status in words: rules by operation of law, the
    institution it is an office of, its offices (``upper`` only), its listings (or
    possible listings), then the counted holdings of blocked owners (``upper``: of
    blocked or possibly blocked owners, bands at their maximum) and control that a rule
    counts, each party named and, in parentheses, its own grounds, down to ``depth``
    levels; at most ``most`` holdings a level. Entities are named by
    :meth:`OwnershipData.label`."""
    within = path | {entity}

    def nested(other: int, say_state: bool = True) -> str:
        if other in within:
            return " (on an ownership cycle)"
        if depth <= 1:
            return ""
        state = "possibly blocked: " if say_state and other not in status.blocked else ""
        inner = grounds_in_words(data, status, other, upper, depth - 1, within, most)
        return f" ({state}{inner})"

    parts = []
    rules = status.by_law.get(entity, []) + (
        status.possibly_by_law.get(entity, []) if upper else []
    )
    for rule in rules:
        maybe = "" if rule in status.by_law.get(entity, ()) else "possibly "
        how = (
            f"as {data.r_label[rule]}"
            if entity in data.r_named[rule]
            else f"as part of {data.r_label[rule]}, which owns or controls it"
        )
        doubt = (
            f"; the rule's start is not established: our sources suggest "
            f"{data.r_unverified_start[rule]}"
            if status.day < data.r_unverified_start[rule]
            else ""
        )
        parts.append(
            f"{maybe}blocked by operation of law {how} ({data.rule_citation(rule, entity)}{doubt})"
        )
    for institution in data.institutions().get(entity, ()):
        if institution in (status.maybe if upper else status.blocked) and institution not in path:
            parts.append(f"an office of {data.label(institution)}{nested(institution)}")
    if upper and entity not in status.blocked:
        for office in blocked_offices(data, status, entity):
            if office not in path:
                state = status.status(office).replace("_", " ")
                parts.append(
                    f"its office {data.label(office)} is {state}{nested(office, say_state=False)}"
                )
    parts += [f"listed on {_listing_words(data, n)}" for n in status.listed.get(entity, ())]
    if upper:
        for number in status.possibly_listed.get(entity, ()):
            head, detail = _possible_listing_parts(data, number, status.day)
            parts.append(f"{head} on {_listing_words(data, number)} ({detail})")
    owners = status.maybe if upper else status.blocked
    active = [
        n
        for n in data.incoming().get(entity, ())
        if data.h_owner[n] in owners and data.holding_active(n, status.day)
    ]
    counted = [n for n in active if not data.h_control[n]]
    controlled = [
        n
        for n in active
        if data.h_control[n]
        and controlled_by_law(data, status, data.h_owner[n], entity) is not None
    ]
    stakes = [
        f"{_share_words(data, n)} by {data.label(data.h_owner[n])}{nested(data.h_owner[n])}"
        for n in counted[:most]
    ]
    if len(counted) > most:
        stakes.append(f"{len(counted) - most} more holdings")
    if stakes:
        parts.append(
            "owned "
            + (stakes[0] if len(stakes) == 1 else ", ".join(stakes[:-1]) + " and " + stakes[-1])
        )
    parts += [
        f"controlled by {data.label(data.h_owner[n])}{nested(data.h_owner[n])}"
        for n in controlled[:most]
    ]
    return "; ".join(parts) or "blocked owners further up"


def status_in_words(data: OwnershipData, status: Status, entity: int) -> str:
    """``blocked: ...`` or ``possibly blocked: ...`` with :func:`grounds_in_words`; for an
    owned entity it opens with the blocked owners' summed direct share (bands at their
    minimum; up to their maximum when possibly blocked). Empty when not blocked."""
    state = status.status(entity)
    if state == NOT_BLOCKED:
        return ""
    upper = state == POSSIBLY_BLOCKED
    words = grounds_in_words(data, status, entity, upper)
    lo, hi = from_units(status.share_lo.get(entity, 0)), from_units(status.share_hi.get(entity, 0))
    if words.startswith("owned "):  # blocked through its owners alone
        share = f"{lo}%" if not upper else f"{lo}% to {hi}%"
        whom = "blocked persons" if not upper else "blocked or possibly blocked persons"
        words = f"owned {share} in aggregate by {whom}: {words[len('owned ') :]}"
    return ("blocked: " if not upper else "possibly blocked: ") + words


def blocked_offices(data: OwnershipData, status: Status, institution: int) -> list[int]:
    """The offices of ``institution`` that are blocked or possibly blocked on grounds of
    their own (a listing, a possible listing, a rule by operation of law, or a counted
    holding), not merely as its offices: those make it possibly blocked."""
    found = []
    for office in data.offices().get(institution, ()):
        if office not in status.maybe:
            continue
        own = (
            office in status.listed
            or office in status.possibly_listed
            or office in status.by_law
            or office in status.possibly_by_law
            or any(
                not data.h_control[n]
                and data.h_owner[n] in status.maybe
                and data.holding_active(n, status.day)
                for n in data.incoming().get(office, ())
            )
        )
        if own:
            found.append(office)
    return found


def controlled_by_law(data: OwnershipData, status: Status, owner: int, entity: int) -> int | None:
    """The rule (by operation of law, counting control) that both ``owner`` and the
    ``entity`` it controls fall under, if any."""
    rules = {**status.possibly_by_law, **status.by_law}
    for rule in rules.get(entity, ()):
        if data.r_owned_or_controlled[rule] and rule in rules.get(owner, ()):
            return rule
    return None


def blocked_share(status: Status, entity: int) -> int | float:
    """The summed direct shares of blocked owners (bands at their minimum), in percent."""
    return from_units(status.share_lo.get(entity, 0))


# --- chains and effective ownership -------------------------------------------


@dataclass(frozen=True)
class Chains:
    """Maximal simple paths above or below an entity; each step is a holding number."""

    entity: int
    direction: str
    paths: list[list[int]]
    truncated: bool


def _ownership_steps(data: OwnershipData, direction: str, day: str) -> Callable[[int], list[int]]:
    """Each entity's ownership (not control) holdings ``up`` or ``down`` in force on the
    day key ``day``, in the order of the holdings' keys: filtered once per entity, and
    only where a holding there is dated (a walk reaches an entity above many paths once
    for each)."""
    held, dated = data.ownerships(direction)
    if day >= NO_END:  # even undated holdings have ended
        dated = set(held)
    start, end = data.h_start, data.h_end
    known: dict[int, list[int]] = {}
    none: list[int] = []

    def steps(node: int) -> list[int]:
        if node not in dated:
            return held.get(node, none)
        found = known.get(node)
        if found is None:
            found = known[node] = in_force_among(day, start, end, held[node])
        return found

    return steps


def chains(
    data: OwnershipData,
    entity: int,
    as_of: date | str,
    direction: str = "up",
    max_depth: int = 25,
    max_paths: int = 10_000,
) -> Chains:
    """Every maximal simple ownership path above (``up``) or below (``down``) ``entity``
    on ``as_of``, as lists of holding numbers from the top owner down. A path ends where
    there is no further active holding, where the next step would revisit an entity on
    the path (a cycle), or at ``max_depth``. At most ``max_paths`` paths are returned;
    ``truncated`` says when more exist. Paths share their steps nearest the entity: a
    step's list is built once per edge of the walk, and each path is its own list."""
    if direction not in ("up", "down"):
        raise ValueError("direction is 'up' or 'down'")
    steps = _ownership_steps(data, direction, day_key(as_of, NO_START))
    other = data.h_owner if direction == "up" else data.h_owned
    paths: list[list[int]] = []
    truncated = False
    up = direction == "up"
    # Iterative depth-first search; ``on_path`` keeps paths simple. ``options[i]`` walks
    # the active holdings of the entity i steps from ``entity``, ``took[i]`` says whether
    # a step was taken from it; ``built[i]`` is the path of the first i steps, from the
    # top owner down.
    path: list[int] = []
    built: list[list[int]] = [[]]
    on_path = {entity}
    options = [iter(steps(entity))]
    took = [False]
    while options:
        number = next(options[-1], None)
        if number is not None:
            following = other[number]
            if following in on_path:
                continue
            if len(path) >= max_depth:
                truncated = True
                continue
            took[-1] = True
            path.append(number)
            built.append([number, *built[-1]] if up else [*built[-1], number])
            on_path.add(following)
            options.append(iter(steps(following)))
            took.append(False)
            continue
        if not took.pop() and path:
            paths.append(built[-1])
            if len(paths) >= max_paths:
                truncated = True
                break
        options.pop()
        if path:
            on_path.discard(other[path.pop()])
            built.pop()
    return Chains(entity, direction, paths, truncated)


def chain_steps(data: OwnershipData, found: Chains) -> list[list[dict[str, Any]]]:
    """Paths as lists of ``{"owner", "owned", "percent"}``, from the top owner down.

    A holding is one dict (:meth:`OwnershipData.step`), shared by every path and every
    answer that shows it (an entity with thousands of paths above it has a few hundred
    holdings there); treat the answer as read-only.
    """
    steps = {n: data.step(n) for n in set().union(*found.paths)}
    return [list(map(steps.__getitem__, path)) for path in found.paths]


def effective_ownership(
    data: OwnershipData,
    entity: int,
    as_of: date | str,
    direction: str = "up",
    max_depth: int = 25,
) -> dict[int, tuple[float, float]]:
    """Effective ownership: for every entity above (``up``: who owns ``entity``) or below
    (``down``: what ``entity`` owns), the sum over simple paths of the product of the
    shares, in percent, as a (lower, upper) pair (equal unless a band is on a path)."""
    steps = _ownership_steps(data, direction, day_key(as_of, NO_START))
    other = data.h_owner if direction == "up" else data.h_owned
    lo_share, hi_share = data.h_lo, data.h_hi
    totals: dict[int, list[float]] = {}

    def walk(node: int, lo: float, hi: float, on_path: set[int], depth: int) -> None:
        if depth >= max_depth:
            return
        for number in steps(node):
            following = other[number]
            if following in on_path:
                continue
            new_lo = lo * lo_share[number] / FULL
            new_hi = hi * hi_share[number] / FULL
            total = totals.setdefault(following, [0.0, 0.0])
            total[0] += new_lo
            total[1] += new_hi
            on_path.add(following)
            walk(following, new_lo, new_hi, on_path, depth + 1)
            on_path.discard(following)

    walk(entity, 1.0, 1.0, {entity}, 0)
    return {k: (round(v[0] * 100, 6), round(min(v[1], 1.0) * 100, 6)) for k, v in totals.items()}


# --- one entity, as the CLI and the API show it ------------------------------


class OwnersHead(TypedDict):
    """An ``owners`` answer without its chains."""

    entity: str
    blocked: bool
    status: str
    blocked_share: int | float
    reasons: list[dict[str, Any]]


class OwnersBody(OwnersHead):
    """``owners``' answer: the body of ``GET /entities/{id}/owners`` and of
    ``sanctiongraph owners --format json``."""

    chains: list[list[dict[str, Any]]]


@dataclass(frozen=True)
class OwnershipStatus:
    """One entity's 50 Percent Rule status on a day, why, and the chains above it (as
    holding numbers of ``data``; :meth:`as_dict` names their steps)."""

    data: OwnershipData
    entity: int
    head: OwnersHead
    chains: Chains

    def as_dict(self) -> OwnersBody:
        return {**self.head, "chains": chain_steps(self.data, self.chains)}


def ownership_status(
    data: OwnershipData, entity: int, as_of: date | str, status: Status | None = None
) -> OwnershipStatus:
    """The status of ``entity`` (a number of ``data``) on ``as_of``, with its reasons and
    every chain above it (its owners, their owners, ...)."""
    status = status if status is not None else compute_status(data, as_of, [entity])
    state = status.status(entity)
    head: OwnersHead = {
        "entity": data.label(entity),
        "blocked": state == BLOCKED,
        "status": state,
        "blocked_share": blocked_share(status, entity),
        "reasons": reasons(data, status, entity),
    }
    return OwnershipStatus(data, entity, head, chains(data, entity, as_of, "up"))


def summary(
    data: OwnershipData, entity: int, as_of: date | str, status: Status | None = None
) -> OwnersBody:
    """``{"entity", "blocked", "status", "blocked_share", "reasons", "chains"}`` for one
    entity: :func:`ownership_status` with its chains as lists of steps (:func:`chain_steps`)."""
    return ownership_status(data, entity, as_of, status).as_dict()
