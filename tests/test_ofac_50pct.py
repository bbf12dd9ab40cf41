"""The OFAC 50 Percent Rule core (analysis/ownership.py): status, blocked share,
reasons, chains and effective ownership; then the store loader, ``owners`` and the CLI.

The SHACL side (accounts and transactions with blocked parties) is covered by the
fixtures in tests/fixtures/ofac-50pct/, run by test_shape_fixtures.py and test_engines.py.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from sanctiongraph.analysis.ownership import (
    BLOCKED,
    NOT_BLOCKED,
    POSSIBLY_BLOCKED,
    OwnershipData,
    chain_steps,
    chains,
    compute_status,
    effective_ownership,
    summary,
)

DAY = date(2026, 11, 23)


def world(holdings=(), listed=(), **listing_dates) -> OwnershipData:
    """holdings: (owner, owned, percent | (min, max) | "control", start, end) tuples."""
    data = OwnershipData()
    for row in holdings:
        owner, owned, share, *dates = row
        start, end = (list(dates) + [None, None])[:2]
        if share == "control":
            data.add_holding(owner, owned, control=True, start=start, end=end)
        elif isinstance(share, tuple):
            data.add_holding(owner, owned, minimum=share[0], maximum=share[1], start=start, end=end)
        else:
            data.add_holding(owner, owned, share, start=start, end=end)
    for entry in listed:
        name, start, end = (entry, None, None) if isinstance(entry, str) else entry
        data.add_listing(name, start, end, key=f"sdn-{name}", programs=["DPRK"])
    return data


def status_of(data: OwnershipData, name: str, day=DAY) -> dict:
    number = data.index[name]
    return summary(data, number, day)


def whole(data: OwnershipData, name: str, day=DAY) -> str:
    """The status from the whole-graph fixed point (must agree with the one-entity one)."""
    return compute_status(data, day).status(data.index[name])


def check(data, name, expected_status, expected_share=None, day=DAY):
    result = status_of(data, name, day)
    assert result["status"] == expected_status
    assert whole(data, name, day) == expected_status
    assert result["blocked"] is (expected_status == BLOCKED)
    if expected_share is not None:
        assert result["blocked_share"] == expected_share
    return result


def test_faq_401_example_1_chain_of_50_percent_holdings():
    data = world([("X", "A", 50), ("A", "B", 50)], ["X"])
    check(data, "A", BLOCKED, 50)
    result = check(data, "B", BLOCKED, 50)
    assert result["reasons"] == [
        {
            "kind": "ownership",
            "owner": "A",
            "holding": "holding-1",
            "percent": 50,
            "owner_status": BLOCKED,
        }
    ]


def test_faq_401_example_2_blocked_intermediaries_count_in_full():
    data = world([("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25)], ["X"])
    result = check(data, "C", BLOCKED, 50)
    assert {r["owner"] for r in result["reasons"]} == {"A", "B"}
    # Effective ownership is the separate, multiplied figure: 50% x 25% twice.
    eff = effective_ownership(data, data.index["C"], DAY)
    assert eff[data.index["X"]] == (25.0, 25.0)


def test_faq_401_example_3_direct_and_indirect_add_up():
    data = world([("X", "A", 50), ("X", "B", 10), ("A", "B", 40)], ["X"])
    check(data, "B", BLOCKED, 50)


def test_faq_399_two_sdns_at_25_percent_each():
    data = world([("X", "C", 25), ("Y", "C", 25)], ["X", "Y"])
    check(data, "C", BLOCKED, 50)
    data = world([("X", "C", 25), ("Y", "C", 25)], ["X"])
    check(data, "C", NOT_BLOCKED, 25)


def test_49_9_percent_does_not_block_and_50_does():
    check(world([("X", "A", "49.9")], ["X"]), "A", NOT_BLOCKED, 49.9)
    check(world([("X", "A", "49.9999")], ["X"]), "A", NOT_BLOCKED, 49.9999)
    check(world([("X", "A", 50)], ["X"]), "A", BLOCKED, 50)
    check(world([("X", "A", "33.3"), ("Y", "A", "16.7")], ["X", "Y"]), "A", BLOCKED, 50)


def test_an_ownership_stating_no_share_is_possibly_all_of_it():
    """An RDF sg:Ownership with no percent or band (the CSV requires one) was dropped, so
    an SDN owner's company was not blocked and not even possibly blocked."""
    from sanctiongraph.analysis.loader import add_holdings
    from sanctiongraph.namespaces import SG

    data = world([], ["X"])
    facts = dict.fromkeys(("percent", "min", "max", "start", "end"))
    owns = {"holding": "h", "kind": str(SG.Ownership), "owner": "X", "owned": "A"}
    add_holdings(data, [{**owns, **facts, "sources": ["g"]}])
    check(data, "A", POSSIBLY_BLOCKED)


