"""``gleif``: GLEIF golden-copy XML, Level 1 (LEI-CDF), Level 2 (RR-CDF) and reporting
exceptions, streamed.

The root element says which file it is: ``LEIData`` (one entity per ``LEIRecord``, list
``GLEIF_LEI``), ``RelationshipData`` (one ``RelationshipRecord`` each, list
``GLEIF_RR``) or ``ReportingExceptionData`` (one ``Exception`` each, list
``GLEIF_REPEX``). Entities are ``lei:<LEI>``.

Accounting consolidation (``IS_DIRECTLY_CONSOLIDATED_BY``,
``IS_ULTIMATELY_CONSOLIDATED_BY``) is **control**, never a percentage: GLEIF writes the
same full consolidation as ``QuantifierAmount`` ``1.00`` in some records and ``100.00``
in others, both with ``QuantifierUnits`` ``PERCENTAGE``, so the amount is checked to be
a number and counted, not used. A reporting exception (no parent reported) never makes a
parent: it is counted by category and reason in the import report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sanctiongraph.imports import ofac
from sanctiongraph.imports.model import (
    Holding,
    Party,
    Problems,
    Publication,
    ReadList,
    existing_files,
    lei_check_digits_ok,
    publication_date,
    publication_id,
    sha256_of,
)
from sanctiongraph.imports.xmlstream import (
    LOCAL_NAMES,
    Element,
    Piece,
    child,
    children,
    local,
    piece_records,
    read_in_parallel,
    records,
    text,
)

NAME = "gleif"
DESCRIPTION = (
    "GLEIF golden-copy XML: LEI-CDF level 1, RR-CDF level 2 relationships, reporting exceptions"
)
ROOTS = {
    "LEIData": "GLEIF_LEI",
    "RelationshipData": "GLEIF_RR",
    "ReportingExceptionData": "GLEIF_REPEX",
}
RECORDS = {"LEIRecord", "RelationshipRecord", "Exception"}
LABELS = {
    "GLEIF_LEI": "GLEIF LEI-CDF Level 1",
    "GLEIF_RR": "GLEIF RR-CDF Level 2 relationships",
    "GLEIF_REPEX": "GLEIF Level 2 reporting exceptions",
}
CONSOLIDATION = {"IS_DIRECTLY_CONSOLIDATED_BY", "IS_ULTIMATELY_CONSOLIDATED_BY"}
BRANCH = "IS_INTERNATIONAL_BRANCH_OF"
FUND_RELATIONSHIPS = {"IS_FUND-MANAGED_BY", "IS_SUBFUND_OF", "IS_FEEDER_TO"}
ALIAS_KINDS = {"PREVIOUS_LEGAL_NAME": "fka"}


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    reads: list[ReadList] = []
    branches: dict[str, str] = {}
    for path in existing_files(paths, problems):
        if path.suffix.lower() == ".json":
            problems.add(
                path.name,
                "GLEIF API JSON is not read; download GLEIF's golden-copy "
                "XML (LEI-CDF, RR-CDF, reporting exceptions) and import that",
            )
            continue
        one = _read_file(path, published, problems, [r.publication.id for r in reads], branches)
        if one is not None:
            reads.append(one)
    _name_the_unnamed(reads)
    parties = {pid: p for r in reads for pid, p in r.parties.items()}
    for branch, head in branches.items():
        if branch in parties:
            parties[branch].branch_of = head
    return reads


@dataclass
class _Reading:
    """What the records of one file (or of one piece of it) say."""

    file: str
    parties: dict[str, Party] = field(default_factory=dict)
    holdings: list[Holding] = field(default_factory=list)
    branches: dict[str, str] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)
    problems: Problems = field(default_factory=Problems)
    list_code: str | None = None
    stated: date | None = None
    count: int = 0

    def read(self, root: Element, element: Element) -> None:
        """Read one record of the file whose root is ``root``."""
        if self.list_code is None:
            self.list_code = ROOTS[local(root.tag)]
            header = child(root, "LEIHeader")
            header = child(root, "Header") if header is None else header
            try:
                self.stated = date.fromisoformat((text(header, "ContentDate") or "")[:10])
            except ValueError:
                pass
        self.count += 1
        tag, file, problems = local(element.tag), self.file, self.problems
        if tag == "LEIRecord" and self.list_code == "GLEIF_LEI":
            _entity(element, self.count, file, self.parties, self.notes, problems)
        elif tag == "RelationshipRecord" and self.list_code == "GLEIF_RR":
            _relationship(
                element, self.count, file, self.holdings, self.branches, self.notes, problems
            )
        elif tag == "Exception" and self.list_code == "GLEIF_REPEX":
            _exception(element, self.count, file, self.notes, problems)
        else:
            problems.add(file, f"a {tag} in a {local(root.tag)} file", record=f"{tag} {self.count}")

    def merge(self, later: _Reading) -> bool:
        """Add what a later piece of the file read; ``False`` when the two pieces hold
        the same LEI (the file is then read whole, to report it)."""
        if not self.parties.keys().isdisjoint(later.parties):
            return False
        self.parties.update(later.parties)
        self.holdings += later.holdings
        self.branches.update(later.branches)
        self.notes.update(later.notes)
        self.count += later.count
        return True


def _read_piece(piece: Piece) -> _Reading | None:
    """The records of one piece of a large file (in a worker process); ``None`` when
    the piece is not as expected or any record has a problem."""
    found = piece_records(piece, RECORDS)
    if found is None:
        return None
    root, elements = found
    reading = _Reading(piece.path.name)
    if local(root.tag) not in ROOTS:
        return None
    for element in elements:
        reading.read(root, element)
    return None if reading.problems.errors else reading


def _read_whole(path: Path, problems: Problems) -> tuple[_Reading, str] | None:
    """The file's records and its sha256: in pieces read in parallel when it is large
    (:func:`~sanctiongraph.imports.xmlstream.read_in_parallel`), else, or when a piece
    is not as expected or has a problem, in one stream that reports every problem."""
    parallel = read_in_parallel(path, RECORDS, _read_piece)
    if parallel is not None:
        pieces, digest = parallel
        first, *rest = pieces
        if all(first.merge(later) for later in rest):
            return first, digest
    reading = _Reading(path.name, problems=problems)
    for root, element in records(path, RECORDS, problems, set(ROOTS)):
        reading.read(root, element)
    return reading, ""


def _read_file(
    path: Path,
    published: date | None,
    problems: Problems,
    taken: list[str],
    branches: dict[str, str],
) -> ReadList | None:
    errors_before = len(problems.errors)
    whole = _read_whole(path, problems)
    reading, digest = whole if whole is not None else (_Reading(path.name), "")
    branches.update(reading.branches)
    list_code = reading.list_code
    if list_code is None or reading.count == 0:
        if len(problems.errors) == errors_before:  # say so unless the file's problem is said
            problems.add(path.name, "no LEIRecord, RelationshipRecord or Exception in this file")
        return None
    day = publication_date(path, published, reading.stated, problems)
    if day is None:
        return None
    pub = Publication(
        publication_id(list_code, day, taken),
        list_code,
        LABELS[list_code],
        path.name,
        day,
        digest or sha256_of(path),
    )
    return ReadList(pub, reading.parties, holdings=reading.holdings, notes=reading.notes)


def _lei(
    value: str | None, file: str, record: str, field_name: str, problems: Problems
) -> str | None:
    if value is None or not lei_check_digits_ok(value):
        problems.add(
            file,
            f"{value!r} is not an LEI (20 characters, ISO 17442 check digits)",
            record=record,
            field_name=field_name,
        )
        return None
    return value


def _day(
    value: str | None, file: str, record: str, field_name: str, problems: Problems
) -> date | None:
    """``2014-11-06T00:00:00Z`` -> 2014-11-06; absent -> None; else a problem."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.add(file, f"{value!r} is not a date", record=record, field_name=field_name)
        return None


