"""The hand-written ``/owners`` JSON is byte for byte what the response model writes."""

from __future__ import annotations

import random

from pydantic import TypeAdapter

from sanctiongraph.analysis.loader import load_ownership, owners
from sanctiongraph.analysis.ownership import OwnershipData, summary
from sanctiongraph.api.encoding import owners_json
from sanctiongraph.api.models import OwnersOut

from .conftest import AS_OF

MODEL = TypeAdapter(OwnersOut)


def model_json(body: dict) -> bytes:
    """What FastAPI writes for a route with ``response_model=OwnersOut``."""
    return MODEL.dump_json(MODEL.validate_python(body, from_attributes=True))


def test_random_world_with_bands_controls_and_shared_steps():
    rng = random.Random(3)
    data = OwnershipData()
    for i in range(200):
        for _ in range(rng.randint(0, 3)):
            owner = rng.randrange(200)
            if owner == i:
                continue
            kind = rng.random()
            if kind < 0.2:
                data.add_holding(f"e{owner}", f"e{i}", minimum=rng.choice([None, 10, 12.5]),
                                 maximum=rng.choice([None, 60, 75.25]))
            elif kind < 0.3:
                data.add_holding(f"e{owner}", f"e{i}", control=True)
            else:
                data.add_holding(f"e{owner}", f"e{i}", rng.choice([10, 25, 33.3333, 50, 60]))
    for i in rng.sample(range(200), 20):
        data.add_listing(f"e{i}", programs=["DPRK"])
    data.entity("e5", "Ünïcode \"quoted\" \\ id\n")
    shared = 0
    memo: dict = {}  # as the API keeps it: across the answers of one ownership data
    for number in range(len(data.keys)):
        body = summary(data, number, AS_OF)
        steps = [step for chain in body["chains"] for step in chain]
        shared += len(steps) - len({id(step) for step in steps})
        assert owners_json(body) == model_json(body), data.keys[number]
        assert owners_json(body, memo) == model_json(body), data.keys[number]
    assert shared  # chain_steps shares the steps of a holding on several paths
    assert {id(step) for step, _ in memo.values()} == set(memo)  # entries hold their dicts


def test_memo_entries_keep_their_dicts_so_ids_are_not_reused():
    """Bodies with fresh step dicts, written with one memo: a dict freed after its
    answer could hand its id to a later dict with other values."""
    memo: dict = {}
    for share in range(1, 60):
        body = {"entity": "x", "blocked": False, "status": "not_blocked", "blocked_share": 0,
                "reasons": [], "chains": [[{"owner": f"o{share}", "owned": "x", "percent": share}]]}
        assert owners_json(body, memo) == model_json(body)
        del body
    assert len(memo) == 59


def test_empty_chains_and_plain_dicts():
    body = {"entity": "x", "blocked": False, "status": "not_blocked", "blocked_share": 0,
            "reasons": [], "chains": []}
    assert owners_json(body) == model_json(body)
    body["chains"] = [[{"owner": "a", "owned": "x", "percent": {"min": 1, "max": None}}],
                      [{"owner": "b", "owned": "x", "percent": 7}]]
    assert owners_json(body) == model_json(body)


def test_every_entity_of_the_minimal_package(base_store):
    data = load_ownership(base_store)
    assert data.keys
    for key in data.keys:
        body = owners(base_store, key, AS_OF, data)
        assert owners_json(body) == model_json(body), key


def test_route_answers_the_model_bytes(client, base_store):
    r = client.get("/entities/kp-bank/owners", params={"as_of": AS_OF.isoformat()})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = owners(base_store, "https://w3id.org/sanctiongraph/id/entity/kp-bank", AS_OF)
    assert r.content == model_json(body)
