"""Runs last: the RDFS closure again, over the types that rule derivers added."""

from __future__ import annotations

from datetime import date

from sanctiongraph.derive import DERIVED
from sanctiongraph.queries import load_query
from sanctiongraph.store import GraphStore

ORDER = 1000


def derive(store: GraphStore, as_of: date) -> None:
    for step in ("derive/subclass-closure", "derive/subproperty-closure"):
        store.add_constructed(DERIVED, load_query(step).text)
