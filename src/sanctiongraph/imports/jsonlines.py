"""Read the records of a JSON array or JSON Lines file, with where each one is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sanctiongraph.imports.model import Problems


def json_records(path: Path, problems: Problems) -> list[tuple[str, Any]]:
    """``(where, value)`` of every record: ``statement 3`` of a file whose first character
    is ``[`` (a JSON array), else ``line 3`` of JSON Lines (blank lines skipped). A line
    that is not JSON is a problem with its line; the others are still read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path.name, f"cannot be read as UTF-8 text ({exc.__class__.__name__})")
        return []
    if text.lstrip().startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.add(path.name, f"not valid JSON: {exc.msg}", line=exc.lineno)
            return []
        return [(f"record {i}", v) for i, v in enumerate(value, 1)]
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.add(path.name, f"not valid JSON: {exc.msg}", line=number)
    return items
