"""Runs last: the RDFS closure again, for the types and statements rule derivers added.

Only the derived graph's own types are closed here: the sources' types were closed
by :mod:`sanctiongraph.derive.types` before the rule derivers ran.
"""

from __future__ import annotations

from datetime import date

from sanctiongraph.derive import DERIVED
from sanctiongraph.queries import load_query
from sanctiongraph.store import GraphStore

ORDER = 1000


def derive(store: GraphStore, as_of: date) -> None:
    for step in ("derive/derived-subclass-closure", "derive/subproperty-closure"):
        store.add_constructed(DERIVED, load_query(step).text)
