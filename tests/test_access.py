"""Indirect-access paths (``sanctiongraph access``, ``access_paths``): chains of nested
accounts into US correspondent accounts, bounded, cycle-safe, as of a date."""

from __future__ import annotations

import json
from datetime import date

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from sanctiongraph.analysis.access import (
    MAX_PATH_BYTES,
    MAX_PATHS,
    AccessPath,
    Edge,
    PathLimits,
    UnknownEntity,
    access_paths,
    find_paths,
    load_access_data,
    render_text,
)
from sanctiongraph.cli import cli
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import ID
from sanctiongraph.store import open_store
from sanctiongraph.store.oxigraph import OxigraphStore

AS_OF = date(2026, 11, 23)
WORLD = """
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .
@prefix acc: <https://w3id.org/sanctiongraph/id/account/> .
@prefix cty: <https://w3id.org/sanctiongraph/ref/country/> .
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ent:kp a sg:Bank ; dct:identifier "kp" ; sg:jurisdiction cty:KP .
ent:cn a sg:Bank ; dct:identifier "cn" ; sg:jurisdiction cty:CN .
ent:hk a sg:Bank ; dct:identifier "hk" ; sg:jurisdiction cty:HK .
ent:us a sg:Bank ; dct:identifier "us" ; sg:jurisdiction cty:US .
ent:cn-ny a sg:Bank ; dct:identifier "cn-ny" ; sg:jurisdiction cty:CN ; sg:locatedIn cty:US ; sg:branchOf ent:cn .
ent:us-ldn a sg:Bank ; dct:identifier "us-ldn" ; sg:jurisdiction cty:US ; sg:locatedIn cty:GB ; sg:branchOf ent:us .
ent:shop a sg:Company ; dct:identifier "shop" ; sg:jurisdiction cty:US .
# kp -> cn -> hk -> us (a correspondent account in the US at a US bank)
acc:a1 a sg:CorrespondentAccount ; dct:identifier "a1" ; sg:heldBy ent:kp ; sg:maintainedBy ent:cn .
acc:a2 a sg:CorrespondentAccount ; dct:identifier "a2" ; sg:heldBy ent:cn ; sg:maintainedBy ent:hk .
acc:a3 a sg:CorrespondentAccount ; dct:identifier "a3" ; sg:heldBy ent:hk ; sg:maintainedBy ent:us .
# a cycle: hk keeps an account at cn, which keeps one at hk
acc:a4 a sg:CorrespondentAccount ; dct:identifier "a4" ; sg:heldBy ent:hk ; sg:maintainedBy ent:cn .
# closed before the as-of date: not a path any more
acc:a5 a sg:CorrespondentAccount ; dct:identifier "a5" ; sg:heldBy ent:cn ; sg:maintainedBy ent:us ;
    sg:openedOn "2010-01-01"^^xsd:date ; sg:closedOn "2026-11-22"^^xsd:date .
# the US branch of a foreign bank is a covered financial institution
acc:a6 a sg:PayableThroughAccount ; dct:identifier "a6" ; sg:heldBy ent:hk ; sg:maintainedBy ent:cn-ny .
# not reaching the US: an account kept in London by a US bank's branch; a deposit account
# at a US bank (asserted data only: once derived, an account a foreign bank holds at a US
# bank is a correspondent account whatever its type); an account at a US company that is
# not a financial institution
acc:a7 a sg:CorrespondentAccount ; dct:identifier "a7" ; sg:heldBy ent:cn ; sg:maintainedBy ent:us-ldn .
acc:a8 a sg:DepositAccount ; dct:identifier "a8" ; sg:heldBy ent:hk ; sg:maintainedBy ent:us .
acc:a9 a sg:CorrespondentAccount ; dct:identifier "a9" ; sg:heldBy ent:cn ; sg:maintainedBy ent:shop .
# opens after the as-of date
acc:a10 a sg:CorrespondentAccount ; dct:identifier "a10" ; sg:heldBy ent:kp ; sg:maintainedBy ent:us ;
    sg:openedOn "2026-11-24"^^xsd:date .
"""


@pytest.fixture(scope="module")
def store():
    s = open_store(in_memory=True)
    load_bundled(s)
    load_sources(
        s, [Source.from_triples("world", parse_rdf(WORLD.encode(), ox.RdfFormat.TURTLE, "w.ttl"))]
    )
    return s  # no derivers: access paths read asserted data only


