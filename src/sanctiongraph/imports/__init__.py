"""Import published lists into a data package (``sanctiongraph import``).

Each format is a module of this package with ``NAME``, ``DESCRIPTION`` and
``read(paths, published, problems) -> list[ReadList]``; :data:`FORMATS` lists them.
Whatever the format, the rows, the history of several publications and the written
package are made the same way (``history.py``, ``package.py``): a new format only reads
its files into :class:`~sanctiongraph.imports.model.ReadList`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType

from sanctiongraph.errors import IngestError, InputError
from sanctiongraph.imports import bods, ftm, gleif, ofac_advanced, ofac_csv, ofac_xml, un
from sanctiongraph.imports.history import Tables, build_tables
from sanctiongraph.imports.model import Problems, Publication
from sanctiongraph.imports.package import check_output, write_package
from sanctiongraph.sniff import SINGLE_CSV, import_format, not_a_source

__all__ = ["FORMATS", "ImportReport", "import_lists", "read_tables"]

FORMATS: dict[str, ModuleType] = {
    m.NAME: m for m in (ofac_csv, ofac_advanced, ofac_xml, un, gleif, bods, ftm)
}


@dataclass
class ImportReport:
    """What an import wrote: the publications, rows per file, and what it left out."""

    output: Path
    publications: list[Publication]
    rows: dict[str, int]
    notes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"wrote {self.output}"]
        out += [
            f"  publication {p.id}: {p.label}, {p.file}, {p.published.isoformat()}"
            for p in self.publications
        ]
        out += [f"  {file}: {n} rows" for file, n in self.rows.items()]
        out += [f"  {what}: {n}" for what, n in sorted(self.notes.items())]
        out += [f"  warning: {text}" for text in self.warnings]
        return out


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while an import makes its many small objects (they
    hold no cycles): otherwise it walks every object again and again, a third of the
    time of a large GLEIF import (docs/benchmarks.md)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_tables(fmt: str, paths: list[Path], published: date | None = None) -> Tables:
    """Read ``paths`` in format ``fmt`` into package rows; raise :class:`IngestError`
    with every problem of every file."""
    with _no_cycle_collection():
        return _read_tables(fmt, paths, published)


def _read_tables(fmt: str, paths: list[Path], published: date | None) -> Tables:
    if fmt not in FORMATS:
        raise IngestError(
            [InputError(fmt, "unknown import format; expected one of: " + ", ".join(FORMATS))]
        )
    problems = Problems()
    lists = FORMATS[fmt].read(paths, published, problems)
    if problems.errors:
        problems.errors[:0] = _other_kinds(fmt, paths)
    problems.raise_if_any()
    if not lists or not any(read.parties for read in lists):
        raise IngestError(
            [
                *_other_kinds(fmt, paths),
                InputError(
                    ", ".join(p.name for p in paths), f"no list entries found for format {fmt}"
                ),
            ]
        )
    tables = build_tables(lists, problems)
    problems.raise_if_any()
    return tables


def _other_kinds(fmt: str, paths: list[Path]) -> list[InputError]:
    """For each file of ``paths`` that looks like the file of another import format or
    of a data package, what it looks like: said first, before the problems that follow
    from it (of plain XML or JSON the format's own problems say enough)."""
    found = []
    for path in paths:
        said = (not_a_source(path) or "") if path.is_file() else ""
        other = import_format(said)
        if other == fmt or (other is None and said != SINGLE_CSV):
            continue
        if said == SINGLE_CSV:
            said = (
                "this looks like a file of a data package, which `sanctiongraph validate` "
                "and `load` read (give its folder), not a published list"
            )
        found.append(InputError(path.name, f"not a file of format {fmt}: {said}"))
    return found


def import_lists(
    fmt: str, paths: list[Path], output: Path, published: date | None = None
) -> ImportReport:
    """Import published list files into a new data package folder ``output``. Nothing
    is written when any file has a problem."""
    check_output(output)
    with _no_cycle_collection():
        tables = _read_tables(fmt, paths, published)
        rows = write_package(tables, output)
    return ImportReport(output, tables.publications, rows, dict(tables.notes), tables.warnings)
