"""The bank demo (data/examples/bank-demo/README.md) as its README runs it: real list slices
imported, a 50 Percent Rule warning through a BIC link, a CAPTA finding for Bank of
Kunlun and a possible match by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "data" / "examples" / "bank-demo"
SLICES = ROOT / "tests" / "fixtures" / "imports" / "ofac-csv"


def sanctiongraph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_bank_demo_runs_as_documented(tmp_path) -> None:
    readme = (DEMO / "README.md").read_text()
    for step in (
        "import ofac-csv tests/fixtures/imports/ofac-csv/sdn --published 2023-06-01",
        "import ofac-csv tests/fixtures/imports/ofac-csv/cons --published 2025-11-01",
        "validate data/examples/bank-demo lists/sdn lists/cons --as-of 2026-01-10",
    ):
        assert f"sanctiongraph {step}" in readme
    for name, published in (("sdn", "2023-06-01"), ("cons", "2025-11-01")):
        done = sanctiongraph(
            "import",
            "ofac-csv",
            str(SLICES / name),
            "--published",
            published,
            "--output",
            str(tmp_path / name),
        )
        assert done.returncode == 0, done.stderr
    result = sanctiongraph(
        "validate",
        str(DEMO),
        str(tmp_path / "sdn"),
        str(tmp_path / "cons"),
        "--as-of",
        "2026-01-10",
        "--format",
        "json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert not report["errors"]
    by = {(f["id"], f["citation"]): f for f in report["findings"]}
    fifty = by[("a-golden-star", "OFAC 50 Percent Rule")]
    assert (
        "OFAC SDN List, publication of 2023-06-01, entry 15603, applied through the link "
        "c-ftb is list entry ofac:15603 (matched by BIC FTBDKPPY)"
    ) in fifty["evidence"]
    # The CAPTA entry is in one publication only: before it, the listing is unknown, so
    # the past maintaining is possibly a breach as well (a warning, same citation).
    (capta,) = [
        f
        for f in report["findings"]
        if f["id"] == "a-kunlun" and f["shape"].endswith("#CaptaMaintainingShape")
    ]
    assert capta["severity"] == "violation"
    assert any("entry 15268" in e and "matched by BIC CKLBCNBJ" in e for e in capta["evidence"])
    possible = by[("c-melli", "sanctiongraph data package: list matching")]
    assert possible["evidence"][:3] == ["ofac:25578", "25578", "BANK MELLI IRAN"]
    assert not [f for f in report["findings"] if f["id"] == "c-saderat-trading"]

    # the dismissal is what keeps c-saderat-trading quiet
    undismissed = tmp_path / "undismissed"
    undismissed.mkdir()
    for part in DEMO.glob("*.csv"):
        text = part.read_text()
        (undismissed / part.name).write_text(text.replace(",ofac:10368\n", ",\n"))
    again = sanctiongraph(
        "validate",
        str(undismissed),
        str(tmp_path / "sdn"),
        str(tmp_path / "cons"),
        "--as-of",
        "2026-01-10",
        "--format",
        "json",
    )
    assert [
        f["evidence"][0]
        for f in json.loads(again.stdout)["findings"]
        if f["id"] == "c-saderat-trading"
    ] == ["ofac:10368"]
