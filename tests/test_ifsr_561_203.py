"""31 CFR 561.203 (Iran CAPTA): citations, severities and evidence of the rule's findings
on its fixtures, the boundary dates, the ``pre_approved`` column, the bundled reference
data and the demo world."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from fixtures_support import FIXTURES, run_fixture
from sanctiongraph.derive import run_derivers
from sanctiongraph.derive.ifsr_561_203 import assessments
from sanctiongraph.ingest import IngestError, Source, read_source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import ID, SG
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_paths, validate_sources

RULE = FIXTURES / "ifsr-561-203"
SHAPES = "https://w3id.org/sanctiongraph/shapes/ifsr-561-203#"
MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"


def rule_findings(report) -> set[tuple[str, str, str, str]]:
    """(id, severity, citation, shape name) of this rule's findings."""
    return {
        (f.id, f.severity, f.citation, f.shape.split("#")[1])
        for f in report.findings
        if f.shape.startswith(SHAPES)
    }


def fixture(case: str, kind: str = "violates"):
    return run_fixture(RULE / f"{kind}-{case}.ttl")


# Each violating fixture: exactly these findings of this rule, with these citations.
EXPECTED = {
    "c1-opening": {
        ("c1-main", "violation", "31 CFR 561.203(c)(1)", "CaptaOpeningShape"),
        ("c1-branch", "violation", "31 CFR 561.203(c)(1)", "CaptaOpeningShape"),
    },
    "c2-maintaining": {("c2-acc", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape")},
    "c1-possibly-listed": {
        ("before", "warning", "31 CFR 561.203(c)(1)", "CaptaOpeningPossiblyListedShape"),
        ("after", "warning", "31 CFR 561.203(c)(1)", "CaptaOpeningPossiblyListedShape"),
    },
    # A listing only possibly in force: warnings, one day either side of each publication.
    "c2-possibly-listed": {
        *(
            (a, "warning", "31 CFR 561.203(c)(2)", "CaptaMaintainingPossiblyListedShape")
            for a in ("a1", "a2", "a3", "a4")
        ),
        ("a3", "warning", "31 CFR 561.203(c)(1)", "CaptaOpeningPossiblyListedShape"),
    },
    "c3-possibly-listed": {
        (t, "warning", "31 CFR 561.203(c)(3)", "CaptaStrictConditionPossiblyListedShape")
        for t in ("tf-first", "tf-before-start", "tf-end", "tf-last")
    },
    "sre-j4-possibly-listed": {
        ("j4-before", "info", "31 CFR 561.203(i)", "CaptaExceptionShape"),
        ("j4-first", "warning", "31 CFR 561.203(d)(2)", "CaptaPossibleExposureShape"),
        ("j4-last", "warning", "31 CFR 561.203(d)(2)", "CaptaPossibleExposureShape"),
        ("j4-start", "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape"),
        ("j4-end", "warning", "31 CFR 561.203(d)(2)", "CaptaPossibleExposureShape"),
        ("j4-until", "info", "31 CFR 561.203(i)", "CaptaExceptionShape"),
    },
    "sre-k3-k7-possibly-listed": {
        (t, "warning", "31 CFR 561.203(d)(2)", "CaptaPossibleExposureShape")
        for t in ("sre-import", "sre-import-cbi")
    },
    "sre-k6-possibly-listed": {
        ("sre-import", "warning", "31 CFR 561.203(d)(2)", "CaptaPossibleExposureShape"),
    },
    "c3-volume-possibly-listed": {
        ("v-third", "warning", "31 CFR 561.203(c)(3)", "CaptaVolumeLimitPossiblyExceededShape"),
        *(
            (t, "warning", "31 CFR 561.203(c)(3)", "CaptaStrictConditionPossiblyListedShape")
            for t in ("v-end-3", "v-last")
        ),
    },
    "exposure-possibly-listed": {
        (t, "warning", "31 CFR 561.203(d)(1)", "CaptaPossibleExposureShape")
        for t in ("first", "before-start", "end", "last")
    },
    "510-210-prohibit": {
        ("p-acc", "violation", "31 CFR 510.210(a)(1)", "CaptaOpeningShape"),
        ("p-acc", "violation", "31 CFR 510.210(a)(1)", "CaptaMaintainingShape"),
    },
    "510-210-strict": {("s-tf", "violation", "31 CFR 510.210(a)(2)", "CaptaStrictConditionShape")},
    "b3-volume-limit": {("v3", "violation", "31 CFR 561.203(c)(3)", "CaptaStrictConditionShape")},
    # 561.504(a) (older text): 10 days to close, a warning; after them, (c)(2).
    "c2-wind-down": {("wd-acc", "warning", "31 CFR 561.504(a)", "CaptaWindDownShape")},
    "c2-after-wind-down": {
        ("wd-acc", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape")
    },
    "capta-unknown-authority": {
        ("ua-acc", "warning", "OFAC CAPTA List", "CaptaUnknownAuthorityShape")
    },
    "c2-past-maintaining": {
        ("wd-acc", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape")
    },
    "c2-account-by-function": {
        ("dep", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape")
    },
    # 561-Related names no section: the listing's source does (Bank of Kunlun: 561.201(c))
    "c1-program-tag": {
        ("c1-main", "violation", "31 CFR 561.201(c)", "CaptaOpeningShape"),
        ("c1-main", "violation", "31 CFR 561.201(c)", "CaptaMaintainingShape"),
        ("c1-untold", "warning", "OFAC CAPTA List", "CaptaUnknownAuthorityShape"),
    },
    "delisting": {("dl-old", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape")},
    "strict-conditions": {
        (t, "violation", "31 CFR 561.203(c)(3)", "CaptaStrictConditionShape")
        for t in ("tf", "type", "limit", "pre", "fx")
    },
    "pre-approval-unknown": {
        ("pre-unknown", "info", "31 CFR 561.203(c)(3)", "CaptaPreApprovalUnknownShape")
    },
    "d1-date": {("d1", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")},
    "d2-date": {("d2", "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape")},
    "e1-date": {("e1", "warning", "31 CFR 561.203(e)(1)", "CaptaExposureShape")},
    "e2-date": {("e2", "warning", "31 CFR 561.203(e)(2)", "CaptaExposureShape")},
    "government-50-percent": {("own", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")},
    # 561.323: control through a government-owned intermediary (conforms at 50 %).
    "government-intermediary": {("own", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")},
    "f-date": {("f", "warning", "31 CFR 561.203(f)", "CaptaExposureShape")},
    "g-exception": {("g", "info", "31 CFR 561.203(g)", "CaptaExceptionShape")},
    "h-sufficiency": {
        ("h-inside", "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape"),
        ("h-outside", "info", "31 CFR 561.203(h)", "CaptaExceptionShape"),
    },
    "sre-applies": {
        ("sre-import", "info", "31 CFR 561.203(i)", "CaptaExceptionShape"),
        ("sre-export", "info", "31 CFR 561.203(i)", "CaptaExceptionShape"),
        # (j)(4): the exporter's funds credited at a CAPTA-listed bank, or nowhere on record
        ("sre-export-capta", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape"),
        ("sre-export-untold", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape"),
    },
    "sre-k-payments": {("sre-import", "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape")},
    "sre-k-fails": {("sre-k", "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape")},
    "missing-facts": {
        ("no-knowingly", "info", "31 CFR 561.203(a)", "CaptaMissingFactShape"),
        ("no-purpose", "info", "31 CFR 561.203(a)", "CaptaMissingFactShape"),
    },
    "designated-fi": {("dfi", "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")},
    # 561.324: any SDN program but IRAN (E.O. 13599) alone.
    "designated-fi-any-program": {
        (t, "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")
        for t in ("dfi-npwmd", "dfi-mixed")
    },
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_violating_fixture_cites_the_paragraph(case):
    assert rule_findings(fixture(case)) == EXPECTED[case]


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_conforming_twin_has_no_finding_of_the_rule(case):
    assert rule_findings(fixture(case, "conforms")) == set()


def test_every_case_has_a_fixture_pair():
    cases = {
        p.name[len("violates-") : -len(".ttl")]
        for p in RULE.glob("violates-*.ttl")
        if ".expected" not in p.name
    }
    assert cases == set(EXPECTED)


def test_strict_condition_messages_name_the_b_paragraph():
    report = fixture("strict-conditions")
    by_tx = {f.id: f for f in report.findings if f.shape.endswith("CaptaStrictConditionShape")}
    for tx, paragraph in [
        ("tf", "(b)(1)"),
        ("type", "(b)(2)"),
        ("limit", "(b)(3)"),
        ("pre", "(b)(4)"),
        ("fx", "(b)(5)"),
    ]:
        assert f"31 CFR 561.203{paragraph}" in by_tx[tx].message
        assert f"31 CFR 561.203{paragraph}" in by_tx[tx].evidence
    assert "250000.01" in by_tx["limit"].message


def test_failed_k_condition_is_evidence_of_the_exposure():
    [finding] = [
        f for f in fixture("sre-k-fails").findings if f.shape.endswith("CaptaExposureShape")
    ]
    assert "31 CFR 561.203(k)(3)" in finding.evidence
    assert finding.evidence[:3] == ("in-bank", "ir-cbi", "privately_owned")


def test_missing_fact_says_which():
    messages = {f.id: f.message for f in fixture("missing-facts").findings}
    assert "knowingly" in messages["no-knowingly"]
    assert "purpose" in messages["no-purpose"]


def _exposure_world(day: str, percent: str, purpose: str = "other") -> list[ox.Triple]:
    text = (RULE / "violates-e2-date.ttl").read_text()
    text = text.replace('"2013-02-06"', f'"{day}"').replace(
        '"50"^^xsd:decimal', f'"{percent}"^^xsd:decimal'
    )
    text = text.replace("purpose:other", f"purpose:{purpose}")
    return parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "world.ttl")


@pytest.mark.parametrize(
    "day, percent, purpose, expected",
    [
        ("2012-02-28", "49.99", "other", None),  # private, before (d)(1)
        ("2012-02-29", "49.99", "other", ("(d)(1)", "privately_owned")),
        ("2012-02-29", "50", "other", None),  # government: (e)(2) later
        ("2013-02-05", "50", "other", None),
        ("2013-02-06", "50", "other", ("(e)(2)", "government_owned_or_controlled")),
        ("2012-06-27", "50", "petroleum_sale", None),
        ("2012-06-28", "50", "petroleum_sale", ("(e)(1)", "government_owned_or_controlled")),
        ("2012-06-28", "49.99", "petroleum_sale", ("(d)(1)", "privately_owned")),
        ("2012-06-28", "100", "food", None),  # (e)(2) not yet in force
        ("2013-02-06", "100", "food", ("exception (g)", "government_owned_or_controlled")),
    ],
)
def test_boundary_dates_and_the_50_percent_threshold(day, percent, purpose, expected):
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, [Source.from_triples("world", _exposure_world(day, percent, purpose))])
    run_derivers(store, date(2026, 11, 23))
    found = assessments(store, date(2026, 11, 23))
    if expected is None:
        assert found == []
        return
    [a] = found
    paragraph = a.get("exposed") or f"exception {a.get('excepted')}"
    assert (paragraph, a["category"]) == expected


def _assess_with_registry_change(world: list[ox.Triple], update: str) -> list[dict]:
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, [Source.from_triples("world", world)])
    store.update(update)
    run_derivers(store, date(2026, 11, 23))
    return assessments(store, date(2026, 11, 23))


_SET = """PREFIX sg: <https://w3id.org/sanctiongraph/ontology#>
PREFIX p: <https://w3id.org/sanctiongraph/ref/provision/>
DELETE {{ GRAPH ?g {{ {s} sg:{p} ?old }} }} INSERT {{ GRAPH ?g {{ {s} sg:{p} {new} }} }}
WHERE {{ GRAPH ?g {{ {s} sg:{p} ?old }} }}"""


@pytest.mark.parametrize("start, exposed", [("2013-02-06", True), ("2013-02-07", False)])
def test_a_paragraphs_start_date_is_read_from_the_registry(start, exposed):
    # Issue 18 item 2: move (e)(2)'s sg:effectiveFrom in the registry and the same
    # transaction of 2013-02-06 is exposed or not: the date lives in the data only.
    update = _SET.format(
        s="p:31-CFR-561.203-e-2",
        p="effectiveFrom",
        new=f'"{start}"^^<http://www.w3.org/2001/XMLSchema#date>',
    )
    found = _assess_with_registry_change(_exposure_world("2013-02-06", "50"), update)
    assert [a.get("exposed") for a in found] == (["(e)(2)"] if exposed else [])


@pytest.mark.parametrize(
    "share, category", [("50.0", "government_owned_or_controlled"), ("50.01", "privately_owned")]
)
def test_the_government_ownership_share_is_read_from_the_registry(share, category):
    # Issue 18 item 2: 561.323's threshold is sg:ownedPercentAtLeast on the provision;
    # raised above the 50% holding, the institution is no longer government owned.
    update = _SET.format(s="p:31-CFR-561.323", p="ownedPercentAtLeast", new=share)
    [a] = _assess_with_registry_change(_exposure_world("2013-02-06", "50"), update)
    assert a["category"] == category


@pytest.mark.parametrize(
    "excluded, exposed",
    [
        ("program:IRAN", {"dfi"}),
        ("program:IRAN, program:IFSR", set()),
        ("program:NPWMD", {"dfi", "dfi-iran-tag"}),
    ],
)
def test_the_excluded_program_of_561_324_is_read_from_the_registry(excluded, exposed):
    # Issue 18 r2: 561.324 excludes a bank blocked solely under E.O. 13599; the tag that
    # stands for it (IRAN) is sg:soleProgramExcluded on the provision, not in Python.
    update = (
        "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#>\n"
        "PREFIX p: <https://w3id.org/sanctiongraph/ref/provision/>\n"
        "PREFIX program: <https://w3id.org/sanctiongraph/ref/program/>\n"
        "DELETE { GRAPH ?g { p:31-CFR-561.324 sg:soleProgramExcluded ?old } }\n"
        f"INSERT {{ GRAPH ?g {{ p:31-CFR-561.324 sg:soleProgramExcluded {excluded} }} }}\n"
        "WHERE { GRAPH ?g { p:31-CFR-561.324 sg:soleProgramExcluded ?old } }"
    )
    world = parse_rdf(
        (RULE / "violates-designated-fi.ttl").read_bytes(), ox.RdfFormat.TURTLE, "w.ttl"
    )
    found = _assess_with_registry_change(world, update)
    assert {a["tx"].rsplit("/", 1)[1] for a in found if a.get("exposed")} == exposed


_PAYMENT_WORLD = """
ent:ir-gov a sg:Government ; dct:identifier "ir-gov" ; sg:jurisdiction cty:IR .
ent:ir-other a sg:Bank ; dct:identifier "ir-other" ; sg:jurisdiction cty:IR .
ent:in-other-bank a sg:Bank ; dct:identifier "in-other-bank" ; sg:jurisdiction cty:IN .
ent:de-exporter a sg:Company ; dct:identifier "de-exporter" ; sg:jurisdiction cty:DE .
ent:ir-bank-in a sg:Bank ; dct:identifier "ir-bank-in" ; sg:jurisdiction cty:IR .
des:capta-other a sg:Designation ; sg:designates ent:in-other-bank ; sg:onList list:CAPTA ;
    sg:measure measure:prohibit_maintain ; sg:startDate "2013-01-01"^^xsd:date .
acc:exporter-other a sg:DepositAccount ; dct:identifier "exporter-other" ; sg:maintainedBy ent:in-other-bank ; sg:heldBy ent:in-exporter ; sg:accountLocatedIn cty:IN .
acc:in-iran a sg:DepositAccount ; dct:identifier "in-iran" ; sg:maintainedBy ent:ir-other ; sg:heldBy ent:in-exporter ; sg:accountLocatedIn cty:IR .
acc:cbi-plain a sg:DepositAccount ; dct:identifier "cbi-plain" ; sg:maintainedBy ent:in-bank ; sg:heldBy ent:ir-cbi ; sg:accountLocatedIn cty:IN .
acc:cbi-special a sg:SpecialPurposeAccount ; dct:identifier "cbi-special" ; sg:maintainedBy ent:in-bank ; sg:heldBy ent:ir-cbi ; sg:accountLocatedIn cty:IN .
"""


def _payment(date_: str, **facts: str) -> str:
    body = " ; ".join(f"sg:{k} {v}" for k, v in facts.items())
    return (
        f'tx:pay a sg:Transaction ; dct:identifier "pay" ; sg:transactionDate "{date_}"^^xsd:date ; '
        f"sg:throughAccount acc:in-cbi ; {body} .\n"
    )


_GOOD = {
    "paidTo": "ent:in-exporter",
    "creditedTo": "acc:in-exporter-acc",
    "goodsOrigin": "cty:IN",
    "goodsDestination": "cty:IR",
}


@pytest.mark.parametrize(
    "day, facts, expected",
    [
        ("2013-05-01", _GOOD, []),  # (k)(4)-(k)(5) met
        ("2013-03-31", {**_GOOD, "paidTo": "ent:ir-gov"}, []),  # before the import: not its funds
        (
            "2013-04-01",
            {**_GOOD, "paidTo": "ent:ir-gov"},
            ["(k)(6)", "(k)(5)"],
        ),  # the import's own day
        ("2026-11-23", {**_GOOD, "paidTo": "ent:ir-gov"}, ["(k)(6)", "(k)(5)"]),  # the as-of date
        ("2026-11-24", {**_GOOD, "paidTo": "ent:ir-gov"}, []),  # after the as-of date
        ("2013-05-01", {**_GOOD, "creditedTo": "acc:in-iran"}, ["(k)(6)", "(k)(5)"]),
        (
            "2013-05-01",
            {**_GOOD, "creditedTo": "acc:exporter-other"},
            ["(k)(6)"],
        ),  # CAPTA-listed bank
        ("2013-05-01", {**_GOOD, "goodsOrigin": "cty:DE"}, ["(k)(4)"]),
        ("2013-05-01", {**_GOOD, "paidTo": "ent:de-exporter"}, ["(k)(5)"]),
        ("2013-05-01", {"creditedTo": "acc:cbi-plain"}, ["(k)(7)"]),
        ("2013-05-01", {"creditedTo": "acc:cbi-special"}, []),
    ],
)
def test_payments_out_of_the_funds_owed_to_iran(day, facts, expected):
    # Issue 18 item 11: 561.203(k)(4)-(k)(7) for payments out of the account credited
    # with the funds owed to Iran, from the import's date to the as-of date.
    _assert_import_outcome(_PAYMENT_WORLD + _payment(day, **facts), expected)


_GOI_PAYEE = """
ent:in-goi-co a sg:Company ; dct:identifier "in-goi-co" ; sg:jurisdiction cty:IN .
ent:in-mid a sg:Company ; dct:identifier "in-mid" ; sg:jurisdiction cty:IN .
acc:goi-co-acc a sg:DepositAccount ; dct:identifier "goi-co-acc" ; sg:maintainedBy ent:in-bank ;
    sg:heldBy ent:in-goi-co ; sg:accountLocatedIn cty:IN .
"""


def _holding(
    owner: str, owned: str, start: str, kind: str = "Ownership", percent: str = "100"
) -> str:
    share = f' ; sg:percent "{percent}"^^xsd:decimal' if kind == "Ownership" else ""
    return (
        f"hold:{owner}-{owned} a sg:{kind} ; sg:owner ent:{owner} ; sg:owned ent:{owned}{share} ; "
        f'sg:startDate "{start}"^^xsd:date .\n'
    )


@pytest.mark.parametrize(
    "holdings, expected",
    [
        ("", []),  # an Indian company
        (_holding("ir-gov", "in-goi-co", "2013-05-01"), ["(k)(6)"]),  # owned on the payment's day
        (_holding("ir-gov", "in-goi-co", "2013-05-02"), []),  # only from the day after
        (_holding("ir-gov", "in-goi-co", "2013-05-01", "Control"), ["(k)(6)"]),
        (_holding("ir-cbi", "in-goi-co", "2013-01-01"), ["(k)(6)"]),  # the Central Bank's
        (
            _holding("ir-gov", "in-mid", "2013-01-01", percent="50")  # indirectly
            + _holding("in-mid", "in-goi-co", "2013-01-01", percent="60"),
            ["(k)(6)"],
        ),
        (
            _holding("ir-gov", "in-mid", "2013-01-01", percent="49.99")
            + _holding("in-mid", "in-goi-co", "2013-01-01", percent="60"),
            [],
        ),
    ],
)
def test_a_payee_the_government_of_iran_owns_or_controls_is_the_government(holdings, expected):
    # Issue 18 r2: 561.321(b) counts any entity the Government of Iran owns or controls,
    # directly or indirectly, as the Government of Iran for (k)(6).
    pay = _payment(
        "2013-05-01",
        paidTo="ent:in-goi-co",
        creditedTo="acc:goi-co-acc",
        goodsOrigin="cty:IN",
        goodsDestination="cty:IR",
    )
    _assert_import_outcome(_PAYMENT_WORLD + _GOI_PAYEE + holdings + pay, expected)


def _assert_import_outcome(extra: str, expected: list[str]) -> None:
    """The SRE import of conforms-sre-applies.ttl, made knowingly, with ``extra`` data:
    the (k) conditions not met, or the exception (i) when ``expected`` is empty."""
    text = (
        (RULE / "conforms-sre-applies.ttl")
        .read_text()
        .replace("sg:knowingly false", "sg:knowingly true")
    )
    text += extra
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store,
        [Source.from_triples("world", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "w.ttl"))],
    )
    run_derivers(store, date(2026, 11, 23))
    [a] = [a for a in assessments(store, date(2026, 11, 23)) if a["tx"].endswith("/sre-import")]
    if expected:
        assert (a.get("excepted"), a["not_met"]) == (None, expected)
        assert a["exposed"] == "(d)(2)"
    else:
        assert a.get("excepted") == "(i)"


def test_bundled_reference_data_gives_no_finding_of_the_rule():
    report = validate_sources([], date(2026, 11, 23))
    assert rule_findings(report) == set()
    store = open_store(in_memory=True)
    load_bundled(store)
    run_derivers(store, date(2026, 11, 23))
    assert assessments(store, date(2026, 11, 23)) == []


def test_pre_approved_column_is_mapped(tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(MINIMAL, package)
    csv = package / "transactions.csv"
    lines = csv.read_text().splitlines()
    csv.write_text(lines[0] + ",pre_approved\n" + lines[1] + ",no\n")
    source = read_source(package)
    assert ox.Triple(
        ox.NamedNode(str(ID["transaction/tx1"])),
        ox.NamedNode(str(SG.preApproved)),
        ox.Literal("false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    ) in set(source.triples)
    csv.write_text(lines[0] + ",pre_approved\n" + lines[1] + ",maybe\n")
    with pytest.raises(IngestError) as caught:
        read_source(package)
    assert {(e.file, e.row, e.column) for e in caught.value.errors} == {
        ("transactions.csv", 2, "pre_approved")
    }


def test_demo_world_shows_violations_warnings_and_infos(as_of):
    report = validate_paths([demo_world_dir()], as_of)
    assert not report.errors
    found = rule_findings(report)
    expected = {
        ("acc-pr-birch-pta", "violation", "31 CFR 561.203(c)(1)", "CaptaOpeningShape"),
        ("acc-tw-datepalm-pta", "violation", "31 CFR 561.203(c)(1)", "CaptaOpeningShape"),
        ("acc-hv-datepalm", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape"),
        ("acc-tw-datepalm-pta", "violation", "31 CFR 561.203(c)(2)", "CaptaMaintainingShape"),
        *{
            (t, "violation", "31 CFR 561.203(c)(3)", "CaptaStrictConditionShape")
            for t in ("tx-cap-03", "tx-cap-04", "tx-cap-05", "tx-cap-06")
        },
        *{
            (t, "info", "31 CFR 561.203(c)(3)", "CaptaPreApprovalUnknownShape")
            for t in ("tx-cap-02", "tx-cap-03", "tx-cap-04", "tx-cap-05", "tx-cap-06", "tx-cap-07")
        },
        *{
            (t, "warning", "31 CFR 561.203(d)(1)", "CaptaExposureShape")
            for t in ("tx-ir-02", "tx-ir-04", "tx-ir-07", "tx-ir-10", "tx-ir-22")
        },
        *{
            (t, "warning", "31 CFR 561.203(d)(2)", "CaptaExposureShape")
            for t in ("tx-ir-12", "tx-ir-14", "tx-ir-15", "tx-ir-17", "tx-ir-20", "tx-ir-33")
        },
        ("tx-ir-27", "warning", "31 CFR 561.203(e)(1)", "CaptaExposureShape"),
        ("tx-ir-25", "warning", "31 CFR 561.203(e)(2)", "CaptaExposureShape"),
        ("tx-ir-31", "warning", "31 CFR 561.203(f)", "CaptaExposureShape"),
        ("tx-ir-03", "info", "31 CFR 561.203(g)", "CaptaExceptionShape"),
        ("tx-ir-28", "info", "31 CFR 561.203(g)", "CaptaExceptionShape"),
        ("tx-ir-21", "info", "31 CFR 561.203(h)", "CaptaExceptionShape"),
        *{
            (t, "info", "31 CFR 561.203(i)", "CaptaExceptionShape")
            for t in ("tx-ir-13", "tx-ir-16", "tx-ir-18", "tx-ir-19", "tx-ir-26")
        },
        ("tx-ir-06", "info", "31 CFR 561.203(a)", "CaptaMissingFactShape"),
    }
    assert found == expected
    evidence = {
        (f.id, f.shape.split("#")[1]): f.evidence
        for f in report.findings
        if f.shape.startswith(SHAPES)
    }
    assert "31 CFR 561.203(k)(3)" in evidence[("tx-ir-12", "CaptaExposureShape")]
    assert "31 CFR 561.203(k)(7)(ii)" in evidence[("tx-ir-17", "CaptaExposureShape")]
    assert "31 CFR 561.203(j)(2)" in evidence[("tx-ir-27", "CaptaExposureShape")]
    assert evidence[("acc-hv-datepalm", "CaptaMaintainingShape")][0] == "iq-date-palm"


def test_demo_world_before_the_delisting_of_a_counterparty(as_of):
    """As of 2013-03-01 transactions dated later are not yet assessed, and the demo's
    prohibit-maintain account is already a (c)(2) violation."""
    found = rule_findings(validate_paths([demo_world_dir()], date(2013, 3, 1)))
    ids = {f[0] for f in found}
    assert "tx-ir-21" not in ids  # dated 2014-08-01
    assert (
        "acc-hv-datepalm",
        "violation",
        "31 CFR 561.203(c)(2)",
        "CaptaMaintainingShape",
    ) in found


def test_a_branch_takes_its_head_office_ownership_and_country():
    text = (RULE / "violates-e2-date.ttl").read_text()
    text += (
        "ent:tr-bank-de a sg:Bank ; sg:jurisdiction cty:TR ; sg:locatedIn cty:DE ; "
        "sg:branchOf ent:tr-bank .\n"
    )
    text = text.replace("sg:conductedBy ent:tr-bank ", "sg:conductedBy ent:tr-bank-de ")
    assert "conductedBy ent:tr-bank-de ;" in text
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(
        store,
        [Source.from_triples("world", parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "w.ttl"))],
    )
    run_derivers(store, date(2026, 11, 23))
    [a] = assessments(store, date(2026, 11, 23))
    assert a["ffi"].endswith("/tr-bank-de")
    assert (a["exposed"], a["category"]) == ("(e)(2)", "government_owned_or_controlled")


@pytest.mark.parametrize("days, end", [("10", "2019-03-24"), ("5", "2019-03-19")])
def test_the_wind_down_days_are_read_from_the_registry(days, end):
    # Issue 18 r2: 561.504(a)'s 10 days (older text) are sg:windDownDays on the provision;
    # the deriver's sg:captaWindDownEnd (first day after the wind-down) follows the data.
    store = open_store(in_memory=True)
    load_bundled(store)
    world = parse_rdf(
        (RULE / "violates-c2-wind-down.ttl").read_bytes(), ox.RdfFormat.TURTLE, "w.ttl"
    )
    load_sources(store, [Source.from_triples("world", world)])
    store.update(
        _SET.format(
            s="p:31-CFR-561.504-a",
            p="windDownDays",
            new=f'"{days}"^^<http://www.w3.org/2001/XMLSchema#decimal>',
        )
    )
    run_derivers(store, date(2019, 3, 20))
    listing = "https://w3id.org/sanctiongraph/id/designation/capta-fixture/banned"
    rows = list(
        store.query(
            f"SELECT ?end WHERE {{ GRAPH ?g {{ <{listing}> <{SG.captaWindDownEnd}> ?end }} }}"
        )
    )
    assert [r["end"].value for r in rows] == [end]
