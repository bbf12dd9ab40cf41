"""``bods``: Beneficial Ownership Data Standard statements, 0.2 and 0.4, as a JSON array
or JSON Lines.

Every statement of every file given is read first, so that replacements and references
are resolved across files: in 0.2 a statement named in a later one's
``replacesStatements`` is dropped and references to it follow the replacement; in 0.4
the statement of a ``recordId`` with the latest ``statementDate`` (the later in the
files on a tie) stands for the record, and a ``closed`` relationship ends on that date.
Each file is one publication of list ``BODS``.

Interests: ``shareholding`` is ownership (``owns``) with the share as a percent or a
band; voting rights, board appointment and other influence are control (``controls``).
An exclusive bound is kept exclusive at the resolution the package is written at,
1/10,000 of a percent: ``exclusiveMinimum`` 50 ("more than 50") is ``percent_min`` 50.0001,
``exclusiveMaximum`` 50 ("less than 50") is ``percent_max`` 49.9999. An interested party
that is unspecified, or a statement the files do not hold, is counted in the report and
no holding is made up for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sanctiongraph.imports import gleif, ofac
from sanctiongraph.imports.jsonlines import json_records
from sanctiongraph.imports.model import (
    Holding,
    Party,
    Problems,
    Publication,
    ReadList,
    existing_files,
    party_id,
    publication_date,
    publication_id,
    sha256_of,
)

NAME = "bods"
DESCRIPTION = "Beneficial Ownership Data Standard 0.2 and 0.4 statements (JSON or JSON Lines)"
RESOLUTION = Decimal("0.0001")  # of a percent, as shares are written (the analysis is finer)
OWNERSHIP = {"shareholding"}
GLEIF_DETAILS = "LEI RelationshipType:"  # how GLEIF-to-BODS conversion names GLEIF's type
CONTROL = {
    "votingrights",
    "appointmentofboard",
    "otherinfluenceorcontrol",
    "seniormanagingofficial",
    "controlviacompanyrulesorarticles",
    "controlbylegalframework",
    "rightsgrantedbycontract",
    "conditionalrightsgrantedbycontract",
    "boardmember",
    "boardchair",
    "trustee",
    "trusteeoftrust",
    "settlor",
    "settloroftrust",
    "protector",
    "protectoroftrust",
}
ENTITY_KINDS = {"state": "government", "stateBody": "government_body"}
KNOWN_ENTITY_TYPES = {"registeredEntity", "legalEntity"}
KINDS_02 = {
    "entityStatement": "entity",
    "personStatement": "person",
    "ownershipOrControlStatement": "relationship",
}


@dataclass
class Statement:
    """One statement, 0.2 or 0.4, in the terms both share."""

    file: Path
    where: str  # "record 3 (statementID …)" or "line 3 (…)"
    kind: str  # entity, person, relationship
    key: str  # 0.4 recordId, 0.2 statementID
    statement_id: str
    day: str  # statementDate or ""
    details: dict[str, Any]
    version: str  # "0.2" or "0.4"
    status: str | None = None  # 0.4 recordStatus
    replaces: list[str] = field(default_factory=list)
    order: int = 0


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    files = existing_files(paths, problems)
    statements: list[Statement] = []
    for path in files:
        statements += _statements(path, problems, len(statements))
    notes: Counter[str] = Counter()
    standing = _resolve(statements, notes)
    parties: dict[str, tuple[Statement, Party]] = {}
    for st in standing.values():
        if st.kind in ("entity", "person"):
            party = _party(st, problems, notes)
            if party is not None:
                parties[party.id] = (st, party)
    holdings: list[tuple[Statement, Holding]] = []
    forward = _forwarding(statements)
    for st in standing.values():
        if st.kind == "relationship":
            holdings += [(st, h) for h in _holdings(st, forward, parties, problems, notes)]
    reads: list[ReadList] = []
    for path in files:
        mine = {pid: p for pid, (st, p) in parties.items() if st.file == path}
        held = [h for st, h in holdings if st.file == path]
        in_file = [st for st in statements if st.file == path]
        if not in_file:
            if not any(e.file == path.name for e in problems.errors):
                problems.add(path.name, "no BODS statement in this file")
            continue
        stated = max(
            (
                day
                for st in in_file
                if st.details.get("_published")
                if (day := _date_of(st.details.get("_published"))) is not None
            ),
            default=None,
        )
        day = publication_date(path, published, stated, problems)
        if day is None:
            continue
        publisher = next(
            (st.details.get("_publisher") for st in in_file if st.details.get("_publisher")), None
        )
        label = f"BODS statements of {publisher}" if publisher else "BODS statements"
        pub = Publication(
            publication_id("BODS", day, [r.publication.id for r in reads]),
            "BODS",
            label,
            path.name,
            day,
            sha256_of(path),
        )
        read_list = ReadList(pub, mine, holdings=held)
        reads.append(read_list)
    relationships = sum(st.kind == "relationship" for st in standing.values())
    if files and not parties and relationships and not problems.errors:
        problems.add(
            ", ".join(path.name for path in files),
            f"no entity or person statements: its {relationships} relationship statements "
            "name statements that are not in the files given; give the files that hold "
            "them too (a GLEIF conversion's lei-data file beside its rr-data file)",
        )
    if reads:
        reads[0].notes.update(notes)
    return reads


def _date_of(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _statements(path: Path, problems: Problems, order: int) -> list[Statement]:
    """The statements of one file, a JSON array or JSON Lines."""
    items = json_records(path, problems)
    out: list[Statement] = []
    for where, value in items:
        st = _statement(path, where, value, problems)
        if st is not None:
            st.order = order + len(out)
            out.append(st)
    return out


def _statement(path: Path, where: str, value: Any, problems: Problems) -> Statement | None:
    if not isinstance(value, dict):
        problems.add(path.name, "not a JSON object", record=where)
        return None
    details: dict[str, Any]
    if "recordType" in value:  # 0.4
        statement_id, key = value.get("statementId"), value.get("recordId")
        kind = value.get("recordType")
        details = dict(value.get("recordDetails") or {})
        version, status, replaces = "0.4", value.get("recordStatus"), []
        missing = [f for f, v in (("statementId", statement_id), ("recordId", key)) if not v]
        if kind not in ("entity", "person", "relationship"):
            problems.add(
                path.name,
                f"recordType {kind!r} is not entity, person or relationship",
                record=where,
                field_name="recordType",
            )
            return None
    elif "statementType" in value:  # 0.2
        statement_id = key = value.get("statementID")
        kind = KINDS_02.get(str(value.get("statementType")))
        details, version, status = dict(value), "0.2", None
        replaces = [r for r in value.get("replacesStatements") or [] if isinstance(r, str)]
        missing = [] if statement_id else ["statementID"]
        if kind is None:
            problems.add(
                path.name,
                f"statementType {value.get('statementType')!r} is not a BODS 0.2 statement type",
                record=where,
                field_name="statementType",
            )
            return None
    else:
        problems.add(
            path.name,
            "neither recordType (BODS 0.4) nor statementType (BODS 0.2)",
            record=where,
            field_name="recordType",
        )
        return None
    label = f"{where} ({'statementId' if version == '0.4' else 'statementID'} {statement_id})"
    for name in missing:
        problems.add(path.name, "missing", record=label, field_name=name)
    if missing:
        return None
    publication = value.get("publicationDetails") or {}
    details["_published"] = publication.get("publicationDate")
    details["_publisher"] = (publication.get("publisher") or {}).get("name")
    statement = Statement(
        path,
        label,
        kind,
        str(key),
        str(statement_id),
        str(value.get("statementDate") or ""),
        details,
        version,
        status,
        replaces,
    )
    _day(value.get("statementDate"), statement, "statementDate", problems)  # it orders records
    return statement


def _resolve(statements: list[Statement], notes: Counter[str]) -> dict[str, Statement]:
    """The statement that stands for each record (see the module doc)."""
    replaced = {r for st in statements for r in st.replaces}
    standing: dict[str, Statement] = {}
    for st in statements:
        if st.version == "0.2" and st.statement_id in replaced:
            notes["statements replaced by a later statement (dropped)"] += 1
            continue
        current = standing.get(st.key)
        if current is None or (st.day, st.order) >= (current.day, current.order):
            if current is not None:
                notes["statements replaced by a later statement (dropped)"] += 1
            standing[st.key] = st
        else:
            notes["statements replaced by a later statement (dropped)"] += 1
    return standing


def _forwarding(statements: list[Statement]) -> dict[str, str]:
    """0.2: a replaced statement's id -> the id of the statement that replaces it."""
    return {old: st.statement_id for st in statements for old in st.replaces}


