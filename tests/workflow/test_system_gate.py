"""The gate in front of each system, as pure functions: pause, ``Retry-After``, breaker, limits.

No store and no clock: each test builds a :class:`SystemState`, feeds :func:`observe` the
signals a round of attempts gave, and asks :func:`admit` how many deliveries may go, and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.orchestration.delivery_policy import BreakerPolicy, DeliveryPolicy
from crossdock.orchestration.store_ops import SystemState
from crossdock.orchestration.system_gate import (
    Admission,
    Observation,
    Signal,
    admit,
    observe,
    send_offsets,
    spend,
    until_token,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SYSTEM = "erp"
OPEN_FOR = timedelta(seconds=30)
WINDOW = timedelta(seconds=60)
POLICY = DeliveryPolicy(
    breaker=BreakerPolicy(
        failure_threshold=3, failure_rate=0.5, min_calls=10, window=WINDOW, open_for=OPEN_FOR
    ),
    concurrency=4,
)
BY_RATE = POLICY.model_copy(
    update={"breaker": POLICY.breaker.model_copy(update={"failure_threshold": 100})}
)
"""Consecutive failures never open this one: only the failure rate does."""
CLOSED = SystemState(system=SYSTEM)
US = timedelta(microseconds=1)


def seen(
    state: SystemState,
    *signals: Signal,
    at: datetime = T0,
    policy: DeliveryPolicy = POLICY,
    retry_after: float | None = None,
) -> tuple[SystemState, list[str]]:
    """One round of attempts, all answered at ``at``; the transitions' texts."""
    state, changed = observe(state, policy, at, [Observation(s, retry_after) for s in signals])
    return state, [text for _, text in changed]


def repeat(n: int, *signals: Signal) -> list[Signal]:
    """``signals``, ``n`` times over."""
    return list(signals) * n


def one_by_one(
    state: SystemState, signals: Sequence[Signal], *, policy: DeliveryPolicy = POLICY
) -> tuple[SystemState, list[str]]:
    """Each signal in a round of its own, a second apart; every transition they caused."""
    transitions: list[str] = []
    for n, signal in enumerate(signals):
        state, changed = seen(state, signal, at=T0 + timedelta(seconds=n), policy=policy)
        transitions += changed
    return state, transitions


def admitted(
    state: SystemState,
    at: datetime = T0,
    *,
    in_flight: int = 0,
    wanted: int = 16,
    policy: DeliveryPolicy = POLICY,
) -> Admission:
    return admit(state, policy, at, in_flight=in_flight, wanted=wanted)


def opened_at_t0() -> SystemState:
    state, _ = seen(CLOSED, "failure", "failure", "failure")
    assert state.breaker == "open"
    return state


# ------------------------------------------------------------------ opening


def test_the_circuit_stays_closed_after_one_failure_fewer_than_the_threshold() -> None:
    state, transitions = seen(CLOSED, "failure", "failure")

    assert (state.breaker, state.consecutive_failures, transitions) == ("closed", 2, [])
    assert admitted(state).allowed == 4


def test_the_circuit_opens_at_exactly_the_threshold_of_consecutive_failures() -> None:
    state, transitions = one_by_one(CLOSED, ["failure", "failure", "failure"])

    assert state.breaker == "open"
    assert transitions == ["circuit to erp opened: 3 consecutive failures; a probe in 30s"]
    opened = T0 + timedelta(seconds=2)
    assert (state.opened_at, state.probe_at) == (opened, opened + OPEN_FOR)
    assert state.last_change == transitions[0]
    refused = admitted(state, opened)
    assert (refused.allowed, refused.wait) == (0, OPEN_FOR)


def test_a_success_between_failures_starts_the_count_again() -> None:
    state, transitions = one_by_one(CLOSED, ["failure", "failure", "success", "failure", "failure"])

    assert (state.breaker, state.consecutive_failures, transitions) == ("closed", 2, [])


def test_a_refusal_shows_the_system_is_up_and_never_opens_the_circuit() -> None:
    state, transitions = one_by_one(CLOSED, ["failure", "failure", "refused", "failure"])
    assert (state.breaker, state.consecutive_failures) == ("closed", 1)

    state, transitions = one_by_one(CLOSED, repeat(50, "refused"))
    assert (state.breaker, state.consecutive_failures, transitions) == ("closed", 0, [])


def test_failures_past_the_threshold_in_one_round_open_the_circuit_once() -> None:
    state, transitions = seen(CLOSED, *repeat(6, "failure"))

    assert state.breaker == "open"
    assert transitions == ["circuit to erp opened: 3 consecutive failures; a probe in 30s"]


