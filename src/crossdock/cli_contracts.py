"""``crossdock contracts check | snapshot | list``: the business event contracts (ARCHITECTURE D6).

``check`` compares the registry (``crossdock.integration.contracts``) with the committed
snapshot and AsyncAPI document (``docs/api/events.json``, ``docs/api/asyncapi.json``) and says
what changed and whether it breaks a published version; ``snapshot`` refreshes the committed
files, and refuses a breaking change unless told ``--allow-breaking``; ``list`` shows every
event type with its subject, owner and fields.

Exit codes: 0 the committed files are current (``check``) or were written (``snapshot``);
1 a breaking change, a stale or missing file, or a refused snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdock.cli_operations import AsJson, plain_table, to_json
from crossdock.integration.contracts import ORDER_EVENTS, Change, PublishedContracts
from crossdock.integration.contracts.snapshot import snapshot_of

contracts_app = typer.Typer(
    help="Business event contracts: check them against what was published, refresh, list.",
    no_args_is_help=True,
)

Directory = Annotated[
    Path,
    typer.Option(
        "--dir", help="Where the committed events.json and asyncapi.json live.", file_okay=False
    ),
]
DEFAULT_DIRECTORY = Path("docs/api")


def _print_changes(changes: list[Change]) -> None:
    for change in sorted(changes, key=lambda c: (not c.breaking, c.event_type, c.path)):
        typer.echo(f"  {change}")


@contracts_app.command("check")
def check(directory: Directory = DEFAULT_DIRECTORY, as_json: AsJson = False) -> None:
    """Compare the registry with the committed snapshot and AsyncAPI document; fail on a
    breaking change or on a file that is stale (run ``contracts snapshot`` to refresh it)."""
    review = PublishedContracts(directory).review(ORDER_EVENTS)
    if as_json:
        typer.echo(
            to_json(
                {
                    "current": review.current,
                    "breaking": bool(review.breaking),
                    "changes": [
                        {
                            "event_type": c.event_type,
                            "path": c.path,
                            "message": c.message,
                            "breaking": c.breaking,
                        }
                        for c in review.changes
                    ],
                    "stale": review.stale,
                }
            )
        )
        raise typer.Exit(0 if review.current else 1)
    if review.current:
        typer.echo(f"contracts current: {len(ORDER_EVENTS)} event types match {directory}")
        return
    if review.changes:
        typer.echo(f"{len(review.changes)} change(s) since the published snapshot:")
        _print_changes(review.changes)
    for stale in review.stale:
        typer.echo(f"stale: {stale}")
    if review.breaking:
        typer.echo(
            f"{len(review.breaking)} breaking change(s) to published event versions: keep the "
            "published version as it is and register the change as a new version (.v2)"
        )
    else:
        typer.echo("no breaking change: run `crossdock contracts snapshot` and commit the files")
    raise typer.Exit(1)


@contracts_app.command("snapshot")
def snapshot(
    directory: Directory = DEFAULT_DIRECTORY,
    allow_breaking: Annotated[
        bool,
        typer.Option(
            "--allow-breaking",
            help="Write even when a published version changes incompatibly (its consumers break).",
        ),
    ] = False,
) -> None:
    """Write the snapshot and the AsyncAPI document from the registry."""
    published = PublishedContracts(directory)
    review = published.review(ORDER_EVENTS)
    if review.breaking:
        typer.echo(f"{len(review.breaking)} breaking change(s) to published event versions:")
        _print_changes(review.breaking)
        if not allow_breaking:
            typer.echo("refused: register a new version instead, or pass --allow-breaking")
            raise typer.Exit(1)
        typer.echo("written anyway (--allow-breaking)")
    written = published.write(ORDER_EVENTS)
    if not written:
        typer.echo(f"already current: {directory}")
    for path in written:
        typer.echo(f"wrote {path}")


@contracts_app.command("list")
def list_contracts(as_json: AsJson = False) -> None:
    """Every event type: its subject, owner, data schema and fields (* required)."""
    if as_json:
        typer.echo(to_json(snapshot_of(ORDER_EVENTS)["events"]))
        return
    table = plain_table("type", "subject", "owner", "fields", lines=False)
    for contract in ORDER_EVENTS:
        schema = contract.schema()
        required = set(schema.get("required", ()))
        fields = ", ".join(
            f"{name}{'*' if name in required else ''}" for name in schema.get("properties", {})
        )
        table.add_row(contract.type, contract.subject, contract.owner, fields)
    Console(highlight=False).print(table)
