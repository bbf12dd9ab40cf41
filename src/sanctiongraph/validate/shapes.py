"""The bundled SHACL shapes: discovered from ``shapes/<rule-key>/*.ttl``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import DCTERMS, RDF, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from sanctiongraph.resources import shapes_dir

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def shape_files(root: Path | None = None) -> list[Path]:
    return sorted((root or shapes_dir()).rglob("*.ttl"))


@lru_cache(maxsize=1)
def bundled_shapes() -> Graph:
    """All bundled shapes in one graph (parsed once per process; do not mutate)."""
    graph = Graph()
    for path in shape_files():
        graph.parse(data=path.read_bytes(), format="turtle", publicID=path.as_uri())
    return graph


@dataclass(frozen=True)
class ShapeInfo:
    """What the report needs to know about a shape."""

    shape: URIRef
    provision: URIRef | None
    severity: str


def shape_info(shapes: Graph, shape: Node) -> ShapeInfo:
    """The provision a shape cites and its severity; property shapes inherit from
    the node shape that holds them when they say nothing themselves."""
    provision = shapes.value(shape, DCTERMS.source)
    severity = shapes.value(shape, SH.severity)
    for parent in shapes.subjects(SH.property, shape):
        provision = provision or shapes.value(parent, DCTERMS.source)
        severity = severity or shapes.value(parent, SH.severity)
    return ShapeInfo(
        URIRef(str(shape)),
        URIRef(str(provision)) if provision else None,
        SEVERITIES.get(URIRef(str(severity)), "violation"),
    )


def shape_nodes(shapes: Graph) -> set[Node]:
    """Every node shape and property shape."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    found |= set(shapes.objects(None, SH.property))
    return found


_NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.severity,
    SH.message,
    SH.name,
    SH.description,
    SH.deactivated,
    SH.path,
    SH.order,
    SH.group,
}


def firing_shapes(shapes: Graph) -> set[Node]:
    """Shapes that carry a constraint of their own, so a result can name them."""
    return {
        s
        for s in shape_nodes(shapes)
        if any(
            str(p).startswith(str(SH)) and p not in _NOT_CONSTRAINTS
            for p in shapes.predicates(s, None)
        )
    }
