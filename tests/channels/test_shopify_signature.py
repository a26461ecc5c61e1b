"""Shopify webhook signatures, checked against the real fixture's bytes."""

from __future__ import annotations

import pytest

from crossdock.channels.storefront.signature import ShopifySignature
from crossdock.core.errors import ConfigurationError

from .shopify import BODY, HEADERS

SIGNATURE = HEADERS["X-Shopify-Hmac-Sha256"]


def test_the_fixture_signature_verifies_with_the_test_secret() -> None:
    assert ShopifySignature(["hush"]).verify(BODY, SIGNATURE)


def test_one_changed_byte_does_not_verify() -> None:
    tampered = BODY.replace(b'"quantity":1', b'"quantity":9', 1)
    assert len(tampered) == len(BODY)
    assert tampered != BODY

    assert not ShopifySignature(["hush"]).verify(tampered, SIGNATURE)


def test_reserialised_json_does_not_verify() -> None:
    assert not ShopifySignature(["hush"]).verify(BODY.rstrip(b"\n"), SIGNATURE)


def test_during_a_rotation_the_old_secret_still_verifies() -> None:
    assert ShopifySignature(["new-secret", "hush"]).verify(BODY, SIGNATURE)
    assert not ShopifySignature(["new-secret"]).verify(BODY, SIGNATURE)


def test_a_missing_or_garbled_signature_does_not_verify() -> None:
    signature = ShopifySignature(["hush"])

    assert not signature.verify(BODY, None)
    assert not signature.verify(BODY, "")
    assert not signature.verify(BODY, "ünïcode")


def test_no_secret_fails_at_start_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"storefront\.secrets"):
        ShopifySignature([])
