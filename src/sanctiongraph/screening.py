"""Screen names against published lists: possible matches by name, exact ones by code.

A name is folded to ASCII (``anyascii``), lower-cased, stripped of punctuation, legal-form
words (LLC, JSC, Co Ltd, GmbH, ...) and filler words, spelled the same way for common
transliteration variants, and its words are sorted (word order does not count). Two
names are compared with rapidfuzz's Indel ratio on the whole folded name and on its
distinctive words (those that are not generic, such as *bank*, *trading*,
*international*); the score is the mean of the two, 0 to 1. A name match is only a
*possible* match: it is never applied on its own. BIC (8 = 11 with ``XXX``), LEI and IMO
numbers match exactly after normalisation (score 1).

docs/screening.md explains the choices and the measured speed and quality.
"""

from __future__ import annotations

import builtins
import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import itemgetter
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz, process

from sanctiongraph.imports import read_tables
from sanctiongraph.imports.history import Tables
from sanctiongraph.imports.model import lei_check_digits_ok
from sanctiongraph.ingest.errors import IngestError, InputError
from sanctiongraph.sniff import import_format, not_a_source

DEFAULT_THRESHOLD = 0.88

# Words that say what kind of legal person a company is, not which one (after folding:
# "S.A." and "O.O.O." arrive as "sa" and "ooo").
LEGAL_FORMS = frozenset(
    [
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "cos",
        "plc",
        "pllc",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "ao",
        "oao",
        "zao",
        "pao",
        "ooo",
        "tov",
        "pat",
        "at",
        "sa",
        "sas",
        "sarl",
        "sal",
        "spa",
        "srl",
        "sro",
        "as",
        "asa",
        "ab",
        "oy",
        "oyj",
        "ag",
        "gmbh",
        "kg",
        "ohg",
        "ug",
        "bv",
        "nv",
        "vof",
        "pte",
        "pvt",
        "pty",
        "bhd",
        "sdn",
        "tbk",
        "fze",
        "fzco",
        "fzc",
        "fzllc",
        "est",
        "wll",
        "kft",
        "zrt",
        "nyrt",
        "doo",
        "dd",
        "ad",
        "eood",
        "jsco",
    ]
)
# Words that join others without naming anything.
FILLER = frozenset(
    [
        "the",
        "of",
        "and",
        "for",
        "in",
        "at",
        "de",
        "des",
        "du",
        "la",
        "le",
        "el",
        "al",
        "von",
        "van",
        "der",
    ]
)
# One spelling for words that are written in several ways.
SAME_WORD = {
    "banking": "bank",
    "banque": "bank",
    "banco": "bank",
    "banca": "bank",
    "bankasi": "bank",
    "bk": "bank",
    "intl": "international",
    "int": "international",
    "natl": "national",
    "grp": "group",
    "hldgs": "holding",
    "holdings": "holding",
    "svcs": "services",
    "service": "services",
    "ind": "industrial",
    "industries": "industrial",
    "industry": "industrial",
    "mfg": "manufacturing",
    "trdg": "trading",
    "kredit": "credit",
}
# Phrases that name the same place (checked on the folded, space-separated name).
SAME_PHRASE = [
    (re.compile(r"\b(democratic peoples republic of korea|north korea|d p r k|dprk)\b"), "dprk"),
    (re.compile(r"\b(islamic republic of iran|iri)\b"), "iran"),
    (re.compile(r"\brussian federation\b"), "russia"),
    (re.compile(r"\b(united arab emirates|u a e)\b"), "uae"),
]
# Words many unrelated names share: they count in the whole name, not in the distinctive
# part, so that "Bank of China" does not resemble "Bank of Kunlun".
GENERIC = frozenset(
    [
        "bank",
        "international",
        "trading",
        "trade",
        "group",
        "holding",
        "national",
        "commercial",
        "development",
        "investment",
        "investments",
        "industrial",
        "foreign",
        "general",
        "enterprise",
        "enterprises",
        "import",
        "export",
        "shipping",
        "services",
        "global",
        "credit",
        "financial",
        "finance",
        "insurance",
        "islamic",
        "state",
        "central",
        "republic",
        "joint",
        "stock",
        "united",
        "new",
        "first",
        "management",
        "capital",
        "energy",
        "oil",
        "gas",
        "petroleum",
        "construction",
        "engineering",
        "technology",
        "technologies",
        "equipment",
        "import-export",
        "economic",
        "cooperative",
        "cooperation",
        "agency",
        "office",
        "ministry",
        "department",
        "corporation",
    ]
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SINGLE_LETTER_RUN = re.compile(r"\b(?:[a-z] )+[a-z]\b")
_DOUBLED = re.compile(r"(.)\1+")


def _spelling(word: str) -> str:
    """One spelling for common transliteration variants of a word (Yuriy, Yuri, Iouri;
    Mohammed, Mohamed; Khalil, Halil; Sergey, Sergei)."""
    if word.isdigit():
        return word
    word = word.replace("kh", "h").replace("ph", "f").replace("ou", "u").replace("y", "i")
    return _DOUBLED.sub(r"\1", word)


def fold(name: str) -> str:
    """``name`` in lower-case ASCII words separated by single spaces, with runs of
    single letters joined (``S.A.`` -> ``sa``) and place phrases made one."""
    text = anyascii(name).lower().replace("&", " and ").replace("'", "")
    text = _NOT_WORD.sub(" ", text).strip()
    text = _SINGLE_LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), text)
    for phrase, same in SAME_PHRASE:
        text = phrase.sub(same, text)
    return text