def test_the_failure_rate_opens_the_circuit_only_once_min_calls_were_made() -> None:
    # 5 of 9 calls failed (over half), never two in a row: too few calls to judge by rate.
    nine: list[Signal] = [*repeat(4, "failure", "success"), "failure"]
    state, transitions = one_by_one(CLOSED, nine, policy=BY_RATE)
    assert (state.breaker, state.window_calls, state.window_failures) == ("closed", 9, 5)

    state, transitions = seen(state, "success", at=T0 + timedelta(seconds=9), policy=BY_RATE)
    assert state.breaker == "closed"  # 5 of 10: the rate is reached only by a failure

    state, transitions = seen(state, "failure", at=T0 + timedelta(seconds=10), policy=BY_RATE)
    assert state.breaker == "open"
    assert transitions[0].startswith("circuit to erp opened: 6 of 11 calls failed within")


def test_the_failure_rate_counts_only_the_calls_of_the_current_window() -> None:
    nine: list[Signal] = [*repeat(4, "failure", "success"), "failure"]
    state, _ = one_by_one(CLOSED, nine, policy=BY_RATE)

    later = T0 + WINDOW + timedelta(seconds=1)
    state, transitions = seen(state, "failure", at=later, policy=BY_RATE)

    assert (state.breaker, state.window_calls, state.window_failures) == ("closed", 1, 1)
    assert transitions == []


def test_successes_of_a_healthy_system_change_nothing_that_must_be_stored() -> None:
    healthy = replace(CLOSED, window_started_at=T0)

    state, transitions = seen(healthy, *repeat(20, "success"), at=T0 + timedelta(seconds=1))

    assert (state, transitions) == (healthy, [])


# ------------------------------------------------------------------ open, half-open


def test_an_open_circuit_admits_nothing_until_its_probe_is_due() -> None:
    state = opened_at_t0()

    for gone in (timedelta(0), timedelta(seconds=10), OPEN_FOR - US):
        refused = admitted(state, T0 + gone)
        assert (refused.allowed, refused.wait) == (0, OPEN_FOR - gone)
        assert refused.state == state


def test_once_due_exactly_one_probe_goes_however_many_are_waiting() -> None:
    probe = admitted(opened_at_t0(), T0 + OPEN_FOR, wanted=16)

    assert (probe.allowed, probe.probe) == (1, True)
    assert probe.state.breaker == "half_open"
    assert probe.transition == "circuit to erp half-open: one probe goes through"


def test_no_second_probe_goes_while_the_first_is_in_flight() -> None:
    half_open = admitted(opened_at_t0(), T0 + OPEN_FOR).state

    later = T0 + OPEN_FOR + timedelta(minutes=5)
    assert admitted(half_open, later, in_flight=1).allowed == 0
    assert admitted(half_open, later, in_flight=0, wanted=0).allowed == 0
    # The probe's worker died: its lease ran out, so nothing is in flight and another may go.
    again = admitted(half_open, later, in_flight=0)
    assert (again.allowed, again.probe, again.transition) == (1, True, "")


def test_a_probe_that_succeeds_closes_the_circuit_and_the_limits_apply_again() -> None:
    half_open = admitted(opened_at_t0(), T0 + OPEN_FOR).state

    state, transitions = seen(half_open, "success", at=T0 + OPEN_FOR)

    assert transitions == ["circuit to erp closed: the probe succeeded"]
    assert (state.breaker, state.consecutive_failures, state.probe_at) == ("closed", 0, None)
    assert admitted(state, T0 + OPEN_FOR).allowed == POLICY.concurrency


def test_a_probe_the_system_refuses_still_shows_it_is_up_and_closes_the_circuit() -> None:
    half_open = admitted(opened_at_t0(), T0 + OPEN_FOR).state

    state, transitions = seen(half_open, "refused", at=T0 + OPEN_FOR)

    assert state.breaker == "closed"
    assert transitions == ["circuit to erp closed: the probe succeeded"]


def test_a_probe_that_fails_opens_the_circuit_again_with_a_new_probe_time() -> None:
    half_open = admitted(opened_at_t0(), T0 + OPEN_FOR).state
    failed_at = T0 + OPEN_FOR + timedelta(seconds=5)

    state, transitions = seen(half_open, "failure", at=failed_at)

    assert transitions == ["circuit to erp opened: the probe failed; a probe in 30s"]
    assert (state.breaker, state.opened_at, state.probe_at) == (
        "open",
        failed_at,
        failed_at + OPEN_FOR,
    )
    assert admitted(state, failed_at + OPEN_FOR - US).allowed == 0
    assert admitted(state, failed_at + OPEN_FOR).probe


