"""The derivers whose cost grows with the data, as Apache Spark jobs (``--compute spark``).

Optional: ``pip install 'sanctiongraph[spark]'`` brings pyspark, which needs Java. The
design (what runs where, what crosses between Spark and the store) is in
``docs/scale-out.md``. :func:`spark_derivers` gives the replacements that
:func:`~sanctiongraph.derive.run_derivers` runs instead of the embedded modules of the
same name; everything else, and the derived graph they write, is unchanged.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from sanctiongraph.derive import Deriver
from sanctiongraph.store import GraphStore

if TYPE_CHECKING:  # pyspark is optional
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
COMPUTE_ENGINES = ("embedded", "spark")


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing, or Spark could not start; the message is one line."""


def check_available() -> None:
    """Raise :class:`SparkUnavailable` unless pyspark is installed and Java is found."""
    if importlib.util.find_spec("pyspark") is None:
        raise SparkUnavailable("--compute spark needs pyspark: pip install 'sanctiongraph[spark]'")
    java_home = os.environ.get("JAVA_HOME")
    if (
        not (java_home and os.path.exists(os.path.join(java_home, "bin", "java")))
        and shutil.which("java") is None
    ):
        raise SparkUnavailable("--compute spark needs Java 17 or later on the PATH (or JAVA_HOME)")


_SESSIONS: dict[str, SparkSession] = {}


def spark_session(master: str = DEFAULT_MASTER) -> SparkSession:
    """A Spark session for ``master`` (one per process and master, reused): no web UI,
    few shuffle partitions in local mode (the default 200 costs seconds on small data)."""
    check_available()
    if master in _SESSIONS:
        return _SESSIONS[master]
    from pyspark.sql import SparkSession

    local = master.startswith("local")
    builder = (
        SparkSession.builder.master(master)
        .appName("sanctiongraph")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.sql.shuffle.partitions",
            os.environ.get("SANCTIONGRAPH_SPARK_PARTITIONS", "4" if local else "200"),
        )
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.driver.memory", os.environ.get("SANCTIONGRAPH_SPARK_DRIVER_MEMORY", "4g"))
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SparkUnavailable(f"Spark did not start ({master}): {first}") from None
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = session
    return session


def spark_derivers(master: str = DEFAULT_MASTER) -> dict[str, Deriver]:
    """Module name of an embedded deriver -> its Spark replacement (the session starts
    when the first one runs)."""
    check_available()
    from sanctiongraph.spark import fincen311, ofac50

    def run(job: Callable[..., None], store: GraphStore, as_of: date) -> None:
        job(store, as_of, spark_session(master))

    return {
        "sanctiongraph.derive.ofac_50pct": partial(run, ofac50.derive),
        "sanctiongraph.derive.fincen_311_dprk": partial(run, fincen311.derive),
    }


def derivers_for(compute: str, master: str = DEFAULT_MASTER) -> dict[str, Deriver] | None:
    """The replacements for ``--compute`` (``None`` for the embedded engine)."""
    if compute not in COMPUTE_ENGINES:
        raise ValueError(f"compute is one of {', '.join(COMPUTE_ENGINES)}")
    return spark_derivers(master) if compute == "spark" else None
