"""From publications to the rows of a data package, with the history they make.

Publications of the same list given together make a history. An entry's listing (one
list, one program) holds from the first publication that shows it, and ends the day
after the last one that shows it when a later one no longer does. Between two
publications that disagree the listing is *unknown*: the row's ``possibly_from`` /
``possibly_until`` say from when, and until when, the entry is *possibly listed*.
Before the first publication it is unknown too (``possibly_from`` ``open``), unless the
file states the listing date. After the last publication the last status holds.

The other facts of an entry's record follow the same publications where each is the
whole list (:data:`COMPLETE_LISTS`): an alias, identifier or link that the latest
publication showing the entry no longer states is dropped, and an "Owned or Controlled
By" holding is dated by the publications that show the entry with and without it. A
register's file (GLEIF, BODS, FtM) may be an update that holds only what changed, so
there what one file does not state says nothing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from typing import NamedTuple

from sanctiongraph.imports.model import (
    Holding,
    Listing,
    Party,
    Problems,
    Publication,
    ReadList,
    lei_check_digits_ok,
)

ONE_DAY = timedelta(days=1)
COMPLETE_LISTS = {"SDN", "CONS", "UN"}
"""Lists whose every publication is the whole list: what an entry's record in a later
one no longer states, the list no longer says."""

HEADERS: dict[str, list[str]] = {
    "publications.csv": ["id", "list", "file", "published", "sha256", "companions"],
    "entities.csv": [
        "id",
        "name",
        "kind",
        "jurisdiction",
        "located_in",
        "branch_of",
        "lei",
        "bic",
        "publication",
        "entry",
    ],
    "designations.csv": [
        "entity",
        "list",
        "program",
        "start",
        "start_basis",
        "possibly_from",
        "end",
        "end_basis",
        "possibly_until",
        "measure",
        "source",
        "publication",
        "entry",
    ],
    "ownership.csv": [
        "owner",
        "owned",
        "kind",
        "percent",
        "percent_min",
        "percent_max",
        "start",
        "end",
        "publication",
        "entry",
    ],
    "aliases.csv": ["entity", "name", "kind", "weak", "publication", "entry"],
    "identifiers.csv": ["entity", "scheme", "value", "country", "publication", "entry"],
    "links.csv": ["entity", "linked_to", "publication", "entry"],
}


Row = dict[str, str | None]  # by column; an empty cell is None, "" or left out


@dataclass
class Tables:
    """The package's rows by file, each row a dict by column."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in HEADERS})
    notes: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)  # the readings' warnings, in order
    publications: list[Publication] = field(default_factory=list)

    def add(self, table: str, /, **cells: str | None) -> None:
        self.rows[table].append(cells)

    def filled(self, table: str) -> list[str]:
        """The columns of ``table`` that have a value in some row, in header order."""
        rows = self.rows[table]
        return [c for c in HEADERS[table] if any(row.get(c) for row in rows)]


def _name_key(name: str) -> str:
    return " ".join(name.split()).rstrip(".").casefold()


def build_tables(lists: list[ReadList], problems: Problems) -> Tables:
    """The package rows of every publication given together (see the module doc)."""
    tables = Tables()
    by_list: dict[str, list[ReadList]] = defaultdict(list)
    for read in lists:
        by_list[read.publication.list_code].append(read)
        tables.notes.update({f"skipped {kind}": n for kind, n in read.skipped.items()})
        tables.notes.update(read.notes)
        tables.warnings += read.warnings
    for code, reads in by_list.items():
        reads.sort(key=lambda r: r.publication.published)
        for earlier, later in pairwise(reads):
            lists_entries = any(p.listings for r in (earlier, later) for p in r.parties.values())
            if earlier.publication.published == later.publication.published and lists_entries:
                problems.add(
                    later.publication.file,
                    f"two publications of the {code} list "
                    f"on {later.publication.published}: {earlier.publication.file} "
                    "and this one; give each its own date",
                )
    if problems.errors:
        return tables
    ordered = sorted(lists, key=lambda r: r.publication.published)
    tables.publications = [read.publication for read in ordered]
    for read in ordered:
        p = read.publication
        tables.add(
            "publications.csv",
            id=p.id,
            list=p.list_code,
            file=p.file,
            published=p.published.isoformat(),
            sha256=p.sha256,
            companions=";".join(f"{name}={digest}" for name, digest in p.companions),
        )
    _entities(tables, ordered)
    for reads in by_list.values():
        _designations(tables, reads)
    _facts(tables, ordered)
    return tables


