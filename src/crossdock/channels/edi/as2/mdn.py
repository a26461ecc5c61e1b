"""Message disposition notifications: the AS2 receipt (RFC 4130 §7.4, RFC 8098).

An MDN is a ``multipart/report; report-type=disposition-notification`` with a human-readable part
and a ``message/disposition-notification`` part::

    Reporting-UA: crossdock
    Original-Recipient: rfc822; CROSSDOCK
    Final-Recipient: rfc822; CROSSDOCK
    Original-Message-ID: <8d2c…@crossdock>
    Disposition: automatic-action/MDN-sent-automatically; processed
    Received-Content-MIC: t7Yh…=, sha-256

A refusal says ``processed/error: <reason>`` (RFC 4130 §7.5.3: ``authentication-failed``,
``decryption-failed``, ``insufficient-message-security``, ``integrity-check-failed``,
``decompression-failed``, ``unexpected-processing-error``) or ``failed/Failure: <reason>``
(``unsupported format``, ``unsupported MIC-algorithms``, RFC 4130 §7.5.3).
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message

from crossdock.channels.edi.as2.entity import CRLF, MimeEntity, new_boundary
from crossdock.channels.edi.as2.errors import MdnRefused, MdnUnreadable, MicMismatch
from crossdock.channels.edi.as2.mic import Mic

AUTOMATIC = "automatic-action/MDN-sent-automatically"
REPORT_TYPE = "disposition-notification"


@dataclass(frozen=True, slots=True, kw_only=True)
class Disposition:
    """The ``Disposition`` field: what the receiver did with the message."""

    type: str = "processed"
    """``processed`` or ``failed`` in AS2 (RFC 8098 also has ``displayed``, ``deleted`` …)."""
    modifier: str | None = None
    """``error``, ``warning`` or ``failure``; None for a plain ``processed``."""
    description: str = ""
    """The reason after the modifier (``authentication-failed``, ``unsupported format``)."""
    mode: str = AUTOMATIC
    """The action and sending modes."""

    @classmethod
    def processed(cls) -> Disposition:
        """The message was received and handed on."""
        return cls()

    @classmethod
    def error(cls, description: str) -> Disposition:
        """``processed/error: <description>``: received, but not processed."""
        return cls(modifier="error", description=description)

    @classmethod
    def warning(cls, description: str) -> Disposition:
        """``processed/warning: <description>``: processed, with a remark."""
        return cls(modifier="warning", description=description)

    @classmethod
    def failure(cls, description: str) -> Disposition:
        """``failed/Failure: <description>``: the MDN request itself could not be honoured."""
        return cls(type="failed", modifier="failure", description=description)

    @property
    def ok(self) -> bool:
        """The receiver processed the message (a warning still counts)."""
        return self.type == "processed" and self.modifier not in ("error", "failure")

    def __str__(self) -> str:
        text = f"{self.mode}; {self.type}"
        if self.modifier:
            modifier = "Failure" if self.modifier == "failure" else self.modifier
            text += f"/{modifier}: {self.description}" if self.description else f"/{modifier}"
        return text

    @classmethod
    def parse(cls, value: str) -> Disposition:
        """Read a ``Disposition`` value; type and modifier are compared in lower case."""
        mode, _, rest = " ".join(value.split()).partition(";")
        if not rest.strip():
            raise ValueError(f"not a Disposition value: {value!r}")
        kind, _, modifiers = rest.partition("/")
        modifier, _, description = modifiers.partition(":")
        return cls(
            mode=mode.strip(),
            type=kind.strip().lower(),
            modifier=modifier.strip().lower() or None,
            description=description.strip(),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Mdn:
    """A received MDN."""

    original_message_id: str
    """The ``Message-ID`` of the message the MDN answers (with its angle brackets)."""
    disposition: Disposition
    mic: Mic | None = None
    """``Received-Content-MIC``: the partner's digest of what it received."""
    reporting_ua: str = ""
    final_recipient: str = ""
    text: str = ""
    """The human-readable part."""
    signed: bool = False
    """The MDN came as ``multipart/signed``."""
    signature_verified: bool = False
    """Always False: crossdock cannot verify PKCS #7 signatures (see :mod:`.smime`)."""

    def check(self, message_id: str, mic: Mic | None) -> None:
        """Raise unless this MDN confirms that ``message_id`` was processed with digest ``mic``.

        ``mic`` None skips the digest check (for a message sent without one).
        """
        if self.original_message_id.strip("<> ") != message_id.strip("<> "):
            raise MdnUnreadable(
                f"it answers {self.original_message_id}, not our message {message_id}"
            )
        if not self.disposition.ok:
            raise MdnRefused(self)
        if mic is not None and (self.mic is None or not self.mic.matches(mic)):
            raise MicMismatch(message_id, str(mic), str(self.mic) if self.mic else "none")


