"""Derivers compute facts for one as-of date into the derived graph.

A deriver is a module in this package with ``ORDER: int`` and
``derive(store, as_of) -> None`` that adds its triples to :data:`DERIVED` with
``store.add_triples``. Derivers run in ``ORDER``; each one sees, through the union
graph, what the earlier ones derived. Adding a module adds a deriver.

The derived graph is complete only while it carries ``sg:derivationComplete``
(:func:`run_derivers` writes it last; :func:`invalidate_derived` removes it before any
other graph changes). A crash part-way through a load or a derivation leaves the graph
without it, and :func:`ensure_derived` computes it again before anything reads it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from datetime import date
from types import ModuleType

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.namespaces import GRAPH, SG
from sanctiongraph.store import GraphStore

DERIVED = ox.NamedNode(str(GRAPH.derived))
COMPLETE = ox.Triple(
    DERIVED,
    ox.NamedNode(str(SG.derivationComplete)),
    ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean))),
)
_ASK_COMPLETE = f"ASK {{ GRAPH {DERIVED} {{ {COMPLETE} }} }}"


def derivers() -> list[ModuleType]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted((m for m in modules if hasattr(m, "derive")), key=lambda m: (m.ORDER, m.__name__))


def as_of_triple(as_of: date) -> ox.Triple:
    return ox.Triple(
        DERIVED,
        ox.NamedNode(str(SG.asOf)),
        ox.Literal(as_of.isoformat(), datatype=ox.NamedNode(str(XSD.date))),
    )


Deriver = Callable[[GraphStore, date], None]


def run_derivers(
    store: GraphStore, as_of: date, replacements: Mapping[str, Deriver] | None = None
) -> int:
    """Recompute the derived graph for ``as_of``; return its size.

    ``replacements`` maps a deriver's module name to a function run in its place, with
    the same result (``--compute spark``: :func:`sanctiongraph.spark.spark_derivers`).
    The graph is rewritten in place (on disk, one transaction that replaced a million
    derived triples took minutes) and marked complete last: until then it carries no
    ``sg:derivationComplete``, so an interrupted run is recognised and redone."""
    store.replace_graph(DERIVED, [as_of_triple(as_of)])
    replacements = replacements or {}
    for module in derivers():
        replacements.get(module.__name__, module.derive)(store, as_of)
    store.add_triples(DERIVED, [COMPLETE])
    return store.count(DERIVED)


def derived_is_complete(store: GraphStore) -> bool:
    """Whether the derived graph was finished and no other graph changed since."""
    return bool(store.query(_ASK_COMPLETE))


def invalidate_derived(store: GraphStore) -> None:
    """Mark the derived graph stale; call it before changing any other graph."""
    store.update(f"DELETE DATA {{ GRAPH {DERIVED} {{ {COMPLETE} }} }}")


def mark_derived_complete(store: GraphStore) -> None:
    """Restore the mark after a write that turned out to change nothing."""
    store.add_triples(DERIVED, [COMPLETE])


def derived_date(store: GraphStore) -> date | None:
    """The as-of date the derived graph was (or was being) computed for."""
    rows = list(
        store.query(f"SELECT ?d WHERE {{ GRAPH {DERIVED} {{ {DERIVED} <{SG.asOf}> ?d }} }}")
    )
    try:
        return date.fromisoformat(rows[0]["d"].value) if rows else None
    except ValueError:
        return None


def ensure_derived(store: GraphStore, as_of: date | None = None) -> date | None:
    """Compute the derived graph when it is missing, unfinished or stale (a load or a
    derivation was interrupted), for the date it was computed for (else ``as_of``,
    else today). Return that date when a derived graph was there but unfinished or
    stale, else ``None``."""
    if derived_is_complete(store):
        return None
    existed = DERIVED in store.graphs()
    day = derived_date(store) or as_of or date.today()
    run_derivers(store, day)
    return day if existed else None
