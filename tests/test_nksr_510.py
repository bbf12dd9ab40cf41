"""North Korea general licenses (31 CFR 510.512, 510.520, 510.521, 510.522).

Every activity gets exactly one outcome: authorised (info, citing the license), not
authorised (violation at the paragraph of the first unmet condition of the closest
license, listing every unmet condition and saying a specific license is needed), or
outside the modelled version (info). The fixtures in ``tests/fixtures/nksr-510/`` hold one
activity per case; the table below says, for each, what the outcome must be and exactly
which conditions are unmet.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from fixtures_support import FIXTURES, fixture_as_of, run_fixture
from sanctiongraph.derive import nksr_510 as nksr
from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import GL, ID, SG, provision
from sanctiongraph.resources import demo_world_dir, ontology_dir
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_paths

RULE = FIXTURES / "nksr-510"
SHAPES = "https://w3id.org/sanctiongraph/shapes/nksr-510#"
NEEDED = "a specific license from OFAC is needed"

A, N, OUT = "authorized", "not authorized", "outside"
# activity id -> (fixture, outcome, license, unmet condition keys of that license in order)
CASES: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    # 510.512 report: exactly 30 days is enough, 29 is not
    "h-report-30": ("report-boundary", A, "510.512", ()),
    "h-report-29": ("report-boundary", N, "510.512", ("report",)),
    "h-report-none": ("report-boundary", N, "510.512", ("report",)),
    "h-report-after-start": ("report-boundary", N, "510.512", ("report",)),
    # objection ends the authorisation (as of the validation date), when made within the
    # 2-week period following the report (510.512(e)(2)): day 14 counts, day 15 does not
    "h-objected": ("objection", N, "510.512", ("no-objection",)),
    "h-objected-on-as-of": ("objection", N, "510.512", ("no-objection",)),
    "h-objection-later": ("objection", A, "510.512", ()),
    "h-objection-day-14": ("objection", N, "510.512", ("no-objection",)),
    "h-objection-day-15": ("objection", A, "510.512", ()),
    "h-objection-undated": ("objection", N, "510.512", ("no-objection",)),
    # education: level and each excluded subject
    "h-edu-pre-primary": ("education", A, "510.512", ()),  # "at or below a secondary school level"
    "h-edu-primary": ("education", A, "510.512", ()),
    "h-edu-secondary": ("education", A, "510.512", ()),
    "h-edu-math": ("education", N, "510.512", ("education-subjects",)),
    "h-edu-science": ("education", N, "510.512", ("education-subjects",)),
    "h-edu-technology": ("education", N, "510.512", ("education-subjects",)),
    "h-edu-engineering": ("education", N, "510.512", ("education-subjects",)),
    "h-edu-programming": ("education", N, "510.512", ("education-subjects",)),
    "h-edu-tertiary": ("education", N, "510.512", ("education-level",)),
    "h-edu-no-level": ("education", N, "510.512", ("education-level",)),
    "h-edu-tertiary-math": ("education", N, "510.512", ("education-level", "education-subjects")),
    # partnership limitation and its exception
    "h-partner-army": ("partnership", N, "510.512", ("partnership",)),
    "h-partner-police": ("partnership", N, "510.512", ("partnership",)),
    "h-partner-intel": ("partnership", N, "510.512", ("partnership",)),
    "h-partner-owned": ("partnership", N, "510.512", ("partnership",)),
    "h-partner-needed": ("partnership", A, "510.512", ()),
    "h-partner-not-needed": ("partnership", N, "510.512", ("partnership",)),
    "h-partner-civilian": ("partnership", A, "510.512", ()),
    "h-partner-foreign-army": ("partnership", A, "510.512", ()),
    # scope: NGO, listed category, non-commercial
    "h-ddr": ("humanitarian-scope", A, "510.512", ()),
    "h-vulnerable": ("humanitarian-scope", A, "510.512", ()),
    "h-rights": ("humanitarian-scope", A, "510.512", ()),
    "h-development": ("humanitarian-scope", A, "510.512", ()),
    "h-environment": ("humanitarian-scope", A, "510.512", ()),
    "h-company": ("humanitarian-scope", N, "510.512", ("ngo",)),
    "h-commercial": ("humanitarian-scope", N, "510.512", ("non-commercial",)),
    "h-non-commercial": ("humanitarian-scope", A, "510.512", ()),
    "h-no-category": ("humanitarian-scope", N, "510.512", ("kind",)),
    # UN 1718 Committee: approval, request or explanation
    "h-un-approved": ("un-exemption", A, "510.512", ()),
    "h-un-requested": ("un-exemption", A, "510.512", ()),
    "h-un-explained": ("un-exemption", A, "510.512", ()),
    "h-un-none": ("un-exemption", N, "510.512", ("un-exemption",)),
    "h-un-missing": ("un-exemption", N, "510.512", ("un-exemption",)),
    # items of a humanitarian activity
    "h-items-ear99": ("ngo-items", A, "510.512", ()),
    "h-items-unclassified": ("ngo-items", N, "510.512", ("items-ear99",)),
    "h-items-ccl": ("ngo-items", N, "510.512", ("items-ear99",)),
    "h-items-licensed": ("ngo-items", A, "510.512", ()),
    "h-items-unlicensed": ("ngo-items", N, "510.512", ("items-ear-authorized",)),
    # 510.520
    "x-license": ("export-520", A, "510.520", ()),
    "x-nlr": ("export-520", A, "510.520", ()),
    "x-exception": ("export-520", A, "510.520", ()),
    "x-all-three": ("export-520", A, "510.520", ()),
    "x-none": ("export-520", N, "510.520", ("commerce-authorization",)),
    "x-ear-medicine-none": ("export-520", N, "510.520", ("commerce-authorization",)),
    "x-no-items": ("export-520", N, "510.520", ("has-items",)),
    # 510.521: each category, and each of the five conditions plus excluded devices
    "x-food": ("export-521", A, "510.521", ()),
    "x-grain": ("export-521", A, "510.521", ()),
    "x-medicine": ("export-521", A, "510.521", ()),
    "x-device": ("export-521", A, "510.521", ()),
    "x-part": ("export-521", A, "510.521", ()),
    "x-distributor-end-user": ("export-521", A, "510.521", ()),
    # 510.521(a) lifts 510.206's export ban, not 510.201's blocking (510.520 names it)
    "x-health-end-user": ("export-521", N, "510.521", ("no-blocked-party",)),
    "x-listed-importer": ("export-521", N, "510.521", ("no-blocked-party",)),
    "x-blocked-partner": ("export-521", N, "510.521", ("no-blocked-party",)),
    # a party only possibly blocked: authorised, with a caution (see below)
    "x-pb-end-user": ("export-521-possibly-blocked", A, "510.521", ()),
    "x-pb-partner": ("export-521-possibly-blocked", A, "510.521", ()),
    "x-pb-tomorrow": ("export-521-possibly-blocked", A, "510.521", ()),
    "x-luxury": ("export-521", N, "510.521", ("not-luxury",)),
    "x-excluded-device": ("export-521", N, "510.521", ("not-excluded-device",)),
    "x-not-ear99": ("export-521", N, "510.521", ("ear99",)),
    "x-no-classification": ("export-521", N, "510.521", ("ear99",)),
    "x-un-none": ("export-521", N, "510.521", ("un-exemption",)),
    "x-police-end-user": ("export-521", N, "510.521", ("end-user", "no-blocked-party")),
    "x-other-category": ("export-521", N, "510.521", ("covered-items",)),
    # 510.522
    "j-news": ("journalism", A, "510.522", ()),
    "j-employee": ("journalism", A, "510.522", ()),
    "j-camera": ("journalism", A, "510.522", ()),
    "j-foreign-news": ("journalism", N, "510.522", ("us-person",)),
    # (a): a U.S.-person individual regularly employed by any news organisation (510.522 item 9)
    "j-foreign-employer": ("journalism", A, "510.522", ()),
    "j-foreign-journalist": ("journalism", N, "510.522", ("us-person",)),
    # (a)(5)(i)-(ii): equipment not subject to the EAR would be EAR99 and has UN approval where required
    "j-tripod": ("journalism", N, "510.522", ("equipment-ear99",)),
    "j-drone": ("journalism", N, "510.522", ("equipment-un-approval",)),
    "j-freelancer": ("journalism", N, "510.522", ("news-organization",)),
    "j-company": ("journalism", N, "510.522", ("news-organization",)),
    "j-satphone": ("journalism", N, "510.522", ("equipment",)),
    # 510.512(d)(2) with 510.311(b): the Government's ownership added up and followed through intermediaries
    "h-agg-55": ("partnership-aggregated", N, "510.512", ("partnership",)),
    "h-agg-50": ("partnership-aggregated", N, "510.512", ("partnership",)),
    "h-agg-49": ("partnership-aggregated", A, "510.512", ()),
    "h-via-60": ("partnership-aggregated", N, "510.512", ("partnership",)),
    "h-via-40": ("partnership-aggregated", A, "510.512", ()),
    # "no license required" only for EAR99 food and medicine (15 CFR 746.4(a), Note 1 to 510.522(a))
    "x-nlr-food": ("commerce-nlr", A, "510.520", ()),
    "x-nlr-medicine": ("commerce-nlr", A, "510.520", ()),
    "x-nlr-pump": ("commerce-nlr", N, "510.520", ("commerce-authorization",)),
    "x-nlr-device": ("commerce-nlr", N, "510.520", ("commerce-authorization",)),
    "x-nlr-not-ear99": ("commerce-nlr", N, "510.520", ("commerce-authorization",)),
    "x-exception-pump": ("commerce-nlr", A, "510.520", ()),
    "h-nlr-pump": ("commerce-nlr", N, "510.512", ("items-ear-authorized",)),
    # 510.512(a): the NGO is not blocked (SDN listing in force on the as-of date)
    "h-ngo-listed": ("ngo-blocked", N, "510.512", ("not-blocked",)),
    "h-ngo-listed-today": ("ngo-blocked", N, "510.512", ("not-blocked",)),
    "h-ngo-listed-later": ("ngo-blocked", A, "510.512", ()),
    "h-ngo-clean": ("ngo-blocked", A, "510.512", ()),
    # possibly blocked (a listing in an unknown interval): authorised, with a warning
    "h-ngo-today": ("ngo-possibly-blocked", A, "510.512", ()),
    "h-ngo-tomorrow": ("ngo-possibly-blocked", A, "510.512", ()),
    # an imported listing (its own, or its 60 % owner's): the finding cites the entry
    "h-listed": ("ngo-imported-listing", N, "510.512", ("not-blocked",)),
    "h-owned": ("ngo-imported-listing", N, "510.512", ("not-blocked",)),
    # the modelled version starts on 2024-02-16
    "h-before": ("modeled-version", OUT, None, ()),
    "h-on-the-day": ("modeled-version", A, "510.512", ()),
    "x-before": ("modeled-version", OUT, None, ()),
}


def activity_iri(activity_id: str) -> str:
    return str(ID[f"activity/{activity_id}"])


def nksr_findings(report):
    return [f for f in report.findings if f.shape.startswith(SHAPES)]


@pytest.fixture(scope="module")
def reports():
    fixtures = sorted({fixture for fixture, *_ in CASES.values()})
    return {name: run_fixture(RULE / f"violates-{name}.ttl") for name in fixtures}


@pytest.fixture(scope="module")
def conditions():
    store = open_store(in_memory=True)
    load_bundled(store)
    return nksr.license_conditions(store)


@cache
def derived_outcomes(path: Path) -> dict[str, nksr.Outcome]:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store,
        [
            Source.from_triples(
                path.stem, parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
            )
        ],
    )
    run_derivers(
        store, fixture_as_of(path)
    )  # the outcomes read earlier derivers' facts (blocked status)
    return {o.activity: o for o in nksr.outcomes(store, fixture_as_of(path))}


# --------------------------------------------------------------------------- the licenses


def test_every_condition_in_the_ontology_has_a_check_and_back(conditions):
    keys = {c.key for conds in conditions.values() for c in conds}
    assert set(conditions) == set(nksr.LICENSES)
    assert keys == set(nksr.CHECKS)


def test_every_condition_cites_a_registered_provision_of_its_license(conditions):
    for license_key, conds in conditions.items():
        orders = [c.order for c in conds]
        assert len(set(orders)) == len(orders), f"{license_key}: two conditions share an order"
        for c in conds:
            assert c.citation.startswith("31 CFR 510.5"), c
            assert c.key.startswith(license_key + "-")


def test_license_individuals_are_general_licenses_citing_their_section():
    g = Graph()
    g.parse(ontology_dir() / "license.ttl", format="turtle")
    for key in nksr.LICENSES:
        assert (GL[key], RDF.type, SG.GeneralLicense) in g
        assert g.value(GL[key], SG.citesProvision) == provision(f"31 CFR {key}")
        assert g.value(GL[key], SG.effectiveFrom) == Literal(date(2024, 2, 16))


def test_the_five_510_521_conditions_and_the_excluded_devices_are_encoded(conditions):
    keys = [c.key for c in conditions["510.521"]]
    for needed in (
        "not-subject-to-ear",
        "ear99",
        "not-luxury",
        "un-exemption",
        "end-user",
        "not-excluded-device",
        "covered-items",
    ):
        assert f"510.521-{needed}" in keys


def test_every_case_activity_is_in_its_fixture():
    for activity_id, (fixture, *_) in CASES.items():
        text = (RULE / f"violates-{fixture}.ttl").read_text()
        assert f"act:{activity_id} a sg:Activity" in text, activity_id
    # and every activity of the fixtures is in the table
    ids = set()
    for path in RULE.glob("violates-*.ttl"):
        if ".expected" in path.name:
            continue
        g = Graph().parse(path, format="turtle")
        ids |= {str(s) for s in g.subjects(RDF.type, SG.Activity)}
    assert ids == {activity_iri(a) for a in CASES}


# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize("activity_id", sorted(CASES))
def test_unmet_conditions_of_the_closest_license(activity_id):
    fixture, outcome, license_key, unmet = CASES[activity_id]
    outcomes = derived_outcomes(RULE / f"violates-{fixture}.ttl")
    found = outcomes[activity_iri(activity_id)]
    assert found.outside == (outcome == OUT)
    assert found.authorized == (outcome == A)
    assert found.license == license_key
    assert tuple(c.key for c in found.unmet_of_license) == tuple(
        f"{license_key}-{k}" for k in unmet
    )


POSSIBLY_BLOCKED_ACTOR = "PossiblyBlockedActor-510-512"
POSSIBLY_BLOCKED_PARTY = "PossiblyBlockedParty-510-521"
CAUTIONS = (POSSIBLY_BLOCKED_ACTOR, POSSIBLY_BLOCKED_PARTY)


def test_a_possibly_blocked_ngo_gets_a_possibly_warning_beside_its_outcome(reports):
    cautions = {
        f.focus: f
        for f in nksr_findings(reports["ngo-possibly-blocked"])
        if f.shape.endswith(POSSIBLY_BLOCKED_ACTOR)
    }
    assert set(cautions) == {activity_iri("h-ngo-today")}
    (caution,) = cautions.values()
    assert (caution.severity, caution.citation) == ("warning", "31 CFR 510.512(a)")
    assert "possibly blocked" in caution.message and "possibly does not hold" in caution.message


def test_a_possibly_blocked_end_user_or_partner_gets_a_possibly_warning_under_510_521(reports):
    cautions = {
        f.id: f
        for f in nksr_findings(reports["export-521-possibly-blocked"])
        if f.shape.endswith(POSSIBLY_BLOCKED_PARTY)
    }
    assert set(cautions) == {"x-pb-end-user", "x-pb-partner"}  # not x-pb-tomorrow
    for activity_id, role in (("x-pb-end-user", "end user"), ("x-pb-partner", "partner")):
        caution = cautions[activity_id]
        assert (caution.severity, caution.citation) == ("warning", "31 CFR 510.521(a)")
        assert f"its {role} kr-today" in caution.message
        assert "possibly does not hold" in caution.message


@pytest.mark.parametrize("activity_id", sorted(CASES))
def test_exactly_one_finding_with_citation_message_and_evidence(activity_id, reports, conditions):
    fixture, outcome, license_key, unmet = CASES[activity_id]
    findings = [
        f
        for f in nksr_findings(reports[fixture])
        if f.focus == activity_iri(activity_id) and not f.shape.endswith(CAUTIONS)
    ]  # a caution beside the outcome
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.id == activity_id
    if outcome == OUT:
        assert finding.severity == "info"
        assert finding.shape == SHAPES + "OutsideModeledVersion"
        assert "outside the modelled version" in finding.message
        assert "before 2024-02-16" in finding.message  # the date comes from ontology/license.ttl
        return
    slug = license_key.replace(".", "-")
    if outcome == A:
        assert finding.severity == "info"
        assert finding.shape == SHAPES + f"Authorized-{slug}"
        assert finding.citation == f"31 CFR {license_key}"
        assert finding.evidence == (f"31 CFR {license_key}",)
        return
    by_key = {c.key: c for c in conditions[license_key]}
    unmet_conditions = [by_key[f"{license_key}-{k}"] for k in unmet]
    assert finding.severity == "violation"
    assert finding.shape == SHAPES + f"NotAuthorized-{slug}"
    assert finding.citation == unmet_conditions[0].citation  # the first unmet condition's paragraph
    assert f"fails {len(unmet)} of its conditions" in finding.message
    for c in unmet_conditions:
        assert c.label in finding.message
        assert c.label in finding.evidence[1]
    assert "specific license from OFAC is needed" in finding.message
    assert finding.evidence[0] == f"31 CFR {license_key}" and finding.evidence[2] == NEEDED
    parts = finding.evidence[1].split("; ")
    assert len(parts) == len(unmet_conditions)
    for part, c in zip(parts, unmet_conditions):
        assert part.startswith(c.label) and part.endswith(f"({c.citation})")
    if activity_id in WHY:
        assert WHY[activity_id] in finding.message and WHY[activity_id] in finding.evidence[1]


# The facts behind an unmet condition appear in the message and the evidence.
WHY = {
    "h-report-29": "29 days before the start on 2026-12-01 (30 needed)",
    "h-report-none": "no report to the State Department is recorded",
    "h-objected": "the State Department objected on 2026-11-10",
    "h-edu-math": "teaches math",
    "h-edu-science": "teaches science",
    "h-edu-technology": "teaches technology",
    "h-edu-engineering": "teaches engineering",
    "h-edu-programming": "teaches computer_programming",
    "h-edu-tertiary": "level: tertiary",
    "h-partner-army": "partners with kparmy",
    "h-partner-police": "partners with kppolice (",
    "h-partner-owned": "partners with kptrading",
    "h-company": "the actor co1 is not an NGO",
    "h-items-unclassified": "not shown to be EAR99: generator",
    "h-items-unlicensed": "without Commerce authorization: pump",
    "x-none": "no Commerce authorization: pump",
    "x-luxury": "luxury goods: tobacco",
    "x-excluded-device": "excluded devices: scanner",
    "x-not-ear99": "not shown to be EAR99: ccldevice",
    "x-un-none": "not required: unmeds",
    "x-police-end-user": "end users: policemeds",
    "x-other-category": "not covered: tractor",
    "j-foreign-news": "the actor news2 is not a U.S. person",
    "j-foreign-journalist": "the actor journo4 is not a U.S. person",
    "j-tripod": "equipment not shown to be EAR99: tripod",
    "j-drone": "equipment without UN approval recorded as obtained or not required: drone",
    "j-freelancer": "the actor journo2 is neither",
    "j-satphone": "without Commerce authorization: satphone",
    "h-agg-50": "partners with sec50 (",
    "h-via-60": "partners with secvia (",
    "x-nlr-pump": "no license required is claimed for nlrpump, but 15 CFR 746.4(a) requires",
    "x-nlr-not-ear99": "no license required is claimed for nlrccl",
    "h-nlr-pump": "no license required is claimed for nlrpump",
    "h-ngo-listed": "the actor ngosdn is blocked on the as-of date",
}


def test_citations_go_below_the_section_where_the_registry_allows(reports):
    cited = {
        f.focus.rsplit("/", 1)[-1]: f.citation for r in reports.values() for f in nksr_findings(r)
    }
    assert cited["h-company"] == "31 CFR 510.512(a)"
    assert cited["h-no-category"] == "31 CFR 510.512(b)"
    assert cited["h-edu-math"] == "31 CFR 510.512(b)(3)"
    assert cited["h-partner-army"] == "31 CFR 510.512(d)(2)"
    assert cited["h-items-ccl"] == "31 CFR 510.512(d)(3)"
    assert cited["h-items-unlicensed"] == "31 CFR 510.520"
    assert cited["h-report-29"] == "31 CFR 510.512(e)"
    assert cited["h-un-none"] == "31 CFR 510.512(e)(1)"
    assert cited["h-objected"] == "31 CFR 510.512(e)(2)"
    assert cited["x-not-ear99"] == "31 CFR 510.521(a)(1)"
    assert cited["x-luxury"] == "31 CFR 510.521(a)(2)"
    assert cited["x-un-none"] == "31 CFR 510.521(a)(3)"
    assert cited["x-police-end-user"] == "31 CFR 510.521(a)(4)"
    assert cited["x-excluded-device"] == "31 CFR 510.521(b)(3)"
    assert cited["j-satphone"] == "31 CFR 510.522(a)(5)"
    assert cited["j-tripod"] == "31 CFR 510.522(a)(5)(i)"
    assert cited["j-drone"] == "31 CFR 510.522(a)(5)(ii)"
    assert cited["j-foreign-news"] == "31 CFR 510.522(a)"


def test_an_activity_failing_several_conditions_lists_all_of_them():
    text = (RULE / "violates-report-boundary.ttl").read_text()
    extra = """
