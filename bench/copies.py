"""Benchmark: the same data package loaded 1, 3 and 5 times under different graph names.

    python bench/copies.py --entities 2000 --copies 1 3 5

Importers bring the same facts from several sources; each copy of a fact is a triple in
another named graph. Every deriver must count one relation once and grow no worse than
linearly with the number of copies (issue 22, item 3). For each number of copies, in a
fresh process (so that peak memory, ``ru_maxrss``, is its own), this loads
bench/pipeline.py's synthetic world (ownership, banks, correspondent accounts,
transactions) that many times into an in-memory store, runs each deriver and reports
its wall time, the Python heap peak of the derivation (``tracemalloc``), the process's
peak memory, and the statuses (blocked and possibly blocked entities, CAPTA
assessments, Section 311 classifications), which must not change. Results are printed
as a Markdown table (docs/benchmarks.md records them).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import write_world

AS_OF = date(2026, 11, 23)
DERIVED = "https://w3id.org/sanctiongraph/graph/derived"
SG = "https://w3id.org/sanctiongraph/ontology#"
STATUS_QUERY = f"""
SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{DERIVED}> {{
  {{ ?x a <{SG}BlockedEntity> BIND("blocked" AS ?what) }}
  UNION {{ ?x a <{SG}PossiblyBlockedEntity> BIND("possibly_blocked" AS ?what) }}
  UNION {{ ?x <{SG}exposedUnder>|<{SG}exceptedUnder>|<{SG}missingFact> ?y
           BIND("ifsr-561-203" AS ?what) }}
  UNION {{ ?x a <{SG}Classification> BIND("classification" AS ?what) }}
}} }} GROUP BY ?what"""


def measure(package: Path, copies: int) -> dict:
    """Load ``package`` ``copies`` times (graphs copy0, copy1, ...) into a fresh in-memory
    store, derive for AS_OF, and return the figures (run this in a fresh process)."""
    from sanctiongraph import derive
    from sanctiongraph.ingest import read_source
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store.oxigraph import OxigraphStore

    store = OxigraphStore(None)
    load_bundled(store)
    load_sources(store, [read_source(package, f"copy{i}") for i in range(copies)])
    store.replace_graph(derive.DERIVED, [derive.as_of_triple(AS_OF)])
    seconds: dict[str, float] = {}
    tracemalloc.start()
    for module in derive.derivers():
        started = time.perf_counter()
        module.derive(store, AS_OF)
        seconds[module.__name__.rsplit(".", 1)[-1]] = round(time.perf_counter() - started, 3)
    heap = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    counts = {row["what"].value: int(row["n"].value) for row in store.query(STATUS_QUERY)}
    return {
        "copies": copies,
        "seconds": seconds,
        "heap_mb": round(heap / 2**20, 1),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "statuses": counts,
    }


def measure_in_child(package: Path, copies: int, timeout: float) -> dict | None:
    """:func:`measure` in a fresh process; ``None`` when it takes over ``timeout`` s."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"from copies import measure; from pathlib import Path; "
        f"print(json.dumps(measure(Path({str(package)!r}), {copies})))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / f"world{args.entities}"
        rows = write_world(args.entities, args.seed, package)
        print(f"world: {rows}")
        results = [measure_in_child(package, k, args.timeout) for k in args.copies]
    names = next((list(r["seconds"]) for r in results if r), [])
    print(
        "| copies | "
        + " | ".join(f"{n} s" for n in names)
        + " | derive total s | heap peak MB | process peak MB | statuses |"
    )
    print("|---" * (len(names) + 5) + "|")
    for k, result in zip(args.copies, results):
        if result is None:
            print(
                f"| {k} | "
                + " | ".join("-" for _ in names)
                + f" | over {args.timeout:.0f} s | | | |"
            )
            continue
        total = sum(result["seconds"].values())
        print(
            f"| {k} | "
            + " | ".join(f"{result['seconds'][n]:.2f}" for n in names)
            + f" | {total:.2f} | {result['heap_mb']} | {result['rss_mb']} | "
            + ", ".join(f"{w} {n}" for w, n in sorted(result["statuses"].items()))
            + " |"
        )


if __name__ == "__main__":
    main()
