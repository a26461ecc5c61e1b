"""The exception desk: how operators triage, fix and replay what could not succeed (D4).

Every delivery that fails for good and every step that keeps failing becomes an exception (the
delivery runner and the step processor raise them in the transaction that gave up). Here an
operator lists and filters them, assigns and tags them, edits a delivery's payload and retries
it, resolves them, and replays many at once by filter — with a dry run first that says, for each,
what would be sent and what would be skipped because it already happened.

A replay never sends twice what a system already has: a delivery that is done or queued again is
skipped, and so is one whose result is already bound (the ERP's sales order number is known, for
instance). Each exception is replayed in its own transaction, so one that cannot be replayed does
not hold back the rest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from crossdock.core.errors import BusinessRuleViolation
from crossdock.core.order import OrderStatus
from crossdock.orchestration.bindings import binding_kind
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.intake import FieldProblem, InvalidDocument
from crossdock.orchestration.messages import DELIVERY_COMMAND, DeliveryCommand, HoldReleased
from crossdock.orchestration.store import Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import (
    UNSETTLED,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
)
from crossdock.orchestration.wakeups import Wakeups

T = TypeVar("T")

_FORWARD_ONLY = frozenset({"create_sales_order", "request_fulfilment", "post_invoice"})
"""Operations that move an order forward: pointless once it was cancelled."""


class UnknownException(BusinessRuleViolation):
    """No exception has this id."""

    def __init__(self, exception_id: str) -> None:
        self.exception_id = exception_id
        super().__init__(f"no exception {exception_id}")


class ExceptionSettled(BusinessRuleViolation):
    """The exception was resolved; it cannot be changed or replayed any more."""

    def __init__(self, record: ExceptionRecord) -> None:
        self.record = record
        super().__init__(f"exception {record.exception_id} is {record.status}")


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """What a replay does (or, in a dry run, would do) with one exception."""

    exception_id: str
    order_id: str
    system: str
    operation: str
    action: Literal["send", "skip"]
    reason: str
    request: dict[str, Any] = field(default_factory=dict)
    """What would be (or was) sent."""


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """The result of replaying exceptions by filter."""

    dry_run: bool
    items: tuple[ReplayItem, ...]

    @property
    def to_send(self) -> int:
        """Exceptions sent again (or that would be, in a dry run)."""
        return sum(item.action == "send" for item in self.items)

    @property
    def skipped(self) -> int:
        """Exceptions skipped, each with its reason."""
        return sum(item.action == "skip" for item in self.items)


class ExceptionDesk:
    """Operator actions on the exception queue."""

    def __init__(self, store: Store, clock: Clock, wakeups: Wakeups) -> None:
        self.store = store
        self.clock = clock
        self.wakeups = wakeups

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a desk method off the event loop, on the store's worker thread(s)."""
        return await self.store.run(functools.partial(fn, *args, **kwargs))

    # ------------------------------------------------------------------ reads

    def search(self, query: ExceptionQuery) -> list[ExceptionRecord]:
        """Exceptions matching ``query``, most recently seen first."""
        with self.store.unit_of_work(write=False) as uow:
            return uow.exceptions.search(query)

    def get(self, exception_id: str) -> ExceptionRecord:
        """One exception; :class:`UnknownException` when there is none."""
        with self.store.unit_of_work(write=False) as uow:
            return self._load(uow, exception_id)

    def counts(self) -> dict[str, dict[str, int]]:
        """Exceptions per system and status."""
        with self.store.unit_of_work(write=False) as uow:
            return uow.exceptions.counts()

    # ------------------------------------------------------------------ triage

    def assign(self, exception_id: str, assignee: str, *, by: str) -> ExceptionRecord:
        """Give the exception to someone (an empty assignee gives it back to the queue)."""

        def change(record: ExceptionRecord) -> tuple[ExceptionChange, str]:
            status = record.status
            if status in UNSETTLED:
                status = "assigned" if assignee else "open"
            who = f"assigned to {assignee}" if assignee else "unassigned"
            return ExceptionChange(assignee=assignee, status=status), who

        return self._change(exception_id, by, change)

    def tag(
        self,
        exception_id: str,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        by: str,
    ) -> ExceptionRecord:
        """Add and remove tags."""

        def change(record: ExceptionRecord) -> tuple[ExceptionChange, str]:
            tags = tuple(t for t in (*record.tags, *add) if t not in set(remove))
            return ExceptionChange(tags=tags), f"tags now {', '.join(tags) or 'none'}"

        return self._change(exception_id, by, change, settled_ok=True)

    def resolve(self, exception_id: str, *, by: str, note: str = "") -> ExceptionRecord:
        """Close the exception: someone dealt with it (nothing is sent)."""

        def change(_: ExceptionRecord) -> tuple[ExceptionChange, str]:
            return ExceptionChange(status="resolved", note=note), f"resolved: {note or 'no note'}"

        return self._change(exception_id, by, change)

    # ------------------------------------------------------------------ replay

    def retry(
        self,
        exception_id: str,
        *,
        by: str,
        request: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> ReplayItem:
        """Send the exception's delivery again, with ``request`` if the operator corrected it
        (a step exception releases its order's quarantine and applies the message again)."""
        with self.store.unit_of_work(write=not dry_run) as uow:
            record = self._load(uow, exception_id)
            if record.status == "resolved":
                raise ExceptionSettled(record)
            item = self._plan(uow, record, request)
            if item.action == "send" and not dry_run:
                self._send(uow, record, item, by)
        if item.action == "send" and not dry_run:
            self._wake(item)
        return item

    def replay(self, query: ExceptionQuery, *, by: str, dry_run: bool = True) -> ReplayReport:
        """Replay every unsettled exception matching ``query`` (open and assigned unless the
        query names statuses); a dry run changes nothing and says what would happen."""
        statuses = (
            tuple(s for s in query.statuses if s != "resolved") if query.statuses else UNSETTLED
        )
        if not statuses:
            return ReplayReport(dry_run=dry_run, items=())
        with self.store.unit_of_work(write=False) as uow:
            found = uow.exceptions.search(replace(query, statuses=statuses))
        items: list[ReplayItem] = []
        for record in found:
            if dry_run:
                with self.store.unit_of_work(write=False) as uow:
                    items.append(self._plan(uow, record, None))
                continue
            with self.store.unit_of_work() as uow:
                current = self._load(uow, record.exception_id)
                item = self._plan(uow, current, None)
                if item.action == "send":
                    self._send(uow, current, item, by)
            items.append(item)
            if item.action == "send":
                self._wake(item)
        return ReplayReport(dry_run=dry_run, items=tuple(items))

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _load(uow: UnitOfWork, exception_id: str) -> ExceptionRecord:
        record = uow.exceptions.get(exception_id)
        if record is None:
            raise UnknownException(exception_id)
        return record

    def _change(
        self,
        exception_id: str,
        by: str,
        change: Callable[[ExceptionRecord], tuple[ExceptionChange, str]],
        *,
        settled_ok: bool = False,
    ) -> ExceptionRecord:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            record = self._load(uow, exception_id)
            if record.status == "resolved" and not settled_ok:
                raise ExceptionSettled(record)
            what, summary = change(record)
            updated = uow.exceptions.change(exception_id, what, now)
            assert updated is not None  # loaded in this transaction
            self._line(uow, record, f"exception {exception_id} {summary} by {by}", now)
            return updated

    @staticmethod
    def _line(
        uow: UnitOfWork,
        record: ExceptionRecord,
        summary: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        uow.timeline.append(
            [
                TimelineEntry(
                    order_id=record.order_id,
                    at=now,
                    kind="operator",
                    system=record.system,
                    summary=summary,
                    correlation_id=record.order_id,
                    causation_id=record.exception_id,
                    detail=detail or {},
                )
            ]
        )

    def _plan(
        self, uow: UnitOfWork, record: ExceptionRecord, request: dict[str, Any] | None
    ) -> ReplayItem:
        def item(action: Literal["send", "skip"], reason: str, sent: dict[str, Any]) -> ReplayItem:
            return ReplayItem(
                exception_id=record.exception_id,
                order_id=record.order_id,
                system=record.system,
                operation=record.operation,
                action=action,
                reason=reason,
                request=sent,
            )

        if record.status == "resolved":
            return item("skip", "resolved: someone dealt with it", record.request)
        order = uow.orders.get(record.order_id)
        if order is None:
            return item("skip", f"order {record.order_id} does not exist", record.request)
        if record.source == "partner":
            # A rejected or unacknowledged document: what to send again is agreed with the
            # partner (its 997 names what it refused), so there is nothing to replay blindly.
            return item("skip", "reported by the partner: agree the fix, then resolve", {})
        if record.source == "sla":
            # A missed deadline (visibility.sla): nothing failed that could be sent again.
            return item("skip", "an SLA breach: act on the order, then resolve", {})
        if record.source == "step":
            if request is not None:
                raise InvalidDocument(
                    [
                        FieldProblem(
                            "request",
                            "a failing step replays the stored message as it is; "
                            "correct the master data or the order instead",
                        )
                    ]
                )
            if not uow.inbox.failed(record.order_id):
                return item("skip", "already done: the order's messages went through", {})
            return item("send", "release the quarantine and apply the message again", {})
        delivery = uow.deliveries.get(record.delivery_id)
        if delivery is None:
            return item("skip", f"delivery {record.delivery_id} does not exist", record.request)
        if delivery.status == "done":
            return item("skip", "already done: the delivery succeeded", delivery.command)
        if delivery.status in ("pending", "in_flight"):
            return item("skip", "already queued: the delivery is waiting to go", delivery.command)
        command = self._command(delivery.command, request)
        if order.status is OrderStatus.CLOSED:
            return item("skip", "the order is closed", delivery.command)
        if order.status is OrderStatus.CANCELLED and delivery.operation in _FORWARD_ONLY:
            return item("skip", "the order was cancelled", delivery.command)
        kind = binding_kind(command)
        if kind is not None:
            bound = uow.bindings.get(record.order_id, delivery.system, kind)
            if bound is not None:
                return item(
                    "skip",
                    f"already done: {delivery.system} has {kind} {bound.external_id}",
                    delivery.command,
                )
        sent = command.model_dump(mode="json")
        edited = " with the corrected request" if request is not None else ""
        return item("send", f"send {delivery.operation} to {delivery.system} again{edited}", sent)

    @staticmethod
    def _command(stored: dict[str, Any], request: dict[str, Any] | None) -> DeliveryCommand:
        """The command to send: the stored one, or the operator's correction of it, which may
        change the document but not what it is, where it goes, or its idempotency key."""
        original = DELIVERY_COMMAND.validate_python(stored)
        if request is None:
            return original
        try:
            # Validated as the stored command's own type, so error paths read as the document's
            # (``request.order.lines.0.quantity``); another ``kind`` is refused as ``request.kind``.
            corrected = type(original).model_validate(request)
        except ValidationError as exc:
            raise InvalidDocument(
                [
                    FieldProblem(
                        ".".join(["request", *(str(p) for p in error["loc"])]), error["msg"]
                    )
                    for error in exc.errors()
                ]
            ) from exc
        fixed = ("operation", "system", "order_id", "idempotency_key")
        problems = [
            FieldProblem(f"request.{name}", f"must stay {getattr(original, name)!r}")
            for name in fixed
            if getattr(corrected, name) != getattr(original, name)
        ]
        if problems:
            raise InvalidDocument(problems)
        return corrected

    def _send(self, uow: UnitOfWork, record: ExceptionRecord, item: ReplayItem, by: str) -> None:
        now = self.clock.now()
        replays = record.replays + 1
        ref = f"exception:{record.exception_id}:replay:{replays}"
        if record.source == "step":
            uow.orders.release_quarantine(record.order_id)
            uow.inbox.reset_failures(record.order_id)
        else:
            uow.deliveries.rearm(record.delivery_id, item.request, ref, now)
            order = uow.orders.get(record.order_id)
            if order is not None and order.status is OrderStatus.ON_HOLD:
                released = HoldReleased(
                    released_by=by,
                    note=f"replay of exception {record.exception_id}",
                    rearmed=(DELIVERY_COMMAND.validate_python(item.request).idempotency_key,),
                )
                uow.inbox.append(
                    order_id=record.order_id,
                    kind="hold_released",
                    body=released.model_dump(mode="json"),
                    source=by or "operator",
                    dedupe_key=ref,
                    causation_id=record.exception_id,
                    now=now,
                )
        uow.exceptions.change(
            record.exception_id,
            ExceptionChange(
                status="replayed",
                replays=replays,
                request=item.request if record.source == "delivery" else None,
            ),
            now,
        )
        # The re-armed delivery names ``ref`` as its cause: the timeline links it to this line.
        summary = f"exception {record.exception_id} replayed by {by}"
        self._line(uow, record, summary, now, {"replay": ref})

    def _wake(self, item: ReplayItem) -> None:
        self.wakeups.notify("inbox")
        self.wakeups.notify(f"delivery:{item.system}")
