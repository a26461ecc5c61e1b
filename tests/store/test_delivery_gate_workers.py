"""Several delivery workers on one database share one gate per system: its concurrency limit
holds for all of them together, not for each.

Each worker claims under a row lock on the system's stored state (PostgreSQL), or as the one
writer (SQLite, memory); the gateway here holds every request until the test lets the round go,
so the requests each round put in flight are all in flight at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.messages import DeliveryCommand, Message, NotifyStatus
from crossdock.orchestration.store import DeliveryRecord, Store
from waiting import eventually

from .samples import T0

SYSTEM = "erp"
LIMIT = 3
ORDERS = 12
DEADLINE_S = 30


class Tally:
    """What every worker's gateway saw, together."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.held = 0
        self.most_held = 0
        self.received: list[str] = []


class HoldingGateway:
    """One worker's connection to the system: answers only when the test releases the round."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.entered = 0

    @property
    def system(self) -> str:
        return SYSTEM

    def supports(self, operation: str) -> bool:
        return True

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        tally = self.tally
        self.entered += 1
        tally.received.append(command.order_id)
        tally.held += 1
        tally.most_held = max(tally.most_held, tally.held)
        try:
            await tally.release.wait()
        finally:
            tally.held -= 1
        return None

    async def aclose(self) -> None:
        return None


def notification(n: int) -> DeliveryRecord:
    command = NotifyStatus(
        system=SYSTEM, order_id=f"O-{n:02}", channel_order_number=f"#{n}", status="accepted"
    )
    return DeliveryRecord(
        delivery_id=f"d-{n:02}",
        order_id=command.order_id,
        system=SYSTEM,
        operation=command.operation,
        idempotency_key=command.idempotency_key,
        command=command.model_dump(mode="json"),
        status="pending",
        attempts=0,
        next_attempt_at=T0,
        created_at=T0,
    )


async def until(condition: Callable[[], bool]) -> None:
    await eventually(condition, timeout_s=DEADLINE_S, what="every worker claiming", poll_s=0.002)


def all_claimed(rounds: list[asyncio.Task[Any]], gateways: list[HoldingGateway]) -> bool:
    """Every worker has claimed: it either came back empty or is waiting on the system."""
    return all(task.done() or gw.entered for task, gw in zip(rounds, gateways, strict=True))


async def test_workers_on_separate_stores_never_send_more_at_once_than_the_systems_limit(
    shared_database_url: str, connect: Callable[[str], Store]
) -> None:
    stores = [connect(shared_database_url) for _ in range(2)]
    with stores[0].unit_of_work() as uow:
        for n in range(ORDERS):
            uow.deliveries.enqueue(notification(n))
    tally = Tally()
    gateways = [HoldingGateway(tally) for _ in range(4)]
    clock = FakeClock()
    runners = [
        DeliveryRunner(
            stores[n % 2],
            {SYSTEM: gateway},
            clock,
            policies={SYSTEM: DeliveryPolicy(concurrency=LIMIT)},
            lease=timedelta(minutes=5),
        )
        for n, gateway in enumerate(gateways)
    ]

    def in_flight() -> int:
        with stores[0].unit_of_work(write=False) as uow:
            return uow.deliveries.in_flight(SYSTEM, clock.now())

    in_flight_per_round: list[int] = []
    try:
        for _ in range(ORDERS):
            if len(tally.received) == ORDERS:
                break
            tally.release.clear()
            for gateway in gateways:
                gateway.entered = 0
            rounds = [asyncio.create_task(runner.run_once(SYSTEM)) for runner in runners]
            await until(functools.partial(all_claimed, rounds, gateways))
            in_flight_per_round.append(in_flight())
            tally.release.set()
            await asyncio.wait_for(asyncio.gather(*rounds), DEADLINE_S)
    finally:
        tally.release.set()
        for store in stores:
            store.close()

    assert tally.most_held <= LIMIT
    assert max(in_flight_per_round) <= LIMIT
    assert tally.most_held == LIMIT, "the workers never used the limit: the test proved nothing"
    assert sorted(tally.received) == [f"O-{n:02}" for n in range(ORDERS)]
