"""Read sources (CSV data packages and RDF files) into N-Triples, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from sanctiongraph.ingest.csv_package import (
    CodeLists,
    map_package,
    map_package_chunks,
    read_package_files,
)
from sanctiongraph.ingest.errors import IngestError, InputError
from sanctiongraph.ingest.rdf import format_for_path, parse_rdf
from sanctiongraph.ingest.source import EntryReference, Source
from sanctiongraph.namespaces import BASE
from sanctiongraph.resources import ontology_dir
from sanctiongraph.sniff import not_a_source

__all__ = [
    "IngestError",
    "InputError",
    "Source",
    "code_lists",
    "is_package",
    "package_chunks",
    "read_source",
    "read_sources",
    "source_names",
]

_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def turtle_triples(root: Path) -> tuple[ox.Triple, ...]:
    """The triples of every Turtle file under ``root`` (bundled files), in path order."""
    triples: list[ox.Triple] = []
    for path in sorted(root.rglob("*.ttl")):
        triples += parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
    return tuple(triples)


@lru_cache(maxsize=1)
def ontology_triples() -> tuple[ox.Triple, ...]:
    """The bundled ontology, parsed once per process."""
    return turtle_triples(ontology_dir())


def code_lists() -> CodeLists:
    return CodeLists.from_triples(list(ontology_triples()))


def source_name(path: Path, name: str | None = None) -> str:
    """A graph name for a source: the given name, else the file or folder name."""
    base = name or (path.name if path.is_dir() else path.stem)
    return _NAME.sub("-", base).strip("-") or "source"


def is_package(path: Path) -> bool:
    """Whether ``path`` is read as a CSV data package (a folder or a .zip)."""
    return path.is_dir() or path.suffix.lower() == ".zip"


def read_source(path: Path, name: str | None = None) -> Source:
    """Parse one folder, .zip or RDF file; raise :class:`IngestError` on any problem."""
    if not path.exists():
        raise IngestError([InputError(str(path), "no such file or folder")])
    graph_name = source_name(path, name)
    if is_package(path):
        return map_package(graph_name, _package_files(path), code_lists())
    refused = not_a_source(path)
    if refused is not None:
        raise IngestError([InputError(path.name, refused)])
    fmt = format_for_path(path)
    triples = parse_rdf(path.read_bytes(), fmt, path.name)
    _check_vocabulary(path.name, triples)
    return Source.from_triples(graph_name, triples)


def _check_vocabulary(name: str, triples: list[ox.Triple]) -> None:
    """No false all-clear: an RDF file with no triples, or none that uses our
    vocabulary or data IRIs, is an input error rather than a graph that conforms."""
    if not triples:
        raise IngestError([InputError(name, "the file holds no RDF triples")])
    if not any(_ours(term) for t in triples for term in (t.predicate, t.object, t.subject)):
        raise IngestError(
            [
                InputError(
                    name,
                    f"none of its {len(triples)} triples uses the "
                    f"sanctiongraph vocabulary ({BASE}...)",
                )
            ]
        )


def _ours(term: object) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(BASE)


def package_chunks(
    path: Path, name: str | None = None, references: list[EntryReference] | None = None
) -> Iterator[bytes]:
    """A data package's N-Triples in chunks, made as they are asked for
    (:func:`~sanctiongraph.ingest.csv_package.map_package_chunks`): chunks stop at the
    first problem, and :class:`IngestError` with every problem is raised at the end.
    ``references`` receives the list entries its same_as and not_same_as name."""
    if not path.exists():
        raise IngestError([InputError(str(path), "no such file or folder")])
    yield from map_package_chunks(
        source_name(path, name), _package_files(path), code_lists(), references=references
    )


def _package_files(path: Path) -> dict[str, bytes]:
    files = read_package_files(path)
    if not files:
        inside = [f for f in sorted(path.iterdir()) if f.is_file()] if path.is_dir() else []
        what = next(((f.name, w) for f in inside if (w := not_a_source(f))), None)
        hint = f"; it holds {what[0]}: {what[1]}" if what else ""
        raise IngestError([InputError(str(path), "no CSV files found in the data package" + hint)])
    return files


def source_names(paths: list[Path], name: str | None = None) -> tuple[list[str], list[InputError]]:
    """The graph name of each path (``name`` names a single source), and an error for
    each name that two paths share."""
    names = [source_name(path, name if len(paths) == 1 else None) for path in paths]
    errors = [
        InputError(n, "two sources would load into the same graph; rename one of them")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    return names, errors


def read_sources(paths: list[Path], name: str | None = None) -> list[Source]:
    """Parse every path; collect the errors of all of them before raising."""
    names, errors = source_names(paths, name)
    sources: list[Source] = []
    for path, graph_name in zip(paths, names):
        try:
            sources.append(read_source(path, graph_name))
        except IngestError as exc:
            errors += exc.errors
    if errors:
        raise IngestError(errors)
    return sources
