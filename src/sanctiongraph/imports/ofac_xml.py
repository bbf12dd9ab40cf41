"""``ofac-xml``: OFAC's ``sdn.xml`` and ``consolidated.xml``.

One ``<sdnEntry>`` per entry, in either namespace OFAC has used (the older
``http://tempuri.org/sdnList.xsd`` and, since 2024, the Sanctions List Service's
``.../PublicationPreview/exports/XML``). Identifiers come from ``<idList>``, aliases
from ``<akaList>`` (``category`` weak or strong), address countries from
``<addressList>``; ``Linked To:`` is in the remarks, as in the CSV.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

from sanctiongraph.imports import ofac
from sanctiongraph.imports.countries import country_code
from sanctiongraph.imports.model import (
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
from sanctiongraph.imports.xmlstream import (
    Element,
    child,
    children,
    local,
    namespace,
    records,
    text,
)

NAME = "ofac-xml"
DESCRIPTION = "OFAC sdn.xml / consolidated.xml (either namespace)"
FILE_NAMES = {"SDN": "sdn.xml, or sdn-2023-06-01.xml", "CONS": "consolidated.xml"}
NAMESPACES = {
    "http://tempuri.org/sdnList.xsd",
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML",
}
ID_SCHEMES = {
    "SWIFT/BIC": "bic",
    "Legal Entity Number": "lei",
    "LEI": "lei",
    "Tax ID No.": "tax",
    ofac.NATIONAL_ID: "national_id",
    **dict.fromkeys(ofac.REGISTRATION_KINDS, "registration"),
}
REGISTERED_BY = {"registration", "national_id"}  # where issued is where it is organised
ALIAS_TYPES = {"a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"}
TYPES = {"individual": "person", "entity": "", "vessel": None, "aircraft": None}


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    return read_each(
        existing_files(paths, problems),
        lambda path, taken: _read_file(path, published, problems, taken),
    )


def _read_file(
    path: Path, published: date | None, problems: Problems, taken: list[str]
) -> ReadList | None:
    file = path.name
    parties: dict[str, Party] = {}
    skipped: Counter[str] = Counter()
    stated: date | None = None
    checked_namespace = False
    entries = non_sdn = 0
    bad_publish_date = False
    warnings: list[str] = []
    pending: list[tuple[Party, list[str], ofac.Remarks, str, str]] = []
    for root, element in records(path, {"sdnEntry", "publshInformation"}, problems, {"sdnList"}):
        if not checked_namespace:
            checked_namespace = True
            if namespace(root.tag) not in NAMESPACES | {""}:
                problems.add(
                    file,
                    f"unknown namespace {namespace(root.tag)!r}; expected one "
                    "of " + ", ".join(sorted(NAMESPACES)),
                )
                return None
        if local(element.tag) == "publshInformation":
            stated = _publish_date(element, file, problems)
            bad_publish_date = stated is None and text(element, "Publish_Date") is not None
            continue
        entries += 1
        read = _entry(element, entries, file, parties, skipped, problems)
        if read is not None:
            non_sdn += ofac.shows_non_sdn(read[1], read[3])
            if read[0] is not None:
                pending.append((read[0], read[1], read[2], read[3], f"sdnEntry {entries}"))
    if not checked_namespace:
        return None  # nothing read: a parse problem or a wrong root was reported
    list_code = ofac.list_of_file(
        file, ofac.list_in_name(file), non_sdn, entries, FILE_NAMES, problems, warnings
    )
    if list_code is None:
        return None
    for party, programs, remarks, remarks_text, record in pending:
        _finish(party, list_code, programs, remarks, remarks_text, record, file, problems)
    day = publication_date(path, published, stated, problems, bad_publish_date)
    if not parties and not problems.errors:
        problems.add(file, "no sdnEntry elements in this file")
    if day is None:
        return None
    pub = Publication(
        publication_id(list_code, day, taken),
        list_code,
        ofac.LIST_LABELS[list_code],
        file,
        day,
        sha256_of(path),
    )
    return ReadList(pub, parties, skipped, warnings=warnings)


def _publish_date(element: Element, file: str, problems: Problems) -> date | None:
    """``publshInformation/Publish_Date`` (``MM/DD/YYYY``); one that is not a date is a
    problem."""
    value = text(element, "Publish_Date")
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()
    except ValueError:
        problems.add(
            file,
            f"{value!r} is not a date (expected MM/DD/YYYY)",
            record="publshInformation",
            field_name="Publish_Date",
        )
        return None


def _entry(
    element: Element,
    index: int,
    file: str,
    parties: dict[str, Party],
    skipped: Counter[str],
    problems: Problems,
) -> tuple[Party | None, list[str], ofac.Remarks, str] | None:
    """Read one ``sdnEntry`` (the ``index``-th): its party (none for a vessel or an
    aircraft), programs, remarks and remarks' text; None when it has a problem. The
    listings are set by :func:`_finish` once the file's list is known."""
    uid = text(element, "uid")
    record = f"sdnEntry {index} (uid {uid})"
    if uid is None or not uid.isdigit():
        problems.add(file, f"uid {uid!r} is not a number", record=record, field_name="uid")
        return None
    type_text = (text(element, "sdnType") or "").lower()
    if type_text not in TYPES:
        problems.add(file, f"unknown sdnType {type_text!r}", record=record, field_name="sdnType")
        return None
    programs = [
        p.text.strip()
        for p in children(child(element, "programList"), "program")
        if p.text and p.text.strip()
    ]
    remarks_text = text(element, "remarks") or ""
    remarks = ofac.read_remarks(remarks_text)
    kind = TYPES[type_text]
    if kind is None:
        skipped[type_text] += 1
        return None, programs, remarks, remarks_text
    name = _name(element)
    if not name:
        problems.add(file, "no name", record=record, field_name="lastName")
        return None
    if not programs:
        problems.add(file, "no program", record=record, field_name="programList")
        return None
    if f"ofac:{uid}" in parties:
        problems.add(file, f"entry {uid} appears twice", record=record, field_name="uid")
        return None
    party = Party(id=f"ofac:{uid}", entry=uid, name=name, kind=kind)
    registered_in: set[str] = set(remarks.registered_in)
    for ident in children(child(element, "idList"), "id"):
        id_type, number = text(ident, "idType"), text(ident, "idNumber")
        country = country_code(text(ident, "idCountry"))
        if not country and number:  # "1026303117642 (Russia)", as the remarks write it
            number, country = ofac.with_country(number)
        if id_type == "Nationality of Registration" and country:
            registered_in.add(country)
        elif id_type in ID_SCHEMES and number:
            scheme = ID_SCHEMES[id_type]
            if scheme == "bic" and not ofac.BIC.fullmatch(number.upper()):
                scheme = "swift"
            party.identifiers.append(
                (scheme, number.upper() if scheme == "bic" else number, country)
            )
            if scheme in REGISTERED_BY and country:
                registered_in.add(country)
        elif (id_type and id_type.endswith("IMO")) or (number or "").startswith("IMO "):
            value = (number or "").removeprefix("IMO ").strip()
            if ofac.IMO.fullmatch(value):
                party.identifiers.append(("imo", value, None))
    for aka in children(child(element, "akaList"), "aka"):
        alias = _name(aka)
        if alias:
            weak = (text(aka, "category") or "").lower() == "weak"
            party.aliases.append((alias, ALIAS_TYPES.get(text(aka, "type") or ""), weak))
    party.aliases += [(name, "aka", True) for name in remarks.weak_aliases]
    party.linked_names = remarks.linked_names
    remarks.registered_in = registered_in
    if party.kind == "person" and remarks.nationality is None:
        remarks.nationality = ofac.one_country(
            text(n, "country") for n in children(child(element, "nationalityList"), "nationality")
        )
    party.located_in = ofac.one_country(
        text(a, "country") for a in children(child(element, "addressList"), "address")
    )
    parties[party.id] = party
    return party, programs, remarks, remarks_text


def _finish(
    party: Party,
    list_code: str,
    programs: list[str],
    remarks: ofac.Remarks,
    remarks_text: str,
    record: str,
    file: str,
    problems: Problems,
) -> None:
    """Set an entry's listings on ``list_code`` (the file's list) and what depends on
    them: its kind, jurisdiction, listing dates and CAPTA measure."""
    party.listings = [
        Listing("SDN" if list_code == "SDN" else ofac.consolidated_list(p), p) for p in programs
    ]
    on_capta = any(listing.list_code == "CAPTA" for listing in party.listings)
    if not party.kind:
        party.kind = ofac.entity_kind(party.name, party.identifier("bic") is not None, on_capta)
    party.jurisdiction = ofac.jurisdiction_of(remarks, party.kind)
    for _ in range(ofac.set_listing_facts(party, remarks, remarks_text)):
        problems.add(
            file,
            "a CAPTA listing whose remarks state no measure",
            record=f"{record} (uid {party.entry})",
            field_name="remarks",
        )


def _name(element: Element) -> str | None:
    last, first = text(element, "lastName"), text(element, "firstName")
    if last and first:
        return f"{last}, {first}"
    return last or first
