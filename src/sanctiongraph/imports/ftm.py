"""``ftm``: FollowTheMoney entities, JSON Lines (one ``{"id", "schema", "properties"}``
per line; a JSON array is read too).

Only ``json`` and the schema names are needed (the ``followthemoney`` package is not).
Parties are ``ftm:<id>``: schemata Person, Company, Organization, LegalEntity and
PublicBody; Vessel and Airplane are skipped and counted, as in the OFAC formats.
``Sanction`` links an entity to a list and program (a listing, with its start and end);
``Ownership`` links an owner to an asset (a holding, with its percentage and dates).
Every property value is a list of strings, as FtM writes them. Each file is one
publication of list ``FTM``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sanctiongraph.imports import ofac
from sanctiongraph.imports.jsonlines import json_records
from sanctiongraph.imports.model import (
    Holding,
    Listing,
    Party,
    Problems,
    Publication,
    ReadList,
    existing_files,
    party_id,
    publication_date,
    publication_id,
    read_each,
    sha256_of,
)

NAME = "ftm"
DESCRIPTION = "FollowTheMoney entities as JSON Lines (parties, Sanction, Ownership)"
PARTY_SCHEMATA = {"Person", "Company", "Organization", "LegalEntity", "PublicBody"}
TRANSPORT = {"Vessel": "vessel", "Airplane": "aircraft"}
# FtM datasets whose sanctions are lists of ours; any other becomes FTM_<DATASET>.
DATASET_LISTS = {"us_ofac_sdn": "SDN", "us_ofac_cons": "CONS", "un_sc_sanctions": "UN"}
PROGRAM = re.compile(r"^[A-Za-z0-9_.()-]+( [A-Za-z0-9_.()-]+)*$")  # as designations.csv
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")
PERCENT_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*-\s*(\d+(?:\.\d+)?)\s*%?\s*$")


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    return read_each(
        existing_files(paths, problems),
        lambda path, taken: _read_file(path, published, problems, taken),
    )


def _values(entity: dict[str, Any], name: str) -> list[str]:
    values = (entity.get("properties") or {}).get(name) or []
    return [" ".join(str(v).split()) for v in values if str(v).strip()]


def _first(entity: dict[str, Any], name: str) -> str | None:
    return next(iter(_values(entity, name)), None)


def _read_file(
    path: Path, published: date | None, problems: Problems, taken: list[str]
) -> ReadList | None:
    items = json_records(path, problems)
    entities: list[tuple[str, dict[str, Any]]] = []
    for where, value in items:
        if not isinstance(value, dict):
            problems.add(path.name, "not a JSON object", record=where)
            continue
        label = f"{where} (id {value['id']})" if value.get("id") else where
        for required in ("id", "schema"):
            if not value.get(required) or not isinstance(value.get(required), str):
                problems.add(path.name, "missing", record=label, field_name=required)
        if not isinstance(value.get("properties", {}), dict):
            problems.add(path.name, "not an object", record=label, field_name="properties")
        elif value.get("id") and isinstance(value.get("schema"), str):
            entities.append((label, value))
    if not items:
        if not any(e.file == path.name for e in problems.errors):
            problems.add(path.name, "no FollowTheMoney entity in this file")
        return None
    parties: dict[str, Party] = {}
    skipped: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    for where, entity in entities:
        schema = entity["schema"]
        if schema in PARTY_SCHEMATA:
            _party(entity, where, path.name, parties, problems)
        elif schema in TRANSPORT:
            skipped[TRANSPORT[schema]] += 1
    holdings: list[Holding] = []
    transport = {party_id("ftm", e["id"]) for _, e in entities if e["schema"] in TRANSPORT}
    for where, entity in entities:
        schema = entity["schema"]
        if schema == "Sanction":
            _sanction(entity, where, path.name, parties, transport, problems, notes)
        elif schema == "Ownership":
            holding = _ownership(entity, where, path.name, problems)
            if holding is None:
                continue
            if holding.owner in transport or holding.owned in transport:
                notes["ownerships of a vessel or aircraft (skipped)"] += 1
            elif holding.owner in parties and holding.owned in parties:
                holdings.append(holding)
            else:
                notes["ownerships naming an entity the file does not hold (skipped)"] += 1
        elif schema not in PARTY_SCHEMATA and schema not in TRANSPORT:
            notes[f"entities of schema {schema} (skipped)"] += 1
    stated = max(
        (d for _, e in entities if (d := _date(e.get("last_change") or e.get("last_seen")))),
        default=None,
    )
    day = publication_date(path, published, stated, problems)
    if day is None:
        return None
    datasets = sorted(
        {d for _, e in entities for d in e.get("datasets") or [] if isinstance(d, str)}
    )
    label = "FollowTheMoney entities" + (f" ({', '.join(datasets)})" if datasets else "")
    pub = Publication(
        publication_id("FTM", day, taken), "FTM", label, path.name, day, sha256_of(path)
    )
    return ReadList(pub, parties, skipped, holdings, notes)


def _date(value: Any) -> date | None:
    """An FtM date (``2017-06-01``, ``2017-06-01T00:00:00``); a year or month alone is no
    day and gives None."""
    try:
        return date.fromisoformat(str(value)[:10]) if value and len(str(value)) >= 10 else None
    except ValueError:
        return None


def _day(
    entity: dict[str, Any], name: str, where: str, file: str, problems: Problems
) -> date | None:
    value = _first(entity, name)
    if value is None:
        return None
    day = _date(value)
    if day is None:
        if re.fullmatch(r"\d{4}(-\d{2})?", value):  # FtM allows a year or a month
            return None
        problems.add(
            file,
            f"{value!r} is not a date (YYYY-MM-DD)",
            record=where,
            field_name=f"properties.{name}",
        )
    return day


def _party(
    entity: dict[str, Any], where: str, file: str, parties: dict[str, Party], problems: Problems
) -> None:
    name = _first(entity, "name")
    if name is None:
        problems.add(file, "no name", record=where, field_name="properties.name")
        return
    schema = entity["schema"]
    party = Party(id=party_id("ftm", entity["id"]), entry=entity["id"], name=name, kind="person")
    for alias in _values(entity, "name")[1:] + _values(entity, "alias"):
        party.aliases.append((alias, "aka", False))
    party.aliases += [(a, "fka", False) for a in _values(entity, "previousName")]
    party.aliases += [(a, "aka", True) for a in _values(entity, "weakAlias")]
    for scheme, prop in (
        ("lei", "leiCode"),
        ("bic", "swiftBic"),
        ("imo", "imoNumber"),
        ("registration", "registrationNumber"),
        ("tax", "taxNumber"),
    ):
        for value in _values(entity, prop):
            if scheme == "bic":  # each value on its own: a malformed one is kept as swift
                code = value.upper()
                party.identifiers.append(
                    ("bic" if ofac.BIC.fullmatch(code) else "swift", code, None)
                )
            else:
                party.identifiers.append((scheme, value, None))
    if schema == "Person":
        nationalities = {
            c[:2].upper() for c in _values(entity, "nationality") + _values(entity, "citizenship")
        }
        party.jurisdiction = nationalities.pop() if len(nationalities) == 1 else None
    else:
        party.kind = ofac.entity_kind(name, bool(party.identifier("bic")), False)
        if schema == "PublicBody" and party.kind != "central_bank":
            party.kind = "government_body"
        jurisdictions = {c[:2].upper() for c in _values(entity, "jurisdiction")}
        party.jurisdiction = jurisdictions.pop() if len(jurisdictions) == 1 else None
    countries = {c[:2].upper() for c in _values(entity, "country") + _values(entity, "mainCountry")}
    party.located_in = countries.pop() if len(countries) == 1 else None
    for attribute in ("jurisdiction", "located_in"):
        code = getattr(party, attribute)
        if code is not None and not code.isalpha():
            setattr(party, attribute, None)
    parties[party.id] = party


def _sanction(
    entity: dict[str, Any],
    where: str,
    file: str,
    parties: dict[str, Party],
    transport: set[str],
    problems: Problems,
    notes: Counter[str],
) -> None:
    target = _first(entity, "entity")
    if target is None:
        problems.add(file, "no sanctioned entity", record=where, field_name="properties.entity")
        return
    program = _first(entity, "program") or _first(entity, "programId")
    if program is not None and not PROGRAM.fullmatch(program):
        problems.add(
            file,
            f"{program!r} is not a program tag (letters, digits, . _ ( ) -, single spaces)",
            record=where,
            field_name="properties.program",
        )
        return
    start = _day(entity, "startDate", where, file, problems) or _day(
        entity, "listingDate", where, file, problems
    )
    end = _day(entity, "endDate", where, file, problems)
    if start and end and end < start:
        problems.add(
            file,
            f"ends ({end}) before it starts ({start})",
            record=where,
            field_name="properties.endDate",
        )
        return
    datasets = [d for d in entity.get("datasets") or [] if isinstance(d, str)]
    list_code = next((DATASET_LISTS[d] for d in datasets if d in DATASET_LISTS), None)
    if list_code is None:
        list_code = (
            "FTM_" + re.sub(r"[^A-Z0-9]+", "_", datasets[0].upper()).strip("_")
            if datasets
            else "FTM"
        )
    party = parties.get(party_id("ftm", target))
    if party is None:
        notes[
            "sanctions of a vessel or aircraft (skipped)"
            if party_id("ftm", target) in transport
            else "sanctions of an entity the file does not hold (skipped)"
        ] += 1
        return
    party.listings.append(Listing(list_code, program, start, end=end))


def _ownership(entity: dict[str, Any], where: str, file: str, problems: Problems) -> Holding | None:
    owner, asset = _first(entity, "owner"), _first(entity, "asset")
    for value, prop in ((owner, "owner"), (asset, "asset")):
        if value is None:
            problems.add(file, "missing", record=where, field_name=f"properties.{prop}")
    start = _day(entity, "startDate", where, file, problems)
    end = _day(entity, "endDate", where, file, problems)
    share = _percentage(_first(entity, "percentage"), where, file, problems)
    if owner is None or asset is None or share is None:
        return None
    return Holding(
        party_id("ftm", owner),
        party_id("ftm", asset),
        entity["id"],
        "owns",
        start=start,
        end=end,
        **share,
    )


def _percentage(
    text: str | None, where: str, file: str, problems: Problems
) -> dict[str, str] | None:
    """``60``, ``60%``, ``60.5`` -> percent; ``25-50`` -> a band; none -> the band up to
    100 (a holding of unknown size)."""
    if text is None:
        return {"percent_max": "100"}
    exact, band = PERCENT.fullmatch(text), PERCENT_RANGE.fullmatch(text)
    try:
        values = [Decimal(v) for v in (exact.groups() if exact else band.groups() if band else ())]
    except InvalidOperation:
        values = []
    if (
        not values
        or any(not 0 <= v <= 100 for v in values)
        or (exact and values[0] == 0)
        or (band and values[0] > values[1])
    ):
        problems.add(
            file,
            f"{text!r} is not a percentage from 0 to 100 (50, 50%, 25-50)",
            record=where,
            field_name="properties.percentage",
        )
        return None
    if exact:
        return {"percent": format(values[0].normalize(), "f")}
    return {
        "percent_min": format(values[0].normalize(), "f"),
        "percent_max": format(values[1].normalize(), "f"),
    }
