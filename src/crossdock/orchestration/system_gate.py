"""The gate in front of each external system: pause, ``Retry-After``, circuit breaker, limits.

Pure functions over a :class:`~.store_ops.SystemState`; the delivery runner loads the state with a
row lock, asks :func:`admit` how many deliveries may go, claims that many, and after the attempts
feeds their results to :func:`observe`, in the store, so every worker sees one breaker::

    closed ──(N consecutive failures, or the failure rate over the window)──▶ open
      ▲                                                                         │ open_for
      └───────────── the probe succeeds ◀── half_open (one probe) ◀─────────────┘
                                                 │ the probe fails
                                                 └──────────────▶ open again

Only failures that say the system is unwell count (5xx, timeouts, connection errors). A 429 slows
the system down (nothing goes before its ``Retry-After``) without counting against its health;
a validation refusal (4xx) shows the system is up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.store_ops import SystemState

Signal = Literal["success", "failure", "throttled", "refused"]
"""What one attempt says about the system: it worked; it is unwell; slow down; it said no."""


@dataclass(frozen=True, slots=True)
class Admission:
    """How many deliveries may go now, and the state after letting them."""

    allowed: int
    state: SystemState
    probe: bool = False
    """The one delivery allowed is the half-open circuit's probe."""
    wait: timedelta | None = None
    """When none may go: how long until one may (None: until someone changes the state)."""
    transition: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """One attempt's signal; ``retry_after`` in seconds when the system asked for a pause."""

    signal: Signal
    retry_after: float | None = None


def _refill(state: SystemState, policy: DeliveryPolicy, now: datetime) -> SystemState:
    rate = policy.rate_limit_per_s
    if rate <= 0:
        return state
    burst = float(policy.rate_limit_burst)
    if state.tokens_at is None:
        return replace(state, tokens=burst, tokens_at=now)
    elapsed = max((now - state.tokens_at).total_seconds(), 0.0)
    return replace(state, tokens=min(burst, state.tokens + elapsed * rate), tokens_at=now)


def admit(
    state: SystemState,
    policy: DeliveryPolicy,
    now: datetime,
    *,
    in_flight: int,
    wanted: int,
    lookahead: timedelta = timedelta(0),
) -> Admission:
    """How many of ``wanted`` due deliveries may be sent now — or, under a rate limit, within
    ``lookahead``: the tokens of the next moments are reserved, and :func:`send_offsets` says when
    each of those deliveries may leave, so one claim can pace several requests."""
    if state.paused:
        return Admission(0, state)
    if state.throttled_until is not None and state.throttled_until > now:
        return Admission(0, state, wait=state.throttled_until - now)
    transition = ""
    if state.breaker == "open":
        if state.probe_at is not None and state.probe_at > now:
            return Admission(0, state, wait=state.probe_at - now)
        transition = f"circuit to {state.system} half-open: one probe goes through"
        state = replace(state, breaker="half_open", changed_at=now, last_change=transition)
    if state.breaker == "half_open":
        # One probe at a time; a probe whose worker died is retried when its lease runs out.
        allowed = 1 if in_flight == 0 and wanted > 0 else 0
        return Admission(allowed, state, probe=allowed == 1, transition=transition)
    state = _refill(state, policy, now)
    room = max(policy.concurrency - in_flight, 0)
    allowed = min(wanted, room)
    wait: timedelta | None = None
    if policy.rate_limit_per_s > 0:
        ahead = lookahead.total_seconds() * policy.rate_limit_per_s
        tokens = math.floor(state.tokens + ahead + 1e-9) if state.tokens >= 1 - 1e-9 else 0
        if tokens < allowed:
            allowed = tokens
        if allowed == 0 and room > 0:
            wait = until_token(state, policy)
    return Admission(allowed, state, wait=wait)


