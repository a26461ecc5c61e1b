"""The delivery runner: store-and-forward to each external system (D5).

Each system has a durable queue. The runner asks the system's gate (pause, ``Retry-After``,
circuit breaker, concurrency and rate limits, all shared by every worker through the store) how
many deliveries may go, claims that many (a lease, so a killed worker's work is taken over when the
lease runs out), sends them through the system's gateway, and records each outcome in one
transaction: the result message for the workflow, the binding of the system's id to ours, the
timeline line, the delivery's new status and the gate's new state. Retryable failures back off by
the system's :class:`RetryPolicy`; a permanent failure, or a retryable one that ran out of attempts
or time, becomes an exception in the queue and a ``DeliveryFailed`` message to the order's
workflow — never a silent drop.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.orchestration.bindings import bindings_of
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.gateways import SystemGateway
from crossdock.orchestration.log_context import bound
from crossdock.orchestration.messages import DELIVERY_COMMAND, DeliveryFailed, Message
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store import DeliveryRecord, Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import Binding, ExceptionRecord
from crossdock.orchestration.system_gate import (
    Observation,
    Signal,
    admit,
    healthy,
    observe,
    send_offsets,
    spend,
    until_token,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    record: DeliveryRecord
    duration_ms: float
    result: Message | None = None
    error: str = ""
    error_type: str = ""
    retryable: bool = False
    retry_after: float | None = None
    signal: Signal = "success"
    """What the attempt says about the system's health (for its circuit breaker)."""

    @property
    def ok(self) -> bool:
        """The system accepted the command."""
        return not self.error


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What one round for a system did."""

    attempted: int
    messages: int
    blocked: bool = False
    """The gate let nothing through (paused, throttled, open circuit, limits)."""
    ready_at: datetime | None = None
    """When the gate may let the next delivery through: the end of a wait when blocked, the next
    rate-limit token after a claim. None: nothing to wait for (or only a person can open it)."""
    send_at: tuple[datetime, ...] = ()
    """When each claimed delivery may leave (a rate-limited claim reserves tokens ahead)."""


class DeliveryRunner:
    """Sends queued deliveries through their systems' gateways."""

    def __init__(
        self,
        store: Store,
        gateways: Mapping[str, SystemGateway],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        policies: Mapping[str, DeliveryPolicy] | None = None,
        concurrency: int = 16,
        lease: timedelta = timedelta(seconds=60),
        lookahead: timedelta = timedelta(milliseconds=100),
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.gateways = gateways
        self.clock = clock
        self.default_policy = DeliveryPolicy(retry=policy or RetryPolicy())
        self.policies = dict(policies or {})
        self.concurrency = concurrency
        self.lease = lease
        self.lookahead = lookahead
        self._throttled: dict[str, datetime] = {}
        """A 429's wait per system, known here the moment it arrives: the store learns it only
        when the round is recorded, and requests of this worker must not go before then."""
        self.rng = rng or random.Random()

    def policy_for(self, system: str) -> DeliveryPolicy:
        """The delivery policy of a system."""
        return self.policies.get(system, self.default_policy)

    async def run_once(self, system: str) -> DeliveryRound:
        """Claim and send one round of due deliveries for ``system``."""
        claimed, round_ = await self.claim(system, lookahead=timedelta(0))
        if not claimed:
            return round_
        messages = await self.send(system, claimed)
        return DeliveryRound(attempted=len(claimed), messages=messages, ready_at=round_.ready_at)

    async def claim(
        self, system: str, *, lookahead: timedelta | None = None
    ) -> tuple[list[DeliveryRecord], DeliveryRound]:
        """Claim what the system's gate lets through now, or under a rate limit within
        ``lookahead`` (the runner's by default); leased, so send them within the lease."""
        ahead = self.lookahead if lookahead is None else lookahead
        return await self.store.run(self._claim, system, ahead)

    async def send(
        self,
        system: str,
        claimed: Sequence[DeliveryRecord],
        send_at: Sequence[datetime] = (),
    ) -> int:
        """Send claimed deliveries, each not before its ``send_at``, and record their outcomes;
        how many messages that made."""
        gateway = self.gateways.get(system)
        times: list[datetime | None] = [*send_at] if send_at else [None] * len(claimed)
        outcomes = await asyncio.gather(
            *(self._paced(gateway, record, at) for record, at in zip(claimed, times, strict=True))
        )
        return await self.store.run(self._record, system, outcomes)

    async def _paced(
        self, gateway: SystemGateway | None, record: DeliveryRecord, at: datetime | None
    ) -> Outcome:
        if at is not None:
            wait = (at - self.clock.now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
        until = self._throttled.get(record.system)
        if until is not None and (wait := (until - self.clock.now()).total_seconds()) > 0:
            # A sibling request was just told to wait: this one waits too (the system's
            # Retry-After is for every request to it, not only the refused one).
            await asyncio.sleep(wait)
        # Each attempt runs in a task of its own: the ids bound here stay with this attempt.
        with bound(correlation_id=record.order_id, causation_id=record.delivery_id):
            outcome = await self._attempt(gateway, record)
        if outcome.signal == "throttled":
            pause = timedelta(seconds=outcome.retry_after or 1.0)
            until = self.clock.now() + pause
            known = self._throttled.get(record.system)
            self._throttled[record.system] = until if known is None else max(known, until)
        return outcome

    def _claim(
        self, system: str, lookahead: timedelta = timedelta(0)
    ) -> tuple[list[DeliveryRecord], DeliveryRound]:
        now = self.clock.now()
        policy = self.policy_for(system)
        throttled = self._throttled.get(system)
        if throttled is not None and throttled > now:
            return [], DeliveryRound(attempted=0, messages=0, blocked=True, ready_at=throttled)
        with self.store.unit_of_work() as uow:
            state = uow.systems.get(system, for_update=True)
            admission = admit(
                state,
                policy,
                now,
                in_flight=uow.deliveries.in_flight(system, now),
                wanted=self.concurrency,
                lookahead=lookahead,
            )
            claimed: list[DeliveryRecord] = []
            if admission.allowed:
                claimed = uow.deliveries.claim(system, admission.allowed, now, now + self.lease)
            after = spend(admission.state, policy, len(claimed))
            # A refill alone is not saved: it follows from the stored tokens and their time.
            if claimed or after.breaker != state.breaker:
                uow.systems.save(after)
            if admission.probe and claimed:
                probe = f"circuit to {system} half-open: this delivery is the probe"
                self._system_line(uow, claimed[0], probe, now)
        if admission.allowed == 0:
            ready_at = None if admission.wait is None else now + admission.wait
            return [], DeliveryRound(attempted=0, messages=0, blocked=True, ready_at=ready_at)
        next_token = until_token(after, policy)
        ready_at = None if next_token is None else now + next_token
        send_at = tuple(
            now + offset for offset in send_offsets(admission.state, policy, len(claimed))
        )
        return claimed, DeliveryRound(attempted=0, messages=0, ready_at=ready_at, send_at=send_at)

    @staticmethod
    def _system_line(uow: UnitOfWork, record: DeliveryRecord, summary: str, now: datetime) -> None:
        """A change of the system's gate, on the timeline of the order whose delivery caused it."""
        uow.timeline.append(
            [
                TimelineEntry(
                    order_id=record.order_id,
                    at=now,
                    kind="system",
                    system=record.system,
                    summary=summary,
                    correlation_id=record.order_id,
                    causation_id=record.delivery_id,
                )
            ]
        )

    async def _attempt(self, gateway: SystemGateway | None, record: DeliveryRecord) -> Outcome:
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 2)

        if gateway is None:
            error = f"no connector is configured for {record.system}"
            return Outcome(record, 0.0, error=error, error_type="no_connector", signal="refused")
        try:
            command = DELIVERY_COMMAND.validate_python(record.command)
            result = await gateway.deliver(command)
        except RetryableError as exc:
            signal: Signal = "failure"
            if exc.throttled:
                signal = "throttled"
            elif exc.code == "http_423":  # one record is locked: the system itself is fine
                signal = "refused"
            return Outcome(
                record,
                elapsed(),
                error=str(exc),
                error_type=exc.code,
                retryable=True,
                retry_after=exc.retry_after,
                signal=signal,
            )
        except PermanentError as exc:
            return Outcome(record, elapsed(), error=str(exc), error_type=exc.code, signal="refused")
        except Exception as exc:  # a connector bug: retried, and visible on the timeline
            return Outcome(
                record,
                elapsed(),
                error=f"{exc.__class__.__name__}: {exc}",
                error_type="connector_bug",
                retryable=True,
                signal="refused",
            )
        return Outcome(record, elapsed(), result=result)

    def _record(self, system: str, outcomes: Sequence[Outcome]) -> int:
        now = self.clock.now()
        messages = 0
        policy = self.policy_for(system)
        with self.store.unit_of_work() as uow:
            self._observe(uow, system, policy, outcomes, now)
            timeline: list[TimelineEntry] = []
            for outcome in outcomes:
                record = outcome.record
                what = f"{record.operation} to {record.system}, attempt {record.attempts}"
                detail: dict[str, object] = {
                    "delivery_id": record.delivery_id,
                    "idempotency_key": record.idempotency_key,
                    "attempt": record.attempts,
                    "duration_ms": outcome.duration_ms,
                    "request": record.command,
                }
                message: Message | None = None
                if outcome.ok:
                    uow.deliveries.complete(record.delivery_id, now)
                    message = outcome.result
                    summary = f"{what}: accepted"
                    if message is not None:
                        detail["response"] = message.model_dump(mode="json")
                        for bound_system, kind, external_id in bindings_of(message):
                            uow.bindings.bind(
                                Binding(
                                    order_id=record.order_id,
                                    system=bound_system,
                                    kind=kind,
                                    external_id=external_id,
                                    bound_at=now,
                                )
                            )
                else:
                    detail["error"] = outcome.error
                    detail["error_type"] = outcome.error_type
                    retry = policy.retry
                    wait = retry.backoff(record.attempts, self.rng)
                    if outcome.retry_after is not None:
                        asked = timedelta(seconds=outcome.retry_after)
                        # Throttled, the system said exactly when to come back; otherwise its
                        # Retry-After is a floor under our own backoff.
                        wait = asked if outcome.signal == "throttled" else max(wait, asked)
                    out_of_time = now + wait > record.created_at + retry.deadline
                    # A 429 is the system asking us to wait, not a failure: it spends no attempt
                    # of the retry policy (the deadline still bounds the delivery).
                    attempts_left = (
                        outcome.signal == "throttled" or record.attempts < retry.max_attempts
                    )
                    if outcome.retryable and attempts_left and not out_of_time:
                        uow.deliveries.retry_later(record.delivery_id, now + wait, outcome.error)
                        summary = (
                            f"{what} failed, retry in {wait.total_seconds():.1f}s: {outcome.error}"
                        )
                    else:
                        uow.deliveries.fail(record.delivery_id, outcome.error, now)
                        classification = "exhausted" if outcome.retryable else "permanent"
                        summary = f"{what} failed ({classification}): {outcome.error}"
                        raised = self._raise(uow, outcome, classification, now)
                        detail["exception_id"] = raised.exception_id
                        message = DeliveryFailed(
                            delivery_id=record.delivery_id,
                            system=record.system,
                            operation=record.operation,
                            reason=outcome.error,
                            classification=classification,
                        )
                timeline.append(
                    TimelineEntry(
                        order_id=record.order_id,
                        at=now,
                        kind="exception" if isinstance(message, DeliveryFailed) else "delivery",
                        system=record.system,
                        summary=summary,
                        correlation_id=record.order_id,
                        causation_id=record.causation_id,
                        detail=detail,
                    )
                )
                if message is not None:
                    stored = uow.inbox.append(
                        order_id=record.order_id,
                        kind=str(getattr(message, "kind")),  # noqa: B009
                        body=message.model_dump(mode="json"),
                        source=record.system,
                        # Attempts count again from 1 when an operator re-arms a failed delivery;
                        # the causation id (the message that re-armed it) keeps each arming apart.
                        dedupe_key=(
                            f"delivery:{record.delivery_id}:{record.causation_id}:{record.attempts}"
                        ),
                        causation_id=record.delivery_id,
                        now=now,
                    )
                    messages += stored is not None
            uow.timeline.append(timeline)
        return messages

    def _observe(
        self,
        uow: UnitOfWork,
        system: str,
        policy: DeliveryPolicy,
        outcomes: Sequence[Outcome],
        now: datetime,
    ) -> None:
        """Feed the round's results to the system's gate; a circuit that closes drains at once."""
        observations = [Observation(o.signal, o.retry_after) for o in outcomes]
        if all(o.signal == "success" for o in observations) and healthy(uow.systems.get(system)):
            # The common case changes nothing that matters: no lock, no write.
            return
        state = uow.systems.get(system, for_update=True)
        after, transitions = observe(state, policy, now, observations)
        if after == state:
            return
        uow.systems.save(after)
        # Each transition goes on the timeline of the order whose attempt caused it.
        for index, change in transitions:
            self._system_line(uow, outcomes[index].record, change, now)
        if after.breaker == "closed":
            uow.deliveries.expedite(system, now)

    @staticmethod
    def _raise(
        uow: UnitOfWork, outcome: Outcome, classification: str, now: datetime
    ) -> ExceptionRecord:
        record = outcome.record
        order = uow.orders.get(record.order_id)
        return uow.exceptions.raise_exception(
            ExceptionRecord(
                exception_id="",
                order_id=record.order_id,
                system=record.system,
                operation=record.operation,
                source="delivery",
                delivery_id=record.delivery_id,
                request=record.command,
                error=outcome.error,
                error_type=outcome.error_type or classification,
                classification="exhausted" if classification == "exhausted" else "permanent",
                attempts=record.attempts,
                first_seen=record.created_at,
                last_seen=now,
                channel="" if order is None else order.channel,
                customer_id="" if order is None else order.customer_id,
            )
        )
