"""The derivers' kit (derive/kit.py): one rule for "in force on day d", for dates and for
the day keys the 50 Percent Rule keeps (issue 20)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import product
from pathlib import Path

import pytest

from sanctiongraph.analysis.ownership import (
    BLOCKED,
    NOT_BLOCKED,
    POSSIBLY_BLOCKED,
    OwnershipData,
    chains,
    compute_status,
    effective_ownership,
)
from sanctiongraph.derive.kit import OPEN_END, OPEN_START, day_key, in_force, in_force_among

SRC = Path(__file__).parents[1] / "src" / "sanctiongraph"
DAYS = [date(2020, 1, 1) + timedelta(days=n) for n in range(4)]
BOUNDS = [None, *DAYS]


def test_dates_and_day_keys_are_in_force_alike():
    for day, start, end in product(DAYS, BOUNDS, BOUNDS):
        by_dates = in_force(day, start, end)
        by_keys = in_force(day_key(day), day_key(start, OPEN_START), day_key(end, OPEN_END))
        assert by_dates == by_keys, (day, start, end)
        assert by_dates == ((start is None or start <= day) and (end is None or day < end))


def test_a_start_required_and_unknown_is_never_in_force():
    assert in_force(DAYS[0], None, None)
    assert not in_force(DAYS[0], None, None, start_required=True)
    assert in_force(DAYS[1], DAYS[1], None, start_required=True)


def test_in_force_among_filters_a_column_as_in_force_does():
    pairs = list(product(BOUNDS, BOUNDS))
    starts = [day_key(s, OPEN_START) for s, _ in pairs]
    ends = [day_key(e, OPEN_END) for _, e in pairs]
    for day in DAYS:
        key = day_key(day)
        expected = [n for n in range(len(pairs)) if in_force(day, *pairs[n])]
        assert in_force_among(key, starts, ends, range(len(pairs))) == expected


@pytest.mark.parametrize(
    ("value", "bound", "key"),
    [
        (None, OPEN_START, ""),
        ("", OPEN_END, "9999-12-31"),
        (date(2020, 2, 3), OPEN_START, "2020-02-03"),
        ("2020-02-03T10:00:00", OPEN_END, "2020-02-03"),
    ],
)
def test_day_key(value: date | str | None, bound: str, key: str) -> None:
    assert day_key(value, bound) == key


def test_the_fifty_percent_rule_counts_holdings_listings_and_rules_by_the_kit():
    """Start inclusive, end exclusive, for every dated fact the rule reads."""
    data = OwnershipData()
    data.add_listing("listed", "2020-01-02", "2020-01-04", possibly_until="2020-01-05")
    data.add_holding("listed", "owned", 50, start="2020-01-02", end="2020-01-04")
    data.add_blocked_by_law("rule", ["gov"], start="2020-01-02", end="2020-01-04")
    expected = {
        "2020-01-01": (NOT_BLOCKED, NOT_BLOCKED, NOT_BLOCKED),
        "2020-01-02": (BLOCKED, BLOCKED, BLOCKED),
        "2020-01-03": (BLOCKED, BLOCKED, BLOCKED),
        "2020-01-04": (POSSIBLY_BLOCKED, NOT_BLOCKED, NOT_BLOCKED),  # the unknown interval
        "2020-01-05": (NOT_BLOCKED, NOT_BLOCKED, NOT_BLOCKED),
    }
    for day, states in expected.items():
        status = compute_status(data, day)
        assert tuple(status.status(data.index[e]) for e in ("listed", "owned", "gov")) == states
        held = bool(in_force(day, "2020-01-02", "2020-01-04"))
        assert bool(chains(data, data.index["owned"], day).paths) == held
        assert bool(effective_ownership(data, data.index["owned"], day)) == held


def test_the_fifty_percent_rule_has_no_interval_test_of_its_own():
    """Its modules ask the kit; a comparison such as ``start <= day < end`` here would be
    a second home for the rule."""
    for path in (SRC / "analysis" / "ownership.py", SRC / "derive" / "ofac_50pct.py"):
        text = path.read_text()
        assert not re.search(r"<=\s*(day|today)\s*<", text), path
