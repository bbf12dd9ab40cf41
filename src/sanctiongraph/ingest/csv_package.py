"""Map the CSV data package (``docs/data-package.md``) onto the ontology.

The mapping is a small table-driven mapper of our own rather than a declarative
mapping language: morph-kgc pins rdflib < 7.3, which pyshacl cannot run on, and the
rules we need (all-or-nothing validation with file, row and column, code lists read
from the ontology, ``;``-lists and the strict-condition mini-language) are easier to
state and test in plain Python. Rows count the header as row 1.

The mapper writes N-Triples text directly (no pyoxigraph object per triple): IRIs are
built only from checked values, and literals are escaped by :func:`literal`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, RDFS, XSD, Namespace
from rdflib.namespace import DefinedNamespace

from sanctiongraph.analysis.ownership import OPEN_START, RelationKey, relation_key
from sanctiongraph.ingest.characters import NOT_IN_XML, forbidden_character
from sanctiongraph.ingest.errors import IngestError, InputError
from sanctiongraph.ingest.source import EntryReference, Source
from sanctiongraph.namespaces import CODE, ID, REF, SG, country
from sanctiongraph.resources import reference_dir
from sanctiongraph.sniff import not_a_source

ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]+$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
LIST_PATTERN = re.compile(r"^[A-Z0-9_]+$")
# Program tags as OFAC publishes them, spaces included ("CAATSA - RUSSIA"); the IRI
# percent-encodes what is not [A-Za-z0-9_.-], so plain tags keep their IRIs.
PROGRAM_PATTERN = re.compile(r"^[A-Za-z0-9_.()-]+( [A-Za-z0-9_.()-]+)*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SCHEME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# A list entry as same_as / not_same_as name it: the entity id `sanctiongraph import`
# gives it (docs/data-package.md#linking-your-entities-to-list-entries).
ENTRY_REFERENCE = re.compile(r"^(ofac|un|lei|ftm|bods):[A-Za-z0-9._:-]+$")
IMO_PATTERN = re.compile(r"^[0-9]{7}$")
# ISO 9362 and ISO 17442, as shapes/common/bic.ttl and lei.ttl state them for RDF input.
BIC_PATTERN = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
HUNDRED = Decimal(100)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")  # a package's (graph's) name
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")  # written as Decimal writes it
TRUE = {"true", "yes", "1"}
FALSE = {"false", "no", "0"}


def iri(value: object) -> str:
    """An IRI as an N-Triples term. Only for IRIs built from the ontology, code lists
    or values that matched one of the patterns above: never raw cell text."""
    return f"<{value}>"


def literal(text: str) -> str:
    """A string literal in N-Triples. STRING_LITERAL_QUOTE forbids a raw ``"``, ``\\``,
    LF and CR, so these are escaped (the backslash first); every other character may
    stay as it is. (Chained replace: ten times faster than ``str.translate`` here.)"""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def typed(lexical: str, datatype: str) -> str:
    """A typed literal in N-Triples; ``datatype`` is an N-Triples IRI."""
    return f"{literal(lexical)}^^{datatype}"


class _Terms:
    """The terms of an rdflib namespace as N-Triples IRIs, each built once: the mapper
    writes millions of triples, and rdflib's closed namespaces are slow to read."""

    def __init__(self, namespace: Namespace | type[DefinedNamespace]) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        term = iri(getattr(self._namespace, name))
        setattr(self, name, term)
        return term


NT_SG = _Terms(SG)  # the ontology's terms as N-Triples IRIs

ENTITY_KINDS = {
    "bank": NT_SG.Bank,
    "central_bank": NT_SG.CentralBank,
    "financial_institution": NT_SG.NonBankFinancialInstitution,
    "company": NT_SG.Company,
    "government": NT_SG.Government,
    "government_body": NT_SG.GovernmentBody,
    "ngo": NT_SG.NonGovernmentalOrganization,
    "news_organization": NT_SG.NewsOrganization,
    "person": NT_SG.Person,
    "political_party": NT_SG.PoliticalParty,
}
ACCOUNT_TYPES = {
    "correspondent": NT_SG.CorrespondentAccount,
    "payable_through": NT_SG.PayableThroughAccount,
    "special_purpose": NT_SG.SpecialPurposeAccount,
    "deposit": NT_SG.DepositAccount,
}
HOLDING_KINDS = {"owns": NT_SG.Ownership, "controls": NT_SG.Control}
DETERMINATION_KINDS = {
    "significant_reduction_exception": NT_SG.SignificantReductionException,
    "petroleum_supply_sufficiency": NT_SG.PetroleumSupplySufficiency,
}
SIMPLE_CONDITIONS = {
    "no_trade_finance": NT_SG.NoTradeFinanceCondition,
    "pre_approval": NT_SG.PreApprovalCondition,
    "no_foreign_exchange": NT_SG.NoForeignExchangeCondition,
}

