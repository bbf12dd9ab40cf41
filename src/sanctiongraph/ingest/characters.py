"""Characters that a value may not hold: those XML 1.0 cannot carry.

SPARQL's XML results (and RDF/XML) cannot write the C0 control characters other than
tab, line feed and carriage return, nor U+FFFE and U+FFFF, not even as character
references, so a literal holding one made ``/sparql``'s XML answers ill-formed. They
are refused where data comes in (the CSV mapper and RDF ingest), with where they are.
"""

from __future__ import annotations

import re

NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAYBE_NOT_IN_XML = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"  # raw, in UTF-8
    rb"|\\u(?:00[01][0-9A-Fa-f]|[Ff][Ff][Ff][EeFf])"  # escaped: Turtle, N-Triples, JSON
    rb"|\\U0000(?:00[01][0-9A-Fa-f]|[Ff][Ff][Ff][EeFf])"
)
"""Bytes of a file that may write such a character (a superset: escaped tabs and line
breaks match too): a file without a match needs no check of its literals."""


def forbidden_character(text: str) -> str | None:
    """A message naming the first character of ``text`` that XML cannot carry, or None."""
    found = NOT_IN_XML.search(text)
    if found is None:
        return None
    return (
        f"character U+{ord(found.group()):04X} is not allowed in a value "
        "(a control character XML cannot carry)"
    )
