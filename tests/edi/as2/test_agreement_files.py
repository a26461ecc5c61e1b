"""A partner's AS2 key material comes from PEM files named in the estate file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from crossdock.channels.edi.as2.agreement import load_agreement
from crossdock.channels.edi.as2.smime import Identity
from crossdock.channels.edi.partner import As2Spec
from crossdock.core.errors import ConfigurationError


def write_pems(tmp_path: Path, identity: Identity, name: str) -> tuple[Path, Path]:
    certificate = tmp_path / f"{name}.crt"
    key = tmp_path / f"{name}.key"
    certificate.write_bytes(identity.certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        identity.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate, key


def test_our_key_signs_and_decrypts_and_the_partners_certificate_encrypts(
    tmp_path: Path, our_identity: Identity, partner_identity: Identity
) -> None:
    ours, our_key = write_pems(tmp_path, our_identity, "ours")
    theirs, _ = write_pems(tmp_path, partner_identity, "theirs")
    spec = As2Spec(
        url="https://partner.example/as2",
        partner_as2_id="RETAILCO",
        certificate_file=str(ours),
        key_file=str(our_key),
        partner_certificate_file=str(theirs),
        require_encryption=True,
    )

    agreement = load_agreement(spec)

    assert agreement.sign_with is not None
    assert agreement.sign_with.certificate == our_identity.certificate
    assert agreement.decrypt_with == agreement.sign_with
    assert agreement.encrypt_to == partner_identity.certificate
    assert agreement.require_encryption


def test_a_missing_key_file_fails_at_start_naming_the_file(tmp_path: Path) -> None:
    spec = As2Spec(
        url="https://partner.example/as2",
        partner_as2_id="RETAILCO",
        certificate_file=str(tmp_path / "ours.crt"),
        key_file=str(tmp_path / "ours.key"),
    )

    with pytest.raises(ConfigurationError, match=r"ours\.crt"):
        load_agreement(spec)


def test_a_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="certificate_file and key_file go together"):
        As2Spec(url="https://p/as2", partner_as2_id="P", certificate_file="ours.crt")
