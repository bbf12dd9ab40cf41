"""Ingest: every class of input error names file, row and column, and loads nothing;
valid packages map to the expected triples."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, XSD

from sanctiongraph.ingest import (
    IngestError,
    Source,
    code_lists,
    read_source,
    read_sources,
)
from sanctiongraph.ingest.csv_package import literal, map_package
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import ID, SG, code, country
from sanctiongraph.store import open_store

MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"


@pytest.fixture
def package(tmp_path) -> Path:
    target = tmp_path / "pkg"
    shutil.copytree(MINIMAL, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def errors_of(path: Path) -> set[tuple[str, int | None, str | None]]:
    with pytest.raises(IngestError) as caught:
        read_source(path)
    return {(e.file, e.row, e.column) for e in caught.value.errors}


def read_errors(path: Path) -> list:
    with pytest.raises(IngestError) as caught:
        read_source(path)
    return caught.value.errors


def has(source, s, p, o) -> bool:
    return ox.Triple(ox.NamedNode(str(s)), ox.NamedNode(str(p)), o) in set(source.triples)


def test_minimal_package_maps_every_file():
    source = read_source(MINIMAL)
    assert source.name == "minimal"

    def n(iri: object) -> ox.NamedNode:
        return ox.NamedNode(str(iri))

    assert has(source, ID["entity/kp-bank-cn"], SG.branchOf, n(ID["entity/kp-bank"]))
    assert has(source, ID["entity/kp-bank-cn"], SG.locatedIn, n(country("CN")))
    assert has(source, ID["entity/kp-army"], SG.hasFunction, n(code("function", "military")))
    assert has(source, ID["entity/kp-gov"], SG.governs, n(country("KP")))
    assert has(source, ID["transaction/tx1"], SG.intermediary, n(ID["entity/kp-bank"]))
    assert has(
        source,
        ID["transaction/tx1"],
        SG.knowingly,
        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    )
    assert has(
        source,
        ID["transaction/tx1"],
        SG.significant,
        ox.Literal("false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    )
    assert has(source, ID["activity/act1"], SG.subject, n(code("subject", "math")))
    assert has(
        source,
        ID["activity/act1/report"],
        SG.submittedOn,
        ox.Literal("2024-05-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    )
    condition_types = {
        t.object.value
        for t in source.triples
        if t.subject.value.startswith(str(ID["designation/minimal/3/condition/"]))
        and t.predicate.value.endswith("#type")
    }
    assert condition_types == {
        str(SG[c])
        for c in (
            "NoTradeFinanceCondition",
            "AllowedTypesCondition",
            "MonetaryLimitCondition",
            "PreApprovalCondition",
            "NoForeignExchangeCondition",
        )
    }
    assert has(
        source,
        ID["designation/minimal/3/condition/2"],
        SG.allowedPurpose,
        n(code("purpose", "food")),
    )


def test_zip_package_equals_folder(package, tmp_path):
    archive = tmp_path / "minimal.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in package.glob("*.csv"):
            z.write(f, f"minimal/{f.name}")
    assert set(read_source(archive).triples) == set(read_source(MINIMAL).triples)


@pytest.mark.parametrize(
    "file,old,new,expected",
    [
        ("transactions.csv", "2019-05-01", "2019-02-30", ("transactions.csv", 2, "date")),
        ("accounts.csv", "2018-01-01", "01/01/2018", ("accounts.csv", 2, "opened_on")),
        ("accounts.csv", "us-bank,kp-bank-cn", "us-bank,nobody", ("accounts.csv", 2, "holder")),
        (
            "transactions.csv",
            "kp-bank;us-bank",
            "kp-bank;ghost",
            ("transactions.csv", 2, "intermediaries"),
        ),
        ("entities.csv", "ngo1,Example Relief", "p1,Example Relief", ("entities.csv", 8, "id")),
        ("entities.csv", "ngo1,Example Relief", "ngo 1,Example Relief", ("entities.csv", 8, "id")),
        (
            "entities.csv",
            "kp-army,Example People's Army Office,government_body",
            "kp-army,Example People's Army Office,army",
            ("entities.csv", 5, "kind"),
        ),
        ("entities.csv", ",military,", ",navy,", ("entities.csv", 5, "function")),
        ("transactions.csv", ",food,", ",petrol,", ("transactions.csv", 2, "purpose")),
        ("transactions.csv", "yes,0", "maybe,0", ("transactions.csv", 2, "knowingly")),
        ("transactions.csv", "1200.50", "12OO", ("transactions.csv", 2, "amount")),
        (
            "entities.csv",
            "kp-bank,Example Pyong Bank,bank,KP",
            "kp-bank,Example Pyong Bank,bank,Korea",
            ("entities.csv", 3, "jurisdiction"),
        ),
        (
            "entities.csv",
            "us-bank,Example Harbor Bank,bank,US",
            "us-bank,,bank,US",
            ("entities.csv", 2, "name"),
        ),
        ("designations.csv", "limit:250000", "limit:lots", ("designations.csv", 3, "conditions")),
        ("designations.csv", "limit:250000", "volume:3/0", ("designations.csv", 3, "conditions")),
        (
            "designations.csv",
            "limit:250000",
            "volume:many/30",
            ("designations.csv", 3, "conditions"),
        ),
        (
            "designations.csv",
            ";pre_approval",
            ";pre_approve",
            ("designations.csv", 3, "conditions"),
        ),
        ("designations.csv", "strict_conditions,", ",", ("designations.csv", 3, "measure")),
        (
            "ownership.csv",
            "2020-01-01,2021-06-30",
            "2021-07-01,2021-06-30",
            ("ownership.csv", 4, "end"),
        ),
        (
            "ownership.csv",
            "kp-gov,kp-bank,owns,100",
            "kp-gov,kp-bank,owns,",
            ("ownership.csv", 2, "percent"),
        ),
        (
            "activities.csv",
            "education,secondary",
            "education,",
            ("activities.csv", 2, "education_level"),
        ),
        (
            "items.csv",
            "agricultural_commodity,false",
            "agricultural_commodity,",
            ("items.csv", 2, "subject_to_ear"),
        ),
        ("entities.csv", "id,name,kind", "id,nom,kind", ("entities.csv", 1, "name")),
        ("entities.csv", "id,name,kind", "id,name,kind,colour", ("entities.csv", 1, "colour")),
    ],
)
def test_each_error_names_file_row_and_column(package, file, old, new, expected):
    edit(package / file, old, new)
    assert expected in errors_of(package)


def test_all_errors_are_reported_at_once(package):
    edit(package / "transactions.csv", "2019-05-01", "2019-13-01")
    edit(package / "accounts.csv", "us-bank,kp-bank-cn", "us-bank,nobody")
    edit(package / "entities.csv", "ngo1,Example Relief", "p1,Example Relief")
    edit(package / "entities.csv", ",military,", ",navy,")
    assert errors_of(package) >= {
        ("transactions.csv", 2, "date"),
        ("accounts.csv", 2, "holder"),
        ("entities.csv", 8, "id"),
        ("entities.csv", 5, "function"),
    }


def test_unreadable_inputs(tmp_path, package):
    (package / "notes.csv").write_text("a,b\n1,2\n")
    assert ("notes.csv", None, None) in errors_of(package)
    bad_utf8 = tmp_path / "bad"
    bad_utf8.mkdir()
    (bad_utf8 / "entities.csv").write_bytes(b"id,name,kind\nx,\xff\xfe,bank\n")
    assert ("entities.csv", None, None) in errors_of(bad_utf8)
    ragged = tmp_path / "ragged"
    ragged.mkdir()
    (ragged / "entities.csv").write_text("id,name,kind,jurisdiction\nx,X,bank,US,extra\n")
    assert ("entities.csv", 2, None) in errors_of(ragged)
    not_zip = tmp_path / "pkg.zip"
    not_zip.write_bytes(b"not a zip")
    assert ("pkg.zip", None, None) in errors_of(not_zip)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert errors_of(empty)


def test_rdf_inputs_parse_without_fetching(tmp_path):
    good = tmp_path / "g.ttl"
    good.write_text("<https://w3id.org/sanctiongraph/id/entity/a> <https://example.org/b> 1 .")
    assert len(read_source(good).triples) == 1
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/a> <https://example.org/b> .\n")
    assert errors_of(broken) == {("broken.ttl", 1, None)}
    remote = tmp_path / "remote.jsonld"
    remote.write_text(
        '{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "https://example.org/a"}'
    )
    assert {e[0] for e in errors_of(remote)} == {"remote.jsonld"}
    rdfxml = tmp_path / "evil.rdf"
    rdfxml.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert {e[0] for e in errors_of(rdfxml)} == {"evil.rdf"}
    unknown = tmp_path / "data.txt"
    unknown.write_text("hello")
    assert {e[0] for e in errors_of(unknown)} == {"data.txt"}


def test_blank_lines_short_rows_and_a_broken_header(tmp_path):
    """Blank lines are skipped but keep their row numbers, as a spreadsheet shows them
    (b2 is on line 4, in row 4); missing trailing cells are empty (a required one is
    reported); a header the CSV reader cannot read is an error naming the file, not a
    traceback."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "id,name,kind,jurisdiction\n\nb1,Bank one,bank,US\nb2,Bank two\n"
    )
    assert errors_of(folder) == {("entities.csv", 4, "kind")}
    (folder / "entities.csv").write_text(
        'id,name,kind,jurisdiction\nb1,"Bank\none",bank,US\n\nb2,Bank two\n'
    )
    assert errors_of(folder) == {("entities.csv", 4, "kind")}  # a quoted line break: one row
    (folder / "entities.csv").write_text("id,name,kind,jurisdiction\n\nb1,Bank one,bank,US\n")
    assert read_source(folder).size > 0
    (folder / "entities.csv").write_text('id,"' + "n" * 200_000 + '"\nb1,x\n')
    assert {e[0] for e in errors_of(folder)} == {"entities.csv"}


