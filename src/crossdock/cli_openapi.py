"""``crossdock openapi``: the partner API's OpenAPI 3.1 document, as the hub serves it.

The document is committed at ``docs/api/openapi.json`` so that a change to the API shows up in
review as a change to that file. ``crossdock openapi --check`` (and a test that ``make test``
runs) fails when the committed copy differs from what the code serves; ``--write`` refreshes it.
It is built from the hub exactly as ``crossdock up`` wires it, on the sandbox estate, so the
document has every router: orders, master data, partners, subscriptions, the EDI and webhook
routes.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

COMMITTED = Path("docs/api/openapi.json")
"""Where the committed copy lives, from the repository's root."""


def served_openapi() -> dict[str, Any]:
    """The OpenAPI document of a hub built as ``crossdock up`` builds it (sandbox estate)."""
    from crossdock.bootstrap import build_hub
    from crossdock.estate import sandbox_estate
    from crossdock.settings import Settings, StoreSettings

    with tempfile.TemporaryDirectory(prefix="crossdock-openapi-") as directory:
        settings = Settings(store=StoreSettings(url=f"sqlite:///{directory}/openapi.db"))
        hub = build_hub(settings, sandbox_estate(), workers=False)
        try:
            return hub.app.openapi()
        finally:
            asyncio.run(hub.stop())


def render(document: dict[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indents, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def openapi(
    check: Annotated[
        bool, typer.Option("--check", help="Fail when the committed copy is not current.")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="Refresh the committed copy.")] = False,
    path: Annotated[Path, typer.Option(help="The committed copy.")] = COMMITTED,
) -> None:
    """Print the served OpenAPI document; or check or refresh the committed copy."""
    text = render(served_openapi())
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        typer.echo(f"wrote {path}", err=True)
        return
    if check:
        committed = path.read_text() if path.exists() else ""
        if committed != text:
            typer.echo(
                f"{path} is not what the hub serves: run `crossdock openapi --write` and commit",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"{path} is current", err=True)
        return
    typer.echo(text, nl=False)
