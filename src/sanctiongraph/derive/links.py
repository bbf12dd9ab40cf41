"""Links between a user's own entities and list entries (docs/data-package.md,
"Linking your entities to list entries").

A *list entry* is an entity with an entry number (``sg:entryNumber``: imported by
``sanctiongraph import``); a *user entity* is any other. A user entity is the same
party as a list entry when its ``same_as`` names the entry (``sg:sameAsEntry``) or a
BIC, LEI or IMO number matches exactly after normalisation
(:func:`sanctiongraph.screening.screen`, the one home for matching), unless its
``not_same_as`` names the entry. For each such pair this deriver writes into the derived
graph a ``sg:PartyLink`` (its ``sg:linkBasis``: "confirmed by same_as ofac:15603",
"matched by BIC FTBDKPPY") and ``U sg:sameParty L``, and applies what the list says:

- a copy of each designation of the entry that designates the user entity, with
  ``sg:viaLink`` the link (so every rule that reads designations sees it);
- a copy of each holding in the entry (its owners), owning the user entity, unless the
  user's own data already name that owner of the entity (a holding stated twice would
  count twice in the 50 Percent Rule's sums). The entry's own holdings in others are not
  copied: the entry carries the same status as the user entity, so they count already.

A name that resembles the name or an alias of an entry on a list (one with a
designation; a register's record, such as GLEIF's, is not screened) (score at least
:data:`~sanctiongraph.screening.DEFAULT_THRESHOLD`) without a link gives a
``sg:PossibleMatch`` (shape ``shapes/common/possible-match.ttl``), never applied;
``not_same_as`` silences the pair, and an entity linked to an entry already is not
reported for resembling others (who it is is known).

Last, every designation, holding and entity stated by a publication gets
``sg:citedAs``: "OFAC SDN List, publication of 2023-06-01, entry 15603" (the latest
publication stating it on or before the as-of date: :func:`citation_triples`), which
findings cite.

The links are explicit nodes rather than ``owl:sameAs``: neither validation engine
reasons over ``owl:sameAs``, and a node with its basis is evidence a finding can show.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, RDFS, XSD

from sanctiongraph.derive import DERIVED
from sanctiongraph.imports.model import cite, list_label
from sanctiongraph.namespaces import ID, SG
from sanctiongraph.queries import select_values
from sanctiongraph.screening import (
    DEFAULT_THRESHOLD,
    IDENTIFIERS,
    ListEntry,
    Match,
    Subject,
    entries_from_rows,
    institution_bic,
    screen,
)
from sanctiongraph.store import GraphStore

ORDER = 10  # after the type closure, before every rule deriver

_PREFIXES = f"""PREFIX sg: <{SG._NS}>
PREFIX dct: <{DCTERMS}>
PREFIX rdfs: <{RDFS}>
"""
_SCHEMES = {"bic": "BIC", "lei": "LEI", "imo": "IMO"}


def _n(value: object) -> ox.NamedNode:
    return ox.NamedNode(str(value))


def _node(kind: str, *parts: str) -> ox.NamedNode:
    digest = hashlib.sha1(" ".join(parts).encode()).hexdigest()[:20]
    return _n(ID[f"{kind}/{digest}"])


@dataclass
class _Party:
    """An entity as linking sees it."""

    iri: str
    id: str
    name: str
    person: bool
    entry: str | None = None
    designated: bool = False  # on a list (not only a register such as GLEIF)
    publications: set[str] = field(default_factory=set)
    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    aliases: list[str] = field(default_factory=list)


@dataclass
class _Link:
    user: str
    entry: str
    bases: list[str] = field(default_factory=list)


def _parties(store: GraphStore) -> dict[str, _Party]:
    parties: dict[str, _Party] = {}
    for row in select_values(
        store,
        _PREFIXES
        + """
            SELECT ?e ?id ?name ?entry ?person ?designated WHERE {
              ?e a sg:Agent ; dct:identifier ?id ; rdfs:label ?name .
              OPTIONAL { ?e sg:entryNumber ?entry }
              BIND (EXISTS { ?e a sg:Person } AS ?person)
              BIND (EXISTS { ?d sg:designates ?e } AS ?designated)
            }""",
    ):
        iri = row["e"] or ""
        if ":" not in iri:
            continue  # a blank node: nothing can name it
        party = parties.get(iri)
        if party is None:
            parties[iri] = party = _Party(
                iri, row["id"] or "", row["name"] or "", row["person"] == "true"
            )
        if row["entry"] and not party.entry:
            party.entry = row["entry"]
        party.designated = party.designated or row["designated"] == "true"
    for row in select_values(
        store,
        _PREFIXES
        + """
            SELECT ?e ?scheme ?value WHERE {
              { ?e sg:bic ?value BIND ("bic" AS ?scheme) }
              UNION { ?e sg:lei ?value BIND ("lei" AS ?scheme) }
              UNION { ?e sg:imo ?value BIND ("imo" AS ?scheme) }
              UNION { ?i sg:identifies ?e ; sg:identifierScheme ?scheme ; sg:identifierValue ?value }
            }""",
    ):
        if row["e"] in parties and row["scheme"] in IDENTIFIERS and row["value"]:
            parties[row["e"]].codes[row["scheme"]].append(row["value"])
    for row in select_values(
        store,
        _PREFIXES
        + """
            SELECT ?e ?name WHERE { ?a sg:aliasOf ?e ; rdfs:label ?name }""",
    ):
        if row["e"] in parties and row["name"]:
            parties[row["e"]].aliases.append(row["name"])
    for row in select_values(
        store,
        _PREFIXES
        + """
            SELECT ?e ?list WHERE { ?e sg:entryNumber ?n ; sg:fromPublication ?p .
                                    ?p sg:publicationOf ?list }""",
    ):
        if row["e"] in parties and row["list"]:
            parties[row["e"]].publications.add(row["list"].rsplit("/", 1)[-1])
    return parties


def list_entries(parties: dict[str, _Party]) -> list[ListEntry]:
    """The list entries among ``parties``, read by :func:`screening.entries_from_rows`
    (ids are the entities' IRIs)."""
    listed = [p for p in parties.values() if p.entry]
    rows = {
        "entities.csv": [
            {
                "id": p.iri,
                "name": p.name,
                "kind": "person" if p.person else "",
                "entry": p.entry or "",
                "publication": p.iri,
            }
            for p in listed
        ],
        "publications.csv": [
            {"id": p.iri, "list": min(p.publications, default="")} for p in listed
        ],
        "aliases.csv": [{"entity": p.iri, "name": a} for p in listed for a in p.aliases],
        "identifiers.csv": [
            {"entity": p.iri, "scheme": s, "value": v}
            for p in listed
            for s, values in p.codes.items()
            for v in values
        ],
    }
    return entries_from_rows(rows, "", registers=True)


def subjects(parties: dict[str, _Party]) -> list[Subject]:
    """The user entities to link, as screening subjects (a party's first valid code of
    each scheme)."""
    found = []
    for p in parties.values():
        if p.entry:
            continue
        codes = {}
        for scheme, values in p.codes.items():
            normal = next((c for v in values if (c := IDENTIFIERS[scheme](v))), None)
            if normal:
                codes[scheme] = normal
        found.append(Subject(p.iri, p.name, "person" if p.person else "organisation", "", codes))
    return found


def _bic_text(code: str, entry_codes: set[str]) -> str:
    shown = code[:8] if code.endswith("XXX") else code
    if code not in entry_codes:  # a branch of the entry's institution
        return f"{shown}, a branch of {institution_bic(code)[:8]}"
    return shown


def _pairs(store: GraphStore, predicate: str) -> set[tuple[str, str]]:
    return {
        (r["u"] or "", r["l"] or "")
        for r in select_values(store, f"SELECT ?u ?l WHERE {{ ?u <{predicate}> ?l }}")
    }


_ANY_ENTRY = (
    _PREFIXES
    + """ASK { { ?e sg:entryNumber ?n } UNION { ?e sg:fromPublication ?p }
                                UNION { ?e sg:sameAsEntry ?l } }"""
)


def derive(store: GraphStore, as_of: date) -> None:
    if not store.query(_ANY_ENTRY):
        return  # no list entry, nothing imported: nothing to link or cite
    parties = _parties(store)
    entries = list_entries(parties)
    stated = _pairs(store, str(SG.sameAsEntry))
    dismissed = _pairs(store, str(SG.notSameAsEntry))
    links: dict[tuple[str, str], _Link] = {}
    for user, entry in sorted(stated):
        if entry in parties and user in parties:
            links[(user, entry)] = _Link(user, entry, [f"confirmed by same_as {parties[entry].id}"])
    possible: list[tuple[tuple[str, str], Match]] = []
    if entries:
        users = subjects(parties)
        by_id = {e.id: e for e in entries}
        for subject, matches in zip(
            users, screen(users, entries, DEFAULT_THRESHOLD, branches=True)
        ):
            for match in matches:
                list_entry = by_id[match.entity]
                pair = (subject.id, list_entry.id)
                if pair in dismissed:
                    continue
                if match.by == "name":
                    if parties[list_entry.id].designated:  # a register's record is nobody's warning
                        possible.append((pair, match))
                    continue
                code = match.matched_name
                text = _bic_text(code, list_entry.codes["bic"]) if match.by == "bic" else code
                links.setdefault(pair, _Link(*pair)).bases.append(
                    f"matched by {_SCHEMES[match.by]} {text}"
                )
    triples = _link_triples(parties, links)
    linked = {user for user, _ in links}
    triples += _possible_match_triples([p for p in possible if p[0][0] not in linked], links)
    store.add_triples(DERIVED, triples)
    if links:
        _apply(store, links)
    store.add_triples(DERIVED, citation_triples(store, as_of))


def _link_triples(
    parties: dict[str, _Party], links: dict[tuple[str, str], _Link]
) -> list[ox.Triple]:
    triples = []
    for (user, entry), link in sorted(links.items()):
        node = _node("party-link", user, entry)
        basis = "; ".join(link.bases)
        label = f"{parties[user].id} is list entry {parties[entry].id} ({basis})"
        triples += [
            ox.Triple(node, _n(RDF.type), _n(SG.PartyLink)),
            ox.Triple(node, _n(SG.linkedParty), _n(user)),
            ox.Triple(node, _n(SG.listEntry), _n(entry)),
            ox.Triple(node, _n(RDFS.label), ox.Literal(label)),
            ox.Triple(_n(user), _n(SG.sameParty), _n(entry)),
        ]
        triples += [ox.Triple(node, _n(SG.linkBasis), ox.Literal(b)) for b in link.bases]
    return triples


def _possible_match_triples(
    possible: list[tuple[tuple[str, str], Match]], links: dict[tuple[str, str], _Link]
) -> list[ox.Triple]:
    triples = []
    for (user, entry), match in possible:
        if (user, entry) in links:
            continue
        node = _node("possible-match", user, entry)
        triples += [
            ox.Triple(node, _n(RDF.type), _n(SG.PossibleMatch)),
            ox.Triple(node, _n(SG.possibleMatchOf), _n(user)),
            ox.Triple(node, _n(SG.matchedEntry), _n(entry)),
            ox.Triple(node, _n(SG.matchedName), ox.Literal(match.matched_name)),
            ox.Triple(
                node, _n(SG.matchScore), ox.Literal(f"{match.score:.2f}", datatype=_n(XSD.decimal))
            ),
        ]
    return triples


def _apply(store: GraphStore, links: dict[tuple[str, str], _Link]) -> None:
    """Copy the entries' designations and holdings onto the linked user entities."""
    rows = " ".join(f"(<{u}> <{e}> <{_node('party-link', u, e).value}>)" for u, e in links)
    store.add_constructed(
        DERIVED,
        _PREFIXES
        + f"""
        CONSTRUCT {{ ?copy ?p ?o . ?copy sg:designates ?user . ?copy sg:viaLink ?link . }}
        WHERE {{
          VALUES (?user ?entry ?link) {{ {rows} }}
          ?d sg:designates ?entry ; ?p ?o .
          FILTER (?p != sg:designates)
          BIND (IRI(CONCAT("{ID}linked-designation/", SHA1(CONCAT(STR(?d), " ", STR(?user)))))
                AS ?copy)
        }}""",
    )
    store.add_constructed(
        DERIVED,
        _PREFIXES
        + f"""
        CONSTRUCT {{ ?copy ?p ?o . ?copy sg:owned ?user . ?copy sg:viaLink ?link . }}
        WHERE {{
          VALUES (?user ?entry ?link) {{ {rows} }}
          ?h sg:owned ?entry ; sg:owner ?owner ; ?p ?o .
          FILTER (?p != sg:owned && ?owner != ?user)
          FILTER NOT EXISTS {{ ?mine sg:owned ?user ; sg:owner ?owner . }}
          BIND (IRI(CONCAT("{ID}linked-holding/", SHA1(CONCAT(STR(?h), " ", STR(?user)))))
                AS ?copy)
        }}""",
    )


def citation_triples(store: GraphStore, as_of: date | None = None) -> list[ox.Triple]:
    """``sg:citedAs`` for every designation, holding and entity stated by a publication:
    its list, the publication in force on ``as_of`` and its entry number. That is the
    latest publication stating it on or before ``as_of``; if every one is later, the
    first after it, and the citation says so. Without ``as_of``: the latest."""
    day = as_of.isoformat() if as_of is not None else "9999-12-31"
    stated: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in select_values(
        store,
        _PREFIXES
        + """
            SELECT ?x ?entry ?list ?published WHERE {
              ?x sg:fromPublication ?p ; sg:entryNumber ?entry .
              ?p sg:publicationOf ?list ; sg:publishedOn ?published .
              FILTER NOT EXISTS { ?x a sg:Alias } FILTER NOT EXISTS { ?x a sg:Identifier }
              FILTER NOT EXISTS { ?x a sg:ListLink }
            }""",
    ):
        x = row["x"] or ""
        if ":" not in x:
            continue  # a blank node (select_values gives its id)
        code = (row["list"] or "").rsplit("/", 1)[-1]
        stated[x].append((row["published"] or "", code, row["entry"] or ""))
    labels: dict[str, str] = {}
    triples = []
    for x, publications in stated.items():
        before = [p for p in publications if p[0] <= day]
        published, code, entry = max(before) if before else min(publications)
        text = cite(labels.setdefault(code, list_label(code)), published, entry)
        if not before:
            text += f" (published after {day}, the as-of date; no earlier publication states it)"
        triples.append(ox.Triple(_n(x), _n(SG.citedAs), ox.Literal(text)))
    return triples


__all__ = ["ORDER", "citation_triples", "derive", "list_entries", "subjects"]
