"""``--compute spark``: the Spark derivers give the embedded engine's derived graph and
findings, triple for triple, on every fixture with SDN listings, every Section 311
fixture and on generated worlds (cycles, bands, branches, subsidiaries, dated holdings
and listings, transactions on many dates). Spark runs in local mode, one session for the
whole test session."""

from __future__ import annotations

import importlib.util
import re
from datetime import date, timedelta
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


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


@needs_spark
@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_spark_statuses_match_on_offices_by_law_and_possible_listings(spark_derivers, seed):
    """The fixed points alone, date by date: every set, share and reason the embedded
    engine finds, and the triples written from them (reasons, explanations)."""
    from sanctiongraph.analysis.ownership import compute_status, status_in_words
    from sanctiongraph.derive.ofac_50pct import status_triples
    from sanctiongraph.spark.ofac50 import spark_statuses

    data, days = _random_world(seed)
    # The transaction path: each party's status on its date, computed for the parties
    # that can ever be blocked and what is above them. The parties of the day after and
    # two days after each date (mostly one class of dates: their scopes are joined) are
    # some of what the whole graph holds of each kind, three that can never be blocked,
    # and three fixed ones; the first date is also a transaction date (the whole graph's
    # status serves it).
    never = sorted(set(range(len(data.keys))) - data.possible())[:3]
    assert never
    parties: dict[str, set[int]] = {days[0]: {0, 1, 2}}
    for day in days:
        embedded = compute_status(data, day)
        picked = [sorted(found)[:3] for found in _kinds_of(data, embedded).values()]
        chosen = {e for group in picked for e in group} | {0, 1, 2, *never}
        parties[_next_day(day)] = chosen
        parties[_next_day(_next_day(day))] = set(sorted(embedded.maybe)[3:9]) | set(never)
    found = spark_statuses(spark_compute.spark_session("local[1]"), data, days, parties)
    kinds, party_kinds = set(), set()
    for day in days:
        embedded, spark = compute_status(data, day), found[day]
        assert spark == embedded, day
        assert set(status_triples(data, spark)) == set(status_triples(data, embedded))
        for after in (_next_day(day), _next_day(_next_day(day))):
            whole = compute_status(data, after)
            for party in parties[after]:
                assert found[after].status(party) == whole.status(party), (after, party)
                if whole.status(party) != "not_blocked":
                    assert status_in_words(data, found[after], party) == status_in_words(
                        data, whole, party
                    )
            party_kinds |= {
                name
                for name, members in _kinds_of(data, found[after]).items()
                if members & parties[after]
            }
        kinds |= {name for name, members in _kinds_of(data, embedded).items() if members}
    everything = {"possibly listed", "by law", "possibly by law", "offices", "possibly blocked"}
    assert kinds == everything
    assert party_kinds == everything  # the scoped runs met every kind among the parties


def _kinds_of(data, status) -> dict[str, set[int]]:
    """The entities of each kind of reason a status holds."""
    return {
        "possibly listed": set(status.possibly_listed),
        "by law": set(status.by_law),
        "possibly by law": set(status.possibly_by_law),
        "offices": status.blocked & set(data.b_office),
        "possibly blocked": set(status.possibly_blocked),
    }


# --- Section 311 populations (derive/fincen_311_dprk.py; spark/fincen311.py) ------------

_SECTION_311 = FIXTURES / "fincen-311-dprk"
SECTION_311 = sorted(p for p in _SECTION_311.glob("*.ttl") if not p.name.endswith(".expected.ttl"))


def _walked(path: Path) -> bool:
    """The fixture has branches or holdings for the populations' walks."""
    return bool(re.search(r"sg:branchOf|sg:Ownership", path.read_text()))


def _311_case(path: Path):
    """Fixtures whose populations walk branches or holdings run quickly; the others
    (seeds only) with the slow tests."""
    marks = () if _walked(path) else (pytest.mark.slow,)
    return pytest.param(path, id=path.name, marks=marks)


def test_the_section_311_fixtures_are_found():
    assert len(SECTION_311) > 40 and sum(map(_walked, SECTION_311)) >= 15


@needs_spark
@pytest.mark.parametrize("path", [_311_case(p) for p in SECTION_311 if p not in LISTED])
def test_spark_matches_embedded_on_section_311_fixture(path, spark_derivers):
    derived = assert_same(fixture_loader(path), fixture_as_of(path), spark_derivers)
    assert any("fincen-311-dprk/classification" in t for t in derived)


