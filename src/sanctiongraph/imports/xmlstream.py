"""Stream the records of a large XML file in little memory, safely.

:func:`records` yields each record element (by local name, namespaces ignored) once it
is complete, then removes it from the tree, so memory holds one record at a time
whatever the file's size. Parsing is lxml's (libxml2): the records are picked out in C,
and only they reach Python. A file that declares a document type (and so could declare
entities) is refused before any record is read; entities are never resolved and no DTD
is loaded, local or remote.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Literal

from lxml import etree

from sanctiongraph.imports.model import Problems

Element = etree._Element


def local(tag: object) -> str:
    """``{namespace}name`` -> ``name`` (an lxml tag is a ``str``; a ``QName`` prints so)."""
    return str(tag).rsplit("}", 1)[-1]


def namespace(tag: object) -> str:
    name = str(tag)
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


@cache
def _any_namespace(path: str) -> str:
    return "/".join(f"{{*}}{step}" for step in path.split("/") if step)


def text(element: Element | None, path: str = "") -> str | None:
    """The stripped text of ``element`` or of its first descendant at ``path`` (local
    names separated by ``/``), ``None`` when absent or empty."""
    if element is None:
        return None
    value = element.text if not path else element.findtext(_any_namespace(path))
    value = (value or "").strip()
    return value or None


def children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else element.findall(f"{{*}}{name}")


def child(element: Element | None, name: str) -> Element | None:
    return None if element is None else element.find(f"{{*}}{name}")


def _iterparse(
    path: Path, event: Literal["start", "end"], tags: list[str] | None = None
) -> Iterator[tuple[str, Element]]:
    """lxml's ``iterparse`` with entities unresolved, no DTD loaded, no network, no huge
    trees, comments and processing instructions dropped."""
    return etree.iterparse(
        str(path),
        events=(event,),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _root(path: Path, problems: Problems) -> Element | None:
    """The root element, read from the file's first bytes; ``None`` (and a problem) when
    the file declares a document type or is not XML."""
    try:
        for _event, element in _iterparse(path, "start"):
            if element.getroottree().docinfo.doctype:
                problems.add(
                    path.name,
                    "refused: the file declares a document type (DTD), "
                    "which could declare entities; the published files have none",
                )
                return None
            return element
    except etree.XMLSyntaxError as exc:
        problems.add(path.name, f"not well-formed XML: {exc.msg}", line=exc.lineno)
    return None


def records(
    path: Path, names: set[str], problems: Problems, root_names: set[str] | None = None
) -> Iterator[tuple[Element, Element]]:
    """Yield ``(root, record)`` for every element whose local name is in ``names``
    (not inside another such element). The root's local name must be in
    ``root_names`` when given. Parse errors are problems with their line."""
    first = _root(path, problems)
    if first is None:
        return
    if root_names and local(first.tag) not in root_names:
        problems.add(
            path.name,
            f"the root element is <{local(first.tag)}>, "
            f"expected <{'> or <'.join(sorted(root_names))}>",
            line=1,
        )
        return
    try:
        for _event, element in _iterparse(path, "end", [f"{{*}}{name}" for name in names]):
            if any(local(a.tag) in names for a in element.iterancestors()):
                continue
            parent = element.getparent()
            root = element.getroottree().getroot()
            yield root, element
            element.clear(keep_tail=False)
            if parent is not None:
                parent.remove(element)
    except etree.XMLSyntaxError as exc:
        problems.add(path.name, f"not well-formed XML: {exc.msg}", line=exc.lineno)