def as_tuples(body):
    return [(tuple(p["hops"]), tuple(p["accounts"]), p["reaches_us"]) for p in body["paths"]]


def test_paths_from_a_north_korean_bank(store):
    body = access_paths(store, "kp", AS_OF, 4)
    assert set(body) == {"entity", "paths", "truncated"}
    assert body["entity"] == "kp" and body["truncated"] is False
    assert all(set(p) == {"hops", "accounts", "reaches_us"} for p in body["paths"])
    assert as_tuples(body) == [
        (("kp", "cn"), ("a1",), False),
        (("kp", "cn", "hk"), ("a1", "a2"), False),
        (("kp", "cn", "hk", "us"), ("a1", "a2", "a3"), True),
        (("kp", "cn", "hk", "cn-ny"), ("a1", "a2", "a6"), True),
        (("kp", "cn", "hk", "us"), ("a1", "a2", "a8"), False),
        (("kp", "cn", "us-ldn"), ("a1", "a7"), False),
        (("kp", "cn", "shop"), ("a1", "a9"), False),
    ]


def test_levels_read_in_chunks_give_the_same_paths(store, monkeypatch):
    """A level of more holders than one VALUES block takes is read in several queries."""
    import sanctiongraph.queries

    whole = as_tuples(access_paths(store, "kp", AS_OF, 4))
    monkeypatch.setattr(sanctiongraph.queries, "VALUES_CHUNK", 1)
    assert as_tuples(access_paths(store, "kp", AS_OF, 4)) == whole


def test_hops_run_to_the_maintainer_of_the_last_account(store):
    for hops, accounts, _ in as_tuples(access_paths(store, "kp", AS_OF, 4)):
        assert len(hops) == len(accounts) + 1 and hops[0] == "kp"


def test_depth_is_bounded(store):
    assert max(len(a) for _, a, _ in as_tuples(access_paths(store, "kp", AS_OF, 2))) == 2
    assert as_tuples(access_paths(store, "kp", AS_OF, 1)) == [(("kp", "cn"), ("a1",), False)]
    with pytest.raises(ValueError):
        access_paths(store, "kp", AS_OF, 0)
    with pytest.raises(ValueError):
        access_paths(store, "kp", AS_OF, 11)


def test_cycles_terminate_and_no_institution_repeats(store):
    body = access_paths(store, "hk", AS_OF, 10)
    for hops, _, _ in as_tuples(body):
        assert len(set(hops)) == len(hops)
    assert (("hk", "cn", "us-ldn"), ("a4", "a7"), False) in as_tuples(body)
    # the cycle hk -> cn -> hk is cut: no path returns to hk
    assert not any(h[-1] == "hk" for h, _, _ in as_tuples(body))


def test_as_of_governs_which_accounts_are_open(store):
    earlier = as_tuples(access_paths(store, "kp", date(2026, 11, 21), 2))
    assert (("kp", "cn", "us"), ("a1", "a5"), True) in earlier
    assert (("kp", "cn", "us"), ("a1", "a5"), True) not in as_tuples(
        access_paths(store, "kp", AS_OF, 2)
    )
    later = as_tuples(access_paths(store, "kp", date(2026, 11, 24), 1))
    assert (("kp", "us"), ("a10",), True) in later


def test_entity_by_iri_and_unknown_entity(store):
    by_iri = access_paths(store, str(ID["entity/kp"]), AS_OF, 4)
    assert by_iri == access_paths(store, "kp", AS_OF, 4)
    with pytest.raises(UnknownEntity):
        access_paths(store, "nobody", AS_OF, 4)
    with pytest.raises(LookupError):  # what the API maps to 404
        access_paths(store, "https://example.org/nobody", AS_OF, 4)


DAYS = [
    date(2026, 11, 21),
    date(2026, 11, 22),
    AS_OF,
    date(2026, 11, 24),
    date(2009, 12, 31),
    date(2010, 1, 1),
]
STARTS = ["kp", "cn", "hk", "us", "cn-ny", "us-ldn", "shop"]


def test_every_account_read_once_gives_the_same_paths(store):
    """The API's copy of every account (load_access_data) answers as the per-level reads
    do, for every start, depth and date around the accounts' boundaries."""
    data = load_access_data(store)
    for start in STARTS:
        for day in DAYS:
            for depth in (1, 2, 4, 10):
                expected = access_paths(store, start, day, depth)
                assert access_paths(store, start, day, depth, data) == expected
                by_iri = access_paths(store, str(ID[f"entity/{start}"]), day, depth, data)
                assert by_iri == expected, (start, day, depth)
    with pytest.raises(UnknownEntity):
        access_paths(store, str(ID["entity/nobody"]), AS_OF, 4, data)


