"""Write imported rows as a data package folder, all or nothing."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path

from sanctiongraph.errors import IngestError, InputError
from sanctiongraph.imports.history import HEADERS, Tables


def check_output(output: Path) -> None:
    """Refuse an output that would overwrite something: it must not exist, or be an
    empty folder."""
    if output.exists() and not (output.is_dir() and not any(output.iterdir())):
        raise IngestError(
            [
                InputError(
                    str(output),
                    "the output already exists and is not an "
                    "empty folder; choose a new folder or remove it",
                )
            ]
        )


def write_package(tables: Tables, output: Path) -> dict[str, int]:
    """Write every non-empty table as ``<file>.csv`` in a new folder ``output``; the
    folder appears whole or not at all (written beside it, then renamed). Returns the
    number of rows written per file."""
    check_output(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    except OSError as exc:
        raise IngestError(
            [InputError(str(output), f"cannot write here ({exc.strerror})")]
        ) from None
    try:
        counts = {}
        for file, rows in tables.rows.items():
            if not rows:
                continue
            header = tables.filled(file)
            for required in HEADERS[file][:2]:  # the key columns stay even if empty
                if required not in header:
                    header.insert(0, required)
            with (staging / file).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                writer.writerows([row.get(c) for c in header] for row in rows)  # None: empty
            counts[file] = len(rows)
        if output.exists():
            output.rmdir()  # empty (checked above)
        os.replace(staging, output)
        return counts
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
