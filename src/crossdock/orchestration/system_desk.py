"""The systems desk: each external system's health and backlog, and pausing or resuming it.

A paused system's deliveries wait in its queue (store-and-forward); on resume they drain in
order, one line per order, within the system's limits. Pausing is shared by every worker: the
flag lives with the breaker in the system's stored state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from crossdock.core.errors import BusinessRuleViolation
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.store import Store
from crossdock.orchestration.store_ops import UNSETTLED, BreakerState, SystemState
from crossdock.orchestration.wakeups import Wakeups

T = TypeVar("T")


class UnknownSystem(BusinessRuleViolation):
    """The estate has no system of this name."""

    def __init__(self, system: str, known: Sequence[str]) -> None:
        self.system = system
        super().__init__(f"no system {system!r}; the estate has {', '.join(known)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemStatus:
    """One system as an operator sees it."""

    system: str
    breaker: BreakerState
    paused: bool
    paused_by: str
    paused_reason: str
    throttled_until: datetime | None
    probe_at: datetime | None
    consecutive_failures: int
    changed_at: datetime | None
    last_change: str
    pending: int
    """Deliveries waiting (the backlog), the ones in flight included."""
    in_flight: int
    failed: int
    open_exceptions: int
    concurrency: int
    rate_limit_per_s: float


class SystemsDesk:
    """Reads and operator actions on the estate's systems."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        wakeups: Wakeups,
        policies: Mapping[str, DeliveryPolicy],
    ) -> None:
        self.store = store
        self.clock = clock
        self.wakeups = wakeups
        self.policies = dict(policies)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a desk method off the event loop, on the store's worker thread(s)."""
        return await self.store.run(functools.partial(fn, *args, **kwargs))

    @property
    def systems(self) -> list[str]:
        """The estate's systems, by name."""
        return sorted(self.policies)

    def status(self) -> list[SystemStatus]:
        """Every system's breaker, pause, backlog and exceptions."""
        now = self.clock.now()
        with self.store.unit_of_work(write=False) as uow:
            counts = uow.deliveries.counts()
            exceptions = uow.exceptions.counts()
            states = {state.system: state for state in uow.systems.all()}
            in_flight = {name: uow.deliveries.in_flight(name, now) for name in self.systems}
        statuses = []
        for name in self.systems:
            state = states.get(name) or SystemState(system=name)
            by_status = counts.get(name, {})
            policy = self.policies[name]
            statuses.append(
                SystemStatus(
                    system=name,
                    breaker=state.breaker,
                    paused=state.paused,
                    paused_by=state.paused_by,
                    paused_reason=state.paused_reason,
                    throttled_until=(
                        state.throttled_until
                        if state.throttled_until and state.throttled_until > now
                        else None
                    ),
                    probe_at=state.probe_at if state.breaker == "open" else None,
                    consecutive_failures=state.consecutive_failures,
                    changed_at=state.changed_at,
                    last_change=state.last_change,
                    pending=by_status.get("pending", 0) + by_status.get("in_flight", 0),
                    in_flight=in_flight[name],
                    failed=by_status.get("failed", 0),
                    open_exceptions=sum(exceptions.get(name, {}).get(s, 0) for s in UNSETTLED),
                    concurrency=policy.concurrency,
                    rate_limit_per_s=policy.rate_limit_per_s,
                )
            )
        return statuses

    def get(self, system: str) -> SystemStatus:
        """One system's status."""
        self._check(system)
        return next(status for status in self.status() if status.system == system)

    def pause(self, system: str, *, by: str, reason: str = "") -> SystemStatus:
        """Stop sending to ``system``; its deliveries wait in its queue."""
        self._set_paused(system, True, by, reason)
        return self.get(system)

    def resume(self, system: str, *, by: str) -> SystemStatus:
        """Send to ``system`` again; its backlog drains in order."""
        self._set_paused(system, False, by, "")
        self.wakeups.notify(f"delivery:{system}")
        return self.get(system)

    def _check(self, system: str) -> None:
        if system not in self.policies:
            raise UnknownSystem(system, self.systems)

    def _set_paused(self, system: str, paused: bool, by: str, reason: str) -> None:
        self._check(system)
        now = self.clock.now()
        what = "paused" if paused else "resumed"
        change = f"{system} {what} by {by}" + (f": {reason}" if reason else "")
        with self.store.unit_of_work() as uow:
            state = uow.systems.get(system, for_update=True)
            uow.systems.save(
                replace(
                    state,
                    paused=paused,
                    paused_by=by if paused else "",
                    paused_reason=reason if paused else "",
                    changed_at=now,
                    last_change=change,
                )
            )
