"""Benchmark of the whole pipeline: ingest, load, derive, validate.

    python bench/pipeline.py --entities 10000 100000 [--reference-up-to 10000] [--profile DIR]

For each size it builds a seeded synthetic world (bench/generate.py's ownership world,
plus a correspondent-banking layer: banks in several jurisdictions, nested
correspondent accounts, transactions through them) and writes it as a CSV data package.
Then, each in a fresh process so that peak memory (ru_maxrss) is its own:

- the ``sanctiongraph validate PACKAGE`` pipeline (in-memory store): ingest and load
  (one stage: the package is loaded while it is mapped), derive, validate with the
  fast engine;
- the ``sanctiongraph load`` write path: ingest and bulk load into an on-disk store;
- for sizes up to ``--reference-up-to``, the same validate pipeline with pySHACL, and
  the ratio of the two validate stages (it also checks that both found the same
  (focus, shape, citation) count; ``tests/test_engines.py`` checks the sets).

Each stage reports wall and CPU seconds (CPU time is less disturbed on a shared machine)
and peak memory. Results are printed as a Markdown table (docs/benchmarks.md records them).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate, write_package

JURISDICTIONS = ["US"] * 6 + ["CN", "SG", "AE", "DE", "GB", "TR", "MY", "KP", "IR", "RU"]
PURPOSES = ["other", "trade_finance", "personal_remittance", "food", "petroleum_purchase"]


def write_world(entities: int, seed: int, folder: Path) -> dict[str, int]:
    """Write the data package; return row counts per file."""
    world = generate(entities, seed)
    write_package(world, folder)
    rng = random.Random(seed + 1)
    banks = [n for n in range(entities) if n % 5 == 0]
    place = {n: rng.choice(JURISDICTIONS) for n in banks}
    with open(folder / "entities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind", "jurisdiction"])
        for n in range(entities):
            kind = "bank" if n in place else "company"
            w.writerow([f"e{n}", f"Synthetic entity {n}", kind, place.get(n, "US")])
    us = [b for b in banks if place[b] == "US"]
    foreign = [b for b in banks if place[b] != "US"]
    accounts = []
    for holder in foreign:
        for _ in range(rng.choice((1, 1, 2))):
            # Most foreign banks bank with a US bank; some nest behind another foreign bank.
            maintainer = rng.choice(us) if rng.random() < 0.7 else rng.choice(foreign)
            if maintainer != holder:
                accounts.append((f"a{len(accounts)}", maintainer, holder))
    with open(folder / "accounts.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "type", "maintained_by", "holder", "opened_on", "closed_on"])
        for account, maintainer, holder in accounts:
            opened = f"{rng.randrange(2005, 2025)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}"
            w.writerow([account, "correspondent", f"e{maintainer}", f"e{holder}", opened, ""])
    transactions = 0
    with open(folder / "transactions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "date",
                "account",
                "originator_institution",
                "beneficiary_institution",
                "counterparty",
                "purpose",
                "amount",
                "currency",
                "knowingly",
                "significant",
            ]
        )
        for account, _maintainer, holder in accounts:
            for _ in range(rng.choice((0, 1, 2, 3))):
                other = rng.choice(banks)
                w.writerow(
                    [
                        f"t{transactions}",
                        f"{rng.randrange(2011, 2027)}-0{rng.randrange(1, 10)}-2{rng.randrange(0, 9)}",
                        account,
                        f"e{holder}",
                        f"e{other}",
                        f"e{other}",
                        rng.choice(PURPOSES),
                        rng.randrange(100, 5_000_000),
                        "USD",
                        rng.choice(("true", "false", "")),
                        rng.choice(("true", "false", "")),
                    ]
                )
                transactions += 1
    return {
        "entities": entities,
        "holdings": len(world.holdings),
        "listings": len(world.listings),
        "accounts": len(accounts),
        "transactions": transactions,
    }


def stage_run(package: str, store_dir: str, engine: str, profile_dir: str | None = None) -> None:
    """One measurement, in this process: print one JSON line of timings and peak memory.

    ``store_dir`` "-" runs what ``sanctiongraph validate PACKAGE`` runs (an in-memory
    store: ingest and load, derive, validate with ``engine``). A directory measures what
    ``sanctiongraph load`` does in the on-disk store. Both ingest and load with
    ``read_and_load``: a package going into a new graph is loaded while it is mapped,
    so the two are one stage. With ``profile_dir``, each stage runs under cProfile and
    its statistics go to ``<profile_dir>/<stage>.prof`` (read them with ``pstats``).
    """
    from sanctiongraph.derive import run_derivers
    from sanctiongraph.loading import load_bundled, read_and_load
    from sanctiongraph.store import open_store
    from sanctiongraph.validate import validate_store

    def peak_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    out: dict[str, object] = {}
    clock: list[float] = []
    profiler: list[cProfile.Profile] = []

    def start() -> None:
        if profile_dir:
            profiler[:] = [cProfile.Profile()]
            profiler[0].enable()
        clock[:] = [time.perf_counter(), time.process_time()]

    def stop(stage: str) -> None:
        """Wall and CPU seconds of a stage (CPU time is less disturbed when the machine
        is shared), and the peak memory so far."""
        out[f"{stage}_s"] = time.perf_counter() - clock[0]
        out[f"{stage}_cpu_s"] = time.process_time() - clock[1]
        out[f"{stage}_peak_mib"] = peak_mib()
        if profiler:
            profiler[0].disable()
            profiler[0].dump_stats(str(Path(profile_dir or ".") / f"{stage}.prof"))

    store = open_store(in_memory=True) if store_dir == "-" else open_store(store_dir)
    load_bundled(store)
    start()
    counts = read_and_load(store, [Path(package)])
    stop("ingest_load")
    out["triples"] = sum(counts.values())
    if store_dir != "-":
        store.close()
        print(json.dumps(out))
        return
    as_of = date(2026, 11, 23)
    start()
    run_derivers(store, as_of)
    stop("derive")
    start()
    report = validate_store(store, as_of, engine, derive=False)
    stop("validate")
    out["findings"] = len(report.findings)
    out["finding_keys"] = len({(f.focus, f.shape, f.citation) for f in report.findings})
    store.close()
    print(json.dumps(out))


def measure(
    package: Path, store: str, engine: str, timeout: float, profile_dir: Path | None = None
) -> dict | None:
    """Run one stage in a fresh process (so that peak memory is its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = store if store == "-" else str(Path(tmp) / "store")
        try:
            result = subprocess.run(
                [sys.executable, __file__, "--stage", str(package), target, engine]
                + (["--profile", str(profile_dir)] if profile_dir else []),
                check=False,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference-up-to", type=int, default=10_000)
    parser.add_argument("--reference-timeout", type=float, default=1800)
    parser.add_argument("--no-disk", action="store_true", help="skip the on-disk load")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the validate pipeline's stages under cProfile; statistics to DIR/<entities>/",
    )
    parser.add_argument(
        "--stage", nargs=3, metavar=("PACKAGE", "STORE", "ENGINE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.stage:
        stage_run(*args.stage, str(args.profile) if args.profile else None)
        return
    print(
        "| entities | triples | ingest + load s | derive s | validate s | end to end s (CPU s) "
        "| peak MiB | on-disk load (sanctiongraph load) s (triples/s) | pySHACL validate s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.entities:
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / f"world-{size}"
            counts = write_world(size, args.seed, package)
            profile_dir = args.profile / str(size) if args.profile else None
            if profile_dir:
                profile_dir.mkdir(parents=True, exist_ok=True)
            fast = measure(package, "-", "fast", timeout=7200, profile_dir=profile_dir)
            disk = None if args.no_disk else measure(package, "disk", "fast", timeout=7200)
            reference = (
                measure(package, "-", "reference", args.reference_timeout)
                if size <= args.reference_up_to
                else None
            )
        stages = ("ingest_load", "derive", "validate")
        total = sum(fast[f"{stage}_s"] for stage in stages)
        total_cpu = sum(fast[f"{stage}_cpu_s"] for stage in stages)
        peak = max(v for k, v in fast.items() if k.endswith("peak_mib"))
        if disk:
            seconds = disk["ingest_load_s"]
            on_disk = f"{seconds:.1f} ({disk['triples'] / seconds:,.0f})"
        else:
            on_disk = "not run"
        if size > args.reference_up_to:
            ref, ratio = "not run", "-"
        elif reference is None:
            ref = f"> {args.reference_timeout:.0f} (stopped)"
            ratio = f"> {args.reference_timeout / fast['validate_s']:.0f}x"
        else:
            ref = f"{reference['validate_s']:.1f}"
            ratio = f"{reference['validate_s'] / fast['validate_s']:.0f}x"
            if reference["finding_keys"] != fast["finding_keys"]:
                ratio += " (finding sets differ!)"
        print(
            f"| {size:,} | {fast['triples']:,} | {fast['ingest_load_s']:.1f} "
            f"| {fast['derive_s']:.1f} | {fast['validate_s']:.2f} | {total:.1f} ({total_cpu:.1f}) "
            f"| {peak:,.0f} | {on_disk} | {ref} | {ratio} |",
            flush=True,
        )
        print(f"<!-- {size}: {json.dumps(counts)} findings={fast['findings']} -->", flush=True)


if __name__ == "__main__":
    main()
