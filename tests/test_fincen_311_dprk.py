"""31 CFR 1010.659 (and 1010.660 as data): classification with evidence, the shapes'
citations and evidence, and Section 311 measures as data, not code.

The fixtures in ``tests/fixtures/fincen-311-dprk/`` fix which (focus, shape) pairs fire;
these tests check what the fixtures cannot: classes and evidence paths as of a date,
the cited paragraph of each finding, and that a new measure needs only reference data.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph

from fixtures_support import FIXTURES, run_fixture
from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import ID, REF, SG
from sanctiongraph.resources import demo_world_dir, reference_dir
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_paths, validate_sources

HERE = FIXTURES / "fincen-311-dprk"
AS_OF = date(2026, 11, 23)
PREFIXES = """
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .
@prefix acc: <https://w3id.org/sanctiongraph/id/account/> .
@prefix tx: <https://w3id.org/sanctiongraph/id/transaction/> .
@prefix hold: <https://w3id.org/sanctiongraph/id/holding/> .
@prefix cty: <https://w3id.org/sanctiongraph/ref/country/> .
@prefix ref: <https://w3id.org/sanctiongraph/ref/entity/> .
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

WORLD = (
    PREFIXES
    + """
ent:kpbank a sg:Bank ; dct:identifier "kpbank" ; sg:jurisdiction cty:KP .
ent:kpbank-cn a sg:Bank ; dct:identifier "kpbank-cn" ; sg:jurisdiction cty:KP ; sg:locatedIn cty:CN ; sg:branchOf ent:kpbank .
ent:kpbank-us a sg:Bank ; dct:identifier "kpbank-us" ; sg:jurisdiction cty:KP ; sg:locatedIn cty:US ; sg:branchOf ent:kpbank .
ent:kp-insurer a sg:NonBankFinancialInstitution ; dct:identifier "kp-insurer" ; sg:jurisdiction cty:KP .
ent:sub60 a sg:Company ; dct:identifier "sub60" ; sg:jurisdiction cty:CN .
ent:sub60-sub a sg:Company ; dct:identifier "sub60-sub" ; sg:jurisdiction cty:HK .
ent:sub50 a sg:Company ; dct:identifier "sub50" ; sg:jurisdiction cty:CN .
ent:band a sg:Company ; dct:identifier "band" ; sg:jurisdiction cty:CN .
ent:sold a sg:Company ; dct:identifier "sold" ; sg:jurisdiction cty:CN .
ent:controlled a sg:Company ; dct:identifier "controlled" ; sg:jurisdiction cty:CN .
ent:person a sg:Person ; dct:identifier "person" .
hold:h1 a sg:Ownership ; sg:owner ent:kpbank ; sg:owned ent:sub60 ; sg:percent "60"^^xsd:decimal .
hold:h2 a sg:Ownership ; sg:owner ent:sub60 ; sg:owned ent:sub60-sub ; sg:percent "51"^^xsd:decimal .
hold:h3 a sg:Ownership ; sg:owner ent:kpbank ; sg:owned ent:sub50 ; sg:percent "50"^^xsd:decimal .
hold:h4 a sg:Ownership ; sg:owner ent:kpbank ; sg:owned ent:band ; sg:percentMin "45"^^xsd:decimal ; sg:percentMax "70"^^xsd:decimal .
hold:h5 a sg:Ownership ; sg:owner ent:kpbank ; sg:owned ent:sold ; sg:percent "90"^^xsd:decimal ; sg:endDate "2026-11-23"^^xsd:date .
hold:h6 a sg:Control ; sg:owner ent:kpbank ; sg:owned ent:controlled .
hold:h7 a sg:Ownership ; sg:owner ent:kpbank ; sg:owned ent:person ; sg:percent "99"^^xsd:decimal .
ent:cnbank a sg:Bank ; dct:identifier "cnbank" ; sg:jurisdiction cty:CN .
ent:cnbank-py a sg:Bank ; dct:identifier "cnbank-py" ; sg:jurisdiction cty:CN ; sg:locatedIn cty:KP ; sg:branchOf ent:cnbank .
ent:cnbank-ny a sg:Bank ; dct:identifier "cnbank-ny" ; sg:jurisdiction cty:CN ; sg:locatedIn cty:US ; sg:branchOf ent:cnbank .
ent:usbank a sg:Bank ; dct:identifier "usbank" ; sg:jurisdiction cty:US .
ent:usbank-london a sg:Bank ; dct:identifier "usbank-london" ; sg:jurisdiction cty:US ; sg:locatedIn cty:GB ; sg:branchOf ent:usbank .
ent:usbroker a sg:NonBankFinancialInstitution ; dct:identifier "usbroker" ; sg:jurisdiction cty:US .
ent:dd-branch a sg:Bank ; dct:identifier "dd-branch" ; sg:jurisdiction cty:CN ; sg:branchOf ref:bank-of-dandong .
ent:my-dandong a sg:Bank ; dct:identifier "my-dandong" ; sg:jurisdiction cty:CN ; owl:sameAs ref:bank-of-dandong .
ent:loop-a a sg:Bank ; dct:identifier "loop-a" ; sg:jurisdiction cty:CN ; sg:branchOf ent:loop-b .
ent:loop-b a sg:Bank ; dct:identifier "loop-b" ; sg:jurisdiction cty:CN ; sg:branchOf ent:loop-a .
hold:h8 a sg:Ownership ; sg:owner ent:sub60-sub ; sg:owned ent:sub60 ; sg:percent "55"^^xsd:decimal .
"""
)


