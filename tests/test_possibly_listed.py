"""*Possibly listed* (issue 17 item 2): a listing whose status is unknown on a day
(publications that disagree) makes the entry possibly listed, and what rests on it
possibly blocked, in the 50 Percent Rule, ``owners``, the deriver and the shapes.

The history is the four real SDN publications of tests/fixtures/imports/ofac-csv/history
(2021-08-18, 2022-03-01, 2022-12-02, 2023-06-01), imported as ``sanctiongraph import``
does; every boundary is checked one day either side.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from sanctiongraph.analysis.ownership import (
    BLOCKED,
    NOT_BLOCKED,
    POSSIBLY_BLOCKED,
    OwnershipData,
    compute_status,
    status_in_words,
)

HISTORY = Path(__file__).parent / "fixtures" / "imports" / "ofac-csv" / "history"
FTB = "ofac:15603"  # in every publication (NPWMD)
SBER = "ofac:17018"  # appears between 2022-03-01 and 2022-12-02
LEFT = "ofac:7508"  # leaves between 2022-03-01 and 2022-12-02


@pytest.fixture(scope="module")
def history_store(tmp_path_factory):
    """The four publications imported, and a bank package: `front` is 60 % owned by
    Sberbank (possibly listed in 2022), `other` 60 % by the entry that left; a U.S.
    bank `usb` keeps the deposit account `acc-front` for `front`."""
    from sanctiongraph.imports import import_lists
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store import open_store

    folder = tmp_path_factory.mktemp("history")
    lists = folder / "lists"
    import_lists("ofac-csv", [HISTORY], lists, None)
    _append(
        lists / "entities.csv",
        [
            {"id": "front", "name": "Front Co", "kind": "company", "jurisdiction": "CY"},
            {"id": "other", "name": "Other Co", "kind": "company", "jurisdiction": "CY"},
            {"id": "usb", "name": "US Bank", "kind": "bank", "jurisdiction": "US"},
        ],
    )
    _append(
        lists / "accounts.csv",
        [
            {
                "id": "acc-front",
                "type": "deposit",
                "maintained_by": "usb",
                "holder": "front",
                "opened_on": "2020-01-02",
            }
        ],
    )
    _append(
        lists / "ownership.csv",
        [
            {"owner": SBER, "owned": "front", "percent": "60"},
            {"owner": LEFT, "owned": "other", "percent": "60"},
        ],
    )
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([lists]))
    return store


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    """Add ``rows`` to a CSV file of the package (written with their columns if absent)."""
    if not path.exists():
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.DictWriter(handle, list(rows[0])).writeheader()
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, header).writerows(rows)


def _status(store, entity: str, day: str) -> str:
    from sanctiongraph.analysis.loader import owners

    return owners(store, entity, date.fromisoformat(day))["status"]


@pytest.mark.parametrize(
    ("entity", "day", "expected"),
    [
        # Before the first publication the listing is unknown; from it on, listed; the
        # publications that agree keep it listed; after the last the last status holds.
        (FTB, "2021-08-17", POSSIBLY_BLOCKED),
        (FTB, "2021-08-18", BLOCKED),
        (FTB, "2022-03-01", BLOCKED),
        (FTB, "2022-03-02", BLOCKED),
        (FTB, "2023-06-01", BLOCKED),
        (FTB, "2023-06-02", BLOCKED),
        # Absent on 2022-03-01, present on 2022-12-02: possibly listed in between.
        (SBER, "2022-03-01", NOT_BLOCKED),
        (SBER, "2022-03-02", POSSIBLY_BLOCKED),
        (SBER, "2022-12-01", POSSIBLY_BLOCKED),
        (SBER, "2022-12-02", BLOCKED),
        (SBER, "2023-06-02", BLOCKED),
        ("front", "2022-03-01", NOT_BLOCKED),
        ("front", "2022-03-02", POSSIBLY_BLOCKED),
        ("front", "2022-12-01", POSSIBLY_BLOCKED),
        ("front", "2022-12-02", BLOCKED),
        # Delisting the other way round: present on 2022-03-01, absent on 2022-12-02.
        (LEFT, "2022-03-01", BLOCKED),
        (LEFT, "2022-03-02", POSSIBLY_BLOCKED),
        (LEFT, "2022-12-01", POSSIBLY_BLOCKED),
        (LEFT, "2022-12-02", NOT_BLOCKED),
        (LEFT, "2023-06-02", NOT_BLOCKED),
        ("other", "2022-03-01", BLOCKED),
        ("other", "2022-03-02", POSSIBLY_BLOCKED),
        ("other", "2022-12-01", POSSIBLY_BLOCKED),
        ("other", "2022-12-02", NOT_BLOCKED),
    ],
)
def test_history_boundaries(history_store, entity, day, expected):
    assert _status(history_store, entity, day) == expected


def test_owners_reasons_say_possibly_listed_between_which_publications(history_store):
    from sanctiongraph.analysis.loader import owners, render_text

    body = owners(history_store, SBER, date(2022, 6, 1))
    found = [r for r in body["reasons"] if r["kind"] == "possible_listing"]
    assert found  # one per program of the entry
    for reason in found:
        assert reason["note"] == (
            "possibly listed (between the publication of 2022-03-01 "
            "without it and the publication of 2022-12-02 with it)"
        )
        assert (reason["start"], reason["possibly_from"]) == ("2022-12-02", "2022-03-02")
    assert not [r for r in body["reasons"] if r["kind"] == "listing"]
    assert "possibly listed (between the publication of 2022-03-01" in render_text(
        body, date(2022, 6, 1)
    )

    left = owners(history_store, LEFT, date(2022, 6, 1))
    notes = {r["note"] for r in left["reasons"] if r["kind"] == "possible_listing"}
    assert notes == {
        "possibly still listed (between the publication of 2022-03-01 with it "
        "and the publication of 2022-12-02 without it)"
    }

    first = owners(history_store, FTB, date(2021, 8, 17))
    assert {r["note"] for r in first["reasons"]} == {
        "possibly listed (before the publication of 2021-08-18, the first given, which lists it)"
    }

    front = owners(history_store, "front", date(2022, 6, 1))
    (stake,) = front["reasons"]
    assert (stake["kind"], stake["owner"], stake["owner_status"]) == (
        "ownership",
        SBER,
        POSSIBLY_BLOCKED,
    )


def test_api_owners_encodes_a_possible_listing():
    from sanctiongraph.analysis.ownership import ownership_status
    from sanctiongraph.api.encoding import owners_json

    data = OwnershipData()
    data.add_listing(
        "Y",
        "2023-06-01",
        None,
        key="sdn-y",
        programs=["DPRK"],
        possibly_from="2023-03-02",
        start_from_publications=True,
    )
    text = owners_json(ownership_status(data, data.index["Y"], "2023-03-02")).decode()
    assert '"status":"possibly_blocked"' in text
    assert '"kind":"possible_listing"' in text and '"possibly_from":"2023-03-02"' in text


def _world() -> OwnershipData:
    data = OwnershipData()
    data.add_listing(
        "Y",
        "2023-06-01",
        "2024-01-02",
        key="sdn-y",
        programs=["DPRK"],
        possibly_from="2023-03-02",
        possibly_until="2024-03-01",
        start_from_publications=True,
        end_from_publications=True,
    )
    data.add_listing("X", "2020-01-01", key="sdn-x", programs=["SDGT"])
    data.add_holding("Y", "A", 30)
    data.add_holding("X", "A", 20)
    data.add_holding("A", "B", 50)
    return data


@pytest.mark.parametrize(
    ("day", "y", "a"),
    [
        ("2023-03-01", NOT_BLOCKED, NOT_BLOCKED),
        ("2023-03-02", POSSIBLY_BLOCKED, POSSIBLY_BLOCKED),
        ("2023-05-31", POSSIBLY_BLOCKED, POSSIBLY_BLOCKED),
        ("2023-06-01", BLOCKED, BLOCKED),
        ("2024-01-01", BLOCKED, BLOCKED),
        ("2024-01-02", POSSIBLY_BLOCKED, POSSIBLY_BLOCKED),
        ("2024-02-29", POSSIBLY_BLOCKED, POSSIBLY_BLOCKED),
        ("2024-03-01", NOT_BLOCKED, NOT_BLOCKED),
    ],
)
def test_possible_listing_seeds_the_upper_fixed_point_only(day, y, a):
    data = _world()
    status = compute_status(data, day)
    assert status.status(data.index["Y"]) == y
    # 30 % possibly blocked + 20 % blocked: A is possibly blocked, and so is B below it.
    assert status.status(data.index["A"]) == a
    assert status.status(data.index["B"]) == a
    # The scoped fixed point (owners, transactions) agrees with the whole-graph one.
    scoped = compute_status(data, day, [data.index["B"]])
    assert scoped.status(data.index["B"]) == a


def test_status_in_words_names_owners_shares_and_the_possible_listing():
    data = _world()
    status = compute_status(data, "2023-04-01")
    words = status_in_words(data, status, data.index["B"])
    assert words == (
        "possibly blocked: owned 0% to 50% in aggregate by blocked or possibly blocked "
        "persons: 50% by A (possibly blocked: owned 30% by Y (possibly blocked: possibly "
        "listed on the SDN List (DPRK), first shown in the publication of 2023-06-01, last "
        "shown in the publication of 2024-01-01 (between the publication of 2023-03-01 "
        "without it and the publication of 2023-06-01 with it))"
        " and 20% by X (listed on the SDN List (SDGT) from 2020-01-01))"
    )
    later = compute_status(data, "2023-07-01")
    assert status_in_words(data, later, data.index["A"]) == (
        "blocked: owned 50% in aggregate by blocked persons: 30% by Y (listed on the SDN "
        "List (DPRK), first shown in the publication of 2023-06-01, last shown in the "
        "publication of 2024-01-01) and 20% by X (listed on the SDN List (SDGT) from "
        "2020-01-01)"
    )


def test_deriver_marks_possibly_listed_and_explains(history_store):
    from sanctiongraph.derive import run_derivers

    run_derivers(history_store, date(2022, 6, 1))
    prefix = "PREFIX sg: <https://w3id.org/sanctiongraph/ontology#> "
    front = "<https://w3id.org/sanctiongraph/id/entity/front>"
    (row,) = list(
        history_store.query(
            prefix + f"SELECT ?t ?why WHERE {{ {front} a ?t ; sg:statusExplanation ?why "
            "VALUES ?t { sg:BlockedEntity sg:PossiblyBlockedEntity } }"
        )
    )
    assert row["t"].value.endswith("#PossiblyBlockedEntity")
    assert row["why"].value.startswith("possibly blocked: owned 0% to 60% in aggregate")
    assert "possibly listed on the SDN List" in row["why"].value
    assert "between the publication of 2022-03-01 without it" in row["why"].value
    flags = {
        r["flag"].value
        for r in history_store.query(
            prefix + "SELECT ?flag WHERE { ?e sg:blockingReason ?r . ?r sg:possiblyInForce ?flag ;"
            " sg:viaDesignation ?d . ?d sg:designates ?e }"
        )
    }
    assert flags == {"true"}


CITED = re.compile(
    r"OFAC SDN List, publication of \d{4}-\d{2}-\d{2}, entry (\d+)"
    r"( \(published after \d{4}-\d{2}-\d{2}, the as-of date; no earlier publication states it\))?"
)


def _cited_entries(evidence: tuple[str, ...]) -> set[str]:
    """The entry numbers of the SDN publications an evidence list cites."""
    return {m.group(1) for m in map(CITED.fullmatch, evidence) if m}


def test_possibly_blocked_findings_cite_the_publication_and_entry(history_store):
    """Item 2: a *possibly blocked* finding cites the imported listing it rests on as a
    blocked one does (the entry of Sberbank, the owner, by its publication)."""
    from sanctiongraph.validate import validate_store

    report = validate_store(history_store, date(2022, 6, 1))
    (finding,) = [
        f for f in report.findings if f.id == "acc-front" and "PossiblyBlocked" in f.shape
    ]
    assert finding.severity == "warning" and "possibly" in finding.message
    assert "between the publication of 2022-03-01 without it" in finding.message
    entries = _cited_entries(finding.evidence)
    assert entries == {SBER.split(":")[1]}
    # the only publication stating the listing is after the day, and the citation says so
    assert any("(published after 2022-06-01, the as-of date" in e for e in finding.evidence)
    later = validate_store(history_store, date(2023, 1, 1))
    (blocked,) = [f for f in later.findings if f.id == "acc-front"]
    assert blocked.shape.endswith("#AccountForBlockedEntityShape")
    assert _cited_entries(blocked.evidence) == entries


def _fixture_findings(rule: str, name: str) -> list:
    from fixtures_support import FIXTURES, run_fixture

    return list(run_fixture(FIXTURES / rule / f"{name}.ttl").findings)


def test_section_311_possible_membership_says_possibly_between_which_publications():
    """1010.660(b)(2) with a FINCEN_311 listing only possibly in force: the listed bank and
    its subsidiary (possibly a member because its owner is possibly listed) give warnings
    that say possibly, between which publications, and cite the listing's entry."""
    found = {
        f.id: f
        for f in _fixture_findings("fincen-311-dprk", "violates-b-2-possibly-listed")
        if f.shape.endswith("#PossibleTransactionProhibitionShape")
    }
    assert set(found) == {"t-first", "t-sub", "t-end", "t-last"}
    assert {f.severity for f in found.values()} == {"warning"}
    assert (
        "dandong is possibly listed (between the publication of 2026-01-31 without it "
        "and the publication of 2026-03-01 with it)" in found["t-first"].message
    )
    assert "dsub is owned 60% by dandong" in found["t-sub"].message
    assert (
        "possibly still listed (between the publication of 2026-08-31 with it and the "
        "publication of 2026-09-15 without it)" in found["t-end"].message
    )
    for finding in found.values():
        assert "FINCEN_311 list, publication of 2026-08-31, entry D-1" in finding.evidence


