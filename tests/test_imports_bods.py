"""``sanctiongraph import bods``: BODS 0.2 and 0.4 statements (issue 17 items 1-3, 6).

Fixtures (tests/fixtures/imports/SOURCE.md): real BODS 0.2 made from GLEIF by Open
Ownership's pipeline, and the standard's 0.4 joint-ownership example as JSON Lines with
bands, an unknown and a missing interested party, a replaced and a closed record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sanctiongraph.cli import cli
from sanctiongraph.imports import import_lists
from test_imports import FIXTURES, by, imported, problems, rows

BODS = FIXTURES / "bods"
BANDS = BODS / "joint-ownership-bands-2018-11-18.jsonl"
LEI_02 = BODS / "gleif2bods-lei-updates-data2-out.json"
RR_02 = BODS / "gleif2bods-rr-updates-data2-out.json"
RR_MISSING = BODS / "gleif2bods-rr-data-out-trimmed.json"
COMPANY, ARRANGEMENT = "bods:31c55e425764", "bods:91b4236a7d89"
NATALIE, ROBERTO = "bods:1accb8b18b99", "bods:f040df24d9ec"


def statements(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_bands_keep_exclusive_bounds(tmp_path) -> None:
    report = import_lists("bods", [BANDS], tmp_path / "pkg")
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    (more_than_50,) = by(holdings, owner=ARRANGEMENT, owned=COMPANY)
    assert more_than_50["kind"] == "owns" and not more_than_50.get("percent")
    assert more_than_50["percent_min"] == "50.0001" and more_than_50["percent_max"] == "100"
    (less_than_50,) = by(holdings, owner=NATALIE, owned=ARRANGEMENT)
    assert less_than_50["percent_min"] == "25" and less_than_50["percent_max"] == "49.9999"
    (voting,) = by(holdings, owner=NATALIE, owned=COMPANY)
    assert voting["kind"] == "controls" and not voting.get("percent_max")
    assert report.notes["entities of type arrangement (kind company)"] == 1
    (pub,) = rows(tmp_path / "pkg", "publications.csv")
    assert pub["list"] == "BODS" and pub["file"] == BANDS.name and len(pub["sha256"]) == 64


def test_more_than_50_blocks_and_less_than_50_does_not(tmp_path) -> None:
    """The 50 Percent Rule on the imported bands: "more than 50" held by a blocked owner
    blocks (not merely possibly); "less than 50" is not even possibly 50."""
    pkg = imported("bods", [BANDS], tmp_path)
    (pkg / "designations.csv").write_text(
        "entity,list,start\nbods:91b4236a7d89,SDN,2018-02-01\nbods:1accb8b18b99,SDN,2018-02-01\n",
        encoding="utf-8",
    )
    runner, store = CliRunner(), str(tmp_path / "store")
    result = runner.invoke(cli, ["load", str(pkg), "--store", store])
    assert result.exit_code == 0, result.output

    def status(entity: str) -> str:
        out = runner.invoke(
            cli, ["owners", entity, "--as-of", "2019-01-01", "--format", "json", "--store", store]
        )
        assert out.exit_code == 0, out.output
        return json.loads(out.output)["status"]

    assert status("bods:31c55e425764") == "blocked"
    rows_ = (pkg / "designations.csv").read_text(encoding="utf-8").splitlines()
    (pkg / "designations.csv").write_text(
        "\n".join(rows_[:1] + rows_[2:]) + "\n", encoding="utf-8"
    )  # Natalie only
    store2 = str(tmp_path / "store2")
    assert runner.invoke(cli, ["load", str(pkg), "--store", store2]).exit_code == 0
    out = runner.invoke(
        cli,
        [
            "owners",
            "bods:91b4236a7d89",
            "--as-of",
            "2019-01-01",
            "--format",
            "json",
            "--store",
            store2,
        ],
    )
    assert json.loads(out.output)["status"] == "not_blocked", out.output


def test_replaced_closed_unknown_and_missing_statements(tmp_path) -> None:
    report = import_lists("bods", [BANDS], tmp_path / "pkg")
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    (roberto,) = by(holdings, owner=ROBERTO)  # the 2019 update stands; closed in 2020
    assert roberto["percent"] == "40" and roberto["end"] == "2020-06-30"
    assert roberto["entry"] == "b391a41da07e"
    assert report.notes["statements replaced by a later statement (dropped)"] == 2
    assert (
        report.notes[
            "interested party unspecified: interestedPartyHasNotProvidedInformation (no holding)"
        ]
        == 1
    )
    assert report.notes["relationships naming a statement the files do not hold (skipped)"] == 1
    ids = {e["id"] for e in rows(tmp_path / "pkg", "entities.csv")}
    assert ids == {COMPANY, ARRANGEMENT, NATALIE, ROBERTO}  # nobody made up


def test_float_noise_and_json_array_and_lines_read_alike(tmp_path) -> None:
    items = statements(BANDS)[:7]
    items[2]["recordDetails"]["interests"][0]["share"] = {"exact": 26.150000000000002}
    lines = write_lines(tmp_path / "a-2018-11-18.jsonl", items)
    array = tmp_path / "b-2018-11-18.json"
    array.write_text(json.dumps(items, indent=2), encoding="utf-8")
    for path, name in ((lines, "p1"), (array, "p2")):
        pkg = imported("bods", [path], tmp_path, name=name)
        (held,) = by(rows(pkg, "ownership.csv"), owner=ARRANGEMENT)
        assert held["percent"] == "26.15"


def test_bods_0_2_from_gleif_with_missing_statements(tmp_path) -> None:
    report = import_lists("bods", [LEI_02, RR_02, RR_MISSING], tmp_path / "pkg")
    entities = rows(tmp_path / "pkg", "entities.csv")
    (vub,) = [e for e in entities if e["name"] == "Všeobecná úverová banka, a.s."]
    assert vub["kind"] == "bank" and vub["jurisdiction"] == "SK" and vub["lei"]
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    # one row per relation: the direct and ultimate consolidations by one parent are one;
    # GLEIF's fund management is skipped, as `import gleif` skips it
    assert len(holdings) == 5 and all(h["kind"] == "controls" for h in holdings)
    assert len({(h["owner"], h["owned"], h["start"]) for h in holdings}) == 5
    assert (
        report.notes[
            "interests recording GLEIF's IS_FUND-MANAGED_BY (skipped, as import gleif does)"
        ]
        == 4
    )
    assert report.notes["relationships naming a statement the files do not hold (skipped)"] == 2
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "pkg")])
    assert result.exit_code in (0, 1), result.output


def test_bad_input_reports_file_record_and_field_all_at_once(tmp_path) -> None:
    items = statements(BANDS)
    items[2]["recordDetails"]["interests"][0]["share"] = {"exact": 150}
    items[5]["recordDetails"]["interests"][0]["startDate"] = "01/01/2018"
    del items[3]["recordId"]
    one = write_lines(tmp_path / "one-2018-11-18.jsonl", items)
    two = tmp_path / "two-2018-11-19.jsonl"
    two.write_text(
        BANDS.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8"
    )
    text = [str(e) for e in problems("bods", [one, two], tmp_path)]
    assert any(
        "one-2018-11-18.jsonl" in t
        and "line 3" in t
        and "interests[0].share.exact" in t
        and "150" in t
        for t in text
    ), text
    assert any("line 6" in t and "interests[0].startDate" in t for t in text), text
    assert any("line 4" in t and "recordId" in t for t in text), text
    assert any(
        "two-2018-11-19.jsonl" in t and "row 2" in t and "not valid JSON" in t for t in text
    ), text


def test_bad_statement_dates_and_shares_of_control_interests_are_errors(tmp_path) -> None:
    """statementDate orders a record's statements; a share on a control interest is not
    used but is checked like any share (0.4 and 0.2 alike)."""
    items = statements(BANDS)
    items[0]["statementDate"] = "2018-02-31"
    interest = items[2]["recordDetails"]["interests"][0]
    interest["type"] = "otherInfluenceOrControl"
    interest["share"] = {"exact": -5}
    one = write_lines(tmp_path / "one-2018-11-18.jsonl", items)
    old = json.loads(RR_02.read_text(encoding="utf-8"))
    old[0]["statementDate"] = "not-a-date"
    two = tmp_path / "two-2024-02-16.json"
    two.write_text(json.dumps(old), encoding="utf-8")
    errors = problems("bods", [one, two], tmp_path)
    text = [str(e) for e in errors]
    assert any(
        "one-2018-11-18.jsonl" in t and "line 1" in t and "statementDate" in t and "2018-02-31" in t
        for t in text
    ), text
    assert any("line 3" in t and "interests[0].share.exact" in t and "-5" in t for t in text), text
    assert any(
        "two-2024-02-16.json" in t and "statementDate" in t and "not-a-date" in t for t in text
    ), text


def test_bounds_that_contradict_each_other(tmp_path) -> None:
    items = statements(BANDS)
    items[2]["recordDetails"]["interests"][0]["share"] = {"exclusiveMinimum": 60, "maximum": 50}
    path = write_lines(tmp_path / "x-2018-11-18.jsonl", items)
    (error,) = problems("bods", [path], tmp_path)
    assert "line 3" in str(error) and "interests[0].share" in str(error)


@pytest.mark.parametrize(
    ("share", "low", "high"),
    [
        ({"exclusiveMinimum": 0, "maximum": 10}, "0.0001", "10"),  # 0 is a bound, not False
        ({"minimum": 5, "exclusiveMaximum": 0.5}, None, None),  # below its minimum: an error
        ({"minimum": 20, "exclusiveMinimum": False, "maximum": 30}, "20", "30"),  # 0.2 flags
        ({"minimum": 20, "exclusiveMinimum": True, "maximum": 30}, "20.0001", "30"),
    ],
)
def test_exclusive_bounds_of_0_4_and_flags_of_0_2(tmp_path, share, low, high) -> None:
    items = statements(BANDS)
    items[2]["recordDetails"]["interests"][0]["share"] = share
    path = write_lines(tmp_path / "x-2018-11-18.jsonl", items)
    if low is None:
        (error,) = problems("bods", [path], tmp_path)
        assert "line 3" in str(error) and "interests[0].share" in str(error)
        return
    import_lists("bods", [path], tmp_path / "pkg")
    found = [h for h in rows(tmp_path / "pkg", "ownership.csv") if h.get("percent_max") == high]
    assert [(h.get("percent_min"), h.get("percent_max")) for h in found] == [(low, high)]


def test_a_file_that_yields_nothing_is_an_error(tmp_path) -> None:
    empty = tmp_path / "empty-2020-01-01.json"
    empty.write_text("[]", encoding="utf-8")
    assert "no BODS statement" in str(problems("bods", [empty], tmp_path)[0])
    other = tmp_path / "other-2020-01-01.json"
    other.write_text('[{"id": 1}]', encoding="utf-8")
    assert "neither recordType" in str(problems("bods", [other], tmp_path)[0])


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "bods"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not here")
def test_every_real_bods_file_imports_and_validates(tmp_path) -> None:
    batches = [sorted(REALDATA.glob("gleif2bods-*.json"))]
    batches += [[p] for p in sorted((REALDATA / "standard-examples-0.4").glob("*.json"))]
    for number, paths in enumerate(batches):
        out = tmp_path / f"pkg{number}"
        report = import_lists("bods", paths, out)
        assert report.rows["entities.csv"] >= 1
        result = CliRunner().invoke(cli, ["validate", str(out)])
        assert result.exit_code in (0, 1), (paths, result.output)


def test_record_ids_an_id_may_not_hold_get_a_digest(tmp_path) -> None:
    items = statements(BANDS)[:3]
    for item in items:
        item["declarationSubject"] = "GB-COH/07444723"
    items[0]["recordId"] = "GB-COH/07444723"
    items[2]["recordDetails"]["subject"] = "GB-COH/07444723"
    pkg = imported("bods", [write_lines(tmp_path / "s-2018-11-18.jsonl", items)], tmp_path)
    (company,) = [e for e in rows(pkg, "entities.csv") if e["name"] == "CHRINON LTD"]
    assert company["id"].startswith("bods:h") and company["entry"] == "GB-COH/07444723"
    assert by(rows(pkg, "ownership.csv"), owned=company["id"])


def test_register_files_of_one_date_are_read_together(tmp_path) -> None:
    """A bulk export in parts: files of one date, one relationship crossing them."""
    items = statements(BANDS)[:7]
    first = write_lines(tmp_path / "part1-2018-11-18.jsonl", items[:3])
    second = write_lines(tmp_path / "part2-2018-11-18.jsonl", items[3:])
    pkg = imported("bods", [first, second], tmp_path)
    assert [p["id"] for p in rows(pkg, "publications.csv")] == [
        "bods-2018-11-18",
        "bods-2018-11-18-2",
    ]
    (held,) = by(rows(pkg, "ownership.csv"), owner=NATALIE, owned=ARRANGEMENT)
    assert held["publication"] == "bods-2018-11-18-2"
