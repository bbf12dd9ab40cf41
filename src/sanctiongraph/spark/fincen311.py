"""The Section 311 deriver (:mod:`sanctiongraph.derive.fincen_311_dprk`) with its walks
through branches, offices and subsidiaries run as Spark jobs.

What grows with the data is the closure of each population's seeds (North Korean banks
and financial institutions, a named institution and its listed affiliates) through
``sg:branchOf`` at any depth and through subsidiaries owned more than the measure's
threshold by a holding in force on the date. That closure, for the as-of date and for
every date the deriver asks about (transactions, account openings, the stretches of
the accounts' past), runs in Spark as one breadth-first search keyed by run, one Spark job
a level. Everything else stays in the embedded module and is called from here: which
measures are in force, who the seeds are, whether a holding exceeds the threshold,
whether an owned entity is a person, whether an office outside the United States
counts, the evidence in words and every triple.

The embedded deriver runs twice over one :class:`~sanctiongraph.derive.fincen_311_dprk.World`:
first with a walk that only records what it is asked (seeds, date, threshold) and
answers nothing, then, once Spark has computed every recorded walk in one run, with a
walk that answers from Spark's results. The walks do not steer which walks are asked
for, so the second run asks the recorded ones; one it did not record (should a change
to the embedded module make it so) is computed on its own, so the answer stays right.

The breadth-first order is the embedded one (``breadth_first``): an entity is reached
first from the earliest entity of the previous level, offices before holdings, each in
``World.sorted`` order and holdings then by IRI. Spark keeps each level's order as a
rank and picks, for every newly reached entity, the least (rank of the entity it is
reached from, kind, holding) among its links; the chain of evidence is then the one the
embedded walk writes. ``tests/test_spark.py`` requires identical derived graphs.
"""

from __future__ import annotations

import tempfile
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from sanctiongraph.derive import fincen_311_dprk as fincen
from sanctiongraph.derive.fincen_311_dprk import Reached, World
from sanctiongraph.namespaces import SG
from sanctiongraph.spark.ofac50 import _write, work_root
from sanctiongraph.store import GraphStore

# A walk as the deriver asks for it: seeds in order, the class of days on which the same
# holdings are in force (None without holdings), the threshold.
WalkKey = tuple[tuple[str, ...], int | None, Decimal | None]

OWNERS = f"SELECT DISTINCT ?owner WHERE {{ ?h <{SG.owner}> ?owner FILTER (isIRI(?owner)) }}"
_OFFICE, _HOLDING = 0, 1


def read_all_holdings(world: World, store: GraphStore) -> None:
    """Read every holding into ``world`` with the embedded reader (``World.holdings_of``:
    one relation once, the least value of a fact stated twice), as the Spark table's
    source. The embedded walk reads only the holdings of the entities it reaches."""
    owners = sorted(str(row["owner"].value) for row in store.query(OWNERS))
    if owners:
        world.holdings_of(owners[0], owners)


class SparkWalks:
    """``World.walk`` answered by Spark: :meth:`record` first, then :meth:`compute`, then
    :meth:`answer` (every walk recorded, from one Spark run)."""

    def __init__(self, spark: SparkSession, world: World) -> None:
        self.spark, self.world = spark, world
        self.requests: dict[WalkKey, date] = {}
        self.answers: dict[WalkKey, dict[str, Reached]] = {}
        holdings = [h for found in world.holdings_by_owner.values() for h in found]
        self.holdings = sorted(holdings, key=lambda h: h.iri)
        self.bounds = sorted({d for h in holdings for d in (h.start, h.end) if d is not None})

    def key(self, seeds: list[str], as_of: date, threshold: Decimal | None) -> WalkKey:
        """Two days between the same consecutive start and end dates of the holdings see
        the same holdings in force (``kit.in_force``: start <= day < end): one walk."""
        day_class = None if threshold is None else bisect_right(self.bounds, as_of)
        return tuple(seeds), day_class, threshold

    def record(
        self, world: World, seeds: list[str], as_of: date, threshold: Decimal | None
    ) -> dict[str, Reached]:
        self.requests.setdefault(self.key(seeds, as_of, threshold), as_of)
        return {}

    def answer(
        self, world: World, seeds: list[str], as_of: date, threshold: Decimal | None
    ) -> dict[str, Reached]:
        key = self.key(seeds, as_of, threshold)
        if key not in self.answers:  # not recorded: compute it alone
            self.answers.update(self.walk({key: as_of}))
        return self.answers[key]

    def compute(self) -> None:
        self.answers.update(self.walk(self.requests))

    # ------------------------------------------------------------------ the Spark job

    def walk(self, requests: dict[WalkKey, date]) -> dict[WalkKey, dict[str, Reached]]:
        """Every walk of ``requests`` in one breadth-first search keyed by run."""
        if not requests:
            return {}
        world = self.world
        keys = list(requests)
        thresholds = sorted({t for _, _, t in keys if t is not None})
        iris = {*world.entities, *world.children}
        for kids in world.children.values():
            iris.update(kids)
        for h in self.holdings:
            iris.update((h.owner, h.owned))
        for seeds, _, _ in keys:
            iris.update(seeds)
        ranked = world.sorted(iris)  # an entity's number is its place in World.sorted order
        number = {iri: n for n, iri in enumerate(ranked)}
        offices = (
            (number[parent], number[kid]) for parent, kids in world.children.items() for kid in kids
        )
        # A holding is a link for a threshold when it exceeds it and the owned entity is
        # not a person (the embedded decisions); whether it is in force is Spark's join.
        holding_rows = (
            (
                number[h.owner],
                number[h.owned],
                n,
                h.start.isoformat() if h.start else None,
                h.end.isoformat() if h.end else None,
                t,
            )
            for n, h in enumerate(self.holdings)
            if not world.entity(h.owned).person
            for t, threshold in enumerate(thresholds)
            if h.exceeds(threshold)
        )
        # Many walks start from the same seeds (a population on many dates): each set of
        # seeds is written once, and Spark gives every run its set's seeds.
        seed_sets: dict[tuple[str, ...], int] = {}
        runs = [
            (
                run,
                requests[key].isoformat(),
                -1 if key[2] is None else thresholds.index(key[2]),
                seed_sets.setdefault(key[0], len(seed_sets)),
            )
            for run, key in enumerate(keys)
        ]
        seed_rows = ((n, number[iri]) for seeds, n in seed_sets.items() for iri in seeds)
        with tempfile.TemporaryDirectory(prefix="sanctiongraph-spark-", dir=work_root()) as folder:
            work = Path(folder)
            read = self.spark.read.csv
            run_table = read(
                _write(work / "runs.csv", runs), schema="run INT, day STRING, t INT, seeds INT"
            )
            seed_table = read(_write(work / "seeds.csv", seed_rows), schema="seeds INT, entity INT")
            tree = breadth_first(
                run_table.join(seed_table, "seeds").select("run", "entity"),
                read(_write(work / "offices.csv", offices), schema="parent INT, child INT"),
                read(
                    _write(work / "holdings.csv", holding_rows),
                    schema="owner INT, owned INT, holding INT, start STRING, `end` STRING, t INT",
                ),
                run_table.select("run", "day", "t"),
            )
        found: dict[WalkKey, dict[str, Reached]] = {key: {} for key in keys}
        for run, entity, via, holding in tree:
            found[keys[run]][ranked[entity]] = Reached(
                ranked[via], None if holding < 0 else self.holdings[holding]
            )
        return found