@pytest.mark.parametrize(
    ("name", "shape", "words"),
    [
        (
            "violates-c2-possibly-listed",
            "CaptaMaintainingPossiblyListedShape",
            "possibly on the CAPTA List under 31 CFR 561.203",
        ),
        (
            "violates-exposure-possibly-listed",
            "CaptaPossibleExposureShape",
            "so possibly a designated Iranian financial institution",
        ),
        (
            "violates-sre-j4-possibly-listed",
            "CaptaPossibleExposureShape",
            "the significant reduction exception possibly fails ((j)(4))",
        ),
        (
            "violates-c3-possibly-listed",
            "CaptaStrictConditionPossiblyListedShape",
            "possibly breaks a strict condition",
        ),
    ],
)
def test_capta_possible_listing_warns_and_names_the_unknown_interval(name, shape, words):
    findings = [f for f in _fixture_findings("ifsr-561-203", name) if f.shape.endswith("#" + shape)]
    assert findings
    for finding in findings:
        assert finding.severity == "warning"
        assert words in finding.message
        assert (
            "(unknown from " in finding.message  # the fixtures' dates are stated ones
            or "(between the publication of 2013-" in finding.message
        )


_C2 = "violates-c2-possibly-listed"
_FROM_PUBLICATIONS = "<https://w3id.org/sanctiongraph/ontology/code/date-basis/publications>"


