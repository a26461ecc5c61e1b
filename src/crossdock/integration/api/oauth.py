"""``POST /oauth/token``: OAuth2 client credentials (RFC 6749 §4.4), the alternative to keys.

A client authenticates with a key, its key id as ``client_id`` and the key (or only its secret
part) as ``client_secret`` — in the form body or as HTTP Basic — and gets an access token that
lives an hour, carries the scopes asked for (a subset of the key's) and dies with the key when
the key is revoked. Errors are problem+json with the RFC 6749 §5.2 ``error`` code as an extension
member, so OAuth2 client libraries read them too.
"""

from __future__ import annotations

import base64
import binascii
import functools
from http import HTTPStatus
from typing import Literal
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from crossdock.integration.access.credentials import looks_like_key_id
from crossdock.integration.access.records import AccessError, AuthenticationFailed
from crossdock.integration.api.auth import access_store, client_address
from crossdock.integration.api.problems import (
    API_RESPONSES,
    PROBLEM_JSON,
    PROBLEM_TYPE,
    Problem,
    problem_doc,
)

FORM = "application/x-www-form-urlencoded"


class TokenResponse(BaseModel):
    """An issued access token (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


def _oauth_error(status: int, error: str, detail: str, instance: str) -> JSONResponse:
    body = Problem(
        type=f"{PROBLEM_TYPE}oauth-{error.replace('_', '-')}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
    ).model_dump(mode="json")
    body["error"] = error
    body["error_description"] = detail
    headers = {"Cache-Control": "no-store"}
    if status == HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Basic realm="crossdock"'
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def oauth_router() -> APIRouter:
    """The token endpoint."""
    router = APIRouter(tags=["auth"])

    @router.post(
        "/oauth/token",
        response_model=TokenResponse,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    FORM: {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                                "scope": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
        responses={
            400: problem_doc("Unsupported grant or a scope not allowed"),
            401: problem_doc("The client was not authenticated"),
            413: API_RESPONSES[413],
            429: API_RESPONSES[429],
        },
    )
    async def issue_token(request: Request) -> JSONResponse:
        """Exchange client credentials for a bearer access token."""
        path = request.url.path
        if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
            return _oauth_error(400, "invalid_request", f"the body must be {FORM}", path)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "only client_credentials is supported", path
            )
        basic = _basic_credentials(request.headers.get("authorization", ""))
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if not client_id or not secret:
            return _oauth_error(401, "invalid_client", "client_id and client_secret needed", path)
        access = access_store(request)
        scopes = form.get("scope", "").split()
        try:
            issued = await anyio.to_thread.run_sync(
                functools.partial(
                    access.issue_token,
                    client_id,
                    secret,
                    scopes,
                    remote=client_address(request.scope),
                )
            )
        except AuthenticationFailed as failure:
            await anyio.to_thread.run_sync(
                functools.partial(
                    access.record,
                    "oauth.token",
                    outcome="refused",
                    partner_id=failure.partner_id,
                    # Only a key id's shape is logged: a client id may be a whole key, pasted.
                    key_id=failure.key_id
                    or (client_id if looks_like_key_id(client_id) else "(malformed)"),
                    remote=client_address(request.scope),
                    detail={"reason": failure.reason},
                )
            )
            return _oauth_error(401, "invalid_client", "the client was not authenticated", path)
        except (AccessError, ValueError) as error:
            return _oauth_error(400, "invalid_scope", str(error), path)
        await anyio.to_thread.run_sync(
            functools.partial(
                access.record,
                "oauth.token",
                outcome="issued",
                partner_id=issued.partner_id,
                key_id=client_id[:32],
                remote=client_address(request.scope),
                detail={"scopes": sorted(s.value for s in issued.scopes)},
            )
        )
        lifetime = issued.expires_at - access.clock.now()
        token = TokenResponse(
            access_token=issued.token,
            expires_in=int(lifetime.total_seconds()),
            scope=" ".join(sorted(s.value for s in issued.scopes)),
        )
        return JSONResponse(token.model_dump(), headers={"Cache-Control": "no-store"})

    return router
