"""The OWASP API Security Top 10 (2023), item by item, against the whole hub ``build_hub`` wires.

Two partners share the hub: ``north`` (customer ``C-1``) and ``south`` (``C-2``), each with every
scope but ``admin`` (see :mod:`.two_partners`). Items that do not apply to a hub that calls no
URL a client sends but webhook callbacks: API6 (sensitive business flows: there is no flow an
automated client could abuse beyond the rate limit) and API10 (unsafe consumption of third-party
APIs: covered by the connectors' own suites).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import iter_route_contexts

from api.estate import PROBLEM_JSON, build_estate, client, new_order
from crossdock.integration.access.principal import Scope

from .route_guards import (
    HIDDEN_ROUTES,
    RULES,
    Guard,
    Operation,
    declared_scope,
    operations,
    with_guard,
)
from .two_partners import MAX_BODY_BYTES, PARTNER_SCOPES, SUBSCRIBED_EVENT, Tenant, TwoPartners

pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSING = {
    "order_id": "ord_01KE6P4YM0AAAAAAAAAAAAAAAA",
    "customer_id": "C-404",
    "subscription_id": "whs_00000000000000000000000000000000",
}
"""Ids of objects that exist for nobody."""
ANY_VALUE = {
    "partner_id": "north",
    "key_id": "cdk_000000000000",
    "exception_id": "1",
    "name": "cloud_erp",
    "file_id": "1",
    "sku": "BOLT",
}
"""Path values for operations whose path names no partner's object."""


def object_ids(tenant: Tenant) -> dict[str, str]:
    """The path values that name ``tenant``'s own objects."""
    return {
        "order_id": tenant.order_id,
        "customer_id": tenant.customer_id,
        "subscription_id": tenant.subscription_id,
    }


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with its path parameters replaced."""
    return template.format_map({**ANY_VALUE, **values})


def private_data(tenant: Tenant) -> list[str]:
    """What only ``tenant`` (and operators) may ever read."""
    return [tenant.order_id, tenant.channel_order_number, tenant.callback_url, tenant.key[:16]]


def scrubbed(text: str, ids: dict[str, str]) -> str:
    """``text`` with each of ``ids`` replaced by ``<id>``."""
    for value in ids.values():
        text = text.replace(value, "<id>")
    return text


def leaks(response: httpx.Response, tenant: Tenant) -> list[str]:
    """Which of ``tenant``'s private data ``response`` carries, beyond what its URL asked."""
    asked = str(response.url)
    return [d for d in private_data(tenant) if d in response.text and d not in asked]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def named_fields(response: httpx.Response) -> list[str]:
    """The fields a problem response names."""
    return [error["field"] for error in response.json().get("errors", [])]


@pytest.fixture(scope="module")
def served(world: TwoPartners) -> dict[Operation, dict[str, Any]]:
    """Every operation of the OpenAPI document the hub serves."""
    return dict(operations(world.hub.app.openapi()))


@pytest.fixture
async def south(world: TwoPartners) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client(world.south.key) as api:
        yield api


@pytest.fixture
async def north(world: TwoPartners) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client(world.north.key) as api:
        yield api


@pytest.fixture
async def operator(world: TwoPartners) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client(world.admin) as api:
        yield api


async def call(api: httpx.AsyncClient, operation: Operation, path: str) -> httpx.Response:
    """Call ``operation`` at ``path`` with the operation's example body, if it takes one."""
    method = operation[0]
    body = RULES[operation].body
    return await api.request(method, path, json=body if method == "POST" else None)


# --- the oracle: every served operation has a guard, and the document agrees with it ----------


async def test_every_served_operation_has_a_guard(served: dict[Operation, dict[str, Any]]) -> None:
    unguarded = sorted(set(served) - set(RULES))
    stale = sorted(set(RULES) - set(served))

    assert not unguarded, f"add a case to route_guards.RULES for {unguarded}"
    assert not stale, f"RULES names operations the hub no longer serves: {stale}"


