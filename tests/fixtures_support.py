"""Run shape fixtures: ``conforms-<case>.ttl`` / ``violates-<case>.ttl`` + ``.expected.ttl``."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import SH

from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.validate import Report, validate_sources

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_AS_OF = date(2026, 11, 23)
_AS_OF = re.compile(r"^#\s*as-of:\s*(\d{4}-\d{2}-\d{2})", re.MULTILINE)


def fixture_files() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.rglob("*.ttl")
        if p.name.startswith(("conforms-", "violates-")) and ".expected" not in p.name
    )


def fixture_as_of(path: Path) -> date:
    match = _AS_OF.search(path.read_text(encoding="utf-8"))
    return date.fromisoformat(match.group(1)) if match else DEFAULT_AS_OF


def run_fixture(path: Path, engine: str = "fast") -> Report:
    triples = parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
    return validate_sources([Source.from_triples(path.stem, triples)], fixture_as_of(path), engine)


def expected_pairs(path: Path) -> set[tuple[str, str]]:
    expected = path.with_name(path.stem + ".expected.ttl")
    if path.name.startswith("conforms-"):
        return set()
    graph = Graph().parse(expected, format="turtle")
    return {
        (str(graph.value(r, SH.focusNode)), str(graph.value(r, SH.sourceShape)))
        for r in graph.subjects(SH.focusNode, None)
    }


def actual_pairs(report: Report) -> set[tuple[str, str]]:
    return {(f.focus, f.shape) for f in report.findings}