_D2 = 'sg:startDate "2026-11-24"^^xsd:date ; sg:possiblyFrom "2026-11-01"^^xsd:date .'
_D3 = 'sg:endDate "2026-11-23"^^xsd:date ; sg:possiblyUntil "2026-12-01"^^xsd:date .'


@pytest.mark.parametrize(
    ("listing", "basis", "account", "shapes", "words"),
    [
        (
            _D2,
            f"sg:startBasis {_FROM_PUBLICATIONS}",
            "a2",
            {"CaptaMaintainingPossiblyListedShape"},
            "(between the publication of 2026-10-31 without it and the publication of "
            "2026-11-24 with it)",
        ),
        (
            _D2.replace('"2026-11-01"', '"0001-01-01"'),
            f"sg:startBasis {_FROM_PUBLICATIONS}",
            "a2",  # opened in 2020, before the first publication: (c)(1) and (c)(2)
            {"CaptaMaintainingPossiblyListedShape", "CaptaOpeningPossiblyListedShape"},
            "(before the publication of 2026-11-24, the first given, which lists it)",
        ),
        (
            _D3,
            f"sg:endBasis {_FROM_PUBLICATIONS}",
            "a3",  # opened on the first unknown day: (c)(1) and (c)(2)
            {"CaptaMaintainingPossiblyListedShape", "CaptaOpeningPossiblyListedShape"},
            "(between the publication of 2026-11-22 with it and the publication of "
            "2026-12-01 without it)",
        ),
        (
            _D2.replace('"2026-11-24"^^xsd:date', '"2026-10-15"^^xsd:date, "2026-11-24"^^xsd:date'),
            "",
            "a2",
            {"CaptaMaintainingPossiblyListedShape"},
            "(unknown from 2026-11-01 until 2026-11-24)",
        ),
    ],
)
def test_capta_possible_listing_says_why_it_is_unknown(listing, basis, account, shapes, words):
    """A CAPTA listing whose dates come from publications is worded as every other rule
    words it (analysis.ownership.unknown_listing_words): between the publication without
    it and the publication with it (the other way round after its end); before the first
    publication given. The 561.203 shapes said "publications disagree between" the two
    days, whatever the dates' basis. A listing with two start dates (a data mistake)
    still names the days, never "()"."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "ifsr-561-203" / f"{_C2}.ttl").read_text(encoding="utf-8")
    assert _D2 in text and _D3 in text
    original = _D2 if "possiblyFrom" in listing else _D3
    text = text.replace(original, listing[:-1] + (f"; {basis} ." if basis else "."))
    found = [f for f in _findings_of_text("c2", text, "2026-11-23") if f.id == account]
    assert {f.shape.rsplit("#", 1)[1] for f in found if f.severity == "warning"} == shapes
    for finding in found:
        if finding.severity == "warning":
            assert words in finding.message and "()" not in finding.message, finding
            # an open start is "open" in the evidence, as in the package, not 0001-01-01
            assert "0001-01-01" not in finding.evidence, finding
            assert ("open" in finding.evidence) is ("0001-01-01" in listing), finding


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_capta_past_maintaining_with_no_first_day_names_none(engine):
    """An account with no opening date, held for an institution whose CAPTA listing is
    unknown from the first publication on (``possibly_from`` open): the past stretch is
    reported "until" its end; the message said "from 0001-01-01", the stored sentinel."""
    import pyoxigraph as ox

    from fixtures_support import FIXTURES
    from sanctiongraph.ingest import Source
    from sanctiongraph.ingest.rdf import parse_rdf
    from sanctiongraph.validate import validate_sources

    text = (FIXTURES / "ifsr-561-203" / f"{_C2}.ttl").read_text(encoding="utf-8")
    for old, new in (
        (
            '"2026-03-01"^^xsd:date ; sg:possiblyFrom "2026-01-01"',
            '"2026-03-01"^^xsd:date ; sg:possiblyFrom "0001-01-01"',
        ),
        ('sg:heldBy ent:b4 ; sg:openedOn "2020-01-02"^^xsd:date ;', "sg:heldBy ent:b4 ;"),
    ):
        assert old in text
        text = text.replace(old, new)
    triples = parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "c2.ttl")
    report = validate_sources([Source.from_triples("c2", triples)], date(2026, 11, 23), engine)
    (finding,) = [f for f in report.findings if f.id == "a4"]
    assert finding.message.startswith(
        "Account a4 was maintained in the United States until 2026-01-02 (that day excluded)"
    ), finding.message
    assert "0001-01-01" not in finding.message and "open" in finding.evidence


@pytest.mark.parametrize(
    "day, cited",
    [
        # the latest publication stating the listing on or before the day
        ("2023-01-01", "OFAC SDN List, publication of 2022-12-02, entry 17017"),
        ("2023-06-01", "OFAC SDN List, publication of 2023-06-01, entry 17017"),
        # none before the day: the first after it, and the citation says so
        (
            "2022-06-01",
            "OFAC SDN List, publication of 2022-12-02, entry 17017 (published after "
            "2022-06-01, the as-of date; no earlier publication states it)",
        ),
    ],
)
def test_a_citation_names_the_publication_in_force_on_the_as_of_date(history_store, day, cited):
    """Audit 17 G7: the citation named the latest publication (2023-06-01) even as of
    2023-01-01."""
    from sanctiongraph.derive.links import citation_triples
    from sanctiongraph.namespaces import SG

    triples = citation_triples(history_store, date.fromisoformat(day))
    texts = {
        t.object.value
        for t in triples
        if str(t.predicate.value) == str(SG.citedAs) and "entry 17017" in t.object.value
    }
    assert texts == {cited}


def test_publications_of_one_list_imported_separately_are_refused(tmp_path):
    """Audit 17 G8/G6: two packages each holding a publication of the SDN list made two
    histories; 7508, gone from the newer, stayed listed through the older. Now an input
    error, in validate and in load (a store holding one of them), and nothing changes."""
    from sanctiongraph.imports import import_lists
    from sanctiongraph.ingest import IngestError
    from sanctiongraph.loading import load_bundled, read_and_load
    from sanctiongraph.store import open_store
    from sanctiongraph.validate import validate_paths

    older, newer = tmp_path / "older", tmp_path / "newer"
    import_lists("ofac-csv", [HISTORY / "sdn-2021-08-18.csv"], older, None)
    import_lists("ofac-csv", [HISTORY / "sdn-2023-06-01.csv"], newer, None)
    (error,) = validate_paths([older, newer], date(2025, 1, 1)).errors
    assert "publications of the SDN list are in 2 sources" in error.message
    assert error.file == "newer, older" and "import" in error.message
    store = open_store(in_memory=True)
    load_bundled(store)
    read_and_load(store, [older])
    before = set(store.graphs())
    with pytest.raises(IngestError, match="publications of the SDN list"):
        read_and_load(store, [newer])
    assert set(store.graphs()) == before
    read_and_load(store, [older])  # the same package again replaces its own graph
    # a register's files designate nobody: parts imported separately are no history
    gleif = HISTORY.parent.parent / "gleif" / "golden-copy-lei-updates-data2.xml"
    for day in (5, 6):
        import_lists("gleif", [gleif], tmp_path / f"gleif{day}", date(2023, 6, day))
    assert not validate_paths([tmp_path / "gleif5", tmp_path / "gleif6"], date(2025, 1, 1)).errors


def _fixture_findings_on(rule: str, name: str, day: str) -> list:
    """The findings of a fixture's world as of ``day`` (not the fixture's own as-of)."""
    import pyoxigraph as ox

    from fixtures_support import FIXTURES
    from sanctiongraph.ingest import Source
    from sanctiongraph.ingest.rdf import parse_rdf
    from sanctiongraph.validate import validate_sources

    path = FIXTURES / rule / f"{name}.ttl"
    triples = parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, path.name)
    report = validate_sources([Source.from_triples(path.stem, triples)], date.fromisoformat(day))
    return list(report.findings)


_SUB_NOW = ("a-sub", "AccountProhibitionShape", "now")
_SUB_MAYBE_NOW = ("a-sub", "PossiblyListedAccountShape", "now")
_CN, _CN_MAYBE = ("a-cn", "NotificationShape", "now"), ("a-cn", "PossibleNotificationShape", "now")
# the past maintainings: while listed, and in the unknown intervals either side
_SUB_PAST = ("a-sub", "AccountProhibitionShape", "2026-03-01 until 2026-09-01")
_SUB_MAYBE_BEFORE = ("a-sub", "PossiblyListedAccountShape", "2026-02-01 until 2026-03-01")
_SUB_MAYBE_AFTER = ("a-sub", "PossiblyListedAccountShape", "2026-09-01 until 2026-09-15")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # publications without the listing on 2026-01-31 and 2026-09-15, with it on
        # 2026-03-01 and 2026-08-31: one day either side of each
        ("2026-01-31", set()),
        ("2026-02-01", {_SUB_MAYBE_NOW, _CN_MAYBE}),
        ("2026-02-28", {_SUB_MAYBE_NOW, _CN_MAYBE}),
        ("2026-03-01", {_SUB_NOW, _CN, _SUB_MAYBE_BEFORE}),
        ("2026-03-02", {_SUB_NOW, _CN, _SUB_MAYBE_BEFORE}),
        ("2026-08-30", {_SUB_NOW, _CN, _SUB_MAYBE_BEFORE}),
        ("2026-08-31", {_SUB_NOW, _CN, _SUB_MAYBE_BEFORE}),
        ("2026-09-01", {_SUB_MAYBE_NOW, _CN_MAYBE, _SUB_MAYBE_BEFORE, _SUB_PAST}),
        ("2026-09-14", {_SUB_MAYBE_NOW, _CN_MAYBE, _SUB_MAYBE_BEFORE, _SUB_PAST}),
        # the account is still open, dsub no longer (possibly) a member: the time it was
        # kept while dsub was one stays a breach, or possibly one
        ("2026-09-15", {_SUB_MAYBE_BEFORE, _SUB_PAST, _SUB_MAYBE_AFTER}),
        ("2026-09-16", {_SUB_MAYBE_BEFORE, _SUB_PAST, _SUB_MAYBE_AFTER}),
    ],
)
def test_section_311_as_of_classification_of_a_possible_member(day, expected):
    """Audit gap 1: the as-of classifications ((b)(1) maintaining, (b)(3)(i)(A)) of a
    subsidiary whose owner's FINCEN_311 listing is possibly in force said nothing; now a
    warning that says possibly, between which publications, citing the listing. The
    account stays open throughout: each stretch in which it was kept for a (possible)
    member is a past maintaining once the stretch has ended."""
    found = _fixture_findings_on("fincen-311-dprk", "violates-b-1-possibly-listed-subsidiary", day)
    past = re.compile(r"^Maintaining \(past\): .* from (\S+ until \S+) \(that day excluded\)")

    def act(message: str) -> str:
        match = past.match(message)
        return match.group(1) if match else "now"

    assert {(f.id, f.shape.rsplit("#", 1)[1], act(f.message)) for f in found} == expected
    for finding in found:
        assert finding.severity == ("violation" if "Prohibition" in finding.shape else "warning")
        entries = [e for e in finding.evidence if e.startswith("FINCEN_311 list, publication of")]
        assert entries and all(", entry D-1" in e for e in entries)
        if "Possib" in finding.shape:
            assert "possibly cover" in finding.message
            assert (
                "possibly listed (between the publication of 2026-01-31 without it and the "
                "publication of 2026-03-01 with it)"
                in finding.message
                or "possibly still listed (between the publication of 2026-08-31 with it "
                "and the publication of 2026-09-15 without it)"
                in finding.message
            )


def _findings_of_text(name: str, text: str, day: str) -> list:
    """The findings of a Turtle world given as text, as of ``day``."""
    import pyoxigraph as ox

    from sanctiongraph.ingest import Source
    from sanctiongraph.ingest.rdf import parse_rdf
    from sanctiongraph.validate import validate_sources

    triples = parse_rdf(text.encode(), ox.RdfFormat.TURTLE, f"{name}.ttl")
    report = validate_sources([Source.from_triples(name, triples)], date.fromisoformat(day))
    return list(report.findings)


# The 2013 listings of the (k) fixtures (CAPTA for (k)(6), SDN for (k)(3) and (k)(7)):
# publications without them on 2013-04-01 and 2013-06-15, with them on 2013-05-01 and
# 2013-05-31. The day of the act, one day either side of each, and what it gives.
_SRE_DAYS = [
    ("2013-04-01", "CaptaExceptionShape"),
    ("2013-04-02", "CaptaPossibleExposureShape"),
    ("2013-04-30", "CaptaPossibleExposureShape"),
    ("2013-05-01", "CaptaExposureShape"),
    ("2013-05-31", "CaptaExposureShape"),
    ("2013-06-01", "CaptaPossibleExposureShape"),
    ("2013-06-14", "CaptaPossibleExposureShape"),
    ("2013-06-15", "CaptaExceptionShape"),
    ("2013-06-16", "CaptaExceptionShape"),
]


@pytest.mark.parametrize(("paid_on", "shape"), _SRE_DAYS)
def test_k6_payment_to_a_possibly_capta_listed_institution(paid_on, shape):
    """Audit gap 2: a payment out of the funds owed to Iran credited to an account at an
    institution only possibly on the CAPTA List ((k)(6)) left the significant reduction
    exception standing (info); now the transaction is possibly exposed and says why."""
    from fixtures_support import FIXTURES

    path = FIXTURES / "ifsr-561-203" / "violates-sre-k6-possibly-listed.ttl"
    text = path.read_text(encoding="utf-8").replace(
        '"2013-04-02"^^xsd:date ; sg:throughAccount', f'"{paid_on}"^^xsd:date ; sg:throughAccount'
    )
    (finding,) = _findings_of_text("k6", text, "2013-07-01")
    assert (finding.id, finding.shape.rsplit("#", 1)[1]) == ("sre-import", shape)
    if shape == "CaptaPossibleExposureShape":
        assert finding.severity == "warning"
        assert (
            "the significant reduction exception possibly fails ((k)(6)): a payment out of "
            f"the funds on {paid_on} was credited to an account at an institution that is "
            "possibly" in finding.message
        )
        assert "between the publication of 2013-0" in finding.message
    if shape == "CaptaExposureShape":
        assert "31 CFR 561.203(k)(6)" in finding.evidence


_VOLUME = "violates-c3-volume-possibly-listed"


@pytest.mark.parametrize(
    ("moved", "expected"),
    [
        # as in the fixture: v-first and v-second in the unknown interval before the start
        (
            {},
            {
                ("v-third", "CaptaVolumeLimitPossiblyExceededShape"),
                ("v-end-3", "CaptaStrictConditionPossiblyListedShape"),
                ("v-last", "CaptaStrictConditionPossiblyListedShape"),
            },
        ),
        # v-first the day before the unknown interval (the publication without the
        # listing): v-third is only the second in its 30 days
        (
            {"v-first": "2024-01-31"},
            {
                ("v-end-3", "CaptaStrictConditionPossiblyListedShape"),
                ("v-last", "CaptaStrictConditionPossiblyListedShape"),
            },
        ),
        # v-end-3 the day before the end: within the listing, certainly over the limit
        (
            {"v-end-3": "2024-04-30"},
            {
                ("v-third", "CaptaVolumeLimitPossiblyExceededShape"),
                ("v-end-3", "CaptaStrictConditionShape"),
                ("v-last", "CaptaStrictConditionPossiblyListedShape"),
            },
        ),
        # v-last on the day the unknown interval ends (the publication without it)
        (
            {"v-last": "2024-05-15"},
            {
                ("v-third", "CaptaVolumeLimitPossiblyExceededShape"),
                ("v-end-3", "CaptaStrictConditionPossiblyListedShape"),
            },
        ),
    ],
)
def test_c3_volume_limit_with_a_possible_listing(moved, expected):
    """Audit gap 2: volume limits were counted within the certain listing only, so a
    transaction over the limit in an unknown interval, or one over it only with the
    transactions of the unknown interval, said nothing; now a warning that says
    possibly and names the interval."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "ifsr-561-203" / f"{_VOLUME}.ttl").read_text(encoding="utf-8")
    for tx, day in moved.items():
        text = re.sub(
            rf'(dct:identifier "{tx}" ; sg:transactionDate )"[0-9-]+"', rf'\g<1>"{day}"', text
        )
    found = _findings_of_text("volume", text, "2024-06-30")
    assert {(f.id, f.shape.rsplit("#", 1)[1]) for f in found} == expected
    for finding in found:
        if "Possibl" in finding.shape:
            assert finding.severity == "warning" and "possibly" in finding.message
            assert "(unknown from" in finding.message and "2024-0" in finding.message
            assert "more than the 2 transactions" in finding.message
        else:
            assert finding.severity == "violation"


