"""Offices of blocked persons (issue 18 item 6) and persons blocked by operation of law
(issue 18 item 7) in the 50 Percent Rule's fixed point (analysis/ownership.py), the
store loader and ``owners``. Fixture pairs for the shapes are in tests/fixtures/ofac-50pct/
(office-*, by-law-*)."""

from __future__ import annotations

from datetime import date

import pytest

from sanctiongraph.analysis.ownership import (
    BLOCKED,
    NOT_BLOCKED,
    POSSIBLY_BLOCKED,
    OwnershipData,
    compute_status,
    status_in_words,
    summary,
)

DAY = "2026-11-23"


def _both(data: OwnershipData, name: str, day: str = DAY) -> str:
    """The status from the whole-graph and from the scoped fixed point (they must agree)."""
    number = data.index[name]
    whole = compute_status(data, day).status(number)
    assert compute_status(data, day, [number]).status(number) == whole, name
    return whole


# --- offices --------------------------------------------------------------------------


def test_an_office_of_a_blocked_bank_is_blocked_with_it():
    data = OwnershipData()
    data.add_listing("bank", "2020-01-01", key="sdn-bank", programs=["DPRK"])
    data.add_branch("office", "bank")
    data.add_holding("office", "sub", 50)  # the office's stake is the bank's
    assert _both(data, "office") == BLOCKED
    assert _both(data, "sub") == BLOCKED
    assert _both(data, "office", "2019-12-31") == NOT_BLOCKED
    reasons = summary(data, data.index["office"], DAY)["reasons"]
    assert reasons == [{"kind": "office_of", "institution": "bank", "institution_status": BLOCKED}]
    words = status_in_words(data, compute_status(data, DAY), data.index["office"])
    assert words == "blocked: an office of bank (listed on the SDN List (DPRK) from 2020-01-01)"


def test_a_listed_office_makes_its_institution_possibly_blocked_only():
    data = OwnershipData()
    data.add_listing("office", "2020-01-01", key="sdn-office")
    data.add_branch("office", "bank")
    data.add_branch("other-office", "bank")
    data.add_holding("bank", "sub", 60)
    assert _both(data, "office") == BLOCKED
    assert _both(data, "bank") == POSSIBLY_BLOCKED
    assert _both(data, "other-office") == POSSIBLY_BLOCKED
    assert _both(data, "sub") == POSSIBLY_BLOCKED
    assert _both(data, "bank", "2019-12-31") == NOT_BLOCKED
    (reason,) = summary(data, data.index["bank"], DAY)["reasons"]
    assert (reason["kind"], reason["office"], reason["office_status"]) == (
        "office",
        "office",
        BLOCKED,
    )


# --- by operation of law ----------------------------------------------------------------


def _government_world() -> OwnershipData:
    data = OwnershipData()
    data.add_blocked_by_law(
        "rule-gov",
        ["gov"],
        label="the Government of North Korea",
        citation="31 CFR 510.201(a)(1), 31 CFR 510.311(b)",
        programs=["DPRK"],
        owned_or_controlled=True,
    )
    data.add_holding("gov", "state-bank", 100)
    data.add_holding("gov", "ministry", control=True)
    data.add_holding("ministry", "trading", 30)
    data.add_holding("state-bank", "trading", 20)  # 30 + 20 by Government bodies: 50
    data.add_holding("gov", "joint", 49.9)
    data.add_holding("gov", "banded", minimum=40, maximum=60)
    data.add_holding("outsider", "free", control=True)
    return data


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gov", BLOCKED),  # 510.201(a)(1): no listing needed
        ("state-bank", BLOCKED),  # 510.311(b): owned 50 % or more
        ("ministry", BLOCKED),  # 510.311(b): controlled (control counts here, unlike FAQ 398)
        ("trading", BLOCKED),  # aggregated across Government entities, indirectly
        ("joint", NOT_BLOCKED),  # 49.9 %
        ("banded", POSSIBLY_BLOCKED),
        ("free", NOT_BLOCKED),
    ],
)
def test_government_of_north_korea_is_blocked_by_law(name, expected):
    assert _both(_government_world(), name) == expected


def test_reasons_and_words_name_the_rule_and_control():
    data = _government_world()
    body = summary(data, data.index["ministry"], DAY)
    kinds = [r["kind"] for r in body["reasons"]]
    assert kinds == ["blocked_by_law", "control"]
    assert body["reasons"][0]["citation"] == "31 CFR 510.201(a)(1), 31 CFR 510.311(b)"
    assert body["reasons"][1]["note"] == (
        "control by the Government of North Korea blocks it "
        "(31 CFR 510.201(a)(1), 31 CFR 510.311(b))"
    )
    words = status_in_words(data, compute_status(data, DAY), data.index["ministry"])
    assert words == (
        "blocked: blocked by operation of law as part of the Government of North Korea, which "
        "owns or controls it (31 CFR 510.201(a)(1), 31 CFR 510.311(b)); controlled by gov "
        "(blocked by operation of law as the Government of North Korea (31 CFR 510.201(a)(1), "
        "31 CFR 510.311(b)))"
    )


