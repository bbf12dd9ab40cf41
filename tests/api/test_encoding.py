"""The hand-written ``/owners`` JSON is byte for byte what the response model writes for
the library's plain answer (chains as lists of step dicts)."""

from __future__ import annotations

import random

from pydantic import TypeAdapter

from sanctiongraph.analysis.loader import entity_status, load_ownership, owners
from sanctiongraph.analysis.ownership import OwnershipData, ownership_status, summary
from sanctiongraph.api.encoding import StepWriter, owners_json
from sanctiongraph.api.models import OwnersOut

from .conftest import AS_OF

MODEL = TypeAdapter(OwnersOut)


def model_json(body: dict) -> bytes:
    """What FastAPI writes for a route with ``response_model=OwnersOut``."""
    return MODEL.dump_json(MODEL.validate_python(body, from_attributes=True))


def test_random_world_with_bands_controls_cycles_and_shared_steps():
    rng = random.Random(3)
    data = OwnershipData()
    for i in range(200):
        for _ in range(rng.randint(0, 3)):
            owner = rng.randrange(200)
            if owner == i:
                continue
            kind = rng.random()
            if kind < 0.2:
                data.add_holding(
                    f"e{owner}",
                    f"e{i}",
                    minimum=rng.choice([None, 10, 12.5]),
                    maximum=rng.choice([None, 60, 75.25]),
                )
            elif kind < 0.3:
                data.add_holding(f"e{owner}", f"e{i}", control=True)
            else:
                data.add_holding(f"e{owner}", f"e{i}", rng.choice([10, 25, 33.3333, 50, 60]))
    for i in rng.sample(range(200), 20):
        data.add_listing(f"e{i}", programs=["DPRK"])
    data.entity("e5", 'Ünïcode "quoted" \\ id\n')
    memo: dict = {}  # as the API keeps it: across the answers of one ownership data
    shared = 0
    for number in range(len(data.keys)):
        plain = summary(data, number, AS_OF)
        found = ownership_status(data, number, AS_OF)
        assert owners_json(found, StepWriter(memo)) == model_json(plain), data.keys[number]
        assert owners_json(found, StepWriter()) == model_json(plain), data.keys[number]
        steps = [id(step) for chain in plain["chains"] for step in chain]
        shared += len(steps) - len(set(steps))
    assert shared  # steps recur across paths, so the memo is used
    assert set(memo) == {n for n in range(len(data.h_owner)) if not data.h_control[n]} - {
        n for n in range(len(data.h_owner)) if not data.holding_active(n, AS_OF.isoformat())
    }


def test_chains_run_from_the_top_owner_down_both_ways():
    data = OwnershipData()
    for owner, owned in (("a", "b"), ("b", "c"), ("a", "c")):
        data.add_holding(owner, owned, 60)
    from sanctiongraph.analysis.ownership import chains

    assert chains(data, data.index["a"], AS_OF, "down").paths == [[0, 1], [2]]
    assert chains(data, data.index["c"], AS_OF, "up").paths == [[0, 1], [2]]


def test_empty_chains():
    data = OwnershipData()
    data.entity("x")
    found = ownership_status(data, 0, AS_OF)
    assert found.chains.paths == [] and owners_json(found) == model_json(summary(data, 0, AS_OF))


def test_every_entity_of_the_minimal_package(base_store):
    data = load_ownership(base_store)
    assert data.keys
    for key in data.keys:
        plain = owners(base_store, key, AS_OF, data)
        assert owners_json(entity_status(base_store, key, AS_OF, data), StepWriter()) == model_json(
            plain
        ), key
        assert owners_json(entity_status(base_store, key, AS_OF, None)) == model_json(plain), key


def test_route_answers_the_model_bytes(client, base_store):
    r = client.get("/entities/kp-bank/owners", params={"as_of": AS_OF.isoformat()})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = owners(base_store, "https://w3id.org/sanctiongraph/id/entity/kp-bank", AS_OF)
    assert r.content == model_json(body)


def test_access_paths_json_is_what_the_model_writes():
    from pydantic import TypeAdapter

    from sanctiongraph.api.encoding import access_paths_json
    from sanctiongraph.api.models import AccessPathsOut

    model = TypeAdapter(AccessPathsOut)
    for body in (
        {"entity": "kp", "paths": [], "truncated": False},
        {
            "entity": 'k\u00e9 "q" \\',
            "truncated": True,
            "paths": [
                {
                    "hops": ["k\u00e9", "b/2", "\u4e2d"],
                    "accounts": ["a\\1", "a\t2"],
                    "reaches_us": True,
                },
                {"hops": ["x", "y"], "accounts": ["z"], "reaches_us": False},
            ],
        },
    ):
        assert access_paths_json(body) == model.dump_json(model.validate_python(body))
