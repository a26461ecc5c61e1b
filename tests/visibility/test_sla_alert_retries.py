"""SLA alerts are never lost: owed from the breach's own transaction, retried with backoff until
they get through, given up on only when refused for good or out of attempts, and stopped when a
person settles the exception.

The engine (``tests/engine/hub.py``: real workflow and store, fake gateways) books nothing because
its ERP is down, so each order breaches ``not_booked``. The operations endpoint is an
``httpx.MockTransport`` answering from a script; time moves only when a test advances the clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.core.errors import RetryableError
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store_ops import ExceptionChange, ExceptionRecord
from crossdock.visibility.alert_state import ALERT_FAILED, ALERT_PENDING
from crossdock.visibility.alerts import Alert, WebhookAlertSink
from crossdock.visibility.sla import SlaMonitor
from crossdock.visibility.sla_alerts import ALERT_RETRY, ALERTS_PER_SWEEP
from crossdock.visibility.sla_policy import SlaPolicy
from engine.hub import Hub
from postgres import DATABASES, empty_database

ERP_DOWN = RetryableError("503 the ERP is down", code="http_503")
POLICY = SlaPolicy(not_booked_within=timedelta(minutes=20))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    built = Hub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture(params=DATABASES)
def any_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with empty_database(request.param, tmp_path) as url:
        built = Hub(url)
        yield built
        built.close()


class Endpoint:
    """An operations endpoint answering each alert with the next status of its script (the
    last one once the script runs out), noting when, by the hub's clock, each alert came."""

    def __init__(self, hub: Hub, *statuses: int) -> None:
        self.hub = hub
        self.statuses = list(statuses) or [204]
        self.received: list[tuple[datetime, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append((self.hub.clock.now(), json.loads(request.content)))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status)

    def sink(self) -> WebhookAlertSink:
        return WebhookAlertSink("https://ops.example/alerts", transport=httpx.MockTransport(self))

    @property
    def alert_ids(self) -> list[str]:
        return [str(body["alert_id"]) for _, body in self.received]

    def minutes(self, since: datetime) -> list[float]:
        """When each alert came, in minutes after ``since``."""
        return [(at - since).total_seconds() / 60 for at, _ in self.received]


async def breached(hub: Hub, *order_ids: str) -> None:
    """Orders that cannot be booked, 20 minutes on: each breaches ``not_booked`` now."""
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    for order_id in order_ids:
        hub.submit(order_id)
    await hub.drain()
    hub.clock.advance(timedelta(minutes=20))


def sla_exception(hub: Hub, order_id: str) -> ExceptionRecord:
    [record] = [r for r in hub.exceptions_of(order_id) if r.source == "sla"]
    return record


def alert_state(hub: Hub, order_id: str) -> dict[str, Any]:
    state: dict[str, Any] = sla_exception(hub, order_id).request["alert"]
    return state


def alert_lines(hub: Hub, order_id: str) -> list[str]:
    return [e.summary for e in hub.timeline(order_id) if e.system == "alerts"]


async def sweep_every_minute(sla: SlaMonitor, hub: Hub, minutes: int) -> None:
    for _ in range(minutes):
        hub.clock.advance(timedelta(minutes=1))
        await sla.run_once()


# ------------------------------------------------------------------ retried until it gets through


async def test_an_alert_the_endpoint_refused_for_now_is_sent_by_the_next_sweep_after_its_wait(
    hub: Hub,
) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 503, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])

    first = await sla.run_once()
    owed = sla_exception(hub, "O-1")
    hub.clock.advance(timedelta(seconds=59))
    too_soon = await sla.run_once()
    hub.clock.advance(timedelta(seconds=1))
    retried = await sla.run_once()

    assert (len(first.raised), first.alerted, len(first.alert_failures)) == (1, 0, 1)
    assert ALERT_PENDING in owed.tags
    assert owed.request["alert"]["last_error"].endswith("answered 503")
    assert (too_soon.alerted, too_soon.alert_failures) == (0, [])
    assert (retried.raised, retried.alerted) == ([], 1)
    assert endpoint.alert_ids == [owed.exception_id] * 2
    record = sla_exception(hub, "O-1")
    assert record.tags == ("sla",)
    assert (record.request["alert"]["state"], record.request["alert"]["attempts"]) == ("sent", 2)
    assert alert_lines(hub, "O-1") == [
        "SLA alert not delivered (attempt 1 of 10): webhook http_503; "
        "next try 2026-01-05T09:21:00+00:00",
        "SLA alert sent to webhook (attempt 2)",
    ]


