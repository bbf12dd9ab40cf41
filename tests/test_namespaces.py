"""The closed namespace ``SG`` and the ontology declare exactly the same terms."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, Graph, URIRef

from sanctiongraph.namespaces import CODE, ONTOLOGY_IRI, REF, SG, code, country, provision
from sanctiongraph.resources import ontology_dir

SG_NS = ONTOLOGY_IRI + "#"
DECLARATIONS = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)


def python_terms() -> set[str]:
    return {name for name in SG.__annotations__ if not name.startswith("_")}


def ontology_terms() -> set[str]:
    g = Graph()
    for path in sorted(ontology_dir().rglob("*.ttl")):
        g.parse(path, format="turtle")
    return {
        str(s)[len(SG_NS) :]
        for t in DECLARATIONS
        for s in g.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(SG_NS)
    }


def test_every_python_term_is_declared_in_the_ontology() -> None:
    missing = python_terms() - ontology_terms()
    assert not missing, f"in SG but not declared in ontology/: {sorted(missing)}"


def test_every_ontology_term_is_listed_in_python() -> None:
    extra = ontology_terms() - python_terms()
    assert not extra, f"declared in ontology/ but missing from SG: {sorted(extra)}"


def test_terms_resolve_to_the_ontology_namespace() -> None:
    assert SG.Bank == URIRef(SG_NS + "Bank")
    assert SG.NorthKoreanBankingInstitution == URIRef(SG_NS + "NorthKoreanBankingInstitution")


def test_unknown_term_raises() -> None:
    with pytest.raises(AttributeError):
        SG.nonexistent  # noqa: B018
    with pytest.raises(AttributeError):
        SG.maintainedby  # noqa: B018  (a typo of maintainedBy)


def test_iri_helpers() -> None:
    assert code("purpose", "food") == URIRef(str(CODE) + "purpose/food")
    assert (
        str(code("purpose", "food")) == "https://w3id.org/sanctiongraph/ontology/code/purpose/food"
    )
    assert country("KP") == URIRef(str(REF) + "country/KP")
    assert provision("31 CFR 1010.659(a)(1)") == URIRef(str(REF) + "provision/31-CFR-1010.659-a-1")
    assert provision("OFAC 50 Percent Rule") == URIRef(str(REF) + "provision/OFAC-50-Percent-Rule")
