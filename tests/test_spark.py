"""``--compute spark``: the Spark derivers give the embedded engine's derived graph and
findings, triple for triple, on every fixture with SDN listings and on generated worlds
(cycles, bands, dated holdings and listings, transactions on many dates). Spark runs in
local mode, one session for the whole test session."""

from __future__ import annotations

import importlib.util
import re
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

try:
    spark_compute.check_available()
    SPARK = None
except spark_compute.SparkUnavailable as exc:
    SPARK = str(exc)
needs_spark = pytest.mark.skipif(SPARK is not None, reason=SPARK or "")

# Fixtures the 50 Percent Rule deriver has something to work on: SDN listings, or
# persons blocked by operation of law (every fixture of the rule itself).
LISTED = [
    p
    for p in fixture_files()
    if p.parent.name == "ofac-50pct" or re.search(r"ref/list/SDN|list:SDN|onList", p.read_text())
]
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


def _random_world(seed: int, size: int = 240):
    """Ownership data with what the generated packages lack: offices both ways, listings
    with unknown intervals (possibly listed, possibly delisted), control, bands, dated
    holdings and two rules by operation of law (one by name, one with what its persons
    own or control, in force from 2018, its start before 2020 not established)."""
    import random

    from sanctiongraph.analysis.ownership import OwnershipData

    rng = random.Random(seed)
    data = OwnershipData()
    key = "https://example.org/e{}".format
    days = ["2015-06-01", "2017-03-01", "2019-01-01", "2021-07-15", "2024-01-01"]
    for i in range(size):
        data.entity(key(i))
    for n in range(size * 2):
        owner, owned = rng.randrange(size), rng.randrange(size)
        if owner == owned:
            continue
        start = rng.choice([None, None, *days])
        end = rng.choice([None, None, None, *days])
        if rng.random() < 0.15:
            data.add_holding(key(owner), key(owned), control=True, key=f"{key(owner)}/c{n}")
        elif rng.random() < 0.3:
            low = rng.choice([None, 10, 25, 40])
            data.add_holding(
                key(owner),
                key(owned),
                minimum=low,
                maximum=(low or 0) + rng.choice([10, 30, 60]),
                start=start,
                end=end,
                key=f"{key(owner)}/h{n}",
            )
        else:
            percent = rng.choice([10, 25, 30, 49.9999, 50, 60, 100])
            data.add_holding(
                key(owner), key(owned), percent, start=start, end=end, key=f"{key(owner)}/h{n}"
            )
    for n in range(size // 12):
        start = rng.choice([None, "2016-01-01", "2020-01-01"])
        end = rng.choice([None, None, "2018-06-01", "2022-01-01"])
        if start and end and start >= end:
            end = None
        data.add_listing(
            key(rng.randrange(size)),
            start,
            end,
            f"https://example.org/l{n}",
            [f"https://example.org/program/{rng.choice('ABC')}"],
            possibly_from="2014-01-01" if start and rng.random() < 0.5 else None,
            possibly_until="2023-01-01" if end and rng.random() < 0.5 else None,
        )
    for _ in range(size // 10):
        data.add_branch(key(rng.randrange(size)), key(rng.randrange(size)))
    data.add_blocked_by_law(
        "https://example.org/rule/by-name",
        [key(rng.randrange(size))],
        programs=["https://example.org/program/L"],
    )
    persons = [key(size - 1), key(size - 2), key(size - 3)]
    data.add_holding(persons[0], key(size - 4), minimum=30, maximum=70, key=f"{persons[0]}/band")
    data.add_blocked_by_law(
        "https://example.org/rule/owned-or-controlled",
        persons,
        programs=["https://example.org/program/L"],
        start="2018-01-01",
        unverified_start="2020-01-01",
        owned_or_controlled=True,
    )
    return data.compact(), [*days, "2016-06-01", "2018-06-01", "2022-06-01", "2023-06-01"]


@needs_spark
@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_spark_statuses_match_on_offices_by_law_and_possible_listings(spark_derivers, seed):
    """The fixed points alone, date by date: every set, share and reason the embedded
    engine finds, and the triples written from them (reasons, explanations)."""
    from sanctiongraph.analysis.ownership import compute_status, status_in_words
    from sanctiongraph.derive.ofac_50pct import status_triples
    from sanctiongraph.spark.ofac50 import spark_statuses

    data, days = _random_world(seed)
    found = spark_statuses(spark_compute.spark_session("local[1]"), data, days)
    kinds = set()
    for day in days:
        embedded, spark = compute_status(data, day), found[day]
        assert spark == embedded, day
        assert set(status_triples(data, spark)) == set(status_triples(data, embedded))
        # the transaction path: the embedded engine computes for the parties only
        parties = set(list(embedded.maybe)[:5]) | {0, 1, 2}
        scoped = compute_status(data, day, parties)
        for party in parties:
            assert spark.status(party) == scoped.status(party)
            assert status_in_words(data, spark, party) == status_in_words(data, scoped, party)
        kinds |= {
            name
            for name, present in [
                ("possibly listed", embedded.possibly_listed),
                ("by law", embedded.by_law),
                ("possibly by law", embedded.possibly_by_law),
                ("offices", data.b_office and embedded.blocked & set(data.b_office)),
                ("possibly blocked", embedded.possibly_blocked),
            ]
            if present
        }
    assert kinds == {"possibly listed", "by law", "possibly by law", "offices", "possibly blocked"}
