"""``ofac-csv``: OFAC's legacy CSV files.

A publication is a main file (``SDN.CSV`` or ``cons_prim.csv``) with the companions
beside it: addresses (``ADD.CSV`` / ``cons_add.csv``), aliases (``ALT.CSV`` /
``cons_alt.csv``) and remarks continued past 1,000 characters (``SDN_COMMENTS.CSV`` /
``cons_comments.csv``), found in any letter case. Companions of a dated main file carry
the same date: ``sdn-2023-06-01.csv`` goes with ``add-2023-06-01.csv``. The files have
no header, write ``-0-`` for an empty cell, use CRLF and end with the byte 0x1A.

Which list a main file is (SDN or consolidated) comes from its entries
(:func:`~sanctiongraph.imports.ofac.list_of_file`), its name only where they cannot
tell. What is read only in part (a missing companion, a remark cut with no comments
file to continue it) is a warning of the import report.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from sanctiongraph.imports import ofac
from sanctiongraph.imports.model import (
    ISO_DATE_IN_NAME,
    Listing,
    Party,
    Problems,
    Publication,
    ReadList,
    publication_date,
    publication_id,
    read_each,
)

NAME = "ofac-csv"
DESCRIPTION = "OFAC legacy CSV: SDN.CSV (+ ADD, ALT, SDN_COMMENTS) or cons_prim.csv (+ cons_add, cons_alt, cons_comments)"
MAIN_COLUMNS = [
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
]
COMPANIONS = {  # main-file stem prefix -> companion prefix per role
    "sdn": {"add": "add", "alt": "alt", "comments": "sdn_comments"},
    "cons_prim": {"add": "cons_add", "alt": "cons_alt", "comments": "cons_comments"},
}
WHAT_IS_IN = {"add": "addresses", "alt": "aliases", "comments": "remarks past 1,000 characters"}
WIDTHS = {"add": 6, "alt": 5, "comments": 2}
# The columns read (by position): the main file's number, name, type, program and
# remarks; an address's number and country; an alias's number, type and name; a
# continued remark's number and text.
MAIN_USED = (0, 1, 2, 3, 11)
USED = {"add": (0, 4), "alt": (0, 2, 3), "comments": (0, 1)}
ALIAS_KINDS = {"aka": "aka", "fka": "fka", "nka": "nka"}
PERSON, VESSEL, AIRCRAFT = "individual", "vessel", "aircraft"


REMARKS_CUT_AT = 1000  # the main file's Remarks cell; the rest is in the comments file
FILE_NAMES = {
    "SDN": "SDN.CSV, or sdn-2023-06-01.csv with a date",
    "CONS": "cons_prim.csv, or cons_prim-2025-12-19.csv with a date",
}
FAMILY_OF_LIST = {"SDN": "sdn", "CONS": "cons_prim"}
LIST_OF_FAMILY = {family: code for code, family in FAMILY_OF_LIST.items()}


@dataclass
class MainFile:
    path: Path
    family: str | None  # what the name says: "sdn", "cons_prim" or nothing


def find_main_files(paths: list[Path], problems: Problems) -> list[MainFile]:
    """The main files named or held by ``paths``. A folder's main files are those named
    after their list; a file given by name may have any name (its entries then decide)."""
    mains: list[MainFile] = []
    for path in paths:
        if path.is_dir():
            found = [p for p in sorted(path.iterdir()) if p.is_file() and _family(p)]
            if not found:
                problems.add(
                    path.name,
                    "no SDN.CSV or cons_prim.csv in this folder (a main file of another "
                    "name is read when given by its name)",
                )
            mains += [MainFile(p, _family(p)) for p in found]
        elif path.is_file():
            mains.append(MainFile(path, _family(path)))
        else:
            problems.add(str(path), "no such file or folder")
    return mains


def _family(path: Path) -> str | None:
    stem = path.stem.lower()
    if path.suffix.lower() != ".csv":
        return None
    if stem.startswith("cons_prim"):
        return "cons_prim"
    if stem.startswith("sdn") and not stem.startswith("sdn_comments"):
        return "sdn"
    return None


def _companions(
    main: MainFile, family: str, notes: Counter[str], warnings: list[str]
) -> dict[str, Path]:
    """The companion files of ``main`` (a publication of ``family``): those named like it
    (``add-2023-06-01.csv`` beside ``sdn-2023-06-01.csv``), else an undated one
    (``add.csv``) when ``main`` is the only main file of its list in the folder. An undated
    companion beside several is not used, and the report says so."""
    path = main.path
    stem = path.stem.lower()
    if stem.startswith(family):
        rest = stem[len(family) :]
    else:
        found = ISO_DATE_IN_NAME.search(path.name)
        rest = f"-{found.group(1)}" if found else ""
    beside = {p.name.lower(): p for p in path.parent.iterdir() if p.is_file()}
    mains_beside = 1 + sum(p.name != path.name and _family(p) == family for p in beside.values())
    companions = {}
    for role, prefix in COMPANIONS[family].items():
        candidate = beside.get(f"{prefix}{rest}{path.suffix}".lower())
        undated = beside.get(f"{prefix}{path.suffix}".lower()) if rest else None
        if candidate is None and undated is not None:
            if mains_beside == 1:
                candidate = undated
                notes["undated companions used with the one main file beside them"] += 1
            else:
                warnings.append(
                    f"{path.name}: {undated.name} (undated) is not used: it could go with "
                    f"any of the {mains_beside} main files beside it; date it like "
                    f"its main file ({prefix}{rest}{path.suffix})"
                )
        if candidate is not None:
            companions[role] = candidate
    missing = [role for role in COMPANIONS[family] if role not in companions]
    if missing:
        names = _and([_published_name(family, role) for role in missing])
        unread = _and([WHAT_IS_IN[role] for role in missing])
        warnings.append(
            f"{path.name}: read without {names} (none beside it named like it), so its "
            f"{unread} are not read"
        )
    return companions


def _and(items: list[str]) -> str:
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]]))


def _published_name(family: str, role: str) -> str:
    """A companion's name as OFAC publishes it: ``ADD.CSV``, ``cons_add.csv``."""
    name = f"{COMPANIONS[family][role]}.csv"
    return name.upper() if family == "sdn" else name