def test_the_50_percent_boundary_is_exact_to_nine_decimal_places():
    """Shares were rounded to 1/10,000 of a percent each before they were summed: 49.99995
    blocked (rounded up to 50), and three shares summing to exactly 50 did not."""
    check(world([("X", "A", "49.99995")], ["X"]), "A", NOT_BLOCKED, 49.99995)
    check(world([("X", "A", "49.999999999")], ["X"]), "A", NOT_BLOCKED, 49.999999999)
    thirds = [("X", "A", "16.66664"), ("Y", "A", "16.66664"), ("Z", "A", "16.66672")]
    check(world(thirds, ["X", "Y", "Z"]), "A", BLOCKED, 50)


def test_blocked_intermediate_counts_its_whole_stake():
    # X owns 60% of A (A blocked); A owns 50% of B: B is blocked, although X's
    # multiplied stake in B is only 30%.
    data = world([("X", "A", 60), ("A", "B", 50)], ["X"])
    check(data, "B", BLOCKED, 50)
    assert effective_ownership(data, data.index["B"], DAY)[data.index["X"]] == (30.0, 30.0)


def test_chain_through_unblocked_40_percent_holder_does_not_block():
    # X owns 40% of A (A not blocked); A owns 100% of B: nothing of B is attributed to X.
    data = world([("X", "A", 40), ("A", "B", 100)], ["X"])
    check(data, "A", NOT_BLOCKED, 40)
    result = check(data, "B", NOT_BLOCKED, 0)
    assert result["reasons"] == []
    # Non-attribution example: 25% of A and of B, each owning 50% of C.
    data = world([("X", "A", 25), ("X", "B", 25), ("A", "C", 50), ("B", "C", 50)], ["X"])
    check(data, "C", NOT_BLOCKED, 0)


def test_control_only_never_blocks_but_is_reported():
    data = world([("X", "A", "control")], ["X"])
    result = check(data, "A", NOT_BLOCKED, 0)
    assert [r["kind"] for r in result["reasons"]] == ["control"]
    assert "398" in result["reasons"][0]["note"]
    assert result["chains"] == []


def test_a_holding_that_ended_no_longer_counts():
    data = world([("X", "A", 60, "2020-01-01", "2026-11-23")], ["X"])
    check(data, "A", NOT_BLOCKED, 0)
    check(data, "A", BLOCKED, 60, day=date(2026, 11, 22))
    check(data, "A", NOT_BLOCKED, 0, day=date(2019, 12, 31))


def test_a_delisted_owner_no_longer_blocks():
    data = world([("X", "A", 60)], [("X", "2015-01-01", "2025-06-01")])
    check(data, "X", NOT_BLOCKED)
    check(data, "A", NOT_BLOCKED, 0)
    result = check(data, "A", BLOCKED, 60, day=date(2025, 5, 31))
    assert result["reasons"][0]["owner"] == "X"


def test_bands_straddling_50_give_possibly_blocked():
    data = world([("X", "A", (40, 60))], ["X"])
    result = check(data, "A", POSSIBLY_BLOCKED, 40)
    assert result["reasons"][0]["percent"] == {"min": 40, "max": 60}
    check(world([("X", "A", (50, 70))], ["X"]), "A", BLOCKED, 50)
    check(world([("X", "A", (10, 30))], ["X"]), "A", NOT_BLOCKED, 10)