def name_words(name: str) -> list[str]:
    """The words of ``name`` that tell it apart: folded, without legal forms and filler
    words (unless nothing else is left), one spelling each, in their order."""
    words = [SAME_WORD.get(w, w) for w in fold(name).split()]
    kept = [w for w in words if w not in LEGAL_FORMS and w not in FILLER]
    if not kept:
        kept = [w for w in words if w not in FILLER] or words
    return [_spelling(w) for w in kept]


@dataclass(frozen=True)
class NameKey:
    """A name as it is compared: all its words sorted and in their order, and its
    distinctive words sorted."""

    whole: str
    ordered: str
    distinctive: str


def name_key(name: str) -> NameKey:
    words = name_words(name)
    distinct = [w for w in words if w not in GENERIC] or words
    return NameKey(" ".join(sorted(words)), " ".join(words), " ".join(sorted(distinct)))


def _whole_score(a: NameKey, b: NameKey, cutoff: float = 0) -> float:
    """Indel ratio of the whole names, 0 to 100: words sorted, or in their order when
    that is closer (a typo in a first letter changes the sorted order)."""
    return max(
        fuzz.ratio(a.whole, b.whole, score_cutoff=cutoff),
        fuzz.ratio(a.ordered, b.ordered, score_cutoff=cutoff),
    )


def name_score(a: str, b: str) -> float:
    """How much name ``a`` resembles name ``b``, 0 to 1 (the score :func:`screen` uses)."""
    ka, kb = name_key(a), name_key(b)
    score = round((_whole_score(ka, kb) + fuzz.ratio(ka.distinctive, kb.distinctive)) / 200, 2)
    return exact_or_below_one(score, fold(a), fold(b))


def exact_or_below_one(score: float, folded: str, other_folded: str) -> float:
    """``score``, but 1.0 only for names that are the same once folded (:func:`fold`:
    case, punctuation, script): a name that differs in a letter, a legal form or the
    order of its words scores at most 0.99, so 1.00 always means the same name."""
    if score >= 1.0 and folded != other_folded:
        return 0.99
    return score


# ---- identifiers ------------------------------------------------------------------

_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def normal_bic(value: str) -> str | None:
    """A BIC in its 11-character form (an 8-character BIC is its ``XXX`` branch), or
    ``None`` when ``value`` is not a BIC."""
    text = re.sub(r"[\s-]", "", value).upper()
    if not _BIC.fullmatch(text):
        return None
    return text + "XXX" if len(text) == 8 else text


def normal_lei(value: str) -> str | None:
    """An LEI (20 characters, ISO 17442 check digits), upper case, or ``None``."""
    text = re.sub(r"\s", "", value).upper()
    return text if lei_check_digits_ok(text) else None


def normal_imo(value: str) -> str | None:
    """An IMO number: its 7 digits (``IMO 9123456`` -> ``9123456``), or ``None``."""
    text = re.sub(r"(?i)^\s*imo\s*(no\.?|number)?\s*", "", value).strip()
    return text if re.fullmatch(r"\d{7}", text) else None


IDENTIFIERS = {"bic": normal_bic, "lei": normal_lei, "imo": normal_imo}


