"""31 CFR 561.203 (Iran CAPTA): exposure of foreign financial institutions' transactions.

For every transaction conducted or facilitated by a foreign financial institution (FFI)
with the Central Bank of Iran or a designated Iranian financial institution, this
deriver writes one ``sg:ExposureAssessment`` node into the derived graph that says
which paragraph of 561.203 exposes it (``sg:exposedUnder``: (d)(1), (d)(2), (e)(1),
(e)(2) or (f)), or which exception keeps it from being sanctionable
(``sg:exceptedUnder``: (g), (h) or (i)), or which fact the data lack
(``sg:missingFact``: ``purpose``, ``knowingly``, ``significant``). The shapes in
``shapes/ifsr-561-203/exposure.ttl`` only read these nodes.

The rules applied (all dates are the transaction's date; intervals include their start
and exclude their end):

* **Conducting FFI**: the transaction's ``sg:conductedBy`` (which ``derive/types.py``
  defaults to the holder of the account it went through), a financial institution whose
  primary jurisdiction (its own ``sg:jurisdiction``, or that of the institution it is a
  branch of; 31 CFR 561.406) is neither the United States nor Iran, and which is not
  located in the United States.
* **Central Bank of Iran**: an ``sg:CentralBank`` whose jurisdiction is Iran.
* **Designated Iranian financial institution**: a financial institution whose primary
  jurisdiction is Iran, with an SDN designation under program ``IFSR`` in force on the
  date. Only ``IFSR`` counts: OFAC FAQs 150 and 172 say the E.O. 13599 blocking of every
  Iranian bank (tag ``[IRAN]``) does not make a bank a designated Iranian financial
  institution for these purposes.
* **With** the Iranian party: it is any party of the transaction (``sg:involves``:
  counterparty, originator, beneficiary, their institutions, intermediaries) other than
  the conducting FFI, since 561.407 counts dealings directly or indirectly.
* **Ownership category** (561.323): ``foreign_central_bank`` for an ``sg:CentralBank``;
  ``government_owned_or_controlled`` when governments or government bodies of one
  foreign country own 50 percent or more in total (``sg:percent``, else the lower bound
  ``sg:percentMin``), or one of them holds an ``sg:Control``; else ``privately_owned``.
  Only direct holdings count; a branch takes its head office's category.
* **Paragraph**: privately owned: petroleum purchase (d)(2) from 2012-06-28, anything
  else (d)(1) from 2012-02-29; government owned or controlled: petroleum purchase or
  sale (e)(1) from 2012-06-28, anything else (e)(2) from 2013-02-06; foreign central
  bank: petroleum purchase or sale (f) from 2012-06-28, anything else is not exposed.
  Before the start date nothing is derived.
* **Exceptions**, in this order: (g) for (d)(1)/(e)(2) transactions whose purpose is
  agricultural commodities, food, medicine or medical devices, unless the goods go
  elsewhere than Iran; (h) for petroleum purchases on a date no presidential
  ``sg:PetroleumSupplySufficiency`` period covers; (i)-(k) when the FFI's country holds
  an ``sg:SignificantReductionException`` on the date and the data show every condition
  we can check: (j)(1) bilateral trade between that country and Iran; (j)(2) for
  exports to Iran, ``sg:paidTo`` is a national or an entity of that country and not the
  Government of Iran; for imports from Iran, ``sg:creditedTo`` is an account that
  (k)(1) the FFI maintains, (k)(2) is in that country, (k)(3) is held by the Central
  Bank of Iran, the Iranian party or a non-designated Iranian financial institution,
  (j)(4) is not at a CAPTA-listed institution, and (k)(7)(ii) if it is a special
  purpose account, is held by the Central Bank of Iran or a non-designated Iranian
  financial institution. (k)(4)-(k)(6) govern later payments out of the funds, which the
  data package does not record; they are not checked. Requirements the data do not show
  are recorded as ``sg:exceptionNotMet`` and the exposure stands.
* **Knowingly and significant**: an explicit ``false`` in either ends the assessment
  (nothing is derived); an empty cell is recorded as ``sg:missingFact`` instead of a
  guess.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, XSD

from sanctiongraph.analysis.ownership import RelationKey, relation_key
from sanctiongraph.derive import DERIVED
from sanctiongraph.derive.kit import RuleProvenance, date_value, in_force
from sanctiongraph.namespaces import CODE, REF, SG, provision
from sanctiongraph.queries import group_properties, select_properties, select_values
from sanctiongraph.store import GraphStore
from sanctiongraph.terms import decimal_value

ORDER = 300

RULE = "ifsr-561-203"
PROVENANCE = RuleProvenance(RULE)

US, IR = str(REF["country/US"]), str(REF["country/IR"])
SDN, CAPTA = str(REF["list/SDN"]), str(REF["list/CAPTA"])
IFSR = str(REF["program/IFSR"])
PETROLEUM_PURCHASE = str(CODE["purpose/petroleum_purchase"])
PETROLEUM_SALE = str(CODE["purpose/petroleum_sale"])
HUMANITARIAN_G = {str(CODE[f"purpose/{p}"]) for p in
                  ("agricultural_commodities", "food", "medicine", "medical_devices")}

D1_START, PETROLEUM_START, E2_START = date(2012, 2, 29), date(2012, 6, 28), date(2013, 2, 6)
PRIVATE, GOVERNMENT, CENTRAL_BANK = (
    "privately_owned", "government_owned_or_controlled", "foreign_central_bank")

P = {k: provision(f"31 CFR 561.203{k}") for k in (
    "(d)(1)", "(d)(2)", "(e)(1)", "(e)(2)", "(f)", "(g)", "(h)", "(i)", "(j)(1)", "(j)(2)",
    "(j)(4)", "(k)", "(k)(1)", "(k)(2)", "(k)(3)", "(k)(7)(ii)")}

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

    def listing(self, entity: str, list_iri: str, day: date,
                program: str | None = None) -> Record | None:
        """A designation of ``entity`` (or its head office) on ``list_iri`` in force on ``day``."""
        for who in (entity, self.parent.get(entity)):
            for d in self.designations.get(who, []) if who else []:
                if d["list"] == list_iri and in_force(day, d["start"], d["end"],
                                                      start_required=True) and (
                        program is None or program in d["programs"]):
                    return d
        return None

    def is_central_bank_of_iran(self, entity: str) -> bool:
        return self.is_a(entity, SG.CentralBank) and self.primary_country(entity) == IR

    def is_iranian_fi(self, entity: str) -> bool:
        return self.is_a(entity, SG.FinancialInstitution) and self.primary_country(entity) == IR

    def designated_iranian_fi(self, entity: str, day: date) -> Record | None:
        if not self.is_iranian_fi(entity) or self.is_central_bank_of_iran(entity):
            return None
        return self.listing(entity, SDN, day, IFSR)

    def government_of_iran(self, entity: str) -> bool:
        return self.is_central_bank_of_iran(entity) or (
            (self.is_a(entity, SG.Government) or self.is_a(entity, SG.GovernmentBody))
            and self.jurisdiction.get(entity) == IR)

    def category(self, ffi: str, day: date) -> tuple[str, list[str]]:
        """The 561.323 ownership category of ``ffi`` on ``day``, with the holdings used."""
        head = self.head_office(ffi)
        if self.is_a(ffi, SG.CentralBank) or self.is_a(head, SG.CentralBank):
            return CENTRAL_BANK, []
        shares: dict[str, Decimal] = defaultdict(Decimal)
        used: dict[str, list[str]] = defaultdict(list)
        holdings = self.holdings.get(ffi, []) + (self.holdings.get(head, []) if head != ffi else [])
        for h in holdings:
            owner = h["owner"]
            if not (self.is_a(owner, SG.Government) or self.is_a(owner, SG.GovernmentBody)):
                continue
            country = self.jurisdiction.get(owner)
            if country in (None, US) or not in_force(day, h["start"], h["end"]):
                continue
            if h["control"]:
                return GOVERNMENT, [h["iri"]]
            shares[country] += h["percent"]
            used[country].append(h["iri"])
        for country, total in shares.items():
            if total >= 50:
                return GOVERNMENT, used[country]
        return PRIVATE, []


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
    for key, facts in sorted(group_properties(select_properties(
            store, f"?s <{SG.designates}> ?e", _DESIGNATION_FACTS), _DESIGNATION_FACTS).items()):
        start = min(filter(None, map(date_value, facts["startDate"])), default=None)
        lists = facts["onList"]
        if start is None or not lists:
            continue
        end = max(filter(None, map(date_value, facts["endDate"])), default=None)
        for entity in sorted(facts["designates"]):
            for list_iri in sorted(lists):
                w.designations[entity].append({
                    "iri": key, "list": list_iri, "start": start, "end": end,
                    "programs": set(facts["underProgram"])})
    # Only the holdings of governments and government bodies count (561.323). One
    # relation stated by several holdings (several sources) counts once.
    relations: set[RelationKey] = set()
    for key, facts in sorted(group_properties(select_properties(store, f"""
            {{ SELECT DISTINCT ?owner WHERE {{
                VALUES ?g {{ <{SG.Government}> <{SG.GovernmentBody}> }} ?owner a ?g }} }}
            ?s <{SG.owner}> ?owner .""", _HOLDING_FACTS), _HOLDING_FACTS).items()):
        types = facts["type"]
        kinds = [kind == str(SG.Control) for kind in (str(SG.Ownership), str(SG.Control))
                 if kind in types]
        shares = [d for d in map(decimal_value, facts["percent"] or facts["percentMin"])
                  if d is not None]
        percent = min(shares, default=Decimal(0))  # stated twice, differently: the least
        start = min(filter(None, map(date_value, facts["startDate"])), default=None)
        end = max(filter(None, map(date_value, facts["endDate"])), default=None)
        for control in kinds:
            for owner in sorted(facts["owner"]):
                for owned in sorted(facts["owned"]):
                    relation = relation_key(owner, owned, control=control, percent=percent,
                                            start=start, end=end)
                    if relation not in relations:
                        relations.add(relation)
                        w.holdings[owned].append({
                            "iri": key, "owner": owner, "percent": percent,
                            "control": control, "start": start, "end": end})
    for s in q("""SELECT ?x ?t ?country ?start ?end WHERE {
               VALUES ?t { sg:SignificantReductionException sg:PetroleumSupplySufficiency }
               ?x rdf:type ?t ; sg:startDate ?start .
               OPTIONAL { ?x sg:country ?country } OPTIONAL { ?x sg:endDate ?end } }"""):
        w.determinations.append({"iri": s["x"], "type": s["t"], "country": s["country"],
                                 "start": date_value(s["start"]),
                                 "end": date_value(s["end"])})
    for s in q("""SELECT ?a ?by ?holder ?where WHERE {
               ?a sg:maintainedBy ?by ; sg:heldBy ?holder .
               OPTIONAL { ?a sg:accountLocatedIn ?where } }"""):
        w.accounts[s["a"]] = {"by": s["by"], "holder": s["holder"], "where": s["where"]}
    return w


_TRANSACTION_FACTS = {str(SG[name]): name for name in (
    "transactionDate", "conductedBy", "involves", "purpose", "knowingly", "significant",
    "goodsOrigin", "goodsDestination", "paidTo", "creditedTo")}


_DESIGNATION_FACTS = {str(SG[name]): name for name in (
    "designates", "onList", "startDate", "endDate", "underProgram")}
_HOLDING_FACTS = {str(RDF.type): "type", **{str(SG[name]): name for name in (
    "owner", "owned", "percent", "percentMin", "startDate", "endDate")}}


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
    facts = group_properties(select_properties(store, f"?s a <{SG.Transaction}>",
                                               _TRANSACTION_FACTS), _TRANSACTION_FACTS)
    for tx, values in sorted(facts.items()):
        day = min(filter(None, map(date_value, values["transactionDate"])), default=None)
        if day is None:
            continue
        for ffi in sorted(values["conductedBy"]):
            parties = values["involves"] - {ffi}
            if not parties:
                continue
            txs[(tx, ffi)] = {
                "tx": tx, "ffi": ffi, "date": day, "parties": parties,
                "purpose": _one(values["purpose"]),
                "knowingly": _flag(values["knowingly"]),
                "significant": _flag(values["significant"]),
                "origin": _one(values["goodsOrigin"]),
                "dest": _one(values["goodsDestination"]),
                "paid_to": _one(values["paidTo"]),
                "credited": _one(values["creditedTo"])}
    return txs


def _sre_failures(w: _World, t: Record, ffi: str, country: str, iranian: set[str]) -> list[str]:
    """The (i)-(k) requirements the data do not show to be met (empty: exception holds)."""
    failures = []
    origin, dest, day = t["origin"], t["dest"], t["date"]
    if not ((origin == country and dest == IR) or (origin == IR and dest == country)):
        return ["(j)(1)"]
    if dest == IR:  # funds are owed to the country's exporter: (j)(2)
        payee = t["paid_to"]
        national = payee is not None and w.jurisdiction.get(payee) == country
        if not national or w.government_of_iran(payee):
            failures.append("(j)(2)")
    else:  # funds are owed to Iran: (j)(3)-(j)(4) and (k)
        account = w.accounts.get(t["credited"] or "")
        if account is None:
            return ["(k)"]
        if account["by"] != ffi and w.parent.get(account["by"]) != ffi:
            failures.append("(k)(1)")
        if account["where"] != country:
            failures.append("(k)(2)")
        holder = account["holder"]
        non_designated_iranian_fi = (w.is_iranian_fi(holder)
                                     and w.designated_iranian_fi(holder, day) is None)
        iranian_party = holder in iranian - {ffi} and w.primary_country(holder) == IR
        if not (w.is_central_bank_of_iran(holder) or iranian_party or non_designated_iranian_fi):
            failures.append("(k)(3)")
        if w.listing(account["by"], CAPTA, day) is not None:
            failures.append("(j)(4)")
        if w.is_a(t["credited"], SG.SpecialPurposeAccount) and not (
                w.is_central_bank_of_iran(holder) or non_designated_iranian_fi):
            failures.append("(k)(7)(ii)")
    return failures


def assess(w: _World, t: Record, as_of: date) -> Record | None:
    """The assessment of one (transaction, conducting institution), or None."""
    ffi, day = t["ffi"], t["date"]
    country = w.primary_country(ffi)
    if (day > as_of or not w.is_a(ffi, SG.FinancialInstitution) or country in (None, US, IR)
            or w.located.get(ffi) == US):
        return None
    parties, evidence = [], []
    for party in sorted(t["parties"]):
        if w.is_central_bank_of_iran(party):
            parties.append(party)
        elif (listing := w.designated_iranian_fi(party, day)) is not None:
            parties.append(party)
            evidence.append(listing["iri"])
    if not parties:
        return None
    if "false" in (t["knowingly"], t["significant"]):
        return None
    category, holdings = w.category(ffi, day)
    result = {"tx": t["tx"], "ffi": ffi, "parties": parties, "category": category,
              "evidence": evidence + holdings, "missing": [], "not_met": []}
    purpose = t["purpose"]
    if purpose is None:
        result["missing"].append("purpose")
        return result
    petroleum = purpose in (PETROLEUM_PURCHASE, PETROLEUM_SALE)
    if category == PRIVATE:
        paragraph, start = (("(d)(2)", PETROLEUM_START) if purpose == PETROLEUM_PURCHASE
                            else ("(d)(1)", D1_START))
    elif category == GOVERNMENT:
        paragraph, start = ("(e)(1)", PETROLEUM_START) if petroleum else ("(e)(2)", E2_START)
    elif petroleum:
        paragraph, start = "(f)", PETROLEUM_START
    else:
        return None  # (f): a foreign central bank is exposed only for petroleum
    if day < start:
        return None
    if paragraph in ("(d)(1)", "(e)(2)") and purpose in HUMANITARIAN_G and t["dest"] in (None, IR):
        return {**result, "excepted": "(g)"}
    if purpose == PETROLEUM_PURCHASE:
        covering = [d for d in w.determinations if d["type"] == str(SG.PetroleumSupplySufficiency)
                    and in_force(day, d["start"], d["end"], start_required=True)]
        if not covering:
            return {**result, "excepted": "(h)"}
        result["evidence"] += [d["iri"] for d in covering]
    sre = [d for d in w.determinations if d["type"] == str(SG.SignificantReductionException)
           and d["country"] == country
           and in_force(day, d["start"], d["end"], start_required=True)]
    if sre:
        failures = _sre_failures(w, t, ffi, country, set(t["parties"]))
        if not failures:
            return {**result, "excepted": "(i)",
                    "evidence": result["evidence"] + [d["iri"] for d in sre]}
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
    out += [ox.Triple(node, n(str(SG.missingFact)), ox.Literal(m, datatype=string))
            for m in a["missing"]]
    out += [ox.Triple(node, n(str(SG.exceptionNotMet)), n(str(P[f]))) for f in a["not_met"]]
    if "exposed" in a:
        out.append(ox.Triple(node, n(str(SG.exposedUnder)), n(str(P[a["exposed"]]))))
    if "excepted" in a:
        out.append(ox.Triple(node, n(str(SG.exceptedUnder)), n(str(P[a["excepted"]]))))
    return out


def assessments(store: GraphStore, as_of: date) -> list[Record]:
    world = _gather(store)
    found = (assess(world, t, as_of) for t in _transactions(store).values())
    return [a for a in found if a is not None and (
        "exposed" in a or "excepted" in a or a["missing"])]


def derive(store: GraphStore, as_of: date) -> None:
    triples: list[ox.Triple] = []
    for a in assessments(store, as_of):
        triples += _triples(a)
    store.add_triples(DERIVED, triples)
