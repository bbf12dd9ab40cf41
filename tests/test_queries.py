"""Every query file parses, has a header, and declares exactly its caller-bound params."""

from __future__ import annotations

import re

import pytest
from rdflib.plugins.sparql import prepareQuery

from sanctiongraph.queries import all_queries

QUERIES = all_queries()


def test_there_are_queries():
    assert QUERIES


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_query_parses_and_has_a_header(query):
    assert query.name and query.summary, f"{query.path} lacks a name/summary header"
    assert re.search(r"^#\s*returns:", query.text, re.MULTILINE), f"{query.path} lacks returns"
    prepareQuery(query.text)
    for param in query.params:
        assert re.search(rf"[?$]{param}\b", query.text.split("\n", 5)[-1]), \
            f"{query.path}: param ?{param} is not used in the query"