def derived_store(text: str, as_of: date):
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store, [Source.from_triples("t", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "t.ttl"))]
    )
    run_derivers(store, as_of)
    return store


def classifications(store) -> dict[tuple[str, str], str]:
    """(entity id or IRI, class or population local name) -> evidence path."""
    rows = store.query(f"""
        PREFIX sg: <{SG._NS}>
        SELECT ?e ?c ?p ?path WHERE {{
          ?x a sg:Classification ; sg:classifiedEntity ?e ; sg:evidencePath ?path .
          OPTIONAL {{ ?x sg:assignedClass ?c }} OPTIONAL {{ ?x sg:inPopulation ?p }}
        }}""")
    out = {}
    for r in rows:
        key = r["e"].value.rsplit("/", 1)[-1]
        what = r["p"].value.rsplit("/", 1)[-1] if r["p"] else r["c"].value.rsplit("#", 1)[-1]
        out[(key, what)] = r["path"].value
    return out


@pytest.fixture(scope="module")
def world_store():
    return derived_store(WORLD, AS_OF)


@pytest.fixture(scope="module")
def classified(world_store):
    return classifications(world_store)


def types(store, ident: str) -> set[str]:
    return {
        r["t"].value.rsplit("#", 1)[-1]
        for r in store.query(
            "SELECT ?x ?t WHERE { ?x a ?t }", {"x": ox.NamedNode(str(ID[f"entity/{ident}"]))}
        )
    }


NKBI = "31-CFR-1010.659-north-korean-banking-institution"
NKFI = "31-CFR-1010.659-north-korean-financial-institution"
DANDONG = "31-CFR-1010.660-bank-of-dandong"


def members(classified, population: str) -> set[str]:
    return {e for (e, what) in classified if what == population}


def test_north_korean_banking_institution(classified, world_store):
    # (a)(1): the bank and its offices outside the US; not the US branch, not non-banks
    assert members(classified, NKBI) >= {"kpbank", "kpbank-cn"}
    assert {"kpbank-us", "kp-insurer", "sub60", "cnbank-py"}.isdisjoint(members(classified, NKBI))
    assert classified[("kpbank-cn", NKBI)] == (
        "kpbank-cn is a branch or office (CN) of kpbank; kpbank is a bank organised under the law of KP"
    )
    assert {
        "NorthKoreanBankingInstitution",
        "NorthKoreanFinancialInstitution",
        "ForeignBank",
        "Organization",
    } <= types(world_store, "kpbank-cn")
    assert "NorthKoreanBankingInstitution" not in types(world_store, "kpbank-us")


def test_north_korean_financial_institution(classified):
    nkfi = members(classified, NKFI)
    # (a)(2): chartered or licensed by KP, wherever located; offices anywhere (the US
    # branch too); subsidiaries more than 50% owned, also of subsidiaries; offices in KP
    # of a third-country bank
    assert {
        "kpbank",
        "kpbank-cn",
        "kpbank-us",
        "kp-insurer",
        "sub60",
        "sub60-sub",
        "cnbank-py",
    } <= nkfi
    # (a)(6): exactly 50% is not a subsidiary; a band that may be 50 or less is not;
    # a holding that ended on the as-of date is not; control is not; a person is not
    assert {"sub50", "band", "sold", "controlled", "person"}.isdisjoint(nkfi)
    assert {"cnbank", "cnbank-ny", "usbank"}.isdisjoint(nkfi)
    assert classified[("sub60-sub", NKFI)] == (
        "sub60-sub is owned 51% by sub60 (more than 50%: a subsidiary); "
        "sub60 is owned 60% by kpbank (more than 50%: a subsidiary); "
        "kpbank is a financial institution chartered or licensed in KP"
    )
    assert classified[("cnbank-py", NKFI)] == (
        "cnbank-py is a branch or office in KP of cnbank, a foreign financial institution "
        "organised in CN"
    )


def test_subsidiary_band_above_threshold_counts():
    text = WORLD.replace('sg:percentMin "45"', 'sg:percentMin "50.5"')
    assert ("band", NKFI) in classifications(derived_store(text, AS_OF))


def test_holding_interval_includes_start_and_excludes_end():
    before = classifications(derived_store(WORLD, date(2026, 11, 22)))
    assert ("sold", NKFI) in before
    assert ("sold", NKFI) not in classifications(derived_store(WORLD, AS_OF))


