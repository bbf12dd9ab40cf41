"""The vocabulary page: HTML documentation of the bundled ontology, made by pyLODE.

pyLODE (the ``docs`` extra) reads the ontology's Turtle and writes one self-contained
HTML page (its style inline, no script to run, nothing fetched): a section per class and
property whose ``id`` is the fragment of the term's IRI, so ``sg:Person``,
``https://w3id.org/sanctiongraph/ontology#Person``, lands on ``/ontology#Person``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType

from sanctiongraph.namespaces import ONTOLOGY_IRI
from sanctiongraph.resources import ontology_dir


class OntologyDocsUnavailable(Exception):
    """pyLODE is not installed."""


INSTALL_HINT = "pip install 'sanctiongraph[docs]' (pyLODE 3.3.4)"


@lru_cache(maxsize=1)
def ontology_html() -> str:
    """The documentation page of every module under ``ontology/`` (about 4 s, then kept
    for the process: it depends on the bundled files only); raises
    :class:`OntologyDocsUnavailable` without pyLODE."""
    try:
        import pylode.utils
        from pylode import OntPub
    except ImportError:
        raise OntologyDocsUnavailable(f"the vocabulary page needs pyLODE: {INSTALL_HINT}") from None
    from rdflib import Graph

    graph = Graph()
    for path in sorted(ontology_dir().glob("*.ttl")):
        graph.parse(data=path.read_bytes(), format="turtle")
    with _quiet(), _nested_class_expressions(pylode.utils):
        page = OntPub(graph)
        # pyLODE names a section after the term's label ("agent", "U.S.financialinstitution");
        # named after the IRI's fragment, ontology#Agent lands on its own section.
        page.fids.update(
            {
                str(term): str(term).rsplit("#", 1)[1]
                for term in set(graph.subjects())
                if str(term).startswith(ONTOLOGY_IRI + "#")
            }
        )
        return str(page.make_html())


@contextmanager
def _nested_class_expressions(utils: ModuleType) -> Iterator[None]:
    """pyLODE 3.3.4 fails ("unhashable type: 'list'") on a union or intersection nested
    in another, as ``sg:NorthKoreanBankingInstitution`` has: it puts each member's HTML,
    a list for such a member, in a set. The lists it makes are hashable as tuples."""
    original = getattr(utils, "intersperse")  # noqa: B009 (pyLODE has no type information)
    setattr(utils, "intersperse", lambda items, separator: tuple(original(items, separator)))  # noqa: B010
    try:
        yield
    finally:
        setattr(utils, "intersperse", original)  # noqa: B010


@contextmanager
def _quiet() -> Iterator[None]:
    """pyLODE logs each step at INFO and DEBUG on the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)