def test_a_file_that_cannot_be_read_is_reported_once(tmp_path):
    """A file not read (not UTF-8, a required column missing) or a row left out (more
    cells than header columns) is the one error: references to its ids are not reported
    as unknown too."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    entities = "id,name,kind,jurisdiction\nb1,Bank one,bank,US\nc1,Crédit Un,bank,FR\n"
    (folder / "entities.csv").write_bytes(entities.encode("latin-1"))
    (folder / "ownership.csv").write_text("owner,owned,percent\nb1,c1,60\n")
    errors = read_errors(folder)
    assert [(e.file, e.row) for e in errors] == [("entities.csv", None)], errors
    assert "not UTF-8" in errors[0].message and "line 3" in errors[0].message
    (folder / "entities.csv").write_text(
        "id,name,kind,jurisdiction\nb1,Bank one,bank,US\nc1,Crédit, Un,bank,FR\n"
    )
    assert errors_of(folder) == {("entities.csv", 3, None)}  # not "unknown entity id 'c1'"
    (folder / "entities.csv").write_text("id,name,jurisdiction\nb1,Bank one,US\n")
    assert errors_of(folder) == {("entities.csv", 1, "kind")}
    (folder / "entities.csv").unlink()
    (folder / "Entities.csv").write_text(entities)
    errors = read_errors(folder)
    assert [e.file for e in errors] == ["Entities.csv"], errors
    assert "did you mean entities.csv?" in errors[0].message


def test_a_row_with_too_many_cells_does_not_shift_the_rows_after_it(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "id,name,kind,jurisdiction\nb1,Bank one,bank,US,extra\nb2,Bank two,bank,USA\n"
    )
    assert errors_of(folder) == {("entities.csv", 2, None), ("entities.csv", 3, "jurisdiction")}


def test_bad_package_changes_nothing_in_the_store(package, tmp_path):
    store = open_store(tmp_path / "store")
    load_bundled(store)
    load_sources(store, read_sources([MINIMAL], "pkg"))
    before = sorted(map(str, store.triples()))
    edit(package / "transactions.csv", "2019-05-01", "2019-13-01")
    with pytest.raises(IngestError):
        load_sources(store, read_sources([package]))
    assert sorted(map(str, store.triples())) == before


def test_loading_a_source_again_replaces_its_graph(package, tmp_path):
    store = open_store(tmp_path / "store")
    load_sources(store, read_sources([package]))
    first = store.count()
    edit(package / "entities.csv", "ngo1,Example Relief,ngo,US,,,,,\n", "")
    edit(package / "ownership.csv", "p1,ngo1,controls,,,,,\n", "")
    edit(package / "ownership.csv", "kp-army,ngo1,owns,,20,40,2020-01-01,2021-06-30\n", "")
    (package / "transactions.csv").write_text("id,date\n")
    (package / "activities.csv").write_text("id,actor,kind,start_on\n")
    edit(package / "items.csv", ",ngo1,", ",,")
    load_sources(store, read_sources([package]))
    assert 0 < store.count() < first
    assert not bool(store.query(f"ASK {{ <{ID['entity/ngo1']}> ?p ?o }}"))


NASTY = [
    'say "hi"',
    "a\\b\\\\c",
    "line1\nline2",
    "cr\rlf\r\n",
    "tab\there",
    "nul\x00bell\x07esc\x1b",
    "del\x7f and c1 \x85\x9f",
    "emoji 😀 flag 🇰🇵",
    "e\u0301 combining",
    "lone \\u sequence",
    "\\u0022 escaped quote",
    "\\U0001F600",
    "ends with a backslash\\",
    '"',
    "\\",
    "",
    '> <http://evil> "',
    "}} ; DROP ALL ; INSERT DATA {{",
    "# not a comment",
    "\u2028\u2029\ufeff",
]


@pytest.mark.parametrize("text", NASTY)
def test_literals_round_trip_through_ntriples_and_the_store(text, tmp_path):
    line = f"<https://e.org/s> <https://e.org/p> {literal(text)} .\n".encode()
    expected = ox.Triple(
        ox.NamedNode("https://e.org/s"), ox.NamedNode("https://e.org/p"), ox.Literal(text)
    )
    assert [q.triple for q in ox.parse(line, ox.RdfFormat.N_TRIPLES)] == [expected]
    graph = ox.NamedNode("https://e.org/g")
    for store, bulk in [
        (open_store(in_memory=True), False),
        (open_store(in_memory=True), True),
        (open_store(tmp_path / "store"), True),
    ]:
        store.replace_graph_ntriples(graph, line, bulk=bulk)  # SPARQL update, load, bulk_load
        assert list(store.triples(graph)) == [expected]
        store.close()


def test_nasty_cell_text_maps_to_exact_literals(package):
    rows = "".join(
        f'nasty{i},"{text.replace(chr(34), chr(34) * 2)}",company,US,,,,,\n'
        for i, text in enumerate(t for t in NASTY if t.strip() and "\x00" not in t)
    )
    (package / "entities.csv").write_text((package / "entities.csv").read_text() + rows)
    source = read_source(package)
    names = {
        t.subject.value: t.object for t in source.triples if t.predicate.value == str(RDFS.label)
    }
    for i, text in enumerate(t for t in NASTY if t.strip() and "\x00" not in t):
        assert names[str(ID[f"entity/nasty{i}"])] == ox.Literal(text.strip())
    assert source.size == len(source.triples)


@pytest.mark.parametrize(
    "file,old,new,column",
    [
        ("entities.csv", "ngo1,Example Relief", 'x> <http://evil> "x,Example Relief', "id"),
        ("entities.csv", "ngo1,Example Relief", '"x> <http://evil> """,Example Relief', "id"),
        ("ownership.csv", "p1,ngo1,controls", '"ngo1> <http://evil> ""x",ngo1,controls', "owner"),
        (
            "entities.csv",
            "kp-bank,Example Pyong Bank,bank,KP",
            "kp-bank,Example Pyong Bank,bank,K>",
            "jurisdiction",
        ),
        ("entities.csv", ",military,", ",military> <http://evil>,", "function"),
    ],
)
def test_text_never_ends_up_inside_an_iri(package, file, old, new, column):
    edit(package / file, old, new)
    with pytest.raises(IngestError) as caught:
        read_source(package)
    assert any((e.file, e.column) == (file, column) and e.row for e in caught.value.errors)