def test_holding_with_two_shares_uses_the_least_row_whatever_the_order():
    """Bad data (two sg:percent on one holding, a maxCount finding) still classifies
    deterministically: the least row of the holding counts."""
    for shares in ('"45"^^xsd:decimal, "60"^^xsd:decimal', '"60"^^xsd:decimal, "45"^^xsd:decimal'):
        text = WORLD.replace('sg:percent "60"^^xsd:decimal', f"sg:percent {shares}")
        assert ("sub60", NKFI) not in classifications(derived_store(text, AS_OF))
    text = WORLD.replace(
        'sg:percent "60"^^xsd:decimal', 'sg:percent "55"^^xsd:decimal, "60"^^xsd:decimal'
    )
    assert ("sub60", NKFI) in classifications(derived_store(text, AS_OF))


def test_subsidiaries_read_in_batches_and_chunks_classify_the_same(classified, monkeypatch):
    """Holdings and entities are read on demand, one batch per level of the walk; a batch
    larger than one VALUES block is split. One row per block gives the same classes."""
    import sanctiongraph.queries

    monkeypatch.setattr(sanctiongraph.queries, "VALUES_CHUNK", 1)
    assert classifications(derived_store(WORLD, AS_OF)) == classified


def test_holding_with_two_owners_counts_for_the_least_row_only():
    """A holding read through one owner brings its other owner's row too: as with every
    column, the least row counts (here ent:aaa's, not kpbank's), whoever is read first."""
    text = WORLD.replace(
        "hold:h1 a sg:Ownership ; sg:owner ent:kpbank ;",
        "hold:h1 a sg:Ownership ; sg:owner ent:kpbank, ent:aaa ;",
    )
    found = classifications(derived_store(text, AS_OF))
    assert ("sub60", NKFI) not in found and ("sub60-sub", NKFI) not in found
    text = text.replace("ent:aaa", "ent:zzz")
    assert ("sub60", NKFI) in classifications(derived_store(text, AS_OF))


def test_covered_and_foreign(classified):
    covered = {e for (e, what) in classified if what == "CoveredFinancialInstitution"}
    assert {"usbank", "usbank-london", "usbroker", "cnbank-ny"} <= covered
    assert {"cnbank", "kpbank", "cnbank-py"}.isdisjoint(covered)
    assert classified[("cnbank-ny", "CoveredFinancialInstitution")] == (
        "cnbank-ny is a branch or office located in US of cnbank"
    )
    foreign_banks = {e for (e, what) in classified if what == "ForeignBank"}
    # 1010.100(u): offices outside the US of any bank are foreign banks, offices inside are not
    assert {"cnbank", "cnbank-py", "kpbank", "usbank-london"} <= foreign_banks
    assert {"cnbank-ny", "usbank", "kpbank-us", "usbroker"}.isdisjoint(foreign_banks)
    foreign_fis = {e for (e, what) in classified if what == "ForeignFinancialInstitution"}
    assert "kp-insurer" in foreign_fis and "kp-insurer" not in foreign_banks


def test_bank_of_dandong_population(classified):
    dandong = members(classified, DANDONG)
    assert {"dd-branch", "my-dandong", "bank-of-dandong"} <= dandong
    # a reference entity has no data-package id: named by its label, not its IRI
    assert classified[("my-dandong", DANDONG)] == (
        "my-dandong is the same institution as Bank of Dandong Co., Ltd., named by 31 CFR 1010.660"
    )


def test_branch_and_ownership_cycles_terminate(classified):
    assert ("loop-a", "ForeignBank") in classified
    assert ("sub60", NKFI) in classified  # sub60 <-> sub60-sub own each other


def test_no_population_before_the_effective_date():
    early = classifications(derived_store(WORLD, date(2016, 12, 8)))
    assert not members(early, NKBI) and not members(early, NKFI)
    assert ("usbank", "CoveredFinancialInstitution") in early  # not measure-dependent
    on_day = classifications(derived_store(WORLD, date(2016, 12, 9)))
    assert "kpbank" in members(on_day, NKBI)
    assert not members(on_day, DANDONG)  # 1010.660 takes effect on 2017-12-08
    assert members(classifications(derived_store(WORLD, date(2017, 12, 8))), DANDONG)


def test_measures_in_force():
    store = derived_store(WORLD, AS_OF)
    forced = {r["m"].value for r in store.query(f"SELECT ?m WHERE {{ ?m <{SG.inForceOn}> ?d }}")}
    assert forced == {str(REF["measure/31-CFR-1010.659"]), str(REF["measure/31-CFR-1010.660"])}


# --------------------------------------------------------------------------- findings


def findings(name: str, engine: str = "fast"):
    return run_fixture(HERE / name, engine).findings


def test_dandong_fixture_cites_1010_660_b_1():
    [finding] = findings("violates-dandong-b-1.ttl")
    assert finding.citation == "31 CFR 1010.660(b)(1)"
    assert finding.shape.endswith("fincen-311-dprk#AccountProhibitionShape")
    assert finding.severity == "violation"
    assert finding.evidence == (
        "a1",
        "dd-sy",
        "dd-sy is a branch or office (CN) of Bank of Dandong Co., Ltd.; "
        "Bank of Dandong Co., Ltd. is named by 31 CFR 1010.660",
        "31 CFR 1010.660(a)(1)",
    )
    [listed] = findings("violates-dandong-listed-subsidiary.ttl")
    assert listed.citation == "31 CFR 1010.660(b)(1)"
    assert "dandong-sub is owned 75% by dandong" in listed.evidence[2]


