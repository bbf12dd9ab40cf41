"""One relation stated by several sources counts once (issue 22, item 3).

The same package loaded under two graph names gives the statuses of one load (50 Percent
Rule, ``owners``, CAPTA, Section 311, NKSR); the second copy adds provenance only. A
repeated ``ownership.csv`` row is an input error. Five copies cost about five times one.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph import derive
from sanctiongraph.analysis.loader import load_ownership, owners
from sanctiongraph.analysis.ownership import OwnershipData, compute_status, summary
from sanctiongraph.ingest import IngestError, read_source
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import OxigraphStore

BENCH = Path(__file__).resolve().parents[1] / "bench"
import copies as copies_bench  # noqa: E402
import generate  # noqa: E402
from pipeline import write_world  # noqa: E402

AS_OF = date(2026, 11, 23)
MINIMAL = Path(__file__).parent / "fixtures" / "packages" / "minimal"


def loaded(package: Path, count: int) -> OxigraphStore:
    """A store with ``package`` loaded ``count`` times (graphs copy0, copy1, ...), derived."""
    store = OxigraphStore(None)
    load_bundled(store)
    load_sources(store, [read_source(package, f"copy{i}") for i in range(count)])
    derive.run_derivers(store, AS_OF)
    return store


def derived(store: OxigraphStore) -> set[tuple[ox.Term, ox.Term, ox.Term]]:
    return {
        (q.subject, q.predicate, q.object)
        for q in store.native.quads_for_pattern(None, None, None, derive.DERIVED)
    }


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """bench/pipeline.py's world: ownership, banks, accounts, transactions."""
    folder = tmp_path_factory.mktemp("world") / "world"
    write_world(600, 1, folder)
    return folder


@pytest.mark.parametrize("world", ["demo", "synthetic"])
def test_a_package_loaded_twice_derives_what_it_derives_once(world, synthetic):
    # Every derived fact of one load is derived again; the second load adds only facts
    # about its own nodes (the types of its holdings and designations, and provenance:
    # sg:viaHolding / sg:viaDesignation / prov:wasDerivedFrom naming them). So no status,
    # share, program, CAPTA assessment or Section 311 classification changes. (Before:
    # the demo world's blocked shares doubled, from 50 to 100, and CAPTA categories
    # changed, because two identical holdings were summed.)
    package = demo_world_dir() if world == "demo" else synthetic
    once, twice = derived(loaded(package, 1)), derived(loaded(package, 2))
    assert once <= twice
    extra = twice - once
    assert extra
    assert all("/copy1/" in t[0].value or "/copy1/" in t[2].value for t in extra), sorted(
        t for t in extra if "/copy1/" not in t[0].value + t[2].value
    )[:5]


def _without_provenance(answer: dict) -> dict:
    reasons = [
        {k: v for k, v in r.items() if k not in ("sources", "statements")}
        for r in answer["reasons"]
    ]
    return {**answer, "reasons": reasons}


def test_owners_answers_the_same_for_a_package_loaded_twice():
    once, twice = loaded(demo_world_dir(), 1), loaded(demo_world_dir(), 2)
    shared_once, shared_twice = load_ownership(once), load_ownership(twice)
    assert len(shared_twice.h_key) == len(shared_once.h_key)
    checked = 0
    for key in shared_once.keys:
        answer = owners(once, key, AS_OF)
        assert _without_provenance(owners(twice, key, AS_OF)) == _without_provenance(answer), key
        assert _without_provenance(owners(twice, key, AS_OF, shared_twice)) == _without_provenance(
            answer
        ), key
        checked += answer["status"] != "not_blocked"
    assert checked >= 10
    # Every source is in the provenance of a counted holding.
    reason = next(
        r for r in owners(twice, "ae-oasis", AS_OF)["reasons"] if r["kind"] == "ownership"
    )
    assert reason["sources"] == [
        "https://w3id.org/sanctiongraph/graph/source/copy0",
        "https://w3id.org/sanctiongraph/graph/source/copy1",
    ]
    assert [s.rsplit("/", 2)[-2] for s in reason["statements"]] == ["copy0", "copy1"]
    assert reason["holding"] == reason["statements"][0]


