"""Ownership chains and the OFAC 50 Percent Rule, in plain Python over arrays and dicts.

This module knows nothing about RDF. :class:`OwnershipData` holds the holdings and the
SDN listings as parallel lists indexed by integers; :mod:`sanctiongraph.analysis.loader`
fills it from a store with the SPARQL files in ``queries/analysis/``, and
``bench/generate.py`` fills it directly.

**Blocked status** (OFAC 50 Percent Rule; FAQ 399, 401; FAQ 398 for control) is the
least fixed point of:

- an entity listed on the SDN List on the date asked is blocked;
- an entity is blocked when the *direct* shares held in it by blocked owners add up to
  50 percent or more. A blocked owner's share counts in full; shares are never
  multiplied along a chain (FAQ 401, examples 1 and 2). Shares held by owners that are
  not blocked count for nothing, however large (the non-attribution example).
- control (``sg:Control``) never counts (FAQ 398); it is reported as a caution only.

Holdings and listings count only on dates within ``[start, end)``. Each entity becomes
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
the upper end. Shares are kept as integers in units of 1/10,000 of a percent, so the
49.9 versus 50 boundary is decided exactly.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

UNIT = 10_000  # integer share units per percent
HALF = 50 * UNIT
FULL = 100 * UNIT
NO_START = ""
NO_END = "9999-12-31"

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


def _day(value: date | str | None, default: str) -> str:
    if value is None or value == "":
        return default
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def stake(percent: object = None, minimum: object = None, maximum: object = None,
          control: bool = False) -> tuple[int, int, bool]:
    """A holding's share as counted: (lower, upper) in units and whether it is exact. A
    band without a minimum counts 0 at the lower end, without a maximum 100 at the upper
    end; control counts nothing."""
    if control:
        return 0, 0, percent is not None
    if percent is not None and percent != "":
        units = to_units(percent)
        return units, units, True
    return (to_units(minimum) if minimum not in (None, "") else 0,
            to_units(maximum) if maximum not in (None, "") else FULL, False)


RelationKey = tuple[str, str, bool, int, int, bool, str, str]


def relation_key(owner: str, owned: str, *, control: bool = False, percent: object = None,
                 minimum: object = None, maximum: object = None,
                 start: date | str | None = None, end: date | str | None = None) -> RelationKey:
    """What makes two holdings the same relation: owner, owned, kind, the share as it
    counts (:func:`stake`: ``30`` and ``30.0`` are one share, and so are two bands that
    count alike) and the dates. The derivers, the ownership analysis and the CSV
    mapper's check for repeated rows all use this one rule."""
    return (owner, owned, control, *stake(percent, minimum, maximum, control),
            _day(start, NO_START), _day(end, NO_END))


