"""Safe by construction: each test here fails when its protection is removed.

The probes send SERVICE, LOAD and FROM at a counting TCP listener on 127.0.0.1 and
require zero connections; the control tests show that the engine itself *would*
connect, so the probe can tell.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app

from .conftest import API_KEY, DEADLINE, make_store

PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def settle(listener) -> int:
    time.sleep(0.3)
    return listener.connections


# --- controls: the engine really makes these requests when asked --------------------


def test_control_pyoxigraph_service_connects(listener):
    store = ox.Store()
    with pytest.raises(Exception):  # noqa: B017 - whatever pyoxigraph raises: it tried
        list(store.query(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
    assert settle(listener) >= 1


def test_control_pyoxigraph_load_connects(listener):
    with pytest.raises(Exception):  # noqa: B017 - whatever pyoxigraph raises: it tried
        ox.Store().update(f"LOAD <{listener.url}>")
    assert settle(listener) >= 1


# --- probes through the API -----------------------------------------------------------

PROBES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX x: <{url}> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
    # A naive "strip comments, then grep" is fooled by a '#' inside a string:
    'SELECT * WHERE {{ ?s ?p "#" . SERVICE <{url}> {{ ?a ?b ?c }} }}',
    'SELECT * WHERE {{ ?s ?p """a\nb""" . SERVICE <{url}> {{ ?a ?b ?c }} }}',
    "SELECT * WHERE {{ ?s ?p ?o . #x\n SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "LOAD <{url}>",
    "LOAD SILENT <{url}> INTO GRAPH <urn:g>",
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "PREFIX x: <{url}> SELECT * FROM x:data WHERE {{ ?s ?p ?o }}",
    "BASE <{url}> SELECT * FROM <data> WHERE {{ ?s ?p ?o }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "ASK FROM <{url}> {{ ?s ?p ?o }}",
    "DESCRIBE <urn:x> FROM <{url}>",
]


@pytest.mark.parametrize("template", PROBES)
@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_probe_refused_before_execution(client, listener, template, how):
    query = template.format(url=listener.url)
    if how == "get":
        r = client.get("/sparql", params={"query": query})
    elif how == "form":
        r = client.post("/sparql", data={"query": query})
    else:
        r = client.post(
            "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
        )
    assert r.status_code == 400, r.text
    assert "detail" in r.json()
    assert settle(listener) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"update": "LOAD <{url}>"},
        {"query": "SELECT * WHERE {{ ?s ?p ?o }} LIMIT 1", "default-graph-uri": "{url}"},
        {
            "query": "SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
            "named-graph-uri": "{url}",
        },
    ],
)
def test_probe_protocol_parameters(client, listener, params):
    filled = {k: v.format(url=listener.url) for k, v in params.items()}
    assert client.get("/sparql", params=filled).status_code == 400
    assert client.post("/sparql", data=filled).status_code == 400
    assert settle(listener) == 0


def test_probe_jsonld_remote_context(client, listener):
    body = json.dumps(
        {"@context": listener.url + "context.jsonld", "@id": "urn:x", "name": "probe"}
    ).encode()
    r = client.post("/validate", content=body, headers={"content-type": "application/ld+json"})
    assert r.status_code == 400 and r.json()["errors"]
    r = client.post(
        "/graphs/probe",
        content=body,
        headers={"content-type": "application/ld+json", "x-api-key": API_KEY},
    )
    assert r.status_code == 400
    assert settle(listener) == 0


def test_probe_jsonld_import(client, listener):
    body = json.dumps({"@context": {"@import": listener.url}, "@id": "urn:x"}).encode()
    r = client.post("/validate", content=body, headers={"content-type": "application/ld+json"})
    assert r.status_code == 400
    assert settle(listener) == 0


# --- words in strings, comments and names are not keywords -------------------------


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:1/> LOAD" } LIMIT 1',
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://127.0.0.1:1/>",
        "SELECT ?service ?load WHERE { ?service ?load ?o } LIMIT 1",
        "PREFIX service: <urn:x:> SELECT * WHERE { ?s ?p ?o FILTER(?p != service:load) } LIMIT 1",
    ],
)
def test_harmless_look_alikes_run(client, query):
    assert client.get("/sparql", params={"query": query}).status_code == 200


def test_codepoint_escapes_refused(client):
    # \u0022 is '"': expanded before parsing, it would end the string early.
    q = 'SELECT * WHERE { ?s ?p "x\\u0022 . SERVICE <http://127.0.0.1:1/> { ?a ?b ?c } #" }'
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 400 and "escape" in r.json()["detail"]


# --- size and depth ----------------------------------------------------------------


def test_query_too_long(client):
    q = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 20_000
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 400 and "longer than" in r.json()["detail"]


@pytest.mark.parametrize("depth", [33, 3000, 100_00])
def test_nesting_too_deep(client, depth):
    q = "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth
    q = q if len(q) < 20_000 else "SELECT * WHERE { FILTER(" + "(" * 9000 + "1" + ")" * 9000 + ") }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 400 and "nested deeper" in r.json()["detail"], r.text
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_nesting_within_limit_runs(client):
    q = "SELECT * WHERE " + "{" * 30 + " ?s ?p ?o " + "}" * 30 + " LIMIT 1"
    assert client.get("/sparql", params={"query": q}).status_code == 200


# --- deadline ------------------------------------------------------------------------


def test_deadline_stops_query_and_server_keeps_answering(client):
    client.get("/sparql", params={"query": "ASK {}"})  # worker warm
    started = time.monotonic()
    r = client.get("/sparql", params={"query": PATHOLOGICAL})
    elapsed = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert "deadline" in r.json()["detail"]
    assert DEADLINE <= elapsed < DEADLINE + 1.0, elapsed
    assert client.get("/healthz").status_code == 200
    r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200 and r.json()["boolean"] is True


# --- result caps ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(base_store):
    settings = Settings(
        store=base_store, max_result_rows=5, max_result_bytes=2_000, query_deadline_seconds=DEADLINE
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_result_rows_capped(capped):
    r = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 6"})
    assert r.status_code == 400 and "more than 5 rows" in r.json()["detail"]
    r = capped.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 6"})
    assert r.status_code == 400 and "more than 5 triples" in r.json()["detail"]
    assert (
        capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}).status_code
        == 200
    )


def test_result_bytes_capped(capped):
    q = "SELECT ?x WHERE { BIND(CONCAT(" + ", ".join(['"' + "a" * 500 + '"'] * 5) + ") AS ?x) }"
    r = capped.get("/sparql", params={"query": q})
    assert r.status_code == 400 and "larger than 2000 bytes" in r.json()["detail"]


# --- uploads -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_uploads(base_store):
    settings = Settings(
        store=base_store, api_key=API_KEY, max_upload_bytes=1_000, max_unzipped_bytes=5_000
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_upload_too_large(small_uploads):
    body = b"<urn:a> <urn:b> <urn:c> .\n" * 100
    for path in ("/validate", "/graphs/big"):
        r = small_uploads.post(
            path,
            content=body,
            headers={"content-type": "application/n-triples", "x-api-key": API_KEY},
        )
        assert r.status_code == 413 and "detail" in r.json()


def test_upload_too_large_chunked(small_uploads):
    def chunks():
        for _ in range(100):
            yield b"<urn:a> <urn:b> <urn:c> .\n"

    r = small_uploads.post(
        "/validate", content=chunks(), headers={"content-type": "application/n-triples"}
    )
    assert r.status_code == 413


def test_zip_bomb_refused(small_uploads):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entities.csv", "id,name,kind\n" + "x" * 100_000)
    assert len(buffer.getvalue()) < 1_000
    r = small_uploads.post(
        "/validate", content=buffer.getvalue(), headers={"content-type": "application/zip"}
    )
    assert r.status_code == 413 and "unpacks" in r.json()["detail"]


@pytest.mark.parametrize("media", ["application/rdf+xml", "application/xml", "text/xml"])
def test_rdf_xml_refused(client, media):
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    r = client.post("/validate", content=billion_laughs, headers={"content-type": media})
    assert r.status_code == 415 and "RDF/XML" in r.json()["detail"]


def test_validate_never_opens_a_path(client, tmp_path):
    secret = tmp_path / "secret.ttl"
    secret.write_text("<urn:secret> <urn:p> <urn:o> .")
    r = client.post(
        "/validate", content=str(secret).encode(), headers={"content-type": "text/turtle"}
    )
    assert r.status_code == 400  # the body is data, and a path is not valid Turtle
    r = client.post(
        "/validate",
        content=b"http://127.0.0.1:1/x.zip",
        headers={"content-type": "application/zip"},
    )
    assert r.status_code == 400


# --- API key -------------------------------------------------------------------------

TURTLE = b'<https://w3id.org/sanctiongraph/id/entity/probe> <http://www.w3.org/2000/01/rdf-schema#label> "Probe" .'


@pytest.fixture(scope="module")
def writable():
    settings = Settings(store=make_store(), api_key=API_KEY, query_deadline_seconds=DEADLINE)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_write_needs_key(writable):
    headers = {"content-type": "text/turtle"}
    assert writable.post("/graphs/extra", content=TURTLE, headers=headers).status_code == 401
    assert (
        writable.post(
            "/graphs/extra", content=TURTLE, headers={**headers, "x-api-key": "wrong"}
        ).status_code
        == 403
    )
    ask = {"query": 'ASK { ?e <http://www.w3.org/2000/01/rdf-schema#label> "Probe" }'}
    assert writable.get("/sparql", params=ask).json()["boolean"] is False
    r = writable.post("/graphs/extra", content=TURTLE, headers={**headers, "x-api-key": API_KEY})
    assert r.status_code == 200, r.text
    assert r.json()["graph"].endswith("/graph/source/extra") and r.json()["triples"] == 1
    assert writable.get("/sparql", params=ask).json()["boolean"] is True
    assert writable.get("/entities/probe").json()["names"] == ["Probe"]


def test_owners_sees_a_write(writable):
    # /owners answers from the server's copy of the holdings; a write must replace it.
    sg, ident = "https://w3id.org/sanctiongraph/ontology#", "https://w3id.org/sanctiongraph/id/"
    before = writable.get("/entities/kp-bank/owners").json()
    holding = (
        f"<{ident}holding/extra/1> a <{sg}Ownership> ; <{sg}owner> <{ident}entity/probe2> ; "
        f"<{sg}owned> <{ident}entity/kp-bank> ; <{sg}percent> 1.5 .\n"
        f'<{ident}entity/probe2> <http://purl.org/dc/terms/identifier> "probe2" .'
    )
    r = writable.post(
        "/graphs/extra2",
        content=holding.encode(),
        headers={"content-type": "text/turtle", "x-api-key": API_KEY},
    )
    assert r.status_code == 200, r.text
    after = writable.get("/entities/kp-bank/owners").json()
    assert [{"owner": "probe2", "owned": "kp-bank", "percent": 1.5}] in after["chains"]
    assert len(after["chains"]) == len(before["chains"]) + 1


def test_access_paths_sees_a_write(writable):
    # /access-paths answers from the server's copy of the accounts; a write must replace it.
    sg, ident = "https://w3id.org/sanctiongraph/ontology#", "https://w3id.org/sanctiongraph/id/"
    before = writable.get("/entities/kp-bank/access-paths", params={"max_depth": 1}).json()
    account = (
        f"<{ident}account/extra/1> a <{sg}CorrespondentAccount> ; "
        f"<{sg}heldBy> <{ident}entity/kp-bank> ; <{sg}maintainedBy> <{ident}entity/probe3> ; "
        f'<http://purl.org/dc/terms/identifier> "extra-acct" .\n'
        f'<{ident}entity/probe3> <http://purl.org/dc/terms/identifier> "probe3" .'
    )
    r = writable.post(
        "/graphs/extra3",
        content=account.encode(),
        headers={"content-type": "text/turtle", "x-api-key": API_KEY},
    )
    assert r.status_code == 200, r.text
    after = writable.get("/entities/kp-bank/access-paths", params={"max_depth": 1}).json()
    new = {"hops": ["kp-bank", "probe3"], "accounts": ["extra-acct"], "reaches_us": False}
    assert new not in before["paths"] and new in after["paths"]
    assert len(after["paths"]) == len(before["paths"]) + 1


def test_bad_graph_name(writable):
    r = writable.post(
        "/graphs/..%2F..%2Fetc",
        content=TURTLE,
        headers={"content-type": "text/turtle", "x-api-key": API_KEY},
    )
    assert r.status_code in (400, 404)


def test_writes_disabled_without_configured_key(base_store):
    with TestClient(create_app(Settings(store=base_store))) as c:
        r = c.post(
            "/graphs/x", content=TURTLE, headers={"content-type": "text/turtle", "x-api-key": ""}
        )
        assert r.status_code == 403


def test_reads_can_require_key(base_store):
    settings = Settings(store=base_store, api_key=API_KEY, read_requires_key=True)
    with TestClient(create_app(settings)) as c:
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 401
        assert c.get("/entities/kp-bank").status_code == 401
        assert c.get("/entities/kp-bank", headers={"x-api-key": API_KEY}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_reads_open_by_default(client):
    assert client.get("/entities/kp-bank").status_code == 200


def test_cors(client):
    allowed = client.options(
        "/sparql",
        headers={"origin": "https://dash.example", "access-control-request-method": "GET"},
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://dash.example"
    other = client.get("/healthz", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_settings_are_frozen(base_store):
    settings = Settings(store=base_store)
    with pytest.raises(AttributeError):
        settings.api_key = "x"  # type: ignore[misc]
