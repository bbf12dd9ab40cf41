"""Indirect-access paths: how an institution reaches U.S. correspondent accounts through
chains of nested accounts, as of a date.

The holder of an account reaches the services of the institution that maintains it; that
institution may in turn hold an account elsewhere, and so on. A *path* from a start
institution is a chain of accounts, each open on the date (opened on or before it, not
closed on or before it), where the first is held by the start and each next one is held
by the maintainer of the one before. Its ``hops`` run from the start to the maintainer of
the last account; its ``accounts`` list the chain in order. A path ``reaches_us`` when its
last account is a correspondent (or payable-through) account located in the United
States and maintained by a covered financial institution, that is a financial institution
organised or located in the United States (as ``derive/fincen_311_dprk.py`` classifies them).

Every path of one to ``max_depth`` accounts is listed, prefixes included, so a chain that
passes through the United States and goes on is shown at each step. No institution occurs
twice in a path, so cycles of nested accounts terminate. Dense networks have very many
paths (twelve banks that all hold accounts at each other: about ten million of up to
eight accounts), so a walk is bounded (:class:`PathLimits`: at most
:data:`MAX_PATHS` paths, as ``owners`` caps its chains, about :data:`MAX_PATH_BYTES`
bytes of JSON and :data:`MAX_SECONDS` seconds); the answer's ``truncated`` says when it
stopped at a bound with paths left to list. The SPARQL lives in
``queries/analysis/access-accounts.rq``; it reads only asserted data (no derived graph),
so the answer does not depend on the date the store was last derived for. It returns
accounts with their dates, and the date is applied here (as the SPARQL filter would,
except that a date with a time zone compares by its day), so one read of every account
(:func:`load_access_data`, which the API keeps) answers walks from any institution on
any date.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict

from sanctiongraph.entities import UnknownEntity, entity_iri_of, resolve_entity
from sanctiongraph.namespaces import country
from sanctiongraph.queries import iri_rows, load_query, select_values, with_rows_chunked
from sanctiongraph.store import GraphStore

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_DEPTH_LIMIT",
    "MAX_PATHS",
    "MAX_PATH_BYTES",
    "MAX_SECONDS",
    "AccessData",
    "AccessPath",
    "AccessPathsBody",
    "FoundPaths",
    "PathLimits",
    "UnknownEntity",
    "access_paths",
    "find_paths",
    "load_access_data",
    "render_text",
]

DEFAULT_MAX_DEPTH = 4
MAX_DEPTH_LIMIT = 10
MAX_PATHS = 10_000
"""Paths one answer lists at most: the cap ``owners`` puts on its chains."""
MAX_PATH_BYTES = 5_000_000
"""About the most bytes of JSON the listed paths take."""
MAX_SECONDS = 5.0
"""The longest a walk (reading the accounts and listing the paths) goes on."""
US = country("US")
Day = tuple[int, int, int]  # (year, month, day): xsd:date years may exceed 9999
_XSD_DATE = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Edge:
    """One open account: its holder reaches its maintainer."""

    account: str
    holder: str
    maintainer: str
    reaches_us: bool


@dataclass(frozen=True)
class AccessPath:
    hops: tuple[str, ...]
    accounts: tuple[str, ...]
    reaches_us: bool


@dataclass(frozen=True)
class PathLimits:
    """Where a walk stops: after ``paths`` paths, before the paths' JSON passes about
    ``bytes`` bytes, or after ``seconds`` seconds (None: no time limit; the answer then
    depends on the data alone)."""

    paths: int = MAX_PATHS
    bytes: int = MAX_PATH_BYTES
    seconds: float | None = MAX_SECONDS

    def deadline(self) -> float | None:
        return None if self.seconds is None else time.monotonic() + self.seconds


@dataclass(frozen=True)
class FoundPaths:
    """The paths of a walk, and whether it stopped at a bound with more left to list."""

    paths: list[AccessPath]
    truncated: bool


@dataclass
class _Row:
    """One account between one holder and one maintainer, with every value read for it."""

    account: str
    holder: str
    maintainer: str
    correspondent: bool = False
    maintainer_fi: bool = False
    has_opened: bool = False
    has_closed: bool = False
    opened: set[Day] = field(default_factory=set)
    closed: set[Day] = field(default_factory=set)
    """Whether the account states an opening (closing) date, and those of its dates that
    are ``xsd:date`` values, as (year, month, day)."""
    placed: set[str] = field(default_factory=set)
    jurisdictions: set[str] = field(default_factory=set)
    located: set[str] = field(default_factory=set)

    def open_on(self, day: Day) -> bool:
        """Opened on or before ``day`` and not closed on or before it, as the SPARQL
        filter ``(!BOUND(?opened) || ?opened <= ?day) && (!BOUND(?closed) || ?closed >
        ?day)`` holds for some pair of its dates: a date that is not an ``xsd:date``
        (an IRI, a string) fails its comparison, so an account whose only opening date
        is one is never open."""
        return (not self.has_opened or any(opened <= day for opened in self.opened)) and (
            not self.has_closed or any(closed > day for closed in self.closed)
        )

    def reaches_us(self) -> bool:
        place = self.placed or self.located or self.jurisdictions
        covered = self.maintainer_fi and (str(US) in self.jurisdictions or str(US) in self.located)
        return self.correspondent and covered and str(US) in place


@dataclass
class AccessData:
    """Accounts by holder (open or not, with their periods) and the data-package id of
    each node: what the walk reads, from the whole store (:func:`load_access_data`, kept
    by the API) or one level at a time (:func:`load_edges` without it)."""

    by_holder: dict[str, list[_Row]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    _rows: dict[tuple[str, str, str], _Row] = field(default_factory=dict, repr=False)

    def add(self, solutions: list[dict[str, str | None]]) -> None:
        """Add solutions of ``queries/analysis/access-accounts.rq`` (as
        :func:`~sanctiongraph.queries.select_values` gives them)."""
        for s in solutions:
            account, holder, maintainer = s["account"], s["holder"], s["maintainer"]
            if account is None or holder is None or maintainer is None:
                continue  # the pattern binds them all
            key = (account, holder, maintainer)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = _Row(*key)
                self.by_holder.setdefault(key[1], []).append(row)
            row.correspondent = row.correspondent or _true(s["correspondent"])
            row.maintainer_fi = row.maintainer_fi or _true(s["maintainerFi"])
            row.has_opened = row.has_opened or _true(s["hasOpened"])
            row.has_closed = row.has_closed or _true(s["hasClosed"])
            for value, bucket in ((s["opened"], row.opened), (s["closed"], row.closed)):
                found = _day(value)
                if found is not None:
                    bucket.add(found)
            for name, places in (
                ("placed", row.placed),
                ("maintainerJurisdiction", row.jurisdictions),
                ("maintainerLocated", row.located),
            ):
                if (place := s[name]) is not None:
                    places.add(place)
            for node, ident in (
                (account, "accountId"),
                (holder, "holderId"),
                (maintainer, "maintainerId"),
            ):
                value = s[ident]
                if value is not None:
                    known = self.ids.get(node)
                    if known is None or value < known:
                        self.ids[node] = value


def load_access_data(store: GraphStore) -> AccessData:
    """Every account in the store, for walks from any institution on any date."""
    data = AccessData()
    data.add(select_values(store, load_query("analysis/access-accounts").text))
    return data


def load_edges(
    store: GraphStore,
    start: str,
    as_of: date,
    max_depth: int = MAX_DEPTH_LIMIT,
    data: AccessData | None = None,
    deadline: float | None = None,
) -> tuple[list[Edge], dict[str, str], bool]:
    """The open accounts on paths of up to ``max_depth`` accounts from ``start``, the
    data-package id of each node, and whether ``deadline`` (a ``time.monotonic()``
    value) passed before every level was read (the edges then stop at a level).

    Walks outwards one level at a time. Without ``data``, each level's accounts are read
    with the level's holders bound in a VALUES block: a property path from ``start``
    joined with the accounts made Oxigraph match every account in the store first, and
    Virtuoso needs one end of a path bound.
    """
    text = load_query("analysis/access-accounts").text if data is None else None
    data = data if data is not None else AccessData()
    day = (as_of.year, as_of.month, as_of.day)
    edges: list[Edge] = []
    reached = {start}
    level = [start]
    for _ in range(max_depth):
        if not level:
            break
        if deadline is not None and time.monotonic() > deadline:
            return edges, data.ids, True
        if text is not None:  # read this level's accounts
            for query in with_rows_chunked(text, ["holder"], iri_rows(sorted(level))):
                data.add(select_values(store, query))
        next_level: set[str] = set()
        for holder in level:
            for row in data.by_holder.get(holder, ()):
                if row.open_on(day):
                    edges.append(Edge(row.account, row.holder, row.maintainer, row.reaches_us()))
                    if row.maintainer not in reached and ":" in row.maintainer:
                        next_level.add(row.maintainer)  # a blank node cannot be bound
        reached |= next_level
        level = list(next_level)
    return edges, data.ids, False


def find_paths(
    edges: list[Edge],
    start: str,
    max_depth: int,
    name: Callable[[str], str] = lambda iri: iri,
    limits: PathLimits = PathLimits(),
    deadline: float | None = None,
) -> FoundPaths:
    """Simple paths of 1..``max_depth`` accounts from ``start``, depth first, each node's
    accounts in the order of their names, up to ``limits`` (``deadline``, a
    ``time.monotonic()`` value, overrides ``limits.seconds`` when given)."""
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    by_holder: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        by_holder[edge.holder].append(edge)
    for out in by_holder.values():
        out.sort(key=lambda e: (name(e.account), e.account, name(e.maintainer)))
    if deadline is None:
        deadline = limits.deadline()
    return _preorder(by_holder, start, max_depth, name, limits, deadline)


# The JSON of a path: {"hops": [], "accounts": [], "reaches_us": false}, and each id in
# it with its quotes, comma and space.
_PATH_JSON_BYTES = 50
_ID_JSON_BYTES = 4


def _preorder(
    by_holder: dict[str, list[Edge]],
    start: str,
    max_depth: int,
    name: Callable[[str], str],
    limits: PathLimits,
    deadline: float | None,
) -> FoundPaths:
    """Depth-first pre-order with an explicit stack of edge iterators (no recursion
    limit to meet; a path is built only when it is listed)."""
    paths: list[AccessPath] = []
    total = 0
    sizes: dict[str, int] = {}

    def size(node: str) -> int:
        found = sizes.get(node)
        if found is None:
            found = sizes[node] = len(name(node).encode()) + _ID_JSON_BYTES
        return found

    root = AccessPath((start,), (), False)
    stack = [(root, _PATH_JSON_BYTES + size(start), iter(by_holder.get(start, ())))]
    while stack:
        current, current_size, following = stack[-1]
        edge = next(following, None)
        if edge is None:
            stack.pop()
            continue
        if edge.maintainer in current.hops:
            continue
        path_size = current_size + size(edge.account) + size(edge.maintainer)
        if (
            len(paths) >= limits.paths
            or total + path_size > limits.bytes
            or (deadline is not None and len(paths) % 64 == 0 and time.monotonic() > deadline)
        ):
            return FoundPaths(paths, True)
        path = AccessPath(
            current.hops + (edge.maintainer,), current.accounts + (edge.account,), edge.reaches_us
        )
        paths.append(path)
        total += path_size
        if len(path.accounts) < max_depth:
            stack.append((path, path_size, iter(by_holder.get(edge.maintainer, ()))))
    return FoundPaths(paths, False)


class PathOut(TypedDict):
    hops: list[str]
    accounts: list[str]
    reaches_us: bool


class AccessPathsBody(TypedDict):
    """:func:`access_paths`' answer."""

    entity: str
    paths: list[PathOut]
    truncated: bool