@dataclass
class OwnershipData:
    """Entities, holdings and SDN listings as parallel lists (no RDF).

    Entities are numbered in the order first seen; ``keys`` holds each entity's key
    (an IRI in the store, any string elsewhere) and ``labels`` the data-package id when
    known. Holdings: owner, owned, lower and upper share in units, start and end as ISO
    dates (``""`` and ``"9999-12-31"`` when open), a key, and whether it is a control
    holding; ``h_sources`` the graphs that state it, and ``h_statements`` (only for a
    holding stated by several nodes) every key that states it. Listings: entity, start,
    end, key, programs, and ``l_statements`` like ``h_statements``.
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
    _in: dict[int, list[int]] | None = field(default=None, repr=False)
    _out: dict[int, list[int]] | None = field(default=None, repr=False)
    _listed: dict[int, list[int]] | None = field(default=None, repr=False)
    _possible: set[int] | None = field(default=None, repr=False)
    _steps: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    _walks: dict[str, tuple[dict[int, list[int]], set[int]]] = field(
        default_factory=dict, repr=False)
    _relations: dict[int, int | list[int]] | None = field(default=None, repr=False)
    _listings: dict[tuple[str, str, str, tuple[str, ...]], int] = field(default_factory=dict, repr=False)
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
        self, owner: str, owned: str, percent: object = None, *, minimum: object = None,
        maximum: object = None, start: date | str | None = None, end: date | str | None = None,
        key: str | None = None, control: bool = False, sources: Iterable[str] = (),
    ) -> int:
        """Add an ownership (or, with ``control=True``, a control) holding, stated in the
        graphs ``sources``. A holding that is the same relation as one already added
        (:func:`relation_key`) is not added again: that one's number is returned, and it
        takes the least of the two keys and the sources of both."""
        relation = relation_key(owner, owned, control=control, percent=percent,
                                minimum=minimum, maximum=maximum, start=start, end=end)
        index, digest = self._relation_index(), hash(relation)
        found = index.get(digest)
        for same in (() if found is None else (found,) if isinstance(found, int) else found):
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
        return (self.keys[self.h_owner[number]], self.keys[self.h_owned[number]],
                self.h_control[number], self.h_lo[number], self.h_hi[number],
                self.h_exact[number], self.h_start[number], self.h_end[number])

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
        self, entity: str, start: date | str | None = None, end: date | str | None = None,
        key: str | None = None, programs: Iterable[str] = (),
    ) -> int:
        """Add an SDN listing of ``entity`` over ``[start, end)``. A listing with the same
        entity, dates and programs as one already added is the same listing: that one's
        number is returned, and it takes the least of the two keys (both are kept in
        ``l_statements``)."""
        programs = tuple(programs)
        listing = (entity, _day(start, NO_START), _day(end, NO_END), tuple(sorted(programs)))
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
        self._listed = self._possible = None
        return number

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
            dated = {node for node, numbers in held.items()
                     if any(self.h_start[n] != NO_START or self.h_end[n] != NO_END for n in numbers)}
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
                "owned": self.label(self.h_owned[number]), "percent": _percent(self, number)}
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
        return self.h_start[number] <= day < self.h_end[number]

    def ancestors(self, entities: Iterable[int], within: set[int] | None = None) -> set[int]:
        """The entities themselves and every entity on an ownership path above them
        (only through owners in ``within``, when given)."""
        incoming = self.incoming()
        owners = self.h_owner
        seen = set(entities)
        stack = list(seen)
        while stack:
            for number in incoming.get(stack.pop(), ()):
                owner = owners[number]
                if owner not in seen and (within is None or owner in within):
                    seen.add(owner)
                    stack.append(owner)
        return seen

    def possible(self) -> set[int]:
        """Every entity that is blocked or possibly blocked on *some* date: the upper
        fixed point with every listing and every ownership holding counted, whatever
        their dates. The fixed point is monotone in the holdings and listings that
        count, so this contains the ``maybe`` set of every date."""
        if self._possible is None:
            out: dict[int, list[int]] = {}
            for number, owner in enumerate(self.h_owner):
                if not self.h_control[number]:
                    out.setdefault(owner, []).append(number)
            self._possible, _ = _fixed_point(self.listings_of(), out, self.h_owned, self.h_hi)
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
    entities to their active listing numbers.
    """

    day: str
    blocked: set[int]
    maybe: set[int]
    share_lo: dict[int, int]
    share_hi: dict[int, int]
    listed: dict[int, list[int]]

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
    seeds: Iterable[int], out: dict[int, list[int]], owned: Sequence[int], share: Sequence[int],
) -> tuple[set[int], dict[int, int]]:
    """Least fixed point: from the seeds, add every entity whose blocked owners' direct
    shares reach 50 percent. ``out`` lists, per owner, the holdings active on the date."""
    blocked = set(seeds)
    sums: dict[int, int] = {}
    stack = list(blocked)
    get = sums.get
    while stack:
        for number in out.get(stack.pop(), ()):
            target = owned[number]
            total = get(target, 0) + share[number]
            sums[target] = total
            if total >= HALF and target not in blocked:
                blocked.add(target)
                stack.append(target)
    return blocked, sums


def compute_status(
    data: OwnershipData, as_of: date | str, entities: Iterable[int] | None = None,
) -> Status:
    """Blocked and possibly blocked entities on ``as_of``.

    With ``entities``, only those entities and their ancestors are considered, which is
    exact for them (an entity's status depends only on what is above it) and cheap.
    Owners that can never be blocked (outside :meth:`OwnershipData.possible`) are left
    out of that scope: their holdings never count.
    """
    day = _day(as_of, NO_START)
    scope = data.ancestors(entities, within=data.possible()) if entities is not None else None
    listed: dict[int, list[int]] = {}
    l_start, l_end = data.l_start, data.l_end
    if scope is None:
        candidates: Iterable[tuple[int, list[int]]] = data.listings_of().items()
    else:
        listings = data.listings_of()
        candidates = ((e, listings[e]) for e in scope if e in listings)
    for entity, numbers in candidates:
        active = [n for n in numbers if l_start[n] <= day < l_end[n]]
        if active:
            listed[entity] = active

    out: dict[int, list[int]] = {}
    h_start, h_end, h_control, h_owner = data.h_start, data.h_end, data.h_control, data.h_owner
    if scope is None:
        numbers_iter: Iterable[int] = range(len(h_owner))
    else:
        incoming = data.incoming()
        numbers_iter = (n for e in scope for n in incoming.get(e, ()))
    for number in numbers_iter:
        if h_control[number] or not (h_start[number] <= day < h_end[number]):
            continue
        owner = h_owner[number]
        bucket = out.get(owner)
        if bucket is None:
            out[owner] = [number]
        else:
            bucket.append(number)

    blocked, share_lo = _fixed_point(listed, out, data.h_owned, data.h_lo)
    maybe, share_hi = _fixed_point(listed, out, data.h_owned, data.h_hi)
    return Status(day, blocked, maybe, share_lo, share_hi, listed)


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


