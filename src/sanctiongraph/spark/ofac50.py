"""The OFAC 50 Percent Rule deriver (:mod:`sanctiongraph.derive.ofac50`) as Spark jobs.

Same input, same derived triples: the SDN listings and the ownership holdings, one row
per relation (:func:`~sanctiongraph.analysis.ownership.relation_key`: holdings stating
the same relation are one, under the least key, with every key as a statement), the
lower and upper least fixed points (bands at their minimum counting blocked owners,
at their maximum counting possibly blocked ones), the programs followed down, one
``sg:BlockingReason`` per listing in force and per counted holding, and each
transaction's blocked and possibly blocked parties on its own date.

Tables cross from the store to Spark as CSV files in a temporary folder (the rows of
:mod:`sanctiongraph.analysis.loader`, so that a node stated in several graphs is read
as the embedded engine reads it), and the derived facts come back as N-Triples files
that are added to the derived graph. The fixed points iterate joins until no entity is
added (one round per level of ownership below a listing; cycles end because the set
only grows). Transaction dates are grouped into classes on which every listing and
holding is equally in force (between consecutive start and end dates), and one fixed
point per class runs for all classes at once, keyed by a representative date.
``docs/scale-out.md`` explains the design; ``tests/test_spark.py`` requires identical
derived graphs and findings.
"""

from __future__ import annotations

import bisect
import csv
import os
import tempfile
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, XSD

from sanctiongraph.analysis.loader import _CONTROL, _LISTINGS, holdings, listings
from sanctiongraph.analysis.ownership import HALF, NO_END, NO_START, _day, relation_key
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.ofac50 import _TRANSACTION_FACTS, FAQ_401, RULE
from sanctiongraph.namespaces import ID, SG
from sanctiongraph.queries import group_properties, select_properties
from sanctiongraph.store import GraphStore

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

_HOLDING_COLUMNS = ("key", "owner", "owned", "control", "lo", "hi", "start", "end")
_LISTING_COLUMNS = ("key", "entity", "start", "end", "programs")
_PARTY_COLUMNS = ("transaction", "day", "party")
_ALL_DAYS = "*"  # the day column of the fixed point that counts everything, whatever its dates


# --- the store's rows as tables ------------------------------------------------