EXPECTED_CITATIONS = {
    "violates-b-1-account.ttl": {("a1", "31 CFR 1010.659(b)(1)", "violation")},
    "violates-b-1-effective-date.ttl": {("a1", "31 CFR 1010.659(b)(1)", "violation")},
    "violates-b-2-transaction.ttl": {
        ("t1", "31 CFR 1010.659(b)(2)", "warning"),  # F3
        ("a1", "31 CFR 1010.659(b)(3)(iii)", "warning"),
    },
    "violates-b-3-i-A-nested-account.ttl": {("a1", "31 CFR 1010.659(b)(3)(i)(A)", "warning")},
    "violates-b-3-i-A-processing.ttl": {("a1", "31 CFR 1010.659(b)(3)(i)(A)", "warning")},
    "violates-b-3-i-B-identified-use.ttl": {("a1", "31 CFR 1010.659(b)(3)(i)(B)", "warning")},
    "violates-b-3-iii-indirect-use.ttl": {
        ("t1", "31 CFR 1010.659(b)(2)", "warning"),
        ("a1", "31 CFR 1010.659(b)(3)(iii)", "warning"),
    },
    "violates-b-4-notice-record.ttl": {("a1", "31 CFR 1010.659(b)(4)", "warning")},
    "violates-dandong-possibly-listed-holder-kind.ttl": {
        ("t-sub", "31 CFR 1010.660(b)(2)", "warning"),
        ("a1", "31 CFR 1010.660(b)(3)(i)(A)", "warning"),
        ("a1", "31 CFR 1010.660(b)(3)(iii)", "warning"),
    },
    "violates-dandong-correspondent-kind.ttl": {
        ("t1", "31 CFR 1010.660(b)(2)", "warning"),
        ("a1", "31 CFR 1010.660(b)(3)(i)(A)", "warning"),
        ("a1", "31 CFR 1010.660(b)(3)(iii)", "warning"),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CITATIONS))
def test_each_paragraph_is_cited_with_its_severity(name):
    assert {(f.id, f.citation, f.severity) for f in findings(name)} == EXPECTED_CITATIONS[name]


def test_evidence_names_account_transaction_institution_and_path():
    by_shape = {f.shape.rsplit("#", 1)[1]: f for f in findings("violates-b-2-transaction.ttl")}
    b2 = by_shape["TransactionProhibitionShape"]
    assert b2.evidence == (
        "t1",
        "a1",
        "kpbank",
        "beneficiary institution",
        "kpbank is a financial institution chartered or licensed in KP",
        "31 CFR 1010.659(a)(2)",
    )
    assert "Transaction t1" in b2.message and "foreign bank cnbank" in b2.message
    use = by_shape["IndirectUseShape"]
    assert use.evidence[:4] == ("a1", "t1", "kpbank", "beneficiary institution")
    [notice] = findings("violates-b-3-i-A-nested-account.ttl")
    assert notice.evidence == (
        "a1",
        "cnbank",
        "a2",
        "kpbank",
        "kpbank is a financial institution chartered or licensed in KP",
        "31 CFR 1010.659(a)(2)",
    )
    [subsidiary] = [
        f
        for f in findings("violates-b-2-subsidiary-share.ttl")
        if f.shape.endswith("TransactionProhibitionShape")
    ]
    assert subsidiary.evidence[4] == (
        "kp-trading is owned 50.01% by kpbank (more than 50%: a subsidiary); "
        "kpbank is a financial institution chartered or licensed in KP"
    )


def test_findings_rest_on_provisions_held_verbatim():
    """found-r2.md section 1 holds (b)(3)(i)(A)-(B), (b)(3)(ii)-(iii) and (b)(4) verbatim."""
    text = (reference_dir() / "provisions" / "31-CFR-1010.659.ttl").read_text()
    for slug in ("b-3-i-A", "b-3-i-B", "b-3-ii", "b-3-iii", "b-4"):
        block = text.split(f"provision:31-CFR-1010.659-{slug}\n", 1)[1].split("\n\n", 1)[0]
        assert "sg:verification verification:verbatim" in block, slug


def test_each_measure_says_whose_accounts_are_correspondent_accounts():
    """1010.659(a)(4) borrows 1010.605(c)(1)(i), an account of any foreign financial
    institution; 1010.660(a)(2) borrows (c)(1)(ii), a foreign bank's account. Every measure
    whose notification or use-identification shapes judge an account's holder says which."""
    graph = Graph()
    for path in sorted((reference_dir() / "measures").glob("*.ttl")):
        graph.parse(path)
    holders = {
        str(measure).rsplit("/", 1)[1]: set(graph.objects(measure, SG.correspondentHolderClass))
        for measure in graph.subjects(RDF.type, SG.SpecialMeasure)
    }
    assert holders["31-CFR-1010.659"] == {SG.ForeignFinancialInstitution}
    assert holders["31-CFR-1010.660"] == {SG.ForeignBank}
    judged = {SG.NotificationRequirement, SG.UseIdentificationRequirement}
    for measure in graph.subjects(RDF.type, SG.SpecialMeasure):
        kinds = {graph.value(r, RDF.type) for r in graph.objects(measure, SG.hasRequirement)}
        if kinds & judged:
            assert len(holders[str(measure).rsplit("/", 1)[1]]) == 1, measure


