"""``/partners``, ``/keys``, ``/audit`` and ``/me`` over HTTP: what operators and partners see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from credentials import admin_key, partner_key

from .estate import PROBLEM_JSON, Estate, client, new_order, problem_fields

KEYS = "/api/v1/partners/{partner_id}/keys"
ACME = {"partner_id": "acme", "name": "Acme", "customer_ids": ["C-1"]}


async def add_acme(api: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    response = await api.post("/api/v1/partners", json={**ACME, **changes})
    assert response.status_code == 201, response.text
    return response


async def issue(api: httpx.AsyncClient, partner_id: str = "acme", **body: Any) -> dict[str, Any]:
    response = await api.post(
        KEYS.format(partner_id=partner_id), json={"scopes": ["orders:read"], **body}
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


async def me(estate: Estate, key: str) -> httpx.Response:
    async with client(estate.app(), key=key) as http:
        return await http.get("/api/v1/me")


async def test_an_admin_registers_a_partner_and_issues_a_key_shown_once(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    added = await add_acme(api)
    issued = await issue(api, scopes=["orders:read", "orders:write"], label="erp")
    listed = await api.get(KEYS.format(partner_id="acme"))

    assert added.headers["location"] == "/api/v1/partners/acme"
    assert added.json()["customer_ids"] == ["C-1"]
    assert issued["secret"].startswith(issued["key_id"] + "_")
    assert (issued["state"], issued["scopes"]) == ("active", ["orders:read", "orders:write"])
    assert listed.status_code == 200
    [key] = listed.json()
    assert key["key_id"] == issued["key_id"]
    assert "secret" not in key
    assert issued["secret"].removeprefix(issued["key_id"] + "_") not in listed.text
    whoami = await me(estate, issued["secret"])
    assert whoami.json() == {
        "partner_id": "acme",
        "key_id": issued["key_id"],
        "scopes": ["orders:read", "orders:write"],
        "customer_ids": ["C-1"],
        "via": "api_key",
    }


async def test_a_partner_key_may_not_administer(estate: Estate) -> None:
    key = partner_key(estate.access, "acme", ["C-1"])

    async with client(estate.app(), key=key) as http:
        responses = [
            await http.post("/api/v1/partners", json={"partner_id": "globex"}),
            await http.get("/api/v1/partners"),
            await http.post(KEYS.format(partner_id="acme"), json={"scopes": ["orders:read"]}),
            await http.get("/api/v1/audit"),
        ]

    for response in responses:
        assert response.status_code == 403
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "admin" in response.json()["detail"]
    assert [p.partner_id for p in estate.access.partners()] == ["acme"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer cdk_000000000000_nope"}])
async def test_a_request_without_an_accepted_key_gets_401_with_a_challenge(
    estate: Estate, headers: dict[str, str]
) -> None:
    async with client(estate.app()) as http:
        listed = await http.get("/api/v1/partners", headers=headers)
        whoami = await http.get("/api/v1/me", headers=headers)

    for response in (listed, whoami):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_a_key_revoked_over_the_api_is_refused_from_the_next_request(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    await add_acme(api)
    issued = await issue(api)
    assert (await me(estate, issued["secret"])).status_code == 200

    revoked = await api.post(f"/api/v1/keys/{issued['key_id']}/revoke")

    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert (await me(estate, issued["secret"])).status_code == 401
    assert (await api.post("/api/v1/keys/cdk_000000000000/revoke")).status_code == 404


async def test_a_key_rotated_over_the_api_works_until_its_overlap_ends(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    await add_acme(api)
    old = await issue(api)

    new = await issue(api, rotate=old["key_id"], overlap_hours=2)

    states = {
        k["key_id"]: k["state"] for k in (await api.get(KEYS.format(partner_id="acme"))).json()
    }
    assert states == {old["key_id"]: "expiring", new["key_id"]: "active"}
    estate.clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert (await me(estate, old["secret"])).status_code == 200
    estate.clock.advance(timedelta(seconds=1))
    assert (await me(estate, old["secret"])).status_code == 401
    assert (await me(estate, new["secret"])).json()["key_id"] == new["key_id"]


async def test_an_admin_sees_a_key_creation_and_a_refused_credential_in_the_audit_log(
    estate: Estate,
) -> None:
    ops_key = admin_key(estate.access)
    ops_key_id = ops_key[:16]
    async with client(estate.app(), key=ops_key) as api:
        await add_acme(api)
        issued = await issue(api)
        await api.post(f"/api/v1/keys/{issued['key_id']}/revoke")
        assert (await me(estate, issued["secret"])).status_code == 401

        created = await api.get(
            "/api/v1/audit", params={"action": "POST /api/v1/partners/{partner_id}/keys"}
        )
        refused = await api.get("/api/v1/audit", params={"outcome": "refused"})
        by_key = await api.get("/api/v1/audit", params={"key": issued["key_id"]})
        first_page = await api.get("/api/v1/audit", params={"partner": "ops", "limit": 2})
        second_page = await api.get(
            "/api/v1/audit",
            params={"partner": "ops", "limit": 2, "before": first_page.json()["next"]},
        )

    [creation] = created.json()["items"]
    assert creation["partner_id"] == "ops"
    assert creation["key_id"] == ops_key_id
    assert creation["target"] == "/api/v1/partners/acme/keys"
    assert creation["outcome"] == "201"
    assert creation["remote"] == "127.0.0.1"
    assert creation["at"] is not None
    [failure] = refused.json()["items"]
    assert failure["action"] == "auth.failed"
    assert (failure["partner_id"], failure["key_id"]) == ("acme", issued["key_id"])
    assert failure["target"] == "GET /api/v1/me"
    assert failure["detail"]["reason"] == "key revoked"
    assert failure["remote"] == "127.0.0.1"
    assert [e["action"] for e in by_key.json()["items"]] == ["auth.failed"]
    pages = first_page.json()["items"] + second_page.json()["items"]
    assert [e["action"] for e in pages] == [
        "GET /api/v1/audit",  # reads by an admin are audited too
        "GET /api/v1/audit",
        "GET /api/v1/audit",
        "POST /api/v1/keys/{key_id}/revoke",
    ]
    assert len({e["audit_id"] for e in pages}) == 4


async def test_audit_log_filters_by_time(estate: Estate, api: httpx.AsyncClient) -> None:
    before = estate.clock.now()
    await add_acme(api)
    estate.clock.advance(timedelta(hours=1))
    await issue(api)

    earlier = await api.get(
        "/api/v1/audit", params={"until": (before + timedelta(minutes=1)).isoformat()}
    )
    later = await api.get(
        "/api/v1/audit", params={"since": (before + timedelta(minutes=1)).isoformat()}
    )

    assert [e["target"] for e in earlier.json()["items"]] == ["/api/v1/partners"]
    assert "/api/v1/partners/acme/keys" in [e["target"] for e in later.json()["items"]]
    assert "/api/v1/partners" not in [e["target"] for e in later.json()["items"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/partners", {"partner_id": "Acme Corp"}, "partner_id"),
        ("/api/v1/partners", {"partner_id": "globex", "rate_limit": "lots"}, "rate_limit"),
        ("/api/v1/partners", {"partner_id": "globex", "owner": "me"}, "owner"),
        ("/api/v1/partners/acme/keys", {"scopes": ["orders:delete"]}, "scopes"),
        ("/api/v1/partners/acme/keys", {"scopes": []}, "scopes"),
        ("/api/v1/partners/acme/keys", {"scopes": ["admin"]}, "scopes"),
        (
            "/api/v1/partners/acme/keys",
            {"scopes": ["orders:read"], "partner_id": "ops"},
            "partner_id",
        ),
        ("/api/v1/partners/acme/keys", {"scopes": ["orders:read"], "rotate": "cdk_x"}, "rotate"),
        (
            "/api/v1/partners/acme/keys",
            {"scopes": ["orders:read"], "expires_at": "2020-01-01T00:00:00Z"},
            "expires_at",
        ),
        (
            "/api/v1/partners/acme/keys",
            {"scopes": ["orders:read"], "expires_at": "2030-01-01T00:00:00"},
            "expires_at",
        ),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(
    estate: Estate, api: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    await add_acme(api)

    response = await api.post(path, json=body)

    assert response.status_code in (404, 422), response.text
    assert [f.split("[")[0] for f in problem_fields(response)] == [field]
    assert [p.partner_id for p in estate.access.partners()] == ["acme", "ops"]
    assert estate.access.keys("acme") == []


async def test_a_partner_id_is_taken_once_and_keys_need_a_partner(api: httpx.AsyncClient) -> None:
    await add_acme(api)

    taken = await api.post("/api/v1/partners", json={"partner_id": "acme"})
    unknown = await api.post(KEYS.format(partner_id="nobody"), json={"scopes": ["orders:read"]})
    missing = await api.get("/api/v1/partners/nobody")

    assert taken.status_code == 409
    assert problem_fields(taken) == ["partner_id"]
    assert unknown.status_code == 404
    assert missing.status_code == 404


async def test_a_partner_reaches_only_its_own_customers_orders(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    acme = partner_key(estate.access, "acme", ["C-1"])
    globex = partner_key(estate.access, "globex", ["C-9"])
    async with client(estate.app(), key=acme) as http:
        submitted = await http.post("/api/v1/orders", json=new_order())
    order_id = submitted.json()["order_id"]

    async with client(estate.app(), key=globex) as http:
        theirs = await http.get(f"/api/v1/orders/{order_id}")
        timeline = await http.get(f"/api/v1/orders/{order_id}/timeline")
        listed = await http.get("/api/v1/orders")
        for_acme = await http.post("/api/v1/orders", json=new_order(channel_order_number="X"))
    async with client(estate.app(), key=acme) as http:
        own = await http.get(f"/api/v1/orders/{order_id}")

    assert (theirs.status_code, timeline.status_code) == (404, 404)
    assert listed.json()["items"] == []
    assert for_acme.status_code == 403
    assert own.status_code == 200
    assert (await api.get(f"/api/v1/orders/{order_id}")).status_code == 200


async def test_a_key_created_twice_with_one_idempotency_key_is_one_key_and_its_secret_is_not_kept(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    await add_acme(api)
    url, body = KEYS.format(partner_id="acme"), {"scopes": ["orders:read"]}
    headers = {"Idempotency-Key": "new-erp-key"}

    first = await api.post(url, json=body, headers=headers)
    again = await api.post(url, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["key_id"] == first.json()["key_id"]
    assert "secret" not in again.json()  # shown once; a lost answer means a new key
    assert len((await api.get(url)).json()) == 1
    secret = first.json()["secret"].removeprefix(first.json()["key_id"] + "_")
    with estate.store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT response_body FROM idempotency_records")
        assert all(secret.encode() not in bytes(row[0]) for row in stored)


async def test_a_flood_of_bad_keys_from_one_address_is_one_audit_entry_a_minute(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    app = estate.app()
    async with client(app, key="cdk_0123456789ab_guess") as guesser:
        for _ in range(20):
            assert (await guesser.get("/api/v1/orders")).status_code == 401
        estate.clock.advance(timedelta(minutes=1))
        assert (await guesser.get("/api/v1/orders")).status_code == 401
        # Outside the API nothing checks the key, so nothing is written either.
        assert (await guesser.get("/healthz")).status_code == 200

    refused = (await api.get("/api/v1/audit", params={"action": "auth.failed"})).json()["items"]
    assert [entry["detail"]["refusals_not_recorded_before"] for entry in refused] == [19, 0]


async def test_a_disabled_partner_is_cut_off_at_once(
    estate: Estate, api: httpx.AsyncClient
) -> None:
    await add_acme(api)
    issued = await issue(api)
    assert (await me(estate, issued["secret"])).status_code == 200

    disabled = await api.post("/api/v1/partners/acme/disable")
    keys = (await api.get(KEYS.format(partner_id="acme"))).json()

    assert disabled.status_code == 200
    assert disabled.json()["disabled_at"] is not None
    assert (await me(estate, issued["secret"])).status_code == 401
    assert [key["state"] for key in keys] == ["revoked"]
    unknown = await api.post("/api/v1/partners/nobody/disable")
    assert unknown.status_code == 404