def _entities(tables: Tables, ordered: list[ReadList]) -> None:
    """One row per entity, from its latest record; where that record is silent (no
    ADD.CSV given: no address; remarks cut: no jurisdiction, BIC or LEI read) the
    earlier record's value stands."""
    latest: dict[str, Party] = {}
    whole: dict[str, Party] = {}  # the latest record read whole (remarks not cut)
    seen_in: dict[str, list[str]] = defaultdict(list)
    for read in ordered:  # later publications overwrite earlier ones
        for party in read.parties.values():
            before = latest.get(party.id)
            if before is not None:
                if party.located_in is None and "located_in" in read.silent_on:
                    party.located_in = before.located_in
                if party.partial:
                    party.jurisdiction = party.jurisdiction or before.jurisdiction
            if not party.partial:
                whole[party.id] = party
            latest[party.id] = party
            seen_in[party.id].append(read.publication.id)
    rows = tables.rows["entities.csv"]
    wrong_leis = 0
    for party_id, party in latest.items():
        lei = bic = None
        has_lei = False
        identifiers = list(party.identifiers)
        if party.partial and party_id in whole:  # what the cut remarks could not say
            identifiers += whole[party_id].identifiers
        for scheme, value, _country in identifiers:  # the first valid LEI, first BIC
            if scheme == "lei" and lei is None:
                has_lei = True
                if lei_check_digits_ok(value):
                    lei = value
            elif scheme == "bic" and bic is None:
                bic = value
        wrong_leis += has_lei and lei is None  # a typo in the list: in identifiers.csv only
        rows.append(
            {
                "id": party_id,
                "name": party.name,
                "kind": party.kind,
                "jurisdiction": party.jurisdiction,
                "located_in": party.located_in,
                "branch_of": party.branch_of if party.branch_of in latest else None,
                "lei": lei,
                "bic": bic,
                "publication": ";".join(seen_in[party_id]),
                "entry": party.entry,
            }
        )
    if wrong_leis:
        tables.notes["LEIs with wrong check digits (in identifiers.csv only)"] += wrong_leis


