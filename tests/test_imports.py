"""``sanctiongraph import``: published lists into a data package (issue 17, items 1-3, 6).

Every test runs on trimmed real files (tests/fixtures/imports/SOURCE.md) or on a copy
of them with one thing broken, and checks the rows the package gets, that the package
reads back without an input error, and that bad input writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import RDF

from sanctiongraph.cli import cli
from sanctiongraph.imports import FORMATS, import_lists
from sanctiongraph.ingest import IngestError, read_source
from sanctiongraph.namespaces import ID, REF, SG

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
SDN = FIXTURES / "ofac-csv" / "sdn"
CONS = FIXTURES / "ofac-csv" / "cons"
HISTORY = FIXTURES / "ofac-csv" / "history"
ADVANCED = FIXTURES / "ofac-advanced" / "cons_advanced.xml"
UN = FIXTURES / "un" / "UN_consolidated.xml"
SDN_XML = FIXTURES / "ofac-xml" / "sdn.xml"
SDN_XML_OLD = FIXTURES / "ofac-xml" / "sdn-tempuri-2023-05-01.xml"


def rows(folder: Path, file: str) -> list[dict[str, str]]:
    path = folder / file
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def imported(
    fmt: str, paths: list[Path], tmp_path: Path, published: date | None = None, name: str = "pkg"
) -> Path:
    """Import, then read the package back as validate and load do: no input error."""
    output = tmp_path / name
    import_lists(fmt, paths, output, published)
    read_source(output)
    return output


def problems(fmt: str, paths: list[Path], tmp_path: Path, published: date | None = None):
    output = tmp_path / "out"
    with pytest.raises(IngestError) as caught:
        import_lists(fmt, paths, output, published)
    assert not output.exists(), "nothing may be written on bad input"
    return caught.value.errors


def by(table: list[dict[str, str]], **match: str) -> list[dict[str, str]]:
    return [r for r in table if all(r.get(k) == v for k, v in match.items())]


def test_every_issue_format_of_this_slice_is_registered() -> None:
    assert {"ofac-csv", "ofac-advanced", "ofac-xml", "un"} <= set(FORMATS)


# --- ofac-csv: the SDN set with companions --------------------------------------------


def test_sdn_csv_entities_programs_and_identifiers(tmp_path) -> None:
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    entities = {r["id"]: r for r in rows(out, "entities.csv")}
    ftb = entities["ofac:15603"]
    assert ftb["name"] == "FOREIGN TRADE BANK OF THE DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA"
    assert (ftb["kind"], ftb["bic"], ftb["entry"]) == ("bank", "FTBDKPPY", "15603")
    # The address is in Pyongyang: that is where an office is, not where FTB is organised.
    assert (ftb["located_in"], ftb["jurisdiction"]) == ("KP", "")
    # Bank Saderat PLC: address London, registered in the UK (UK Company Number ...
    # (United Kingdom)): organised in GB, even though its programs are Iranian.
    saderat = entities["ofac:4642"]
    assert saderat["jurisdiction"] == "GB"
    assert by(
        rows(out, "identifiers.csv"),
        entity="ofac:4642",
        scheme="registration",
        value="01126618",
        country="GB",
    )
    # Several programs in one cell (IRAN] [SDGT] [IFSR), tags exactly as published.
    assert sorted(r["program"] for r in by(rows(out, "designations.csv"), entity="ofac:4642")) == [
        "IFSR",
        "IRAN",
        "SDGT",
    ]
    assert entities["ofac:18554"]["kind"] == "person"
    assert entities["ofac:18554"]["jurisdiction"] == "KP"  # a person's nationality
    assert "ofac:17069" not in entities  # the vessel is skipped (docs/imports.md)


def test_one_country_or_none(tmp_path) -> None:
    """A person's jurisdiction is its one nationality, an entity's ``located_in`` the one
    country of its addresses: none when they name two, or a place that is no country we
    know (it could be a second one)."""
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    entities = {r["id"]: r for r in rows(out, "entities.csv")}
    # 29892: "nationality Iran; alt. nationality Germany" (was DE: the last one won)
    assert (entities["ofac:29892"]["jurisdiction"], entities["ofac:29892"]["located_in"]) == (
        "",
        "AE",
    )
    # 7945: "nationality Jordan; nationality possibly Palestinian"
    assert entities["ofac:7945"]["jurisdiction"] == ""
    # 19929: addresses in "Region: Kafia Kingi" and the Central African Republic (was CF)
    assert entities["ofac:19929"]["located_in"] == ""
    # 18554: one nationality
    assert entities["ofac:18554"]["jurisdiction"] == "KP"


@pytest.mark.parametrize(
    ("places", "country"),
    [
        (["Iran", "iran", None, ""], "IR"),
        (["Iran", "Germany"], None),
        (["Iran", "undetermined"], None),
        (["Cote d Ivoire"], "CI"),
        (["Bahamas, The"], "BS"),
        (["China, Hong Kong Special Administrative Region", "HK"], "HK"),
        (["Kosovo"], None),  # no ISO 3166-1 code
        ([], None),
    ],
)
def test_one_country_of_places(places, country) -> None:
    from sanctiongraph.imports.ofac import one_country

    assert one_country(places) == country


def test_sdn_csv_nulls_crlf_and_end_byte(tmp_path) -> None:
    raw = (SDN / "SDN.CSV").read_bytes()
    assert raw.endswith(b"\r\n\x1a") and b"-0- " in raw  # the traps are in the fixture
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    text = "".join(
        (out / f).read_text()
        for f in ("entities.csv", "designations.csv", "aliases.csv", "identifiers.csv")
    )
    assert "-0-" not in text and "\x1a" not in text and "\r" not in text
    # The last record of the file (before 0x1A) is read like every other.
    last = raw.rstrip(b"\x1a").split(b"\r\n")[-2].split(b",", 1)[0].decode()
    assert any(r["id"] == f"ofac:{last}" or last == "17069" for r in rows(out, "entities.csv"))


def test_remarks_continued_in_the_comments_file(tmp_path) -> None:
    """28264's remark is cut at 1,000 characters; the rest, with its Linked To, is in
    SDN_COMMENTS.CSV."""
    main = (SDN / "SDN.CSV").read_text()
    assert "LAZARUS" not in next(line for line in main.splitlines() if line.startswith("28264,"))
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    assert by(rows(out, "links.csv"), entity="ofac:28264", linked_to="ofac:27307")
    assert by(rows(out, "aliases.csv"), entity="ofac:28264", name="khaleesi", weak="true")


def test_linked_to_names_an_entry_by_its_name(tmp_path) -> None:
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    links = rows(out, "links.csv")
    assert by(links, entity="ofac:18554", linked_to="ofac:15603")
    assert by(links, entity="ofac:22583", linked_to="ofac:15603")
    # "Linked To: SUN, Wei." names no entry of the file: no link, and not ownership.
    assert len(by(links, entity="ofac:22583")) == 1
    assert not rows(out, "ownership.csv")


def test_companions_are_found_in_any_letter_case(tmp_path) -> None:
    folder = tmp_path / "lower"
    folder.mkdir()
    for path in SDN.iterdir():
        shutil.copy(path, folder / path.name.lower())
    upper = imported("ofac-csv", [SDN / "SDN.CSV"], tmp_path, date(2021, 7, 7), "upper")
    lower = imported("ofac-csv", [folder / "sdn.csv"], tmp_path, date(2021, 7, 7), "lower_pkg")
    for file in ("entities.csv", "aliases.csv", "identifiers.csv", "links.csv"):
        assert rows(upper, file) == rows(lower, file)
    assert by(rows(lower, "aliases.csv"), entity="ofac:25578")  # from alt.csv


def test_provenance_of_every_fact(tmp_path) -> None:
    out = imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    (publication,) = rows(out, "publications.csv")
    assert publication == {
        "id": "sdn-2021-07-07",
        "list": "SDN",
        "file": "SDN.CSV",
        "published": "2021-07-07",
        "sha256": hashlib.sha256((SDN / "SDN.CSV").read_bytes()).hexdigest(),
        "companions": ";".join(
            f"{name}={hashlib.sha256((SDN / name).read_bytes()).hexdigest()}"
            for name in ("ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV")
        ),
    }
    for file in ("entities.csv", "designations.csv", "aliases.csv", "identifiers.csv", "links.csv"):
        table = rows(out, file)
        assert table and all(r["publication"] == "sdn-2021-07-07" and r["entry"] for r in table)
    source = read_source(out)
    designation = next(
        t.subject
        for t in source.triples
        if t.predicate.value == str(SG.designates)
        and t.object.value == str(ID["entity/ofac:15603"])
    )
    triples = set(source.triples)
    assert (
        ox.Triple(
            designation,
            ox.NamedNode(str(SG.fromPublication)),
            ox.NamedNode(str(ID["publication/sdn-2021-07-07"])),
        )
        in triples
    )
    assert ox.Triple(designation, ox.NamedNode(str(SG.entryNumber)), ox.Literal("15603")) in triples
    # the aliases and addresses rest on the companion files: each is named and hashed
    publication = ox.NamedNode(str(ID["publication/sdn-2021-07-07"]))
    for name in ("ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV"):
        digest = hashlib.sha256((SDN / name).read_bytes()).hexdigest()
        node = ox.NamedNode(str(ID[f"publication/sdn-2021-07-07/file/{digest}"]))
        assert {
            ox.Triple(publication, ox.NamedNode(str(SG.companionFile)), node),
            ox.Triple(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(SG.PublishedFile))),
            ox.Triple(node, ox.NamedNode(str(SG.fileName)), ox.Literal(name)),
            ox.Triple(node, ox.NamedNode(str(SG.sha256)), ox.Literal(digest)),
        } <= triples
    assert sum(t.predicate.value == str(SG.companionFile) for t in triples) == 3


def test_each_file_is_read_once_and_hashed_as_read(tmp_path, monkeypatch) -> None:
    """The digest is of the bytes the records came from: a second read could see a file
    replaced in between (a publication's records with the next one's digest)."""
    reads: list[str] = []
    open_file = Path.open  # Path.read_bytes opens the file with it too

    def counted_open(self: Path, *args, **kwargs):
        if self.parent == SDN:
            reads.append(self.name)
        return open_file(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted_open)
    imported("ofac-csv", [SDN], tmp_path, date(2021, 7, 7))
    assert sorted(reads) == ["ADD.CSV", "ALT.CSV", "SDN.CSV", "SDN_COMMENTS.CSV"]


# --- ofac-csv: the consolidated list -------------------------------------------------


@pytest.mark.parametrize(
    ("remarks", "section"),
    [
        (  # Bank of Kunlun's, as published
            "U.S. financial institutions are prohibited from opening or maintaining a "
            "correspondent account or a payable-through account for the foreign financial "
            "institution listed here, pursuant to 31 C.F.R. section 561.201(c).",
            "31 CFR 561.201(c)",
        ),
        (  # another section cited before the measure's sentence is not the CAPTA authority
            "Listed pursuant to 31 C.F.R. section 594.201. U.S. financial institutions are "
            "prohibited from opening or maintaining a correspondent account for it, pursuant "
            "to 31 CFR 510.210(a)(1).",
            "31 CFR 510.210(a)(1)",
        ),
        ("Listed pursuant to 31 C.F.R. section 561.201(c).", None),  # states no measure
        ("prohibited from opening or maintaining a correspondent account.", None),
    ],
)
def test_the_section_a_capta_entry_names(remarks: str, section: str | None) -> None:
    from sanctiongraph.imports.ofac import capta_authority

    assert capta_authority(remarks) == section


def test_capta_entry_of_bank_of_kunlun(tmp_path) -> None:
    out = imported("ofac-csv", [CONS], tmp_path, date(2025, 12, 19))
    (kunlun,) = by(rows(out, "designations.csv"), entity="ofac:15268")
    # 561-Related names no section: the remarks do ("pursuant to 31 C.F.R. section 561.201(c)")
    assert (kunlun["list"], kunlun["program"], kunlun["measure"], kunlun["source"]) == (
        "CAPTA",
        "561-Related",
        "prohibit_maintain",
        "31 CFR 561.201(c)",
    )
    entity = by(rows(out, "entities.csv"), id="ofac:15268")[0]
    assert (entity["kind"], entity["bic"], entity["located_in"]) == ("bank", "CKLBCNBJ", "CN")
    # A stated "Listing Date (EO 14024 Directive 2): 24 Feb 2022" is used, and said so.
    (sber,) = by(rows(out, "designations.csv"), entity="ofac:17018", program="RUSSIA-EO14024")
    assert (sber["start"], sber["start_basis"], sber["possibly_from"]) == (
        "2022-02-24",
        "stated",
        "",
    )
    assert by(rows(out, "links.csv"), entity="ofac:17017", linked_to="ofac:17013")


# --- publications and histories ------------------------------------------------------


def test_history_of_four_publications(tmp_path) -> None:
    out = imported("ofac-csv", [HISTORY], tmp_path)
    assert [r["published"] for r in rows(out, "publications.csv")] == [
        "2021-08-18",
        "2022-03-01",
        "2022-12-02",
        "2023-06-01",
    ]
    designations = rows(out, "designations.csv")
    # Listed in every publication: from the first on, unknown (possibly listed) before it.
    (ftb,) = by(designations, entity="ofac:15603", program="NPWMD")
    assert (ftb["start"], ftb["start_basis"], ftb["possibly_from"], ftb["end"]) == (
        "2021-08-18",
        "publications",
        "open",
        "",
    )
    assert ftb["publication"].count(";") == 3
    # Appeared between 2022-03-01 and 2022-12-02: possibly listed in between. (Its
    # "Listing Date (EO 14024 Directive 2)" remark dates a directive, not the SDN listing.)
    sber = by(designations, entity="ofac:17018")
    assert sber and all(
        (r["start"], r["possibly_from"]) == ("2022-12-02", "2022-03-02") for r in sber
    )
    # Left between the same two: listed until 2022-03-01, possibly until 2022-12-02.
    left = [r for r in designations if r["entity"] == "ofac:7508"]
    assert left and all(
        (r["end"], r["end_basis"], r["possibly_until"])
        == ("2022-03-02", "publications", "2022-12-02")
        for r in left
    )
    source = read_source(out)
    assert any(t.predicate.value == str(SG.possiblyUntil) for t in source.triples)


def _publication(folder: Path, day: str, edit=None, companions=("add", "alt", "sdn_comments")):
    """The SDN fixture as the publication of ``day`` (``sdn-<day>.csv`` and its dated
    companions), ``edit`` applied to the main file's bytes."""
    folder.mkdir(exist_ok=True)
    main = (SDN / "SDN.CSV").read_bytes()
    (folder / f"sdn-{day}.csv").write_bytes(edit(main) if edit else main)
    for role in companions:
        shutil.copy(SDN / f"{role.upper()}.CSV", folder / f"{role}-{day}.csv")


