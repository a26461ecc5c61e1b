"""``crossdock partners …`` against a migrated SQLite file: the keys it prints work on the API's
access store, and every change lands in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crossdock.cli import app
from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AuditQuery, AuthenticationFailed
from crossdock.integration.access.store import AccessStore
from crossdock.integration.store.engine import build_engine
from crossdock.integration.store.migrate import upgrade
from crossdock.orchestration.clock import SystemClock


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade(url)
    return url


@pytest.fixture
def access(database: str) -> Iterator[AccessStore]:
    """The store the API would check keys with, on the database the CLI writes."""
    engine = build_engine(database)
    yield AccessStore(engine, SystemClock())
    engine.dispose()


def crossdock(database: str, *args: str) -> Result:
    """Run the CLI on ``database``, as an operator's shell would."""
    env = {"CROSSDOCK_STORE__URL": database, "CROSSDOCK_ESTATE_FILE": None, "COLUMNS": "240"}
    return CliRunner().invoke(app, list(args), env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def new_key(database: str, partner_id: str = "acme", *scopes: str) -> str:
    args = [arg for scope in scopes or ("orders:read",) for arg in ("--scope", scope)]
    return ok(crossdock(database, "partners", "keys", "create", partner_id, *args)).strip()


def test_partners_are_added_and_listed(database: str) -> None:
    added = crossdock(database, "partners", "add", "acme", "--customer", "C-1", "--customer", "C-2")
    admin = crossdock(database, "partners", "add", "ops", "--admin", "--name", "Operations")
    new_key(database)

    assert ok(added).strip() == "added partner acme (customers: C-1, C-2)"
    assert ok(admin).strip() == "added admin partner ops (customers: none)"
    table = ok(crossdock(database, "partners", "list"))
    assert "acme" in table
    assert "C-1, C-2" in table
    assert "Operations" in table
    listed = as_json(crossdock(database, "partners", "list", "--json"))
    assert [(p["partner_id"], p["admin"], p["live_keys"]) for p in listed] == [
        ("acme", False, 1),
        ("ops", True, 0),
    ]
    assert listed[0]["customer_ids"] == ["C-1", "C-2"]


def test_a_partner_id_is_refused_when_taken_or_malformed(database: str) -> None:
    ok(crossdock(database, "partners", "add", "acme"))

    taken = crossdock(database, "partners", "add", "acme")
    malformed = crossdock(database, "partners", "add", "Acme Corp")

    assert taken.exit_code == 1
    assert "already exists" in taken.stderr
    assert malformed.exit_code == 1
    assert "partner id" in malformed.stderr
    assert [
        p["partner_id"] for p in as_json(crossdock(database, "partners", "list", "--json"))
    ] == ["acme"]


def test_a_created_key_is_printed_once_and_authenticates(
    database: str, access: AccessStore
) -> None:
    ok(crossdock(database, "partners", "add", "acme", "--customer", "C-1"))

    result = crossdock(
        database, "partners", "keys", "create", "acme", "--scope", "orders:read",
        "--scope", "orders:write", "--label", "erp",
    )  # fmt: skip

    key = ok(result).strip()
    assert key.startswith("cdk_")
    assert "only time" in result.stderr
    assert key not in result.stderr
    principal = access.authenticate(key)
    assert principal.partner_id == "acme"
    assert principal.scopes == {Scope.ORDERS_READ, Scope.ORDERS_WRITE}
    assert principal.customer_ids == {"C-1"}


def test_keys_are_listed_without_their_secrets(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme"))
    key = new_key(database)
    access.authenticate(key, remote="10.1.2.3")
    secret = key[17:]

    table = crossdock(database, "partners", "keys", "list", "acme")
    listed = crossdock(database, "partners", "keys", "list", "--json")

    assert key[:16] in ok(table)
    assert "10.1.2.3" in table.stdout
    [row] = as_json(listed)
    assert (row["key_id"], row["state"], row["scopes"]) == (key[:16], "active", ["orders:read"])
    for output in (table.output, listed.output):
        assert secret not in output
        assert "secret" not in output


def test_a_revoked_key_is_refused(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme"))
    key = new_key(database)

    revoked = crossdock(database, "partners", "keys", "revoke", key[:16])

    assert ok(revoked).strip() == f"revoked {key[:16]} of acme"
    with pytest.raises(AuthenticationFailed):
        access.authenticate(key)
    [row] = as_json(crossdock(database, "partners", "keys", "list", "acme", "--json"))
    assert row["state"] == "revoked"
    assert crossdock(database, "partners", "keys", "revoke", "cdk_000000000000").exit_code == 1


def test_a_rotated_key_keeps_working_for_the_overlap(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme"))
    old = new_key(database)

    result = crossdock(
        database, "partners", "keys", "create", "acme", "--scope", "orders:read",
        "--rotate", old[:16], "--overlap-hours", "2",
    )  # fmt: skip

    new = ok(result).strip()
    assert access.authenticate(old).key_id == old[:16]
    assert access.authenticate(new).key_id == new[:16]
    expires_at = access.key(old[:16]).expires_at
    assert expires_at is not None
    assert 7190 < (expires_at - datetime.now(UTC)).total_seconds() <= 7200


def test_an_unknown_scope_exits_2_and_creates_nothing(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme"))

    result = crossdock(database, "partners", "keys", "create", "acme", "--scope", "orders:delete")

    assert result.exit_code == 2
    assert "orders:delete" in result.stderr
    assert access.keys("acme") == []


def test_the_admin_scope_is_refused_for_a_trading_partner(
    database: str, access: AccessStore
) -> None:
    ok(crossdock(database, "partners", "add", "acme"))

    result = crossdock(database, "partners", "keys", "create", "acme", "--scope", "admin")

    assert result.exit_code == 1
    assert "admin" in result.stderr
    assert access.keys("acme") == []


def test_cli_changes_are_in_the_audit_log(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme", "--by", "dana"))
    key = new_key(database)
    ok(crossdock(database, "partners", "keys", "revoke", key[:16], "--by", "dana"))

    entries = list(reversed(access.audit(AuditQuery(limit=10))))

    assert [(e.action, e.target, e.remote) for e in entries] == [
        ("cli partners add", "acme", "cli"),
        ("cli partners keys create", key[:16], "cli"),
        ("cli partners keys revoke", key[:16], "cli"),
    ]
    assert entries[0].detail["by"] == "dana"
    assert entries[1].detail["scopes"] == ["orders:read"]
    assert entries[2].detail == {"by": "dana", "partner": "acme"}
    assert all(key[17:] not in json.dumps(e.detail) for e in entries)


def test_a_database_without_the_schema_exits_2(tmp_path: Path) -> None:
    result = crossdock(f"sqlite:///{tmp_path}/empty.db", "partners", "list")

    assert result.exit_code == 2


def test_a_disabled_partner_keeps_no_working_key(database: str, access: AccessStore) -> None:
    ok(crossdock(database, "partners", "add", "acme"))
    key = new_key(database)

    disabled = crossdock(database, "partners", "disable", "acme", "--by", "dana")

    assert "disabled acme" in ok(disabled)
    with pytest.raises(AuthenticationFailed):
        access.authenticate(key)
    [row] = as_json(crossdock(database, "partners", "list", "--json"))
    assert row["disabled_at"] is not None
    assert row["live_keys"] == 0
    assert crossdock(database, "partners", "disable", "nobody").exit_code == 1
