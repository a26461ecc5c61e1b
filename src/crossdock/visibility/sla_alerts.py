"""The SLA alerts still owed: kept on their exceptions, sent with backoff until they get through.

An alert is owed from the moment its breach is raised, in the same transaction: the exception is
tagged ``alert-pending`` and its request carries the alert's state under ``"alert"``::

    {"rule": "not_booked", "due_at": "…", "subject": "", "summary": "not booked within 20 min",
     "alert": {"state": "pending", "attempts": 0, "next_at": "…", "last_error": ""}}

So a crash after the commit and before the send loses nothing: whichever hub sweeps next finds
the tag and sends. Each sweep sends the alerts that are due (:meth:`AlertQueue.send_due`):

1. **claim** (one transaction): count the attempt and move ``next_at`` by the retry policy's
   backoff *before* sending, so a hub that dies mid-send neither loses the attempt nor lets
   another hub send the same alert at the same moment;
2. **send** through the sinks, outside any transaction;
3. **record** (one transaction): sent — the tag goes; not delivered — the error is kept and the
   alert waits for ``next_at``; refused for good (a 4xx, an SMTP 5xx) or out of attempts or past
   the policy's deadline — tag ``alert-failed`` with the reason, and no more tries.

Every outcome is a line on the order's timeline (lane ``alerts``). A settled exception (resolved
or replayed) stops its alert: it is never sent again, and its ``alert-pending`` tag is withdrawn.
An operator who tags an SLA exception ``alert-pending`` again sends its alert once more, with a
fresh round of attempts.

The state lives on the exception rather than in a table of its own: an SLA exception has exactly
one alert, under the same id, written in the same transaction; the console already lists, filters
(by tag) and shows exceptions; and the exception queue is the port every store adapter already
implements.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from crossdock.core.errors import PermanentError
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.store import Store, TimelineEntry, UnitOfWork
from crossdock.orchestration.store_ops import (
    UNSETTLED,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
)
from crossdock.visibility.alerts import Alert, AlertSink

log = logging.getLogger("crossdock.sla")

ALERT_PENDING = "alert-pending"
"""The tag of an SLA exception whose alert has not got through yet."""
ALERT_FAILED = "alert-failed"
"""The tag of an SLA exception whose alert was given up on (refused, or out of attempts)."""
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
breach. No jitter: there is one operations endpoint, not a fleet of systems to spread over."""
ALERTS_PER_SWEEP = 100
"""The most alerts one sweep sends, oldest breach first; the rest wait for the next sweep."""
OWED_SCANNED = 1000
"""The most owed alerts one sweep looks through for those due (the newest breaches first)."""