class _Table(NamedTuple):
    """A legacy CSV file as read: its records, and the SHA-256 of the bytes they were
    read from (the file is read once: a file replaced while it is imported cannot give
    the records of one version and the digest of another)."""

    records: list[tuple[int, list[str | None]]]
    sha256: str


def _rows(path: Path, width: int, used: tuple[int, ...], problems: Problems) -> _Table:
    """The ``used`` cells of each record of a legacy CSV file, with its line number;
    ``-0-`` cells become ``None``. A record with the wrong number of cells is a problem."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if data.endswith(b"\x1a"):
        data = data[:-1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    line = 1
    try:
        for cells in reader:
            if cells and (len(cells) > 1 or cells[0].strip()):
                if len(cells) != width:
                    problems.add(path.name, f"{len(cells)} cells, expected {width}", line=line)
                else:
                    rows.append(
                        (
                            line,
                            [None if (v := cells[i].strip()) in ("", "-0-") else v for i in used],
                        )
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.add(path.name, f"unparseable CSV: {exc}", line=reader.line_num)
    return _Table(rows, digest)


def read(paths: list[Path], published: date | None, problems: Problems) -> list[ReadList]:
    return read_each(
        find_main_files(paths, problems),
        lambda main, taken: _read_publication(main, published, problems, taken),
    )


def _read_publication(
    main: MainFile, published: date | None, problems: Problems, taken: list[str]
) -> ReadList | None:
    file = main.path.name
    day = publication_date(main.path, published, None, problems)
    records, digest = _rows(main.path, len(MAIN_COLUMNS), MAIN_USED, problems)
    names = [MAIN_COLUMNS[i] for i in MAIN_USED]
    parties: dict[str, Party] = {}
    programs_of: dict[str, list[str]] = {}
    remarks_of: dict[str, str] = {}
    line_of: dict[str, int] = {}
    skipped: Counter[str] = Counter()
    non_sdn = 0
    warnings: list[str] = []
    for line, cells in records:
        record = dict(zip(names, cells))
        number = record["ent_num"]
        if number is None or not number.isdigit():
            problems.add(
                file, f"ent_num {number!r} is not a number", field_name="ent_num", line=line
            )
            continue
        if f"ofac:{number}" in parties or number in remarks_of:
            problems.add(file, f"entry {number} appears twice", field_name="ent_num", line=line)
            continue
        programs = ofac.split_programs(record["Program"] or "")
        non_sdn += ofac.shows_non_sdn(programs, record["Remarks"] or "")
        kind_cell = (record["SDN_Type"] or "").lower()
        if kind_cell in (VESSEL, AIRCRAFT):
            skipped[kind_cell] += 1
            remarks_of[number] = ""
            continue
        if kind_cell not in ("", PERSON):
            problems.add(
                file,
                f"entry {number}: unknown SDN_Type {record['SDN_Type']!r}",
                field_name="SDN_Type",
                line=line,
            )
            continue
        name = record["SDN_Name"]
        if not name:
            problems.add(file, f"entry {number}: no name", field_name="SDN_Name", line=line)
            continue
        if not programs:
            problems.add(file, f"entry {number}: no program", field_name="Program", line=line)
            continue
        party = Party(
            id=f"ofac:{number}", entry=number, name=name, kind="person" if kind_cell else ""
        )
        parties[party.id] = party
        programs_of[party.id] = programs
        remarks_of[number] = record["Remarks"] or ""
        line_of[number] = line
    list_code = ofac.list_of_file(
        file,
        LIST_OF_FAMILY.get(main.family or ""),
        non_sdn,
        len(records),
        FILE_NAMES,
        problems,
        warnings,
    )
    if list_code is None:
        return None
    for party_id, programs in programs_of.items():
        parties[party_id].listings = [
            Listing("SDN" if list_code == "SDN" else ofac.consolidated_list(p), p) for p in programs
        ]
    if list_code == "CONS":
        _warn_of_other_lists_programs(file, programs_of, warnings)
        _warn_of_tags_of_two_lists(file, programs_of, warnings)
    notes: Counter[str] = Counter()
    companions = _companions(main, FAMILY_OF_LIST[list_code], notes, warnings)
    companion_digests = _read_companions(main.path.name, companions, parties, remarks_of, problems)
    if "comments" not in companions:
        for number in _cut_remarks(file, list_code, remarks_of, warnings):
            if (cut := parties.get(f"ofac:{number}")) is not None:
                cut.partial = True
    for number, text in remarks_of.items():
        listed = parties.get(f"ofac:{number}")
        if listed is None:
            continue
        _apply_remarks(listed, text, file, line_of[number], problems)
    if day is None:
        return None
    if not parties and not problems.errors:
        problems.add(file, "no list entries in this file")
    for path in companions.values():
        if ";" in path.name:  # publications.csv separates the companions with ';'
            problems.add(path.name, "a file name with ';' cannot be recorded: rename the file")
    pub = Publication(
        publication_id(list_code, day, taken),
        list_code,
        ofac.LIST_LABELS[list_code],
        file,
        day,
        digest,
        tuple(sorted(companion_digests.items())),
    )
    silent_on = set() if "alt" in companions else {"aliases.csv"}  # its aliases are in ALT.CSV
    if "add" not in companions:  # and its addresses in ADD.CSV
        silent_on.add("located_in")
    return ReadList(pub, parties, skipped, notes=notes, warnings=warnings, silent_on=silent_on)


def _warn_of_other_lists_programs(
    file: str, programs_of: dict[str, list[str]], warnings: list[str]
) -> None:
    """Say which consolidated entries carry, beside a tag of a non-SDN list, a tag of no
    non-SDN list we know (Rosneft Trading: UKRAINE-EO13662, VENEZUELA-EO13850). That
    tag is most likely the entry's listing on the SDN List, which a consolidated file
    does not show; it is written on CONS as published, never guessed to be SDN."""
    mixed = _tags_beside(
        programs_of,
        beside=lambda p: p in ofac.CONSOLIDATED_LISTS,
        tag=lambda p: p not in ofac.CONSOLIDATED_LISTS,
    )
    if mixed:
        warnings.append(
            f"{file}: {_entries_carry(mixed)}, beside a tag of a non-SDN list, tags of no "
            f"non-SDN list: {_some(mixed)}; written on CONS as published. Such a tag is most "
            "likely the entry's listing on the SDN List, which the consolidated files do not "
            "show: import the SDN List's publication of the same date too"
        )


def _warn_of_tags_of_two_lists(
    file: str, programs_of: dict[str, list[str]], warnings: list[str]
) -> None:
    """Say which consolidated entries carry a tag that both a non-SDN list and the SDN
    List use (:data:`ofac.SDN_TOO`: VTB Bank's RUSSIA-EO14024) beside a tag of another
    non-SDN list (its UKRAINE-EO13662, SSI). As a consolidated file may repeat an
    entry's SDN programs (Rosneft Trading's VENEZUELA-EO13850), the tag may be the SDN
    listing rather than one on its own list; it is written on that list, as published."""
    both = _tags_beside(
        programs_of,
        beside=lambda p: p in ofac.CONSOLIDATED_LISTS and p not in ofac.SDN_TOO,
        tag=lambda p: p in ofac.SDN_TOO,
    )
    if both:
        lists = ", ".join(sorted({ofac.consolidated_list(t) for ts in both.values() for t in ts}))
        warnings.append(
            f"{file}: {_entries_carry(both)}, beside a tag of another non-SDN list, a tag the "
            f"SDN List uses too: {_some(both)}; written on {lists} as published. It may "
            "instead be the entry's listing on the SDN List, which the consolidated files do "
            "not show: import the SDN List's publication of the same date too, and check the "
            "entry on OFAC's Sanctions List Search"
        )


def _tags_beside(
    programs_of: dict[str, list[str]],
    beside: Callable[[str], bool],
    tag: Callable[[str], bool],
) -> dict[str, list[str]]:
    """Each entry's ``tag`` tags, for the entries that carry them beside a ``beside`` one."""
    found = {
        party_id: [p for p in programs if tag(p)]
        for party_id, programs in programs_of.items()
        if any(beside(p) for p in programs)
    }
    return {party_id: tags for party_id, tags in found.items() if tags}