def access_paths(
    store: GraphStore,
    entity_iri: str,
    as_of: date,
    max_depth: int = DEFAULT_MAX_DEPTH,
    data: AccessData | None = None,
    limits: PathLimits = PathLimits(),
) -> AccessPathsBody:
    """The indirect-access paths from an institution on ``as_of``, up to ``limits``.

    Returns exactly ``{"entity", "paths": [{"hops", "accounts", "reaches_us"}],
    "truncated"}``, the body of ``GET /entities/{id}/access-paths`` and of
    ``sanctiongraph access --format json``; ``truncated`` is true when the walk stopped
    at a bound with paths left to list (the listed ones are then the first in the
    walk's order, unless time ran out while the accounts were read: then the paths of
    the levels read). Ids are data-package ids where the node has one, else IRIs. ``entity_iri``
    may also be a data-package id. Raises :class:`UnknownEntity` (a ``LookupError``) for
    an entity the store does not hold, and ``ValueError`` for a ``max_depth`` outside
    1..:data:`MAX_DEPTH_LIMIT`.

    ``data`` may be the whole store's :func:`load_access_data`, read once and shared (the
    API keeps one): the answer is the same, without querying the store at all when
    ``entity_iri`` is the IRI of an account holder in it.
    """
    if not 1 <= max_depth <= MAX_DEPTH_LIMIT:
        raise ValueError(f"max_depth must be between 1 and {MAX_DEPTH_LIMIT}, not {max_depth}")
    iri = entity_iri_of(entity_iri)
    if data is not None and iri in data.by_holder:  # the IRI resolve_entity would give
        label = data.ids.get(iri)  # its smallest id, as resolved
    else:
        resolved = resolve_entity(store, entity_iri)
        iri, label = resolved.iri, resolved.id
    deadline = limits.deadline()
    edges, ids, cut = load_edges(store, iri, as_of, max_depth, data, deadline)

    def name(node: str) -> str:
        return label if node == iri and label is not None else ids.get(node, node)

    found = find_paths(edges, iri, max_depth, name, limits, deadline)
    names = {iri: name(iri)}  # each node named once, not once per path it is on
    for edge in edges:
        for node in (edge.account, edge.maintainer):
            if node not in names:
                names[node] = name(node)
    named = names.__getitem__
    return {
        "entity": names[iri],
        "paths": [
            {
                "hops": list(map(named, p.hops)),
                "accounts": list(map(named, p.accounts)),
                "reaches_us": p.reaches_us,
            }
            for p in found.paths
        ],
        "truncated": found.truncated or cut,
    }


