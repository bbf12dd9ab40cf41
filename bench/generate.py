"""Seeded synthetic ownership worlds for the 50 Percent Rule benchmark.

``python bench/generate.py --entities 10000 --seed 1 --package DIR`` writes a data
package (entities.csv, ownership.csv, designations.csv) that ``sanctiongraph validate``
and ``load`` accept; ``--nquads FILE`` writes the same world as N-Quads. The benchmark
(bench/ownership.py) calls :func:`generate` directly and gets plain rows, with no
files in between.

The shape of a world (all draws from one ``random.Random(seed)``):

- 5% of the entities are top owners (people and holding companies) with no owners;
- every other entity has 0-4 owners (mostly 1-2), drawn mostly from the few thousand
  entities numbered just below it, which makes long chains and many diamonds (two
  paths from one owner); about 1% of stakes point *up* to a later entity, which makes
  cycles;
- the shares of an entity's owners add up to at most 100 (part of it free float), with
  exact 50, 25 and 49.9 percent stakes mixed in; 3% of stakes are bands of 20 points;
- 10% of stakes start on a date, 4% have ended (some before the as-of date, some after);
- 2% extra holdings are control without ownership;
- 0.5% of entities are on the SDN List, under a random program; 5% of the listings
  ended (delisted) and 3% start after the as-of date.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2026, 11, 23)
PROGRAMS = ["SDGT", "DPRK", "IRGC", "NPWMD", "RUSSIA-EO14024"]
BASE = "https://w3id.org/sanctiongraph/"
SG = BASE + "ontology#"


@dataclass
class World:
    """A synthetic world as plain rows."""

    entities: int
    # (owner, owned, percent | None, min | None, max | None, start | None, end | None, control)
    holdings: list[tuple] = field(default_factory=list)
    # (entity, program, start, end | None)
    listings: list[tuple] = field(default_factory=list)


def _day(rng: random.Random, first: date, last: date) -> str:
    return (first + timedelta(days=rng.randrange((last - first).days))).isoformat()


def generate(entities: int, seed: int = 1) -> World:
    rng = random.Random(seed)
    world = World(entities)
    top = max(1, entities // 20)
    window = 3000
    early, late = date(2000, 1, 1), date(2026, 1, 1)
    for owned in range(top, entities):
        count = rng.choices((0, 1, 2, 3, 4), (3, 52, 27, 12, 6))[0]
        if count == 0:
            continue
        owners: set[int] = set()
        for _ in range(count):
            if rng.random() < 0.01 and owned + 1 < entities:
                owner = rng.randrange(owned + 1, min(entities, owned + 50))  # a cycle-maker
            elif rng.random() < 0.3:
                owner = rng.randrange(top)  # a top owner
            else:
                owner = rng.randrange(max(0, owned - window), owned)
            if owner != owned:
                owners.add(owner)
        if not owners:
            continue
        free_float = rng.choice((0, 0, 0, 10, 25, 40))
        weights = [rng.random() + 0.1 for _ in owners]
        scale = (100 - free_float) / sum(weights)
        shares = [round(w * scale, 1) for w in weights]
        special = rng.random()
        if len(owners) == 1 and special < 0.2:
            shares = [rng.choice((50.0, 49.9, 100.0))]
        elif len(owners) == 2 and special < 0.2:
            shares = [25.0, 25.0]
        while sum(shares) > 100:
            shares[shares.index(max(shares))] -= 0.1
        for owner, share in zip(sorted(owners), shares):
            share = round(share, 1)
            if share <= 0:
                continue
            start = end = None
            if rng.random() < 0.10:
                start = _day(rng, early, late)
            if rng.random() < 0.04:
                end = _day(rng, date(2020, 1, 1), date(2028, 1, 1))
                if start is not None and end <= start:
                    start = None
            if rng.random() < 0.03:
                low = max(0.1, round(share - 10, 1))
                high = min(100.0, round(low + 20, 1))  # a share is at most 100
                world.holdings.append((owner, owned, None, low, high, start, end, False))
            else:
                world.holdings.append((owner, owned, share, None, None, start, end, False))
        if rng.random() < 0.02:
            controller = rng.randrange(max(0, owned - window), owned) if owned else 0
            if controller != owned:
                world.holdings.append((controller, owned, None, None, None, None, None, True))
    listed = rng.sample(range(entities), max(1, entities // 200))
    for entity in sorted(listed):
        roll = rng.random()
        start = _day(rng, date(2005, 1, 1), date(2026, 1, 1))
        end = None
        if roll < 0.05:
            end = _day(rng, date(2016, 1, 1), date(2026, 11, 1))
            if end <= start:
                start = "2005-01-01"
        elif roll < 0.08:
            start = _day(rng, date(2026, 12, 1), date(2027, 12, 1))
        world.listings.append((entity, rng.choice(PROGRAMS), start, end))
    return world


def to_ownership_data(world: World, keys=None):
    """The world as :class:`~sanctiongraph.analysis.ownership.OwnershipData`."""
    from sanctiongraph.analysis.ownership import OwnershipData

    data = OwnershipData()
    key = keys or entity_iri
    for number in range(world.entities):
        data.entity(key(number), f"e{number}")
    for i, (owner, owned, percent, low, high, start, end, control) in enumerate(world.holdings):
        data.add_holding(
            key(owner),
            key(owned),
            percent,
            minimum=low,
            maximum=high,
            start=start,
            end=end,
            key=holding_iri(i),
            control=control,
        )
    for i, (entity, program, start, end) in enumerate(world.listings):
        data.add_listing(
            key(entity), start, end, designation_iri(i), [BASE + "ref/program/" + program]
        )
    return data


def entity_iri(number: int) -> str:
    return f"{BASE}id/entity/e{number}"


def holding_iri(number: int) -> str:
    return f"{BASE}id/holding/bench/{number}"


def designation_iri(number: int) -> str:
    return f"{BASE}id/designation/bench/{number}"


def nquads(world: World, graph: str = BASE + "graph/source/bench"):
    """The world as N-Quads lines, as the CSV mapper would map the package."""
    g = f"<{graph}>"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    ident = "<http://purl.org/dc/terms/identifier>"
    dec = "^^<http://www.w3.org/2001/XMLSchema#decimal>"
    day = "^^<http://www.w3.org/2001/XMLSchema#date>"
    for number in range(world.entities):
        e = f"<{entity_iri(number)}>"
        yield f"{e} {rdf_type} <{SG}Company> {g} .\n"
        yield f'{e} {ident} "e{number}" {g} .\n'
    for i, (owner, owned, percent, low, high, start, end, control) in enumerate(world.holdings):
        h = f"<{holding_iri(i)}>"
        yield f"{h} {rdf_type} <{SG}{'Control' if control else 'Ownership'}> {g} .\n"
        yield f"{h} <{SG}owner> <{entity_iri(owner)}> {g} .\n"
        yield f"{h} <{SG}owned> <{entity_iri(owned)}> {g} .\n"
        if percent is not None:
            yield f'{h} <{SG}percent> "{percent}"{dec} {g} .\n'
        if low is not None:
            yield f'{h} <{SG}percentMin> "{low}"{dec} {g} .\n'
            yield f'{h} <{SG}percentMax> "{high}"{dec} {g} .\n'
        if start is not None:
            yield f'{h} <{SG}startDate> "{start}"{day} {g} .\n'
        if end is not None:
            yield f'{h} <{SG}endDate> "{end}"{day} {g} .\n'
    for i, (entity, program, start, end) in enumerate(world.listings):
        d = f"<{designation_iri(i)}>"
        yield f"{d} {rdf_type} <{SG}Designation> {g} .\n"
        yield f"{d} <{SG}designates> <{entity_iri(entity)}> {g} .\n"
        yield f"{d} <{SG}onList> <{BASE}ref/list/SDN> {g} .\n"
        yield f"{d} <{SG}underProgram> <{BASE}ref/program/{program}> {g} .\n"
        yield f'{d} <{SG}startDate> "{start}"{day} {g} .\n'
        if end is not None:
            yield f'{d} <{SG}endDate> "{end}"{day} {g} .\n'


def write_package(world: World, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "entities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind", "jurisdiction"])
        for number in range(world.entities):
            w.writerow([f"e{number}", f"Synthetic entity {number}", "company", "US"])
    with open(folder / "ownership.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["owner", "owned", "kind", "percent", "percent_min", "percent_max", "start", "end"]
        )
        for owner, owned, percent, low, high, start, end, control in world.holdings:
            w.writerow(
                [
                    f"e{owner}",
                    f"e{owned}",
                    "controls" if control else "owns",
                    percent or "",
                    low or "",
                    high or "",
                    start or "",
                    end or "",
                ]
            )
    with open(folder / "designations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["entity", "list", "program", "start", "end"])
        for entity, program, start, end in world.listings:
            w.writerow([f"e{entity}", "SDN", program, start, end or ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--package", type=Path, help="write a CSV data package to this folder")
    parser.add_argument("--nquads", type=Path, help="write N-Quads to this file")
    args = parser.parse_args()
    world = generate(args.entities, args.seed)
    if args.package:
        write_package(world, args.package)
    if args.nquads:
        with open(args.nquads, "w") as f:
            f.writelines(nquads(world))
    print(
        f"{args.entities} entities, {len(world.holdings)} holdings, "
        f"{len(world.listings)} SDN listings (seed {args.seed})"
    )


if __name__ == "__main__":
    main()
