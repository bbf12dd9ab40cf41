"""Kill ``sanctiongraph load`` at random moments and check what the store holds after.

    python bench/crashes.py --trials 200 [--entities 2000] [--seed 1] [--workdir DIR]

Two scenarios alternate: a first load of a package into a new store, and a reload that
replaces that package's graph with a different version (another seeded world, so the
derived statuses differ too). Each trial starts ``sanctiongraph load`` in a process of
its own, sends it SIGKILL after a random delay (uniform up to the length of the shortest
uninterrupted run seen so far), then opens the store as ``serve`` and the CLI's read commands do
(:func:`sanctiongraph.loading.make_ready`) and requires:

- the store opens, and nothing raises;
- every graph is complete in its old or its new version (the package's graph: absent or
  the whole package on a first load; the old or the new package on a reload; the
  ontology and reference data whole);
- the derived graph is exactly the one computed from the graphs the store now holds,
  and is marked complete;
- no bulk loader file (``bulk-*.sst``) and no journal entry is left behind.

It prints one line per outcome and exits 1 when any trial failed. ``tests/test_crashes.py``
runs a few trials of it on a small world.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate, write_package

AS_OF = date(2026, 11, 23)
GRAPH_NAME = "world"

Contents = dict[str, Counter[str]]


def _line(triple: ox.Triple) -> str:
    """A triple as N-Triples with every blank node written ``_:b`` (the ontology has
    blank nodes, whose labels differ from store to store)."""
    return " ".join(
        "_:b" if isinstance(term, ox.BlankNode) else str(term)
        for term in (triple.subject, triple.predicate, triple.object)
    )


def graph_contents(store) -> Contents:
    """Every graph of ``store`` as a multiset of its triples' lines."""
    return {g.value: Counter(_line(t) for t in store.triples(g)) for g in store.graphs()}


def reference_state(package: Path | None) -> Contents:
    """What a store holds after an uninterrupted load of ``package`` (or of nothing)."""
    from sanctiongraph.derive import run_derivers
    from sanctiongraph.loading import load_bundled, load_shapes, read_and_load
    from sanctiongraph.store import open_store

    store = open_store(in_memory=True)
    if package is not None:
        read_and_load(store, [package], GRAPH_NAME)
    load_bundled(store)
    load_shapes(store)  # as `load` and every opening of a store (make_ready) do
    run_derivers(store, AS_OF)
    return graph_contents(store)


def load_command(package: Path, store: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sanctiongraph.cli",
        "load",
        str(package),
        "--store",
        str(store),
        "--graph",
        GRAPH_NAME,
        "--as-of",
        AS_OF.isoformat(),
    ]


@dataclass
class Scenario:
    name: str
    package: Path
    before: Path | None  # a store to copy before each trial, or None for a new one
    old: str  # the name of the state the package's graph starts in
    new: str
    seconds: float = 0.0


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def check(
    store_dir: Path, expected: dict[str, Contents], scenario: Scenario
) -> tuple[str, str | None]:
    """Open the store as the entry points do; return (outcome, failure or None)."""
    from sanctiongraph.derive import DERIVED, derived_is_complete
    from sanctiongraph.loading import make_ready
    from sanctiongraph.store.oxigraph import JOURNAL, OxigraphStore

    try:
        store = OxigraphStore(store_dir)
        try:
            rederived = make_ready(store, AS_OF) is not None
            complete = derived_is_complete(store)
            held = graph_contents(store)
        finally:
            store.close()
    except Exception as exc:
        return "exception", f"{exc.__class__.__name__}: {exc}"
    derived = held.pop(DERIVED.value, Counter())
    state = next(
        (
            name
            for name in (scenario.old, scenario.new)
            if {g: c for g, c in expected[name].items() if g != DERIVED.value} == held
        ),
        None,
    )
    leftovers = [p.name for p in store_dir.glob("bulk-*.sst")]
    journal = store_dir / JOURNAL
    if journal.is_dir():
        leftovers += [p.name for p in journal.iterdir()]
    outcome = f"{scenario.name}: {state or 'torn'}{' (derived again)' if rederived else ''}"
    if state is None:
        return outcome, "the graphs are neither the old nor the new version: " + ", ".join(
            sorted(
                g
                for g in (set(held) | set(expected[scenario.new])) - {DERIVED.value}
                if held.get(g) not in (expected[scenario.old].get(g), expected[scenario.new].get(g))
            )
        )
    if derived != expected[state][DERIVED.value] or not complete:
        return outcome, "the derived graph does not match the graphs it was computed from"
    if leftovers:
        return outcome, f"left behind: {leftovers}"
    return outcome, None


