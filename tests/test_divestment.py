"""OFAC FAQ 402: an entity unblocked by a divestment of its blocked owners is flagged,
because the data do not say whether the divestment met FAQ 402's condition."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.analysis.loader import load_ownership_below_listings
from sanctiongraph.analysis.ownership import NO_END, compute_status
from sanctiongraph.derive.divestment import divestments
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.store import GraphStore
from sanctiongraph.validate import validate_sources

FIXTURE = Path(__file__).parent / "fixtures" / "ofac-50pct" / "violates-divestment.ttl"


@pytest.mark.parametrize(
    "as_of, divested",
    [
        (date(2025, 5, 31), False),  # the day before the holding ends: still blocked
        (date(2025, 6, 1), True),  # the end date: no longer blocked, FAQ 402's condition applies
    ],
)
def test_divestment_is_judged_from_the_holdings_end_date(as_of: date, divested: bool) -> None:
    """Issue 18 item 11: the warning starts on the day the blocked owner's holding ends;
    the day before, the holder is simply blocked."""
    triples = parse_rdf(FIXTURE.read_bytes(), ox.RdfFormat.TURTLE, FIXTURE.name)
    findings = validate_sources([Source.from_triples("d", triples)], as_of).findings
    shapes = {f.shape.rsplit("#", 1)[1] for f in findings}
    assert ("AccountAfterDivestmentShape" in shapes) is divested
    assert ("AccountForBlockedEntityShape" in shapes) is not divested
    if divested:
        [finding] = [f for f in findings if f.shape.endswith("AccountAfterDivestmentShape")]
        assert finding.citation == "OFAC FAQ 402"
        assert "outside U.S. jurisdiction" in finding.message


def _divestments_over_the_whole_graph(store: GraphStore, as_of: date) -> dict[str, str]:
    """The definition, computed the slow way: every status over the whole graph."""
    data = load_ownership_below_listings(store)
    now = compute_status(data, as_of)
    found: dict[str, str] = {}
    ends = sorted({end for end in data.h_end if end != NO_END and end <= as_of.isoformat()})
    for end in ends:
        day_before = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
        before, on_end = compute_status(data, day_before), compute_status(data, end)
        for n, (owner, owned) in enumerate(zip(data.h_owner, data.h_owned)):
            if (
                data.h_end[n] == end
                and not data.h_control[n]
                and owned not in now.blocked
                and owner in before.blocked
                and owned in before.blocked
                and owned not in on_end.blocked
            ):
                found[data.keys[owned]] = end
    return found


def test_generated_world_same_divestments_as_whole_graph_statuses(tmp_path: Path) -> None:
    """Issue 21: the deriver computes each end date's statuses on the ancestors of the
    entities concerned only (at 100k, whole-graph statuses for each of about 1,700 end
    dates took minutes); the answers equal the whole-graph ones on a generated world."""
    from pipeline import write_world
    from sanctiongraph.ingest import read_sources
    from sanctiongraph.loading import load_bundled, load_sources
    from sanctiongraph.store import open_store

    write_world(4_000, seed=1, folder=tmp_path / "world")
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([tmp_path / "world"]))
    found = 0
    for as_of in (date(2015, 6, 1), date(2021, 1, 1), date(2026, 11, 23)):
        expected = _divestments_over_the_whole_graph(store, as_of)
        assert divestments(load_ownership_below_listings(store), as_of) == expected, as_of
        found += len(expected)
    assert found > 0