def _sdn_cited(evidence: tuple[str, ...]) -> set[str]:
    """The SDN citations in an evidence list, as written."""
    return {e for e in evidence if e.startswith("OFAC SDN List, publication of")}


@pytest.mark.parametrize(
    ("day", "shape", "published", "after"),
    [
        # publications without the listings on 2026-01-31 and 2026-09-15, with them on
        # 2026-03-01 and 2026-08-31: one day either side of each
        ("2026-01-31", None, None, False),
        ("2026-02-01", "PossiblyBlockedActor-510-512", "2026-03-01", True),
        ("2026-02-28", "PossiblyBlockedActor-510-512", "2026-03-01", True),
        ("2026-03-01", "NotAuthorized-510-512", "2026-03-01", False),
        ("2026-03-02", "NotAuthorized-510-512", "2026-03-01", False),
        ("2026-08-30", "NotAuthorized-510-512", "2026-03-01", False),
        ("2026-08-31", "NotAuthorized-510-512", "2026-08-31", False),
        ("2026-09-01", "PossiblyBlockedActor-510-512", "2026-08-31", False),
        ("2026-09-14", "PossiblyBlockedActor-510-512", "2026-08-31", False),
        ("2026-09-15", None, None, False),
        ("2026-09-16", None, None, False),
    ],
)
def test_part_510_findings_cite_the_publication_and_entry(day, shape, published, after):
    """Audit gap 3: a 510.512 finding that rests on an imported SDN listing (the NGO's
    own, or its blocked owner's) did not cite it; now it names the publication in force
    on the as-of date and the entry, as the other rules do (derive/links.py)."""
    found = _fixture_findings_on("nksr-510", "violates-ngo-imported-listing", day)
    flagged = [f for f in found if not f.shape.endswith("#Authorized-510-512")]
    if shape is None:
        assert flagged == [] and all(not _sdn_cited(f.evidence) for f in found)
        return
    entries = {"h-listed": "9001", "h-owned": "9002"}
    assert {(f.id, f.shape.rsplit("#", 1)[1]) for f in flagged} == {(a, shape) for a in entries}
    suffix = f" (published after {day}, the as-of date; no earlier publication states it)"
    for finding in flagged:
        cited = f"OFAC SDN List, publication of {published}, entry {entries[finding.id]}"
        assert _sdn_cited(finding.evidence) == {cited + (suffix if after else "")}