def test_a_history_keeps_the_capta_section_a_later_record_does_not_state(tmp_path) -> None:
    """Bank of Kunlun's section is in its remarks; a later publication whose record does
    not state it (remarks cut, say) does not take it away from the run of publications."""
    files = tmp_path / "in"
    files.mkdir()
    for day, edit in (("2025-11-01", None), ("2025-12-19", b" pursuant to 31 C.F.R. section")):
        for path in CONS.iterdir():
            data = path.read_bytes()
            if path.name == "cons_prim.csv" and edit:
                assert edit in data
                data = data.replace(edit + b" 561.201(c)", b"")
            (files / path.name.replace(".csv", f"-{day}.csv")).write_bytes(data)
    out = imported("ofac-csv", sorted(files.glob("cons_prim-*.csv")), tmp_path)
    (kunlun,) = by(rows(out, "designations.csv"), entity="ofac:15268")
    assert kunlun["source"] == "31 CFR 561.201(c)"
    assert kunlun["publication"] == "cons-2025-11-01;cons-2025-12-19"


def test_history_drops_what_the_latest_record_no_longer_states(tmp_path) -> None:
    """An identifier the entry's later publication no longer states is dropped (a list
    entry is linked by it); a later publication without ALT.CSV says nothing of aliases,
    one without ADD.CSV nothing of addresses, and remarks cut with no comments file say
    nothing of what was cut."""
    files = tmp_path / "in"
    _publication(files, "2021-07-07")
    _publication(
        files,
        "2021-09-01",
        edit=lambda main: main.replace(b'"SWIFT/BIC FTBDKPPY; ', b'"'),
        companions=(),  # no ADD.CSV, ALT.CSV, SDN_COMMENTS.CSV: 28264's remarks are cut
    )
    report = import_lists("ofac-csv", [files], tmp_path / "pkg")
    out = tmp_path / "pkg"
    identifiers = rows(out, "identifiers.csv")
    assert not by(identifiers, entity="ofac:15603", value="FTBDKPPY")
    (ftb,) = by(rows(out, "entities.csv"), id="ofac:15603")
    assert not ftb["bic"]
    assert ftb["located_in"] == "KP"  # no ADD.CSV in the second: its address stands
    assert report.notes["identifiers.csv rows the entry's latest publication no longer states"] == 1
    # ALT.CSV only in the first: its aliases stand, citing it
    (alias,) = by(rows(out, "aliases.csv"), entity="ofac:15603", name="MOOYOKBANK")
    assert alias["publication"] == "sdn-2021-07-07"
    # 28264's remarks continue in SDN_COMMENTS.CSV only in the first; in the second they
    # are cut before its "Linked To: LAZARUS GROUP", which stays
    (link,) = by(rows(out, "links.csv"), entity="ofac:28264")
    assert (link["linked_to"], link["publication"]) == ("ofac:27307", "sdn-2021-07-07")
    assert any("entry 28264: remarks cut" in w for w in report.warnings)
    read_source(out)


