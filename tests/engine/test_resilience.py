"""When a system is unwell: the circuit breaker, pause and resume, ``Retry-After`` — through the
engine as production wires it, with the fake gateway as the only fake and the clock moved by hand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.core.order import OrderStatus
from crossdock.orchestration.delivery_policy import BreakerPolicy, DeliveryPolicy
from crossdock.orchestration.messages import NotifyStatus
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.system_desk import UnknownSystem

from .hub import Hub

S = OrderStatus
ERP = "legacy_erp"
BOOK = "create_sales_order"
OPEN_FOR = timedelta(seconds=60)
UNAVAILABLE = RetryableError("legacy_erp POST /orders answered 503", code="http_503")
REFUSED = PermanentError("legacy_erp POST /orders answered 422: bad PO", code="http_422")


def breaker(retry_after: timedelta) -> DeliveryPolicy:
    """Three failures in a row open the circuit for a minute; a failed delivery waits
    ``retry_after`` before its next attempt."""
    return DeliveryPolicy(
        retry=RetryPolicy(initial_interval=retry_after, jitter=0.0),
        breaker=BreakerPolicy(failure_threshold=3, open_for=OPEN_FOR),
    )


def system_lines(hub: Hub, order_id: str) -> list[str]:
    return [e.summary for e in hub.timeline(order_id) if e.kind == "system"]


# ------------------------------------------------------------------ circuit breaker


async def test_the_circuit_opens_on_the_third_failure_and_nothing_goes_until_the_probe(
    database_url: str,
) -> None:
    hub = Hub(database_url, policies={ERP: breaker(retry_after=timedelta(minutes=10))})
    erp = hub.gateways[ERP]
    erp.break_down(BOOK, UNAVAILABLE)
    orders = [hub.submit(f"O-{n}") for n in (1, 2, 3)]

    await hub.drain()

    assert len(erp.keys(BOOK)) == 3
    assert system_lines(hub, "O-1") == system_lines(hub, "O-2") == []
    assert system_lines(hub, "O-3") == [
        "circuit to legacy_erp opened: 3 consecutive failures; a probe in 60s"
    ]
    opened = hub.systems.get(ERP)
    assert (opened.breaker, opened.consecutive_failures, opened.pending) == ("open", 3, 3)
    assert opened.probe_at == hub.clock.now() + OPEN_FOR

    # A new order's booking is due at once, but the circuit is open: it waits.
    hub.clock.advance(timedelta(seconds=30))
    hub.submit("O-4")
    await hub.drain()
    hub.clock.advance(timedelta(seconds=29))
    await hub.drain()
    assert len(erp.keys(BOOK)) == 3
    assert hub.systems.get(ERP).pending == 4
    assert hub.status("O-4") is S.ROUTED

    erp.recover(BOOK)
    hub.clock.advance(timedelta(seconds=1))
    await hub.drain()

    # The probe was O-4's booking (the only one due); its success closed the circuit, and the
    # bookings backing off for ten minutes went at once instead of waiting out their backoff.
    assert erp.keys(BOOK)[3] == "O-4:create_sales_order"
    assert sorted(erp.keys(BOOK)[4:]) == [f"{o}:create_sales_order" for o in orders]
    assert system_lines(hub, "O-4") == [
        "circuit to legacy_erp half-open: this delivery is the probe",
        "circuit to legacy_erp closed: the probe succeeded",
    ]
    closed = hub.systems.get(ERP)
    assert (closed.breaker, closed.pending, closed.probe_at) == ("closed", 0, None)

    everyone = [*orders, "O-4"]
    assert {o: hub.status(o) for o in everyone} == dict.fromkeys(everyone, S.RELEASED)
    await hub.ship(*everyone)
    assert {o: hub.status(o) for o in everyone} == dict.fromkeys(everyone, S.CLOSED)
    for order_id in everyone:
        [sales_order] = hub.bindings(order_id, "sales_order")
        assert (sales_order.system, sales_order.external_id) == (ERP, f"SO-{order_id}")
        assert [d.status for d in hub.deliveries(order_id, BOOK)] == ["done"]
    assert hub.exceptions_of() == []
    hub.close()


async def test_a_probe_that_fails_opens_the_circuit_for_another_round(database_url: str) -> None:
    hub = Hub(database_url, policies={ERP: breaker(retry_after=timedelta(seconds=10))})
    erp = hub.gateways[ERP]
    erp.break_down(BOOK, UNAVAILABLE)
    for n in (1, 2, 3):
        hub.submit(f"O-{n}")
    await hub.drain()

    hub.clock.advance(OPEN_FOR)
    await hub.drain()

    # One probe (the oldest due booking), not the three that were due.
    assert erp.keys(BOOK)[3:] == ["O-1:create_sales_order"]
    assert system_lines(hub, "O-1") == [
        "circuit to legacy_erp half-open: this delivery is the probe",
        "circuit to legacy_erp opened: the probe failed; a probe in 60s",
    ]
    reopened = hub.systems.get(ERP)
    assert (reopened.breaker, reopened.probe_at) == ("open", hub.clock.now() + OPEN_FOR)

    hub.clock.advance(OPEN_FOR - timedelta(seconds=1))
    await hub.drain()
    assert len(erp.keys(BOOK)) == 4
    hub.clock.advance(timedelta(seconds=1))
    await hub.drain()
    assert len(erp.keys(BOOK)) == 5
    hub.close()


async def test_the_opened_line_is_on_the_order_whose_failure_tipped_the_circuit(
    database_url: str,
) -> None:
    hub = Hub(database_url, policies={ERP: breaker(retry_after=timedelta(minutes=10))})
    hub.gateways[ERP].break_down(BOOK, UNAVAILABLE)
    for n in range(1, 6):
        hub.submit(f"O-{n}")

    await hub.drain()  # five bookings fail in one round; the third opened the circuit

    assert [o for o in ("O-1", "O-2", "O-3", "O-4", "O-5") if system_lines(hub, o)] == ["O-3"]
    hub.close()


async def test_refusals_show_the_system_is_up_and_never_open_its_circuit(
    database_url: str,
) -> None:
    hub = Hub(database_url, policies={ERP: breaker(retry_after=timedelta(minutes=10))})
    hub.gateways[ERP].fail(BOOK, REFUSED, times=4)
    for n in range(1, 6):
        hub.submit(f"O-{n}")

    await hub.drain()

    status = hub.systems.get(ERP)
    assert (status.breaker, status.consecutive_failures) == ("closed", 0)
    assert (status.failed, status.open_exceptions) == (4, 4)
    assert hub.status("O-5") is S.RELEASED
    hub.close()


# ------------------------------------------------------------------ pause, resume


async def test_a_paused_system_gets_nothing_and_on_resume_each_orders_line_drains_in_order(
    hub: Hub,
) -> None:
    storefront = hub.gateways["storefront"]
    hub.systems.pause("storefront", by="dana", reason="storefront maintenance")
    orders = [hub.submit("O-1"), hub.submit("O-2")]
    await hub.drain()
    await hub.ship(*orders)
    hub.clock.advance(timedelta(hours=1))
    await hub.drain()

    assert storefront.sent == []
    queued = {o: [d.command["status"] for d in hub.deliveries(o, "notify_status")] for o in orders}
    assert all(len(statuses) >= 3 for statuses in queued.values())
    paused = hub.systems.get("storefront")
    assert (paused.paused, paused.paused_by, paused.paused_reason) == (
        True,
        "dana",
        "storefront maintenance",
    )
    assert paused.pending == sum(len(statuses) for statuses in queued.values())
    # Closing waits for the storefront to be told the order was invoiced.
    assert hub.status("O-1") is S.INVOICED

    resumed = hub.systems.resume("storefront", by="dana")
    assert (resumed.paused, resumed.paused_by) == (False, "")
    await hub.drain()

    sent: dict[str, list[str]] = {o: [] for o in orders}
    for command in storefront.sent:
        assert isinstance(command, NotifyStatus)
        sent[command.order_id].append(command.status)
    assert sent == queued
    assert {o: hub.status(o) for o in orders} == dict.fromkeys(orders, S.CLOSED)
    assert hub.systems.get("storefront").pending == 0


def test_only_a_system_of_the_estate_can_be_paused(hub: Hub) -> None:
    with pytest.raises(UnknownSystem, match="no system 'sap'"):
        hub.systems.pause("sap", by="dana")

    assert [s.system for s in hub.systems.status()] == sorted(hub.gateways)
    assert not any(s.paused for s in hub.systems.status())


async def test_a_paused_erp_books_nothing_and_its_orders_are_not_failed(hub: Hub) -> None:
    hub.systems.pause(ERP, by="dana", reason="month-end close")
    order_id = hub.submit("O-1")

    for _ in range(5):
        await hub.drain()
        hub.clock.advance(timedelta(minutes=1))

    assert hub.gateways[ERP].sent == []
    [booking] = hub.deliveries(order_id, BOOK)
    assert (booking.status, booking.attempts) == ("pending", 0)
    hub.systems.resume(ERP, by="dana")
    await hub.drain()
    assert hub.status(order_id) is S.RELEASED


# ------------------------------------------------------------------ Retry-After


async def test_a_429_holds_every_delivery_to_the_system_for_its_retry_after(
    database_url: str,
) -> None:
    hub = Hub(database_url, policies={ERP: breaker(retry_after=timedelta(seconds=10))})
    erp = hub.gateways[ERP]
    erp.fail(
        BOOK,
        RetryableError("legacy_erp answered 429", retry_after=120, code="http_429"),
    )
    hub.submit("O-1")
    await hub.drain()
    throttled_at = hub.clock.now()

    hub.clock.advance(timedelta(seconds=1))
    hub.submit("O-2")
    await hub.drain()
    status = hub.systems.get(ERP)
    assert status.throttled_until == throttled_at + timedelta(seconds=120)
    hub.clock.advance(timedelta(seconds=118))
    await hub.drain()
    assert erp.keys(BOOK) == ["O-1:create_sales_order"]

    hub.clock.advance(timedelta(seconds=1))
    await hub.drain()

    assert sorted(erp.keys(BOOK)[1:]) == ["O-1:create_sales_order", "O-2:create_sales_order"]
    status = hub.systems.get(ERP)
    assert (status.breaker, status.consecutive_failures, status.throttled_until) == (
        "closed",
        0,
        None,
    )
    assert [hub.status("O-1"), hub.status("O-2")] == [S.RELEASED, S.RELEASED]
    hub.close()


async def test_429s_spend_no_attempts_so_a_throttled_delivery_never_runs_out(
    database_url: str,
) -> None:
    three_tries = DeliveryPolicy(retry=RetryPolicy(max_attempts=3, jitter=0.0))
    hub = Hub(database_url, policies={ERP: three_tries})
    throttled = RetryableError("legacy_erp answered 429", retry_after=1, code="http_429")
    hub.gateways[ERP].fail(BOOK, throttled, times=5)
    hub.submit("O-1")

    for _ in range(6):
        await hub.drain()
        hub.clock.advance(timedelta(seconds=1))
    await hub.drain()

    assert hub.gateways[ERP].keys(BOOK) == ["O-1:create_sales_order"] * 6
    assert hub.exceptions_of() == []
    assert hub.status("O-1") is S.RELEASED
    hub.close()