def run_trial(
    scenario: Scenario,
    expected: dict[str, Contents],
    rng: random.Random,
    workdir: Path,
    tally: Tally,
) -> None:
    store_dir = Path(tempfile.mkdtemp(dir=workdir)) / "store"
    if scenario.before is not None:
        shutil.copytree(scenario.before, store_dir)
    delay = rng.uniform(0, scenario.seconds)
    started = time.perf_counter()
    process = subprocess.Popen(
        load_command(scenario.package, store_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        process.wait(timeout=delay)
        # It finished first: later kills are drawn within the shortest run seen.
        scenario.seconds = min(scenario.seconds, time.perf_counter() - started)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    outcome, failure = check(store_dir, expected, scenario)
    tally.outcomes[outcome + (" (finished)" if process.returncode == 0 else "")] += 1
    if failure:
        tally.failures.append(f"{outcome}, killed after {delay:.2f} s: {failure}")
    shutil.rmtree(store_dir.parent, ignore_errors=True)


def timed_load(package: Path, store_dir: Path, runs: int = 3) -> float:
    """The shortest of ``runs`` uninterrupted loads of ``package`` into a copy of
    ``store_dir`` (or a new store); ``store_dir`` is left as the first load made it."""
    seconds = []
    for run in range(runs):
        target = store_dir if run == 0 else store_dir.with_name(f"{store_dir.name}-{run}")
        start = time.perf_counter()
        subprocess.run(
            load_command(package, target),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds.append(time.perf_counter() - start)
        if target != store_dir:
            shutil.rmtree(target)
    return min(seconds)


def run(trials: int, entities: int, seed: int, workdir: Path) -> Tally:
    """Prepare the packages and the reference states, then run ``trials`` trials."""
    v1, v2 = workdir / "v1", workdir / "v2"
    write_package(generate(entities, seed), v1)
    write_package(generate(entities, seed + 1), v2)
    expected = {
        "absent": reference_state(None),
        "v1": reference_state(v1),
        "v2": reference_state(v2),
    }
    before = workdir / "before"
    first = Scenario("first load", v1, None, "absent", "v1")
    first.seconds = timed_load(v1, before)
    reload = Scenario("reload", v2, before, "v1", "v2")
    timings = []
    for run in range(3):
        scratch = workdir / f"timing-{run}"
        shutil.copytree(before, scratch)
        timings.append(timed_load(v2, scratch, runs=1))
        shutil.rmtree(scratch)
    reload.seconds = min(timings)
    rng = random.Random(seed)
    tally = Tally()
    for number in range(trials):
        run_trial((first, reload)[number % 2], expected, rng, workdir, tally)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sg-crashes-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tally = run(args.trials, args.entities, args.seed, workdir)
    print(f"{args.trials} trials, {args.entities} entities, {time.perf_counter() - started:.0f} s")
    for outcome, count in sorted(tally.outcomes.items()):
        print(f"{count:5d}  {outcome}")
    print(f"failures: {len(tally.failures)}")
    for failure in tally.failures:
        print("  " + failure)
    sys.exit(1 if tally.failures else 0)


if __name__ == "__main__":
    main()
