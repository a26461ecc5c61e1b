"""``/api/v1/subscriptions`` and ``/api/v1/events``: per partner, checked, and isolated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from credentials import bearer, partner_key
from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AuditQuery
from crossdock.integration.subscriptions.callback_url import CallbackPolicy

from .world import ACME_URL, BOLT_URL, World

ACCEPTED = "crossdock.order.accepted.v1"
ROUTED = "crossdock.order.routed.v1"
SCOPES = (Scope.SUBSCRIPTIONS_WRITE, Scope.EVENTS_READ)

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def as_partner(sqlite_world: World) -> Client:
    """A client of the world's API, presenting a fresh key of a partner."""
    app = sqlite_world.app()

    @asynccontextmanager
    async def open_client(partner: str) -> AsyncIterator[httpx.AsyncClient]:
        customers = {"acme": ["C-A"], "bolt": ["C-B"]}[partner]
        key = partner_key(sqlite_world.access, partner, customers, SCOPES)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://crossdock.test", headers=bearer(key)
        ) as client:
            yield client

    return open_client


def fields(answer: httpx.Response) -> list[str]:
    assert answer.headers["Content-Type"] == "application/problem+json"
    return [error["field"] for error in answer.json()["errors"]]


async def test_a_partner_subscribes_and_gets_the_secret_once(
    as_partner: Client, sqlite_world: World
) -> None:
    async with as_partner("acme") as acme:
        created = await acme.post(
            "/api/v1/subscriptions", json={"url": ACME_URL, "event_types": [ACCEPTED]}
        )
        body = created.json()
        read = await acme.get(created.headers["Location"])
        listed = await acme.get("/api/v1/subscriptions")

    assert created.status_code == 201
    assert body["secret"].startswith("whsec_")
    assert (body["partner_id"], body["url"], body["event_types"]) == ("acme", ACME_URL, [ACCEPTED])
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]
    [audit] = sqlite_world.access.audit(AuditQuery(action="subscription.create"))
    assert audit.target == body["id"]


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::127.0.0.1]/hook",
        "https://[64:ff9b:1::a00:1]/hook",
        "https://[fec0::1]/hook",
        "https://intranet.acme.example/hook",  # a name that resolves to a private address
        "https://localhost/hook",
        "http://hooks.acme.example/crossdock",  # not https
        "https://user:secret@hooks.acme.example/crossdock",  # credentials in the URL
        "ftp://hooks.acme.example/crossdock",
    ],
)
async def test_a_callback_url_that_could_reach_the_hubs_own_network_is_refused(
    url: str, as_partner: Client, sqlite_world: World
) -> None:
    sqlite_world.names.table["intranet.acme.example"] = ["93.184.216.34", "192.168.7.7"]
    sqlite_world.names.table["localhost"] = ["127.0.0.1", "::1"]
    async with as_partner("acme") as acme:
        answer = await acme.post(
            "/api/v1/subscriptions", json={"url": url, "event_types": [ACCEPTED]}
        )
        listed = await acme.get("/api/v1/subscriptions")

    assert answer.status_code == 422
    assert fields(answer) == ["url"]
    assert listed.json()["items"] == []


async def test_private_callbacks_are_accepted_when_the_hub_allows_them(tmp_path: Any) -> None:
    world = World(
        f"sqlite:///{tmp_path}/dev.db", policy=CallbackPolicy(allow_private=True, allow_http=True)
    )
    key = partner_key(world.access, "acme", ["C-A"], SCOPES)
    transport = httpx.ASGITransport(app=world.app())
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=bearer(key)
    ) as acme:
        local = await acme.post(
            "/api/v1/subscriptions",
            json={"url": "http://127.0.0.1:9000/hook", "event_types": [ACCEPTED]},
        )
        metadata = await acme.post(
            "/api/v1/subscriptions",
            json={"url": "http://169.254.169.254/", "event_types": [ACCEPTED]},
        )
    world.close()

    assert local.status_code == 201
    assert metadata.status_code == 422  # instance metadata: never
    assert fields(metadata) == ["url"]