async def test_every_operation_declares_the_scope_its_guard_expects(
    served: dict[Operation, dict[str, Any]],
) -> None:
    mismatches = []
    for operation, rule in RULES.items():
        secured, scope = declared_scope(served[operation])
        expected_secured = rule.guard not in (Guard.PUBLIC, Guard.SIGNED)
        if (secured, scope) != (expected_secured, rule.scope):
            mismatches.append((operation, (secured, scope), (expected_secured, rule.scope)))

    assert not mismatches


# --- API1: broken object level authorization ---------------------------------------------------


@pytest.mark.parametrize("operation", with_guard(Guard.OWNED), ids=" ".join)
async def test_a_partner_reaching_for_another_partners_object_finds_nothing(
    operation: Operation, world: TwoPartners, south: httpx.AsyncClient
) -> None:
    template = operation[1]
    theirs = await call(south, operation, fill(template, object_ids(world.north)))
    nobodys = await call(south, operation, fill(template, MISSING))

    refused = assert_problem(theirs, 404)
    missing = assert_problem(nobodys, 404)
    # Indistinguishable from an object that does not exist, but for the id asked about.
    assert refused["type"] == missing["type"]
    assert scrubbed(refused["detail"], object_ids(world.north)) == scrubbed(
        missing["detail"], MISSING
    )
    assert not leaks(theirs, world.north)


@pytest.mark.parametrize("operation", with_guard(Guard.OWNED), ids=" ".join)
async def test_the_owner_reaches_the_same_object(
    operation: Operation, world: TwoPartners, north: httpx.AsyncClient
) -> None:
    # The refusal above means something only if the owner, asking the same, is answered.
    method, template = operation
    if method == "DELETE":  # deleting would change what the other tests see
        response = await north.get(fill(template, object_ids(world.north)))
    else:
        response = await call(north, operation, fill(template, object_ids(world.north)))
        world.run_workflow()

    assert response.status_code in (200, 202), response.text


async def test_another_partners_cancellation_and_deletion_change_nothing(
    world: TwoPartners, south: httpx.AsyncClient, north: httpx.AsyncClient
) -> None:
    order = f"/api/v1/orders/{world.north.order_id}"
    subscription = f"/api/v1/subscriptions/{world.north.subscription_id}"
    world.run_workflow()
    before = (await north.get(f"{order}/timeline")).json()

    await south.post(f"{order}/cancel", json={"reason": "sabotage"})
    await south.delete(subscription)
    world.run_workflow()

    assert (await north.get(f"{order}/timeline")).json() == before
    assert (await north.get(subscription)).status_code == 200


async def test_order_lists_hold_only_the_callers_own_orders(
    world: TwoPartners, south: httpx.AsyncClient, operator: httpx.AsyncClient
) -> None:
    own = (await south.get("/api/v1/orders")).json()["items"]
    asked_for_theirs = await south.get("/api/v1/orders", params={"customer": "C-1"})
    by_their_number = await south.get(
        "/api/v1/orders", params={"channel_order_number": world.north.channel_order_number}
    )
    everything = (await operator.get("/api/v1/orders")).json()["items"]

    assert {o["customer_id"] for o in own} == {"C-2"}
    assert world.south.order_id in [o["order_id"] for o in own]
    assert asked_for_theirs.json()["items"] == []
    assert by_their_number.json()["items"] == []
    assert {world.north.order_id, world.south.order_id} <= {o["order_id"] for o in everything}


async def test_customer_and_price_lists_hold_only_the_callers_own_customers(
    south: httpx.AsyncClient, operator: httpx.AsyncClient
) -> None:
    customers = (await south.get("/api/v1/customers")).json()["items"]
    prices = (await south.get("/api/v1/prices")).json()["items"]
    their_prices = await south.get("/api/v1/prices", params={"customer": "C-1"})
    every_price = (await operator.get("/api/v1/prices")).json()["items"]

    assert [c["customer_id"] for c in customers] == ["C-2"]
    assert {p["customer_id"] for p in prices} == {None, "C-2"}
    assert named_fields(their_prices) == ["customer"]
    assert_problem(their_prices, 404)
    assert {p["customer_id"] for p in every_price} == {None, "C-1", "C-2"}


