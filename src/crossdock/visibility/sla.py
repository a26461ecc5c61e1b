"""The SLA monitor: a periodic sweep that turns missed service levels into exceptions and alerts.

Each sweep (:meth:`SlaMonitor.run_once`) reads the open orders from the store, finds every breach
of the estate's :class:`~crossdock.visibility.sla_policy.SlaPolicy`, and for each breach not seen
before, in one transaction, raises an exception (source ``sla``) under an id derived from the
breach and writes a line on the order's timeline. Only then are alerts sent, once per new breach.

A breach is raised once: the next sweep finds the same exception id and passes. Resolving the
exception does not raise it again either — a person has looked at it. Nothing here changes the
order: the workflow's own deadlines (the booking timer that puts an order on hold) still decide;
the monitor only reports.

A sink that fails loses that alert (the sweep reports it and logs it); the exception stays in the
queue, which is the record operators work from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crossdock.core.order import OrderStatus
from crossdock.orchestration.bindings import shipment_kind
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import OrderRow, Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import HUB_SYSTEM, ExceptionRecord
from crossdock.visibility.alerts import Alert, AlertSink
from crossdock.visibility.sla_policy import Breach, SlaPolicy, SlaRule

log = logging.getLogger("crossdock.sla")

S = OrderStatus
OPEN: tuple[OrderStatus, ...] = tuple(s for s in S if s not in (S.CLOSED, S.CANCELLED))
"""Orders the monitor looks at: a closed or cancelled order owes nothing more."""
SHIPPED: frozenset[OrderStatus] = frozenset((S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.ON_HOLD))
"""Statuses in which an order may hold a confirmed shipment not yet invoiced."""
ORDERS_PER_STATUS = 1000
"""The most orders of one status one sweep reads (the oldest are not preferred)."""


@dataclass(slots=True)
class SweepReport:
    """What one sweep found and did."""

    breaches: int = 0
    """Breaches found, new or already raised."""
    raised: list[Breach] = field(default_factory=list)
    """Breaches raised by this sweep (each once, ever)."""
    alerted: int = 0
    alert_failures: list[str] = field(default_factory=list)


class SlaMonitor:
    """Finds SLA breaches in the store; raises and alerts each once."""

    def __init__(
        self, store: Store, clock: Clock, policy: SlaPolicy, alerts: AlertSink | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.alerts = alerts

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every ``policy.sweep_every`` until ``stop`` is set."""
        period = self.policy.sweep_every.total_seconds()
        while not stop.is_set():
            await self.run_once()
            try:
                await asyncio.wait_for(stop.wait(), timeout=period)
            except TimeoutError:
                continue

    async def run_once(self, now: datetime | None = None) -> SweepReport:
        """One sweep at ``now`` (the clock's time when not given)."""
        at = now or self.clock.now()
        found = await self.store.run(self.breaches, at)
        raised = await self.store.run(self._raise, found, at)
        report = SweepReport(breaches=len(found), raised=raised)
        if self.alerts is not None:
            for breach in raised:
                try:
                    await self.alerts.send(_alert(breach, at))
                    report.alerted += 1
                except Exception as exc:  # the exception is recorded; only the alert is lost
                    log.warning("SLA alert for %s not sent: %s", breach.exception_id, exc)
                    report.alert_failures.append(f"{breach.exception_id}: {exc}")
        return report

    # ------------------------------------------------------------------ finding

    def breaches(self, now: datetime) -> list[Breach]:
        """Every breach of the policy at ``now``, raised before or not."""
        found: list[Breach] = []
        with self.store.unit_of_work(write=False) as uow:
            for row in self._open_orders(uow):
                found += self._order_breaches(uow, row, now)
        return found

    def _open_orders(self, uow: UnitOfWork) -> Iterable[OrderRow]:
        for status in OPEN:
            for order_id in uow.orders.with_status(status, ORDERS_PER_STATUS):
                row = uow.orders.get(order_id)
                if row is not None:
                    yield row

    def _order_breaches(self, uow: UnitOfWork, row: OrderRow, now: datetime) -> list[Breach]:
        policy = self.policy
        state = row.state
        found: list[Breach] = []

        def breach(
            rule: SlaRule, system: str, summary: str, due: datetime, subject: str = ""
        ) -> None:
            found.append(
                Breach(
                    rule=rule,
                    order_id=row.order_id,
                    system=system,
                    summary=summary,
                    due_at=due,
                    subject=subject,
                    channel=row.channel,
                    customer_id=row.customer_id,
                )
            )

        window = policy.not_booked_within
        if window is not None and (state is None or state.sales_order is None):
            due = row.received_at + window
            if due <= now:
                erp = state.route.system if state is not None and state.route else HUB_SYSTEM
                breach("not_booked", erp, f"not booked within {_minutes(window)}", due)
        ack_window = policy.ack_855_within.get(row.channel)
        if ack_window is not None:
            due = row.received_at + ack_window
            sent = any(
                d.set_id == "855" for d in uow.partner_documents.outbound_for_order(row.order_id)
            )
            if due <= now and not sent:
                breach("no_855", row.channel, f"no 855 within {_hours(ack_window)}", due)
        cutoff = policy.invoice_cutoff
        if cutoff is not None and state is not None and row.status in SHIPPED:
            warehouse = state.fulfilment_system or "warehouse"
            erp = state.sales_order.system if state.sales_order else HUB_SYSTEM
            for shipment in state.shipments:
                shipped = sum(quantity for _, quantity in shipment.lines)
                if shipped <= 0 or shipment.invoice_number:
                    continue
                bound = uow.bindings.get(
                    row.order_id, warehouse, shipment_kind(shipment.shipment_id)
                )
                due = cutoff.deadline(row.updated_at if bound is None else bound.bound_at)
                if due <= now:
                    summary = f"shipment {shipment.shipment_id} not invoiced by {cutoff.at:%H:%M}"
                    breach("not_invoiced", erp, summary, due, shipment.shipment_id)
        return found

    # ------------------------------------------------------------------ raising

    def _raise(self, breaches: list[Breach], now: datetime) -> list[Breach]:
        raised: list[Breach] = []
        for found in breaches:
            with self.store.unit_of_work() as uow:
                if uow.exceptions.get(found.exception_id) is not None:
                    continue
                uow.exceptions.raise_exception(_exception(found, now))
                uow.timeline.append([_timeline_entry(found, now)])
            raised.append(found)
        return raised


