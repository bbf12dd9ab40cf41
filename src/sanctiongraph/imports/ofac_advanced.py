"""``ofac-advanced``: OFAC's advanced XML (``sdn_advanced.xml``, ``cons_advanced.xml``).

The file is streamed (:mod:`~sanctiongraph.imports.xmlstream`): reference values,
locations and identity documents first, then one ``<DistinctParty>`` at a time, the
``<ProfileRelationship>`` elements and the ``<SanctionsEntry>`` elements; only a small
record per party is kept. Each sanctions entry names its list (``ListID``), its programs
(``SanctionsMeasure`` of type Program, the tag in the comment) and the date it was
created on that list (``EntryEvent``): that date is *stated*. The ``Consolidated List``
is the umbrella of every consolidated entry, not a list of its own: it is skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from sanctiongraph.imports import ofac
from sanctiongraph.imports.model import (
    LEI_PATTERN,
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
from sanctiongraph.imports.ofac_xml import ID_SCHEMES, REGISTERED_BY
from sanctiongraph.imports.xmlstream import Element, child, children, local, records, text

NAME = "ofac-advanced"
DESCRIPTION = "OFAC advanced XML: sdn_advanced.xml / cons_advanced.xml (streamed)"
RECORDS = {
    "ReferenceValueSets",
    "DateOfIssue",
    "Location",
    "IDRegDocument",
    "DistinctParty",
    "ProfileRelationship",
    "SanctionsEntry",
}
ALIAS_TYPES = {"A.K.A.": "aka", "F.K.A.": "fka", "N.K.A.": "nka"}
OWNED_OR_CONTROLLED_BY = "Owned or Controlled By"
CAPTA_FULL = "561 Full Restrictions"


class _Reader:
    """The state of one file's stream: reference values, then the parties."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path, self.file, self.problems = path, path.name, problems
        self.values: dict[str, dict[str, str]] = {}  # value set -> id -> text
        self.country_iso: dict[str, str] = {}  # Country ID -> ISO2
        self.area_iso: dict[str, str] = {}  # AreaCode ID -> ISO2
        self.location_country: dict[str, str] = {}  # Location ID -> ISO2
        self.documents: dict[str, list[tuple[str, str, str | None]]] = {}  # IdentityID -> docs
        self.parties: dict[str, Party] = {}
        self.comments: dict[str, str] = {}  # FixedRef -> the party's comment
        self.skipped: Counter[str] = Counter()
        self.transport: set[str] = set()  # FixedRefs of skipped vessels and aircraft
        self.issued: date | None = None

    def value(self, value_set: str, key: str | None) -> str | None:
        return self.values.get(value_set, {}).get(key or "")

    def reference_values(self, element: Element) -> None:
        for value_set in element:
            name = local(value_set.tag)
            table = self.values.setdefault(name, {})
            for item in value_set:
                table[item.get("ID", "")] = (item.text or "").strip()
                if name == "CountryValues" and item.get("ISO2"):
                    self.country_iso[item.get("ID", "")] = item.get("ISO2", "")
                elif name == "AreaCodeValues" and (item.text or "").strip():
                    self.area_iso[item.get("ID", "")] = (item.text or "").strip()
                if name == "PartySubTypeValues":
                    table[item.get("ID", "") + ":type"] = item.get("PartyTypeID", "")

    def location(self, element: Element) -> None:
        country = child(element, "LocationCountry")
        area = child(element, "LocationAreaCode")
        iso = (
            self.country_iso.get(country.get("CountryID", "")) if country is not None else None
        ) or (self.area_iso.get(area.get("AreaCodeID", "")) if area is not None else None)
        if iso and re.fullmatch(r"[A-Z]{2}", iso):
            self.location_country[element.get("ID", "")] = iso

    def document(self, element: Element) -> None:
        kind = self.value("IDRegDocTypeValues", element.get("IDRegDocTypeID"))
        number = text(element, "IDRegistrationNo")
        country = self.country_iso.get(element.get("IssuedBy-CountryID", ""))
        if not country and number:  # "1026303117642 (Russia)", as the remarks write it
            number, country = ofac.with_country(number)
        if kind and number:
            self.documents.setdefault(element.get("IdentityID", ""), []).append(
                (kind, number, country)
            )

    def party(self, element: Element, index: int) -> None:
        ref = element.get("FixedRef")
        record = f"DistinctParty {index} (FixedRef {ref})"
        profile = child(element, "Profile")
        if not ref or not ref.isdigit() or profile is None:
            self.problems.add(
                self.file, "no numeric FixedRef or no Profile", record=record, field_name="FixedRef"
            )
            return
        subtype = profile.get("PartySubTypeID")
        party_type = self.value(
            "PartyTypeValues", self.value("PartySubTypeValues", f"{subtype}:type")
        )
        if party_type not in ("Individual", "Entity"):
            self.skipped[
                (self.value("PartySubTypeValues", subtype) or party_type or "other").lower()
            ] += 1
            self.transport.add(ref)
            return
        identities = children(profile, "Identity")
        identity = next((i for i in identities if i.get("Primary") == "true"), None)
        if identity is None:
            self.problems.add(
                self.file, "no primary Identity", record=record, field_name="Identity"
            )
            return
        name, aliases = None, []
        for alias in children(identity, "Alias"):
            alias_name = _documented_name(alias)
            if not alias_name:
                continue
            if alias.get("Primary") == "true" and name is None:
                name = alias_name
            else:
                kind = ALIAS_TYPES.get(
                    self.value("AliasTypeValues", alias.get("AliasTypeID")) or ""
                )
                aliases.append((alias_name, kind, alias.get("LowQuality") == "true"))
        if not name:
            self.problems.add(self.file, "no primary name", record=record, field_name="Alias")
            return
        party = Party(
            id=f"ofac:{ref}",
            entry=ref,
            name=name,
            kind="person" if party_type == "Individual" else "",
            aliases=aliases,
        )
        registered: set[str] = set()
        addresses: list[str | None] = []
        nationality: set[str] = set()
        for feature in children(profile, "Feature"):
            kind = self.value("FeatureTypeValues", feature.get("FeatureTypeID"))
            version = child(feature, "FeatureVersion")
            detail = text(version, "VersionDetail")
            place = child(version, "VersionLocation")
            country = (
                self.location_country.get(place.get("LocationID", ""))
                if place is not None
                else None
            )
            if kind == "SWIFT/BIC" and detail:
                scheme = "bic" if ofac.BIC.fullmatch(detail.upper()) else "swift"
                party.identifiers.append((scheme, detail.upper(), None))
            elif kind == "Nationality of Registration" and country:
                registered.add(country)
            elif kind == "Location":
                addresses.append(country)
            elif kind in ("Citizenship Country", "Nationality Country") and country:
                nationality.add(country)
        for doc_kind, number, country in self.documents.pop(identity.get("ID", ""), []):
            doc_scheme = ID_SCHEMES.get(doc_kind)
            if doc_kind.endswith("IMO") and ofac.IMO.fullmatch(number):
                doc_scheme = "imo"
            if doc_scheme is None:
                continue
            if doc_scheme == "lei" and not LEI_PATTERN.fullmatch(number):
                doc_scheme = "lei_text"
            party.identifiers.append((doc_scheme, number, country))
            if doc_scheme in REGISTERED_BY and country:
                registered.add(country)
        party.located_in = ofac.one_country(addresses)
        remarks = ofac.Remarks(
            registered_in=registered, nationality=ofac.one_country(list(nationality))
        )
        party.jurisdiction = ofac.jurisdiction_of(remarks, party.kind or "entity")
        self.comments[ref] = text(element, "Comment") or ""
        self.parties[party.id] = party

    def relationship(self, element: Element, index: int) -> None:
        kind = self.value("RelationTypeValues", element.get("RelationTypeID"))
        source, target = element.get("From-ProfileID", ""), element.get("To-ProfileID", "")
        record = f"ProfileRelationship {index} (ID {element.get('ID')})"
        party = self.parties.get(f"ofac:{source}")
        if party is None or f"ofac:{target}" not in self.parties:
            if {source, target} & self.transport:
                self.skipped["relationships of skipped entries"] += 1
                return
            missing = source if party is None else target
            self.problems.add(
                self.file,
                f"names profile {missing}, which is no DistinctParty of this file",
                record=record,
                field_name="From-ProfileID" if party is None else "To-ProfileID",
            )
            return
        if element.get("Former") == "true":
            self.skipped["former relationships"] += 1
        elif kind == OWNED_OR_CONTROLLED_BY:
            party.controlled_by.append(f"ofac:{target}")
        else:
            party.linked_ids.append(f"ofac:{target}")

    def entry(self, element: Element, index: int) -> None:
        ref = element.get("ProfileID", "")
        record = f"SanctionsEntry {index} (ID {element.get('ID')})"
        party = self.parties.get(f"ofac:{ref}")
        if party is None:
            if ref not in self.transport:
                self.problems.add(
                    self.file,
                    f"names profile {ref!r}, which is no DistinctParty of this file",
                    record=record,
                    field_name="ProfileID",
                )
            return
        start = self.date(child(child(element, "EntryEvent"), "Date"), record, "EntryEvent/Date")
        list_name = self.value("ListValues", element.get("ListID"))
        if list_name is None:
            self.problems.add(
                self.file,
                f"unknown ListID {element.get('ListID')!r}",
                record=record,
                field_name="ListID",
            )
            return
        if list_name in ofac.UMBRELLA_LISTS:
            return
        code = ofac.LIST_NAMES.get(list_name) or re.sub(
            r"[^A-Z0-9]+", "_", list_name.upper()
        ).strip("_")
        programs, types = [], []
        for measure in children(element, "SanctionsMeasure"):
            kind = self.value("SanctionsTypeValues", measure.get("SanctionsTypeID"))
            if kind == "Program" and text(measure, "Comment"):
                programs.append(text(measure, "Comment"))
            types.append(kind)
        capta_measure = capta_source = None
        if code == "CAPTA":
            capta_source = ofac.capta_authority(self.comments.get(ref, ""))
            capta_measure = (
                "prohibit_maintain"
                if CAPTA_FULL in types
                else ofac.capta_measure(self.comments.get(ref, ""))
            )
            if capta_measure is None:
                self.problems.add(
                    self.file,
                    "a CAPTA listing whose measures and comment state no CAPTA measure",
                    record=record,
                    field_name="SanctionsMeasure",
                )
        for program in programs or [None]:
            party.listings.append(Listing(code, program, start, capta_measure, source=capta_source))

    def date(self, element: Element | None, record: str, field_name: str) -> date | None:
        """The date of a ``Year``/``Month``/``Day`` element; one that is given but is no
        date is a problem."""
        if element is None:
            return None
        found = _date(element)
        if found is None:
            shown = "-".join(text(element, part) or "?" for part in ("Year", "Month", "Day"))
            self.problems.add(
                self.file, f"{shown!r} is not a date", record=record, field_name=field_name
            )
        return found

    def finish(self) -> None:
        for party in self.parties.values():
            programs_of: dict[str, set[str]] = {}
            for listing in party.listings:
                programs_of.setdefault(listing.list_code, set()).add(listing.program or "")
            own = ofac.own_programs(programs_of)
            kept = [li for li in party.listings if (li.program or "") in own[li.list_code]]
            if len(kept) < len(party.listings):
                self.skipped["programs paired with another of the entry's lists"] += len(
                    party.listings
                ) - len(kept)
            party.listings = kept
            if not party.kind:
                on_capta = any(li.list_code == "CAPTA" for li in party.listings)
                party.kind = ofac.entity_kind(
                    party.name, party.identifier("bic") is not None, on_capta
                )
        for party_id in [p.id for p in self.parties.values() if not p.listings]:
            self.skipped["parties on no list but the umbrella list"] += 1
            del self.parties[party_id]