def test_part_510_partnership_finding_cites_the_holdings_it_rests_on():
    """510.512(d)(2): an activity not authorised because a partner is owned or
    controlled by the Government of North Korea cites the imported holdings through
    which it is (here BODS statements; ownership and control), and only those: not a
    holding of the same partner stated by the user, not one of an authorised
    activity's partner."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "nksr-510" / "violates-partnership-aggregated.ttl").read_text(
        encoding="utf-8"
    )
    text += """
ent:kpfront a sg:Company ; dct:identifier "kpfront" ; sg:jurisdiction cty:CN ;
    sg:hasFunction fn:intelligence .
hold:f1 a sg:Control ; sg:owner ent:kpgov ; sg:owned ent:kpfront .
act:h-front a sg:Activity ; dct:identifier "h-front" ; sg:actor ent:ngo1 ; sg:partner ent:kpfront ;
    sg:activityKind kind:humanitarian ; sg:category cat:basic_human_needs ;
    sg:unExemption un:approved ; sg:startOn "2026-12-20"^^xsd:date ;
    sg:hasReport <https://w3id.org/sanctiongraph/id/activity/h-agg-55/report> .
<https://w3id.org/sanctiongraph/id/publication/bods-2026-01-15> a sg:Publication ;
    sg:publicationOf <https://w3id.org/sanctiongraph/ref/list/BODS> ;
    sg:publishedOn "2026-01-15"^^xsd:date .
