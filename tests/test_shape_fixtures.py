"""Every fixture produces exactly its expected (focus, shape) pairs, and every shape
has a violating fixture that names it, paired with a conforming one."""

from __future__ import annotations

import pytest
from rdflib import RDFS
from rdflib.namespace import SH

from fixtures_support import FIXTURES, actual_pairs, expected_pairs, fixture_files, run_fixture
from sanctiongraph.validate.shapes import bundled_shapes, firing_shapes, shape_nodes

FILES = fixture_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture_gives_exactly_the_expected_findings(path):
    report = run_fixture(path)
    assert not report.errors
    assert actual_pairs(report) == expected_pairs(path)
    for finding in report.findings:
        assert finding.citation, f"{finding.shape} has no citation"
        assert finding.message and "{" not in finding.message


def test_every_violating_fixture_has_its_conforming_twin():
    for path in FILES:
        if path.name.startswith("violates-"):
            twin = path.with_name(path.name.replace("violates-", "conforms-", 1))
            assert twin.exists(), f"{path.relative_to(FIXTURES)} has no conforming twin"
            assert path.with_name(path.stem + ".expected.ttl").exists()


def test_every_shape_fires_in_some_violating_fixture():
    fired = set()
    for path in FILES:
        fired |= {shape for _, shape in expected_pairs(path)}
    named = {str(s) for s in firing_shapes(bundled_shapes())}
    assert named, "no shapes found"
    assert sorted(named - fired) == []


def test_every_shape_is_named_and_documented():
    shapes = bundled_shapes()
    for shape in shape_nodes(shapes):
        assert str(shape).startswith("https://w3id.org/sanctiongraph/shapes/"), (
            f"unnamed shape {shape}"
        )
        assert shapes.value(shape, RDFS.label), f"{shape} has no rdfs:label"
    for shape in firing_shapes(shapes):
        assert shapes.value(shape, SH.message) or all(
            shapes.value(c, SH.message) for c in shapes.objects(shape, SH.sparql)
        ), shape
