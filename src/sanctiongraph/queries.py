"""Named SPARQL files under ``queries/`` and their headers.

Every file opens with a header of ``# key: value`` lines (``name``, ``summary``,
``params``, ``returns``); ``params`` lists the variables the caller binds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from sanctiongraph.namespaces import BASE, ID, ONTOLOGY_IRI, REF
from sanctiongraph.resources import queries_dir

# Prefixes a query may use without declaring them (the SPARQL endpoint and
# ``sanctiongraph query`` add the ones a query does not declare itself).
COMMON_PREFIXES = {
    "sg": ONTOLOGY_IRI + "#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "sh": "http://www.w3.org/ns/shacl#",
    "prov": "http://www.w3.org/ns/prov#",
    "id": str(ID),
    "ref": str(REF),
    "graph": BASE + "graph/",
}
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:", re.IGNORECASE)
_SYNTAX_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
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
    return NamedQuery(
        path, header.get("name", path.stem), header.get("summary", ""), params, returns, text
    )


@cache
def load_query(relative: str) -> NamedQuery:
    """A query by its path under ``queries/`` without the suffix, e.g. ``derive/subclass-closure``."""
    return parse_query_file(queries_dir() / f"{relative}.rq")


def all_queries() -> list[NamedQuery]:
    return [parse_query_file(p) for p in sorted(queries_dir().rglob("*.rq"))]


def with_common_prefixes(text: str) -> tuple[str, int]:
    """``text`` with a ``PREFIX`` line for each of :data:`COMMON_PREFIXES` that it does
    not declare itself, and the number of lines added before it."""
    declared = {name or "" for name in _DECLARED.findall(text)}
    lines = [
        f"PREFIX {name}: <{iri}>" for name, iri in COMMON_PREFIXES.items() if name not in declared
    ]
    return ("\n".join(lines) + "\n" + text if lines else text), len(lines)


def oxigraph_syntax_error(error: SyntaxError) -> tuple[int, int, str] | None:
    """The line, column and expectation of pyoxigraph's ``error at L:C: ...``."""
    match = _SYNTAX_ERROR.match(str(error))
    return None if match is None else (int(match.group(1)), int(match.group(2)), match.group(3))


def syntax_error_message(
    position: tuple[int, int, str] | None, text: str, added_lines: int = 0
) -> str:
    """A short message for a query that does not parse, from the ``(line, column,
    expectation)`` a parser gave for ``text`` with ``added_lines`` put before it: the
    line and column in the user's own text, and that line with a caret under the place."""
    if position is None:
        return "SPARQL syntax error"
    line, column = position[0] - added_lines, position[1]
    expected = " ".join(position[2].split())
    if len(expected) > 160:
        expected = expected[:157] + "..."
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return f"SPARQL syntax error at line {line}, column {column}: {expected}"
    return (
        f"SPARQL syntax error at line {line}, column {column}: {expected}\n"
        f"  {lines[line - 1]}\n  {' ' * (column - 1)}^"
    )


def example_query_files() -> list[NamedQuery]:
    """The researchers' examples (``queries/examples/``), as the query editor opens them."""
    return [parse_query_file(p) for p in sorted((queries_dir() / "examples").glob("*.rq"))]


