"""The timer poller: turns due workflow timers into ``DeadlineReached`` messages."""

from __future__ import annotations

from crossdock.orchestration.clock import Clock
from crossdock.orchestration.messages import DeadlineReached
from crossdock.orchestration.store import Store


class TimerPoller:
    """Fires due timers exactly once: taking a timer and queueing its message commit together."""

    def __init__(self, store: Store, clock: Clock, *, batch_size: int = 256) -> None:
        self.store = store
        self.clock = clock
        self.batch_size = batch_size

    def fire_due(self) -> int:
        """Queue a message for every timer due now; returns how many fired."""
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            due = uow.timers.take_due(now, self.batch_size)
            for order_id, name in due:
                message = DeadlineReached(timer=name)
                uow.inbox.append(
                    order_id=order_id,
                    kind=message.kind,
                    body=message.model_dump(mode="json"),
                    source="timer",
                    dedupe_key=None,
                    causation_id=f"timer:{name}",
                    now=now,
                )
            return len(due)

    def seconds_until_next(self) -> float | None:
        """Seconds until the earliest timer is due, or None when there is none."""
        with self.store.unit_of_work(write=False) as uow:
            due = uow.timers.next_due()
        if due is None:
            return None
        return max((due - self.clock.now()).total_seconds(), 0.0)
