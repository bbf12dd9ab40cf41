"""``un``: the UN Security Council Consolidated List (XML, no namespace).

Each ``<INDIVIDUAL>`` and ``<ENTITY>`` is one entry of list ``UN``, numbered by its
``REFERENCE_NUMBER`` (``KPe.047``); ``LISTED_ON`` is the stated listing date. The
sanctions regime (``UN_LIST_TYPE``: DPRK, Iran, ...) is the program, written
``UN-DPRK`` so that it is not taken for OFAC's program of the same name.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from sanctiongraph.imports import ofac
from sanctiongraph.imports.model import (
    UN_LABEL,
    Listing,
    Party,
    Problems,
    Publication,
    ReadList,
    existing_files,
    publication_date,
    publication_id,
    read_each,
    sha256_of,
)
from sanctiongraph.imports.xmlstream import Element, children, local, records, text

NAME = "un"
DESCRIPTION = "UN Security Council Consolidated List XML (list UN)"
LISTED_ON = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")
REFERENCE = re.compile(r"^[A-Za-z]{2,4}[ie]\.[0-9]{3,4}$")
BIC_IN_TEXT = re.compile(r"SWIFT(?:/BIC)?:?\s*([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b")
ALIAS_QUALITY = {
    "a.k.a.": ("aka", False),
    "f.k.a.": ("fka", False),
    "good": ("aka", False),
    "low": ("aka", True),
}


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    return read_each(
        existing_files(paths, problems),
        lambda path, taken: _read_file(path, published, problems, taken),
    )


def _read_file(
    path: Path, published: date | None, problems: Problems, taken: list[str]
) -> ReadList | None:
    parties: dict[str, Party] = {}
    generated: date | None = None
    seen: Counter[str] = Counter()
    for root, element in records(path, {"INDIVIDUAL", "ENTITY"}, problems, {"CONSOLIDATED_LIST"}):
        if generated is None:
            try:
                generated = date.fromisoformat((root.get("dateGenerated") or "")[:10])
            except ValueError:
                pass
        seen[local(element.tag)] += 1
        _record(element, seen[local(element.tag)], path.name, parties, problems)
    if not seen:
        if not problems.errors:
            problems.add(path.name, "no INDIVIDUAL or ENTITY in this file")
        return None
    day = publication_date(path, published, generated, problems)
    if day is None:
        return None
    pub = Publication(
        publication_id("UN", day, taken), "UN", UN_LABEL, path.name, day, sha256_of(path)
    )
    return ReadList(pub, parties)


def _record(
    element: Element, index: int, file: str, parties: dict[str, Party], problems: Problems
) -> None:
    tag = local(element.tag)
    reference = text(element, "REFERENCE_NUMBER")
    record = f"{tag} {index}" + (f" (REFERENCE_NUMBER {reference})" if reference else "")
    if reference is None or not REFERENCE.fullmatch(reference):
        problems.add(
            file,
            "no REFERENCE_NUMBER"
            if reference is None
            else f"{reference!r} is not a UN reference number such as KPe.047",
            record=record,
            field_name="REFERENCE_NUMBER",
        )
        return
    if f"un:{reference}" in parties:
        problems.add(
            file, f"entry {reference} appears twice", record=record, field_name="REFERENCE_NUMBER"
        )
        return
    name = " ".join(
        filter(
            None,
            (text(element, f) for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")),
        )
    )
    name = re.sub(r"\s+", " ", name).strip()
    if not name:
        problems.add(file, "no name", record=record, field_name="FIRST_NAME")
        return
    regime = text(element, "UN_LIST_TYPE")
    if regime is None:
        problems.add(file, "no sanctions regime", record=record, field_name="UN_LIST_TYPE")
        return
    listed_on = text(element, "LISTED_ON")
    try:  # a date, sometimes with a zone offset: 2015-04-07-04:00
        day = LISTED_ON.fullmatch(listed_on or "")
        start = date.fromisoformat(day.group(1) if day else "")
    except ValueError:
        problems.add(
            file, f"{listed_on!r} is not a date (YYYY-MM-DD)", record=record, field_name="LISTED_ON"
        )
        return
    person = tag == "INDIVIDUAL"
    party = Party(id=f"un:{reference}", entry=reference, name=name, kind="person" if person else "")
    party.listings = [Listing("UN", f"UN-{regime}", start)]
    for alias in children(element, f"{tag}_ALIAS"):
        alias_name = text(alias, "ALIAS_NAME")
        if alias_name:
            kind, weak = ALIAS_QUALITY.get((text(alias, "QUALITY") or "").lower(), (None, False))
            party.aliases.append((re.sub(r"\s+", " ", alias_name), kind, weak))
    comments = text(element, "COMMENTS1") or ""
    for bic in dict.fromkeys(BIC_IN_TEXT.findall(comments)):
        party.identifiers.append(("bic", bic, None))
    party.located_in = ofac.one_country(
        text(a, "COUNTRY") for a in children(element, f"{tag}_ADDRESS")
    )
    if person:  # NATIONALITY holds a VALUE per nationality
        party.jurisdiction = ofac.one_country(
            value.text
            for nationality in children(element, "NATIONALITY")
            for value in children(nationality, "VALUE")
        )
    else:
        party.kind = ofac.entity_kind(name, bool(party.identifiers), False)
    parties[party.id] = party