def _read(code: str, day: str, parties: list) -> object:
    from sanctiongraph.imports.model import Publication, ReadList

    published = date.fromisoformat(day)
    pub = Publication(f"{code.lower()}-{day}", code, code, f"{code}-{day}.csv", published, "")
    return ReadList(pub, {p.id: p for p in parties})


def _party(number: str, bic: str | None = None, owners: tuple[str, ...] = ()) -> object:
    from sanctiongraph.imports.model import Listing, Party

    return Party(
        f"ofac:{number}",
        number,
        f"ENTRY {number}",
        "company",
        identifiers=[("bic", bic, None)] if bic else [],
        listings=[Listing("SDN", "SDGT")],
        controlled_by=[f"ofac:{o}" for o in owners],
    )


def test_history_reads_sdn_and_consolidated_publications_as_one_record() -> None:
    """An entry on the SDN and a non-SDN list is in both lists' files: one holding, not
    one per list (the package would refuse the repeated row), and a BIC the later file
    of either list no longer states is dropped."""
    from sanctiongraph.imports.history import build_tables
    from sanctiongraph.imports.model import Problems

    same_day = [
        _read("SDN", "2024-01-01", [_party("1"), _party("2", owners=("1",))]),
        _read("CONS", "2024-01-01", [_party("1"), _party("2", owners=("1",))]),
    ]
    tables = build_tables(same_day, Problems())
    (holding,) = tables.rows["ownership.csv"]
    assert (holding["owner"], holding["owned"], holding.get("start"), holding.get("end")) == (
        "ofac:1",
        "ofac:2",
        None,
        None,
    )
    assert holding["publication"] == "sdn-2024-01-01;cons-2024-01-01"
    later = [
        _read("SDN", "2024-01-01", [_party("3", bic="ABCDKPPY")]),
        _read("CONS", "2024-06-01", [_party("3")]),
    ]
    tables = build_tables(later, Problems())
    assert not tables.rows["identifiers.csv"]
    ended = [
        _read("SDN", "2024-01-01", [_party("1"), _party("2", owners=("1",))]),
        _read("CONS", "2024-06-01", [_party("1"), _party("2")]),
    ]
    (holding,) = build_tables(ended, Problems()).rows["ownership.csv"]
    assert (holding.get("start"), holding["end"]) == (None, "2024-06-01")


