"""An SLA alert with several sinks: each sink is sent the alert until it takes it, and only then.

A mail relay cannot drop a repeat as a webhook receiver can (by ``alert_id``), so an attempt goes
only to the sinks that have not taken the alert yet, nor refused it for good. The alert is sent
once every sink took it, failed once none can take it any more and one refused it.

The engine (``tests/engine/hub.py``) books nothing because its ERP is down, so each order breaches
``not_booked``. The webhook is an ``httpx.MockTransport`` answering from a script; the mailbox is
a fake of the sink port, failing from a script of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.visibility.alert_state import ALERT_FAILED
from crossdock.visibility.alerts import Alert, WebhookAlertSink
from crossdock.visibility.sla import SlaMonitor
from crossdock.visibility.sla_policy import SlaPolicy
from engine.hub import Hub

ERP_DOWN = RetryableError("503 the ERP is down", code="http_503")
POLICY = SlaPolicy(not_booked_within=timedelta(minutes=20))
RELAY_BUSY = RetryableError("SMTP relay answered 421", code="smtp_421")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    built = Hub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


class Webhook:
    """The operations endpoint, answering each alert with the next status of its script (the
    last one once the script runs out)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses) or [204]
        self.alert_ids: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.alert_ids.append(json.loads(request.content)["alert_id"])
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status)

    def sink(self) -> WebhookAlertSink:
        return WebhookAlertSink("https://ops.example/alerts", transport=httpx.MockTransport(self))


class Mailbox:
    """The mail sink: fails with each error of its script in turn, then takes every alert."""

    name = "email"

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.alerts.append(alert)


async def breached(hub: Hub) -> None:
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    hub.submit("O-1")
    await hub.drain()
    hub.clock.advance(timedelta(minutes=20))


async def sweep_every_minute(sla: SlaMonitor, hub: Hub, minutes: int) -> None:
    await sla.run_once()
    for _ in range(minutes):
        hub.clock.advance(timedelta(minutes=1))
        await sla.run_once()


def sla_exception_request(hub: Hub) -> tuple[tuple[str, ...], dict[str, Any]]:
    [record] = [r for r in hub.exceptions_of("O-1") if r.source == "sla"]
    return record.tags, record.request["alert"]


def alert_lines(hub: Hub) -> list[str]:
    return [e.summary for e in hub.timeline("O-1") if e.system == "alerts"]


async def test_a_mail_that_went_out_is_not_sent_again_while_the_webhook_is_retried(
    hub: Hub,
) -> None:
    await breached(hub)
    webhook, mailbox = Webhook(503, 503, 204), Mailbox()
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [webhook.sink(), mailbox])

    await sweep_every_minute(sla, hub, 5)

    assert len(webhook.alert_ids) == 3
    assert len(mailbox.alerts) == 1
    tags, alert = sla_exception_request(hub)
    assert tags == ("sla",)
    assert (alert["state"], alert["attempts"], alert["delivered"]) == (
        "sent",
        3,
        ["email", "webhook"],
    )
    assert alert_lines(hub) == [
        "SLA alert not delivered (attempt 1 of 10): webhook http_503; delivered to email; "
        "next try 2026-01-05T09:21:00+00:00",
        "SLA alert not delivered (attempt 2 of 10): webhook http_503; delivered to email; "
        "next try 2026-01-05T09:23:00+00:00",
        "SLA alert sent to email, webhook (attempt 3)",
    ]


async def test_an_alert_one_sink_took_and_another_refused_for_good_fails_naming_both(
    hub: Hub,
) -> None:
    await breached(hub)
    webhook, mailbox = Webhook(404), Mailbox()
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [webhook.sink(), mailbox])

    await sweep_every_minute(sla, hub, 5)

    assert (len(webhook.alert_ids), len(mailbox.alerts)) == (1, 1)
    tags, alert = sla_exception_request(hub)
    assert tags == ("sla", ALERT_FAILED)
    assert (alert["state"], alert["delivered"], alert["refused"]) == (
        "failed",
        ["email"],
        {"webhook": "http_404"},
    )
    assert alert_lines(hub) == [
        "SLA alert failed, no more tries: refused by webhook http_404; delivered to email"
    ]


async def test_a_sink_that_refused_for_good_is_not_asked_again_while_another_retries(
    hub: Hub,
) -> None:
    await breached(hub)
    webhook, mailbox = Webhook(404), Mailbox(RELAY_BUSY, RELAY_BUSY)
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [webhook.sink(), mailbox])

    await sweep_every_minute(sla, hub, 5)

    assert (len(webhook.alert_ids), len(mailbox.alerts)) == (1, 1)
    tags, alert = sla_exception_request(hub)
    assert tags == ("sla", ALERT_FAILED)
    assert (alert["delivered"], alert["refused"]) == (["email"], {"webhook": "http_404"})
    assert alert_lines(hub) == [
        "SLA alert not delivered (attempt 1 of 10): webhook http_404, email smtp_421; "
        "next try 2026-01-05T09:21:00+00:00",
        "SLA alert not delivered (attempt 2 of 10): email smtp_421; "
        "next try 2026-01-05T09:23:00+00:00",
        "SLA alert failed, no more tries: refused by webhook http_404; delivered to email",
    ]


async def test_an_alert_every_sink_took_at_once_is_sent(hub: Hub) -> None:
    await breached(hub)
    webhook, mailbox = Webhook(204), Mailbox()
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [webhook.sink(), mailbox])

    report = await sla.run_once()

    assert (report.alerted, len(webhook.alert_ids), len(mailbox.alerts)) == (1, 1, 1)
    assert alert_lines(hub) == ["SLA alert sent to webhook, email (attempt 1)"]


async def test_an_alert_every_sink_refused_for_good_fails_at_once(hub: Hub) -> None:
    await breached(hub)
    webhook = Webhook(404)
    mailbox = Mailbox(PermanentError("SMTP relay answered 550", code="smtp_550"))
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [webhook.sink(), mailbox])

    report = await sla.run_once()

    assert report.alerts_given_up == 1
    assert alert_lines(hub) == [
        "SLA alert failed, no more tries: refused by webhook http_404, email smtp_550"
    ]