def _designations(tables: Tables, reads: list[ReadList]) -> None:
    """The listing rows of one list's publications, in date order."""
    dates = [r.publication.published for r in reads]
    shown: dict[tuple[str, str, str], dict[int, tuple[Party, Listing]]] = defaultdict(dict)
    for index, read in enumerate(reads):
        for party in read.parties.values():
            for listing in party.listings:
                shown[(party.id, *listing.key)][index] = (party, listing)
    for (party_id, list_code, program), where in shown.items():
        for first, last in _runs(sorted(where)):
            party, listing = where[last]
            stated = next(
                (where[i][1].start for i in range(last, first - 1, -1) if where[i][1].start), None
            )
            source = next(  # a publication whose remarks are cut may not state it
                (where[i][1].source for i in range(last, first - 1, -1) if where[i][1].source),
                None,
            )
            row = {
                "entity": party_id,
                "list": list_code,
                "program": program or None,
                "measure": listing.measure,
                "source": source,
                "entry": party.entry,
                "publication": ";".join(reads[i].publication.id for i in range(first, last + 1)),
            }
            if stated:
                row.update(start=stated.isoformat(), start_basis="stated")
            else:
                row.update(start=dates[first].isoformat(), start_basis="publications")
                if first == 0:
                    row["possibly_from"] = "open"
                    tables.notes["listings possibly in force before the first publication"] += 1
                elif dates[first - 1] + ONE_DAY < dates[first]:
                    row["possibly_from"] = (dates[first - 1] + ONE_DAY).isoformat()
                    tables.notes["listings that appeared between two publications"] += 1
            if listing.end and (last == len(reads) - 1 or listing.end <= dates[last]):
                row.update(end=listing.end.isoformat(), end_basis="stated")
            elif last < len(reads) - 1:
                end = dates[last] + ONE_DAY
                row.update(end=end.isoformat(), end_basis="publications")
                if end < dates[last + 1]:
                    row["possibly_until"] = dates[last + 1].isoformat()
                tables.notes["listings that left between two publications"] += 1
            tables.add("designations.csv", **row)


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of publication indexes: [0, 1, 3] -> [(0, 1), (3, 3)]."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _facts(tables: Tables, ordered: list[ReadList]) -> None:
    """Aliases, identifiers, links and holdings, each citing every publication that
    states it."""
    cited: dict[tuple[str, ...], list[str]] = defaultdict(list)
    entry_of: dict[str, str] = {}
    # by entry: the publications of complete lists that show it, in date order (SDN and
    # CONS publications hold the same OFAC record of an entry: one sequence)
    showing: dict[str, list[_Showing]] = defaultdict(list)
    for read in ordered:
        pub = read.publication.id
        complete = read.publication.list_code in COMPLETE_LISTS
        names: dict[str, list[str]] = defaultdict(list)
        if any(party.linked_names for party in read.parties.values()):
            for party in read.parties.values():
                names[_name_key(party.name)].append(party.id)
        for party in read.parties.values():
            entry_of[party.id] = party.entry
            # what this record cannot state here: it says nothing of it
            silent = set(ALL_FACTS if party.partial else read.silent_on)
            for name, kind, weak in party.aliases:
                cited[("aliases.csv", party.id, name, kind or "", "true" if weak else "")].append(
                    pub
                )
            for scheme, value, country in party.identifiers:
                cited[("identifiers.csv", party.id, scheme, value, country or "")].append(pub)
            for controller in party.controlled_by:
                if controller in read.parties:
                    cited[("ownership.csv", controller, party.id)].append(pub)
                else:
                    tables.notes["holdings whose owner is not an imported entity (skipped)"] += 1
                    silent.add("ownership.csv")
            for target in party.linked_ids:
                if target in read.parties:
                    cited[("links.csv", party.id, target)].append(pub)
                else:
                    tables.notes["links to an entry that is not imported (skipped)"] += 1
                    silent.add("links.csv")
            for linked_name in party.linked_names:
                targets = names.get(_name_key(linked_name), [])
                if len(targets) == 1 and targets[0] != party.id:
                    cited[("links.csv", party.id, targets[0])].append(pub)
                else:
                    tables.notes["Linked To names that name no single entry (skipped)"] += 1
                    silent.add("links.csv")
            if complete:
                showing[party.id].append(_Showing(read.publication, frozenset(silent)))
    _holdings(tables, ordered)
    rows = tables.rows
    list_of = {read.publication.id: read.publication.list_code for read in ordered}
    for key, pubs in cited.items():
        file, party_id, *rest = key
        record_party = rest[0] if file == "ownership.csv" else party_id  # the owned one's
        runs, still_stated = _stated_runs(file, pubs, showing[record_party], list_of)
        if file != "ownership.csv":  # undated: as the latest record of the entry says
            if still_stated:
                _fact_row(rows, file, party_id, rest, pubs, entry_of)
            else:
                tables.notes[f"{file} rows the entry's latest publication no longer states"] += 1
            continue
        for start, end, stating in runs:
            _fact_row(rows, file, party_id, rest, stating, entry_of)
            if start or end:
                rows[file][-1].update(start=start, end=end)
                tables.notes["holdings dated by the publications that show their entry"] += 1


class _Showing(NamedTuple):
    """A publication of a complete list that shows an entry, and the tables on which its
    record of the entry is silent (a companion not given, remarks cut)."""

    publication: Publication
    silent_on: frozenset[str]


ALL_FACTS = frozenset({"aliases.csv", "identifiers.csv", "links.csv", "ownership.csv"})


