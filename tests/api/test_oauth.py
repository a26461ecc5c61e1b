"""``POST /api/v1/oauth/token``: client credentials for a bearer token that carries fewer scopes."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest

from credentials import partner_key
from crossdock.integration.access.records import AuditQuery

from .estate import PROBLEM_JSON, Estate, client, new_order

TOKEN = "/api/v1/oauth/token"


@pytest.fixture
def key(estate: Estate) -> str:
    """A key of partner acme (customer C-1) that reads and writes orders."""
    return partner_key(estate.access, "acme", ["C-1"])


def key_id(key: str) -> str:
    return key[:16]


def secret(key: str) -> str:
    return key[17:]


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def token_response(estate: Estate, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    async with client(estate.app()) as http:
        return await http.post(TOKEN, data=form, **kwargs)


async def token_for(estate: Estate, key: str, scope: str = "") -> str:
    form = {"grant_type": "client_credentials", "client_id": key_id(key), "client_secret": key}
    response = await token_response(estate, {**form, "scope": scope} if scope else form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def oauth_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == status
    error: str = body["error"]
    return error


async def test_client_credentials_in_the_form_get_a_bearer_token(estate: Estate, key: str) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": key_id(key),
        "client_secret": secret(key),
        "scope": "orders:read",
    }

    response = await token_response(estate, form)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "orders:read"
    async with client(estate.app(), key=body["access_token"]) as http:
        me = (await http.get("/api/v1/me")).json()
    assert (me["partner_id"], me["key_id"], me["via"]) == ("acme", key_id(key), "oauth2")
    assert me["scopes"] == ["orders:read"]


async def test_client_credentials_over_http_basic_get_every_scope_of_the_key(
    estate: Estate, key: str
) -> None:
    response = await token_response(
        estate, {"grant_type": "client_credentials"}, headers=basic(key_id(key), key)
    )

    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "orders:read orders:write"


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_id": "KEY_ID", "client_secret": "wrong"},
        {"client_id": "cdk_000000000000", "client_secret": "SECRET"},
        {"client_id": "KEY_ID"},
    ],
)
async def test_wrong_client_credentials_are_an_invalid_client(
    estate: Estate, key: str, credentials: dict[str, str]
) -> None:
    form = {"grant_type": "client_credentials"} | {
        name: value.replace("KEY_ID", key_id(key)).replace("SECRET", secret(key))
        for name, value in credentials.items()
    }

    response = await token_response(estate, form)

    assert oauth_error(response, 401) == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_wrong_secret_over_basic_is_an_invalid_client_and_is_audited(
    estate: Estate, key: str
) -> None:
    response = await token_response(
        estate, {"grant_type": "client_credentials"}, headers=basic(key_id(key), "wrong")
    )

    assert oauth_error(response, 401) == "invalid_client"
    [entry] = estate.access.audit(AuditQuery(action="oauth.token"))
    assert (entry.outcome, entry.key_id, entry.remote) == ("refused", key_id(key), "127.0.0.1")


async def test_only_client_credentials_are_granted(estate: Estate, key: str) -> None:
    form = {"grant_type": "password", "username": key_id(key), "password": key}

    assert oauth_error(await token_response(estate, form), 400) == "unsupported_grant_type"


async def test_a_token_request_must_be_a_form(estate: Estate, key: str) -> None:
    async with client(estate.app()) as http:
        response = await http.post(
            TOKEN, json={"grant_type": "client_credentials", "client_id": key_id(key)}
        )

    assert oauth_error(response, 400) == "invalid_request"


@pytest.mark.parametrize("scope", ["orders:read admin", "inventory:read", "orders:delete"])
async def test_a_scope_the_key_does_not_carry_is_an_invalid_scope(
    estate: Estate, key: str, scope: str
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": key_id(key),
        "client_secret": key,
        "scope": scope,
    }

    assert oauth_error(await token_response(estate, form), 400) == "invalid_scope"


async def test_a_read_token_reads_orders_but_may_not_submit_one(estate: Estate, key: str) -> None:
    token = await token_for(estate, key, scope="orders:read")

    async with client(estate.app(), key=token) as http:
        listed = await http.get("/api/v1/orders")
        submitted = await http.post("/api/v1/orders", json=new_order())

    assert listed.status_code == 200
    assert submitted.status_code == 403
    assert submitted.headers["content-type"].startswith(PROBLEM_JSON)
    assert 'error="insufficient_scope"' in submitted.headers["www-authenticate"]
    assert estate.order_count() == 0


async def test_a_token_with_write_scope_submits_an_order(estate: Estate, key: str) -> None:
    token = await token_for(estate, key, scope="orders:write")

    async with client(estate.app(), key=token) as http:
        submitted = await http.post("/api/v1/orders", json=new_order())

    assert submitted.status_code == 201, submitted.text
    assert estate.order_count() == 1


async def test_a_token_expires_after_an_hour_and_dies_with_its_key(
    estate: Estate, key: str
) -> None:
    expiring = await token_for(estate, key)
    estate.clock.advance(timedelta(hours=1))
    revoked = await token_for(estate, key)
    estate.access.revoke_key(key_id(key))

    async with client(estate.app()) as http:
        for token in (expiring, revoked):
            response = await http.get(
                "/api/v1/orders", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401


async def test_a_granted_token_is_audited_with_its_partner(estate: Estate, key: str) -> None:
    await token_for(estate, key, scope="orders:read")

    [entry] = estate.access.audit(AuditQuery(action="oauth.token"))

    assert (entry.outcome, entry.partner_id, entry.key_id) == ("issued", "acme", key_id(key))
    assert entry.detail == {"scopes": ["orders:read"]}