def _entries_carry(tags_of: dict[str, list[str]]) -> str:
    return f"{len(tags_of)} {'entry carries' if len(tags_of) == 1 else 'entries carry'}"


def _some(tags_of: dict[str, list[str]]) -> str:
    """The first five entries with their tags, ``17013 (RUSSIA-EO14024), ... and 82 more``."""
    first = sorted(tags_of.items(), key=lambda item: (len(item[0]), item[0]))[:5]
    shown = ", ".join(
        f"{party_id.removeprefix('ofac:')} ({' '.join(tags)})" for party_id, tags in first
    )
    return shown + (f" and {len(tags_of) - 5} more" if len(tags_of) > 5 else "")


def _cut_remarks(
    file: str, list_code: str, remarks_of: dict[str, str], warnings: list[str]
) -> list[str]:
    """Remarks the main file cut at 1,000 characters, with no comments file to continue
    them: the cut last item is dropped (a part of an alias or a name is not written), and
    the report names each entry and what it could not read. Returns their numbers."""
    comments = _published_name(FAMILY_OF_LIST[list_code], "comments")
    cut = []
    for number, text in remarks_of.items():
        if len(text) < REMARKS_CUT_AT:
            continue
        cut.append(number)
        kept, _, tail = text.rpartition("; ")
        remarks_of[number] = kept
        warnings.append(
            f"{file}, entry {number}: remarks cut at {REMARKS_CUT_AT:,} characters and no "
            f"{comments} beside it to continue them; the cut last item is not read: {tail}"
        )
    return cut


