"""Inspect a SPARQL query before any engine sees it, and refuse what is unsafe.

Two independent checks, and a query must pass both:

1. A tokenizer that knows SPARQL's strings, IRIs and comments measures the length and
   the nesting depth (pyoxigraph segfaults at about 3,000 levels; rdflib's parser
   recurses), and finds bare keywords: ``SERVICE``, ``LOAD``, every update operation
   and ``FROM``. A keyword inside a string, an IRI, a comment, a variable or a prefixed
   name is not a keyword, so a comment cannot hide one and a string cannot fake one.
2. rdflib's SPARQL parser builds the parse tree; an update form, a ``SERVICE`` pattern
   or a ``FROM``/``FROM NAMED`` IRI that is not one of the store's own graphs is refused.

SPARQL's codepoint escapes (``\\u0022``) may be expanded before parsing, which would
let an escape close a string behind a tokenizer's back, so they are refused outright.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection
from dataclasses import dataclass

FORBIDDEN = {
    "SERVICE": "SERVICE (federated queries) is not allowed",
    "LOAD": "LOAD is not allowed: this endpoint is read-only",
}
UPDATE_WORDS = {"INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                "WITH", "USING"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[^\s{}()\[\];,<>"'\#\\]|\\.)*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class UnsafeQuery(ValueError):
    """The query is refused (HTTP 400) before it reaches an engine."""


@dataclass(frozen=True)
class Inspection:
    form: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    depth: int
    dataset: tuple[tuple[str, str], ...]  # ("default" | "named", IRI) from FROM clauses


@dataclass(frozen=True)
class Scan:
    depth: int
    words: tuple[str, ...]  # bare keywords, upper case, in order


def scan(query: str, max_length: int, max_depth: int) -> Scan:
    """Tokenize; refuse long, deep, escaped or unterminated queries."""
    if len(query) > max_length:
        raise UnsafeQuery(f"query is longer than {max_length} characters")
    if re.search(r"\\[uU]", _strip_comments_only(query)):
        raise UnsafeQuery("codepoint escapes (\\u, \\U) are not accepted; "
                          "write the characters themselves")
    depth = deepest = 0
    words: list[str] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > max_depth:
                raise UnsafeQuery(f"query is nested deeper than {max_depth} levels")
            deepest = max(deepest, depth)
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            words.append(match.group().upper())
        elif kind == "other" and match.group() in "\"'":
            raise UnsafeQuery("unterminated string in the query")
    return Scan(deepest, tuple(words))


def _strip_comments_only(query: str) -> str:
    # Escapes in comments are harmless; anywhere else they are refused.
    return "".join(m.group() for m in _TOKEN.finditer(query) if m.lastgroup != "comment")


def inspect_query(
    query: str, allowed_graphs: Collection[str], max_length: int, max_depth: int
) -> Inspection:
    """Refuse anything but a plain read-only query over our own graphs."""
    scanned = scan(query, max_length, max_depth)
    for word in scanned.words:
        if word in FORBIDDEN:
            raise UnsafeQuery(FORBIDDEN[word])
        if word in UPDATE_WORDS:
            raise UnsafeQuery(f"updates ({word}) are not allowed: this endpoint is read-only")
    tree = _parse(query)
    form = tree[1].name.removesuffix("Query").upper()
    if _contains(tree, "ServiceGraphPattern"):
        raise UnsafeQuery(FORBIDDEN["SERVICE"])
    dataset = _dataset(tree)
    if len(dataset) != scanned.words.count("FROM"):
        raise UnsafeQuery("could not read the FROM clauses of the query")
    for _, iri in dataset:
        if iri not in allowed_graphs:
            raise UnsafeQuery(f"FROM <{iri}> is not a graph of this store; "
                              "FROM may name only the store's own graphs")
    return Inspection(form, scanned.depth, tuple(dataset))


def _parse(query: str):
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        try:
            return parseQuery(query)
        except ParseException as exc:
            try:
                parseUpdate(query)
            except Exception:  # noqa: BLE001 - not an update either: report the query error
                raise UnsafeQuery(f"SPARQL syntax error: {exc}") from None
            raise UnsafeQuery("updates are not allowed: this endpoint is read-only") from None
        except RecursionError:
            raise UnsafeQuery("query is nested too deeply to parse") from None
        except Exception as exc:  # noqa: BLE001 - rdflib raises assorted errors on bad input
            raise UnsafeQuery(f"SPARQL syntax error: {exc}") from None
    finally:
        sys.setrecursionlimit(limit)


def _contains(node, name: str) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == name:
                return True
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def _dataset(tree) -> list[tuple[str, str]]:
    from rdflib.plugins.sparql.algebra import translateQuery

    if not tree[1].get("datasetClause"):
        return []
    try:
        translated = translateQuery(tree)
    except Exception as exc:  # noqa: BLE001
        raise UnsafeQuery(f"SPARQL error: {exc}") from None
    clauses = translated.algebra.get("datasetClause") or []
    result = []
    for clause in clauses:
        for kind in ("default", "named"):
            if kind in clause and clause[kind] is not None:
                result.append((kind, str(clause[kind])))
    return result
