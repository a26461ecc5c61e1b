"""Fixtures: each contract suite runs once per adapter in :mod:`.adapters`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crossdock.orchestration.wakeups import Wakeups

from .adapters import TRANSPORTS, WAKEUPS, Adapter, TransportRig


@pytest.fixture(params=TRANSPORTS, ids=[adapter.name for adapter in TRANSPORTS])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[TransportRig]:
    """A transport, with a subscriber listening since before the first publish."""
    adapter: Adapter[TransportRig] = request.param
    async with adapter.build() as built:
        yield built


@pytest.fixture(params=WAKEUPS, ids=[adapter.name for adapter in WAKEUPS])
async def wakeups(request: pytest.FixtureRequest) -> AsyncIterator[Wakeups]:
    """A fresh ``Wakeups`` (for NATS: its own tenant, so no other test can wake it)."""
    adapter: Adapter[Wakeups] = request.param
    async with adapter.build() as built:
        yield built