# Columns of each file; the first set is required in the header.
COLUMNS: dict[str, tuple[set[str], set[str]]] = {
    "entities.csv": (
        {"id", "name", "kind"},
        {
            "jurisdiction",
            "located_in",
            "branch_of",
            "function",
            "lei",
            "bic",
            "employer",
            "imo",
            "same_as",
            "not_same_as",
        },
    ),
    "ownership.csv": (
        {"owner", "owned"},
        {"kind", "percent", "percent_min", "percent_max", "start", "end"},
    ),
    "designations.csv": (
        {"entity", "list", "start"},
        {"program", "end", "measure", "conditions", "source"},
    ),
    "accounts.csv": (
        {"id", "type", "maintained_by", "holder"},
        {"located_in", "opened_on", "closed_on", "notice_sent_on", "notice_record"},
    ),
    "transactions.csv": (
        {"id", "date"},
        {
            "account",
            "conducted_by",
            "originator",
            "beneficiary",
            "originator_institution",
            "beneficiary_institution",
            "intermediaries",
            "counterparty",
            "purpose",
            "amount",
            "currency",
            "knowingly",
            "significant",
            "goods_origin",
            "goods_destination",
            "paid_to",
            "credited_to",
            "pre_approved",
        },
    ),
    "determinations.csv": ({"kind", "start", "end"}, {"country", "source"}),
    "activities.csv": (
        {"id", "actor", "kind", "start_on"},
        {
            "category",
            "education_level",
            "subjects",
            "partners",
            "partnership_needed_for_items",
            "items",
            "report_submitted_on",
            "objection_on",
            "un_exemption",
            "commercial",
        },
    ),
    "items.csv": (
        {"id", "subject_to_ear"},
        {
            "description",
            "category",
            "classification",
            "luxury",
            "excluded_device",
            "end_user",
            "commerce_authorization",
            "un_exemption",
        },
    ),
    # Published lists (sanctiongraph import; docs/data-package.md#published-lists)
    "publications.csv": ({"id", "list", "file", "published"}, {"sha256", "companions"}),
    "aliases.csv": ({"entity", "name"}, {"kind", "weak", "publication", "entry"}),
    "identifiers.csv": ({"entity", "scheme", "value"}, {"country", "publication", "entry"}),
    "links.csv": ({"entity", "linked_to"}, {"publication", "entry"}),
}
# Provenance of facts imported from published lists, and a listing's unknown intervals.
for _file in ("entities.csv", "ownership.csv", "designations.csv"):
    COLUMNS[_file][1].update({"publication", "entry"})
COLUMNS["designations.csv"][1].update(
    {"start_basis", "end_basis", "possibly_from", "possibly_until"}
)
# Files whose ``id`` column other files refer to, and the IRI kind of each.
ID_KINDS = {
    "entities.csv": "entity",
    "accounts.csv": "account",
    "items.csv": "item",
    "transactions.csv": "transaction",
    "activities.csv": "activity",
    "publications.csv": "publication",
}
ID_FILES = {kind: file for file, kind in ID_KINDS.items()}


_ID_BASE = str(ID)


@cache
def known_countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of the reference data (``data/reference/countries.ttl``)."""
    base, kind = str(REF["country/"]), str(SG.Country)
    data = (reference_dir() / "countries.ttl").read_bytes()
    return frozenset(
        t.subject.value[len(base) :]
        for t in ox.parse(data, ox.RdfFormat.TURTLE)
        if t.object.value == kind and t.subject.value.startswith(base)
    )


@cache
def _country(code: str) -> str:
    """A country's IRI (``code`` already matches COUNTRY_PATTERN)."""
    return iri(country(code))


def id_node(kind: str, value: str) -> str:
    """The IRI of a data-package row (``value`` already matches ID_PATTERN, or is a
    row number; ``kind`` may end with the package name, which matches NAME_PATTERN)."""
    return f"<{_ID_BASE}{kind}/{value}>"


def _below(parent: str, path: str) -> str:
    """The IRI ``<parent/path>`` of a part of the row whose IRI is ``parent``."""
    return f"{parent[:-1]}/{path}>"


_TYPE = iri(RDF.type)
_LABEL = iri(RDFS.label)
_IDENTIFIER = iri(DCTERMS.identifier)
_DATE = iri(XSD.date)
_DECIMAL = iri(XSD.decimal)
_BOOLEAN = iri(XSD.boolean)


@dataclass
class CodeLists:
    """Allowed CSV values per code-list scheme, read from the ontology: each value's
    individual as an N-Triples IRI."""

    schemes: dict[str, dict[str, str]]

    @classmethod
    def from_triples(cls, triples: list[ox.Triple]) -> CodeLists:
        schemes: dict[str, dict[str, str]] = {}
        code_predicate = str(SG.code)
        for t in triples:
            if (
                t.predicate.value == code_predicate
                and isinstance(t.subject, ox.NamedNode)
                and not isinstance(t.object, ox.Triple)
                and t.subject.value.startswith(str(CODE))
            ):
                scheme = t.subject.value[len(str(CODE)) :].split("/")[0]
                schemes.setdefault(scheme, {})[t.object.value] = iri(t.subject.value)
        return cls(schemes)