# ---- lists ------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryListing:
    """One designation of a list entry (a ``designations.csv`` row): its list, program
    and dates (docs/data-package.md, "Histories and *possibly listed*")."""

    list: str
    program: str = ""
    start: str = ""  # ISO dates; empty: no bound
    end: str = ""
    possibly_from: str = ""  # "open": any time before start
    possibly_until: str = ""

    def status(self, day: str) -> str:
        """``listed``, ``possibly_listed``, ``delisted`` or ``not_yet_listed`` on ISO
        date ``day``."""
        after_start = not self.start or self.start <= day
        before_end = not self.end or day < self.end
        if after_start and before_end:
            return "listed"
        if not after_start:
            since = "" if self.possibly_from == "open" else self.possibly_from
            if self.possibly_from and since <= day:
                return "possibly_listed"
            return "not_yet_listed"
        if self.possibly_until and day < self.possibly_until:
            return "possibly_listed"
        return "delisted"


# The order in which a status says more about an entry on one list.
_STATUS_ORDER = {"listed": 0, "possibly_listed": 1, "delisted": 2, "not_yet_listed": 3}


@dataclass(frozen=True)
class ListStatus:
    """Where a list entry stands on one of its lists on a day."""

    list: str
    status: str | None  # None: a hand-made list that states no designation
    start: str | None = None  # the earliest start of its designations on the list
    end: str | None = None  # the latest end, None while one of them has none
    programs: tuple[str, ...] = ()


@dataclass
class ListEntry:
    """One list entry as screening sees it."""

    list: str  # the list of its publication (or the package's name)
    entry: str
    name: str
    person: bool
    names: builtins.list[str] = field(default_factory=builtins.list)  # the name and its aliases
    codes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    id: str = ""  # the entity's id in the package (or its IRI in a store)
    listings: builtins.list[EntryListing] = field(default_factory=builtins.list)

    def statuses(self, day: str) -> builtins.list[ListStatus]:
        """The entry's status on each of its lists on ISO date ``day``; an entry without
        designations is on its publication's list with no status."""
        if not self.listings:
            return [ListStatus(self.list, None)]
        by_list: dict[str, builtins.list[EntryListing]] = defaultdict(builtins.list)
        for listing in self.listings:
            by_list[listing.list].append(listing)
        found = []
        for code, listings in sorted(by_list.items()):
            ends = [x.end for x in listings]
            found.append(
                ListStatus(
                    code,
                    min((x.status(day) for x in listings), key=_STATUS_ORDER.__getitem__),
                    min((x.start for x in listings if x.start), default=None),
                    None if "" in ends else max(ends),
                    tuple(sorted({x.program for x in listings if x.program})),
                )
            )
        return found


def entries_from_rows(
    rows: Mapping[str, Sequence[Mapping[str, str | None]]],
    default_list: str,
    registers: bool = False,
) -> list[ListEntry]:
    """List entries from data-package rows (``entities.csv``, ``aliases.csv``,
    ``identifiers.csv``, ``publications.csv``, ``designations.csv``, each a list of dicts
    by column). An entity stated by a publication but designated on no list (a
    register's record: GLEIF, BODS, an FtM entity without a sanction) is left out unless
    ``registers``; an entity no publication states (a hand-made list) is an entry of
    its package's list, ``default_list``, unless the package designates some of its
    entities: then only those are entries (a bank's package is no list of its
    customers)."""
    list_of = {_cell(p, "id"): _cell(p, "list") for p in rows.get("publications.csv", [])}
    listings: dict[str, list[EntryListing]] = defaultdict(list)
    for d in rows.get("designations.csv", []):
        if _cell(d, "entity") and _cell(d, "list"):
            listings[_cell(d, "entity")].append(
                EntryListing(
                    _cell(d, "list"),
                    _cell(d, "program"),
                    _cell(d, "start"),
                    _cell(d, "end"),
                    _cell(d, "possibly_from"),
                    _cell(d, "possibly_until"),
                )
            )
    entities = rows.get("entities.csv", [])
    listed_only = any(_cell(e, "entry") for e in entities)
    designated_only = bool(listings)  # a package that designates some: those are its list
    entries: dict[str, ListEntry] = {}
    for e in entities:
        if listed_only and not _cell(e, "entry"):
            continue
        if designated_only and not registers and not listings.get(_cell(e, "id")):
            continue  # a bank's own counterparty beside the entities it designates
        publication = _cell(e, "publication").split(";")[0].strip()
        if publication and not registers and not listings.get(_cell(e, "id")):
            continue  # a register's record, on no list
        one = ListEntry(
            list_of.get(publication) or default_list,
            _cell(e, "entry") or _cell(e, "id"),
            _cell(e, "name"),
            _cell(e, "kind") == "person",
            [_cell(e, "name")],
            id=_cell(e, "id"),
            listings=listings.get(_cell(e, "id"), []),
        )
        for scheme in ("bic", "lei"):
            code = IDENTIFIERS[scheme](_cell(e, scheme))
            if code:
                one.codes[scheme].add(code)
        entries[_cell(e, "id")] = one
    for alias in rows.get("aliases.csv", []):
        if _cell(alias, "entity") in entries and _cell(alias, "name"):
            entries[_cell(alias, "entity")].names.append(_cell(alias, "name"))
    for ident in rows.get("identifiers.csv", []):
        scheme = _cell(ident, "scheme").lower()
        if _cell(ident, "entity") in entries and scheme in IDENTIFIERS:
            code = IDENTIFIERS[scheme](_cell(ident, "value"))
            if code:
                entries[_cell(ident, "entity")].codes[scheme].add(code)
    return list(entries.values())