def test_possibly_blocked_owners_propagate_conservatively():
    # A is possibly blocked; A's 60% of B makes B possibly blocked, never blocked.
    data = world([("X", "A", (40, 60)), ("A", "B", 60)], ["X"])
    result = check(data, "B", POSSIBLY_BLOCKED, 0)
    assert result["reasons"][0]["owner_status"] == POSSIBLY_BLOCKED
    # A possibly blocked owner plus a blocked 30%: still only possibly blocked.
    data = world([("X", "A", (40, 60)), ("A", "B", 30), ("X", "B", 30)], ["X"])
    check(data, "B", POSSIBLY_BLOCKED, 30)


def test_cycles_terminate_and_need_a_blocked_owner_outside():
    data = world([("A", "B", 60), ("B", "A", 60)], [])
    check(data, "A", NOT_BLOCKED, 0)
    data = world([("A", "B", 60), ("B", "A", 40), ("X", "A", 10), ("B", "C", 50)], ["X"])
    check(data, "A", NOT_BLOCKED, 10)
    data = world([("A", "B", 60), ("B", "A", 40), ("X", "A", 10), ("Y", "A", 40)], ["X", "Y"])
    # Once A is blocked, B (60% A) is blocked, and B's 40% of A counts too.
    check(data, "A", BLOCKED, 90)
    check(data, "B", BLOCKED, 60)
    # Chains stay simple paths: above A, the paths are X-A, Y-A and B-A (B's owner A
    # would repeat).
    found = chain_steps(data, chains(data, data.index["A"], DAY, "up"))
    assert sorted(tuple((s["owner"], s["owned"]) for s in p) for p in found) == [
        (("B", "A"),),
        (("X", "A"),),
        (("Y", "A"),),
    ]


def test_as_of_before_and_after_a_listing():
    data = world([("X", "A", 50), ("A", "B", 50)], [("X", "2026-06-01", None)])
    check(data, "B", NOT_BLOCKED, 0, day=date(2026, 5, 31))
    check(data, "B", BLOCKED, 50, day=date(2026, 6, 1))
    assert status_of(data, "X", date(2026, 6, 1))["reasons"][0] == {
        "kind": "listing",
        "listing": "sdn-X",
        "list": "SDN",
        "programs": ["DPRK"],
        "start": "2026-06-01",
        "end": None,
    }


