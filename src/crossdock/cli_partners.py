"""``crossdock partners add | list | keys create | keys list | keys revoke``: who may call the API.

These commands work on the configured database directly (like ``crossdock migrate``), so the
first admin key of a fresh hub can be made before anyone can call the API. Each change is written
to the audit log with the operator's name (``--by``, else the OS user) and ``cli`` as its origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from crossdock.cli_operations import (
    AsJson,
    By,
    current_settings,
    fail,
    minute,
    operator,
    plain_table,
    to_json,
)
from crossdock.integration.access.principal import Scope, parse_scopes
from crossdock.integration.access.records import AccessError, ApiKey
from crossdock.integration.access.store import AccessStore, scope_names
from crossdock.orchestration.clock import SystemClock

partners_app = typer.Typer(
    help="API partners and their keys: register, list, issue, rotate, revoke.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="A partner's API keys.", no_args_is_help=True)
partners_app.add_typer(keys_app, name="keys")

_SCOPES = ", ".join(scope.value for scope in Scope)


@contextmanager
def _access() -> Iterator[AccessStore]:
    from crossdock.integration.store.engine import build_engine

    engine = build_engine(current_settings().store.url)
    try:
        yield AccessStore(engine, SystemClock())
    except AccessError as exc:
        fail(f"refused: {exc}")
    finally:
        engine.dispose()


def _audit(access: AccessStore, action: str, by: str | None, target: str, **detail: object) -> None:
    access.record(
        action, outcome="done", target=target, remote="cli", detail={"by": operator(by), **detail}
    )


def _key_row(key: ApiKey, now: datetime) -> dict[str, object]:
    row = asdict(key)
    row["scopes"] = scope_names(key.scopes)
    row["state"] = key.state(now)
    return row


@partners_app.command("add")
def add_partner(
    partner_id: Annotated[str, typer.Argument(help="The partner's id (lower case, a-z0-9_.-).")],
    name: Annotated[str, typer.Option(help="A display name.")] = "",
    customer: Annotated[
        list[str] | None,
        typer.Option("--customer", help="A customer whose data it may reach (repeatable)."),
    ] = None,
    admin: Annotated[bool, typer.Option(help="An operator partner (may hold 'admin').")] = False,
    rate_limit: Annotated[str, typer.Option(help="Requests per key, e.g. 120/minute.")] = "",
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Register a partner."""
    with _access() as access:
        partner = access.add_partner(
            partner_id, name=name, customer_ids=customer or (), admin=admin, rate_limit=rate_limit
        )
        _audit(access, "cli partners add", by, partner_id, admin=admin)
    if as_json:
        typer.echo(to_json({**asdict(partner), "customer_ids": sorted(partner.customer_ids)}))
        return
    kind = "admin partner" if partner.admin else "partner"
    customers = ", ".join(sorted(partner.customer_ids)) or "none"
    typer.echo(f"added {kind} {partner.partner_id} (customers: {customers})")


@partners_app.command("disable")
def disable_partner(
    partner_id: Annotated[str, typer.Argument(help="The partner to cut off.")],
    by: By = None,
) -> None:
    """Cut a partner off: revoke every key and token it holds and stop its webhook
    subscriptions. Its orders and data stay."""
    with _access() as access:
        partner = access.disable_partner(partner_id)
        _audit(access, "cli partners disable", by, partner_id)
    typer.echo(f"disabled {partner.partner_id}: its keys are revoked, its subscriptions stopped")


@partners_app.command("list")
def list_partners(as_json: AsJson = False) -> None:
    """Every partner, with how many live keys it has."""
    with _access() as access:
        partners = access.partners()
        keys = access.keys()
        now = access.clock.now()
    live = {
        partner.partner_id: sum(
            1
            for key in keys
            if key.partner_id == partner.partner_id and key.state(now) in ("active", "expiring")
        )
        for partner in partners
    }
    if as_json:
        rows = [
            {**asdict(p), "customer_ids": sorted(p.customer_ids), "live_keys": live[p.partner_id]}
            for p in partners
        ]
        typer.echo(to_json(rows))
        return
    table = plain_table("partner", "name", "admin", "customers", "rate limit", "live keys")
    for p in partners:
        table.add_row(
            p.partner_id,
            p.name,
            "yes" if p.admin else "no",
            ", ".join(sorted(p.customer_ids)),
            p.rate_limit or "default",
            str(live[p.partner_id]),
        )
    Console(highlight=False).print(table)


@keys_app.command("create")
def create_key(
    partner_id: Annotated[str, typer.Argument(help="The partner the key is for.")],
    scope: Annotated[list[str], typer.Option("--scope", help=f"A scope (repeatable): {_SCOPES}.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    expires_in_days: Annotated[
        float | None,
        typer.Option(
            help="The key stops working after this many days (with --rotate and none given: "
            "as long as the rotated key was set to live)."
        ),
    ] = None,
    rotate: Annotated[
        str | None, typer.Option(help="A key id this one replaces (it keeps working a while).")
    ] = None,
    overlap_hours: Annotated[
        float, typer.Option(help="How long the rotated key keeps working.")
    ] = 24,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Issue a key. The key is printed once: store it now, it cannot be shown again."""
    try:
        scopes = parse_scopes(scope)
    except ValueError as exc:
        fail(str(exc), code=2)
    with _access() as access:
        now = access.clock.now()
        expires_at = None if expires_in_days is None else now + timedelta(days=expires_in_days)
        issued = access.create_key(
            partner_id,
            scopes,
            label=label,
            expires_at=expires_at,
            rotate=rotate,
            overlap=timedelta(hours=overlap_hours),
        )
        _audit(
            access,
            "cli partners keys create",
            by,
            issued.key.key_id,
            partner=partner_id,
            scopes=scope_names(scopes),
            rotated=rotate or "",
        )
    if as_json:
        typer.echo(to_json({**_key_row(issued.key, now), "secret": issued.secret}))
        return
    typer.echo(issued.secret)
    typer.echo(
        f"key {issued.key.key_id} for {partner_id} ({', '.join(scope_names(scopes))}); "
        "this is the only time the key is shown",
        err=True,
    )
    if rotate:
        typer.echo(f"{rotate} keeps working for {overlap_hours:g} hours", err=True)


@keys_app.command("list")
def list_keys(
    partner_id: Annotated[str | None, typer.Argument(help="One partner's keys only.")] = None,
    as_json: AsJson = False,
) -> None:
    """Keys (never their secrets): state, scopes, last use."""
    with _access() as access:
        keys = access.keys(partner_id)
        now = access.clock.now()
    if as_json:
        typer.echo(to_json([_key_row(key, now) for key in keys]))
        return
    table = plain_table("key", "partner", "state", "scopes", "expires", "last used", "from")
    for key in keys:
        table.add_row(
            key.key_id,
            key.partner_id,
            key.state(now),
            " ".join(scope_names(key.scopes)),
            minute(key.expires_at),
            minute(key.last_used_at),
            key.last_used_from,
        )
    Console(highlight=False).print(table)


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (its visible prefix).")],
    by: By = None,
) -> None:
    """Revoke a key now, with every access token issued to it."""
    with _access() as access:
        key = access.revoke_key(key_id)
        _audit(access, "cli partners keys revoke", by, key_id, partner=key.partner_id)
    typer.echo(f"revoked {key.key_id} of {key.partner_id}")