def test_history_dates_a_holding_by_the_publications_of_its_entry(tmp_path) -> None:
    """An "Owned or Controlled By" relationship that a later publication of the entry
    no longer states ends on that publication's date; one it newly states starts the day
    after the one before (it may have held from then)."""
    import re

    text = ADVANCED.read_text(encoding="utf-8")
    relation = re.compile(r'\s*<ProfileRelationship ID="2211".*?</ProfileRelationship>', re.S)
    assert relation.search(text)  # 17022 controls 18267
    (tmp_path / "cons_advanced-2020-03-17.xml").write_text(relation.sub("", text), encoding="utf-8")
    (tmp_path / "cons_advanced-2020-06-01.xml").write_text(text, encoding="utf-8")
    (tmp_path / "cons_advanced-2020-09-01.xml").write_text(relation.sub("", text), encoding="utf-8")
    out = imported(
        "ofac-advanced", sorted(tmp_path.glob("cons_advanced-*.xml")), tmp_path, name="pkg"
    )
    holdings = rows(out, "ownership.csv")
    (dated,) = by(holdings, owner="ofac:17022", owned="ofac:18267")
    assert (dated["start"], dated["end"], dated["publication"]) == (
        "2020-03-18",
        "2020-09-01",
        "cons-2020-06-01",
    )
    (always,) = by(holdings, owner="ofac:17015", owned="ofac:18268")
    assert (always["start"], always["end"]) == ("", "")
    assert always["publication"] == "cons-2020-03-17;cons-2020-06-01;cons-2020-09-01"


def test_publication_dates(tmp_path) -> None:
    errors = problems("ofac-csv", [SDN], tmp_path)
    assert [e.file for e in errors] == ["SDN.CSV"]
    assert "--published" in errors[0].message
    # Two publications of one list on one date cannot make a history.
    copy = tmp_path / "two"
    copy.mkdir()
    shutil.copy(HISTORY / "sdn-2021-08-18.csv", copy / "sdn-2021-08-18.csv")
    shutil.copy(HISTORY / "sdn-2022-03-01.csv", copy / "sdn-2022-03-01.csv")
    errors = problems("ofac-csv", [copy], tmp_path, date(2022, 1, 1))
    assert "two publications of the SDN list on 2022-01-01" in errors[0].message


# --- ofac-advanced ------------------------------------------------------------------


def test_advanced_xml_stated_dates_lists_and_control(tmp_path) -> None:
    out = imported("ofac-advanced", [ADVANCED], tmp_path)
    assert rows(out, "publications.csv")[0]["published"] == "2020-03-17"  # DateOfIssue
    designations = rows(out, "designations.csv")
    (kunlun,) = by(designations, entity="ofac:15268")
    assert (
        kunlun["list"],
        kunlun["program"],
        kunlun["start"],
        kunlun["start_basis"],
        kunlun["measure"],
        kunlun["source"],
    ) == ("CAPTA", "561-Related", "2019-03-14", "stated", "prohibit_maintain", "31 CFR 561.201(c)")
    assert not kunlun.get("possibly_from")  # the file states the date
    assert not by(designations, list="CONSOLIDATED_LIST")  # the umbrella list is skipped
    # "Owned or Controlled By" is control, never a made-up percentage.
    holdings = rows(out, "ownership.csv")
    assert by(holdings, owner="ofac:17022", owned="ofac:18267", kind="controls")
    assert all("percent" not in r for r in holdings)
    entity = by(rows(out, "entities.csv"), id="ofac:15268")[0]
    assert (entity["bic"], entity["kind"]) == ("CKLBCNBJ", "bank")
    assert by(
        rows(out, "aliases.csv"),
        entity="ofac:15268",
        name="KARAMAY CITY COMMERCIAL BANK CO LTD.",
        kind="fka",
    )


