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
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from pipeline import write_world

    write_world(40, seed=7, folder=tmp_path / "world")
    fast = validate_paths([tmp_path / "world"], as_of, "fast")
    reference = validate_paths([tmp_path / "world"], as_of, "reference")
    assert not fast.errors and fast.findings
    assert triples_of(fast) == triples_of(reference)
