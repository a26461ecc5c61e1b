"""Bulk actions on the exception queue: one verb over the exceptions an operator ticked.

Each exception is handled on its own, through the same desk method as its single action — retry
(sent again as stored), resolve, assign, tag, untag — in a transaction of its own. One that is
refused (an unknown id, one already resolved) is reported with the reason and the others go on;
one whose retry would send nothing (already done, already queued) is reported as skipped with
why. One the database would not save (it did not answer, or refused the change) is refused too,
and the others go on. The report names every id, so nothing is half done silently; it is
recorded (audited) once, whatever happens, even when something unexpected stops the bulk.

A bulk is refused as a whole, before anything is done, when it names no exception, more than
:data:`BULK_CAP`, no action the console knows, a tag action without tags, or a value the
exceptions table cannot hold (:func:`storable`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from crossdock.core.errors import BusinessRuleViolation, RetryableError
from crossdock.orchestration.exception_desk import ExceptionDesk, ExceptionSettled, UnknownException

log = logging.getLogger("crossdock.console")

BULK_CAP = 200
"""The most exceptions one bulk action takes (more is a replay by filter's job)."""
BULK_FIELDS = BULK_CAP * 2 + 20
"""The most fields a bulk form may carry: an ``id`` and a ``page_id`` per exception, and the
bar's own few. A post with more is refused whole, unread."""
ASSIGNEE_LENGTH = 128
"""The longest assignee an exception holds (the width of ``exceptions.assignee``)."""

BulkVerb = Literal["retry", "resolve", "assign", "tag", "untag"]
BULK_VERBS: tuple[BulkVerb, ...] = ("retry", "resolve", "assign", "tag", "untag")

Outcome = Literal["done", "skipped", "refused"]


class FieldRefused(BusinessRuleViolation):
    """What an operator typed in ``field`` cannot be stored on an exception."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class BulkRefused(FieldRefused):
    """The bulk as a whole cannot run, and nothing of it was done (see the module docstring);
    ``field`` names the form's field at fault, when one is."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(field, message)


def storable(field: str, value: str, *, limit: int | None = None) -> str:
    """``value``, when an exception can hold it in ``field`` (the note, the assignee, a tag):
    at most ``limit`` characters, and no NUL character, which PostgreSQL refuses in any text.
    :class:`FieldRefused` names the field otherwise: the single actions and the bulk ones check
    what they are given before the database would refuse it halfway."""
    if "\x00" in value:
        raise FieldRefused(field, f"The {field} cannot hold a NUL character.")
    if limit is not None and len(value) > limit:
        raise FieldRefused(
            field, f"The {field} is {len(value)} characters long: at most {limit} can be stored."
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkAction:
    """What the operator asked for: a verb, the exceptions, and what the verb needs."""

    verb: BulkVerb
    exception_ids: tuple[str, ...]
    """Each id once, in the order given."""
    note: str = ""
    """Resolve: why the exceptions are dealt with."""
    assignee: str = ""
    """Assign: to whom (empty gives them back to the queue)."""
    tags: tuple[str, ...] = ()
    """Tag and untag: the tags to add or remove."""

    @classmethod
    def from_form(cls, fields: Mapping[str, Sequence[str]]) -> BulkAction:
        """The action a posted bulk form describes (every value of each field): ``verb``, the
        ticked ``id`` fields, and with ``all`` ticked every ``page_id`` (the page's exceptions);
        ``note``, ``assignee``, ``tags`` (comma or space separated), each kept only for the verb
        that uses it. :class:`BulkRefused` when it cannot run."""

        def first(name: str) -> str:
            return next(iter(fields.get(name, ())), "").strip()

        verb = next((v for v in BULK_VERBS if v == first("verb")), None)
        if verb is None:
            chosen = first("verb")
            raise BulkRefused(
                f"The console has no bulk action {chosen!r}."
                if chosen
                else "Choose an action for the ticked exceptions."
            )
        named = [*fields.get("id", ()), *(fields.get("page_id", ()) if "all" in fields else ())]
        ids = tuple(dict.fromkeys(i.strip() for i in named if i.strip()))
        if not ids:
            raise BulkRefused("Tick at least one exception.")
        if len(ids) > BULK_CAP:
            raise BulkRefused(
                f"A bulk action takes at most {BULK_CAP} exceptions and {len(ids)} were ticked: "
                "nothing was done. Tick fewer, or replay by filter."
            )
        tags = tuple(dict.fromkeys(first("tags").replace(",", " ").split()))
        if verb in ("tag", "untag") and not tags:
            raise BulkRefused(f"Name the tags to {'add' if verb == 'tag' else 'remove'}.")
        try:
            note = storable("note", first("note")) if verb == "resolve" else ""
            assignee = (
                storable("assignee", first("assignee"), limit=ASSIGNEE_LENGTH)
                if verb == "assign"
                else ""
            )
            if verb in ("tag", "untag"):
                tags = tuple(storable("tags", tag) for tag in tags)
        except FieldRefused as refused:
            raise BulkRefused(f"{refused} Nothing was done.", field=refused.field) from None
        return cls(
            verb=verb,
            exception_ids=ids,
            note=note,
            assignee=assignee,
            tags=tags if verb in ("tag", "untag") else (),
        )

    def detail(self) -> dict[str, Any]:
        """What the single action of this verb audits."""
        match self.verb:
            case "retry":
                return {"corrected": False}
            case "resolve":
                return {"note": self.note}
            case "assign":
                return {"assignee": self.assignee}
            case "tag":
                return {"add": self.tags, "remove": ()}
            case "untag":
                return {"add": (), "remove": self.tags}


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What happened to one exception of a bulk."""

    exception_id: str
    outcome: Outcome
    reason: str
    """What was done, or why it was skipped or refused."""


@dataclass(frozen=True, slots=True)
class BulkReport:
    """A bulk action and what happened to each of its exceptions, in the order given."""

    action: BulkAction
    outcomes: tuple[BulkOutcome, ...]
    stopped: str = ""
    """What stopped the bulk before its last exception (something unexpected), or empty: every
    exception has its outcome."""

    @property
    def not_reached(self) -> tuple[str, ...]:
        """The exceptions a stopped bulk never came to (none when it ran to the end)."""
        return self.action.exception_ids[len(self.outcomes) :]

    def count(self, outcome: Outcome) -> int:
        """How many exceptions had ``outcome``."""
        return sum(o.outcome == outcome for o in self.outcomes)

    def audit(self) -> dict[str, Any]:
        """The audit entry's detail: the verb, the ids, each one's outcome, and what the single
        action audits."""
        return {
            "verb": self.action.verb,
            "ids": list(self.action.exception_ids),
            "outcomes": [
                {"id": o.exception_id, "outcome": o.outcome, "reason": o.reason}
                for o in self.outcomes
            ],
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "refused": self.count("refused"),
            **self.action.detail(),
            **(
                {"stopped": self.stopped, "not_reached": list(self.not_reached)}
                if self.stopped
                else {}
            ),
        }


async def carry_out(
    desk: ExceptionDesk,
    action: BulkAction,
    *,
    by: str,
    record: Callable[[BulkReport], Awaitable[None]],
) -> BulkReport:
    """Apply ``action`` to each of its exceptions in turn, as operator ``by``, and hand the
    report to ``record`` (the audit) once, whatever happens: when the last exception is done,
    or, when something unexpected escapes, with what was done until then (the error goes on
    to the caller). ``record`` runs shielded, so an abandoned request is recorded too."""
    outcomes: list[BulkOutcome] = []
    stopped = ""
    try:
        for exception_id in action.exception_ids:
            outcomes.append(await _one(desk, action, exception_id, by))
    except BaseException as unexpected:
        stopped = unexpected.__class__.__name__
        raise
    finally:
        report = BulkReport(action=action, outcomes=tuple(outcomes), stopped=stopped)
        with anyio.CancelScope(shield=True):
            await record(report)
    return report


async def _one(desk: ExceptionDesk, action: BulkAction, exception_id: str, by: str) -> BulkOutcome:
    def outcome(what: Outcome, reason: str) -> BulkOutcome:
        return BulkOutcome(exception_id, what, reason)

    try:
        match action.verb:
            case "retry":
                item = await desk.run(desk.retry, exception_id, by=by)
                return outcome("done" if item.action == "send" else "skipped", item.reason)
            case "resolve":
                await desk.run(desk.resolve, exception_id, by=by, note=action.note)
                return outcome("done", f"resolved: {action.note or 'no note'}")
            case "assign":
                await desk.run(desk.assign, exception_id, action.assignee, by=by)
                return outcome(
                    "done", f"assigned to {action.assignee}" if action.assignee else "unassigned"
                )
            case "tag" | "untag":
                add, remove = (action.tags, ()) if action.verb == "tag" else ((), action.tags)
                record = await desk.run(desk.tag, exception_id, add=add, remove=remove, by=by)
                return outcome("done", f"tags now {', '.join(record.tags) or 'none'}")
    except UnknownException:
        return outcome("refused", "unknown id: no exception has it")
    except ExceptionSettled as settled:
        return outcome("refused", f"already {settled.record.status}: it cannot change any more")
    except BusinessRuleViolation as refusal:
        return outcome("refused", str(refusal))
    except RetryableError:
        # The store's message holds the SQL and its parameters: the log keeps it, the page not.
        log.warning(
            "bulk %s: exception %s could not be saved", action.verb, exception_id, exc_info=True
        )
        return outcome(
            "refused", "could not be saved: the database refused the change or did not answer"
        )
