"""``crossdock systems status | pause | resume``: each system's breaker, pause and backlog."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console

from crossdock.cli_operations import (
    AsJson,
    By,
    minute,
    operator,
    operator_desks,
    plain_table,
    to_json,
)
from crossdock.orchestration.system_desk import SystemStatus

systems_app = typer.Typer(
    help="The estate's systems: breaker, pause, backlog; pause and resume one.",
    no_args_is_help=True,
)


@systems_app.command("status")
def systems_status(as_json: AsJson = False) -> None:
    """Every system: circuit breaker, pause, backlog, failed deliveries, open exceptions."""
    with operator_desks() as desks:
        statuses = desks.systems.status()
    if as_json:
        typer.echo(to_json([asdict(status) for status in statuses]))
        return
    table = plain_table(
        "system", "breaker", "paused", "waiting", "sending", "failed", "exceptions", lines=False
    )
    for s in statuses:
        table.add_row(
            s.system,
            s.breaker,
            "yes" if s.paused else "no",
            str(s.pending),
            str(s.in_flight),
            str(s.failed),
            str(s.open_exceptions),
        )
    Console(highlight=False).print(table)
    for s in statuses:
        if s.last_change:
            typer.echo(f"{minute(s.changed_at)}  {s.last_change}")


@systems_app.command("pause")
def pause_system(
    name: Annotated[str, typer.Argument(help="The system, as the estate names it.")],
    reason: Annotated[str, typer.Option(help="Why (shown in systems status).")] = "",
    by: By = None,
) -> None:
    """Stop sending to a system; its deliveries wait in its queue (nothing fails)."""
    with operator_desks() as desks:
        status = desks.systems.pause(name, by=operator(by), reason=reason)
    typer.echo(_line(status))


@systems_app.command("resume")
def resume_system(
    name: Annotated[str, typer.Argument(help="The system, as the estate names it.")],
    by: By = None,
) -> None:
    """Send to a system again; its backlog drains in order."""
    with operator_desks() as desks:
        status = desks.systems.resume(name, by=operator(by))
    typer.echo(_line(status))


def _line(status: SystemStatus) -> str:
    return f"{status.last_change}; {status.pending} deliveries waiting"
