"""Habits of the project that a test can hold (issue 20): tests import the benchmarks'
generators and the shared helpers through pytest's ``pythonpath`` (pyproject.toml), never
by editing ``sys.path`` themselves."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_edits_sys_path() -> None:
    edits = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bsys\.path\.(insert|append|extend)\b|\bsys\.path\s*[+]?=", line)
        and path != Path(__file__)
    ]
    assert edits == []
