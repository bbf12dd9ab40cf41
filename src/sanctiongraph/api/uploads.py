"""Turn an uploaded body into a :class:`~sanctiongraph.ingest.Source`, from bytes only.

The server never opens a path or URL named by a client. JSON-LD goes through
pyoxigraph's parser, which refuses remote contexts; RDF/XML is refused (entity
expansion); a .zip is read in memory with a cap on its unpacked size.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import pyoxigraph as ox

from sanctiongraph.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from sanctiongraph.ingest import IngestError, InputError, Source, code_lists
from sanctiongraph.ingest.csv_package import map_package
from sanctiongraph.ingest.rdf import parse_rdf

RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
REFUSED_TYPES = {"application/rdf+xml", "application/xml", "text/xml", "application/owl+xml"}
ACCEPTED = sorted(RDF_TYPES) + sorted(ZIP_TYPES)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def read_upload(data: bytes, content_type: str | None, name: str, max_unzipped: int) -> Source:
    """Parse the body; raise :class:`IngestError` for bad data, ApiError for bad requests."""
    media = media_type(content_type)
    if media in REFUSED_TYPES:
        raise UnsupportedMediaType("RDF/XML is not accepted (XML entity expansion); "
                                   "send Turtle, N-Triples, JSON-LD or a .zip data package")
    if media in RDF_TYPES:
        return Source.from_triples(name, parse_rdf(data, RDF_TYPES[media], "upload"))
    if media in ZIP_TYPES:
        return map_package(name, _unzip(data, max_unzipped), code_lists())
    raise UnsupportedMediaType(f"unsupported Content-Type {media or '(none)'!r}; "
                               f"expected one of: {', '.join(ACCEPTED)}")


def _unzip(data: bytes, max_unzipped: int) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise BadRequest("the body is not a readable .zip archive") from None
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name
            if info.is_dir() or not name.endswith(".csv") or name.startswith("."):
                continue
            total += info.file_size
            if total > max_unzipped:
                raise PayloadTooLarge(f"the archive unpacks to more than {max_unzipped} bytes")
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError) as exc:
                raise BadRequest(f"cannot read {name} from the archive: {exc}") from None
    if not files:
        raise IngestError([InputError("upload.zip", "no CSV files found in the data package")])
    return files
