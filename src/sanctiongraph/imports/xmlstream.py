"""Stream the records of a large XML file in little memory, safely.

:func:`records` yields each record element (by local name, namespaces ignored) once it
is complete, then removes it from the tree, so memory holds one record at a time
whatever the file's size. Parsing goes through defusedxml: a DTD's entities are refused,
never expanded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from sanctiongraph.imports.model import Problems


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def text(element: Element | None, path: str = "") -> str | None:
    """The stripped text of ``element`` or of its first descendant at ``path`` (local
    names separated by ``/``), ``None`` when absent or empty."""
    if element is None:
        return None
    for step in filter(None, path.split("/")):
        element = next((c for c in element if local(c.tag) == step), None)
        if element is None:
            return None
    value = (element.text or "").strip()
    return value or None


def children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def child(element: Element | None, name: str) -> Element | None:
    return next(iter(children(element, name)), None)


def records(
    path: Path, names: set[str], problems: Problems, root_names: set[str] | None = None
) -> Iterator[tuple[Element, Element]]:
    """Yield ``(root, record)`` for every element whose local name is in ``names``
    (not inside another such element). The root's local name must be in
    ``root_names`` when given. Parse errors are problems with their line."""
    stack: list[Element] = []
    try:
        for event, element in iterparse(str(path), events=("start", "end")):
            if event == "start":
                if not stack and root_names and local(element.tag) not in root_names:
                    problems.add(
                        path.name,
                        f"the root element is <{local(element.tag)}>, "
                        f"expected <{'> or <'.join(sorted(root_names))}>",
                        line=1,
                    )
                    return
                stack.append(element)
                continue
            stack.pop()
            if local(element.tag) in names and not any(local(a.tag) in names for a in stack):
                yield stack[0], element
                element.clear()
                if stack:
                    stack[-1].remove(element)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        problems.add(path.name, f"not well-formed XML: {exc}", line=line)
    except DefusedXmlException as exc:
        problems.add(
            path.name, f"refused: the file declares a DTD or entities ({exc.__class__.__name__})"
        )