# p2: 50 % kpgov (imported) and 10 % mid; mid is blocked (kpgov 30 %, imported, and a
# listed company 25 %) but is no part of the Government (55 % by blocked persons, only
# 30 % by the Government), so its holding in p2 is not cited, nor kpgov's in mid
ent:sdn1 a sg:Company ; dct:identifier "sdn1" ; sg:jurisdiction cty:CN .
<https://w3id.org/sanctiongraph/id/designation/s1> a sg:Designation ; sg:designates ent:sdn1 ;
    sg:onList <https://w3id.org/sanctiongraph/ref/list/SDN> ; sg:startDate "2020-01-01"^^xsd:date .
ent:p2 a sg:Company ; dct:identifier "p2" ; sg:jurisdiction cty:CN ; sg:hasFunction fn:military .
ent:mid a sg:Company ; dct:identifier "mid" ; sg:jurisdiction cty:CN .
hold:g1 a sg:Ownership ; sg:owner ent:kpgov ; sg:owned ent:p2 ; sg:percent "50"^^xsd:decimal .
hold:g2 a sg:Ownership ; sg:owner ent:mid ; sg:owned ent:p2 ; sg:percent "10"^^xsd:decimal .
hold:g3 a sg:Ownership ; sg:owner ent:kpgov ; sg:owned ent:mid ; sg:percent "30"^^xsd:decimal .
hold:g4 a sg:Ownership ; sg:owner ent:sdn1 ; sg:owned ent:mid ; sg:percent "25"^^xsd:decimal .
# civ is owned by the Government but is no security body: its holding is not cited
ent:civ a sg:Company ; dct:identifier "civ" ; sg:jurisdiction cty:CN ; sg:hasFunction fn:other .
hold:k1 a sg:Ownership ; sg:owner ent:kpgov ; sg:owned ent:civ ; sg:percent "80"^^xsd:decimal .
act:h-p2 a sg:Activity ; dct:identifier "h-p2" ; sg:actor ent:ngo1 ; sg:partner ent:p2 , ent:civ ;
    sg:activityKind kind:humanitarian ; sg:category cat:basic_human_needs ;
    sg:unExemption un:approved ; sg:startOn "2026-12-20"^^xsd:date ;
    sg:hasReport <https://w3id.org/sanctiongraph/id/activity/h-agg-55/report> .
