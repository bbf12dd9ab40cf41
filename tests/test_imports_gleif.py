"""``sanctiongraph import gleif``: GLEIF golden-copy XML (issue 17 items 1-3, 6).

Fixtures are real golden-copy excerpts (tests/fixtures/imports/SOURCE.md); the broken
variants are copies with one thing changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sanctiongraph.cli import cli
from sanctiongraph.imports import import_lists
from test_imports import FIXTURES, by, imported, problems, rows

GLEIF = FIXTURES / "gleif"
LEI = GLEIF / "golden-copy-lei-updates-data2.xml"
RR = GLEIF / "golden-copy-rr-updates-data2.xml"
REPEX = GLEIF / "golden-copy-repex-data.xml"
VUB = "lei:549300JB1P61FUTPEZ75"  # Všeobecná úverová banka, a.s.
MONOOVA = "lei:2138002YAB7Z9KO21397"


def broken(tmp_path: Path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / (name or source.name)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_level_1_entities(tmp_path) -> None:
    pkg = imported("gleif", [LEI], tmp_path)
    (vub,) = by(rows(pkg, "entities.csv"), id=VUB)
    assert vub["name"] == "Všeobecná úverová banka, a.s."
    assert vub["kind"] == "bank" and vub["lei"] == "549300JB1P61FUTPEZ75"
    assert vub["publication"] == "gleif-lei-2023-11-06" and vub["entry"] == "549300JB1P61FUTPEZ75"
    # organised where LegalJurisdiction says (KY), not at its headquarters' country (CW)
    (fund,) = by(rows(pkg, "entities.csv"), id="lei:00TR8NKAEL48RGTZEW89")
    assert fund["jurisdiction"] == "KY" and fund["located_in"] == ""
    (pub,) = rows(pkg, "publications.csv")
    assert pub["list"] == "GLEIF_LEI" and len(pub["sha256"]) == 64
    assert pub["published"] == "2023-11-06"  # the header's ContentDate, stated


def test_consolidation_is_control_whether_1_00_or_100_00(tmp_path) -> None:
    report = import_lists("gleif", [LEI, RR], tmp_path / "pkg")
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    # 1.00 (097900BJGO0000201513 by 9845002B9874D50A4531) and 100.00 (Monoova by Moneytech)
    for owner, owned in (
        ("lei:9845002B9874D50A4531", "lei:097900BJGO0000201513"),
        ("lei:984500501A1B1045PB30", MONOOVA),
    ):
        # directly and ultimately consolidated: one relation (one row), two records
        (found,) = by(holdings, owner=owner, owned=owned)
        assert "IS_DIRECTLY_CONSOLIDATED_BY" in found["entry"]
        assert "IS_ULTIMATELY_CONSOLIDATED_BY" in found["entry"]
        assert found["kind"] == "controls"
        assert not found.get("percent") and not found.get("percent_min")
    assert all(h["kind"] == "controls" and not h.get("percent") for h in holdings)
    assert report.notes["consolidation quantifiers 1.00 (not a share; not used)"] == 2
    assert report.notes["consolidation quantifiers 100.00 (not a share; not used)"] == 3
    # the relationship period dates it; an accounting period's end does not end it
    (vub_parent,) = by(holdings, owner=VUB)
    assert vub_parent["start"] == "2022-10-24" and not vub_parent.get("end")
    (monoova,) = by(holdings, owner="lei:984500501A1B1045PB30", owned=MONOOVA)
    assert monoova["entry"].split(";")[0] == (
        "2138002YAB7Z9KO21397 IS_DIRECTLY_CONSOLIDATED_BY 984500501A1B1045PB30"
    )
    assert monoova["start"] == "2019-06-30" and monoova["publication"] == "gleif-rr-2023-11-06"
    assert report.notes["relationships IS_FUND-MANAGED_BY (skipped)"] == 4


def test_a_relationship_without_its_level_1_record_keeps_the_lei(tmp_path) -> None:
    pkg = imported("gleif", [RR], tmp_path)
    entities = rows(pkg, "entities.csv")
    (vub,) = by(entities, id=VUB)
    assert vub["name"] == "549300JB1P61FUTPEZ75" and vub["lei"] == "549300JB1P61FUTPEZ75"
    assert by(rows(pkg, "ownership.csv"), owner=VUB)


def test_reporting_exceptions_never_make_a_parent(tmp_path) -> None:
    report = import_lists("gleif", [LEI, RR, REPEX], tmp_path / "pkg")
    excepted = {"lei:001GPB6A9XPE8XJICC14", "lei:004L5FPTUREIWK9T2N63"}
    holdings = rows(tmp_path / "pkg", "ownership.csv")
    assert not [h for h in holdings if h["owned"] in excepted or h["owner"] in excepted]
    assert not [e for e in rows(tmp_path / "pkg", "entities.csv") if e["id"] in excepted]
    assert (
        report.notes["no parent reported: DIRECT_ACCOUNTING_CONSOLIDATION_PARENT NON_CONSOLIDATING"]
        == 6
    )
    assert (
        report.notes["no parent reported: DIRECT_ACCOUNTING_CONSOLIDATION_PARENT NO_KNOWN_PERSON"]
        == 3
    )


def test_branches_and_inactive_relationships(tmp_path) -> None:
    rr = broken(
        tmp_path,
        RR,
        "<rr:RelationshipType>IS_DIRECTLY_CONSOLIDATED_BY",
        "<rr:RelationshipType>IS_INTERNATIONAL_BRANCH_OF",
    )
    pkg = imported("gleif", [LEI, rr], tmp_path)
    (branch,) = by(rows(pkg, "entities.csv"), id="lei:097900BHF50000076475")
    assert branch["branch_of"] == VUB
    assert not by(rows(pkg, "ownership.csv"), owner=VUB)
    inactive = broken(
        tmp_path,
        RR,
        "<rr:RelationshipStatus>ACTIVE</rr:RelationshipStatus>\n      <rr:RelationshipQualifiers>",
        "<rr:RelationshipStatus>INACTIVE</rr:RelationshipStatus>\n"
        "      <rr:RelationshipQualifiers>",
        name="rr-2023-11-07.xml",
    )
    report = import_lists("gleif", [LEI, inactive], tmp_path / "pkg2")
    assert not by(rows(tmp_path / "pkg2", "ownership.csv"), owner=VUB)
    assert report.notes["inactive relationships with no end date (skipped)"] == 1


def test_bad_input_reports_file_record_and_field_all_at_once(tmp_path) -> None:
    rr = broken(
        tmp_path,
        RR,
        "<rr:NodeID>549300JB1P61FUTPEZ75</rr:NodeID>",
        "<rr:NodeID>549300JB1P61FUTPEZ76</rr:NodeID>",
    )
    rr.write_text(
        rr.read_text(encoding="utf-8").replace(
            "<rr:QuantifierAmount>1.00<", "<rr:QuantifierAmount>one<", 1
        ),
        encoding="utf-8",
    )
    lei = broken(
        tmp_path,
        LEI,
        '<lei:LegalName xml:lang="en">MONOOVA GLOBAL PAYMENTS PTY LTD</lei:LegalName>',
        "<lei:LegalName></lei:LegalName>",
        name="lei.xml",
    )
    errors = problems("gleif", [lei, rr], tmp_path)
    text = [str(e) for e in errors]
    assert any(
        "golden-copy-rr-updates-data2.xml" in t
        and "RelationshipRecord 5" in t
        and "EndNode/NodeID" in t
        and "549300JB1P61FUTPEZ76" in t
        for t in text
    ), text
    assert any("RelationshipRecord 6" in t and "QuantifierAmount" in t for t in text), text
    assert any(
        "lei.xml" in t and "LEIRecord 10 (LEI 2138002YAB7Z9KO21397)" in t and "LegalName" in t
        for t in text
    ), text


def test_files_that_yield_nothing_or_are_not_gleif(tmp_path) -> None:
    empty = tmp_path / "empty-2023-01-01.xml"
    empty.write_text(
        '<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">'
        "<lei:LEIRecords/></lei:LEIData>",
        encoding="utf-8",
    )
    assert "no LEIRecord" in str(problems("gleif", [empty], tmp_path)[0])
    other = tmp_path / "other.xml"
    other.write_text("<sdnList/>", encoding="utf-8")
    first, *rest = map(str, problems("gleif", [other], tmp_path))
    assert "read it with `sanctiongraph import ofac-xml`" in first  # what it is, first
    assert any("root element is <sdnList>" in e for e in rest)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><LEIData>&a;</LEIData>', encoding="utf-8")
    assert "refused" in str(problems("gleif", [bomb], tmp_path)[0])
    repex_only = problems("gleif", [REPEX], tmp_path)
    assert "no list entries" in str(repex_only[0])


def test_publication_date_given_or_from_the_name(tmp_path) -> None:
    dated = tmp_path / "lei-2024-02-01.xml"
    dated.write_bytes(LEI.read_bytes())
    pkg = imported("gleif", [dated], tmp_path)
    assert rows(pkg, "publications.csv")[0]["published"] == "2024-02-01"
    pkg = imported("gleif", [LEI], tmp_path, published=date(2024, 3, 1), name="p2")
    assert rows(pkg, "publications.csv")[0]["published"] == "2024-03-01"


def test_cli_import_then_validate_and_load(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "pkg"
    result = runner.invoke(
        cli, ["import", "gleif", str(LEI), str(RR), str(REPEX), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "consolidation quantifiers 100.00" in result.output
    result = runner.invoke(cli, ["validate", str(out)])
    assert result.exit_code in (0, 1), result.output
    result = runner.invoke(cli, ["load", str(out), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "owners",
            "lei:097900BHF50000076475",
            "--store",
            str(tmp_path / "store"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0 and '"not_blocked"' in result.output, result.output


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "gleif"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not here")
def test_every_real_golden_copy_file_imports_and_validates(tmp_path) -> None:
    report = import_lists("gleif", sorted(REALDATA.glob("*.xml")), tmp_path / "pkg")
    assert report.rows["entities.csv"] >= 25 and report.rows["ownership.csv"] >= 7
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "pkg")])
    assert result.exit_code in (0, 1), result.output


def test_gleif_api_json_is_refused_naming_the_golden_copy(tmp_path) -> None:
    api = tmp_path / "single_lei_record.json"
    api.write_text(
        '{"meta": {"goldenCopy": {}}, "data": {"type": "lei-records"}}', encoding="utf-8"
    )
    (error,) = problems("gleif", [api], tmp_path)
    assert "single_lei_record.json" in str(error) and "golden-copy XML" in str(error)
    result = CliRunner().invoke(cli, ["validate", str(api)])
    assert result.exit_code == 2 and "golden-copy XML" in result.output
    assert "import gleif" in result.output


@pytest.fixture
def in_pieces(monkeypatch):
    """Read every GLEIF file in parallel pieces of about 2 KB (a record or two each),
    with two worker processes whatever the cores; yields the list of what each
    parallel read returned (``None``: it fell back to one stream)."""
    from sanctiongraph.imports import gleif, xmlstream

    monkeypatch.setattr(xmlstream, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(xmlstream, "PIECE_BYTES", 2000)
    monkeypatch.setattr(xmlstream, "workers", lambda: 2)
    outcomes: list[object] = []
    original = gleif.read_in_parallel

    def spy(*args):
        outcomes.append(original(*args))
        return outcomes[-1]

    monkeypatch.setattr(gleif, "read_in_parallel", spy)
    return outcomes


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_file_read_in_parallel_pieces_makes_the_same_package(
    tmp_path, in_pieces, monkeypatch
) -> None:
    """issue 17: the parallel reader of large files (pieces cut at record ends, read by
    worker processes, merged in file order) writes exactly what one stream writes."""
    from sanctiongraph.imports import xmlstream

    with monkeypatch.context() as small_files:
        small_files.setattr(xmlstream, "PARALLEL_MIN_BYTES", 1 << 40)
        expected = tmp_path / "one-stream"
        import_lists("gleif", [LEI, RR, REPEX], expected)
    assert in_pieces == [None, None, None]  # below the size: one stream
    in_pieces.clear()
    assert len(xmlstream.split(RR, {"RelationshipRecord"}, 2000) or []) >= 8
    import_lists("gleif", [LEI, RR, REPEX], tmp_path / "pieces")
    assert in_pieces[0] is not None and in_pieces[1] is not None  # LEI and RR in pieces
    assert files_of(tmp_path / "pieces") == files_of(expected)


def test_surprises_in_a_parallel_read_fall_back_to_one_stream(tmp_path, in_pieces) -> None:
    """A piece with a problem, or cut where a record does not end (an end tag in a
    comment), makes the file read in one stream: the problems are reported exactly as
    then, with file, record and field, and nothing is written."""
    bad = broken(
        tmp_path,
        RR,
        "<rr:NodeID>549300JB1P61FUTPEZ75</rr:NodeID>",
        "<rr:NodeID>549300JB1P61FUTPEZ76</rr:NodeID>",
    )
    errors = [str(e) for e in problems("gleif", [LEI, bad], tmp_path)]
    assert any("RelationshipRecord 5" in t and "EndNode/NodeID" in t for t in errors), errors
    assert in_pieces[-1] is None and not (tmp_path / "pkg").exists()
    commented = broken(
        tmp_path,
        RR,
        "</rr:RelationshipRecord>\n",
        "</rr:RelationshipRecord>\n<!-- " + "x" * 2100 + " </rr:RelationshipRecord> -->\n",
        name="rr-commented-2023-11-06.xml",
    )
    report = import_lists("gleif", [LEI, commented], tmp_path / "commented")
    assert in_pieces[-1] is None
    assert report.rows == import_lists("gleif", [LEI, RR], tmp_path / "plain").rows
    unclosed = broken(tmp_path, RR, "</rr:RelationshipType>", "</rr:Relationship>", "rr-x.xml")
    (error,) = problems("gleif", [unclosed], tmp_path)
    assert "rr-x.xml" in str(error) and "not well-formed" in str(error) and error.row
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><rr:RelationshipData '
        'xmlns:rr="http://www.gleif.org/data/schema/rr/2016"><rr:RelationshipRecords>'
        + "<rr:RelationshipRecord>&a;</rr:RelationshipRecord>" * 100
        + "</rr:RelationshipRecords></rr:RelationshipData>",
        encoding="utf-8",
    )
    assert "refused" in str(problems("gleif", [bomb], tmp_path)[0])


STATUS = "      <rr:RelationshipStatus>ACTIVE</rr:RelationshipStatus>\n"


def in_sixth(text: str, old: str, new: str) -> str:
    """``text`` with the first ``old`` of its sixth record (in a middle piece) made ``new``."""
    at = -1
    for _ in range(6):
        at = text.index("<rr:RelationshipRecord ", at + 1)
    at = text.index(old, at)
    return text[:at] + new + text[at + len(old) :]


FAST_WAY_VARIANTS = {  # name: (how the relationship file is changed, read the fast way?)
    "as published": (lambda t: t, True),
    "CRLF line ends": (lambda t: t.replace("\n", "\r\n"), True),
    "values padded with white space": (
        lambda t: t.replace("<rr:RelationshipType>", "<rr:RelationshipType>\n  ").replace(
            "</rr:RelationshipType>", " \t</rr:RelationshipType>"
        ),
        True,
    ),
    "a default namespace, no prefix": (
        lambda t: t.replace("xmlns:rr=", "xmlns=").replace("rr:", ""),
        True,
    ),
    "a character reference": (
        lambda t: in_sixth(t, "<rr:RelationshipStatus>A", "<rr:RelationshipStatus>&#65;"),
        False,
    ),
    "an attribute": (lambda t: in_sixth(t, "<rr:NodeID>", '<rr:NodeID xml:lang="en">'), False),
    "a comment": (lambda t: in_sixth(t, STATUS, "<!-- a note -->\n" + STATUS), False),
    "CDATA": (
        lambda t: in_sixth(
            t, "<rr:RelationshipStatus>ACTIVE<", "<rr:RelationshipStatus><![CDATA[ACTIVE]]><"
        ),
        False,
    ),
    "elements out of the schema's order": (
        lambda t: in_sixth(
            in_sixth(t, STATUS, ""),
            "      <rr:RelationshipType>",
            STATUS + "      <rr:RelationshipType>",
        ),
        False,
    ),
    "a period's tags with white space before their >": (
        lambda t: in_sixth(
            in_sixth(t, "<rr:RelationshipPeriod>", "<rr:RelationshipPeriod >"),
            "</rr:RelationshipPeriod>",
            "</rr:RelationshipPeriod\n>",
        ),
        False,
    ),
    "an empty element written short": (
        lambda t: in_sixth(t, "<rr:PeriodType>", "<rr:EndDate/><rr:PeriodType>"),
        False,
    ),
}


@pytest.mark.parametrize("variant", FAST_WAY_VARIANTS)
def test_relationship_pieces_read_the_fast_way_give_what_the_tree_gives(
    tmp_path, in_pieces, monkeypatch, variant
) -> None:
    """issue 17 (GLEIF at 50,000 records/s): the middle pieces of a relationship file
    are read with patterns instead of a tree; a record in any form the patterns do not
    read sends its piece through the tree. Either way the package is the one a single
    stream writes."""
    from sanctiongraph.imports import gleif, xmlstream

    change, fast = FAST_WAY_VARIANTS[variant]
    path = tmp_path / "rr-2023-11-06.xml"
    path.write_bytes(change(RR.read_text(encoding="utf-8")).encode())
    middle = (xmlstream.split(path, gleif.RECORDS, 2000) or [])[1:-1]
    assert len(middle) >= 6
    readings = [gleif._read_relationship_piece(piece) for piece in middle]
    # the piece with the change, if any, goes through the tree, and only that one
    assert readings.count(None) == (0 if fast else 1)
    with monkeypatch.context() as small_files:
        small_files.setattr(xmlstream, "PARALLEL_MIN_BYTES", 1 << 40)
        expected = tmp_path / "one-stream"
        import_lists("gleif", [LEI, path], expected)
    import_lists("gleif", [LEI, path], tmp_path / "pieces")
    assert in_pieces[-1] is not None  # read in pieces, no fallback to one stream
    assert files_of(tmp_path / "pieces") == files_of(expected)
    (parent,) = by(rows(expected, "ownership.csv"), owned="lei:097900BHF50000076475")
    assert parent["owner"] == VUB and parent["start"] == "2022-10-24"


def test_well_formed_checks_a_piece_without_building_a_tree() -> None:
    from sanctiongraph.imports.xmlstream import well_formed

    assert well_formed(b"<a><b>x &amp; &#65;</b></a>")
    assert not well_formed(b"<a><b>x</a>")  # mismatched tags
    assert not well_formed(b"<a>&undeclared;</a>")
    assert not well_formed(b"<a><!DOCTYPE a></a>")
    assert not well_formed(b"<a>\xff</a>")  # not UTF-8
