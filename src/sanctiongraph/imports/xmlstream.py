"""Stream the records of a large XML file in little memory, safely.

:func:`records` yields each record element (by local name, namespaces ignored) once it
is complete, then removes it from the tree, so memory holds one record at a time
whatever the file's size. Parsing is lxml's (libxml2): the records are picked out in C,
and only they reach Python. A file that declares a document type (and so could declare
entities) is refused before any record is read; entities are never resolved and no DTD
is loaded, local or remote.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO, Literal, TypedDict, TypeVar
from xml.sax.saxutils import quoteattr

from lxml import etree

from sanctiongraph.imports.model import Problems, sha256_of
from sanctiongraph.machine import usable_cores

Element = etree._Element
R = TypeVar("R")


class _LocalNames(dict[object, str]):
    """``{namespace}name`` -> ``name``, remembered (a file has few tag names)."""

    def __missing__(self, tag: object) -> str:
        name = str(tag).rsplit("}", 1)[-1]
        if len(self) < 10_000:  # a file with ever new tag names gets no bigger cache
            self[tag] = name
        return name


LOCAL_NAMES = _LocalNames()


def local(tag: object) -> str:
    """``{namespace}name`` -> ``name`` (an lxml tag is a ``str``; a ``QName`` prints so)."""
    return LOCAL_NAMES[tag]


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
    """The children of ``element`` with local name ``name``."""
    if element is None:
        return []
    names = LOCAL_NAMES
    return [item for item in element if names[item.tag] == name]


def child(element: Element | None, name: str) -> Element | None:
    """The first child of ``element`` with local name ``name``."""
    if element is None:
        return None
    names = LOCAL_NAMES
    return next((item for item in element if names[item.tag] == name), None)


class _SafeOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    huge_tree: bool
    remove_comments: bool
    remove_pis: bool


SAFE: _SafeOptions = {  # every parse: entities unresolved, no DTD, no network, ...
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,  # ... and no comments or processing instructions
    "remove_pis": True,
}


def _iterparse(
    handle: BinaryIO, event: Literal["start", "end"], tags: list[str] | None = None
) -> Iterator[tuple[str, Element]]:
    """lxml's ``iterparse`` of an open file, with the safe options."""
    return etree.iterparse(
        handle,
        events=(event,),
        tag=tags,
        **SAFE,
    )


def _parser() -> etree.XMLParser:
    """A parser for a whole piece (:func:`piece_records`), with the safe options;
    blank text between elements is dropped (no reader uses it)."""
    return etree.XMLParser(
        **SAFE,
        remove_blank_text=True,
        collect_ids=False,
    )


@dataclass(frozen=True)
class _Head:
    """What the first bytes of a file say: its root and, when a record was reached,
    the elements open around the first record and how many bytes were read to get there."""

    root: Element
    doctype: bool
    around_first_record: list[Element]  # outermost first; empty when no record was reached
    bytes_read: int


def _head(path: Path, names: set[str] | None) -> _Head:
    """Read the file's first bytes up to its root (``names`` None) or up to the first
    element whose local name is in ``names``; the file is closed on return. Raises
    ``XMLSyntaxError``."""
    parser = etree.XMLPullParser(
        events=("start",),
        **SAFE,
    )
    root: Element | None = None
    read = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 12):
            read += len(block)
            parser.feed(block)
            for _event, element in parser.read_events():
                if root is None:
                    root = element
                    doctype = bool(element.getroottree().docinfo.doctype)
                    if names is None or doctype:
                        return _Head(root, doctype, [], read)
                if names is not None and local(element.tag) in names:
                    return _Head(root, doctype, list(element.iterancestors())[::-1], read)
        parser.close()  # raises on a file that is not well-formed
    if root is None:
        raise etree.XMLSyntaxError("no root element", 0, 1, 1)
    return _Head(root, doctype, [], read)


def _root(path: Path, problems: Problems) -> Element | None:
    """The root element, read from the file's first bytes; ``None`` (and a problem) when
    the file declares a document type or is not XML."""
    try:
        head = _head(path, None)
    except etree.XMLSyntaxError as exc:
        problems.add(path.name, f"not well-formed XML: {exc.msg}", line=exc.lineno)
        return None
    if head.doctype:
        problems.add(
            path.name,
            "refused: the file declares a document type (DTD), "
            "which could declare entities; the published files have none",
        )
        return None
    return head.root


def records(
    path: Path, names: set[str], problems: Problems, root_names: set[str] | None = None
) -> Iterator[tuple[Element, Element]]:
    """Yield ``(root, record)`` for every element whose local name is in ``names``
    (not inside another such element). The root's local name must be in
    ``root_names`` when given. Parse errors are problems with their line. The file is
    closed when the last record is read or the generator is closed."""
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
        with path.open("rb") as handle:
            for _event, element in _iterparse(handle, "end", [f"{{*}}{name}" for name in names]):
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


# Reading one file in parallel: the byte stream is cut right after record end tags into
# pieces; each piece is parsed on its own (another process) inside the start and end
# tags of the elements that hold the records, which carry every namespace declaration
# in scope there. Any surprise (not UTF-8, a DTD, a piece that is not well-formed, a
# record that is not a child of the one element holding them all) makes the caller read
# the file with :func:`records` instead, which reports problems exactly.


@dataclass(frozen=True)
class Piece:
    """Bytes ``start:end`` of a file, parsed between ``before`` and ``after``."""

    path: Path
    start: int
    end: int
    before: bytes  # start tags of the elements open where the piece starts
    after: bytes  # end tags of the elements open where it ends
    depth: int  # how many elements hold each record


