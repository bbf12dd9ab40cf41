"""The fast engine and pySHACL find the same (focus, shape, citation) on every fixture
and on the demo world; every bundled shape is translatable."""

from __future__ import annotations

import pytest

from fixtures_support import FIXTURES, fixture_files, run_fixture
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.validate import validate_paths
from sanctiongraph.validate.fast import constraint_queries
from sanctiongraph.validate.shapes import bundled_shapes, firing_shapes

FILES = fixture_files()


def triples_of(report):
    return {(f.focus, f.shape, f.citation) for f in report.findings}


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fast_engine_matches_pyshacl_on_fixture(path):
    assert triples_of(run_fixture(path, "fast")) == triples_of(run_fixture(path, "reference"))


@pytest.mark.slow
def test_fast_engine_matches_pyshacl_on_demo_world(as_of):
    fast = validate_paths([demo_world_dir()], as_of, "fast")
    reference = validate_paths([demo_world_dir()], as_of, "reference")
    assert not fast.errors and fast.findings
    assert triples_of(fast) == triples_of(reference)
    assert fast.findings == reference.findings


def test_every_shape_translates():
    shapes = bundled_shapes()
    for shape in firing_shapes(shapes):
        assert constraint_queries(shapes, shape), shape


def test_fast_engine_matches_pyshacl_on_a_generated_world(tmp_path, as_of):
    """A seeded synthetic world (bench/pipeline.py): ownership, banks in several
    jurisdictions, nested correspondent accounts and transactions."""

    from pipeline import write_world

    write_world(40, seed=7, folder=tmp_path / "world")
    fast = validate_paths([tmp_path / "world"], as_of, "fast")
    reference = validate_paths([tmp_path / "world"], as_of, "reference")
    assert not fast.errors and fast.findings
    assert triples_of(fast) == triples_of(reference)


COUNTS_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:Counts a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property ex:AtLeastTwo, ex:AtMostTwo, ex:ExactlyOne .
ex:AtLeastTwo sh:path ex:a ; sh:minCount 2 ; sh:severity sh:Violation .
ex:AtMostTwo sh:path ex:b ; sh:maxCount 2 ; sh:severity sh:Violation .
ex:ExactlyOne sh:path ex:c ; sh:minCount 1 ; sh:maxCount 1 ; sh:severity sh:Violation .
"""
COUNTS_DATA = """
@prefix ex: <https://example.org/> .
ex:ok a ex:Thing ; ex:a 1, 2 ; ex:b 1, 2 ; ex:c 1 .
ex:few a ex:Thing ; ex:a 1 ; ex:c 1 .
ex:many a ex:Thing ; ex:a 1, 2 ; ex:b 1, 2, 3 ; ex:c 1, 2 .
ex:none a ex:Thing ; ex:a 1, "1" .
ex:same a ex:Thing ; ex:a 1, 2 ; ex:c 1, 1.0 .  # equal values, two terms
"""


def test_count_bounds_other_than_one_match_pyshacl():
    """The bundled shapes only use counts of 1 (translated without GROUP BY); the
    general translation stays right for other bounds, and both agree with pySHACL."""
    import pyoxigraph as ox
    from rdflib import Graph, URIRef

    from sanctiongraph.store import open_store
    from sanctiongraph.validate.engine import run_pyshacl
    from sanctiongraph.validate.fast import run_fast

    shapes = Graph().parse(data=COUNTS_SHAPES, format="turtle")
    store = open_store(in_memory=True)
    store.add_triples(
        ox.NamedNode("https://example.org/g"),
        ox.parse(COUNTS_DATA.encode(), format=ox.RdfFormat.TURTLE),
    )
    fast = {(r.focus, r.shape) for r in run_fast(store, shapes)}
    assert fast == {(r.focus, r.shape) for r in run_pyshacl(store, shapes)}
    ex = "https://example.org/"
    assert fast == {
        (URIRef(ex + focus), URIRef(ex + shape))
        for focus, shape in [
            ("few", "AtLeastTwo"),
            ("many", "AtMostTwo"),
            ("many", "ExactlyOne"),
            ("none", "ExactlyOne"),
            ("same", "ExactlyOne"),
        ]
    }


def test_a_statement_in_two_sources_counts_once(tmp_path, as_of):
    """The union of graphs repeats a statement made in two sources; the engines agree as
    over one merged graph: a 60 percent holding given twice is not 120 percent."""
    text = (FIXTURES / "common" / "conforms-shares-sum.ttl").read_text()
    text = text.replace("sg:percent 50.0", "sg:percent 40.0")
    for name in ("a.ttl", "b.ttl"):
        (tmp_path / name).write_text(text)
    paths = [tmp_path / "a.ttl", tmp_path / "b.ttl"]
    fast = validate_paths(paths, as_of, "fast")
    assert not fast.errors
    assert not [f for f in fast.findings if f.shape.endswith("SharesSumShape")]
    assert triples_of(fast) == triples_of(validate_paths(paths, as_of, "reference"))


def test_query_results_never_outlive_the_thread_that_made_them():
    """The fast engine runs its queries in threads, and a pyoxigraph result may only be
    dropped on the thread that made it. Converting an invalid date to an rdflib term
    logs a traceback (rdflib), which a handler may keep (pytest's capture does) and drop
    later on another thread: no frame of that traceback may hold a query result. Before
    the fix one did, and dropping the record raised "PyQuerySolutions is unsendable, but
    is being dropped on another thread"."""
    import logging

    import pyoxigraph as ox

    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    handler = Keep()
    logging.getLogger().addHandler(handler)
    try:
        run_fixture(FIXTURES / "common" / "violates-dates.ttl", "fast")
    finally:
        logging.getLogger().removeHandler(handler)
    tracebacks = [r.exc_info[2] for r in kept if r.exc_info and r.exc_info[2]]
    assert tracebacks  # the traceback this test is about was logged
    for tb in tracebacks:
        frame = tb.tb_frame
        while frame is not None:
            held = [v for v in frame.f_locals.values() if isinstance(v, ox.QuerySolutions)]
            assert not held, frame.f_code.co_name
            frame = frame.f_back
