"""The delivery runner: store-and-forward to each external system (D5).

Each system has a durable queue. The runner claims due deliveries (a lease, so a killed worker's
work is taken over when the lease runs out), sends them through the system's gateway, and records
each outcome in one transaction: the result message for the workflow, the timeline line, and the
delivery's new status. Retryable failures back off by the :class:`RetryPolicy`; a permanent failure,
or a retryable one that ran out of attempts or time, becomes a ``DeliveryFailed`` message to the
order's workflow — never a silent drop.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.gateways import SystemGateway
from crossdock.orchestration.messages import DELIVERY_COMMAND, DeliveryFailed, Message
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store import DeliveryRecord, Store, TimelineEntry


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    record: DeliveryRecord
    duration_ms: float
    result: Message | None = None
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """The system accepted the command."""
        return not self.error


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What one round for a system did."""

    attempted: int
    messages: int


class DeliveryRunner:
    """Sends queued deliveries through their systems' gateways."""

    def __init__(
        self,
        store: Store,
        gateways: Mapping[str, SystemGateway],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        policies: Mapping[str, RetryPolicy] | None = None,
        concurrency: int = 16,
        lease: timedelta = timedelta(seconds=60),
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.gateways = gateways
        self.clock = clock
        self.default_policy = policy or RetryPolicy()
        self.policies = dict(policies or {})
        self.concurrency = concurrency
        self.lease = lease
        self.rng = rng or random.Random()

    def policy_for(self, system: str) -> RetryPolicy:
        """The retry policy of a system."""
        return self.policies.get(system, self.default_policy)

    async def run_once(self, system: str) -> DeliveryRound:
        """Claim and send one round of due deliveries for ``system``."""
        claimed = await self.store.run(self._claim, system)
        if not claimed:
            return DeliveryRound(attempted=0, messages=0)
        gateway = self.gateways.get(system)
        outcomes = await asyncio.gather(*(self._attempt(gateway, record) for record in claimed))
        messages = await self.store.run(self._record, outcomes)
        return DeliveryRound(attempted=len(claimed), messages=messages)

    def _claim(self, system: str) -> list[DeliveryRecord]:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            return uow.deliveries.claim(system, self.concurrency, now, now + self.lease)

    async def _attempt(self, gateway: SystemGateway | None, record: DeliveryRecord) -> Outcome:
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 2)

        if gateway is None:
            return Outcome(record, 0.0, error=f"no connector is configured for {record.system}")
        try:
            command = DELIVERY_COMMAND.validate_python(record.command)
            result = await gateway.deliver(command)
        except RetryableError as exc:
            return Outcome(
                record, elapsed(), error=str(exc), retryable=True, retry_after=exc.retry_after
            )
        except PermanentError as exc:
            return Outcome(record, elapsed(), error=str(exc))
        except Exception as exc:  # a connector bug: retried, and visible on the timeline
            return Outcome(
                record, elapsed(), error=f"{exc.__class__.__name__}: {exc}", retryable=True
            )
        return Outcome(record, elapsed(), result=result)

    def _record(self, outcomes: Sequence[Outcome]) -> int:
        now = self.clock.now()
        messages = 0
        with self.store.unit_of_work() as uow:
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
                else:
                    detail["error"] = outcome.error
                    policy = self.policy_for(record.system)
                    wait = policy.backoff(record.attempts, self.rng)
                    if outcome.retry_after is not None:
                        wait = max(wait, timedelta(seconds=outcome.retry_after))
                    out_of_time = now + wait > record.created_at + policy.deadline
                    if (
                        outcome.retryable
                        and record.attempts < policy.max_attempts
                        and not out_of_time
                    ):
                        uow.deliveries.retry_later(record.delivery_id, now + wait, outcome.error)
                        summary = (
                            f"{what} failed, retry in {wait.total_seconds():.1f}s: {outcome.error}"
                        )
                    else:
                        uow.deliveries.fail(record.delivery_id, outcome.error, now)
                        classification = "exhausted" if outcome.retryable else "permanent"
                        summary = f"{what} failed ({classification}): {outcome.error}"
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
