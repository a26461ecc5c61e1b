"""The MIC: which bytes, which digest, how it is written."""

from __future__ import annotations

import base64
import hashlib

import pytest

from crossdock.channels.edi.as2 import As2Agreement, Identity, Mic, build_message
from crossdock.channels.edi.as2.entity import MimeEntity

from .conftest import PARTNER, US, X12


def test_mic_of_known_bytes_is_the_base64_sha256_digest() -> None:
    # sha-256("abc") from FIPS 180-2, appendix B.1.
    expected = base64.b64encode(
        bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    ).decode()
    assert Mic.of(b"abc") == Mic(digest=expected, algorithm="sha-256")
    assert str(Mic.of(b"abc")) == f"{expected}, sha-256"


def test_unsigned_message_mic_covers_the_content_without_headers(outbound: As2Agreement) -> None:
    message = build_message(X12, outbound)
    expected = base64.b64encode(hashlib.sha256(X12).digest()).decode()
    assert message.body == X12
    assert message.mic.digest == expected


def test_encrypted_message_mic_covers_the_mime_headers_and_content(
    partner_identity: Identity,
) -> None:
    agreement = As2Agreement(
        our_id=US, partner_id=PARTNER, url="https://x.test", encrypt_to=partner_identity.certificate
    )
    message = build_message(X12, agreement)
    entity = b"Content-Type: application/edi-x12\r\nContent-Transfer-Encoding: binary\r\n\r\n" + X12
    assert message.mic.digest == base64.b64encode(hashlib.sha256(entity).digest()).decode()
    assert MimeEntity.parse(entity).content == X12


def test_mic_value_reads_back_with_the_algorithm_name_normalised() -> None:
    assert Mic.parse("q2Vx=, SHA256") == Mic(digest="q2Vx=", algorithm="sha-256")
    assert Mic.parse(" q2Vx= ,sha-1 ").algorithm == "sha-1"


@pytest.mark.parametrize("value", ["", "q2Vx=", ", sha-256"])
def test_a_mic_value_without_digest_or_algorithm_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        Mic.parse(value)


def test_md5_is_not_a_supported_mic_algorithm() -> None:
    with pytest.raises(ValueError):
        Mic.of(b"abc", "md5")


def test_mics_of_different_algorithms_do_not_match() -> None:
    assert not Mic.of(b"abc", "sha-256").matches(Mic.of(b"abc", "sha-1"))
    assert Mic.of(b"abc").matches(Mic.parse(str(Mic.of(b"abc"))))