act:h-everything a sg:Activity ; dct:identifier "h-everything" ; sg:actor ent:ngo1 ;
    sg:activityKind kind:humanitarian ; sg:category cat:education ; sg:educationLevel lvl:tertiary ;
    sg:subject subj:math ; sg:commercial true ; sg:startOn "2026-12-01"^^xsd:date ;
    sg:unExemption un:none .
"""
    triples = parse_rdf((text + extra).encode(), ox.RdfFormat.TURTLE, "inline.ttl")
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, [Source.from_triples("inline", triples)])
    run_derivers(store, date(2026, 11, 23))
    found = {o.activity: o for o in nksr.outcomes(store, date(2026, 11, 23))}[
        activity_iri("h-everything")
    ]
    assert [c.key.split("-", 1)[1] for c in found.unmet_of_license] == [
        "non-commercial",
        "education-level",
        "education-subjects",
        "report",
        "un-exemption",
    ]


def test_as_of_date_decides_whether_an_objection_counts():
    path = RULE / "violates-objection.ttl"
    earlier = validate_paths([path], date(2026, 11, 9))
    by_id = {f.id: f for f in nksr_findings(earlier)}
    assert by_id["h-objected"].shape == SHAPES + "Authorized-510-512"  # not yet objected
    later = validate_paths([path], date(2026, 11, 24))
    by_id = {f.id: f for f in nksr_findings(later)}
    assert by_id["h-objection-later"].shape == SHAPES + "NotAuthorized-510-512"


def test_conforming_twins_have_no_finding_at_all():
    for path in RULE.glob("conforms-*.ttl"):
        assert run_fixture(path).findings == (), path.name


# --------------------------------------------------------------------------- demo world


def demo_activities() -> list[str]:
    path = demo_world_dir() / "activities.csv"
    if not path.exists():
        return []
    import csv

    with path.open(newline="", encoding="utf-8") as f:
        return [row["id"] for row in csv.DictReader(f)]


@pytest.mark.skipif(not demo_activities(), reason="the demo world has no activities.csv yet")
def test_every_demo_activity_gets_exactly_one_outcome_with_its_reasons(as_of):
    report = validate_paths([demo_world_dir()], as_of)
    assert not report.errors
    findings = nksr_findings(report)
    by_activity: dict[str, list] = {}
    for f in findings:
        by_activity.setdefault(f.id, []).append(f)
    assert sorted(by_activity) == sorted(demo_activities())
    for activity_id, found in by_activity.items():
        assert len(found) == 1, (activity_id, found)
        (f,) = found
        assert f.citation and f.citation.startswith("31 CFR 510.5")
        if f.severity == "violation":
            assert NEEDED in f.evidence and len(f.evidence) == 3, f


# The demo world's general-license scenarios (data/examples/README.md, GL-01..GL-29):
# activity id -> (shape suffix, citation, first-unmet fact in the evidence or None).
DEMO = {
    "act-hum-01": ("Authorized-510-512", "31 CFR 510.512", None),
    "act-hum-02": ("Authorized-510-512", "31 CFR 510.512", None),
    "act-hum-03": ("NotAuthorized-510-512", "31 CFR 510.512(e)", "29 days before the start"),
    "act-hum-04": ("NotAuthorized-510-512", "31 CFR 510.512(e)(1)", "UN exemption: none"),
    "act-hum-05": ("Authorized-510-512", "31 CFR 510.512", None),
    "act-hum-06": ("NotAuthorized-510-512", "31 CFR 510.512(d)(2)", "partners with kp-mil-bureau"),
    "act-hum-07": ("NotAuthorized-510-512", "31 CFR 510.512(d)(2)", "partners with kp-police"),
    "act-hum-08": ("NotAuthorized-510-512", "31 CFR 510.512(e)(2)", "objected on 2025-05-05"),
    "act-hum-09": ("NotAuthorized-510-512", "31 CFR 510.512(b)", "recorded as commercial"),
    "act-hum-10": ("NotAuthorized-510-512", "31 CFR 510.512(a)", "is not an NGO"),
    "act-hum-11": (
        "NotAuthorized-510-512",
        "31 CFR 510.512(d)(2)",
        "partners with kp-intel-office",
    ),
    "act-edu-01": ("Authorized-510-512", "31 CFR 510.512", None),
    "act-edu-02": ("Authorized-510-512", "31 CFR 510.512", None),
    "act-edu-03": ("NotAuthorized-510-512", "31 CFR 510.512(b)(3)", "teaches math, science"),
    "act-edu-04": ("NotAuthorized-510-512", "31 CFR 510.512(b)(3)", "level: tertiary"),
    "act-edu-05": ("OutsideModeledVersion", "31 CFR 510.512", None),
    "act-edu-06": ("NotAuthorized-510-512", "31 CFR 510.512(b)(3)", "teaches computer_programming"),
    "act-exp-01": ("Authorized-510-521", "31 CFR 510.521", None),
    "act-exp-02": ("Authorized-510-521", "31 CFR 510.521", None),
    "act-exp-03": (
        "NotAuthorized-510-521",
        "31 CFR 510.521(b)(3)",
        "excluded devices: it-ultrasound",
    ),
    "act-exp-04": (
        "NotAuthorized-510-521",
        "31 CFR 510.521(a)(1)",
        "not shown to be EAR99: it-bio-cabinet",
    ),
    "act-exp-05": ("NotAuthorized-510-521", "31 CFR 510.521(a)(2)", "luxury goods: it-tobacco"),
    "act-exp-06": ("Authorized-510-520", "31 CFR 510.520", None),
    "act-exp-07": ("Authorized-510-520", "31 CFR 510.520", None),
    "act-exp-08": (
        "NotAuthorized-510-520",
        "31 CFR 510.520",
        "no Commerce authorization: it-laptop",
    ),
    "act-exp-09": ("NotAuthorized-510-521", "31 CFR 510.521(a)(4)", "end users: it-antibiotics"),
    "act-exp-10": (
        "NotAuthorized-510-521",
        "31 CFR 510.521(a)(3)",
        "not required: it-vaccine-fridge",
    ),
    "act-exp-11": ("OutsideModeledVersion", "31 CFR 510.512", None),
    # a ministry of North Korea is blocked by law: 510.521 lifts only the export ban
    "act-exp-12": (
        "NotAuthorized-510-521",
        "31 CFR 510.521(a)",
        "blocked on the as-of date: kp-health",
    ),
    "act-jou-01": ("Authorized-510-522", "31 CFR 510.522", None),
    "act-jou-02": ("OutsideModeledVersion", "31 CFR 510.512", None),
}


@pytest.mark.skipif(not demo_activities(), reason="the demo world has no activities.csv yet")
def test_demo_world_general_license_scenarios(as_of):
    findings = {f.id: f for f in nksr_findings(validate_paths([demo_world_dir()], as_of))}
    for activity_id, (shape, citation, why) in DEMO.items():
        f = findings[activity_id]
        assert (f.shape, f.citation) == (SHAPES + shape, citation), activity_id
        if why:
            assert why in f.message and why in f.evidence[1], (activity_id, f.message)


def _inline_outcome(
    turtle_extra: str, activity_id: str, base: str = "violates-report-boundary.ttl"
):
    text = (RULE / base).read_text() + turtle_extra
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store,
        [
            Source.from_triples(
                "inline", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "inline.ttl")
            )
        ],
    )
    run_derivers(store, date(2026, 11, 23))
    return {o.activity: o for o in nksr.outcomes(store, date(2026, 11, 23))}[
        activity_iri(activity_id)
    ]


def test_the_earliest_of_several_reports_counts():
    extra = """
