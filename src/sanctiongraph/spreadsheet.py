"""CSV that a spreadsheet opens without running formulas (CSV injection).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula, which can fetch URLs or run
commands when the file is opened. As OWASP recommends, such a cell is written with a
leading apostrophe (``'=1+2``), which spreadsheets show but do not evaluate; the CSV
writer quotes what needs quoting. A plain number (``-5``, ``+1.5e3``) is left as it is:
it cannot be a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value: str | None) -> str | None:
    """``value``, with an apostrophe in front when a spreadsheet would read it as a
    formula."""
    if value and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str | None]]) -> str:
    """``header`` and ``rows`` as CSV, every cell made :func:`spreadsheet_safe`; no line
    break after the last row."""
    buffer = io.StringIO()
    plain = csv.writer(buffer, lineterminator="\n")
    # The writer quotes a cell with a line feed but not one with a lone carriage return,
    # which readers then take for the end of the row: such rows are quoted whole.
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in ([*header], *rows):
        cells = [spreadsheet_safe(cell) for cell in row]
        (quoted if any(cell and "\r" in cell for cell in cells) else plain).writerow(cells)
    return buffer.getvalue().rstrip("\n")
