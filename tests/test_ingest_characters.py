"""Input the SPARQL XML results could not carry, and quotes left open, are refused at
ingest with their file, row and column (issue 22, item 12: a control character in a
literal made ``/sparql``'s XML answer ill-formed; an unterminated quote was reported as
missing values)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.ingest import IngestError, code_lists, read_sources
from sanctiongraph.ingest.csv_package import map_package, read_package_files
from sanctiongraph.ingest.rdf import parse_rdf

MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"


def errors_of(files: dict[str, bytes]) -> list[tuple]:
    with pytest.raises(IngestError) as caught:
        map_package("p", files, code_lists())
    return [(e.file, e.row, e.column, e.message) for e in caught.value.errors]


@pytest.fixture()
def files() -> dict[str, bytes]:
    return read_package_files(MINIMAL)


@pytest.mark.parametrize("character", ["\x01", "\x1f", "\x0b", "\ufffe"])
def test_csv_control_character_refused_with_row_and_column(files, character):
    text = files["entities.csv"].decode()
    files["entities.csv"] = text.replace(
        "Example Pyong Bank", f"Example{character}Pyong Bank", 1
    ).encode()
    found = errors_of(files)
    assert len(found) == 1
    file, row, column, message = found[0]
    assert (file, row, column) == ("entities.csv", 3, "name")
    assert f"U+{ord(character):04X}" in message and "not allowed" in message


def test_csv_tabs_and_line_breaks_in_quotes_stay_allowed(files):
    text = files["entities.csv"].decode()
    files["entities.csv"] = text.replace("Example Pyong Bank", '"Example\tPyong\nBank"').encode()
    assert map_package("p", files, code_lists()).size > 0


def test_unterminated_quote_reported_as_such(files):
    text = files["entities.csv"].decode()
    files["entities.csv"] = text.replace("Example Pyong Bank", '"Example Pyong Bank', 1).encode()
    found = errors_of(files)
    assert ("entities.csv", 3, "name") in [f[:3] for f in found]
    assert any("unterminated quoted value" in f[3] for f in found)
    assert not any("required" in f[3] for f in found)  # not "a value is required"


def test_unterminated_quote_in_the_last_row_and_header(files):
    text = files["entities.csv"].decode().rstrip("\n")
    files["entities.csv"] = (text + ',"').encode()  # the last row opens a quote
    assert any("unterminated" in f[3] and f[0] == "entities.csv" for f in errors_of(files))
    files = read_package_files(MINIMAL)
    files["entities.csv"] = b'id,"name\nx,y\n'
    assert [f[:2] for f in errors_of(files) if "unterminated" in f[3]] == [("entities.csv", 1)]


def test_files_ending_without_a_line_break_still_map(files):
    files = {name: content.rstrip(b"\n") for name, content in files.items()}
    assert (
        map_package("p", files, code_lists()).size
        == map_package("p", read_package_files(MINIMAL), code_lists()).size
    )


@pytest.mark.parametrize(
    "fmt, data",
    [
        (ox.RdfFormat.N_TRIPLES, b'<urn:a> <urn:b> "x\\u0001y" .\n'),
        (ox.RdfFormat.N_TRIPLES, b'<urn:a> <urn:b> "x\x02y" .\n'),
        (ox.RdfFormat.TURTLE, b'<urn:a> <urn:b> "x\\U0000001Fy" .\n'),
        (ox.RdfFormat.JSON_LD, b'{"@id": "urn:a", "urn:b": "x\\u0008y"}'),
    ],
)
def test_rdf_control_character_refused(fmt, data):
    with pytest.raises(IngestError) as caught:
        parse_rdf(data, fmt, "upload.x")
    (error,) = caught.value.errors
    assert error.file == "upload.x" and "not allowed" in error.message
    assert "<urn:a> <urn:b>" in error.message


def test_rdf_escaped_tabs_and_line_breaks_stay_allowed():
    assert (
        len(parse_rdf(b'<urn:a> <urn:b> "x\\u0009y\\ny\\r" .\n', ox.RdfFormat.N_TRIPLES, "f.nt"))
        == 1
    )


def test_folder_with_control_character_is_not_loaded(tmp_path):
    target = tmp_path / "pkg"
    shutil.copytree(MINIMAL, target)
    entities = target / "entities.csv"
    entities.write_bytes(entities.read_bytes().replace(b"Example Pyong Bank", b"Ex\x07ample"))
    with pytest.raises(IngestError) as caught:
        read_sources([target])
    assert "U+0007" in str(caught.value)
