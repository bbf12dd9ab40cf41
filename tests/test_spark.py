"""``--compute spark``: the Spark derivers give the embedded engine's derived graph and
findings, triple for triple, on every fixture with SDN listings and on generated worlds
(cycles, bands, dated holdings and listings, transactions on many dates). Spark runs in
local mode, one session for the whole test session."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from fixtures_support import FIXTURES, fixture_as_of, fixture_files
from sanctiongraph import spark as spark_compute
from sanctiongraph.cli import cli
from sanctiongraph.derive import DERIVED
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources, read_and_load
from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import open_store
from sanctiongraph.validate import validate_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

try:
    spark_compute.check_available()
    SPARK = None
except spark_compute.SparkUnavailable as exc:
    SPARK = str(exc)
needs_spark = pytest.mark.skipif(SPARK is not None, reason=SPARK or "")

# Fixtures the 50 Percent Rule deriver has something to work on.
LISTED = [p for p in fixture_files() if re.search(r"ref/list/SDN|list:SDN|onList", p.read_text())]
_BLANK = re.compile(r"_:\S+")


@pytest.fixture(scope="session")
def spark_derivers():
    """The Spark replacements, on one small local session (started by the first job)."""
    import os

    os.environ.setdefault("SANCTIONGRAPH_SPARK_DRIVER_MEMORY", "1g")
    os.environ.setdefault("SANCTIONGRAPH_SPARK_PARTITIONS", "1")
    return spark_compute.spark_derivers("local[1]")


def run(store_sources, as_of: date, derivers=None):
    """(derived triples as N-Triples lines, blank nodes blanked; findings)."""
    store = open_store(in_memory=True)
    load_bundled(store)
    store_sources(store)
    report = validate_store(store, as_of, "fast", derivers=derivers)
    triples = {_BLANK.sub("_:b", str(t)) for t in store.triples(DERIVED)}
    return triples, report.findings


def assert_same(store_sources, as_of: date, derivers) -> set[str]:
    embedded, embedded_findings = run(store_sources, as_of)
    spark, spark_findings = run(store_sources, as_of, derivers)
    assert spark == embedded, (sorted(embedded - spark)[:5], sorted(spark - embedded)[:5])
    assert spark_findings == embedded_findings
    return embedded


def fixture_loader(path: Path):
    triples = parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
    return lambda store: load_sources(store, [Source.from_triples(path.stem, triples)], bulk=True)


def package_loader(*paths: Path):
    return lambda store: read_and_load(store, list(paths))


def test_the_listed_fixtures_are_found():
    assert len(LISTED) > 20 and any("ofac-50pct" in str(p) for p in LISTED)


def _case(path: Path):
    """The 50 Percent Rule's own fixtures run in a quick local run; the others (whose
    rules use its statuses) only with the slow tests, as in CI (several seconds each)."""
    slow = (
        ()
        if path.parent.name in ("ofac-50pct", "fincen-311-dprk", "nksr-510")
        else (pytest.mark.slow,)
    )
    return pytest.param(path, id=str(path.relative_to(FIXTURES)), marks=slow)


@needs_spark
@pytest.mark.parametrize("path", [_case(p) for p in LISTED])
def test_spark_matches_embedded_on_fixture(path, spark_derivers):
    assert_same(fixture_loader(path), fixture_as_of(path), spark_derivers)


@needs_spark
@pytest.mark.parametrize("seed", [3, 7])
def test_spark_matches_embedded_on_a_generated_world(tmp_path, spark_derivers, seed):
    """Cycles, diamonds, bands, dated and ended holdings and listings, control, and
    transactions through correspondent accounts (bench/pipeline.py)."""
    from pipeline import write_world

    write_world(1500, seed=seed, folder=tmp_path / "world")
    derived = assert_same(package_loader(tmp_path / "world"), date(2026, 11, 23), spark_derivers)
    assert any("BlockedEntity" in t for t in derived)  # the rule had work to do
    assert any("blockedShare" in t for t in derived)


@needs_spark
@pytest.mark.slow
def test_spark_matches_embedded_on_a_larger_world_and_the_demo(tmp_path, spark_derivers):
    from pipeline import write_world

    write_world(20_000, seed=11, folder=tmp_path / "world")
    assert_same(package_loader(tmp_path / "world"), date(2026, 11, 23), spark_derivers)
    assert_same(package_loader(demo_world_dir()), date(2026, 11, 23), spark_derivers)


@needs_spark
def test_validate_compute_spark_gives_the_same_report(spark_derivers, as_of):
    """The CLI end to end on the demo world (its session is the test session's)."""
    args = ["validate", str(demo_world_dir()), "--as-of", as_of.isoformat(), "--format", "json"]
    embedded = CliRunner().invoke(cli, args)
    spark = CliRunner().invoke(cli, [*args, "--compute", "spark", "--spark-master", "local[1]"])
    assert spark.exit_code == embedded.exit_code == 1, spark.output[-2000:]
    assert spark.output == embedded.output


def test_compute_spark_without_pyspark_is_one_line(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    for command in (
        ["validate", str(demo_world_dir())],
        ["load", str(demo_world_dir()), "--store", str(tmp_path / "store")],
    ):
        result = CliRunner().invoke(cli, [*command, "--compute", "spark"])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [
            "error: --compute spark needs pyspark: pip install 'sanctiongraph[spark]'"
        ]
    assert not (tmp_path / "store").exists()  # failed before opening anything


def test_compute_spark_without_java_is_one_line(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    result = CliRunner().invoke(cli, ["validate", str(demo_world_dir()), "--compute", "spark"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "needs Java" in result.output
