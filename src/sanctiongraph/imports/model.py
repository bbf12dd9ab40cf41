"""What every importer reads a published file into, before the package is written.

An importer turns each input file (with its companions) into one :class:`ReadList`:
the :class:`Publication` it is and the :class:`Party` records it holds. The history
(``history.py``) and the writer (``package.py``) work on these alone, so a new format
only has to fill them in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple, TypeVar

from sanctiongraph.errors import IngestError, InputError

ISO_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


@dataclass(frozen=True)
class Publication:
    """One published file of a list on one date."""

    id: str  # the publications.csv id, e.g. "sdn-2023-06-01"
    list_code: str  # the list the file publishes: SDN, CONS, UN
    label: str  # for people: "OFAC SDN List"
    file: str  # the file name as read
    published: date
    sha256: str
    # the files read with it (OFAC's ADD.CSV, ALT.CSV, ...): (name, sha256), by name
    companions: tuple[tuple[str, str], ...] = ()

    def cite(self, entry: str) -> str:
        """``OFAC SDN List, publication of 2023-06-01, entry 15603``."""
        return cite(self.label, self.published.isoformat(), entry)


UN_LABEL = "UN Security Council Consolidated List"


def list_label(list_code: str) -> str:
    """How a citation names the list a publication is of (``publications.csv`` list):
    ``SDN`` is ``OFAC SDN List``; a code this version does not know is ``<code> list``."""
    from sanctiongraph.imports import gleif, ofac  # they import this module

    labels = {
        **ofac.LIST_LABELS,
        **gleif.LABELS,
        "UN": UN_LABEL,
        "BODS": "BODS statements",
        "FTM": "FollowTheMoney entities",
    }
    return labels.get(list_code, f"{list_code} list")


def cite(label: str, published: str, entry: str) -> str:
    """``OFAC SDN List, publication of 2023-06-01, entry 15603``: how a finding cites a
    fact of a list entry (``label`` from :func:`list_label`, ``published`` an ISO date)."""
    return f"{label}, publication of {published}, entry {entry}"


@dataclass
class Listing:
    """An entry's place on one list under one program, as one publication shows it."""

    list_code: str  # SDN, CAPTA, SSI, UN, ...
    program: str | None  # the tag exactly as published
    start: date | None = None  # a date the file states (EntryEvent, LISTED_ON)
    measure: str | None = None  # CAPTA: prohibit_maintain or strict_conditions
    end: date | None = None  # a delisting date the file states (FtM Sanction endDate)
    source: str | None = None  # CAPTA: the section the remarks name, "31 CFR 561.201(c)"

    @property
    def key(self) -> tuple[str, str]:
        return (self.list_code, self.program or "")


@dataclass
class Party:
    """One list entry: an entity of the package and what the list says about it."""

    id: str  # the entities.csv id: "ofac:15603", "un:KPe.047"
    entry: str  # the entry number as the list writes it
    name: str
    kind: str  # an entities.csv kind
    jurisdiction: str | None = None  # only where the file says where it is organised
    located_in: str | None = None  # the one country of all its addresses, if one
    aliases: list[tuple[str, str | None, bool]] = field(default_factory=list)  # name, kind, weak
    identifiers: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # scheme, value, country
    listings: list[Listing] = field(default_factory=list)
    linked_names: list[str] = field(default_factory=list)  # "Linked To:" names, unresolved
    linked_ids: list[str] = field(default_factory=list)  # party ids of typed, non-ownership links
    controlled_by: list[str] = field(default_factory=list)  # party ids ("Owned or Controlled By")
    branch_of: str | None = None  # party id of the legal entity this is a branch of
    partial: bool = False  # read in part (remarks cut, not continued): silent on what it lacks

    def identifier(self, scheme: str) -> str | None:
        return next((v for s, v, _ in self.identifiers if s == scheme), None)


class Holding(NamedTuple):
    """A typed holding a file states, between parties of any publication given together:
    ``owns`` with a percent or a band, or ``controls`` (no percentage). A tuple: a large
    register states hundreds of thousands, made and passed between processes cheaply."""

    owner: str  # party id
    owned: str  # party id
    entry: str  # the record that states it
    kind: str = "controls"  # ownership.csv kind: owns or controls
    percent: str | None = None
    percent_min: str | None = None
    percent_max: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass
