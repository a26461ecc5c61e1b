"""Rate limits per API key and per anonymous address (OWASP API4: unrestricted resource
consumption), counted in memory or, shared by several API processes, in Redis.

The app here is wired the way ``create_app`` wires the hub's: the body limit outermost, then
authentication, then the rate limiter, then the timeout around the routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import redis
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError

from credentials import bearer, partner_key
from crossdock.core.errors import ConfigurationError
from crossdock.integration.access.principal import Scope
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.auth import AuthenticationMiddleware, OrdersReader
from crossdock.integration.api.problems import install_problem_handlers
from crossdock.integration.api.rate_limits import RateLimitMiddleware, RateLimitPolicy
from crossdock.integration.api.request_guards import (
    BodySizeLimitMiddleware,
    RequestTimeoutMiddleware,
)
from crossdock.settings import ApiSettings
from servers import require_redis

from .estate import PROBLEM_JSON, Estate

WHOAMI = "/api/v1/whoami"


def guarded_app(access: AccessStore, policy: RateLimitPolicy) -> FastAPI:
    """A partner API route, a probe and a webhook behind the hub's middlewares."""
    app = FastAPI()
    install_problem_handlers(app)
    api = APIRouter(prefix="/api/v1")

    @api.get("/whoami")
    async def whoami(caller: OrdersReader) -> dict[str, str]:
        return {"partner": caller.partner_id, "key": caller.key_id}

    app.include_router(api)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/wms", status_code=202)
    async def webhook() -> dict[str, str]:
        return {"status": "accepted"}

    app.add_middleware(RequestTimeoutMiddleware)
    app.add_middleware(RateLimitMiddleware, policy=policy)
    app.add_middleware(AuthenticationMiddleware, access=access)
    app.add_middleware(BodySizeLimitMiddleware)
    return app


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """Start and stop ``app`` as a server does (the ASGI lifespan), so connections get closed."""
    to_app: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    from_app: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    running = asyncio.create_task(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    assert (await from_app.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
        await running


def http(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://crossdock.test")


def remaining(response: httpx.Response) -> int:
    return int(response.headers["RateLimit-Remaining"])


async def test_a_key_that_spent_its_limit_is_refused_while_other_keys_are_served(
    estate: Estate,
) -> None:
    first = partner_key(estate.access, "acme", ["C-1"])
    second_of_acme = partner_key(estate.access, "acme", ["C-1"])
    globex = partner_key(estate.access, "globex", ["C-2"])
    app = guarded_app(estate.access, RateLimitPolicy(default="3/minute"))
    async with http(app) as api:
        spent = [await api.get(WHOAMI, headers=bearer(first)) for _ in range(3)]
        refused = await api.get(WHOAMI, headers=bearer(first))
        acme_other_key = await api.get(WHOAMI, headers=bearer(second_of_acme))
        other_partner = await api.get(WHOAMI, headers=bearer(globex))

    assert [r.status_code for r in spent] == [200, 200, 200]
    assert [remaining(r) for r in spent] == [2, 1, 0]
    assert refused.status_code == 429
    assert acme_other_key.status_code == 200
    assert remaining(acme_other_key) == 2
    assert other_partner.status_code == 200
    assert other_partner.json()["partner"] == "globex"


async def test_a_refusal_is_a_problem_with_retry_after_and_ratelimit_headers(
    estate: Estate,
) -> None:
    key = partner_key(estate.access, "acme", ["C-1"])
    app = guarded_app(estate.access, RateLimitPolicy(default="2/minute;100/hour"))
    async with http(app) as api:
        served = await api.get(WHOAMI, headers=bearer(key))
        await api.get(WHOAMI, headers=bearer(key))
        refused = await api.get(WHOAMI, headers=bearer(key))

    assert served.headers["RateLimit-Limit"] == "2"  # the tighter of the two limits
    assert served.headers["RateLimit-Remaining"] == "1"
    assert 0 < int(served.headers["RateLimit-Reset"]) <= 60
    assert served.headers["RateLimit-Policy"] == "2;w=60, 100;w=3600"
    assert "Retry-After" not in served.headers

    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    problem = refused.json()
    assert problem["type"] == "urn:crossdock:problem:rate-limited"
    assert problem["status"] == 429
    assert problem["instance"] == WHOAMI
    assert refused.headers["RateLimit-Limit"] == "2"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]


async def test_a_client_that_waits_retry_after_is_served_again(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `limits` reads the wall clock (time.time) for its windows: the test moves it by hand.
    wall = [time.time()]
    monkeypatch.setattr(time, "time", lambda: wall[0])
    key = partner_key(estate.access, "acme", ["C-1"])
    app = guarded_app(estate.access, RateLimitPolicy(default="1/minute"))
    async with http(app) as api:
        assert (await api.get(WHOAMI, headers=bearer(key))).status_code == 200
        refused = await api.get(WHOAMI, headers=bearer(key))
        assert refused.status_code == 429
        retry_after = int(refused.headers["Retry-After"])
        wall[0] += retry_after - 1
        still_early = await api.get(WHOAMI, headers=bearer(key))
        wall[0] += 1
        again = await api.get(WHOAMI, headers=bearer(key))

    assert retry_after == 61  # the window holds the first request until strictly after 60 s
    assert still_early.status_code == 429
    assert again.status_code == 200


async def test_a_partner_with_its_own_limit_is_held_to_it(estate: Estate) -> None:
    estate.access.add_partner("bulk", customer_ids=["C-1"], rate_limit="5/minute")
    key = estate.access.create_key("bulk", [Scope.ORDERS_READ]).secret
    app = guarded_app(estate.access, RateLimitPolicy(default="2/minute"))
    async with http(app) as api:
        answers = [await api.get(WHOAMI, headers=bearer(key)) for _ in range(6)]

    assert [r.status_code for r in answers] == [200] * 5 + [429]
    assert answers[0].headers["RateLimit-Limit"] == "5"


async def test_requests_without_an_accepted_key_are_limited_per_address(estate: Estate) -> None:
    key = partner_key(estate.access, "acme", ["C-1"])
    app = guarded_app(estate.access, RateLimitPolicy(default="10/minute", anonymous="2/minute"))
    async with http(app, "10.0.0.1") as guesser, http(app, "10.0.0.2") as neighbour:
        anonymous = await guesser.get(WHOAMI)
        guessed = await guesser.get(WHOAMI, headers=bearer("cdk_nosuchkey_nosuchsecret"))
        throttled = await guesser.get(WHOAMI, headers=bearer("cdk_another_guess"))
        other_address = await neighbour.get(WHOAMI)
        with_a_key = await guesser.get(WHOAMI, headers=bearer(key))

    assert [anonymous.status_code, guessed.status_code] == [401, 401]
    assert anonymous.headers["RateLimit-Limit"] == "2"
    assert throttled.status_code == 429
    assert "address" in throttled.json()["detail"]
    assert other_address.status_code == 401
    assert with_a_key.status_code == 200
    assert with_a_key.headers["RateLimit-Limit"] == "10"


async def test_probes_and_signed_webhooks_are_not_limited(estate: Estate) -> None:
    app = guarded_app(estate.access, RateLimitPolicy(anonymous="1/minute"))
    async with http(app) as api:
        probes = [await api.get("/healthz") for _ in range(3)]
        webhooks = [await api.post("/webhooks/wms", content=b"{}") for _ in range(3)]

    assert [r.status_code for r in probes + webhooks] == [200] * 3 + [202] * 3
    assert not any("RateLimit-Limit" in r.headers for r in probes + webhooks)


def test_a_limit_that_is_not_a_rate_fails_at_start_naming_its_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"api\.rate_limit_default"):
        RateLimitMiddleware(FastAPI(), policy=RateLimitPolicy(default="plenty"))
    with pytest.raises(ConfigurationError, match=r"api\.rate_limit_storage"):
        RateLimitMiddleware(FastAPI(), policy=RateLimitPolicy(storage="memcached://cache:11211"))


def test_the_counters_address_is_a_secret_its_password_never_printed() -> None:
    settings = ApiSettings(rate_limit_storage="redis://:hunter2@redis.internal:6379/0")

    assert "hunter2" not in repr(settings)
    with pytest.raises(ValidationError) as refused:
        ApiSettings(rate_limit_storage="memcached://:hunter2@cache:11211")
    assert "hunter2" not in str(refused.value)


async def test_with_the_counters_unreachable_requests_go_through_and_a_warning_is_logged(
    estate: Estate, caplog: pytest.LogCaptureFixture
) -> None:
    key = partner_key(estate.access, "acme", ["C-1"])
    nothing_listens = "redis://127.0.0.1:9/0"
    app = guarded_app(estate.access, RateLimitPolicy(default="1/minute", storage=nothing_listens))
    with caplog.at_level(logging.WARNING, logger="crossdock.api.rate_limits"):
        async with serving(app), http(app) as api:
            answers = [await api.get(WHOAMI, headers=bearer(key)) for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert not any("RateLimit-Limit" in r.headers for r in answers)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not once per request
    assert "unlimited" in warnings[0]


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    url = require_redis()
    prefix = f"crossdock-test-{uuid.uuid4().hex}"
    yield url, prefix
    client = redis.Redis.from_url(url)
    try:
        for name in client.scan_iter(f"{prefix}*"):
            client.delete(name)
    finally:
        client.close()


async def test_api_processes_sharing_redis_share_each_keys_budget(
    estate: Estate, redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    key = partner_key(estate.access, "acme", ["C-1"])
    policy = RateLimitPolicy(default="3/minute", storage=url, key_prefix=prefix)
    one, other = guarded_app(estate.access, policy), guarded_app(estate.access, policy)
    async with serving(one), serving(other), http(one) as first, http(other) as second:
        answers = [
            await first.get(WHOAMI, headers=bearer(key)),
            await second.get(WHOAMI, headers=bearer(key)),
            await first.get(WHOAMI, headers=bearer(key)),
            await second.get(WHOAMI, headers=bearer(key)),
            await first.get(WHOAMI, headers=bearer(key)),
        ]

    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert [remaining(r) for r in answers[:3]] == [2, 1, 0]


async def test_a_request_one_limit_refuses_uses_up_none_of_the_others(
    estate: Estate, redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    key = partner_key(estate.access, "acme", ["C-1"])
    # Two processes share the hour's counter in Redis; the first also has a minute limit.
    tight = RateLimitPolicy(default="100/hour;2/minute", storage=url, key_prefix=prefix)
    loose = RateLimitPolicy(default="100/hour", storage=url, key_prefix=prefix)
    one, other = guarded_app(estate.access, tight), guarded_app(estate.access, loose)
    async with serving(one), serving(other), http(one) as first, http(other) as second:
        refused_or_not = [await first.get(WHOAMI, headers=bearer(key)) for _ in range(10)]
        hour = await second.get(WHOAMI, headers=bearer(key))

    assert [r.status_code for r in refused_or_not] == [200, 200] + [429] * 8
    assert remaining(hour) == 100 - 2 - 1  # the eight refusals did not count against the hour
