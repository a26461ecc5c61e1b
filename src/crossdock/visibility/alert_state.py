"""Where an SLA exception's alert stands, as its request keeps it (``request["alert"]``), and
the alert it sends; the queue that sends owed alerts is :mod:`crossdock.visibility.sla_alerts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from crossdock.orchestration.store_ops import ExceptionRecord
from crossdock.visibility.alerts import Alert

log = logging.getLogger("crossdock.sla")

ALERT_PENDING = "alert-pending"
"""The tag of an SLA exception whose alert has not got through yet."""
ALERT_FAILED = "alert-failed"
"""The tag of an SLA exception whose alert was given up on (refused, or out of attempts)."""
AlertStatus = Literal["pending", "sent", "failed", "withdrawn"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertState:
    """Where an SLA exception's alert stands (its request's ``"alert"``)."""

    state: AlertStatus
    attempts: int = 0
    """Attempts in this round so far, the one being sent included."""
    next_at: datetime
    """When the alert is due (again)."""
    round_started_at: datetime
    """When this round of attempts began: the breach, or an operator's tagging it again. The
    retry policy's deadline counts from here."""
    delivered: tuple[str, ...] = ()
    """The sinks that took the alert in this round: no later attempt sends to them again."""
    refused: dict[str, str] = field(default_factory=dict)
    """The sinks that refused it for good in this round, with their codes: not asked again."""
    reason: str = ""
    """Why the last attempt did not get through, or why the alert was given up on, in sink
    names and codes (``webhook http_503``): what the order's timeline shows."""
    last_error: str = ""
    """The sinks' own words for the last failure (naming no address); on the exception only."""

    @classmethod
    def of(cls, record: ExceptionRecord, now: datetime) -> AlertState:
        """The alert state stored on ``record``. An alert tagged pending whose stored state
        says otherwise (an operator tagged it again), or cannot be read (an operator edited
        the request), starts a new round, due ``now``."""
        stored = record.request.get("alert")
        if isinstance(stored, dict) and stored.get("state") == "pending":
            try:
                return cls._pending(stored, record)
            except (KeyError, TypeError, ValueError):
                log.warning("SLA alert %s: unreadable state, a new round", record.exception_id)
        return cls(state="pending", next_at=now, round_started_at=now)

    @classmethod
    def _pending(cls, stored: dict[str, Any], record: ExceptionRecord) -> AlertState:
        started = stored.get("round_started_at")
        return cls(
            state="pending",
            attempts=int(stored.get("attempts", 0)),
            next_at=datetime.fromisoformat(str(stored["next_at"])),
            # Owed before rounds were recorded: the round began with the breach.
            round_started_at=(
                record.first_seen if started is None else datetime.fromisoformat(str(started))
            ),
            delivered=tuple(str(name) for name in stored.get("delivered", ())),
            refused={str(k): str(v) for k, v in dict(stored.get("refused", {})).items()},
            reason=str(stored.get("reason", "")),
            last_error=str(stored.get("last_error", "")),
        )

    def as_json(self) -> dict[str, Any]:
        """The state as the exception's request keeps it."""
        return {**self.public_json(), "last_error": self.last_error}

    def public_json(self) -> dict[str, Any]:
        """The state as the order's timeline shows it: codes, not the sinks' own words."""
        return {
            "state": self.state,
            "attempts": self.attempts,
            "next_at": self.next_at.isoformat(),
            "round_started_at": self.round_started_at.isoformat(),
            "delivered": list(self.delivered),
            "refused": dict(self.refused),
            "reason": self.reason,
        }


def pending_alert(now: datetime) -> dict[str, Any]:
    """The ``"alert"`` of a breach raised at ``now``: owed, due at once."""
    return AlertState(state="pending", next_at=now, round_started_at=now).as_json()


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
