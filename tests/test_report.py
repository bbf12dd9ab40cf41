"""The report says what was checked (rules_checked), opens with its summary, groups the
findings by rule, and comes as CSV for spreadsheets; validate and load tell their stages."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.namespaces import SHAPES
from sanctiongraph.resources import demo_world_dir, shapes_dir
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_paths
from sanctiongraph.validate.report import Finding, Report
from sanctiongraph.validate.rules import rules_checked

AS_OF = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_report() -> Report:
    return validate_paths([demo_world_dir()], AS_OF)


@pytest.fixture
def entities_only(tmp_path: Path) -> Path:
    (tmp_path / "entities.csv").write_text("id,name,kind,jurisdiction\nb1,Bank One,bank,US\n")
    return tmp_path


def test_every_rule_of_the_registry_has_its_shapes_and_fixtures_and_the_other_way_round():
    from sanctiongraph.loading import load_bundled

    store = open_store(in_memory=True)
    load_bundled(store)
    keys = {r.rule for r in rules_checked(store, [])}
    folders = {p.name for p in shapes_dir().iterdir() if p.is_dir() and p.name != "common"}
    assert keys == folders
    assert all((ROOT / "tests" / "fixtures" / key).is_dir() for key in keys)


def test_the_report_lists_each_rule_with_its_citation_verification_and_findings(demo_report):
    rules = {r["rule"]: r for r in demo_report.as_dict()["rules_checked"]}
    assert set(rules) == {"fincen-311-dprk", "ifsr-561-203", "nksr-510", "ofac-50pct"}
    assert (
        rules["ifsr-561-203"]["citation"] == "31 CFR 510.210, 561.203"
    )  # CAPTA listings under either
    assert rules["nksr-510"]["citation"] == "31 CFR 510.512, 510.520, 510.521, 510.522"
    assert all(r["applied"] and r["note"] is None for r in rules.values())
    assert all(
        r["verification"] in ("verbatim", "verbatim_via_copy", "summary") for r in rules.values()
    )
    for key, rule in rules.items():
        own = [f for f in demo_report.findings if f.shape.startswith(f"{SHAPES}{key}#")]
        assert rule["findings"] == len(own) > 0


def test_a_rule_with_nothing_to_read_says_it_was_not_applied(entities_only):
    report = validate_paths([entities_only], AS_OF)
    notes = {r.rule: r.note for r in report.rules}
    assert notes["nksr-510"] == "not applied: the data hold no activity"
    assert notes["ifsr-561-203"] == "not applied: the data hold no account and no transaction"
    assert not any(r.applied for r in report.rules)
    assert "no rule had anything to check" in report.summary()


def test_the_text_report_opens_with_its_summary_and_groups_findings_by_rule(demo_report):
    lines = demo_report.to_text().splitlines()
    assert lines[0] == demo_report.summary()
    assert lines[1].startswith("  fincen-311-dprk (31 CFR 1010.659, 1010.660): ")
    headers = [line for line in lines if line.startswith("== ")]
    assert headers == [
        "== fincen-311-dprk (31 CFR 1010.659, 1010.660)",
        "== ifsr-561-203 (31 CFR 510.210, 561.203)",
        "== nksr-510 (31 CFR 510.512, 510.520, 510.521, 510.522)",
        "== ofac-50pct (31 CFR 510.201(a)(1), 510.311, OFAC 50 Percent Rule)",
    ]
    assert lines[lines.index("Rules checked:") + 4].startswith(
        "  ofac-50pct: 31 CFR 510.201(a)(1), 510.311, OFAC 50 Percent Rule"
    )


def test_data_quality_findings_have_their_own_group():
    finding = Finding(
        "violation", "ISO 17442-1", "urn:x", "x", "bad LEI", f"{SHAPES}common#LeiShape"
    )
    text = Report(AS_OF, (finding,)).to_text()
    assert "\n== data quality\n" in text and "  data quality: 1 violation" in text


def test_csv_has_one_finding_a_row_and_never_a_formula(demo_report):
    rows = list(csv.reader(io.StringIO(demo_report.to_csv())))
    assert rows[0] == ["severity", "citation", "id", "message", "evidence", "focus", "shape"]
    assert len(rows) == len(demo_report.findings) + 1
    hostile = Finding(
        "warning", None, "urn:x", '=HYPERLINK("http://evil")', "-1+2", "urn:shape", ("@SUM(A1)",)
    )
    row = list(csv.reader(io.StringIO(Report(AS_OF, (hostile,)).to_csv())))[1]
    assert row[2:5] == ['\'=HYPERLINK("http://evil")', "'-1+2", "'@SUM(A1)"]


def test_validate_writes_any_format_to_a_file_and_tells_its_stages(tmp_path):
    out = tmp_path / "report.json"
    result = cli(
        "validate",
        str(demo_world_dir()),
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        "--output",
        str(out),
        "--progress",
    )
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(out.read_text())["rules_checked"]
    stages = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert stages == ["read and load", "derive", "validate"]
    quiet = cli("validate", str(demo_world_dir()), "--as-of", "2026-11-23", "--format", "csv")
    assert quiet.stderr == ""  # not a terminal: no progress unless asked
    assert quiet.stdout.startswith("severity,citation,id,message,evidence,focus,shape\n")


def test_load_tells_its_stages(tmp_path):
    result = cli(
        "load",
        str(demo_world_dir()),
        "--store",
        str(tmp_path / "s"),
        "--progress",
        "--as-of",
        "2026-11-23",
    )
    assert result.returncode == 0, result.stderr
    stages = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert stages == ["load", "derive"]
