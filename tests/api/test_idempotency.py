"""``Idempotency-Key`` on creates: a retried create takes effect once, on SQLite and PostgreSQL.

Every test runs the real stack — authentication, the idempotency records in the database, the
order desk — over both databases. ``/api/v1/parcels`` is a create route of the tests' own that
counts what it creates and can be held inside until the test lets it go, so in-flight requests
are made without sleeping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, cast

import httpx
import pytest
from fastapi import APIRouter, Body, FastAPI, Response
from starlette.middleware import Middleware

from credentials import partner_key
from crossdock.core.errors import RetryableError
from crossdock.integration.access.principal import Scope
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api import create_app
from crossdock.integration.api.idempotency import IdempotencyMiddleware, fingerprint
from crossdock.integration.api.idempotency_store import (
    IDEMPOTENCY_LEASE,
    IDEMPOTENCY_TTL,
    IdempotencyStore,
    Started,
)
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.wakeups import InProcessWakeups
from postgres import DATABASES, empty_database

from .estate import Estate, client, new_order, problem_fields

ORDERS = "/api/v1/orders"
PARCELS = "/api/v1/parcels"
PROBLEM = "urn:crossdock:problem:"


@dataclass
class Parcels:
    """A create route that counts its creates; ``hold`` keeps a request inside until released."""

    created: int = 0
    failures: int = 0
    """How many of the next requests fail with 503 (the store is busy)."""
    hold: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post(PARCELS, status_code=201)
        async def create_parcel(
            response: Response, body: Annotated[dict[str, Any], Body()]
        ) -> dict[str, Any]:
            self.entered.set()
            if self.hold is not None:
                await self.hold.wait()
            if self.failures:
                self.failures -= 1
                raise RetryableError("the store is busy")
            self.created += 1
            parcel_id = f"P-{self.created}"
            response.headers["Location"] = f"{PARCELS}/{parcel_id}"
            return {"parcel_id": parcel_id, **body}

        return router


@dataclass
class ApiProcess:
    """One API process over the hub's database: its own engine, stores and app."""

    estate: Estate
    idempotency: IdempotencyStore
    app: FastAPI

    def close(self) -> None:
        self.estate.store.close()


def api_process(url: str, clock: FakeClock, parcels: Parcels) -> ApiProcess:
    """An app wired as ``create_app`` wires it: idempotency inside every other middleware."""
    store = SqlStore(url)
    access = AccessStore(store.engine, clock)
    estate = Estate(
        store=store,
        clock=clock,
        desk=OrderDesk(store, clock, InProcessWakeups()),
        access=access,
    )
    idempotency = IdempotencyStore(store.engine)
    app = create_app(desk=estate.desk, access=access, routers=[parcels.router()])
    if not any(cast(object, m.cls) is IdempotencyMiddleware for m in app.user_middleware):
        # Where create_app puts it: innermost, so authentication and the rest run outside it.
        app.user_middleware.append(
            Middleware(IdempotencyMiddleware, store=idempotency, clock=clock)
        )
    return ApiProcess(estate=estate, idempotency=idempotency, app=app)


@dataclass
class Hub:
    """The first API process, the shared clock, and a key for each of two partners."""

    url: str
    clock: FakeClock
    parcels: Parcels
    api: ApiProcess
    acme: str
    globex: str

    def orders(self) -> int:
        return self.api.estate.order_count()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path, prefix="idem") as url:
        yield url


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    clock = FakeClock()
    parcels = Parcels()
    api = api_process(database_url, clock, parcels)
    api.estate.store.create_schema()
    api.estate.seed()
    access = api.estate.access
    yield Hub(
        url=database_url,
        clock=clock,
        parcels=parcels,
        api=api,
        acme=partner_key(access, "acme", ["C-1"]),
        globex=partner_key(access, "globex", ["C-9"]),
    )
    api.close()


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def problem_type(response: httpx.Response) -> str:
    return str(response.json()["type"]).removeprefix(PROBLEM)