AlertStatus = Literal["pending", "sent", "failed", "withdrawn"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertState:
    """Where an SLA exception's alert stands (its request's ``"alert"``)."""

    state: AlertStatus
    attempts: int = 0
    """Attempts so far, the one being sent included."""
    next_at: datetime
    """When the alert is due (again)."""
    last_error: str = ""
    """Why the last attempt did not get through (empty once sent)."""

    @classmethod
    def of(cls, record: ExceptionRecord, now: datetime) -> AlertState:
        """The alert state stored on ``record``. An alert tagged pending whose stored state
        says otherwise (an operator tagged it again) starts over, due ``now``."""
        stored = record.request.get("alert")
        if not isinstance(stored, dict) or stored.get("state") != "pending":
            return cls(state="pending", next_at=now)
        return cls(
            state="pending",
            attempts=int(stored.get("attempts", 0)),
            next_at=datetime.fromisoformat(str(stored["next_at"])),
            last_error=str(stored.get("last_error", "")),
        )

    def as_json(self) -> dict[str, Any]:
        """The state as the exception's request keeps it."""
        return {
            "state": self.state,
            "attempts": self.attempts,
            "next_at": self.next_at.isoformat(),
            "last_error": self.last_error,
        }


def pending_alert(now: datetime) -> dict[str, Any]:
    """The ``"alert"`` of a breach raised at ``now``: owed, due at once."""
    return AlertState(state="pending", next_at=now).as_json()


def alert_of(record: ExceptionRecord) -> Alert:
    """The alert an SLA exception sends: the same body on every attempt, ``at`` the breach."""
    request = record.request
    summary = str(request.get("summary", "")) or record.error.removeprefix("SLA breached: ")
    return Alert(
        alert_id=record.exception_id,
        rule=str(request.get("rule", "")),
        order_id=record.order_id,
        system=record.system,
        summary=f"SLA breached: {summary}",
        at=record.first_seen,
        detail={"due_at": request.get("due_at", ""), "subject": request.get("subject", "")},
    )


@dataclass(slots=True)
class AlertRound:
    """What one pass over the owed alerts did."""

    sent: int = 0
    failures: list[str] = field(default_factory=list)
    """``<exception id>: <error>`` for each attempt that did not get through."""
    given_up: int = 0
    """Alerts marked ``alert-failed`` in this pass."""
    withdrawn: int = 0
    """Alerts of settled exceptions, stopped."""


@dataclass(frozen=True, slots=True)
class _Claim:
    alert: Alert
    attempts: int
    next_at: datetime


class AlertQueue:
    """Sends the SLA alerts owed, through ``sink``, with ``retry``'s backoff and bounds."""

    def __init__(self, store: Store, sink: AlertSink, retry: RetryPolicy = ALERT_RETRY) -> None:
        self.store = store
        self.sink = sink
        self.retry = retry

    async def send_due(
        self, now: datetime, *, still_ours: Callable[[], Awaitable[bool]] | None = None
    ) -> AlertRound:
        """Send every alert due at ``now`` (at most :data:`ALERTS_PER_SWEEP`), and stop those of
        settled exceptions. ``still_ours`` is asked before each send; when it answers False
        (the sweep's lease was lost) the pass ends and the rest wait."""
        done = AlertRound()
        done.withdrawn = await self.store.run(self._withdraw_settled, now)
        for exception_id in await self.store.run(self._due, now):
            if still_ours is not None and not await still_ours():
                break
            claim = await self.store.run(self._claim, exception_id, now)
            if claim is None:
                continue
            try:
                await self.sink.send(claim.alert)
            except Exception as exc:  # every failure is recorded on the exception
                done.failures.append(f"{exception_id}: {exc}")
                if await self.store.run(self._not_delivered, claim, exc, now):
                    done.given_up += 1
                continue
            await self.store.run(self._delivered, claim, now)
            done.sent += 1
        return done

    # ------------------------------------------------------------------ transactions

    def _due(self, now: datetime) -> list[str]:
        with self.store.unit_of_work(write=False) as uow:
            owed = uow.exceptions.search(
                ExceptionQuery(statuses=UNSETTLED, tag=ALERT_PENDING, limit=OWED_SCANNED)
            )
        due = [r for r in owed if r.source == "sla" and AlertState.of(r, now).next_at <= now]
        due.sort(key=lambda r: (r.first_seen, r.exception_id))
        return [r.exception_id for r in due[:ALERTS_PER_SWEEP]]

    def _claim(self, exception_id: str, now: datetime) -> _Claim | None:
        with self.store.unit_of_work() as uow:
            record = uow.exceptions.get(exception_id)
            if record is None or record.status not in UNSETTLED:
                return None
            if ALERT_PENDING not in record.tags:
                return None
            state = AlertState.of(record, now)
            if state.next_at > now:
                return None  # another sweep claimed it since this one looked
            if now - record.first_seen > self.retry.deadline:
                late = f"not delivered within {self.retry.deadline} of the breach"
                self._give_up(uow, record, state, late, now)
                return None
            attempts = state.attempts + 1
            next_at = now + self.retry.backoff(attempts)
            claimed = replace(state, attempts=attempts, next_at=next_at)
            uow.exceptions.change(exception_id, _with_alert(record, claimed), now)
            return _Claim(alert=alert_of(record), attempts=attempts, next_at=next_at)

    def _delivered(self, claim: _Claim, now: datetime) -> None:
        with self.store.unit_of_work() as uow:
            record = uow.exceptions.get(claim.alert.alert_id)
            if record is None:
                return
            sent = AlertState(state="sent", attempts=claim.attempts, next_at=now)
            tags = tuple(tag for tag in record.tags if tag != ALERT_PENDING)
            uow.exceptions.change(record.exception_id, _with_alert(record, sent, tags), now)
            uow.timeline.append(
                [_line(record, now, f"SLA alert sent (attempt {claim.attempts})", sent)]
            )

    def _not_delivered(self, claim: _Claim, error: Exception, now: datetime) -> bool:
        """Record a failed attempt; True when the alert is given up on."""
        with self.store.unit_of_work() as uow:
            record = uow.exceptions.get(claim.alert.alert_id)
            if record is None:
                return False
            reason = str(error) or error.__class__.__name__
            state = AlertState(
                state="pending", attempts=claim.attempts, next_at=claim.next_at, last_error=reason
            )
            if isinstance(error, PermanentError):
                self._give_up(uow, record, state, f"refused: {reason}", now)
                return True
            if claim.attempts >= self.retry.max_attempts:
                self._give_up(uow, record, state, f"{claim.attempts} attempts: {reason}", now)
                return True
            log.warning(
                "SLA alert %s not delivered (attempt %d of %d), next at %s: %s",
                record.exception_id,
                claim.attempts,
                self.retry.max_attempts,
                claim.next_at.isoformat(),
                reason,
            )
            uow.exceptions.change(record.exception_id, _with_alert(record, state), now)
            summary = (
                f"SLA alert not delivered (attempt {claim.attempts} of "
                f"{self.retry.max_attempts}): {reason}; next try {claim.next_at.isoformat()}"
            )
            uow.timeline.append([_line(record, now, summary, state)])
            return False

    def _give_up(
        self,
        uow: UnitOfWork,
        record: ExceptionRecord,
        state: AlertState,
        reason: str,
        now: datetime,
    ) -> None:
        log.error("SLA alert %s given up: %s", record.exception_id, reason)
        failed = replace(state, state="failed", last_error=reason)
        tags = (*(tag for tag in record.tags if tag != ALERT_PENDING), ALERT_FAILED)
        uow.exceptions.change(record.exception_id, _with_alert(record, failed, tags), now)
        line = f"SLA alert failed, no more tries: {reason}"
        uow.timeline.append([_line(record, now, line, failed)])

    def _withdraw_settled(self, now: datetime) -> int:
        """Stop the alerts of SLA exceptions settled since their alert was owed."""
        query = ExceptionQuery(
            statuses=("resolved", "replayed"),
            tag=ALERT_PENDING,
            # An SLA exception is last seen when raised: an older one is past the deadline.
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
        detail={"alert": state.as_json()},
    )