def _cell(row: Mapping[str, str | None], column: str) -> str:
    return row.get(column) or ""


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_package(folder: Path) -> list[ListEntry]:
    """The list entries of a data package folder (as ``sanctiongraph import`` writes)."""
    files = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    rows: dict[str, list[dict[str, str]]] = {}
    errors: list[InputError] = []
    for name in (
        "entities.csv",
        "aliases.csv",
        "identifiers.csv",
        "publications.csv",
        "designations.csv",
    ):
        if name not in files:
            continue
        try:
            rows[name] = _csv_rows(files[name])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            errors.append(InputError(str(files[name]), f"cannot read it ({exc})"))
            continue
        needed = {
            "entities.csv": ("id", "name"),
            "aliases.csv": ("entity", "name"),
            "identifiers.csv": ("entity", "scheme", "value"),
            "publications.csv": ("id", "list"),
            "designations.csv": ("entity", "list"),
        }[name]
        header = set(rows[name][0]) if rows[name] else set(needed)
        errors += [
            InputError(str(files[name]), "missing column", 1, c) for c in needed if c not in header
        ]
    if errors:
        raise IngestError(errors)
    return entries_from_rows(rows, folder.name)


def list_format(path: Path) -> str | None:
    """The ``sanctiongraph import`` format that reads list file ``path``, if known."""
    if path.is_dir():
        return "ofac-csv"
    return import_format(not_a_source(path) or "")


def read_lists(paths: Iterable[Path], as_of: date | None = None) -> list[ListEntry]:
    """List entries of imported packages (folders holding ``entities.csv``) and of
    published list files, imported in memory with the ``sanctiongraph import`` readers
    (a file that carries no date is read as published on ``as_of``, default today).
    Raises :class:`IngestError` naming every path that cannot be read."""
    entries: list[ListEntry] = []
    errors: list[InputError] = []
    for path in paths:
        try:
            if not path.exists():
                raise IngestError([InputError(str(path), "no such file or folder")])
            if path.is_dir() and any(p.name.lower() == "entities.csv" for p in path.iterdir()):
                entries += read_package(path)
                continue
            fmt = list_format(path)
            if fmt is None:
                raise IngestError(
                    [
                        InputError(
                            str(path),
                            "not a data package folder (no "
                            "entities.csv) nor a list file that "
                            "`sanctiongraph import` reads",
                        )
                    ]
                )
            entries += entries_from_rows(_read_undated(fmt, path, as_of).rows, path.name)
        except IngestError as exc:
            errors += exc.errors
        except OSError as exc:
            errors.append(InputError(str(path), f"cannot read it ({exc.strerror})"))
    if errors:
        raise IngestError(errors)
    return entries


def _read_undated(fmt: str, path: Path, as_of: date | None) -> Tables:
    """Import ``path`` in memory. A file that carries no date is read as published on
    ``as_of`` (default today): it shows the list as of the day screened for, but says
    nothing of when its entries were listed, so their designations keep no dates (a
    start on the as-of date would be made up)."""
    try:
        return read_tables(fmt, [path])
    except IngestError as exc:
        if not all("no publication date" in e.message for e in exc.errors):
            raise
    tables = read_tables(fmt, [path], as_of or date.today())
    for row in tables.rows["designations.csv"]:
        if row.get("start_basis") == "publications":
            for column in ("start", "start_basis", "possibly_from"):
                row.pop(column, None)
    return tables


# ---- names to screen --------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One row of the file of names to screen."""

    id: str
    name: str
    kind: str = ""
    country: str = ""
    codes: dict[str, str] = field(default_factory=dict)  # scheme -> normalised value