_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)"""
)
_ONE_BYTE_SAFE = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}


def _qname(element: Element) -> str:
    return f"{element.prefix}:{local(element.tag)}" if element.prefix else local(element.tag)


def split(path: Path, names: set[str], piece_bytes: int) -> list[Piece] | None:
    """Cut ``path`` into pieces of about ``piece_bytes`` right after end tags of its
    first record's name; ``None`` when the file should be read whole with
    :func:`records` (no record, a DTD, not UTF-8, not well-formed at the start)."""
    try:
        head = _head(path, names)
    except etree.XMLSyntaxError:
        return None
    if head.doctype or not head.around_first_record:
        return None
    with path.open("rb") as handle:
        start = handle.read(1 << 10)
        declared = _DECLARED_ENCODING.match(start)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")) or (
            declared and declared.group(1).lower() not in _ONE_BYTE_SAFE
        ):
            return None  # pieces are parsed as UTF-8
        around = head.around_first_record
        record_tag = next(_qname(e) for e in around[-1].iter() if local(e.tag) in names).encode()
        end_tag = re.compile(rb"</" + re.escape(record_tag) + rb"\s*>")
        nsmap = around[-1].nsmap
        declarations = "".join(
            f" xmlns{':' + p if p else ''}={quoteattr(uri)}" for p, uri in nsmap.items()
        )
        before = (
            f"<{_qname(around[0])}{declarations}>" + "".join(f"<{_qname(e)}>" for e in around[1:])
        ).encode()
        after = "".join(f"</{_qname(e)}>" for e in reversed(around)).encode()
        size = path.stat().st_size
        # The first piece (with the file's header) and the last (with its end) are read
        # as trees, the others perhaps faster: they are kept small, a few records and
        # none.
        cuts = [0]
        at = head.bytes_read
        while at < size:
            handle.seek(at)
            window = handle.read(1 << 16)
            found = end_tag.search(window)
            if found is None:
                if len(window) < 1 << 16:
                    break  # the end of the file
                at += len(window) - len(record_tag) - 64  # an end tag may span windows
                continue
            cuts.append(at + found.end())
            at = cuts[-1] + piece_bytes
        handle.seek(max(0, size - (1 << 16)))
        tail = handle.read()
        last = max((m.end() for m in end_tag.finditer(tail)), default=None)
        if last is not None:
            cuts.append(size - len(tail) + last)
    cuts = sorted({*cuts, size})
    return [
        Piece(
            path,
            a,
            b,
            b"" if i == 0 else before,
            b"" if i == len(cuts) - 2 else after,
            len(around),
        )
        for i, (a, b) in enumerate(pairwise(cuts))
        if b > a
    ]


def piece_body(piece: Piece) -> bytes:
    """The piece's own bytes (without ``before`` and ``after``)."""
    with piece.path.open("rb") as handle:
        handle.seek(piece.start)
        return handle.read(piece.end - piece.start)


class _NoTree:
    """A parser target that keeps nothing: parsing with it only checks the bytes."""

    def close(self) -> None:
        return None


def well_formed(*parts: bytes) -> bool:
    """Whether the document made of ``parts`` is well-formed XML, parsed with the safe
    options and no tree built (about a fifth of the time of building one): undeclared
    entities, a document type in the middle, mismatched tags and bad UTF-8 all fail."""
    # The stubs' target protocol lists every callback; lxml calls only those a target
    # has, and this one has none.
    parser = etree.XMLParser(target=_NoTree(), **SAFE)  # type: ignore[call-overload]
    try:
        for part in parts:
            parser.feed(part)
        parser.close()
    except etree.XMLSyntaxError:
        return False
    return True


def piece_records(piece: Piece, names: set[str]) -> tuple[Element, list[Element]] | None:
    """The root and the records of one piece, in file order; ``None`` when the piece is
    not well-formed or its records are not all children of the element that holds the
    first (the caller then reads the file with :func:`records`)."""
    try:
        root = etree.fromstring(piece.before + piece_body(piece) + piece.after, _parser())
    except etree.XMLSyntaxError:
        return None
    found = list(root.iter([f"{{*}}{name}" for name in names]))
    if not found:
        return root, found
    holder = found[0].getparent()
    if piece.before:  # the records' holder must be the one opened by ``before``
        opened = root
        for _ in range(piece.depth - 1):
            opened = opened[0]
        if holder is not opened:
            return None
    if any(element.getparent() is not holder for element in found):
        return None
    return root, found


PIECE_BYTES = 4 << 20  # about 1,800 GLEIF relationship records
PARALLEL_MIN_BYTES = 32 << 20  # smaller files are read in one process


def workers() -> int:
    """How many processes may read pieces: the cores this process may use; 1 where
    processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return usable_cores()


def read_in_parallel(
    path: Path, names: set[str], read_piece: Callable[[Piece], R | None]
) -> tuple[list[R], str] | None:
    """``read_piece`` of every piece of ``path`` (:func:`split`), in file order, read by
    :func:`workers` processes, and the file's sha256 computed beside them. ``None`` when
    the file is small, cannot be split, or any piece read ``None`` (a problem or a
    surprise): then the caller reads it with :func:`records`, which reports problems
    exactly."""
    count = workers()
    if count < 2 or path.stat().st_size < PARALLEL_MIN_BYTES:
        return None
    pieces = split(path, names, PIECE_BYTES)
    if pieces is None or len(pieces) < 2:
        return None
    with multiprocessing.get_context("fork").Pool(count) as pool:
        digest = pool.apply_async(sha256_of, (path,))
        results: list[R] = []
        for result in pool.imap(read_piece, pieces):
            if result is None:
                return None  # leaving the block stops the other workers
            results.append(result)
        return results, digest.get()