def _stated_runs(
    file: str,
    pubs: list[str],
    shown: list[_Showing],
    list_of: dict[str, str],
) -> tuple[list[tuple[str | None, str | None, list[str]]], bool]:
    """When a fact (a row of ``file``) of an entry's record holds, from the publications
    that state it (``pubs``) and those of the complete lists that show the entry, in date
    order (``shown``): one (start, end, the publications that state it) per stretch of
    consecutive such publications that state it or are silent on ``file``, and whether
    the latest one that is not silent still states it. A stretch that begins after the
    entry's first publication starts the day after the one before (the fact may have
    held from then), one that ends before its last ends on the first one without it (it
    may have held until then). Facts of other lists, which their files do not date:
    ``([(None, None, pubs)], True)``."""
    if any(list_of[p] not in COMPLETE_LISTS for p in pubs):
        return [(None, None, pubs)], True
    stating = set(pubs)
    # publications of one date (an SDN and a CONS file) count as one: stated when one
    # states it, silent when all are
    days = sorted({s.publication.published for s in shown})
    says = [False] * len(days)
    speaks = [False] * len(days)
    cited_on: list[list[str]] = [[] for _ in days]
    for s in shown:
        i = bisect_left(days, s.publication.published)
        said = s.publication.id in stating
        says[i] |= said
        speaks[i] |= said or file not in s.silent_on
        if said:
            cited_on[i].append(s.publication.id)
    last_speaking = max((i for i, spoke in enumerate(speaks) if spoke), default=None)
    still_stated = last_speaking is not None and says[last_speaking]
    held = [
        i for i, (said, spoke) in enumerate(zip(says, speaks, strict=True)) if said or not spoke
    ]
    runs: list[tuple[str | None, str | None, list[str]]] = []
    for first, last in _runs(held):
        cited = [p for i in range(first, last + 1) for p in cited_on[i]]
        if not cited:
            continue  # only silent ones
        start = (days[first - 1] + ONE_DAY).isoformat() if first else None
        end = days[last + 1].isoformat() if last + 1 < len(days) else None
        runs.append((start, end, cited))
    return runs, still_stated


def _fact_row(
    rows: dict[str, list[Row]],
    file: str,
    party_id: str,
    rest: list[str],
    pubs: list[str],
    entry_of: dict[str, str],
) -> None:
    """One row of aliases, identifiers, links or ownership (a holding stated in an
    entry's record) citing ``pubs``."""
    publication = _cite(pubs)
    cells: Row
    if file == "aliases.csv":
        name, kind, weak_text = rest
        cells = {"entity": party_id, "name": name, "kind": kind, "weak": weak_text}
    elif file == "identifiers.csv":
        scheme, value, country = rest
        cells = {"entity": party_id, "scheme": scheme, "value": value, "country": country}
    elif file == "ownership.csv":
        (owned,) = rest
        cells = {"owner": party_id, "owned": owned, "kind": "controls"}
        party_id = owned  # the entry is the owned party's
    else:
        (target,) = rest
        cells = {"entity": party_id, "linked_to": target}
    cells["publication"] = publication
    cells["entry"] = entry_of[party_id]
    rows[file].append(cells)


def _cite(publications: list[str]) -> str:
    """The publications that state a fact, each once, in order, ``;``-separated."""
    if len(publications) == 1:
        return publications[0]
    return ";".join(dict.fromkeys(publications))


def _holdings(tables: Tables, ordered: list[ReadList]) -> None:
    """Typed holdings (:class:`Holding`) between parties of any publication given
    together, each citing every publication that states it; a holding with a party that
    no publication holds is counted and skipped."""
    known = {party_id for read in ordered for party_id in read.parties}
    # One row per relation (owner, owned, kind, share, dates), as the data package wants
    # it: records that state the same relation (GLEIF's direct and ultimate
    # consolidation by the same parent, BODS interests of several types) are its entries.
    # relation -> (the first holding that states it, its publications, its entries)
    stated: dict[tuple[object, ...], tuple[Holding, list[str], list[str]]] = {}
    skipped = 0
    for read in ordered:
        pub = read.publication.id
        for h in read.holdings:
            if h.owner in known and h.owned in known:
                relation: tuple[object, ...] = (h.owner, h.owned, h.kind, h.percent)
                relation += (h.percent_min, h.percent_max, h.start, h.end)
                if (group := stated.get(relation)) is None:
                    stated[relation] = (h, [pub], [h.entry])
                else:
                    group[1].append(pub)
                    group[2].append(h.entry)
            else:
                skipped += 1
    if skipped:
        tables.notes["holdings with a party that is not imported (skipped)"] += skipped
    rows = tables.rows["ownership.csv"]
    merged = 0
    for h, pubs, entries in stated.values():
        if len(entries) > 1:
            merged += len(set(entries)) - 1
        rows.append(
            {
                "owner": h.owner,
                "owned": h.owned,
                "kind": h.kind,
                "percent": h.percent,
                "percent_min": h.percent_min,
                "percent_max": h.percent_max,
                "start": h.start.isoformat() if h.start else None,
                "end": h.end.isoformat() if h.end else None,
                "publication": _cite(pubs),
                "entry": _cite(entries),
            }
        )
    if merged:
        tables.notes["records stating a relation another record states (merged)"] += merged
