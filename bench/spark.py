"""Benchmark of ``validate --compute spark`` beside the embedded engine.

    python bench/spark.py --entities 100000 1000000 [--compute embedded spark] [--master local[2]]

For each size it writes bench/pipeline.py's world (ownership, listings, banks, nested
correspondent accounts, transactions) as a CSV data package, then runs what
``sanctiongraph validate PACKAGE [--compute spark]`` runs, each engine in a fresh
process: read and load, every deriver (the 50 Percent Rule on its own line), validate.
Each stage reports wall seconds and CPU seconds of the whole process tree (the Python
process and Spark's JVM together, from /proc: on a shared machine CPU time is the fairer
figure); peak memory is that of the tree too (proportional set sizes), sampled every
0.2 s. Results are printed as a Markdown table (docs/benchmarks.md records them), with
the size of each engine's derived graph.

    python bench/spark.py --tables-only --entities 1000000 10000000 --transactions 5000000

measures the Spark fixed points alone at sizes whose store would not fit in memory: the
world's holdings and listings (bench/generate.py) go straight into the deriver's tables,
and the statuses are computed for the whole graph on the as-of date and, as the deriver
does, for the two parties of each of that many transactions (random entities on random
days of 2011-2026) on its date; nothing goes into a store and no triples are written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import write_world

AS_OF = date(2026, 11, 23)


def stage_run(package: str, compute: str, master: str) -> None:
    """One measurement in this process: one JSON line of stage timings."""
    from sanctiongraph.derive import DERIVED, as_of_triple, derivers
    from sanctiongraph.loading import load_bundled, read_and_load
    from sanctiongraph.spark import derivers_for
    from sanctiongraph.store import open_store
    from sanctiongraph.validate import validate_store

    out: dict[str, object] = {}
    replacements = derivers_for(compute, master) or {}
    me = os.getpid()
    store = open_store(in_memory=True)
    load_bundled(store)
    start = time.perf_counter()
    out["triples"] = sum(read_and_load(store, [Path(package)]).values())
    out["ingest_load_s"] = time.perf_counter() - start
    store.replace_graph(DERIVED, [as_of_triple(AS_OF)])
    for module in derivers():
        start, cpu = time.perf_counter(), _tree_cpu_s(me)
        replacements.get(module.__name__, module.derive)(store, AS_OF)
        name = module.__name__.rsplit(".", 1)[-1]
        out[f"derive_{name}_s"] = time.perf_counter() - start
        out[f"cpu_{name}_s"] = _tree_cpu_s(me) - cpu
    out["derived"] = store.count(DERIVED)
    start = time.perf_counter()
    report = validate_store(store, AS_OF, "fast", derive=False)
    out["validate_s"] = time.perf_counter() - start
    out["findings"] = len(report.findings)
    print(json.dumps(out), flush=True)


def tables_run(entities: int, transactions: int, seed: int, master: str, folder: str) -> None:
    """The Spark fixed points alone on a generated world: one JSON line of timings."""
    import random

    from generate import generate, to_ownership_data
    from sanctiongraph.spark import ofac50, spark_session

    out: dict[str, object] = {}
    start = time.perf_counter()
    world = generate(entities, seed)
    out["holdings"], out["listings"] = len(world.holdings), len(world.listings)
    data = to_ownership_data(world)
    del world
    rng = random.Random(seed + 2)
    parties: dict[str, set[int]] = {}
    for _ in range(transactions):  # two parties each, as a payment's originator and beneficiary
        day = f"{rng.randrange(2011, 2027)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        parties.setdefault(day, set()).update(rng.sample(range(entities), 2))
    out["tables_s"] = time.perf_counter() - start
    spark = spark_session(master)
    os.environ.setdefault("SANCTIONGRAPH_SPARK_WORK", folder)
    start = time.perf_counter()
    statuses = ofac50.spark_statuses(spark, data.compact(), [AS_OF.isoformat()], parties)
    out["spark_s"] = time.perf_counter() - start
    out["blocked_as_of"] = len(statuses[AS_OF.isoformat()].blocked)
    print(json.dumps(out), flush=True)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    stack += [int(child) for child in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _tree_cpu_s(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its descendants so far."""
    ticks = 0
    for current in _tree(pid):
        try:
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_memory_mib(pid: int) -> float:
    """Memory of ``pid`` and all its descendants, in MiB: their proportional set sizes,
    so that pages a forked child shares with its parent (Spark's launcher, forked from
    a large Python process) are counted once, not once per process as their resident
    sizes would be."""
    total = 0
    for current in _tree(pid):
        try:
            with open(f"/proc/{current}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def measure(command: list[str], timeout: float) -> dict:
    """Run one measurement in a fresh process; add its peak tree memory and wall time."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_memory_mib(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"timeout": timeout}
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(stderr[-3000:])
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    result["peak_mib"] = peak[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[100_000])
    parser.add_argument("--compute", nargs="+", default=["embedded", "spark"])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--tables-only", action="store_true")
    parser.add_argument("--transactions", type=int, default=0)
    parser.add_argument(
        "--stage", nargs=3, metavar=("PACKAGE", "COMPUTE", "MASTER"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--tables-stage",
        nargs=3,
        metavar=("ENTITIES", "TRANSACTIONS", "DIR"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    if args.stage:
        stage_run(*args.stage)
        return
    if args.tables_stage:
        size, count, folder = args.tables_stage
        tables_run(int(size), int(count), args.seed, args.master, folder)
        return
    if args.tables_only:
        print(
            "| entities | holdings | transactions | writing the tables s | Spark job s "
            "| peak MiB (tree) | blocked on the as-of date |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in args.entities:
            with tempfile.TemporaryDirectory() as tmp:
                found = measure(
                    [
                        sys.executable,
                        __file__,
                        "--tables-stage",
                        str(size),
                        str(args.transactions),
                        tmp,
                        "--master",
                        args.master,
                        "--seed",
                        str(args.seed),
                    ],
                    args.timeout,
                )
            if "timeout" in found:
                print(f"| {size:,} | stopped after {args.timeout:.0f} s |", flush=True)
                continue
            print(
                f"| {size:,} | {found['holdings']:,} | {args.transactions:,} "
                f"| {found['tables_s']:.0f} | {found['spark_s']:.0f} | {found['peak_mib']:,.0f} "
                f"| {found['blocked_as_of']:,} |",
                flush=True,
            )
        return
    print(
        "| entities | compute | triples | ingest + load s | 50% rule s (CPU s) "
        "| Section 311 s (CPU s) | other derivers s | validate s | process wall s "
        "| peak MiB (tree) | derived triples | findings |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.entities:
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / f"world-{size}"
            counts = write_world(size, args.seed, package)
            for compute in args.compute:
                found = measure(
                    [sys.executable, __file__, "--stage", str(package), compute, args.master],
                    args.timeout,
                )
                if "timeout" in found:
                    print(
                        f"| {size:,} | {compute} | stopped after {args.timeout:.0f} s |", flush=True
                    )
                    continue
                derive = {k: v for k, v in found.items() if k.startswith("derive_")}
                rule = derive.pop("derive_ofac_50pct_s")
                section_311 = derive.pop("derive_fincen_311_dprk_s")
                print(
                    f"| {size:,} | {compute} | {found['triples']:,} "
                    f"| {found['ingest_load_s']:.1f} "
                    f"| {rule:.1f} ({found['cpu_ofac_50pct_s']:.1f}) "
                    f"| {section_311:.1f} ({found['cpu_fincen_311_dprk_s']:.1f}) "
                    f"| {sum(derive.values()):.1f} "
                    f"| {found['validate_s']:.1f} | {found['wall_s']:.0f} "
                    f"| {found['peak_mib']:,.0f} | {found['derived']:,} | {found['findings']:,} |",
                    flush=True,
                )
            print(f"<!-- {size}: {json.dumps(counts)} -->", flush=True)


if __name__ == "__main__":
    main()
