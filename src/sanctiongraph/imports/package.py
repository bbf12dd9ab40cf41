"""Write imported rows as a data package folder, all or nothing."""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from sanctiongraph.errors import IngestError, InputError
from sanctiongraph.imports.history import HEADERS, Row, Tables


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


PARALLEL_MIN_ROWS = 50_000  # fewer rows are written by this process alone


def _header(tables: Tables, file: str) -> list[str]:
    """The columns written: those with a value, and the two key columns always."""
    header = tables.filled(file)
    for required in HEADERS[file][:2]:
        if required not in header:
            header.insert(0, required)
    return header


def _write_table(path: Path, header: list[str], rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([row.get(c) for c in header] for row in rows)  # None: empty


def _write_table_in_child(path: Path, header: list[str], rows: list[Row]) -> None:
    """:func:`_write_table` in a forked process: a failure is its exit code, never a
    traceback."""
    try:
        _write_table(path, header, rows)
    except BaseException:
        os._exit(1)


def _write_in_parallel(jobs: list[tuple[Path, list[str], list[Row]]]) -> bool:
    """Write each table in a forked process of its own (the rows are shared with it,
    not copied); ``False`` when processes cannot be forked here. Raises ``OSError``
    when a table could not be written."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_table_in_child, args=job) for job in jobs]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    failed = [str(job[0].name) for job, w in zip(jobs, writers, strict=True) if w.exitcode]
    if failed:
        raise OSError(f"could not write {', '.join(failed)}")
    return True


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
        counts = {file: len(rows) for file, rows in tables.rows.items() if rows}
        jobs = [(staging / file, _header(tables, file), tables.rows[file]) for file in counts]
        try:
            if sum(counts.values()) < PARALLEL_MIN_ROWS or not _write_in_parallel(jobs):
                for job in jobs:
                    _write_table(*job)
        except OSError as exc:
            raise IngestError(
                [InputError(str(output), f"cannot write the package ({exc.strerror or exc})")]
            ) from None
        if output.exists():
            output.rmdir()  # empty (checked above)
        os.replace(staging, output)
        return counts
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
