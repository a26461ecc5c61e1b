"""``crossdock exceptions list | show | assign | tag | retry | resolve`` and ``crossdock replay``.

The exception queue for operators: find what failed, correct a stored request field by field
(:class:`~.cli_corrections.FieldCorrection`) and send it again, or replay many by filter — a dry
run by default that says, for each, what would be sent and what would be skipped because it
already happened.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from crossdock.cli_corrections import FieldCorrection
from crossdock.cli_operations import (
    AsJson,
    By,
    minute,
    operator,
    operator_desks,
    plain_table,
    to_json,
)
from crossdock.orchestration.exception_desk import ReplayItem, ReplayReport
from crossdock.orchestration.store_ops import (
    EXCEPTION_STATUSES,
    ExceptionQuery,
    ExceptionRecord,
    ExceptionStatus,
)

exceptions_app = typer.Typer(
    help="The exception queue: list, show, assign, tag, retry (with a corrected request), resolve.",
    no_args_is_help=True,
)

REPLAY_FILTERS = (
    "system",
    "operation",
    "partner",
    "error_type",
    "classification",
    "tag",
    "assignee",
    "order",
    "since",
    "until",
    "status",
)
"""The keys ``crossdock replay --filter key=value`` takes."""


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=option) from exc
    if moment.tzinfo is None:
        raise typer.BadParameter(
            f"{text!r} has no timezone; add Z or an offset such as +02:00", param_hint=option
        )
    return moment


def _statuses(
    values: Sequence[str], option: str, allowed: Sequence[str] = EXCEPTION_STATUSES
) -> tuple[ExceptionStatus, ...]:
    chosen: list[ExceptionStatus] = []
    for value in values:
        status = next((s for s in EXCEPTION_STATUSES if s == value and s in allowed), None)
        if status is None:
            raise typer.BadParameter(
                f"{value!r} is not one of {', '.join(allowed)}", param_hint=option
            )
        chosen.append(status)
    return tuple(chosen)


def _request_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="'--request'") from exc
    if not isinstance(document, dict):
        raise typer.BadParameter(f"{path}: not a JSON object", param_hint="'--request'")
    return document


# ---------------------------------------------------------------- exceptions


@exceptions_app.command("list")
def list_exceptions(
    status: Annotated[
        list[str] | None,
        typer.Option(help="open, assigned, resolved or replayed; repeat for several."),
    ] = None,
    system: Annotated[str | None, typer.Option(help="The target system.")] = None,
    operation: Annotated[str | None, typer.Option(help="e.g. create_sales_order.")] = None,
    order: Annotated[str | None, typer.Option(help="An order id.")] = None,
    partner: Annotated[str | None, typer.Option(help="The order's channel or customer id.")] = (
        None
    ),
    error_type: Annotated[str | None, typer.Option(help="e.g. http_422, timeout.")] = None,
    classification: Annotated[
        str | None, typer.Option(help="permanent, exhausted or step.")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Carries this tag.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Assigned to.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Last seen at or after (ISO 8601 with a timezone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last seen before (ISO 8601 with a timezone).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """Exceptions matching every filter, most recently seen first; every status unless --status."""
    query = ExceptionQuery(
        statuses=_statuses(status or (), "'--status'"),
        system=system,
        operation=operation,
        order_id=order,
        partner=partner,
        error_type=error_type,
        classification=classification,
        tag=tag,
        assignee=assignee,
        since=_moment(since, "'--since'"),
        until=_moment(until, "'--until'"),
        limit=limit,
    )
    with operator_desks() as desks:
        records = desks.exceptions.search(query)
    if as_json:
        typer.echo(to_json([asdict(record) for record in records]))
        return
    table = plain_table("exception", "order")
    table.add_column("error", overflow="fold", ratio=1)
    for r in records:
        owner = " ".join(filter(None, [r.assignee, *(f"#{t}" for t in r.tags)]))
        table.add_row(
            f"{r.exception_id}\n{r.status}, {r.attempts} attempt(s)",
            f"{r.order_id}\n{r.system}\n{r.operation}",
            f"{r.error_type}: {r.error}\nlast seen {minute(r.last_seen)}"
            + (f"\n{owner}" if owner else ""),
        )
    Console(highlight=False).print(table)
    typer.echo(f"{len(records)} exception(s)")


@exceptions_app.command("show")
def show_exception(
    exception_id: Annotated[str, typer.Argument(help="The exception's id.")],
    as_json: AsJson = False,
) -> None:
    """One exception, every field, with the request that failed."""
    with operator_desks() as desks:
        record = desks.exceptions.get(exception_id)
    if as_json:
        typer.echo(to_json(asdict(record)))
        return
    _print_record(record)


def _print_record(record: ExceptionRecord) -> None:
    fields = asdict(record)
    request = fields.pop("request")
    width = max(len(name) for name in fields)
    for name, value in fields.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = ", ".join(value)
        typer.echo(f"{name:>{width}}: {'' if value is None else value}")
    typer.echo("request (correct it with `crossdock exceptions retry ID --set path=value`):")
    typer.echo(to_json(request))


@exceptions_app.command("assign")
def assign_exception(
    exception_id: Annotated[str, typer.Argument(help="The exception's id.")],
    assignee: Annotated[str, typer.Argument(help="Who works on it; '' gives it back.")],
    by: By = None,
) -> None:
    """Give an exception to someone."""
    with operator_desks() as desks:
        record = desks.exceptions.assign(exception_id, assignee, by=operator(by))
    typer.echo(f"{record.exception_id}: {record.status}, assignee {record.assignee or 'none'}")


@exceptions_app.command("tag")
def tag_exception(
    exception_id: Annotated[str, typer.Argument(help="The exception's id.")],
    add: Annotated[list[str] | None, typer.Option(help="A tag to add; repeat for several.")] = (
        None
    ),
    remove: Annotated[
        list[str] | None, typer.Option(help="A tag to remove; repeat for several.")
    ] = None,
    by: By = None,
) -> None:
    """Add and remove tags on an exception."""
    with operator_desks() as desks:
        record = desks.exceptions.tag(
            exception_id, add=tuple(add or ()), remove=tuple(remove or ()), by=operator(by)
        )
    typer.echo(f"{record.exception_id}: tags {', '.join(record.tags) or 'none'}")


@exceptions_app.command("resolve")
def resolve_exception(
    exception_id: Annotated[str, typer.Argument(help="The exception's id.")],
    note: Annotated[str, typer.Option(help="What was done about it.")] = "",
    by: By = None,
) -> None:
    """Close an exception: someone dealt with it. Nothing is sent."""
    with operator_desks() as desks:
        record = desks.exceptions.resolve(exception_id, by=operator(by), note=note)
    typer.echo(f"{record.exception_id}: {record.status}")


@exceptions_app.command("retry")
def retry_exception(
    exception_id: Annotated[str, typer.Argument(help="The exception's id.")],
    request: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A corrected request (JSON; start from `exceptions show ID --json`).",
        ),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Correct one field of the stored request (or of --request): "
            "dotted.path=value, list indices as numbers, the value as JSON when it parses "
            "(a string field stays a string). Repeat for several.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be sent; change nothing.")
    ] = False,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Send an exception's delivery again, as stored or corrected.

    Skipped, with the reason, when it already happened: the delivery succeeded or is queued, or the
    system already has the document (a bound sales order number …).
    """
    corrections = [FieldCorrection.parse(text) for text in assignments or ()]
    corrected = _request_file(request) if request is not None else None
    with operator_desks() as desks:
        if corrections:
            if corrected is None:
                corrected = copy.deepcopy(desks.exceptions.get(exception_id).request)
            for correction in corrections:
                correction.apply(corrected)
        item = desks.exceptions.retry(
            exception_id, by=operator(by), request=corrected, dry_run=dry_run
        )
    if as_json:
        typer.echo(to_json(asdict(item)))
        return
    _print_items([item])
    if dry_run and item.action == "send":
        typer.echo("would send:")
        typer.echo(to_json(item.request))