def test_account_dates_are_boundaries_on_both_paths(store):
    """a5 is open from 2010-01-01 up to its closing day 2026-11-22 (closed on it); a10
    opens on 2026-11-24 (open on it)."""
    data = load_access_data(store)
    for given in (None, data):

        def accounts(day, start="cn", given=given):
            return {
                a for _, acc, _ in as_tuples(access_paths(store, start, day, 1, given)) for a in acc
            }

        assert "a5" not in accounts(date(2009, 12, 31))
        assert "a5" in accounts(date(2010, 1, 1))
        assert "a5" in accounts(date(2026, 11, 21))
        assert "a5" not in accounts(date(2026, 11, 22))
        assert "a10" not in accounts(AS_OF, "kp")
        assert "a10" in accounts(date(2026, 11, 24), "kp")


ODD_DATES = (
    WORLD
    + """
# a closing date given as a plain string and an opening date as a dateTime: not dates
acc:b1 a sg:CorrespondentAccount ; dct:identifier "b1" ; sg:heldBy ent:shop ; sg:maintainedBy ent:us ;
    sg:closedOn "2030-01-01" .
acc:b2 a sg:CorrespondentAccount ; dct:identifier "b2" ; sg:heldBy ent:shop ; sg:maintainedBy ent:hk ;
    sg:openedOn "2020-01-01T00:00:00"^^xsd:dateTime .
# an ill-formed xsd:date
acc:b3 a sg:CorrespondentAccount ; dct:identifier "b3" ; sg:heldBy ent:shop ; sg:maintainedBy ent:cn ;
    sg:openedOn "2020-13-45"^^xsd:date .
acc:b4 a sg:CorrespondentAccount ; dct:identifier "b4" ; sg:heldBy ent:shop ; sg:maintainedBy ent:cn-ny ;
    sg:openedOn "2020-01-01"^^xsd:date .
# an institution without an IRI: a path ends there (a blank node cannot be bound in a query)
_:anon a sg:Bank ; dct:identifier "anon" ; sg:jurisdiction cty:CN .
acc:c1 a sg:CorrespondentAccount ; dct:identifier "c1" ; sg:heldBy ent:us-ldn ; sg:maintainedBy _:anon .
acc:c2 a sg:CorrespondentAccount ; dct:identifier "c2" ; sg:heldBy _:anon ; sg:maintainedBy ent:us .
# a holder named by a URN: resolve_entity takes only http(s) IRIs, so "urn:..." is an id
acc:d1 a sg:CorrespondentAccount ; dct:identifier "d1" ; sg:heldBy <urn:bank:1> ; sg:maintainedBy ent:us .
"""
)


@pytest.fixture(scope="module")
def odd():
    s = open_store(in_memory=True)
    load_bundled(s)
    load_sources(
        s,
        [Source.from_triples("world", parse_rdf(ODD_DATES.encode(), ox.RdfFormat.TURTLE, "w.ttl"))],
    )
    return s


def test_an_account_with_a_date_that_is_not_a_date_is_never_open(odd):
    """As the SPARQL date comparison fails on such a value, on both paths."""
    for given in (None, load_access_data(odd)):
        assert as_tuples(access_paths(odd, "shop", AS_OF, 1, given)) == [
            (("shop", "cn-ny"), ("b4",), True)
        ]


