"""Property-based run over the OpenAPI schema: no generated request gets a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from sanctiongraph.api import Settings, create_app  # noqa: E402

from .conftest import API_KEY, make_store  # noqa: E402

APP = create_app(
    Settings(
        store=make_store(), api_key=API_KEY, query_deadline_seconds=2.0, max_upload_bytes=200_000
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def close_workers():
    yield
    APP.state.sanctiongraph.close()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
