"""Benchmarks of ``sanctiongraph import`` (issue 17).

    python bench/imports.py history  [--realdata DIR] [--workdir DIR]
    python bench/imports.py advanced [--realdata DIR] [--workdir DIR] [--megabytes 130]
    python bench/imports.py gleif    [--realdata DIR] [--workdir DIR] [--records 300000]

``history``: the four SDN publications of ``ofac-sdn-csv-history`` (2021-08-18 to
2023-06-01), each with companions (``add-``, ``alt-``, ``sdn_comments-<date>.csv``)
made from the consistent 2021 set by keeping the rows of the entries that publication
holds, imported together into one package. Target: at most 5 s.

``advanced``: a synthetic advanced XML of about ``--megabytes`` MB made from the real
``cons_advanced.xml``: its reference values once, then its locations, identity
documents, parties, relationships and sanctions entries again and again, every record
id shifted by a multiple of 10**9 so that each copy is a new set of entries. Targets:
at most 30 s and a peak memory of at most 500 MB for the whole ``sanctiongraph import``
process.

``gleif``: a synthetic RR-CDF level 2 file of ``--records`` relationship records made
from the real ``golden-copy-rr-updates-data2.xml``: its 11 records again and again, every
LEI replaced by a new one with valid check digits in each copy. Target: at least 50,000
records per second, for the whole process (start-up and writing included).

Each run is a separate ``sanctiongraph import`` process (interpreter start-up
included); wall time by the clock, peak memory as the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"  # ../shared/realdata
SANCTIONGRAPH = Path(sys.executable).with_name("sanctiongraph")
COMPANIONS = {"ADD.CSV": "add", "ALT.CSV": "alt", "SDN_COMMENTS.CSV": "sdn_comments"}
SHIFTED = (
    "ID",
    "FixedRef",
    "ProfileID",
    "IdentityID",
    "LocationID",
    "From-ProfileID",
    "To-ProfileID",
    "SanctionsEntryID",
    "DocumentedNameID",
    "FeatureVersionID",
    "NamePartGroupID",
    "IssuedIn-LocationID",
)
SHIFT = re.compile(r"\b(" + "|".join(re.escape(a) for a in SHIFTED) + r')="(\d+)"')


def _records(path: Path) -> list[bytes]:
    body = path.read_bytes().rstrip(b"\x1a")
    return [r for r in body.split(b"\r\n") if r]


def history_inputs(realdata: Path, folder: Path) -> None:
    """The four publications with companions made consistent with each."""
    companions = {name: _records(realdata / "ofac-sdn-csv-2021-set" / name) for name in COMPANIONS}
    for main in sorted((realdata / "ofac-sdn-csv-history").glob("sdn-*.csv")):
        shutil.copy(main, folder / main.name)
        text = main.read_bytes().rstrip(b"\x1a").decode()
        held = {row[0] for row in csv.reader(io.StringIO(text, newline="")) if row}
        day = main.stem.removeprefix("sdn-")
        for name, prefix in COMPANIONS.items():
            kept = [r for r in companions[name] if r.split(b",", 1)[0].decode() in held]
            (folder / f"{prefix}-{day}.csv").write_bytes(b"\r\n".join(kept) + b"\r\n\x1a")


def advanced_input(realdata: Path, target: Path, megabytes: float) -> None:
    """A synthetic advanced XML of about ``megabytes`` MB (see the module doc)."""
    text = (realdata / "ofac-advanced-xml" / "cons_advanced.xml").read_text(encoding="utf-8")
    head, rest = text.split("</ReferenceValueSets>", 1)
    sections = {}
    for name in (
        "Locations",
        "IDRegDocuments",
        "DistinctParties",
        "ProfileRelationships",
        "SanctionsEntries",
    ):
        start = rest.index(f"<{name}>") + len(name) + 2
        sections[name] = rest[start : rest.index(f"</{name}>")]
    size = sum(len(s) for s in sections.values())
    copies = max(1, round(megabytes * 1024 * 1024 / size))
    with target.open("w", encoding="utf-8") as out:
        out.write(head + "</ReferenceValueSets>\n")
        for name, body in sections.items():
            out.write(f"  <{name}>")
            for k in range(copies):
                offset = k * 10**9
                out.write(
                    SHIFT.sub(
                        lambda m, offset=offset: f'{m.group(1)}="{int(m.group(2)) + offset}"', body
                    )
                )
            out.write(f"</{name}>\n")
        out.write("</Sanctions>\n")


NODE_ID = re.compile(r"<rr:NodeID>([A-Z0-9]{20})</rr:NodeID>")


def lei_with_check_digits(base: str) -> str:
    """An 18-character base with its ISO 17442 check digits."""
    number = int("".join(str(int(c, 36)) for c in base + "00"))
    return f"{base}{98 - number % 97:02d}"


def gleif_input(realdata: Path, target: Path, records: int) -> int:
    """A synthetic RR-CDF file of about ``records`` records (see the module doc); returns
    how many it holds."""
    text = (realdata / "gleif" / "golden-copy-rr-updates-data2.xml").read_text(encoding="utf-8")
    start = text.index("<rr:RelationshipRecord ")
    end = text.rindex("</rr:RelationshipRecord>") + len("</rr:RelationshipRecord>")
    body = text[start:end]
    per_copy = body.count("</rr:RelationshipRecord>")
    leis = sorted(set(NODE_ID.findall(body)))
    copies = max(1, records // per_copy)
    with target.open("w", encoding="utf-8") as out:
        out.write(text[:start])
        for k in range(copies):
            new = {lei: lei_with_check_digits(f"SYN{k:09d}{i:06d}") for i, lei in enumerate(leis)}
            out.write(
                NODE_ID.sub(lambda m, new=new: f"<rr:NodeID>{new[m.group(1)]}</rr:NodeID>", body)
            )
        out.write(text[end:])
    return copies * per_copy


def run_import(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory in MB of one
    ``sanctiongraph import`` process. CPU time says what the run costs when other work
    shares the machine; wall time is what the targets are about. The input just made is
    flushed to disk first, so that the kernel writing it back does not share the run."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(SANCTIONGRAPH), "import", *args], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, after.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=["history", "advanced", "gleif"])
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--megabytes", type=float, default=130)
    parser.add_argument("--records", type=int, default=300_000)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-imports-", dir=options.workdir))
    try:
        if options.case == "history":
            inputs = work / "history"
            inputs.mkdir()
            history_inputs(options.realdata, inputs)
            seconds, cpu, peak = run_import(
                ["ofac-csv", str(inputs), "--output", str(work / "out")]
            )
            target = "<= 5 s"
            ok = seconds <= 5
        elif options.case == "gleif":
            source = work / "rr-synthetic.xml"
            count = gleif_input(options.realdata, source, options.records)
            print(f"made {count} relationship records, {source.stat().st_size / 1e6:.1f} MB")
            seconds, cpu, peak = run_import(
                ["gleif", str(source), "--output", str(work / "out"), "--published", "2024-01-01"]
            )
            print(f"{count / seconds:,.0f} records/s wall, {count / cpu:,.0f} records/s CPU")
            target = ">= 50,000 records/s"
            ok = count / seconds >= 50_000
        else:
            source = work / "cons_advanced-synthetic.xml"
            started = time.perf_counter()
            advanced_input(options.realdata, source, options.megabytes)
            print(
                f"made {source.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s"
            )
            seconds, cpu, peak = run_import(
                [
                    "ofac-advanced",
                    str(source),
                    "--output",
                    str(work / "out"),
                    "--published",
                    "2024-01-01",
                ]
            )
            target = "<= 30 s, <= 500 MB"
            ok = seconds <= 30 and peak <= 500
        rows = {p.name: sum(1 for _ in p.open()) - 1 for p in sorted((work / "out").glob("*.csv"))}
        print(
            f"{options.case}: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak memory {peak:.0f} MB "
            f"(target {target}): "
            f"{'met' if ok else 'MISSED'}"
        )
        print("rows: " + ", ".join(f"{name} {n}" for name, n in rows.items()))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
