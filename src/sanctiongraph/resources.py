"""Where the bundled ontology, shapes, queries and data live.

An installed wheel carries them in ``sanctiongraph/resources/``; a source checkout
(editable install, tests) reads them from the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "resources"
_CHECKOUT = Path(__file__).resolve().parents[2]


def resource_root() -> Path:
    """The folder holding ``ontology/``, ``shapes/``, ``queries/`` and ``data/``."""
    if (_PACKAGED / "ontology").is_dir():
        return _PACKAGED
    return _CHECKOUT


def ontology_dir() -> Path:
    return resource_root() / "ontology"


def shapes_dir() -> Path:
    return resource_root() / "shapes"


def queries_dir() -> Path:
    return resource_root() / "queries"


def reference_dir() -> Path:
    return resource_root() / "data" / "reference"


def demo_world_dir() -> Path:
    return resource_root() / "data" / "examples" / "demo-world"