@dataclass(slots=True)
class _Row:
    """One CSV row being mapped; conversion problems are collected, not raised.
    Terms are N-Triples text (see :func:`iri`, :func:`literal`, :func:`typed`)."""

    file: str
    number: int
    cells: dict[str, str]
    package: _Package
    subject: str | None = None

    def error(self, column: str | None, message: str) -> None:
        self.package.errors.append(InputError(self.file, message, self.number, column))

    def raw(self, column: str, required: bool = False) -> str | None:
        value = self.cells.get(column)  # cells are stripped when read
        if value:
            return value
        if required:
            self.error(column, "a value is required")
        return None

    def add(self, predicate: str, obj: str | None) -> None:
        if obj is not None and self.subject is not None:
            self.package.lines.append(f"{self.subject} {predicate} {obj} .\n")

    def text(self, column: str, predicate: str, required: bool = False) -> str | None:
        value = self.raw(column, required)
        if value is not None:
            self.add(predicate, literal(value))
        return value

    def date(self, column: str, predicate: str, required: bool = False) -> date | None:
        value = self.raw(column, required)
        if value is None:
            return None
        try:
            if not DATE_PATTERN.fullmatch(value):
                raise ValueError
            parsed = date.fromisoformat(value)
        except ValueError:
            self.error(column, f"{value!r} is not a date (expected YYYY-MM-DD)")
            return None
        self.add(predicate, typed(value, _DATE))
        return parsed

    def boolean(self, column: str, predicate: str, required: bool = False) -> bool | None:
        value = self.raw(column, required)
        if value is None:
            return None
        if value.lower() in TRUE:
            result = True
        elif value.lower() in FALSE:
            result = False
        else:
            self.error(column, f"{value!r} is not a boolean (true/false, yes/no, 1/0)")
            return None
        self.add(predicate, typed("true" if result else "false", _BOOLEAN))
        return result

    def decimal(self, column: str, predicate: str, required: bool = False) -> Decimal | None:
        value = self.raw(column, required)
        if value is None:
            return None
        if PLAIN_DECIMAL.fullmatch(value):  # the usual case: no need to rewrite it
            self.add(predicate, f'"{value}"^^{_DECIMAL}')
            return Decimal(value)
        try:
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.error(column, f"{value!r} is not a number")
            return None
        self.add(predicate, typed(format(number, "f"), _DECIMAL))
        return number

    def country(self, column: str, predicate: str, required: bool = False) -> None:
        value = self.raw(column, required)
        if value is None:
            return
        if not COUNTRY_PATTERN.fullmatch(value) or value not in known_countries():
            self.error(column, f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. KP, US)")
            return
        self.add(predicate, _country(value))

    def ref(self, column: str, kind: str, predicate: str, required: bool = False) -> None:
        value = self.raw(column, required)
        if value is not None:
            self.add(predicate, self.package.reference(self, column, kind, value))

    def refs(self, column: str, kind: str, predicate: str) -> None:
        value = self.raw(column)
        for part in _split(value):
            self.add(predicate, self.package.reference(self, column, kind, part))

    def code(self, column: str, scheme: str, predicate: str, required: bool = False) -> None:
        value = self.raw(column, required)
        if value is not None:
            self.add(predicate, self.package.code(self, column, scheme, value))

    def codes(self, column: str, scheme: str, predicate: str) -> None:
        for part in _split(self.raw(column)):
            self.add(predicate, self.package.code(self, column, scheme, part))

    def choice(self, column: str, choices: Mapping[str, str], required: bool = True) -> str | None:
        value = self.raw(column, required)
        if value is None:
            return None
        if value not in choices:
            self.error(column, f"unknown value {value!r}; expected one of: " + ", ".join(choices))
            return None
        return choices[value]


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


@dataclass
class _Package:
    name: str
    codes: CodeLists
    tables: dict[str, _Table] = field(default_factory=dict)  # headers checked, rows unread
    errors: list[InputError] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the N-Triples, a line each
    _rows: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    _ids: dict[str, set[str]] = field(default_factory=dict)
    relations: dict[RelationKey, int] = field(default_factory=dict)  # ownership.csv rows
    references: list[EntryReference] = field(default_factory=list)  # same_as, not_same_as
    unread: set[str] = field(default_factory=set)
    """Files given but not read (not UTF-8, a bad header, unparseable): their ids are
    unknown, so a reference to them is not reported as dangling (the file's own
    problem is)."""
    unread_ids: dict[str, set[str]] = field(default_factory=dict)
    """The ids of rows left out (more cells than header columns), by file."""

    def rows(self, file_name: str) -> list[tuple[int, dict[str, str]]]:
        """The rows of a file and their numbers, read at the first call (none when the
        file is absent or broken)."""
        if file_name not in self._rows:
            table = self.tables.get(file_name)
            self._rows[file_name] = _read_rows(self, table) if table else []
        return self._rows[file_name]

    def done_with(self, file_name: str) -> None:
        self._rows[file_name] = []  # mapped: free the rows

    def ids(self, kind: str) -> set[str]:
        """The ids of a file that others refer to, read at the first call."""
        if kind not in self._ids:
            self._ids[kind] = _collect_ids(self, ID_FILES[kind])
        return self._ids[kind]

    def reference(self, row: _Row, column: str, kind: str, value: str) -> str | None:
        if value not in self.ids(kind):
            file_name = ID_FILES[kind]
            if file_name not in self.unread and value not in self.unread_ids.get(file_name, ()):
                row.error(column, f"unknown {kind} id {value!r} (not in {file_name})")
            return None
        return id_node(kind, value)

    def code(self, row: _Row, column: str, scheme: str, value: str) -> str | None:
        allowed = self.codes.schemes.get(scheme, {})
        if value not in allowed:
            row.error(
                column, f"unknown value {value!r}; expected one of: " + ", ".join(sorted(allowed))
            )
            return None
        return allowed[value]


def read_package_files(path: Path) -> dict[str, bytes]:
    """The CSV files of a package folder or .zip, by file name (``.CSV`` in any letter
    case is a CSV file; its name is given the ``.csv`` suffix). Any other file beside
    them is an error (:func:`_not_package_files`), so that a list or register file put
    in the folder is never skipped in silence."""
    if path.is_dir():
        found = [p for p in sorted(path.iterdir()) if p.suffix.lower() == ".csv" and p.is_file()]
        if found:
            _not_package_files([p for p in sorted(path.iterdir()) if p.is_file()], path.name)
        names = [_csv_name(p.name) for p in found]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise IngestError(
                [
                    InputError(n, "two files differ only in the letter case of .csv; keep one")
                    for n in twice
                ]
            )
        return {name: p.read_bytes() for name, p in zip(names, found)}
    try:
        with zipfile.ZipFile(path) as archive:
            files = {}
            others = []
            for info in archive.infolist():
                name = Path(info.filename).name
                if info.is_dir() or name.startswith(".") or "__MACOSX" in info.filename:
                    continue
                if not name.lower().endswith(".csv"):
                    others.append(Path(name))
                    continue
                name = _csv_name(name)
                if info.file_size > 512 * 1024 * 1024:
                    raise IngestError([InputError(f"{path.name}:{name}", "file too large")])
                files[name] = archive.read(info)
            if files:
                _not_package_files(others, path.name, inside_zip=True)
            return files
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        RuntimeError,
        NotImplementedError,
        OSError,
    ) as exc:  # corrupt, truncated, encrypted or unsupported archives
        raise IngestError([InputError(path.name, f"not a readable .zip archive ({exc})")]) from None


PACKAGE_NOTES = (".md",)  # README.md, SOURCE.md: notes for people, beside the CSV files
NOT_A_PACKAGE_FILE = (
    "not a file of the data package, which holds only its CSV files (and .md notes); "
    "move it out of the package"
)