def _read_companions(
    main_file: str,
    companions: dict[str, Path],
    parties: dict[str, Party],
    remarks_of: dict[str, str],
    problems: Problems,
) -> dict[str, str]:
    """Read the companion files into the parties; return each file's SHA-256 by name."""
    addresses: dict[str, list[str | None]] = {}
    digests: dict[str, str] = {}
    for role, path in companions.items():
        table = _rows(path, WIDTHS[role], USED[role], problems)
        digests[path.name] = table.sha256
        for line, cells in table.records:
            number = cells[0]
            if number is None or number not in remarks_of:
                problems.add(
                    path.name,
                    f"ent_num {number!r} is not an entry of {main_file}",
                    line=line,
                    field_name="ent_num",
                )
                continue
            party = parties.get(f"ofac:{number}")
            if role == "comments":  # the remark continues where the main file cut it
                remarks_of[number] += cells[1] or ""
            elif party is None:
                continue  # a vessel's or aircraft's
            elif role == "add":
                addresses.setdefault(number, []).append(cells[1])
            elif role == "alt":
                alias_kind = (cells[1] or "").lower().replace(".", "")
                if cells[2]:
                    party.aliases.append((cells[2], ALIAS_KINDS.get(alias_kind), False))
    for number, countries in addresses.items():
        parties[f"ofac:{number}"].located_in = ofac.one_country(countries)
    return digests


def _apply_remarks(party: Party, text: str, file: str, line: int, problems: Problems) -> None:
    remarks = ofac.read_remarks(text)
    party.identifiers = remarks.identifiers
    party.aliases += [(name, "aka", True) for name in remarks.weak_aliases]
    party.linked_names = remarks.linked_names
    on_capta = any(listing.list_code == "CAPTA" for listing in party.listings)
    if not party.kind:
        party.kind = ofac.entity_kind(party.name, party.identifier("bic") is not None, on_capta)
    party.jurisdiction = ofac.jurisdiction_of(remarks, party.kind)
    for _ in range(ofac.set_listing_facts(party, remarks, text)):
        problems.add(
            file,
            f"entry {party.entry}: a CAPTA listing whose remarks state "
            "no measure (expected 'prohibited from opening or maintaining')",
            line=line,
            field_name="Remarks",
        )
