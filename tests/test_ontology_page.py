"""The vocabulary page (issue 19 item 9): pyLODE's HTML of the ontology, served at
/ontology and written by `sanctiongraph ontology-docs`; every term's IRI reaches its
section (hash IRIs through the fragment, module IRIs by a redirect)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rdflib import OWL, RDF, Graph

from sanctiongraph.api import Settings, create_app
from sanctiongraph.namespaces import ONTOLOGY_IRI
from sanctiongraph.resources import ontology_dir
from sanctiongraph.store import open_store

pytest.importorskip("pylode", reason="pip install 'sanctiongraph[docs]'")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(store=open_store(in_memory=True)))) as test_client:
        yield test_client


def declared_terms() -> set[str]:
    graph = Graph()
    for path in ontology_dir().glob("*.ttl"):
        graph.parse(path, format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {
        str(s).removeprefix(ONTOLOGY_IRI + "#")
        for kind in kinds
        for s in graph.subjects(RDF.type, kind)
        if str(s).startswith(ONTOLOGY_IRI + "#")
    }


def test_every_term_has_its_section_and_the_page_runs_nothing(client):
    r = client.get("/ontology")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    ids = set(re.findall(r'\bid="([^"]+)"', r.text))
    terms = declared_terms()
    assert len(terms) > 50
    assert terms <= ids, sorted(terms - ids)[:10]
    assert "sanctiongraph ontology" in r.text
    # Self-contained: no script to run, no stylesheet or font from elsewhere.
    assert not re.search(r"<script(?![^>]*application/ld\+json)", r.text)
    assert not re.search(r'<link[^>]+href="https?:', r.text)


def test_module_iris_redirect_to_the_page(client):
    r = client.get("/ontology/core", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ontology"


def test_the_command_writes_the_same_page(tmp_path, client):
    from sanctiongraph import cli

    result = CliRunner().invoke(cli.cli, ["ontology-docs", "--output", str(tmp_path / "o.html")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "o.html").read_text(encoding="utf-8")
    served = client.get("/ontology").text
    # pyLODE orders the members of a union or intersection as a set does: compare sections.
    assert set(re.findall(r'\bid="([^"]+)"', written)) == set(re.findall(r'\bid="([^"]+)"', served))
    assert abs(len(written) - len(served)) < 100


def test_without_pylode_the_page_says_how_to_get_it(monkeypatch):
    import sanctiongraph.ontology_docs as docs

    def missing():
        raise docs.OntologyDocsUnavailable("the vocabulary page needs pyLODE: " + docs.INSTALL_HINT)

    monkeypatch.setattr(docs, "ontology_html", missing)
    with TestClient(create_app(Settings(store=open_store(in_memory=True)))) as c:
        r = c.get("/ontology")
    assert r.status_code == 200 and "sanctiongraph[docs]" in r.text
