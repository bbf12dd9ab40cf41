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

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

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
    piece_body,
    piece_records,
    read_in_parallel,
    records,
    text,
    well_formed,
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
                _parts_of(element),
                self.count,
                file,
                self.holdings,
                self.branches,
                self.notes,
                problems,
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
    fast = _read_relationship_piece(piece)
    if fast is not None:
        return fast
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


# The fast way through a relationship file's pieces: records written as the RR-CDF schema
# orders them, read with regular expressions from bytes that libxml2 has found
# well-formed (no tree is built). A piece with a record in any other form (attributes,
# comments, CDATA, elements out of order or repeated, another record inside one) is read
# through the tree instead, so both ways read the same values.
_NAME = r"[A-Za-z_][\w.-]*"
_ROOT = re.compile(rb"<(?:" + _NAME.encode() + rb":)?(" + _NAME.encode() + rb")")
_FIRST_RECORD = re.compile(r"\s*<(" + _NAME + r":)?RelationshipRecord[\s>]")


def _leaf(prefix: str, name: str, optional: bool = False, capture: bool = True) -> str:
    """``<p:name>text</p:name>``, its text stripped (as the tree reader's
    :func:`~sanctiongraph.imports.xmlstream.text` strips it) and captured when
    ``capture``."""
    stripped = r"(?:[^<\s][^<]*[^<\s]|[^<\s])?"  # greedy: a lazy one backtracks a lot
    stripped = f"({stripped})" if capture else stripped
    pattern = rf"<{prefix}{name}>\s*{stripped}\s*</{prefix}{name}>\s*"
    return f"(?:{pattern})?" if optional else pattern


def _block(prefix: str, name: str, item: str | None = None) -> str:
    """An optional ``<p:name>...</p:name>``: with ``item``, its content is only such
    items, and captured; without, anything, not captured."""
    anything = rf"[^<]*(?:<(?!/{prefix}{name}>)[^<]*)*"
    content = anything if item is None else rf"((?:{item}\s*)*)"
    return rf"(?:<{prefix}{name}>\s*{content}</{prefix}{name}>\s*)?"


@cache
def _patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A whole ``RelationshipRecord`` (its parts captured in the order of
    :class:`_RelationshipParts`), a ``RelationshipPeriod`` and a
    ``RelationshipQuantifier``, for records whose tags have ``prefix``. A record's
    periods and quantifiers must all be of the form the last two read, or the record
    is not matched."""
    p = re.escape(prefix)

    def period(capture: bool) -> str:
        dates = ("StartDate", "EndDate", "PeriodType")
        return (
            rf"<{p}RelationshipPeriod>\s*"
            + "".join(_leaf(p, name, True, capture) for name in dates)
            + rf"</{p}RelationshipPeriod>"
        )

    def quantifier(capture: bool) -> str:
        return (
            rf"<{p}RelationshipQuantifier>\s*"
            rf"(?:<{p}MeasurementMethod>[^<]*</{p}MeasurementMethod>\s*)?"
            + _leaf(p, "QuantifierAmount", capture=capture)
            + rf"(?:<{p}QuantifierUnits>[^<]*</{p}QuantifierUnits>\s*)?"
            rf"</{p}RelationshipQuantifier>"
        )

    node = _leaf(p, "NodeID") + _leaf(p, "NodeIDType", True)
    record = re.compile(
        rf"<{p}RelationshipRecord(?:\s[^>]*)?>\s*<{p}Relationship>\s*"
        rf"<{p}StartNode>\s*{node}</{p}StartNode>\s*<{p}EndNode>\s*{node}</{p}EndNode>\s*"
        + _leaf(p, "RelationshipType")
        + _block(p, "RelationshipPeriods", period(capture=False))
        + _leaf(p, "RelationshipStatus")
        + _block(p, "RelationshipQualifiers")
        + _block(p, "RelationshipQuantifiers", quantifier(capture=False))
        + rf"</{p}Relationship>[^<]*(?:<(?!/{p}RelationshipRecord\s*>)[^<]*)*"
        + rf"</{p}RelationshipRecord\s*>"
    )
    return record, re.compile(period(capture=True)), re.compile(quantifier(capture=True))


def _read_relationship_piece(piece: Piece) -> _Reading | None:
    """A middle piece of a relationship file read the fast way; ``None`` when it is not
    one, is not well-formed, holds a record in another form or a character reference,
    or a record has a problem.

    Each record pattern spans one record, from its start tag to its first end tag, so
    when the piece holds ``Record`` (as in ``RelationshipRecord``, ``LEIRecord``)
    exactly twice per record found, every record was found and none holds another. A
    record whose periods or quantifiers are not all of the form the patterns read is not
    found, so its piece goes to the tree."""
    root = _ROOT.match(piece.before)
    if not piece.after or root is None or root.group(1) != b"RelationshipData":
        return None
    body = piece_body(piece)
    if not well_formed(piece.before, body, piece.after):
        return None
    text = body.decode()
    if "&" in text or text.count("Exception"):
        return None
    if "\r" in text:  # line ends as XML parsers give them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    prefix = _FIRST_RECORD.match(text)
    if prefix is None:
        return None
    record, period, quantifier = _patterns(prefix.group(1) or "")
    found = record.findall(text)
    if text.count("Record") != 2 * len(found):  # no other record (LEIRecord) either
        return None
    reading = _Reading(piece.path.name, list_code="GLEIF_RR")
    for start_id, start_type, end_id, end_type, kind, periods, status, quantifiers in found:
        period_items = period.findall(periods) if periods else []
        amounts = quantifier.findall(quantifiers) if quantifiers else []
        reading.count += 1
        _relationship(
            _RelationshipParts(
                start_id or None,
                start_type or None,
                end_id or None,
                end_type or None,
                kind or None,
                status or None,
                [(a or None, b or None, c or None) for a, b, c in period_items],
                [amount or None for amount in amounts],
            ),
            reading.count,
            reading.file,
            reading.holdings,
            reading.branches,
            reading.notes,
            reading.problems,
        )
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


# A parent's LEI is in many records (every subsidiary's, directly and ultimately): its
# check digits are worked out once.
_lei_ok = lru_cache(maxsize=1 << 16)(lei_check_digits_ok)


def _lei(
    value: str | None,
    file: str,
    record: Callable[[], str],
    field_name: str,
    problems: Problems,
) -> str | None:
    """``value`` when it is an LEI, else ``None`` and a problem at ``record()`` (made
    only when needed)."""
    if value is None or not _lei_ok(value):
        problems.add(
            file,
            f"{value!r} is not an LEI (20 characters, ISO 17442 check digits)",
            record=record(),
            field_name=field_name,
        )
        return None
    return value


@lru_cache(maxsize=1 << 10)
def _amount_note(amount: str | None) -> str | None:
    """The import note that counts a consolidation quantifier of ``amount``; ``None``
    when it is not a number from 0 to 100. A file has few amounts (1.00, 100.00)."""
    try:
        value = Decimal(amount or "")
    except InvalidOperation:
        return None
    if not 0 <= value <= 100:
        return None
    return f"consolidation quantifiers {amount} (not a share; not used)"


def _day(
    value: str | None,
    file: str,
    record: Callable[[], str],
    field_name: str,
    problems: Problems,
) -> date | None:
    """``2014-11-06T00:00:00Z`` -> 2014-11-06; absent -> None; else a problem."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.add(file, f"{value!r} is not a date", record=record(), field_name=field_name)
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
    lei = _lei(raw_lei, file, lambda: record, "LEI", problems)
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


