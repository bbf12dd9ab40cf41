"""Derivers compute facts for one as-of date into the derived graph.

A deriver is a module in this package with ``ORDER: int`` and
``derive(store, as_of) -> None`` that adds its triples to :data:`DERIVED` with
``store.add_triples``. Derivers run in ``ORDER``; each one sees, through the union
graph, what the earlier ones derived. Adding a module adds a deriver.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from types import ModuleType

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.namespaces import GRAPH, SG
from sanctiongraph.store import GraphStore

DERIVED = ox.NamedNode(str(GRAPH.derived))


def derivers() -> list[ModuleType]:
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted((m for m in modules if hasattr(m, "derive")), key=lambda m: (m.ORDER, m.__name__))


def as_of_triple(as_of: date) -> ox.Triple:
    return ox.Triple(DERIVED, ox.NamedNode(str(SG.asOf)),
                     ox.Literal(as_of.isoformat(), datatype=ox.NamedNode(str(XSD.date))))


def run_derivers(store: GraphStore, as_of: date) -> int:
    """Recompute the derived graph for ``as_of``; return its size."""
    store.replace_graph(DERIVED, [as_of_triple(as_of)])
    for module in derivers():
        module.derive(store, as_of)
    return store.count(DERIVED)
