"""Plain RDFS closure and the data package's defaults, so shapes can use ``rdf:type``.

Runs first. Also checks LEI check digits (ISO 17442 uses ISO 7064 MOD 97-10), which
SPARQL cannot compute, and records the result as ``sg:leiChecksumValid``.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.derive import DERIVED
from sanctiongraph.imports.model import lei_check_digits_ok
from sanctiongraph.namespaces import SG
from sanctiongraph.queries import load_query
from sanctiongraph.store import GraphStore

ORDER = 0
STEPS = (
    "derive/office-types",
    "derive/defaults",
    "derive/subclass-closure",
    "derive/subproperty-closure",
)


def derive(store: GraphStore, as_of: date) -> None:
    for step in STEPS:
        # Each step sees the previous steps' output through the union graph.
        store.add_constructed(DERIVED, load_query(step).text)
    derived = []
    valid = ox.NamedNode(str(SG.leiChecksumValid))
    boolean = ox.NamedNode(str(XSD.boolean))
    for solution in store.query(f"SELECT DISTINCT ?x ?lei WHERE {{ ?x <{SG.lei}> ?lei }}"):
        ok = lei_check_digits_ok(solution["lei"].value)
        derived.append(
            ox.Triple(solution["x"], valid, ox.Literal(str(ok).lower(), datatype=boolean))
        )
    store.add_triples(DERIVED, derived)