def _documented_name(alias: Element) -> str | None:
    parts = [
        text(v)
        for part in children(child(alias, "DocumentedName"), "DocumentedNamePart")
        for v in children(part, "NamePartValue")
    ]
    name = " ".join(p for p in parts if p)
    return name or None


def _date(element: Element | None) -> date | None:
    try:
        return date(
            int(text(element, "Year") or ""),
            int(text(element, "Month") or ""),
            int(text(element, "Day") or ""),
        )
    except ValueError:
        return None


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    return read_each(
        existing_files(paths, problems),
        lambda path, taken: _read_file(path, published, problems, taken),
    )


def _read_file(
    path: Path, published: date | None, problems: Problems, taken: list[str]
) -> ReadList | None:
    reader = _Reader(path, problems)
    counters: Counter[str] = Counter()
    for _root, element in records(path, RECORDS, problems, {"Sanctions"}):
        name = local(element.tag)
        counters[name] += 1
        if name == "ReferenceValueSets":
            reader.reference_values(element)
        elif name == "DateOfIssue":
            reader.issued = reader.date(element, "DateOfIssue", "DateOfIssue")
        elif name == "Location":
            reader.location(element)
        elif name == "IDRegDocument":
            reader.document(element)
        elif name == "DistinctParty":
            reader.party(element, counters[name])
        elif name == "ProfileRelationship":
            reader.relationship(element, counters[name])
        else:
            reader.entry(element, counters[name])
    if not counters:
        return None  # a parse problem or a wrong root was reported
    reader.finish()
    day = publication_date(path, published, reader.issued, problems)
    if not reader.parties and not problems.errors:
        problems.add(path.name, "no DistinctParty with a SanctionsEntry in this file")
    if day is None:
        return None
    list_code = _list_of(path.name, reader.parties, problems)
    if list_code is None:
        return None
    pub = Publication(
        publication_id(list_code, day, taken),
        list_code,
        ofac.LIST_LABELS[list_code],
        path.name,
        day,
        sha256_of(path),
    )
    return ReadList(pub, reader.parties, reader.skipped)


def _list_of(file: str, parties: dict[str, Party], problems: Problems) -> str | None:
    """The list a file publishes, from its entries' lists (``ListID``): ``CONS`` when every
    entry is on a non-SDN list (some are on the SDN List too), ``SDN`` when every entry
    is on the SDN List alone. Entries of both kinds, or a name that says the other list
    (``cons`` or ``sdn`` in it), are a problem."""
    if not parties:
        return None
    non_sdn = sum(any(li.list_code != "SDN" for li in p.listings) for p in parties.values())
    if 0 < non_sdn < len(parties):
        problems.add(
            file,
            f"{non_sdn} of its {len(parties)} entries are on non-SDN lists and the others on "
            "the SDN List alone; sdn_advanced.xml and cons_advanced.xml each publish one list",
        )
        return None
    code = "CONS" if non_sdn else "SDN"
    said = ofac.list_in_name(file)
    if said is not None and said != code:
        problems.add(
            file,
            f"the file name says the {ofac.LIST_LABELS[said]} but its entries' lists (ListID) "
            f"are those of the {ofac.LIST_LABELS[code]}; name it "
            f"{'sdn' if code == 'SDN' else 'cons'}_advanced.xml or check that it is the file "
            "you meant",
        )
        return None
    return code