async def test_a_partner_cannot_name_another_owner_or_an_unknown_event_type(
    as_partner: Client,
) -> None:
    async with as_partner("acme") as acme:
        owner = await acme.post(
            "/api/v1/subscriptions",
            json={"url": ACME_URL, "event_types": [ACCEPTED], "partner_id": "bolt"},
        )
        unknown = await acme.post(
            "/api/v1/subscriptions",
            json={"url": ACME_URL, "event_types": [ACCEPTED, "crossdock.order.teleported.v1"]},
        )

    assert owner.status_code == 422
    assert fields(owner) == ["partner_id"]
    assert unknown.status_code == 422
    assert fields(unknown) == ["event_types[1]"]


async def test_another_partners_subscription_does_not_exist_for_you(as_partner: Client) -> None:
    async with as_partner("bolt") as bolt:
        created = await bolt.post(
            "/api/v1/subscriptions", json={"url": BOLT_URL, "event_types": [ACCEPTED]}
        )
    bolts = created.json()["id"]
    async with as_partner("acme") as acme:
        read = await acme.get(f"/api/v1/subscriptions/{bolts}")
        deleted = await acme.delete(f"/api/v1/subscriptions/{bolts}")
        listed = await acme.get("/api/v1/subscriptions")
    async with as_partner("bolt") as bolt:
        still = await bolt.get(f"/api/v1/subscriptions/{bolts}")
        removed = await bolt.delete(f"/api/v1/subscriptions/{bolts}")
        after = await bolt.get(f"/api/v1/subscriptions/{bolts}")

    assert (read.status_code, deleted.status_code) == (404, 404)
    assert listed.json()["items"] == []
    assert still.status_code == 200
    assert (removed.status_code, after.status_code) == (204, 404)


async def test_the_feed_pages_through_a_partners_own_events_only(
    as_partner: Client, sqlite_world: World
) -> None:
    world = sqlite_world
    for n in range(3):
        world.hub.submit(f"A-{n}", customer="C-A")
        world.hub.submit(f"B-{n}", customer="C-B")
    await world.drain()  # the fan-out settles the events

    async with as_partner("acme") as acme:
        seen: list[dict[str, Any]] = []
        cursor, pages = "0", 0
        while True:
            page = (await acme.get("/api/v1/events", params={"after": cursor, "limit": 2})).json()
            pages += 1
            seen += page["items"]
            if not page["items"]:
                break
            cursor = page["next"]
        routed = await acme.get("/api/v1/events", params={"type": ROUTED})
    async with as_partner("bolt") as bolt:
        bolts = (await bolt.get("/api/v1/events", params={"limit": 500})).json()["items"]

    assert {event["subject"] for event in seen} == {"A-0", "A-1", "A-2"}
    assert [int(e["sequence"]) for e in seen] == sorted(int(e["sequence"]) for e in seen)
    assert len({event["id"] for event in seen}) == len(seen)
    assert pages > 2
    assert {event["type"] for event in routed.json()["items"]} == {ROUTED}
    assert {event["subject"] for event in bolts} == {"B-0", "B-1", "B-2"}
    assert {event["id"] for event in bolts}.isdisjoint(event["id"] for event in seen)


async def test_the_feed_needs_the_events_scope(sqlite_world: World) -> None:
    key = partner_key(sqlite_world.access, "acme", ["C-A"], [Scope.ORDERS_READ])
    transport = httpx.ASGITransport(app=sqlite_world.app())
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=bearer(key)
    ) as acme:
        answer = await acme.get("/api/v1/events")

    assert answer.status_code == 403


async def test_a_key_that_may_not_read_events_may_not_subscribe_to_them(
    sqlite_world: World,
) -> None:
    key = partner_key(sqlite_world.access, "acme", ["C-A"], [Scope.SUBSCRIPTIONS_WRITE])
    transport = httpx.ASGITransport(app=sqlite_world.app())
    async with httpx.AsyncClient(
        transport=transport, base_url="http://crossdock.test", headers=bearer(key)
    ) as client:
        refused = await client.post(
            "/api/v1/subscriptions", json={"url": ACME_URL, "event_types": [ACCEPTED]}
        )
        listed = await client.get("/api/v1/subscriptions")

    assert refused.status_code == 403
    assert 'scope="events:read"' in refused.headers["WWW-Authenticate"]
    assert listed.json()["items"] == []
