"""Shared fixtures: a hub stub the sandbox systems post to, and in-process clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crossdock.sandbox.service import SandboxService


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


class HubStub:
    """A tiny hub: records every webhook and refuses the first `refuse` with 503."""

    def __init__(self, refuse: int = 0) -> None:
        self.deliveries: list[Delivery] = []
        self.refuse = refuse
        self._changed = asyncio.Condition()
        self.app = Starlette(routes=[Route("/webhooks/{source}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        delivery = Delivery(request.url.path, dict(request.headers), await request.body())
        async with self._changed:
            self.deliveries.append(delivery)
            self._changed.notify_all()
        if self.refuse > 0:
            self.refuse -= 1
            return JSONResponse({"error": "busy"}, 503, headers={"Retry-After": "1"})
        return JSONResponse({"order_id": f"ORD-{len(self.deliveries):05d}"}, 202)

    async def wait_until(
        self, condition: Callable[[list[Delivery]], bool], deadline_s: float = 5.0
    ) -> list[Delivery]:
        """Wait (with a deadline) until `condition(deliveries)` holds."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: condition(self.deliveries)), deadline_s
            )
        return list(self.deliveries)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://hub")


@pytest.fixture
def hub() -> HubStub:
    return HubStub()


@pytest.fixture
async def hub_client(hub: HubStub) -> AsyncIterator[httpx.AsyncClient]:
    async with hub.client() as client:
        yield client


@asynccontextmanager
async def serving(service: SandboxService) -> AsyncIterator[httpx.AsyncClient]:
    """Start a service, yield an in-process client to it, then stop and close it."""
    await service.start()
    app: Any = service.app
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox"
        ) as client:
            yield client
    finally:
        await service.stop()
        service.close()