# Just enough of SPARQL's lexer to find keywords and braces outside comments, IRIs and
# strings (for binding variables as VALUES on servers without pyoxigraph's substitutions).
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)|(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|(?P<open>\{)|(?P<word>[A-Za-z]+)|(?P<other>.)""",
    re.DOTALL,
)
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside comments,
    IRIs and strings."""
    for match in _TOKEN.finditer(sparql):
        word = match.group("word")
        if word and word.upper() in _FORMS:
            return word.upper()
    raise SyntaxError("not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


def ask_as_select(sparql: str) -> str:
    """An ASK query as ``SELECT * {...} LIMIT 1``: it has a row exactly when ASK is true."""
    for match in _TOKEN.finditer(sparql):
        word = match.group("word")
        if word and word.upper() in _FORMS:
            if word.upper() != "ASK":
                raise SyntaxError(f"not an ASK query: {word.upper()}")
            return f"{sparql[: match.start()]}SELECT *{sparql[match.end() :]} LIMIT 1"
    raise SyntaxError("not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")


def with_values(sparql: str, substitutions: Mapping[str, Any] | None) -> str:
    """Bind variables: ``VALUES (?a ?b) { (x y) }`` right after the outer group opens."""
    if not substitutions:
        return sparql
    return with_rows(sparql, list(substitutions), [list(substitutions.values())])


def with_rows(sparql: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Insert ``VALUES (?a ?b) { (x y) (x2 y2) ... }`` right after the outer group opens
    (terms are pyoxigraph terms, written in their N-Triples form)."""
    variables = " ".join(f"?{n.lstrip('?$')}" for n in names)
    values = " ".join("(" + " ".join(str(term) for term in row) + ")" for row in rows)
    block = f" VALUES ({variables}) {{ {values} }} "
    seen_form = False
    for match in _TOKEN.finditer(sparql):
        if match.group("word") and match.group("word").upper() in _FORMS:
            seen_form = True
        if seen_form and match.group("open"):
            return sparql[: match.end()] + block + sparql[match.end() :]
    raise SyntaxError("cannot find the query's group pattern")


# Oxigraph (0.5) joins a VALUES block of more than about 1,000 rows by a nested loop:
# at 100k entities a holdings query took 23 ms with 1,000 owners and 12.7 s with 1,100.
VALUES_CHUNK = 500


def iri_rows(values: Iterable[str]) -> list[list[ox.NamedNode]]:
    """One-column VALUES rows for the IRIs among plain ``values`` (as
    :func:`select_values` gives them). A blank node's id has no scheme and is left out:
    VALUES cannot name a blank node."""
    return [[ox.NamedNode(v)] for v in values if ":" in v]


def value_blocks(values: Iterable[str]) -> list[str]:
    """The IRIs among plain ``values`` (:func:`iri_rows`), distinct and sorted, as
    N-Triples terms for the body of a ``VALUES`` block, at most :data:`VALUES_CHUNK`
    terms a block."""
    terms = [str(row[0]) for row in iri_rows(sorted(set(values)))]
    return [" ".join(terms[i : i + VALUES_CHUNK]) for i in range(0, len(terms), VALUES_CHUNK)]


def with_rows_chunked(
    sparql: str, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[str]:
    """:func:`with_rows` for at most :data:`VALUES_CHUNK` rows per query: run each and
    join the solutions (no rows, no query)."""
    rows, size = list(rows), VALUES_CHUNK
    return [with_rows(sparql, names, rows[i : i + size]) for i in range(0, len(rows), size)]


# --------------------------------------------------------------------------- results

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    return chr(int(code, 16)) if code else _ECHAR.get(match.group(3), match.group(0))


def _tsv_value(field: str) -> str | None:
    """The ``.value`` of a term written in SPARQL TSV (None for an empty field)."""
    if not field:
        return None
    first = field[0]
    if first == "<":
        return field[1:-1]
    if first == '"':
        body = field[1 : field.rindex('"')]
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    if field.startswith("_:"):
        return field[2:]
    return field  # a number or boolean in its short form


def select_values(
    store: Any, sparql: str, substitutions: Mapping[str, Any] | None = None
) -> list[dict[str, str | None]]:
    """The solutions of a SELECT as dicts of plain values (an IRI, a literal's lexical
    form, a blank node's id; None when unbound), one key per projected variable.

    Reading a large result as one TSV document is several times faster than reading
    each term of each solution as a Python object. Use it where the kind of term does
    not matter; use ``store.query`` where it does.
    """
    lines = (
        store.query(sparql, substitutions)
        .serialize(format=ox.QueryResultsFormat.TSV)
        .decode()
        .split("\n")
    )
    names = [name[1:] for name in lines[0].split("\t")]
    return [dict(zip(names, map(_tsv_value, line.split("\t")))) for line in lines[1:] if line]


_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def select_properties(
    store: Any, subjects: str | None, predicates: Iterable[str], types: Iterable[str] = ()
) -> list[dict[str, str | None]]:
    """Rows ``{"s", "p", "o", "g"}``: each value of each of ``predicates`` (IRIs) of each
    subject ``?s`` that the group pattern ``subjects`` binds, with the named graph that
    states it. With ``subjects`` ``None``: of every subject of those predicates, and
    for ``rdf:type`` only the ``types`` given.

    Oxigraph's union default graph (and any quad store's) gives a triple once per graph
    that holds it, so a join of n patterns over facts loaded in k graphs has k**n
    solutions (5 copies of a transaction and 11 of its properties: 5**11). Here each
    stated triple is one row: k copies cost k rows. Group them with
    :func:`group_properties`. Plain SPARQL 1.1, in two steps: the distinct subjects,
    then their triples by ``VALUES`` blocks (Oxigraph 0.5 joins a sub-select with
    ``?s ?p ?o`` by scanning every triple), the predicates kept by a ``FILTER`` in the
    store (a second ``VALUES`` block for them made Oxigraph scan far more); blank-node
    subjects, which ``VALUES`` cannot name, are read with the pattern itself."""
    wanted = set(predicates)
    if subjects is None:
        listed = " ".join(f"<{p}>" for p in sorted(wanted - {_TYPE}))
        query = (
            f"SELECT ?s ?p ?o ?g WHERE {{ {{ VALUES ?p {{ {listed} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        )
        if _TYPE in wanted and types:
            classes = " ".join(f"<{t}>" for t in types)
            query += (
                f" UNION {{ VALUES ?o {{ {classes} }} GRAPH ?g {{ ?s <{_TYPE}> ?o }} "
                f"BIND (<{_TYPE}> AS ?p) }}"
            )
        return select_values(store, query + " }")
    found = [
        s
        for row in select_values(store, f"SELECT DISTINCT ?s WHERE {{ {subjects} }}")
        if (s := row["s"]) is not None
    ]
    listed = ", ".join(f"<{p}>" for p in sorted(wanted))
    rows = [
        row
        for block in value_blocks(found)
        for row in select_values(
            store,
            f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {block} }} GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER (?p IN ({listed})) }}",
        )
    ]
    if any(":" not in subject for subject in found):  # blank nodes (no IRI scheme)
        rows += [
            row
            for row in select_values(
                store,
                (
                    f"SELECT ?s ?p ?o ?g WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ {subjects} }} }} "
                    "FILTER (isBlank(?s)) GRAPH ?g { ?s ?p ?o } }"
                ),
            )
        ]
    return [row for row in rows if row["p"] in wanted]


def group_properties(
    rows: Iterable[dict[str, str | None]], names: Mapping[str, str]
) -> dict[str, dict[str, set[str]]]:
    """:func:`select_properties` rows as subject -> fact -> values, each predicate named
    by ``names`` (IRI to name): a fact stated in several graphs is one value. Missing
    facts read as empty sets."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        subject, predicate, value = row["s"], row["p"], row["o"]
        if subject is not None and predicate is not None and value is not None:
            found[subject][names[predicate]].add(value)
    return found
