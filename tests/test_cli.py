"""The command line: exit codes 0/1/2, reports on stdout, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"
COMMON = Path(__file__).parent / "fixtures" / "common"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_validate_exit_0_on_conforming_rdf(tmp_path):
    result = run("validate", str(COMMON / "conforms-lei.ttl"), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["conforms"] is True and report["errors"] == []


def test_validate_exit_1_on_violation_with_cited_findings(tmp_path):
    result = run(
        "validate",
        str(COMMON / "violates-lei.ttl"),
        "--format",
        "json",
        "--as-of",
        "2026-11-23",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-11-23" and report["conforms"] is False
    assert {f["citation"] for f in report["findings"]} == {"ISO 17442-1"}
    assert {f["id"] for f in report["findings"]} == {"b1", "b2"}
    assert set(report["findings"][0]) == {
        "severity",
        "citation",
        "focus",
        "id",
        "message",
        "shape",
        "evidence",
    }


def test_validate_exit_2_on_bad_package_names_file_row_column(tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(MINIMAL, package)
    (package / "accounts.csv").write_text(
        "id,type,maintained_by,holder,opened_on\n"
        "acc1,correspondent,us-bank,ghost,2018-02-30\n"
        "acc1,nostro,us-bank,kp-bank,\n"
    )
    result = run("validate", str(package), "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    errors = {(e["file"], e["row"], e["column"]) for e in json.loads(result.stdout)["errors"]}
    assert errors == {
        ("accounts.csv", 2, "holder"),
        ("accounts.csv", 2, "opened_on"),
        ("accounts.csv", 3, "id"),
        ("accounts.csv", 3, "type"),
    }
    text = run("validate", str(package), cwd=tmp_path)
    assert text.returncode == 2
    assert "accounts.csv, row 2, column holder" in text.stderr
    assert "Traceback" not in text.stderr
    # Turtle has no place for input errors: it said "sh:conforms false" with no results
    # and nothing on stderr; now, as text and csv, no report and the errors on stderr.
    turtle = run("validate", str(package), "--format", "turtle", cwd=tmp_path)
    assert turtle.returncode == 2 and turtle.stdout == ""
    assert "accounts.csv, row 2, column holder" in turtle.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run("validate", str(MINIMAL), "--as-of", "23/11/2026", cwd=tmp_path).returncode == 2
    assert run("validate", cwd=tmp_path).returncode == 2
    assert run("query", cwd=tmp_path).returncode == 2


def test_load_query_export_round_trip(tmp_path):
    store = str(tmp_path / "store")
    loaded = run("load", str(MINIMAL), "--store", store, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "graph/source/minimal" in loaded.stdout
    query = run(
        "query",
        "--store",
        store,
        "--format",
        "json",
        "--query",
        "SELECT ?id WHERE { ?x a <https://w3id.org/sanctiongraph/ontology#Account> ; "
        "<http://purl.org/dc/terms/identifier> ?id }",
        cwd=tmp_path,
    )
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout) == [{"id": "acc1"}]
    exported = run(
        "export",
        "--store",
        store,
        "--graph",
        "source/minimal",
        "--format",
        "ntriples",
        cwd=tmp_path,
    )
    assert exported.returncode == 0
    again = tmp_path / "again.nt"
    again.write_text(exported.stdout)
    reloaded = run("load", str(again), "--store", str(tmp_path / "store2"), cwd=tmp_path)
    assert reloaded.returncode == 0
    assert len(exported.stdout.splitlines()) == int(reloaded.stdout.split(": ")[1].split()[0])
    bad = run("query", "--store", store, "--query", "SELEKT nothing", cwd=tmp_path)
    assert bad.returncode == 2 and "SPARQL syntax" in bad.stderr and "Traceback" not in bad.stderr


def test_load_of_a_bad_package_loads_nothing(tmp_path):
    store = str(tmp_path / "store")
    package = tmp_path / "pkg"
    shutil.copytree(MINIMAL, package)
    (package / "items.csv").write_text("id,subject_to_ear\nitem1,perhaps\n")
    result = run("load", str(package), "--store", store, cwd=tmp_path)
    assert result.returncode == 2 and "items.csv, row 2, column subject_to_ear" in result.stderr
    graphs = run(
        "query",
        "--store",
        store,
        "--format",
        "csv",
        "--query",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        cwd=tmp_path,
    )
    assert "source/pkg" not in graphs.stdout


@pytest.mark.parametrize("command", ["validate", "load", "query", "export"])
def test_every_command_has_help(command, tmp_path):
    result = run(command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage:" in result.stdout


def test_import_starts_without_the_graph_libraries(tmp_path):
    """``sanctiongraph import`` reads lists and writes CSV: the entry point must not load
    rdflib for it (a tenth of a second on every run)."""
    script = (
        "import sys\n"
        "from sanctiongraph.cli import main\n"
        "sys.argv = ['sanctiongraph', 'import', 'ofac-csv', 'missing.csv', '--output', 'out']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 2, exit.code\n"
        "print('rdflib' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
