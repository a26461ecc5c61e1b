"""The SLA alerts still owed: kept on their exceptions, sent with backoff until they get through.

An alert is owed from the moment its breach is raised, in the same transaction: the exception is
tagged ``alert-pending`` and its request carries the alert's state under ``"alert"``::

    {"rule": "not_booked", "due_at": "…", "subject": "", "summary": "not booked within 20 min",
     "alert": {"state": "pending", "attempts": 1, "next_at": "…", "round_started_at": "…",
               "delivered": ["email"], "refused": {}, "reason": "webhook http_503",
               "last_error": "webhook: alert webhook answered 503"}}

So a crash after the commit and before the send loses nothing: whichever hub sweeps next finds
the tag and sends. Each sweep sends the alerts that are due (:meth:`AlertQueue.send_due`), the
longest due first, up to a budget of sends; every owed alert is looked at, however many there are:

1. **claim** (one transaction): count the attempt and move ``next_at`` by the retry policy's
   backoff *before* sending, so a hub that dies mid-send neither loses the attempt nor lets
   another hub send the same alert at the same moment. An alert out of attempts, or past the
   policy's deadline (counted from the start of its round), is given up on here, unsent;
2. **send** through the sinks that have not taken the alert yet, outside any transaction;
3. **record** (one transaction) which sinks took it (``delivered``: a retry skips them, so a mail
   is not sent twice) and which refused it for good (``refused``: not asked again). Every sink
   took it — sent, the tag goes; one failed for now — the alert waits for ``next_at``, or is
   given up on when out of attempts; none can take it any more and one refused — tag
   ``alert-failed``, the refusing sinks named (and the sinks that took it), no more tries.

Every outcome is a line on the order's timeline (lane ``alerts``), which partners read: the line
and its detail carry sink names and short codes (``webhook http_503``, ``email smtp_421``), never
a sink's own words, which stay in ``last_error`` on the exception (admin only) and name no address
either (:mod:`crossdock.visibility.alerts`). A settled exception (resolved or replayed) stops its
alert: it is never sent again, and its ``alert-pending`` tag is withdrawn. An operator who tags an
SLA exception ``alert-pending`` again starts a new round: every sink, a fresh count of attempts,
and the deadline counted from then.

The state lives on the exception rather than in a table of its own: an SLA exception has exactly
one alert, under the same id, written in the same transaction; the console already lists, filters
(by tag) and shows exceptions; and the exception queue is the port every store adapter already
implements.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store import Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import (
    UNSETTLED,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
)
from crossdock.visibility.alert_state import ALERT_FAILED, ALERT_PENDING, AlertState, alert_of
from crossdock.visibility.alerts import Alert, AlertFanOut, Delivery, error_code

log = logging.getLogger("crossdock.sla")

ALERTS_LANE = "alerts"
"""The timeline's lane (its ``system``) for alert attempts."""
ALERT_RETRY = RetryPolicy(
    initial_interval=timedelta(minutes=1),
    multiplier=2.0,
    max_interval=timedelta(hours=1),
    jitter=0.0,
    max_attempts=10,
    deadline=timedelta(hours=24),
)
"""1, 2, 4 … 32 minutes, then hourly: ten attempts over about four hours, within a day of the
round's start. No jitter: there is one operations endpoint, not a fleet of systems to spread
over."""
ALERTS_PER_SWEEP = 100
"""The most alerts one sweep tries to send (its budget), the longest due first; the rest wait
for the next sweep."""
OWED_PAGE = 500
"""Owed alerts read per query while looking for those due; every one is looked at."""


@dataclass(slots=True)
class AlertRound:
    """What one pass over the owed alerts did."""

    sent: int = 0
    failures: list[str] = field(default_factory=list)
    """``<exception id>: <sink>: <error>`` for each sink's failure in this pass."""
    given_up: int = 0
    """Alerts marked ``alert-failed`` in this pass."""
    withdrawn: int = 0
    """Alerts of settled exceptions, stopped."""
    lease_lost: bool = False
    """The pass ended early: ``still_ours`` answered False."""


@dataclass(frozen=True, slots=True)
class _Claim:
    alert: Alert
    state: AlertState
    """The state as claimed: this attempt counted, ``next_at`` moved on."""

    @property
    def skip(self) -> tuple[str, ...]:
        """The sinks this attempt does not send to: they took it, or refused it for good."""
        return (*self.state.delivered, *self.state.refused)


