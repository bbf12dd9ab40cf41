"""The validation report: findings with citation and evidence, in JSON, text or Turtle."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from sanctiongraph.ingest.errors import InputError
from sanctiongraph.namespaces import SG
from sanctiongraph.spreadsheet import csv_text
from sanctiongraph.validate.rules import DATA_QUALITY, RuleCheck, rule_of_shape

SEVERITY_RANK = {"violation": 0, "warning": 1, "info": 2}
SEVERITY_IRI = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}
CSV_COLUMNS = ("severity", "citation", "id", "message", "evidence", "focus", "shape")


@dataclass(frozen=True)
class Finding:
    severity: str
    citation: str | None
    focus: str
    id: str | None
    message: str
    shape: str
    evidence: tuple[str, ...] = ()

    def sort_key(self) -> tuple[int | str, ...]:
        return (
            SEVERITY_RANK[self.severity],
            self.citation or "",
            self.id or self.focus,
            self.shape,
            self.message,
        )

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data


@dataclass(frozen=True)
class Report:
    as_of: date
    findings: tuple[Finding, ...] = ()
    errors: tuple[InputError, ...] = field(default=())
    rules: tuple[RuleCheck, ...] = field(default=())
    """The rules checked, in key order (none when the input had errors)."""

    @property
    def conforms(self) -> bool:
        return not self.errors and not any(f.severity == "violation" for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 conforms, 1 at least one violation, 2 bad input (as pySHACL does)."""
        if self.errors:
            return 2
        return 0 if self.conforms else 1

    def as_dict(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "as_of": self.as_of.isoformat(),
            "findings": [f.as_dict() for f in self.findings],
            "errors": [e.as_dict() for e in self.errors],
            "rules_checked": [r.as_dict() for r in self.rules],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        """``as of D: verdict; counts`` (the dashboard shows the same line)."""
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITY_RANK}
        verdict = "conforms" if self.conforms else "does not conform"
        if self.errors:
            verdict = f"bad input ({len(self.errors)} errors); nothing was loaded"
        if self.rules and not any(r.applied for r in self.rules):
            verdict += " (but no rule had anything to check: see the rules below)"
        return f"as of {self.as_of.isoformat()}: {verdict}; " + _counted(counts)

    def to_text(self) -> str:
        """The summary and counts by rule first, then the findings grouped by rule, then
        what was checked."""
        lines = [self.summary()]
        lines += [f"ERROR {error}" for error in self.errors]
        groups: dict[str, list[Finding]] = {r.rule: [] for r in self.rules}
        groups[DATA_QUALITY] = []
        for f in self.findings:
            groups.setdefault(rule_of_shape(f.shape), []).append(f)
        names = {r.rule: f"{r.rule} ({r.citation})" for r in self.rules}
        names[DATA_QUALITY] = "data quality"
        groups = {key: findings for key, findings in groups.items() if findings}
        for key, findings in groups.items():
            counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_RANK}
            lines.append(f"  {names.get(key, key)}: {_counted(counts, skip_zero=True)}")
        for key, findings in groups.items():
            lines += ["", f"== {names.get(key, key)}"]
            for f in findings:
                lines.append(f"{f.severity.upper():9} {f.citation or '-'}  {f.id or f.focus}")
                lines.append(f"          {f.message}")
                if f.evidence:
                    lines.append(f"          evidence: {' -> '.join(f.evidence)}")
        if self.rules:
            lines += ["", "Rules checked:"]
            for r in self.rules:
                status = f"text {r.verification}" if r.verification else "text not registered"
                done = r.note or f"{r.findings} finding{'s' if r.findings != 1 else ''}"
                lines.append(f"  {r.rule}: {r.citation} ({status}): {done}")
        return "\n".join(lines)

    def to_csv(self) -> str:
        """One finding a row (``CSV_COLUMNS``; evidence joined by `` -> ``), for
        spreadsheets: a cell that a spreadsheet would run as a formula is quoted."""
        return csv_text(
            CSV_COLUMNS,
            (
                (
                    f.severity,
                    f.citation or "",
                    f.id or "",
                    f.message,
                    " -> ".join(f.evidence),
                    f.focus,
                    f.shape,
                )
                for f in self.findings
            ),
        )

    def to_graph(self) -> Graph:
        """The SHACL validation report graph, with citations and evidence added."""
        graph = Graph()
        graph.bind("sh", SH)
        graph.bind("sg", SG._NS)
        report = BNode("report")
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        graph.add((report, SG.asOf, Literal(self.as_of.isoformat(), datatype=XSD.date)))
        for index, f in enumerate(self.findings):
            result = BNode(f"result{index}")
            graph.add((report, SH.result, result))
            graph.add((result, RDF.type, SH.ValidationResult))
            graph.add((result, SH.focusNode, URIRef(f.focus)))
            graph.add((result, SH.sourceShape, URIRef(f.shape)))
            graph.add((result, SH.resultSeverity, SEVERITY_IRI[f.severity]))
            graph.add((result, SH.resultMessage, Literal(f.message)))
            if f.citation:
                graph.add((result, SG.citation, Literal(f.citation)))
            for item in f.evidence:
                graph.add((result, SG.evidence, Literal(item)))
        return graph

    def to_turtle(self) -> str:
        return self.to_graph().serialize(format="turtle")

    def render(self, fmt: str) -> str:
        return {
            "json": self.to_json,
            "text": self.to_text,
            "turtle": self.to_turtle,
            "csv": self.to_csv,
        }[fmt]()


def _counted(counts: dict[str, int], skip_zero: bool = False) -> str:
    return ", ".join(
        f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n or not skip_zero
    )
