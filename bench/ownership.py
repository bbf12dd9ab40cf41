"""Benchmark: the OFAC 50 Percent Rule and ownership chains at 10k, 100k and 1M entities.

Not a test: run it by hand. ``python bench/ownership.py --sizes 10000 100000 1000000``
runs each size in its own process (so peak memory is per size) and prints one table;
``--json FILE`` also writes the figures. Each size measures, on one seeded world from
bench/generate.py:

core (plain Python, analysis/ownership.py, data already in memory)
  - fixed point: the whole-graph blocked / possibly-blocked computation on the as-of
    date (best of 3), and the Python heap peak during it (tracemalloc);
  - chains: ``summary()`` for a sample of entities (status, reasons, every chain
    above), index built beforehand;
store (pyoxigraph in memory, the world bulk-loaded as N-Quads)
  - owners(): the library call behind ``sanctiongraph owners`` and the API, end to end:
    SPARQL fetch of the holdings and listings above the entity, then the core;
  - whole graph from the store: load_ownership() (SPARQL) + fixed point;
SPARQL baselines (pyoxigraph)
  - property path: ``?target (^sg:owned/sg:owner)+ ?ancestor`` for the same sample
    (reachability only: no dates, shares, statuses or paths);
  - fixed point by SPARQL updates: INSERT the entities whose blocked owners' shares
    sum to 50 or more, repeated until nothing changes; its blocked set is checked
    against the core's.
Peak RSS is the process's maximum resident set (ru_maxrss) after the core part and at
the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import AS_OF, entity_iri, generate, nquads, to_ownership_data

SOURCE_GRAPH = "https://w3id.org/sanctiongraph/graph/source/bench"
SG = "https://w3id.org/sanctiongraph/ontology#"
TEMP = "https://w3id.org/sanctiongraph/graph/bench-fixed-point"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


CPU: list[float] = []  # process CPU seconds of each timed() call, in order


def timed(function, *args):
    """Wall-clock seconds and the result; the CPU seconds go to CPU (the machine may be
    shared, and CPU time is what does not depend on the neighbours)."""
    cpu = time.process_time()
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    CPU.append(time.process_time() - cpu)
    return elapsed, result


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": ms(statistics.median(ordered)),
        "p95_ms": ms(ordered[int(0.95 * (len(ordered) - 1))]),
        "max_ms": ms(ordered[-1]),
    }


def sparql_fixed_point(store, day: str) -> tuple[float, int, int]:
    """The 50% fixed point as repeated SPARQL updates; returns (seconds, rounds, blocked)."""
    native = store.native
    g = f"<{SOURCE_GRAPH}>"
    date_type = "<http://www.w3.org/2001/XMLSchema#date>"
    seed = f"""
    INSERT {{ GRAPH <{TEMP}> {{ ?e a <{SG}BlockedEntity> }} }} WHERE {{
      GRAPH {g} {{
        ?d <{SG}designates> ?e ; <{SG}onList> <https://w3id.org/sanctiongraph/ref/list/SDN> .
        OPTIONAL {{ ?d <{SG}startDate> ?s }} OPTIONAL {{ ?d <{SG}endDate> ?x }}
      }}
      FILTER ((!BOUND(?s) || ?s <= "{day}"^^{date_type}) && (!BOUND(?x) || ?x > "{day}"^^{date_type}))
    }}"""
    # Re-inserting an entity that is already blocked changes nothing, so no
    # FILTER NOT EXISTS is needed; the loop stops when a round adds nothing. Control
    # holdings have no share and add 0. (A `?h a sg:Ownership` pattern here made
    # Oxigraph start from every typed holding: 5 s per round at 10k instead of 2 ms.)
    step = f"""
    INSERT {{ GRAPH <{TEMP}> {{ ?e a <{SG}BlockedEntity> }} }} WHERE {{
      SELECT ?e WHERE {{
        GRAPH <{TEMP}> {{ ?o a <{SG}BlockedEntity> }}
        GRAPH {g} {{
          ?h <{SG}owner> ?o .
          ?h <{SG}owned> ?e .
          OPTIONAL {{ ?h <{SG}percent> ?p }} OPTIONAL {{ ?h <{SG}percentMin> ?m }}
          OPTIONAL {{ ?h <{SG}startDate> ?s }} OPTIONAL {{ ?h <{SG}endDate> ?x }}
        }}
        FILTER ((!BOUND(?s) || ?s <= "{day}"^^{date_type}) && (!BOUND(?x) || ?x > "{day}"^^{date_type}))
      }} GROUP BY ?e HAVING (SUM(COALESCE(?p, ?m, 0)) >= 50)
    }}"""
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{TEMP}> {{ ?e a <{SG}BlockedEntity> }} }}"
    start = time.perf_counter()
    native.update(seed)
    before, rounds = -1, 0
    now = int(next(iter(native.query(count)))["n"].value)
    while now != before:
        before = now
        native.update(step)
        rounds += 1
        now = int(next(iter(native.query(count)))["n"].value)
    elapsed = time.perf_counter() - start
    native.update(f"DROP SILENT GRAPH <{TEMP}>")
    return elapsed, rounds, now


def run_one(size: int, seed: int, samples: int, sparql_fixed: bool) -> dict:
    import pyoxigraph as ox

    from sanctiongraph.analysis.loader import load_ownership, owners
    from sanctiongraph.analysis.ownership import compute_status, summary
    from sanctiongraph.queries import load_query
    from sanctiongraph.store import OxigraphStore

    out: dict = {"entities": size, "seed": seed, "as_of": AS_OF.isoformat()}
    seconds, world = timed(generate, size, seed)
    out["holdings"], out["listings"] = len(world.holdings), len(world.listings)
    out["generate_s"] = round(seconds, 2)
    seconds, data = timed(to_ownership_data, world)
    out["arrays_s"] = round(seconds, 2)

    runs = [timed(compute_status, data, AS_OF) for _ in range(3)]
    status = runs[0][1]
    out["core_fixed_point_s"] = round(min(r[0] for r in runs), 3)
    out["core_fixed_point_cpu_s"] = round(min(CPU[-3:]), 3)
    out["blocked"], out["possibly_blocked"] = len(status.blocked), len(status.possibly_blocked)
    tracemalloc.start()
    compute_status(data, AS_OF)
    out["core_fixed_point_heap_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()

    rng = random.Random(seed)
    top = max(1, size // 20)
    # A sample of ordinary entities, plus every blocked and possibly blocked one we
    # can afford, so the sample covers deep chains as well as the common shallow case.
    sample = rng.sample(range(top, size), min(samples, size - top))
    sample += rng.sample(sorted(status.maybe), min(samples // 4, len(status.maybe)))
    seconds, _ = timed(lambda: (data.incoming(), data.outgoing(), data.listings_of()))
    out["core_index_s"] = round(seconds, 3)
    times, paths = [], []
    for entity in sample:
        seconds, result = timed(summary, data, entity, AS_OF)
        times.append(seconds)
        paths.append(len(result["chains"]))
    out["core_chains"] = percentiles(times) | {"sample": len(sample), "max_paths": max(paths)}
    out["core_chains_cpu"] = percentiles(CPU[-len(sample) :])
    out["rss_after_core_mb"] = round(rss_mb(), 1)

    store = OxigraphStore(None)
    with tempfile.NamedTemporaryFile("w", suffix=".nq", delete=False) as handle:
        handle.writelines(nquads(world))
        path = handle.name
    try:
        seconds, _ = timed(lambda: store.native.bulk_load(path=path, format=ox.RdfFormat.N_QUADS))
    finally:
        os.unlink(path)
    out["store_load_s"] = round(seconds, 2)
    out["quads"] = len(store.native)

    times = []
    for entity in sample:
        seconds, result = timed(owners, store, entity_iri(entity), AS_OF)
        times.append(seconds)
        assert result["status"] == status.status(entity), entity
    out["owners_from_store"] = percentiles(times)
    out["owners_from_store_cpu"] = percentiles(CPU[-len(sample) :])

    ancestors = load_query("analysis/ownership-ancestors").text
    times = []
    for entity in sample:
        target = {"target": ox.NamedNode(entity_iri(entity))}
        seconds, _ = timed(lambda target=target: list(store.query(ancestors, target)))
        times.append(seconds)
    out["sparql_property_path"] = percentiles(times)
    out["sparql_property_path_cpu"] = percentiles(CPU[-len(sample) :])
    out["ratio_property_path_over_owners_median"] = round(
        out["sparql_property_path"]["median_ms"] / max(out["owners_from_store"]["median_ms"], 1e-3),
        3,
    )

    seconds, loaded = timed(load_ownership, store)
    fixed, check = timed(compute_status, loaded, AS_OF)
    out["store_whole_graph_cpu_s"] = round(CPU[-2] + CPU[-1], 2)
    assert len(check.blocked) == len(status.blocked)
    out["store_whole_graph_s"] = {
        "sparql_load_s": round(seconds, 2),
        "fixed_point_s": round(fixed, 3),
    }

    if sparql_fixed:
        cpu = time.process_time()
        seconds, rounds, blocked = sparql_fixed_point(store, AS_OF.isoformat())
        out["sparql_fixed_point_cpu_s"] = round(time.process_time() - cpu, 3)
        out["sparql_fixed_point_s"] = round(seconds, 3)
        out["sparql_fixed_point_rounds"] = rounds
        out["sparql_fixed_point_blocked"] = blocked
        out["sparql_agrees"] = blocked == len(status.blocked)
        out["ratio_sparql_over_core_fixed_point"] = round(seconds / out["core_fixed_point_s"], 1)
        out["ratio_sparql_over_core_fixed_point_cpu"] = round(
            out["sparql_fixed_point_cpu_s"] / out["core_fixed_point_cpu_s"], 1
        )
    out["rss_peak_mb"] = round(rss_mb(), 1)
    out["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    return out


def render(results: list[dict]) -> str:
    rows = [
        ("entities", lambda r: f"{r['entities']:,}"),
        ("holdings / SDN listings", lambda r: f"{r['holdings']:,} / {r['listings']:,}"),
        ("blocked / possibly blocked", lambda r: f"{r['blocked']:,} / {r['possibly_blocked']:,}"),
        (
            "core fixed point, wall / CPU (s)",
            lambda r: f"{r['core_fixed_point_s']} / {r['core_fixed_point_cpu_s']}",
        ),
        ("core fixed point heap peak (MB)", lambda r: r["core_fixed_point_heap_peak_mb"]),
        (
            "core one entity, median / p95 / max (ms)",
            lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["core_chains"]),
        ),
        (
            "owners() on the store, median / p95 / max (ms)",
            lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["owners_from_store"]),
        ),
        (
            "  the same, CPU (ms)",
            lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["owners_from_store_cpu"]),
        ),
        (
            "SPARQL property path, median / p95 / max (ms)",
            lambda r: "{median_ms} / {p95_ms} / {max_ms}".format(**r["sparql_property_path"]),
        ),
        (
            "ratio property path / owners() (median)",
            lambda r: r["ratio_property_path_over_owners_median"],
        ),
        ("store bulk load (s) / quads", lambda r: f"{r['store_load_s']} / {r['quads']:,}"),
        (
            "whole graph from store: SPARQL load + fixed point (s)",
            lambda r: "{sparql_load_s} + {fixed_point_s}".format(**r["store_whole_graph_s"]),
        ),
        (
            "SPARQL-update fixed point, wall / CPU (s) (rounds)",
            lambda r: (
                f"{r['sparql_fixed_point_s']} / {r['sparql_fixed_point_cpu_s']} ({r['sparql_fixed_point_rounds']})"
                if "sparql_fixed_point_s" in r
                else "not run"
            ),
        ),
        (
            "ratio SPARQL updates / core fixed point, wall / CPU",
            lambda r: (
                f"{r.get('ratio_sparql_over_core_fixed_point', '-')} / {r.get('ratio_sparql_over_core_fixed_point_cpu', '-')}"
            ),
        ),
        ("SPARQL blocked set equals core's", lambda r: r.get("sparql_agrees", "-")),
        (
            "peak RSS after core / at end (MB)",
            lambda r: f"{r['rss_after_core_mb']} / {r['rss_peak_mb']}",
        ),
        ("load average (1 min) at the end", lambda r: r["load_average_1min_at_end"]),
    ]
    width = max(len(name) for name, _ in rows)
    lines = []
    for name, get in rows:
        lines.append(name.ljust(width) + "  " + "  ".join(str(get(r)).rjust(22) for r in results))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="OFAC 50% rule and chains benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--samples", type=int, default=200, help="entities timed for one-entity figures"
    )
    parser.add_argument(
        "--no-sparql-fixed-point",
        action="store_true",
        help="skip the SPARQL-update fixed point (slow at 1M)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(
            json.dumps(run_one(args.one, args.seed, args.samples, not args.no_sparql_fixed_point))
        )
        return
    results = []
    for size in args.sizes:
        command = [
            sys.executable,
            __file__,
            "--one",
            str(size),
            "--seed",
            str(args.seed),
            "--samples",
            str(args.samples),
        ]
        if args.no_sparql_fixed_point:
            command.append("--no-sparql-fixed-point")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"# {size:,} entities done: {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
