"""The store interface against a real SPARQL 1.1 server: Oxigraph server on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.ingest import read_sources
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.queries import ask_as_select
from sanctiongraph.store import open_store
from sanctiongraph.store.sparql_http import SparqlHttpStore, query_form, with_values
from sanctiongraph.validate import validate_store

MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"
COMMON = Path(__file__).parent / "fixtures" / "common"
SERVER = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/db.db
ErrorLogFile = {d}/db.log
LockFile = {d}/db.lck
TransactionFile = {d}/db.trx
xa_persistent_file = {d}/db.pxa
[TempDatabase]
DatabaseFile = {d}/temp.db
TransactionFile = {d}/temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 5
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="module")
def virtuoso_url(tmp_path_factory):
    if not shutil.which("virtuoso-t") or not shutil.which("isql-vt"):
        pytest.skip("Virtuoso 7 (Debian virtuoso-opensource-7-bin) is not installed")
    directory = tmp_path_factory.mktemp("virtuoso")
    sql, http = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(VIRTUOSO_INI.format(d=directory, sql=sql, http=http))
    process = subprocess.Popen(
        ["virtuoso-t", "+configfile", "virtuoso.ini", "+foreground"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D")
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{sql}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"http://127.0.0.1:{http}/sparql"
    finally:
        process.terminate()  # stopped by its own PID
        process.wait(timeout=30)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server_url(request):
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module")
def oxigraph_url(tmp_path_factory):
    if not Path(SERVER).exists():
        pytest.skip("the oxigraph server binary (PyPI package oxigraph) is not installed")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [SERVER, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/")
    yield f"http://127.0.0.1:{port}/query"
    process.terminate()  # stopped by its own PID
    process.wait(timeout=10)


def test_query_form_and_values_ignore_strings_comments_and_iris():
    text = '# SELECT in a comment\nCONSTRUCT { ?s ?p "SELECT {" } WHERE { ?s ?p ?o }'
    assert query_form(text) == "CONSTRUCT"
    bound = with_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": ox.NamedNode("https://e.org/a")})
    assert bound == "SELECT ?x WHERE { VALUES (?x) { (<https://e.org/a>) }  ?x ?p ?o }"


def test_an_ask_with_bound_variables_becomes_a_one_row_select():
    assert (
        ask_as_select("PREFIX a: <urn:ask:>\n# ASK\nASK WHERE { ?s ?p 'ASK' }")
        == "PREFIX a: <urn:ask:>\n# ASK\nSELECT * WHERE { ?s ?p 'ASK' } LIMIT 1"
    )
    with pytest.raises(SyntaxError):
        ask_as_select("SELECT ?s WHERE { ?s ?p ?o }")


def test_open_store_picks_the_http_store_for_urls():
    assert isinstance(open_store("http://127.0.0.1:1/query"), SparqlHttpStore)


def test_load_replace_query_and_validate_on_a_server(server_url):
    store = open_store(server_url)
    load_bundled(store)
    sources = read_sources([MINIMAL])
    load_sources(store, sources)
    graph = sources[0].graph
    assert store.count(graph) == len(set(sources[0].triples))
    load_sources(store, sources)  # loading again replaces, it does not add
    assert store.count(graph) == len(set(sources[0].triples))
    found = list(
        store.query(
            "SELECT ?x ?id WHERE { ?x <http://purl.org/dc/terms/identifier> ?id }",
            {"x": ox.NamedNode("https://w3id.org/sanctiongraph/id/account/acc1")},
        )
    )
    assert [s["id"].value for s in found] == ["acc1"]
    account = ox.NamedNode("https://w3id.org/sanctiongraph/id/account/acc1")
    assert store.has_subject(account)
    assert not store.has_subject(ox.NamedNode("https://w3id.org/sanctiongraph/id/account/none"))

    embedded = open_store(in_memory=True)
    load_bundled(embedded)
    bad = read_sources([COMMON / "violates-account-parties.ttl"])
    load_sources(embedded, bad)
    load_sources(store, bad)
    load_sources(embedded, sources)
    assert embedded.has_subject(account) and not store.has_subject(ox.NamedNode("urn:x:none"))
    identifier = ox.NamedNode("http://purl.org/dc/terms/identifier")
    assert (
        [t.value for t in store.objects(account, identifier)]
        == ["acc1"]
        == [t.value for t in embedded.objects(account, identifier)]
    )
    assert store.objects(ox.NamedNode("urn:x:none"), identifier) == []
    remote = validate_store(store, date(2026, 11, 23))
    local = validate_store(embedded, date(2026, 11, 23))
    assert local.findings
    assert {(f.focus, f.shape, f.citation) for f in remote.findings} == {
        (f.focus, f.shape, f.citation) for f in local.findings
    }


def test_possibly_listed_capta_words_on_a_server(server_url):
    """The 561.203 warnings quote words the deriver writes on the listing, chosen with a
    predicate bound by BIND: the same messages from a server as from the embedded store."""
    fixture = COMMON.parent / "ifsr-561-203" / "violates-c2-possibly-listed.ttl"
    reports = []
    for store in (open_store(server_url), open_store(in_memory=True)):
        load_bundled(store)
        load_sources(store, read_sources([fixture]))
        reports.append(validate_store(store, date(2026, 11, 23)))
    remote, local = (  # the server holds the other tests' data too
        {(f.id, f.shape, f.message) for f in r.findings if "PossiblyListed" in f.shape}
        for r in reports
    )
    assert remote == local and len(local) >= 5
    assert any("(unknown from the listing's end, 2026-11-23" in m for _, _, m in local)


def test_unreachable_server_is_a_clear_store_error():
    from sanctiongraph.store import StoreError

    with pytest.raises(StoreError, match="cannot reach"):
        open_store(f"http://127.0.0.1:{free_port()}/query").graphs()


def test_awkward_literals_survive_a_server(server_url):
    store = open_store(server_url)
    graph = ox.NamedNode("https://example.org/graph/awkward")
    texts = [
        'say "hi"',
        "a\\b",
        "line1\nline2",
        "cr\rlf",
        "tab\there",
        "emoji 😀",
        "e\u0301",
        "lone \\u sequence",
        "\\u0022",
        "} } ; DROP ALL ;",
        "",
    ]
    triples = [
        ox.Triple(
            ox.NamedNode(f"https://example.org/s{i}"),
            ox.NamedNode("https://example.org/p"),
            ox.Literal(text),
        )
        for i, text in enumerate(texts)
    ]
    assert store.replace_graph(graph, triples) == len(triples)
    assert set(store.triples(graph)) == set(triples)
    store.drop_graph(graph)
