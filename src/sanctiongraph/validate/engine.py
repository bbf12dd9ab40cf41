"""Turn the shapes and the store into findings.

The reference engine is pySHACL. Whatever engine decides *which* (focus, shape) pairs
fail, :func:`explain` computes the citation, message and evidence the same way: for a
SPARQL constraint it reruns the constraint's SELECT in Oxigraph with ``$this`` bound,
and reads ``?citation`` and the ``?ev_*`` variables of each solution.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import pyoxigraph as ox
from rdflib import DCTERMS, RDFS, Graph
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from sanctiongraph.analysis.ownership import OPEN_START
from sanctiongraph.namespaces import REF, SG
from sanctiongraph.queries import select_values
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import graph_from_triples, to_oxigraph
from sanctiongraph.validate.report import Finding
from sanctiongraph.validate.rules import DATA_QUALITY, rule_of_shape
from sanctiongraph.validate.shapes import ShapeInfo, shape_info

_COUNTRY = str(REF["country/"])
_PLACEHOLDER = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class RawResult:
    """One (focus, shape) failure as an engine reports it."""

    focus: Node
    shape: Node
    message: str | None
    constraint: Node | None = None
    value: Node | None = None
    rows: tuple[dict[str, Any], ...] | None = None  # SPARQL solutions, when the engine has them


class _ShapeParts(NamedTuple):
    info: ShapeInfo
    template: str | None  # the constraint's sh:message, else the shape's
    show: Callable[[Any], str]  # how a message shows a node


def run_pyshacl(store: GraphStore, shapes: Graph) -> list[RawResult]:
    """The reference engine: pySHACL over the union of every graph in the store."""
    from pyshacl import validate

    data = graph_from_triples(store.triples())
    _, results_graph, _ = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        abort_on_first=False,
    )
    results = []
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        message = results_graph.value(result, SH.resultMessage)
        results.append(
            RawResult(
                focus=results_graph.value(result, SH.focusNode),
                shape=results_graph.value(result, SH.sourceShape),
                message=str(message) if message is not None else None,
                constraint=results_graph.value(result, SH.sourceConstraint),
                value=results_graph.value(result, SH.value),
            )
        )
    return results


class Explainer:
    """Citation, message and evidence for raw results (shared by every engine)."""

    def __init__(self, store: GraphStore, shapes: Graph) -> None:
        self.store = store
        self.shapes = shapes
        self.prefixes = self.prefix_block(shapes)
        self._citations = {
            s["p"].value: s["c"].value
            for s in store.query(f"SELECT ?p ?c WHERE {{ ?p <{SG.citation}> ?c }}")
        }
        self._ids: dict[str, str] | None = None
        self._cited: dict[str, str] | None = None
        self._labels: dict[str, str] | None = None
        self._parts: dict[tuple[Node, Node | None], _ShapeParts] = {}

    @staticmethod
    def prefix_block(shapes: Graph) -> str:
        """PREFIX lines for every ``sh:declare`` in the shapes graph."""
        declared = {
            (str(shapes.value(d, SH.prefix)), str(shapes.value(d, SH.namespace)))
            for d in shapes.objects(None, SH.declare)
        }
        return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(declared))

    def identifier(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        if self._ids is None:
            # One query for all: findings name thousands of nodes on a large graph.
            self._ids = {}
            for row in select_values(
                self.store, f"SELECT ?x ?id WHERE {{ ?x <{DCTERMS.identifier}> ?id }}"
            ):
                if row["x"] is not None and row["id"] is not None:
                    self._ids.setdefault(row["x"], row["id"])
        return self._ids.get(term.value)

    def display(self, term: Any) -> str:
        """A literal's text; a node's data-package id, else how it is cited (an imported
        designation or holding: "OFAC SDN List, publication of 2023-06-01, entry 15603",
        and the link through which it applies to a user's entity), else its IRI."""
        if isinstance(term, ox.Literal):
            return term.value
        return self.identifier(term) or self.cited(term) or term.value

    def evidence(self, term: Any) -> str:
        """:meth:`display`, but the open start of an unknown interval (``possibly_from``
        ``open``, stored as 0001-01-01) is ``open``, as the data package writes it."""
        if (
            isinstance(term, ox.Literal)
            and term.value == OPEN_START
            and term.datatype.value == str(XSD.date)
        ):
            return "open"
        return self.display(term)

    def cited(self, term: ox.NamedNode | ox.BlankNode) -> str | None:
        if self._cited is None:
            self._cited = {}
            for row in select_values(
                self.store,
                f"""
                    SELECT ?x ?cited ?link WHERE {{
                      ?x <{SG.citedAs}> ?cited .
                      OPTIONAL {{ ?x <{SG.viaLink}>/<{RDFS.label}> ?link }} }}""",
            ):
                text = row["cited"] or ""
                if row["link"]:
                    text += f", applied through the link {row['link']}"
                self._cited.setdefault(row["x"] or "", text)
        return self._cited.get(term.value) if isinstance(term, ox.NamedNode) else None

    def describe(self, term: Any) -> str:
        """A node in words, for data-quality messages (which RDF input gets too): its
        data-package id and its name, ``c1 (Good Bank)``; a country by its code."""
        if not isinstance(term, ox.NamedNode):
            return self.display(term)
        if term.value.startswith(_COUNTRY):
            return term.value[len(_COUNTRY) :]
        if self._labels is None:
            self._labels = {}
            for row in select_values(self.store, f"SELECT ?x ?l WHERE {{ ?x <{RDFS.label}> ?l }}"):
                self._labels.setdefault(row["x"] or "", row["l"] or "")
        name, label = self.identifier(term), self._labels.get(term.value)
        if name and label and label != name:
            return f"{name} ({label})"
        if name or label:
            return name or label or ""
        for row in self.store.query(f"""SELECT ?a ?b ?kind WHERE {{
                {{ {term} <{SG.owner}> ?a ; <{SG.owned}> ?b BIND ("holding" AS ?kind) }}
                UNION {{ {term} <{SG.designates}> ?a ; <{SG.onList}> ?b BIND ("listing" AS ?kind) }}
                }} LIMIT 1"""):
            a, b = self.describe(row["a"]), row["b"].value.rsplit("/", 1)[-1]
            if row["kind"].value == "holding":
                return f"the holding of {a} in {self.describe(row['b'])}"
            return f"the listing of {a} on {b}"
        return f"the node {term.value}"

    def citation(self, provision: Node | ox.NamedNode | None) -> str | None:
        if provision is None:
            return None
        return self._citations.get(
            str(provision.value if isinstance(provision, ox.NamedNode) else provision)
        )

    def _shape_parts(self, shape: Node, constraint: Node | None) -> _ShapeParts:
        """A shape's info and message template, read from the shapes graph once per
        (shape, constraint): a large graph has thousands of results per shape."""
        key = (shape, constraint)
        parts = self._parts.get(key)
        if parts is None:
            template = self.shapes.value(constraint, SH.message) if constraint else None
            template = template or self.shapes.value(shape, SH.message)
            show = self.describe if rule_of_shape(str(shape)) == DATA_QUALITY else self.display
            parts = self._parts[key] = _ShapeParts(
                shape_info(self.shapes, shape),
                str(template) if template is not None else None,
                show,
            )
        return parts

    def explain(self, raw: RawResult) -> list[Finding]:
        info, template, show = self._shape_parts(raw.shape, raw.constraint)
        focus = to_oxigraph(raw.focus)
        rows = self._solutions(raw, focus)
        findings = []
        for row in rows or [{}]:
            bindings = {"this": focus, **row}
            if raw.value is not None and "value" not in bindings:
                bindings["value"] = to_oxigraph(raw.value)
            text = template if template is not None else (raw.message or "")
            message = _PLACEHOLDER.sub(partial(_fill, show, bindings), text)
            citation_node = row.get("citation")
            citation = self.citation(citation_node) if citation_node else None
            findings.append(
                Finding(
                    severity=info.severity,
                    citation=citation or self.citation(info.provision),
                    focus=focus.value,
                    id=self.identifier(focus),
                    message=message,
                    shape=str(raw.shape),
                    evidence=tuple(
                        self.evidence(row[k]) for k in sorted(row) if k.startswith("ev_")
                    ),
                )
            )
        return findings

    def _solutions(
        self, raw: RawResult, focus: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> list[dict[str, Any]]:
        if raw.rows is not None:
            return list(raw.rows)
        select = self.shapes.value(raw.constraint, SH.select) if raw.constraint else None
        if select is None:
            return []
        solutions = self.store.query(self.prefixes + str(select), {"this": focus})
        names = [v.value for v in solutions.variables]
        return [{n: s[n] for n in names if s[n] is not None and n != "this"} for s in solutions]


def merge(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per (focus, shape, citation, message); evidence is unioned in order."""
    merged: dict[tuple[str, str, str | None, str], Finding] = {}
    for f in findings:
        key = (f.focus, f.shape, f.citation, f.message)
        if key in merged:
            old = merged[key]
            evidence = old.evidence + tuple(e for e in f.evidence if e not in old.evidence)
            merged[key] = Finding(
                old.severity, old.citation, old.focus, old.id, old.message, old.shape, evidence
            )
        else:
            merged[key] = f
    return tuple(sorted(merged.values(), key=Finding.sort_key))


__all__ = ["Explainer", "RawResult", "merge", "run_pyshacl"]


def _fill(show: Callable[[Any], str], bindings: dict[str, Any], match: re.Match[str]) -> str:
    """A message's ``{?name}`` (or ``{$name}``) with its value shown, or nothing if unbound."""
    name = match.group(1)
    return show(bindings[name]) if name in bindings else ""
