"""Plain RDFS closure and the data package's defaults, so shapes can use ``rdf:type``.

Runs first. Also checks LEI check digits (ISO 17442 uses ISO 7064 MOD 97-10), which
SPARQL cannot compute, and records the result as ``sg:leiChecksumValid``.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
from rdflib import XSD

from sanctiongraph.derive import DERIVED
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


def lei_checksum_valid(lei: str) -> bool:
    """True when ``lei`` is 20 upper-case alphanumerics whose MOD 97-10 remainder is 1."""
    if len(lei) != 20 or not lei.isascii() or not lei.isalnum() or lei != lei.upper():
        return False
    digits = "".join(str(int(ch, 36)) for ch in lei)
    return int(digits) % 97 == 1


def derive(store: GraphStore, as_of: date) -> None:
    for step in STEPS:
        # Each step sees the previous steps' output through the union graph.
        store.add_constructed(DERIVED, load_query(step).text)
    derived = []
    valid = ox.NamedNode(str(SG.leiChecksumValid))
    boolean = ox.NamedNode(str(XSD.boolean))
    for solution in store.query(f"SELECT DISTINCT ?x ?lei WHERE {{ ?x <{SG.lei}> ?lei }}"):
        ok = lei_checksum_valid(solution["lei"].value)
        derived.append(
            ox.Triple(solution["x"], valid, ox.Literal(str(ok).lower(), datatype=boolean))
        )
    store.add_triples(DERIVED, derived)
