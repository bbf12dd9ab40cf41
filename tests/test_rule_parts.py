"""Every rule has every part under its one key (issue 20 item 1): shapes/<key>/,
tests/fixtures/<key>/, docs/rules/<key>.md, the deriver sanctiongraph.derive.<key_module>
and the provision files of the sections the registry says it implements."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from sanctiongraph.validate.rules import RuleParts, registered_rules

ROOT = Path(__file__).resolve().parents[1]


def missing_parts(rule: RuleParts, root: Path = ROOT) -> list[str]:
    """The parts of ``rule`` that are not there (checkout paths under ``root``)."""
    missing = []
    if not sorted(rule.shapes.glob("*.ttl")):
        missing.append(f"shapes/{rule.key}/*.ttl")
    if not sorted((root / "tests" / "fixtures" / rule.key).glob("*.ttl")):
        missing.append(f"tests/fixtures/{rule.key}/*.ttl")
    if not (root / "docs" / "rules" / f"{rule.key}.md").is_file():
        missing.append(f"docs/rules/{rule.key}.md")
    try:
        deriver = importlib.import_module(rule.deriver)
    except ModuleNotFoundError:
        missing.append(rule.deriver)
    else:
        if not callable(getattr(deriver, "derive", None)):
            missing.append(f"{rule.deriver}.derive")
    if not rule.provisions:
        missing.append(f"sg:implements of rule {rule.key}")
    missing += [str(p.relative_to(p.parents[3])) for p in rule.provisions if not p.is_file()]
    return missing


def test_the_registry_names_the_four_rules_by_their_keys():
    assert list(registered_rules()) == ["fincen-311-dprk", "ifsr-561-203", "nksr-510", "ofac-50pct"]


@pytest.mark.parametrize("key", sorted(registered_rules()))
def test_every_rule_has_every_part_under_its_key(key):
    assert missing_parts(registered_rules()[key]) == []


def test_a_rule_without_its_documentation_or_fixtures_is_reported(tmp_path):
    rule = registered_rules()["nksr-510"]
    (tmp_path / "docs" / "rules").mkdir(parents=True)
    shutil.copytree(
        ROOT / "tests" / "fixtures" / "nksr-510", tmp_path / "tests" / "fixtures" / "nksr-510"
    )
    assert missing_parts(rule, tmp_path) == ["docs/rules/nksr-510.md"]
    shutil.rmtree(tmp_path / "tests" / "fixtures" / "nksr-510")
    assert missing_parts(rule, tmp_path) == [
        "tests/fixtures/nksr-510/*.ttl",
        "docs/rules/nksr-510.md",
    ]


def test_a_rule_whose_deriver_or_provision_is_gone_is_reported():
    rule = registered_rules()["ofac-50pct"]
    gone = RuleParts(
        rule.key,
        rule.shapes,
        "sanctiongraph.derive.no_such_rule",
        (*rule.provisions, rule.provisions[0].with_name("31-CFR-999.999.ttl")),
    )
    assert [part for part in missing_parts(gone) if not part.startswith(("docs/", "tests/"))] == [
        "sanctiongraph.derive.no_such_rule",
        "data/reference/provisions/31-CFR-999.999.ttl",
    ]


def test_every_rule_writes_its_derived_nodes_through_the_kits_provenance():
    """Each rule's derived nodes live under ``id/derived/<key>/`` and say which deriver
    made them (``prov:wasGeneratedBy``), on the demo world that exercises all four; the
    50 Percent Rule's reasons and the general licenses' outcomes once had their own."""
    from datetime import date

    import pyoxigraph as ox
    from rdflib import RDF

    from sanctiongraph.derive import DERIVED, run_derivers
    from sanctiongraph.derive.kit import GENERATED_BY, RuleProvenance
    from sanctiongraph.ingest import read_source
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.namespaces import SG
    from sanctiongraph.store.oxigraph import OxigraphStore

    store = OxigraphStore(None)
    load_bundled(store)
    load_sources(store, [read_source(ROOT / "data" / "examples" / "demo-world", "demo")])
    run_derivers(store, date(2026, 11, 23))
    quads = list(store.native.quads_for_pattern(None, None, None, DERIVED))
    kinds = {SG.BlockingReason, SG.PartyStatus, SG.LicenseOutcome, SG.LicenseAssessment}
    typed = {
        q.subject.value
        for q in quads
        if q.predicate == ox.NamedNode(str(RDF.type)) and q.object.value in map(str, kinds)
    }
    assert typed
    made_by = {q.subject.value: q.object for q in quads if q.predicate == GENERATED_BY}
    for key in registered_rules():
        provenance = RuleProvenance(key)
        mine = {s for s in made_by if s.startswith(provenance.base)}
        assert mine, provenance.base
        assert all(made_by[s] == provenance.activity for s in mine)
    assert all(s in made_by for s in typed), sorted(s for s in typed if s not in made_by)[:3]