def _country(value: Any) -> str | None:
    """A country or jurisdiction: ``{"code": "GB"}``, ``"GB"``, ``US-MA`` -> ``US``."""
    code = value.get("code") if isinstance(value, dict) else value
    code = str(code or "")[:2].upper()
    return code if len(code) == 2 and code.isalpha() else None


def _party(st: Statement, problems: Problems, notes: Counter[str]) -> Party | None:
    d = st.details
    person = st.kind == "person"
    if person:
        names = [n for n in d.get("names") or [] if isinstance(n, dict)]
        full = [
            n.get("fullName") or " ".join(filter(None, (n.get("givenName"), n.get("familyName"))))
            for n in names
        ]
        full = [" ".join(str(n).split()) for n in full if n]
    else:
        full = [" ".join(str(d["name"]).split())] if d.get("name") else []
        full += [" ".join(str(n).split()) for n in d.get("alternateNames") or [] if n]
    if st.status == "closed":
        notes["closed entity and person records (kept)"] += 1
    name = full[0] if full else None
    if name is None:
        notes["persons and entities with no name (named by their record id)"] += 1
    party = Party(id=party_id("bods", st.key), entry=st.key, name=name or st.key, kind="person")
    party.aliases = [(n, "aka", False) for n in full[1:]]
    if person:
        nationalities = {_country(n) for n in d.get("nationalities") or []} - {None}
        party.jurisdiction = nationalities.pop() if len(nationalities) == 1 else None
    else:
        entity_type = d.get("entityType")
        entity_type = entity_type.get("type") if isinstance(entity_type, dict) else entity_type
        if entity_type in ENTITY_KINDS:
            party.kind = ENTITY_KINDS[entity_type]
        elif entity_type in KNOWN_ENTITY_TYPES or entity_type is None:
            party.kind = ofac.entity_kind(party.name, False, False)
        else:  # arrangement, anonymousEntity, unknownEntity: kept, so chains through
            party.kind = "company"  # them hold; the nearest kind of ours
            notes[f"entities of type {entity_type} (kind company)"] += 1
        party.jurisdiction = _country(d.get("jurisdiction") or d.get("incorporatedInJurisdiction"))
    party.located_in = ofac.one_country(
        [_country(a.get("country")) for a in d.get("addresses") or [] if isinstance(a, dict)]
    )
    for identifier in d.get("identifiers") or []:
        if not isinstance(identifier, dict) or not identifier.get("id"):
            continue
        scheme = str(identifier.get("scheme") or "")
        value = str(identifier["id"])
        if scheme == "XI-LEI":
            party.identifiers.append(("lei", value, None))
        elif not person:
            country = scheme[:2] if len(scheme) > 3 and scheme[2] == "-" else None
            party.identifiers.append(
                ("registration", value, country if country and country.isalpha() else None)
            )
    return party