async def test_the_event_feed_holds_only_the_callers_own_events(
    world: TwoPartners, south: httpx.AsyncClient, north: httpx.AsyncClient
) -> None:
    south_events = (await south.get("/api/v1/events")).json()["items"]
    north_events = (await north.get("/api/v1/events")).json()["items"]

    assert {e["subject"] for e in south_events} == {world.south.order_id}
    assert {e["subject"] for e in north_events} == {world.north.order_id}
    assert not [d for d in private_data(world.north) if d in json.dumps(south_events)]


async def test_subscription_lists_hold_only_the_callers_own_subscriptions(
    world: TwoPartners, south: httpx.AsyncClient, operator: httpx.AsyncClient
) -> None:
    own = (await south.get("/api/v1/subscriptions")).json()["items"]
    every = (await operator.get("/api/v1/subscriptions")).json()["items"]

    assert {s["partner_id"] for s in own} == {"south"}
    assert {world.north.subscription_id, world.south.subscription_id} <= {s["id"] for s in every}


# --- API2: broken authentication ----------------------------------------------------------------


async def refused_answers(world: TwoPartners, credentials: dict[str, dict[str, str]]) -> set[str]:
    """Each credential presented to ``/me``; every answer must be the same 401: the distinct
    (type, detail, WWW-Authenticate) triples seen."""
    seen = set()
    for why, headers in credentials.items():
        async with world.client(headers=headers) as api:
            response = await api.get("/api/v1/me")
        body = assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), why
        seen.add(f"{body['type']} | {body['detail']} | {response.headers['WWW-Authenticate']}")
    return seen


def authorization(credential: str) -> dict[str, str]:
    return {"Authorization": credential}


async def test_refused_credentials_all_get_the_same_401_that_says_nothing_about_why(
    world: TwoPartners,
) -> None:
    access, clock = world.hub.access, world.clock
    expiring = access.create_key(
        "north", [Scope.ORDERS_READ], expires_at=clock.now() + timedelta(minutes=5)
    )
    revoked = access.create_key("north", [Scope.ORDERS_READ])
    access.revoke_key(revoked.key.key_id)
    rotated = access.create_key("north", [Scope.ORDERS_READ])
    replacement = access.create_key(
        "north", [Scope.ORDERS_READ], rotate=rotated.key.key_id, overlap=timedelta(minutes=5)
    )
    async with world.client(rotated.secret) as api:
        assert (await api.get("/api/v1/me")).status_code == 200  # inside the overlap
    clock.advance(timedelta(minutes=6))
    key_id = world.north.key[:16]

    seen = await refused_answers(
        world,
        {
            "expired": authorization(f"Bearer {expiring.secret}"),
            "revoked": authorization(f"Bearer {revoked.secret}"),
            "rotated, after its overlap": authorization(f"Bearer {rotated.secret}"),
            "wrong secret": authorization(f"Bearer {key_id}_{'x' * 43}"),
            "unknown key": authorization(f"Bearer cdk_000000000000_{'x' * 43}"),
            "unknown token": authorization(f"Bearer cdt_{'x' * 43}"),
            "not one of our keys": authorization("Bearer hunter2"),
            "wrong secret, as X-API-Key": {"X-API-Key": f"{key_id}_{'y' * 43}"},
        },
    )

    assert len(seen) == 1, seen
    assert "unknown, expired or revoked" in next(iter(seen))
    async with world.client(replacement.secret) as api:
        assert (await api.get("/api/v1/me")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        authorization("Bearer"),
        authorization("Bearer "),
        authorization("Basic bm9ydGg6c2VjcmV0"),
        authorization("cdk_000000000000"),
        {"X-API-Key": ""},
    ],
    ids=["none", "bearer without a credential", "bearer blank", "basic", "no scheme", "blank key"],
)
async def test_a_request_without_a_usable_credential_is_401_with_a_challenge(
    world: TwoPartners, headers: dict[str, str]
) -> None:
    async with world.client(headers=headers) as api:
        response = await api.get(f"/api/v1/orders/{world.north.order_id}")

    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="crossdock"'
    assert world.north.order_id not in body["detail"]


