"""The researchers' example queries (queries/examples/): at least fifteen, each answers on
the demo world, each is listed in docs/queries.md, and they are the query editor's tabs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import read_sources
from sanctiongraph.loading import load_bundled, load_shapes, load_sources
from sanctiongraph.queries import example_query_files
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import open_store

EXAMPLES = example_query_files()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "queries.md"
# Values for the examples' caller-bound parameters, on the demo world.
PARAMS = {"target": ox.NamedNode("https://w3id.org/sanctiongraph/id/entity/my-silver-sail-leasing")}


@pytest.fixture(scope="module")
def demo_store():
    store = open_store(in_memory=True)
    load_bundled(store)
    load_shapes(store)  # as `load` and `serve` do: graph/shapes
    load_sources(store, read_sources([demo_world_dir()]))
    run_derivers(store, date(2026, 11, 23))
    return store


def test_there_are_at_least_fifteen_examples():
    assert len(EXAMPLES) >= 15
    assert len({q.name for q in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize("query", EXAMPLES, ids=[q.name for q in EXAMPLES])
def test_each_example_answers_on_the_demo_world_with_the_columns_it_declares(query, demo_store):
    solutions = demo_store.query(query.text, {name: PARAMS[name] for name in query.params})
    assert [v.value for v in solutions.variables] == list(query.returns)
    rows = list(solutions)
    assert rows, f"{query.name} answers nothing on the demo world"


def test_every_example_is_documented_with_its_columns():
    text = DOCS.read_text(encoding="utf-8")
    for query in EXAMPLES:
        assert f"`{query.name}`" in text, query.name
        assert " ".join(f"`{c}`" for c in query.returns) in text, query.name
