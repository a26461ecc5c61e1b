"""The SLA monitor: a periodic sweep that turns missed service levels into exceptions and alerts.

Each sweep (:meth:`SlaMonitor.run_once`) reads the open orders from the store, finds every breach
of the estate's :class:`~crossdock.visibility.sla_policy.SlaPolicy`, and for each breach not seen
before, in one transaction, raises an exception (source ``sla``) under an id derived from the
breach, writes a line on the order's timeline and — when alerts are configured — records the
alert as owed (tag ``alert-pending``). The owed alerts are then sent, and retried with backoff by
later sweeps until they get through or are given up on (:mod:`crossdock.visibility.sla_alerts`):
a sink that is down, or a hub that dies between the commit and the send, delays an alert but
does not lose it.

A breach is raised once: the next sweep finds the same exception id and passes. Resolving the
exception does not raise it again either — a person has looked at it — and stops its alert if it
has not got through yet. Nothing here changes the order: the workflow's own deadlines (the
booking timer that puts an order on hold) still decide; the monitor only reports.

**One sweeper at a time.** Every worker hub builds a monitor; with a :class:`Lease` (bootstrap
gives one, :func:`sweep_lease`) only the hub holding the ``sla-sweep`` lease sweeps, renewing it
at each sweep, before each alert it sends and before it raises new breaches. The others' sweeps
return at once (``swept=False``) until the holder stops renewing and its lease runs out. A sweep
that finds it has lost the lease ends there (``lease_lost``): the new holder does the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crossdock.core.order import OrderStatus
from crossdock.orchestration.bindings import shipment_kind
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.leases import Lease, LeaseStore
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store import OrderRow, Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import HUB_SYSTEM, ExceptionRecord
from crossdock.visibility.alert_state import ALERT_PENDING, pending_alert
from crossdock.visibility.alerts import AlertFanOut, AlertSink
from crossdock.visibility.sla_alerts import ALERT_RETRY, AlertQueue
from crossdock.visibility.sla_policy import Breach, SlaPolicy, SlaRule

S = OrderStatus
OPEN: tuple[OrderStatus, ...] = tuple(s for s in S if s not in (S.CLOSED, S.CANCELLED))
"""Orders the monitor looks at: a closed or cancelled order owes nothing more."""
SHIPPED: frozenset[OrderStatus] = frozenset((S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.ON_HOLD))
"""Statuses in which an order may hold a confirmed shipment not yet invoiced."""
ORDERS_PER_STATUS = 1000
"""The most orders of one status one sweep reads (the oldest are not preferred)."""
SWEEP_LEASE = "sla-sweep"
"""The lease the sweeping hub holds."""
SWEEP_LEASE_PERIODS = 3
"""A sweeping hub that stops renewing is replaced after this many sweep periods…"""
SWEEP_LEASE_MIN = timedelta(minutes=1)
"""…and never sooner than this (a slow sweep must not lose its lease to the next hub)."""


def sweep_lease(leases: LeaseStore, holder: str, policy: SlaPolicy) -> Lease:
    """The lease a hub named ``holder`` sweeps under."""
    ttl = max(policy.sweep_every * SWEEP_LEASE_PERIODS, SWEEP_LEASE_MIN)
    return Lease(leases, name=SWEEP_LEASE, holder=holder, ttl=ttl)


@dataclass(slots=True)
class SweepReport:
    """What one sweep found and did."""

    swept: bool = True
    """False: another hub holds the sweep lease, and this one did nothing."""
    breaches: int = 0
    """Breaches found, new or already raised."""
    raised: list[Breach] = field(default_factory=list)
    """Breaches raised by this sweep (each once, ever)."""
    alerted: int = 0
    """Alerts that got through, new or owed from earlier sweeps."""
    alert_failures: list[str] = field(default_factory=list)
    """``<exception id>: <sink>: <error>`` per sink that did not take an alert."""
    alerts_given_up: int = 0
    """Alerts marked ``alert-failed`` (refused for good, or out of attempts)."""
    lease_lost: bool = False
    """The sweep lost its lease on the way and stopped there; the new holder does the rest."""


class SlaMonitor:
    """Finds SLA breaches in the store; raises each once and alerts until the alert gets through.

    ``alerts``: the sinks every alert goes to (distinct names); none, and breaches owe no alert.
    ``lease``: sweep only while holding it (several hubs on one database); None sweeps always
    (one hub). ``retry``: the backoff and bounds of alerts that did not get through.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        policy: SlaPolicy,
        alerts: Sequence[AlertSink] = (),
        *,
        lease: Lease | None = None,
        retry: RetryPolicy = ALERT_RETRY,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.lease = lease
        self.queue = AlertQueue(store, AlertFanOut(alerts), retry) if alerts else None

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every ``policy.sweep_every`` until ``stop`` is set; then give the lease up."""
        period = self.policy.sweep_every.total_seconds()
        try:
            while not stop.is_set():
                await self.run_once()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=period)
                except TimeoutError:
                    continue
        finally:
            await self.release()

    async def release(self) -> None:
        """Give the sweep lease up for good (a stopping hub), so another hub sweeps without
        waiting for it to run out. A renewal still running on a store thread when the sweep was
        cancelled gives back what it takes (:class:`Lease`)."""
        if self.lease is not None:
            await self.store.run(self.lease.release)

    async def run_once(self, now: datetime | None = None) -> SweepReport:
        """One sweep at ``now`` (the clock's time when not given): first the alerts owed by
        earlier sweeps, then new breaches and their alerts. Nothing while another hub holds the
        sweep lease; and nothing more once this hub finds it lost the lease on the way."""
        at = now or self.clock.now()
        if not await self._holding(at):
            return SweepReport(swept=False)
        report = SweepReport()
        if not await self._send_alerts(at, report):
            return report
        found = await self.store.run(self.breaches, at)
        report.breaches = len(found)
        # Renewed before raising: finding breaches on many orders may outlast the lease.
        if not await self._still_ours(at, report):
            return report
        report.raised = await self.store.run(self.raise_new, found, at)
        if report.raised:
            await self._send_alerts(at, report)
        return report

    async def _holding(self, at: datetime) -> bool:
        return self.lease is None or await self.store.run(self.lease.hold, at)

    async def _still_ours(self, at: datetime, report: SweepReport) -> bool:
        if not await self._holding(max(at, self.clock.now())):
            report.lease_lost = True
        return not report.lease_lost

    async def _send_alerts(self, at: datetime, report: SweepReport) -> bool:
        """Send the alerts due; False when the lease was lost on the way (the sweep ends)."""
        if self.queue is None:
            return True

        async def still_ours() -> bool:
            # Renewed before each send: a slow sink cannot outlast the lease unnoticed.
            return await self._still_ours(at, report)

        done = await self.queue.send_due(at, still_ours=still_ours)
        report.alerted += done.sent
        report.alert_failures += done.failures
        report.alerts_given_up += done.given_up
        return not report.lease_lost

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

    def raise_new(self, breaches: list[Breach], now: datetime) -> list[Breach]:
        """Raise each breach not raised before, each in its own transaction with its timeline
        line and (when alerting) its owed alert; returns those raised. Sending is left to the
        sweep: what is raised here is owed even if this hub stops before it sends."""
        raised: list[Breach] = []
        alerting = self.queue is not None
        with self.store.unit_of_work(write=False) as uow:
            # Most breaches a sweep finds were raised by an earlier one: no write for those.
            new = [b for b in breaches if uow.exceptions.get(b.exception_id) is None]
        for found in new:
            with self.store.unit_of_work() as uow:
                if uow.exceptions.get(found.exception_id) is not None:
                    continue
                uow.exceptions.raise_exception(_exception(found, now, alerting=alerting))
                uow.timeline.append([_timeline_entry(found, now)])
            raised.append(found)
        return raised


def _exception(breach: Breach, now: datetime, *, alerting: bool) -> ExceptionRecord:
    request: dict[str, object] = {
        "rule": breach.rule,
        "due_at": breach.due_at.isoformat(),
        "subject": breach.subject,
        "summary": breach.summary,
    }
    if alerting:
        # Owed in the same transaction as the breach: a crash before the send loses nothing.
        request["alert"] = pending_alert(now)
    return ExceptionRecord(
        exception_id=breach.exception_id,
        order_id=breach.order_id,
        system=breach.system,
        operation=breach.operation,
        source="sla",
        request=request,
        error=f"SLA breached: {breach.summary} (due {breach.due_at.isoformat()})",
        error_type=f"sla_{breach.rule}",
        classification="permanent",
        first_seen=now,
        last_seen=now,
        channel=breach.channel,
        customer_id=breach.customer_id,
        tags=("sla", ALERT_PENDING) if alerting else ("sla",),
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


def _minutes(window: timedelta) -> str:
    return f"{window.total_seconds() / 60:g} min"


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g} h"
