"""What OFAC's list files share: program tags, lists, kinds, and the remarks.

The legacy CSV and ``sdn.xml`` write most facts about an entry into its remarks, as
``; ``-separated features: ``SWIFT/BIC FTBDKPPY``, ``Registration ID 1027700132195
(Russia)``, ``Nationality of Registration Russia``, ``Linked To: NAME.``,
``a.k.a. 'weak alias'``. :func:`read_remarks` turns them into a :class:`Remarks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sanctiongraph.imports.countries import country_code
from sanctiongraph.imports.model import LEI_PATTERN, Party, Problems

BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IMO = re.compile(r"^[0-9]{7}$")

# The lists of OFAC's consolidated (non-SDN) files, by program tag: the legacy CSV
# names no list, the advanced XML does (LIST_NAMES). Tags not here go to CONS.
CONSOLIDATED_LISTS = {
    "561-Related": "CAPTA",
    "UKRAINE-EO13662": "SSI",
    "NS-PLC": "NS_PLC",
    "FSE-IR": "FSE",
    "FSE-SY": "FSE",
    "FSE-WMD": "FSE",
    "FSE-SDGT": "FSE",
    "CMIC-EO13959": "NS_CMIC",
    "CMIC-EO14032": "NS_CMIC",
    "RUSSIA-EO14024": "NS_MBS",
}
LIST_NAMES = {
    "SDN List": "SDN",
    "CAPTA List": "CAPTA",
    "Part 561 List": "PART_561",
    "Sectoral Sanctions Identifications List": "SSI",
    "Non-SDN Palestinian Legislative Council List": "NS_PLC",
    "FSE List": "FSE",
    "Non-SDN Menu-Based Sanctions List": "NS_MBS",
    "Non-SDN Chinese Military-Industrial Complex Companies List": "NS_CMIC",
    "Non-SDN Iran Sanctions Act List": "NS_ISA",
}
# Signs that an entry is on the consolidated (non-SDN) list rather than the SDN List:
# program tags no SDN entry carries on its own, and remarks only non-SDN entries have.
# OFAC's consolidated files show one on almost every entry, its SDN files on very few.
NON_SDN_PROGRAMS = {"561-Related", "NS-PLC", "NS-ISA", "FSE-IR", "FSE-SY", "FSE-WMD"}
NON_SDN_PROGRAMS |= {"FSE-SDGT", "CMIC-EO13959", "CMIC-EO14032"}
NON_SDN_REMARKS = re.compile(
    r"Subject to Directive|Listing Date \(EO 14024 Directive|Sectoral Sanctions", re.IGNORECASE
)
UMBRELLA_LISTS = {"Consolidated List"}  # every consolidated entry is on it: not a list of its own
LIST_LABELS = {"SDN": "OFAC SDN List", "CONS": "OFAC Consolidated (non-SDN) List"}

BANK_WORDS = re.compile(r"\b(BANK|BANKING|BANCO|BANQUE|BANCA|BANKA|BANKASI|BANKI)\b", re.IGNORECASE)
CENTRAL_BANK = re.compile(r"\bCENTRAL BANK\b|\bBANK MARKAZI\b", re.IGNORECASE)
GOVERNMENT = re.compile(r"^GOVERNMENT OF\b", re.IGNORECASE)
CAPTA_PROHIBITED = re.compile(r"prohibited from opening or maintaining", re.IGNORECASE)
CAPTA_AUTHORITY = re.compile(
    r"pursuant\s+to\s+31\s*C\.?\s*F\.?\s*R\.?\s*(?:section\s+|§+\s*)?"
    r"(?P<section>\d{3}\.\d{3})(?P<paragraphs>(?:\([a-z0-9]{1,4}\))*)",
    re.IGNORECASE,
)
# Numbers a company registry gives: their country is where the entry is registered.
REGISTRATION_KINDS = (
    "Registration ID",
    "Business Registration Number",
    "Registration Number",
    "Commercial Registry Number",
    "Public Registration Number",
    "UK Company Number",
    "Company Number",
    "Business Number",
    "Folio Mercantil No.",
    "C.R. No.",
    "Chamber of Commerce Number",
    "Istanbul Chamber of Comm. No.",
    "Enterprise Number",
    "Trade License No.",
    "Central Registration System Number",
    "Economic Register Number",
    "Certificate of Incorporation Number",
    "Government Gazette Number",
    "Unified Social Credit Code (USCC)",  # China
    "Business Registration Document #",
    "Matricula Mercantil No",
)
NATIONAL_ID = "National ID No."
"""A national identity number; of a company (Iran's "national ID" of a legal entity),
where it was issued is where the company is registered."""
LISTING_DATE = re.compile(
    r"^Listing Date \((?P<what>[^)]*)\):?\s*(?P<date>\d{1,2} [A-Z][a-z]{2} \d{4})"
)
COUNTRY_IN_PARENS = re.compile(r"^(?P<value>.*?)\s*\((?P<country>[^()]+)\)$")


def split_programs(cell: str) -> list[str]:
    """``IRAN] [SDGT] [IRGC] [IFSR`` -> the four tags, as published."""
    return [p.strip() for p in cell.strip().strip("[]").split("] [") if p.strip()]


def shows_non_sdn(programs: list[str], remarks: str) -> bool:
    """Whether an entry's programs or remarks show a consolidated (non-SDN) list entry."""
    return bool(NON_SDN_PROGRAMS.intersection(programs)) or bool(NON_SDN_REMARKS.search(remarks))


def list_of_file(
    file: str,
    name_says: str | None,
    non_sdn: int,
    entries: int,
    file_names: dict[str, str],
    problems: Problems,
    warnings: list[str],
) -> str | None:
    """The list (``SDN`` or ``CONS``) a legacy CSV or ``sdn.xml`` file publishes, from
    its entries: ``non_sdn`` of its ``entries`` show a non-SDN list (:func:`shows_non_sdn`).
    Three in four or more make it the consolidated list, one in four or fewer the SDN
    List; otherwise the file name decides (``name_says``), and with no name to go by it
    is a problem asking for the list's file name (``file_names``, by list). A name that
    says the other list is a problem too; a name that says none gets a warning saying
    how the entries decided."""
    content: str | None = None
    if entries and non_sdn * 4 >= entries * 3:
        content = "CONS"
    elif entries and non_sdn * 4 <= entries:
        content = "SDN"
    shown = f"{non_sdn} of its {entries} entries show a non-SDN program or remark"
    if content is not None and name_says is not None and content != name_says:
        problems.add(
            file,
            f"the file name says the {LIST_LABELS[name_says]} but {shown}, so it looks "
            f"like the {LIST_LABELS[content]}; give the file its list's name "
            f"({file_names[content]}) or check that it is the file you meant",
        )
        return None
    if content is None and name_says is None and entries:
        problems.add(
            file,
            f"cannot tell whether this is the SDN List or the consolidated (non-SDN) list: "
            f"{shown}; name the file after its list ({file_names['SDN']} or "
            f"{file_names['CONS']})",
        )
        return None
    if name_says is None and content is not None:
        warnings.append(
            f"{file}: its name does not say which list it is; read as the "
            f"{LIST_LABELS[content]} because {shown} (to say so in its name: {file_names[content]})"
        )
    return content or name_says


def list_in_name(file: str) -> str | None:
    """The list an XML file's name says: ``consolidated.xml``, ``cons_advanced.xml`` (any
    name with ``cons`` or ``non-sdn``) the consolidated list, ``sdn.xml`` the SDN List."""
    name = file.lower().replace("_", "-")
    if "cons" in name or "non-sdn" in name:
        return "CONS"
    return "SDN" if "sdn" in name else None


def consolidated_list(program: str) -> str:
    return CONSOLIDATED_LISTS.get(program, "CONS")


SDN_TOO = {"RUSSIA-EO14024"}
"""Tags of a non-SDN list that are SDN programs as well (E.O. 14024 blocks, and its
directives list on NS-MBS): never taken from an entry's SDN listing."""


def own_programs(programs_of: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each of an entry's lists with its own programs, where the file gives every list
    of the entry all of the entry's programs (the advanced XML does: Rosneft Trading's
    SDN and SSI entries both carry UKRAINE-EO13662 and VENEZUELA-EO13850). A tag of a
    non-SDN list (:data:`CONSOLIDATED_LISTS`) belongs to that list alone when the entry
    is on it, unless the SDN List uses it too (:data:`SDN_TOO`); a list with no tag of
    its own takes the others, or all when none is left."""
    claimed = {
        code: {p for p in programs if CONSOLIDATED_LISTS.get(p) == code and p not in SDN_TOO}
        for code, programs in programs_of.items()
    }
    taken = set().union(*claimed.values())
    return {
        code: claimed[code] or (programs - taken) or programs
        for code, programs in programs_of.items()
    }


def entity_kind(name: str, has_bic: bool, on_capta: bool) -> str:
    """The entities.csv kind of a list entry that is neither person nor transport."""
    if CENTRAL_BANK.search(name):
        return "central_bank"
    if GOVERNMENT.search(name):
        return "government"
    if has_bic or BANK_WORDS.search(name):
        return "bank"
    if on_capta:  # a foreign financial institution, by the list's definition
        return "financial_institution"
    return "company"


def capta_authority(text: str) -> str | None:
    """The section of 31 CFR under which an entry's remarks say its CAPTA listing was
    made, as a citation: the sentence that states the measure ("... prohibited from
    opening or maintaining ..., pursuant to 31 C.F.R. section 561.201(c).", read for 300
    characters from "prohibited") gives ``31 CFR 561.201(c)``; ``None`` when it names none."""
    prohibited = CAPTA_PROHIBITED.search(text)  # the section of that sentence, no other
    sentence = text[prohibited.start() : prohibited.start() + 300] if prohibited else ""
    found = CAPTA_AUTHORITY.search(sentence)
    return f"31 CFR {found['section']}{found['paragraphs']}" if found else None


def capta_measure(text: str) -> str | None:
    """The CAPTA measure that an entry's remarks state, if they state one."""
    if CAPTA_PROHIBITED.search(text):
        return "prohibit_maintain"
    return None


@dataclass
class Remarks:
    identifiers: list[tuple[str, str, str | None]] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    linked_names: list[str] = field(default_factory=list)
    registered_in: set[str] = field(default_factory=set)  # countries of registration
    nationality: str | None = None  # of a person: the one country of its nationalities
    listing_dates: list[tuple[str, date]] = field(default_factory=list)  # (what, date)

    def listing_date(self, program: str | None, listings: int) -> date | None:
        """The date a "Listing Date (...)" remark states for the listing under
        ``program``: the remark must name the program (``EO 14024`` for
        RUSSIA-EO14024, ``CMIC``), or be the only one of an entry with one listing."""
        found = [
            day
            for what, day in self.listing_dates
            if any(
                len(token) >= 4 and token in (program or "").upper()
                for token in re.findall(r"[A-Z0-9]+", what.upper())
            )
        ]
        if not found and listings == 1 and len(self.listing_dates) == 1:
            found = [self.listing_dates[0][1]]
        return min(found) if found else None


FEATURE = re.compile(
    r"(?:alt\. )?(Linked To:|a\.k\.a\. ['\"]|SWIFT/BIC |Legal Entity Number |Company Number IMO |"
    r"IMO |Nationality of Registration |nationality |Tax ID No\. |National ID No\. |"
    r"Listing Date |" + "|".join(re.escape(kind + " ") for kind in REGISTRATION_KINDS) + ")"
)


def read_remarks(text: str | None) -> Remarks:
    """The facts of an entry's remarks (a fresh object; parsing is cached by text,
    since successive publications repeat most remarks)."""
    identifiers, weak, linked, registered, nationality, dates = _parse_remarks(text or "")
    return Remarks(
        list(identifiers), list(weak), list(linked), set(registered), nationality, list(dates)
    )


_ParsedRemarks = tuple[
    tuple[tuple[str, str, str | None], ...],
    tuple[str, ...],
    tuple[str, ...],
    frozenset[str],
    str | None,
    tuple[tuple[str, date], ...],
]


@lru_cache(maxsize=65536)
def _parse_remarks(text: str) -> _ParsedRemarks:
    remarks = Remarks()
    nationalities: list[str] = []
    for raw in text.split(";"):
        feature = raw.strip().removesuffix(".").strip()
        found = FEATURE.match(feature)
        if found is None:
            continue
        kind, value = found.group(1), feature[found.end() :].strip()
        if kind == "Listing Date ":
            listing_date = LISTING_DATE.match(feature[found.start(1) :])
            if listing_date:
                try:
                    day = datetime.strptime(listing_date.group("date"), "%d %b %Y").date()
                    remarks.listing_dates.append((listing_date.group("what"), day))
                except ValueError:
                    pass
        elif kind == "Linked To:":
            remarks.linked_names.append(value)
        elif kind.startswith("a.k.a."):
            remarks.weak_aliases.append(value.strip("'\" "))
        elif kind == "SWIFT/BIC ":
            value = value.upper()
            remarks.identifiers.append(("bic" if BIC.fullmatch(value) else "swift", value, None))
        elif kind == "Legal Entity Number ":
            value, country = with_country(value)
            remarks.identifiers.append(
                ("lei" if LEI_PATTERN.fullmatch(value) else "lei_text", value, country)
            )
        elif kind in ("IMO ", "Company Number IMO "):
            if IMO.fullmatch(value):
                remarks.identifiers.append(("imo", value, None))
        elif kind == "Nationality of Registration ":
            code = country_code(value)
            if code:
                remarks.registered_in.add(code)
        elif kind == "nationality ":  # "nationality Iran; alt. nationality Germany"
            nationalities.append(value)
        elif kind == "Tax ID No. ":
            value, country = with_country(value)
            remarks.identifiers.append(("tax", value, country))
        else:  # a registry number, or a national ID (a person's jurisdiction is its nationality)
            value, country = with_country(value)
            scheme = "national_id" if kind == NATIONAL_ID + " " else "registration"
            remarks.identifiers.append((scheme, value, country))
            if country:
                remarks.registered_in.add(country)
    return (
        tuple(remarks.identifiers),
        tuple(remarks.weak_aliases),
        tuple(remarks.linked_names),
        frozenset(remarks.registered_in),
        one_country(nationalities),
        tuple(remarks.listing_dates),
    )


def with_country(text: str) -> tuple[str, str | None]:
    """``1027700132195 (Russia)`` -> ("1027700132195", "RU")."""
    found = COUNTRY_IN_PARENS.match(text.strip())
    if found:
        code = country_code(found.group("country"))
        if code:
            return found.group("value").strip(), code
    return text.strip(), None


def set_listing_facts(party: Party, remarks: Remarks, text: str) -> int:
    """Date ``party``'s non-SDN listings from the remarks' "Listing Date" (on SDN entries
    it dates a directive, not the SDN listing) and give its CAPTA listings their measure
    and the section they were made under;
    return how many CAPTA listings' remarks state none (the caller reports each)."""
    unstated = 0
    for listing in party.listings:
        if listing.list_code != "SDN":
            listing.start = remarks.listing_date(listing.program, len(party.listings))
        if listing.list_code == "CAPTA":
            listing.measure = capta_measure(text)
            listing.source = capta_authority(text)
            unstated += listing.measure is None
    return unstated


def one_country(places: Iterable[str | None]) -> str | None:
    """The one country that ``places`` (country names or ISO codes as a file writes
    them; empty for a place that names none) are all in: ``None`` when they name two,
    none, or one that is no country we know (``undetermined``, ``Region: Crimea``: it
    could be a second one)."""
    codes = set()
    for place in places:
        if place and place.strip():
            code = country_code(place)
            if code is None:
                return None
            codes.add(code)
    return codes.pop() if len(codes) == 1 else None


def jurisdiction_of(remarks: Remarks, kind: str) -> str | None:
    """Where the file says an entry is organised (its one country of registration), or
    for a person the nationality; never an address country."""
    if kind == "person":
        return remarks.nationality
    return next(iter(remarks.registered_in)) if len(remarks.registered_in) == 1 else None
