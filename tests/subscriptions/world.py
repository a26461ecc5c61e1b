"""A hub with two trading partners, their webhook subscriptions and a stubbed partner endpoint.

``acme`` buys for customer ``C-A``, ``bolt`` for ``C-B``. The partners' endpoints are an
``httpx.MockTransport`` (:class:`Endpoint`) and their host names resolve through a table the test
can change (:class:`Names`), so a test can rebind a name to a private address between the check
at subscription time and the delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Sequence
from datetime import timedelta

import httpx
from fastapi import FastAPI

from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.app import create_app
from crossdock.integration.subscriptions.callback_url import CallbackPolicy
from crossdock.integration.subscriptions.fan_out import SYSTEM, WebhookFanOut
from crossdock.integration.subscriptions.gateway import DELIVERY_POLICY, WebhookGateway
from crossdock.integration.subscriptions.routes import subscriptions_router
from crossdock.integration.subscriptions.store import SubscriptionStore
from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.retry import RetryPolicy
from engine.hub import Hub

ACME_URL = "https://hooks.acme.example/crossdock"
BOLT_URL = "https://hooks.bolt.example/events"
PUBLIC = {"hooks.acme.example": ["93.184.216.34"], "hooks.bolt.example": ["151.101.1.69"]}

WEBHOOK_POLICY = DELIVERY_POLICY.model_copy(
    update={
        "retry": RetryPolicy(initial_interval=timedelta(seconds=10), jitter=0.0, max_attempts=3)
    }
)
"""The hub's policy for ``webhooks``, with a short, deterministic retry: 3 attempts, 10 s, 20 s."""


class Names:
    """A DNS stand-in: host → addresses, changeable by the test."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {name: list(a) for name, a in PUBLIC.items()}

    async def resolve(self, host: str) -> Sequence[str]:
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]


class Endpoint:
    """The partners' webhook receivers: records every request, answers ``statuses`` in turn
    (then 204)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 204
        headers = {"Retry-After": "60"} if status == 429 else {}
        body = {"error": "down"} if status >= 400 else None
        return httpx.Response(status, json=body, headers=headers)


def verify(secret: str, request: httpx.Request) -> bool:
    """A receiver's check, written as the Standard Webhooks spec describes it (not our code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (
        f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
        + request.content
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in request.headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


class World:
    """The hub, its partners, subscriptions, fan-out and webhook deliveries."""

    def __init__(self, database_url: str, *, policy: CallbackPolicy | None = None) -> None:
        self.hub = Hub(database_url)
        self.clock = self.hub.clock
        self.store = self.hub.store
        self.access = AccessStore(self.store.engine, self.clock)
        self.access.add_partner("acme", customer_ids=["C-A"])
        self.access.add_partner("bolt", customer_ids=["C-B"])
        self.subscriptions = SubscriptionStore(self.store.engine, self.clock)
        self.names = Names()
        self.endpoint = Endpoint()
        self.policy = policy or CallbackPolicy()
        self.gateway = WebhookGateway(
            self.subscriptions,
            self.policy,
            self.clock,
            resolve=self.names.resolve,
            transport=self.endpoint.transport,
        )
        self.webhooks = DeliveryRunner(
            self.store,
            {SYSTEM: self.gateway},
            self.clock,
            policies={SYSTEM: WEBHOOK_POLICY},
            rng=random.Random(7),
        )
        self.fan_out = WebhookFanOut(self.store, self.clock)

    def app(self) -> FastAPI:
        router = subscriptions_router(self.subscriptions, self.policy, resolve=self.names.resolve)
        return create_app(desk=self.hub.desk, access=self.access, routers=[router])

    async def drain(self) -> None:
        """Run the engine, the fan-out and webhook deliveries until nothing is left to do."""
        for _ in range(60):
            await self.hub.drain()
            work = (await self.fan_out.run_once()).events
            work += (await self.webhooks.run_once(SYSTEM)).attempted
            if not work:
                return
        raise AssertionError("still busy after 60 rounds")

    def close(self) -> None:
        self.hub.close()
