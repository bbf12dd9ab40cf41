"""Tests of the OWL ontology in ``ontology/``.

They check that every module parses, that every term is documented (label, definition,
source), that the files stay friendly to Protégé, that the code lists match the data
package, and that HermiT finds the ontology consistent (and can find it inconsistent).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SKOS

from sanctiongraph.namespaces import CODE, ONTOLOGY_IRI, REF, SG, code, country, provision
from sanctiongraph.resources import ontology_dir

SG_NS = ONTOLOGY_IRI + "#"
MODULES = ["core", "finance", "ownership", "regulation", "license", "codes"]
DECLARATION_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
    RDFS.Datatype,
}
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
BUILTIN_PREDICATES = {str(RDF), str(RDFS), str(OWL)}
# The datatypes of the OWL 2 datatype map that we use, plus xsd:date (see README).
ALLOWED_DATATYPES = {XSD.string, XSD.decimal, XSD.boolean, XSD.anyURI, XSD.date}

# The scheme part of a code IRI and the class its values belong to (docs/architecture.md).
SCHEMES = {
    "function": SG.GovernmentFunction,
    "purpose": SG.TransactionPurpose,
    "measure": SG.CaptaMeasure,
    "activity-kind": SG.ActivityKind,
    "category": SG.ActivityCategory,
    "education-level": SG.EducationLevel,
    "subject": SG.EducationSubject,
    "item-category": SG.ItemCategory,
    "commerce-authorization": SG.CommerceAuthorization,
    "un-exemption": SG.UNExemptionStatus,
    "verification": SG.VerificationStatus,
    "date-basis": SG.DateBasis,
}
# Values the data package (shared/spec/data-package.md) and the brief fix. A scheme may
# hold more values; it may not lose these.
REQUIRED_CODES = {
    "function": {"military", "intelligence", "law_enforcement", "health", "customs", "other"},
    "purpose": {
        "petroleum_purchase",
        "petroleum_sale",
        "agricultural_commodities",
        "food",
        "medicine",
        "medical_devices",
        "trade_finance",
        "foreign_exchange",
        "personal_remittance",
        "humanitarian",
        "other",
    },
    "measure": {"prohibit_maintain", "strict_conditions"},
    "activity-kind": {"humanitarian", "export", "journalism"},
    "category": {
        "basic_human_needs",
        "ddr_peacebuilding",
        "human_rights_democracy",
        "education",
        "environment",
        "vulnerable_populations",
    },
    "education-level": {"pre_primary", "primary", "secondary", "tertiary"},
    "subject": {
        "literacy",
        "language",
        "history",
        "math",
        "science",
        "technology",
        "engineering",
        "computer_programming",
    },
    "item-category": {
        "food",
        "agricultural_commodity",
        "medicine",
        "medical_device",
        "medical_device_part",
        "other",
    },
    "commerce-authorization": {"none", "nlr", "license_exception", "license"},
    "un-exemption": {"approved", "requested", "explained", "none", "not_required"},
    "verification": {"verbatim", "verbatim_via_copy", "summary"},
    "date-basis": {"stated", "publications"},
}
# Closed schemes: exactly these values (the spec lists them all).
EXACT_SCHEMES = {
    "measure",
    "activity-kind",
    "education-level",
    "commerce-authorization",
    "un-exemption",
    "verification",
    "date-basis",
    "purpose",
    "function",
    "item-category",
}

PROVISION_SLUG = re.compile(r"^(31-CFR-\d+\.\d+(-[A-Za-z0-9]+)*|OFAC-50-Percent-Rule)$")
SPARQL_STYLE_DIRECTIVE = re.compile(r"^\s*(PREFIX|BASE)\s", re.IGNORECASE | re.MULTILINE)


# --------------------------------------------------------------------------- helpers


def ontology_files() -> list[Path]:
    return sorted(ontology_dir().rglob("*.ttl"))


def module_path(module: str) -> Path:
    return ontology_dir() / f"{module}.ttl"


@pytest.fixture(scope="module")
def graph() -> Graph:
    """All ontology files (modules and alignments) in one graph."""
    g = Graph()
    for path in ontology_files():
        g.parse(path, format="turtle")
    return g


def ours(term: object) -> bool:
    return isinstance(term, URIRef) and (
        str(term).startswith(SG_NS) or str(term).startswith(str(CODE))
    )


def declared_terms(g: Graph) -> set[URIRef]:
    return {
        s
        for t in TERM_TYPES
        for s in g.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(SG_NS)
    }


def code_individuals(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects(RDF.type, OWL.NamedIndividual) if str(s).startswith(str(CODE))}


def named_individuals(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects(RDF.type, OWL.NamedIndividual) if isinstance(s, URIRef)}


def has_english(g: Graph, s: URIRef, p: URIRef) -> bool:
    return any(
        isinstance(o, Literal) and o.language == "en" and str(o).strip() for o in g.objects(s, p)
    )


# --------------------------------------------------------------------------- (a) parsing


def test_every_module_file_exists() -> None:
    for module in MODULES + ["sanctiongraph"]:
        assert module_path(module).is_file(), f"missing ontology/{module}.ttl"


@pytest.mark.parametrize("path", ontology_files(), ids=lambda p: p.name)
def test_module_parses_with_rdflib_and_pyoxigraph(path: Path) -> None:
    data = path.read_bytes()
    g = Graph().parse(data=data, format="turtle")
    assert len(g) > 0
    triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
    assert len(triples) == len(g)


@pytest.mark.parametrize("path", ontology_files(), ids=lambda p: p.name)
def test_module_header(path: Path) -> None:
    g = Graph().parse(path, format="turtle")
    ontologies = list(g.subjects(RDF.type, OWL.Ontology))
    assert len(ontologies) == 1, f"{path.name} must declare exactly one owl:Ontology"
    (iri,) = ontologies
    relative = path.relative_to(ontology_dir()).with_suffix("").as_posix()
    expected = ONTOLOGY_IRI if relative == "sanctiongraph" else f"{ONTOLOGY_IRI}/{relative}"
    assert str(iri) == expected, f"{path.name}: ontology IRI should follow the file path"
    assert g.value(iri, OWL.versionInfo) == Literal("0.1.0")
    assert has_english(g, iri, DCTERMS.title)
    assert g.value(iri, DCTERMS.license) == URIRef("https://www.apache.org/licenses/LICENSE-2.0")


def test_umbrella_imports_every_module_and_imports_resolve_locally(graph: Graph) -> None:
    umbrella = URIRef(ONTOLOGY_IRI)
    imported = {str(o) for o in graph.objects(umbrella, OWL.imports)}
    assert imported == {f"{ONTOLOGY_IRI}/{m}" for m in MODULES}
    local = {str(s) for s in graph.subjects(RDF.type, OWL.Ontology)}
    for target in graph.objects(None, OWL.imports):
        assert str(target) in local, f"owl:imports {target} has no local file"
    catalog = (ontology_dir() / "catalog-v001.xml").read_text()
    for iri in local:
        assert f'name="{iri}"' in catalog, f"catalog-v001.xml does not map {iri}"


# --------------------------------------------------------------------------- (b) documentation


def undocumented(g: Graph) -> list[str]:
    """Terms and individuals that lack an English label, an English definition or an IRI source."""
    offenders = []
    for s in sorted(declared_terms(g) | named_individuals(g)):
        missing = []
        if not has_english(g, s, RDFS.label):
            missing.append("rdfs:label@en")
        if not has_english(g, s, SKOS.definition):
            missing.append("skos:definition@en")
        sources = list(g.objects(s, DCTERMS.source))
        if not sources or not all(isinstance(o, URIRef) for o in sources):
            missing.append("dct:source (IRI)")
        if missing:
            offenders.append(f"{s}: {', '.join(missing)}")
    return offenders


def test_every_term_and_individual_is_documented(graph: Graph) -> None:
    assert declared_terms(graph) and code_individuals(graph), "no terms found"
    offenders = undocumented(graph)
    assert not offenders, "undocumented terms:\n" + "\n".join(offenders)


def test_documentation_check_catches_gaps() -> None:
    g = Graph()
    g.add((SG.Agent, RDF.type, OWL.Class))
    g.add((SG.Agent, RDFS.label, Literal("agent", lang="en")))
    g.add((SG.Agent, DCTERMS.source, Literal("not an IRI")))
    g.add((code("purpose", "food"), RDF.type, OWL.NamedIndividual))
    assert undocumented(g) == [
        f"{SG.Agent}: skos:definition@en, dct:source (IRI)",
        f"{code('purpose', 'food')}: rdfs:label@en, skos:definition@en, dct:source (IRI)",
    ]


def test_one_label_and_one_definition_per_term(graph: Graph) -> None:
    offenders = []
    for s in sorted(declared_terms(graph) | named_individuals(graph)):
        for p in (RDFS.label, SKOS.definition):
            if len(list(graph.objects(s, p))) != 1:
                offenders.append(f"{s} {p}")
    assert not offenders, "\n".join(offenders)


def test_provision_sources_use_registry_slugs(graph: Graph) -> None:
    prefix = str(REF) + "provision/"
    bad = [
        str(o)
        for o in graph.objects(None, DCTERMS.source)
        if str(o).startswith(prefix) and not PROVISION_SLUG.match(str(o)[len(prefix) :])
    ]
    assert not bad, f"provision IRIs not produced by provision(): {bad}"
    assert provision("31 CFR 1010.659(a)(1)") in set(
        graph.objects(SG.NorthKoreanBankingInstitution, DCTERMS.source)
    )


# --------------------------------------------------------------------------- (c) Protégé


@pytest.mark.parametrize("path", ontology_files(), ids=lambda p: p.name)
def test_turtle_uses_at_prefix(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not SPARQL_STYLE_DIRECTIVE.search(text), (
        f"{path.name}: use @prefix / @base, not PREFIX / BASE"
    )
    assert "@prefix sg: <https://w3id.org/sanctiongraph/ontology#> ." in text


def test_every_iri_of_ours_is_declared(graph: Graph) -> None:
    declared = {s for s, _, t in graph.triples((None, RDF.type, None)) if t in DECLARATION_TYPES}
    declared |= set(graph.subjects(RDF.type, OWL.Ontology))
    undeclared = set()
    for s, p, o in graph:
        for term in (s, p, o):
            if ours(term) and term not in declared:
                undeclared.add(str(term))
        if isinstance(o, URIRef) and str(o).startswith(str(REF) + "country/") and o not in declared:
            undeclared.add(str(o))
    assert not undeclared, "used but not declared:\n" + "\n".join(sorted(undeclared))


def test_every_predicate_is_builtin_or_declared(graph: Graph) -> None:
    declared = {
        s
        for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in graph.subjects(RDF.type, t)
    }
    bad = {
        str(p)
        for p in graph.predicates()
        if not any(str(p).startswith(ns) for ns in BUILTIN_PREDICATES) and p not in declared
    }
    bad.discard(str(XSD.minExclusive))  # a facet inside a datatype restriction
    assert not bad, f"predicates used without a declaration: {sorted(bad)}"


def test_no_term_has_two_kinds(graph: Graph) -> None:
    kinds = {}
    for t in TERM_TYPES:
        for s in graph.subjects(RDF.type, t):
            kinds.setdefault(s, set()).add(t)
    punned = {str(s): sorted(map(str, k)) for s, k in kinds.items() if len(k) > 1}
    assert not punned, f"terms declared with more than one kind: {punned}"


def test_datatypes(graph: Graph) -> None:
    used = {o for o in graph.objects(None, RDFS.range) if str(o).startswith(str(XSD))}
    used |= set(graph.objects(None, OWL.onDatatype))
    assert used <= ALLOWED_DATATYPES, f"unexpected datatypes: {used - ALLOWED_DATATYPES}"
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        assert graph.value(prop, RDFS.range) in ALLOWED_DATATYPES, f"{prop} has no datatype range"
    expected = {
        SG.openedOn: XSD.date,
        SG.startDate: XSD.date,
        SG.transactionDate: XSD.date,
        SG.asOf: XSD.date,
        SG.percent: XSD.decimal,
        SG.amount: XSD.decimal,
        SG.limitAmount: XSD.decimal,
        SG.knowingly: XSD.boolean,
        SG.subjectToEAR: XSD.boolean,
        SG.code: XSD.string,
        SG.lei: XSD.string,
        SG.citation: XSD.string,
        SG.officialText: XSD.anyURI,
    }
    for prop, datatype in expected.items():
        assert graph.value(prop, RDFS.range) == datatype, prop


# --------------------------------------------------------------------------- structure

SUBCLASSES = [
    ("Person", "Agent"),
    ("Organization", "Agent"),
    ("LegalEntity", "Organization"),
    ("Company", "LegalEntity"),
    ("NonGovernmentalOrganization", "LegalEntity"),
    ("NewsOrganization", "LegalEntity"),
    ("FinancialInstitution", "LegalEntity"),
    ("Bank", "FinancialInstitution"),
    ("CentralBank", "Bank"),
    ("NonBankFinancialInstitution", "FinancialInstitution"),
    ("Government", "Organization"),
    ("GovernmentBody", "Organization"),
    ("Authority", "GovernmentBody"),
    ("Country", "Jurisdiction"),
    ("CorrespondentAccount", "Account"),
    ("PayableThroughAccount", "Account"),
    ("SpecialPurposeAccount", "Account"),
    ("DepositAccount", "Account"),
    ("Ownership", "Holding"),
    ("Control", "Holding"),
    ("NoTradeFinanceCondition", "StrictCondition"),
    ("AllowedTypesCondition", "StrictCondition"),
    ("MonetaryLimitCondition", "StrictCondition"),
    ("PreApprovalCondition", "StrictCondition"),
    ("NoForeignExchangeCondition", "StrictCondition"),
    ("SignificantReductionException", "Determination"),
    ("PetroleumSupplySufficiency", "Determination"),
    ("GeneralLicense", "License"),
    ("SpecificLicense", "License"),
]
INVOLVEMENT = [
    "conductedBy",
    "originator",
    "beneficiary",
    "originatorInstitution",
    "beneficiaryInstitution",
    "intermediary",
    "counterparty",
]


@pytest.mark.parametrize(("sub", "sup"), SUBCLASSES)
def test_subclass(graph: Graph, sub: str, sup: str) -> None:
    assert (SG[sub], RDFS.subClassOf, SG[sup]) in graph


@pytest.mark.parametrize("prop", INVOLVEMENT)
def test_involvement_subproperties(graph: Graph, prop: str) -> None:
    assert (SG[prop], RDFS.subPropertyOf, SG.involves) in graph


def test_kinds_of_key_terms(graph: Graph) -> None:
    assert (SG.code, RDF.type, OWL.DatatypeProperty) in graph
    assert (SG.branchOf, RDF.type, OWL.ObjectProperty) in graph
    assert (SG.officialText, RDF.type, OWL.DatatypeProperty) in graph
    for defined in (SG.Office, SG.USFinancialInstitution):
        assert graph.value(defined, OWL.equivalentClass) is not None, defined
    for ap in (SKOS.definition, DCTERMS.source):
        assert (ap, RDF.type, OWL.AnnotationProperty) in graph


# --------------------------------------------------------------------------- code lists


def test_code_individuals_follow_the_conventions(graph: Graph) -> None:
    problems = []
    for ind in sorted(code_individuals(graph)):
        scheme, _, value = str(ind)[len(str(CODE)) :].partition("/")
        if scheme not in SCHEMES:
            problems.append(f"{ind}: unknown scheme {scheme!r}")
            continue
        if (ind, RDF.type, SCHEMES[scheme]) not in graph:
            problems.append(f"{ind}: not typed {SCHEMES[scheme]}")
        if list(graph.objects(ind, SG.code)) != [Literal(value)]:
            problems.append(f"{ind}: sg:code must be exactly {value!r} (xsd:string)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_code_list_values(graph: Graph, scheme: str) -> None:
    values = {
        str(i)[len(str(CODE)) + len(scheme) + 1 :]
        for i in code_individuals(graph)
        if str(i).startswith(str(CODE) + scheme + "/")
    }
    missing = REQUIRED_CODES[scheme] - values
    assert not missing, f"{scheme}: missing {sorted(missing)}"
    if scheme in EXACT_SCHEMES:
        assert values == REQUIRED_CODES[scheme], (
            f"{scheme}: unexpected {sorted(values - REQUIRED_CODES[scheme])}"
        )
    # the scheme class is closed over exactly its individuals
    enumerations = [
        Collection(graph, graph.value(e, OWL.oneOf))
        for e in graph.objects(SCHEMES[scheme], OWL.equivalentClass)
        if graph.value(e, OWL.oneOf) is not None
    ]
    assert len(enumerations) == 1, f"{scheme}: needs one owl:oneOf"
    assert {str(m) for m in enumerations[0]} == {str(code(scheme, v)) for v in values}


def test_every_scheme_class_is_a_code_scheme(graph: Graph) -> None:
    for cls in SCHEMES.values():
        assert (cls, RDFS.subClassOf, SG.CodeScheme) in graph, cls


def test_humanitarian_categories_cite_510_512(graph: Graph) -> None:
    for value in REQUIRED_CODES["category"]:
        sources = {str(s) for s in graph.objects(code("category", value), DCTERMS.source)}
        assert any("510.512" in s for s in sources), value


# --------------------------------------------------------------------------- (d) HermiT

java_missing = shutil.which("java") is None
needs_java = pytest.mark.skipif(
    java_missing, reason="HermiT needs a Java runtime (`java` not on PATH); CI installs one"
)
EX = Namespace("https://example.org/test#")


def reason(extra: Graph | None = None):
    """Load the ontology (plus ``extra``) into a fresh owlready2 World and run HermiT.

    The Turtle is converted to N-Triples with rdflib and owl:imports are dropped, so
    owlready2 never fetches anything. xsd:date is not in the OWL 2 datatype map, so
    HermiT is told to ignore unsupported datatypes (``test_datatypes`` makes sure
    xsd:date is the only one).
    """
    import tempfile

    import owlready2

    g = Graph()
    for path in ontology_files():
        g.parse(path, format="turtle")
    if extra is not None:
        g += extra
    g.remove((None, OWL.imports, None))
    with tempfile.TemporaryDirectory() as tmp:
        nt = Path(tmp) / "sanctiongraph.nt"
        g.serialize(destination=str(nt), format="nt", encoding="utf-8")
        world = owlready2.World()
        with nt.open("rb") as f:
            world.get_ontology(ONTOLOGY_IRI).load(fileobj=f, only_local=True)
        owlready2.sync_reasoner_hermit(
            world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
        )
    return world


def unsatisfiable(world) -> list[str]:
    return sorted(c.iri for c in world.inconsistent_classes() if c.iri.startswith(SG_NS))


@needs_java
def test_hermit_finds_the_ontology_consistent() -> None:
    world = reason()  # raises OwlReadyInconsistentOntologyError if inconsistent
    assert unsatisfiable(world) == []
    # the reasoner really ran: a stated subclass chain was closed
    bank = world[str(SG.CentralBank)]
    assert world[str(SG.Agent)] in bank.ancestors()


@needs_java
def test_hermit_detects_an_inconsistent_individual() -> None:
    import owlready2

    bad = Graph()
    bad.add((EX.centaur, RDF.type, OWL.NamedIndividual))
    bad.add((EX.centaur, RDF.type, SG.Person))
    bad.add((EX.centaur, RDF.type, SG.Bank))  # Person and Organization are disjoint
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        reason(bad)


@needs_java
def test_hermit_detects_an_unsatisfiable_class() -> None:
    person_account = URIRef(SG_NS + "TestOnlyPersonAccount")  # not a real term
    bad = Graph()
    bad.add((person_account, RDF.type, OWL.Class))
    bad.add((person_account, RDFS.subClassOf, SG.Person))
    bad.add((person_account, RDFS.subClassOf, SG.Account))  # Agent and Account are disjoint
    assert unsatisfiable(reason(bad)) == [str(person_account)]


@needs_java
def test_hermit_classifies_institutions() -> None:
    data = Graph()

    def individual(name: str, *types: URIRef) -> URIRef:
        data.add((EX[name], RDF.type, OWL.NamedIndividual))
        for t in types:
            data.add((EX[name], RDF.type, t))
        return EX[name]

    kp_bank = individual("kpBank", SG.Bank)
    data.add((kp_bank, SG.jurisdiction, country("KP")))
    data.add((kp_bank, SG.locatedIn, country("KP")))
    branch = individual("kpBankBranch", SG.Bank)
    data.add((branch, SG.branchOf, kp_bank))
    us_branch = individual("usBranch", SG.Bank)
    data.add((us_branch, SG.locatedIn, country("US")))
    subsidiary = individual("subsidiary", SG.Company)
    holding = individual("holding", SG.Ownership)
    data.add((holding, SG.owner, kp_bank))
    data.add((holding, SG.owned, subsidiary))
    data.add((holding, SG.percent, Literal("60", datatype=XSD.decimal)))
    minority = individual("minority", SG.Company)
    small = individual("smallHolding", SG.Ownership)
    data.add((small, SG.owner, kp_bank))
    data.add((small, SG.owned, minority))
    data.add((small, SG.percent, Literal("30", datatype=XSD.decimal)))

    world = reason(data)

    def types(node: URIRef) -> set[str]:
        return {c.iri for c in world[str(node)].INDIRECT_is_a if hasattr(c, "iri")}

    assert str(SG.NorthKoreanBankingInstitution) in types(kp_bank)
    assert str(SG.NorthKoreanFinancialInstitution) in types(kp_bank)
    assert str(SG.Office) in types(branch)
    assert str(SG.NorthKoreanFinancialInstitution) in types(branch)
    assert str(SG.USFinancialInstitution) in types(us_branch)
    assert str(SG.NorthKoreanFinancialInstitution) in types(subsidiary)
    assert str(SG.NorthKoreanFinancialInstitution) not in types(minority)
    assert str(SG.USFinancialInstitution) not in types(kp_bank)