async def test_every_retry_sends_the_same_alert(hub: Hub) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 503, 503, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])

    await sweep_every_minute(sla, hub, 4)

    bodies = [body for _, body in endpoint.received]
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["at"] == sla_exception(hub, "O-1").first_seen.isoformat()


def test_alerts_wait_1_2_4_minutes_and_so_on_up_to_an_hour_and_are_tried_10_times() -> None:
    waits = [ALERT_RETRY.backoff(attempts) for attempts in range(1, ALERT_RETRY.max_attempts)]

    assert [wait / timedelta(minutes=1) for wait in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_an_alert_is_retried_on_its_policys_schedule_then_given_up_on(hub: Hub) -> None:
    await breached(hub, "O-1")
    breach_at = hub.clock.now()
    endpoint = Endpoint(hub, 503)
    retry = RetryPolicy(
        initial_interval=timedelta(minutes=1),
        max_interval=timedelta(minutes=4),
        jitter=0,
        max_attempts=5,
    )
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()], retry=retry)

    await sla.run_once()
    await sweep_every_minute(sla, hub, 30)

    # Waits of 1, 2, 4 minutes, then the 4-minute cap; the fifth failure is the last.
    assert endpoint.minutes(breach_at) == [0, 1, 3, 7, 11]
    record = sla_exception(hub, "O-1")
    assert ALERT_PENDING not in record.tags
    assert ALERT_FAILED in record.tags
    assert record.request["alert"]["state"] == "failed"
    assert record.request["alert"]["reason"] == "5 attempts; webhook http_503"
    assert record.request["alert"]["last_error"] == "webhook: alert webhook answered 503"
    assert alert_lines(hub, "O-1")[-1] == (
        "SLA alert failed, no more tries: 5 attempts; webhook http_503"
    )
    assert record.status == "open"  # the breach itself still waits for a person


async def test_an_endpoint_that_refuses_the_alert_for_good_is_not_asked_again(hub: Hub) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 404)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])

    first = await sla.run_once()
    for _ in range(18):
        hub.clock.advance(timedelta(minutes=10))
        await sla.run_once()

    assert first.alerts_given_up == 1
    assert len(endpoint.received) == 1
    record = sla_exception(hub, "O-1")
    assert record.tags == ("sla", ALERT_FAILED)
    assert record.request["alert"]["refused"] == {"webhook": "http_404"}
    assert record.request["alert"]["last_error"] == "webhook: alert webhook answered 404"
    assert alert_lines(hub, "O-1") == [
        "SLA alert failed, no more tries: refused by webhook http_404"
    ]


async def test_an_alert_tagged_pending_again_by_an_operator_is_sent_once_more(hub: Hub) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 404, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    await sla.run_once()
    exception_id = sla_exception(hub, "O-1").exception_id

    hub.exceptions.tag(exception_id, add=[ALERT_PENDING], remove=[ALERT_FAILED], by="dana")
    hub.clock.advance(timedelta(minutes=1))
    again = await sla.run_once()

    assert again.alerted == 1
    assert endpoint.alert_ids == [exception_id] * 2
    assert alert_state(hub, "O-1")["state"] == "sent"


