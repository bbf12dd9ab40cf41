"""A load or a reload killed at any moment leaves every graph old or new and complete,
and a derived graph that matches the other graphs (computed again when the store is
next opened); bench/crashes.py kills at random moments, these tests at the worst ones."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

import crashes
from sanctiongraph.derive import derived_is_complete, run_derivers
from sanctiongraph.ingest import IngestError
from sanctiongraph.loading import load_bundled, load_sources, read_and_load
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store.oxigraph import JOURNAL, OxigraphStore

AS_OF = date(2026, 11, 23)
WORLD = "https://w3id.org/sanctiongraph/graph/source/world"
DERIVED = "https://w3id.org/sanctiongraph/graph/derived"

# Runs the CLI after replacing one callable with one that kills the process (SIGKILL,
# as the attack run did), before or after calling the original.
KILLER = """
import functools, importlib, os, signal, sys
target, when = sys.argv[1], sys.argv[2]
module_name, _, attribute = target.partition(":")
holder = importlib.import_module(module_name)
*path, name = attribute.split(".")
for part in path:
    holder = getattr(holder, part)
original = getattr(holder, name)
@functools.wraps(original)
def killing(*args, **kwargs):
    if when == "after":
        original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
setattr(holder, name, killing)
from sanctiongraph.cli import main
sys.argv = ["sanctiongraph"] + sys.argv[3:]
main()
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sanctiongraph.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def loaded(package: Path, store: Path) -> Path:
    """``store`` after an uninterrupted ``sanctiongraph load`` of ``package``."""
    result = cli(
        "load",
        str(package),
        "--store",
        str(store),
        "--graph",
        "world",
        "--as-of",
        AS_OF.isoformat(),
    )
    assert result.returncode == 0, result.stderr
    return store


def load_killed_at(target: str, when: str, package: Path, store: Path) -> int:
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLER,
            target,
            when,
            "load",
            str(package),
            "--store",
            str(store),
            "--graph",
            "world",
            "--as-of",
            AS_OF.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return process.returncode


def exported(store: Path, graph: str) -> crashes.Contents:
    """One graph as the CLI exports it (opening the store as every read command does)."""
    result = cli("export", "--store", str(store), "--graph", graph, "--format", "ntriples")
    assert result.returncode == 0, result.stderr
    memory = ox.Store()
    memory.load(result.stdout.encode(), format=ox.RdfFormat.N_TRIPLES)
    return crashes.Counter(crashes._line(q.triple) for q in memory)


@pytest.fixture(scope="module")
def worlds(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, dict[str, crashes.Contents]]:
    folder = tmp_path_factory.mktemp("worlds")
    v1, v2 = folder / "v1", folder / "v2"
    crashes.write_package(crashes.generate(300, 1), v1)
    crashes.write_package(crashes.generate(300, 2), v2)
    return v1, v2, {"v1": crashes.reference_state(v1), "v2": crashes.reference_state(v2)}


def test_a_reload_killed_between_drop_and_load_leaves_the_new_graph(worlds, tmp_path):
    v1, v2, expected = worlds
    store = loaded(v1, tmp_path / "store")
    # The old graph is dropped, the new one not yet loaded: the kill that lost graphs.
    code = load_killed_at(
        "sanctiongraph.store.oxigraph:OxigraphStore.drop_graph", "after", v2, store
    )
    assert code == -9
    assert exported(store, "source/world") == expected["v2"][WORLD]
    assert exported(store, "derived") == expected["v2"][DERIVED]
    assert not list((store / JOURNAL).iterdir())


def test_a_derivation_killed_part_way_is_done_again_before_anything_reads_it(worlds, tmp_path):
    v1, v2, expected = worlds
    store = loaded(v1, tmp_path / "store")
    # The sources are replaced; the 50 Percent Rule deriver dies before it writes.
    code = load_killed_at("sanctiongraph.derive.ofac_50pct:derive", "before", v2, store)
    assert code == -9
    opened = OxigraphStore(store)
    assert not derived_is_complete(opened)  # the torn graph is recognised as such
    opened.close()
    assert exported(store, "derived") == expected["v2"][DERIVED]


def test_a_load_killed_before_its_derivation_never_leaves_the_old_derived_graph(worlds, tmp_path):
    """The derived graph of v1 must not sit beside the sources of v2 (28 of 80 trials)."""
    v1, v2, expected = worlds
    store = loaded(v1, tmp_path / "store")
    code = load_killed_at("sanctiongraph.derive:run_derivers", "before", v2, store)
    assert code == -9
    assert exported(store, "source/world") == expected["v2"][WORLD]
    assert exported(store, "derived") == expected["v2"][DERIVED]


def test_random_kills_of_load_and_reload(tmp_path):
    tally = crashes.run(trials=8, entities=300, seed=3, workdir=tmp_path)
    assert tally.failures == []
    assert sum(tally.outcomes.values()) == 8


def test_opening_deletes_the_files_a_killed_bulk_load_left(tmp_path):
    OxigraphStore(tmp_path).close()
    orphan = tmp_path / "bulk-1234.sst"
    orphan.write_bytes(b"partial")
    OxigraphStore(tmp_path).close()
    assert not orphan.exists()
    OxigraphStore(tmp_path, read_only=True).close()  # a reader never deletes anything


def test_a_replacement_journaled_but_not_committed_is_forgotten(tmp_path):
    graph = ox.NamedNode(WORLD)
    store = OxigraphStore(tmp_path)
    store.replace_graph_ntriples(graph, b"<http://x/a> <http://x/p> <http://x/old> .\n", bulk=True)
    pending = tmp_path / JOURNAL / ".pending-x"
    pending.mkdir(parents=True)
    (pending / "graph").write_text(WORLD)
    (pending / "data.nt").write_bytes(b"<http://x/a> <http://x/p> <http://x/new> .\n")
    store.close()
    store = OxigraphStore(tmp_path)
    assert [t.object.value for t in store.triples(graph)] == ["http://x/old"]
    assert not pending.exists()
    store.close()


def test_changing_a_source_marks_the_derived_graph_stale_and_a_failed_load_does_not(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    load_bundled(store)
    read_and_load(store, [demo_world_dir()])
    run_derivers(store, AS_OF)
    assert derived_is_complete(store)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "entities.csv").write_text("id,name,kind,jurisdiction\nx,X,spaceship,US\n")
    with pytest.raises(IngestError):
        read_and_load(store, [bad])
    assert derived_is_complete(store)  # nothing changed, nothing to derive again
    load_sources(store, [])
    assert derived_is_complete(store)
    read_and_load(store, [demo_world_dir()])
    assert not derived_is_complete(store)
    store.close()