def test_a_closed_circuit_needs_the_full_threshold_again_to_reopen() -> None:
    half_open = admitted(opened_at_t0(), T0 + OPEN_FOR).state
    closed, _ = seen(half_open, "success", at=T0 + OPEN_FOR)

    state, transitions = seen(closed, "failure", "failure", at=T0 + OPEN_FOR)

    assert (state.breaker, transitions) == ("closed", [])


# ------------------------------------------------------------------ Retry-After


def test_a_429_holds_the_system_for_its_retry_after_without_counting_as_a_failure() -> None:
    state, transitions = seen(CLOSED, *repeat(5, "throttled"), retry_after=120)

    assert (state.breaker, state.consecutive_failures, state.window_calls) == ("closed", 0, 0)
    assert transitions == []
    assert state.throttled_until == T0 + timedelta(seconds=120)
    waiting = admitted(state, T0 + timedelta(seconds=119))
    assert (waiting.allowed, waiting.wait) == (0, timedelta(seconds=1))
    assert admitted(state, T0 + timedelta(seconds=120)).allowed == POLICY.concurrency


def test_a_429_without_retry_after_holds_the_system_for_a_second() -> None:
    state, _ = seen(CLOSED, "throttled")

    assert state.throttled_until == T0 + timedelta(seconds=1)


def test_a_shorter_retry_after_never_cuts_a_longer_one_short() -> None:
    state, _ = seen(CLOSED, "throttled", retry_after=120)
    state, _ = seen(state, "throttled", at=T0 + timedelta(seconds=10), retry_after=5)

    assert state.throttled_until == T0 + timedelta(seconds=120)


def test_a_throttled_system_with_an_open_circuit_waits_for_the_later_of_the_two() -> None:
    state, _ = seen(opened_at_t0(), "throttled", retry_after=90)

    waiting = admitted(state, T0 + OPEN_FOR)

    assert (waiting.allowed, waiting.wait) == (0, timedelta(seconds=60))


# ------------------------------------------------------------------ pause


def test_a_paused_system_admits_nothing_until_a_person_resumes_it() -> None:
    paused = replace(CLOSED, paused=True, paused_by="ops", paused_reason="ERP upgrade")

    held = admitted(paused, T0 + timedelta(days=1))
    assert (held.allowed, held.wait, held.probe) == (0, None, False)
    # Not even the probe of an open circuit goes while the system is paused.
    assert admitted(replace(opened_at_t0(), paused=True), T0 + OPEN_FOR).allowed == 0
    assert admitted(replace(paused, paused=False), T0).allowed == POLICY.concurrency


# ------------------------------------------------------------------ concurrency


def test_the_concurrency_limit_counts_what_is_already_in_flight() -> None:
    assert admitted(CLOSED, in_flight=0, wanted=10).allowed == 4
    assert admitted(CLOSED, in_flight=3, wanted=10).allowed == 1
    assert admitted(CLOSED, in_flight=4, wanted=10).allowed == 0
    assert admitted(CLOSED, in_flight=9, wanted=10).allowed == 0
    assert admitted(CLOSED, in_flight=1, wanted=2).allowed == 2


# ------------------------------------------------------------------ rate limit

RATED = DeliveryPolicy(concurrency=1000, rate_limit_per_s=2, rate_limit_burst=5)


def send(state: SystemState, at: datetime, policy: DeliveryPolicy = RATED) -> Admission:
    """Admit as many as may go (nothing stays in flight) and spend their tokens."""
    admission = admitted(state, at, wanted=1000, policy=policy)
    return replace(admission, state=spend(admission.state, policy, admission.allowed))


def test_a_quiet_system_takes_a_burst_then_one_request_per_token() -> None:
    burst = send(CLOSED, T0)
    assert burst.allowed == 5

    empty = send(burst.state, T0)
    assert (empty.allowed, empty.wait) == (0, timedelta(seconds=0.5))
    assert send(burst.state, T0 + timedelta(seconds=0.5) - timedelta(milliseconds=1)).allowed == 0
    assert send(burst.state, T0 + timedelta(seconds=0.5)).allowed == 1
    assert send(burst.state, T0 + timedelta(seconds=10)).allowed == 5  # never above the burst