async def test_a_token_dies_with_its_key_and_with_its_hour(world: TwoPartners) -> None:
    access = world.hub.access
    issued = access.create_key("north", [Scope.ORDERS_READ])
    other = access.create_key("north", [Scope.ORDERS_READ])

    tokens = []
    async with world.client() as api:
        for key in (issued, other):
            form = {
                "grant_type": "client_credentials",
                "client_id": key.key.key_id,
                "client_secret": key.secret,
            }
            answer = await api.post("/api/v1/oauth/token", data=form)
            assert answer.status_code == 200, answer.text
            tokens.append(answer.json()["access_token"])
    revoked_token, expiring_token = tokens
    async with world.client(revoked_token) as api:
        assert (await api.get("/api/v1/me")).status_code == 200
    access.revoke_key(issued.key.key_id)
    world.clock.advance(timedelta(minutes=61))

    seen = await refused_answers(
        world,
        {
            "token of a revoked key": authorization(f"Bearer {revoked_token}"),
            "token past its hour": authorization(f"Bearer {expiring_token}"),
        },
    )

    assert len(seen) == 1


async def test_a_wrong_secret_earns_no_token(world: TwoPartners) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": world.north.key[:16],
        "client_secret": "x" * 43,
    }
    async with world.client() as api:
        response = await api.post("/api/v1/oauth/token", data=form)

    assert_problem(response, 401)
    assert "access_token" not in response.json()


@pytest.mark.parametrize(
    "operation",
    with_guard(Guard.OWNED, Guard.SCOPED_LIST, Guard.SCOPED_CREATE, Guard.SHARED),
    ids=" ".join,
)
async def test_a_key_without_the_operations_scope_is_refused_403(
    operation: Operation, world: TwoPartners
) -> None:
    needed = RULES[operation].scope
    assert needed is not None
    key = world.hub.access.create_key(
        "north", [s for s in PARTNER_SCOPES if s is not needed], label=f"without {needed}"
    )
    method, template = operation
    async with world.client(key.secret) as api:
        response = await api.request(
            method, fill(template, object_ids(world.north)), json={} if method == "POST" else None
        )

    assert_problem(response, 403)
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer error="insufficient_scope", scope="{needed.value}"'
    )
    assert not leaks(response, world.north)


# --- API3: broken object property level authorization (mass assignment) -------------------------


@pytest.mark.parametrize(
    ("path", "document", "field"),
    [
        (
            "/api/v1/orders",
            new_order(channel_order_number="S-9", customer_id="C-2", partner_id="north"),
            "partner_id",
        ),
        (
            "/api/v1/orders",
            new_order(channel_order_number="S-9", customer_id="C-2", status="closed"),
            "status",
        ),
        (
            "/api/v1/orders",
            new_order(channel_order_number="S-9", customer_id="C-2", order_id="ord_1"),
            "order_id",
        ),
        (
            "/api/v1/subscriptions",
            {
                "url": "https://151.101.1.69/x",
                "event_types": [SUBSCRIBED_EVENT],
                "partner_id": "north",
            },
            "partner_id",
        ),
        (
            "/api/v1/subscriptions",
            {
                "url": "https://151.101.1.69/x",
                "event_types": [SUBSCRIBED_EVENT],
                "secret": "whsec_mine",
            },
            "secret",
        ),
    ],
    ids=[
        "order partner_id",
        "order status",
        "order order_id",
        "subscription partner_id",
        "subscription secret",
    ],
)
async def test_a_field_the_caller_may_not_set_is_refused_by_name(
    path: str,
    document: dict[str, Any],
    field: str,
    south: httpx.AsyncClient,
    operator: httpx.AsyncClient,
) -> None:
    response = await south.post(path, json=document)

    assert_problem(response, 422)
    assert field in named_fields(response)
    orders = (await operator.get("/api/v1/orders", params={"channel_order_number": "S-9"})).json()
    assert orders["items"] == []