# --------------------------------------------------------------------------- measures as data

BDA_DATA = (
    PREFIXES
    + """
ent:usbank a sg:Bank ; dct:identifier "usbank" ; sg:jurisdiction cty:US .
ent:dac a sg:NonBankFinancialInstitution ; dct:identifier "delta-asia-credit" ; sg:jurisdiction cty:MO .
hold:h1 a sg:Ownership ; sg:owner ref:banco-delta-asia ; sg:owned ent:dac ; sg:percent "100"^^xsd:decimal .
acc:a1 a sg:CorrespondentAccount ; dct:identifier "a1" ; sg:maintainedBy ent:usbank ; sg:heldBy ent:dac ;
    sg:openedOn "2005-01-03"^^xsd:date .
"""
)


@pytest.mark.parametrize(
    "day,act",
    [
        (date(2007, 4, 17), None),
        (date(2007, 4, 18), "Maintaining: "),  # 72 FR 12730: effective 2007-04-18
        (date(2020, 8, 9), "Maintaining: "),
        # 85 FR 48105: repealed 2020-08-10. The account kept while the measure was in force
        # stays a breach: a past maintaining, over the whole time it was in force (the
        # account was opened before).
        (date(2020, 8, 10), "Maintaining (past): "),
        (date(2026, 11, 23), "Maintaining (past): "),
    ],
)
def test_a_new_measure_is_reference_data_only(day, act):
    """31 CFR 1010.655 (Banco Delta Asia) is one file of data/reference/measures/: the same
    shape fires while it was in force, not before, and after its repeal for the time it
    was in force."""
    data = Source.from_triples("bda", parse_rdf(BDA_DATA.encode(), ox.RdfFormat.TURTLE, "bda.ttl"))
    findings = validate_sources([data], day).findings
    if act is None:
        assert not findings
        return
    [finding] = findings
    assert finding.citation == "31 CFR 1010.655(b)(1)"
    assert finding.shape.endswith("fincen-311-dprk#AccountProhibitionShape")
    assert finding.message.startswith(act)
    if act == "Maintaining (past): ":
        assert "from 2007-04-18 until 2020-08-10 (that day excluded)" in finding.message
        assert finding.message.endswith(
            "It had to terminate such an account then; keeping it open was a breach, "
            "which stands after the maintaining has ended."
        )
    else:  # 1010.655(b)(1) is a duty to terminate, not a bar on opening or maintaining
        assert finding.message.endswith("It must terminate such an account.")
    assert "delta-asia-credit is owned 100%" in finding.evidence[2]


USE_AFTER_REPEAL = (
    BDA_DATA
    + """
@prefix measure: <https://w3id.org/sanctiongraph/ref/measure/> .
@prefix provision: <https://w3id.org/sanctiongraph/ref/provision/> .
ent:cnbank a sg:Bank ; dct:identifier "cnbank" ; sg:jurisdiction cty:CN .
acc:a2 a sg:CorrespondentAccount ; dct:identifier "a2" ; sg:maintainedBy ent:usbank ; sg:heldBy ent:cnbank ;
    sg:openedOn "2005-01-03"^^xsd:date .
tx:t1 a sg:Transaction ; dct:identifier "t1" ; sg:transactionDate "2019-05-02"^^xsd:date ;
    sg:throughAccount acc:a2 ; sg:beneficiaryInstitution ent:dac .
# 1010.655 has no use-investigation requirement; this one is made up to test the date
measure:test-use a sg:UseInvestigationRequirement ;
    sg:appliesTo measure:31-CFR-1010.655-banco-delta-asia ;
    sg:legalBasis provision:31-CFR-1010.655-b-1 .
measure:31-CFR-1010.655 sg:hasRequirement measure:test-use .
"""
)