def test_the_wait_for_a_token_counts_the_part_of_one_already_refilled() -> None:
    burst = send(CLOSED, T0)
    partly = send(burst.state, T0 + timedelta(seconds=0.2))  # 0.4 of a token

    assert partly.allowed == 0
    assert partly.wait == timedelta(seconds=0.3)
    assert send(partly.state, T0 + timedelta(seconds=0.5)).allowed == 1


def test_over_ten_seconds_of_polling_no_more_than_the_burst_plus_the_rate_go() -> None:
    state, total = CLOSED, 0
    for tick in range(101):  # every 100 ms for 10 s
        admission = send(state, T0 + timedelta(milliseconds=100 * tick))
        state, total = admission.state, total + admission.allowed

    assert total == 5 + 2 * 10


def test_after_the_wait_it_names_a_rate_limited_request_may_go() -> None:
    thirds = DeliveryPolicy(rate_limit_per_s=3, rate_limit_burst=1)
    first = send(CLOSED, T0, thirds)
    empty = send(first.state, T0, thirds)
    assert (first.allowed, empty.allowed) == (1, 0)
    assert empty.wait is not None

    assert send(empty.state, T0 + empty.wait, thirds).allowed == 1


def test_a_system_without_a_rate_limit_is_bounded_by_concurrency_alone() -> None:
    unlimited = DeliveryPolicy(concurrency=50)

    assert send(CLOSED, T0, unlimited).allowed == 50
    assert send(CLOSED, T0, unlimited).wait is None


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=20),
    polls=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3000), st.integers(min_value=0, max_value=40)),
        min_size=1,
        max_size=60,
    ),
)
def test_the_token_bucket_never_lets_more_than_the_burst_plus_the_rate_through(
    rate: float, burst: int, polls: list[tuple[int, int]]
) -> None:
    policy = DeliveryPolicy(concurrency=1000, rate_limit_per_s=rate, rate_limit_burst=burst)
    state, at, total = CLOSED, T0, 0
    for gap_ms, wanted in polls:
        at += timedelta(milliseconds=gap_ms)
        admission = admit(state, policy, at, in_flight=0, wanted=wanted)
        assert 0 <= admission.allowed <= wanted
        state = spend(admission.state, policy, admission.allowed)
        total += admission.allowed
        elapsed = (at - T0).total_seconds()
        assert total <= burst + rate * elapsed + 1e-6
        if admission.allowed == 0 and wanted > 0:
            # Nothing went for want of a token: the wait says when one will be there.
            assert admission.wait is not None
            later = admit(state, policy, at + admission.wait + US, in_flight=0, wanted=1)
            assert later.allowed == 1


def test_a_claim_looking_ahead_reserves_the_next_tokens_and_paces_them() -> None:
    paced = DeliveryPolicy(rate_limit_per_s=50, rate_limit_burst=1)
    ahead = timedelta(milliseconds=100)
    full = admit(CLOSED, paced, T0, in_flight=0, wanted=100, lookahead=ahead)

    # One token now and five more within the next 100 ms, each leaving 20 ms after the last.
    assert full.allowed == 6
    offsets = send_offsets(full.state, paced, full.allowed)
    assert offsets == [timedelta(milliseconds=20 * n) for n in range(6)]
    spent = spend(full.state, paced, full.allowed)
    # The next claim is due when the token after the reserved ones is there: 120 ms on.
    assert until_token(spent, paced) == timedelta(milliseconds=120)
    assert admit(spent, paced, T0 + timedelta(milliseconds=119), in_flight=0, wanted=9).allowed == 0


def test_over_any_span_paced_requests_keep_to_the_rate() -> None:
    paced = DeliveryPolicy(rate_limit_per_s=20, rate_limit_burst=1)
    ahead = timedelta(milliseconds=100)
    state, at, leaving = CLOSED, T0, []
    while at < T0 + timedelta(seconds=10):
        admission = admit(state, paced, at, in_flight=0, wanted=100, lookahead=ahead)
        leaving += [at + o for o in send_offsets(admission.state, paced, admission.allowed)]
        state = spend(admission.state, paced, admission.allowed)
        wait = until_token(state, paced) if admission.allowed else admission.wait
        assert wait is not None
        at += wait

    gaps = {round((b - a).total_seconds(), 6) for a, b in pairwise(leaving)}
    assert gaps == {0.05}
    # Claims look 100 ms ahead, so a few leave after the span; within it, exactly R per second.
    assert len([t for t in leaving if t < T0 + timedelta(seconds=10)]) == 200
