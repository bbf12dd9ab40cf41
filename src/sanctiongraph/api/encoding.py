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


def owners_json(body: dict) -> bytes:
    """``body`` (the library's ``owners()`` answer) as ``OwnersOut`` JSON."""
    head = _OWNERS.dump_json(_OWNERS.validate_python({**body, "chains": []}),
                             exclude={"chains"})
    # By id(): chain_steps gives the steps of one holding as one shared dict.
    steps = list(chain.from_iterable(body["chains"]))
    written = {key: _LINK.dump_json(_LINK.validate_python(step))
               for key, step in dict(zip(map(id, steps), steps)).items()}
    chains = b",".join(b"[" + b",".join(map(written.__getitem__, map(id, path))) + b"]"
                       for path in body["chains"])
    return b"".join((head[:-1], b',"chains":[', chains, b"]}"))


def owners_response(body: dict) -> Response:
    return Response(owners_json(body), media_type="application/json")
