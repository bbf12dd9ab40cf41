"""What an OFAC import decides from a file's content, and what it reports rather than
reading silently (issue 17 audit: D1, D3, D4, D5).

D1: which list a file is (SDN or consolidated) comes from its entries, not its name; a
name that says the other list is an error, and a file whose entries cannot tell needs
its list's name. D4: remarks cut at 1,000 characters with no comments file, and
companions that are missing or undated, are said in the import report. D3, D5: bad
dates are errors naming file, record and field; records are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from sanctiongraph.cli import cli
from sanctiongraph.imports import import_lists
from test_imports import ADVANCED, CONS, FIXTURES, SDN, SDN_XML, by, imported, problems, rows


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


# --- D1: the list a file is ------------------------------------------------------------


def test_a_consolidated_csv_under_another_name_is_still_the_consolidated_list(tmp_path) -> None:
    main = _copy(CONS / "cons_prim.csv", tmp_path / "in" / "cons-2025-12-19.csv")
    _copy(CONS / "cons_alt.csv", tmp_path / "in" / "cons_alt.csv")  # undated, the one main
    report = import_lists("ofac-csv", [main], tmp_path / "pkg")
    aliases = rows(tmp_path / "pkg", "aliases.csv")
    assert by(aliases, entity="ofac:15268", name="KARAMAY CITY COMMERCIAL BANK CO LTD.")
    (publication,) = rows(tmp_path / "pkg", "publications.csv")
    assert publication["list"] == "CONS"
    designations = rows(tmp_path / "pkg", "designations.csv")
    assert by(designations, entity="ofac:15268", list="CAPTA", program="561-Related")
    assert not by(designations, list="SDN")
    # the name said nothing: the report says how the entries decided
    assert any(
        "cons-2025-12-19.csv: its name does not say which list" in w
        and "OFAC Consolidated (non-SDN) List" in w
        for w in report.warnings
    )


def test_a_name_that_says_the_other_list_is_an_error(tmp_path) -> None:
    for name in ("sdn-2025-12-19.csv", "SDN.CSV"):
        main = _copy(CONS / "cons_prim.csv", tmp_path / name.lower() / name)
        (error,) = problems("ofac-csv", [main], tmp_path, date(2025, 12, 19))
        assert error.file == name
        assert "the file name says the OFAC SDN List" in error.message
        assert "cons_prim.csv" in error.message


def test_entries_that_cannot_tell_the_list_need_its_name(tmp_path) -> None:
    cons = (CONS / "cons_prim.csv").read_bytes().rstrip(b"\x1a").splitlines(keepends=True)
    sdn = (SDN / "SDN.CSV").read_bytes().rstrip(b"\x1a").splitlines(keepends=True)
    mixed = tmp_path / "list-2025-12-19.csv"
    mixed.write_bytes(b"".join(cons[:3] + sdn[:3]))
    (error,) = problems("ofac-csv", [mixed], tmp_path)
    assert "cannot tell whether this is the SDN List or the consolidated" in error.message
    assert "SDN.CSV" in error.message and "cons_prim.csv" in error.message
    # the same entries under the list's own name are read as that list
    named = _copy(mixed, tmp_path / "named" / "cons_prim-2025-12-19.csv")
    out = imported("ofac-csv", [named], tmp_path)
    assert rows(out, "publications.csv")[0]["list"] == "CONS"


def test_sdn_xml_under_a_consolidated_name_is_an_error(tmp_path) -> None:
    renamed = _copy(SDN_XML, tmp_path / "in" / "consolidated-2023-06-01.xml")
    (error,) = problems("ofac-xml", [renamed], tmp_path)
    assert error.file == "consolidated-2023-06-01.xml"
    assert "the file name says the OFAC Consolidated (non-SDN) List" in error.message
    plain = _copy(SDN_XML, tmp_path / "in" / "list-2023-06-01.xml")
    report = import_lists("ofac-xml", [plain], tmp_path / "pkg")
    assert rows(tmp_path / "pkg", "publications.csv")[0]["list"] == "SDN"
    assert by(rows(tmp_path / "pkg", "designations.csv"), entity="ofac:15603", list="SDN")
    assert any("read as the OFAC SDN List" in w for w in report.warnings)


def test_advanced_xml_list_comes_from_its_entries(tmp_path) -> None:
    plain = _copy(ADVANCED, tmp_path / "in" / "adv4.xml")
    out = imported("ofac-advanced", [plain], tmp_path)
    (publication,) = rows(out, "publications.csv")
    assert (publication["id"], publication["list"]) == ("cons-2020-03-17", "CONS")
    wrong = _copy(ADVANCED, tmp_path / "in" / "sdn_advanced.xml")
    (error,) = problems("ofac-advanced", [wrong], tmp_path)
    assert "the file name says the OFAC SDN List" in error.message
    assert "ListID" in error.message


# --- D4: cut remarks and companions -----------------------------------------------------


def test_remarks_cut_with_no_comments_file_are_reported_and_the_cut_item_dropped(
    tmp_path,
) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("SDN.CSV", "ADD.CSV", "ALT.CSV"):
        shutil.copy(SDN / name, folder / name)
    main = folder / "SDN.CSV"
    head = "a.k.a. 'tianyinyin0404'; a.k.a. 'snowsjo"
    cut = "x" * (1000 - len(head) - 2) + "; " + head
    assert len(cut) == 1000
    records = list(csv.reader(io.StringIO(main.read_bytes().rstrip(b"\x1a").decode())))
    for record in records:
        if record and record[0] == "16085":
            record[11] = cut
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r for r in records if r)
    main.write_bytes(out.getvalue().encode() + b"\x1a")
    report = import_lists("ofac-csv", [main], tmp_path / "pkg", date(2021, 7, 7))
    aliases = rows(tmp_path / "pkg", "aliases.csv")
    assert by(aliases, entity="ofac:16085", name="tianyinyin0404")
    assert not [a for a in aliases if a["name"].startswith("snowsjo")]
    warned = [w for w in report.warnings if "entry 16085" in w]
    assert len(warned) == 1 and "a.k.a. 'snowsjo" in warned[0]
    assert "SDN_COMMENTS.CSV" in warned[0]
    # 28264's remark is cut too (its Linked To is in the comments file we left out)
    assert any("entry 28264" in w for w in report.warnings)
    assert any("read without SDN_COMMENTS.CSV" in w for w in report.warnings)
    result_lines = report.lines()
    assert any(line.startswith("  warning: SDN.CSV, entry 16085") for line in result_lines)


def test_an_undated_companion_is_used_when_it_can_only_go_with_one_main_file(tmp_path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(SDN / "SDN.CSV", one / "sdn-2021-07-07.csv")
    shutil.copy(SDN / "ALT.CSV", one / "ALT-2021-07-07.CSV")
    shutil.copy(SDN / "ADD.CSV", one / "add.csv")
    out = imported("ofac-csv", [one], tmp_path, name="one_pkg")
    assert by(rows(out, "entities.csv"), id="ofac:15603", located_in="KP")
    two = tmp_path / "two"
    shutil.copytree(one, two)
    shutil.copy(SDN / "SDN.CSV", two / "sdn-2021-07-08.csv")
    report = import_lists("ofac-csv", [two], tmp_path / "two_pkg")
    assert any(
        "add.csv (undated) is not used" in w and "add-2021-07-08.csv" in w for w in report.warnings
    )


# --- D3, D5: dates and record numbers -----------------------------------------------------


def test_a_malformed_entry_event_date_is_an_error(tmp_path) -> None:
    text = ADVANCED.read_text()
    capta = text.index('<SanctionsEntry ID="110015268"')  # Kunlun's CAPTA entry, 2019
    year = text[:capta] + text[capta:].replace("<Year>2019</Year>", "<Year>20x9</Year>", 1)
    first = text.index('<SanctionsEntry ID="70015268"')  # its Consolidated List entry
    month = text[:first] + text[first:].replace("<Month>10</Month>", "<Month>13</Month>", 1)
    errors = problems(
        "ofac-advanced",
        [
            _copy_text(year, tmp_path / "a" / "cons_advanced.xml"),
            _copy_text(month, tmp_path / "b" / "cons_advanced-2.xml"),
        ],
        tmp_path,
    )
    assert {(e.file, e.column) for e in errors} == {
        ("cons_advanced.xml", "EntryEvent/Date"),
        ("cons_advanced-2.xml", "EntryEvent/Date"),
    }
    by_file = {e.file: e.message for e in errors}
    assert "SanctionsEntry" in by_file["cons_advanced.xml"]
    assert "110015268" in by_file["cons_advanced.xml"]
    assert "'20x9-3-14' is not a date" in by_file["cons_advanced.xml"]
    assert "'2014-13-10' is not a date" in by_file["cons_advanced-2.xml"]


def _copy_text(text: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_sdn_xml_records_are_numbered_from_one_and_a_bad_publish_date_is_reported(
    tmp_path,
) -> None:
    text = SDN_XML.read_text()
    bad = _copy_text(
        text.replace("<uid>4642</uid>", "<uid>46x2</uid>").replace(
            "<Publish_Date>06/01/2023</Publish_Date>", "<Publish_Date>13/45/2023</Publish_Date>"
        ),
        tmp_path / "sdn.xml",
    )
    errors = problems("ofac-xml", [bad], tmp_path)
    messages = [e.message for e in errors]
    assert "sdnEntry 2 (uid 46x2): uid '46x2' is not a number" in messages
    (publish,) = [e for e in errors if e.column == "Publish_Date"]
    assert "'13/45/2023' is not a date" in publish.message
    assert not any("carries none" in m for m in messages)


# --- D7: a package folder holds only its CSV files ---------------------------------------


def test_a_list_file_inside_a_package_folder_is_an_error_not_skipped(tmp_path) -> None:
    package = tmp_path / "mixed"
    package.mkdir()
    (package / "entities.csv").write_text("id,name,kind,jurisdiction\nE1,Acme,company,US\n")
    (package / "README.md").write_text("notes for people\n")
    (package / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert CliRunner().invoke(cli, ["validate", str(package)]).exit_code == 0
    shutil.copy(FIXTURES / "bods" / "gleif2bods-rr-updates-data2-out.json", package / "rr.json")
    shutil.copy(SDN_XML, package / "sdn.xml")
    (package / "notes.txt").write_text("a note\n")
    for command in (
        ["validate", str(package)],
        ["load", str(package), "--store", str(tmp_path / "st")],
    ):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert "mixed/rr.json: not a file of the data package" in result.output
        assert "read it with `sanctiongraph import bods`" in result.output
        assert "mixed/sdn.xml" in result.output and "import ofac-xml" in result.output
        assert "mixed/notes.txt" in result.output
        assert "README.md" not in result.output and ".DS_Store" not in result.output


# --- M: messages ---------------------------------------------------------------------------


def test_messages_name_folders_files_and_missing_values(tmp_path) -> None:
    runner = CliRunner()
    folder = runner.invoke(
        cli, ["import", "gleif", str(FIXTURES / "gleif"), "--output", str(tmp_path / "o")]
    )
    assert folder.exit_code == 2 and "a folder: give the files in it" in folder.output
    assert "no such file" not in folder.output
    un = (FIXTURES / "un" / "UN_consolidated.xml").read_text()
    no_reference = _copy_text(
        un.replace("<REFERENCE_NUMBER>KPi.001</REFERENCE_NUMBER>", "", 1),
        tmp_path / "un" / "UN_consolidated.xml",
    )
    ftm = (FIXTURES / "ftm" / "entities-2023-06-01.ftm.json").read_text().splitlines()
    no_id = _copy_text(
        "\n".join([ftm[0].replace('"id": "ofac-15603", ', "", 1), *ftm[1:]]) + "\n",
        tmp_path / "ftm" / "entities-2023-06-01.ftm.json",
    )
    for fmt, path, expected in (
        ("un", no_reference, "INDIVIDUAL 1: no REFERENCE_NUMBER"),
        ("ftm", no_id, "line 1: missing"),
    ):
        errors = [str(e) for e in problems(fmt, [path], tmp_path)]
        assert any(expected in e for e in errors), errors
        assert not any("None" in e for e in errors), errors
    rr_only = problems(
        "bods", [FIXTURES / "bods" / "gleif2bods-rr-updates-data2-out.json"], tmp_path
    )
    assert any(
        "relationship statements name statements that are not in" in e.message for e in rr_only
    )
    upper = tmp_path / "upper"
    upper.mkdir()
    (upper / "ENTITIES.CSV").write_text("id,name,kind,jurisdiction\nE1,Acme,company,US\n")
    result = runner.invoke(cli, ["validate", str(upper)])
    assert "ENTITIES.CSV: unknown file" in result.output, result.output
    ofac_folder = runner.invoke(cli, ["validate", str(SDN)])
    assert ofac_folder.exit_code == 2
    assert "sdn/SDN.CSV: not a file of the data package" in ofac_folder.output
    assert "import ofac-csv" in ofac_folder.output and "unknown file" not in ofac_folder.output


def test_a_file_of_another_kind_is_said_first(tmp_path) -> None:
    """The wrong file for the format: what it looks like is said before the problems
    that follow from it (rows of the wrong width, XML that is not well-formed)."""
    entities = tmp_path / "entities.csv"
    entities.write_text("id,name,kind\nx,Foo,company\n", encoding="utf-8")
    for fmt, path, expected in (
        (
            "ofac-csv",
            entities,
            "entities.csv: not a file of format ofac-csv: this looks like a file of a data package",
        ),
        (
            "ofac-xml",
            SDN / "SDN.CSV",
            "SDN.CSV: not a file of format ofac-xml: this file is an OFAC legacy CSV file; read it with `sanctiongraph import ofac-csv`",
        ),
        (
            "un",
            ADVANCED,
            "cons_advanced.xml: not a file of format un: this file is an OFAC advanced XML file",
        ),
    ):
        first, *rest = problems(fmt, [path], tmp_path, date(2024, 1, 1))
        assert str(first).startswith(expected), str(first)
        assert rest, "the format's own problems follow"
    # the right format says nothing of the kind
    assert imported("ofac-advanced", [ADVANCED], tmp_path)
