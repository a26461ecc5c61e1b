"""The committed OpenAPI document is the one the hub serves (the CI check of issue 6)."""

from __future__ import annotations

from pathlib import Path

from crossdock.cli_openapi import COMMITTED, render, served_openapi

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_is_what_the_hub_serves() -> None:
    committed = (ROOT / COMMITTED).read_text()

    assert committed == render(served_openapi()), (
        "docs/api/openapi.json is stale: run `crossdock openapi --write` and commit it"
    )


def test_the_served_document_is_openapi_3_1_with_every_way_to_authenticate() -> None:
    document = served_openapi()

    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"apiKey", "http", "oauth2"}
    token_url = schemes["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"]
    assert token_url == "/api/v1/oauth/token"
    assert "/api/v1/oauth/token" in document["paths"]