def reasons(data: OwnershipData, status: Status, entity: int) -> list[dict[str, Any]]:
    """Why ``entity`` has its status: its active SDN listings, the holdings of blocked or
    possibly blocked owners that were counted, and (as a caution only) control by them."""
    found: list[dict[str, Any]] = []
    for number in status.listed.get(entity, ()):
        found.append({
            "kind": "listing", "listing": data.l_key[number], "list": "SDN",
            "programs": list(data.l_programs[number]),
            "start": data.l_start[number] or None,
            "end": None if data.l_end[number] == NO_END else data.l_end[number],
            **({"statements": list(data.l_statements[number])}
               if number in data.l_statements else {}),
        })
    day = status.day
    for number in data.incoming().get(entity, ()):
        owner = data.h_owner[number]
        if owner not in status.maybe or not data.holding_active(number, day):
            continue
        if data.h_control[number]:
            found.append({
                "kind": "control", "owner": data.label(owner), "holding": data.h_key[number],
                "owner_status": status.status(owner),
                "note": "control alone does not block (OFAC FAQ 398)",
                **_provenance(data, number),
            })
            continue
        found.append({
            "kind": "ownership", "owner": data.label(owner), "holding": data.h_key[number],
            "percent": _percent(data, number), "owner_status": status.status(owner),
            **_provenance(data, number),
        })
    return found


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


def chains(
    data: OwnershipData, entity: int, as_of: date | str, direction: str = "up",
    max_depth: int = 25, max_paths: int = 10_000,
) -> Chains:
    """Every maximal simple ownership path above (``up``) or below (``down``) ``entity``
    on ``as_of``, as lists of holding numbers from the top owner down. A path ends where
    there is no further active holding, where the next step would revisit an entity on
    the path (a cycle), or at ``max_depth``. At most ``max_paths`` paths are returned;
    ``truncated`` says when more exist. Paths share their steps nearest the entity: a
    step's list is built once per edge of the walk, and each path is its own list."""
    if direction not in ("up", "down"):
        raise ValueError("direction is 'up' or 'down'")
    day = _day(as_of, NO_START)
    held, dated = data.ownerships(direction)
    if day >= NO_END:  # even undated holdings have ended
        dated = set(held)
    other = data.h_owner if direction == "up" else data.h_owned
    start, end = data.h_start, data.h_end
    paths: list[list[int]] = []
    truncated = False

    known: dict[int, list[int]] = {}
    none: list[int] = []

    def steps(node: int) -> list[int]:
        # In the order of the holdings' keys. Filtered by day once per node: a node
        # above many paths is reached once for each.
        if node not in dated:
            return held.get(node, none)
        found = known.get(node)
        if found is None:
            found = known[node] = [n for n in held[node] if start[n] <= day < end[n]]
        return found

    up = direction == "up"
    # Iterative depth-first search; ``on_path`` keeps paths simple. A frame is
    # [entity, its active holdings, next position, whether a step was taken from it];
    # ``built[i]`` is the path of the first i steps, from the top owner down.
    path: list[int] = []
    built: list[list[int]] = [[]]
    on_path = {entity}
    stack: list[list[Any]] = [[entity, steps(entity), 0, False]]
    while stack:
        frame = stack[-1]
        options, position = frame[1], frame[2]
        if position < len(options):
            frame[2] = position + 1
            number = options[position]
            following = other[number]
            if following in on_path:
                continue
            if len(path) >= max_depth:
                truncated = True
                continue
            frame[3] = True
            path.append(number)
            built.append([number, *built[-1]] if up else [*built[-1], number])
            on_path.add(following)
            stack.append([following, steps(following), 0, False])
            continue
        if not frame[3] and path:
            paths.append(built[-1])
            if len(paths) >= max_paths:
                truncated = True
                break
        stack.pop()
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
    data: OwnershipData, entity: int, as_of: date | str, direction: str = "up",
    max_depth: int = 25,
) -> dict[int, tuple[float, float]]:
    """Effective ownership: for every entity above (``up``: who owns ``entity``) or below
    (``down``: what ``entity`` owns), the sum over simple paths of the product of the
    shares, in percent, as a (lower, upper) pair (equal unless a band is on a path)."""
    day = _day(as_of, NO_START)
    index = data.incoming() if direction == "up" else data.outgoing()
    other = data.h_owner if direction == "up" else data.h_owned
    control, start, end = data.h_control, data.h_start, data.h_end
    lo_share, hi_share = data.h_lo, data.h_hi
    totals: dict[int, list[float]] = {}

    def walk(node: int, lo: float, hi: float, on_path: set[int], depth: int) -> None:
        if depth >= max_depth:
            return
        for number in index.get(node, ()):
            if control[number] or not (start[number] <= day < end[number]):
                continue
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


def ownership_status(data: OwnershipData, entity: int, as_of: date | str,
                     status: Status | None = None) -> OwnershipStatus:
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


def summary(data: OwnershipData, entity: int, as_of: date | str,
            status: Status | None = None) -> OwnersBody:
    """``{"entity", "blocked", "status", "blocked_share", "reasons", "chains"}`` for one
    entity: :func:`ownership_status` with its chains as lists of steps (:func:`chain_steps`)."""
    return ownership_status(data, entity, as_of, status).as_dict()