async def test_an_alert_tagged_pending_again_after_the_deadline_gets_a_round_of_its_own(
    hub: Hub,
) -> None:
    await breached(hub, "O-1")
    breach_at = hub.clock.now()
    endpoint = Endpoint(hub, 404, 503, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    await sla.run_once()  # refused: alert-failed
    exception_id = sla_exception(hub, "O-1").exception_id

    hub.clock.advance(timedelta(hours=30))  # the endpoint is fixed the next day
    hub.exceptions.tag(exception_id, add=[ALERT_PENDING], remove=[ALERT_FAILED], by="dana")
    await sweep_every_minute(sla, hub, 3)

    assert endpoint.minutes(breach_at) == [0, 30 * 60 + 1, 30 * 60 + 2]
    state = alert_state(hub, "O-1")
    assert (state["state"], state["attempts"]) == ("sent", 2)
    assert state["round_started_at"] == (breach_at + timedelta(hours=30, minutes=1)).isoformat()


async def test_a_last_attempt_cut_short_by_a_dying_hub_is_not_followed_by_another(
    hub: Hub,
) -> None:
    await breached(hub, "O-1")
    once = RetryPolicy(initial_interval=timedelta(minutes=1), jitter=0, max_attempts=1)
    hangs = Hangs()
    dying = SlaMonitor(hub.store, hub.clock, POLICY, [hangs], retry=once)
    sweep = asyncio.create_task(dying.run_once())
    await asyncio.wait_for(hangs.called.wait(), timeout=10)
    sweep.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sweep
    endpoint = Endpoint(hub, 204)
    restarted = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()], retry=once)

    hub.clock.advance(timedelta(minutes=1))
    report = await restarted.run_once()

    assert endpoint.received == []
    assert report.alerts_given_up == 1
    record = sla_exception(hub, "O-1")
    assert record.tags == ("sla", ALERT_FAILED)
    assert (record.request["alert"]["state"], record.request["alert"]["attempts"]) == ("failed", 1)
    assert alert_lines(hub, "O-1") == ["SLA alert failed, no more tries: 1 attempt"]


async def test_an_owed_alert_whose_state_cannot_be_read_starts_a_new_round(hub: Hub) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 503, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    await sla.run_once()
    record = sla_exception(hub, "O-1")
    garbled = {**record.request, "alert": {"state": "pending", "next_at": "soon"}}
    with hub.store.unit_of_work() as uow:
        uow.exceptions.change(
            record.exception_id, ExceptionChange(request=garbled), hub.clock.now()
        )

    report = await sla.run_once()

    assert report.alerted == 1
    assert (alert_state(hub, "O-1")["state"], alert_state(hub, "O-1")["attempts"]) == ("sent", 1)


# ------------------------------------------------------------------ a storm of breaches


def owed_alerts(hub: Hub, count: int, *, due: Callable[[int], datetime]) -> list[str]:
    """``count`` SLA exceptions raised now, each owing an alert (one failed attempt so far)
    due at ``due(n)``, as a storm of breaches leaves them."""
    now = hub.clock.now()
    ids = [f"sla-not_booked-storm{n:05d}" for n in range(count)]
    with hub.store.unit_of_work() as uow:
        for n, exception_id in enumerate(ids):
            alert = {"state": "pending", "attempts": 1, "next_at": due(n).isoformat()}
            uow.exceptions.raise_exception(
                ExceptionRecord(
                    exception_id=exception_id,
                    order_id=f"S-{n}",
                    system="legacy_erp",
                    operation="sla:not_booked",
                    source="sla",
                    request={"rule": "not_booked", "summary": "not booked", "alert": alert},
                    error="SLA breached: not booked",
                    error_type="sla_not_booked",
                    first_seen=now,
                    last_seen=now,
                    tags=("sla", ALERT_PENDING),
                )
            )
    return ids


async def test_an_alert_owed_before_a_storm_of_newer_breaches_is_still_sent(
    any_hub: Hub,
) -> None:
    hub = any_hub
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 503, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    await sla.run_once()  # O-1's alert is owed, due again in a minute
    hub.clock.advance(timedelta(seconds=30))
    owed_alerts(hub, 1000, due=lambda n: hub.clock.now() + timedelta(hours=1))

    hub.clock.advance(timedelta(seconds=30))
    report = await sla.run_once()

    assert report.alerted == 1
    assert endpoint.alert_ids == [sla_exception(hub, "O-1").exception_id] * 2
    assert alert_state(hub, "O-1")["state"] == "sent"


