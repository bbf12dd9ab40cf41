"""Checks on the curated reference data under ``data/reference/``.

The data are loaded into one in-memory pyoxigraph store (default graph) and queried.
Expected sets are spelled out so that a lost or extra node fails a test.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.namespaces import CODE, ECFR_TITLE_31, REF, SG, country, provision
from sanctiongraph.resources import reference_dir

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Paragraph ids are lower-case letters, digits and roman numerals, plus upper-case letters
# at the fourth level, e.g. 31 CFR 1010.659(b)(3)(i)(A). OFAC FAQs cite as "OFAC FAQ <n>".
CFR_CITATION = re.compile(r"^31 CFR \d+\.\d+(\([A-Za-z0-9]+\))*$")
OTHER_CITATION = re.compile(r"^(OFAC 50 Percent Rule|OFAC CAPTA List|OFAC FAQ \d+)$")
VERIFICATION = {
    str(CODE[f"verification/{v}"]) for v in ("verbatim", "verbatim_via_copy", "summary")
}
SUMMARY = str(CODE["verification/summary"])
SUMMARY_NOTE = "Wording not verified against the official text; encoded from "

REFERENCE = reference_dir()
TTL_FILES = sorted(REFERENCE.rglob("*.ttl"))


@lru_cache(maxsize=1)
def store() -> ox.Store:
    s = ox.Store()
    for path in TTL_FILES:
        s.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return s


def select(query: str) -> list[dict[str, str]]:
    prefixes = (
        f"PREFIX sg: <{SG._NS}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f"PREFIX skos: <{SKOS}>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
    )
    result = store().query(prefixes + query)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def values(subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal | ox.BlankNode]:
    return [
        q.object
        for q in store().quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
    ]


def subjects_of_type(cls: str) -> set[str]:
    return {
        q.subject.value
        for q in store().quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls))
    }


# --------------------------------------------------------------------------- parsing


def test_reference_dir_has_the_expected_files() -> None:
    names = {p.relative_to(REFERENCE).as_posix() for p in TTL_FILES}
    mine = {
        "countries.ttl",
        "authorities.ttl",
        "lists.ttl",
        "facts/entities.ttl",
        "facts/designations.ttl",
        "provisions/31-CFR-1010.100.ttl",
        "provisions/31-CFR-1010.605.ttl",
        "provisions/31-CFR-1010.655.ttl",
        "provisions/31-CFR-1010.659.ttl",
        "provisions/31-CFR-1010.660.ttl",
        "provisions/31-CFR-510.512.ttl",
        "provisions/31-CFR-510.520.ttl",
        "provisions/31-CFR-510.521.ttl",
        "provisions/31-CFR-510.522.ttl",
        "provisions/31-CFR-561.201.ttl",
        "provisions/31-CFR-561.203.ttl",
        "provisions/31-CFR-561.definitions.ttl",
        "provisions/OFAC-50-Percent-Rule.ttl",
        "measures/31-CFR-1010.655.ttl",
        "measures/31-CFR-1010.659.ttl",
        "measures/31-CFR-1010.660.ttl",
    }
    assert mine <= names
    assert (REFERENCE / "PROVENANCE.md").is_file()


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: p.relative_to(REFERENCE).as_posix())
def test_every_turtle_file_parses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("@prefix"), "reference Turtle opens with @prefix declarations"
    triples = list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=None))
    assert triples, f"{path.name} holds no triples"


# --------------------------------------------------------------------------- countries


def test_exactly_249_countries_with_unique_codes() -> None:
    rows = select(
        "SELECT ?c ?code ?a3 ?num WHERE { ?c a sg:Country ; sg:code ?code ; "
        "sg:isoAlpha3 ?a3 ; sg:isoNumeric ?num }"
    )
    assert len(subjects_of_type(str(SG.Country))) == 249
    assert len(rows) == 249, "every country has exactly one code, alpha-3 and numeric"
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == 249
    assert len({r["a3"] for r in rows}) == 249
    assert len({r["num"] for r in rows}) == 249
    for r in rows:
        assert r["c"] == str(country(r["code"]))
        assert re.fullmatch(r"[A-Z]{2}", r["code"])
        assert re.fullmatch(r"[A-Z]{3}", r["a3"])
        assert re.fullmatch(r"\d{3}", r["num"])
    assert {
        "KP",
        "IR",
        "US",
        "CN",
        "MO",
        "IQ",
        "RU",
        "GB",
        "KZ",
        "UA",
        "BY",
        "AT",
        "LU",
        "CY",
    } <= set(codes)
    assert "XK" not in codes, "Kosovo has no ISO 3166-1 code"


def test_country_details() -> None:
    kp = str(country("KP"))
    assert [v.value for v in values(kp, str(SG.isoAlpha3))] == ["PRK"]
    assert [v.value for v in values(kp, str(SG.isoNumeric))] == ["408"]
    assert [v.value for v in values(str(country("MO")), str(SG.isoNumeric))] == ["446"]
    missing = select(
        "SELECT ?c WHERE { ?c a sg:Country . "
        "FILTER NOT EXISTS { ?c rdfs:label ?l ; dct:source ?s } }"
    )
    assert missing == []


# --------------------------------------------------------------------------- authorities, lists


def test_authorities() -> None:
    expected = {
        str(REF[f"authority/{k}"]) for k in ("OFAC", "FINCEN", "STATE", "COMMERCE", "TREASURY")
    }
    assert subjects_of_type(str(SG.Authority)) == expected
    for a in expected:
        assert [v.value for v in values(a, str(SG.jurisdiction))] == [str(country("US"))]
        assert values(a, RDFS_LABEL) and values(a, "http://purl.org/dc/terms/source")


def test_lists() -> None:
    codes = {"SDN", "CAPTA", "FINCEN_311", "PART_561"}
    assert subjects_of_type(str(SG.SanctionsList)) == {str(REF[f"list/{c}"]) for c in codes}
    rows = select(
        "SELECT ?l ?code ?by WHERE { ?l a sg:SanctionsList ; sg:code ?code ; "
        "rdfs:label ?label ; skos:definition ?d ; sg:issuedBy ?by ; dct:source ?s }"
    )
    assert {r["code"] for r in rows} == codes
    authorities = subjects_of_type(str(SG.Authority))
    for r in rows:
        assert r["l"] == str(REF[f"list/{r['code']}"])
        assert r["by"] in authorities
    part561 = str(REF["list/PART_561"])
    assert [v.value for v in values(part561, str(SG.endDate))] == ["2019-03-14"]


REQUIRED_PROGRAMS = {
    "DPRK",
    "DPRK2",
    "DPRK3",
    "DPRK4",
    "DPRK-NKSPEA",
    "IFSR",
    "IRAN",
    "IRGC",
    "NPWMD",
    "SDGT",
    "RUSSIA-EO14024",
    "561-Related",
}
VERIFIED_PROGRAMS = {
    "DPRK",
    "IFSR",
    "IRAN",
    "IRGC",
    "561-Related",
}  # 561-Related: seen in a real file


def test_programs() -> None:
    rows = select(
        "SELECT ?p ?code WHERE { ?p a sg:SanctionsProgram ; sg:code ?code ; "
        "rdfs:label ?l ; skos:definition ?d ; dct:source ?s }"
    )
    assert {r["code"] for r in rows} == REQUIRED_PROGRAMS
    assert len(subjects_of_type(str(SG.SanctionsProgram))) == len(REQUIRED_PROGRAMS)
    for r in rows:
        assert r["p"] == str(REF[f"program/{r['code']}"])
        notes = [v.value for v in values(r["p"], SKOS + "editorialNote")]
        unverified = any(n.startswith("unverified: ") for n in notes)
        assert unverified == (r["code"] not in VERIFIED_PROGRAMS), r["code"]


# --------------------------------------------------------------------------- provisions


def provisions() -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = {}
    for s in subjects_of_type(str(SG.LegalProvision)):
        out[s] = {
            p: values(s, str(p))
            for p in (
                SG.citation,
                SG.officialText,
                SG.verification,
                SG.partOf,
                SG.issuedBy,
                SG.effectiveFrom,
            )
        }
        out[s]["label"] = values(s, RDFS_LABEL)
        out[s]["definition"] = values(s, SKOS + "definition")
        out[s]["note"] = values(s, SKOS + "editorialNote")
    return out


def test_every_provision_is_complete_and_well_named() -> None:
    provs = provisions()
    assert len(provs) > 100
    authorities = subjects_of_type(str(SG.Authority))
    for iri, p in provs.items():
        assert len(p[SG.citation]) == 1, iri
        cit = p[SG.citation][0].value
        assert CFR_CITATION.match(cit) or OTHER_CITATION.match(cit), cit
        assert iri == str(provision(cit)), f"{iri} is not provision({cit!r})"
        assert len(p[SG.officialText]) == 1, iri
        assert p[SG.officialText][0].datatype == ox.NamedNode(XSD + "anyURI"), iri
        assert (
            [v.value for v in p[SG.verification]]
            and {v.value for v in p[SG.verification]} <= VERIFICATION
            and len(p[SG.verification]) == 1
        ), iri
        assert len(p["label"]) == 1 and p["label"][0].language == "en", iri
        assert len(p["definition"]) == 1 and p["definition"][0].language == "en", iri
        assert len(p[SG.issuedBy]) == 1 and p[SG.issuedBy][0].value in authorities, iri
        for d in p[SG.effectiveFrom]:
            assert d.datatype == ox.NamedNode(XSD + "date"), iri


def test_official_text_points_at_the_ecfr_paragraph() -> None:
    for p in provisions().values():
        cit = p[SG.citation][0].value
        m = re.fullmatch(r"31 CFR (\d+)\.(\d+)((?:\([A-Za-z0-9]+\))*)", cit)
        if not m:
            continue
        url = f"{ECFR_TITLE_31}part-{m.group(1)}/section-{m.group(1)}.{m.group(2)}"
        if m.group(3):
            url += f"#p-{m.group(1)}.{m.group(2)}{m.group(3)}"
        assert p[SG.officialText][0].value == url, cit


def test_fifty_percent_rule_and_faqs() -> None:
    rule = str(provision("OFAC 50 Percent Rule"))
    assert rule.endswith("/provision/OFAC-50-Percent-Rule")
    assert [v.value for v in values(rule, str(SG.officialText))] == [
        "https://home.treasury.gov/policy-issues/financial-sanctions/faqs/topic/1521"
    ]
    faqs = {
        r["f"] for r in select(f"SELECT ?f WHERE {{ ?f sg:partOf ?r . FILTER(?r = <{rule}>) }}")
    }
    assert faqs == {str(provision(f"OFAC FAQ {n}")) for n in range(398, 403)}
    for n in range(398, 403):
        assert [v.value for v in values(str(provision(f"OFAC FAQ {n}")), str(SG.officialText))] == [
            f"https://ofac.treasury.gov/faqs/{n}"
        ]


def test_part_of_targets_exist_and_match_the_citation() -> None:
    provs = provisions()
    for p in provs.values():
        cit = p[SG.citation][0].value
        parents = [v.value for v in p[SG.partOf]]
        paras = re.findall(r"\([A-Za-z0-9]+\)", cit)
        if CFR_CITATION.match(cit):
            if paras:
                expected = cit[: len(cit) - len(paras[-1])]
                assert parents == [str(provision(expected))], cit
            else:
                assert parents == [], cit
        elif cit.startswith("OFAC FAQ"):
            assert parents == [str(provision("OFAC 50 Percent Rule"))]
        for parent in parents:
            assert parent in provs, f"{cit}: sg:partOf target {parent} is not a provision"


def test_summary_provisions_carry_an_editorial_note() -> None:
    for iri, p in provisions().items():
        if p[SG.verification][0].value == SUMMARY:
            assert any(n.value.startswith(SUMMARY_NOTE) for n in p["note"]), iri


SECTION_561_203 = [
    "(a)",
    "(a)(1)",
    "(a)(2)",
    "(a)(2)(i)",
    "(a)(2)(ii)",
    "(b)",
    "(b)(1)",
    "(b)(2)",
    "(b)(3)",
    "(b)(4)",
    "(b)(5)",
    "(c)",
    "(c)(1)",
    "(c)(2)",
    "(c)(3)",
    "(d)",
    "(d)(1)",
    "(d)(2)",
    "(e)",
    "(e)(1)",
    "(e)(2)",
    "(f)",
    "(g)",
    "(h)",
    "(i)",
    "(i)(1)",
    "(i)(2)",
    "(j)",
    "(j)(1)",
    "(j)(2)",
    "(j)(2)(i)",
    "(j)(2)(ii)",
    "(j)(3)",
    "(j)(4)",
    "(k)",
    "(k)(1)",
    "(k)(2)",
    "(k)(3)",
    "(k)(4)",
    "(k)(5)",
    "(k)(5)(i)",
    "(k)(5)(ii)",
    "(k)(6)",
    "(k)(7)",
    "(k)(7)(i)",
    "(k)(7)(ii)",
]


def citations_under(section: str) -> set[str]:
    return {
        p[SG.citation][0].value
        for p in provisions().values()
        if p[SG.citation][0].value == section or p[SG.citation][0].value.startswith(section + "(")
    }


def test_561_203_has_every_paragraph_of_the_seed() -> None:
    section = "31 CFR 561.203"
    assert citations_under(section) == {section} | {section + p for p in SECTION_561_203}
    for cit in citations_under(section):
        assert [v.value for v in values(str(provision(cit)), str(SG.verification))] == [
            str(CODE["verification/verbatim"])
        ], cit


def test_561_203_effective_dates() -> None:
    dates = {
        cit: [v.value for v in values(str(provision(cit)), str(SG.effectiveFrom))]
        for cit in citations_under("31 CFR 561.203")
    }
    expected = {
        "31 CFR 561.203(d)(1)": ["2012-02-29"],
        "31 CFR 561.203(d)(2)": ["2012-06-28"],
        "31 CFR 561.203(e)(1)": ["2012-06-28"],
        "31 CFR 561.203(e)(2)": ["2013-02-06"],
        "31 CFR 561.203(f)": ["2012-06-28"],
        "31 CFR 561.203(h)": ["2012-06-28"],
    }
    assert {c: d for c, d in dates.items() if d} == expected


def test_1010_659_structure_and_verification() -> None:
    section = "31 CFR 1010.659"
    paragraphs = [
        "",
        "(a)",
        "(a)(1)",
        "(a)(2)",
        "(a)(3)",
        "(a)(4)",
        "(a)(5)",
        "(a)(6)",
        "(b)",
        "(b)(1)",
        "(b)(2)",
        "(b)(3)",
        "(b)(3)(i)",
        "(b)(3)(i)(A)",
        "(b)(3)(i)(B)",
        "(b)(3)(ii)",
        "(b)(3)(iii)",
        "(b)(4)",
    ]
    assert citations_under(section) == {section + p for p in paragraphs}
    for p in paragraphs:  # found-r2.md section 1 holds the whole section verbatim
        iri = str(provision(section + p))
        assert [v.value for v in values(iri, str(SG.verification))] == [
            str(CODE["verification/verbatim"])
        ]
        assert [v.value for v in values(iri, str(SG.effectiveFrom))] == ["2016-12-09"]
        assert [v.value for v in values(iri, str(SG.issuedBy))] == [str(REF["authority/FINCEN"])]


def test_other_sections_present() -> None:
    assert citations_under("31 CFR 1010.660") >= {
        "31 CFR 1010.660",
        "31 CFR 1010.660(b)(1)",
        "31 CFR 1010.660(b)(3)(i)(A)",
    }
    assert values(str(provision("31 CFR 1010.660")), str(SG.effectiveFrom)) == []
    assert len(citations_under("31 CFR 1010.655(a)(3)")) == 11
    for sec in ("510.512", "510.520", "510.521", "510.522"):
        for cit in citations_under(f"31 CFR {sec}"):
            assert [v.value for v in values(str(provision(cit)), str(SG.effectiveFrom))] == [
                "2024-02-16"
            ], cit
            assert [v.value for v in values(str(provision(cit)), str(SG.verification))] == [
                str(CODE["verification/verbatim"])
            ], cit
    assert citations_under("31 CFR 510.512") == {"31 CFR 510.512"} | {
        f"31 CFR 510.512{p}"
        for p in (
            "(a)",
            "(b)",
            "(b)(1)",
            "(b)(2)",
            "(b)(3)",
            "(b)(4)",
            "(b)(5)",
            "(b)(6)",
            "(c)",
            "(d)",
            "(d)(1)",
            "(d)(2)",
            "(d)(3)",
            "(e)",
            "(e)(1)",
            "(e)(2)",
            "(f)",
        )
    }
    assert citations_under("31 CFR 510.521") == {
        "31 CFR 510.521",
        "31 CFR 510.521(a)",
        "31 CFR 510.521(b)",
    } | {f"31 CFR 510.521(a)({n})" for n in range(1, 6)} | {
        f"31 CFR 510.521(b)({n})" for n in range(1, 4)
    }
    assert citations_under("31 CFR 510.522") == {
        "31 CFR 510.522",
        "31 CFR 510.522(a)",
        "31 CFR 510.522(b)",
    } | {f"31 CFR 510.522(a)({n})" for n in range(1, 7)} | {
        f"31 CFR 510.522(a)(5)({r})" for r in ("i", "ii", "iii")
    }
    definitions = {
        f"31 CFR 561.{n}" for n in (306, 307, 308, 321, 322, 323, 324, 401, 402, 403, 404, 406, 407)
    }
    assert definitions <= {p[SG.citation][0].value for p in provisions().values()}


def test_1010_655_is_in_force_only_until_its_repeal() -> None:
    for cit in citations_under("31 CFR 1010.655"):
        iri = str(provision(cit))
        assert [v.value for v in values(iri, str(SG.effectiveFrom))] == ["2007-04-18"], cit
        assert [v.value for v in values(iri, str(SG.effectiveUntil))] == ["2020-08-10"], cit
    measure = str(REF["measure/31-CFR-1010.655"])
    assert [v.value for v in values(measure, str(SG.effectiveFrom))] == ["2007-04-18"]
    assert [v.value for v in values(measure, str(SG.effectiveUntil))] == ["2020-08-10"]


# --------------------------------------------------------------------------- facts


def test_fact_entities() -> None:
    entities = {
        r["e"]
        for r in select(
            "SELECT ?e WHERE { ?e a ?t . FILTER(STRSTARTS(STR(?e), 'https://w3id.org/sanctiongraph/ref/entity/')) }"
        )
    }
    for e in entities:
        assert values(e, RDFS_LABEL), e
    required = {
        "bank-of-kunlun",
        "elaf-islamic-bank",
        "bank-of-dandong",
        "banco-delta-asia",
        "foreign-trade-bank-dprk",
        "korea-kwangson-banking-corp",
        "central-bank-of-iran",
        "bank-melli",
        "export-development-bank-of-iran",
        "bank-tejarat",
        "central-bank-dprk",
    }
    assert {str(REF[f"entity/{k}"]) for k in required} <= entities
    countries = subjects_of_type(str(SG.Country))
    for r in select("SELECT ?e ?c WHERE { ?e sg:jurisdiction ?c }"):
        assert r["c"] in countries, r
    for r in select("SELECT ?e ?b WHERE { ?e sg:bic ?b }"):
        assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", r["b"]), r
    bics = {r["e"].rsplit("/", 1)[1]: r["b"] for r in select("SELECT ?e ?b WHERE { ?e sg:bic ?b }")}
    assert bics == {
        "bank-of-kunlun": "CKLBCNBJ",
        "elaf-islamic-bank": "ELAFIQBA",
        "foreign-trade-bank-dprk": "FTBDKPPY",
    }
    assert [v.value for v in values(str(REF["entity/banco-delta-asia"]), str(SG.jurisdiction))] == [
        str(country("MO"))
    ]


def test_fact_designations() -> None:
    designations = subjects_of_type(str(SG.Designation))
    assert designations
    lists = subjects_of_type(str(SG.SanctionsList))
    programs = subjects_of_type(str(SG.SanctionsProgram))
    targets = {
        r["e"]
        for r in select(
            "SELECT ?e WHERE { ?e a ?t . FILTER(STRSTARTS(STR(?e), 'https://w3id.org/sanctiongraph/ref/entity/')) }"
        )
    }
    for d in designations:
        assert d.startswith(str(REF["designation/"])), d
        assert values(d, str(SG.sourceReference)), f"{d} has no sg:sourceReference"
        [target] = values(d, str(SG.designates))
        assert target.value in targets, d
        [lst] = values(d, str(SG.onList))
        assert lst.value in lists, d
        for p in values(d, str(SG.underProgram)):
            assert p.value in programs and p.value.rsplit("/", 1)[1] in VERIFIED_PROGRAMS, d
        starts = values(d, str(SG.startDate))
        ends = values(d, str(SG.endDate))
        if starts and ends:
            assert starts[0].value <= ends[0].value, d


def designation(slug: str) -> dict[str, list[str]]:
    iri = str(REF[f"designation/{slug}"])
    return {
        name: [v.value for v in values(iri, str(pred))]
        for name, pred in (
            ("target", SG.designates),
            ("list", SG.onList),
            ("start", SG.startDate),
            ("end", SG.endDate),
            ("measure", SG.measure),
        )
    }


def test_capta_history() -> None:
    kunlun, elaf = str(REF["entity/bank-of-kunlun"]), str(REF["entity/elaf-islamic-bank"])
    maintain = [str(CODE["measure/prohibit_maintain"])]
    assert designation("kunlun-part-561") == {
        "target": [kunlun],
        "list": [str(REF["list/PART_561"])],
        "start": ["2012-07-31"],
        "end": ["2019-03-14"],
        "measure": maintain,
    }
    assert designation("kunlun-capta") == {
        "target": [kunlun],
        "list": [str(REF["list/CAPTA"])],
        "start": ["2019-03-14"],
        "end": [],
        "measure": maintain,
    }
    assert designation("elaf-part-561") == {
        "target": [elaf],
        "list": [str(REF["list/PART_561"])],
        "start": ["2012-07-31"],
        "end": ["2013-05-17"],
        "measure": maintain,
    }
    capta_without_measure = select(
        "SELECT ?d WHERE { ?d sg:onList ?l . FILTER(?l IN (<%s>, <%s>)) FILTER NOT EXISTS { ?d sg:measure ?m } }"
        % (REF["list/CAPTA"], REF["list/PART_561"])
    )
    assert capta_without_measure == []


def test_fincen_311_records() -> None:
    kp = designation("fincen-311-north-korea")
    # sg:designates takes an agent (disjoint from jurisdictions): the government stands for the country.
    assert kp["target"] == [str(REF["entity/government-of-north-korea"])]
    assert [v.value for v in values(kp["target"][0], str(SG.governs))] == [str(country("KP"))]
    assert kp["list"] == [str(REF["list/FINCEN_311"])]
    assert kp["start"] == ["2016-12-09"]
    sources = {
        v.value
        for v in values(
            str(REF["designation/fincen-311-north-korea"]), "http://purl.org/dc/terms/source"
        )
    }
    assert str(provision("31 CFR 1010.659")) in sources
    fincen = {
        r["t"]
        for r in select(
            f"SELECT ?t WHERE {{ ?d sg:onList <{REF['list/FINCEN_311']}> ; sg:designates ?t }}"
        )
    }
    assert fincen == {
        str(REF["entity/government-of-north-korea"]),
        str(REF["entity/government-of-iran"]),
        str(REF["entity/bank-of-dandong"]),
        str(REF["entity/banco-delta-asia"]),
    }


def test_fact_provision_links_resolve() -> None:
    provs = subjects_of_type(str(SG.LegalProvision))
    for r in select(
        "SELECT ?s ?p WHERE { ?s dct:source ?p . "
        "FILTER(STRSTARTS(STR(?p), 'https://w3id.org/sanctiongraph/ref/provision/')) }"
    ):
        assert r["p"] in provs, r
