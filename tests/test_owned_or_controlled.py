"""The one owned-or-controlled fixed point (analysis/ownership.owned_or_controlled, issue
20): the Government of North Korea under 31 CFR 510.311(b) (the 50 Percent Rule's rules
by operation of law, and the partners of 510.512(d)(2) in derive/nksr_510.py) and the
Government of Iran and foreign governments under 31 CFR 561.321(b) and 561.323
(derive/ifsr_561_203.py) all use it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rdflib import RDF

from sanctiongraph.analysis.ownership import (
    OwnershipData,
    compute_status,
    owned_or_controlled,
    to_units,
)
from sanctiongraph.derive import nksr_510
from sanctiongraph.derive.ifsr_561_203 import IR, _World
from sanctiongraph.namespaces import SG, country

DAY = "2026-11-23"


def _found(data: OwnershipData, seeds: list[str], day: str = DAY, **options: Any) -> set[str]:
    numbers = [data.entity(s) for s in seeds]
    return {data.keys[n] for n in owned_or_controlled(data, numbers, day, **options)}


def test_shares_add_up_through_included_entities_and_bands_give_two_answers():
    data = OwnershipData()
    data.add_holding("gov", "a", 30)
    data.add_holding("gov", "b", 60)
    data.add_holding("b", "a", 20)  # gov 30 + b (included) 20 = 50: a is included
    data.add_holding("gov", "c", minimum=40, maximum=60)  # a band across 50
    data.add_holding("outsider", "d", 100)  # an owner not included counts for nothing
    data.add_holding("gov", "d", 49.9999)
    assert _found(data, ["gov"]) == {"gov", "a", "b"}
    assert _found(data, ["gov"], upper=True) == {"gov", "a", "b", "c"}


def test_a_cycle_ends_and_stays_out_without_a_seed_above_it():
    data = OwnershipData()
    data.add_holding("x", "y", 100)
    data.add_holding("y", "x", 100)
    data.add_holding("gov", "x", 30)
    assert _found(data, ["gov"]) == {"gov"}
    data.add_holding("gov", "x", 20, start="2020-01-01")  # now 50 together
    assert _found(data, ["gov"]) == {"gov", "x", "y"}


def test_control_includes_in_full_and_alone_when_no_share_is_given():
    data = OwnershipData()
    data.add_holding("gov", "ctl", control=True)
    data.add_holding("ctl", "sub", 50)
    data.add_holding("gov", "owned", 100)
    assert _found(data, ["gov"]) == {"gov", "ctl", "sub", "owned"}
    assert _found(data, ["gov"], at_least=None) == {"gov", "ctl"}


def test_the_share_is_the_callers_and_offices_follow_only_when_asked():
    data = OwnershipData()
    data.add_holding("gov", "a", 30)
    data.add_branch("office", "a")
    assert _found(data, ["gov"]) == {"gov"}
    assert _found(data, ["gov"], at_least=to_units("25")) == {"gov", "a", "office"}
    assert _found(data, ["gov"], at_least=to_units("25"), offices=False) == {"gov", "a"}


def test_holdings_count_from_their_start_until_before_their_end():
    data = OwnershipData()
    data.add_holding("gov", "a", 50, start="2020-01-01", end="2021-01-01")
    assert _found(data, ["gov"], "2019-12-31") == {"gov"}
    assert _found(data, ["gov"], "2020-01-01") == {"gov", "a"}
    assert _found(data, ["gov"], "2020-12-31") == {"gov", "a"}
    assert _found(data, ["gov"], "2021-01-01") == {"gov"}


def test_the_north_korea_rule_uses_it():
    data = OwnershipData()
    data.add_blocked_by_law("rule", ["gov"], owned_or_controlled=True)
    data.add_holding("gov", "ctl", control=True)
    data.add_holding("ctl", "band", minimum=40, maximum=60)
    status = compute_status(data, DAY)
    by_law = {data.keys[e] for e in status.by_law}
    possibly = {data.keys[e] for e in status.possibly_by_law}
    assert by_law == _found(data, ["gov"]) == {"gov", "ctl"}
    assert possibly == _found(data, ["gov"], upper=True) - by_law == {"band"}


def _iran_world() -> _World:
    """The Government of Iran, its bank, and holdings below them (561.321(b))."""
    world = _World(government_share=Decimal("50.0"))
    gov, cbi = "urn:x:gov-ir", "urn:x:cbi"
    world.types[gov].add(str(SG.Government))
    world.types[cbi].add(str(SG.CentralBank))
    world.jurisdiction.update({gov: IR, cbi: IR})

    def hold(owner: str, owned: str, percent: str, control: bool = False, **dates: date) -> None:
        world.holdings[owned].append(
            {
                "iri": f"urn:x:h-{owner}-{owned}-{control}",
                "owner": owner,
                "percent": Decimal(percent),
                "control": control,
                "start": dates.get("start"),
                "end": dates.get("end"),
            }
        )

    hold(gov, "urn:x:a", "25.5")
    hold(cbi, "urn:x:a", "24.5")  # 50 together
    hold("urn:x:a", "urn:x:b", "0", control=True)
    hold(gov, "urn:x:c", "49.9999")
    hold("urn:x:b", "urn:x:d", "50", start=date(2026, 11, 24))  # not yet
    hold("urn:x:d", "urn:x:b", "100")  # a cycle
    return world


def test_the_government_of_iran_side_is_the_same_fixed_point():
    world = _iran_world()
    side = world.iran_government_side(date(2026, 11, 23))
    assert side == {"urn:x:gov-ir", "urn:x:cbi", "urn:x:a", "urn:x:b"}
    assert "urn:x:d" in _iran_world().iran_government_side(date(2026, 11, 24))
    without_share = _iran_world()
    without_share.government_share = None  # no share in the registry: control alone
    assert without_share.iran_government_side(date(2026, 11, 23)) == {
        "urn:x:gov-ir",
        "urn:x:cbi",
    }


def test_a_partner_owned_or_controlled_by_the_government_of_north_korea():
    """510.512(d)(2), with the license condition's share."""
    kp = str(country("KP"))
    ministry = nksr_510.Node("urn:x:ministry")
    ministry.values[str(RDF.type)].append(str(SG.GovernmentBody))
    ministry.values[str(SG.jurisdiction)].append(kp)
    world = nksr_510.World(date(2026, 11, 23), {ministry.iri: ministry})
    data = OwnershipData()
    data.add_holding(ministry.iri, "urn:x:a", 30)
    data.add_holding(ministry.iri, "urn:x:b", control=True)
    data.add_holding("urn:x:b", "urn:x:a", 20)
    data.add_holding("urn:x:a", "urn:x:c", 50, end="2026-11-23")  # ended on the day
    for key in ("urn:x:a", "urn:x:c"):
        world._above[key] = data
    partner = nksr_510.Node
    assert world.owned_or_controlled_by_nk_government(partner("urn:x:a"), Decimal(50))
    assert not world.owned_or_controlled_by_nk_government(partner("urn:x:a"), Decimal("50.1"))
    assert not world.owned_or_controlled_by_nk_government(partner("urn:x:c"), Decimal(50))