class ReadList:
    """One publication and its parties, as an importer read it."""

    publication: Publication
    parties: dict[str, Party]
    skipped: Counter[str] = field(default_factory=Counter)  # e.g. {"vessel": 12}
    holdings: list[Holding] = field(default_factory=list)  # typed holdings (GLEIF, BODS, FtM)
    notes: Counter[str] = field(default_factory=Counter)  # for the import report, as written
    warnings: list[str] = field(default_factory=list)  # what was read only in part, and why
    silent_on: set[str] = field(
        default_factory=set
    )  # what no file of it states ("aliases.csv", "located_in")


class Problems:
    """Problems of the input, collected so that all are reported at once."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(
        self,
        file: str,
        message: str,
        record: str | None = None,
        line: int | None = None,
        field_name: str | None = None,
    ) -> None:
        """A problem in ``file`` at a ``record`` (``sdnEntry uid 15603``) or ``line``,
        in ``field_name``."""
        text = f"{record}: {message}" if record else message
        self.errors.append(InputError(file, text, line, field_name))

    def raise_if_any(self) -> None:
        if self.errors:
            raise IngestError(self.errors)


LEI_PATTERN = re.compile(r"[A-Z0-9]{18}[0-9]{2}")  # ISO 17442: 18 characters, 2 check digits
# Each character as the digits it counts for: 0-9 themselves, A=10 ... Z=35 (a list,
# indexed by code point: str.translate reads it faster than a dict).
_LEI_DIGITS = (
    [None] * 48 + [str(d) for d in range(10)] + [None] * 7 + [str(10 + i) for i in range(26)]
)


def lei_check_digits_ok(value: str) -> bool:
    """ISO 17442 check digits (ISO 7064 MOD 97-10): letters count A=10 ... Z=35. The one
    home of the check: imports, the package mapping, screening and the derived
    ``sg:leiChecksumValid``."""
    return bool(LEI_PATTERN.fullmatch(value)) and int(value.translate(_LEI_DIGITS)) % 97 == 1


SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]+$")  # the data package's id characters


def party_id(prefix: str, key: str) -> str:
    """``prefix:key``, or, when ``key`` has characters an id may not hold, ``prefix:h``
    and a digest of it (the entry column keeps the key as published)."""
    if SAFE_ID.fullmatch(key):
        return f"{prefix}:{key}"
    return f"{prefix}:h{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publication_date(
    path: Path,
    published: date | None,
    stated: date | None,
    problems: Problems,
    stated_is_bad: bool = False,
) -> date | None:
    """The date of a publication: ``--published``, else an ISO date in the file name,
    else a date the file states about itself; else a problem saying so (none when the
    file states a date that is no date: ``stated_is_bad``, reported by the caller)."""
    if published is not None:
        return published
    found = ISO_DATE_IN_NAME.search(path.name)
    if found:
        try:
            return date.fromisoformat(found.group(1))
        except ValueError:
            pass
    if stated is not None:
        return stated
    if stated_is_bad:
        return None
    problems.add(
        path.name,
        "no publication date: the file carries none; give --published "
        "YYYY-MM-DD or put the date in the file name (sdn-2023-06-01.csv)",
    )
    return None


def publication_id(list_code: str, published: date, taken: Iterable[str]) -> str:
    """A publications.csv id such as ``sdn-2023-06-01`` (``-2``, ``-3`` if taken)."""
    base = f"{list_code.lower().replace('_', '-')}-{published.isoformat()}"
    taken = set(taken)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


T = TypeVar("T")


def existing_files(paths: list[Path], problems: Problems) -> list[Path]:
    """The paths that are files; a problem for each that is not."""
    for path in paths:
        if path.is_dir():
            problems.add(str(path), "a folder: give the files in it (only ofac-csv reads a folder)")
        elif not path.is_file():
            problems.add(str(path), "no such file")
    return [path for path in paths if path.is_file()]


def read_each(
    items: Iterable[T], read_one: Callable[[T, list[str]], ReadList | None]
) -> list[ReadList]:
    """``read_one(item, ids taken so far)`` for each item, keeping what it read."""
    reads: list[ReadList] = []
    for item in items:
        one = read_one(item, [r.publication.id for r in reads])
        if one is not None:
            reads.append(one)
    return reads
