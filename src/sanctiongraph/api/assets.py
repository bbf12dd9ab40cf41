"""Where the npm-installed JavaScript lives, if it was installed."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"


def node_modules_dir() -> Path | None:
    path = STATIC_DIR / "node_modules"
    return path if path.is_dir() else None
