"""The SLA monitor on a real engine: missed service levels become one exception and one alert each.

The engine (``tests/engine/hub.py``: real workflow and store, fake gateways) runs on SQLite; time
moves only when a test advances the hub's clock. Alerts go to a local receiver through
``httpx.MockTransport``. Alerts that do not get through: ``test_sla_alert_retries.py``; one
sweeper among several hubs: ``test_sla_lease.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from crossdock.core.errors import RetryableError
from crossdock.core.order import Order, OrderLine
from crossdock.orchestration.partner_documents import OutboundDocument
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.visibility.alerts import SIGNATURE_HEADER, WebhookAlertSink
from crossdock.visibility.sla import SlaMonitor
from crossdock.visibility.sla_policy import InvoiceCutoff, SlaPolicy
from engine.hub import SHIP_TO, D, Hub

ERP_DOWN = RetryableError("503 the ERP is down", code="http_503")
PARTNER = "retailco"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    built = Hub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


class Receiver:
    """An operations endpoint: records each alert posted to it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)

    @property
    def alerts(self) -> list[dict[str, object]]:
        return [json.loads(request.content) for request in self.requests]


def monitor(hub: Hub, policy: SlaPolicy, receiver: Receiver | None = None) -> SlaMonitor:
    if receiver is None:
        return SlaMonitor(hub.store, hub.clock, policy)
    sink = WebhookAlertSink(
        "https://ops.example/alerts", secret="s3cret", transport=httpx.MockTransport(receiver)
    )
    return SlaMonitor(hub.store, hub.clock, policy, [sink])


def sla_exceptions(hub: Hub, order_id: str) -> list[tuple[str, str, str]]:
    return [
        (record.operation, record.system, record.status)
        for record in hub.exceptions_of(order_id)
        if record.source == "sla"
    ]


def submit_edi(hub: Hub, order_id: str) -> None:
    order = Order(
        order_id=order_id,
        channel=PARTNER,
        channel_order_number=f"PO-{order_id}",
        customer_id="C-A",
        customer_po=f"PO-{order_id}",
        ship_to=SHIP_TO,
        legal_entity="A",
        region="WEST",
        lines=(OrderLine(line_no=1, sku="BOLT", quantity=D(5), unit_price=D("2.50")),),
        received_at=hub.clock.now(),
    )
    assert hub.desk.submit(order, source=PARTNER, dedupe_key=f"edi:{order_id}").created


def sent_855(hub: Hub, order_id: str) -> None:
    """The EDI channel sent the order's 855 (as its gateway records it)."""
    with hub.store.unit_of_work() as uow:
        uow.partner_documents.record_outbound(
            OutboundDocument(
                document_key=f"{order_id}:855",
                partner=PARTNER,
                order_id=order_id,
                set_id="855",
                interchange_control="1",
                group_control="1",
                set_control="0001",
                file_id=f"file-{order_id}",
                created_at=hub.clock.now(),
            )
        )


# ------------------------------------------------------------------ not booked in time


async def test_an_order_not_booked_in_time_raises_one_exception_and_one_alert(hub: Hub) -> None:
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    hub.submit("O-1")
    await hub.drain()
    receiver = Receiver()
    sla = monitor(hub, SlaPolicy(not_booked_within=timedelta(minutes=20)), receiver)

    hub.clock.advance(timedelta(minutes=19))
    early = await sla.run_once()
    hub.clock.advance(timedelta(minutes=1))
    first = await sla.run_once()
    hub.clock.advance(timedelta(minutes=5))
    again = await sla.run_once()

    assert (early.breaches, len(first.raised), first.alerted) == (0, 1, 1)
    assert (again.breaches, again.raised, again.alerted) == (1, [], 0)
    assert sla_exceptions(hub, "O-1") == [("sla:not_booked", "legacy_erp", "open")]
    assert "SLA breached: not booked within 20 min" in hub.summaries("O-1")
    [alert] = receiver.alerts
    assert alert["rule"] == "not_booked"
    assert alert["order_id"] == "O-1"
    assert alert["system"] == "legacy_erp"
    assert alert["alert_id"] == hub.exceptions_of("O-1")[0].exception_id


async def test_an_order_booked_in_time_breaches_nothing(hub: Hub) -> None:
    hub.submit("O-1")
    await hub.drain()
    receiver = Receiver()
    sla = monitor(hub, SlaPolicy(not_booked_within=timedelta(minutes=20)), receiver)

    hub.clock.advance(timedelta(hours=3))
    report = await sla.run_once()

    assert (report.breaches, report.raised, receiver.requests) == (0, [], [])
    assert sla_exceptions(hub, "O-1") == []


async def test_a_resolved_breach_is_not_raised_again(hub: Hub) -> None:
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    hub.submit("O-1")
    await hub.drain()
    sla = monitor(hub, SlaPolicy(not_booked_within=timedelta(minutes=20)))
    hub.clock.advance(timedelta(minutes=30))
    [breach] = (await sla.run_once()).raised
    hub.exceptions.resolve(breach.exception_id, by="dana", note="ERP back, booking by hand")

    hub.clock.advance(timedelta(minutes=30))
    later = await sla.run_once()

    assert later.raised == []
    assert sla_exceptions(hub, "O-1") == [("sla:not_booked", "legacy_erp", "resolved")]