class AlertQueue:
    """Sends the SLA alerts owed, through ``sinks``, with ``retry``'s backoff and bounds."""

    def __init__(self, store: Store, sinks: AlertFanOut, retry: RetryPolicy = ALERT_RETRY) -> None:
        self.store = store
        self.sinks = sinks
        self.retry = retry

    async def send_due(
        self, now: datetime, *, still_ours: Callable[[], Awaitable[bool]] | None = None
    ) -> AlertRound:
        """Send the alerts due at ``now`` (at most :data:`ALERTS_PER_SWEEP`, the longest due
        first), and stop those of settled exceptions. ``still_ours`` is asked before each send;
        when it answers False (the sweep's lease was lost) the pass ends and the rest wait."""
        done = AlertRound()
        done.withdrawn = await self.store.run(self._withdraw_settled, now)
        for exception_id in await self.store.run(self._due, now):
            if still_ours is not None and not await still_ours():
                done.lease_lost = True
                break
            claim = await self.store.run(self._claim, exception_id, now)
            if claim is None:
                continue
            if isinstance(claim, _GivenUp):
                done.given_up += 1
                continue
            delivery = await self.sinks.send(claim.alert, skip=claim.skip)
            done.failures += [
                f"{exception_id}: {sink}: {error}" for sink, error in _errors(delivery).items()
            ]
            outcome = await self.store.run(self._record, claim, delivery, now)
            if outcome == "sent":
                done.sent += 1
            elif outcome == "failed":
                done.given_up += 1
        return done

    # ------------------------------------------------------------------ transactions

    def _due(self, now: datetime) -> list[str]:
        """The alerts due at ``now``, the longest due first, within the sweep's budget. Every
        owed alert is looked at, a page at a time: an SLA exception is never seen again after
        its breach, so no window of the most recently seen would reach the oldest."""
        due: dict[str, tuple[datetime, datetime, str]] = {}
        with self.store.unit_of_work(write=False) as uow:
            for record in _owed(uow):
                if record.source != "sla":
                    continue  # someone tagged another kind of exception: it owes no alert
                next_at = AlertState.of(record, now).next_at
                if next_at <= now:
                    due[record.exception_id] = (next_at, record.first_seen, record.exception_id)
        return [key[2] for key in heapq.nsmallest(ALERTS_PER_SWEEP, due.values())]

    def _claim(self, exception_id: str, now: datetime) -> _Claim | _GivenUp | None:
        with self.store.unit_of_work() as uow:
            record = uow.exceptions.get(exception_id)
            if record is None or record.status not in UNSETTLED:
                return None
            if ALERT_PENDING not in record.tags:
                return None
            state = AlertState.of(record, now)
            if state.next_at > now:
                return None  # another sweep claimed it since this one looked
            if state.attempts >= self.retry.max_attempts:
                # The last attempt was claimed and never recorded (its hub died sending).
                spent = _joined(_attempts(state.attempts), state.reason)
                self._give_up(uow, record, state, spent, now)
                return _GIVEN_UP
            if now - state.round_started_at > self.retry.deadline:
                late = _joined(f"not delivered within {_hours(self.retry.deadline)}", state.reason)
                self._give_up(uow, record, state, late, now)
                return _GIVEN_UP
            attempts = state.attempts + 1
            claimed = replace(state, attempts=attempts, next_at=now + self.retry.backoff(attempts))
            uow.exceptions.change(exception_id, _with_alert(record, claimed), now)
            return _Claim(alert=alert_of(record), state=claimed)

    def _record(
        self, claim: _Claim, delivery: Delivery, now: datetime
    ) -> Literal["sent", "pending", "failed", "gone"]:
        """Record how the sinks did with one attempt; returns where the alert now stands."""
        with self.store.unit_of_work() as uow:
            record = uow.exceptions.get(claim.alert.alert_id)
            if record is None:
                return "gone"
            attempts = claim.state.attempts
            delivered = tuple(dict.fromkeys((*claim.state.delivered, *delivery.delivered)))
            refused = {
                **claim.state.refused,
                **{sink: error_code(error) for sink, error in delivery.refused.items()},
            }
            errors = _errors(delivery)
            state = replace(
                claim.state,
                delivered=delivered,
                refused=refused,
                reason=_codes(errors),
                last_error="; ".join(f"{sink}: {error}" for sink, error in errors.items()),
            )
            took = f"delivered to {', '.join(delivered)}" if delivered else ""
            if not delivery.failed and not refused:
                sent = replace(state, state="sent", next_at=now, reason="", last_error="")
                tags = tuple(tag for tag in record.tags if tag != ALERT_PENDING)
                uow.exceptions.change(record.exception_id, _with_alert(record, sent, tags), now)
                summary = f"SLA alert sent to {', '.join(delivered)} (attempt {attempts})"
                uow.timeline.append([_line(record, now, summary, sent)])
                return "sent"
            if not delivery.failed:  # no sink can take it any more, and one refused it
                refusals = ", ".join(f"{sink} {code}" for sink, code in refused.items())
                self._give_up(uow, record, state, _joined(f"refused by {refusals}", took), now)
                return "failed"
            if attempts >= self.retry.max_attempts:
                spent = _joined(_attempts(attempts), state.reason, took)
                self._give_up(uow, record, state, spent, now)
                return "failed"
            log.warning(
                "SLA alert %s not delivered (attempt %d of %d), next at %s: %s",
                record.exception_id,
                attempts,
                self.retry.max_attempts,
                state.next_at.isoformat(),
                state.last_error,
            )
            uow.exceptions.change(record.exception_id, _with_alert(record, state), now)
            summary = _joined(
                f"SLA alert not delivered (attempt {attempts} of {self.retry.max_attempts}): "
                f"{state.reason}",
                took,
                f"next try {state.next_at.isoformat()}",
            )
            uow.timeline.append([_line(record, now, summary, state)])
            return "pending"

    def _give_up(
        self,
        uow: UnitOfWork,
        record: ExceptionRecord,
        state: AlertState,
        reason: str,
        now: datetime,
    ) -> None:
        """Mark the alert failed: ``reason`` (sink names and codes only) goes on the timeline."""
        log.error("SLA alert %s given up: %s (%s)", record.exception_id, reason, state.last_error)
        failed = replace(state, state="failed", reason=reason)
        tags = (*(tag for tag in record.tags if tag != ALERT_PENDING), ALERT_FAILED)
        uow.exceptions.change(record.exception_id, _with_alert(record, failed, tags), now)
        line = f"SLA alert failed, no more tries: {reason}"
        uow.timeline.append([_line(record, now, line, failed)])

    def _withdraw_settled(self, now: datetime) -> int:
        """Stop the alerts of SLA exceptions settled since their alert was owed."""
        query = ExceptionQuery(
            statuses=("resolved", "replayed"),
            tag=ALERT_PENDING,
            # An SLA exception is last seen when raised: one settled since is found within the
            # deadline (an alert tagged again later: see "Limits" in docs/sla.md).
            since=now - self.retry.deadline,
            limit=ALERTS_PER_SWEEP,
        )
        with self.store.unit_of_work(write=False) as uow:
            if not any(r.source == "sla" for r in uow.exceptions.search(query)):
                return 0  # the usual case: no write transaction at all
        withdrawn = 0
        with self.store.unit_of_work() as uow:
            for record in uow.exceptions.search(query):
                if record.source != "sla":
                    continue
                stopped = replace(AlertState.of(record, now), state="withdrawn")
                tags = tuple(tag for tag in record.tags if tag != ALERT_PENDING)
                uow.exceptions.change(record.exception_id, _with_alert(record, stopped, tags), now)
                line = f"SLA alert withdrawn: the exception is {record.status}"
                uow.timeline.append([_line(record, now, line, stopped)])
                withdrawn += 1
        return withdrawn