act:h-two-reports a sg:Activity ; dct:identifier "h-two-reports" ; sg:actor ent:ngo1 ;
    sg:activityKind kind:humanitarian ; sg:category cat:basic_human_needs ; sg:unExemption un:approved ;
    sg:startOn "2026-12-01"^^xsd:date ; sg:hasReport act:r-late , act:r-early .
act:r-late a sg:StateDepartmentReport ; sg:submittedOn "2026-11-20"^^xsd:date .
act:r-early a sg:StateDepartmentReport ; sg:submittedOn "2026-10-15"^^xsd:date .
"""
    assert _inline_outcome(extra, "h-two-reports").authorized


def test_control_without_ownership_makes_a_partner_government_controlled():
    extra = """
ent:kpfront a sg:Company ; dct:identifier "kpfront" ; sg:jurisdiction cty:CN ; sg:hasFunction fn:intelligence .
ent:kpgov a sg:Government ; dct:identifier "kpgov" ; sg:jurisdiction cty:KP ; sg:governs cty:KP .
hold:c1 a sg:Control ; sg:owner ent:kpgov ; sg:owned ent:kpfront .
hold:e1 a sg:Ownership ; sg:owner ent:kpgov ; sg:owned ent:kpold ; sg:percent "60"^^xsd:decimal ;
    sg:startDate "2010-01-01"^^xsd:date ; sg:endDate "2020-01-01"^^xsd:date .