def _exception(breach: Breach, now: datetime) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id=breach.exception_id,
        order_id=breach.order_id,
        system=breach.system,
        operation=breach.operation,
        source="sla",
        request={
            "rule": breach.rule,
            "due_at": breach.due_at.isoformat(),
            "subject": breach.subject,
        },
        error=f"SLA breached: {breach.summary} (due {breach.due_at.isoformat()})",
        error_type=f"sla_{breach.rule}",
        classification="permanent",
        first_seen=now,
        last_seen=now,
        channel=breach.channel,
        customer_id=breach.customer_id,
        tags=("sla",),
    )


def _timeline_entry(breach: Breach, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        order_id=breach.order_id,
        at=now,
        kind="exception",
        system=breach.system,
        summary=f"SLA breached: {breach.summary}",
        rule=f"sla:{breach.rule}",
        correlation_id=breach.order_id,
        causation_id=breach.exception_id,
        detail={"due_at": breach.due_at.isoformat(), "subject": breach.subject},
    )


def _alert(breach: Breach, now: datetime) -> Alert:
    return Alert(
        alert_id=breach.exception_id,
        rule=breach.rule,
        order_id=breach.order_id,
        system=breach.system,
        summary=f"SLA breached: {breach.summary}",
        at=now,
        detail={"due_at": breach.due_at.isoformat(), "subject": breach.subject},
    )


def _minutes(window: timedelta) -> str:
    return f"{window.total_seconds() / 60:g} min"


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g} h"
