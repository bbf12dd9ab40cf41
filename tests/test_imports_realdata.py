"""Acceptance on the whole real files (issue 17): every format of this slice imports its
files in ``shared/realdata/`` with no error, and the package reads back without an input
error. Skipped where that folder is absent (it is not part of the repository)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.imports import import_lists
from sanctiongraph.ingest import read_source

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not here")

CASES = {
    "sdn-history": ("ofac-csv", ["ofac-sdn-csv-history"], None),
    "sdn-2021-set": ("ofac-csv", ["ofac-sdn-csv-2021-set"], date(2021, 7, 7)),
    "consolidated": ("ofac-csv", ["ofac-consolidated-csv"], date(2025, 12, 19)),
    "advanced": ("ofac-advanced", ["ofac-advanced-xml/cons_advanced.xml"], None),
    "un": ("un", ["un/UN_consolidated.xml"], None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_real_files_import_and_read_back(tmp_path, case) -> None:
    fmt, paths, published = CASES[case]
    report = import_lists(fmt, [REALDATA / p for p in paths], tmp_path / "pkg", published)
    assert report.rows["entities.csv"] > 300 and report.rows["designations.csv"] > 300
    assert read_source(tmp_path / "pkg").size > 0
    with (tmp_path / "pkg" / "designations.csv").open(newline="") as handle:
        designations = list(csv.DictReader(handle))
    assert all(r["publication"] and r["entry"] for r in designations)