# ------------------------------------------------------------------ no 855


async def test_an_edi_order_without_an_855_in_its_window_is_a_breach(hub: Hub) -> None:
    submit_edi(hub, "E-1")
    submit_edi(hub, "E-2")
    await hub.drain()
    sent_855(hub, "E-2")
    sla = monitor(hub, SlaPolicy(ack_855_within={PARTNER: timedelta(hours=24)}))

    hub.clock.advance(timedelta(hours=23))
    early = await sla.run_once()
    hub.clock.advance(timedelta(hours=1))
    late = await sla.run_once()

    assert early.raised == []
    assert [(b.order_id, b.rule, b.system) for b in late.raised] == [("E-1", "no_855", PARTNER)]
    assert sla_exceptions(hub, "E-1") == [("sla:no_855", PARTNER, "open")]
    assert sla_exceptions(hub, "E-2") == []


async def test_an_order_from_a_partner_without_an_855_window_is_not_checked(hub: Hub) -> None:
    hub.submit("O-1")  # a storefront order: no 855 is owed
    await hub.drain()
    sla = monitor(hub, SlaPolicy(ack_855_within={PARTNER: timedelta(hours=1)}))

    hub.clock.advance(timedelta(hours=48))

    assert (await sla.run_once()).breaches == 0


# ------------------------------------------------------------------ end-of-day invoicing

NEW_YORK = ZoneInfo("America/New_York")
CUTOFF = InvoiceCutoff(at=time(17, 0), zone=NEW_YORK)
"""17:00 in New York: 22:00 UTC in January. The hub's clock starts at 09:00 UTC."""


async def test_a_shipment_not_invoiced_by_the_days_cutoff_is_a_breach(hub: Hub) -> None:
    hub.submit("O-1")
    hub.submit("O-2", customer="C-B")  # booked in the cloud ERP, which invoices fine
    await hub.drain()
    hub.gateways["legacy_erp"].break_down("post_invoice", ERP_DOWN)
    await hub.ship("O-1", "O-2")
    receiver = Receiver()
    sla = monitor(hub, SlaPolicy(invoice_cutoff=CUTOFF), receiver)

    hub.clock.advance(timedelta(hours=12, minutes=59))  # 21:59 UTC, 16:59 in New York
    before = await sla.run_once()
    hub.clock.advance(timedelta(minutes=1))
    at_cutoff = await sla.run_once()

    assert before.raised == []
    assert [(b.order_id, b.rule, b.subject) for b in at_cutoff.raised] == [
        ("O-1", "not_invoiced", "S-0")
    ]
    assert sla_exceptions(hub, "O-1") == [("sla:not_invoiced:S-0", "legacy_erp", "open")]
    assert sla_exceptions(hub, "O-2") == []
    [alert] = receiver.alerts
    assert alert["detail"] == {"due_at": "2026-01-05T17:00:00-05:00", "subject": "S-0"}


def test_a_shipment_confirmed_after_the_cutoff_is_due_by_the_next_days() -> None:
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # 18:30 in New York

    assert CUTOFF.deadline(late) == datetime(2026, 1, 6, 17, 0, tzinfo=NEW_YORK)


# ------------------------------------------------------------------ the webhook


async def test_the_alert_webhook_is_signed_with_the_shared_secret(hub: Hub) -> None:
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    hub.submit("O-1")
    await hub.drain()
    receiver = Receiver()
    sla = monitor(hub, SlaPolicy(not_booked_within=timedelta(minutes=1)), receiver)
    hub.clock.advance(timedelta(minutes=2))

    await sla.run_once()

    [request] = receiver.requests
    expected = hmac.new(b"s3cret", request.content, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert request.url == "https://ops.example/alerts"


async def test_a_failing_webhook_leaves_the_exception_raised_and_its_alert_owed(hub: Hub) -> None:
    hub.gateways["legacy_erp"].break_down("create_sales_order", ERP_DOWN)
    hub.submit("O-1")
    await hub.drain()
    down = httpx.MockTransport(lambda request: httpx.Response(503))
    sink = WebhookAlertSink("https://ops.example/alerts", transport=down)
    policy = SlaPolicy(not_booked_within=timedelta(minutes=1))
    sla = SlaMonitor(hub.store, hub.clock, policy, [sink])
    hub.clock.advance(timedelta(minutes=2))

    report = await sla.run_once()

    assert (len(report.raised), report.alerted, len(report.alert_failures)) == (1, 0, 1)
    assert "503" in report.alert_failures[0]
    [record] = hub.exceptions.search(ExceptionQuery(order_id="O-1", tag="sla"))
    assert record.tags == ("sla", "alert-pending")
    assert record.request["alert"]["attempts"] == 1
