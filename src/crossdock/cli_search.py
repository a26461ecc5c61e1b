"""``crossdock search backfill [--dry-run]``: make orders shipped before the upgrade findable.

Works on the database at ``CROSSDOCK_STORE__URL`` directly, like the other operator commands (no
running hub needed, and workers may keep running): see
:mod:`crossdock.visibility.search_backfill` for what it records and why it is safe to repeat.
A progress bar goes to stderr; the counts go to stdout (``--json`` for a script).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossdock.cli_operations import AsJson, current_settings, fail, to_json
from crossdock.core.errors import RetryableError
from crossdock.visibility.search_backfill import BATCH, BackfillReport, SearchBackfill

search_app = typer.Typer(
    help="Order search: back-fill the shipment and tracking numbers it finds orders by.",
    no_args_is_help=True,
)


@search_app.command("backfill")
def backfill(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what is missing; write nothing.")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Orders per transaction.")] = BATCH,
    as_json: AsJson = False,
) -> None:
    """Bind the shipment (ASN) and tracking numbers of orders shipped before the upgrade.

    Orders shipped before migration 0006 have none, so search cannot find them by those numbers.
    Idempotent: a second run adds nothing.
    """
    from crossdock.integration.store.sql import SqlStore

    store = SqlStore(current_settings().store.url)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            walking = progress.add_task("orders", total=None)

            def show(report: BackfillReport) -> None:
                progress.update(walking, total=report.total, completed=report.orders)

            report = SearchBackfill(store, batch=batch).run(dry_run=dry_run, progress=show)
    except RetryableError as exc:
        fail(f"the database is busy or down, try again: {exc}")
    finally:
        store.close()
    if as_json:
        typer.echo(to_json(asdict(report)))
        return
    verb = "would add" if dry_run else "added"
    typer.echo(
        f"{report.orders} orders looked at, {report.shipped} with shipments; "
        f"{verb} {report.added} bindings to {report.orders_changed} orders"
        + (" (dry run: nothing written)" if dry_run else "")
    )
