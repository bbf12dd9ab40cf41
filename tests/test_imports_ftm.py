"""``sanctiongraph import ftm``: FollowTheMoney entity JSON Lines (issue 17 items 1-3, 6).

The fixture is written by hand from the FtM schema (tests/fixtures/imports/SOURCE.md):
no real FtM export is in shared/realdata.
"""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner

from sanctiongraph.cli import cli
from sanctiongraph.imports import import_lists
from test_imports import FIXTURES, by, imported, problems, rows
from test_imports_bods import write_lines

FTM = FIXTURES / "ftm" / "entities-2023-06-01.ftm.json"
FTB, DCB, SADERAT, MELLI = "ftm:ofac-15603", "ftm:ofac-16085", "ftm:ofac-4642", "ftm:ofac-25578"


def entities() -> list[dict]:
    return [json.loads(line) for line in FTM.read_text(encoding="utf-8").splitlines()]


def test_parties_kinds_identifiers_and_skipped_transport(tmp_path) -> None:
    report = import_lists("ftm", [FTM], tmp_path / "pkg")
    table = rows(tmp_path / "pkg", "entities.csv")
    (ftb,) = by(table, id=FTB)
    assert ftb["kind"] == "bank" and ftb["bic"] == "FTBDKPPY" and ftb["jurisdiction"] == "KP"
    (saderat,) = by(table, id=SADERAT)
    # organised where "jurisdiction" says; two address countries make no located_in
    assert saderat["jurisdiction"] == "GB" and saderat["located_in"] == ""
    (dcb,) = by(table, id=DCB)
    assert dcb["jurisdiction"] == "" and dcb["located_in"] == "KP"  # "country" is no jurisdiction
    assert by(table, id="ftm:ofac-cbi")[0]["kind"] == "central_bank"
    assert by(table, id="ftm:ofac-person-1")[0]["kind"] == "person"
    assert by(table, id="ftm:ofac-25580")[0]["lei"] == "SYNTHETICFTM00000171"
    assert not by(table, id="ftm:ofac-17069")  # the vessel
    assert report.notes["skipped vessel"] == 1 and report.notes["skipped aircraft"] == 1
    assert report.notes["entities of schema Directorship (skipped)"] == 1
    aliases = rows(tmp_path / "pkg", "aliases.csv")
    assert {a["name"] for a in by(aliases, entity=FTB)} == {"FTB", "MUYOK UNHAENG"}


def test_sanctions_are_listings_with_their_dates(tmp_path) -> None:
    report = import_lists("ftm", [FTM], tmp_path / "pkg")
    designations = rows(tmp_path / "pkg", "designations.csv")
    assert {(d["list"], d["program"]) for d in by(designations, entity=FTB)} == {
        ("SDN", "DPRK3"),
        ("SDN", "NPWMD"),
    }
    (dprk3,) = by(designations, entity=FTB, program="DPRK3")
    assert dprk3["start"] == "2017-03-31" and dprk3["start_basis"] == "stated"
    (saderat,) = by(designations, entity=SADERAT)
    assert saderat["end"] == "2016-01-16" and saderat["end_basis"] == "stated"
    (undated,) = by(designations, entity=DCB)
    assert undated["start_basis"] == "publications" and undated["possibly_from"] == "open"
    (eu,) = by(designations, entity="ftm:ofac-25580")
    assert eu["list"] == "FTM_EU_FSF"  # a dataset that is not one of our lists
    assert report.notes["sanctions of a vessel or aircraft (skipped)"] == 1
    assert all(d["publication"] == "ftm-2023-06-01" for d in designations)


def test_ownership_percent_band_and_unknown(tmp_path) -> None:
    report = import_lists("ftm", [FTM], tmp_path / "pkg")
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    (full,) = by(holdings, owner=MELLI, owned=SADERAT)
    assert full["kind"] == "owns" and full["percent"] == "100" and full["start"] == "2002-01-01"
    assert full["entry"] == "own-1"
    (band,) = by(holdings, owner=FTB, owned=DCB)
    assert band["percent_min"] == "25" and band["percent_max"] == "50" and not band["percent"]
    (unknown,) = by(holdings, owner="ftm:ofac-25580", owned=MELLI)
    assert unknown["percent_max"] == "100" and not unknown.get("percent_min")
    assert report.notes["ownerships naming an entity the file does not hold (skipped)"] == 1
    assert report.notes["ownerships of a vessel or aircraft (skipped)"] == 1


def test_a_malformed_bic_leaves_the_next_one_a_bic(tmp_path) -> None:
    items = entities()
    (ftb,) = [i for i in items if i["id"] == "ofac-15603"]
    ftb["properties"]["swiftBic"] = ["ABC123", "FTBDKPPY"]
    path = write_lines(tmp_path / "bics-2023-06-01.jsonl", items)
    out = imported("ftm", [path], tmp_path)
    assert by(rows(out, "entities.csv"), id=FTB)[0]["bic"] == "FTBDKPPY"
    assert {(i["scheme"], i["value"]) for i in by(rows(out, "identifiers.csv"), entity=FTB)} >= {
        ("swift", "ABC123"),
        ("bic", "FTBDKPPY"),
    }


def test_bad_input_reports_file_record_and_field_all_at_once(tmp_path) -> None:
    items = entities()
    items[0]["properties"]["name"] = []
    items[12]["properties"]["endDate"] = ["16/01/2016"]
    items[16]["properties"]["percentage"] = ["about half"]
    del items[3]["schema"]
    path = write_lines(tmp_path / "bad-2023-06-01.jsonl", items)
    text = [str(e) for e in problems("ftm", [path], tmp_path)]
    assert any(
        "bad-2023-06-01.jsonl" in t and "line 1 (id ofac-15603)" in t and "properties.name" in t
        for t in text
    ), text
    assert any("line 13" in t and "properties.endDate" in t for t in text), text
    assert any(
        "line 17" in t and "properties.percentage" in t and "about half" in t for t in text
    ), text
    assert any("line 4" in t and "schema" in t for t in text), text


def test_files_that_yield_nothing_and_dates(tmp_path) -> None:
    empty = tmp_path / "empty-2023-01-01.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert "no FollowTheMoney entity" in str(problems("ftm", [empty], tmp_path)[0])
    undated = write_lines(
        tmp_path / "undated.jsonl",
        [{"id": "x", "schema": "Company", "properties": {"name": ["X"]}}],
    )
    assert "no publication date" in str(problems("ftm", [undated], tmp_path)[0])
    pkg = imported("ftm", [undated], tmp_path, published=date(2024, 1, 2), name="p")
    assert rows(pkg, "publications.csv")[0]["published"] == "2024-01-02"
    pkg = imported("ftm", [FTM], tmp_path, name="q")  # the date in the file name
    assert rows(pkg, "publications.csv")[0]["published"] == "2023-06-01"


def test_cli_import_then_validate(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "pkg"
    result = runner.invoke(cli, ["import", "ftm", str(FTM), "--output", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["validate", str(out)])
    assert result.exit_code in (0, 1), result.output
    store = str(tmp_path / "store")
    assert runner.invoke(cli, ["load", str(out), "--store", store]).exit_code == 0
    # Bank Melli (SDN since 2018-11-05) owns 100 percent of Bank Saderat PLC
    result = runner.invoke(
        cli, ["owners", SADERAT, "--as-of", "2023-06-01", "--store", store, "--format", "json"]
    )
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "blocked", result.output
    plain = runner.invoke(cli, ["validate", str(FTM)])
    assert plain.exit_code == 2 and "import ftm" in plain.output