def test_chains_above_and_below_with_each_path():
    data = world(
        [("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25), ("Z", "X", 100)], ["X"]
    )
    above = chain_steps(data, chains(data, data.index["C"], DAY, "up"))
    assert sorted([(s["owner"], s["owned"]) for s in p] for p in above) == [
        [("Z", "X"), ("X", "A"), ("A", "C")],
        [("Z", "X"), ("X", "B"), ("B", "C")],
    ]
    below = chain_steps(data, chains(data, data.index["Z"], DAY, "down"))
    assert len(below) == 2 and all(p[0]["owner"] == "Z" and p[-1]["owned"] == "C" for p in below)
    eff = effective_ownership(data, data.index["Z"], DAY, "down")
    assert eff[data.index["C"]] == (25.0, 25.0)


def test_answers_do_not_depend_on_the_order_holdings_were_read():
    """Chains and reasons list holdings in the order of their keys, whatever the order in
    which they were added (the indexes are sorted once, not at each answer)."""
    rows = [
        ("A", "C", 30, "k3"),
        ("B", "C", 30, "k1"),
        ("X", "A", 60, "k2"),
        ("X", "B", 60, "k4"),
        ("Y", "C", "control", "k0"),
    ]
    answers = []
    for order in (rows, list(reversed(rows)), rows[2:] + rows[:2]):
        data = OwnershipData()
        for owner, owned, share, key in order:
            if share == "control":
                data.add_holding(owner, owned, control=True, key=key)
            else:
                data.add_holding(owner, owned, share, key=key)
        data.add_listing("X", key="sdn-X", programs=["DPRK"])
        data.add_listing("Y", key="sdn-Y", programs=["DPRK"])
        answers.append(status_of(data, "C"))
    assert answers[0] == answers[1] == answers[2]
    assert [[(s["owner"], s["owned"]) for s in c] for c in answers[0]["chains"]] == [
        [("X", "B"), ("B", "C")],
        [("X", "A"), ("A", "C")],
    ]  # k1 before k3
    assert [r["holding"] for r in answers[0]["reasons"]] == ["k0", "k1", "k3"]


def test_a_step_shows_the_smallest_id_even_when_it_comes_later():
    data = world([("X", "A", 50)])
    number = data.index["X"]
    assert data.step(0) == {"owner": "X", "owned": "A", "percent": 50}
    data.entity("X", "x-2")
    assert data.step(0)["owner"] == "x-2"
    data.entity("X", "x-1")
    data.entity("X", "x-3")
    assert data.step(0)["owner"] == "x-1" == data.label(number)
    assert data.step(0) is data.step(0)  # one dict per holding, shared by answers


def test_chain_limits_are_reported():
    data = world([(f"e{i}", f"e{i + 1}", 100) for i in range(40)], [])
    found = chains(data, data.index["e40"], DAY, "up", max_depth=10)
    assert found.truncated and len(found.paths[0]) == 10


def test_summary_has_exactly_the_contract_keys():
    result = status_of(world([("X", "A", 50)], ["X"]), "A")
    assert list(result) == ["entity", "blocked", "status", "blocked_share", "reasons", "chains"]
    assert result["chains"] == [[{"owner": "X", "owned": "A", "percent": 50}]]
    json.dumps(result)


def test_whole_graph_and_one_entity_agree_on_a_random_world():
    import random

    rng = random.Random(7)
    data = OwnershipData()
    for i in range(300):
        for _ in range(rng.randint(0, 3)):
            owner = rng.randrange(300)
            if owner != i:
                share = rng.choice([10, 20, 25, 30, 50, 60])
                if rng.random() < 0.3:
                    data.add_holding(f"e{owner}", f"e{i}", minimum=share, maximum=share + 35)
                else:
                    data.add_holding(f"e{owner}", f"e{i}", share)
    for i in rng.sample(range(300), 30):
        data.add_listing(f"e{i}")
    full = compute_status(data, DAY)
    assert full.blocked and full.possibly_blocked
    for name, number in data.index.items():
        assert compute_status(data, DAY, [number]).status(number) == full.status(number), name


# --- the store: loader, owners(), deriver -------------------------------------


def _bench_world(entities: int):

    import generate

    return generate


def test_owners_from_the_store_agrees_with_the_whole_graph_fixed_point():
    import pyoxigraph as ox

    from sanctiongraph.analysis.loader import load_ownership, owners
    from sanctiongraph.store import OxigraphStore

    generate = _bench_world(0)
    world = generate.generate(3000, seed=6)  # a seed whose world has possibly blocked entities
    store = OxigraphStore(None)
    store.native.load("".join(generate.nquads(world)).encode(), format=ox.RdfFormat.N_QUADS)
    for day in (DAY, date(2018, 1, 1)):
        data = load_ownership(store)
        full = compute_status(data, day)
        assert full.blocked and full.possibly_blocked
        assert len(full.blocked) == len(
            compute_status(generate.to_ownership_data(world), day).blocked
        )
        for number, key in enumerate(data.keys):
            if number % 7 and number not in full.maybe:
                continue  # every blocked/possibly blocked entity, and a seventh of the rest
            result = owners(store, key, day)
            assert owners(store, key, day, data) == result, key  # the API's shared data
            assert result["status"] == full.status(number), key
            assert result["entity"] == data.label(number)
            assert result["blocked_share"] == summary(data, number, day, full)["blocked_share"]


def test_holdings_below_listings_give_every_entity_the_same_status(monkeypatch):
    """The deriver reads only the holdings at or below listed entities, one level per
    query: every entity's status, and the blocked shares, are those of the whole store."""
    import pyoxigraph as ox

    import sanctiongraph.queries
    from sanctiongraph.analysis.loader import load_ownership, load_ownership_below_listings
    from sanctiongraph.store import OxigraphStore

    generate = _bench_world(0)
    world = generate.generate(3000, seed=6)
    store = OxigraphStore(None)
    store.native.load("".join(generate.nquads(world)).encode(), format=ox.RdfFormat.N_QUADS)
    data = load_ownership(store)
    monkeypatch.setattr(sanctiongraph.queries, "VALUES_CHUNK", 7)  # several queries per level
    below = load_ownership_below_listings(store)
    assert 0 < len(below.h_key) < len(data.h_key)
    for day in (DAY, date(2018, 1, 1)):
        full, part = compute_status(data, day), compute_status(below, day)
        assert full.maybe
        assert {data.keys[n]: full.status(n) for n in full.maybe} == {
            below.keys[n]: part.status(n) for n in part.maybe
        }
        assert {data.keys[n]: v for n, v in full.share_lo.items() if n in full.maybe} == {
            below.keys[n]: v for n, v in part.share_lo.items() if n in part.maybe
        }


def test_owners_with_shared_data_labels_an_entity_with_two_ids_as_without():
    # owners() with the API's whole-store data answers without querying the store; the
    # entity's label there must be its smallest data-package id, as resolve_entity gives.
    import pyoxigraph as ox

    from sanctiongraph.analysis.loader import load_ownership, owners
    from sanctiongraph.store import OxigraphStore

    generate = _bench_world(0)
    world = generate.generate(300, seed=6)
    store = OxigraphStore(None)
    store.native.load("".join(generate.nquads(world)).encode(), format=ox.RdfFormat.N_QUADS)
    ident = "<http://purl.org/dc/terms/identifier>"
    extra = "".join(
        f'<{generate.entity_iri(n)}> {ident} "{prefix}{n}" .\n'
        for n in range(300)
        for prefix in ("a-", "z-")
    )
    store.native.load(
        extra.encode(),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(generate.BASE + "graph/source/extra"),
    )
    data = load_ownership(store)
    checked = 0
    for key in data.keys:
        result = owners(store, key, DAY, data)
        assert result == owners(store, key, DAY), key
        assert result["entity"] == f"a-{key.rsplit('/', 1)[-1][1:]}", key
        checked += bool(result["chains"])
    assert checked
    # An entity in no holding and no listing: not in the data, nothing above it.
    loner = generate.entity_iri(999)
    store.native.load(
        f'<{loner}> {ident} "z-loner" .\n<{loner}> {ident} "loner" .\n'.encode(),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(generate.BASE + "graph/source/extra"),
    )
    assert loner not in data.index
    for key in (loner, "loner", "z-loner", data.keys[0].rsplit("/", 1)[-1]):
        assert owners(store, key, DAY, data) == owners(store, key, DAY), key
    assert owners(store, loner, DAY, data)["entity"] == "loner"


def test_holding_reached_twice_counts_once(tmp_path):
    # T's owners A and B are both owned by C, and C by the listed S (30 %): the walk
    # above T reaches S's holding in C twice; counted twice it would block C (60 %).
    from sanctiongraph.analysis.loader import owners
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store import open_store

    (tmp_path / "entities.csv").write_text(
        "id,name,kind,jurisdiction\n" + "".join(f"{e},{e},company,US\n" for e in "SCABT")
    )
    (tmp_path / "ownership.csv").write_text(
        "owner,owned,percent\nS,C,30\nC,A,100\nC,B,100\nA,T,10\nB,T,10\n"
    )
    (tmp_path / "designations.csv").write_text("entity,list,program,start\nS,SDN,DPRK,2017-01-01\n")
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([tmp_path]))
    for entity in "CABT":
        result = owners(store, entity, DAY)
        assert result["status"] == "not_blocked", entity
    assert owners(store, "T", DAY)["blocked_share"] == 0
    assert owners(store, "C", DAY)["blocked_share"] == 30


def test_scoped_fixed_point_agrees_on_every_change_date():
    # The deriver computes each transaction party's status on its own date with the
    # scoped fixed point (ancestors within OwnershipData.possible()); it must agree with
    # the whole-graph fixed point on every date where a holding or listing starts or ends.
    generate = _bench_world(0)
    data = generate.to_ownership_data(generate.generate(2000, seed=6))
    possible = data.possible()
    days = sorted(
        {
            d
            for d in data.h_start + data.h_end + data.l_start + data.l_end
            if d not in ("", "9999-12-31")
        }
    )
    assert len(days) > 50
    for day in days[:: max(1, len(days) // 60)]:
        full = compute_status(data, day)
        assert full.maybe <= possible
        parties = list(range(0, len(data.keys), 13)) + sorted(full.maybe)[:40]
        scoped = compute_status(data, day, parties)
        assert [scoped.status(e) for e in parties] == [full.status(e) for e in parties], day
        assert all(scoped.share_lo.get(e, 0) == full.share_lo.get(e, 0) for e in parties)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from sanctiongraph.derive import run_derivers
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.resources import demo_world_dir
    from sanctiongraph.store import open_store

    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([demo_world_dir()]))
    run_derivers(store, DAY)
    return store


@pytest.mark.parametrize(
    ("entity", "status", "share"),
    [
        ("my-silver-sail", BLOCKED, 60),  # 60% of the SDN kp-pine
        ("my-silver-sail-leasing", BLOCKED, 50),  # FAQ 401 ex. 1: 50% of a blocked subsidiary
        ("ae-oasis", BLOCKED, 50),  # FAQ 401 ex. 2 (diamond)
        ("ae-saltmarsh", BLOCKED, 50),  # two SDNs, 25% + 25%
        ("cn-ironwood", POSSIBLY_BLOCKED, 40),  # band 40-60 of an SDN
        ("sg-mirage", NOT_BLOCKED, 49.9),  # 49.9%
        ("sg-mistral", BLOCKED, 50),  # 50%
        ("hk-parchment", NOT_BLOCKED, 0),  # non-attribution through 25% holders
        ("gb-kestrel-bay", NOT_BLOCKED, 0),  # control only
        ("ae-caspian-horizon", NOT_BLOCKED, 0),  # the SDN's holding ended in 2015
        ("cy-ring-gamma", NOT_BLOCKED, 40),  # in a cycle: 40% from blocked beta
    ],
)
def test_owners_on_the_demo_world(demo_store, entity, status, share):
    from sanctiongraph.analysis.loader import owners

    result = owners(demo_store, entity, DAY)
    assert result["entity"] == entity
    assert (result["status"], result["blocked_share"]) == (status, share)
    assert result == owners(demo_store, f"https://w3id.org/sanctiongraph/id/entity/{entity}", DAY)


def test_deriver_writes_status_reasons_and_programs(demo_store):
    rows = {
        (s["e"].value.rsplit("/", 1)[-1], s["t"].value.rsplit("#", 1)[-1])
        for s in demo_store.query(
            "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#> SELECT ?e ?t WHERE { "
            "GRAPH <https://w3id.org/sanctiongraph/graph/derived> { ?e a ?t } "
            "VALUES ?t { sg:BlockedEntity sg:PossiblyBlockedEntity } }"
        )
    }
    assert ("my-silver-sail", "BlockedEntity") in rows
    assert ("cn-ironwood", "PossiblyBlockedEntity") in rows
    assert not {e for e, _ in rows} & {"sg-mirage", "hk-parchment", "gb-kestrel-bay"}
    found = list(
        demo_store.query(
            "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#> "
            "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?owner ?holding ?src ?program WHERE { "
            "<https://w3id.org/sanctiongraph/id/entity/my-silver-sail-leasing> sg:blockingReason ?r ; "
            "sg:blockedUnderProgram ?program . ?r sg:blockedOwner ?owner ; sg:viaHolding ?holding ; "
            "dct:source ?src }"
        )
    )
    # kp-pine is listed (DPRK3) and, 100 % owned by gov-kp, the Government of North Korea
    # by operation of law (DPRK, 31 CFR 510.311(b)).
    assert sorted(
        (f["owner"].value.rsplit("/", 1)[-1], f["program"].value.rsplit("/", 1)[-1]) for f in found
    ) == [("my-silver-sail", "DPRK"), ("my-silver-sail", "DPRK3")]
    assert found[0]["src"].value.endswith("OFAC-FAQ-401")


def test_cli_owners_text_json_and_unknown_id(demo_store, tmp_path):
    from click.testing import CliRunner

    from sanctiongraph.cli import cli

    store = str(tmp_path / "store")
    runner = CliRunner()
    from sanctiongraph.resources import demo_world_dir

    assert runner.invoke(cli, ["load", str(demo_world_dir()), "--store", store]).exit_code == 0
    done = runner.invoke(
        cli,
        ["owners", "cn-ironwood", "--as-of", "2026-11-23", "--store", store, "--format", "json"],
    )
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert list(body) == ["entity", "blocked", "status", "blocked_share", "reasons", "chains"]
    assert body["status"] == POSSIBLY_BLOCKED and body["blocked"] is False
    assert body["chains"] == [
        [
            {"owner": "gov-kp", "owned": "kp-crane", "percent": 100},
            {"owner": "kp-crane", "owned": "cn-ironwood", "percent": {"min": 40, "max": 60}},
        ]
    ]
    text = runner.invoke(
        cli,
        [
            "owners",
            "https://w3id.org/sanctiongraph/id/entity/my-silver-sail",
            "--as-of",
            "2026-11-23",
            "--store",
            store,
        ],
    )
    assert text.exit_code == 0 and "my-silver-sail: blocked on 2026-11-23" in text.output
    assert "kp-pine (blocked) owns 60%" in text.output
    before = runner.invoke(
        cli,
        ["owners", "my-silver-sail", "--as-of", "2017-02-28", "--store", store, "--format", "json"],
    )
    assert json.loads(before.output)["status"] == NOT_BLOCKED  # the holding began 2017-03-01
    missing = runner.invoke(cli, ["owners", "no-such-entity", "--store", store])
    assert missing.exit_code == 2 and "no entity with id 'no-such-entity'" in missing.output


def test_cli_owners_of_an_office_of_a_listed_bank_and_what_it_owns(tmp_path):
    """An office is no legal person of its own: the office of a listed bank is blocked,
    and so is what it owns 60% of. ``owners`` read the listings before the institutions
    of the offices it walked to, and said "not blocked" to both where the API, reading
    the whole store's data, said "blocked"."""
    from click.testing import CliRunner

    from sanctiongraph.analysis.loader import load_ownership, owners
    from sanctiongraph.cli import cli
    from sanctiongraph.store import open_store

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "entities.csv").write_text(
        "id,name,kind,jurisdiction,located_in,branch_of\n"
        "kpb,KP Bank,bank,KP,,\n"
        "kpb-br,KP Bank Moscow Branch,bank,KP,RU,kpb\n"
        "sub,Sub Co,company,SG,,\n",
        encoding="utf-8",
    )
    (package / "designations.csv").write_text(
        "entity,list,program,start\nkpb,SDN,DPRK,2017-01-01\n", encoding="utf-8"
    )
    (package / "ownership.csv").write_text("owner,owned,percent\nkpb-br,sub,60\n", encoding="utf-8")
    store = str(tmp_path / "store")
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(package), "--store", store, "--as-of", "2026-06-01"])
    assert loaded.exit_code == 0, loaded.output
    bodies = {}
    for entity in ("kpb-br", "sub"):
        done = runner.invoke(
            cli,
            ["owners", entity, "--as-of", "2026-06-01", "--store", store, "--format", "json"],
        )
        assert done.exit_code == 0, done.output
        bodies[entity] = json.loads(done.output)
    assert bodies["kpb-br"]["status"] == BLOCKED
    assert (bodies["sub"]["status"], bodies["sub"]["blocked_share"]) == (BLOCKED, 60.0)
    assert isinstance(bodies["sub"]["blocked_share"], float)  # as the API writes it
    graph = open_store(store)
    try:  # the API's way: the whole store's data, read once
        data = load_ownership(graph)
        for entity, body in bodies.items():
            assert owners(graph, entity, date(2026, 6, 1), data) == body
    finally:
        graph.close()