ent:kpold a sg:Company ; dct:identifier "kpold" ; sg:jurisdiction cty:CN ; sg:hasFunction fn:military .
act:h-front a sg:Activity ; dct:identifier "h-front" ; sg:actor ent:ngo1 ; sg:partner ent:kpfront ;
    sg:activityKind kind:humanitarian ; sg:category cat:basic_human_needs ; sg:unExemption un:approved ;
    sg:startOn "2026-12-01"^^xsd:date .
act:h-old a sg:Activity ; dct:identifier "h-old" ; sg:actor ent:ngo1 ; sg:partner ent:kpold ;
    sg:activityKind kind:humanitarian ; sg:category cat:basic_human_needs ; sg:unExemption un:approved ;
    sg:startOn "2026-12-01"^^xsd:date .
"""
    front = _inline_outcome(extra, "h-front")
    assert [c.key for c in front.unmet_of_license] == ["510.512-partnership", "510.512-report"]
    old = _inline_outcome(extra, "h-old")  # the 60 % holding ended in 2020
    assert [c.key for c in old.unmet_of_license] == ["510.512-report"]


# --------------------------------------------------------------------------- the law is data


def _outcomes_with(path: Path, update: str) -> dict[str, nksr.Outcome]:
    """The outcomes of a fixture after a SPARQL update to the bundled ontology."""
    store = open_store(in_memory=True)
    load_bundled(store)
    store.update(
        "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#>\n"
        "PREFIX gl: <https://w3id.org/sanctiongraph/ontology/gl/>\n"
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n" + update
    )
    load_sources(
        store,
        [
            Source.from_triples(
                path.stem, parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
            )
        ],
    )
    as_of = fixture_as_of(path)
    run_derivers(store, as_of)
    return {o.activity.rsplit("/", 1)[-1]: o for o in nksr.outcomes(store, as_of)}


def _replace(subject: str, predicate: str, value: str) -> str:
    return (
        f"DELETE {{ GRAPH ?g {{ {subject} {predicate} ?old }} }} "
        f"INSERT {{ GRAPH ?g {{ {subject} {predicate} {value} }} }} "
        f"WHERE {{ GRAPH ?g {{ {subject} {predicate} ?old }} }}"
    )


@pytest.mark.parametrize(
    "fixture,activity,update,before,after",
    [
        # the licenses' effective date (ontology/license.ttl), not a Python constant: 510.512 no
        # longer in force on the start day, the activity is refused by the other licenses
        (
            "modeled-version",
            "h-on-the-day",
            _replace("gl:510.512", "sg:effectiveFrom", '"2024-02-17"^^xsd:date'),
            A,
            N,
        ),
        # the report's day count
        (
            "report-boundary",
            "h-report-29",
            _replace("gl:510.512-report", "sg:minimumDaysBefore", "29.0"),
            N,
            A,
        ),
        # the State Department's window
        (
            "objection",
            "h-objection-day-15",
            _replace("gl:510.512-no-objection", "sg:windowDays", "15.0"),
            A,
            N,
        ),
        # a list: the excluded subjects
        (
            "education",
            "h-edu-math",
            "DELETE WHERE { GRAPH ?g { gl:510.512-education-subjects sg:excludedCode ?s } }",
            N,
            A,
        ),
        # the ownership threshold of 510.311(b)
        (
            "partnership",
            "h-partner-owned",
            _replace("gl:510.512-partnership", "sg:sharePercentAtLeast", "100.5"),
            N,
            A,
        ),
    ],
)
def test_a_change_to_the_data_changes_the_outcome(fixture, activity, update, before, after):
    path = RULE / f"violates-{fixture}.ttl"

    def outcome(found: nksr.Outcome) -> str:
        return OUT if found.outside else A if found.authorized else N

    assert outcome(derived_outcomes(path)[activity_iri(activity)]) == before
    assert outcome(_outcomes_with(path, update)[activity]) == after


# --------------------------------------------------------------------------- the employer column

JOURNALISM_PACKAGE = {
    "entities.csv": "id,name,kind,jurisdiction,employer\n"
    "news-cn,Far East Wire,news_organization,CN,\n"
    "news-us,Harbor Daily,news_organization,US,\n"
    "reporter-us,Dana Lee,person,US,news-cn\n"
    "reporter-cn,Li Wei,person,CN,news-us\n"
    "freelancer,Sam Roe,person,US,\n",
    "activities.csv": "id,actor,kind,start_on\n"
    "j-csv-us-reporter,reporter-us,journalism,2026-12-01\n"
    "j-csv-cn-reporter,reporter-cn,journalism,2026-12-01\n"
    "j-csv-freelancer,freelancer,journalism,2026-12-01\n",
}


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_employer_column_lets_a_us_journalist_of_a_foreign_news_organisation_qualify(tmp_path):
    """510.522(a): an individual who is a U.S. person regularly employed by any news
    reporting organisation qualifies; the employer need not be a U.S. person."""
    report = validate_paths([_package(tmp_path, JOURNALISM_PACKAGE)], date(2026, 11, 23))
    assert not report.errors
    by_id = {f.id: f for f in nksr_findings(report)}
    assert by_id["j-csv-us-reporter"].shape == SHAPES + "Authorized-510-522"
    assert by_id["j-csv-cn-reporter"].shape == SHAPES + "NotAuthorized-510-522"
    assert "the actor reporter-cn is not a U.S. person" in by_id["j-csv-cn-reporter"].message
    assert by_id["j-csv-freelancer"].shape == SHAPES + "NotAuthorized-510-522"


@pytest.mark.parametrize(
    "row,message",
    [
        ("co,Acme,company,US,news-us\n", "only a person has an employer"),
        ("p2,Pat,person,US,nobody\n", "unknown entity id 'nobody'"),
    ],
)
def test_employer_column_errors(tmp_path, row, message):
    files = dict(JOURNALISM_PACKAGE, **{"entities.csv": JOURNALISM_PACKAGE["entities.csv"] + row})
    report = validate_paths([_package(tmp_path, files)], date(2026, 11, 23))
    assert [e for e in report.errors if e.column == "employer" and message in e.message], (
        report.errors
    )
