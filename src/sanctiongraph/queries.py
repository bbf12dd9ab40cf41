"""Named SPARQL files under ``queries/`` and their headers.

Every file opens with a header of ``# key: value`` lines (``name``, ``summary``,
``params``, ``returns``); ``params`` lists the variables the caller binds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sanctiongraph.resources import queries_dir

_HEADER = re.compile(r"^#\s*(name|summary|params|returns|description):\s*(.*)$")
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class NamedQuery:
    path: Path
    name: str
    summary: str
    params: tuple[str, ...]
    returns: tuple[str, ...]
    text: str


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            header[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    params = tuple(_VARIABLE.findall(header.get("params", "")))
    returns = tuple(_VARIABLE.findall(header.get("returns", "")))
    return NamedQuery(path, header.get("name", path.stem), header.get("summary", ""),
                      params, returns, text)


@lru_cache(maxsize=None)
def load_query(relative: str) -> NamedQuery:
    """A query by its path under ``queries/`` without the suffix, e.g. ``derive/subclass-closure``."""
    return parse_query_file(queries_dir() / f"{relative}.rq")


def all_queries() -> list[NamedQuery]:
    return [parse_query_file(p) for p in sorted(queries_dir().rglob("*.rq"))]
