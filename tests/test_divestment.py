"""OFAC FAQ 402: an entity unblocked by a divestment of its blocked owners is flagged,
because the data do not say whether the divestment met FAQ 402's condition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
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
