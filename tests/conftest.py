from __future__ import annotations

import os
from datetime import date

import pytest

DEMO_AS_OF = date(2026, 11, 23)


@pytest.fixture
def as_of() -> date:
    """The date the demo world and fixtures are written for."""
    return DEMO_AS_OF


SLOW_ENV = "SANCTIONGRAPH_SLOW_TESTS"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"slow: takes minutes; runs only with {SLOW_ENV}=1 (as .ci/run sets it)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: set {SLOW_ENV}=1 to run it (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
