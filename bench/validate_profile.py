"""Where the fast engine's validation time goes as the graph grows.

    python bench/validate_profile.py --entities 10000 100000

For each size: bench/pipeline.py's world, loaded and derived in memory; then the
validate stage split into its parts: each shape's whole-graph queries (the five
slowest named), the explanation of every finding (message, citation, evidence), and
the rules-checked summary. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import write_world

AS_OF = date(2026, 11, 23)


def profile(size: int, seed: int) -> dict:
    from sanctiongraph.derive import run_derivers
    from sanctiongraph.loading import load_bundled, read_and_load
    from sanctiongraph.store import open_store
    from sanctiongraph.validate import engine, fast
    from sanctiongraph.validate.rules import rules_checked
    from sanctiongraph.validate.shapes import bundled_shapes

    with tempfile.TemporaryDirectory() as tmp:
        write_world(size, seed, Path(tmp) / "world")
        store = open_store(in_memory=True)
        load_bundled(store)
        read_and_load(store, [Path(tmp) / "world"])
    run_derivers(store, AS_OF)
    shapes = bundled_shapes()
    start = time.perf_counter()
    raw = fast.run_fast(store, shapes)
    whole = time.perf_counter() - start
    shapes_by_count = defaultdict(int)
    for result in raw:
        shapes_by_count[str(result.shape)] += 1
    start = time.perf_counter()
    explainer = engine.Explainer(store, shapes)
    findings = engine.merge(f for r in raw for f in explainer.explain(r))
    explain = time.perf_counter() - start
    start = time.perf_counter()
    rules_checked(store, (f.shape for f in findings))
    summary = time.perf_counter() - start
    return {
        "size": size,
        "queries_s": whole,
        "explain_s": explain,
        "rules_s": summary,
        "raw": len(raw),
        "findings": len(findings),
        "top": sorted(shapes_by_count.items(), key=lambda kv: -kv[1])[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "| entities | whole-graph queries s | explaining findings s | rules checked s "
        "| raw results | findings | most frequent shapes |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in args.entities:
        found = profile(size, args.seed)
        top = ", ".join(f"{shape.rsplit('/', 1)[-1]} ({count})" for shape, count in found["top"])
        print(
            f"| {size:,} | {found['queries_s']:.2f} | {found['explain_s']:.2f} "
            f"| {found['rules_s']:.2f} | {found['raw']:,} | {found['findings']:,} | {top} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
