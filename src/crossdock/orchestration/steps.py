"""The step processor: runs workflow decisions, one transaction per batch of messages (D1, D4).

A batch claims orders that have messages waiting, locks them (other workers skip locked orders),
and for each order applies its messages in arrival order: decide, carry out local commands and
feed their results straight back, then save the state, append outbox events, queue deliveries,
write the timeline and mark the messages processed — all in the same transaction.

If anything in a batch fails, the batch rolls back and its orders are retried one order per
transaction, so one failing order cannot hold the others back; an order whose message keeps
failing is quarantined alone, with the error, and the rest keep flowing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from crossdock.core.inventory import Reservation, ReservationLine, shortages
from crossdock.orchestration.bindings import new_shipment_bindings
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.log_context import bound
from crossdock.orchestration.messages import (
    MESSAGE,
    CancelTimer,
    Command,
    ConsumeStock,
    DeliveryCommand,
    Message,
    ReleaseStock,
    ReserveStock,
    ScheduleTimer,
    StockReserved,
    StockShort,
)
from crossdock.orchestration.store import (
    ConcurrencyConflict,
    InboxRecord,
    OrderRow,
    Store,
    TimelineEntry,
    UnitOfWork,
    pending_delivery,
)
from crossdock.orchestration.store_ops import HUB_SYSTEM, Binding, ExceptionRecord
from crossdock.orchestration.workflow import Decision, Facts, OrderState

MAX_CHAINED_DECISIONS = 16
CANDIDATE_WINDOW = 4
"""How many batches' worth of waiting orders a worker looks at to find a batch it can lock."""


class Workflow(Protocol):
    """A process manager: a pure function of state and message."""

    def decide(self, state: OrderState | None, message: Message, facts: Facts) -> Decision:
        """The decision for one message."""
        ...


@dataclass(slots=True)
class StepReport:
    """What one batch did, so the runtime knows whom to wake."""

    messages: int = 0
    orders: int = 0
    systems: set[str] = field(default_factory=set)
    events: int = 0
    quarantined: list[str] = field(default_factory=list)


class _MessageFailed(Exception):
    """Applying one inbound message raised; carries the message so the failure is pinned on it."""

    def __init__(self, record: InboxRecord) -> None:
        super().__init__(record.message_id)
        self.record = record


