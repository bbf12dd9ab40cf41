"""Input errors (:mod:`sanctiongraph.errors`, their home), under the name the ingest
modules and their callers have always used."""

from sanctiongraph.errors import IngestError, InputError

__all__ = ["IngestError", "InputError"]
