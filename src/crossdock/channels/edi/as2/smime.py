"""S/MIME for AS2 (RFC 4130 §5, RFC 5751) with the ``cryptography`` package.

What ``cryptography`` can do, and so what crossdock does:

* **sign** (detached ``multipart/signed``, ``application/pkcs7-signature``): our messages, our MDNs;
* **encrypt** (``application/pkcs7-mime; smime-type=enveloped-data``): our messages;
* **decrypt**: the partner's encrypted messages.

It cannot *verify* a PKCS #7 signature, and no well-kept library can (pyas2lib pins the unmaintained
oscrypto). So a signed message from a partner is refused with an error MDN rather than accepted
unverified, and a signed MDN is read but reported with ``signature_verified=False``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from crossdock.channels.edi.as2.entity import CRLF, MimeEntity, new_boundary

SIGNATURE_TYPE = "application/pkcs7-signature"
ENVELOPED_TYPE = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'

_HASHES: dict[str, type[hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha-224": hashes.SHA224,
    "sha-256": hashes.SHA256,
    "sha-384": hashes.SHA384,
    "sha-512": hashes.SHA512,
}


class DecryptionFailed(Exception):
    """The enveloped data could not be decrypted with our key."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A certificate and its private key: ours, to sign with or to decrypt with."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def can_sign_with(micalg: str) -> bool:
    """Whether :func:`sign` takes this algorithm (sha-1 and md5 are refused for signatures)."""
    return micalg in _HASHES


def sign(entity: MimeEntity, identity: Identity, micalg: str = "sha-256") -> MimeEntity:
    """``entity`` as the first part of a ``multipart/signed`` entity with a detached signature.

    The signature covers ``entity.to_bytes()``, which is also what the MIC is taken over.
    """
    if micalg not in _HASHES:
        raise ValueError(f"cannot sign with {micalg!r}; use one of {', '.join(_HASHES)}")
    signed_bytes = entity.to_bytes()
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(signed_bytes)
        .add_signer(identity.certificate, identity.private_key, _HASHES[micalg]())
        .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )
    signature_part = MimeEntity(
        content_type=f'{SIGNATURE_TYPE}; name="smime.p7s"',
        content=_base64_lines(signature),
        headers=(
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7s"'),
        ),
    )
    boundary = new_boundary()
    delimiter = b"--" + boundary.encode("ascii")
    body = (
        delimiter + CRLF + signed_bytes + CRLF
        + delimiter + CRLF + signature_part.to_bytes() + CRLF
        + delimiter + b"--" + CRLF
    )  # fmt: skip
    return MimeEntity(
        content_type=(
            f'multipart/signed; protocol="{SIGNATURE_TYPE}"; micalg={micalg}; boundary="{boundary}"'
        ),
        content=body,
    )


def encrypt(entity: MimeEntity, recipient: x509.Certificate) -> MimeEntity:
    """``entity`` enveloped for ``recipient`` with AES-256-CBC, as binary DER."""
    enveloped = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(entity.to_bytes())
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(recipient)
        .encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    return MimeEntity(
        content_type=ENVELOPED_TYPE,
        content=enveloped,
        headers=(("Content-Transfer-Encoding", "binary"),),
    )


def decrypt(data: bytes, identity: Identity) -> bytes:
    """The MIME entity inside DER (or base64 DER) enveloped data, as the sender canonicalised it."""
    key = identity.private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionFailed("only an RSA key can decrypt enveloped data")
    der = data
    if not data.startswith(b"\x30"):  # a DER SEQUENCE; anything else may be base64 text
        try:
            der = base64.b64decode(data, validate=False)
        except ValueError as exc:
            raise DecryptionFailed("the enveloped data is neither DER nor base64") from exc
    try:
        return pkcs7.pkcs7_decrypt_der(der, identity.certificate, key, [])
    except (ValueError, TypeError) as exc:
        raise DecryptionFailed(str(exc) or type(exc).__name__) from exc


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
