"""Every query file parses, has a header, and declares exactly its caller-bound params."""

from __future__ import annotations

import re

import pytest
from rdflib.plugins.sparql import prepareQuery

from sanctiongraph.queries import all_queries, load_query

QUERIES = all_queries()


def test_there_are_queries():
    assert QUERIES


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_query_parses_and_has_a_header(query):
    assert query.name and query.summary, f"{query.path} lacks a name/summary header"
    assert re.search(r"^#\s*returns:", query.text, re.MULTILINE), f"{query.path} lacks returns"
    prepareQuery(query.text)
    for param in query.params:
        assert re.search(rf"[?$]{param}\b", query.text.split("\n", 5)[-1]), (
            f"{query.path}: param ?{param} is not used in the query"
        )


def test_select_values_equals_each_terms_value():
    """The TSV fast path gives exactly ``term.value`` for every kind of term, and None
    for an unbound variable (including strings that need escaping in TSV)."""
    import pyoxigraph as ox

    from sanctiongraph.queries import select_values
    from sanctiongraph.store import open_store

    store = open_store(in_memory=True)
    objects = [
        ox.Literal("1.50", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        ox.Literal("60", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        ox.Literal("+5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
        ox.Literal("2024-02-29", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ox.Literal('tab\there, new\nline, cr\r, quote " and backslash \\u0041 \\'),
        ox.Literal("déjà vu ✓"),
        ox.Literal("hi", language="en"),
        ox.Literal(""),
        ox.NamedNode("https://example.org/x?a=1#f"),
        ox.BlankNode("b1"),
    ]
    store.add_triples(
        ox.NamedNode("https://example.org/g"),
        [
            ox.Triple(
                ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), o
            )
            for o in objects
        ],
    )
    query = "SELECT ?o ?unbound WHERE { <https://example.org/s> ?p ?o }"
    fast = sorted((row["o"], row["unbound"]) for row in select_values(store, query))
    slow = sorted((s["o"].value, None) for s in store.query(query))
    assert fast == slow
    assert len(fast) == len(objects)


@pytest.mark.parametrize("location", ["memory", "disk"])
def test_add_constructed_adds_what_the_construct_returns(location, tmp_path):
    """Every derive CONSTRUCT, on the demo world after the rule derivers (so that the
    closure over the derived graph's own types has work): add_constructed adds exactly
    the CONSTRUCT's triples, in memory and on disk."""
    from datetime import date

    import pyoxigraph as ox

    from sanctiongraph.derive import DERIVED, as_of_triple, derivers
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.queries import query_form
    from sanctiongraph.resources import demo_world_dir
    from sanctiongraph.store import open_store

    store = open_store(in_memory=True) if location == "memory" else open_store(tmp_path / "s")
    load_bundled(store)
    load_sources(store, read_sources([demo_world_dir()]))
    as_of = date(2026, 11, 23)
    store.replace_graph(DERIVED, [as_of_triple(as_of)])
    for module in derivers():
        if module.ORDER < 1000:
            module.derive(store, as_of)
    steps = [
        q for q in QUERIES if q.path.parent.name == "derive" and query_form(q.text) == "CONSTRUCT"
    ]
    assert {"subclass-closure", "derived-subclass-closure", "defaults"} <= {q.name for q in steps}
    for step in steps:
        expected = set(store.query(step.text))
        target = ox.NamedNode(f"https://example.org/test/{step.name}")
        store.add_constructed(target, step.text)
        assert set(store.triples(target)) == expected, step.name
        store.drop_graph(target)
    assert set(store.query(load_query("derive/derived-subclass-closure").text))
    store.close()


def test_with_rows_chunked_splits_rows_into_blocks(monkeypatch):
    import pyoxigraph as ox

    import sanctiongraph.queries
    from sanctiongraph.queries import with_rows_chunked

    monkeypatch.setattr(sanctiongraph.queries, "VALUES_CHUNK", 2)
    rows = [[ox.NamedNode(f"https://example.org/{n}")] for n in range(5)]
    queries = with_rows_chunked("SELECT ?x WHERE { ?x ?p ?o }", ["x"], rows)
    assert len(queries) == 3
    assert [q.count("<https://example.org/") for q in queries] == [2, 2, 1]
    assert with_rows_chunked("SELECT ?x WHERE { ?x ?p ?o }", ["x"], []) == []


def test_common_prefixes_are_added_only_where_the_query_does_not_declare_them():
    from sanctiongraph.queries import COMMON_PREFIXES, with_common_prefixes

    text = "PREFIX sg: <urn:mine#>\nprefix  rdfs :<urn:r#>\nSELECT * WHERE { ?s sg:x ?o }"
    prefixed, added = with_common_prefixes(text)
    assert added == len(COMMON_PREFIXES) - 2
    assert prefixed.endswith(text) and "PREFIX sg:" not in prefixed[: -len(text)]
    assert "PREFIX dct: <http://purl.org/dc/terms/>" in prefixed
    import pyoxigraph as ox

    ox.Store().query(with_common_prefixes("ASK { ?s a sg:Bank ; dct:identifier ?i }")[0])


def test_a_syntax_error_names_the_line_and_column_of_the_users_own_text():
    import pyoxigraph as ox

    from sanctiongraph.queries import (
        oxigraph_syntax_error,
        syntax_error_message,
        with_common_prefixes,
    )

    text = "SELECT * WHERE {\n  ?s ?p ?o\n  FILTER(?o > ) }"
    prefixed, added = with_common_prefixes(text)
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(prefixed)
    message = syntax_error_message(oxigraph_syntax_error(caught.value), text, added).splitlines()
    assert message[0].startswith("SPARQL syntax error at line 3, column 18: expected one of")
    assert message[1:] == ["    FILTER(?o > ) }", "                   ^"]


def test_the_cli_query_knows_the_common_prefixes_and_reports_syntax_errors_briefly(tmp_path):
    import subprocess
    import sys

    def run(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "sanctiongraph.cli",
                "query",
                "--store",
                str(tmp_path / "s"),
                "--format",
                "csv",
                "--query",
                text,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )

    ok = run("SELECT DISTINCT ?c WHERE { ?c a sg:Country ; sg:code 'KP' }")
    assert ok.returncode == 0 and ok.stdout.splitlines() == [
        "c",
        "https://w3id.org/sanctiongraph/ref/country/KP",
    ]
    assert ok.stderr == ""  # a new store is derived without a warning
    bad = run("SELECT * WHERE { ?s ?p }")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: SPARQL syntax error at line 1, column ")
    assert "Traceback" not in bad.stderr