def until_token(state: SystemState, policy: DeliveryPolicy) -> timedelta | None:
    """How long until the rate limit's bucket holds a whole token (None: no rate limit).

    Rounded up to the microsecond: after waiting this long a token is there, never a wait of zero
    that would spin."""
    if policy.rate_limit_per_s <= 0:
        return None
    seconds = max(1.0 - state.tokens, 0.0) / policy.rate_limit_per_s
    return timedelta(microseconds=max(math.ceil(seconds * 1_000_000), 1))


def spend(state: SystemState, policy: DeliveryPolicy, sent: int) -> SystemState:
    """Take ``sent`` tokens from the rate limit's bucket (below zero: tokens reserved ahead)."""
    if policy.rate_limit_per_s <= 0 or sent == 0:
        return state
    return replace(state, tokens=state.tokens - sent)


def send_offsets(state: SystemState, policy: DeliveryPolicy, sent: int) -> list[timedelta]:
    """When each of ``sent`` admitted deliveries may leave, from the moment of the claim: at once
    for a token in the bucket, later for one reserved ahead (one per ``1 / rate`` seconds)."""
    rate = policy.rate_limit_per_s
    if rate <= 0:
        return [timedelta(0)] * sent
    offsets = []
    for n in range(1, sent + 1):
        seconds = max(n - state.tokens, 0.0) / rate
        offsets.append(timedelta(microseconds=math.ceil(seconds * 1_000_000)))
    return offsets


def healthy(state: SystemState) -> bool:
    """A closed circuit with no failure counted: successes alone would change nothing."""
    return (
        state.breaker == "closed" and state.consecutive_failures == 0 and state.window_failures == 0
    )


def observe(
    state: SystemState,
    policy: DeliveryPolicy,
    now: datetime,
    observations: Sequence[Observation],
) -> tuple[SystemState, list[tuple[int, str]]]:
    """The state after a round's attempts, and the breaker transitions they caused, each with
    the index of the observation that caused it."""
    breaker = policy.breaker
    transitions: list[tuple[int, str]] = []
    if state.window_started_at is None or now - state.window_started_at >= breaker.window:
        state = replace(state, window_started_at=now, window_calls=0, window_failures=0)
    for index, seen in enumerate(observations):
        if seen.signal == "throttled":
            pause = timedelta(seconds=seen.retry_after if seen.retry_after is not None else 1.0)
            until = now + pause
            if state.throttled_until is None or until > state.throttled_until:
                state = replace(state, throttled_until=until)
            continue
        calls = state.window_calls + 1
        if seen.signal in ("success", "refused"):
            if healthy(state):
                # While no call in the window failed, calls are not counted (so the happy path
                # writes nothing): the failure rate is over the calls since the window's first
                # failure, which can only make it higher, never hide an outage.
                continue
            state = replace(state, consecutive_failures=0, window_calls=calls)
            if state.breaker == "half_open":
                change = f"circuit to {state.system} closed: the probe succeeded"
                state = replace(
                    state,
                    breaker="closed",
                    opened_at=None,
                    probe_at=None,
                    window_started_at=now,
                    window_calls=0,
                    window_failures=0,
                    changed_at=now,
                    last_change=change,
                )
                transitions.append((index, change))
            continue
        failures = state.window_failures + 1
        consecutive = state.consecutive_failures + 1
        state = replace(
            state, consecutive_failures=consecutive, window_calls=calls, window_failures=failures
        )
        reason = ""
        if state.breaker == "half_open":
            reason = "the probe failed"
        elif state.breaker == "closed":
            if consecutive >= breaker.failure_threshold:
                reason = f"{consecutive} consecutive failures"
            elif calls >= breaker.min_calls and failures / calls >= breaker.failure_rate:
                reason = f"{failures} of {calls} calls failed within {breaker.window}"
        if reason:
            change = (
                f"circuit to {state.system} opened: {reason}; "
                f"a probe in {breaker.open_for.total_seconds():g}s"
            )
            state = replace(
                state,
                breaker="open",
                opened_at=now,
                probe_at=now + breaker.open_for,
                changed_at=now,
                last_change=change,
            )
            transitions.append((index, change))
    return state, transitions
