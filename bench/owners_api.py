"""Benchmark: the CPU of one ``GET /entities/{id}/owners`` answer, without HTTP.

    python bench/owners_api.py --store /tmp/lt-100k [--entities 100000] [--seed 1]

Opens the store that ``bench/loadtest.py`` built (read-only), reads the server's copy of
the holdings and listings as ``serve`` does (``api.state._read_ownership``), and answers
``/owners`` for the load test's sample of ids (entities with owners, blocked and
ordinary ones) with the calls the endpoint makes: ``entity_status``, then
``owners_json`` with the server's step memo. Prints the CPU per answer, best of three
rounds over the sample (the first round, which fills the memo, not counted). The load
test's figures also hold HTTP, the other endpoint and the load generator; this one is
what the walk and the JSON cost, steady enough to compare code on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import time
from datetime import date
from pathlib import Path

from loadtest import sample_ids  # bench/ is the script's folder, so on the path
from sanctiongraph.analysis.loader import entity_status
from sanctiongraph.api.encoding import StepWriter, owners_json
from sanctiongraph.api.state import _read_ownership
from sanctiongraph.store import open_store

AS_OF = date(2026, 11, 23)  # the load test's day


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=500, help="ids per kind, as loadtest")
    options = parser.parse_args()
    store = open_store(options.store, for_reading=True)
    data, memo = _read_ownership(store)
    gc.freeze()  # as the server hides its copies from the cycle collector
    ids = sample_ids(options.entities, options.seed, options.sample, AS_OF)
    entities = ids["owned"] + ids["blocked"] + ids["ordinary"]
    write = StepWriter(memo)
    rounds = []
    for _ in range(4):
        started = time.process_time()
        for entity in entities:
            owners_json(entity_status(store, entity, AS_OF, data), write)
        rounds.append((time.process_time() - started) / len(entities) * 1000)
    print(
        f"/owners: {min(rounds[1:]):.3f} ms of CPU an answer (best of 3 rounds of "
        f"{len(entities):,} ids; first round {rounds[0]:.3f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
