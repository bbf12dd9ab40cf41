"""Uploads are unpacked, mapped and validated off the event loop, one at a time, within
caps sized for a validation request (issue 22, item 9: a 10 MB zip of 2M rows, within the
old caps, stalled ``/healthz`` 17 s and left 4.45 GB allocated)."""

from __future__ import annotations

import asyncio
import io
import time
import tracemalloc
import zipfile

import httpx
import pytest
from fastapi.testclient import TestClient

from sanctiongraph.api import Settings, create_app

from .conftest import API_KEY
from .loop_probe import longest_hold

ENTITY_HEADER = "id,name,kind,jurisdiction,located_in,branch_of,function,lei,bic\n"


def package(rows: int) -> bytes:
    """A valid package of ``rows`` banks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "entities.csv",
            ENTITY_HEADER + "".join(f"b{n},Bank {n},bank,CN,,,,,\n" for n in range(rows)),
        )
    return buffer.getvalue()


def test_default_caps_fit_a_validation_request():
    settings = Settings(store=object())
    assert settings.max_upload_bytes <= 5_000_000
    assert settings.max_unzipped_bytes <= 20_000_000
    assert settings.max_upload_rows <= 50_000


def test_too_many_rows_refused_before_mapping(base_store):
    settings = Settings(store=base_store, api_key=API_KEY, max_upload_rows=1_000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert (
            client.post(
                "/validate", content=package(1_000), headers={"content-type": "application/zip"}
            ).status_code
            == 200
        )
        for path in ("/validate", "/graphs/many"):
            r = client.post(
                path,
                content=package(1_001),
                headers={"content-type": "application/zip", "x-api-key": API_KEY},
            )
            assert r.status_code == 413, r.text
            assert "1001 rows" in r.json()["detail"] and "at most 1000" in r.json()["detail"]
        triples = b"".join(b"<urn:a%d> <urn:b> <urn:c> .\n" % n for n in range(1_001))
        r = client.post(
            "/validate", content=triples, headers={"content-type": "application/n-triples"}
        )
        assert r.status_code == 413 and "1001 triples" in r.json()["detail"]


def test_the_issues_zip_is_refused_cheaply(base_store):
    """Millions of short rows in a small zip: refused (413) in about a second, with
    little memory, under the default caps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entities.csv", ENTITY_HEADER + "x,y,bank,CN,,,,,\n" * 1_000_000)
    body = buffer.getvalue()
    with TestClient(
        create_app(Settings(store=base_store)), raise_server_exceptions=False
    ) as client:
        tracemalloc.start()
        started = time.monotonic()
        r = client.post("/validate", content=body, headers={"content-type": "application/zip"})
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert r.status_code == 413 and "rows" in r.json()["detail"]
    assert elapsed < 10 and peak < 200_000_000, (elapsed, peak)


def test_uploads_leave_the_event_loop_free(base_store, monkeypatch):
    """Unpacking and mapping a package of 50,000 rows takes about 0.5 s: the event loop
    goes on answering meanwhile (it was held for all of it). Validation is left out here:
    it ran in a worker thread before too, and pyoxigraph holds the GIL in its queries
    (up to about 0.2 s at a time at this size)."""
    from sanctiongraph.api.routers import validate
    from sanctiongraph.validate import Report

    monkeypatch.setattr(validate, "validate_sources", lambda sources, as_of: Report(as_of))
    app = create_app(Settings(store=base_store))
    body = package(50_000)

    async def main() -> tuple[float, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=120) as http:
            return await longest_hold(
                http.post("/validate", content=body, headers={"content-type": "application/zip"})
            )

    for _attempt in range(3):  # the least held of three: other processes share the CPU
        longest, response = asyncio.run(main())
        assert response.status_code == 200
        if longest < 0.15:
            break
    assert longest < 0.15, longest


@pytest.mark.parametrize("path", ["/validate", "/graphs/queued"])
def test_uploads_queue_then_503(base_store, path, monkeypatch):
    """One upload is read at a time and two wait; more are refused with Retry-After."""
    import threading

    from sanctiongraph.api.routers import graphs, validate

    release = threading.Event()

    def slow_read(*args, **kwargs):
        release.wait(10)
        raise validate.IngestError([])

    monkeypatch.setattr(validate, "read_upload", slow_read)
    monkeypatch.setattr(graphs, "read_upload", slow_read)
    app = create_app(Settings(store=base_store, api_key=API_KEY))

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as http:

            async def post() -> httpx.Response:
                return await http.post(
                    path,
                    content=b"x",
                    headers={"content-type": "application/zip", "x-api-key": API_KEY},
                )

            tasks = [asyncio.create_task(post()) for _ in range(3)]
            await asyncio.sleep(0.3)
            refused = await post()
            release.set()
            return [refused, *await asyncio.gather(*tasks)]

    refused, *others = asyncio.run(main())
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert [r.status_code for r in others] == [400] * 3


def test_zip_that_understates_its_size_is_refused(base_store):
    """A member whose headers declare 100 bytes but which unpacks to 5 MB: refused with a
    clear 400, never unpacked past its declared size."""
    import struct

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entities.csv", ENTITY_HEADER + "x" * 5_000_000)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, 22, 100)  # the local header's uncompressed size
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 100)  # the central one
    with TestClient(
        create_app(Settings(store=base_store, max_unzipped_bytes=1_000_000)),
        raise_server_exceptions=False,
    ) as client:
        r = client.post(
            "/validate", content=bytes(data), headers={"content-type": "application/zip"}
        )
    assert r.status_code == 400 and "cannot read entities.csv" in r.json()["detail"]
