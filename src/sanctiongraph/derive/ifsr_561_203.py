"""31 CFR 561.203 (Iran CAPTA): exposure of foreign financial institutions' transactions.

For every transaction conducted or facilitated by a foreign financial institution (FFI)
with the Central Bank of Iran or a designated Iranian financial institution, this
deriver writes one ``sg:ExposureAssessment`` node into the derived graph that says
which paragraph of 561.203 exposes it (``sg:exposedUnder``: (d)(1), (d)(2), (e)(1),
(e)(2) or (f)), or which exception keeps it from being sanctionable
(``sg:exceptedUnder``: (g), (h) or (i)), or which fact the data lack
(``sg:missingFact``: ``purpose``, ``knowingly``, ``significant``). The shapes in
``shapes/ifsr-561-203/exposure.ttl`` only read these nodes. For the CAPTA shapes it also
writes each CAPTA listing's section (``sg:captaAuthority``), wind-down end, volume-limit
breaches, and why it is unknown in its unknown intervals (``sg:possiblyFromWords``,
``sg:possiblyUntilWords``).

The rules applied (all dates are the transaction's date; intervals include their start
and exclude their end):

* **Conducting FFI**: the transaction's ``sg:conductedBy`` (which ``derive/types.py``
  defaults to the holder of the account it went through), a financial institution whose
  primary jurisdiction (its own ``sg:jurisdiction``, or that of the institution it is a
  branch of; 31 CFR 561.406) is neither the United States nor Iran, and which is not
  located in the United States.
* **Central Bank of Iran**: an ``sg:CentralBank`` whose jurisdiction is Iran.
* **Designated Iranian financial institution** (561.324): a financial institution whose
  primary jurisdiction is Iran, with an SDN designation in force on the date under any
  program (``IFSR``, ``NPWMD``, ``SDGT``, ``IRGC`` ...), except one whose programs are all
  tags 561.324 excludes (``sg:soleProgramExcluded`` in the registry: ``IRAN``, the
  E.O. 13599 blocking of every Iranian bank; OFAC FAQs 150 and 172).
* **With** the Iranian party: it is any party of the transaction (``sg:involves``:
  counterparty, originator, beneficiary, their institutions, intermediaries) other than
  the conducting FFI, since 561.407 counts dealings directly or indirectly.
* **Ownership category** (561.323): ``foreign_central_bank`` for an ``sg:CentralBank``;
  ``government_owned_or_controlled`` when governments or government bodies of one
  foreign country own at least 561.323's ``sg:ownedPercentAtLeast`` (50) percent in total
  (``sg:percent``, else the lower bound
  ``sg:percentMin``), or one of them holds an ``sg:Control``; else ``privately_owned``.
  "Otherwise controlled" includes control through a government-owned intermediary: an
  entity that the government and its bodies own 50 percent or more of together, or
  control, is counted with them (a fixed point over the holdings in force on the day;
  ``_World.government_side``), so its stake or control counts as the government's.
  A branch takes its head office's category.
* **Paragraph**: privately owned: petroleum purchase (d)(2), anything else (d)(1);
  government owned or controlled: petroleum purchase or sale (e)(1), anything else
  (e)(2); foreign central bank: petroleum purchase or sale (f), anything else is not
  exposed. Each paragraph's start date is its ``sg:effectiveFrom`` in the registry
  (2012-02-29 for (d)(1), 2012-06-28 for (d)(2), (e)(1) and (f), 2013-02-06 for (e)(2));
  before it nothing is derived, and a paragraph without one exposes nothing.
* **Exceptions**, in this order: (g) for (d)(1)/(e)(2) transactions whose purpose is
  agricultural commodities, food, medicine or medical devices, unless the goods go
  elsewhere than Iran; (h) for petroleum purchases on a date no presidential
  ``sg:PetroleumSupplySufficiency`` period covers; (i)-(k) when the FFI's country holds
  an ``sg:SignificantReductionException`` on the date and the data show every condition
  we can check: (j)(1) bilateral trade between that country and Iran; (j)(2) for
  exports to Iran, ``sg:paidTo`` is a national or an entity of that country and not the
  Government of Iran; either way, (j)(4) ``sg:creditedTo`` is an account on record that
  is not at a CAPTA-listed institution; for imports from Iran, it is an account that
  (k)(1) the FFI maintains, (k)(2) is in that country, (k)(3) is held by the Central
  Bank of Iran, the Iranian party or a non-designated Iranian financial institution,
  and (k)(7)(ii) if it is a special purpose account, is held by the Central Bank of Iran
  or a non-designated Iranian financial institution. Payments out of the funds (transactions whose
  ``sg:throughAccount`` is the credited account, dated from the import to the as-of
  date) must meet (k)(4)-(k)(7): no payment to the Government of Iran (561.321(a)-(b):
  with every entity it or the Central Bank of Iran owns or controls, directly or
  indirectly, on the payment's date; ``_World.iran_government_side``), nothing credited to an account in Iran or at a
  CAPTA-listed institution ((k)(6)); a move to another account of the Iranian side at
  the same institution must be to a special purpose account in the country held by the
  Central Bank of Iran or a non-designated Iranian financial institution ((k)(7)), whose
  own payments out are then held to the same conditions; any other payment must be for
  a direct export of the country's goods to Iran ((k)(4)) to a national or entity of
  the country, into an account in the country that the payee holds ((k)(5)).
  Requirements the data do not show are recorded as ``sg:exceptionNotMet`` and the
  exposure stands.
* **Wind-down** (561.504(a), older text): each ``prohibit_maintain`` CAPTA listing whose
  section names a ``sg:captaWindDown`` provision gets ``sg:captaWindDownEnd``, its first
  day plus that provision's ``sg:windDownDays``; ``shapes/ifsr-561-203/c2-maintaining.ttl``
  warns before that day and reports a (c)(2) breach from it on.
* **Knowingly and significant**: an explicit ``false`` in either ends the assessment
  (nothing is derived); an empty cell is recorded as ``sg:missingFact`` instead of a
  guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, XSD

from sanctiongraph.analysis.ownership import (
    OwnershipData,
    RelationKey,
    owned_or_controlled,
    owned_or_controlled_holdings,
    relation_key,
    to_units,
    unknown_listing_words,
)
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.kit import RuleProvenance, date_value, day_key, in_force
from sanctiongraph.namespaces import CODE, REF, SG, provision
from sanctiongraph.queries import group_properties, select_properties, select_values, value_blocks
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import decimal_value

ORDER = 300

RULE = "ifsr-561-203"
PROVENANCE = RuleProvenance(RULE)

US, IR = str(REF["country/US"]), str(REF["country/IR"])
SDN, CAPTA = str(REF["list/SDN"]), str(REF["list/CAPTA"])
PETROLEUM_PURCHASE = str(CODE["purpose/petroleum_purchase"])
PETROLEUM_SALE = str(CODE["purpose/petroleum_sale"])
HUMANITARIAN_G = {
    str(CODE[f"purpose/{p}"])
    for p in ("agricultural_commodities", "food", "medicine", "medical_devices")
}

#: The paragraphs whose start date (``sg:effectiveFrom`` in the registry) bounds exposure.
DATED_PARAGRAPHS = ("(d)(1)", "(d)(2)", "(e)(1)", "(e)(2)", "(f)")
#: The definition whose ``sg:ownedPercentAtLeast`` makes an institution government owned.
GOVERNMENT_OWNED_DEFINITION = provision("31 CFR 561.323")
#: The definition whose ``sg:soleProgramExcluded`` tags do not make a designated Iranian FI.
DESIGNATED_IRANIAN_FI_DEFINITION = provision("31 CFR 561.324")
PRIVATE, GOVERNMENT, CENTRAL_BANK = (
    "privately_owned",
    "government_owned_or_controlled",
    "foreign_central_bank",
)

P = {
    k: provision(f"31 CFR 561.203{k}")
    for k in (
        "(d)(1)",
        "(d)(2)",
        "(e)(1)",
        "(e)(2)",
        "(f)",
        "(g)",
        "(h)",
        "(i)",
        "(j)(1)",
        "(j)(2)",
        "(j)(4)",
        "(k)",
        "(k)(1)",
        "(k)(2)",
        "(k)(3)",
        "(k)(4)",
        "(k)(5)",
        "(k)(6)",
        "(k)(7)",
        "(k)(7)(ii)",
    )
}

PREFIXES = f"PREFIX sg: <{SG._NS}>\nPREFIX rdf: <{RDF}>\n"


# A designation, holding, determination, account, transaction or assessment as read or
# written here: its facts by name (the keys are the ones _gather and assess write).
Record = dict[str, Any]


@dataclass
class _World:
    """What the rule reads, gathered with a few whole-graph queries."""

    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    jurisdiction: dict[str, str] = field(default_factory=dict)
    located: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    designations: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    holdings: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    determinations: list[Record] = field(default_factory=list)
    accounts: dict[str, Record] = field(default_factory=dict)
    #: Payments out of each account that some transaction credits (561.203(k)(4)-(k)(7)).
    payments_out: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    #: Each dated paragraph's first day (registry ``sg:effectiveFrom``); one without
    #: a start date in the registry exposes nothing.
    starts: dict[str, date] = field(default_factory=dict)
    #: 561.323's share at or above which governments of one country own an institution.
    government_share: Decimal | None = None
    #: 561.324's exclusion: program tags that, when they are all an SDN listing's
    #: programs, leave the institution outside the definition (E.O. 13599: ``IRAN``).
    excluded_dif_programs: set[str] = field(default_factory=set)
    _sides: dict[date, dict[str, str]] = field(default_factory=dict)
    _iran_sides: dict[date, set[str]] = field(default_factory=dict)
    _ownership: OwnershipData | None = None

    def government_side(self, day: date) -> dict[str, str]:
        """Each foreign government and government body, and each entity they own 50
        percent or more of together or control, directly or through such entities, on
        ``day``, with the country whose government it is or belongs to (561.323)."""
        found = self._sides.get(day)
        if found is None:
            found = self._sides[day] = self._owned_or_controlled(
                {
                    e: self.jurisdiction[e]
                    for e, types in self.types.items()
                    if (str(SG.Government) in types or str(SG.GovernmentBody) in types)
                    and self.jurisdiction.get(e) not in (None, US)
                },
                day,
            )
        return found

    def iran_government_side(self, day: date) -> set[str]:
        """561.321(a)-(b): the Government of Iran, its bodies and the Central Bank of
        Iran, and each entity they own (561.323's share, together) or control, directly
        or indirectly, on ``day``."""
        found = self._iran_sides.get(day)
        if found is None:
            seed = {
                e: IR
                for e in self.types
                if self.is_central_bank_of_iran(e)
                or (
                    (self.is_a(e, SG.Government) or self.is_a(e, SG.GovernmentBody))
                    and self.jurisdiction.get(e) == IR
                )
            }
            found = self._iran_sides[day] = set(self._owned_or_controlled(seed, day))
        return found

    def _owned_or_controlled(self, seed: dict[str, str], day: date) -> dict[str, str]:
        """``seed`` (entity to country) with every entity that the members of one country
        own ``government_share`` percent or more of together, or control, on ``day``:
        :func:`~sanctiongraph.analysis.ownership.owned_or_controlled` (the one fixed
        point, the 50 Percent Rule's too) for each country, without offices. An entity
        reached from two countries is counted with the first in IRI order."""
        if self._ownership is None:
            self._ownership = OwnershipData()
            for owned, stated in sorted(self.holdings.items()):
                for h in stated:
                    self._ownership.add_holding(
                        h["owner"],
                        owned,
                        h["percent"],
                        start=h["start"],
                        end=h["end"],
                        key=h["iri"],
                        control=h["control"],
                    )
        data, today = self._ownership, day_key(day)
        share = self.government_share
        in_force_today = owned_or_controlled_holdings(data, today)
        found = dict(seed)
        for country in sorted(set(seed.values())):
            seeds = [data.index[e] for e, c in seed.items() if c == country and e in data.index]
            for entity in owned_or_controlled(
                data,
                seeds,
                today,
                at_least=None if share is None else to_units(share),
                offices=False,
                holdings=in_force_today,
            ):
                found.setdefault(data.keys[entity], country)
        return found

    def is_a(self, entity: str, cls: object) -> bool:
        return str(cls) in self.types.get(entity, set())

    def head_office(self, entity: str) -> str:
        """The institution of which ``entity`` is a branch (itself when it is none)."""
        seen = set()
        while entity in self.parent and entity not in seen:
            seen.add(entity)
            entity = self.parent[entity]
        return entity

    def primary_country(self, entity: str) -> str | None:
        """561.406: where the institution (or the one it is a branch of) is organized."""
        return self.jurisdiction.get(self.head_office(entity))

    def listing(
        self, entity: str, list_iri: str, day: date, program: str | None = None
    ) -> Record | None:
        """A designation of ``entity`` (or its head office) on ``list_iri`` in force on ``day``."""
        for who in (entity, self.parent.get(entity)):
            for d in self.designations.get(who, []) if who else []:
                if (
                    d["list"] == list_iri
                    and in_force(day, d["start"], d["end"], start_required=True)
                    and (program is None or program in d["programs"])
                ):
                    return d
        return None

    def is_central_bank_of_iran(self, entity: str) -> bool:
        return self.is_a(entity, SG.CentralBank) and self.primary_country(entity) == IR

    def is_iranian_fi(self, entity: str) -> bool:
        return self.is_a(entity, SG.FinancialInstitution) and self.primary_country(entity) == IR

    def _dif_listings(self, entity: str) -> list[Record]:
        """561.324: the SDN listings of the Iranian financial institution ``entity`` (or
        its head office) under any program, but those whose programs are all ones the
        registry excludes (blocked solely under E.O. 13599). A listing that names no
        program counts. None for the Central Bank of Iran or a non-Iranian institution."""
        if not self.is_iranian_fi(entity) or self.is_central_bank_of_iran(entity):
            return []
        return [
            d
            for who in (entity, self.parent.get(entity))
            for d in (self.designations.get(who, []) if who else [])
            if d["list"] == SDN
            and not (d["programs"] and d["programs"] <= self.excluded_dif_programs)
        ]

    def designated_iranian_fi(self, entity: str, day: date) -> Record | None:
        """A listing of :meth:`_dif_listings` in force on ``day``."""
        for d in self._dif_listings(entity):
            if in_force(day, d["start"], d["end"], start_required=True):
                return d
        return None

    def possibly_designated_iranian_fi(
        self, entity: str, day: date, who: str = "the Iranian party"
    ) -> tuple[Record, str] | None:
        """A listing of :meth:`_dif_listings` only *possibly* in force on ``day``
        (publications that disagree), with why in words (``who`` names the entity);
        None when one is in force."""
        if self.designated_iranian_fi(entity, day) is not None:
            return None
        for d in self._dif_listings(entity):
            if _possibly_in_force(d, day):
                return d, (
                    f"{who} is {_unknown_words(d, day, 'SDN')}, so possibly a "
                    "designated Iranian financial institution (31 CFR 561.324)"
                )
        return None

    def possibly_not_non_designated(
        self,
        holder: str,
        day: date,
        paragraph: str,
        who: str,
        possibly: list[tuple[str, str, str]] | None,
    ) -> None:
        """(k)(3), (k)(7), (k)(7)(ii): an account held by an Iranian financial institution
        that is not a designated one meets the condition; one only *possibly* designated
        on ``day`` (not the Central Bank of Iran) makes it possibly fail: added to
        ``possibly`` as :func:`_sre_failures` says."""
        if possibly is None or self.is_central_bank_of_iran(holder):
            return
        if (found := self.possibly_designated_iranian_fi(holder, day, who)) is not None:
            why = f"the significant reduction exception possibly fails ({paragraph}): {found[1]}"
            possibly.append((paragraph, why, found[0]["iri"]))

    def possible_listing(self, entity: str, list_iri: str, day: date) -> Record | None:
        """A designation of ``entity`` (or its head office) on ``list_iri`` only
        *possibly* in force on ``day``; None when one is in force."""
        if self.listing(entity, list_iri, day) is not None:
            return None
        for who in (entity, self.parent.get(entity)):
            for d in self.designations.get(who, []) if who else []:
                if d["list"] == list_iri and _possibly_in_force(d, day):
                    return d
        return None

    def government_of_iran(self, entity: str, day: date) -> bool:
        """561.321(a)-(b) on ``day`` (the head office's standing, for a branch)."""
        return self.head_office(entity) in self.iran_government_side(day) or (
            entity in self.iran_government_side(day)
        )

    def category(self, ffi: str, day: date) -> tuple[str, list[str]]:
        """The 561.323 ownership category of ``ffi`` on ``day``, with the holdings used."""
        head = self.head_office(ffi)
        if self.is_a(ffi, SG.CentralBank) or self.is_a(head, SG.CentralBank):
            return CENTRAL_BANK, []
        shares: dict[str, Decimal] = defaultdict(Decimal)
        used: dict[str, list[str]] = defaultdict(list)
        holdings = self.holdings.get(ffi, []) + (self.holdings.get(head, []) if head != ffi else [])
        side = self.government_side(day)
        for h in holdings:
            country = side.get(h["owner"])
            if country is None or not in_force(day, h["start"], h["end"]):
                continue
            if h["control"]:
                return GOVERNMENT, [h["iri"]]
            shares[country] += h["percent"]
            used[country].append(h["iri"])
        for country, total in shares.items():
            if self.government_share is not None and total >= self.government_share:
                return GOVERNMENT, used[country]
        return PRIVATE, []


def _possibly_in_force(d: Record, day: date) -> bool:
    """``day`` falls in an unknown interval of designation ``d``: from its
    ``possibly_from`` to its start, or from its end to its ``possibly_until``."""
    before = d["possibly_from"] is not None and d["possibly_from"] <= day < d["start"]
    after = d["end"] is not None and d["possibly_until"] is not None
    return before or (after and d["end"] <= day < d["possibly_until"])


def _unknown_words(d: Record, day: date, list_name: str) -> str:
    """``possibly listed on the SDN List (between the publication of ... without it and
    the publication of ... with it)``: why designation ``d`` is unknown on ``day``."""
    head, detail = _unknown(d, day)
    return f"{head} on the {list_name} List ({detail})"


def _unknown(d: Record, day: date) -> tuple[str, str]:
    """:func:`~sanctiongraph.analysis.ownership.unknown_listing_words` of designation
    ``d`` on ``day``."""
    return unknown_listing_words(
        day.isoformat(),
        d["start"].isoformat(),
        d["end"].isoformat() if d["end"] else None,
        d["possibly_from"].isoformat() if d["possibly_from"] else None,
        d["possibly_until"].isoformat() if d["possibly_until"] else None,
        *d["from_publications"],
    )


def _gather(store: GraphStore) -> _World:
    w = _World()

    def q(select: str) -> list[dict[str, Any]]:  # the pattern binds every column
        return select_values(store, PREFIXES + select)

    for s in q("""SELECT ?e ?t WHERE {
               VALUES ?t { sg:FinancialInstitution sg:CentralBank sg:Government
                           sg:GovernmentBody sg:Person sg:SpecialPurposeAccount }
               ?e rdf:type ?t }"""):
        w.types[s["e"]].add(s["t"])
    for s in q("SELECT ?e ?c WHERE { ?e sg:jurisdiction ?c }"):
        w.jurisdiction[s["e"]] = s["c"]
    for s in q("SELECT ?e ?c WHERE { ?e sg:locatedIn ?c }"):
        w.located[s["e"]] = s["c"]
    for s in q("SELECT ?e ?p WHERE { ?e sg:branchOf ?p }"):
        w.parent[s["e"]] = s["p"]
    for key, facts in sorted(
        group_properties(
            select_properties(store, f"?s <{SG.designates}> ?e", _DESIGNATION_FACTS),
            _DESIGNATION_FACTS,
        ).items()
    ):
        start = min(filter(None, map(date_value, facts["startDate"])), default=None)
        lists = facts["onList"]
        if start is None or not lists:
            continue
        end = max(filter(None, map(date_value, facts["endDate"])), default=None)
        for entity in sorted(facts["designates"]):
            for list_iri in sorted(lists):
                w.designations[entity].append(
                    {
                        "iri": key,
                        "list": list_iri,
                        "start": start,
                        "end": end,
                        "programs": set(facts["underProgram"]),
                        "possibly_from": date_value(_one(facts["possiblyFrom"])),
                        "possibly_until": date_value(_one(facts["possiblyUntil"])),
                        "from_publications": (
                            FROM_PUBLICATIONS in facts["startBasis"],
                            FROM_PUBLICATIONS in facts["endBasis"],
                        ),
                    }
                )
    # Only the holdings of governments and government bodies, and of what they hold,
    # level by level, count (561.323). One relation stated by several holdings (several
    # sources) counts once.
    relations: set[RelationKey] = set()
    for key, facts in _government_holdings(store):
        types = facts["type"]
        kinds = [
            kind == str(SG.Control)
            for kind in (str(SG.Ownership), str(SG.Control))
            if kind in types
        ]
        shares = [
            d for d in map(decimal_value, facts["percent"] or facts["percentMin"]) if d is not None
        ]
        percent = min(shares, default=Decimal(0))  # stated twice, differently: the least
        start = min(filter(None, map(date_value, facts["startDate"])), default=None)
        end = max(filter(None, map(date_value, facts["endDate"])), default=None)
        for control in kinds:
            for owner in sorted(facts["owner"]):
                for owned in sorted(facts["owned"]):
                    relation = relation_key(
                        owner, owned, control=control, percent=percent, start=start, end=end
                    )
                    if relation not in relations:
                        relations.add(relation)
                        w.holdings[owned].append(
                            {
                                "iri": key,
                                "owner": owner,
                                "percent": percent,
                                "control": control,
                                "start": start,
                                "end": end,
                            }
                        )
    for s in q("""SELECT ?x ?t ?country ?start ?end WHERE {
               VALUES ?t { sg:SignificantReductionException sg:PetroleumSupplySufficiency }
               ?x rdf:type ?t ; sg:startDate ?start .
               OPTIONAL { ?x sg:country ?country } OPTIONAL { ?x sg:endDate ?end } }"""):
        w.determinations.append(
            {
                "iri": s["x"],
                "type": s["t"],
                "country": s["country"],
                "start": date_value(s["start"]),
                "end": date_value(s["end"]),
            }
        )
    by_iri = {str(P[k]): k for k in DATED_PARAGRAPHS}
    for s in q(f"""SELECT ?p ?start WHERE {{
               VALUES ?p {{ {" ".join(f"<{iri}>" for iri in sorted(by_iri))} }}
               ?p sg:effectiveFrom ?start }}"""):
        start = date_value(s["start"])
        key = by_iri[str(s["p"])]
        if start is not None and (key not in w.starts or start < w.starts[key]):
            w.starts[key] = start
    shares = [
        d
        for s in q(
            f"SELECT ?v WHERE {{ <{GOVERNMENT_OWNED_DEFINITION}> sg:ownedPercentAtLeast ?v }}"
        )
        if (d := decimal_value(s["v"])) is not None
    ]
    w.government_share = min(shares, default=None)
    w.excluded_dif_programs = {
        str(s["p"])
        for s in q(
            f"SELECT ?p WHERE {{ <{DESIGNATED_IRANIAN_FI_DEFINITION}> sg:soleProgramExcluded ?p }}"
        )
    }
    for s in q("""SELECT ?a ?by ?holder ?where WHERE {
               ?a sg:maintainedBy ?by ; sg:heldBy ?holder .
               OPTIONAL { ?a sg:accountLocatedIn ?where } }"""):
        w.accounts[s["a"]] = {"by": s["by"], "holder": s["holder"], "where": s["where"]}
    payments: dict[str, Record] = {}
    for s in q("""SELECT ?tx ?account ?date ?paid ?credited ?origin ?dest WHERE {
               ?credit sg:creditedTo ?account .
               ?tx sg:throughAccount ?account ; sg:transactionDate ?date .
               OPTIONAL { ?tx sg:paidTo ?paid }
               OPTIONAL { ?tx sg:creditedTo ?credited } OPTIONAL { ?tx sg:goodsOrigin ?origin }
               OPTIONAL { ?tx sg:goodsDestination ?dest } }"""):
        entry = payments.setdefault(
            f"{s['tx']} {s['account']}",
            {
                "tx": s["tx"],
                "account": s["account"],
                "date": None,
                "paid": None,
                "credited": None,
                "origin": None,
                "dest": None,
            },
        )
        for name in ("date", "paid", "credited", "origin", "dest"):
            value = date_value(s[name]) if name == "date" else s[name]
            if value is not None and (entry[name] is None or value < entry[name]):
                entry[name] = value  # several values: the least, as elsewhere
    for entry in sorted(payments.values(), key=lambda e: (e["date"] or date.min, e["tx"])):
        if entry["date"] is not None:
            w.payments_out[entry["account"]].append(entry)
    return w


def _government_holdings(store: GraphStore) -> list[tuple[str, dict[str, set[str]]]]:
    """The holdings of governments, government bodies and central banks (561.321(b)
    counts what the Central Bank of Iran owns), and of every entity below them (level by
    level), grouped by holding node."""
    level: set[str] = {
        str(row["owner"])
        for row in select_values(
            store,
            f"""SELECT DISTINCT ?owner WHERE {{
        VALUES ?g {{ <{SG.Government}> <{SG.GovernmentBody}> <{SG.CentralBank}> }} ?owner a ?g }}""",
        )
    }
    reached = set(level)
    found: dict[str, dict[str, set[str]]] = {}
    while level:
        rows = [
            row
            for values in value_blocks(level)
            for row in select_properties(
                store, f"VALUES ?owner {{ {values} }} ?s <{SG.owner}> ?owner .", _HOLDING_FACTS
            )
        ]
        grouped = group_properties(rows, _HOLDING_FACTS)
        found.update(grouped)
        level = {o for facts in grouped.values() for o in facts["owned"]} - reached
        reached |= level
    return sorted(found.items())


_TRANSACTION_FACTS = {
    str(SG[name]): name
    for name in (
        "transactionDate",
        "conductedBy",
        "involves",
        "purpose",
        "knowingly",
        "significant",
        "goodsOrigin",
        "goodsDestination",
        "paidTo",
        "creditedTo",
    )
}


_DESIGNATION_FACTS = {
    str(SG[name]): name
    for name in (
        "designates",
        "onList",
        "startDate",
        "endDate",
        "underProgram",
        "possiblyFrom",
        "possiblyUntil",
        "startBasis",
        "endBasis",
    )
}
FROM_PUBLICATIONS = str(CODE["date-basis/publications"])
_HOLDING_FACTS = {
    str(RDF.type): "type",
    **{
        str(SG[name]): name
        for name in ("owner", "owned", "percent", "percentMin", "startDate", "endDate")
    },
}


def _one(values: set[str]) -> str | None:
    """One value of a property (the least, when the data give several)."""
    return min(values) if values else None


def _flag(values: set[str]) -> str | None:
    """A boolean fact; sources that disagree leave it unknown (a missing fact)."""
    return next(iter(values)) if len(values) == 1 else None


def _transactions(store: GraphStore) -> dict[tuple[str, str], Record]:
    """Each (transaction, conducting institution) with the transaction's facts. Read one
    property per row, so that a transaction loaded in several graphs costs a row per
    copy and property instead of one per combination of copies."""
    txs: dict[tuple[str, str], Record] = {}
    facts = group_properties(
        select_properties(store, f"?s a <{SG.Transaction}>", _TRANSACTION_FACTS), _TRANSACTION_FACTS
    )
    for tx, values in sorted(facts.items()):
        day = min(filter(None, map(date_value, values["transactionDate"])), default=None)
        if day is None:
            continue
        for ffi in sorted(values["conductedBy"]):
            parties = values["involves"] - {ffi}
            if not parties:
                continue
            txs[(tx, ffi)] = {
                "tx": tx,
                "ffi": ffi,
                "date": day,
                "parties": parties,
                "purpose": _one(values["purpose"]),
                "knowingly": _flag(values["knowingly"]),
                "significant": _flag(values["significant"]),
                "origin": _one(values["goodsOrigin"]),
                "dest": _one(values["goodsDestination"]),
                "paid_to": _one(values["paidTo"]),
                "credited": _one(values["creditedTo"]),
            }
    return txs


def _sre_failures(
    w: _World,
    t: Record,
    ffi: str,
    country: str,
    iranian: set[str],
    as_of: date,
    possibly: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """The (i)-(k) requirements the data do not show to be met (empty: exception holds).
    Those that fail only *possibly* (a CAPTA listing possibly in force: (j)(4), (k)(6);
    an SDN listing possibly in force making a holder possibly a designated Iranian
    financial institution: (k)(3), (k)(7), (k)(7)(ii)) are added to ``possibly`` as
    (paragraph, why in words, designation) instead."""
    failures = []
    origin, dest, day = t["origin"], t["dest"], t["date"]
    if not ((origin == country and dest == IR) or (origin == IR and dest == country)):
        return ["(j)(1)"]
    account = w.accounts.get(t["credited"] or "")  # where the funds owed were credited
    if dest == IR:  # funds are owed to the country's exporter: (j)(2), (j)(4)
        payee = t["paid_to"]
        national = payee is not None and w.jurisdiction.get(payee) == country
        if not national or w.government_of_iran(payee, day):
            failures.append("(j)(2)")
        if account is None:  # where the funds went is not shown
            failures.append("(j)(4)")
        else:
            _capta_keeper(w, account, day, failures, possibly)
    else:  # funds are owed to Iran: (j)(3)-(j)(4) and (k)
        if account is None:
            return ["(k)"]
        if account["by"] != ffi and w.parent.get(account["by"]) != ffi:
            failures.append("(k)(1)")
        if account["where"] != country:
            failures.append("(k)(2)")
        holder = account["holder"]
        non_designated_iranian_fi = (
            w.is_iranian_fi(holder) and w.designated_iranian_fi(holder, day) is None
        )
        iranian_party = holder in iranian - {ffi} and w.primary_country(holder) == IR
        if not (w.is_central_bank_of_iran(holder) or iranian_party or non_designated_iranian_fi):
            failures.append("(k)(3)")
        elif not iranian_party:
            w.possibly_not_non_designated(
                holder, day, "(k)(3)", "the holder of the account credited", possibly
            )
        _capta_keeper(w, account, day, failures, possibly)
        if w.is_a(t["credited"], SG.SpecialPurposeAccount):
            if not (w.is_central_bank_of_iran(holder) or non_designated_iranian_fi):
                failures.append("(k)(7)(ii)")
            else:
                w.possibly_not_non_designated(
                    holder, day, "(k)(7)(ii)", "the holder of the special purpose account", possibly
                )
        failures += [
            f
            for f in _payment_failures(w, ffi, country, t["credited"], day, as_of, possibly)
            if f not in failures
        ]
    return failures


def _capta_keeper(
    w: _World,
    account: Record,
    day: date,
    failures: list[str],
    possibly: list[tuple[str, str, str]] | None,
) -> None:
    """(j)(4): the funds owed as a result of the trade, either way, are not credited to an
    account held at an institution on the CAPTA List (certainly: a failure; possibly:
    added to ``possibly``)."""
    if w.listing(account["by"], CAPTA, day) is not None:
        failures.append("(j)(4)")
    elif possibly is not None and (d := w.possible_listing(account["by"], CAPTA, day)):
        why = (
            "the significant reduction exception possibly fails ((j)(4)): the "
            f"institution keeping the account credited is {_unknown_words(d, day, 'CAPTA')}"
        )
        possibly.append(("(j)(4)", why, d["iri"]))


def _payment_failures(
    w: _World,
    ffi: str,
    country: str,
    account: str,
    since: date,
    as_of: date,
    possibly: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """(k)(4)-(k)(7): the conditions that payments out of the funds credited to
    ``account`` (from ``since`` to ``as_of``), and out of the special purpose accounts
    they were moved to, do not show to be met. A payment credited to an account at an
    institution only *possibly* on the CAPTA List on its date ((k)(6)), or moved to a
    special purpose account of an Iranian financial institution only possibly designated
    then ((k)(7)), is added to ``possibly`` as :func:`_sre_failures` says."""
    failures: list[str] = []

    def fail(paragraph: str) -> None:
        if paragraph not in failures:
            failures.append(paragraph)

    queue, seen = [account], {account}
    while queue:
        for p in w.payments_out.get(queue.pop(0), []):
            if not since <= p["date"] <= as_of:
                continue
            target = w.accounts.get(p["credited"] or "")
            if p["paid"] and w.government_of_iran(p["paid"], p["date"]):
                fail("(k)(6)")
            if target is not None and (
                target["where"] == IR or w.listing(target["by"], CAPTA, p["date"]) is not None
            ):
                fail("(k)(6)")
            elif (
                target is not None
                and possibly is not None
                and (d := w.possible_listing(target["by"], CAPTA, p["date"]))
            ):
                why = (
                    "the significant reduction exception possibly fails ((k)(6)): a payment "
                    f"out of the funds on {p['date'].isoformat()} was credited to an account "
                    f"at an institution that is {_unknown_words(d, p['date'], 'CAPTA')}"
                )
                possibly.append(("(k)(6)", why, d["iri"]))
            if (
                target is not None
                and ffi in (target["by"], w.parent.get(target["by"]))
                and w.primary_country(target["holder"]) == IR
            ):
                # a move to another account of the Iranian side at the same institution
                holder = target["holder"]
                if not (
                    target["where"] == country
                    and w.is_a(p["credited"], SG.SpecialPurposeAccount)
                    and (
                        w.is_central_bank_of_iran(holder)
                        or (
                            w.is_iranian_fi(holder)
                            and w.designated_iranian_fi(holder, p["date"]) is None
                        )
                    )
                ):
                    fail("(k)(7)")
                else:
                    w.possibly_not_non_designated(
                        holder,
                        p["date"],
                        "(k)(7)",
                        "the holder of the special purpose account the funds were moved to",
                        possibly,
                    )
                    if p["credited"] not in seen:  # (k)(7)(ii): (k)(1)-(k)(6) apply in full
                        seen.add(p["credited"])
                        queue.append(p["credited"])
                continue
            if not (p["origin"] == country and p["dest"] == IR):
                fail("(k)(4)")
            payee = p["paid"] or (target["holder"] if target is not None else None)
            if (
                payee is None
                or w.jurisdiction.get(payee) != country
                or (
                    target is not None and (target["where"] != country or target["holder"] != payee)
                )
            ):
                fail("(k)(5)")
    return failures


def assess(w: _World, t: Record, as_of: date) -> Record | None:
    """The assessment of one (transaction, conducting institution), or None."""
    ffi, day = t["ffi"], t["date"]
    country = w.primary_country(ffi)
    if (
        day > as_of
        or not w.is_a(ffi, SG.FinancialInstitution)
        or country in (None, US, IR)
        or w.located.get(ffi) == US
    ):
        return None
    parties, evidence, possibly = [], [], []
    for party in sorted(t["parties"]):
        if w.is_central_bank_of_iran(party):
            parties.append(party)
        elif (listing := w.designated_iranian_fi(party, day)) is not None:
            parties.append(party)
            evidence.append(listing["iri"])
    if not parties:  # the first party possibly designated makes it possibly exposed
        for party in sorted(t["parties"]):
            if (found := w.possibly_designated_iranian_fi(party, day)) is not None:
                parties.append(party)
                evidence.append(found[0]["iri"])
                possibly.append(found[1])
                break
    if not parties:
        return None
    if "false" in (t["knowingly"], t["significant"]):
        return None
    category, holdings = w.category(ffi, day)
    result = {
        "tx": t["tx"],
        "ffi": ffi,
        "parties": parties,
        "category": category,
        "evidence": evidence + holdings,
        "missing": [],
        "not_met": [],
        "possibly": possibly,
    }
    purpose = t["purpose"]
    if purpose is None:
        result["missing"].append("purpose")
        return result
    petroleum = purpose in (PETROLEUM_PURCHASE, PETROLEUM_SALE)
    if category == PRIVATE:
        paragraph = "(d)(2)" if purpose == PETROLEUM_PURCHASE else "(d)(1)"
    elif category == GOVERNMENT:
        paragraph = "(e)(1)" if petroleum else "(e)(2)"
    elif petroleum:
        paragraph = "(f)"
    else:
        return None  # (f): a foreign central bank is exposed only for petroleum
    start = w.starts.get(paragraph)
    if start is None or day < start:
        return None
    if paragraph in ("(d)(1)", "(e)(2)") and purpose in HUMANITARIAN_G and t["dest"] in (None, IR):
        return {**result, "excepted": "(g)"}
    if purpose == PETROLEUM_PURCHASE:
        covering = [
            d
            for d in w.determinations
            if d["type"] == str(SG.PetroleumSupplySufficiency)
            and in_force(day, d["start"], d["end"], start_required=True)
        ]
        if not covering:
            return {**result, "excepted": "(h)"}
        result["evidence"] += [d["iri"] for d in covering]
    sre = [
        d
        for d in w.determinations
        if d["type"] == str(SG.SignificantReductionException)
        and d["country"] == country
        and in_force(day, d["start"], d["end"], start_required=True)
    ]
    if sre:
        maybe: list[tuple[str, str, str]] = []
        failures = _sre_failures(w, t, ffi, country, set(t["parties"]), as_of, maybe)
        if not failures and maybe:  # the exception holds unless a possible listing is one
            result["possibly"] += [why for _, why, _ in maybe]
            result["evidence"] += [d["iri"] for d in sre] + [iri for _, _, iri in maybe]
            failures = [paragraph for paragraph, _, _ in maybe]
        if not failures:
            return {
                **result,
                "excepted": "(i)",
                "evidence": result["evidence"] + [d["iri"] for d in sre],
            }
        result["not_met"] = failures
    result["missing"] = [f for f in ("knowingly", "significant") if t[f] is None]
    if not result["missing"]:
        result["exposed"] = paragraph
    return result


def _triples(a: Record) -> list[ox.Triple]:
    node = PROVENANCE.node("exposure", f"{a['tx']} {a['ffi']}")
    n = ox.NamedNode
    string = n(str(XSD.string))
    out = [
        ox.Triple(node, n(str(RDF.type)), n(str(SG.ExposureAssessment))),
        ox.Triple(node, n(str(SG.assessedTransaction)), n(a["tx"])),
        ox.Triple(node, n(str(SG.assessedInstitution)), n(a["ffi"])),
        ox.Triple(node, n(str(SG.ownershipCategory)), ox.Literal(a["category"], datatype=string)),
        *PROVENANCE.triples(node, [a["tx"], *a["evidence"]]),
    ]
    out += [ox.Triple(node, n(str(SG.iranianParty)), n(p)) for p in a["parties"]]
    out += [
        ox.Triple(node, n(str(SG.missingFact)), ox.Literal(m, datatype=string))
        for m in a["missing"]
    ]
    out += [ox.Triple(node, n(str(SG.exceptionNotMet)), n(str(P[f]))) for f in a["not_met"]]
    out += [ox.Triple(node, n(str(SG.possiblyBecause)), ox.Literal(why)) for why in a["possibly"]]
    if "exposed" in a:
        out.append(ox.Triple(node, n(str(SG.exposedUnder)), n(str(P[a["exposed"]]))))
    if "excepted" in a:
        out.append(ox.Triple(node, n(str(SG.exceptedUnder)), n(str(P[a["excepted"]]))))
    return out


def assessments(store: GraphStore, as_of: date, world: _World | None = None) -> list[Record]:
    world = _gather(store) if world is None else world
    found = (assess(world, t, as_of) for t in _transactions(store).values())
    return [
        a for a in found if a is not None and ("exposed" in a or "excepted" in a or a["missing"])
    ]


_CAPTA_SECTIONS = """SELECT ?section ?citation ?program ?default WHERE {
  ?section sg:captaOpeningDuty ?duty ; sg:citation ?citation .
  OPTIONAL { ?section sg:captaProgram ?program }
  OPTIONAL { ?section sg:captaDefaultAuthority ?default } }"""
_CAPTA_LISTINGS = f"""SELECT ?d ?program ?reference ?source WHERE {{
  ?d sg:onList <{CAPTA}> .
  OPTIONAL {{ ?d sg:underProgram ?program }}
  OPTIONAL {{ ?d sg:sourceReference ?reference }}
  OPTIONAL {{ ?d <http://purl.org/dc/terms/source> ?source }} }}"""


def capta_authorities(store: GraphStore) -> dict[str, set[str]]:
    """The section(s) under which each CAPTA listing was made (``sg:captaAuthority``): the
    sections it cites, else those whose ``sg:captaProgram`` its program is, else, with
    no program, the ``sg:captaDefaultAuthority`` sections. All from the registry."""
    sections: dict[str, dict[str, Any]] = {}
    for row in select_values(store, PREFIXES + _CAPTA_SECTIONS):
        entry = sections.setdefault(
            str(row["section"]),
            {
                "pattern": re.compile(
                    re.escape(str(row["citation"])).replace(r"\ ", r"\s+") + r"(?![0-9.])"
                ),
                "programs": set(),
                "default": False,
            },
        )
        if row["program"]:
            entry["programs"].add(str(row["program"]))
        entry["default"] = entry["default"] or row["default"] in ("true", "1")
    listings: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in select_values(store, PREFIXES + _CAPTA_LISTINGS):
        for name in ("program", "reference", "source"):
            if row[name]:
                listings[str(row["d"])][name].add(str(row[name]))
        listings[str(row["d"])]  # a listing with none of them
    found: dict[str, set[str]] = {}
    for listing, facts in listings.items():
        cited = {
            s
            for s, e in sections.items()
            if any(src == s or src.startswith(s + "-") for src in facts["source"])
            or any(e["pattern"].search(ref) for ref in facts["reference"])
        }
        by_program = {s for s, e in sections.items() if facts["program"] & e["programs"]}
        default = (
            {s for s, e in sections.items() if e["default"]} if not facts["program"] else set()
        )
        chosen = cited or by_program or default
        if chosen:
            found[listing] = chosen
    return found


def authority_triples(store: GraphStore) -> list[ox.Triple]:
    predicate = ox.NamedNode(str(SG.captaAuthority))
    return [
        ox.Triple(ox.NamedNode(listing), predicate, ox.NamedNode(section))
        for listing, chosen in sorted(capta_authorities(store).items())
        for section in sorted(chosen)
        if ":" in listing
    ]


_WIND_DOWNS = f"""SELECT ?d ?start ?days WHERE {{
  ?d sg:captaAuthority ?section ; sg:onList <{CAPTA}> ; sg:startDate ?start ;
     sg:measure <{CODE["measure/prohibit_maintain"]}> .
  ?section sg:captaWindDown ?provision . ?provision sg:windDownDays ?days . }}"""


def wind_down_triples(store: GraphStore) -> list[ox.Triple]:
    """``sg:captaWindDownEnd`` of each ``prohibit_maintain`` CAPTA listing whose section
    names a wind-down provision: the listing's first day plus the provision's
    ``sg:windDownDays`` (the first day after the period; the least when several)."""
    last: dict[str, date] = {}
    for row in select_values(store, PREFIXES + _WIND_DOWNS):
        start, days = date_value(row["start"]), decimal_value(row["days"])
        if start is None or days is None or days < 1 or days != days.to_integral_value():
            continue
        day = start + timedelta(days=int(days))
        key = str(row["d"])
        if key not in last or day < last[key]:
            last[key] = day
    predicate, xsd_date = ox.NamedNode(str(SG.captaWindDownEnd)), ox.NamedNode(str(XSD.date))
    return [
        ox.Triple(ox.NamedNode(d), predicate, ox.Literal(day.isoformat(), datatype=xsd_date))
        for d, day in sorted(last.items())
        if ":" in d
    ]


_VOLUME_LIMITS = f"""SELECT DISTINCT ?tx ?date ?account ?condition ?count ?days ?start ?end ?from
    ?until WHERE {{
  ?d sg:captaAuthority ?section ; sg:hasCondition ?condition ; sg:startDate ?start ;
     sg:measure <{CODE["measure/strict_conditions"]}> .
  ?section sg:captaConditionDuty ?duty .
  ?condition a sg:VolumeLimitCondition ; sg:limitCount ?count ; sg:limitPeriodDays ?days .
  OPTIONAL {{ ?d sg:endDate ?end }}
  OPTIONAL {{ ?d sg:possiblyFrom ?from }}
  OPTIONAL {{ ?d sg:possiblyUntil ?until }}
  {{ ?d sg:designates ?holder }} UNION {{ ?holder sg:branchOf ?head . ?d sg:designates ?head }}
  ?account sg:heldBy ?holder ; sg:accountLocatedIn <{US}> ; rdf:type ?type .
  FILTER (?type IN (sg:CorrespondentAccount, sg:PayableThroughAccount))
  ?tx sg:throughAccount ?account ; sg:transactionDate ?date . }}"""


def volume_limit_breaches(
    store: GraphStore, as_of: date, possibly: bool = False
) -> set[tuple[str, str]]:
    """(transaction, condition) for each transaction that is more than a volume-limit
    condition allows through its account: counting the transactions through that account
    dated within the listing and on or before ``as_of``, in date order (then by IRI, as
    the data give no time of day), in the condition's period of days that ends on the
    transaction's day. ``possibly``: the listing is taken to be in force on the days it
    is only possibly in force too (from ``possibly_from`` to ``possibly_until``), the
    upper reading of publications that disagree."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in select_values(store, PREFIXES + _VOLUME_LIMITS):
        day, start, end = date_value(row["date"]), date_value(row["start"]), date_value(row["end"])
        count, days = decimal_value(row["count"]), decimal_value(row["days"])
        if possibly and start is not None:
            start = date_value(row["from"]) or start
            end = (date_value(row["until"]) or end) if end is not None else None
        if (
            day is None
            or day > as_of
            or not in_force(day, start, end, start_required=True)
            or count is None
            or days is None
            or count < 0
            or days < 1
        ):
            continue
        group = groups.setdefault(
            (str(row["condition"]), str(row["account"])),
            {"count": count, "days": days, "txs": set()},
        )
        group["txs"].add((day, str(row["tx"])))
    breaches: set[tuple[str, str]] = set()
    for (condition, _account), group in groups.items():
        ordered = sorted(group["txs"])
        first = 0
        for i, (day, tx) in enumerate(ordered):
            while (day - ordered[first][0]).days >= group["days"]:
                first += 1
            if i - first + 1 > group["count"]:
                breaches.add((tx, condition))
    return breaches


def unknown_interval_triples(world: _World) -> list[ox.Triple]:
    """``sg:possiblyFromWords`` and ``sg:possiblyUntilWords`` of each CAPTA listing with
    an unknown interval before its start or after its end: why it is unknown there, in
    the one wording every rule uses
    (:func:`~sanctiongraph.analysis.ownership.unknown_listing_words`), for the shapes'
    messages."""
    words: set[tuple[str, str, str]] = set()
    for listings in world.designations.values():
        for d in listings:
            if d["list"] != CAPTA or ":" not in d["iri"]:
                continue
            if d["possibly_from"] is not None and d["possibly_from"] < d["start"]:
                why = _unknown(d, d["possibly_from"])[1]
                words.add((d["iri"], str(SG.possiblyFromWords), why))
            if d["end"] is not None and d["possibly_until"] is not None:
                why = _unknown(d, d["end"])[1]
                words.add((d["iri"], str(SG.possiblyUntilWords), why))
    return [
        ox.Triple(ox.NamedNode(d), ox.NamedNode(predicate), ox.Literal(why))
        for d, predicate, why in sorted(words)
    ]


def derive(store: GraphStore, as_of: date) -> None:
    store.add_triples(DERIVED, authority_triples(store))
    store.add_triples(DERIVED, wind_down_triples(store))
    certain = volume_limit_breaches(store, as_of)
    exceeds = ox.NamedNode(str(SG.exceedsVolumeLimit))
    maybe = ox.NamedNode(str(SG.possiblyExceedsVolumeLimit))
    store.add_triples(
        DERIVED,
        [
            ox.Triple(ox.NamedNode(tx), exceeds if (tx, c) in certain else maybe, ox.NamedNode(c))
            for tx, c in sorted(certain | volume_limit_breaches(store, as_of, possibly=True))
            if ":" in tx and ":" in c
        ],
    )
    world = _gather(store)  # after the triples above, as the assessments always read it
    triples = unknown_interval_triples(world)
    for a in assessments(store, as_of, world):
        triples += _triples(a)
    store.add_triples(DERIVED, triples)