DATED = """
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .
@prefix acc: <https://w3id.org/sanctiongraph/id/account/> .
@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ent:h a sg:Bank ; dct:identifier "h" .
ent:m a sg:Bank ; dct:identifier "m" .
acc:o1 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o1" ;
    sg:openedOn "2010-01-01"^^xsd:date, "sometime" .
acc:o2 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o2" ;
    sg:openedOn <https://example.org/someday> .
acc:o3 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o3" ;
    sg:openedOn "2010-01-01"^^xsd:date ; sg:closedOn "10000-01-01"^^xsd:date .
acc:o4 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o4" ;
    sg:openedOn "-0001-01-01"^^xsd:date ; sg:closedOn "2026-11-23"^^xsd:date .
acc:o5 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o5" ;
    sg:openedOn "2020-01-01"^^xsd:date, "2026-11-24"^^xsd:date ;
    sg:closedOn "2026-11-23"^^xsd:date, "2030-01-01"^^xsd:date .
acc:o6 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o6" ; sg:closedOn "2030-01-01" .
acc:o7 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o7" ;
    sg:openedOn "2026-11-23"^^xsd:date ; sg:closedOn "2026-11-24"^^xsd:date .
acc:o8 sg:heldBy ent:h ; sg:maintainedBy ent:m ; dct:identifier "o8" .
"""
OLD_FILTER = """
PREFIX sg: <https://w3id.org/sanctiongraph/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT DISTINCT ?id ?asOf WHERE {
  ?account sg:heldBy ?holder ; dct:identifier ?id .
  OPTIONAL { ?account sg:openedOn ?opened }
  OPTIONAL { ?account sg:closedOn ?closed }
  FILTER ((!BOUND(?opened) || ?opened <= ?asOf) && (!BOUND(?closed) || ?closed > ?asOf))
}"""


def test_open_accounts_are_those_the_sparql_date_filter_keeps():
    """Several dates for one account, dates that are IRIs or strings, years beyond 9999
    and before 1: on every day, both paths keep exactly the accounts that SPARQL's
    date comparison keeps (the filter the access query used to apply)."""
    from rdflib import XSD

    world = open_store(in_memory=True)
    load_bundled(world)
    load_sources(
        world,
        [Source.from_triples("world", parse_rdf(DATED.encode(), ox.RdfFormat.TURTLE, "w.ttl"))],
    )
    data = load_access_data(world)
    for day in (
        date(2009, 12, 31),
        date(2010, 1, 1),
        date(2026, 11, 22),
        AS_OF,
        date(2026, 11, 24),
        date(2029, 12, 31),
        date(2031, 1, 1),
    ):
        as_of = ox.Literal(day.isoformat(), datatype=ox.NamedNode(str(XSD.date)))
        expected = {s["id"].value for s in world.query(OLD_FILTER, {"asOf": as_of})}
        for given in (None, data):
            body = access_paths(world, "h", day, 1, given)
            assert {p["accounts"][0] for p in body["paths"]} == expected, (day, given)
    on_the_day = {p["accounts"][0] for p in access_paths(world, "h", AS_OF, 1, data)["paths"]}
    assert on_the_day == {"o1", "o3", "o5", "o7", "o8"}


def test_the_copy_resolves_entities_as_the_store_does(odd):
    data = load_access_data(odd)
    assert "urn:bank:1" in data.by_holder
    for given in (None, data):
        with pytest.raises(UnknownEntity):
            access_paths(odd, "urn:bank:1", AS_OF, 4, given)


def test_a_path_ends_at_a_blank_node(odd):
    for given in (None, load_access_data(odd)):
        assert as_tuples(access_paths(odd, "us-ldn", AS_OF, 4, given)) == [
            (("us-ldn", "anon"), ("c1",), False)
        ]


def test_generated_world_same_paths_from_the_whole_store(tmp_path):
    """A seeded world of bench/pipeline.py (nested correspondent accounts with opening
    dates between 2005 and 2024): every bank, both paths, two dates."""

    from pipeline import write_world
    from sanctiongraph.ingest import read_sources

    write_world(400, seed=5, folder=tmp_path / "world")
    world = open_store(in_memory=True)
    load_bundled(world)
    load_sources(world, read_sources([tmp_path / "world"]))
    data = load_access_data(world)
    found = 0
    for n in range(0, 400, 5):
        for day in (date(2012, 6, 1), AS_OF):
            body = access_paths(world, f"e{n}", day, 4, data)
            assert body == access_paths(world, f"e{n}", day, 4), (n, day)
            found += len(body["paths"])
    assert found > 100


def test_find_paths_on_plain_edges():
    edges = [
        Edge("x", "a", "b", False),
        Edge("y", "b", "a", False),
        Edge("z", "b", "c", True),
        Edge("w", "a", "a", False),
    ]
    found = find_paths(edges, "a", 5)
    assert found.paths == [
        AccessPath(("a", "b"), ("x",), False),
        AccessPath(("a", "b", "c"), ("x", "z"), True),
    ]
    assert found.truncated is False
    one = find_paths(edges, "a", 5, limits=PathLimits(paths=1))
    assert one.paths == found.paths[:1] and one.truncated is True
    exact = find_paths(edges, "a", 5, limits=PathLimits(paths=2))
    assert exact.paths == found.paths and exact.truncated is False  # nothing left to list