def build_report(
    *,
    original_message_id: str,
    recipient: str,
    disposition: Disposition,
    mic: Mic | None,
    text: str,
    reporting_ua: str = "crossdock",
) -> MimeEntity:
    """An MDN's ``multipart/report`` entity. ``recipient`` is our AS2 id (the original AS2-To)."""
    fields = [
        f"Reporting-UA: {reporting_ua}",
        f"Original-Recipient: rfc822; {recipient}",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Message-ID: {original_message_id}",
        f"Disposition: {disposition}",
    ]
    if mic is not None:
        fields.append(f"Received-Content-MIC: {mic}")
    notification = MimeEntity(
        content_type="message/disposition-notification",
        content=CRLF.join(f.encode("ascii", "replace") for f in fields) + CRLF,
        headers=(("Content-Transfer-Encoding", "7bit"),),
    )
    human = MimeEntity(
        content_type="text/plain; charset=us-ascii",
        content=text.encode("ascii", "replace").replace(b"\n", CRLF) + CRLF,
        headers=(("Content-Transfer-Encoding", "7bit"),),
    )
    boundary = new_boundary()
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + CRLF + part.to_bytes() + CRLF for part in (human, notification))
    return MimeEntity(
        content_type=f'multipart/report; report-type={REPORT_TYPE}; boundary="{boundary}"',
        content=body + delimiter + b"--" + CRLF,
    )


def parse_mdn(content_type: str, body: bytes) -> Mdn:
    """Read an MDN from an HTTP ``Content-Type`` and body (a synchronous response, or the POST of
    an asynchronous one), signed or not."""
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    signed = message.get_content_type() == "multipart/signed"
    if signed:
        parts = message.get_payload()
        if not isinstance(parts, list) or not parts or not isinstance(parts[0], Message):
            raise MdnUnreadable("an empty multipart/signed")
        message = parts[0]
    if message.get_content_type() != "multipart/report":
        raise MdnUnreadable(f"expected multipart/report, got {message.get_content_type()}")
    fields: dict[str, str] = {}
    text = ""
    for part in message.walk():
        if part.get_content_type() == "message/disposition-notification":
            fields |= _notification_fields(part)
        elif part.get_content_type() == "text/plain" and not text:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if "original-message-id" not in fields or "disposition" not in fields:
        raise MdnUnreadable("no Original-Message-ID or Disposition")
    try:
        disposition = Disposition.parse(fields["disposition"])
        mic = (
            Mic.parse(fields["received-content-mic"]) if "received-content-mic" in fields else None
        )
    except ValueError as exc:
        raise MdnUnreadable(str(exc)) from exc
    return Mdn(
        original_message_id=fields["original-message-id"],
        disposition=disposition,
        mic=mic,
        reporting_ua=fields.get("reporting-ua", ""),
        final_recipient=fields.get("final-recipient", ""),
        text=text.strip(),
        signed=signed,
    )


def _notification_fields(part: Message) -> dict[str, str]:
    # The email package splits a message/disposition-notification body into header blocks.
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        blocks = [email.message_from_string(str(blocks))]
    fields: dict[str, str] = {}
    for block in blocks:
        if not isinstance(block, Message):
            continue
        for name, value in block.items():
            fields.setdefault(name.lower(), " ".join(str(value).split()))
    return fields
