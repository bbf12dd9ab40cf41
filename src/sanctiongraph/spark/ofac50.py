"""The OFAC 50 Percent Rule deriver (:mod:`sanctiongraph.derive.ofac_50pct`) as Spark jobs.

Same input, same derived triples. The input is what the embedded deriver reads
(:func:`~sanctiongraph.analysis.loader.load_ownership_below_listings`: one row per
relation, listings with their unknown intervals, offices, rules that block by operation
of law). The fixed points, whose cost grows with the data, run in Spark:

- the rules by operation of law that include what their persons own or control: from
  the persons named, ownership counted as in the 50 Percent Rule (bands at their
  minimum, resp. maximum) and control in full, offices included;
- the lower fixed point (seeds: listings in force and persons blocked by law; bands at
  their minimum; offices of blocked institutions) and the upper one (also listings
  possibly in force and persons possibly blocked by law; bands at their maximum; offices
  down and an office's institution up), with the summed shares (``sg:blockedShare``,
  ``sg:blockedShareMax``).

Each round is one Spark job that adds the next level of ownership (cycles end because
the set only grows). The as-of date and every transaction date run together, keyed by
(run, date); transaction dates are grouped into classes on which every listing, unknown
interval, holding and rule is equally in force, one fixed point per class.

The results (who is blocked, possibly blocked, by which listing or rule, and the summed
shares) come back to this process as a :class:`~sanctiongraph.analysis.ownership.Status`
per date, and the embedded deriver's own functions write the triples from them:
``status_triples`` (types, shares, programs, reason nodes, ``sg:statusExplanation``) and
``transaction_triples`` (``sg:blockedParty``, ``sg:PartyStatus``). That part is text
assembly over the results, linear in the blocked and possibly blocked entities, with
one home for every IRI and sentence. ``docs/scale-out.md`` explains the design;
``tests/test_spark.py`` requires identical derived graphs and findings.
"""

from __future__ import annotations

import bisect
import csv
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sanctiongraph.analysis.loader import load_ownership_below_listings
from sanctiongraph.analysis.ownership import FULL, HALF, NO_START, OwnershipData, Status, _day
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.divestment import divestment_triples
from sanctiongraph.derive.ofac_50pct import status_triples, transaction_triples
from sanctiongraph.store import GraphStore

HOLDINGS_SCHEMA = (
    "owner LONG, owned LONG, control INT, lo LONG, hi LONG, start STRING, `end` STRING"
)
BRANCHES_SCHEMA = "office LONG, institution LONG"

# The kinds of fixed point: by law (control in full; offices down), the lower and the
# upper one of the 50 Percent Rule (ownership only; the upper one also goes up from an
# office to its institution).
_LAW_LO, _LAW_HI, _LO, _HI = "law-lo", "law-hi", "lo", "hi"


def work_root() -> str | None:
    """Where the tables cross between this process and Spark: ``SANCTIONGRAPH_SPARK_WORK``,
    a folder that every Spark executor can read under the same path (a shared mount on
    a cluster), else the temporary folder."""
    return os.environ.get("SANCTIONGRAPH_SPARK_WORK") or None


