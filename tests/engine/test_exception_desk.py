"""The exception queue and what operators do with it: one exception per failed delivery or
stuck step, retry with a corrected request, replay by filter with a dry run first — through the
engine as production wires it, with the fake gateway as the only fake of a system."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.core.order import OrderStatus
from crossdock.orchestration.exception_desk import ExceptionSettled
from crossdock.orchestration.intake import InvalidDocument
from crossdock.orchestration.messages import CreateSalesOrder, Message
from crossdock.orchestration.order_to_cash import OrderToCash
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store_ops import Binding, ExceptionQuery, ExceptionRecord
from crossdock.orchestration.workflow import Decision, Facts, OrderState

from .hub import POLICY, Hub

S = OrderStatus
ERP = "legacy_erp"
BOOK = "create_sales_order"
UNAVAILABLE = RetryableError("legacy_erp POST /orders answered 503", code="http_503")
REFUSED = PermanentError(
    "legacy_erp POST /orders answered 422: customer_po is longer than 8 characters",
    code="http_422",
)


def booked(hub: Hub, order_id: str) -> list[str]:
    """The idempotency keys of every booking the ERP received for ``order_id``."""
    return [key for key in hub.gateways[ERP].keys(BOOK) if key.startswith(f"{order_id}:")]


# ------------------------------------------------------------------ the exception queue


async def test_a_refused_booking_becomes_one_exception_and_the_next_order_still_goes(
    hub: Hub,
) -> None:
    hub.gateways[ERP].fail(BOOK, REFUSED)
    refused, flowing = hub.submit("O-1"), hub.submit("O-2")

    await hub.drain()

    [booking] = hub.deliveries(refused, BOOK)
    [raised] = hub.exceptions_of()
    assert (raised.order_id, raised.system, raised.operation, raised.source) == (
        refused,
        ERP,
        BOOK,
        "delivery",
    )
    assert (raised.delivery_id, raised.request) == (booking.delivery_id, booking.command)
    assert (raised.error, raised.error_type, raised.classification) == (
        str(REFUSED),
        "http_422",
        "permanent",
    )
    assert (raised.attempts, raised.status) == (1, "open")
    assert (raised.channel, raised.customer_id) == ("storefront", "C-A")
    [failure] = [e for e in hub.timeline(refused) if e.kind == "exception"]
    assert failure.detail["exception_id"] == raised.exception_id
    assert hub.status(refused) is S.ON_HOLD
    assert hub.status(flowing) is S.RELEASED
    status = hub.systems.get(ERP)
    assert (status.breaker, status.failed, status.open_exceptions) == ("closed", 1, 1)
    assert hub.exceptions.counts() == {ERP: {"open": 1}}


async def test_a_booking_that_runs_out_of_attempts_is_an_exhausted_exception(
    database_url: str,
) -> None:
    retry = RetryPolicy(max_attempts=3, initial_interval=timedelta(seconds=10), jitter=0.0)
    hub = Hub(database_url, retry=retry)
    hub.gateways[ERP].break_down(BOOK, UNAVAILABLE)
    order_id = hub.submit("O-1")

    for _ in range(4):
        await hub.drain()
        hub.clock.advance(timedelta(seconds=40))

    [raised] = hub.exceptions_of(order_id)
    assert (raised.classification, raised.error_type, raised.attempts) == (
        "exhausted",
        "http_503",
        3,
    )
    assert hub.status(order_id) is S.ON_HOLD
    hub.close()


async def test_every_id_a_system_gave_an_order_is_bound_to_it(hub: Hub) -> None:
    order_id = hub.submit("O-1")
    await hub.drain()
    await hub.ship(order_id)

    bound = {(b.system, b.kind.split(":")[0], b.external_id) for b in hub.bindings(order_id)}
    assert bound == {
        (ERP, "sales_order", "SO-O-1"),
        ("wms", "fulfilment", "F-O-1"),
        (ERP, "invoice", "INV-S-0"),
        ("wms", "shipment", "S-0"),
        ("UPS", "tracking", "1Z-S-0"),
    }
    with hub.store.unit_of_work(write=False) as uow:
        assert uow.bindings.lookup(ERP, "sales_order", "SO-O-1") == order_id


# ------------------------------------------------------------------ retry, replay


async def refused_once(hub: Hub, order_id: str = "O-1", times: int = 1) -> ExceptionRecord:
    hub.gateways[ERP].fail(BOOK, REFUSED, times=times)
    hub.submit(order_id)
    await hub.drain()
    [raised] = hub.exceptions_of(order_id)
    assert hub.status(order_id) is S.ON_HOLD
    return raised


def with_po(request: dict[str, Any], customer_po: str) -> dict[str, Any]:
    edited = copy.deepcopy(request)
    edited["order"]["customer_po"] = customer_po
    return edited


async def test_a_retry_with_a_corrected_request_sends_it_and_the_order_closes(hub: Hub) -> None:
    raised = await refused_once(hub)

    item = hub.exceptions.retry(
        raised.exception_id, by="dana", request=with_po(raised.request, "PO-1")
    )

    assert item.action == "send"
    assert item.reason == "send create_sales_order to legacy_erp again with the corrected request"
    await hub.drain()
    last = hub.gateways[ERP].sent[-1]
    assert isinstance(last, CreateSalesOrder)
    assert (last.order.customer_po, last.idempotency_key) == ("PO-1", "O-1:create_sales_order")
    assert booked(hub, "O-1") == ["O-1:create_sales_order"] * 2
    assert hub.status("O-1") is S.RELEASED
    await hub.ship("O-1")
    assert hub.status("O-1") is S.CLOSED
    [replayed] = hub.exceptions_of("O-1")
    assert (replayed.status, replayed.replays) == ("replayed", 1)
    assert replayed.request["order"]["customer_po"] == "PO-1"
    assert f"exception {raised.exception_id} replayed by dana" in hub.summaries("O-1")
    assert len(hub.bindings("O-1", "sales_order")) == 1


@pytest.mark.parametrize(
    ("field", "value"), [("system", "cloud_erp"), ("order_id", "O-2"), ("kind", "cancel_order")]
)
async def test_a_retry_may_correct_the_document_but_not_where_it_goes_or_what_it_is(
    hub: Hub, field: str, value: str
) -> None:
    raised = await refused_once(hub)
    edited = {**raised.request, field: value}

    with pytest.raises(InvalidDocument) as refused:
        hub.exceptions.retry(raised.exception_id, by="dana", request=edited)

    assert any(p.field.startswith("request") for p in refused.value.problems)
    if field != "kind":
        assert f"request.{field}" in [p.field for p in refused.value.problems]
    await hub.drain()
    assert booked(hub, "O-1") == ["O-1:create_sales_order"]
    [untouched] = hub.exceptions_of("O-1")
    assert (untouched.status, untouched.replays) == ("open", 0)
    assert [d.status for d in hub.deliveries("O-1", BOOK)] == ["failed"]


async def test_a_dry_run_replay_says_what_it_would_send_and_skip_and_changes_nothing(
    hub: Hub,
) -> None:
    hub.gateways[ERP].fail(BOOK, REFUSED, times=3)
    for n in (1, 2, 3):
        hub.submit(f"O-{n}")
    await hub.drain()
    # O-2: an operator released the hold and the booking went through.
    hub.desk.release_hold("O-2", "dana")
    await hub.drain()
    # O-3: someone booked it in the ERP by hand, and its number was recorded.
    with hub.store.unit_of_work() as uow:
        uow.bindings.bind(
            Binding(
                order_id="O-3",
                system=ERP,
                kind="sales_order",
                external_id="SO-BY-HAND",
                bound_at=hub.clock.now(),
            )
        )
    sent_before = len(hub.gateways[ERP].sent)
    before = hub.exceptions_of()

    report = hub.exceptions.replay(ExceptionQuery(system=ERP), by="dana", dry_run=True)
    await hub.drain()

    plan = {item.order_id: (item.action, item.reason) for item in report.items}
    assert plan == {
        "O-1": ("send", "send create_sales_order to legacy_erp again"),
        "O-2": ("skip", "already done: the delivery succeeded"),
        "O-3": ("skip", "already done: legacy_erp has sales_order SO-BY-HAND"),
    }
    assert (report.dry_run, report.to_send, report.skipped) == (True, 1, 2)
    assert len(hub.gateways[ERP].sent) == sent_before
    assert hub.exceptions_of() == before
    assert [d.status for d in hub.deliveries("O-1", BOOK)] == ["failed"]
    assert hub.status("O-1") is S.ON_HOLD

    done = hub.exceptions.replay(ExceptionQuery(system=ERP), by="dana", dry_run=False)
    await hub.drain()

    assert {i.order_id: i.action for i in done.items} == {o: a for o, (a, _) in plan.items()}
    assert booked(hub, "O-1") == ["O-1:create_sales_order"] * 2
    assert booked(hub, "O-2") == ["O-2:create_sales_order"] * 2
    assert booked(hub, "O-3") == ["O-3:create_sales_order"]
    assert hub.status("O-1") is S.RELEASED
    assert {e.order_id: e.status for e in hub.exceptions_of()} == {
        "O-1": "replayed",
        "O-2": "open",
        "O-3": "open",
    }


async def test_a_delivery_that_fails_again_after_a_retry_reopens_the_same_exception(
    hub: Hub,
) -> None:
    raised = await refused_once(hub, times=2)

    hub.exceptions.retry(raised.exception_id, by="dana")
    await hub.drain()

    [reopened] = hub.exceptions_of("O-1")
    assert reopened.exception_id == raised.exception_id
    assert (reopened.status, reopened.attempts, reopened.replays) == ("open", 2, 1)
    failures = [e for e in hub.timeline("O-1") if e.kind == "exception"]
    assert [e.detail["exception_id"] for e in failures] == [raised.exception_id] * 2
    assert hub.status("O-1") is S.ON_HOLD
    assert booked(hub, "O-1") == ["O-1:create_sales_order"] * 2


async def test_a_corrected_retry_that_fails_again_is_not_followed_by_the_uncorrected_command(
    hub: Hub,
) -> None:
    raised = await refused_once(hub, times=2)
    hub.exceptions.retry(raised.exception_id, by="dana", request=with_po(raised.request, "PO-1"))

    # The delivery worker is quicker than the step worker: the corrected booking goes, and is
    # refused again, before the order's workflow has seen the hold released.
    await hub.runner.run_once(ERP)
    await hub.drain()

    sent = [c for c in hub.gateways[ERP].sent if isinstance(c, CreateSalesOrder)]
    assert [c.order.customer_po for c in sent] == ["PO-O-1", "PO-1"]


async def test_replaying_only_resolved_exceptions_replays_nothing(hub: Hub) -> None:
    await refused_once(hub)

    report = hub.exceptions.replay(ExceptionQuery(statuses=("resolved",)), by="dana")

    assert report.items == ()


async def test_a_resolved_exception_cannot_be_retried(hub: Hub) -> None:
    raised = await refused_once(hub)
    hub.exceptions.resolve(raised.exception_id, by="dana", note="booked by hand")

    with pytest.raises(ExceptionSettled):
        hub.exceptions.retry(raised.exception_id, by="dana")
    await hub.drain()
    assert booked(hub, "O-1") == ["O-1:create_sales_order"]


# ------------------------------------------------------------------ step exceptions


class Flawed:
    """Order-to-cash with a bug in how it applies one kind of message, until a fix is deployed."""

    def __init__(self, kind: str) -> None:
        self.inner = OrderToCash(POLICY)
        self.kind = kind
        self.fixed = False

    def decide(self, state: OrderState | None, message: Message, facts: Facts) -> Decision:
        if not self.fixed and getattr(message, "kind") == self.kind:  # noqa: B009
            raise RuntimeError(f"no rule for {self.kind}")
        return self.inner.decide(state, message, facts)


def quarantines(hub: Hub, order_id: str) -> list[str]:
    return [
        e.summary
        for e in hub.timeline(order_id)
        if e.kind == "exception" and e.summary.startswith("quarantined")
    ]


async def test_a_quarantined_step_is_one_exception_and_its_retry_lets_the_order_go_on(
    database_url: str,
) -> None:
    workflow = Flawed("milestone_reported")
    hub = Hub(database_url, step_attempts=3, workflow=workflow)
    order_id = hub.submit("O-1")
    await hub.drain()
    hub.report(order_id, "evt-1")
    for _ in range(5):
        hub.steps.run_batch()
    await hub.drain()

    [raised] = hub.exceptions_of(order_id)
    assert (raised.system, raised.source, raised.classification) == ("crossdock", "step", "step")
    assert (raised.operation, raised.error_type, raised.attempts) == (
        "milestone_reported",
        "RuntimeError",
        3,
    )
    assert raised.error == "RuntimeError: no rule for milestone_reported"
    assert raised.request["kind"] == "milestone_reported"
    assert raised.message_id is not None
    assert (raised.channel, raised.customer_id) == ("storefront", "C-A")
    assert len(quarantines(hub, order_id)) == 1
    assert hub.status(order_id) is S.RELEASED
    with pytest.raises(InvalidDocument):
        hub.exceptions.retry(raised.exception_id, by="dana", request={"kind": "x"})

    workflow.fixed = True  # the fix is deployed
    item = hub.exceptions.retry(raised.exception_id, by="dana")
    await hub.drain()

    assert (item.action, item.reason) == (
        "send",
        "release the quarantine and apply the message again",
    )
    assert hub.status(order_id) is S.CLOSED
    [replayed] = hub.exceptions_of(order_id)
    assert (replayed.exception_id, replayed.status) == (raised.exception_id, "replayed")
    again = hub.exceptions.retry(raised.exception_id, by="dana")
    assert (again.action, again.reason) == (
        "skip",
        "already done: the order's messages went through",
    )
    hub.close()


async def test_a_step_retried_before_its_fix_is_quarantined_again_under_the_same_exception(
    database_url: str,
) -> None:
    hub = Hub(database_url, step_attempts=2, workflow=Flawed("milestone_reported"))
    order_id = hub.submit("O-1")
    await hub.drain()
    hub.report(order_id, "evt-1")
    for _ in range(3):
        hub.steps.run_batch()
    [raised] = hub.exceptions_of(order_id)

    hub.exceptions.retry(raised.exception_id, by="dana")
    for _ in range(3):
        hub.steps.run_batch()

    [reopened] = hub.exceptions_of(order_id)
    assert reopened.exception_id == raised.exception_id
    assert (reopened.status, reopened.attempts, reopened.replays) == ("open", 4, 1)
    assert len(quarantines(hub, order_id)) == 2
    assert hub.status(order_id) is S.RELEASED
    hub.close()
