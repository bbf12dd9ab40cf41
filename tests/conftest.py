from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

DEMO_AS_OF = date(2026, 11, 23)


@pytest.fixture
def as_of() -> date:
    """The date the demo world and fixtures are written for."""
    return DEMO_AS_OF