def test_advanced_xml_pairs_each_list_with_its_own_programs(tmp_path) -> None:
    """Rosneft Trading's SDN and SSI entries each carry UKRAINE-EO13662 and
    VENEZUELA-EO13850: the SSI tag goes with the SSI listing, the other with the SDN one
    (it was written on both: an SDN listing under the Ukraine directive program)."""
    out = imported("ofac-advanced", [ADVANCED], tmp_path)
    rosneft = by(rows(out, "designations.csv"), entity="ofac:18299")
    assert sorted((d["list"], d["program"], d["start"]) for d in rosneft) == [
        ("SDN", "VENEZUELA-EO13850", "2020-02-18"),
        ("SSI", "UKRAINE-EO13662", "2015-07-30"),
    ]


@pytest.mark.parametrize(
    ("programs_of", "own"),
    [
        (  # a non-SDN tag stays with its list; the SDN List takes the rest
            {"SDN": {"SDGT", "NS-PLC"}, "NS_PLC": {"SDGT", "NS-PLC"}},
            {"SDN": {"SDGT"}, "NS_PLC": {"NS-PLC"}},
        ),
        (  # RUSSIA-EO14024 is an SDN tag too: both keep it
            {"SDN": {"RUSSIA-EO14024"}, "NS_MBS": {"RUSSIA-EO14024"}},
            {"SDN": {"RUSSIA-EO14024"}, "NS_MBS": {"RUSSIA-EO14024"}},
        ),
        (  # Gazprombank: SDN, SSI and NS-MBS entries, each with both tags
            {
                "SDN": {"UKRAINE-EO13662", "RUSSIA-EO14024"},
                "SSI": {"UKRAINE-EO13662", "RUSSIA-EO14024"},
                "NS_MBS": {"UKRAINE-EO13662", "RUSSIA-EO14024"},
            },
            {"SDN": {"RUSSIA-EO14024"}, "SSI": {"UKRAINE-EO13662"}, "NS_MBS": {"RUSSIA-EO14024"}},
        ),
        (  # not on the list a tag names: the tag stays
            {"SDN": {"UKRAINE-EO13662", "RUSSIA-EO14024"}},
            {"SDN": {"UKRAINE-EO13662", "RUSSIA-EO14024"}},
        ),
        ({"CAPTA": {"561-Related"}}, {"CAPTA": {"561-Related"}}),
    ],
)
def test_own_programs_of_an_entrys_lists(programs_of, own) -> None:
    from sanctiongraph.imports.ofac import own_programs

    assert own_programs(programs_of) == own


def test_consolidated_csv_says_which_tags_are_of_no_non_sdn_list(tmp_path) -> None:
    report = import_lists("ofac-csv", [CONS], tmp_path / "pkg", date(2025, 12, 19))
    rosneft = by(rows(tmp_path / "pkg", "designations.csv"), entity="ofac:18299")
    assert sorted((d["list"], d["program"]) for d in rosneft) == [
        ("CONS", "VENEZUELA-EO13850"),  # as published: never guessed to be SDN
        ("SSI", "UKRAINE-EO13662"),
    ]
    (warning,) = [w for w in report.warnings if "of no non-SDN list" in w]
    assert "cons_prim.csv: 1 entry carries" in warning and "18299 (VENEZUELA-EO13850)" in warning
    assert "import the SDN List" in warning
    # VTB (17013): RUSSIA-EO14024, an NS-MBS tag and an SDN program, beside SSI's tag
    vtb = by(rows(tmp_path / "pkg", "designations.csv"), entity="ofac:17013")
    assert sorted((d["list"], d["program"]) for d in vtb) == [
        ("NS_MBS", "RUSSIA-EO14024"),  # as published
        ("SSI", "UKRAINE-EO13662"),
    ]
    (both,) = [w for w in report.warnings if "a tag the SDN List uses too" in w]
    assert "17013 (RUSSIA-EO14024)" in both and "written on NS_MBS as published" in both
    assert "31695" not in both  # the Central Bank of Russia: RUSSIA-EO14024 alone, NS-MBS
    (cbr,) = by(rows(tmp_path / "pkg", "designations.csv"), entity="ofac:31695")
    assert (cbr["list"], cbr["program"]) == ("NS_MBS", "RUSSIA-EO14024")


def test_advanced_xml_registry_number_with_its_country_in_parentheses(tmp_path) -> None:
    """OFAC writes some numbers as "1026303117642 (Russia)", with no IssuedBy-CountryID:
    the country is read from the parentheses, as in the remarks of the legacy files."""
    text = (
        ADVANCED.read_text(encoding="utf-8")
        .replace(
            '<IDRegDocument ID="18875" IDRegDocTypeID="91761" IdentityID="10023" '
            'IssuedBy-CountryID="11196" ValidityID="1">',
            '<IDRegDocument ID="18875" IDRegDocTypeID="91761" IdentityID="10023" ValidityID="1">',
        )
        .replace(
            "CH-660.0.257.011-8</IDRegistrationNo>",
            "CH-660.0.257.011-8 (Switzerland)</IDRegistrationNo>",
        )
    )
    assert "(Switzerland)" in text
    copy = tmp_path / "cons_advanced.xml"
    copy.write_text(text, encoding="utf-8")
    out = imported("ofac-advanced", [copy], tmp_path)
    assert by(
        rows(out, "identifiers.csv"), entity="ofac:18299", value="CH-660.0.257.011-8", country="CH"
    )