def test_a_rule_without_owned_or_controlled_blocks_only_whom_it_names():
    data = OwnershipData()
    data.add_blocked_by_law("rule-party", ["party"], label="the Workers' Party of Korea")
    data.add_holding("party", "controlled", control=True)
    data.add_holding("party", "owned", 50)
    assert _both(data, "party") == BLOCKED
    assert _both(data, "controlled") == NOT_BLOCKED  # FAQ 398: control alone does not block
    assert _both(data, "owned") == BLOCKED  # the 50 Percent Rule


def test_possibly_included_by_a_band_is_worded_possibly():
    data = _government_world()
    words = status_in_words(data, compute_status(data, DAY), data.index["banded"])
    assert words.startswith(
        "possibly blocked: possibly blocked by operation of law as part of "
        "the Government of North Korea"
    )


def test_a_rule_applies_only_while_in_force():
    data = OwnershipData()
    data.add_blocked_by_law("rule", ["gov"], start="2012-02-06", owned_or_controlled=True)
    data.add_holding("gov", "bank", 50)
    assert _both(data, "bank", "2012-02-05") == NOT_BLOCKED
    assert _both(data, "bank", "2012-02-06") == BLOCKED


# --- from the store: the registry's rule, and another program's by data alone ------------


def _store(
    tmp_path, entities: str, ownership: str = "owner,owned,kind,percent\n", extra: str | None = None
):
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store import open_store

    package = tmp_path / "package"
    package.mkdir()
    (package / "entities.csv").write_text("id,name,kind,jurisdiction,branch_of\n" + entities)
    (package / "ownership.csv").write_text(ownership)
    paths = [package]
    if extra is not None:
        (tmp_path / "extra.ttl").write_text(extra)
        paths.append(tmp_path / "extra.ttl")
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources(paths))
    return store


def test_the_registry_blocks_the_government_of_north_korea_and_what_it_controls(tmp_path):
    from sanctiongraph.analysis.loader import load_ownership, owners

    store = _store(
        tmp_path,
        "gov-kp,Government,government,KP,\n"
        "kp-health,Health,government_body,KP,\n"
        "kp-bank,Bank,bank,KP,\n"
        "kp-bank-office,Office,bank,CN,kp-bank\n"
        "gov-ir,Government of Iran,government,IR,\n"
        "ir-bank,Iranian bank,bank,IR,\n",
        "owner,owned,kind,percent\ngov-kp,kp-bank,controls,\ngov-ir,ir-bank,,100\n",
    )
    day = date(2026, 11, 23)
    expected = {
        "gov-kp": BLOCKED,
        "kp-health": BLOCKED,
        "kp-bank": BLOCKED,
        "kp-bank-office": BLOCKED,
        "gov-ir": NOT_BLOCKED,
        "ir-bank": NOT_BLOCKED,
    }
    assert {e: owners(store, e, day)["status"] for e in expected} == expected
    shared = load_ownership(store)
    assert {e: owners(store, e, day, data=shared)["status"] for e in expected} == expected


def test_owners_text_words_the_new_reasons(tmp_path):
    from sanctiongraph.analysis.loader import owners, render_text

    store = _store(
        tmp_path,
        "gov-kp,Government,government,KP,\n"
        "kp-bank,Bank,bank,KP,\n"
        "kp-bank-office,Office,bank,CN,kp-bank\n",
        "owner,owned,kind,percent\ngov-kp,kp-bank,controls,\n",
    )
    day = date(2026, 11, 23)
    bank = render_text(owners(store, "kp-bank", day), day)
    assert (
        "blocked by operation of law as the Government of North Korea (owned or "
        "controlled by it; 31 CFR 510.201(a)(1), 31 CFR 510.311(b))"
    ) in bank
    assert (
        "gov-kp (blocked) controls it; control by the Government of North Korea blocks it" in bank
    )
    assert "  - an office of kp-bank (blocked)" in render_text(
        owners(store, "kp-bank-office", day), day
    )


IRAN_RULE = """
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/blocking/iran> a sg:BlockingByLaw ;
    rdfs:label "the Government of Iran" ;
    sg:blocksGovernmentOf <https://w3id.org/sanctiongraph/ref/country/IR> ;
    sg:blocksOwnedOrControlled true ;
    sg:startDate "2012-02-06"^^<http://www.w3.org/2001/XMLSchema#date> .
"""