_PREFIXES = """@prefix acc: <https://w3id.org/sanctiongraph/id/account/> .
@prefix cty: <https://w3id.org/sanctiongraph/ref/country/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .
@prefix hold: <https://w3id.org/sanctiongraph/id/holding/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix tx: <https://w3id.org/sanctiongraph/id/transaction/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
DANDONG = "<https://w3id.org/sanctiongraph/ref/entity/bank-of-dandong>"


def section_311_world(seed: int, size: int = 120) -> str:
    """A random Section 311 world in Turtle: banks, other financial institutions,
    companies and persons in KP, CN, HK and the US; branches at any depth (with cycles,
    some inside North Korea, some in the US); holdings exact and banded around the
    threshold (50, 50.01, bands), dated and ended, some of persons, some with two
    holding nodes for one relation, some of Bank of Dandong; FINCEN_311 listings citing
    1010.660, dated; ids that tie, and entities without ids (so the walk's order decides
    the evidence); US correspondent accounts opened and closed on many dates, and
    transactions on many dates."""
    import random

    rng = random.Random(seed)
    days = [f"{y}-{m:02d}-{d:02d}" for y in range(2015, 2027) for m, d in ((3, 1), (9, 15))]
    lines = [_PREFIXES]
    e = "ent:e{}".format
    kinds = ["sg:Bank", "sg:Bank", "sg:NonBankFinancialInstitution", "sg:Company", "sg:Person"]
    banks_us = []
    for i in range(size):
        kind = rng.choice(kinds)
        facts = [f"{e(i)} a {kind}"]
        if rng.random() < 0.85:  # ids tie now and then; some entities have none
            facts.append(f'dct:identifier "id{rng.randrange(size // 2)}"')
        where = rng.choice(["KP", "KP", "CN", "HK", "US", None])
        if where:
            facts.append(f"sg:jurisdiction cty:{where}")
        if rng.random() < 0.3:
            facts.append(f"sg:locatedIn cty:{rng.choice(['KP', 'US', 'CN'])}")
        if kind != "sg:Person" and rng.random() < 0.35:
            parent = DANDONG if rng.random() < 0.1 else e(rng.randrange(size))
            facts.append(f"sg:branchOf {parent}")
        if where == "US" and kind == "sg:Bank":
            banks_us.append(i)
        lines.append(" ; ".join(facts) + " .")
    lines.append(f"ent:twin owl:sameAs {DANDONG} . ent:twin a sg:Bank ; sg:jurisdiction cty:CN .")
    for n in range(size * 2):
        owner = DANDONG if rng.random() < 0.05 else e(rng.randrange(size))
        owned = e(rng.randrange(size))
        share = rng.choice(
            [
                'sg:percent "50"^^xsd:decimal',
                'sg:percent "50.01"^^xsd:decimal',
                'sg:percent "60"^^xsd:decimal',
                'sg:percent "100"^^xsd:decimal',
                'sg:percent "30"^^xsd:decimal',
                'sg:percentMin "51"^^xsd:decimal ; sg:percentMax "70"^^xsd:decimal',
                'sg:percentMin "40"^^xsd:decimal ; sg:percentMax "60"^^xsd:decimal',
            ]
        )
        dates = ""
        if rng.random() < 0.4:
            dates += f' ; sg:startDate "{rng.choice(days)}"^^xsd:date'
        if rng.random() < 0.3:
            dates += f' ; sg:endDate "{rng.choice(days)}"^^xsd:date'
        node = f"hold:h{n}"
        lines.append(
            f"{node} a sg:Ownership ; sg:owner {owner} ; sg:owned {owned} ; {share}{dates} ."
        )
        if rng.random() < 0.05:  # the same relation stated by a second node
            lines.append(
                f"hold:h{n}b a sg:Ownership ; sg:owner {owner} ; sg:owned {owned} ; {share}{dates} ."
            )

    def dated(start: str, end: str, first: str, then: str, p_end: float) -> str:
        text = f'{start} "{first}"^^xsd:date'
        return text + (f' ; {end} "{then}"^^xsd:date' if rng.random() < p_end else "")

    for n in range(size // 15):
        dates = dated("sg:startDate", "sg:endDate", rng.choice(days), rng.choice(days), 0.4)
        lines.append(
            f"<https://w3id.org/sanctiongraph/id/designation/g{n}> a sg:Designation ; "
            f"sg:designates {e(rng.randrange(size))} ; "
            "sg:onList <https://w3id.org/sanctiongraph/ref/list/FINCEN_311> ; "
            f'sg:sourceReference "31 CFR 1010.660" ; {dates} .'
        )
    for n in range(size // 3 if banks_us else 0):
        holder = e(rng.randrange(size))
        dates = dated("sg:openedOn", "sg:closedOn", *sorted(rng.sample(days, 2)), 0.6)
        lines.append(
            f'acc:a{n} a sg:CorrespondentAccount ; dct:identifier "a{n}" ; '
            f"sg:maintainedBy {e(rng.choice(banks_us))} ; sg:heldBy {holder} ; "
            f"sg:accountLocatedIn cty:US ; {dates} ."
        )
        for t in range(2):
            lines.append(
                f'tx:t{n}-{t} a sg:Transaction ; dct:identifier "t{n}-{t}" ; '
                f'sg:transactionDate "{rng.choice(days)}"^^xsd:date ; sg:throughAccount acc:a{n} ; '
                f"sg:originator {e(rng.randrange(size))} ; "
                f"sg:beneficiaryInstitution {e(rng.randrange(size))} ; "
                'sg:amount "1000"^^xsd:decimal ; sg:currency "USD" .'
            )
    return "\n".join(lines) + "\n"


def turtle_loader(text: str, name: str):
    triples = parse_rdf(text.encode(), ox.RdfFormat.TURTLE, name)
    return lambda store: load_sources(store, [Source.from_triples(name, triples)], bulk=True)


@needs_spark
@pytest.mark.parametrize("seed", [5, 6, pytest.param(8, marks=pytest.mark.slow)])
def test_spark_matches_embedded_on_a_generated_section_311_world(spark_derivers, seed):
    derived = assert_same(
        turtle_loader(section_311_world(seed), f"world-{seed}"), date(2026, 11, 23), spark_derivers
    )
    found = "\n".join(derived)
    # the walks had work to do: offices, subsidiaries, dated memberships, past maintaining
    assert "is a branch or office" in found and "a subsidiary)" in found
    assert "DatedMembership" in found and "MaintainedPeriod" in found
    assert "bank-of-dandong" in found  # the named institution's population


@needs_spark
@pytest.mark.parametrize(
    "breakage, world",
    [
        # holdings in force whatever the date: a subsidiary sold before the as-of date
        ("dates", "violates-b-2-subsidiary-sold-after.ttl"),
        # holdings walked before offices: other first chains, other evidence
        ("order", 5),
    ],
)
def test_a_broken_spark_walk_is_caught(spark_derivers, monkeypatch, breakage, world):
    """The differential test can fail: a Spark walk broken on purpose gives another
    derived graph than the embedded one."""
    from pyspark.sql import functions as F

    from sanctiongraph.spark import fincen311

    if breakage == "dates":
        monkeypatch.setattr(fincen311, "in_force", lambda day, start, end: F.lit(True))
        path = _SECTION_311 / str(world)
        loader, as_of = fixture_loader(path), fixture_as_of(path)
    else:
        monkeypatch.setattr(fincen311, "_OFFICE", 1)
        monkeypatch.setattr(fincen311, "_HOLDING", 0)
        loader, as_of = turtle_loader(section_311_world(int(world)), "world"), date(2026, 11, 23)
    with pytest.raises(AssertionError):
        assert_same(loader, as_of, spark_derivers)


@needs_spark
def test_spark_walks_match_breadth_first_on_any_seeds_days_and_thresholds(spark_derivers):
    """The walk alone: Spark's answers equal the embedded breadth_first, entity for
    entity and in order, for random seeds on days at, before and after the holdings'
    start and end dates and for several thresholds; one walk not recorded first is
    computed on its own."""
    import random
    from decimal import Decimal

    from sanctiongraph.derive import run_derivers
    from sanctiongraph.derive.fincen_311_dprk import World, breadth_first
    from sanctiongraph.spark.fincen311 import SparkWalks, read_all_holdings

    store = open_store(in_memory=True)
    load_bundled(store)
    turtle_loader(section_311_world(9), "world")(store)
    run_derivers(store, date(2026, 11, 23))  # types (sg:Agent) the world reads
    world = World.load(store)
    read_all_holdings(world, store)
    walks = SparkWalks(spark_compute.spark_session("local[1]"), world)
    rng = random.Random(9)
    entities = sorted(world.entities)
    cases = []
    for _ in range(14):
        seeds = world.sorted(rng.sample(entities, rng.randrange(1, 6)))
        year = rng.randrange(2014, 2028)
        day = rng.choice(
            [date(year, 3, 1), date(year, 2, 28), date(year, 9, 15), date(year, 9, 16)]
        )
        threshold = rng.choice([None, Decimal(50), Decimal("50.01"), Decimal(0)])
        cases.append((seeds, day, threshold))
    for case in cases[:-1]:
        walks.record(world, *case)
    walks.compute()
    reached = 0
    for case in cases:
        expected = breadth_first(world, *case)
        assert list(walks.answer(world, *case).items()) == list(expected.items()), case
        reached += len(expected)
    assert reached > 50
