"""How each whole-graph query of the fast engine grows with the data.

    python bench/validate_queries.py --entities 10000 100000 [--top 12]

For each size: bench/pipeline.py's world, loaded with ``sanctiongraph load`` (which
derives) and written with ``sanctiongraph export``, as bench/jena.py does; the export is
loaded into an in-memory store, and every constraint query that ``validate/fast.py``
runs (``constraint_queries`` of every firing shape, with the prefixes ``run_fast`` adds)
is timed while its solutions are drawn. Prints each size's total, then a Markdown table
of the slowest queries at the largest size with their time at the smallest, the growth
and the rows each returned.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import write_world

AS_OF = date(2026, 11, 23)


def export_world(size: int, seed: int, folder: Path) -> Path:
    """The N-Quads export of the loaded and derived world of ``size`` entities."""
    package, store, export = folder / "world", folder / "store", folder / "export.nq"
    write_world(size, seed, package)
    cli = [sys.executable, "-m", "sanctiongraph.cli"]
    load = [*cli, "load", str(package), "--store", str(store), "--as-of", AS_OF.isoformat()]
    subprocess.run(load, check=True, capture_output=True)
    export_command = [*cli, "export", "--store", str(store), "--output", str(export)]
    subprocess.run(export_command, check=True, capture_output=True)
    return export


def time_queries(export: Path) -> dict[str, tuple[float, int]]:
    """Seconds and rows of every constraint query, by ``shape#n``."""
    import pyoxigraph as ox

    from sanctiongraph.store import open_store
    from sanctiongraph.validate.engine import Explainer
    from sanctiongraph.validate.fast import constraint_queries
    from sanctiongraph.validate.shapes import bundled_shapes, firing_shapes

    store = open_store(in_memory=True)
    store.native.bulk_load(path=str(export), format=ox.RdfFormat.N_QUADS)
    shapes = bundled_shapes()
    prefixes = Explainer.prefix_block(shapes)
    found: dict[str, tuple[float, int]] = {}
    for shape in sorted(firing_shapes(shapes), key=str):
        for n, (query, constraint) in enumerate(constraint_queries(shapes, shape)):
            text = query if constraint is None else prefixes + query
            start = time.perf_counter()
            rows = sum(1 for _ in store.query(text))
            found[f"{str(shape).rsplit('/', 1)[-1]}#{n}"] = (time.perf_counter() - start, rows)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    sizes = sorted(args.entities)
    timed: dict[int, dict[str, tuple[float, int]]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            timed[size] = time_queries(export_world(size, args.seed, Path(tmp)))
        total = sum(seconds for seconds, _ in timed[size].values())
        print(f"{size:,} entities: {len(timed[size])} queries, {total:.2f} s", flush=True)
    small, large = timed[sizes[0]], timed[sizes[-1]]
    print(f"\n| constraint | {sizes[0]:,} s | {sizes[-1]:,} s | growth | rows | rows |")
    print("|---|---|---|---|---|---|")
    slowest = sorted(large.items(), key=lambda item: -item[1][0])[: args.top]
    for key, (seconds, rows) in slowest:
        before, rows_before = small.get(key, (0.0, 0))
        growth = f"{seconds / before:.0f}x" if before else "-"
        print(f"| {key} | {before:.2f} | {seconds:.2f} | {growth} | {rows_before:,} | {rows:,} |")


if __name__ == "__main__":
    main()