@pytest.mark.parametrize(("day", "fires"), [(date(2020, 8, 9), True), (date(2020, 8, 10), False)])
def test_a_use_is_to_be_investigated_while_the_measure_is_in_force(day, fires):
    """A use of a foreign bank's account on a day the measure was in force asks for
    investigation while the measure is in force on the as-of date, not after its end
    (1010.655 repealed with effect from 2020-08-10)."""
    data = Source.from_triples(
        "use", parse_rdf(USE_AFTER_REPEAL.encode(), ox.RdfFormat.TURTLE, "use.ttl")
    )
    findings = validate_sources([data], day).findings
    use = [f for f in findings if f.shape.endswith("fincen-311-dprk#IndirectUseShape")]
    assert [(f.id, f.citation) for f in use] == ([("a2", "31 CFR 1010.655(b)(1)")] if fires else [])


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2010-01-03", []),  # before the opening
        ("2010-01-04", ["Maintaining: "]),  # opened while the duty applied: no "Opening"
        ("2012-01-01", ["Maintaining: "]),
        ("2012-01-02", ["Maintaining (past): "]),  # closed: kept open for two years
        ("2026-11-23", ["Maintaining (past): "]),
    ],
)
def test_a_duty_to_terminate_is_breached_by_keeping_not_by_opening(engine, day, expected):
    """31 CFR 1010.655(b)(1): "shall terminate any correspondent account that is
    established, maintained, administered, or managed in the United States for" Banco
    Delta Asia. An account opened while the duty applied is reported for the time it was
    kept open, in words of termination; the opening itself is not a finding, as it is
    under 1010.659(b)(1) and 1010.660(b)(1) ("shall not open or maintain")."""
    text = BDA_DATA.replace(
        '"2005-01-03"^^xsd:date .',
        '"2010-01-04"^^xsd:date ;\n    sg:closedOn "2012-01-02"^^xsd:date .',
    )
    assert "closedOn" in text
    data = Source.from_triples("bda", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "bda.ttl"))
    findings = validate_sources([data], date.fromisoformat(day), engine).findings
    assert [f.message[: f.message.index(":") + 2] for f in findings] == expected
    for finding in findings:
        assert finding.citation == "31 CFR 1010.655(b)(1)"
        assert "terminate such an account" in finding.message
    if expected == ["Maintaining (past): "]:
        assert "from 2010-01-04 until 2012-01-02 (that day excluded)" in findings[0].message


POSSIBLY_BDA = (
    PREFIXES
    + """
@prefix des: <https://w3id.org/sanctiongraph/id/designation/> .
ent:usbank a sg:Bank ; dct:identifier "usbank" ; sg:jurisdiction cty:US .
ent:mo a sg:Bank ; dct:identifier "mo-bank" ; sg:jurisdiction cty:MO .
des:d1 a sg:Designation ; sg:designates ent:mo ;
    sg:onList <https://w3id.org/sanctiongraph/ref/list/FINCEN_311> ;
    sg:sourceReference "31 CFR 1010.655" ;
    sg:startDate "2010-03-01"^^xsd:date ; sg:possiblyFrom "2010-02-01"^^xsd:date .
acc:a1 a sg:CorrespondentAccount ; dct:identifier "a1" ; sg:maintainedBy ent:usbank ; sg:heldBy ent:mo ;
    sg:openedOn "2009-01-05"^^xsd:date .
"""
)


_NOW = "It must terminate such an account."
_THEN = (
    "It had to terminate such an account then; keeping it open was a breach, which stands "
    "after the maintaining has ended."
)
_POSSIBLY_NOW = (
    "The account possibly has to be terminated; establish whether the listing was in force."
)
_POSSIBLY_THEN = (
    "The account possibly had to be terminated then; establish whether the listing was in force."
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2010-01-31", []),
        ("2010-02-15", [("Maintaining", _POSSIBLY_NOW)]),
        # listed from this day: the possibly listed days before are a past period
        ("2010-03-01", [("Maintaining", _NOW), ("Maintaining (past)", _POSSIBLY_THEN)]),
        ("2021-01-04", [("Maintaining (past)", _THEN), ("Maintaining (past)", _POSSIBLY_THEN)]),
    ],
)
def test_a_duty_to_terminate_in_the_possibly_listed_findings(day, expected):
    """The words of 1010.655(b)(1)'s termination duty in the warnings of an account whose
    holder is listed under it only possibly (a FINCEN_311 listing between publications
    that disagree), on the day, and in the past periods after the repeal."""
    data = Source.from_triples(
        "bda", parse_rdf(POSSIBLY_BDA.encode(), ox.RdfFormat.TURTLE, "bda.ttl")
    )
    findings = validate_sources([data], date.fromisoformat(day)).findings
    duties = (_NOW, _THEN, _POSSIBLY_NOW, _POSSIBLY_THEN)
    said = sorted(
        (f.message.split(":", 1)[0], next((d for d in duties if f.message.endswith(d)), f.message))
        for f in findings
    )
    assert said == expected
    assert all(f.citation == "31 CFR 1010.655(b)(1)" for f in findings)


@pytest.mark.parametrize("opened", ["2019-06-03", None])
@pytest.mark.parametrize(
    ("day", "act"),
    [
        ("2020-02-29", None),  # before the holding: dd-hk is no subsidiary yet
        ("2020-03-01", "Maintaining: "),
        ("2020-12-31", "Maintaining: "),  # the last day of the holding
        ("2021-01-01", "Maintaining (past): "),  # the holding has ended: the stretch too
        ("2026-11-23", "Maintaining (past): "),
    ],
)
def test_past_maintaining_of_an_account_still_open(day, act, opened):
    """An account still open, kept while its holder was a 1010.660 subsidiary: maintained
    on the days of the holding, a past maintaining from the day it ended, with the
    period. Without an opening date the account is taken to have been open all along,
    as the as-of shape takes it, and the findings are the same."""
    text = (HERE / "violates-b-1-past-maintaining-open.ttl").read_text(encoding="utf-8")
    if opened is None:
        text = text.replace(' ; sg:openedOn "2019-06-03"^^xsd:date', "")
        assert "openedOn" not in text
    source = Source.from_triples("open", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "open.ttl"))
    findings = validate_sources([source], date.fromisoformat(day)).findings
    if act is None:
        assert not findings
        return
    [finding] = findings
    assert finding.shape.endswith("fincen-311-dprk#AccountProhibitionShape")
    assert finding.citation == "31 CFR 1010.660(b)(1)"
    assert finding.message.startswith(act)
    if act == "Maintaining (past): ":
        assert "from 2020-03-01 until 2021-01-01 (that day excluded)" in finding.message