def _percent(value: Any, where: Statement, field_name: str, problems: Problems) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        problems.add(
            where.file.name,
            f"{value!r} is not a share from 0 to 100",
            record=where.where,
            field_name=field_name,
        )
        return None
    # float noise (26.150000000000002) goes at the analysis' resolution
    return Decimal(str(value)).quantize(RESOLUTION)


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def _share(share: Any, st: Statement, at: str, problems: Problems) -> dict[str, str | None] | None:
    """percent, or percent_min / percent_max (exclusive bounds kept exclusive)."""
    if not isinstance(share, dict):
        return {"percent_max": "100"}  # a shareholding of unknown size
    exact = share.get("exact")
    if exact is not None:
        value = _percent(exact, st, f"{at}.share.exact", problems)
        return None if value is None else {"percent": _text(value)}
    low = high = None
    errors = len(problems.errors)
    if "minimum" in share:
        low = _percent(share["minimum"], st, f"{at}.share.minimum", problems)
    if "maximum" in share:
        high = _percent(share["maximum"], st, f"{at}.share.maximum", problems)
    exclusive_min, exclusive_max = share.get("exclusiveMinimum"), share.get("exclusiveMaximum")
    # 0.2: a flag on minimum / maximum; 0.4: a number (0 among them: 0 == False)
    if isinstance(exclusive_min, bool):
        if exclusive_min and low is not None:
            low += RESOLUTION
    elif exclusive_min is not None:
        value = _percent(exclusive_min, st, f"{at}.share.exclusiveMinimum", problems)
        if value is not None:
            low = max(low or Decimal(0), value + RESOLUTION)
    if isinstance(exclusive_max, bool):
        if exclusive_max and high is not None:
            high -= RESOLUTION
    elif exclusive_max is not None:
        value = _percent(exclusive_max, st, f"{at}.share.exclusiveMaximum", problems)
        if value is not None:
            high = min(high if high is not None else Decimal(100), value - RESOLUTION)
    if len(problems.errors) > errors:
        return None
    if low is not None and high is not None and low > high:
        problems.add(
            st.file.name,
            f"the share's lower bound {_text(low)} is above its upper bound {_text(high)}",
            record=st.where,
            field_name=f"{at}.share",
        )
        return None
    if low is None and high is None:
        return {"percent_max": "100"}
    return {"percent_min": _text(low), "percent_max": _text(high)}


