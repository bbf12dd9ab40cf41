"""Ingest: every class of input error names file, row and column, and loads nothing;
valid packages map to the expected triples."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.ingest import IngestError, read_source, read_sources
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


def has(source, s, p, o) -> bool:
    return ox.Triple(ox.NamedNode(str(s)), ox.NamedNode(str(p)), o) in set(source.triples)


def test_minimal_package_maps_every_file():
    source = read_source(MINIMAL)
    assert source.name == "minimal"
    n = lambda iri: ox.NamedNode(str(iri))  # noqa: E731
    assert has(source, ID["entity/kp-bank-cn"], SG.branchOf, n(ID["entity/kp-bank"]))
    assert has(source, ID["entity/kp-bank-cn"], SG.locatedIn, n(country("CN")))
    assert has(source, ID["entity/kp-army"], SG.hasFunction, n(code("function", "military")))
    assert has(source, ID["entity/kp-gov"], SG.governs, n(country("KP")))
    assert has(source, ID["transaction/tx1"], SG.intermediary, n(ID["entity/kp-bank"]))
    assert has(source, ID["transaction/tx1"], SG.knowingly,
               ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
    assert has(source, ID["transaction/tx1"], SG.significant,
               ox.Literal("false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
    assert has(source, ID["activity/act1"], SG.subject, n(code("subject", "math")))
    assert has(source, ID["activity/act1/report"], SG.submittedOn,
               ox.Literal("2024-05-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))
    condition_types = {t.object.value for t in source.triples
                       if t.subject.value.startswith(str(ID["designation/minimal/3/condition/"]))
                       and t.predicate.value.endswith("#type")}
    assert condition_types == {str(SG[c]) for c in (
        "NoTradeFinanceCondition", "AllowedTypesCondition", "MonetaryLimitCondition",
        "PreApprovalCondition", "NoForeignExchangeCondition")}
    assert has(source, ID["designation/minimal/3/condition/2"], SG.allowedPurpose,
               n(code("purpose", "food")))


def test_zip_package_equals_folder(package, tmp_path):
    archive = tmp_path / "minimal.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in package.glob("*.csv"):
            z.write(f, f"minimal/{f.name}")
    assert set(read_source(archive).triples) == set(read_source(MINIMAL).triples)


@pytest.mark.parametrize("file,old,new,expected", [
    ("transactions.csv", "2019-05-01", "2019-02-30", ("transactions.csv", 2, "date")),
    ("accounts.csv", "2018-01-01", "01/01/2018", ("accounts.csv", 2, "opened_on")),
    ("accounts.csv", "us-bank,kp-bank-cn", "us-bank,nobody", ("accounts.csv", 2, "holder")),
    ("transactions.csv", "kp-bank;us-bank", "kp-bank;ghost", ("transactions.csv", 2, "intermediaries")),
    ("entities.csv", "ngo1,Example Relief", "p1,Example Relief", ("entities.csv", 8, "id")),
    ("entities.csv", "ngo1,Example Relief", "ngo 1,Example Relief", ("entities.csv", 8, "id")),
    ("entities.csv", "kp-army,Example People's Army Office,government_body",
     "kp-army,Example People's Army Office,army", ("entities.csv", 5, "kind")),
    ("entities.csv", ",military,", ",navy,", ("entities.csv", 5, "function")),
    ("transactions.csv", ",food,", ",petrol,", ("transactions.csv", 2, "purpose")),
    ("transactions.csv", "yes,0", "maybe,0", ("transactions.csv", 2, "knowingly")),
    ("transactions.csv", "1200.50", "12OO", ("transactions.csv", 2, "amount")),
    ("entities.csv", "kp-bank,Example Pyong Bank,bank,KP", "kp-bank,Example Pyong Bank,bank,Korea",
     ("entities.csv", 3, "jurisdiction")),
    ("entities.csv", "us-bank,Example Harbor Bank,bank,US", "us-bank,,bank,US", ("entities.csv", 2, "name")),
    ("designations.csv", "limit:250000", "limit:lots", ("designations.csv", 3, "conditions")),
    ("designations.csv", ";pre_approval", ";pre_approve", ("designations.csv", 3, "conditions")),
    ("designations.csv", "strict_conditions,", ",", ("designations.csv", 3, "measure")),
    ("ownership.csv", "2020-01-01,2021-06-30", "2021-07-01,2021-06-30", ("ownership.csv", 4, "end")),
    ("ownership.csv", "kp-gov,kp-bank,owns,100", "kp-gov,kp-bank,owns,", ("ownership.csv", 2, "percent")),
    ("activities.csv", "education,secondary", "education,", ("activities.csv", 2, "education_level")),
    ("items.csv", "agricultural_commodity,false", "agricultural_commodity,", ("items.csv", 2, "subject_to_ear")),
    ("entities.csv", "id,name,kind", "id,nom,kind", ("entities.csv", 1, "name")),
    ("entities.csv", "id,name,kind", "id,name,kind,colour", ("entities.csv", 1, "colour")),
])
def test_each_error_names_file_row_and_column(package, file, old, new, expected):
    edit(package / file, old, new)
    assert expected in errors_of(package)


def test_all_errors_are_reported_at_once(package):
    edit(package / "transactions.csv", "2019-05-01", "2019-13-01")
    edit(package / "accounts.csv", "us-bank,kp-bank-cn", "us-bank,nobody")
    edit(package / "entities.csv", "ngo1,Example Relief", "p1,Example Relief")
    edit(package / "entities.csv", ",military,", ",navy,")
    assert errors_of(package) >= {
        ("transactions.csv", 2, "date"), ("accounts.csv", 2, "holder"),
        ("entities.csv", 8, "id"), ("entities.csv", 5, "function")}


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
    good.write_text("<https://example.org/a> <https://example.org/b> 1 .")
    assert len(read_source(good).triples) == 1
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/a> <https://example.org/b> .\n")
    assert errors_of(broken) == {("broken.ttl", 1, None)}
    remote = tmp_path / "remote.jsonld"
    remote.write_text('{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "https://example.org/a"}')
    assert {e[0] for e in errors_of(remote)} == {"remote.jsonld"}
    rdfxml = tmp_path / "evil.rdf"
    rdfxml.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert {e[0] for e in errors_of(rdfxml)} == {"evil.rdf"}
    unknown = tmp_path / "data.txt"
    unknown.write_text("hello")
    assert {e[0] for e in errors_of(unknown)} == {"data.txt"}


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