# --------------------------------------------------------------------------- demo world

DEMO_EXPECTED = {
    # data/examples/README.md, NK-01..NK-22, as of 2026-11-23
    ("acc-pr-crane-sy", "31 CFR 1010.659(b)(1)"),
    # NK-02: closed the day before the as-of date, maintained from 2016-12-09: a past maintaining
    ("acc-summit-pine", "31 CFR 1010.659(b)(1)"),
    ("tx-nk-01", "31 CFR 1010.659(b)(2)"),
    ("tx-nk-02", "31 CFR 1010.659(b)(2)"),
    ("tx-nk-03", "31 CFR 1010.659(b)(2)"),
    ("tx-nk-04", "31 CFR 1010.659(b)(2)"),
    ("tx-nk-05", "31 CFR 1010.659(b)(2)"),
    ("tx-nk-06", "31 CFR 1010.659(b)(2)"),
    ("acc-tw-pearl", "31 CFR 1010.659(b)(3)(i)(A)"),
    ("acc-orny-hornbill", "31 CFR 1010.659(b)(3)(i)(A)"),
    ("acc-hv-amber", "31 CFR 1010.659(b)(3)(i)(A)"),
    ("acc-hv-lotus", "31 CFR 1010.659(b)(3)(iii)"),
    ("acc-orny-hornbill", "31 CFR 1010.659(b)(3)(iii)"),
    ("acc-tw-lindenfeld", "31 CFR 1010.659(b)(3)(iii)"),
    ("acc-tw-pearl", "31 CFR 1010.659(b)(3)(iii)"),
    # NK-22: a broker's account (not a bank's) used for a transaction with an NKFI
    ("acc-tw-grey-tern", "31 CFR 1010.659(b)(3)(i)(B)"),
    ("acc-hv-lotus", "31 CFR 1010.659(b)(4)"),
    ("acc-hv-cedar", "31 CFR 1010.659(b)(4)"),
    ("acc-pr-dandong-sy", "31 CFR 1010.660(b)(1)"),
    ("tx-dd-01", "31 CFR 1010.660(b)(2)"),
    ("acc-hv-lotus", "31 CFR 1010.660(b)(3)(iii)"),  # tx-dd-01 went through it
}


def test_demo_world_section_311_findings():
    report = validate_paths([demo_world_dir()], AS_OF)
    assert not report.errors
    ours = [f for f in report.findings if "/fincen-311-dprk#" in f.shape]
    assert {(f.id, f.citation) for f in ours} == DEMO_EXPECTED
    assert all(f.evidence and f.citation for f in ours)
    counts = {}
    for f in ours:
        if f.citation == "31 CFR 1010.659(b)(3)(i)(A)":
            counts[f.id] = counts.get(f.id, 0) + 1
    assert counts == {"acc-tw-pearl": 2, "acc-orny-hornbill": 3, "acc-hv-amber": 1}


def test_demo_world_account_closed_the_day_before():
    report = validate_paths([demo_world_dir()], date(2026, 11, 21))
    assert ("acc-summit-pine", "31 CFR 1010.659(b)(1)") in {
        (f.id, f.citation) for f in report.findings
    }


def test_demo_world_access_paths():
    from sanctiongraph.analysis.access import access_paths
    from sanctiongraph.ingest import read_sources

    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([demo_world_dir()]))
    body = access_paths(store, "kp-crane-shenyang", AS_OF, 4)
    reaching = [(p["hops"], p["accounts"]) for p in body["paths"] if p["reaches_us"]]
    assert reaching == [
        (
            ["kp-crane-shenyang", "cn-jade-river", "cn-lotus", "us-harborview"],
            ["acc-jade-crane-sy", "acc-lotus-jade", "acc-hv-lotus"],
        ),
        (["kp-crane-shenyang", "us-prairie"], ["acc-pr-crane-sy"]),
    ]
    assert len(body["paths"]) == 5
    silver = access_paths(store, "my-silver-sail", AS_OF, 4)["paths"]
    assert silver[-1] == {
        "hops": ["my-silver-sail", "my-hornbill", "sg-orchid-ny"],
        "accounts": ["acc-hornbill-silversail", "acc-orny-hornbill"],
        "reaches_us": True,
    }
    assert access_paths(store, "kp-pine", AS_OF, 4)["paths"] == []
    assert access_paths(store, "kp-pine", date(2026, 11, 21), 4)["paths"] == [
        {"hops": ["kp-pine", "us-summit"], "accounts": ["acc-summit-pine"], "reaches_us": True}
    ]


