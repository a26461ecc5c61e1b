"""The access store on SQLite and PostgreSQL: partners, keys, rotation, tokens, the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import (
    AccessError,
    AuditQuery,
    AuthenticationFailed,
    IssuedKey,
)
from crossdock.integration.access.store import AccessStore
from crossdock.integration.store import schema as t
from crossdock.integration.store.sql import SqlStore
from crossdock.integration.subscriptions.store import SubscriptionStore
from crossdock.orchestration.clock import FakeClock

READ = frozenset({Scope.ORDERS_READ})
READ_WRITE = frozenset({Scope.ORDERS_READ, Scope.ORDERS_WRITE})


def acme(access: AccessStore) -> None:
    access.add_partner("acme", name="Acme", customer_ids=["C-1", "C-2"], rate_limit="10/second")


def secret_of(issued: IssuedKey) -> str:
    """The secret part of a key (after its visible id and the ``_``; the secret may hold ``_``)."""
    return issued.secret.removeprefix(issued.key.key_id + "_")


def refusal(access: AccessStore, presented: str) -> str:
    """Why ``presented`` is refused (fails the test when it is accepted)."""
    with pytest.raises(AuthenticationFailed) as refused:
        access.authenticate(presented)
    return refused.value.reason


# --- keys ---------------------------------------------------------------------------------------


def test_a_key_is_stored_only_as_a_hash_and_shown_with_its_visible_prefix(
    access: AccessStore,
) -> None:
    acme(access)
    issued = access.create_key("acme", READ, label="erp")

    key_id, secret = issued.key.key_id, secret_of(issued)
    assert issued.secret == f"{key_id}_{secret}"
    assert key_id.startswith("cdk_")
    assert len(secret) >= 40
    with access.engine.connect() as c:
        row = c.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).one()
    stored = " ".join(str(value) for value in row)
    assert secret not in stored
    assert issued.secret not in stored
    assert access.keys("acme") == [issued.key]


def test_a_key_authenticates_as_its_partner_with_its_scopes_and_customers(
    access: AccessStore,
) -> None:
    acme(access)
    issued = access.create_key("acme", READ_WRITE)

    principal = access.authenticate(issued.secret, remote="10.0.0.7")

    assert principal.partner_id == "acme"
    assert principal.key_id == issued.key.key_id
    assert principal.scopes == READ_WRITE
    assert principal.customer_ids == {"C-1", "C-2"}
    assert principal.via == "api_key"
    assert principal.rate_limit == "10/second"
    assert principal.allows(Scope.ORDERS_WRITE)
    assert not principal.allows(Scope.ADMIN)
    assert principal.tenancy() == frozenset({"C-1", "C-2"})


def test_wrong_secret_unknown_key_and_malformed_credentials_are_refused(
    access: AccessStore,
) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    other = access.create_key("acme", READ)
    key_id = issued.key.key_id

    assert refusal(access, issued.secret[:-1] + "x") == "unknown key or wrong secret"
    # Another key's secret under this key's id.
    assert refusal(access, f"{key_id}_{secret_of(other)}")
    assert refusal(access, "cdk_000000000000_" + secret_of(issued))
    malformed_keys = (
        "",
        "secret",
        "cdk_",
        f"{key_id}_",
        f"{key_id}x{secret_of(issued)}",
        f"cdk_00000000000\x00_{secret_of(issued)}",  # PostgreSQL refuses NUL in a query
        f"cdk_ZZZZZZZZZZZZ_{secret_of(issued)}",
    )
    for malformed in malformed_keys:
        assert refusal(access, malformed) == "malformed credential"
    assert refusal(access, "cdt_not-a-token") == "unknown or revoked token"


def test_a_revoked_key_is_refused_from_the_next_request(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    access.authenticate(issued.secret)

    revoked = access.revoke_key(issued.key.key_id)

    assert revoked.revoked_at == access.clock.now()
    assert revoked.state(access.clock.now()) == "revoked"
    assert refusal(access, issued.secret) == "key revoked"
    assert access.revoke_key(issued.key.key_id).revoked_at == revoked.revoked_at  # idempotent


def test_a_key_stops_working_when_it_expires(access: AccessStore, clock: FakeClock) -> None:
    acme(access)
    issued = access.create_key("acme", READ, expires_at=clock.now() + timedelta(days=30))

    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    access.authenticate(issued.secret)
    clock.advance(timedelta(seconds=1))

    assert refusal(access, issued.secret) == "key expired"
    assert access.key(issued.key.key_id).state(clock.now()) == "expired"


def test_a_rotated_key_keeps_working_inside_the_overlap_and_not_after(
    access: AccessStore, clock: FakeClock
) -> None:
    acme(access)
    old = access.create_key("acme", READ)

    new = access.create_key("acme", READ, rotate=old.key.key_id, overlap=timedelta(hours=2))

    assert access.key(old.key.key_id).state(clock.now()) == "expiring"
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert access.authenticate(old.secret).key_id == old.key.key_id
    clock.advance(timedelta(seconds=1))
    assert refusal(access, old.secret) == "key expired"
    assert access.authenticate(new.secret).key_id == new.key.key_id


def test_a_key_rotated_without_an_expiry_lives_as_long_as_the_key_it_replaces(
    access: AccessStore, clock: FakeClock
) -> None:
    acme(access)
    old = access.create_key("acme", READ, expires_at=clock.now() + timedelta(days=30))
    clock.advance(timedelta(days=10))

    new = access.create_key("acme", READ, rotate=old.key.key_id)

    assert new.key.expires_at == clock.now() + timedelta(days=30)
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert access.authenticate(new.secret).key_id == new.key.key_id
    clock.advance(timedelta(seconds=1))
    assert refusal(access, new.secret) == "key expired"


def test_a_rotation_given_an_expiry_keeps_it_and_a_key_that_never_expires_stays_so(
    access: AccessStore, clock: FakeClock
) -> None:
    acme(access)
    expiring = access.create_key("acme", READ, expires_at=clock.now() + timedelta(days=30))
    forever = access.create_key("acme", READ)

    shorter = access.create_key(
        "acme", READ, rotate=expiring.key.key_id, expires_at=clock.now() + timedelta(days=7)
    )
    renewed = access.create_key("acme", READ, rotate=forever.key.key_id)

    assert shorter.key.expires_at == clock.now() + timedelta(days=7)
    assert renewed.key.expires_at is None


def test_rotation_names_a_live_key_of_the_same_partner(access: AccessStore) -> None:
    acme(access)
    access.add_partner("globex", customer_ids=["C-9"])
    theirs = access.create_key("globex", READ)
    revoked = access.create_key("acme", READ)
    access.revoke_key(revoked.key.key_id)

    with pytest.raises(AccessError) as not_ours:
        access.create_key("acme", READ, rotate=theirs.key.key_id)
    with pytest.raises(AccessError) as dead:
        access.create_key("acme", READ, rotate=revoked.key.key_id)

    assert (not_ours.value.field, not_ours.value.status) == ("rotate", 404)
    assert (dead.value.field, dead.value.status) == ("rotate", 409)
    assert access.key(theirs.key.key_id).expires_at is None
    assert len(access.keys("acme")) == 1  # nothing was issued


def test_only_an_admin_partner_may_hold_the_admin_scope(access: AccessStore) -> None:
    acme(access)
    access.add_partner("ops", admin=True)

    with pytest.raises(AccessError) as refused:
        access.create_key("acme", [Scope.ADMIN, Scope.ORDERS_READ])

    assert refused.value.field == "scopes"
    assert access.keys("acme") == []
    principal = access.authenticate(access.create_key("ops", [Scope.ADMIN]).secret)
    assert principal.is_admin
    assert principal.tenancy() is None
    assert principal.allows(Scope.SUBSCRIPTIONS_WRITE)


def test_a_key_needs_a_scope_and_an_existing_partner(access: AccessStore) -> None:
    acme(access)
    with pytest.raises(AccessError) as no_scope:
        access.create_key("acme", [])
    with pytest.raises(AccessError) as no_partner:
        access.create_key("nobody", READ)

    assert no_scope.value.field == "scopes"
    assert (no_partner.value.field, no_partner.value.status) == ("partner_id", 404)


def test_last_use_is_written_at_most_once_a_minute(access: AccessStore, clock: FakeClock) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    first_use = clock.now()

    access.authenticate(issued.secret, remote="10.0.0.1")
    clock.advance(timedelta(seconds=59))
    access.authenticate(issued.secret, remote="10.0.0.2")

    key = access.key(issued.key.key_id)
    assert (key.last_used_at, key.last_used_from) == (first_use, "10.0.0.1")
    clock.advance(timedelta(seconds=1))
    access.authenticate(issued.secret, remote="10.0.0.3")
    key = access.key(issued.key.key_id)
    assert (key.last_used_at, key.last_used_from) == (clock.now(), "10.0.0.3")


# --- partners -----------------------------------------------------------------------------------


@pytest.mark.parametrize("partner_id", ["", "Acme", "-acme", "acme corp", "acme/x", "a" * 65])
def test_a_malformed_partner_id_is_refused(access: AccessStore, partner_id: str) -> None:
    with pytest.raises(AccessError) as refused:
        access.add_partner(partner_id)

    assert refused.value.field == "partner_id"
    assert access.partners() == []


def test_a_partner_id_is_registered_once(access: AccessStore) -> None:
    acme(access)

    with pytest.raises(AccessError) as taken:
        access.add_partner("acme", customer_ids=["C-3"])

    assert (taken.value.field, taken.value.status) == ("partner_id", 409)
    assert access.partner("acme").customer_ids == {"C-1", "C-2"}


def test_a_malformed_rate_limit_is_refused(access: AccessStore) -> None:
    with pytest.raises(AccessError) as refused:
        access.add_partner("acme", rate_limit="lots")

    assert refused.value.field == "rate_limit"


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "A" * 201), ("name", "Acme\x00"), ("rate_limit", "1/second;" * 8)],
)
def test_a_name_or_rate_limit_its_column_cannot_hold_is_refused_naming_the_field(
    access: AccessStore, field: str, value: str
) -> None:
    with pytest.raises(AccessError) as refused:
        access.add_partner("acme", **{field: value})

    assert (refused.value.field, refused.value.status) == (field, 422)
    assert access.partners() == []


def test_a_key_label_its_column_cannot_hold_is_refused(access: AccessStore) -> None:
    acme(access)

    with pytest.raises(AccessError) as refused:
        access.create_key("acme", READ, label="x" * 201)

    assert refused.value.field == "label"
    assert access.keys("acme") == []
    assert access.create_key("acme", READ, label="x" * 200).key.label == "x" * 200


# --- OAuth2 tokens ------------------------------------------------------------------------------


def test_a_token_carries_the_subset_of_scopes_asked_for(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ_WRITE)
    key_id, secret = issued.key.key_id, secret_of(issued)

    token = access.issue_token(key_id, secret, ["orders:read"])
    principal = access.authenticate(token.token)

    assert token.token.startswith("cdt_")
    assert token.partner_id == "acme"
    assert token.scopes == READ
    assert token.expires_at == access.clock.now() + timedelta(hours=1)
    assert (principal.partner_id, principal.key_id, principal.via) == ("acme", key_id, "oauth2")
    assert principal.scopes == READ
    assert principal.customer_ids == {"C-1", "C-2"}
    # The whole key works as the client secret too; no scope asked: all of the key's.
    assert access.issue_token(key_id, issued.secret).scopes == READ_WRITE


def test_a_token_is_stored_only_as_a_hash(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    token = access.issue_token(issued.key.key_id, issued.secret)

    with access.engine.connect() as c:
        rows = c.execute(select(t.api_tokens)).all()

    assert len(rows) == 1
    assert token.token not in " ".join(str(value) for value in rows[0])


def test_a_token_cannot_carry_more_than_its_key(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ)

    with pytest.raises(AccessError) as refused:
        access.issue_token(issued.key.key_id, issued.secret, ["orders:read", "orders:write"])

    assert (refused.value.field, refused.value.status) == ("scope", 400)
    assert "orders:write" in str(refused.value)


def test_a_token_needs_the_right_client_credentials(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    other = access.create_key("acme", READ)

    with pytest.raises(AuthenticationFailed):
        access.issue_token(issued.key.key_id, "wrong")
    with pytest.raises(AuthenticationFailed):
        access.issue_token(issued.key.key_id, other.secret)


def test_a_token_expires_after_an_hour(access: AccessStore, clock: FakeClock) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    token = access.issue_token(issued.key.key_id, issued.secret).token

    clock.advance(timedelta(minutes=59, seconds=59))
    access.authenticate(token)
    clock.advance(timedelta(seconds=1))

    assert refusal(access, token) == "token expired"


def test_revoking_a_key_kills_its_tokens(access: AccessStore) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    token = access.issue_token(issued.key.key_id, issued.secret).token
    access.authenticate(token)

    access.revoke_key(issued.key.key_id)

    assert refusal(access, token) == "unknown or revoked token"
    with pytest.raises(AuthenticationFailed):
        access.issue_token(issued.key.key_id, issued.secret)


def test_a_token_does_not_outlive_its_rotated_key(access: AccessStore, clock: FakeClock) -> None:
    acme(access)
    old = access.create_key("acme", READ)
    access.create_key("acme", READ, rotate=old.key.key_id, overlap=timedelta(minutes=10))

    token = access.issue_token(old.key.key_id, old.secret)
    clock.advance(timedelta(minutes=10))

    assert token.expires_at == old.key.created_at + timedelta(minutes=10)
    assert refusal(access, token.token) == "token expired"


def test_a_token_issued_before_its_key_was_rotated_ends_with_the_overlap(
    access: AccessStore, clock: FakeClock
) -> None:
    acme(access)
    old = access.create_key("acme", READ)
    token = access.issue_token(old.key.key_id, old.secret)  # an hour, as nothing was rotating

    access.create_key("acme", READ, rotate=old.key.key_id, overlap=timedelta(minutes=5))
    assert access.authenticate(token.token).key_id == old.key.key_id
    clock.advance(timedelta(minutes=5))

    assert refusal(access, token.token) == "token of a key expired"


# --- audit log ----------------------------------------------------------------------------------


def test_the_audit_log_reads_newest_first_with_filters(
    access: AccessStore, clock: FakeClock
) -> None:
    start = clock.now()
    access.record("keys.create", outcome="201", partner_id="ops", key_id="cdk_a", remote="1.2.3.4")
    clock.advance(timedelta(minutes=1))
    access.record("auth.failed", outcome="refused", key_id="cdk_b", detail={"reason": "revoked"})
    clock.advance(timedelta(minutes=1))
    access.record("keys.create", outcome="409", partner_id="ops", target="acme")

    everything = access.audit(AuditQuery())
    [refused] = access.audit(AuditQuery(outcome="refused"))
    created = access.audit(AuditQuery(action="keys.create"))
    [first] = access.audit(AuditQuery(until=start + timedelta(seconds=30)))
    later = access.audit(AuditQuery(since=start + timedelta(seconds=30), partner_id="ops"))
    [older] = access.audit(AuditQuery(before=everything[1].audit_id))

    assert [e.action for e in everything] == ["keys.create", "auth.failed", "keys.create"]
    assert [e.at for e in everything] == [start + timedelta(minutes=m) for m in (2, 1, 0)]
    assert (refused.key_id, refused.detail) == ("cdk_b", {"reason": "revoked"})
    assert [e.outcome for e in created] == ["409", "201"]
    assert (first.remote, first.partner_id) == ("1.2.3.4", "ops")
    assert [e.target for e in later] == ["acme"]
    assert older == first
    assert len(access.audit(AuditQuery(limit=2))) == 2


def test_an_audit_entry_of_any_length_is_kept_truncated(access: AccessStore) -> None:
    long_path = "/api/v1/" + "x" * 400

    access.record(f"POST {long_path}", outcome="404", target=long_path, remote="r" * 100)

    [entry] = access.audit(AuditQuery())
    assert entry.action == f"POST {long_path}"[:64]
    assert entry.target == long_path[:256]
    assert entry.remote == "r" * 64


def test_a_key_cannot_be_issued_already_expired(access: AccessStore, clock: FakeClock) -> None:
    acme(access)

    with pytest.raises(AccessError) as refused:
        access.create_key("acme", READ, expires_at=clock.now())

    assert refused.value.field == "expires_at"
    assert access.keys("acme") == []


def test_an_audit_entry_keeps_what_a_caller_sent_even_with_a_nul(access: AccessStore) -> None:
    access.record("oauth.token", outcome="refused", key_id="cdk_\x00x", target="GET /a\x00b")

    [entry] = access.audit(AuditQuery())
    assert (entry.key_id, entry.target) == ("cdk_\ufffdx", "GET /a\ufffdb")


def test_a_disabled_partner_loses_its_keys_tokens_and_webhook_subscriptions(
    access: AccessStore, database: SqlStore
) -> None:
    acme(access)
    issued = access.create_key("acme", READ)
    token = access.issue_token(issued.key.key_id, issued.secret)
    subscriptions = SubscriptionStore(database.engine, access.clock)
    subscribed = subscriptions.create("acme", "https://hooks.acme.test/crossdock", ["x.v1"])

    disabled = access.disable_partner("acme")

    assert disabled.disabled_at == access.clock.now()
    assert refusal(access, issued.secret) == "key revoked"
    assert refusal(access, token.token) == "unknown or revoked token"
    assert subscriptions.subscriptions("acme") == []
    target = subscriptions.target(subscribed.subscription.subscription_id)
    assert target is not None
    assert target.active is False
    with pytest.raises(AccessError):
        access.create_key("acme", READ)  # a disabled partner gets no new key either