NAME_COLUMNS = ("id", "name")


def read_subjects(path: Path) -> list[Subject]:
    """The rows of a names file (``id,name`` and optional ``country,kind,bic,lei,imo``);
    :class:`IngestError` with file, row and column of every problem."""
    file = str(path)
    if not path.is_file():
        raise IngestError([InputError(file, "no such file")])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            body = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError([InputError(file, f"cannot read it as UTF-8 CSV ({exc})")]) from None
    if header is None:
        raise IngestError(
            [InputError(file, "the file is empty; expected a header row with id,name")]
        )
    header = [h.strip().lower() for h in header]
    missing = [InputError(file, "missing column", 1, c) for c in NAME_COLUMNS if c not in header]
    if missing:
        raise IngestError(missing)
    if not body:
        raise IngestError([InputError(file, "no names to screen (only a header row)")])
    errors: list[InputError] = []
    subjects: list[Subject] = []
    seen: set[str] = set()
    for number, cells in enumerate(body, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells)))
        if len(cells) > len(header):
            errors.append(
                InputError(file, f"{len(cells)} cells where the header has {len(header)}", number)
            )
            continue
        for column in NAME_COLUMNS:
            if not row.get(column):
                errors.append(InputError(file, "empty", number, column))
        if row.get("id") in seen:
            errors.append(InputError(file, f"id {row['id']!r} is used twice", number, "id"))
        seen.add(row.get("id", ""))
        codes: dict[str, str] = {}
        for scheme, normal in IDENTIFIERS.items():
            if row.get(scheme):
                code = normal(row[scheme])
                if code is None:
                    errors.append(
                        InputError(
                            file, f"{row[scheme]!r} is not a valid {scheme.upper()}", number, scheme
                        )
                    )
                else:
                    codes[scheme] = code
        subjects.append(
            Subject(
                row.get("id", ""),
                row.get("name", ""),
                row.get("kind", "").lower(),
                row.get("country", ""),
                codes,
            )
        )
    if errors:
        raise IngestError(errors)
    return subjects


# ---- screening --------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A possible match of a screened name with a list entry."""

    list: str
    entry: str
    name: str  # the entry's name
    matched_name: str  # the name or alias that matched, or the matching code
    score: float
    by: str  # name, bic, lei, imo
    status: str | None = None  # on ``list`` on the day screened for (ListStatus)
    start: str | None = None
    end: str | None = None
    programs: tuple[str, ...] = ()
    entity: str = field(default="", compare=False)  # ListEntry.id (not in the output)

    def as_dict(self) -> dict[str, object]:
        return {
            "list": self.list,
            "entry": self.entry,
            "name": self.name,
            "matched_name": self.matched_name,
            "score": self.score,
            "by": self.by,
            "status": self.status,
            "start": self.start,
            "end": self.end,
            "programs": list(self.programs),
        }


_BY_ORDER = {"lei": 0, "bic": 1, "imo": 2, "name": 3}


def _kind_fits(subject: Subject, entry: ListEntry) -> bool:
    """A person is only screened against people, an organisation only against others;
    a row without ``kind`` against all."""
    if not subject.kind:
        return True
    return (subject.kind in ("person", "individual")) == entry.person


def screen(
    subjects: Sequence[Subject],
    entries: Sequence[ListEntry],
    threshold: float = DEFAULT_THRESHOLD,
    branches: bool = False,
    as_of: date | None = None,
) -> list[list[Match]]:
    """For each subject, its possible matches, best first: every entry whose name or an
    alias scores at least ``threshold`` (one match an entry and list, its best name), and
    every entry with the same BIC, LEI or IMO number (score 1). An entry designated on
    several lists gives one match a list, with its status there on ``as_of`` (default
    today). With ``branches``, a branch BIC also matches its institution's BIC
    (:func:`institution_bic`): the linker uses it (a branch is the same legal person);
    ``sanctiongraph screen`` does not."""
    found: list[dict[int, Match]] = [{} for _ in subjects]
    by_code: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        for scheme, codes in entry.codes.items():
            for code in codes:
                by_code[(scheme, code)].append(index)
    for s, subject in enumerate(subjects):
        for scheme, code in subject.codes.items():
            for index in _code_matches(by_code, scheme, code, branches):
                entry = entries[index]
                if index not in found[s] or _BY_ORDER[scheme] < _BY_ORDER[found[s][index].by]:
                    found[s][index] = Match(
                        entry.list, entry.entry, entry.name, code, 1.0, scheme, entity=entry.id
                    )
    _screen_names(subjects, entries, threshold, found)
    day = (as_of or date.today()).isoformat()
    return [
        sorted(
            (
                replace(
                    match,
                    list=status.list,
                    status=status.status,
                    start=status.start,
                    end=status.end,
                    programs=status.programs,
                )
                for index, match in matches.items()
                for status in entries[index].statuses(day)
            ),
            key=lambda m: (-m.score, _BY_ORDER[m.by], m.list, m.entry),
        )
        for matches in found
    ]