def test_jurisdiction_seeds_include_entities_read_later():
    """The date-independent seeds of a jurisdiction population are kept on the world
    between dates, yet an entity read later (on demand, as the walk reaches it) joins
    them from then on, as it did when the seeds were found afresh for each date."""
    from sanctiongraph.derive.fincen_311_dprk import (
        Entity,
        World,
        jurisdiction_banks,
        jurisdiction_financial_institutions,
    )

    kp = str(REF) + "country/KP"
    world = World()
    world.entities["urn:x:a"] = Entity("urn:x:a", "a", {kp}, fi=True, bank=True)
    assert set(jurisdiction_banks(world, kp)) == {"urn:x:a"}
    assert set(jurisdiction_financial_institutions(world, kp, AS_OF, Decimal(50))) == {"urn:x:a"}
    world.entities["urn:x:b"] = Entity("urn:x:b", "b", {kp}, fi=True, bank=True)
    assert set(jurisdiction_banks(world, kp)) == {"urn:x:a", "urn:x:b"}
    assert set(jurisdiction_financial_institutions(world, kp, AS_OF, Decimal(50))) == {
        "urn:x:a",
        "urn:x:b",
    }


# --------------------------------------------------------------------------- stretches

STRETCH_DATA = (
    PREFIXES
    + """
ent:kpb a sg:Bank ; dct:identifier "kpb" ; sg:jurisdiction cty:KP .
ent:sub a sg:Company ; dct:identifier "sub" ; sg:jurisdiction cty:CN .
ent:minor a sg:Company ; dct:identifier "minor" ; sg:jurisdiction cty:CN .
ent:x a sg:Company ; dct:identifier "x" ; sg:jurisdiction cty:CN .
hold:h1 a sg:Ownership ; sg:owner ent:kpb ; sg:owned ent:sub ; sg:percent "75"^^xsd:decimal ;
    sg:startDate "2022-03-01"^^xsd:date ; sg:endDate "2023-01-01"^^xsd:date .
hold:h2 a sg:Ownership ; sg:owner ent:kpb ; sg:owned ent:minor ; sg:percent "30"^^xsd:decimal ;
    sg:startDate "2022-08-01"^^xsd:date .
hold:h3 a sg:Ownership ; sg:owner ent:sub ; sg:owned ent:x ; sg:percent "60"^^xsd:decimal ;
    sg:startDate "2022-10-01"^^xsd:date .
"""
)


def test_stretches_are_cut_only_by_holdings_a_walk_follows():
    """The Section 311 populations are computed once per stretch of days in which nothing
    they read changes. With the embedded walk, a stretch is cut only where a holding of a
    member, above the threshold, starts or ends (h1, and h3 once sub is a member), not
    where one below it does (h2, 30%); the populations on every day of a stretch are the
    ones computed for it. A replaced walk's stretches are cut by every holding read."""
    from sanctiongraph.derive import fincen_311_dprk as fincen

    store = open_store(in_memory=True)
    load_bundled(store)
    data = parse_rdf(STRETCH_DATA.encode(), ox.RdfFormat.TURTLE, "stretch.ttl")
    load_sources(store, [Source.from_triples("stretch", data)])
    run_derivers(store, AS_OF)  # the types the world reads
    world = fincen.World.load(store)
    stretches = fincen.PopulationsByStretch(world)

    def members(groups: fincen.Groups) -> dict[str, tuple[str, ...]]:
        found = {}
        for _measure, pop, group in groups:
            for entity, membership in group.items():
                found[f"{entity.rsplit('/', 1)[-1]} {pop.iri}"] = membership.steps
        return found

    expected_ends = {
        date(2022, 2, 1): date(2022, 3, 1),  # h1 starts
        date(2022, 6, 1): date(2022, 10, 1),  # h3 starts (sub is a member); not h2
        date(2022, 12, 31): date(2023, 1, 1),  # h1 ends
    }
    for day, end in expected_ends.items():
        stretch = stretches.on(day)
        assert stretch.end == end, day
        for other in (day, end - timedelta(days=1)):
            assert members(stretch.found) == members(fincen.populations(world, other)), other
    assert "sub" in " ".join(members(stretches.on(date(2022, 6, 1)).found))
    assert "minor" not in " ".join(members(stretches.on(date(2022, 9, 1)).found))
    world.walk = fincen.breadth_first  # a replaced walk: every holding read cuts
    assert fincen.PopulationsByStretch(world).on(date(2022, 6, 1)).end == date(2022, 8, 1)


def test_a_walk_that_keeps_only_some_offices_follows_no_holdings():
    """PopulationsByStretch cuts stretches by the holdings of a population's members, so
    a walk that leaves out some of the entities it reaches must not follow holdings."""
    from sanctiongraph.derive import fincen_311_dprk as fincen

    with pytest.raises(ValueError, match="without holdings"):
        fincen._spread(fincen.World(), {}, AS_OF, Decimal(50), offices_outside_us_only=True)
