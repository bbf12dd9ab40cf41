"""Parse RDF files without fetching anything.

pyoxigraph parses Turtle, N-Triples, N-Quads and JSON-LD; its JSON-LD parser refuses
remote contexts, and it never resolves XML entities because RDF/XML is not accepted at
all (see ``shared/notes/stack-facts.md``: entity expansion hangs rdflib).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from sanctiongraph.ingest.characters import MAYBE_NOT_IN_XML, forbidden_character
from sanctiongraph.ingest.errors import IngestError, InputError

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}
REFUSED_SUFFIXES = {".rdf", ".owl", ".xml"}


def format_for_path(path: Path) -> ox.RdfFormat:
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise IngestError(
            [InputError(path.name, "RDF/XML is not accepted (use Turtle, N-Triples or JSON-LD)")]
        )
    try:
        return FORMATS[suffix]
    except KeyError:
        raise IngestError(
            [
                InputError(
                    path.name,
                    f"unknown file type {suffix!r}: expected one of "
                    + ", ".join(sorted(FORMATS))
                    + ", a folder or a .zip of CSV",
                )
            ]
        ) from None


def parse_rdf(data: bytes, fmt: ox.RdfFormat, name: str) -> list[ox.Triple]:
    """Parse ``data`` into triples (quads lose their graph: a source is one graph)."""
    try:
        parsed = ox.parse(data, fmt, base_iri=None, rename_blank_nodes=True)
        triples = [q.triple if isinstance(q, ox.Quad) else q for q in parsed]
    except SyntaxError as exc:
        row = getattr(exc, "lineno", None)
        raise IngestError([InputError(name, f"cannot parse as {fmt}: {exc}", row=row)]) from None
    except (ValueError, OSError) as exc:
        raise IngestError([InputError(name, f"cannot parse as {fmt}: {exc}")]) from None
    if MAYBE_NOT_IN_XML.search(data):
        _refuse_forbidden_characters(triples, name)
    return triples


def _refuse_forbidden_characters(triples: list[ox.Triple], name: str) -> None:
    """:class:`IngestError` naming the triples whose literal holds a character that XML
    cannot carry (see :mod:`sanctiongraph.ingest.characters`)."""
    errors = []
    for t in triples:
        if isinstance(t.object, ox.Literal):
            problem = forbidden_character(t.object.value)
            if problem is not None:
                errors.append(
                    InputError(name, f"{problem}: the object of {t.subject} {t.predicate}")
                )
    if errors:
        raise IngestError(errors)