# --------------------------------------------------------------------------- dense networks

BANKS = 12


def complete_world(banks: int = BANKS) -> bytes:
    """``banks`` banks that each hold a correspondent account at every other one."""
    lines = [
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix ent: <https://w3id.org/sanctiongraph/id/entity/> .",
        "@prefix acc: <https://w3id.org/sanctiongraph/id/account/> .",
        "@prefix cty: <https://w3id.org/sanctiongraph/ref/country/> .",
        "@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .",
    ]
    for i in range(banks):
        lines.append(
            f'ent:b{i} a sg:Bank ; dct:identifier "b{i}" ; '
            f"sg:jurisdiction cty:{'US' if i % 2 else 'CN'} ."
        )
        lines += [
            f'acc:a{i}-{j} a sg:CorrespondentAccount ; dct:identifier "a{i}-{j}" ; '
            f"sg:heldBy ent:b{i} ; sg:maintainedBy ent:b{j} ."
            for j in range(banks)
            if j != i
        ]
    return "\n".join(lines).encode()


def simple_paths(banks: int, depth: int) -> int:
    """Simple paths of 1..depth accounts from one bank of a complete network."""
    total, count = 0, 1
    for k in range(1, depth + 1):
        count *= banks - k
        total += count
    return total


@pytest.fixture(scope="module")
def complete():
    s = open_store(in_memory=True)
    load_bundled(s)
    load_sources(
        s, [Source.from_triples("k12", parse_rdf(complete_world(), ox.RdfFormat.TURTLE, "k12.ttl"))]
    )
    return s, load_access_data(s)


@pytest.mark.parametrize("depth", range(1, 11))
def test_complete_network_is_bounded_at_every_depth(complete, depth):
    """Twelve banks with accounts at each other have about ten million paths of up to
    eight accounts (the CLI passed 11 GB, the API sent 138 MB at depth 6): every depth
    answers within the caps, in bounded time, and says ``truncated`` where it was cut."""
    import time
    import tracemalloc

    store, data = complete
    everything = simple_paths(BANKS, depth)
    for given in (data, None):  # the API's copy, and the CLI's reads level by level
        tracemalloc.start()
        started = time.monotonic()
        body = access_paths(store, "b0", AS_OF, depth, given)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < 10, elapsed  # about 0.1 s untraced; tracing slows it sixfold
        assert peak < 60_000_000, peak  # about 11 MB
        assert len(json.dumps(body)) <= MAX_PATH_BYTES
        assert len(body["paths"]) == min(everything, MAX_PATHS)
        assert body["truncated"] is (everything > MAX_PATHS)
        assert all(
            len(p["accounts"]) <= depth and len(set(p["hops"])) == len(p["hops"])
            for p in body["paths"]
        )
    if depth <= 4:  # complete: the same answer as an unbounded walk
        assert body == access_paths(
            store, "b0", AS_OF, depth, data, PathLimits(10**9, 10**12, None)
        )


def test_complete_network_byte_and_time_bounds(complete):
    """The byte bound and the time bound cut a walk as the path bound does."""
    store, data = complete
    small = access_paths(store, "b0", AS_OF, 6, data, PathLimits(bytes=20_000, seconds=None))
    assert small["truncated"] is True and 0 < len(json.dumps(small)) <= 20_000
    first = access_paths(store, "b0", AS_OF, 6, data, PathLimits(paths=len(small["paths"])))
    assert first["paths"] == small["paths"]  # the first paths of the walk's order
    timed = access_paths(
        store, "b0", AS_OF, 10, data, PathLimits(paths=10**9, bytes=10**12, seconds=0.05)
    )
    assert timed["truncated"] is True and 0 < len(timed["paths"]) < 10**6
    assert "truncated" in render_text(timed, AS_OF, 10).splitlines()[0]


def test_access_reads_the_same_covered_institutions_as_the_deriver(store):
    """reaches_us uses the covered-institution test of derive/fincen_311_dprk.py."""
    from sanctiongraph.derive import run_derivers

    copy = open_store(in_memory=True)
    for graph in store.graphs():
        copy.replace_graph(graph, store.triples(graph))
    run_derivers(copy, AS_OF)
    covered = {
        r["id"].value
        for r in copy.query(
            "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#> "
            "SELECT ?id WHERE { ?x a sg:CoveredFinancialInstitution ; "
            "<http://purl.org/dc/terms/identifier> ?id }"
        )
    }
    assert covered == {"us", "us-ldn", "cn-ny"}
    reached = {h[-1] for h, _, us in as_tuples(access_paths(store, "kp", AS_OF, 4)) if us}
    assert reached <= covered


