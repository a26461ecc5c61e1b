"""The console's partners pages over HTTP: an admin registers a partner, issues it a key that then
works on the partner API, rotates and revokes keys and disables the partner — each through the
access store, each audited (refusals too), and the secret shown once and kept nowhere."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest

from credentials import bearer, partner_key
from crossdock.integration.access.records import AuditQuery
from crossdock.integration.subscriptions.store import SubscriptionStore

from .console_hub import ConsoleHub

ACME = {"partner_id": "acme", "name": "Acme Retail", "customer_ids": "C-A", "rate_limit": ""}


async def csrf(http: httpx.AsyncClient, path: str = "/console/partners") -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', (await http.get(path)).text)
    assert found, f"{path} carries no CSRF token"
    return found.group(1)


async def register(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    return await http.post("/console/partners", data={"csrf": await csrf(http), **ACME, **fields})


async def issue(
    http: httpx.AsyncClient, partner_id: str = "acme", *scopes: str, **fields: str
) -> httpx.Response:
    form = {"csrf": await csrf(http), **{f"scope:{s}": "on" for s in scopes}, **fields}
    return await http.post(f"/console/partners/{partner_id}/keys", data=form)


def secret_on(page: httpx.Response) -> str:
    found = re.search(r'id="secret" value="([^"]+)"', page.text)
    assert found, "the page shows no key"
    return found.group(1)


def key_id_of(secret: str) -> str:
    return "_".join(secret.split("_")[:2])


async def orders_seen_with(http: httpx.AsyncClient, secret: str) -> httpx.Response:
    return await http.get("/api/v1/orders", headers=bearer(secret))


def audit_text(hub: ConsoleHub) -> str:
    return json.dumps([e.detail for e in hub.access.audit(AuditQuery(limit=1000))]) + " ".join(
        e.target for e in hub.access.audit(AuditQuery(limit=1000))
    )


# ---------------------------------------------------------------- registering partners


async def test_an_admin_registers_a_partner_with_its_customers_and_rate_limit(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await register(operator, customer_ids="C-A, C-B\nC-C", rate_limit="30/minute")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/partners/acme?flash=added"
    partner = hub.access.partner("acme")
    assert (partner.name, partner.customer_ids, partner.rate_limit, partner.admin) == (
        "Acme Retail",
        {"C-A", "C-B", "C-C"},
        "30/minute",
        False,
    )
    page = (await operator.get(response.headers["location"])).text
    assert "Partner registered" in page
    assert "C-A, C-B, C-C" in page
    [entry] = hub.access.audit(AuditQuery(action="console.partner.add"))
    assert (entry.outcome, entry.target, entry.remote) == ("ok", "acme", "console")
    assert entry.detail["customers"] == ["C-A", "C-B", "C-C"]


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"partner_id": "Acme Corp"}, "partner_id", 422),
        ({"partner_id": "a" * 49}, "partner_id", 422),
        ({"partner_id": ""}, "partner_id", 422),
        ({"rate_limit": "lots"}, "rate_limit", 422),
        ({"name": "N" * 201}, "name", 422),
        ({"partner_id": "ops"}, "partner_id", 409),  # the operator partner is already there
    ],
)
async def test_a_refused_partner_answers_the_form_again_naming_the_field(
    operator: httpx.AsyncClient,
    hub: ConsoleHub,
    fields: dict[str, str],
    field: str,
    status: int,
) -> None:
    before = hub.access.partners()

    response = await register(operator, **fields)

    assert response.status_code == status
    assert f'id="error-{field}" data-field="{field}"' in response.text
    assert 'value="Acme Retail"' in response.text or "name" in fields  # the draft is kept
    assert hub.access.partners() == before
    [entry] = hub.access.audit(AuditQuery(action="console.partner.add"))
    assert (entry.outcome, entry.detail["field"]) == ("refused", field)


# ---------------------------------------------------------------- keys


async def test_a_key_issued_in_the_console_is_shown_once_and_works_on_the_partner_api(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    hub.submit("O-ACME", customer="C-A")
    hub.submit("O-OTHER", customer="C-B")
    await register(operator)

    shown = await issue(operator, "acme", "orders:read", label="acme erp")

    assert shown.status_code == 201
    assert shown.headers["cache-control"] == "no-store"
    assert "only time it is shown" in shown.text
    secret = secret_on(shown)
    seen = await orders_seen_with(operator, secret)
    assert seen.status_code == 200
    assert [o["order_id"] for o in seen.json()["items"]] == ["O-ACME"]  # its customers only
    me = (await operator.get("/api/v1/me", headers=bearer(secret))).json()
    assert (me["partner_id"], me["scopes"]) == ("acme", ["orders:read"])
    page = await operator.get("/console/partners/acme")
    assert secret not in page.text
    assert f'data-key="{key_id_of(secret)}" data-state="active"' in page.text


async def test_the_key_secret_is_in_no_audit_entry_and_the_issue_is_audited(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)

    secret = secret_on(await issue(operator, "acme", "orders:read", "orders:write"))

    [entry] = hub.access.audit(AuditQuery(action="console.partner.key.create"))
    assert (entry.outcome, entry.target) == ("ok", "acme")
    assert entry.detail["key_id"] == key_id_of(secret)
    assert entry.detail["scopes"] == ["orders:read", "orders:write"]
    hidden = secret.removeprefix(key_id_of(secret) + "_")
    assert hidden not in audit_text(hub)


async def test_a_key_set_to_expire_in_a_day_stops_working_after_it(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    secret = secret_on(await issue(operator, "acme", "orders:read", expires_in_days="1"))
    assert (await orders_seen_with(operator, secret)).status_code == 200

    hub.clock.advance(timedelta(days=1))

    assert (await orders_seen_with(operator, secret)).status_code == 401


@pytest.mark.parametrize(
    ("scopes", "fields", "field"),
    [
        ((), {}, "scopes"),
        (("admin",), {}, "scopes"),  # acme is not an admin partner
        (("orders:read",), {"expires_in_days": "0"}, "expires_in_days"),
        (("orders:read",), {"expires_in_days": "soon"}, "expires_in_days"),
        (("orders:read",), {"expires_in_days": "nan"}, "expires_in_days"),
        (("orders:read",), {"label": "x" * 201}, "label"),
    ],
)
async def test_a_refused_key_is_not_issued_and_the_page_names_the_field(
    operator: httpx.AsyncClient,
    hub: ConsoleHub,
    scopes: tuple[str, ...],
    fields: dict[str, str],
    field: str,
) -> None:
    await register(operator)

    response = await issue(operator, "acme", *scopes, **fields)

    assert response.status_code == 422
    assert f'id="error-{field}" data-field="{field}"' in response.text
    assert 'id="secret"' not in response.text
    assert hub.access.keys("acme") == []
    [entry] = hub.access.audit(AuditQuery(action="console.partner.key.create"))
    assert entry.outcome == "refused"


async def test_the_admin_scope_is_offered_to_admin_partners_only(
    operator: httpx.AsyncClient,
) -> None:
    await register(operator)

    assert 'name="scope:admin"' not in (await operator.get("/console/partners/acme")).text
    assert 'name="scope:admin"' in (await operator.get("/console/partners/ops")).text


async def test_a_revoked_key_is_refused_by_the_api_at_once(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    secret = secret_on(await issue(operator, "acme", "orders:read"))
    key_id = key_id_of(secret)
    assert (await orders_seen_with(operator, secret)).status_code == 200

    response = await operator.post(
        f"/console/partners/acme/keys/{key_id}/revoke",
        data={"csrf": await csrf(operator, "/console/partners/acme")},
    )

    assert (response.status_code, response.headers["location"]) == (
        303,
        "/console/partners/acme?flash=revoked",
    )
    assert (await orders_seen_with(operator, secret)).status_code == 401
    page = (await operator.get(response.headers["location"])).text
    assert f'data-key="{key_id}" data-state="revoked"' in page
    [entry] = hub.access.audit(AuditQuery(action="console.partner.key.revoke"))
    assert (entry.outcome, entry.target, entry.detail["partner"]) == ("ok", key_id, "acme")


async def test_a_rotated_key_works_beside_its_successor_for_the_overlap_only(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    old = secret_on(await issue(operator, "acme", "orders:read", label="erp"))

    shown = await operator.post(
        f"/console/partners/acme/keys/{key_id_of(old)}/rotate",
        data={"csrf": await csrf(operator, "/console/partners/acme"), "overlap_hours": "2"},
    )

    assert (shown.status_code, shown.headers["cache-control"]) == (201, "no-store")
    new = secret_on(shown)
    assert new != old
    assert hub.access.key(key_id_of(new)).label == "erp"
    assert (await orders_seen_with(operator, old)).status_code == 200
    assert (await orders_seen_with(operator, new)).status_code == 200
    hub.clock.advance(timedelta(hours=2))
    assert (await orders_seen_with(operator, old)).status_code == 401
    assert (await orders_seen_with(operator, new)).status_code == 200
    [entry] = hub.access.audit(AuditQuery(action="console.partner.key.rotate"))
    assert (entry.target, entry.detail["key_id"], entry.detail["overlap_hours"]) == (
        key_id_of(old),
        key_id_of(new),
        2,
    )
    assert new.removeprefix(key_id_of(new) + "_") not in audit_text(hub)


async def test_a_rotation_with_an_overlap_out_of_range_issues_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    old = secret_on(await issue(operator, "acme", "orders:read"))

    response = await operator.post(
        f"/console/partners/acme/keys/{key_id_of(old)}/rotate",
        data={"csrf": await csrf(operator, "/console/partners/acme"), "overlap_hours": "9999"},
    )

    assert response.status_code == 422
    assert "overlap" in response.text
    assert [k.key_id for k in hub.access.keys("acme")] == [key_id_of(old)]
    assert hub.access.key(key_id_of(old)).expires_at is None


# ---------------------------------------------------------------- disabling


async def test_disabling_a_partner_cuts_off_its_keys_and_webhook_subscriptions(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    secret = secret_on(await issue(operator, "acme", "orders:read"))
    subscriptions = SubscriptionStore(hub.access.engine, hub.clock)
    subscription = subscriptions.create("acme", "https://acme.example/hooks", ["order.shipped"])
    subscription_id = subscription.subscription.subscription_id
    page = (await operator.get("/console/partners/acme")).text
    assert f'data-subscription="{subscription_id}"' in page
    assert "stops its webhook subscriptions" in page

    response = await operator.post(
        "/console/partners/acme/disable",
        data={"csrf": await csrf(operator, "/console/partners/acme"), "confirm": "on"},
    )

    assert (response.status_code, response.headers["location"]) == (
        303,
        "/console/partners/acme?flash=disabled",
    )
    assert hub.access.partner("acme").disabled_at == hub.clock.now()
    assert (await orders_seen_with(operator, secret)).status_code == 401
    assert subscriptions.subscriptions("acme") == []
    after = (await operator.get(response.headers["location"])).text
    assert 'id="partner-state">disabled<' in after
    assert 'id="create-key"' not in after
    [entry] = hub.access.audit(AuditQuery(action="console.partner.disable"))
    assert (entry.outcome, entry.target) == ("ok", "acme")


async def test_disabling_needs_the_confirmation_ticked(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    secret = secret_on(await issue(operator, "acme", "orders:read"))

    response = await operator.post(
        "/console/partners/acme/disable",
        data={"csrf": await csrf(operator, "/console/partners/acme")},
    )

    assert response.status_code == 422
    assert 'data-field="confirm"' in response.text
    assert hub.access.partner("acme").disabled_at is None
    assert (await orders_seen_with(operator, secret)).status_code == 200
    [entry] = hub.access.audit(AuditQuery(action="console.partner.disable"))
    assert entry.outcome == "refused"


async def test_an_operator_cannot_disable_the_partner_they_are_logged_in_as(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await operator.post(
        "/console/partners/ops/disable",
        data={"csrf": await csrf(operator, "/console/partners/ops"), "confirm": "on"},
    )

    assert response.status_code == 409
    assert hub.access.partner("ops").disabled_at is None
    assert (await operator.get("/console/partners")).status_code == 200  # still logged in
    [entry] = hub.access.audit(AuditQuery(action="console.partner.disable"))
    assert entry.outcome == "refused"


# ---------------------------------------------------------------- guards


async def test_partner_actions_without_the_csrf_token_are_refused_and_change_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    secret = partner_key(hub.access, "acme", ["C-A"])
    key_id = key_id_of(secret)
    forged = {
        "/console/partners": {**ACME, "partner_id": "mallory"},
        "/console/partners/acme/keys": {"scope:orders:read": "on"},
        f"/console/partners/acme/keys/{key_id}/rotate": {},
        f"/console/partners/acme/keys/{key_id}/revoke": {},
        "/console/partners/acme/disable": {"confirm": "on"},
    }

    for path, data in forged.items():
        assert (await operator.post(path, data=data)).status_code == 403, path

    assert [p.partner_id for p in hub.access.partners()] == ["acme", "ops"]
    assert [(k.key_id, k.state(hub.clock.now())) for k in hub.access.keys("acme")] == [
        (key_id, "active")
    ]
    assert hub.access.partner("acme").disabled_at is None
    refusals = hub.access.audit(AuditQuery(action="console.csrf"))
    assert [e.outcome for e in refusals] == ["refused"] * len(forged)


async def test_an_unknown_partner_is_a_404_page(operator: httpx.AsyncClient) -> None:
    token = await csrf(operator)

    page = await operator.get("/console/partners/nope")
    issued = await operator.post(
        "/console/partners/nope/keys", data={"csrf": token, "scope:orders:read": "on"}
    )

    assert page.status_code == issued.status_code == 404
    assert "nope" in page.text


async def test_a_key_is_acted_on_only_under_its_own_partner(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    secret = partner_key(hub.access, "acme", ["C-A"])
    partner_key(hub.access, "globex", ["C-B"])
    token = await csrf(operator)

    revoked = await operator.post(
        f"/console/partners/globex/keys/{key_id_of(secret)}/revoke", data={"csrf": token}
    )
    unknown = await operator.post(
        "/console/partners/acme/keys/cdk_nope/revoke", data={"csrf": token}
    )

    assert revoked.status_code == unknown.status_code == 404
    assert hub.access.key(key_id_of(secret)).revoked_at is None
    refusals = hub.access.audit(AuditQuery(action="console.partner.key.revoke"))
    assert [e.outcome for e in refusals] == ["refused", "refused"]


async def test_a_key_rotated_in_the_console_keeps_its_lifetime_unless_given_days(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await register(operator)
    old = secret_on(await issue(operator, "acme", "orders:read", expires_in_days="30"))
    hub.clock.advance(timedelta(hours=2))  # within the console session's 8 hours
    rotate = f"/console/partners/acme/keys/{key_id_of(old)}/rotate"
    token = await csrf(operator, "/console/partners/acme")

    kept = await operator.post(rotate, data={"csrf": token, "overlap_hours": "1"})
    given = await operator.post(
        rotate, data={"csrf": token, "overlap_hours": "1", "expires_in_days": "7"}
    )

    lives_on = hub.clock.now() + timedelta(days=30)
    assert hub.access.key(key_id_of(secret_on(kept))).expires_at == lives_on
    assert re.search(rf"<th>Expires</th><td>{lives_on:%Y-%m-%d %H:%M:%S}</td>", kept.text), (
        "the shown-once page does not show the carried expiry"
    )
    week = hub.clock.now() + timedelta(days=7)
    assert hub.access.key(key_id_of(secret_on(given))).expires_at == week
    audited = hub.access.audit(AuditQuery(action="console.partner.key.rotate"))
    assert {e.detail["key_id"]: e.detail["expires_at"] for e in audited} == {
        key_id_of(secret_on(kept)): lives_on.isoformat(),
        key_id_of(secret_on(given)): week.isoformat(),
    }
