"""Inspect a SPARQL query before any engine sees it, and refuse what is unsafe.

Two independent checks, and a query must pass both:

1. A tokenizer that knows SPARQL's strings, IRIs and comments measures the query's
   parse tree before anything parses it: its length, its size (terms), its nesting
   depth (pyoxigraph segfaults at about 3,000 levels; rdflib's parser recurses) and the
   longest flat chain in one group or parenthesis (operators, ``UNION``s, ``.``s,
   sub-groups: pyoxigraph nests such a chain as deep as it is long and segfaulted on
   ``1+1+...+1`` with 7,000 operands; rdflib took 20 s to parse it). It finds bare
   keywords: ``SERVICE``, ``LOAD``, every update operation and ``FROM``. A keyword inside a string, an IRI, a comment, a variable or a prefixed
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyparsing import ParseResults

from sanctiongraph.ingest.characters import forbidden_character

FORBIDDEN = {
    "SERVICE": "SERVICE (federated queries) is not allowed",
    "LOAD": "LOAD is not allowed: this endpoint is read-only",
}
UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
    "USING",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w.\-:%\u00B7\u00C0-\uFFFF]|\\.)*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d*\.\d+(?:[eE][+-]?\d+)?|\d+\.\d*[eE][+-]?\d+|\d+(?:[eE][+-]?\d+)?)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


# Defaults shared by the API's settings and the CLI's ``query``: well inside what
# pyoxigraph survives (flat chains of 2,000 ran, 7,000 crashed; nesting about 3,000).
MAX_LENGTH = 20_000
MAX_DEPTH = 32
MAX_TERMS = 5_000
MAX_CHAIN = 500

# Tokens that pyoxigraph folds into one nested node each, when they repeat in a group.
_CHAINING = {
    "+",
    "-",
    "*",
    "/",
    "|",
    "&",
    "=",
    "!",
    "<",
    ">",
    ".",
    ";",
    ",",
    "^",
    "UNION",
    "OPTIONAL",
    "MINUS",
    "FILTER",
    "BIND",
    "GRAPH",
    "VALUES",
}


class UnsafeQuery(ValueError):
    """The query is refused (HTTP 400, CLI exit 2) before it reaches an engine."""


class QuerySyntaxError(UnsafeQuery):
    """The query does not parse: at ``line`` and ``column`` (1-based) of the text given,
    the parser ``expected`` something else."""

    def __init__(self, line: int, column: int, expected: str) -> None:
        super().__init__(f"SPARQL syntax error at line {line}, column {column}: {expected}")
        self.line, self.column, self.expected = line, column, expected


@dataclass(frozen=True)
class Inspection:
    form: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    depth: int
    dataset: tuple[tuple[str, str], ...]  # ("default" | "named", IRI) from FROM clauses


@dataclass(frozen=True)
class Scan:
    depth: int
    words: tuple[str, ...]  # bare keywords, upper case, in order


def scan(
    query: str,
    max_length: int,
    max_depth: int,
    max_terms: int = MAX_TERMS,
    max_chain: int = MAX_CHAIN,
) -> Scan:
    """Tokenize; refuse long, large, deep, long-chained, escaped or unterminated queries."""
    if len(query) > max_length:
        raise UnsafeQuery(f"query is longer than {max_length} characters")
    if re.search(r"\\[uU]", _strip_comments_only(query)):
        raise UnsafeQuery(
            "codepoint escapes (\\u, \\U) are not accepted; write the characters themselves"
        )
    depth = deepest = terms = 0
    chains = [0]  # chaining tokens met so far in each open group, innermost last
    words: list[str] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        terms += 1
        if terms > max_terms:
            raise UnsafeQuery(
                f"query has more than {max_terms} terms; split it or use VALUES with fewer rows"
            )
        text = match.group()
        if kind == "open":
            _chain(chains, max_chain)  # a group inside a group is joined to its siblings
            depth += 1
            if depth > max_depth:
                raise UnsafeQuery(f"query is nested deeper than {max_depth} levels")
            deepest = max(deepest, depth)
            chains.append(0)
        elif kind == "close":
            depth -= 1
            if len(chains) > 1:
                chains.pop()
        elif kind == "word":
            words.append(text.upper())
            if text.upper() in _CHAINING:
                _chain(chains, max_chain)
        elif kind == "other" and text in "\"'":
            raise UnsafeQuery("unterminated string in the query")
        elif kind == "other" and text in _CHAINING:
            _chain(chains, max_chain)
    return Scan(deepest, tuple(words))


def _chain(chains: list[int], max_chain: int) -> None:
    chains[-1] += 1
    if chains[-1] > max_chain:
        raise UnsafeQuery(
            f"query has a chain of more than {max_chain} operators, patterns "
            "or groups in one group or parenthesis; nest or split it"
        )


def _strip_comments_only(query: str) -> str:
    # Escapes in comments are harmless; anywhere else they are refused.
    return "".join(m.group() for m in _TOKEN.finditer(query) if m.lastgroup != "comment")


def inspect_query(
    query: str,
    allowed_graphs: Collection[str],
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
    max_terms: int = MAX_TERMS,
    max_chain: int = MAX_CHAIN,
) -> Inspection:
    """Refuse anything but a plain, bounded, read-only query over our own graphs."""
    scanned = scan(query, max_length, max_depth, max_terms, max_chain)
    unreadable = forbidden_character(query)  # (codepoint escapes are refused by scan)
    if unreadable is not None:  # none is in the store either: ingest refuses them
        raise UnsafeQuery(unreadable)
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
            raise UnsafeQuery(
                f"FROM <{iri}> is not a graph of this store; "
                "FROM may name only the store's own graphs"
            )
    return Inspection(form, scanned.depth, tuple(dataset))


def _parse(query: str) -> ParseResults:
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
            except Exception:
                raise QuerySyntaxError(exc.lineno, exc.col, exc.msg) from None
            raise UnsafeQuery("updates are not allowed: this endpoint is read-only") from None
        except RecursionError:
            raise UnsafeQuery("query is nested too deeply to parse") from None
        except Exception as exc:
            raise UnsafeQuery(f"SPARQL syntax error: {exc}") from None
    finally:
        sys.setrecursionlimit(limit)


def _contains(node: object, name: str) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[Any] = [node]
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


def _dataset(tree: ParseResults) -> list[tuple[str, str]]:
    from rdflib.plugins.sparql.algebra import translateQuery

    if not tree[1].get("datasetClause"):
        return []
    try:
        translated = translateQuery(tree)
    except Exception as exc:
        raise UnsafeQuery(f"SPARQL error: {exc}") from None
    clauses = translated.algebra.get("datasetClause") or []
    result = []
    for clause in clauses:
        for kind in ("default", "named"):
            if kind in clause and clause[kind] is not None:
                result.append((kind, str(clause[kind])))
    return result
