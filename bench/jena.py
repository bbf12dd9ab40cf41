"""Apache Jena SHACL as a peer: validation alone, on the graph ``sanctiongraph export`` writes.

    apt-get install libapache-jena-java    # Debian's Jena 4.5 (ShaclValidator)
    python bench/jena.py --entities 1000 10000 100000

For each size: bench/pipeline.py's world is loaded into an on-disk store with
``sanctiongraph load`` (which derives), and ``sanctiongraph export`` writes every graph
(data, ontology, reference, derived) as N-Quads. Our fast engine then validates that
export loaded into an in-memory store (``validate_store(derive=False)``: the whole-graph
queries and the explanation of every finding), and Jena validates the union of the same
graphs with the same shapes (bench/JenaShacl.java, run with ``java`` on the package's
jars). Both times exclude loading. The (focus, shape) sets are compared.

Debian's jena-core 4.5.0-2 moved Xerces's classes out of ``org.apache.jena.ext`` but
not their message files, and fails on start with "internal error"; the files are
copied to where the classes look for them, in a temporary folder put first on the
class path.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import write_world

AS_OF = date(2026, 11, 23)
JAVA = Path("/usr/share/java")
SOURCE = Path(__file__).with_name("JenaShacl.java")


def jena_classpath(folder: Path) -> str:
    """Jena's jars and their dependencies, after a folder with the message files that
    Debian's jena-core misplaces."""
    shaded = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(shaded) and name.endswith(".properties"):
                target = folder / "xerces" / name[len(shaded) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    packages = subprocess.run(
        [
            "apt-cache",
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            "libapache-jena-java",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jars: set[str] = set()
    for package in {line for line in packages.splitlines() if not line.startswith(" ")}:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        jars |= {
            line
            for line in listed.stdout.splitlines()
            if line.startswith(str(JAVA) + "/") and line.endswith(".jar") and line.count("/") == 4
        }
    # One SLF4J binding (the no-op one), not six.
    jars = {j for j in jars if "slf4j-" not in j or j.endswith(("slf4j-api.jar", "slf4j-nop.jar"))}
    return ":".join([str(folder), *sorted(jars)])


def ours(export: Path) -> tuple[float, set[tuple[str, str]]]:
    """Our fast engine on the export: validation seconds and (focus, shape) pairs."""
    import pyoxigraph as ox

    from sanctiongraph.store import open_store
    from sanctiongraph.validate import validate_store

    store = open_store(in_memory=True)
    store.native.bulk_load(path=str(export), format=ox.RdfFormat.N_QUADS)
    start = time.perf_counter()
    report = validate_store(store, AS_OF, "fast", derive=False)
    seconds = time.perf_counter() - start
    return seconds, {(f.focus, f.shape) for f in report.findings}


def jena(export: Path, shapes: Path, classpath: str) -> tuple[float, set[tuple[str, str]]]:
    result = subprocess.run(
        ["java", "-Xmx12g", "-cp", classpath, str(SOURCE), str(export), str(shapes)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, pairs = 0.0, set()
    for line in result.stdout.splitlines():
        if line.startswith("validate_s "):
            seconds = float(line.split()[1])
        elif line.startswith("R\t"):
            _, focus, shape = line.split("\t")
            pairs.add((focus, shape))
    return seconds, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from sanctiongraph.validate.shapes import bundled_shapes

    cli = [sys.executable, "-m", "sanctiongraph.cli"]
    print(
        "| entities | exported quads | ours: validate s | Jena: validate s | Jena / ours "
        "| results (ours, Jena) | same (focus, shape) set |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        classpath = jena_classpath(folder / "classes")
        shapes = folder / "shapes.nt"
        bundled_shapes().serialize(shapes, format="nt")
        for size in args.entities:
            package, store, export = (
                folder / f"world-{size}",
                folder / f"store-{size}",
                folder / f"export-{size}.nq",
            )
            write_world(size, args.seed, package)
            subprocess.run(
                [*cli, "load", str(package), "--store", str(store), "--as-of", AS_OF.isoformat()],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*cli, "export", "--store", str(store), "--output", str(export)],
                check=True,
                capture_output=True,
            )
            with open(export, "rb") as lines:
                quads = sum(1 for _ in lines)
            our_s, our_pairs = ours(export)
            jena_s, jena_pairs = jena(export, shapes, classpath)
            # Jena names a blank-node shape by its label; compare on IRI shapes.
            print(
                f"| {size:,} | {quads:,} | {our_s:.2f} | {jena_s:.2f} | {jena_s / our_s:.0f}x "
                f"| {len(our_pairs):,}, {len(jena_pairs):,} | {our_pairs == jena_pairs} |",
                flush=True,
            )
            if our_pairs != jena_pairs:
                print(
                    f"<!-- only ours: {sorted(our_pairs - jena_pairs)[:3]} "
                    f"only Jena: {sorted(jena_pairs - our_pairs)[:3]} -->",
                    flush=True,
                )


if __name__ == "__main__":
    main()