def _not_package_files(paths: list[Path], package: str, inside_zip: bool = False) -> None:
    """Raise an error for each of ``paths`` that a data package may not hold beside its
    CSV files: anything but ``.csv``, ``.md`` notes and hidden files (``.DS_Store``). A
    list or register file says which ``sanctiongraph import`` format reads it."""
    errors = []
    for file in paths:
        if file.suffix.lower() == ".csv" and not inside_zip and _csv_name(file.name) not in COLUMNS:
            what = not_a_source(file)  # an OFAC legacy CSV file says so
            if what is not None and "sanctiongraph import" in what:
                errors.append(
                    InputError(f"{package}/{file.name}", f"not a file of the data package; {what}")
                )
            continue
        if file.suffix.lower() in (".csv", *PACKAGE_NOTES) or file.name.startswith("."):
            continue
        what = None if inside_zip else not_a_source(file)
        errors.append(
            InputError(
                f"{package}{':' if inside_zip else '/'}{file.name}",
                NOT_A_PACKAGE_FILE + (f"; {what}" if what else ""),
            )
        )
    if errors:
        raise IngestError(errors)


def _csv_name(name: str) -> str:
    """A CSV file's name with the suffix in lower case when that makes it a package file
    (``entities.CSV`` is entities.csv); other names stay as they are, so that an error
    names the file as it is (``SDN_COMMENTS.CSV``)."""
    lowered = name[:-4] + ".csv"
    return lowered if lowered in COLUMNS else name


def map_package(name: str, files: dict[str, bytes], codes: CodeLists) -> Source:
    """Validate and map a whole package into graph ``name``; raise
    :class:`IngestError` with every problem."""
    references: list[EntryReference] = []
    try:
        chunks = list(map_package_chunks(name, files, codes, references=references))
    except IngestError as exc:
        raise IngestError(exc.errors, references) from None
    data = b"".join(chunks)
    del chunks  # (peak memory)
    return Source(name, data, data.count(b"\n"), tuple(references))