def _write(path: Path, rows: Iterable[tuple[object, ...]]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return str(path)


# --- the fixed points ----------------------------------------------------------


def fixed_point(
    seeds: DataFrame, edges: DataFrame, steps: DataFrame, keys: list[str]
) -> tuple[DataFrame, DataFrame]:
    """Least fixed point for each value of ``keys``: from ``seeds`` (keys, entity), add
    every entity in which members hold a ``share`` of 50 percent or more together
    through ``edges`` (keys, owner, owned, share), and every ``owned`` that a member
    reaches through ``steps`` (keys, owner, owned: offices, institutions). Returns the
    set (keys, entity) and the summed shares of its members' holdings (keys, entity,
    total), as the embedded worklist accumulates them. One Spark job a round."""

    def sums(members: DataFrame) -> DataFrame:
        return (
            edges.join(members.withColumnRenamed("entity", "owner"), [*keys, "owner"])
            .groupBy(*keys, "owned")
            .agg(F.sum("share").alias("total"))
            .withColumnRenamed("owned", "entity")
        )

    members = seeds.select(*keys, "entity").distinct().localCheckpoint(eager=False)
    size = members.count()
    while True:
        reached = sums(members).where(F.col("total") >= HALF).select(*keys, "entity")
        stepped = steps.join(members.withColumnRenamed("entity", "owner"), [*keys, "owner"]).select(
            *keys, F.col("owned").alias("entity")
        )
        grown = (
            members.unionByName(reached)
            .unionByName(stepped)
            .distinct()
            .localCheckpoint(eager=False)
        )
        grown_size = grown.count()
        if grown_size == size:
            return members, sums(members).localCheckpoint(eager=False)
        members, size = grown, grown_size


class _Runs:
    """The fixed points of one kind for several (run, day) keys at once, over the
    holdings and branches tables. A scoped run (for transaction parties) joins only the
    holdings into, and the offices of, the entities of its day's scope."""

    def __init__(
        self,
        spark: SparkSession,
        work: Path,
        holdings: DataFrame,
        branches: DataFrame,
        scopes: Mapping[str, set[int]],
    ) -> None:
        """``scopes``: the entities of each scoped run's day."""
        self.spark, self.work, self.holdings, self.branches = spark, work, holdings, branches
        self.tables = 0
        self.scope = self._table(
            ((day, entity) for day, found in scopes.items() for entity in found),
            "day STRING, entity LONG",
        )

    def _table(self, rows: Iterable[tuple[object, ...]], schema: str) -> DataFrame:
        """``rows`` as a table that Spark reads from a file of the work folder (rows
        sent from this process by ``createDataFrame`` cost far more at scale)."""
        self.tables += 1
        return self.spark.read.csv(
            _write(self.work / f"table-{self.tables}.csv", rows), schema=schema
        )

    def run(
        self,
        runs: list[tuple[str, str, str, bool]],
        seeds: list[tuple[str, str, int]],
    ) -> tuple[dict[tuple[str, str], set[int]], dict[tuple[str, str], dict[int, int]]]:
        """``runs``: (run, day, kind, scoped); ``seeds``: (run, day, entity). Returns the
        members and the summed shares of each (run, day)."""
        members: dict[tuple[str, str], set[int]] = defaultdict(set)
        totals: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
        if not runs:
            return members, totals
        col = F.col
        table = F.broadcast(
            self.spark.createDataFrame(runs, "run STRING, day STRING, kind STRING, scoped BOOLEAN")
        )
        whole, scoped = table.where(~col("scoped")), table.where(col("scoped"))
        scope = self.scope
        law = col("kind").isin(_LAW_LO, _LAW_HI)
        band = F.when(col("kind").isin(_LAW_LO, _LO), col("lo")).otherwise(col("hi"))
        in_force = (col("start") <= col("day")) & (col("day") < col("end"))
        holdings = self.holdings.join(whole, in_force).unionByName(
            scope.withColumnRenamed("entity", "owned")
            .join(self.holdings, "owned")
            .join(scoped, "day")
            .where(in_force)
        )
        edges = (
            holdings.where(law | (col("control") == 0))
            .select(
                "run",
                "day",
                "owner",
                "owned",
                F.when(col("control") == 1, F.lit(FULL)).otherwise(band).alias("share"),
            )
            .localCheckpoint(eager=False)
        )
        down = self.branches.select(col("institution").alias("owner"), col("office").alias("owned"))
        up = self.branches.select(col("office").alias("owner"), col("institution").alias("owned"))
        scoped_owner = scope.withColumnRenamed("entity", "owner")
        steps = (
            whole.crossJoin(down)
            .unionByName(whole.where(col("kind") == _HI).crossJoin(up))
            .unionByName(scoped_owner.join(down, "owner").join(scoped, "day"))
            .unionByName(
                scoped_owner.join(up, "owner").join(scoped.where(col("kind") == _HI), "day")
            )
            .select("run", "day", "owner", "owned")
            .localCheckpoint(eager=False)
        )
        seed_frame = self._table(seeds, "run STRING, day STRING, entity LONG")
        found, sums = fixed_point(seed_frame, edges, steps, ["run", "day"])
        for row in found.collect():
            members[row["run"], row["day"]].add(row["entity"])
        for row in sums.collect():
            totals[row["run"], row["day"]][row["entity"]] = row["total"]
        return members, totals


def _date_classes(data: OwnershipData, days: Iterable[str]) -> dict[str, str]:
    """Each day and the day its fixed points run for: two days between the same
    consecutive dates of the listings (and their unknown intervals), holdings and rules
    see the same ones in force, so they share the earliest of them."""
    bounds = sorted(
        {
            *data.h_start,
            *data.h_end,
            *data.l_start,
            *data.l_end,
            *data.l_possibly_from,
            *data.l_possibly_until,
            *data.r_start,
            *data.r_unverified_start,
            *data.r_end,
        }
    )
    representative: dict[int, str] = {}
    return {
        day: representative.setdefault(bisect.bisect_right(bounds, day), day)
        for day in sorted(set(days))
    }


def _listings_on(
    data: OwnershipData, day: str, scope: set[int] | None
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Listed and possibly listed entities on ``day`` (in ``scope``, when given), as
    ``compute_status`` finds them."""
    listed: dict[int, list[int]] = {}
    possibly: dict[int, list[int]] = {}
    listings = data.listings_of()
    if scope is None:
        candidates: Iterable[tuple[int, list[int]]] = listings.items()
    else:
        candidates = ((e, listings[e]) for e in sorted(scope) if e in listings)
    for entity, numbers in candidates:
        states = [(n, data.listing_state(n, day)) for n in numbers]
        active = [n for n, s in states if s == "listed"]
        maybe = [n for n, s in states if s == "possibly"]
        if active:
            listed[entity] = active
        elif maybe:
            possibly[entity] = maybe
    return listed, possibly


def spark_statuses(
    spark: SparkSession,
    data: OwnershipData,
    days: Iterable[str],
    parties: Mapping[str, set[int]] | None = None,
) -> dict[str, Status]:
    """The status on each of ``days`` (ISO dates) for the whole graph, and on each day
    of ``parties`` for its entities: computed for those of them that can ever be
    blocked and what is above them, so that each party's status and its explanation
    are exact (the other fields, such as the shares of a party that can never be
    blocked, are not). The fixed points are computed by Spark. A day in both gets the
    whole graph's status."""
    whole = _date_classes(data, days)
    by_class: dict[str, set[int]] = {}
    scoped = _date_classes(data, parties or {})
    for day, rep in scoped.items():
        by_class.setdefault(rep, set()).update((parties or {})[day])
    possible = data.possible()  # a party outside it is not blocked on any date
    scopes = {
        rep: data.ancestors(found & possible, within=possible) for rep, found in by_class.items()
    }
    # every key of a fixed point: (day, scoped), a tag in the names of its runs
    keys = [(rep, False) for rep in sorted(set(whole.values()))] + [
        (rep, True) for rep in sorted(scopes)
    ]

    def scope_of(day: str, is_scoped: bool) -> set[int] | None:
        return scopes[day] if is_scoped else None

    def name(kind: str, is_scoped: bool) -> str:
        return f"{kind} scoped" if is_scoped else kind

    with tempfile.TemporaryDirectory(prefix="sanctiongraph-spark-", dir=work_root()) as folder:
        work = Path(folder)
        holding_rows = (  # an owner that can never be blocked never counts
            (
                data.h_owner[n],
                data.h_owned[n],
                int(data.h_control[n]),
                data.h_lo[n],
                data.h_hi[n],
                data.h_start[n],
                data.h_end[n],
            )
            for n in range(len(data.h_owner))
            if data.h_owner[n] in possible
        )
        holdings = spark.read.csv(
            _write(work / "holdings.csv", holding_rows), schema=HOLDINGS_SCHEMA
        ).fillna({"start": NO_START})  # CSV reads the open start "" as null
        branches = spark.read.csv(
            _write(work / "branches.csv", zip(data.b_office, data.b_institution)),
            schema=BRANCHES_SCHEMA,
        )
        runner = _Runs(spark, work, holdings.localCheckpoint(), branches.localCheckpoint(), scopes)

        # Rules by operation of law: the persons named, and what they own or control.
        by_law: dict[tuple[str, bool], dict[int, list[int]]] = {key: {} for key in keys}
        possibly_by_law: dict[tuple[str, bool], dict[int, list[int]]] = {key: {} for key in keys}
        law_runs: list[tuple[str, str, str, bool]] = []
        law_seeds: list[tuple[str, str, int]] = []
        for key in keys:
            day, is_scoped = key
            scope = scope_of(*key)
            for rule, named in enumerate(data.r_named):
                if not data.r_start[rule] <= day < data.r_end[rule]:
                    continue
                persons = [e for e in named if scope is None or e in scope]
                if not data.r_owned_or_controlled[rule]:
                    certain = possibly_by_law if day < data.r_unverified_start[rule] else by_law
                    for entity in persons:
                        certain[key].setdefault(entity, []).append(rule)
                    continue
                for kind in (_LAW_LO, _LAW_HI):
                    run = name(f"{kind} {rule}", is_scoped)
                    law_runs.append((run, day, kind, is_scoped))
                    law_seeds += [(run, day, entity) for entity in persons]
        law_members, _ = runner.run(law_runs, law_seeds)
        for run, day, kind, is_scoped in law_runs:
            if kind != _LAW_LO:
                continue
            rule = int(run.split()[1])
            lower = law_members[run, day]
            upper = law_members[name(f"{_LAW_HI} {rule}", is_scoped), day]
            # before a start that is not established, the rule only possibly applies
            certain = possibly_by_law if day < data.r_unverified_start[rule] else by_law
            for entity in lower:
                certain[day, is_scoped].setdefault(entity, []).append(rule)
            for entity in upper - lower:
                possibly_by_law[day, is_scoped].setdefault(entity, []).append(rule)
        for found in (*by_law.values(), *possibly_by_law.values()):
            for rules in found.values():
                rules.sort()  # by rule number, as the embedded loop over the rules adds them

        # The lower and upper fixed points of the 50 Percent Rule.
        listings = {key: _listings_on(data, key[0], scope_of(*key)) for key in keys}
        runs: list[tuple[str, str, str, bool]] = []
        seeds: list[tuple[str, str, int]] = []
        for key in keys:
            day, is_scoped = key
            listed, possibly = listings[key]
            lower = {*listed, *by_law[key]}
            upper = lower | {*possibly, *possibly_by_law[key]}
            lo, hi = name(_LO, is_scoped), name(_HI, is_scoped)
            runs += [(lo, day, _LO, is_scoped), (hi, day, _HI, is_scoped)]
            seeds += [(lo, day, e) for e in lower] + [(hi, day, e) for e in upper]
        members, totals = runner.run(runs, seeds)

    def status(day: str, rep: str, is_scoped: bool) -> Status:
        key = (rep, is_scoped)
        listed, possibly = listings[key]
        lo, hi = name(_LO, is_scoped), name(_HI, is_scoped)
        return Status(
            day,
            members[lo, rep],
            members[hi, rep],
            totals[lo, rep],
            totals[hi, rep],
            listed,
            possibly,
            by_law[key],
            possibly_by_law[key],
        )

    statuses = {day: status(day, rep, True) for day, rep in scoped.items()}
    statuses.update((day, status(day, rep, False)) for day, rep in whole.items())
    return statuses


def derive(store: GraphStore, as_of: date, spark: SparkSession) -> None:
    """Write what :func:`sanctiongraph.derive.ofac_50pct.derive` writes, the fixed
    points computed by Spark (for the as-of date and every transaction date in one
    run)."""
    data = load_ownership_below_listings(store)
    if not data.l_entity:
        return
    day = _day(as_of, NO_START)
    computed: dict[str, Status] = {}

    def statuses(data: OwnershipData, parties: Mapping[date, set[int]]) -> dict[date, Status]:
        scoped = {d.isoformat(): found for d, found in parties.items()}
        computed.update(spark_statuses(spark, data, [day], scoped))
        return {d: computed[d.isoformat()] for d in parties}

    party_facts = transaction_triples(store, data, as_of, statuses)
    if day not in computed:
        computed.update(spark_statuses(spark, data, [day]))
    store.add_triples(DERIVED, status_triples(data, computed[day]))
    store.add_triples(DERIVED, party_facts)
    store.add_triples(DERIVED, divestment_triples(data, as_of))  # embedded, as the default