async def test_an_order_for_another_partners_customer_is_refused_naming_the_customer(
    south: httpx.AsyncClient, operator: httpx.AsyncClient
) -> None:
    response = await south.post(
        "/api/v1/orders", json=new_order(channel_order_number="S-10", customer_id="C-1")
    )

    assert_problem(response, 403)
    assert named_fields(response) == ["customer_id"]
    orders = (await operator.get("/api/v1/orders", params={"channel_order_number": "S-10"})).json()
    assert orders["items"] == []


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"scopes": ["orders:read"], "partner_id": "north"}, "partner_id"),
        ({"scopes": ["orders:read"], "admin": True}, "admin"),
        ({"scopes": ["orders:read"], "customer_ids": ["C-1"]}, "customer_ids"),
        ({"scopes": ["admin"]}, "scopes"),
    ],
    ids=["partner_id", "admin", "customer_ids", "admin scope"],
)
async def test_a_key_cannot_be_issued_with_more_than_its_partner_holds(
    document: dict[str, Any], field: str, world: TwoPartners, operator: httpx.AsyncClient
) -> None:
    before = world.hub.access.keys("south")

    response = await operator.post("/api/v1/partners/south/keys", json=document)

    assert_problem(response, 422)
    assert field in named_fields(response)
    assert world.hub.access.keys("south") == before


# --- API4: unrestricted resource consumption ----------------------------------------------------


async def test_a_body_over_the_limit_is_refused_413_before_it_is_read(
    south: httpx.AsyncClient, operator: httpx.AsyncClient
) -> None:
    padded = new_order(
        channel_order_number="S-BIG", customer_id="C-2", customer_po="P" * MAX_BODY_BYTES
    )

    declared = await south.post("/api/v1/orders", json=padded)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    streamed = await south.post(
        "/api/v1/orders", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_problem(declared, 413)
    assert_problem(streamed, 413)
    orders = (await operator.get("/api/v1/orders", params={"channel_order_number": "S-BIG"})).json()
    assert orders["items"] == []


async def test_a_key_over_its_rate_limit_is_refused_429_and_other_keys_are_not(
    world: TwoPartners, north: httpx.AsyncClient
) -> None:
    key = world.hub.access.create_key("throttled", [Scope.ORDERS_READ]).secret

    async with world.client(key) as api:
        answered = [(await api.get("/api/v1/orders")).status_code for _ in range(3)]
        refused = await api.get("/api/v1/orders")

    assert answered == [200, 200, 200]
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert (await north.get("/api/v1/orders")).status_code == 200


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/api/v1/orders", 501), ("/api/v1/events", 501), ("/api/v1/customers", 100_000)],
)
async def test_a_page_larger_than_the_api_serves_is_refused(
    path: str, limit: int, south: httpx.AsyncClient
) -> None:
    response = await south.get(path, params={"limit": limit})

    assert_problem(response, 422)
    assert named_fields(response) == ["limit"]


# --- API5: broken function level authorization --------------------------------------------------


@pytest.mark.parametrize("operation", with_guard(Guard.ADMIN), ids=" ".join)
async def test_an_operator_function_is_403_for_a_partner_holding_every_other_scope(
    operation: Operation, world: TwoPartners, south: httpx.AsyncClient
) -> None:
    method, template = operation
    response = await south.request(
        method, fill(template, object_ids(world.north)), json={} if method == "POST" else None
    )

    body = assert_problem(response, 403)
    assert body["type"].endswith("insufficient-scope")
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="admin"'
    )


