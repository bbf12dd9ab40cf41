"""Every provision's ``sg:verification`` is what the regulations folder supports.

The table below is derived by hand from ``shared/regulations/`` (the research pack, which
is not part of the repository): for each section (or FAQ), the status its text has there
and where. A provision takes the entry of the longest citation prefix that covers it. A
provision marked ``verbatim`` must not rest on a summary: it may carry no "Wording not
verified" note, and its section must be one the pack holds verbatim.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from sanctiongraph.namespaces import CODE, SG
from sanctiongraph.resources import reference_dir

SKOS_NOTE = "http://www.w3.org/2004/02/skos/core#editorialNote"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUMMARY_NOTE = "Wording not verified against the official text"

# citation prefix -> (status, where the research pack holds the text)
TABLE: dict[str, tuple[str, str]] = {
    "31 CFR 1010.100": ("verbatim", "found-r2.md 4.3 (opening, (d), (t), (u))"),
    "31 CFR 1010.605": ("verbatim", "1010.659.md 3.1 ((a)-(c)); found-r2.md 4.1-4.2 ((e), (f))"),
    "31 CFR 1010.655": ("verbatim", "found-r2.md 6.2 (text before repeal)"),
    "31 CFR 1010.659": ("verbatim", "found-r2.md 1 (complete)"),
    "31 CFR 1010.660": ("verbatim", "found-r2.md 6.1 (complete)"),
    "31 CFR 510.201": ("verbatim", "510-general-licenses.md 7 ((a)(1)-(a)(3)(ii)(D), truncated)"),
    "31 CFR 510.311": ("verbatim", "510-general-licenses.md 6 (complete, with notes)"),
    "31 CFR 510.210": ("verbatim", "510-general-licenses.md (510.210 (a)-(b)(2), partial)"),
    "31 CFR 510.512": ("verbatim", "found-r2.md 2.1 (2024 text, italic gaps in (e))"),
    "31 CFR 510.520": ("verbatim", "found-r2.md 2.3"),
    "31 CFR 510.521": ("verbatim", "found-r2.md 2.4 (two copies)"),
    "31 CFR 510.522": ("verbatim", "found-r2.md 2.5 (complete, with notes)"),
    "31 CFR 561.201": ("summary", "561-definitions.md 6 (superseded text only)"),
    "31 CFR 561.203": ("verbatim", "seeds/003 (561.203 verbatim)"),
    "31 CFR 561.306": ("verbatim", "found-r2.md 3.1 (defined term missing)"),
    "31 CFR 561.307": ("verbatim", "561-definitions.md 3"),
    "31 CFR 561.308": ("verbatim", "found-r2.md 3.2"),
    "31 CFR 561.321": ("verbatim", "found-r2.md 3.3"),
    "31 CFR 561.322": ("verbatim", "561-definitions.md 3"),
    "31 CFR 561.323": ("verbatim", "561-definitions.md 3"),
    "31 CFR 561.324": ("verbatim", "found-r2.md 3.4 (defined term missing)"),
    "31 CFR 561.401": ("verbatim", "561-definitions.md 4"),
    "31 CFR 561.402": ("verbatim", "561-definitions.md 4"),
    "31 CFR 561.403": ("verbatim", "561-definitions.md 4"),
    "31 CFR 561.404": ("verbatim", "found-r2.md 3.5"),
    "31 CFR 561.504": ("verbatim_via_copy", "561-definitions.md 6 (older, superseded text only)"),
    "31 CFR 561.406": ("verbatim", "561-definitions.md 4"),
    "31 CFR 561.407": ("verbatim", "561-definitions.md 4"),
    "OFAC CAPTA List": ("verbatim", "561-definitions.md 6 (Treasury bulletin of 2019-03-14)"),
    "OFAC 50 Percent Rule": ("verbatim_via_copy", "ofac-50-percent-rule.md 1 (quotations)"),
    "OFAC FAQ 398": ("verbatim", "ofac-50-percent-rule.md 2"),
    "OFAC FAQ 399": ("verbatim_via_copy", "ofac-50-percent-rule.md 2 (copy)"),
    "OFAC FAQ 400": ("summary", "found-r2.md 5: NOT FOUND"),
    "OFAC FAQ 401": ("verbatim", "ofac-50-percent-rule.md 2"),
    "OFAC FAQ 402": ("verbatim_via_copy", "ofac-50-percent-rule.md 2 (forum copy)"),
}
VERSIONS = {  # the two wordings of 1010.605(e)(1), found-r2.md 4.2 and 4.1
    "31-CFR-1010.605-e-1/before-2020-11-16": ("verbatim", None, "2020-11-16"),
    "31-CFR-1010.605-e-1/from-2020-11-16": ("verbatim", "2020-11-16", None),
}


def _store() -> ox.Store:
    store = ox.Store()
    for path in sorted(reference_dir().rglob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


STORE = _store()


def _one(subject: str, predicate: object) -> str | None:
    found = [
        q.object.value
        for q in STORE.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(str(predicate)), None)
    ]
    assert len(found) <= 1, (subject, predicate, found)
    return found[0] if found else None


def _provisions() -> dict[str, str]:
    """provision IRI -> citation"""
    return {
        q.subject.value: _one(q.subject.value, SG.citation)
        for q in STORE.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(str(SG.LegalProvision))
        )
    }


def expected_status(citation: str) -> tuple[str, str]:
    keys = [k for k in TABLE if citation == k or citation.startswith(k + "(")]
    assert keys, f"{citation}: no entry in the verification table"
    return TABLE[max(keys, key=len)]


@pytest.mark.parametrize("iri,citation", sorted(_provisions().items()))
def test_verification_is_what_the_regulations_folder_supports(iri: str, citation: str) -> None:
    status, where = expected_status(citation)
    assert _one(iri, SG.verification) == str(CODE[f"verification/{status}"]), (citation, where)
    notes = [
        q.object.value
        for q in STORE.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(SKOS_NOTE), None)
    ]
    resting_on_summary = any(n.startswith(SUMMARY_NOTE) for n in notes)
    assert resting_on_summary == (status == "summary"), (citation, notes)


def test_every_table_entry_is_used() -> None:
    citations = set(_provisions().values())
    for key in TABLE:
        assert any(c == key or c.startswith(key + "(") for c in citations), key


def test_provision_versions_carry_their_dates_and_verification() -> None:
    base = "https://w3id.org/sanctiongraph/ref/provision/"
    found = {
        q.subject.value[len(base) :]
        for q in STORE.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(str(SG.ProvisionVersion))
        )
    }
    assert found == set(VERSIONS)
    for local, (status, start, end) in VERSIONS.items():
        iri = base + local
        assert _one(iri, SG.verification) == str(CODE[f"verification/{status}"])
        assert _one(iri, SG.effectiveFrom) == start
        assert _one(iri, SG.effectiveUntil) == end
        assert _one(iri, "http://purl.org/dc/terms/isVersionOf") == base + "31-CFR-1010.605-e-1"
