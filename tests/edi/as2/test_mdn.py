"""MDNs: what we write reads back; what partners write reads; a check that says what is wrong."""

from __future__ import annotations

import pytest

from crossdock.channels.edi.as2 import (
    Disposition,
    MdnRefused,
    MdnUnreadable,
    Mic,
    MicMismatch,
    build_report,
    parse_mdn,
)
from crossdock.core.errors import PermanentError

from .conftest import US, X12

MESSAGE_ID = "<abc123@acme>"


def _report(disposition: Disposition, mic: Mic | None) -> tuple[str, bytes]:
    entity = build_report(
        original_message_id=MESSAGE_ID,
        recipient=US,
        disposition=disposition,
        mic=mic,
        text="Received.",
    )
    return entity.content_type, entity.content


def test_a_processed_mdn_reads_back_with_its_mic() -> None:
    mic = Mic.of(X12)
    mdn = parse_mdn(*_report(Disposition.processed(), mic))
    assert mdn.original_message_id == MESSAGE_ID
    assert mdn.disposition == Disposition.processed()
    assert mdn.disposition.ok
    assert mdn.mic == mic
    assert mdn.reporting_ua == "crossdock"
    assert mdn.final_recipient == f"rfc822; {US}"
    assert mdn.text == "Received."
    assert not mdn.signed
    mdn.check(MESSAGE_ID, mic)


def test_the_report_is_multipart_report_of_disposition_notification() -> None:
    content_type, body = _report(Disposition.processed(), Mic.of(X12))
    assert content_type.startswith("multipart/report; report-type=disposition-notification")
    assert b"Content-Type: message/disposition-notification" in body
    assert (
        b"Disposition: automatic-action/MDN-sent-automatically; processed\r\n"
        b"Received-Content-MIC: " + str(Mic.of(X12)).encode() + b"\r\n"
    ) in body


@pytest.mark.parametrize(
    ("disposition", "written"),
    [
        (Disposition.error("authentication-failed"), "processed/error: authentication-failed"),
        (Disposition.warning("duplicate-document"), "processed/warning: duplicate-document"),
        (Disposition.failure("unsupported format"), "failed/Failure: unsupported format"),
    ],
)
def test_dispositions_are_written_as_rfc_4130_says(disposition: Disposition, written: str) -> None:
    assert str(disposition) == f"automatic-action/MDN-sent-automatically; {written}"
    assert Disposition.parse(str(disposition)) == disposition


def test_a_partners_mdn_with_lf_line_ends_and_capitalised_error_reads() -> None:
    body = (
        b"--B\n"
        b"Content-Type: text/plain\n\n"
        b"Your message could not be decrypted.\n"
        b"--B\n"
        b"Content-Type: message/disposition-notification\n\n"
        b"Reporting-UA: Some AS2 Server\n"
        b"Original-Recipient: rfc822; CROSSDOCK\n"
        b"Final-Recipient: rfc822; CROSSDOCK\n"
        b"Original-Message-ID: <abc123@acme>\n"
        b"Disposition: automatic-action/MDN-sent-automatically;\n"
        b"  Processed/Error: decryption-failed\n"
        b"\n"
        b"--B--\n"
    )
    mdn = parse_mdn('multipart/report; report-type="disposition-notification"; boundary=B', body)
    assert mdn.disposition.type == "processed"
    assert mdn.disposition.modifier == "error"
    assert mdn.disposition.description == "decryption-failed"
    assert not mdn.disposition.ok
    assert mdn.mic is None
    assert mdn.text == "Your message could not be decrypted."


def test_an_error_mdn_is_a_permanent_refusal_naming_the_reason() -> None:
    mdn = parse_mdn(*_report(Disposition.error("authentication-failed"), None))
    with pytest.raises(MdnRefused, match="authentication-failed") as raised:
        mdn.check(MESSAGE_ID, Mic.of(X12))
    assert isinstance(raised.value, PermanentError)
    assert raised.value.code == "as2_mdn_refused"


def test_a_processed_mdn_with_another_mic_fails_the_check() -> None:
    mdn = parse_mdn(*_report(Disposition.processed(), Mic.of(b"other bytes")))
    with pytest.raises(MicMismatch):
        mdn.check(MESSAGE_ID, Mic.of(X12))


def test_a_processed_mdn_without_a_mic_fails_the_check_when_we_expect_one() -> None:
    mdn = parse_mdn(*_report(Disposition.processed(), None))
    with pytest.raises(MicMismatch):
        mdn.check(MESSAGE_ID, Mic.of(X12))


def test_an_mdn_for_another_message_fails_the_check() -> None:
    mdn = parse_mdn(*_report(Disposition.processed(), Mic.of(X12)))
    with pytest.raises(MdnUnreadable, match="not our message"):
        mdn.check("<other@crossdock>", Mic.of(X12))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html>OK</html>"),
        ("multipart/report; boundary=B", b"--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"),
    ],
)
def test_an_answer_that_is_no_mdn_is_unreadable(content_type: str, body: bytes) -> None:
    with pytest.raises(MdnUnreadable):
        parse_mdn(content_type, body)