# ---------------------------------------------------------------- replay


def replay_query(filters: Sequence[str], limit: int) -> ExceptionQuery:
    """The query ``--filter key=value`` options describe; an unknown key is a usage error."""
    given: dict[str, str] = {}
    statuses: list[str] = []
    for text in filters:
        key, sep, value = text.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in REPLAY_FILTERS:
            raise typer.BadParameter(
                f"{key or text!r} is not a filter; use key=value with a key among "
                f"{', '.join(REPLAY_FILTERS)}",
                param_hint="'--filter'",
            )
        if key == "status":
            statuses.append(value)
            continue
        if key in given:
            raise typer.BadParameter(f"{key} is given twice", param_hint="'--filter'")
        given[key] = value
    return ExceptionQuery(
        statuses=_statuses(statuses, "'--filter status'", ("open", "assigned", "replayed")),
        system=given.get("system"),
        operation=given.get("operation"),
        order_id=given.get("order"),
        partner=given.get("partner"),
        error_type=given.get("error_type"),
        classification=given.get("classification"),
        tag=given.get("tag"),
        assignee=given.get("assignee"),
        since=_moment(given.get("since"), "'--filter since'"),
        until=_moment(given.get("until"), "'--filter until'"),
        limit=limit,
    )


def replay(
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help=f"key=value; keys: {', '.join(REPLAY_FILTERS)}. Repeat for several "
            "(status may repeat).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run/--no-dry-run",
            help="Dry run (the default): say what would be sent or skipped, change nothing.",
        ),
    ] = True,
    by: By = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """Replay the open and assigned exceptions that match; a dry run unless --no-dry-run.

    Nothing is sent twice: what already happened is skipped, and the reason is printed.
    """
    query = replay_query(filters or (), limit)
    with operator_desks() as desks:
        report = desks.exceptions.replay(query, by=operator(by), dry_run=dry_run)
    if as_json:
        typer.echo(to_json(_report(report)))
        return
    _print_items(report.items)
    if report.dry_run:
        typer.echo(
            f"dry run: {report.to_send} to send, {report.skipped} skipped; nothing changed "
            "(run with --no-dry-run to send)"
        )
    else:
        typer.echo(f"replayed: {report.to_send} sent, {report.skipped} skipped")


def _report(report: ReplayReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "to_send": report.to_send,
        "skipped": report.skipped,
        "items": [asdict(item) for item in report.items],
    }


def _print_items(items: Sequence[ReplayItem]) -> None:
    table = plain_table("exception", "order")
    table.add_column("action", overflow="fold", ratio=1)
    for item in items:
        table.add_row(
            item.exception_id,
            f"{item.order_id}\n{item.system}\n{item.operation}",
            f"{item.action}: {item.reason}",
        )
    Console(highlight=False).print(table)
