"""POST /validate: a stateless validation run over an uploaded package or RDF file."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sanctiongraph.api.deps import AsOf, ReadAccess, SettingsDep, StateDep
from sanctiongraph.api.errors import PayloadTooLarge
from sanctiongraph.api.models import ErrorOut, ReportOut
from sanctiongraph.api.settings import Settings
from sanctiongraph.api.uploads import ACCEPTED, read_upload
from sanctiongraph.ingest import IngestError
from sanctiongraph.loading import unknown_entries
from sanctiongraph.validate import Report, validate_sources

router = APIRouter(tags=["validate"], dependencies=[ReadAccess])

BODY = {
    "required": True,
    "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in ACCEPTED},
}


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    data = await request.body()
    if len(data) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    return data


@router.post(
    "/validate",
    response_model=ReportOut,
    summary="Validate a data package or RDF file",
    openapi_extra={"requestBody": BODY},
    responses={
        200: {"content": {"text/turtle": {}}},
        400: {"model": ErrorOut},
        413: {"model": ErrorOut},
        415: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def validate(
    request: Request, state: StateDep, settings: SettingsDep, as_of: AsOf
) -> Response:
    """Body: a .zip data package, Turtle, N-Triples or JSON-LD, by Content-Type.

    Returns the report of data-package.md, or the SHACL report graph with
    `Accept: text/turtle`. Input errors answer 400 with the report's `errors`; a package
    of more than 50,000 rows (or 20 MB unpacked) 413. Uploads are read and validated one
    at a time off the event loop; 503 with `Retry-After` when two more are waiting.
    """
    data = await read_body(request, settings.max_upload_bytes)
    turtle = "text/turtle" in request.headers.get("accept", "")
    return await state.uploads.run(
        _validate, data, request.headers.get("content-type"), settings, as_of, turtle
    )


def _validate(
    data: bytes, content_type: str | None, settings: Settings, as_of: date, turtle: bool
) -> Response:
    try:
        source = read_upload(
            data, content_type, "upload", settings.max_unzipped_bytes, settings.max_upload_rows
        )
        unknown = unknown_entries(None, [(0, r) for r in source.references], [source])
        if unknown:  # an upload is validated alone: same_as must name its own entries
            raise IngestError(unknown[0])
    except IngestError as exc:
        report = Report(as_of, errors=tuple(exc.errors))
        return JSONResponse(
            {"detail": "bad input; nothing was validated", **report.as_dict()}, status_code=400
        )
    report = validate_sources([source], as_of)
    if turtle:
        return Response(report.to_turtle(), media_type="text/turtle; charset=utf-8")
    return JSONResponse(report.as_dict())
