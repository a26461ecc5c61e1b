"""Signing, encryption and decryption; signed messages refused since we cannot verify them.

Signatures are checked with the ``openssl`` command (an independent implementation), when present.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from crossdock.channels.edi.as2 import (
    As2Agreement,
    Disposition,
    Identity,
    build_message,
    parse_mdn,
)

from .conftest import PARTNER, US, X12, Hub

ENTITY = b"Content-Type: application/edi-x12\r\nContent-Transfer-Encoding: binary\r\n\r\n" + X12
"""The MIME entity our messages sign or encrypt: written out by hand here."""

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _openssl_verify(tmp_path: Path, content_type: str, body: bytes, signer: Identity) -> bytes:
    """What ``openssl smime -verify`` says was signed (fails the test if the signature is bad)."""
    message = tmp_path / "signed.eml"
    message.write_bytes(
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
    )
    cert = tmp_path / "signer.pem"
    cert.write_bytes(signer.certificate.public_bytes(Encoding.PEM))
    out = tmp_path / "content"
    subprocess.run(
        ["openssl", "smime", "-verify", "-binary", "-in", str(message), "-CAfile", str(cert),
         "-out", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


def _openssl_encrypt(tmp_path: Path, entity: bytes, recipient: Identity) -> bytes:
    """``entity`` enveloped for ``recipient`` by ``openssl smime -encrypt`` (binary DER)."""
    cert = tmp_path / "recipient.pem"
    cert.write_bytes(recipient.certificate.public_bytes(Encoding.PEM))
    return subprocess.run(
        ["openssl", "smime", "-encrypt", "-binary", "-aes256", "-outform", "DER", str(cert)],
        input=entity,
        check=True,
        capture_output=True,
    ).stdout


@needs_openssl
def test_a_signed_message_verifies_with_openssl_and_its_mic_covers_the_entity(
    tmp_path: Path, our_identity: Identity
) -> None:
    agreement = As2Agreement(
        our_id=US, partner_id=PARTNER, url="https://x.test", sign_with=our_identity
    )
    message = build_message(X12, agreement)
    content_type = message.headers["Content-Type"]
    assert content_type.startswith('multipart/signed; protocol="application/pkcs7-signature"')
    assert "micalg=sha-256" in content_type
    assert _openssl_verify(tmp_path, content_type, message.body, our_identity) == ENTITY
    assert message.mic.digest == _b64_sha256(ENTITY)


async def test_an_encrypted_message_is_decrypted_and_its_mic_covers_the_entity(
    hub: Hub, our_identity: Identity
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, decrypt_with=our_identity, require_encryption=True
    )
    sender = As2Agreement(
        our_id=PARTNER, partner_id=US, url="http://hub/as2", encrypt_to=our_identity.certificate
    )
    message = build_message(X12, sender)
    assert message.headers["Content-Type"].startswith("application/pkcs7-mime")
    assert X12 not in message.body
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition.ok
    assert mdn.mic is not None
    assert mdn.mic.digest == _b64_sha256(ENTITY)
    [received] = hub.received
    assert received.content == X12
    assert received.encrypted


@needs_openssl
async def test_a_message_encrypted_by_openssl_is_decrypted(
    hub: Hub, our_identity: Identity, tmp_path: Path
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, decrypt_with=our_identity
    )
    encrypted = _openssl_encrypt(tmp_path, ENTITY, our_identity)
    headers = {
        "AS2-From": f'"{PARTNER}"',
        "AS2-To": US,
        "Message-ID": "<openssl-1@acme>",
        "Content-Type": "application/pkcs7-mime; smime-type=enveloped-data",
        "Disposition-Notification-To": "edi@acme.test",
    }
    async with hub.http() as http:
        response = await http.post("/as2", content=encrypted, headers=headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition.ok
    assert [m.content for m in hub.received] == [X12]


async def test_an_encrypted_message_we_have_no_key_for_gets_decryption_failed(
    hub: Hub, our_identity: Identity
) -> None:
    sender = As2Agreement(
        our_id=PARTNER, partner_id=US, url="http://hub/as2", encrypt_to=our_identity.certificate
    )
    message = build_message(X12, sender)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("decryption-failed")
    assert hub.received == []


async def test_a_message_encrypted_for_someone_else_gets_decryption_failed(
    hub: Hub, our_identity: Identity, partner_identity: Identity
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, decrypt_with=our_identity
    )
    sender = As2Agreement(
        our_id=PARTNER, partner_id=US, url="http://h/as2", encrypt_to=partner_identity.certificate
    )
    message = build_message(X12, sender)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("decryption-failed")
    assert hub.received == []


async def test_an_unencrypted_message_where_encryption_is_required_is_refused(
    hub: Hub, our_identity: Identity
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, decrypt_with=our_identity, require_encryption=True
    )
    message = build_message(X12, As2Agreement(our_id=PARTNER, partner_id=US, url="http://h/as2"))
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("insufficient-message-security")
    assert hub.received == []


@pytest.mark.parametrize("encrypted", [False, True])
async def test_a_signed_message_is_refused_because_we_cannot_verify_it(
    hub: Hub, our_identity: Identity, partner_identity: Identity, encrypted: bool
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, decrypt_with=our_identity
    )
    sender = As2Agreement(
        our_id=PARTNER,
        partner_id=US,
        url="http://hub/as2",
        sign_with=partner_identity,
        encrypt_to=our_identity.certificate if encrypted else None,
    )
    message = build_message(X12, sender)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("authentication-failed")
    assert "cannot be verified" in mdn.text
    assert hub.received == []


@needs_openssl
async def test_we_sign_the_mdn_when_asked_and_we_have_a_key(
    hub: Hub, our_identity: Identity, tmp_path: Path
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, sign_with=our_identity
    )
    message = build_message(X12, As2Agreement(our_id=PARTNER, partner_id=US, url="http://h/as2"))
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    content_type = response.headers["Content-Type"]
    mdn = parse_mdn(content_type, response.content)
    assert mdn.signed
    assert not mdn.signature_verified
    mdn.check(message.message_id, message.mic)
    signed = _openssl_verify(tmp_path, content_type, response.content, our_identity)
    assert signed.startswith(
        b"Content-Type: multipart/report; report-type=disposition-notification"
    )


async def test_a_required_signed_mdn_we_cannot_sign_is_an_unsupported_format(hub: Hub) -> None:
    message = build_message(X12, As2Agreement(our_id=PARTNER, partner_id=US, url="http://h/as2"))
    headers = dict(message.headers)
    headers["Disposition-Notification-Options"] = (
        "signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, sha-256"
    )
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.failure("unsupported format")
    assert hub.received == []


async def test_required_mic_algorithms_we_do_not_support_fail_the_mdn(hub: Hub) -> None:
    message = build_message(X12, As2Agreement(our_id=PARTNER, partner_id=US, url="http://h/as2"))
    headers = dict(message.headers)
    headers["Disposition-Notification-Options"] = "signed-receipt-micalg=required, md5"
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.failure("unsupported MIC-algorithms")


async def test_a_signed_mdn_asked_with_sha1_carries_a_sha1_mic_and_a_sha256_signature(
    hub: Hub, our_identity: Identity
) -> None:
    hub.agreements[(PARTNER, US)] = As2Agreement(
        our_id=US, partner_id=PARTNER, sign_with=our_identity
    )
    message = build_message(X12, As2Agreement(our_id=PARTNER, partner_id=US, url="http://h/as2"))
    headers = dict(message.headers)
    headers["Disposition-Notification-Options"] = (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-1"
    )
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=headers)

    assert response.status_code == 200
    content_type = response.headers["Content-Type"]
    assert "micalg=sha-256" in content_type
    mdn = parse_mdn(content_type, response.content)
    assert mdn.signed
    assert mdn.disposition.ok
    assert mdn.mic is not None
    assert mdn.mic.algorithm == "sha-1"
