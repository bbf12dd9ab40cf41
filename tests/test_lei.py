"""ISO 17442 check digits, one rule wherever an LEI is read: imports, the package
mapping, screening, and the derived ``sg:leiChecksumValid`` that ``LeiShape`` reads."""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest

from sanctiongraph.imports.model import lei_check_digits_ok
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.validate import validate_sources

# The MOD 97-10 remainder of "5493001KJTIIGC8Y1RWZ" is 1, but ISO 17442's check digits
# are digits: letters there are no LEI.
LETTERS_AS_CHECK_DIGITS = "5493001KJTIIGC8Y1RWZ"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("5493001KJTIIGC8Y1R12", True),
        ("529900T8BM49AURSDO55", True),
        ("5493001KJTIIGC8Y1R13", False),  # one check digit off
        ("5493001kjtiigc8y1r12", False),  # lower case
        ("5493001KJTIIGC8Y1R1", False),  # 19 characters
        (LETTERS_AS_CHECK_DIGITS, False),
        ("5493001KJTIIGC8Y1R1\u0662", False),  # a non-ASCII digit
    ],
)
def test_check_digits(value: str, ok: bool) -> None:
    assert lei_check_digits_ok(value) is ok


def test_the_derived_checksum_follows_the_same_rule() -> None:
    """derive/types.py had a check of its own that took letters as check digits."""
    text = f"""
        @prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        @prefix cty: <https://w3id.org/sanctiongraph/ref/country/> .
        <https://w3id.org/sanctiongraph/id/entity/b1> a sg:Bank ; dct:identifier "b1" ;
            sg:jurisdiction cty:US ; sg:lei "{LETTERS_AS_CHECK_DIGITS}" .
    """
    triples = parse_rdf(text.encode(), ox.RdfFormat.TURTLE, "lei.ttl")
    report = validate_sources([Source.from_triples("lei", triples)], date(2026, 11, 23))
    assert {f.shape.rsplit("#", 1)[1] for f in report.findings if f.id == "b1"} == {
        "LeiShape-format",
        "LeiShape-checksum",
    }
