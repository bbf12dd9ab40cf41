"""Input errors: every one names its file, row and column.

A top-level module that imports nothing heavy, so that ``sanctiongraph import`` starts
without the graph libraries (``sanctiongraph.ingest.errors`` names the same classes)."""

from __future__ import annotations

from dataclasses import dataclass


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

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
