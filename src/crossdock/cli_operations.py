"""What every operator command shares: the desks on the configured database, and its output.

``crossdock exceptions …`` and ``crossdock replay`` (:mod:`.cli_exceptions`) and ``crossdock
systems …`` (:mod:`.cli_systems`) open the database at ``CROSSDOCK_STORE__URL`` directly — no
running hub is needed, and they work the same embedded and scale-out — and refuse a database that
lacks a migration ("run ``crossdock migrate`` first"). The systems and their delivery policies come
from the estate (``CROSSDOCK_ESTATE_FILE``, else the sandbox estate). What they change (a re-armed
delivery, a resumed system) is picked up by the workers within ``CROSSDOCK_WORKER__IDLE_WAIT_S``.

Exit codes: 0 done; 1 the desk refused (unknown exception or system, a resolved exception, a
corrected request that is invalid; the message on stderr names the field); 2 bad usage or
configuration.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich import box
from rich.table import Table

from crossdock.channels.edi.inbox import EdiInbox
from crossdock.channels.edi.outbox import EdiOutbox
from crossdock.core.errors import BusinessRuleViolation, ConfigurationError, RetryableError
from crossdock.estate import load_estate, sandbox_estate
from crossdock.orchestration.clock import SystemClock
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import InvalidDocument, OrderDesk
from crossdock.orchestration.sync import InventorySync
from crossdock.orchestration.system_desk import SystemsDesk
from crossdock.orchestration.wakeups import InProcessWakeups
from crossdock.settings import Settings

By = Annotated[
    str | None,
    typer.Option(help="Who acts, recorded on the order's timeline. (default: your user name)"),
]
"""The ``--by`` option of every command that changes something."""
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
"""The ``--json`` option of every command that reads."""


@dataclass(frozen=True, slots=True)
class OperatorDesks:
    """The desks an operator command works with, on the configured database."""

    exceptions: ExceptionDesk
    systems: SystemsDesk
    edi: EdiInbox
    """Takes partner files in as the hub would (``crossdock edi send``)."""


@contextmanager
def operator_desks() -> Iterator[OperatorDesks]:
    """Open the configured database and yield the desks; a desk's refusal exits with 1.

    Configuration problems (a bad setting, an unreadable estate, a database that lacks a
    migration) exit with 2, naming the key.
    """
    # Imported here, as the commands of cli.py do: `crossdock --help` needs no database driver.
    from crossdock.integration.store.migrate import require_current_schema
    from crossdock.integration.store.sql import SqlStore

    try:
        settings = Settings()
    except ValidationError as exc:
        fail(f"configuration error: {exc}", code=2)
    try:
        estate = load_estate(settings.estate_file) if settings.estate_file else sandbox_estate()
        require_current_schema(settings.store.url)
    except ConfigurationError as exc:
        fail(str(exc), code=2)
    store = SqlStore(settings.store.url)
    clock = SystemClock()
    # The workers poll their queues; the wake-ups of this short-lived process reach no one.
    wakeups = InProcessWakeups()
    try:
        yield OperatorDesks(
            exceptions=ExceptionDesk(store, clock, wakeups),
            systems=SystemsDesk(store, clock, wakeups, estate.delivery_policies()),
            edi=EdiInbox(
                store,
                OrderDesk(store, clock, wakeups),
                estate.edi.directory(),
                EdiOutbox(store, clock),
                clock,
                stock=InventorySync(store, None, clock, wakeups).apply,
            ),
        )
    except InvalidDocument as exc:
        fail("refused: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems))
    except BusinessRuleViolation as exc:
        fail(f"refused: {exc}")
    except RetryableError as exc:
        fail(f"the database is busy or down, try again: {exc}")
    finally:
        store.close()


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Say why on stderr and exit with ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def current_settings() -> Settings:
    """The settings, once their database is known to be at the current migration; a bad
    setting or a database that lacks a migration exits with 2, naming it."""
    from crossdock.integration.store.migrate import require_current_schema

    try:
        settings = Settings()
        require_current_schema(settings.store.url)
    except ValidationError as exc:
        fail(f"configuration error: {exc}", code=2)
    except ConfigurationError as exc:
        fail(str(exc), code=2)
    return settings


def operator(by: str | None) -> str:
    """Who acts: ``--by``, else the OS user name."""
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (a bare container)
        return "operator"


def to_json(value: Any) -> str:
    """``value`` as indented JSON, times in ISO 8601."""

    def encode(item: Any) -> Any:
        if isinstance(item, datetime):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not JSON serialisable")

    return json.dumps(value, indent=2, default=encode, ensure_ascii=False)


def minute(moment: datetime | None) -> str:
    """A time to the minute, in UTC."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def plain_table(*columns: str, lines: bool = True) -> Table:
    """A plain table whose ``columns`` never wrap (ids stay whole, to copy and paste)."""
    table = Table(box=box.SIMPLE_HEAD, show_lines=lines, pad_edge=False, show_edge=False)
    for name in columns:
        table.add_column(name, no_wrap=True)
    return table