def in_force(day: Column, start: Column, end: Column) -> Column:
    """``kit.in_force`` (start <= day < end, open bounds) over ISO dates."""
    return (start.isNull() | (start <= day)) & (end.isNull() | (day < end))


def breadth_first(
    seeds: DataFrame, offices: DataFrame, holdings: DataFrame, runs: DataFrame
) -> list[tuple[int, int, int, int]]:
    """The embedded ``breadth_first`` for every run at once. ``seeds`` (run, entity),
    entities numbered in ``World.sorted`` order; ``offices`` (parent, child);
    ``holdings`` (owner, owned, holding, start, end, t) for threshold number ``t``;
    ``runs`` (run, day, t). Returns (run, entity, via, holding or -1) for every entity
    reached beyond the seeds, in the order the embedded walk reaches them. One Spark job
    a level."""
    col = F.col
    runs = F.broadcast(runs.select("run", "day", col("t").alias("runs_t")))
    holdings = holdings.localCheckpoint()
    offices = offices.localCheckpoint()
    visited = seeds.select("run", "entity").distinct().localCheckpoint()
    frontier = seeds.select("run", "entity", col("entity").alias("rank"))
    levels: list[DataFrame] = []
    while True:
        by_office = frontier.join(offices, frontier["entity"] == offices["parent"]).select(
            "run",
            col("child").alias("entity"),
            "rank",
            F.lit(_OFFICE).alias("kind"),
            F.lit(-1).alias("holding"),
            col("parent").alias("via"),
        )
        by_holding = (
            frontier.join(runs, "run")
            .join(holdings, (col("owner") == col("entity")) & (col("t") == col("runs_t")))
            .where(in_force(col("day"), col("start"), col("end")))
            .select(
                "run",
                col("owned").alias("entity"),
                "rank",
                F.lit(_HOLDING).alias("kind"),
                "holding",
                col("owner").alias("via"),
            )
        )
        first = F.min(F.struct("rank", "kind", "holding", "via")).alias("first")
        reached = (
            by_office.unionByName(by_holding)
            .join(visited, ["run", "entity"], "left_anti")
            .groupBy("run", "entity")
            .agg(first)
            .select("run", "entity", "first.*")
        )
        order = Window.partitionBy("run").orderBy("rank", "kind", "entity", "holding")
        level = reached.withColumn("next", F.row_number().over(order)).localCheckpoint()
        if level.isEmpty():
            break
        levels.append(level.withColumn("level", F.lit(len(levels))))
        visited = visited.unionByName(level.select("run", "entity")).localCheckpoint()
        frontier = level.select("run", "entity", col("next").alias("rank"))
    if not levels:
        return []
    rows = _union(levels).select("run", "entity", "via", "holding", "level", "next").collect()
    rows.sort(key=lambda r: (r["run"], r["level"], r["next"]))
    return [(r["run"], r["entity"], r["via"], r["holding"]) for r in rows]


def _union(frames: Iterable[DataFrame]) -> DataFrame:
    found: DataFrame | None = None
    for frame in frames:
        found = frame if found is None else found.unionByName(frame)
    assert found is not None
    return found


def derive(store: GraphStore, as_of: date, spark: SparkSession) -> None:
    """Write what :func:`sanctiongraph.derive.fincen_311_dprk.derive` writes, the walks
    computed by Spark."""
    world = World.load(store)
    read_all_holdings(world, store)
    walks = SparkWalks(spark, world)
    world.walk = walks.record
    fincen.derived_triples(world, store, as_of)  # which walks the deriver asks for
    walks.compute()
    world.walk = walks.answer
    fincen.derive(store, as_of, world)