def test_text_rendering(store):
    body = access_paths(store, "kp", AS_OF, 4)
    text = render_text(body, AS_OF, 4)
    assert text.splitlines()[0].startswith("indirect access from kp as of 2026-11-23")
    assert "2 reaching the United States" in text
    assert "US  kp --[a1]--> cn --[a2]--> hk --[a3]--> us" in text


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("access")
    (directory / "world.ttl").write_text(WORLD)
    result = CliRunner().invoke(
        cli, ["load", str(directory / "world.ttl"), "--store", str(directory / "store")]
    )
    assert result.exit_code == 0, result.output
    return directory / "store"


def test_cli_json_is_exactly_the_library_body(store_dir):
    result = CliRunner().invoke(
        cli,
        [
            "access",
            "kp",
            "--store",
            str(store_dir),
            "--as-of",
            "2026-11-23",
            "--max-depth",
            "3",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    loaded = OxigraphStore(store_dir, read_only=True)
    try:
        body = access_paths(loaded, "kp", AS_OF, 3)
    finally:
        loaded.close()
    assert json.loads(result.output) == body
    # Derived (sanctiongraph load derives): the deposit account a8 that hk, a foreign bank,
    # holds at a US bank is a correspondent account by what it does (1010.605(c)(1)(i)).
    assert (("kp", "cn", "hk", "us"), ("a1", "a2", "a8"), True) in as_tuples(body)


def test_cli_text_and_iri(store_dir):
    result = CliRunner().invoke(
        cli, ["access", str(ID["entity/hk"]), "--store", str(store_dir), "--as-of", "2026-11-23"]
    )
    assert result.exit_code == 0, result.output
    assert "indirect access from hk" in result.output
    assert "US  hk --[a3]--> us" in result.output


def test_cli_unknown_entity_exits_2(store_dir):
    result = CliRunner().invoke(cli, ["access", "nobody", "--store", str(store_dir)])
    assert result.exit_code == 2
    assert "no entity" in result.output and "nobody" in result.output


def test_cli_complete_network_is_bounded(tmp_path):
    """The CLI passes the library's bound: depth 8 on twelve banks passed 11 GB before."""
    (tmp_path / "k12.ttl").write_bytes(complete_world())
    store = str(tmp_path / "store")
    assert (
        CliRunner().invoke(cli, ["load", str(tmp_path / "k12.ttl"), "--store", store]).exit_code
        == 0
    )
    result = CliRunner().invoke(
        cli,
        [
            "access",
            "b0",
            "--store",
            store,
            "--as-of",
            "2026-11-23",
            "--max-depth",
            "8",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["truncated"] is True and len(body["paths"]) == MAX_PATHS
    text = CliRunner().invoke(cli, ["access", "b0", "--store", store, "--max-depth", "8"])
    assert "truncated" in text.output.splitlines()[0]


def test_cli_rejects_bad_depth(store_dir):
    result = CliRunner().invoke(
        cli, ["access", "kp", "--store", str(store_dir), "--max-depth", "0"]
    )
    assert result.exit_code == 2


# --------------------------------------------------------------------------- external stores

from test_store_remote import oxigraph_url, server_url, virtuoso_url  # noqa: E402,F401


def test_same_paths_on_a_sparql_server(server_url, store):  # noqa: F811 - the fixture
    """The access query runs unchanged on Oxigraph server and Virtuoso 7 (--store URL)."""
    remote = open_store(server_url)
    load_bundled(remote)
    load_sources(
        remote,
        [Source.from_triples("world", parse_rdf(WORLD.encode(), ox.RdfFormat.TURTLE, "w.ttl"))],
    )
    for start, depth in (("kp", 4), ("hk", 10)):
        assert access_paths(remote, start, AS_OF, depth) == access_paths(store, start, AS_OF, depth)
    assert access_paths(remote, "kp", date(2026, 11, 21), 2) == access_paths(
        store, "kp", date(2026, 11, 21), 2
    )
    data = load_access_data(remote)  # the whole-store read, as the API makes it
    for start in STARTS:
        for day in DAYS:
            assert access_paths(remote, start, day, 4, data) == access_paths(store, start, day, 4)
