"""``/owners`` and ``/access-paths`` JSON written by hand where FastAPI's response-model
path is too slow; the library's typed answers go in, bytes come out.

FastAPI validates a returned dict into the response model (one pydantic object per
nested dict) and then writes it. An ``/owners`` answer can hold thousands of chains
that repeat the same few hundred holdings (4,390 chains, 4.8 MB for one entity at 100k):
the model path took about 1 s of CPU for such an answer. Here each holding's step goes
through the same models once (:class:`StepWriter`, kept with the server's copy of the
data), and each chain of the library's :class:`OwnershipStatus` (holding numbers) is the
join of its steps' JSON. The output is byte for byte what the response model writes for
the library's plain answer (``tests/api/test_encoding.py``).
"""

from __future__ import annotations

import json

from fastapi import Response
from pydantic import TypeAdapter

from sanctiongraph.analysis.access import AccessPathsBody
from sanctiongraph.analysis.ownership import OwnershipData, OwnershipStatus
from sanctiongraph.api.models import ChainLink, OwnersOut

_OWNERS = TypeAdapter(OwnersOut)
_LINK = TypeAdapter(ChainLink)

StepMemo = dict[int, bytes]


class StepWriter:
    """Holdings' steps as ``ChainLink`` JSON, kept by holding number.

    ``memo`` must serve one ownership data only, as long as it lives (the API keeps one
    beside its copy of the data). Without it, steps are kept for the one answer."""

    def __init__(self, memo: StepMemo | None = None) -> None:
        self.memo: StepMemo = {} if memo is None else memo

    def steps(self, data: OwnershipData, numbers: set[int]) -> StepMemo:
        """The memo, holding the JSON of every one of ``numbers`` (those not yet in it
        written now: the others cost no Python call)."""
        memo = self.memo
        # Not ``numbers - memo.keys()``: that goes through the whole memo.
        for number in [n for n in numbers if n not in memo]:
            memo[number] = _LINK.dump_json(_LINK.validate_python(data.step(number)))
        return memo


def owners_json(found: OwnershipStatus, write_step: StepWriter | None = None) -> bytes:
    """``found`` (:func:`~sanctiongraph.analysis.loader.entity_status`) as ``OwnersOut``
    JSON; ``write_step`` (:class:`StepWriter`) writes each holding's step."""
    head = _OWNERS.dump_json(
        _OWNERS.validate_python({**found.head, "chains": []}), exclude={"chains"}
    )
    paths = found.chains.paths
    # Each holding's step written once (paths share most of theirs), then joined in C.
    writer = write_step or StepWriter()
    step = writer.steps(found.data, set().union(*paths)).__getitem__
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