async def test_operator_functions_answer_an_operator(operator: httpx.AsyncClient) -> None:
    # The 403s above come from the scope, not from routes nobody can call.
    for method, template in with_guard(Guard.ADMIN):
        if method == "GET":
            response = await operator.get(fill(template, {}))
            assert response.status_code not in (401, 403), (template, response.text)


# --- API7: server side request forgery ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "http://151.101.1.69/hook",
        "https://user:secret@151.101.1.69/hook",
        "file:///etc/passwd",
    ],
)
async def test_a_callback_url_into_the_hubs_own_network_is_refused_naming_url(
    url: str, world: TwoPartners, south: httpx.AsyncClient
) -> None:
    before = (await south.get("/api/v1/subscriptions")).json()["items"]

    response = await south.post(
        "/api/v1/subscriptions", json={"url": url, "event_types": [SUBSCRIBED_EVENT]}
    )

    assert_problem(response, 422)
    assert named_fields(response) == ["url"]
    assert (await south.get("/api/v1/subscriptions")).json()["items"] == before


# --- API8: security misconfiguration ------------------------------------------------------------


async def test_the_openapi_document_declares_how_to_authenticate(world: TwoPartners) -> None:
    schemes = world.hub.app.openapi()["components"]["securitySchemes"]

    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }
    assert schemes["APIKeyHeader"]["in"] == "header"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    flow = schemes["OAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/oauth/token"
    assert set(flow["scopes"]) == {scope.value for scope in Scope}


async def test_an_unexpected_failure_is_a_500_problem_that_reveals_nothing(
    tmp_path: Path,
) -> None:
    boom = APIRouter()

    @boom.get("/boom")
    async def explode() -> None:
        raise RuntimeError("password=hunter2 at /srv/crossdock/secret.py line 42")

    estate = build_estate(tmp_path)
    async with client(estate.app(routers=[boom]), raise_app_exceptions=False) as api:
        response = await api.get("/boom")

    assert_problem(response, 500)
    for revealing in ("hunter2", "secret.py", "RuntimeError", "Traceback", 'File "'):
        assert revealing not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/v1/orders", b'{"customer_id": ', 400),
        ("GET", "/api/v1/no-such-thing", None, 404),
        ("DELETE", "/api/v1/orders", None, 405),
        ("GET", "/api/v1/orders?limit=ten", None, 422),
    ],
)
async def test_client_errors_are_problems_without_internals(
    method: str, path: str, body: bytes | None, status: int, south: httpx.AsyncClient
) -> None:
    response = await south.request(
        method, path, content=body, headers={"content-type": "application/json"}
    )

    assert_problem(response, status)
    for revealing in ("Traceback", 'File "', "site-packages", "sqlalchemy", "pydantic_core"):
        assert revealing not in response.text


# --- API9: improper inventory management --------------------------------------------------------


CONSOLE = "/console"


async def test_every_route_the_hub_serves_is_in_the_openapi_document(
    world: TwoPartners, served: dict[Operation, dict[str, Any]]
) -> None:
    routes = set()
    for route in iter_route_contexts(world.hub.app.routes):
        methods = route.methods or {"*"}
        if str(route.path).startswith(CONSOLE):
            continue  # the console is pages for people, not API; tests/console guards each one
        routes |= {(method, str(route.path)) for method in methods if method != "HEAD"}

    undocumented = routes - set(served) - HIDDEN_ROUTES

    assert not undocumented, f"document these, or list them in HIDDEN_ROUTES: {undocumented}"
    assert routes >= HIDDEN_ROUTES
    assert {
        path for _, path in routes if not path.startswith(("/api/v1/", "/webhooks/", "/as2"))
    } == {"/healthz", "/metrics"}