def test_another_program_blocks_by_law_through_data_alone(tmp_path):
    from sanctiongraph.analysis.loader import owners

    store = _store(
        tmp_path,
        "gov-ir,Government of Iran,government,IR,\nir-bank,Iranian bank,bank,IR,\n",
        "owner,owned,kind,percent\ngov-ir,ir-bank,,100\n",
        extra=IRAN_RULE,
    )
    assert owners(store, "ir-bank", date(2026, 11, 23))["status"] == BLOCKED
    assert owners(store, "ir-bank", date(2012, 2, 5))["status"] == NOT_BLOCKED


GOVERNMENT_PACKAGE = {
    "entities.csv": "id,name,kind,jurisdiction\n"
    "ministry,Ministry,government_body,KP\n"
    "cbk,Central Bank of the DPRK,central_bank,KP\n"
    "cbc,Central bank of China,central_bank,CN\n"
    "trader,Trader,company,CN\n"
    "usbank,US Bank,bank,US\n",
    "ownership.csv": "owner,owned,kind,percent\nministry,trader,owns,50\n",
    "transactions.csv": "id,date,conducted_by,originator,beneficiary\n"
    "t1,2024-06-01,usbank,usbank,ministry\n"
    "t2,2024-06-01,usbank,usbank,cbk\n"
    "t3,2024-06-01,usbank,usbank,trader\n"
    "t4,2024-06-01,usbank,usbank,cbc\n",
}


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_by_law_findings_cite_their_own_provisions(tmp_path, engine):
    """Issue 18 review items 1-2: a finding resting on blocking by operation of law cites
    510.201(a)(1), not the 50 Percent Rule; the message names 510.311(a) for a government
    body or central bank and 510.311(b) for what they own; a central bank of North Korea
    is part of its Government, China's is not."""
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.validate import validate_sources

    for name, text in GOVERNMENT_PACKAGE.items():
        (tmp_path / name).write_text(text)
    report = validate_sources(read_sources([tmp_path]), date(2024, 6, 1), engine)
    found = {f.focus.rsplit("/", 1)[-1]: f for f in report.findings}
    assert sorted(found) == ["t1", "t2", "t3"]
    assert {f.citation for f in found.values()} == {"31 CFR 510.201(a)(1)"}
    assert "(31 CFR 510.201(a)(1), 31 CFR 510.311(a))" in found["t1"].message
    assert "(31 CFR 510.201(a)(1), 31 CFR 510.311(a))" in found["t2"].message
    assert "(31 CFR 510.201(a)(1), 31 CFR 510.311(b))" in found["t3"].message
    (rule,) = [r for r in report.rules if r.rule == "ofac-50pct"]
    assert "510.201(a)(1)" in rule.citation and "510.311" in rule.citation


def test_a_csv_package_can_name_the_workers_party(tmp_path):
    """Issue 18 review item 3: kind political_party with jurisdiction KP and the Party's
    name (case and apostrophe aside) is blocked by 510.201(a)(1); what it owns 50 percent
    of by the 50 Percent Rule. Another name, or another jurisdiction, is not."""
    from sanctiongraph.analysis.loader import owners

    store = _store(
        tmp_path,
        "wpk,workers’ party of korea,political_party,KP,\n"
        "other,Korean Social Democratic Party,political_party,KP,\n"
        "abroad,Workers' Party of Korea,political_party,CN,\n"
        "wco,WPK Trading,company,CN,\n",
        "owner,owned,kind,percent\nwpk,wco,owns,50\n",
    )
    day = date(2026, 11, 23)
    expected = {"wpk": BLOCKED, "wco": BLOCKED, "other": NOT_BLOCKED, "abroad": NOT_BLOCKED}
    assert {e: owners(store, e, day)["status"] for e in expected} == expected


def test_before_an_unverified_start_a_rule_only_possibly_blocks():
    """Issue 18 review item 4: a start date our sources only suggest makes whom the rule
    blocks possibly blocked before it (and says why), blocked from it on."""
    data = OwnershipData()
    data.add_blocked_by_law(
        "rule",
        ["gov"],
        label="the Government",
        citation="510.201(a)(1)",
        owned_or_controlled=True,
        unverified_start="2016-03-16",
    )
    data.add_holding("gov", "sub", 50)
    assert _both(data, "gov", "2016-03-16") == BLOCKED
    assert _both(data, "sub", "2016-03-16") == BLOCKED
    assert _both(data, "gov", "2016-03-15") == POSSIBLY_BLOCKED
    assert _both(data, "sub", "2016-03-15") == POSSIBLY_BLOCKED
    words = status_in_words(data, compute_status(data, "2016-03-15"), data.index["gov"])
    assert words == (
        "possibly blocked: possibly blocked by operation of law as the Government "
        "(510.201(a)(1); the rule's start is not established: our sources suggest "
        "2016-03-16)"
    )
