"""``GET /entities/{id}?as_of=<another date>`` re-derives a copy of the store: bounded
(one at a time, a short line, then 503 with ``Retry-After``), shared by concurrent
requests for one date, the last two dates kept until a write (issue 22, item 8: each
such request took 4 s and 0.4 GB at 20k entities in the shared thread pool)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from sanctiongraph import entities as entities_module
from sanctiongraph.api import Settings, create_app
from sanctiongraph.entities import describe_entity, view_as_of

from .conftest import AS_OF, make_store

KP_BANK = "kp-bank"


@pytest.fixture()
def derivations(monkeypatch) -> list[date]:
    """Counts the re-derivations (``view_as_of`` runs the derivers on a copy)."""
    made: list[date] = []
    real = entities_module.run_derivers

    def counting(store, as_of):
        made.append(as_of)
        return real(store, as_of)

    monkeypatch.setattr(entities_module, "run_derivers", counting)
    return made


@pytest.fixture(scope="module")
def store():
    return make_store()


def test_other_dates_are_derived_once_and_the_last_two_kept(store, derivations):
    app = create_app(Settings(store=store))
    with TestClient(app) as client:
        days = [AS_OF - timedelta(days=n) for n in (1, 2, 3)]
        for _ in range(3):
            r = client.get(f"/entities/{KP_BANK}", params={"as_of": days[0].isoformat()})
            assert r.status_code == 200, r.text
        assert r.json() == describe_entity(view_as_of(store, days[0]), r.json()["entity"], days[0])
        assert derivations == [days[0], days[0]]  # the server's one, and the check above
        derivations.clear()
        for day in (days[1], days[2], days[0], days[2]):  # days[0] was dropped for days[2]
            assert (
                client.get(f"/entities/{KP_BANK}", params={"as_of": day.isoformat()}).status_code
                == 200
            )
        assert derivations == [days[1], days[2], days[0]]
        assert (
            client.get(f"/entities/{KP_BANK}", params={"as_of": AS_OF.isoformat()}).status_code
            == 200
        )
        assert len(derivations) == 3  # the store's own date needs no copy
        app.state.sanctiongraph.data_changed()  # a write drops the kept views
        assert (
            client.get(f"/entities/{KP_BANK}", params={"as_of": days[2].isoformat()}).status_code
            == 200
        )
        assert derivations[-1] == days[2] and len(derivations) == 4


def test_many_dates_at_once_are_bounded(store, monkeypatch):
    """Eight requests for eight other dates at once: one derivation runs, three wait, four
    are refused with 503 and Retry-After; six requests for one date share one
    derivation."""
    running, peak, made = [0], [0], []
    lock = threading.Lock()
    real = entities_module.run_derivers

    def slow(copy, as_of):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            made.append(as_of)
        time.sleep(0.3)
        try:
            return real(copy, as_of)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(entities_module, "run_derivers", slow)
    app = create_app(Settings(store=store))

    async def main() -> tuple[list[httpx.Response], list[httpx.Response]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as http:

            def ask(day: date):
                return http.get(f"/entities/{KP_BANK}", params={"as_of": day.isoformat()})

            many = await asyncio.gather(*(ask(AS_OF + timedelta(days=n)) for n in range(1, 9)))
            same = await asyncio.gather(*(ask(AS_OF + timedelta(days=30)) for _ in range(6)))
            return many, same

    many, same = asyncio.run(main())
    codes = sorted(r.status_code for r in many)
    assert codes == [200] * 4 + [503] * 4, codes
    refused = [r for r in many if r.status_code == 503]
    assert all(r.headers.get("retry-after") and "try again" in r.json()["detail"] for r in refused)
    assert [r.status_code for r in same] == [200] * 6
    assert len({r.text for r in same}) == 1
    assert peak[0] == 1
    assert len(made) == 4 + 1
