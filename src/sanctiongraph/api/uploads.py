"""Turn an uploaded body into a :class:`~sanctiongraph.ingest.Source`, from bytes only.

The server never opens a path or URL named by a client. JSON-LD goes through
pyoxigraph's parser, which refuses remote contexts; RDF/XML is refused (entity
expansion); a .zip is read in memory with a cap on its unpacked size, counted as it is
unpacked (the sizes an archive declares are not trusted), and a cap on its rows, checked
before anything is mapped: mapping and validating take about 5 KB per row (a 10 MB zip
of 2M rows took 4.45 GB). Callers run :func:`read_upload` in a worker thread.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePosixPath

import pyoxigraph as ox

from sanctiongraph.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from sanctiongraph.ingest import IngestError, InputError, Source, code_lists
from sanctiongraph.ingest.csv_package import NOT_A_PACKAGE_FILE, PACKAGE_NOTES, map_package
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


def read_upload(
    data: bytes, content_type: str | None, name: str, max_unzipped: int, max_rows: int
) -> Source:
    """Parse the body; raise :class:`IngestError` for bad data, ApiError for bad requests
    (:class:`PayloadTooLarge` past ``max_unzipped`` unpacked bytes or ``max_rows`` CSV
    rows or triples)."""
    media = media_type(content_type)
    if media in REFUSED_TYPES:
        raise UnsupportedMediaType(
            "RDF/XML is not accepted (XML entity expansion); "
            "send Turtle, N-Triples, JSON-LD or a .zip data package"
        )
    if media in RDF_TYPES:
        triples = parse_rdf(data, RDF_TYPES[media], "upload")
        if len(triples) > max_rows:
            raise PayloadTooLarge(
                f"the upload has {len(triples)} triples; at most {max_rows} "
                "are taken (use `sanctiongraph validate` or `load` for more)"
            )
        return Source.from_triples(name, triples)
    if media in ZIP_TYPES:
        files = _unzip(data, max_unzipped)
        rows = sum(max(content.count(b"\n") - 1, 0) for content in files.values())
        if rows > max_rows:
            raise PayloadTooLarge(
                f"the package has about {rows} rows; at most {max_rows} are "
                "taken (use `sanctiongraph validate` or `load` for more)"
            )
        return map_package(name, files, code_lists())
    raise UnsupportedMediaType(
        f"unsupported Content-Type {media or '(none)'!r}; expected one of: {', '.join(ACCEPTED)}"
    )


def _unzip(data: bytes, max_unzipped: int) -> dict[str, bytes]:
    """The archive's CSV files, unpacked a megabyte at a time and counted, so that an
    archive that unpacks to more than ``max_unzipped`` bytes is refused (413) whatever
    sizes it declares."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise BadRequest("the body is not a readable .zip archive") from None
    too_large = f"the archive unpacks to more than {max_unzipped} bytes"
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        members = [
            (PurePosixPath(info.filename).name, info)
            for info in archive.infolist()
            if not info.is_dir() and "__MACOSX" not in info.filename
        ]
        members = [(name, info) for name, info in members if not name.startswith(".")]
        others = [name for name, _ in members if not name.endswith((".csv", *PACKAGE_NOTES))]
        if others:  # never skipped in silence (docs/data-package.md, general rules)
            raise IngestError([InputError(name, NOT_A_PACKAGE_FILE) for name in others])
        members = [(name, info) for name, info in members if name.endswith(".csv")]
        if sum(info.file_size for _, info in members) > max_unzipped:
            raise PayloadTooLarge(too_large)  # as declared: refused before unpacking
        for name, info in members:
            chunks = []
            try:
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        total += len(chunk)
                        if total > max_unzipped:
                            raise PayloadTooLarge(too_large)
                        chunks.append(chunk)
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                ValueError,
                NotImplementedError,
                RuntimeError,
            ) as exc:
                raise BadRequest(f"cannot read {name} from the archive: {exc}") from None
            files[name] = b"".join(chunks)
    if not files:
        raise IngestError([InputError("upload.zip", "no CSV files found in the data package")])
    return files