def _write(path: Path, columns: tuple[str, ...], rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def holding_rows(store: GraphStore):
    """One row per holding statement that counts as the embedded loader adds it:
    (key, owner, owned, control, lower units, upper units, start, end). Ownership
    without any share is left out; so are holdings whose owner is a blank node (the
    embedded deriver cannot walk through one)."""
    for row in holdings(store, None):
        control = row["kind"] == _CONTROL
        if not control and row["percent"] is None and row["min"] is None and row["max"] is None:
            continue
        if ":" not in row["owner"] or ":" not in row["owned"]:
            continue
        _, _, _, lo, hi, _, start, end = relation_key(
            row["owner"],
            row["owned"],
            control=control,
            percent=row["percent"],
            minimum=row["min"],
            maximum=row["max"],
            start=row["start"],
            end=row["end"],
        )
        yield (row["holding"], row["owner"], row["owned"], int(control), lo, hi, start, end)


def listing_rows(store: GraphStore):
    """(key, entity, start, end, programs space-separated and sorted) per SDN listing."""
    for row in listings(store, _LISTINGS):
        yield (
            row["designation"],
            row["entity"],
            _day(row["start"], NO_START),
            _day(row["end"], NO_END),
            " ".join(sorted(row["programs"])),
        )


def party_rows(store: GraphStore):
    """(transaction, date, party) for every party a transaction involves."""
    facts = group_properties(
        select_properties(store, f"?s a <{SG.Transaction}>", _TRANSACTION_FACTS), _TRANSACTION_FACTS
    )
    for transaction, values in facts.items():
        if ":" not in transaction:
            continue  # a blank node
        for day in values["date"]:
            for party in values["party"]:
                if ":" in party:
                    yield (transaction, day, party)


def _read(spark: SparkSession, path: Path, schema: str) -> DataFrame:
    return spark.read.csv(str(path), header=True, schema=schema)


# --- Spark SQL pieces ----------------------------------------------------------


def _iri(column: Column) -> Column:
    return F.concat(F.lit("<"), column, F.lit(">"))


def _triple(s: Column, p: object, o: Column) -> Column:
    return F.concat(s, F.lit(f" <{p}> "), o, F.lit(" ."))


def _decimal(units: Column) -> Column:
    """Share units as the lexical form :func:`~sanctiongraph.analysis.ownership.from_units`
    gives (``50``, ``33.3333``, ``0.5``), typed ``xsd:decimal``."""
    whole = (units % 10_000) == 0
    magnitude = F.abs(units)
    fraction = F.regexp_replace(F.lpad((magnitude % 10_000).cast("string"), 4, "0"), "0+$", "")
    text = F.when(whole, (units / 10_000).cast("long").cast("string")).otherwise(
        F.concat(
            F.when(units < 0, F.lit("-")).otherwise(F.lit("")),
            (magnitude / 10_000).cast("long").cast("string"),
            F.lit("."),
            fraction,
        )
    )
    return F.concat(F.lit('"'), text, F.lit(f'"^^<{XSD.decimal}>'))


def _reason(entity: Column, ground: Column) -> Column:
    """The reason's IRI, as :func:`sanctiongraph.derive.ofac50._reason_iri` makes it."""
    digest = F.substring(F.sha1(F.concat(entity, F.lit(" "), ground)), 1, 20)
    return _iri(F.concat(F.lit(str(ID["blocking-reason/"])), digest))


# --- the fixed points ----------------------------------------------------------


def _active(frame: DataFrame, day: Column) -> DataFrame:
    return frame.where((F.col("start") <= day) & (day < F.col("end")))


def fixed_point(seeds: DataFrame, edges: DataFrame, keys: list[str]) -> tuple[DataFrame, DataFrame]:
    """Least fixed point for each value of ``keys`` (a date, a bound): from ``seeds``
    (keys, entity), add every entity in which owners in the set hold a ``share`` of 50
    percent or more through ``edges`` (keys, owner, owned, share). Returns the set
    (keys, entity) and the summed shares of its members' holdings (keys, entity,
    total), as the embedded worklist accumulates them. One Spark job a round; a round
    adds the next level of ownership; cycles end because the set only grows."""

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
        grown = members.unionByName(reached).distinct().localCheckpoint(eager=False)
        grown_size = grown.count()
        if grown_size == size:
            return members, sums(members).localCheckpoint(eager=False)
        members, size = grown, grown_size


def reach(found: DataFrame, steps: DataFrame, on: list[str]) -> DataFrame:
    """``found`` (…, entity) closed under ``steps`` (``on`` columns, entity, next): every
    row whose entity is a step's ``entity`` adds the same row with the step's ``next``
    (a least fixed point; one Spark job a round; cycles end)."""
    columns = found.columns
    found = found.distinct().localCheckpoint(eager=False)
    size = found.count()
    while True:
        step = (
            found.join(steps, on)
            .drop("entity")
            .withColumnRenamed("next", "entity")
            .select(*columns)
        )
        grown = found.unionByName(step).distinct().localCheckpoint(eager=False)
        grown_size = grown.count()
        if grown_size == size:
            return found
        found, size = grown, grown_size


def _by_bound(frame: DataFrame) -> DataFrame:
    """Each row twice, for the lower (``lo`` as ``share``) and the upper bound."""
    bounds = F.explode(
        F.array(
            F.struct(F.lit("lo").alias("bound"), F.col("lo").alias("share")),
            F.struct(F.lit("hi").alias("bound"), F.col("hi").alias("share")),
        )
    )
    return frame.select("*", bounds.alias("b")).select("*", "b.bound", "b.share").drop("b")


# --- the job -------------------------------------------------------------------

HOLDINGS_SCHEMA = (
    "key STRING, owner STRING, owned STRING, control INT, lo LONG, hi LONG, "
    "start STRING, `end` STRING"
)
LISTINGS_SCHEMA = "key STRING, entity STRING, start STRING, `end` STRING, programs STRING"
PARTIES_SCHEMA = "transaction STRING, day STRING, party STRING"


def work_root() -> str | None:
    """Where the tables and the derived facts cross between this process and Spark:
    ``SANCTIONGRAPH_SPARK_WORK``, a folder that every Spark executor can read and write
    under the same path (a shared mount on a cluster), else the temporary folder."""
    return os.environ.get("SANCTIONGRAPH_SPARK_WORK") or None


def derive(store: GraphStore, as_of: date, spark: SparkSession) -> None:
    """Write what :func:`sanctiongraph.derive.ofac50.derive` writes, computed by Spark."""
    with tempfile.TemporaryDirectory(prefix="sanctiongraph-spark-", dir=work_root()) as folder:
        work = Path(folder)
        listing_file = _write(work / "listings.csv", _LISTING_COLUMNS, listing_rows(store))
        with open(listing_file, encoding="utf-8") as f:
            if sum(1 for _ in f) <= 1:
                return  # nothing listed, nothing blocked (as the embedded deriver)
        holding_file = _write(work / "holdings.csv", _HOLDING_COLUMNS, holding_rows(store))
        party_file = _write(work / "parties.csv", _PARTY_COLUMNS, party_rows(store))
        lines = derived_lines(
            spark,
            _read(spark, holding_file, HOLDINGS_SCHEMA),
            _read(spark, listing_file, LISTINGS_SCHEMA),
            _read(spark, party_file, PARTIES_SCHEMA),
            as_of.isoformat(),
        )
        out = work / "derived"
        lines.write.text(str(out))
        for part in sorted(out.glob("part-*")):
            with open(part, "rb") as f:
                store.add_triples(
                    DERIVED,
                    (
                        quad.triple
                        for quad in ox.parse(f, format=ox.RdfFormat.N_TRIPLES, lenient=True)
                    ),
                )


def _days(spark: SparkSession, dated: list[DataFrame], parties: DataFrame) -> DataFrame:
    """(on, day): each transaction date and the date the fixed points run for it. Two
    dates between the same consecutive start or end dates of the listings and holdings
    see the same ones in force: they share the earliest of them."""
    bounds = sorted(
        {
            row[0]
            for frame in dated
            for row in frame.select(F.explode(F.array("start", "end"))).distinct().collect()
        }
    )
    days = {row["on"] for row in parties.select("on").distinct().collect()}
    representative: dict[int, str] = {}
    pairs = [
        (on, representative.setdefault(bisect.bisect_right(bounds, on), on)) for on in sorted(days)
    ]
    return spark.createDataFrame(pairs, "on STRING, day STRING")


def derived_lines(
    spark: SparkSession,
    holding_table: DataFrame,
    listing_table: DataFrame,
    party_table: DataFrame,
    as_of: str,
) -> DataFrame:
    """The derived triples, one N-Triples line a row, from the three tables."""
    col = F.col
    open_start, open_end = F.lit(NO_START), F.lit(NO_END)
    # One relation, counted once: the least key names it, every key states it.
    relations = (
        holding_table.fillna({"start": NO_START, "end": NO_END})
        .groupBy("owner", "owned", "control", "lo", "hi", "start", "end")
        .agg(F.min("key").alias("key"), F.array_sort(F.collect_set("key")).alias("statements"))
    )
    listing_groups = (
        listing_table.select(
            "key",
            "entity",
            F.coalesce("start", open_start).alias("start"),
            F.coalesce("end", open_end).alias("end"),
            F.coalesce("programs", F.lit("")).alias("programs"),
        )
        .groupBy("entity", "start", "end", "programs")
        .agg(F.min("key").alias("key"), F.array_sort(F.collect_set("key")).alias("statements"))
        .localCheckpoint(eager=False)
    )
    owning = relations.where(col("control") == 0)

    # Who can be blocked on some date: everything counted whatever its dates, upper
    # bounds (the scope of the fixed points below; no one else's holdings ever count).
    possible, _ = fixed_point(
        listing_groups.select(F.lit(_ALL_DAYS).alias("day"), "entity"),
        owning.select(F.lit(_ALL_DAYS).alias("day"), "owner", "owned", col("hi").alias("share")),
        ["day"],
    )
    scoped = owning.join(possible.select(col("entity").alias("owner")), "owner").localCheckpoint(
        eager=False
    )

    # The lower (bands at their minimum) and upper fixed points on the as-of date.
    day = F.lit(as_of)
    bound_names = F.broadcast(spark.createDataFrame([("lo",), ("hi",)], "bound STRING"))
    edges = _by_bound(_active(scoped, day).withColumn("day", day)).localCheckpoint(eager=False)
    listed = (
        _active(listing_groups, day)
        .withColumn("day", day)
        .crossJoin(bound_names)
        .localCheckpoint(eager=False)
    )
    members, totals = fixed_point(listed, edges, ["bound", "day"])

    # Status on the as-of date.
    on_day = col("day") == F.lit(as_of)
    blocked = members.where(on_day & (col("bound") == "lo")).select("entity")
    maybe = members.where(on_day & (col("bound") == "hi")).select("entity")
    share = (
        totals.where(on_day).groupBy("entity").pivot("bound", ["lo", "hi"]).agg(F.first("total"))
    )
    status = (
        maybe.join(blocked.withColumn("blocked", F.lit(True)), "entity", "left")
        .join(share, "entity", "left")
        .select(
            "entity",
            F.coalesce("blocked", F.lit(False)).alias("blocked"),
            F.coalesce("lo", F.lit(0)).alias("lo"),
            F.coalesce("hi", F.lit(0)).alias("hi"),
        )
        .localCheckpoint(eager=False)
    )
    node = _iri(col("entity"))
    kind = F.when(col("blocked"), F.lit(f"<{SG.BlockedEntity}>")).otherwise(
        F.lit(f"<{SG.PossiblyBlockedEntity}>")
    )
    parts = [
        status.select(_triple(node, RDF.type, kind).alias("value")),
        status.select(_triple(node, SG.blockedShare, _decimal(col("lo"))).alias("value")),
        status.select(_triple(node, SG.blockedShareMax, _decimal(col("hi"))).alias("value")),
    ]

    # Programs: the lower set's for the blocked, the upper set's for the possibly blocked.
    listed_today = listed.where(on_day)
    seeds = listed_today.select(
        "bound", "entity", F.explode(F.split("programs", " ")).alias("program")
    ).where(col("program") != "")
    steps = edges.join(
        members.withColumnRenamed("entity", "owned"), ["bound", "day", "owned"]
    ).select("bound", F.col("owner").alias("entity"), F.col("owned").alias("next"))
    programs = reach(seeds, steps, ["bound", "entity"])
    chosen = status.select(
        "entity", F.when(col("blocked"), F.lit("lo")).otherwise(F.lit("hi")).alias("bound")
    )
    parts.append(
        programs.join(chosen, ["bound", "entity"]).select(
            _triple(node, SG.blockedUnderProgram, _iri(col("program"))).alias("value")
        )
    )

    # One reason per listing in force.
    reason = _reason(col("entity"), col("ground"))
    by_listing = listed_today.where(col("bound") == "hi").select(
        "entity", col("key").alias("ground"), "statements"
    )
    parts += _reason_lines(by_listing, reason, SG.viaDesignation, RULE)

    # One reason per counted holding: its owner is blocked (for a blocked entity) or in
    # the upper set (for a possibly blocked one).
    counted = (
        edges.where(on_day)
        .join(
            status.select(
                col("entity").alias("owned"),
                F.when(col("blocked"), F.lit("lo")).otherwise(F.lit("hi")).alias("bound"),
            ),
            ["owned", "bound"],
        )
        .join(
            members.where(on_day).select("bound", col("entity").alias("owner")), ["bound", "owner"]
        )
        .select(col("owned").alias("entity"), col("key").alias("ground"), "statements", "owner")
    )
    parts += _reason_lines(counted, reason, SG.viaHolding, FAQ_401)
    parts.append(
        counted.select(_triple(reason, SG.blockedOwner, _iri(col("owner"))).alias("value"))
    )

    # Each transaction's parties on its own date.
    parts.append(_party_lines(spark, scoped, listing_groups, possible, party_table, bound_names))
    found = parts[0]
    for part in parts[1:]:
        found = found.unionByName(part)
    return found.distinct()


def _reason_lines(
    grounds: DataFrame, reason: Column, via: object, source: ox.NamedNode
) -> list[DataFrame]:
    col = F.col
    return [
        grounds.select(_triple(_iri(col("entity")), SG.blockingReason, reason).alias("value")),
        grounds.select(_triple(reason, RDF.type, F.lit(f"<{SG.BlockingReason}>")).alias("value")),
        grounds.select(_triple(reason, DCTERMS.source, F.lit(str(source))).alias("value")),
        grounds.select(reason.alias("reason"), F.explode("statements").alias("statement")).select(
            _triple(col("reason"), via, _iri(col("statement"))).alias("value")
        ),
    ]


def _party_lines(
    spark: SparkSession,
    scoped: DataFrame,
    listing_groups: DataFrame,
    possible: DataFrame,
    party_table: DataFrame,
    bound_names: DataFrame,
) -> DataFrame:
    """``sg:blockedParty`` / ``sg:possiblyBlockedParty`` of each transaction on its date.

    As the embedded deriver, the fixed points for a date cover only what its parties'
    statuses depend on: the parties that can ever be blocked and everything above them
    (an entity's status depends only on what is above it). One run covers every class
    of dates (:func:`_days`), keyed by its representative date."""
    col = F.col
    parties = party_table.withColumn("on", F.substring("day", 1, 10)).drop("day")
    classes = F.broadcast(_days(spark, [scoped, listing_groups], parties))
    wanted = (
        parties.join(classes, "on")
        .select("day", col("party").alias("entity"))
        .join(possible.select("entity"), "entity")
    )
    above = reach(
        wanted,
        scoped.select(col("owned").alias("entity"), col("owner").alias("next")).distinct(),
        ["entity"],
    )
    edges = _by_bound(
        _active(scoped.join(above.withColumnRenamed("entity", "owned"), "owned"), col("day"))
    ).localCheckpoint(eager=False)
    listed = (
        _active(listing_groups.join(above, "entity"), col("day"))
        .crossJoin(bound_names)
        .localCheckpoint(eager=False)
    )
    members, _ = fixed_point(listed, edges, ["bound", "day"])
    states = members.groupBy("day", col("entity").alias("party")).agg(
        F.max(F.when(col("bound") == "lo", 1).otherwise(0)).alias("blocked")
    )
    involved = parties.join(classes, "on").join(states, ["day", "party"])
    predicate = F.when(col("blocked") == 1, F.lit(f"<{SG.blockedParty}>")).otherwise(
        F.lit(f"<{SG.possiblyBlockedParty}>")
    )
    return involved.select(
        F.concat(
            _iri(col("transaction")),
            F.lit(" "),
            predicate,
            F.lit(" "),
            _iri(col("party")),
            F.lit(" ."),
        ).alias("value")
    )