class _RelationshipParts(NamedTuple):
    """The fields of one ``RelationshipRecord`` that the import reads, stripped, ``None``
    when absent or empty: the first of each, as a path lookup finds it."""

    start_id: str | None
    start_type: str | None
    end_id: str | None
    end_type: str | None
    kind: str | None
    status: str | None
    periods: list[tuple[str | None, str | None, str | None]]  # StartDate, EndDate, PeriodType
    amounts: list[str | None]  # each RelationshipQuantifier's QuantifierAmount


def _parts_of(element: Element) -> _RelationshipParts:
    """The parts of a record element, in one pass over its elements by local name (a
    path lookup per field costs several times more; docs/benchmarks.md)."""
    names = LOCAL_NAMES
    kind = status = None
    nodes: dict[str, dict[str, str | None]] = {"StartNode": {}, "EndNode": {}}
    periods: list[tuple[str | None, str | None, str | None]] = []
    amounts: list[str | None] = []
    relationship = child(element, "Relationship")
    seen: set[str] = set()
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
                    periods.append(
                        (fields.get("StartDate"), fields.get("EndDate"), fields.get("PeriodType"))
                    )
        elif name == "RelationshipQuantifiers":
            for quantifier in part:
                if names[quantifier.tag] == "RelationshipQuantifier":
                    amounts.append(text(child(quantifier, "QuantifierAmount")))
    start, end = nodes["StartNode"], nodes["EndNode"]
    return _RelationshipParts(
        start.get("NodeID"),
        start.get("NodeIDType"),
        end.get("NodeID"),
        end.get("NodeIDType"),
        kind,
        status,
        periods,
        amounts,
    )


def _relationship(
    parts: _RelationshipParts,
    index: int,
    file: str,
    holdings: list[Holding],
    branches: dict[str, str],
    notes: Counter[str],
    problems: Problems,
) -> None:
    kind = parts.kind

    def record() -> str:  # made only for a problem: most records have none
        return f"RelationshipRecord {index} ({parts.start_id} {kind} {parts.end_id})"

    child_lei = _lei(parts.start_id, file, record, "StartNode/NodeID", problems)
    parent_lei = _lei(parts.end_id, file, record, "EndNode/NodeID", problems)
    for node_name, node_type in (("StartNode", parts.start_type), ("EndNode", parts.end_type)):
        if node_type not in (None, "LEI"):
            problems.add(
                file,
                f"node type {node_type!r}; only LEI nodes are read",
                record=record(),
                field_name=f"{node_name}/NodeIDType",
            )
    if kind is None:
        problems.add(file, "no relationship type", record=record(), field_name="RelationshipType")
        return
    start = end = None
    for start_date, end_date, period_type in parts.periods:
        if period_type == "RELATIONSHIP_PERIOD":
            start = _day(start_date, file, record, "RelationshipPeriod/StartDate", problems)
            end = _day(end_date, file, record, "RelationshipPeriod/EndDate", problems)
    for amount in parts.amounts:
        note = _amount_note(amount)
        if note is None:
            problems.add(
                file,
                f"{amount!r} is not an amount from 0 to 100",
                record=record(),
                field_name="QuantifierAmount",
            )
        else:
            notes[note] += 1
    if child_lei is None or parent_lei is None:
        return
    if parts.status == "INACTIVE" and end is None:
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
    _lei(raw_lei, file, lambda: record, "LEI", problems)
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
