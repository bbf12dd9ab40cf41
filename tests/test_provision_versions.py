"""A citation of an amended provision means the version in force on the date judged.

31 CFR 1010.605(e)(1) (covered financial institution, which 1010.659(a)(5) and
1010.660(a)(3) borrow) was amended at 85 FR 57137 with effect from 2020-11-16. The Section
311 deriver cites the paragraph as the legal basis of every covered-institution
classification; the derived graph says which version that citation means on the as-of date.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest

from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import Source
from sanctiongraph.ingest.rdf import parse_rdf
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.namespaces import SG, provision
from sanctiongraph.queries import select_values
from sanctiongraph.store import open_store

PARAGRAPH = str(provision("31 CFR 1010.605(e)(1)"))
BEFORE, AFTER = PARAGRAPH + "/before-2020-11-16", PARAGRAPH + "/from-2020-11-16"


@pytest.fixture(scope="module")
def store():
    s = open_store(in_memory=True)
    load_bundled(s)
    return s


def versions_in_force(store, day: date) -> set[str]:
    run_derivers(store, day)
    rows = select_values(
        store,
        f"""
        SELECT ?version WHERE {{ GRAPH <https://w3id.org/sanctiongraph/graph/derived> {{
          <{PARAGRAPH}> <{SG.versionInForce}> ?version }} }}""",
    )
    return {r["version"] for r in rows}


@pytest.mark.parametrize(
    "day,version",
    [
        (date(2016, 12, 9), BEFORE),  # 1010.659 takes effect under the old list
        (date(2020, 11, 15), BEFORE),  # the day before the amendment takes effect
        (date(2020, 11, 16), AFTER),  # FR Doc. 2020-20325: "Effective Date: November 16, 2020"
        (date(2026, 11, 23), AFTER),
    ],
)
def test_the_version_in_force_on_the_date_judged(store, day, version):
    assert versions_in_force(store, day) == {version}


def test_the_covered_institution_citation_follows_the_version(store):
    """A classification's sg:legalBasis (1010.605(e)(1)) leads to the wording of its day."""
    data = b"""@prefix sg: <https://w3id.org/sanctiongraph/ontology#> .
    <https://w3id.org/sanctiongraph/id/entity/usbank> a sg:Bank ;
        sg:jurisdiction <https://w3id.org/sanctiongraph/ref/country/US> ."""
    load_sources(store, [Source.from_triples("v", parse_rdf(data, ox.RdfFormat.TURTLE, "v.ttl"))])
    query = f"""
        SELECT ?version WHERE {{
          ?c <{SG.classifiedEntity}> <https://w3id.org/sanctiongraph/id/entity/usbank> ;
             <{SG.assignedClass}> <{SG.CoveredFinancialInstitution}> ;
             <{SG.legalBasis}> ?basis .
          ?basis <{SG.versionInForce}> ?version .
        }}"""
    for day, version in ((date(2020, 11, 15), BEFORE), (date(2020, 11, 16), AFTER)):
        run_derivers(store, day)
        assert {r["version"] for r in select_values(store, query)} == {version}, day