def institution_bic(bic: str) -> str:
    """The BIC of the institution a normalised BIC belongs to: its first 8 characters
    and ``XXX`` (a branch code ``FTBDKPPY123`` belongs to ``FTBDKPPYXXX``)."""
    return bic[:8] + "XXX"


def _code_matches(
    by_code: dict[tuple[str, str], list[int]], scheme: str, code: str, branches: bool
) -> list[int]:
    """The entries with the same code; with ``branches``, for a branch BIC also the
    entries whose BIC is its institution's."""
    found = list(by_code.get((scheme, code), []))
    if branches and scheme == "bic" and institution_bic(code) != code:
        found += [i for i in by_code.get((scheme, institution_bic(code)), []) if i not in found]
    return found


def _block_keys(distinctive: str) -> set[str]:
    """The blocking keys of a name's distinctive words: each word, and for words of four
    letters or more each way of dropping one letter (so one typo, dropped or added
    letter still shares a key: a symmetric-deletion index)."""
    keys: set[str] = set()
    for word in distinctive.split():
        keys.add(word)
        if len(word) > 3:
            keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return keys


def _screen_names(
    subjects: Sequence[Subject],
    entries: Sequence[ListEntry],
    threshold: float,
    found: list[dict[int, Match]],
) -> None:
    """Add the name matches. Each distinct folded name is scored with rapidfuzz against
    the list names that share a blocking key with it (:func:`_block_keys`), not against
    all of them."""
    list_keys: dict[NameKey, list[tuple[int, str]]] = defaultdict(list)
    for index, entry in enumerate(entries):
        for name in entry.names:
            list_keys[name_key(name)].append((index, name))
    choices = list(list_keys)
    index_of: dict[str, list[int]] = defaultdict(list)
    for c, key in enumerate(choices):
        for block in _block_keys(key.distinctive):
            index_of[block].append(c)
    sorted_texts = [k.whole for k in choices]
    ordered_texts = [k.ordered for k in choices]
    subject_keys: dict[NameKey, list[int]] = defaultdict(list)
    for s, subject in enumerate(subjects):
        subject_keys[name_key(subject.name)].append(s)
    folded: dict[str, str] = {}  # only for names that score 1 (exact_or_below_one)
    # the mean of two ratios >= t needs each >= 2t - 1: a cutoff that loses nothing
    cutoff = max(0.0, 200 * threshold - 100)
    for key, rows in subject_keys.items():
        candidates = list(
            set().union(*[index_of.get(block, ()) for block in _block_keys(key.distinctive)])
        )
        if not candidates:
            continue
        pick = (
            itemgetter(*candidates)
            if len(candidates) > 1
            else itemgetter(slice(candidates[0], candidates[0] + 1))
        )
        wholes: dict[int, float] = {}
        for text, texts in ((key.whole, sorted_texts), (key.ordered, ordered_texts)):
            for _, score, i in process.extract(
                text, pick(texts), scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                c = candidates[i]
                wholes[c] = max(score, wholes.get(c, 0))
        for c, whole in wholes.items():
            distinct = fuzz.ratio(key.distinctive, choices[c].distinctive, score_cutoff=cutoff)
            score = round((whole + distinct) / 200, 2)
            if score < threshold:
                continue
            for s in rows:
                for index, name in list_keys[choices[c]]:
                    entry = entries[index]
                    if not _kind_fits(subjects[s], entry):
                        continue
                    final = score
                    if score >= 1.0:
                        mine, theirs = subjects[s].name, name
                        final = exact_or_below_one(
                            score,
                            folded.setdefault(mine, fold(mine)),
                            folded.setdefault(theirs, fold(theirs)),
                        )
                        if final < threshold:
                            continue
                    old = found[s].get(index)
                    if old is None or (old.by == "name" and final > old.score):
                        found[s][index] = Match(
                            entry.list,
                            entry.entry,
                            entry.name,
                            name,
                            final,
                            "name",
                            entity=entry.id,
                        )
