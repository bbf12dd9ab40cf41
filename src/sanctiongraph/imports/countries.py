"""Country names as the lists write them, to ISO 3166-1 alpha-2 codes.

The names come from our reference data (``data/reference/countries.ttl``, the ISO short
names) and a table of the other spellings OFAC and the UN use. A name that is neither
(``undetermined``, ``Region: Crimea``, ``Kosovo``: no ISO 3166-1 code) has none: the
importers then give no country rather than guess (:func:`~sanctiongraph.imports.ofac.one_country`).
"""

from __future__ import annotations

import re
from functools import cache

import pyoxigraph as ox

from sanctiongraph.resources import reference_dir

# Spellings in OFAC's and the UN's files that differ from the ISO short names.
OTHER_NAMES = {
    "korea, north": "KP",
    "north korea": "KP",
    "democratic people's republic of korea": "KP",
    "korea, south": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "iran": "IR",
    "iran (islamic republic of)": "IR",
    "russia": "RU",
    "russian federation": "RU",
    "syria": "SY",
    "syrian arab republic": "SY",
    "burma": "MM",
    "myanmar": "MM",
    "venezuela": "VE",
    "bolivia": "BO",
    "tanzania": "TZ",
    "united republic of tanzania": "TZ",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "lao people's democratic republic": "LA",
    "moldova": "MD",
    "republic of moldova": "MD",
    "taiwan": "TW",
    "the gambia": "GM",
    "gambia": "GM",
    "the bahamas": "BS",
    "bahamas": "BS",
    "bahamas, the": "BS",
    "congo, democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "congo, republic of the": "CG",
    "congo": "CG",
    "cote d'ivoire": "CI",
    "cote d ivoire": "CI",
    "côte d'ivoire": "CI",
    "ivory coast": "CI",
    "czech republic": "CZ",
    "czechia": "CZ",
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "united kingdom": "GB",
    "united kingdom of great britain and northern ireland": "GB",
    "united states": "US",
    "united states of america": "US",
    "palestinian": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "region: gaza": "PS",
    "state of palestine": "PS",
    "macau": "MO",
    "macao": "MO",
    "hong kong": "HK",
    "china, hong kong special administrative region": "HK",
    "china, macao special administrative region": "MO",
    "brunei": "BN",
    "virgin islands, british": "VG",
    "british virgin islands": "VG",
    "north macedonia, the republic of": "MK",
    "north macedonia": "MK",
    "macedonia": "MK",
    "netherlands antilles": "CW",
    "kyrgyzstan": "KG",
    "cabo verde": "CV",
    "cape verde": "CV",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "micronesia, federated states of": "FM",
    "st. kitts and nevis": "KN",
    "saint kitts and nevis": "KN",
    "st. vincent and the grenadines": "VC",
    "st. lucia": "LC",
    "curacao": "CW",
    "curaçao": "CW",
    "sint maarten": "SX",
    "bosnia-herzegovina": "BA",
    "bosnia and herzegovina": "BA",
}


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().rstrip(".")).lower()


@cache
def _names() -> dict[str, str]:
    from sanctiongraph.namespaces import REF, SG  # rdflib: only when a name is looked up

    names: dict[str, str] = {}
    data = (reference_dir() / "countries.ttl").read_bytes()
    base = str(REF["country/"])
    for triple in ox.parse(data, ox.RdfFormat.TURTLE):
        subject = triple.subject.value
        if not subject.startswith(base):
            continue
        code = subject[len(base) :]
        if triple.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label":
            names[_key(triple.object.value)] = code
        elif triple.predicate.value == str(SG.code):
            names[code.lower()] = code
    names.update(OTHER_NAMES)
    return names


@cache
def country_code(name: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name, or ``None`` when it names none."""
    if not name:
        return None
    return _names().get(_key(name))
