"""An alert sink's address never reaches a partner.

A chat hook's URL is a bearer secret: whoever holds it may post to the operations channel. The
order's timeline, where every alert attempt is a line, is read by the partner whose customer
placed the order (``GET /api/v1/orders/{id}/timeline``), so its lines carry sink names and codes,
never a sink's words; the exception (admin only) keeps words that name no address either.

The engine behind the API (``OperatorHub``: real workflow, store and desks, fake gateways) books
nothing because its ERP is down, so the order breaches ``not_booked``. The webhook is an
``httpx.MockTransport`` failing in each way a sink can fail, quoting the URL where a library
might.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.estate import client
from api.operator_hub import LEGACY, OperatorHub
from credentials import partner_key
from crossdock.core.errors import RetryableError
from crossdock.visibility.alerts import WebhookAlertSink
from crossdock.visibility.sla import SlaMonitor
from crossdock.visibility.sla_policy import SlaPolicy

HOST = "hooks.chat.example"
SECRET = "T0CROSSDOCK/B0ALERTS/xq5Kp2sEcReT"
HOOK = f"https://{HOST}/services/{SECRET}"
POLICY = SlaPolicy(not_booked_within=timedelta(minutes=20))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


class FailingHook:
    """Cannot be reached (the library's error quoting the URL), then answers 503, then 404."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)
        return httpx.Response(503 if self.calls == 2 else 404)


async def test_a_failing_alert_webhook_leaves_neither_its_host_nor_its_path_on_the_timeline(
    hub: OperatorHub,
) -> None:
    hub.gateways[LEGACY].break_down("create_sales_order", RetryableError("down", code="http_503"))
    hub.submit("O-1", customer="C-A")
    await hub.drain()
    hub.clock.advance(timedelta(minutes=20))
    sink = WebhookAlertSink(HOOK, transport=httpx.MockTransport(FailingHook()))
    sla = SlaMonitor(hub.store, hub.clock, POLICY, [sink])
    for minutes in (0, 1, 2):  # the waits after the first and second attempts
        hub.clock.advance(timedelta(minutes=minutes))
        await sla.run_once()

    key = partner_key(hub.access, "bolt-partner", customers=["C-A"])
    async with client(hub.app(), key=key) as http:
        response = await http.get("/api/v1/orders/O-1/timeline")

    assert response.status_code == 200
    assert HOST not in response.text
    assert "/services/" not in response.text
    assert "B0ALERTS" not in response.text
    lines = [e["summary"] for e in response.json()["entries"] if e["system"] == "alerts"]
    assert lines == [
        "SLA alert not delivered (attempt 1 of 10): webhook connection; "
        "next try 2026-01-05T09:21:00+00:00",
        "SLA alert not delivered (attempt 2 of 10): webhook http_503; "
        "next try 2026-01-05T09:23:00+00:00",
        "SLA alert failed, no more tries: refused by webhook http_404",
    ]
    [record] = [r for r in hub.exceptions_of("O-1") if r.source == "sla"]
    assert record.request["alert"]["last_error"] == "webhook: alert webhook answered 404"
    assert HOST not in str(record.request)
