"""Read commands beside a writer (issue 19 item 13): the checkpoint a server publishes is
opened read-only through a private copy; a stale or missing publication is refused."""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest

from sanctiongraph.store import StoreError
from sanctiongraph.store.oxigraph import (
    READER_CHECKPOINTS,
    SERVED_CHECKPOINT,
    OxigraphStore,
    open_for_reading,
    publish_checkpoint,
)

GRAPH = ox.NamedNode("urn:x:g")


@pytest.fixture
def writer(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.replace_graph_ntriples(GRAPH, b"<urn:x:a> <urn:x:b> <urn:x:c> .\n")
    yield store
    store.close()


def publish(writer: OxigraphStore, name: str) -> None:
    root = writer.path / READER_CHECKPOINTS
    root.mkdir(exist_ok=True)
    writer.native.backup(str(root / name))
    publish_checkpoint(writer, root / name)


def test_a_reader_opens_the_published_checkpoint_and_leaves_nothing(writer):
    publish(writer, f"{os.getpid()}-1-test")
    reader = open_for_reading(writer.path)
    assert reader.read_only and bool(reader.query("ASK { <urn:x:a> ?p ?o }"))
    writer.replace_graph_ntriples(GRAPH, b"<urn:x:new> <urn:x:b> <urn:x:c> .\n")
    assert bool(reader.query("ASK { <urn:x:a> ?p ?o }"))  # the data as published
    reader.close()
    left = sorted(p.name for p in (writer.path / READER_CHECKPOINTS).iterdir())
    assert left == [f"{os.getpid()}-1-test", SERVED_CHECKPOINT]


def test_without_a_live_publication_a_reader_is_refused(writer):
    with pytest.raises(StoreError, match="open for writing in another process"):
        open_for_reading(writer.path)
    publish(writer, "999999999-1-killed")  # a server that no longer runs
    with pytest.raises(StoreError, match="open for writing in another process"):
        open_for_reading(writer.path)


def test_with_nobody_else_a_reader_opens_the_store_as_before(tmp_path):
    OxigraphStore(tmp_path / "store").close()
    reader = open_for_reading(tmp_path / "store")
    assert not reader.read_only
    reader.close()