def test_registry_numbers_and_national_ids_in_remarks() -> None:
    from sanctiongraph.imports.ofac import jurisdiction_of, read_remarks

    remarks = read_remarks(
        "Unified Social Credit Code (USCC) 91110000100010433L (China); Matricula Mercantil "
        "No 1234567 (Colombia); Business Registration Document # J-123 (Venezuela)"
    )
    assert remarks.identifiers == [
        ("registration", "91110000100010433L", "CN"),
        ("registration", "1234567", "CO"),
        ("registration", "J-123", "VE"),
    ]
    assert jurisdiction_of(remarks, "company") is None  # three countries
    company = read_remarks("National ID No. 9614 (Iran); all offices worldwide")
    assert company.identifiers == [("national_id", "9614", "IR")]
    assert jurisdiction_of(company, "company") == "IR"  # 11618 National Petrochemical Co.
    person = read_remarks("nationality Germany; National ID No. 0037251910 (Iran)")
    assert jurisdiction_of(person, "person") == "DE"  # a person's is its nationality


def test_advanced_xml_problems_name_the_element(tmp_path) -> None:
    text = ADVANCED.read_text()
    broken = tmp_path / "cons_advanced.xml"
    broken.write_text(
        text.replace('ProfileID="15268"', 'ProfileID="99999999"', 1).replace(
            'To-ProfileID="17022"', 'To-ProfileID="88888888"', 1
        )
    )
    errors = problems("ofac-advanced", [broken], tmp_path)
    assert {(e.file, e.column) for e in errors} == {
        ("cons_advanced.xml", "ProfileID"),
        ("cons_advanced.xml", "To-ProfileID"),
    }
    assert all("SanctionsEntry" in e.message or "ProfileRelationship" in e.message for e in errors)
    torn = tmp_path / "torn" / "cons_advanced.xml"
    torn.parent.mkdir()
    torn.write_text(text[: len(text) // 2])
    (error,) = problems("ofac-advanced", [torn], tmp_path)
    assert "not well-formed" in error.message and error.row


def test_xml_entities_are_refused(tmp_path) -> None:
    evil = tmp_path / "sdn-2024-01-01.xml"
    evil.write_text(
        '<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY a "aaaaaaaaaa">]>'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&a;</lastName></sdnEntry></sdnList>"
    )
    (error,) = problems("ofac-xml", [evil], tmp_path)
    assert "refused" in error.message


# --- ofac-xml: both namespaces --------------------------------------------------------


def test_sdn_xml_in_both_namespaces(tmp_path) -> None:
    new = imported("ofac-xml", [SDN_XML], tmp_path, name="new")
    old = imported("ofac-xml", [SDN_XML_OLD], tmp_path, date(2023, 6, 1), name="old")
    for file in ("entities.csv", "aliases.csv", "identifiers.csv", "links.csv"):
        assert rows(new, file) == rows(old, file)
    assert rows(new, "publications.csv")[0]["published"] == "2023-06-01"  # Publish_Date
    entities = {r["id"]: r for r in rows(new, "entities.csv")}
    assert (
        entities["ofac:15603"]["bic"],
        entities["ofac:15603"]["located_in"],
        entities["ofac:15603"]["jurisdiction"],
    ) == ("FTBDKPPY", "KP", "")
    assert entities["ofac:4642"]["jurisdiction"] == "GB"
    assert entities["ofac:18554"]["name"] == "KIM, Kyong Nam"
    assert by(rows(new, "aliases.csv"), entity="ofac:15603", name="FTB", weak="true")
    assert by(rows(new, "links.csv"), entity="ofac:18554", linked_to="ofac:15603")
    together = imported("ofac-xml", [SDN_XML_OLD, SDN_XML], tmp_path, name="both")
    assert len(rows(together, "publications.csv")) == 2
    other = tmp_path / "sdn-2023-01-01.xml"
    other.write_text(
        SDN_XML.read_text().replace(
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML",
            "urn:example:not-ofac",
        )
    )
    (error,) = problems("ofac-xml", [other], tmp_path)
    assert "unknown namespace" in error.message


# --- un ------------------------------------------------------------------------------


def test_un_list(tmp_path) -> None:
    out = imported("un", [UN], tmp_path)
    entities = {r["id"]: r for r in rows(out, "entities.csv")}
    assert entities["un:KPe.047"]["bic"] == "FTBDKPPY"
    assert "un:KPe.023" in entities  # its REFERENCE_NUMBER ends with a space
    designations = {r["entity"]: r for r in rows(out, "designations.csv")}
    assert (
        designations["un:KPe.047"]["list"],
        designations["un:KPe.047"]["program"],
        designations["un:KPe.047"]["start"],
        designations["un:KPe.047"]["start_basis"],
    ) == ("UN", "UN-DPRK", "2017-08-05", "stated")
    assert designations["un:IRe.007"]["program"] == "UN-Iran"
    assert designations["un:QDi.352"]["start"] == "2015-04-07"  # LISTED_ON with a zone
    assert rows(out, "publications.csv")[0]["published"] == "2026-02-27"  # dateGenerated
    assert entities["un:KPi.001"]["jurisdiction"] == "KP"  # one NATIONALITY VALUE
    assert entities["un:QDi.029"]["jurisdiction"] == ""  # Jordan and the US (was JO)
    assert entities["un:KPe.017"]["located_in"] == "HK"  # "China, Hong Kong Special ..."


# --- bad input: every problem at once, nothing written -----------------------------------


def test_bad_legacy_csv_reports_everything_and_writes_nothing(tmp_path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(SDN, folder)
    lines = (folder / "SDN.CSV").read_bytes().split(b"\r\n")
    lines[0] = b"12AB" + lines[0][lines[0].index(b",") :]  # not a number
    lines[1] = lines[1].replace(b'"NPWMD"', b"-0- ", 1) if b'"NPWMD"' in lines[1] else lines[1]
    lines[2] = b"1,2,3"  # a short record
    (folder / "SDN.CSV").write_bytes(b"\r\n".join(lines))
    (folder / "ADD.CSV").write_bytes(
        (folder / "ADD.CSV").read_bytes() + b'777777,1,-0- ,-0- ,"Iran",-0- \r\n'
    )
    (output := tmp_path / "out").mkdir()  # an empty folder may be the output
    with pytest.raises(IngestError) as caught:
        import_lists("ofac-csv", [folder], output, date(2021, 7, 7))
    found = {(e.file, e.row, e.column) for e in caught.value.errors}
    assert ("SDN.CSV", 1, "ent_num") in found
    assert ("SDN.CSV", 3, None) in found
    assert any(f == "ADD.CSV" and c == "ent_num" for f, _, c in found)
    assert list(output.iterdir()) == []


def test_a_capta_entry_without_a_measure_is_reported_with_its_line(tmp_path) -> None:
    folder = tmp_path / "cons"
    shutil.copytree(CONS, folder)
    text = (folder / "cons_prim.csv").read_bytes()
    (folder / "cons_prim.csv").write_bytes(
        text.replace(b"prohibited from opening or maintaining", b"subject to conditions on")
    )
    line = next(
        n for n, row in enumerate(text.split(b"\r\n"), start=1) if row.startswith(b"15268,")
    )
    (error,) = problems("ofac-csv", [folder], tmp_path, date(2025, 12, 19))
    assert (error.file, error.row, error.column) == ("cons_prim.csv", line, "Remarks")
    assert "15268" in error.message


def test_a_file_that_yields_nothing_is_an_error(tmp_path) -> None:
    empty = tmp_path / "sdn-2024-01-01.csv"
    empty.write_bytes(b"\x1a")
    errors = problems("ofac-csv", [empty], tmp_path)
    assert any("no list entries" in e.message for e in errors)


def test_an_existing_output_is_never_overwritten(tmp_path) -> None:
    output = tmp_path / "taken"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    with pytest.raises(IngestError):
        import_lists("un", [UN], output)
    assert [p.name for p in output.iterdir()] == ["keep.txt"]
    with pytest.raises(IngestError) as caught:  # a file where the parent folder should be
        import_lists("un", [UN], output / "keep.txt" / "pkg")
    assert "cannot write here" in caught.value.errors[0].message


def test_cli_import_then_validate(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "import",
            "ofac-csv",
            str(CONS),
            "--output",
            str(tmp_path / "cons"),
            "--published",
            "2025-12-19",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "publication cons-2025-12-19" in result.output
    result = runner.invoke(cli, ["validate", str(tmp_path / "cons"), "--as-of", "2026-01-01"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["import", "ofac-csv", str(SDN), "--output", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--published" in result.output
    assert not (tmp_path / "x").exists()


# --- the data package's new files and columns ------------------------------------------


def test_a_companion_whose_name_cannot_be_recorded(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("SDN.CSV", "ADD.CSV"):
        shutil.copy(SDN / name, folder / name.replace(".CSV", ";1.CSV"))
    with pytest.raises(IngestError) as caught:
        import_lists("ofac-csv", [folder / "SDN;1.CSV"], tmp_path / "out", date(2021, 7, 7))
    assert [(e.file, e.message) for e in caught.value.errors] == [
        ("ADD;1.CSV", "a file name with ';' cannot be recorded: rename the file")
    ]
    assert not (tmp_path / "out").exists()


def test_new_package_columns_are_checked(tmp_path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "publications.csv").write_text(
        "id,list,file,published,sha256,companions\n"
        f"p1,SDN,SDN.CSV,2023-06-01,nothex,ADD.CSV={'a' * 64};ALT.CSV=nothex;\n"
    )
    (folder / "entities.csv").write_text(
        "id,name,kind,publication,entry\nofac:1,A BANK,bank,p1,1\nofac:2,B BANK,bank,p9,2\n"
    )
    (folder / "designations.csv").write_text(
        "entity,list,program,start,possibly_from,possibly_until\n"
        "ofac:1,SDN,CAATSA - RUSSIA,2023-06-01,open,\n"
        "ofac:1,SDN,DPRK,2023-06-01,,2023-07-01\n"
    )
    with pytest.raises(IngestError) as caught:
        read_source(folder)
    assert {(e.file, e.row, e.column) for e in caught.value.errors} == {
        ("publications.csv", 2, "sha256"),
        ("publications.csv", 2, "companions"),  # ALT.CSV=nothex
        ("entities.csv", 3, "publication"),
        ("designations.csv", 3, "possibly_until"),
    }
    assert any("'ALT.CSV=nothex' is not NAME=SHA256" in e.message for e in caught.value.errors)
    (folder / "publications.csv").write_text(  # an empty item and spaces are let be
        f"id,list,file,published,companions\np1,SDN,SDN.CSV,2023-06-01, ADD.CSV = {'a' * 64} ;\n"
    )
    (folder / "entities.csv").write_text("id,name,kind,publication\nofac:1,A BANK,bank,p1\n")
    (folder / "designations.csv").write_text(
        "entity,list,program,start,possibly_from\nofac:1,SDN,CAATSA - RUSSIA,2023-06-01,open\n"
    )
    triples = {(t.predicate.value, t.object.value) for t in read_source(folder).triples}
    assert (str(SG.underProgram), str(REF["program/CAATSA%20-%20RUSSIA"])) in triples
    assert (str(SG.possiblyFrom), "0001-01-01") in triples
    assert (str(SG.fileName), "ADD.CSV") in triples and (str(SG.sha256), "a" * 64) in triples


# --- item 6: no false all-clear --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bods.json", '[{"statementID": "x", "statementType": "entityStatement"}]', "import bods"),
        (
            "big-bods.json",
            '[\n  {\n    "statementId": "x",\n    "recordType": "entity",\n    "n": "'
            + "x" * 70000
            + '"}]',
            "import bods",
        ),
        ("lei.json", '{"data": [{"type": "lei-records", "id": "x"}]}', "import gleif"),
        ("ftm.jsonl", '{"id": "x", "schema": "Company", "properties": {}}\n', "import ftm"),
        ("plain.json", '{"name": "Bank Melli"}', "not JSON-LD"),
        (
            "lei.xml",
            '<?xml version="1.0"?><lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016"/>',
            "import gleif",
        ),
        ("list.xml", '<?xml version="1.0"?><CONSOLIDATED_LIST/>', "import un"),
        ("plain.xml", '<?xml version="1.0"?><banks><bank/></banks>', "plain XML"),
        ("SDN.CSV", '15603,"FOREIGN TRADE BANK",-0- ,"NPWMD",-0- \r\n', "import ofac-csv"),
        ("empty.ttl", "# nothing\n", "no RDF triples"),
        ("other.ttl", "<https://example.org/a> <https://example.org/b> 1 .\n", "vocabulary"),
    ],
)
def test_files_that_are_not_sources_are_input_errors(tmp_path, name, content, expected) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(IngestError) as caught:
        read_source(path)
    (error,) = caught.value.errors
    assert error.file == name and expected in error.message


def test_upper_case_csv_in_a_package_is_csv(tmp_path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "entities.CSV").write_text("id,name,kind,jurisdiction\nb1,A bank,bank,US\n")
    assert read_source(folder).size > 0
    (folder / "entities.csv").write_text("id,name,kind,jurisdiction\nb2,B bank,bank,US\n")
    with pytest.raises(IngestError) as caught:
        read_source(folder)
    assert [e.file for e in caught.value.errors] == ["entities.csv"]


def test_records_are_removed_from_the_tree_as_they_are_read() -> None:
    """What keeps a 130 MB advanced XML in little memory: once read, a record element
    is cleared and taken out of its parent."""
    from sanctiongraph.imports.model import Problems
    from sanctiongraph.imports.xmlstream import records

    problems_found = Problems()
    seen, root = 0, None
    for found_root, _element in records(
        ADVANCED, {"DistinctParty", "SanctionsEntry"}, problems_found
    ):
        seen, root = seen + 1, found_root  # the last root is read below
    assert seen == 7 + 15 and not problems_found.errors
    assert all(
        len(section) == 0
        for section in root
        if section.tag.endswith(("DistinctParties", "SanctionsEntries"))
    )


def test_un_problems_of_several_records_and_files_at_once(tmp_path) -> None:
    text = UN.read_text()
    broken = tmp_path / "un-2026-02-27.xml"
    broken.write_text(
        text.replace(
            "<LISTED_ON>2017-08-05</LISTED_ON>", "<LISTED_ON>5 Aug 2017</LISTED_ON>"
        ).replace(
            "<REFERENCE_NUMBER>IRe.007</REFERENCE_NUMBER>",
            "<REFERENCE_NUMBER>Iran 7</REFERENCE_NUMBER>",
        )
    )
    missing = tmp_path / "nowhere.xml"
    errors = problems("un", [broken, missing], tmp_path)
    assert {(e.file, e.column) for e in errors} == {
        ("un-2026-02-27.xml", "LISTED_ON"),
        ("un-2026-02-27.xml", "REFERENCE_NUMBER"),
        (str(missing), None),
    }
    assert any("KPe.047" in e.message for e in errors)  # the record is named


def test_a_finding_can_cite_the_publication(tmp_path) -> None:
    from sanctiongraph.imports.model import Publication

    publication = Publication(
        "sdn-2023-06-01", "SDN", "OFAC SDN List", "sdn.csv", date(2023, 6, 1), "0" * 64
    )
    assert publication.cite("15603") == "OFAC SDN List, publication of 2023-06-01, entry 15603"


def test_json_ld_in_our_vocabulary_is_still_a_source(tmp_path) -> None:
    path = tmp_path / "bank.json"
    path.write_text(
        '{"@context": {"sg": "https://w3id.org/sanctiongraph/ontology#"}, '
        '"@id": "https://w3id.org/sanctiongraph/id/entity/x", "@type": "sg:Bank"}'
    )
    assert len(read_source(path).triples) == 1


def test_reading_records_leaves_no_file_open() -> None:
    """The first look at a file (its root and document type) and a reading stopped
    early both close the file: no ResourceWarning (issue 17; the first look used to
    leave an ``iterparse`` and its file open)."""
    import gc
    import warnings

    from sanctiongraph.imports.model import Problems
    from sanctiongraph.imports.xmlstream import records

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reading = records(ADVANCED, {"DistinctParty"}, Problems())
        next(reading)
        reading.close()
        assert sum(1 for _ in records(ADVANCED, {"DistinctParty"}, Problems())) == 7
        del reading
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught


def test_large_packages_are_written_by_a_process_per_table(tmp_path, monkeypatch) -> None:
    """issue 17 (speed): above ``PARALLEL_MIN_ROWS`` rows each table is written by a
    forked process of its own; the files are the ones one process writes, and a table
    that cannot be written is an input error, with nothing left behind."""
    from sanctiongraph.imports import package

    one = imported("ofac-csv", [HISTORY], tmp_path, name="one")
    monkeypatch.setattr(package, "PARALLEL_MIN_ROWS", 0)
    written: list[object] = []
    original = package._write_in_parallel
    monkeypatch.setattr(
        package, "_write_in_parallel", lambda jobs: written.append(jobs) or original(jobs)
    )
    several = imported("ofac-csv", [HISTORY], tmp_path, name="several")
    assert len(written) == 1 and len(written[0]) >= 4  # publications, entities, ...
    files = sorted(p.name for p in one.iterdir())
    assert files == sorted(p.name for p in several.iterdir())
    assert all((one / f).read_bytes() == (several / f).read_bytes() for f in files)

    write_table = package._write_table

    def refused(path: Path, header: list[str], rows: list[package.Row]) -> None:
        if path.name == "aliases.csv":
            raise OSError(28, "No space left on device")
        write_table(path, header, rows)

    monkeypatch.setattr(package, "_write_table", refused)
    (error,) = problems("ofac-csv", [HISTORY], tmp_path)
    assert "cannot write the package (could not write aliases.csv)" in str(error)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left
