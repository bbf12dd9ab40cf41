"""JSON bodies written by hand where FastAPI's response-model path is too slow.

FastAPI validates a returned dict into the response model (one pydantic object per
nested dict) and then writes it. An ``/owners`` answer can hold thousands of chains
that repeat the same few hundred holdings (4,160 chains, 4.5 MB at 100k entities): the
model path took about 1 s of CPU for it. Here each distinct chain step goes through the
same models once, and the bytes are joined. For the library's answers (which have no
keys beyond the model's) the output is byte for byte what the response model writes
(``tests/api/test_encoding.py``).
"""

from __future__ import annotations

from itertools import chain

from fastapi import Response
from pydantic import TypeAdapter

from sanctiongraph.api.models import ChainLink, OwnersOut

_OWNERS = TypeAdapter(OwnersOut)
_LINK = TypeAdapter(ChainLink)


StepMemo = dict[int, tuple[dict, bytes]]


def owners_json(body: dict, memo: StepMemo | None = None) -> bytes:
    """``body`` (the library's ``owners()`` answer) as ``OwnersOut`` JSON.

    Steps are written once per dict (by ``id``: ``chain_steps`` gives the steps of one
    holding as one shared dict). ``memo`` keeps them across answers made from the same
    ownership data, whose step dicts live as long as it does; each entry holds its dict,
    so that its ``id`` cannot be reused while the entry exists. Give a memo only with
    long-lived data: with fresh data per answer it would grow without bound.
    """
    head = _OWNERS.dump_json(_OWNERS.validate_python({**body, "chains": []}),
                             exclude={"chains"})
    memo = {} if memo is None else memo
    steps = list(chain.from_iterable(body["chains"]))
    written: dict[int, bytes] = {}
    for key, step in dict(zip(map(id, steps), steps)).items():
        entry = memo.get(key)
        if entry is None:
            entry = memo[key] = (step, _LINK.dump_json(_LINK.validate_python(step)))
        written[key] = entry[1]
    chains = b",".join(b"[" + b",".join(map(written.__getitem__, map(id, path))) + b"]"
                       for path in body["chains"])
    return b"".join((head[:-1], b',"chains":[', chains, b"]}"))


def owners_response(body: dict, memo: StepMemo | None = None) -> Response:
    return Response(owners_json(body, memo), media_type="application/json")