"""
    publication = "<https://w3id.org/sanctiongraph/id/publication/bods-2026-01-15>"
    for holding in ("a1", "d2", "e2", "f1", "g1", "g2", "g3", "k1"):  # the imported ones
        text += (
            f'hold:{holding} sg:fromPublication {publication} ; sg:entryNumber "st-{holding}" .\n'
        )
    found = {f.id: f for f in _findings_of_text("partners", text, "2026-11-23")}
    cited = {
        activity: {e for e in finding.evidence if e.startswith("BODS statements, publication of")}
        for activity, finding in found.items()
    }
    bods = "BODS statements, publication of 2026-01-15, entry "
    assert cited == {
        "h-agg-55": {bods + "st-a1"},  # kpgov 30 % (imported) + kpministry 25 % (the user's)
        "h-via-60": {bods + "st-d2"},  # kpgov 60 % of kphold (the user's), kphold 50 % (imported)
        "h-front": {bods + "st-f1"},  # kpgov controls kpfront (a control holding)
        "h-p2": {bods + "st-g1"},
        "h-agg-50": set(),  # both holdings stated by the user
        "h-agg-49": set(),  # authorised: 49 percent
        "h-via-40": set(),  # authorised: a 40 percent intermediary is not the Government
    }
    assert {a for a, f in found.items() if f.shape.endswith("#NotAuthorized-510-512")} == {
        "h-agg-55",
        "h-via-60",
        "h-agg-50",
        "h-front",
        "h-p2",
    }


def test_part_510_311_blocking_finding_cites_the_listing_it_rests_on():
    """Audit gap 3, 510.311 blocking: an account of an entity the Government of North
    Korea's listed company owns (blocked by 510.201(a)(1) as 510.311(b) reads it, and
    cited so) names the imported listing of that company by publication and entry.
    Already so before this change (shapes/ofac-50pct/blocked-parties.ttl)."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "nksr-510" / "conforms-ngo-imported-listing.ttl").read_text(encoding="utf-8")
    text += """
ent:kp-gov a sg:Government ; dct:identifier "kp-gov" ; sg:jurisdiction cty:KP .
hold:gov-owner a sg:Ownership ; sg:owner ent:kp-gov ; sg:owned ent:sdn-owner ; sg:percent "100"^^xsd:decimal .
ent:kp-jv a sg:Company ; dct:identifier "kp-jv" ; sg:jurisdiction cty:CN .
hold:jv a sg:Ownership ; sg:owner ent:sdn-owner ; sg:owned ent:kp-jv ; sg:percent "60"^^xsd:decimal .
ent:us-bank a sg:Bank ; dct:identifier "us-bank" ; sg:jurisdiction cty:US .
<https://w3id.org/sanctiongraph/id/account/jv-acc> a sg:DepositAccount ; dct:identifier "jv-acc" ;
    sg:maintainedBy ent:us-bank ; sg:heldBy ent:kp-jv ; sg:openedOn "2020-01-02"^^xsd:date .
"""
    found = [f for f in _findings_of_text("kp", text, "2026-03-01") if f.id == "jv-acc"]
    (finding,) = found
    assert finding.shape.endswith("#AccountForBlockedEntityShape")
    assert finding.citation == "31 CFR 510.201(a)(1)"
    assert "510.311(b)" in finding.message
    assert _sdn_cited(finding.evidence) == {"OFAC SDN List, publication of 2026-03-01, entry 9002"}
    # On 2026-02-01 that listing is only possibly in force: the account's holder is still
    # blocked by law, and the finding does not cite the listing as if it were in force.
    (finding,) = [f for f in _findings_of_text("kp", text, "2026-02-01") if f.id == "jv-acc"]
    assert finding.shape.endswith("#AccountForBlockedEntityShape")
    assert _sdn_cited(finding.evidence) == set()


