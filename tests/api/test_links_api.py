"""same_as through the API: an upload that names a list entry neither it nor the store
holds is a 400 naming the row and column, and nothing is loaded."""

from __future__ import annotations

import io
import zipfile

from .conftest import API_KEY, AS_OF

ENTITIES = (
    "id,name,kind,jurisdiction,same_as\n"
    "us-bank,First Example Bank,bank,US,\n"
    "c1,Counterparty Bank,bank,HK,ofac:424242\n"
)


def package_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bank/entities.csv", ENTITIES)
    return buffer.getvalue()


def test_validate_refuses_an_unknown_entry(client) -> None:
    r = client.post(
        "/validate",
        params={"as_of": AS_OF.isoformat()},
        content=package_zip(),
        headers={"content-type": "application/zip"},
    )
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert (error["file"], error["row"], error["column"]) == ("entities.csv", 3, "same_as")
    assert "'ofac:424242' is not a list entry" in error["message"]


def test_a_graph_upload_with_an_unknown_entry_loads_nothing(client) -> None:
    before = client.get("/graphs").json()
    r = client.post(
        "/graphs/linked-bank",
        params={"as_of": AS_OF.isoformat()},
        content=package_zip(),
        headers={"content-type": "application/zip", "x-api-key": API_KEY},
    )
    assert r.status_code == 400, r.text
    assert "ofac:424242" in r.text and "row" in r.text
    assert client.get("/graphs").json() == before