async def test_a_repeated_create_replays_the_first_answer_and_creates_one_order(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        first = await http.post(ORDERS, json=new_order(), headers=keyed("order-1001"))
        again = await http.post(ORDERS, json=new_order(), headers=keyed("order-1001"))

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert hub.orders() == 1


async def test_the_same_key_for_another_request_is_refused_with_422(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        first = await http.post(ORDERS, json=new_order(), headers=keyed("order-1001"))
        changed = new_order(customer_po="PO-78")
        other_body = await http.post(ORDERS, json=changed, headers=keyed("order-1001"))
        other_path = await http.post(PARCELS, json=new_order(), headers=keyed("order-1001"))

    assert first.status_code == 201
    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert problem_type(refused) == "idempotency-key-reused"
        assert problem_fields(refused) == ["Idempotency-Key"]
    assert hub.orders() == 1
    assert hub.parcels.created == 0


async def test_a_repeat_while_the_first_is_running_answers_409_then_the_replay(hub: Hub) -> None:
    hub.parcels.hold = asyncio.Event()
    async with client(hub.api.app, key=hub.acme) as http:
        running = asyncio.create_task(http.post(PARCELS, json={"n": 1}, headers=keyed("p-1")))
        await hub.parcels.entered.wait()
        meanwhile = await http.post(PARCELS, json={"n": 1}, headers=keyed("p-1"))
        hub.parcels.hold.set()
        first = await running
        afterwards = await http.post(PARCELS, json={"n": 1}, headers=keyed("p-1"))

    assert meanwhile.status_code == 409
    assert problem_type(meanwhile) == "idempotency-key-in-flight"
    assert int(meanwhile.headers["retry-after"]) >= 1
    assert first.status_code == 201
    assert afterwards.status_code == 201
    assert afterwards.headers["idempotent-replayed"] == "true"
    assert afterwards.json() == first.json() == {"parcel_id": "P-1", "n": 1}
    assert hub.parcels.created == 1


def assert_one_create(responses: list[httpx.Response]) -> httpx.Response:
    """Exactly one response is the original; every other is its replay or a 409."""
    originals = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(originals) == 1, [(r.status_code, r.text) for r in responses]
    original = originals[0]
    for response in responses:
        if response is original:
            continue
        if response.status_code == 409:
            assert problem_type(response) == "idempotency-key-in-flight"
        else:
            assert response.status_code == 201, response.text
            assert response.headers["idempotent-replayed"] == "true"
            assert response.content == original.content
    return original


async def test_twenty_concurrent_identical_creates_make_one_order(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        responses = await asyncio.gather(
            *(http.post(ORDERS, json=new_order(), headers=keyed("burst")) for _ in range(20))
        )
        original = assert_one_create(list(responses))
        settled = await http.post(ORDERS, json=new_order(), headers=keyed("burst"))

    assert hub.orders() == 1
    assert settled.headers["idempotent-replayed"] == "true"
    assert settled.content == original.content


async def test_two_api_processes_sharing_the_database_make_one_order(hub: Hub) -> None:
    second = api_process(hub.url, hub.clock, Parcels())
    try:
        async with (
            client(hub.api.app, key=hub.acme) as one,
            client(second.app, key=hub.acme) as two,
        ):
            responses = await asyncio.gather(
                *(
                    (one if n % 2 else two).post(ORDERS, json=new_order(), headers=keyed("twin"))
                    for n in range(20)
                )
            )
    finally:
        second.close()

    assert_one_create(list(responses))
    assert hub.orders() == 1


async def test_a_key_may_be_used_again_once_24_hours_have_passed(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        first = await http.post(PARCELS, json={"n": 1}, headers=keyed("daily"))
        hub.clock.advance(IDEMPOTENCY_TTL - timedelta(seconds=1))
        still_bound = await http.post(PARCELS, json={"n": 2}, headers=keyed("daily"))
        hub.clock.advance(timedelta(seconds=2))
        reused = await http.post(PARCELS, json={"n": 2}, headers=keyed("daily"))

    assert first.json()["parcel_id"] == "P-1"
    assert still_bound.status_code == 422
    assert reused.status_code == 201
    assert "idempotent-replayed" not in reused.headers
    assert reused.json() == {"parcel_id": "P-2", "n": 2}


async def test_purge_forgets_only_expired_keys(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        await http.post(PARCELS, json={"n": 1}, headers=keyed("old"))
        hub.clock.advance(timedelta(hours=12))
        await http.post(PARCELS, json={"n": 2}, headers=keyed("young"))
        hub.clock.advance(timedelta(hours=12, seconds=1))

        assert hub.api.idempotency.purge(hub.clock.now()) == 1
        young = await http.post(PARCELS, json={"n": 2}, headers=keyed("young"))

    assert young.headers["idempotent-replayed"] == "true"


async def test_a_key_left_in_flight_by_a_dead_process_is_taken_over(hub: Hub) -> None:
    body = json.dumps(new_order()).encode()
    # A process began this very request, then died before answering.
    crashed = hub.api.idempotency.begin(
        "acme",
        "order-1001",
        method="POST",
        path=ORDERS,
        fingerprint=fingerprint("POST", ORDERS, b"", body, "orders:read orders:write"),
        now=hub.clock.now(),
    )
    assert isinstance(crashed, Started)
    headers = {**keyed("order-1001"), "Content-Type": "application/json"}
    async with client(hub.api.app, key=hub.acme) as http:
        held = await http.post(ORDERS, content=body, headers=headers)
        hub.clock.advance(IDEMPOTENCY_LEASE + timedelta(seconds=1))
        retried = await http.post(ORDERS, content=body, headers=headers)
        replayed = await http.post(ORDERS, content=body, headers=headers)

    assert held.status_code == 409
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert replayed.content == retried.content
    assert hub.orders() == 1
    # The dead process cannot overwrite the record it lost.
    assert not hub.api.idempotency.finish(crashed.claim, status=500, headers=[], body=b"")


async def test_each_partner_has_its_own_keys(hub: Hub) -> None:
    async with (
        client(hub.api.app, key=hub.acme) as acme,
        client(hub.api.app, key=hub.globex) as globex,
    ):
        theirs = await acme.post(PARCELS, json={"n": 1}, headers=keyed("shared"))
        ours = await globex.post(PARCELS, json={"n": 1}, headers=keyed("shared"))

    assert theirs.json()["parcel_id"] == "P-1"
    assert ours.status_code == 201
    assert "idempotent-replayed" not in ours.headers
    assert ours.json()["parcel_id"] == "P-2"


async def test_a_failed_create_is_not_kept_so_its_retry_runs(hub: Hub) -> None:
    hub.parcels.failures = 1
    async with client(hub.api.app, key=hub.acme) as http:
        failed = await http.post(PARCELS, json={"n": 1}, headers=keyed("flaky"))
        retried = await http.post(PARCELS, json={"n": 1}, headers=keyed("flaky"))

    assert failed.status_code == 503
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert hub.parcels.created == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "clé"])
async def test_a_malformed_key_is_refused_with_400(hub: Hub, key: str) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        response = await http.post(
            PARCELS, json={"n": 1}, headers={b"Idempotency-Key": key.encode("utf-8")}
        )

    assert response.status_code == 400
    assert problem_fields(response) == ["Idempotency-Key"]
    assert hub.parcels.created == 0


async def test_a_create_without_a_key_is_left_alone(hub: Hub) -> None:
    async with client(hub.api.app, key=hub.acme) as http:
        first = await http.post(PARCELS, json={"n": 1})
        second = await http.post(PARCELS, json={"n": 1})

    assert [first.status_code, second.status_code] == [201, 201]
    assert hub.parcels.created == 2


async def test_a_key_with_fewer_scopes_never_receives_the_answer_a_stronger_key_got(
    hub: Hub,
) -> None:
    reader = partner_key(hub.api.estate.access, "acme", ["C-1"], [Scope.ORDERS_READ])
    async with client(hub.api.app, key=hub.acme) as http:
        created = await http.post(ORDERS, json=new_order(), headers=keyed("order-1001"))
    async with client(hub.api.app, key=reader) as http:
        again = await http.post(ORDERS, json=new_order(), headers=keyed("order-1001"))

    assert created.status_code == 201
    assert again.status_code == 422
    assert "idempotent-replayed" not in again.headers
