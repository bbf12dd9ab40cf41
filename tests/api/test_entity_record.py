"""One entity record (issue 20): ``entities.EntityDescription`` is the record, and the
API's ``EntityOut`` is built from it, with the OpenAPI schema and the bodies of
``GET /entities/{id}`` as they were when the API declared the record a second time."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from sanctiongraph.api import models
from sanctiongraph.entities import EntityDescription, describe_entity

from .conftest import AS_OF

#: The OpenAPI components of the record when the API declared it a second time, with
#: pydantic models of its own (commit 044bf0d).
FORMER_SCHEMAS = Path(__file__).with_name("entity-openapi.json")


def test_the_api_declares_no_second_entity_record():
    assert models.EntityOut.__annotations__ == EntityDescription.__annotations__
    assert not hasattr(models, "Labelled") and not hasattr(models, "DesignationOut")


def test_the_openapi_schema_of_an_entity_is_unchanged(client: TestClient):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    former = json.loads(FORMER_SCHEMAS.read_text())  # as the API gave them before
    for name in ("EntityOut", "Labelled", "DesignationOut"):
        assert json.dumps(schemas[name]) == json.dumps(former[name]), name


def test_an_entity_body_is_the_library_record_byte_for_byte(client: TestClient, base_store):
    entities = [
        row["e"].value
        for row in base_store.query(
            "SELECT DISTINCT ?e WHERE { ?e a <https://w3id.org/sanctiongraph/ontology#Agent> }"
        )
    ]
    nulls = designations = 0
    for iri in entities:
        body = client.get("/entities/" + quote(iri, safe=""), params={"as_of": AS_OF.isoformat()})
        record = describe_entity(base_store, iri, AS_OF)
        expected = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        assert body.content == expected, iri
        nulls += b":null" in expected
        designations += bool(record["designations"])
    assert nulls and designations  # the cases that differ between a model and a dict
