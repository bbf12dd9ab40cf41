"""The guard bounds a query's size, nesting and flat chains before any parser runs,
and ``sanctiongraph query`` uses the same guard (issue 22, items 10 and 11)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sanctiongraph import cli
from sanctiongraph.api.guard import MAX_CHAIN, UnsafeQuery, inspect_query

QUERIES = Path(__file__).parents[2] / "queries"


def chain(operator: str, count: int) -> str:
    return "ASK { FILTER(" + f" {operator} ".join(["1"] * count) + " > 0) }"


@pytest.mark.parametrize(
    "query",
    [
        chain("+", 7000),  # 14 KB; segfaulted a worker, and rdflib took 20 s to parse it
        chain("*", MAX_CHAIN + 2),
        "ASK { FILTER(" + " || ".join(["true"] * 600) + ") }",
        "SELECT * { " + " UNION ".join(["{ BIND(1 AS ?x) }"] * 600) + " }",
        "SELECT * { " + " ".join("{ BIND(1 AS ?x%d) }" % i for i in range(600)) + " }",
        "SELECT * { ?s " + "/".join(["<urn:p>"] * 600) + " ?o }",
        # Operands written as prefixed names: the tokenizer took ":+:+..." for one name and
        # the CLI segfaulted on it (found by review).
        "PREFIX : <http://x/> ASK { FILTER(" + "+".join([":"] * 7000) + " > 0) }",
        "PREFIX : <http://x/> ASK { FILTER(" + "*".join(["ex:a"] * 600) + " > 0) }",
        "PREFIX : <http://x/> SELECT * { ?s " + "/".join([":"] * 7000) + " ?o }",
        "PREFIX : <http://x/> SELECT * { ?s " + "|".join([":p"] * 600) + " ?o }",
    ],
)
def test_flat_chains_refused_before_parsing(query):
    started = time.monotonic()
    with pytest.raises(UnsafeQuery, match="chain of more than"):
        inspect_query(query, set(), max_length=200_000, max_terms=200_000)
    assert time.monotonic() - started < 2.0


def test_too_many_terms_refused():
    query = "SELECT * { VALUES ?x { " + " ".join(str(i) for i in range(6000)) + " } }"
    with pytest.raises(UnsafeQuery, match="more than 5000 terms"):
        inspect_query(query, set(), max_length=200_000)


@pytest.mark.parametrize(
    "query",
    [
        chain("+", 300),
        "SELECT * { VALUES ?x { " + " ".join(f"{i}.5" for i in range(1000)) + " } }",
        "SELECT * { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(100)) + " }",
    ],
)
def test_ordinary_large_queries_pass(query):
    assert inspect_query(query, set()).form in ("ASK", "SELECT")


def test_the_shipped_queries_pass():
    shipped = sorted(QUERIES.rglob("*.rq"))
    assert shipped
    for path in shipped:
        inspect_query(path.read_text(encoding="utf-8"), set())


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> str:
    location = tmp_path_factory.mktemp("cli") / "store"
    result = CliRunner().invoke(cli.cli, ["query", "--store", str(location), "--query", "ASK {}"])
    assert result.exit_code == 0, result.output
    return str(location)


@pytest.mark.parametrize(
    "probe",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "LOAD <{url}>",
        "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        "INSERT DATA {{ <{url}> <urn:p> <urn:o> }}",
    ],
)
def test_cli_query_refuses_unsafe_queries_without_connecting(store_dir, listener, probe):
    result = CliRunner().invoke(
        cli.cli, ["query", "--store", store_dir, "--query", probe.format(url=listener.url)]
    )
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and "Traceback" not in result.output
    time.sleep(0.3)
    assert listener.connections == 0


@pytest.mark.parametrize(
    "text",
    [
        chain("+", 7000),
        "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
        "PREFIX : <http://x/> ASK { FILTER(" + "+".join([":"] * 7000) + " > 0) }",
    ],
)
def test_cli_query_refuses_huge_trees(store_dir, tmp_path, text):
    # Exit 139 (a segfault) before: the CLI had no guard at all.
    path = tmp_path / "big.rq"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli.cli, ["query", "--store", store_dir, str(path)])
    assert result.exit_code == 2 and "refused" in result.output, result.output


def test_cli_query_still_runs_plain_queries(store_dir):
    result = CliRunner().invoke(
        cli.cli, ["query", "--store", store_dir, "--format", "json", "--query", "ASK { ?s ?p ?o }"]
    )
    assert result.exit_code == 0 and "true" in result.output, result.output


def test_a_character_xml_cannot_carry_is_refused_in_the_query_text():
    """The store holds none (ingest refuses them), and a literal in a query put one into
    non-well-formed XML results (found by review)."""
    with pytest.raises(UnsafeQuery, match="U\\+0001"):
        inspect_query('SELECT ?x WHERE { BIND("a\x01b" AS ?x) }', set())
    inspect_query('SELECT ?x WHERE { BIND("a\tb" AS ?x) }', set())  # tab is fine