@dataclass(frozen=True, slots=True)
class _GivenUp:
    """A claim that found the alert spent (out of attempts, or past the deadline)."""


_GIVEN_UP = _GivenUp()


def _owed(uow: UnitOfWork) -> Iterable[ExceptionRecord]:
    """Every unsettled exception tagged ``alert-pending``, a page at a time (a record moved
    between pages by a concurrent write may come twice, or wait for the next sweep)."""
    offset = 0
    while True:
        page = uow.exceptions.search(
            ExceptionQuery(statuses=UNSETTLED, tag=ALERT_PENDING, limit=OWED_PAGE, offset=offset)
        )
        yield from page
        if len(page) < OWED_PAGE:
            return
        offset += OWED_PAGE


def _errors(delivery: Delivery) -> dict[str, Exception]:
    return {**delivery.refused, **delivery.failed}


def _codes(errors: dict[str, Exception]) -> str:
    """``webhook http_503, email smtp_421``: the sinks that failed and how, in codes."""
    return ", ".join(f"{sink} {error_code(error)}" for sink, error in errors.items())


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g} h"


def _with_alert(
    record: ExceptionRecord, state: AlertState, tags: tuple[str, ...] | None = None
) -> ExceptionChange:
    return ExceptionChange(request={**record.request, "alert": state.as_json()}, tags=tags)


def _line(record: ExceptionRecord, now: datetime, summary: str, state: AlertState) -> TimelineEntry:
    return TimelineEntry(
        order_id=record.order_id,
        at=now,
        kind="delivery",
        system=ALERTS_LANE,
        summary=summary,
        rule=f"sla:{record.request.get('rule', '')}",
        correlation_id=record.order_id,
        causation_id=record.exception_id,
        detail={"alert": state.public_json()},
    )