def _entity(
    element: Element,
    index: int,
    file: str,
    parties: dict[str, Party],
    notes: Counter[str],
    problems: Problems,
) -> None:
    raw_lei = text(element, "LEI")
    record = f"LEIRecord {index} (LEI {raw_lei})"
    lei = _lei(raw_lei, file, record, "LEI", problems)
    entity = child(element, "Entity")
    name = text(entity, "LegalName")
    if name is None:
        problems.add(file, "no legal name", record=record, field_name="LegalName")
    if lei is None or name is None:
        return
    if f"lei:{lei}" in parties:
        problems.add(file, f"LEI {lei} appears twice", record=record, field_name="LEI")
        return
    party = Party(
        id=f"lei:{lei}",
        entry=lei,
        name=" ".join(name.split()),
        kind=ofac.entity_kind(name, False, False),
    )
    jurisdiction = (text(entity, "LegalJurisdiction") or "")[:2].upper()
    party.jurisdiction = jurisdiction if jurisdiction.isalpha() and len(jurisdiction) == 2 else None
    party.located_in = ofac.one_country(
        [text(entity, "LegalAddress/Country"), text(entity, "HeadquartersAddress/Country")]
    )
    party.identifiers.append(("lei", lei, None))
    registered = text(entity, "RegistrationAuthority/RegistrationAuthorityEntityID")
    if registered:
        party.identifiers.append(("registration", registered, party.jurisdiction))
    for group in ("OtherEntityNames", "TransliteratedOtherEntityNames"):
        for other in children(child(entity, group), group[:-1]):
            if other.text and other.text.strip():
                party.aliases.append(
                    (
                        " ".join(other.text.split()),
                        ALIAS_KINDS.get(other.get("type") or "", "aka"),
                        False,
                    )
                )
    status = text(entity, "EntityStatus")
    if status and status != "ACTIVE":
        notes[f"entities with EntityStatus {status} (kept)"] += 1
    registration = text(element, "Registration/RegistrationStatus")
    if registration and registration not in ("ISSUED", "PENDING_TRANSFER", "PENDING_ARCHIVAL"):
        notes[f"LEIs with RegistrationStatus {registration} (kept)"] += 1
    parties[party.id] = party