def map_package_chunks(
    name: str,
    files: dict[str, bytes],
    codes: CodeLists,
    lines_per_chunk: int = 10_000,
    references: list[EntryReference] | None = None,
) -> Iterator[bytes]:
    """Validate and map a package into graph ``name``, yielding its N-Triples about
    ``lines_per_chunk`` triples at a time as long as no problem has been found; at the
    end, raise :class:`IngestError` with every problem. (A chunk's lines are its triples:
    the mapper never writes a raw line break inside a term.) Nothing is yielded before
    every file's header is checked; rows and ids are read as the mapping reaches them,
    so a later file's problem may come after chunks were yielded. ``references``, when
    given, receives the list entries that same_as and not_same_as name."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{name!r} is not a graph name ([A-Za-z0-9._-]+)")
    package = _Package(name, codes)
    if references is not None:
        package.references = references  # filled as entities.csv is mapped
    for file_name, data in files.items():
        if file_name not in COLUMNS:
            meant = file_name.lower() if file_name.lower() in COLUMNS else None
            package.errors.append(
                InputError(
                    file_name,
                    f"unknown file; did you mean {meant}? (file names are lower case)"
                    if meant
                    else "unknown file; expected one of: " + ", ".join(COLUMNS),
                )
            )
            if meant and meant not in files:
                package.unread.add(meant)
            continue
        table = _open_table(package, file_name, data)
        if table is not None:
            package.tables[file_name] = table
        else:
            package.unread.add(file_name)
    # Each file's rows are read when it is mapped, or earlier when a file mapped before
    # it refers to its ids: the first chunk goes out after entities.csv alone is read.
    for file_name, mapper in _MAPPERS.items():
        if file_name in ID_KINDS:
            package.ids(ID_KINDS[file_name])  # duplicate and malformed ids first
        for number, cells in package.rows(file_name):
            mapper(_Row(file_name, number, cells, package))
            if len(package.lines) >= lines_per_chunk:
                if package.errors:
                    package.lines.clear()  # never used: keep memory flat
                else:
                    yield _take(package.lines)
        package.done_with(file_name)
    if package.errors:
        raise IngestError(package.errors)
    if package.lines:
        yield _take(package.lines)


def _take(lines: list[str]) -> bytes:
    """The lines as UTF-8 bytes; ``lines`` is emptied."""
    data = "".join(lines).encode()
    lines.clear()
    return data


@dataclass
class _Table:
    """A CSV file whose header has been checked; its rows are read later."""

    file: str
    header: list[str]
    reader: Iterator[list[str]]
    line_num: Callable[[], int]
    has_forbidden_characters: bool = False
    """Whether the text holds a character XML cannot carry (then every cell is checked)."""


# Read after a file's last line: the CSV reader ends a quoted value left open at the end
# of the file without a word, so an unterminated quote swallows this line.
_END = "#sanctiongraph:end-of-file#"


def _open_table(package: _Package, file_name: str, data: bytes) -> _Table | None:
    """Decode a file and check its header; ``None`` (and errors) when that fails."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        package.errors.append(
            InputError(
                file_name,
                f"not UTF-8 ({exc.reason} at byte {exc.start}, line {line}); save it as "
                'UTF-8 (a spreadsheet\'s "CSV UTF-8")',
            )
        )
        return None
    reader = csv.reader(io.StringIO(text + "\n" + _END, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        package.errors.append(InputError(file_name, f"unparseable CSV: {exc}", reader.line_num))
        return None
    if header and header[-1].endswith(_END):
        package.errors.append(InputError(file_name, _UNTERMINATED, 1))
        return None
    if header == [_END]:
        header = []
    required, optional = COLUMNS[file_name]
    problems = [
        InputError(file_name, "missing required column", 1, c)
        for c in sorted(required - set(header))
    ]
    problems += [
        InputError(file_name, "unknown column", 1, c)
        for c in header
        if c not in required | optional
    ]
    if len(set(header)) != len(header):
        problems.append(InputError(file_name, "duplicate column names in the header", 1))
    if problems:
        package.errors.extend(problems)
        return None
    return _Table(
        file_name, header, reader, lambda: reader.line_num, NOT_IN_XML.search(text) is not None
    )


_UNTERMINATED = "unterminated quoted value: a '\"' opened here is never closed"


def _read_rows(package: _Package, table: _Table) -> list[tuple[int, dict[str, str]]]:
    """The data rows as dicts by column (stripped; missing trailing cells empty), with
    their numbers; none when the file cannot be parsed. Rows are numbered as a
    spreadsheet shows them: the header is row 1, a blank line is an (empty) row, a value
    quoted over several lines is in one row. A row with too many cells is reported and
    left out (the rows after it keep their numbers)."""
    header, file_name = table.header, table.file
    width = len(header)
    rows = []
    try:
        for number, cells in enumerate(table.reader, start=2):
            if not cells:
                continue  # a blank line
            if cells[-1].endswith(_END):  # the end of the file, or a quote left open
                if cells != [_END]:
                    column = header[len(cells) - 1] if len(cells) <= width else None
                    package.errors.append(InputError(file_name, _UNTERMINATED, number, column))
                break
            if table.has_forbidden_characters:
                for column, cell in zip(header, cells):
                    problem = forbidden_character(cell)
                    if problem is not None:
                        package.errors.append(InputError(file_name, problem, number, column))
            if len(cells) > width:
                package.errors.append(
                    InputError(file_name, "more cells than header columns", number)
                )
                if "id" in header:  # references to it are not dangling: the row is broken
                    package.unread_ids.setdefault(file_name, set()).add(
                        cells[header.index("id")].strip()
                    )
                continue
            if len(cells) == width:
                row = dict(zip(header, map(str.strip, cells)))
            else:
                row = dict.fromkeys(header, "")
                row.update(zip(header, map(str.strip, cells)))
            rows.append((number, row))
    except csv.Error as exc:
        package.errors.append(InputError(file_name, f"unparseable CSV: {exc}", table.line_num()))
        package.unread.add(file_name)
        return []
    return rows


def _collect_ids(package: _Package, file_name: str) -> set[str]:
    """The well-formed ids of a file; malformed and duplicate ids are reported."""
    seen: dict[str, int] = {}
    for number, row in package.rows(file_name):
        value = (row.get("id") or "").strip()
        if not value:
            continue  # reported as "a value is required" by the mapper
        if not ID_PATTERN.fullmatch(value):
            package.errors.append(
                InputError(
                    file_name, f"{value!r} is not a valid id ([A-Za-z0-9._:-]+)", number, "id"
                )
            )
        elif value in seen:
            package.errors.append(
                InputError(
                    file_name, f"duplicate id {value!r} (first on row {seen[value]})", number, "id"
                )
            )
        else:
            seen[value] = number
    return set(seen)


def _identified(row: _Row, kind: str) -> bool:
    value = row.raw("id", required=True)
    if value is None or not ID_PATTERN.fullmatch(value):
        return False
    row.subject = id_node(kind, value)
    row.add(_IDENTIFIER, literal(value))
    return True


def _entity(row: _Row) -> None:
    if not _identified(row, "entity"):
        return
    kind = row.raw("kind", required=True)
    cls = row.choice("kind", ENTITY_KINDS, required=False) if kind else None
    row.add(_TYPE, cls)
    row.text("name", _LABEL, required=True)
    # A list entry (a row with a publication) may not say where it is organised.
    listed = row.raw("publication") is not None
    row.country(
        "jurisdiction",
        NT_SG.jurisdiction,
        required=kind is not None and kind != "person" and not listed,
    )
    _provenance(row)
    governed = row.raw("jurisdiction")
    if kind == "government" and governed and COUNTRY_PATTERN.fullmatch(governed):
        row.add(NT_SG.governs, _country(governed))
    row.country("located_in", NT_SG.locatedIn)
    row.ref("branch_of", "entity", NT_SG.branchOf)
    row.code("function", "function", NT_SG.hasFunction)
    _code(row, "lei", NT_SG.lei, lei_problem)
    _code(row, "bic", NT_SG.bic, bic_problem)
    if row.raw("employer") is not None and kind != "person":
        row.error("employer", "only a person has an employer (kind must be person)")
    else:
        row.ref("employer", "entity", NT_SG.employedBy)
    _code(row, "imo", NT_SG.imo, imo_problem)
    _entry_links(row)


def lei_problem(value: str) -> str | None:
    """Why ``value`` is not an ISO 17442 LEI (18 upper-case letters or digits and two
    MOD 97-10 check digits), or ``None``."""
    from sanctiongraph.imports.model import LEI_PATTERN, lei_check_digits_ok  # (imports ingest)

    if not LEI_PATTERN.fullmatch(value):
        return f"{value!r} is not an LEI: 18 upper-case letters or digits, then two check digits"
    if not lei_check_digits_ok(value):
        return f"{value!r} is not an LEI: its check digits are wrong (ISO 17442, MOD 97-10)"
    return None


def bic_problem(value: str) -> str | None:
    """Why ``value`` is not an ISO 9362 BIC (institution, country of ISO 3166-1,
    location, optional branch), or ``None``."""
    if not BIC_PATTERN.fullmatch(value):
        return (
            f"{value!r} is not a BIC: 8 or 11 upper-case characters, 4 letters "
            "(institution), 2 (country), 2 letters or digits (location), 3 (branch)"
        )
    if value[4:6] not in known_countries():
        return f"{value!r} is not a BIC: {value[4:6]!r} is not an ISO 3166-1 country code"
    return None


def imo_problem(value: str) -> str | None:
    return None if IMO_PATTERN.fullmatch(value) else f"{value!r} is not an IMO number (7 digits)"


def _code(row: _Row, column: str, predicate: str, problem: Callable[[str], str | None]) -> None:
    """A code column: its value as a literal, or the error ``problem`` gives."""
    value = row.raw(column)
    if value is None:
        return
    said = problem(value)
    if said:
        row.error(column, said)
    else:
        row.add(predicate, literal(value))


def _entry_links(row: _Row) -> None:
    """The same_as and not_same_as columns: list entries this entity is, or is not.
    Whether each entry exists is checked against every source of the load
    (:func:`same_as_references`), not here."""
    same = _split(row.raw("same_as"))
    for column, predicate, values in (
        ("same_as", NT_SG.sameAsEntry, same),
        ("not_same_as", NT_SG.notSameAsEntry, _split(row.raw("not_same_as"))),
    ):
        for value in values:
            problem = entry_reference_problem(value)
            if problem:
                row.error(column, problem)
            elif column == "not_same_as" and value in same:
                row.error(column, f"{value!r} is also in same_as")
            else:
                row.add(predicate, id_node("entity", value))
                row.package.references.append(EntryReference(row.number, column, value))


def entry_reference_problem(value: str) -> str | None:
    """Why ``value`` cannot name a list entry in same_as / not_same_as, or ``None``."""
    if not ENTRY_REFERENCE.fullmatch(value):
        return (
            f"{value!r} does not name a list entry: expected ofac:<entry number>, "
            "un:<reference number>, lei:<LEI>, ftm:<entity id> or bods:<statement or "
            "record id> (the ids `sanctiongraph import` writes)"
        )
    if value.startswith("lei:") and lei_problem(value[4:]):
        return f"{value!r}: {lei_problem(value[4:])}"
    return None


def _holding(row: _Row) -> None:
    problems = len(row.package.errors)
    row.subject = id_node(f"holding/{row.package.name}", str(row.number))
    cls = row.choice("kind", HOLDING_KINDS, required=False) if row.raw("kind") else NT_SG.Ownership
    row.add(_TYPE, cls)
    row.ref("owner", "entity", NT_SG.owner, required=True)
    row.ref("owned", "entity", NT_SG.owned, required=True)
    _provenance(row)
    banded = row.raw("percent_min") is not None or row.raw("percent_max") is not None
    percent = row.decimal("percent", NT_SG.percent, required=cls == NT_SG.Ownership and not banded)
    minimum = row.decimal("percent_min", NT_SG.percentMin)
    maximum = row.decimal("percent_max", NT_SG.percentMax)
    _share_range(row, percent, minimum, maximum)
    start = row.date("start", NT_SG.startDate)
    end = row.date("end", NT_SG.endDate)
    if start and end and end < start:
        row.error("end", "ends before it starts")
    if len(row.package.errors) == problems:
        relation = relation_key(
            row.cells["owner"],
            row.cells["owned"],
            control=cls == NT_SG.Control,
            percent=percent,
            minimum=minimum,
            maximum=maximum,
            start=start,
            end=end,
        )
        earlier = row.package.relations.setdefault(relation, row.number)
        if earlier != row.number:  # it would count twice in the 50 Percent Rule's sums
            row.error(
                None,
                f"repeats row {earlier} (same owner, owned, kind, share and "
                "dates): one holding is one row; a stake held in parts with the same "
                "dates is stated as its total",
            )


def _share_range(
    row: _Row, percent: Decimal | None, minimum: Decimal | None, maximum: Decimal | None
) -> None:
    """A share is above 0 and at most 100; a band's bounds are within [0, 100], its
    maximum above 0 and not below its minimum."""
    if percent is not None and not 0 < percent <= HUNDRED:
        row.error("percent", f"{row.cells['percent']!r} is not a share: above 0 and at most 100")
    if minimum is not None and not 0 <= minimum <= HUNDRED:
        row.error("percent_min", f"{row.cells['percent_min']!r} is not a share: 0 to 100")
    if maximum is not None and not 0 < maximum <= HUNDRED:
        row.error(
            "percent_max", f"{row.cells['percent_max']!r} is not a share: above 0 and at most 100"
        )
    if minimum is not None and maximum is not None and minimum > maximum:
        row.error(
            "percent_min",
            f"the band's minimum {row.cells['percent_min']} is above its "
            f"maximum {row.cells['percent_max']}",
        )


def _designation(row: _Row) -> None:
    row.subject = id_node(f"designation/{row.package.name}", str(row.number))
    row.add(_TYPE, NT_SG.Designation)
    row.ref("entity", "entity", NT_SG.designates, required=True)
    list_code = row.raw("list", required=True)
    if list_code is not None:
        if LIST_PATTERN.fullmatch(list_code):
            row.add(NT_SG.onList, iri(REF[f"list/{list_code}"]))
        else:
            row.error("list", f"{list_code!r} is not a list code such as SDN, CAPTA, FINCEN_311")
    program = row.raw("program")
    if program is not None:
        if PROGRAM_PATTERN.fullmatch(program):
            row.add(NT_SG.underProgram, iri(REF["program/" + quote(program, safe="-._")]))
        else:
            row.error("program", f"{program!r} is not a program tag such as DPRK or IFSR")
    start = row.date("start", NT_SG.startDate, required=True)
    end = row.date("end", NT_SG.endDate)
    if start and end and end < start:
        row.error("end", "ends before it starts")
    row.text("source", NT_SG.sourceReference)
    _provenance(row)
    _uncertainty(row, start, end)
    measure = row.raw("measure", required=list_code == "CAPTA")
    row.code("measure", "measure", NT_SG.measure)
    conditions = row.raw("conditions", required=measure == "strict_conditions")
    for index, condition in enumerate(_split(conditions), start=1):
        _condition(row, index, condition)


def _uncertainty(row: _Row, start: date | None, end: date | None) -> None:
    """Where the dates come from, and the unknown intervals around the listing."""
    row.code("start_basis", "date-basis", NT_SG.startBasis)
    row.code("end_basis", "date-basis", NT_SG.endBasis)
    if row.raw("end_basis") and not row.raw("end"):
        row.error("end_basis", "a basis for an end that is not given")
    if row.raw("possibly_from") == "open":
        row.add(NT_SG.possiblyFrom, typed(OPEN_START, _DATE))
    else:
        possibly_from = row.date("possibly_from", NT_SG.possiblyFrom)
        if possibly_from and start and possibly_from > start:
            row.error("possibly_from", "after the start")
    possibly_until = row.date("possibly_until", NT_SG.possiblyUntil)
    if possibly_until and end is None:
        row.error("possibly_until", "needs an end: the listing may only be in doubt after it ends")
    elif possibly_until and end is not None and possibly_until < end:
        row.error("possibly_until", "before the end")


def _condition(row: _Row, index: int, text: str) -> None:
    designation = row.subject
    assert designation is not None  # the row's subject is set before its conditions
    condition = _below(designation, f"condition/{index}")
    kind, _, argument = text.partition(":")
    triples: list[tuple[str, str | None]] = []
    if kind in SIMPLE_CONDITIONS and not argument:
        triples.append((_TYPE, SIMPLE_CONDITIONS[kind]))
    elif kind == "only" and argument:
        triples.append((_TYPE, NT_SG.AllowedTypesCondition))
        for purpose in (p.strip() for p in argument.split(",")):
            iri = row.package.code(row, "conditions", "purpose", purpose)
            triples.append((NT_SG.allowedPurpose, iri))
    elif kind == "limit" and argument:
        try:
            amount = Decimal(argument)
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            row.error("conditions", f"limit {argument!r} is not a non-negative amount")
            return
        triples += [
            (_TYPE, NT_SG.MonetaryLimitCondition),
            (NT_SG.limitAmount, typed(format(amount, "f"), _DECIMAL)),
        ]
    elif kind == "volume" and argument:
        count, _, days = argument.partition("/")
        if not (count.isdigit() and days.isdigit() and int(days) > 0):
            row.error(
                "conditions",
                f"volume {argument!r} is not <count>/<days> (whole numbers, days at least 1)",
            )
            return
        triples += [
            (_TYPE, NT_SG.VolumeLimitCondition),
            (NT_SG.limitCount, typed(str(int(count)), _DECIMAL)),
            (NT_SG.limitPeriodDays, typed(str(int(days)), _DECIMAL)),
        ]
    else:
        row.error(
            "conditions",
            f"unknown strict condition {text!r}; expected no_trade_finance, "
            "only:<type>[,<type>], limit:<amount>, volume:<count>/<days>, pre_approval "
            "or no_foreign_exchange",
        )
        return
    row.add(NT_SG.hasCondition, condition)
    row.subject = condition
    for predicate, obj in triples:
        row.add(predicate, obj)
    row.subject = designation


def _account(row: _Row) -> None:
    if not _identified(row, "account"):
        return
    cls = row.choice("type", ACCOUNT_TYPES)
    row.add(_TYPE, cls)
    row.ref("maintained_by", "entity", NT_SG.maintainedBy, required=True)
    row.ref("holder", "entity", NT_SG.heldBy, required=True)
    row.country("located_in", NT_SG.accountLocatedIn)
    opened = row.date("opened_on", NT_SG.openedOn)
    closed = row.date("closed_on", NT_SG.closedOn)
    if opened and closed and closed < opened:
        row.error("closed_on", "closed before it was opened")
    row.date("notice_sent_on", NT_SG.noticeSentOn)
    row.text("notice_record", NT_SG.noticeRecord)


def _transaction(row: _Row) -> None:
    if not _identified(row, "transaction"):
        return
    row.add(_TYPE, NT_SG.Transaction)
    row.date("date", NT_SG.transactionDate, required=True)
    row.ref("account", "account", NT_SG.throughAccount)
    for column, predicate in [
        ("conducted_by", NT_SG.conductedBy),
        ("originator", NT_SG.originator),
        ("beneficiary", NT_SG.beneficiary),
        ("originator_institution", NT_SG.originatorInstitution),
        ("beneficiary_institution", NT_SG.beneficiaryInstitution),
        ("counterparty", NT_SG.counterparty),
        ("paid_to", NT_SG.paidTo),
    ]:
        row.ref(column, "entity", predicate)
    row.refs("intermediaries", "entity", NT_SG.intermediary)
    row.code("purpose", "purpose", NT_SG.purpose)
    row.decimal("amount", NT_SG.amount)
    row.text("currency", NT_SG.currency)
    row.boolean("knowingly", NT_SG.knowingly)
    row.boolean("significant", NT_SG.significant)
    row.boolean("pre_approved", NT_SG.preApproved)
    row.country("goods_origin", NT_SG.goodsOrigin)
    row.country("goods_destination", NT_SG.goodsDestination)
    row.ref("credited_to", "account", NT_SG.creditedTo)


def _determination(row: _Row) -> None:
    row.subject = id_node(f"determination/{row.package.name}", str(row.number))
    cls = row.choice("kind", DETERMINATION_KINDS)
    row.add(_TYPE, cls)
    row.country("country", NT_SG.country, required=cls == NT_SG.SignificantReductionException)
    start = row.date("start", NT_SG.startDate, required=True)
    end = row.date("end", NT_SG.endDate, required=True)
    if start and end and end < start:
        row.error("end", "ends before it starts")
    row.text("source", NT_SG.sourceReference)


def _activity(row: _Row) -> None:
    if not _identified(row, "activity"):
        return
    row.add(_TYPE, NT_SG.Activity)
    row.ref("actor", "entity", NT_SG.actor, required=True)
    kind = row.raw("kind", required=True)
    row.code("kind", "activity-kind", NT_SG.activityKind)
    category = row.raw("category", required=kind == "humanitarian")
    row.code("category", "category", NT_SG.category)
    row.raw("education_level", required=category == "education")
    row.code("education_level", "education-level", NT_SG.educationLevel)
    row.codes("subjects", "subject", NT_SG.subject)
    row.refs("partners", "entity", NT_SG.partner)
    row.boolean("partnership_needed_for_items", NT_SG.partnershipNeededForItems)
    row.refs("items", "item", NT_SG.item)
    row.date("start_on", NT_SG.startOn, required=True)
    activity = row.subject
    assert activity is not None  # set by the row's start
    for column, suffix, cls, link, predicate in [
        (
            "report_submitted_on",
            "report",
            NT_SG.StateDepartmentReport,
            NT_SG.hasReport,
            NT_SG.submittedOn,
        ),
        ("objection_on", "objection", NT_SG.Objection, NT_SG.hasObjection, NT_SG.objectedOn),
    ]:
        if row.raw(column) is None:
            continue
        part = _below(activity, suffix)
        row.add(link, part)
        row.subject = part
        row.add(_TYPE, cls)
        row.date(column, predicate)
        row.subject = activity
    row.code("un_exemption", "un-exemption", NT_SG.unExemption)
    row.boolean("commercial", NT_SG.commercial)


def _item(row: _Row) -> None:
    if not _identified(row, "item"):
        return
    row.add(_TYPE, NT_SG.Item)
    row.text("description", NT_SG.description)
    row.code("category", "item-category", NT_SG.itemCategory)
    row.boolean("subject_to_ear", NT_SG.subjectToEAR, required=True)
    row.text("classification", NT_SG.classification)
    row.boolean("luxury", NT_SG.luxury)
    row.boolean("excluded_device", NT_SG.excludedDevice)
    row.ref("end_user", "entity", NT_SG.endUser)
    row.code("commerce_authorization", "commerce-authorization", NT_SG.commerceAuthorization)
    row.code("un_exemption", "un-exemption", NT_SG.unExemption)


def _provenance(row: _Row) -> None:
    """The publications (``;``-list of publications.csv ids) and the entry number
    that state the row's fact."""
    row.refs("publication", "publication", NT_SG.fromPublication)
    row.text("entry", NT_SG.entryNumber)


def _publication(row: _Row) -> None:
    if not _identified(row, "publication"):
        return
    row.add(_TYPE, NT_SG.Publication)
    list_code = row.raw("list", required=True)
    if list_code is not None:
        if LIST_PATTERN.fullmatch(list_code):
            row.add(NT_SG.publicationOf, iri(REF[f"list/{list_code}"]))
        else:
            row.error("list", f"{list_code!r} is not a list code such as SDN, CAPTA, UN")
    row.text("file", NT_SG.fileName, required=True)
    row.date("published", NT_SG.publishedOn, required=True)
    digest = row.raw("sha256")
    if digest is not None and not SHA256_PATTERN.fullmatch(digest):
        row.error("sha256", f"{digest!r} is not a SHA-256 digest (64 lower-case hex digits)")
    else:
        row.text("sha256", NT_SG.sha256)
    _companions(row)


def _companions(row: _Row) -> None:
    """``companions``: the files read with the main one, ``;``-separated, each
    ``NAME=SHA256`` (``ADD.CSV=3f…``); each becomes a ``sg:PublishedFile`` below the
    publication's IRI, named by its digest (the same file, the same node)."""
    publication = row.subject
    if publication is None:
        return
    for item in _split(row.raw("companions")):
        name, _, digest = (part.strip() for part in item.rpartition("="))
        if not name or not SHA256_PATTERN.fullmatch(digest):
            row.error(
                "companions",
                f"{item!r} is not NAME=SHA256 (a file name, '=', and 64 lower-case "
                "hex digits); several are separated by ';'",
            )
            continue
        node = _below(publication, f"file/{digest}")
        row.add(NT_SG.companionFile, node)
        row.subject = node
        row.add(_TYPE, NT_SG.PublishedFile)
        row.add(NT_SG.fileName, literal(name))
        row.add(NT_SG.sha256, literal(digest))
        row.subject = publication


def _alias(row: _Row) -> None:
    row.subject = id_node(f"alias/{row.package.name}", str(row.number))
    row.add(_TYPE, NT_SG.Alias)
    row.ref("entity", "entity", NT_SG.aliasOf, required=True)
    row.text("name", _LABEL, required=True)
    kind = row.choice("kind", {"aka": "aka", "fka": "fka", "nka": "nka"}, required=False)
    if kind:
        row.add(NT_SG.aliasKind, literal(kind))
    row.boolean("weak", NT_SG.weakAlias)
    _provenance(row)


def _identifier(row: _Row) -> None:
    row.subject = id_node(f"identifier/{row.package.name}", str(row.number))
    row.add(_TYPE, NT_SG.Identifier)
    row.ref("entity", "entity", NT_SG.identifies, required=True)
    scheme = row.raw("scheme", required=True)
    if scheme is not None and not SCHEME_PATTERN.fullmatch(scheme):
        row.error(
            "scheme", f"{scheme!r} is not a lower-case word such as bic, lei, imo, registration"
        )
    elif scheme is not None:
        row.add(NT_SG.identifierScheme, literal(scheme))
    row.text("value", NT_SG.identifierValue, required=True)
    row.country("country", NT_SG.identifierCountry)
    _provenance(row)


def _link(row: _Row) -> None:
    row.subject = id_node(f"link/{row.package.name}", str(row.number))
    row.add(_TYPE, NT_SG.ListLink)
    row.ref("entity", "entity", NT_SG.linkFrom, required=True)
    row.ref("linked_to", "entity", NT_SG.linkTo, required=True)
    _provenance(row)


_MAPPERS: dict[str, Callable[[_Row], None]] = {
    "publications.csv": _publication,
    "entities.csv": _entity,
    "ownership.csv": _holding,
    "designations.csv": _designation,
    "accounts.csv": _account,
    "transactions.csv": _transaction,
    "determinations.csv": _determination,
    "activities.csv": _activity,
    "items.csv": _item,
    "aliases.csv": _alias,
    "identifiers.csv": _identifier,
    "links.csv": _link,
}
