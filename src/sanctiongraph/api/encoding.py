"""``/owners`` and ``/access-paths`` JSON written by hand where FastAPI's response-model
path is too slow; the library's typed answers go in, bytes come out.

FastAPI validates a returned dict into the response model (one pydantic object per
nested dict) and then writes it. An ``/owners`` answer can hold thousands of chains
that repeat the same few hundred holdings (4,390 chains, 4.8 MB for one entity at 100k):
the model path took about 1 s of CPU for such an answer. Here each holding's step goes
through the same models once (:func:`step_writer`, kept with the server's copy of the
data), and each chain of the library's :class:`OwnershipStatus` (holding numbers) is the
join of its steps' JSON. The output is byte for byte what the response model writes for
the library's plain answer (``tests/api/test_encoding.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import Response
from pydantic import TypeAdapter

from sanctiongraph.analysis.access import AccessPathsBody
from sanctiongraph.analysis.ownership import OwnershipData, OwnershipStatus
from sanctiongraph.api.models import ChainLink, OwnersOut

_OWNERS = TypeAdapter(OwnersOut)
_LINK = TypeAdapter(ChainLink)

StepMemo = dict[int, bytes]
StepWriter = Callable[[OwnershipData, int], bytes]


def step_writer(memo: StepMemo | None = None) -> StepWriter:
    """A ``write_step`` for ``owners``: a holding's step as ``ChainLink`` JSON.

    ``memo`` keeps the JSON by holding number, so it must serve one ownership data
    only, as long as it lives (the API keeps one beside its copy of the data). Without
    it, steps are kept for the one answer."""
    memo = {} if memo is None else memo

    def write(data: OwnershipData, number: int) -> bytes:
        text = memo.get(number)
        if text is None:
            text = memo[number] = _LINK.dump_json(_LINK.validate_python(data.step(number)))
        return text

    return write


def owners_json(found: OwnershipStatus, write_step: StepWriter | None = None) -> bytes:
    """``found`` (:func:`~sanctiongraph.analysis.loader.entity_status`) as ``OwnersOut``
    JSON; ``write_step`` (:func:`step_writer`) writes each holding's step."""
    head = _OWNERS.dump_json(
        _OWNERS.validate_python({**found.head, "chains": []}), exclude={"chains"}
    )
    write = write_step or step_writer()
    paths = found.chains.paths
    # Each holding's step written once (paths share most of theirs), then joined in C.
    steps = {number: write(found.data, number) for number in set().union(*paths)}
    step = steps.__getitem__
    chains = (
        b"[" + b"],[".join([b",".join(map(step, path)) for path in paths]) + b"]" if paths else b""
    )
    return b"".join((head[:-1], b',"chains":[', chains, b"]}"))


def owners_response(found: OwnershipStatus, write_step: StepWriter | None = None) -> Response:
    return Response(owners_json(found, write_step), media_type="application/json")


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def access_paths_json(body: AccessPathsBody) -> bytes:
    """``access_paths()``' body as ``AccessPathsOut`` JSON, one path at a time.

    The response model wrote a 10,000-path answer in one call of about 0.1 s that holds
    the GIL throughout, so a worker thread writing it stopped the event loop that long;
    here the interpreter can switch threads between paths."""
    paths = b",".join([_COMPACT(path).encode() for path in body["paths"]])
    return b"".join(
        (
            b'{"entity":',
            _COMPACT(body["entity"]).encode(),
            b',"paths":[',
            paths,
            b'],"truncated":',
            b"true" if body["truncated"] else b"false",
            b"}",
        )
    )
