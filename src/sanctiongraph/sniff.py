"""Say what a file is when it is not a source ``validate`` and ``load`` read.

A published list or register given straight to ``validate`` or ``load`` must not pass
for an empty graph that "conforms": :func:`not_a_source` recognises OFAC, UN, GLEIF,
BODS and FollowTheMoney files, plain XML and plain JSON from their first bytes and says
which ``sanctiongraph import`` format reads them. ``import`` asks it too, to say what a
file given to the wrong format is. Standard library only: ``import`` starts without the
graph libraries.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HEAD = 65536
ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
XML_ROOTS = {
    "sdnList": "an OFAC sdn.xml or consolidated.xml file; read it with "
    "`sanctiongraph import ofac-xml`",
    "Sanctions": "an OFAC advanced XML file (sdn_advanced.xml, cons_advanced.xml); read it "
    "with `sanctiongraph import ofac-advanced`",
    "CONSOLIDATED_LIST": "the UN Security Council Consolidated List; read it with "
    "`sanctiongraph import un`",
    "LEIData": "a GLEIF LEI-CDF level 1 file; read it with `sanctiongraph import gleif`",
    "RelationshipData": "a GLEIF RR-CDF level 2 relationship file; read it with "
    "`sanctiongraph import gleif`",
    "ReportingExceptionData": "a GLEIF reporting exceptions file; read it with "
    "`sanctiongraph import gleif`",
    "RDF": "RDF/XML, which is not accepted (use Turtle, N-Triples or JSON-LD)",
}
BODS_KEYS = ("statementType", "recordType", "statementID", "statementId", "recordDetails")


def not_a_source(path: Path) -> str | None:
    """What ``path`` looks like when it is a file ``validate``/``load`` must refuse
    (with the import format that reads it), else ``None``."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD)
    except OSError:
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".xml", ".rdf", ".owl") or text.startswith(b"<?xml"):
        return _xml(text)
    if suffix in (".json", ".jsonl", ".jsonld", ".ndjson"):
        return _json(text, suffix)
    if suffix == ".csv":
        return _csv(text)
    return None


def _xml(text: bytes) -> str:
    found = ROOT.search(text)
    root = found.group(2).decode() if found else "?"
    return "this file is " + XML_ROOTS.get(
        root, f"plain XML (root element <{root}>), not RDF; no import format reads it"
    )


def _json(text: bytes, suffix: str) -> str | None:
    """Recognise JSON by its first record, or, when the head is not whole JSON (a large
    pretty-printed file), by the keys it holds."""
    sample: list[dict[str, object]] = []
    for candidate in (text.split(b"\n", 1)[0], text):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        items = value if isinstance(value, list) else [value]
        sample = [v for v in items[:20] if isinstance(v, dict)]
        break
    keys = set(re.findall(rb'"([A-Za-z@]+)"\s*:', text))
    if any("schema" in v and "properties" in v for v in sample) or (
        not sample and {b"schema", b"properties"} <= keys
    ):
        return (
            "this file is FollowTheMoney entities (JSON Lines); read it with "
            "`sanctiongraph import ftm`"
        )
    if any(any(k in v for k in BODS_KEYS) for v in sample) or (
        not sample and keys & {k.encode() for k in BODS_KEYS}
    ):
        return (
            "this file is Beneficial Ownership Data Standard statements; read it with "
            "`sanctiongraph import bods`"
        )
    if any(_gleif(v) for v in sample) or (
        not sample
        and (
            b"goldenCopy" in keys
            or re.search(
                rb'"type"\s*:\s*"(lei-records|relationship-records|reporting-exceptions)"', text
            )
        )
    ):
        return (
            "this file is GLEIF API JSON, which no import format reads; download GLEIF's "
            "golden-copy XML (LEI-CDF, RR-CDF) and read it with `sanctiongraph import gleif`"
        )
    if b"@context" not in keys and b"@id" not in keys and b"@graph" not in keys:
        return "this file is plain JSON, not JSON-LD (no @context); no import format reads it"
    return None


def _gleif(value: dict[str, object]) -> bool:
    meta = value.get("meta")
    if isinstance(meta, dict) and "goldenCopy" in meta:
        return True
    data = value.get("data")
    records = data if isinstance(data, list) else [data]
    return any(
        isinstance(r, dict)
        and str(r.get("type", "")).endswith(
            ("lei-records", "relationship-records", "reporting-exceptions")
        )
        for r in records
    )


SINGLE_CSV = (
    "this is a single CSV file; give the data package's folder (or a .zip of it), "
    "which holds entities.csv and the other files"
)
"""What :func:`not_a_source` says of a CSV file that is no OFAC list: a package's file."""


def import_format(said: str) -> str | None:
    """The ``sanctiongraph import`` format that :func:`not_a_source`'s ``said`` names."""
    found = re.search(r"sanctiongraph import ([\w-]+)", said)
    return found.group(1) if found else None


def _csv(text: bytes) -> str:
    first = text.split(b"\n", 1)[0]
    if re.match(rb"^\d+,", first) and b"-0-" in text[:4096]:
        return "this file is an OFAC legacy CSV file; read it with `sanctiongraph import ofac-csv`"
    return SINGLE_CSV
