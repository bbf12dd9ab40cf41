"""Linking a bank's own entities to list entries (issue 17 item 4): same_as,
not_same_as, exact BIC / LEI / IMO matches, possible matches by name, and findings that
cite the publication and entry they rest on."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.loading import load_bundled, read_and_load
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_paths, validate_store

AS_OF = date(2026, 1, 10)
LEI = "5493001KJTIIGC8Y1R12"  # check digits valid (ISO 17442)
FIFTY = "OFAC 50 Percent Rule"
FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def write(folder: Path, files: dict[str, list[dict[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        columns = list(dict.fromkeys(c for row in rows for c in row))
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def list_package(tmp_path: Path) -> Path:
    """A list package as `sanctiongraph import` writes one: an SDN entry with a BIC, an
    LEI and an IMO company number, and an alias; a CAPTA entry."""
    pub = {"publication": "sdn-2023-06-01"}
    return write(
        tmp_path / "sdn",
        {
            "publications.csv": [
                {
                    "id": "sdn-2023-06-01",
                    "list": "SDN",
                    "file": "SDN.CSV",
                    "published": "2023-06-01",
                },
                {
                    "id": "cons-2025-11-01",
                    "list": "CONS",
                    "file": "cons_prim.csv",
                    "published": "2025-11-01",
                },
            ],
            "entities.csv": [
                {
                    "id": "ofac:15603",
                    "name": "FOREIGN TRADE BANK OF THE DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA",
                    "kind": "bank",
                    "jurisdiction": "",
                    "located_in": "KP",
                    "bic": "FTBDKPPY",
                    "lei": "",
                    **pub,
                    "entry": "15603",
                },
                {
                    "id": "ofac:9999",
                    "name": "OCEAN EXAMPLE SHIPPING CO LTD",
                    "kind": "company",
                    "jurisdiction": "",
                    "located_in": "KP",
                    "bic": "",
                    "lei": "",
                    **pub,
                    "entry": "9999",
                },
                {
                    "id": "ofac:15268",
                    "name": "BANK OF KUNLUN CO LTD",
                    "kind": "bank",
                    "jurisdiction": "",
                    "located_in": "CN",
                    "bic": "CKLBCNBJ",
                    "lei": "",
                    "publication": "cons-2025-11-01",
                    "entry": "15268",
                },
            ],
            "aliases.csv": [
                {
                    "entity": "ofac:15603",
                    "name": "MUYOK BANK",
                    "kind": "aka",
                    **pub,
                    "entry": "15603",
                }
            ],
            "identifiers.csv": [
                {
                    "entity": "ofac:9999",
                    "scheme": "imo",
                    "value": "IMO 1234567",
                    **pub,
                    "entry": "9999",
                },  # a list's codes are read as written
                {
                    "entity": "ofac:9999",
                    "scheme": "lei",
                    "value": LEI.lower(),
                    **pub,
                    "entry": "9999",
                },
            ],
            "designations.csv": [
                {
                    "entity": "ofac:15603",
                    "list": "SDN",
                    "program": "DPRK3",
                    "start": "2023-06-01",
                    "measure": "",
                    **pub,
                    "entry": "15603",
                },
                {
                    "entity": "ofac:9999",
                    "list": "SDN",
                    "program": "DPRK3",
                    "start": "2023-06-01",
                    "measure": "",
                    **pub,
                    "entry": "9999",
                },
                {
                    "entity": "ofac:15268",
                    "list": "CAPTA",
                    "program": "561-Related",
                    "start": "2025-11-01",
                    "measure": "prohibit_maintain",
                    "source": "31 CFR 561.201(c)",  # as import writes it from the remarks
                    "publication": "cons-2025-11-01",
                    "entry": "15268",
                },
            ],
        },
    )


def bank_package(tmp_path: Path, counterparty: dict[str, str], name: str = "bank") -> Path:
    """Our bank, a counterparty ``c1`` (columns given), and ``sub``, a bank 60 percent
    owned by ``c1`` that holds a correspondent account with us."""
    base = {
        "id": "c1",
        "name": "Counterparty",
        "kind": "bank",
        "jurisdiction": "HK",
        "bic": "",
        "lei": "",
        "imo": "",
        "same_as": "",
        "not_same_as": "",
    }
    entities = [
        {**base, "id": "us-bank", "name": "First Example Bank", "jurisdiction": "US"},
        {**base, **counterparty},
        {**base, "id": "sub", "name": "Harbour Example Bank"},
    ]
    return write(
        tmp_path / name,
        {
            "entities.csv": entities,
            "ownership.csv": [{"owner": "c1", "owned": "sub", "percent": "60"}],
            "accounts.csv": [
                {
                    "id": "a-sub",
                    "type": "correspondent",
                    "maintained_by": "us-bank",
                    "holder": "sub",
                    "opened_on": "2020-01-01",
                },
                {
                    "id": "a-c1",
                    "type": "correspondent",
                    "maintained_by": "us-bank",
                    "holder": "c1",
                    "opened_on": "2020-01-01",
                },
            ],
        },
    )


def findings(report, citation: str | None = None, focus_id: str | None = None):
    return [
        f
        for f in report.findings
        if (citation is None or f.citation == citation) and (focus_id is None or f.id == focus_id)
    ]


def fifty_on_sub(report):
    return findings(report, FIFTY, "a-sub")


def test_the_50_percent_rule_applies_only_through_a_link(tmp_path) -> None:
    lists = list_package(tmp_path)
    unlinked = validate_paths(
        [bank_package(tmp_path, {"name": "North Star Bank"}, "b0"), lists], AS_OF
    )
    assert not unlinked.errors
    assert not fifty_on_sub(unlinked)
    linked = validate_paths(
        [bank_package(tmp_path, {"name": "North Star Bank", "same_as": "ofac:15603"}, "b1"), lists],
        AS_OF,
    )
    assert not linked.errors
    (warning,) = fifty_on_sub(linked)
    assert warning.severity == "warning"
    assert (
        "OFAC SDN List, publication of 2023-06-01, entry 15603, applied through the link "
        "c1 is list entry ofac:15603 (confirmed by same_as ofac:15603)"
    ) in warning.evidence
    assert "listed on the SDN List (DPRK3)" in " ".join(warning.evidence)


@pytest.mark.parametrize(
    "bic, shown",
    [
        ("FTBDKPPY", "FTBDKPPY"),
        ("FTBDKPPYXXX", "FTBDKPPY"),
        ("FTBDKPPY123", "FTBDKPPY123, a branch of FTBDKPPY"),
    ],
)
def test_a_bic_links_in_its_8_and_11_character_forms_and_from_a_branch(
    tmp_path, bic, shown
) -> None:
    report = validate_paths([bank_package(tmp_path, {"bic": bic}), list_package(tmp_path)], AS_OF)
    assert not report.errors
    (warning,) = fifty_on_sub(report)
    assert (
        f"OFAC SDN List, publication of 2023-06-01, entry 15603, applied through the link "
        f"c1 is list entry ofac:15603 (matched by BIC {shown})"
    ) in warning.evidence


def test_another_bic_does_not_link(tmp_path) -> None:
    report = validate_paths(
        [bank_package(tmp_path, {"bic": "FTBDKPPZ"}), list_package(tmp_path)], AS_OF
    )
    assert not report.errors and not fifty_on_sub(report)


def test_an_lei_links(tmp_path) -> None:
    report = validate_paths(
        [bank_package(tmp_path, {"kind": "bank", "lei": LEI}), list_package(tmp_path)], AS_OF
    )
    (warning,) = fifty_on_sub(report)
    assert any(f"c1 is list entry ofac:9999 (matched by LEI {LEI})" in e for e in warning.evidence)
    assert any(
        "OFAC SDN List, publication of 2023-06-01, entry 9999" in e for e in warning.evidence
    )


def test_an_imo_number_links(tmp_path) -> None:
    report = validate_paths(
        [bank_package(tmp_path, {"imo": "1234567"}), list_package(tmp_path)], AS_OF
    )
    (warning,) = fifty_on_sub(report)
    assert any("c1 is list entry ofac:9999 (matched by IMO 1234567)" in e for e in warning.evidence)


def test_a_capta_finding_through_a_link(tmp_path) -> None:
    lists = list_package(tmp_path)
    plain = validate_paths([bank_package(tmp_path, {"name": "Kunlun Example"}, "b0"), lists], AS_OF)
    assert not findings(plain, "31 CFR 561.201(c)")
    linked = validate_paths(
        [bank_package(tmp_path, {"name": "Kunlun Example", "bic": "CKLBCNBJXXX"}, "b1"), lists],
        AS_OF,
    )
    (violation,) = [
        f for f in findings(linked, "31 CFR 561.201(c)") if f.shape.endswith("MaintainingShape")
    ]
    assert violation.id == "a-c1" and violation.severity == "violation"
    assert (
        "OFAC Consolidated (non-SDN) List, publication of 2025-11-01, entry 15268, applied "
        "through the link c1 is list entry ofac:15268 (matched by BIC CKLBCNBJ)"
    ) in violation.evidence


def test_a_resembling_name_is_a_possible_match_never_applied(tmp_path) -> None:
    report = validate_paths(
        [bank_package(tmp_path, {"name": "Muyok Bank Co. Ltd"}), list_package(tmp_path)], AS_OF
    )
    assert not fifty_on_sub(report)  # not applied
    (match,) = [f for f in findings(report, focus_id="c1") if "Possible match" in f.message]
    assert match.severity == "warning"
    assert match.evidence[:4] == (
        "ofac:15603",
        "15603",
        "MUYOK BANK",
        "0.99",
    )  # not the same name (G4)
    assert "OFAC SDN List, publication of 2023-06-01, entry 15603" in match.evidence
    assert "not_same_as ofac:15603" in match.message


def test_not_same_as_silences_a_possible_match(tmp_path) -> None:
    report = validate_paths(
        [
            bank_package(tmp_path, {"name": "Muyok Bank Co. Ltd", "not_same_as": "ofac:15603"}),
            list_package(tmp_path),
        ],
        AS_OF,
    )
    assert not report.errors
    assert not [f for f in report.findings if "Possible match" in f.message]


def test_the_entry_may_be_in_the_store_already(tmp_path) -> None:
    store = open_store(in_memory=True)
    load_bundled(store)
    read_and_load(store, [list_package(tmp_path)])
    read_and_load(store, [bank_package(tmp_path, {"same_as": "ofac:15603"})])
    assert fifty_on_sub(validate_store(store, AS_OF))


def test_an_unknown_entry_is_an_input_error_and_nothing_is_loaded(tmp_path) -> None:
    store = open_store(in_memory=True)
    load_bundled(store)
    before = set(store.graphs())
    bank = bank_package(
        tmp_path, {"same_as": "ofac:15603;ofac:424242", "not_same_as": "un:KPe.999"}
    )
    from sanctiongraph.ingest import IngestError

    with pytest.raises(IngestError) as caught:
        read_and_load(store, [bank, list_package(tmp_path)])
    messages = [(e.file, e.row, e.column, e.message) for e in caught.value.errors]
    # a not_same_as naming an absent entry (un:KPe.999) is no error (audit 17 G3 b)
    assert [m[:3] for m in messages] == [("entities.csv", 3, "same_as")]
    assert "'ofac:424242' is not a list entry" in messages[0][3]
    assert set(store.graphs()) == before


def test_dismissing_an_entry_no_source_holds_is_harmless(tmp_path) -> None:
    """Audit 17 G3 (b): the shipped bank demo dismisses ofac:10368 (an SDN entry) and
    must validate against the consolidated list alone; it was an input error."""
    from sanctiongraph.imports import import_lists

    cons = tmp_path / "cons"
    import_lists("ofac-csv", [FIXTURES / "ofac-csv" / "cons"], cons, date(2025, 11, 1))
    demo = Path(__file__).parent.parent / "data" / "examples" / "bank-demo"
    assert "ofac:10368" in (demo / "entities.csv").read_text()
    report = validate_paths([demo, cons], AS_OF)
    assert not report.errors
    assert findings(report, "31 CFR 561.201(c)")


def test_unknown_entries_and_other_problems_are_reported_at_once(tmp_path) -> None:
    """Audit 17 G3 (c): an unknown same_as entry was reported only once every other
    problem was fixed."""
    bank = bank_package(tmp_path, {"same_as": "ofac:424242"})
    with (bank / "entities.csv").open("a", encoding="utf-8") as handle:
        handle.write("c2,Other,bank,HK,,,,foo:1,\n")
    report = validate_paths([bank, list_package(tmp_path)], AS_OF)
    assert sorted((e.row, e.column) for e in report.errors) == [(3, "same_as"), (5, "same_as")]
    assert any("'ofac:424242' is not a list entry" in e.message for e in report.errors)
    assert any("'foo:1' does not name a list entry" in e.message for e in report.errors)


@pytest.mark.parametrize("entry", ["ftm:NK-abc123", "bods:openownership-register-123"])
def test_same_as_names_ftm_and_bods_entries_too(tmp_path, entry) -> None:
    """Audit 17 G3 (a): entries imported from FtM or BODS could not be named."""
    lists = write(
        tmp_path / "ftm",
        {
            "publications.csv": [
                {"id": "p-2023-06-01", "list": "FTM", "file": "e.json", "published": "2023-06-01"}
            ],
            "entities.csv": [
                {
                    "id": entry,
                    "name": "ZZ EXAMPLE HOLDING",
                    "kind": "company",
                    "jurisdiction": "",
                    "publication": "p-2023-06-01",
                    "entry": entry.split(":", 1)[1],
                }
            ],
            "designations.csv": [
                {
                    "entity": entry,
                    "list": "SDN",
                    "program": "DPRK3",
                    "start": "2023-06-01",
                    "publication": "p-2023-06-01",
                    "entry": entry.split(":", 1)[1],
                }
            ],
        },
    )
    report = validate_paths([bank_package(tmp_path, {"same_as": entry}), lists], AS_OF)
    assert not report.errors
    assert fifty_on_sub(report)
    dismissed = bank_package(tmp_path, {"not_same_as": entry}, name="bank2")
    assert not validate_paths([dismissed, lists], AS_OF).errors


@pytest.mark.parametrize(
    "value, column, expected",
    [
        ("sdn:15603", "same_as", "'sdn:15603' does not name a list entry"),
        ("15603", "same_as", "'15603' does not name a list entry"),
        ("lei:5493001KJTIIGC8Y1R13", "same_as", "is not an LEI"),
        ("ofac:15603", "not_same_as", "'ofac:15603' is also in same_as"),
    ],
)
def test_a_bad_same_as_is_an_input_error_with_row_and_column(
    tmp_path, value, column, expected
) -> None:
    cells = {"same_as": "ofac:15603"} if column == "not_same_as" else {}
    report = validate_paths(
        [bank_package(tmp_path, {**cells, column: value}), list_package(tmp_path)], AS_OF
    )
    (error,) = report.errors
    assert (error.file, error.row, error.column) == ("entities.csv", 3, column)
    assert expected in error.message


def test_a_bad_imo_is_an_input_error(tmp_path) -> None:
    report = validate_paths([bank_package(tmp_path, {"imo": "IMO 12"})], AS_OF)
    (error,) = report.errors
    assert (error.row, error.column) == (3, "imo")


def test_the_cli_exits_2_on_an_unknown_entry(tmp_path) -> None:
    bank = bank_package(tmp_path, {"same_as": "ofac:424242"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanctiongraph.cli",
            "validate",
            str(bank),
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    (error,) = json.loads(result.stdout)["errors"]
    assert (error["file"], error["row"], error["column"]) == ("entities.csv", 3, "same_as")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_both_engines_agree_on_linked_findings(tmp_path, engine) -> None:
    bank = bank_package(tmp_path, {"name": "Muyok Bank Co. Ltd", "bic": "FTBDKPPY"})
    bank2 = write(
        tmp_path / "bank2",
        {
            "entities.csv": [
                {"id": "d1", "name": "Muyok Bank", "kind": "bank", "jurisdiction": "KP"}
            ]
        },
    )
    report = validate_paths([bank, bank2, list_package(tmp_path)], AS_OF, engine=engine)
    pairs = {
        (f.id, f.citation)
        for f in report.findings
        if f.citation in (FIFTY, "sanctiongraph data package: list matching")
    }
    assert pairs == {
        ("a-sub", FIFTY),
        ("a-c1", FIFTY),
        ("d1", "sanctiongraph data package: list matching"),
    }


def test_not_same_as_also_refuses_an_identifier_link(tmp_path) -> None:
    report = validate_paths(
        [
            bank_package(tmp_path, {"bic": "FTBDKPPY", "not_same_as": "ofac:15603"}),
            list_package(tmp_path),
        ],
        AS_OF,
    )
    assert not report.errors and not fifty_on_sub(report)


def test_the_list_entrys_owners_apply_to_the_linked_entity(tmp_path) -> None:
    """An entry 60 percent owned by a listed one: a user's entity linked to the entry is
    blocked through that holding, which the list package states."""
    lists = list_package(tmp_path)
    with (lists / "entities.csv").open("a", encoding="utf-8") as handle:
        handle.write("ofac:777,KOREA EXAMPLE SUBSIDIARY BANK,bank,,KP,,,sdn-2023-06-01,777\n")
    (lists / "ownership.csv").write_text(
        "owner,owned,percent,publication,entry\nofac:15603,ofac:777,60,sdn-2023-06-01,777\n"
    )
    bank = write(
        tmp_path / "bank",
        {
            "entities.csv": [
                {
                    "id": "us-bank",
                    "name": "First Example Bank",
                    "kind": "bank",
                    "jurisdiction": "US",
                    "same_as": "",
                },
                {
                    "id": "k",
                    "name": "Harbour Example Bank",
                    "kind": "bank",
                    "jurisdiction": "HK",
                    "same_as": "ofac:777",
                },
            ],
            "accounts.csv": [
                {
                    "id": "a-k",
                    "type": "correspondent",
                    "maintained_by": "us-bank",
                    "holder": "k",
                    "opened_on": "2020-01-01",
                }
            ],
        },
    )
    (warning,) = findings(validate_paths([bank, lists], AS_OF), FIFTY, "a-k")
    assert "OFAC SDN List, publication of 2023-06-01, entry 15603" in warning.evidence
    assert (
        "OFAC SDN List, publication of 2023-06-01, entry 777, applied through the link "
        "k is list entry ofac:777 (confirmed by same_as ofac:777)"
    ) in warning.evidence


def test_the_entry_may_be_in_an_rdf_source_given_with_it(tmp_path) -> None:
    turtle = Path(__file__).parent / "fixtures" / "common" / "violates-possible-match.ttl"
    report = validate_paths([bank_package(tmp_path, {"same_as": "ofac:15603"}), turtle], AS_OF)
    assert not report.errors
    assert fifty_on_sub(report)
    unknown = validate_paths(
        [bank_package(tmp_path, {"same_as": "ofac:9999"}, "b2"), turtle], AS_OF
    )
    assert [(e.row, e.column) for e in unknown.errors] == [(3, "same_as")]