def test_a_definite_510_finding_does_not_cite_a_listing_only_possibly_in_force():
    """Review of the gaps: an NGO blocked by law (the Government of North Korea owns its
    owner, 510.311(b)) is not authorised on 2026-02-01, when its owner's listing is only
    possibly in force. The definite finding rests on the blocking by law: it must not
    cite that listing as if it were in force (it did, through the owner's possible
    reason); on 2026-03-01, when the listing is in force, it cites it."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "nksr-510" / "violates-ngo-imported-listing.ttl").read_text(encoding="utf-8")
    text += """
ent:kp-gov a sg:Government ; dct:identifier "kp-gov" ; sg:jurisdiction cty:KP .
hold:gov-owner a sg:Ownership ; sg:owner ent:kp-gov ; sg:owned ent:sdn-owner ; sg:percent "100"^^xsd:decimal .
"""
    on_the_day = [f for f in _findings_of_text("kp", text, "2026-02-01") if f.id == "h-owned"]
    (finding,) = on_the_day
    assert finding.shape.endswith("#NotAuthorized-510-512")
    assert _sdn_cited(finding.evidence) == set()
    in_force = [f for f in _findings_of_text("kp", text, "2026-03-01") if f.id == "h-owned"]
    (finding,) = in_force
    cited = "OFAC SDN List, publication of 2026-03-01, entry 9002"
    assert _sdn_cited(finding.evidence) == {cited}


@pytest.mark.parametrize(("day", "shape"), _SRE_DAYS)
def test_k3_k7_account_of_a_possibly_designated_iranian_bank(day, shape):
    """Audit gap 2: (k)(3) and (k)(7) ask for an Iranian financial institution that is
    not a designated one (561.324); one only possibly designated (an SDN listing in an
    unknown interval) counted as not designated, so the exception held. Now, on the day
    of the import ((k)(3)) or of the move to the special purpose account ((k)(7)), the
    exception possibly fails and says why."""
    from fixtures_support import FIXTURES

    text = (FIXTURES / "ifsr-561-203" / "violates-sre-k3-k7-possibly-listed.ttl").read_text(
        encoding="utf-8"
    )
    for tx in ("sre-import", "k7-move"):
        text = re.sub(
            rf'(dct:identifier "{tx}" ; sg:transactionDate )"[0-9-]+"', rf'\g<1>"{day}"', text
        )
    found = {f.id: f for f in _findings_of_text("k3", text, "2013-07-01")}
    assert {i: f.shape.rsplit("#", 1)[1] for i, f in found.items()} == {
        "sre-import": shape,
        "sre-import-cbi": shape,
    }
    if shape == "CaptaPossibleExposureShape":
        for tx, paragraph, who in (
            ("sre-import", "(k)(3)", "the holder of the account credited"),
            ("sre-import-cbi", "(k)(7)", "the holder of the special purpose account"),
        ):
            message = found[tx].message
            assert f"the significant reduction exception possibly fails ({paragraph}): {who}" in (
                message
            )
            assert "possibly a designated Iranian financial institution" in message
            assert "(between the publication of 2013-0" in message
    if shape == "CaptaExposureShape":
        assert "31 CFR 561.203(k)(3)" in found["sre-import"].evidence
        assert "31 CFR 561.203(k)(7)" in found["sre-import-cbi"].evidence


def test_section_311_past_maintaining_of_a_possible_member():
    """A past maintaining over an unknown interval of the listing said nothing; now a
    warning that says possibly and between which publications (the one day each
    account was open then: the first unknown day, the last one)."""
    found = {
        f.id: f
        for f in _fixture_findings("fincen-311-dprk", "violates-b-1-possibly-listed-past")
        if f.shape.endswith("#PossiblyListedAccountShape")
    }
    assert set(found) == {"a-before", "a-after"}
    before, after = found["a-before"].message, found["a-after"].message
    assert "from 2026-02-01 until 2026-02-02 (that day excluded)" in before
    assert "possibly listed (between the publication of 2026-01-31 without it" in before
    assert "from 2026-09-14 until 2026-09-15 (that day excluded)" in after
    assert "possibly still listed (between the publication of 2026-08-31 with it" in after
    for finding in found.values():
        assert finding.severity == "warning" and "possibly covered then" in finding.message
        assert any(e.startswith("FINCEN_311 list, publication of") for e in finding.evidence)
    assert not _fixture_findings("fincen-311-dprk", "conforms-b-1-possibly-listed-past")