def _relationship(
    element: Element,
    index: int,
    file: str,
    holdings: list[Holding],
    branches: dict[str, str],
    notes: Counter[str],
    problems: Problems,
) -> None:
    # One pass over the elements read, by local name (a path lookup per field costs
    # several times more; docs/benchmarks.md "Importing published lists").
    names = LOCAL_NAMES
    kind = status = None
    nodes: dict[str, dict[str, str | None]] = {"StartNode": {}, "EndNode": {}}
    periods: list[dict[str, str | None]] = []
    amounts: list[str | None] = []
    relationship = child(element, "Relationship")
    seen: set[str] = set()  # the first of each, as a path lookup finds it
    for part in relationship if relationship is not None else ():
        name = names[part.tag]
        if name in seen:
            continue
        seen.add(name)
        if name == "RelationshipType":
            kind = text(part)
        elif name == "RelationshipStatus":
            status = text(part)
        elif name in nodes:
            node = nodes[name]
            for leaf in part:
                node.setdefault(names[leaf.tag], text(leaf))
        elif name == "RelationshipPeriods":
            for period in part:
                if names[period.tag] == "RelationshipPeriod":
                    fields: dict[str, str | None] = {}
                    for leaf in period:
                        fields.setdefault(names[leaf.tag], text(leaf))
                    periods.append(fields)
        elif name == "RelationshipQuantifiers":
            for quantifier in part:
                if names[quantifier.tag] == "RelationshipQuantifier":
                    amounts.append(text(child(quantifier, "QuantifierAmount")))
    start_lei, end_lei = nodes["StartNode"].get("NodeID"), nodes["EndNode"].get("NodeID")
    record = f"RelationshipRecord {index} ({start_lei} {kind} {end_lei})"
    child_lei = _lei(start_lei, file, record, "StartNode/NodeID", problems)
    parent_lei = _lei(end_lei, file, record, "EndNode/NodeID", problems)
    for node_name, node in nodes.items():
        node_type = node.get("NodeIDType")
        if node_type not in (None, "LEI"):
            problems.add(
                file,
                f"node type {node_type!r}; only LEI nodes are read",
                record=record,
                field_name=f"{node_name}/NodeIDType",
            )
    if kind is None:
        problems.add(file, "no relationship type", record=record, field_name="RelationshipType")
        return
    start = end = None
    for fields in periods:
        if fields.get("PeriodType") == "RELATIONSHIP_PERIOD":
            start = _day(
                fields.get("StartDate"), file, record, "RelationshipPeriod/StartDate", problems
            )
            end = _day(fields.get("EndDate"), file, record, "RelationshipPeriod/EndDate", problems)
    for amount in amounts:
        try:
            value = Decimal(amount or "")
            if not 0 <= value <= 100:
                raise InvalidOperation
        except InvalidOperation:
            problems.add(
                file,
                f"{amount!r} is not an amount from 0 to 100",
                record=record,
                field_name="QuantifierAmount",
            )
            continue
        notes[f"consolidation quantifiers {amount} (not a share; not used)"] += 1
    if child_lei is None or parent_lei is None:
        return
    if status == "INACTIVE" and end is None:
        notes["inactive relationships with no end date (skipped)"] += 1
        return
    if kind in CONSOLIDATION:
        holdings.append(
            Holding(
                owner=f"lei:{parent_lei}",
                owned=f"lei:{child_lei}",
                entry=f"{child_lei} {kind} {parent_lei}",
                kind="controls",
                start=start,
                end=end,
            )
        )
    elif kind == BRANCH:
        branches[f"lei:{child_lei}"] = f"lei:{parent_lei}"
    else:
        notes[f"relationships {kind} (skipped)"] += 1


def _exception(
    element: Element, index: int, file: str, notes: Counter[str], problems: Problems
) -> None:
    raw_lei = text(element, "LEI")
    record = f"Exception {index} (LEI {raw_lei})"
    _lei(raw_lei, file, record, "LEI", problems)
    category, reason = text(element, "ExceptionCategory"), text(element, "ExceptionReason")
    for value, field_name in ((category, "ExceptionCategory"), (reason, "ExceptionReason")):
        if value is None:
            problems.add(file, "missing", record=record, field_name=field_name)
    if category and reason:
        notes[f"no parent reported: {category} {reason}"] += 1


def _name_the_unnamed(reads: list[ReadList]) -> None:
    """An LEI that a relationship names but no level 1 file given holds becomes an
    entity of the relationship file, named by its LEI (``kind`` company), so that the
    holding is kept and can be matched by LEI."""
    named = {pid for r in reads for pid in r.parties}
    for read in reads:
        leis = {h.owner for h in read.holdings} | {h.owned for h in read.holdings}
        for pid in sorted(leis - named):
            lei = pid.removeprefix("lei:")
            read.parties[pid] = Party(
                id=pid, entry=lei, name=lei, kind="company", identifiers=[("lei", lei, None)]
            )
            read.notes["entities known only by their LEI (no level 1 record given)"] += 1
        named |= leis
