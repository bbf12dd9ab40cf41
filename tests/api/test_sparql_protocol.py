"""SPARQL 1.1 Protocol cases (after the W3C protocol test suite), incl. the bad_* ones."""

from __future__ import annotations

import csv
import io
import json

import pytest

SELECT = (
    "SELECT ?c WHERE { ?c a <https://w3id.org/sanctiongraph/ontology#Country> } ORDER BY ?c LIMIT 3"
)
ASK = "ASK { <https://w3id.org/sanctiongraph/ref/country/KP> ?p ?o }"
CONSTRUCT = (
    "CONSTRUCT { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
    "<https://w3id.org/sanctiongraph/ref/country/KP> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
    "BIND(<https://w3id.org/sanctiongraph/ref/country/KP> AS ?c) }"
)
DESCRIBE = "DESCRIBE <https://w3id.org/sanctiongraph/ref/country/KP>"
REFERENCE = "https://w3id.org/sanctiongraph/graph/reference"
SRC = "https://w3id.org/sanctiongraph/graph/source/minimal"


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    return response.json()["results"]["bindings"]


def test_query_get(client):
    rows = bindings(client.get("/sparql", params={"query": SELECT}))
    assert len(rows) == 3 and all(r["c"]["type"] == "uri" for r in rows)


def test_query_post_form(client):
    rows = bindings(client.post("/sparql", data={"query": SELECT}))
    assert len(rows) == 3


def test_query_post_direct(client):
    r = client.post(
        "/sparql", content=SELECT.encode(), headers={"content-type": "application/sparql-query"}
    )
    assert len(bindings(r)) == 3


def test_query_post_direct_with_charset(client):
    r = client.post(
        "/sparql",
        content=SELECT.encode(),
        headers={"content-type": "application/sparql-query; charset=UTF-8"},
    )
    assert len(bindings(r)) == 3


def test_ask_json(client):
    r = client.get("/sparql", params={"query": ASK})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_dataset_default_graph_param(client):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://w3id.org/sanctiongraph/ontology#designates> ?o }"
    everything = bindings(client.get("/sparql", params={"query": q}))[0]["n"]["value"]
    only_ref = bindings(client.get("/sparql", params={"query": q, "default-graph-uri": REFERENCE}))
    only_src = bindings(client.get("/sparql", params={"query": q, "default-graph-uri": SRC}))
    assert int(only_ref[0]["n"]["value"]) + int(only_src[0]["n"]["value"]) == int(everything)
    assert int(only_src[0]["n"]["value"]) == 2


def test_dataset_from_own_graph_allowed(client):
    q = f"SELECT (COUNT(*) AS ?n) FROM <{SRC}> WHERE {{ ?s <https://w3id.org/sanctiongraph/ontology#designates> ?o }}"
    assert bindings(client.get("/sparql", params={"query": q}))[0]["n"]["value"] == "2"