def test_package_name_must_be_a_graph_name():
    with pytest.raises(ValueError, match="graph name"):
        map_package("x> <http://evil", {}, code_lists())


def test_source_from_triples_keeps_the_triples_and_their_count():
    triples = [
        ox.Triple(
            ox.NamedNode("https://e.org/s"), ox.NamedNode("https://e.org/p"), ox.Literal(text)
        )
        for text in NASTY
    ]
    source = Source.from_triples("t", triples + triples[:1])
    assert source.size == len(triples) + 1
    assert source.triples == triples + triples[:1]


def test_volume_limit_condition_is_mapped(package):
    """31 CFR 561.203(b)(3): ``volume:<count>/<days>`` becomes a sg:VolumeLimitCondition."""
    edit(package / "designations.csv", "limit:250000", "volume:3/30")
    triples = {(t.subject, t.predicate, t.object) for t in read_source(package).triples}
    conditions = {
        s
        for s, p, o in triples
        if p == ox.NamedNode(str(RDF.type)) and o == ox.NamedNode(str(SG.VolumeLimitCondition))
    }
    [condition] = conditions
    assert (
        condition,
        ox.NamedNode(str(SG.limitCount)),
        ox.Literal("3", datatype=ox.NamedNode(str(XSD.decimal))),
    ) in triples
    assert (
        condition,
        ox.NamedNode(str(SG.limitPeriodDays)),
        ox.Literal("30", datatype=ox.NamedNode(str(XSD.decimal))),
    ) in triples
