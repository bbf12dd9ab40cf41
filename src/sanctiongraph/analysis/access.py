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
organised or located in the United States (as ``derive/fincen311.py`` classifies them).

Every path of one to ``max_depth`` accounts is listed, prefixes included, so a chain that
passes through the United States and goes on is shown at each step. No institution occurs
twice in a path, so cycles of nested accounts terminate. The SPARQL lives in
``queries/analysis/access-accounts.rq``; it reads only asserted data (no derived graph),
so the answer does not depend on the date the store was last derived for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.analysis.loader import UnknownEntity, resolve_entity
from sanctiongraph.namespaces import country
from sanctiongraph.queries import load_query, with_rows_chunked
from sanctiongraph.store import GraphStore

__all__ = ["DEFAULT_MAX_DEPTH", "MAX_DEPTH_LIMIT", "AccessPath", "UnknownEntity",
           "access_paths", "find_paths", "render_text"]

DEFAULT_MAX_DEPTH = 4
MAX_DEPTH_LIMIT = 10
US = country("US")


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


@dataclass
class _Row:
    account: str
    holder: str
    maintainer: str
    correspondent: bool = False
    maintainer_fi: bool = False
    placed: set[str] = field(default_factory=set)
    jurisdictions: set[str] = field(default_factory=set)
    located: set[str] = field(default_factory=set)

    def reaches_us(self) -> bool:
        place = self.placed or self.located or self.jurisdictions
        covered = self.maintainer_fi and (str(US) in self.jurisdictions or str(US) in self.located)
        return self.correspondent and covered and str(US) in place


def load_edges(store: GraphStore, start: str, as_of: date,
               max_depth: int = MAX_DEPTH_LIMIT) -> tuple[list[Edge], dict[str, str]]:
    """The open accounts on paths of up to ``max_depth`` accounts from ``start``, and the
    data-package id of each node.

    Walks outwards one level per query, with the level's holders bound in a VALUES
    block: a property path from ``start`` joined with the accounts made Oxigraph match
    every account in the store first, and Virtuoso needs one end of a path bound.
    """
    rows: dict[tuple[str, str, str], _Row] = {}
    ids: dict[str, str] = {}
    text = load_query("analysis/access-accounts").text
    as_of_term = ox.Literal(as_of.isoformat(), datatype=ox.NamedNode(str(XSD.date)))
    reached = {start}
    level = [start]
    for _ in range(max_depth):
        if not level:
            break
        next_level: set[str] = set()
        for s in (s for query in with_rows_chunked(text, ["holder"],
                                                   [[ox.NamedNode(h)] for h in sorted(level)])
                  for s in store.query(query, {"asOf": as_of_term})):
            key = (s["account"].value, s["holder"].value, s["maintainer"].value)
            row = rows.setdefault(key, _Row(*key))
            row.correspondent = row.correspondent or _true(s["correspondent"])
            row.maintainer_fi = row.maintainer_fi or _true(s["maintainerFi"])
            for name, bucket in (("placed", row.placed),
                                 ("maintainerJurisdiction", row.jurisdictions),
                                 ("maintainerLocated", row.located)):
                if s[name] is not None:
                    bucket.add(s[name].value)
            for node, ident in (("account", "accountId"), ("holder", "holderId"),
                                ("maintainer", "maintainerId")):
                if s[ident] is not None:
                    iri = s[node].value
                    ids[iri] = min(ids.get(iri, s[ident].value), s[ident].value)
            if key[2] not in reached:
                next_level.add(key[2])
        reached |= next_level
        level = list(next_level)
    edges = [Edge(r.account, r.holder, r.maintainer, r.reaches_us()) for r in rows.values()]
    return edges, ids


def find_paths(edges: list[Edge], start: str, max_depth: int,
               name=lambda iri: iri) -> list[AccessPath]:
    """Every simple path of 1..``max_depth`` accounts from ``start``, depth first, each
    node's accounts in the order of their names."""
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    by_holder: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        by_holder[edge.holder].append(edge)
    for out in by_holder.values():
        out.sort(key=lambda e: (name(e.account), e.account, name(e.maintainer)))
    return _preorder(by_holder, start, max_depth)


def _preorder(by_holder: dict[str, list[Edge]], start: str, max_depth: int) -> list[AccessPath]:
    """Depth-first pre-order with an explicit stack (no recursion limit to meet)."""
    paths: list[AccessPath] = []
    root = AccessPath((start,), (), False)
    stack = [root]
    while stack:
        current = stack.pop()
        if current is not root:
            paths.append(current)
        if len(current.accounts) >= max_depth:
            continue
        children = [AccessPath(current.hops + (e.maintainer,), current.accounts + (e.account,),
                               e.reaches_us)
                    for e in by_holder.get(current.hops[-1], []) if e.maintainer not in current.hops]
        stack.extend(reversed(children))
    return paths


def access_paths(store: GraphStore, entity_iri: str, as_of: date,
                 max_depth: int = DEFAULT_MAX_DEPTH) -> dict:
    """The indirect-access paths from an institution on ``as_of``.

    Returns exactly ``{"entity", "paths": [{"hops", "accounts", "reaches_us"}]}``, the
    body of ``GET /entities/{id}/access-paths`` and of ``sanctiongraph access --format
    json``. Ids are data-package ids where the node has one, else IRIs. ``entity_iri``
    may also be a data-package id. Raises :class:`UnknownEntity` (a ``LookupError``) for
    an entity the store does not hold, and ``ValueError`` for a ``max_depth`` outside
    1..:data:`MAX_DEPTH_LIMIT`.
    """
    if not 1 <= max_depth <= MAX_DEPTH_LIMIT:
        raise ValueError(f"max_depth must be between 1 and {MAX_DEPTH_LIMIT}, not {max_depth}")
    iri, label = resolve_entity(store, entity_iri)
    edges, ids = load_edges(store, iri, as_of, max_depth)
    if label is not None:
        ids[iri] = label

    def name(node: str) -> str:
        return ids.get(node, node)

    paths = find_paths(edges, iri, max_depth, name)
    return {
        "entity": name(iri),
        "paths": [{"hops": [name(h) for h in p.hops],
                   "accounts": [name(a) for a in p.accounts],
                   "reaches_us": p.reaches_us} for p in paths],
    }


def render_text(body: dict, as_of: date, max_depth: int) -> str:
    """A readable rendering of :func:`access_paths`' answer."""
    paths = body["paths"]
    reaching = sum(1 for p in paths if p["reaches_us"])
    lines = [f"indirect access from {body['entity']} as of {as_of.isoformat()} "
             f"(at most {max_depth} accounts deep): {len(paths)} "
             f"path{'s' if len(paths) != 1 else ''}, {reaching} reaching the United States"]
    for p in paths:
        chain = p["hops"][0]
        for account, hop in zip(p["accounts"], p["hops"][1:]):
            chain += f" --[{account}]--> {hop}"
        lines.append(f"  {'US ' if p['reaches_us'] else '   '} {chain}")
    return "\n".join(lines)


def _true(term) -> bool:
    """An EXISTS result: ``true`` (Oxigraph) or ``1`` (Virtuoso answers with an integer)."""
    return term is not None and term.value in ("true", "1")