def render_text(body: AccessPathsBody, as_of: date, max_depth: int) -> str:
    """A readable rendering of :func:`access_paths`' answer."""
    paths = body["paths"]
    reaching = sum(1 for p in paths if p["reaches_us"])
    lines = [
        f"indirect access from {body['entity']} as of {as_of.isoformat()} "
        f"(at most {max_depth} accounts deep): {len(paths)} "
        f"path{'s' if len(paths) != 1 else ''}, {reaching} reaching the United States"
        + (" (truncated: more paths exist; lower --max-depth)" if body.get("truncated") else "")
    ]
    for p in paths:
        chain = p["hops"][0]
        for account, hop in zip(p["accounts"], p["hops"][1:]):
            chain += f" --[{account}]--> {hop}"
        lines.append(f"  {'US ' if p['reaches_us'] else '   '} {chain}")
    return "\n".join(lines)


def _true(value: str | None) -> bool:
    """An EXISTS result: ``true`` (Oxigraph) or ``1`` (Virtuoso answers with an integer)."""
    return value in ("true", "1")


def _day(value: str | None) -> Day | None:
    """The (year, month, day) of an ``xsd:date`` lexical form (years beyond 9999 and
    before 1 included; a time zone after it is ignored, so such a date compares by its
    day); None for none or a malformed one."""
    match = _XSD_DATE.match(value or "")
    if match is None:
        return None
    year, month, day = map(int, match.groups())
    return (year, month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None
