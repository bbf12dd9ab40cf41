"""Which rules a validation checked: their citations, how well their text is verified,
and whether the data held anything they read (from ``data/reference/rules.ttl``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph

from sanctiongraph.namespaces import SG, SHAPES
from sanctiongraph.queries import load_query, select_values
from sanctiongraph.resources import reference_dir, shapes_dir
from sanctiongraph.store import GraphStore

# From the least to the most certain (code list `verification` of the ontology).
VERIFICATION_ORDER = ("summary", "verbatim_via_copy", "verbatim")
DATA_QUALITY = "data-quality"


@dataclass(frozen=True)
class RuleCheck:
    """One rule as a validation applied it."""

    rule: str
    name: str
    citation: str
    verification: str | None
    """The least certain verification of the provisions it implements."""
    applied: bool
    findings: int
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RuleParts:
    """Where the parts of a registered rule live, each found from its key: its shapes
    (``shapes/<key>/``), its deriver (``sanctiongraph.derive.<key with _>``) and the
    provision files of the sections it implements (the registry's ``sg:implements``).
    A checkout also has ``tests/fixtures/<key>/`` and ``docs/rules/<key>.md``."""

    key: str
    shapes: Path
    deriver: str
    provisions: tuple[Path, ...]


def deriver_module(key: str) -> str:
    """The module that derives what rule ``key``'s shapes read."""
    return "sanctiongraph.derive." + key.replace("-", "_")


def _section_file(provision: str) -> str:
    """The provision file that holds ``provision``: its section's (``31-CFR-510.201-a-1``
    is in ``31-CFR-510.201.ttl``); a provision that is not a CFR paragraph names its own."""
    return re.sub(r"^(\d+-CFR-\d+\.\d+)-.+$", r"\1", provision.rsplit("/", 1)[-1])


def registered_rules() -> dict[str, RuleParts]:
    """Every rule of ``data/reference/rules.ttl`` by key, with where its parts are."""
    registry = Graph().parse(reference_dir() / "rules.ttl")
    found = {}
    for rule in registry.subjects(RDF.type, SG.Rule):
        key = str(registry.value(rule, SG.ruleKey))
        provisions = tuple(
            sorted(
                reference_dir() / "provisions" / f"{_section_file(str(provision))}.ttl"
                for provision in registry.objects(rule, SG.implements)
            )
        )
        found[key] = RuleParts(key, shapes_dir() / key, deriver_module(key), provisions)
    return dict(sorted(found.items()))


def rule_of_shape(shape: str) -> str:
    """The rule key of a shape IRI (``shapes/<key>#Name``); shapes/common is data quality."""
    key = shape.removeprefix(str(SHAPES)).split("#", 1)[0]
    return DATA_QUALITY if key == "common" or key == shape else key


@dataclass
class _Registered:
    """A rule as the registry states it: its provisions' citations, their verification
    statuses and the classes of data it reads (IRI to label)."""

    name: str
    citations: dict[str, None] = field(default_factory=dict)
    statuses: set[str] = field(default_factory=set)
    reads: dict[str, str] = field(default_factory=dict)


def rules_checked(store: GraphStore, shapes: Iterable[str]) -> tuple[RuleCheck, ...]:
    """Every registered rule, with how many of the findings' ``shapes`` are its own."""
    found: dict[str, int] = {}
    for shape in shapes:
        found[rule_of_shape(shape)] = found.get(rule_of_shape(shape), 0) + 1
    rules: dict[str, _Registered] = {}
    for row in select_values(store, load_query("report/rules-checked").text):
        rule = rules.setdefault(str(row["key"]), _Registered(str(row["label"])))
        rule.citations[str(row["citation"])] = None
        if verification := row.get("verification"):
            rule.statuses.add(verification)
        if read_class := row.get("reads"):
            rule.reads[read_class] = row.get("readsLabel") or read_class
    checks = []
    for key, rule in sorted(rules.items()):
        reads = rule.reads
        applied = not reads or any(_has_instance(store, iri) for iri in reads)
        note = (
            None
            if applied
            else ("not applied: the data hold no " + " and no ".join(sorted(reads.values())))
        )
        statuses = [s for s in VERIFICATION_ORDER if s in rule.statuses]
        checks.append(
            RuleCheck(
                key,
                rule.name,
                _citation(list(rule.citations)),
                statuses[0] if statuses else None,
                applied,
                found.get(key, 0),
                note,
            )
        )
    return tuple(checks)


def _citation(citations: list[str]) -> str:
    """``31 CFR 510.512, 510.520`` from the sections' citations."""
    first, *rest = citations
    prefix = first.rsplit(" ", 1)[0] + " " if " " in first else ""
    return ", ".join([first] + [c.removeprefix(prefix) for c in rest])


def _has_instance(store: GraphStore, cls: str) -> bool:
    return bool(store.query("ASK { ?x a ?class }", {"class": ox.NamedNode(cls)}))
