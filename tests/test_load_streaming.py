"""``sanctiongraph load``'s path (``read_and_load``): a package going into a new graph is
loaded while it is mapped, and a problem found at any point still leaves the store as
it was."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.ingest import IngestError, code_lists, read_source
from sanctiongraph.ingest.csv_package import map_package, map_package_chunks, read_package_files
from sanctiongraph.loading import load_bundled, read_and_load
from sanctiongraph.store import StoreError, open_store

MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"
ROWS = 10_000  # about 40,000 triples: four chunks of 10,000


def big_package(folder: Path, bad_row: int | None = None) -> Path:
    """``ROWS`` companies, the last few owned by the first; with ``bad_row``, that data
    row of ownership.csv has a date that does not exist (the last file mapped but one)."""
    folder.mkdir(parents=True)
    lines = ["id,name,kind,jurisdiction"] + [f"c{n},Company {n},company,US" for n in range(ROWS)]
    (folder / "entities.csv").write_text("\n".join(lines) + "\n")
    owned = [f"c0,c{n},owns,50,2020-01-01" for n in range(1, 200)]
    if bad_row is not None:
        owned[bad_row - 2] = owned[bad_row - 2].replace("2020-01-01", "2020-02-30")
    (folder / "ownership.csv").write_text(
        "owner,owned,kind,percent,start\n" + "\n".join(owned) + "\n"
    )
    return folder


def lines(data: bytes) -> set[bytes]:
    return set(data.splitlines())


def stored(store, graph: str) -> set[bytes]:
    triples = list(store.triples(ox.NamedNode(graph)))
    return lines(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def snapshot(store) -> tuple[list[str], int]:
    return [g.value for g in store.graphs()], store.count()


@pytest.fixture
def disk_store(tmp_path):
    store = open_store(tmp_path / "store")
    load_bundled(store)
    yield store
    store.close()


def test_a_new_package_is_streamed_and_holds_what_the_whole_mapping_holds(tmp_path, disk_store):
    package = big_package(tmp_path / "big")
    expected = read_source(package)
    assert expected.size > 3 * 10_000  # more than three chunks
    seen, streamed = [], []
    load_new_graph = disk_store.load_new_graph
    disk_store.load_new_graph = lambda graph, chunks: (
        streamed.append(graph.value) or load_new_graph(graph, chunks)
    )
    counts = read_and_load(disk_store, [package], progress=lambda g, n: seen.append((g, n)))
    graph = expected.graph.value
    assert counts == {graph: expected.size} and seen == [(graph, expected.size)]
    assert streamed == [graph]
    assert stored(disk_store, graph) == lines(expected.ntriples)


def test_a_problem_late_in_a_streamed_package_leaves_the_store_as_it_was(tmp_path, disk_store):
    read_and_load(disk_store, [MINIMAL])
    before = snapshot(disk_store)
    package = big_package(tmp_path / "big", bad_row=150)
    with pytest.raises(IngestError) as caught:
        read_and_load(disk_store, [package])
    assert [(e.file, e.row, e.column) for e in caught.value.errors] == [
        ("ownership.csv", 150, "start")
    ]
    assert snapshot(disk_store) == before


def test_a_bad_second_package_undoes_the_first(tmp_path, disk_store):
    before = snapshot(disk_store)
    good = big_package(tmp_path / "good")
    bad = big_package(tmp_path / "bad", bad_row=3)  # found after some chunks were loaded
    with pytest.raises(IngestError) as caught:
        read_and_load(disk_store, [good, bad])
    assert [(e.file, e.row, e.column) for e in caught.value.errors] == [
        ("ownership.csv", 3, "start")
    ]
    assert snapshot(disk_store) == before


def test_every_problem_of_every_source_is_listed(tmp_path, disk_store):
    before = snapshot(disk_store)
    good = big_package(tmp_path / "good")
    bad = big_package(tmp_path / "bad", bad_row=3)
    (bad / "items.csv").write_text("id,subject_to_ear\nitem1,perhaps\n")
    missing = tmp_path / "missing.ttl"
    with pytest.raises(IngestError) as caught:
        read_and_load(disk_store, [good, bad, missing])
    assert {(e.file, e.row, e.column) for e in caught.value.errors} == {
        ("ownership.csv", 3, "start"),
        ("items.csv", 2, "subject_to_ear"),
        (str(missing), None, None),
    }
    assert snapshot(disk_store) == before


def test_any_failure_of_a_later_package_undoes_the_first(tmp_path, disk_store, monkeypatch):
    import sanctiongraph.loading as loading

    before = snapshot(disk_store)
    good, other = big_package(tmp_path / "good"), big_package(tmp_path / "other")
    real = loading.package_chunks

    def failing(path, name=None, references=None):
        if path == other:
            raise OSError("the disk went away")
        return real(path, name, references)

    monkeypatch.setattr(loading, "package_chunks", failing)
    with pytest.raises(OSError):
        read_and_load(disk_store, [good, other])
    assert snapshot(disk_store) == before


def test_a_store_error_replacing_a_graph_drops_the_graphs_the_call_made(
    tmp_path, disk_store, monkeypatch
):
    """A replacement is written after every check passed; if the store still fails
    then, the new graph streamed earlier in the same call does not stay behind."""
    replaced = big_package(tmp_path / "replaced")
    read_and_load(disk_store, [replaced])
    before = snapshot(disk_store)
    real = type(disk_store).replace_graph_ntriples

    def failing(store, graph, data, **options):
        if graph.value.endswith("/replaced"):
            raise StoreError("the disk is full")
        return real(store, graph, data, **options)

    monkeypatch.setattr(type(disk_store), "replace_graph_ntriples", failing)
    with pytest.raises(StoreError, match="disk is full"):
        read_and_load(disk_store, [big_package(tmp_path / "new"), replaced])
    assert snapshot(disk_store) == before


def test_a_corrupt_zip_is_an_input_error(tmp_path, disk_store):
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("entities.csv", "id,name,kind,jurisdiction\n" + "c1,Company,company,US\n" * 500)
    data = bytearray(archive.read_bytes())
    data[60:80] = b"\x00" * 20  # inside the deflate stream
    archive.write_bytes(bytes(data))
    before = snapshot(disk_store)
    with pytest.raises(IngestError) as caught:
        read_and_load(disk_store, [big_package(tmp_path / "good"), archive])
    assert [e.file for e in caught.value.errors] == ["broken.zip"]
    assert "not a readable .zip archive" in caught.value.errors[0].message
    assert snapshot(disk_store) == before


def test_a_shared_graph_name_is_listed_with_every_other_problem(tmp_path, disk_store):
    bad = big_package(tmp_path / "a" / "x", bad_row=3)
    twin = big_package(tmp_path / "b" / "x")
    missing = tmp_path / "missing.ttl"
    with pytest.raises(IngestError) as caught:
        read_and_load(disk_store, [bad, twin, missing])
    assert [(e.file, e.row) for e in caught.value.errors] == [
        ("ownership.csv", 3),
        (str(missing), None),
        ("x", None),
    ]


def test_a_package_replacing_its_graph_is_checked_whole_first(tmp_path, disk_store):
    package = big_package(tmp_path / "big")
    read_and_load(disk_store, [package])
    before = snapshot(disk_store)
    shutil.rmtree(package)
    big_package(package, bad_row=199)
    with pytest.raises(IngestError):
        read_and_load(disk_store, [package])
    assert snapshot(disk_store) == before
    (package / "ownership.csv").write_text("owner,owned,kind,percent,start\nc0,c1,owns,60,\n")
    expected = read_source(package)
    assert read_and_load(disk_store, [package]) == {expected.graph.value: expected.size}
    assert stored(disk_store, expected.graph.value) == lines(expected.ntriples)


def chunks_then(chunks: list[bytes], error: Exception):
    yield from chunks
    raise error


TRIPLES = [f'<https://e.org/s{n}> <https://e.org/p> "{n}" .\n'.encode() for n in range(60_000)]
GRAPH = ox.NamedNode("https://e.org/g")


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_load_new_graph_writes_nothing_when_the_chunks_fail(where, tmp_path):
    store = open_store(tmp_path / "s") if where == "disk" else open_store(in_memory=True)
    data = [b"".join(TRIPLES[i : i + 20_000]) for i in range(0, 60_000, 20_000)]
    with pytest.raises(IngestError):
        store.load_new_graph(GRAPH, chunks_then(data, IngestError([])))
    assert store.graphs() == [] and store.count() == 0
    assert store.load_new_graph(GRAPH, iter(data)) == 60_000
    assert store.count(GRAPH) == 60_000
    with pytest.raises(ValueError, match="in the store already"):
        store.load_new_graph(GRAPH, iter(data))
    store.close()


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_a_graph_is_dropped_when_even_the_failing_line_cannot_be_sent(where, tmp_path, monkeypatch):
    import sanctiongraph.store.oxigraph as oxigraph

    real = oxigraph._write_all

    def interrupted(fd, data, reader):
        if data == oxigraph._NOT_NTRIPLES:
            raise KeyboardInterrupt  # the loader then reads a clean end of its input
        return real(fd, data, reader)

    monkeypatch.setattr(oxigraph, "_write_all", interrupted)
    store = open_store(tmp_path / "s") if where == "disk" else open_store(in_memory=True)
    with pytest.raises(IngestError):
        store.load_new_graph(GRAPH, chunks_then([b"".join(TRIPLES[:20_000])], IngestError([])))
    assert store.graphs() == [] and store.count() == 0
    store.close()


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_load_new_graph_reports_a_failed_load_without_waiting_for_ever(where, tmp_path):
    store = open_store(tmp_path / "s") if where == "disk" else open_store(in_memory=True)
    made = []

    def chunks():
        yield b"this is not N-Triples\n"
        for n in range(2_000):  # 2 GB if all were written: far more than a pipe holds
            made.append(n)
            yield b"#" * 1_000_000 + b"\n"

    started = time.monotonic()
    with pytest.raises(StoreError, match="load into"):
        store.load_new_graph(GRAPH, chunks())
    assert time.monotonic() - started < 60 and len(made) < 2_000
    assert store.graphs() == [] and store.count() == 0
    store.close()


def test_chunks_stop_at_the_first_problem_and_join_to_the_whole_mapping(tmp_path):
    files = read_package_files(MINIMAL)
    whole = map_package("minimal", files, code_lists())
    chunks = list(map_package_chunks("minimal", files, code_lists(), lines_per_chunk=5))
    assert len(chunks) > 3 and b"".join(chunks) == whole.ntriples
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    broken = dict(files)
    broken["items.csv"] = b"id,subject_to_ear\nitem1,perhaps\n"
    produced = []
    with pytest.raises(IngestError):
        for chunk in map_package_chunks("minimal", broken, code_lists(), lines_per_chunk=5):
            produced.append(chunk)
    # items.csv is mapped last: what came before it was yielded, nothing after the problem
    assert produced and produced == chunks[: len(produced)]
    assert b"/item/item1> <" not in b"".join(produced)  # no triple about the item
    assert b"/item/item1> <" in whole.ntriples
