"""Data mistakes in a CSV package are input errors (issue 19 item 1): a share out of
range, an unknown country, an LEI with wrong check digits, a malformed BIC or one whose
country is unknown are reported by the mapper with file, row and column, all at once,
exit 2, and nothing is loaded. (Shapes keep checking RDF input: tests/fixtures/common.)"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.ingest import IngestError
from sanctiongraph.loading import load_bundled, read_and_load
from sanctiongraph.store import open_store

ENTITIES = """id,name,kind,jurisdiction,located_in,lei,bic
us-bank,First Example Bank,bank,US,,,
good,Good Bank,bank,HK,,5493001KJTIIGC8Y1R12,GOODHKHHXXX
nowhere,Nowhere Bank,bank,XX,,,
typo,Typo Bank,bank,DE,ZZ,5493001KJTIIGC8Y1R13,
short,Short Bic Bank,bank,DE,,,DEUTDEF
lower,Lower Bank,bank,DE,,5493001kjtiigc8y1r12,deutdeff
country,Bic Country Bank,bank,DE,,,DEUTXXFF500
"""
OWNERSHIP = """owner,owned,percent,percent_min,percent_max
us-bank,good,150,,
us-bank,nowhere,0,,
us-bank,typo,,60,40
us-bank,short,,-1,101
us-bank,lower,100,,
"""
EXPECTED = [  # file, row, column, part of the message
    ("entities.csv", 4, "jurisdiction", "'XX' is not an ISO 3166-1"),
    ("entities.csv", 5, "located_in", "'ZZ' is not an ISO 3166-1"),
    ("entities.csv", 5, "lei", "check digits are wrong"),
    ("entities.csv", 6, "bic", "'DEUTDEF' is not a BIC: 8 or 11"),
    ("entities.csv", 7, "lei", "is not an LEI: 18 upper-case"),
    ("entities.csv", 7, "bic", "'deutdeff' is not a BIC"),
    ("entities.csv", 8, "bic", "'XX' is not an ISO 3166-1 country code"),
]
EXPECTED += [
    ("ownership.csv", row, column, part)
    for row, column, part in [
        (2, "percent", "'150' is not a share"),
        (3, "percent", "'0' is not a share"),
        (4, "percent_min", "minimum 60 is above its maximum 40"),
        (5, "percent_min", "'-1' is not a share"),
        (5, "percent_max", "'101' is not a share"),
    ]
]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "mistakes"
    folder.mkdir()
    (folder / "entities.csv").write_text(ENTITIES)
    (folder / "ownership.csv").write_text(OWNERSHIP)
    return folder


def test_every_data_mistake_is_an_input_error_and_nothing_is_loaded(package) -> None:
    store = open_store(in_memory=True)
    load_bundled(store)
    before = set(store.graphs())
    with pytest.raises(IngestError) as caught:
        read_and_load(store, [package])
    got = [(e.file, e.row, e.column, e.message) for e in caught.value.errors]
    assert len(got) == len(EXPECTED), got
    for (file, row, column, message), (efile, erow, ecolumn, part) in zip(
        sorted(got, key=lambda g: g[:3]), sorted(EXPECTED, key=lambda e: e[:3])
    ):
        assert (file, row, column) == (efile, erow, ecolumn)
        assert part in message
    assert set(store.graphs()) == before


def test_the_cli_exits_2_and_lists_them_all(package) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanctiongraph.cli",
            "validate",
            str(package),
            "--as-of",
            date(2026, 1, 10).isoformat(),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == len(EXPECTED)
    assert "Traceback" not in result.stderr


def test_the_same_values_when_valid_load(tmp_path) -> None:
    folder = tmp_path / "fine"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        ENTITIES.splitlines()[0] + "\n" + "\n".join(ENTITIES.splitlines()[1:3]) + "\n"
    )
    (folder / "ownership.csv").write_text(
        "owner,owned,percent,percent_min,percent_max\nus-bank,good,100,,\nus-bank,good,,0,50.5\n"
    )
    store = open_store(in_memory=True)
    load_bundled(store)
    assert read_and_load(store, [folder])


def test_rdf_input_gets_findings_that_say_what_the_node_is(tmp_path) -> None:
    """RDF has no rows: the shapes check it, and their messages name the node in words
    (its id and name, a holding by its parties, a country by its code)."""
    from sanctiongraph.validate import validate_paths

    turtle = tmp_path / "bad.ttl"
    turtle.write_text("""
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .
ent:b1 a sg:Bank ; dct:identifier "b1" ; rdfs:label "Good Bank" ;
    sg:jurisdiction <https://w3id.org/sanctiongraph/ref/country/XX> ; sg:lei "5493001KJTIIGC8Y1R13" .
ent:b2 a sg:Bank ; rdfs:label "Unnamed Bank" ; sg:jurisdiction <https://w3id.org/sanctiongraph/ref/country/US> .
<https://w3id.org/sanctiongraph/id/holding/x/1> a sg:Ownership ; sg:owner ent:b2 ; sg:owned ent:b1 ;
    sg:percent "150"^^xsd:decimal .
""")
    messages = {f.message for f in validate_paths([turtle], date(2026, 1, 10)).findings}
    assert "b1 (Good Bank): its jurisdiction (XX) is not an ISO 3166-1 alpha-2 country." in messages
    assert any(m.startswith("b1 (Good Bank): its LEI's check digits are wrong") for m in messages)
    assert (
        "the holding of Unnamed Bank in b1 (Good Bank): a share must be a number above 0 "
        "and at most 100; 150 is not."
    ) in messages
    assert not any("https://" in m for m in messages)