def test_the_same_holding_nodes_in_several_graphs_count_once():
    # RDF sources may name a holding with the same IRI: Oxigraph's union graph then
    # gives each of its triples once per graph. Five graphs: the statuses of one.
    world = generate.generate(1500, seed=6)
    one, five = OxigraphStore(None), OxigraphStore(None)
    one.native.load("".join(generate.nquads(world)).encode(), format=ox.RdfFormat.N_QUADS)
    for i in range(5):
        five.native.load(
            "".join(generate.nquads(world, f"{generate.BASE}graph/source/s{i}")).encode(),
            format=ox.RdfFormat.N_QUADS,
        )
    data_one, data_five = load_ownership(one), load_ownership(five)
    assert data_five.h_key == data_one.h_key
    assert all(len(s) == 5 for s in data_five.h_sources)
    for day in (AS_OF, date(2018, 1, 1)):
        a, b = compute_status(data_one, day), compute_status(data_five, day)
        assert a.maybe and (a.blocked, a.maybe, a.share_lo) == (b.blocked, b.maybe, b.share_lo)
    for number in sorted(compute_status(data_one, AS_OF).maybe)[:20]:
        key = data_one.keys[number]
        assert _without_provenance(owners(five, key, AS_OF)) == _without_provenance(
            summary(data_one, number, AS_OF)
        ), key


def test_identical_holdings_are_one_relation_and_different_ones_stay_two():
    data = OwnershipData()
    data.add_listing("X")
    first = data.add_holding("X", "A", 30, key="h/b", sources=["g2"])
    assert data.add_holding("X", "A", "30.0", key="h/a", sources=["g1"]) == first  # the same
    assert compute_status(data, AS_OF).status(data.index["A"]) == "not_blocked"
    assert data.h_key[first] == "h/a" and data.statements(first) == ["h/a", "h/b"]
    assert data.h_sources[first] == ("g1", "g2")
    # Another date, another share or another kind is another holding: they add up.
    data.add_holding("X", "A", 30, start="2020-01-01", key="h/c")
    assert len(data.h_key) == 2
    assert compute_status(data, AS_OF).status(data.index["A"]) == "blocked"


def test_a_holding_node_stated_with_two_percents_reads_as_a_band():
    # Two sources give one holding node 30 and 60 percent: it counts as a band 30-60,
    # so an entity with a blocked owner is possibly blocked, neither certainly blocked
    # (30 + 60) nor certainly not.
    store = OxigraphStore(None)
    sg = "https://w3id.org/sanctiongraph/ontology#"
    for graph, percent in (("g1", 30), ("g2", 60)):
        store.native.load(
            f"""
            @prefix sg: <{sg}> .
            <http://x.test/d> a sg:Designation ; sg:designates <http://x.test/x> ;
                sg:onList <https://w3id.org/sanctiongraph/ref/list/SDN> .
            <http://x.test/h> a sg:Ownership ; sg:owner <http://x.test/x> ; sg:owned <http://x.test/a> ;
                sg:percent "{percent}"^^<http://www.w3.org/2001/XMLSchema#decimal> .
            """.encode(),
            format=ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode(f"urn:{graph}"),
        )
    answer = owners(store, "http://x.test/a", AS_OF)
    assert answer["status"] == "possibly_blocked"
    assert answer["reasons"][0]["percent"] == {"min": 30, "max": 60}
    assert answer["reasons"][0]["sources"] == ["urn:g1", "urn:g2"]


@pytest.fixture
def package(tmp_path) -> Path:
    target = tmp_path / "pkg"
    shutil.copytree(MINIMAL, target)
    return target


def test_a_repeated_ownership_row_is_reported_with_the_row_it_repeats(package):
    path = package / "ownership.csv"
    lines = path.read_text().splitlines()
    # Row 5 repeats row 4 (kp-army owns 20-40 of ngo1); "20.0" is the number 20.
    lines.append(lines[3].replace(",20,", ",20.0,"))
    lines.append(lines[1].replace(",owns,", ",,"))  # row 6 repeats row 2: "owns" is the default
    lines.append(lines[1].replace(",2001-01-01,", ",2002-01-01,"))  # row 7: another date
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IngestError) as caught:
        read_source(package)
    found = {(e.file, e.row): e.message for e in caught.value.errors}
    assert set(found) == {("ownership.csv", 5), ("ownership.csv", 6)}
    assert found[("ownership.csv", 5)].startswith("repeats row 4 ")
    assert found[("ownership.csv", 6)].startswith("repeats row 2 ")


def test_five_copies_cost_about_five_times_one(synthetic):
    # Each run in its own process; the old CAPTA deriver joined 11 patterns whose
    # triples the union graph repeats once per copy (5**11 rows per transaction) and
    # did not finish. Generous bounds: the machine is shared.
    one = copies_bench.measure_in_child(synthetic, 1, timeout=300)
    five = copies_bench.measure_in_child(synthetic, 5, timeout=300)
    assert one is not None and five is not None, "5 copies took over 300 s"
    assert five["statuses"] == one["statuses"]
    total = lambda r: sum(r["seconds"].values())  # noqa: E731
    assert total(five) <= 6 * total(one) + 2.0, (one, five)
    assert five["heap_mb"] <= 6 * one["heap_mb"] + 5, (one, five)
