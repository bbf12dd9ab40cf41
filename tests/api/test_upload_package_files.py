"""POST /validate with a .zip: a file beside the CSV files is a client error naming it,
never skipped (issue 17 audit D7; docs/data-package.md, general rules)."""

from __future__ import annotations

import io
import zipfile

from .conftest import AS_OF, MINIMAL


def _zip(extra: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(MINIMAL.glob("*.csv")):
            archive.writestr(f"minimal/{path.name}", path.read_bytes())
        for name, data in extra.items():
            archive.writestr(f"minimal/{name}", data)
    return buffer.getvalue()


def _validate(client, body: bytes):
    return client.post(
        "/validate",
        params={"as_of": AS_OF.isoformat()},
        content=body,
        headers={"content-type": "application/zip"},
    )


def test_a_non_csv_file_in_an_uploaded_package_is_a_client_error(client):
    r = _validate(client, _zip({"statements.json": b'[{"statementType": "entityStatement"}]'}))
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert error["file"] == "statements.json"
    assert "not a file of the data package" in error["message"]


def test_notes_and_hidden_files_may_travel_with_the_package(client):
    r = _validate(client, _zip({"README.md": b"notes\n", ".DS_Store": b"\0\0\0\1Bud1"}))
    assert r.status_code == 200, r.text
