"""Input errors: every one names its file, row and column.

A top-level module that imports nothing heavy, so that ``sanctiongraph import`` starts
without the graph libraries (``sanctiongraph.ingest.errors`` names the same classes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanctiongraph.ingest.source import EntryReference


@dataclass(frozen=True)
class InputError:
    """One problem in the input. ``row`` counts the header as row 1."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class IngestError(Exception):
    """The input was rejected; nothing from it was loaded."""

    def __init__(self, errors: list[InputError], references: Sequence[EntryReference] = ()) -> None:
        self.errors = errors
        # the list entries a rejected package's same_as / not_same_as name, so that
        # unknown ones are reported with its other problems
        self.references = tuple(references)
        super().__init__("\n".join(str(e) for e in errors))


class StoreError(Exception):
    """The store cannot do what was asked (locked, unreachable, bad location). Here, not
    in ``sanctiongraph.store``, so that the CLI can catch it without loading a store."""