def test_chains_and_effective_ownership_below_and_above_from_the_store(demo_store):
    from sanctiongraph.analysis.loader import ownership_chains

    below = ownership_chains(demo_store, "ir-turquoise", DAY, "down")
    effective = {e["entity"]: (e["min"], e["max"]) for e in below["effective"]}
    # FAQ 401 ex. 2 in the demo: 50% of each of two holders of 25% of ae-oasis.
    assert effective["ae-oasis"] == (25.0, 25.0)
    assert effective["ae-sandglass"] == (50.0, 50.0)
    assert effective.get("ae-caspian-horizon") is None  # that holding ended in 2015
    assert sorted(tuple(s["owned"] for s in c) for c in below["chains"]) == [
        ("ae-sandglass", "ae-oasis"),
        ("tr-caravel", "ae-oasis"),
    ]
    above = ownership_chains(demo_store, "cy-ring-gamma", DAY, "up")
    assert not above["truncated"]
    assert all(len({s["owner"] for s in c}) == len(c) for c in above["chains"])  # simple paths
    assert {e["entity"] for e in above["effective"]} == {
        "cy-ring-alpha",
        "cy-ring-beta",
        "p-larchwood",
    }


def test_from_units_is_the_correctly_rounded_percentage():
    from decimal import Decimal

    from sanctiongraph.analysis.ownership import UNIT, from_units

    for units in [*range(0, 1_000_001, 7), 1, 333_333, 499_999, 999_999, 50 * UNIT - 1]:
        expected = units // UNIT if units % UNIT == 0 else float(Decimal(units) / UNIT)
        assert from_units(units) == expected and type(from_units(units)) is type(expected)


