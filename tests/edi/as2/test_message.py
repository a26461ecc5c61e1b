"""Building our AS2 messages and reading the headers of theirs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from crossdock.channels.edi.as2 import As2Agreement, As2Headers, NotAs2Request, build_message
from crossdock.channels.edi.as2.message import quote_name, unquote_name
from crossdock.channels.edi.partner import As2Spec

from .conftest import PARTNER, US, X12


def test_outbound_message_carries_the_as2_headers(outbound: As2Agreement) -> None:
    message = build_message(X12, outbound, now=datetime(2025, 6, 3, 10, 0, tzinfo=UTC))
    headers = message.headers
    assert headers["AS2-Version"] == "1.2"
    assert headers["AS2-From"] == US
    assert headers["AS2-To"] == '"ACME RETAIL"'
    assert re.fullmatch(r"<[0-9a-f]{32}@crossdock>", headers["Message-ID"])
    assert headers["Message-ID"] == message.message_id
    assert headers["Content-Type"] == "application/edi-x12"
    assert headers["Date"] == "Tue, 03 Jun 2025 10:00:00 GMT"
    assert headers["Subject"] == "EDI"
    assert headers["Disposition-Notification-To"] == US
    assert headers["Disposition-Notification-Options"] == (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
    )
    assert "Receipt-Delivery-Option" not in headers


def test_asynchronous_mdn_is_asked_for_with_our_mdn_url() -> None:
    agreement = As2Agreement(
        our_id=US, partner_id=PARTNER, url="https://x.test", mdn="async", mdn_url="https://us/mdn"
    )
    message = build_message(X12, agreement)
    assert message.headers["Receipt-Delivery-Option"] == "https://us/mdn"
    assert message.mdn is not None
    assert message.mdn.asynchronous


def test_no_mdn_wanted_sends_no_disposition_headers() -> None:
    agreement = As2Agreement(our_id=US, partner_id=PARTNER, url="https://x.test", mdn="none")
    headers = build_message(X12, agreement).headers
    assert not [name for name in headers if name.startswith("Disposition")]


def test_an_asynchronous_mdn_without_a_url_is_a_configuration_mistake() -> None:
    with pytest.raises(ValueError, match="mdn_url"):
        As2Agreement(our_id=US, partner_id=PARTNER, mdn="async")


def test_a_resend_keeps_the_message_id(outbound: As2Agreement) -> None:
    first = build_message(X12, outbound)
    again = build_message(X12, outbound, message_id=first.message_id)
    assert again.headers["Message-ID"] == first.message_id


def test_built_headers_read_back_as_the_same_message(outbound: As2Agreement) -> None:
    message = build_message(X12, outbound)
    lowered = {name.lower(): value for name, value in message.headers.items()}
    read = As2Headers.parse(lowered)
    assert (read.as2_from, read.as2_to, read.message_id) == (US, PARTNER, message.message_id)
    assert read.version == "1.2"
    assert read.mdn is not None
    assert not read.mdn.asynchronous
    assert read.mdn.chosen_micalg() == "sha-256"
    assert read.mdn.signature == "pkcs7-signature"
    assert not read.mdn.signature_required


def test_mdn_request_prefers_the_senders_first_supported_algorithm() -> None:
    read = As2Headers.parse(
        {
            "AS2-From": "A",
            "AS2-To": "B",
            "Message-ID": "<1@a>",
            "Disposition-Notification-To": "x@a",
            "Disposition-Notification-Options": (
                "signed-receipt-protocol=required, pkcs7-signature; "
                "signed-receipt-micalg=required, md5, SHA1, sha-256"
            ),
        }
    )
    assert read.mdn is not None
    assert read.mdn.signature_required
    assert read.mdn.micalg_required
    assert read.mdn.chosen_micalg() == "sha-1"


@pytest.mark.parametrize("missing", ["AS2-From", "AS2-To", "Message-ID"])
def test_a_request_without_a_required_as2_header_is_not_as2(missing: str) -> None:
    headers = {"AS2-From": "A", "AS2-To": "B", "Message-ID": "<1@a>"}
    del headers[missing]
    with pytest.raises(NotAs2Request) as raised:
        As2Headers.parse(headers)
    assert raised.value.missing == (missing,)


@pytest.mark.parametrize("name", ["CROSSDOCK", "ACME RETAIL", 'say "hi"', "back\\slash"])
def test_as2_names_survive_quoting(name: str) -> None:
    assert unquote_name(quote_name(name)) == name


def test_agreement_from_a_partner_profile_spec() -> None:
    spec = As2Spec(url="https://acme/as2", partner_as2_id="ACME", mdn="async", mdn_url="https://u")
    agreement = As2Agreement.from_spec(spec)
    assert (agreement.our_id, agreement.partner_id, agreement.mdn) == ("CROSSDOCK", "ACME", "async")