async def test_a_sweep_sends_at_most_its_budget_the_longest_due_first(hub: Hub) -> None:
    count, now = ALERTS_PER_SWEEP + 2, hub.clock.now()
    # The later an alert's id, the longer it has been due: ids, like breach times, do not tell.
    storm = owed_alerts(hub, count, due=lambda n: now - timedelta(seconds=n + 1))
    storm.reverse()
    endpoint = Endpoint(hub, 204)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])

    first = await sla.run_once()
    first_sent = list(endpoint.alert_ids)
    second = await sla.run_once()

    assert (first.alerted, second.alerted) == (ALERTS_PER_SWEEP, 2)
    assert first_sent == storm[:ALERTS_PER_SWEEP]
    assert endpoint.alert_ids == storm


# ------------------------------------------------------------------ settled: no more alert


async def test_resolving_the_exception_stops_an_alert_that_has_not_got_through(hub: Hub) -> None:
    await breached(hub, "O-1")
    endpoint = Endpoint(hub, 503)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    await sla.run_once()
    exception_id = sla_exception(hub, "O-1").exception_id

    hub.exceptions.resolve(exception_id, by="dana", note="booked by hand")
    await sweep_every_minute(sla, hub, 20)

    assert len(endpoint.received) == 1
    record = sla_exception(hub, "O-1")
    assert (record.status, record.tags) == ("resolved", ("sla",))
    assert record.request["alert"]["state"] == "withdrawn"
    assert alert_lines(hub, "O-1")[-1] == "SLA alert withdrawn: the exception is resolved"


# ------------------------------------------------------------------ a hub that dies


async def test_a_breach_raised_by_a_hub_that_died_before_sending_is_alerted_by_the_next_sweep(
    any_hub: Hub,
) -> None:
    hub = any_hub
    await breached(hub, "O-1", "O-2")
    endpoint = Endpoint(hub, 204)
    dying = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    raised = dying.raise_new(dying.breaches(hub.clock.now()), hub.clock.now())
    del dying  # the process stops here: committed, never sent

    restarted = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])
    report = await restarted.run_once()

    assert len(raised) == 2
    assert (report.raised, report.alerted) == ([], 2)
    assert sorted(endpoint.alert_ids) == sorted(b.exception_id for b in raised)
    assert [alert_state(hub, o)["state"] for o in ("O-1", "O-2")] == ["sent", "sent"]


class Hangs:
    """A sink whose send never returns: the hub is killed while it waits."""

    name = "webhook"

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def send(self, alert: Alert) -> None:
        self.called.set()
        await asyncio.Event().wait()


async def test_a_hub_killed_while_sending_leaves_the_alert_to_the_next_sweep_after_its_wait(
    hub: Hub,
) -> None:
    await breached(hub, "O-1")
    hangs = Hangs()
    dying = SlaMonitor(hub.store, hub.clock, POLICY, [hangs])
    sweep = asyncio.create_task(dying.run_once())
    await asyncio.wait_for(hangs.called.wait(), timeout=10)
    sweep.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sweep
    endpoint = Endpoint(hub, 204)
    restarted = SlaMonitor(hub.store, hub.clock, POLICY, [endpoint.sink()])

    at_once = await restarted.run_once()
    hub.clock.advance(timedelta(minutes=1))
    after_the_wait = await restarted.run_once()

    assert (at_once.alerted, after_the_wait.alerted) == (0, 1)
    assert alert_state(hub, "O-1") == {
        "state": "sent",
        "attempts": 2,
        "next_at": hub.clock.now().isoformat(),
        "round_started_at": (hub.clock.now() - timedelta(minutes=1)).isoformat(),
        "delivered": ["webhook"],
        "refused": {},
        "reason": "",
        "last_error": "",
    }


# ------------------------------------------------------------------ without alerts configured


async def test_a_monitor_without_sinks_owes_no_alert(hub: Hub) -> None:
    await breached(hub, "O-1")
    sla = SlaMonitor(hub.store, hub.clock, POLICY)

    await sla.run_once()

    record = sla_exception(hub, "O-1")
    assert record.tags == ("sla",)
    assert "alert" not in record.request