def _reference(value: Any, version: str, role: str) -> tuple[str | None, str | None]:
    """(statement or record id, reason it is unspecified)."""
    if version == "0.4":
        if isinstance(value, str):
            return value, None
        return None, (value or {}).get("reason") if isinstance(value, dict) else "missing"
    value = value if isinstance(value, dict) else {}
    for key in ("describedByEntityStatement", "describedByPersonStatement"):
        if value.get(key):
            return str(value[key]), None
    unspecified = value.get("unspecified")
    if isinstance(unspecified, dict):
        return None, unspecified.get("reason") or "unknown"
    return None, "missing" if not value else "unknown"


def _holdings(
    st: Statement,
    forward: dict[str, str],
    parties: dict[str, tuple[Statement, Party]],
    problems: Problems,
    notes: Counter[str],
) -> list[Holding]:
    subject, subject_reason = _reference(st.details.get("subject"), st.version, "subject")
    owner, owner_reason = _reference(
        st.details.get("interestedParty"), st.version, "interestedParty"
    )
    while subject in forward:
        subject = forward[subject]
    while owner in forward:
        owner = forward[owner]
    closed = st.status == "closed"
    out = []  # every interest is checked, whatever the parties: all problems at once
    for index, interest in enumerate(st.details.get("interests") or []):
        at = f"interests[{index}]"
        if not isinstance(interest, dict):
            problems.add(st.file.name, "not an object", record=st.where, field_name=at)
            continue
        kind = str(interest.get("type") or "").replace("-", "").lower()
        level = interest.get("directOrIndirect") or interest.get("interestLevel")
        start, end = (
            _day(interest.get(f), st, f"{at}.{f}", problems) for f in ("startDate", "endDate")
        )
        if closed and end is None:
            end = _date_of(st.day)
        gleif_type = _gleif_relationship(interest)
        if gleif_type in gleif.FUND_RELATIONSHIPS:
            notes[f"interests recording GLEIF's {gleif_type} (skipped, as import gleif does)"] += 1
            continue
        if kind in OWNERSHIP:
            share = _share(interest.get("share"), st, at, problems)
            if share is not None:
                out.append(("owns", share, start, end, level))
        elif kind in CONTROL:
            if interest.get("share") is not None:  # not used, but checked like any share
                _share(interest["share"], st, at, problems)
            out.append(("controls", {}, start, end, level))
        else:
            notes[f"interests of type {interest.get('type') or '(none given)'} (skipped)"] += 1
    if owner is None:
        notes[f"interested party unspecified: {owner_reason} (no holding)"] += 1
        return []
    if subject is None:
        notes[f"subject unspecified: {subject_reason} (no holding)"] += 1
        return []
    owner, subject = party_id("bods", owner), party_id("bods", subject)
    if owner not in parties or subject not in parties:
        notes["relationships naming a statement the files do not hold (skipped)"] += 1
        return []
    holdings = []
    for kind, share, start, end, level in out:
        if level == "indirect":
            notes["indirect interests (skipped: the chain's direct holdings carry them)"] += 1
        else:
            holdings.append(Holding(owner, subject, st.key, kind, start=start, end=end, **share))
    return holdings


def _gleif_relationship(interest: dict[str, Any]) -> str | None:
    """The GLEIF relationship type an interest converted from GLEIF's golden copy records
    (its ``details``: ``LEI RelationshipType: IS_FUND-MANAGED_BY``), if any."""
    details = interest.get("details")
    if isinstance(details, str) and details.startswith(GLEIF_DETAILS):
        return details.removeprefix(GLEIF_DETAILS).strip()
    return None


def _day(value: Any, st: Statement, field_name: str, problems: Problems) -> date | None:
    if value is None or value == "":
        return None
    day = _date_of(value)
    if day is None:
        problems.add(
            st.file.name,
            f"{value!r} is not a date (YYYY-MM-DD)",
            record=st.where,
            field_name=field_name,
        )
    return day