@pytest.mark.parametrize(
    "accept,media",
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/html;q=0.9, text/csv", "text/csv"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_select_content_negotiation(client, accept, media):
    r = client.get("/sparql", params={"query": SELECT}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    body = r.text
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == ["c"] and rows[1][0].startswith("https://w3id.org/")
    elif media == "text/tab-separated-values":
        # Spec TSV: header with '?', IRIs in angle brackets (rdflib-endpoint gives XML here).
        lines = body.splitlines()
        assert lines[0] == "?c" and lines[1].startswith("<https://w3id.org/")
    elif media.endswith("+xml"):
        assert "<sparql" in body and "<uri>https://w3id.org/" in body


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
)
def test_ask_content_negotiation(client, accept):
    r = client.get("/sparql", params={"query": ASK}, headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert "true" in r.text


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
@pytest.mark.parametrize(
    "accept,check",
    [
        ("text/turtle", lambda t: "country/KP>" in t),
        (
            "application/n-triples",
            lambda t: (
                t.strip().endswith(".") and "<https://w3id.org/sanctiongraph/ref/country/KP>" in t
            ),
        ),
        (
            "application/ld+json",
            lambda t: (
                any("country/KP" in json.dumps(x) for x in json.loads(t))
                if isinstance(json.loads(t), list)
                else "country/KP" in t
            ),
        ),
    ],
)
def test_graph_content_negotiation(client, query, accept, check):
    r = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(accept)
    assert check(r.text)


def test_graph_default_is_turtle(client):
    r = client.get("/sparql", params={"query": CONSTRUCT})
    assert r.headers["content-type"].startswith("text/turtle")


def test_not_acceptable(client):
    r = client.get("/sparql", params={"query": SELECT}, headers={"accept": "image/png"})
    assert r.status_code == 406 and "detail" in r.json()


def test_service_description(client):
    r = client.get("/sparql", headers={"accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    from rdflib import Graph, Namespace

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    graph = Graph().parse(data=r.text, format="turtle")
    assert (None, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert len(list(graph.objects(None, sd.resultFormat))) == 7


def test_query_page_for_browsers(client):
    r = client.get("/sparql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "<html" in r.text and "cdn" not in r.text.lower()


# --- bad_* cases: each is a 4xx with a JSON detail ----------------------------------


def bad(response, status=400):
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_bad_query_method(client):
    bad(client.put("/sparql", params={"query": SELECT}), 405)


def test_bad_multiple_queries(client):
    bad(client.get("/sparql", params=[("query", SELECT), ("query", ASK)]))


def test_bad_multiple_queries_form(client):
    bad(
        client.post(
            "/sparql",
            content=f"query={SELECT}&query={ASK}".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    )


def test_bad_query_missing_form(client):
    bad(client.post("/sparql", data={"nothing": "here"}))


def test_bad_query_wrong_media_type(client):
    bad(
        client.post("/sparql", content=SELECT.encode(), headers={"content-type": "text/plain"}), 415
    )


def test_bad_query_missing_direct_type(client):
    bad(client.post("/sparql", content=SELECT.encode(), headers={"content-type": ""}), 415)


def test_bad_query_non_utf8(client):
    bad(
        client.post(
            "/sparql",
            content=SELECT.encode("utf-16"),
            headers={"content-type": "application/sparql-query; charset=UTF-16"},
        )
    )
    bad(
        client.post(
            "/sparql",
            content=b'SELECT * WHERE { ?s ?p "\xff\xfe" }',
            headers={"content-type": "application/sparql-query"},
        )
    )


def test_bad_query_syntax(client):
    bad(client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}))


def test_bad_update_get(client):
    bad(client.get("/sparql", params={"update": "CLEAR ALL"}))


def test_bad_update_post_form(client):
    bad(client.post("/sparql", data={"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}))


def test_bad_update_direct(client):
    bad(
        client.post(
            "/sparql", content=b"CLEAR ALL", headers={"content-type": "application/sparql-update"}
        )
    )


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "DELETE WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP ALL",
        "CREATE GRAPH <a:g>",
        "ADD DEFAULT TO <a:g>",
        "MOVE DEFAULT TO <a:g>",
        "COPY DEFAULT TO <a:g>",
        "WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_bad_update_via_query(client, update):
    before = client.get("/healthz").json()
    bad(client.get("/sparql", params={"query": update}))
    assert client.get("/healthz").json() == before


def test_bad_dataset_graph_param_not_ours(client):
    bad(
        client.get("/sparql", params={"query": SELECT, "default-graph-uri": "http://example.org/g"})
    )


def test_common_prefixes_need_no_declaration_and_a_declared_one_wins(client):
    undeclared = "SELECT DISTINCT ?c WHERE { ?c a sg:Country ; sg:code 'KP' }"
    rows = bindings(client.get("/sparql", params={"query": undeclared}))
    assert [r["c"]["value"] for r in rows] == ["https://w3id.org/sanctiongraph/ref/country/KP"]
    own = "PREFIX sg: <urn:nothing#> ASK { ?c a sg:Country }"
    assert client.get("/sparql", params={"query": own}).json()["boolean"] is False
    described = client.get("/sparql", headers={"accept": "text/turtle"}).text
    assert "The prefixes sg, rdf, rdfs, owl, xsd, skos, dct, sh, prov, id, ref" in described


def test_a_syntax_error_is_a_short_400_with_the_line_and_column_of_the_query(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p\n}"})
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert detail.startswith("SPARQL syntax error at line 2, column 3: "), detail
    assert detail.splitlines()[1:] == ["    ?s ?p", "    ^"]
    assert len(detail) < 400 and "Traceback" not in detail
