"""A trading partner agreement for AS2: who talks to whom, where, and how it is protected.

One agreement serves both directions: the client reads the outbound fields, the receiver finds
the agreement by the pair (AS2-From, AS2-To) of an inbound message and reads the inbound ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from crossdock.channels.edi.as2.smime import Identity
from crossdock.channels.edi.partner import As2Spec
from crossdock.core.errors import ConfigurationError

MdnMode = Literal["sync", "async", "none"]


@dataclass(frozen=True, slots=True, kw_only=True)
class As2Agreement:
    """AS2 with one partner."""

    our_id: str
    """Our AS2 name: AS2-From on our messages, AS2-To on theirs."""
    partner_id: str
    """The partner's AS2 name: AS2-To on our messages, AS2-From on theirs."""
    url: str = ""
    """The partner's AS2 endpoint, where we POST our messages."""
    mdn: MdnMode = "sync"
    """The MDN we ask for on our messages."""
    mdn_url: str = ""
    """Our URL for an asynchronous MDN (``Receipt-Delivery-Option``); needed when ``mdn`` is
    ``async``."""
    content_type: str = "application/edi-x12"
    """The payload's media type (``application/edi-x12``, ``application/edifact``)."""
    subject: str = "EDI"
    """The ``Subject`` header of our messages."""
    micalg: str = "sha-256"
    """The MIC (and signature) algorithm we ask for and sign with."""
    sign_with: Identity | None = None
    """Our certificate and key to sign our messages (and MDNs, when asked); None: unsigned."""
    encrypt_to: x509.Certificate | None = None
    """The partner's certificate to encrypt our messages to; None: unencrypted."""
    decrypt_with: Identity | None = None
    """Our certificate and key the partner encrypts to; None: we take no encrypted messages."""
    require_encryption: bool = False
    """Refuse the partner's unencrypted messages (``insufficient-message-security``)."""

    def __post_init__(self) -> None:
        if self.mdn == "async" and not self.mdn_url:
            raise ValueError(f"AS2 {self.partner_id}: an asynchronous MDN needs mdn_url")
        if self.require_encryption and self.decrypt_with is None:
            raise ValueError(f"AS2 {self.partner_id}: require_encryption needs decrypt_with")

    @classmethod
    def from_spec(
        cls,
        spec: As2Spec,
        *,
        sign_with: Identity | None = None,
        encrypt_to: x509.Certificate | None = None,
        decrypt_with: Identity | None = None,
        require_encryption: bool = False,
    ) -> As2Agreement:
        """The agreement a partner profile's ``as2`` section describes, with its key material."""
        return cls(
            our_id=spec.our_as2_id,
            partner_id=spec.partner_as2_id,
            url=spec.url,
            mdn=spec.mdn,
            mdn_url=spec.mdn_url,
            sign_with=sign_with,
            encrypt_to=encrypt_to,
            decrypt_with=decrypt_with,
            require_encryption=require_encryption,
        )


def load_agreement(spec: As2Spec) -> As2Agreement:
    """The agreement a partner's ``as2`` settings describe, its PEM files read.

    Raises :class:`ConfigurationError` naming the file that cannot be read.
    """
    identity = None
    if spec.certificate_file:
        certificate = x509.load_pem_x509_certificate(_read(spec.certificate_file))
        key = serialization.load_pem_private_key(_read(spec.key_file), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigurationError("as2.key_file", f"{spec.key_file}: not an RSA or EC key")
        identity = Identity(certificate, key)
    partner = (
        x509.load_pem_x509_certificate(_read(spec.partner_certificate_file))
        if spec.partner_certificate_file
        else None
    )
    return As2Agreement.from_spec(
        spec,
        sign_with=identity,
        encrypt_to=partner,
        decrypt_with=identity,
        require_encryption=spec.require_encryption,
    )


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError("as2", f"cannot read {path}: {exc}") from exc