class StepProcessor:
    """Applies waiting messages to their orders' workflows."""

    def __init__(
        self,
        store: Store,
        workflow: Workflow,
        clock: Clock,
        *,
        batch_size: int = 64,
        max_attempts: int = 5,
    ) -> None:
        self.store = store
        self.workflow = workflow
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts

    def run_batch(self) -> StepReport:
        """Process one batch; returns what it did (zero messages when there was nothing)."""
        try:
            with self.store.unit_of_work() as uow:
                report = StepReport()
                # A window of candidates larger than the batch: workers sharing a database lock
                # different orders from it (SKIP LOCKED) instead of queueing on the same ones.
                order_ids = uow.inbox.pending_orders(self.batch_size * CANDIDATE_WINDOW)
                if order_ids:
                    self._process(uow, order_ids, report, limit=self.batch_size)
                return report
        except ConcurrencyConflict:
            return StepReport()
        except Exception:
            return self._one_by_one()

    def _one_by_one(self) -> StepReport:
        report = StepReport()
        with self.store.unit_of_work(write=False) as uow:
            order_ids = uow.inbox.pending_orders(self.batch_size)
        for order_id in order_ids:
            try:
                with self.store.unit_of_work() as uow:
                    self._process(uow, [order_id], report)
            except ConcurrencyConflict:
                continue
            except _MessageFailed as failed:
                cause = failed.__cause__
                error = cause if isinstance(cause, Exception) else failed
                self._record_failure(order_id, error, report, failed.record.message_id)
            except Exception as exc:
                self._record_failure(order_id, exc, report)
        return report

    def _record_failure(
        self, order_id: str, exc: Exception, report: StepReport, message_id: int | None = None
    ) -> None:
        error = f"{exc.__class__.__name__}: {exc}"
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            pending = uow.inbox.pending_for([order_id])
            if not pending:
                return
            # The message that raised, when known; otherwise the order's oldest waiting one.
            first = next((m for m in pending if m.message_id == message_id), pending[0])
            attempts = uow.inbox.record_failure(first.message_id, error)
            if attempts < self.max_attempts:
                return
            reason = f"message {first.kind} failed {attempts} times: {error}"
            uow.orders.quarantine(order_id, reason)
            order = uow.orders.get(order_id)
            uow.exceptions.raise_exception(
                ExceptionRecord(
                    exception_id="",
                    order_id=order_id,
                    system=HUB_SYSTEM,
                    operation=first.kind,
                    source="step",
                    message_id=first.message_id,
                    request=first.body,
                    error=error,
                    error_type=exc.__class__.__name__,
                    classification="step",
                    attempts=attempts,
                    first_seen=first.received_at,
                    last_seen=now,
                    channel="" if order is None else order.channel,
                    customer_id="" if order is None else order.customer_id,
                )
            )
            uow.timeline.append(
                [
                    TimelineEntry(
                        order_id=order_id,
                        at=now,
                        kind="exception",
                        summary=f"quarantined: {reason}",
                        causation_id=_message_ref(first),
                    )
                ]
            )
            report.quarantined.append(order_id)

    def _process(
        self,
        uow: UnitOfWork,
        order_ids: Sequence[str],
        report: StepReport,
        *,
        limit: int | None = None,
    ) -> None:
        rows = {row.order_id: row for row in uow.orders.lock(order_ids, limit)}
        if not rows:
            return
        pending = uow.inbox.pending_for(list(rows))
        by_order: dict[str, list[InboxRecord]] = {}
        for record in pending:
            by_order.setdefault(record.order_id, []).append(record)
        now = self.clock.now()
        timeline: list[TimelineEntry] = []
        processed: list[int] = []
        for order_id, records in by_order.items():
            row = rows[order_id]
            state = row.state
            for record in records:
                try:
                    # Every log line of this step names its order and the message behind it.
                    with bound(correlation_id=order_id, causation_id=_message_ref(record)):
                        state = self._apply(uow, row, state, record, now, timeline, report)
                except ConcurrencyConflict:
                    raise
                except Exception as exc:
                    raise _MessageFailed(record) from exc
                processed.append(record.message_id)
                report.messages += 1
            if state is not None:
                uow.orders.save(
                    state.model_copy(update={"version": row.version + 1}), row.version, now
                )
                for system, kind, external_id in new_shipment_bindings(row.state, state):
                    uow.bindings.bind(
                        Binding(
                            order_id=order_id,
                            system=system,
                            kind=kind,
                            external_id=external_id,
                            bound_at=now,
                        )
                    )
            report.orders += 1
        uow.timeline.append(timeline)
        uow.inbox.mark_processed(processed, now)

    def _apply(
        self,
        uow: UnitOfWork,
        row: OrderRow,
        state: OrderState | None,
        record: InboxRecord,
        now: datetime,
        timeline: list[TimelineEntry],
        report: StepReport,
    ) -> OrderState | None:
        message: Message = MESSAGE.validate_python(record.body)
        cause = _message_ref(record)
        timeline.append(
            TimelineEntry(
                order_id=row.order_id,
                at=record.received_at,
                kind="inbound",
                system=record.source,
                summary=f"{record.kind} from {record.source}",
                correlation_id=row.order_id,
                causation_id=record.causation_id,
                detail={"message_id": record.message_id, "body": record.body},
            )
        )
        facts = self._facts(uow, row, message, now)
        for _ in range(MAX_CHAINED_DECISIONS):
            decision = self.workflow.decide(state, message, facts)
            state = decision.state
            follow_up = self._carry_out(uow, decision, cause, now, report)
            timeline.append(
                TimelineEntry(
                    order_id=row.order_id,
                    at=now,
                    kind="decision",
                    summary=decision.summary,
                    rule=decision.rule,
                    correlation_id=row.order_id,
                    causation_id=cause,
                    detail={
                        "status": decision.state.status.value,
                        "commands": [_describe(command) for command in decision.commands],
                        "events": [event.name for event in decision.events],
                    },
                )
            )
            if follow_up is None:
                return state
            message = follow_up
        raise RuntimeError(f"more than {MAX_CHAINED_DECISIONS} chained decisions for one message")

    def _facts(self, uow: UnitOfWork, row: OrderRow, message: Message, now: datetime) -> Facts:
        if not message.needs_master_data:
            return Facts(now=now)
        order = row.order
        skus = sorted({line.sku for line in order.lines})
        return Facts(
            now=now,
            customer=uow.masterdata.customer(order.customer_id),
            products=uow.masterdata.products(skus),
            prices=uow.masterdata.prices(skus, order.currency, order.customer_id),
        )

    def _carry_out(
        self, uow: UnitOfWork, decision: Decision, cause: str, now: datetime, report: StepReport
    ) -> Message | None:
        """Carry out a decision's commands and events; return a local command's result, if any."""
        order_id = decision.state.order.order_id
        for event in decision.events:
            uow.outbox.append(
                order_id=order_id,
                type=f"crossdock.order.{event.name}.v1",
                data={"order_id": order_id, **event.data},
                causation_id=cause,
                now=now,
            )
            report.events += 1
        result: Message | None = None
        for command in decision.commands:
            outcome = self._command(uow, command, cause, now, report)
            if outcome is not None:
                result = outcome
        return result

    def _command(
        self, uow: UnitOfWork, command: Command, cause: str, now: datetime, report: StepReport
    ) -> Message | None:
        match command:
            case DeliveryCommand():
                queued = uow.deliveries.enqueue(pending_delivery(command, now=now, cause=cause))
                if queued:
                    report.systems.add(command.system)
                return None
            case ReserveStock():
                lines = [
                    ReservationLine(line_no=n, sku=sku, location=command.location, quantity=q)
                    for n, sku, q in command.lines
                ]
                if uow.inventory.reserve(command.order_id, lines):
                    return StockReserved(
                        reservation=Reservation(order_id=command.order_id, lines=tuple(lines))
                    )
                skus = sorted({sku for _, sku, _ in command.lines})
                positions = {
                    p.sku: p for p in uow.inventory.positions(skus, location=command.location)
                }
                return StockShort(
                    location=command.location,
                    short=tuple(shortages(command.lines, positions)),
                )
            case ReleaseStock():
                uow.inventory.release(command.order_id)
                return None
            case ConsumeStock():
                uow.inventory.consume(
                    command.order_id,
                    [
                        ReservationLine(line_no=n, sku=sku, location=command.location, quantity=q)
                        for n, sku, q in command.lines
                    ],
                )
                return None
            case ScheduleTimer():
                uow.timers.schedule(command.order_id, command.name, command.due_at)
                return None
            case CancelTimer():
                uow.timers.cancel(command.order_id, command.name)
                return None
        raise TypeError(f"unknown command {command!r}")


def _message_ref(record: InboxRecord) -> str:
    return f"msg-{record.message_id}"


def _describe(command: Command) -> str:
    kind = getattr(command, "kind", type(command).__name__)
    system = getattr(command, "system", "")
    return f"{kind} → {system}" if system else str(kind)