def all_simple_paths(data, entity, day, direction, max_depth, max_paths):
    """The definition of :func:`chains`, written plainly (recursively), as the oracle."""
    index = data.incoming() if direction == "up" else data.outgoing()
    other = data.h_owner if direction == "up" else data.h_owned
    day = day.isoformat()
    paths, state = [], {"truncated": False}

    class Enough(Exception):
        pass

    def walk(node, path, on_path):
        took = False
        for number in index.get(node, ()):
            if data.h_control[number] or not data.holding_active(number, day):
                continue
            following = other[number]
            if following in on_path:
                continue
            if len(path) >= max_depth:
                state["truncated"] = True
                continue
            took = True
            walk(following, path + [number], on_path | {following})
        if not took and path:
            paths.append(path if direction == "down" else path[::-1])
            if len(paths) >= max_paths:
                state["truncated"] = True
                raise Enough

    try:
        walk(entity, [], {entity})
    except Enough:
        pass
    return paths, state["truncated"]


@pytest.mark.parametrize("seed", range(40))
def test_chains_are_every_simple_path_with_or_without_cycles(seed):
    """The iterative search gives the oracle's paths in its order, limits included, on
    random worlds with and without cycles, bands, control and ended holdings; as lists
    of holdings and as texts (``write``)."""
    import random

    rng = random.Random(seed)
    size = rng.randint(5, 40)
    acyclic = seed % 2 == 0  # holdings go from lower to higher numbers only
    data = OwnershipData()
    for i in range(size):
        for _ in range(rng.randint(0, 3)):
            owner = rng.randrange(i) if acyclic and i else rng.randrange(size)
            if owner == i:
                continue
            kind = rng.random()
            if kind < 0.1:
                data.add_holding(f"e{owner}", f"e{i}", control=True)
            elif kind < 0.2:
                data.add_holding(f"e{owner}", f"e{i}", 30, end="2020-01-01")
            else:
                data.add_holding(f"e{owner}", f"e{i}", minimum=10, maximum=60)
    if not acyclic:
        for owner, owned in (("e0", "e1"), ("e1", "e2"), ("e2", "e0")):
            data.add_holding(owner, owned, 40)
    truncated = 0
    for max_depth, max_paths in ((25, 10_000), (2, 10_000), (25, 2)):
        for direction in ("up", "down"):
            for name, number in data.index.items():
                found = chains(data, number, DAY, direction, max_depth, max_paths)
                expected = all_simple_paths(data, number, DAY, direction, max_depth, max_paths)
                assert (found.paths, found.truncated) == expected, (name, direction)
                truncated += found.truncated
    assert truncated  # the limits were reached somewhere


def test_walks_check_the_day_of_dated_holdings_only_and_the_last_day_of_all():
    data = world([("X", "A", 60), ("Y", "A", 30, "2026-01-01", "2027-01-01"), ("Z", "X", 50)])
    c = data.index["A"]
    names = [
        [(data.keys[data.h_owner[n]], data.keys[data.h_owned[n]]) for n in p]
        for p in chains(data, c, DAY).paths
    ]
    assert names == [[("Z", "X"), ("X", "A")], [("Y", "A")]]
    assert len(chains(data, c, date(2025, 12, 31)).paths) == 1
    last = date(9999, 12, 31)  # no holding is active on the day undated ones end
    for name in ("A", "X"):  # X has only undated holdings: it is not checked by day
        found = chains(data, data.index[name], last).paths
        assert found == all_simple_paths(data, data.index[name], last, "up", 25, 10_000)[0] == []
