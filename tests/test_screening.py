"""sanctiongraph screen: possible matches by name, exact ones by BIC, LEI and IMO, on
trimmed real list slices (tests/fixtures/imports/)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.imports import import_lists
from sanctiongraph.ingest.errors import IngestError
from sanctiongraph.screening import (
    DEFAULT_THRESHOLD,
    Subject,
    name_score,
    normal_bic,
    normal_imo,
    normal_lei,
    read_lists,
    read_subjects,
    screen,
)

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
SDN = FIXTURES / "ofac-csv" / "sdn"
CONS = FIXTURES / "ofac-csv" / "cons"
UN = FIXTURES / "un" / "UN_consolidated.xml"


@pytest.fixture(scope="module")
def lists():
    return read_lists([SDN, CONS, UN])


def best(name: str, entries, threshold: float = DEFAULT_THRESHOLD, **codes: str):
    subject = Subject("x", name, codes={k: v for k, v in codes.items()})
    return screen([subject], entries, threshold)[0]


def entries_of(matches) -> list[tuple[str, str]]:
    return [(m.list, m.entry) for m in matches]


# ---- normalisation, one case each --------------------------------------------------


@pytest.mark.parametrize(
    "name, entry",
    [
        ("Foreign Trade Bank of the DPRK", "15603"),  # place phrase, filler words
        ("Bank of Kunlun", "15268"),  # legal form dropped on the list side (CO LTD)
        ("Kunlun Bank Company Limited", "15268"),  # word order and another legal form
        ("Sberbank Rossii PJSC", "17018"),  # legal form added
        ("bank melli-iran.", "25578"),  # case and punctuation
        ("Bank Meli Iran", "25578"),  # a dropped letter
        ("Банк Мелли Иран", "25578"),  # another script, transliterated
        ("Daedonq Credit Bank", "16085"),  # one wrong letter
        ("Daedong Kredit Bank", "16085"),  # Kredit = Credit
        ("Korea Kwangson Banking Corporation", "11581"),  # Banking = Bank, Corporation a form
    ],
)
def test_real_names_changed_in_one_way_still_match(lists, name, entry):
    matches = best(name, lists)
    assert entry in [m.entry for m in matches], matches
    assert all(m.score >= DEFAULT_THRESHOLD and m.by == "name" for m in matches)


def test_transliteration_variants_score_as_the_same_name():
    assert name_score("Yuriy Sergeyevich Ivanov", "Iouri Sergeievich Ivanov") >= 0.95
    assert name_score("Mohammed Khalil", "Mohamed Halil") == 0.99  # the same key, not name


def test_legal_forms_and_word_order_do_not_count():
    # the same key: as close as names that are not the same can be (below 1, audit G4)
    assert name_score("OOO Rosneft Oil Company", "Rosneft Oil Co., Ltd.") == 0.99
    assert name_score("Saderat Bank PLC", "BANK SADERAT S.A.") == 0.99
    assert name_score("Bank GmbH", "Bank AG") == 0.99  # only legal forms and generic words


@pytest.mark.parametrize(
    "name, score",
    [
        ("bank melli-iran.", 1.0),  # case and punctuation: the same name
        ("Банк Мелли Иран", 1.0),  # another script: the same name
        ("Bank Meli Iran", 0.99),  # a dropped letter
        ("Iran Bank Melli", 0.99),  # word order
        ("Bank Melli Iran PJSC", 0.99),  # a legal form
    ],
)
def test_only_the_same_name_scores_1(lists, name, score):
    """Audit 17 G4: all five scored 1.00, so an exact match looked like a close one."""
    (match,) = [m for m in best(name, lists) if m.entry == "25578"]
    assert match.score == score
    assert name_score(name, "BANK MELLI IRAN") == score


def test_banks_that_share_only_generic_words_do_not_match(lists):
    assert name_score("Bank of China", "Bank of Kunlun") < 0.5
    assert name_score("Bank Sepah", "Bank Saderat") < DEFAULT_THRESHOLD
    assert best("Bank of China Limited", lists) == []
    assert best("Industrial and Commercial Bank", lists) == []


@pytest.mark.parametrize(
    "name", ["Acme Widgets LLC", "Northwind Traders Ltd", "Jane Smith", "Velmora Bakery GmbH"]
)
def test_made_up_names_do_not_match(lists, name):
    assert best(name, lists) == []


def test_threshold_decides_which_matches_are_reported(lists):
    name = "Daedong Kredit Bnk"  # two changes: scores below 1, above 0.8
    low = best(name, lists, threshold=0.80)
    assert "16085" in [m.entry for m in low]
    score = max(m.score for m in low if m.entry == "16085")
    assert score < 1
    assert "16085" in [m.entry for m in best(name, lists, threshold=score)]
    assert "16085" not in [m.entry for m in best(name, lists, threshold=score + 0.01)]
    assert all(m.score >= 0.80 for m in low)


# ---- identifiers -------------------------------------------------------------------


def test_bic_8_equals_its_11_character_form_with_xxx_branch(lists):
    assert normal_bic("FTBD KP PY") == normal_bic("FTBDKPPYXXX") == "FTBDKPPYXXX"
    assert normal_bic("FTBDKPPY001") == "FTBDKPPY001"
    assert normal_bic("FTBDKPP") is None
    for bic in ("FTBDKPPY", "ftbdkppyxxx"):
        matches = best("Unnamed correspondent", lists, bic=normal_bic(bic))
        assert entries_of(matches) == [("SDN", "15603"), ("UN", "KPe.047")]
        assert all(m.by == "bic" and m.score == 1.0 for m in matches)
    assert best("Unnamed correspondent", lists, bic=normal_bic("FTBDKPPY001")) == []


def test_lei_matches_exactly_with_valid_check_digits(lists):
    assert normal_lei("253400v1h6art1uq0n98") == "253400V1H6ART1UQ0N98"
    assert normal_lei("253400V1H6ART1UQ0N99") is None  # wrong check digits
    matches = best("Someone else entirely", lists, lei=normal_lei("253400V1H6ART1UQ0N98"))
    # one match a list the entry is on
    assert [(m.list, m.entry, m.by, m.score) for m in matches] == [
        ("NS_MBS", "17013", "lei", 1.0),
        ("SSI", "17013", "lei", 1.0),
    ]


def test_imo_numbers_match_exactly_in_an_imported_package(tmp_path):
    package = tmp_path / "vessels"
    package.mkdir()
    (package / "entities.csv").write_text("id,name,kind\nv1,Sea Star Shipping,company\n")
    (package / "identifiers.csv").write_text("entity,scheme,value\nv1,imo,IMO 9187629\n")
    entries = read_lists([package])
    assert normal_imo("IMO 9187629") == normal_imo("9187629") == "9187629"
    assert normal_imo("918762") is None
    matches = best("Other Name", entries, imo="9187629")
    assert [(m.list, m.entry, m.by) for m in matches] == [("vessels", "v1", "imo")]


def test_an_identifier_match_comes_before_name_matches(lists):
    matches = best("Bank Sepah International", lists, bic=normal_bic("SEPBIRTH"))
    assert (matches[0].entry, matches[0].by) == ("25580", "bic")
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


# ---- lists -------------------------------------------------------------------------


def test_an_imported_package_screens_like_its_list_files(tmp_path):
    import_lists("ofac-csv", [CONS], tmp_path / "cons", date(2025, 12, 19))
    from_package = best("Bank of Kunlun", read_lists([tmp_path / "cons"]))
    from_files = best("Bank of Kunlun", read_lists([CONS]))
    assert [(m.list, m.entry, m.name, m.score) for m in from_package] == [
        (m.list, m.entry, m.name, m.score) for m in from_files
    ]
    assert [(m.list, m.entry, m.name) for m in from_package] == [
        ("CAPTA", "15268", "BANK OF KUNLUN CO LTD")
    ]


def test_kind_person_screens_only_against_people(lists):
    assert [m.entry for m in best("Kim Kyong Nam", lists)] == ["18554"]
    subject = Subject("x", "Kim Kyong Nam", kind="bank")
    assert screen([subject], lists)[0] == []


def test_unreadable_lists_are_named_all_at_once(tmp_path):
    junk = tmp_path / "notes.xml"
    junk.write_text("<notes/>")
    with pytest.raises(IngestError) as caught:
        read_lists([tmp_path / "missing", junk])
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2
    assert "missing: no such file or folder" in messages[0]
    assert "notes.xml" in messages[1] and "sanctiongraph import" in messages[1]


def test_names_file_problems_name_file_row_and_column(tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("id,name,bic,lei\n1,Acme,NOTABIC,\n2,,,\n1,Beta,,253400V1H6ART1UQ0N99\n")
    with pytest.raises(IngestError) as caught:
        read_subjects(names)
    assert [str(e).removeprefix(str(names)) for e in caught.value.errors] == [
        ", row 2, column bic: 'NOTABIC' is not a valid BIC",
        ", row 3, column name: empty",
        ", row 4, column id: id '1' is used twice",
        ", row 4, column lei: '253400V1H6ART1UQ0N99' is not a valid LEI",
    ]


# ---- the command -------------------------------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", "screen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_screen_json_contract_best_first(tmp_path):
    names = tmp_path / "names.csv"
    names.write_text(
        "id,name,country,kind,bic,lei\n"
        "c1,Foreign Trade Bank,KP,bank,FTBDKPPY,\n"
        "c2,Acme Widgets LLC,US,company,,\n"
    )
    result = run(str(names), "--lists", str(SDN), str(UN), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert list(body) == ["results"]
    assert [r["id"] for r in body["results"]] == ["c1", "c2"]
    assert body["results"][1]["matches"] == []
    first = body["results"][0]["matches"]
    assert all(
        list(m)
        == ["list", "entry", "name", "matched_name", "score", "by"]
        + ["status", "start", "end", "programs"]
        for m in first
    )
    assert {k: v for k, v in first[0].items() if k not in ("start", "programs")} == {
        "list": "SDN",
        "entry": "15603",
        "name": "FOREIGN TRADE BANK OF THE DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA",
        "matched_name": "FTBDKPPYXXX",
        "score": 1.0,
        "by": "bic",
        "status": "listed",  # the list file carries no date: read as published on --as-of
        "end": None,
    }
    assert {(m["list"], m["entry"], m["by"]) for m in first} == {
        ("SDN", "15603", "bic"),
        ("UN", "KPe.047", "bic"),
    }
    scores = [m["score"] for m in first]
    assert scores == sorted(scores, reverse=True)


def test_screen_csv_one_match_a_row_formulas_neutralised(tmp_path):
    names = tmp_path / "names.csv"
    names.write_text('id,name\n"=HYPERLINK(""http://x"")",Bank Melli Iran\n')
    out = tmp_path / "out.csv"
    result = run(
        str(names),
        "--lists",
        str(SDN),
        "--format",
        "csv",
        "--output",
        str(out),
        "--threshold",
        "0.9",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == [
        *("id", "name", "list", "entry", "list_name", "matched_name", "score", "by"),
        *("status", "start", "end", "programs"),
    ]
    assert rows[1:] == [
        [
            '\'=HYPERLINK("http://x")',
            "Bank Melli Iran",
            "SDN",
            "25578",
            "BANK MELLI IRAN",
            "BANK MELLI IRAN",
            "1.00",
            "name",
            "listed",
            "",  # the file carries no date: listed today, since when it does not say
            "",
            "IFSR;IRAN;SDGT",
        ]
    ]


def test_screen_csv_has_a_row_for_a_name_without_match(tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("id,name\nn1,Bank Melli Iran\nn5,John Smith\n")
    result = run(str(names), "--lists", str(SDN), "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [r[:4] for r in rows[1:]] == [["n1", "Bank Melli Iran", "SDN", "25578"]] + [
        ["n5", "John Smith", "", ""]
    ]
    assert rows[-1] == ["n5", "John Smith", *[""] * 10]


def test_a_banks_own_package_screens_only_what_it_designates(tmp_path):
    """A data package that designates some of its entities lists those: the bank's own
    counterparties beside them are not list entries."""
    package = tmp_path / "mybank"
    package.mkdir()
    (package / "entities.csv").write_text(
        "id,name,kind\nkpb,Korea Pine Bank,bank\ncust,Golden Dragon Trading Co,company\n"
    )
    (package / "designations.csv").write_text("entity,list,start\nkpb,SDN,2017-01-01\n")
    names = tmp_path / "names.csv"
    names.write_text("id,name\nn1,Golden Dragon Trading Co\nn2,Korea Pine Bank\n")
    result = run(str(names), "--lists", str(package), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = {r["id"]: r["matches"] for r in json.loads(result.stdout)["results"]}
    assert found["n1"] == []
    assert [(m["entry"], m["status"]) for m in found["n2"]] == [("kpb", "listed")]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "names.csv: the file is empty"),
        ("id,label\n1,Acme\n", "names.csv, row 1, column name: missing column"),
        ("id,name\n", "names.csv: no names to screen"),
    ],
)
def test_screen_bad_names_file_exit_2_without_traceback(tmp_path, content, expected):
    names = tmp_path / "names.csv"
    names.write_text(content)
    result = run(str(names), "--lists", str(SDN), cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr and "nothing was screened" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_screen_unreadable_list_and_names_reported_together_exit_2(tmp_path):
    broken = tmp_path / "SDN.CSV"
    broken.write_bytes(b"\xff\xfe not a list")
    result = run(
        str(tmp_path / "names.csv"), "--lists", str(broken), str(tmp_path / "nowhere"), cwd=tmp_path
    )
    assert result.returncode == 2, result.stdout
    assert "names.csv: no such file" in result.stderr
    assert "SDN.CSV" in result.stderr and "nowhere: no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# ---- the entry's own list and its status (audit D2) --------------------------------


def test_a_match_names_the_entrys_list_not_its_publications(tmp_path):
    """Bank of Kunlun is published in the consolidated files but designated on the
    CAPTA List: screening says CAPTA (it said CONS)."""
    import_lists("ofac-csv", [CONS], tmp_path / "cons", date(2025, 11, 1))
    matches = best_as_of("Bank of Kunlun", read_lists([tmp_path / "cons"]), date(2026, 1, 10))
    assert [(m.list, m.entry, m.status, m.start, m.end, m.programs) for m in matches] == [
        ("CAPTA", "15268", "listed", "2025-11-01", None, ("561-Related",))
    ]


def best_as_of(name: str, entries, as_of: date):
    return screen([Subject("x", name)], entries, DEFAULT_THRESHOLD, as_of=as_of)[0]


@pytest.mark.parametrize(
    "as_of, status",
    [
        ("2021-09-01", "listed"),  # in the first two publications
        ("2022-06-01", "possibly_listed"),  # between the last with it and the first without
        ("2023-01-01", "delisted"),  # gone from 2022-12-02 on
    ],
)
def test_a_delisted_entry_screens_with_its_status_on_the_day(tmp_path, as_of, status):
    import_lists("ofac-csv", [FIXTURES / "ofac-csv" / "history"], tmp_path / "history")
    entries = read_lists([tmp_path / "history"])
    matches = best_as_of("MANYONDA, Kenneth", entries, date.fromisoformat(as_of))
    assert [(m.list, m.entry, m.status, m.end) for m in matches] == [
        ("SDN", "7508", status, "2022-03-02")
    ]


def test_register_records_are_not_screened(tmp_path):
    """A GLEIF record is no list: its name and LEI screen nothing (they screened as
    list GLEIF_LEI)."""
    gleif = FIXTURES / "gleif" / "golden-copy-lei-updates-data2.xml"
    import_lists("gleif", [gleif], tmp_path / "gleif", date(2023, 6, 5))
    entries = read_lists([tmp_path / "gleif"])
    subject = Subject(
        "x",
        "ESG Domestic Opportunity Offshore Fund Ltd",
        codes={"lei": "00TR8NKAEL48RGTZEW89"},
    )
    assert entries == [] and screen([subject], entries)[0] == []


def test_screen_cli_as_of_gives_status_and_dates_in_json_and_csv(tmp_path):
    import_lists("ofac-csv", [FIXTURES / "ofac-csv" / "history"], tmp_path / "history")
    names = tmp_path / "names.csv"
    names.write_text('id,name\nd1,"MANYONDA, Kenneth"\n')
    result = run(str(names), "--lists", "history", "--as-of", "2023-01-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (match,) = json.loads(result.stdout)["results"][0]["matches"]
    assert list(match)[:6] == ["list", "entry", "name", "matched_name", "score", "by"]
    assert {k: match[k] for k in ("list", "status", "start", "end", "programs")} == {
        "list": "SDN",
        "status": "delisted",
        "start": "2021-08-18",
        "end": "2022-03-02",
        "programs": ["ZIMBABWE"],
    }
    result = run(
        str(names), "--lists", "history", "--as-of", "2021-09-01", "--format", "csv", cwd=tmp_path
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["list"], r["status"], r["programs"]) for r in rows] == [
        ("SDN", "listed", "ZIMBABWE")
    ]
