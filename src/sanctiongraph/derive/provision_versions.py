"""Which version of an amended provision is in force on the as-of date.

A provision whose wording changed (for example 31 CFR 1010.605(e)(1), amended with effect
from 2020-11-16) has ``sg:ProvisionVersion`` individuals in the registry, each
``dct:isVersionOf`` it with ``sg:effectiveFrom`` / ``sg:effectiveUntil`` (a start is
included, an end is not; an absent bound is open). This deriver writes
``<provision> sg:versionInForce <version>`` into the derived graph for the version whose
interval holds the as-of date, so that anything citing the provision (such as the Section
311 deriver's covered financial institutions, ``sg:legalBasis``) can follow the citation to
the wording that applied on the day judged.
"""

from __future__ import annotations

from datetime import date

from sanctiongraph.derive import DERIVED
from sanctiongraph.namespaces import SG
from sanctiongraph.store import GraphStore

ORDER = 5

_XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def version_in_force_query(as_of: date) -> str:
    """A CONSTRUCT of ``?provision sg:versionInForce ?version`` for the versions in force on ``as_of``."""
    day = f'"{as_of.isoformat()}"^^<{_XSD_DATE}>'
    return f"""
        CONSTRUCT {{ ?provision <{SG.versionInForce}> ?version }}
        WHERE {{
          ?version a <{SG.ProvisionVersion}> ; <http://purl.org/dc/terms/isVersionOf> ?provision .
          OPTIONAL {{ ?version <{SG.effectiveFrom}> ?from }}
          OPTIONAL {{ ?version <{SG.effectiveUntil}> ?until }}
          FILTER ((!BOUND(?from) || ?from <= {day}) && (!BOUND(?until) || {day} < ?until))
        }}"""


def derive(store: GraphStore, as_of: date) -> None:
    store.add_constructed(DERIVED, version_in_force_query(as_of))
