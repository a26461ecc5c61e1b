"""Receiving an AS2 message: check the sender, open the content, hand it on, write the MDN.

::

    headers lack AS2-From, AS2-To or Message-ID      NotAs2Request (the route answers 400)
    unknown (AS2-From, AS2-To) pair                   processed/error: authentication-failed
    required MIC algorithms all unsupported           failed/Failure: unsupported MIC-algorithms
    signed MDN required, we have no signing key       failed/Failure: unsupported format
    encrypted, no key or it does not decrypt          processed/error: decryption-failed
    unencrypted, the agreement requires encryption    processed/error: insufficient-message-security
    signed (we cannot verify signatures)              processed/error: authentication-failed
    compressed (not supported)                        processed/error: decompression-failed
    the handler raises PermanentError                 processed/error: unexpected-processing-error
    the handler raises RetryableError                 raised: the route answers 503, to resend
    otherwise                                         what the handler's ReceiveOutcome says
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from crossdock.channels.edi.as2 import smime
from crossdock.channels.edi.as2.agreement import As2Agreement
from crossdock.channels.edi.as2.entity import MimeEntity
from crossdock.channels.edi.as2.mdn import Disposition, build_report
from crossdock.channels.edi.as2.mdn_request import SIGNATURE_PROTOCOL, MdnRequest
from crossdock.channels.edi.as2.message import (
    AS2_VERSION,
    As2Headers,
    As2Message,
    new_message_id,
    quote_name,
)
from crossdock.channels.edi.as2.mic import DEFAULT_ALGORITHM, Mic
from crossdock.core.errors import PermanentError
from crossdock.orchestration.clock import Clock, SystemClock

PartnerDirectory = Callable[[str, str], As2Agreement | None]
"""Finds the agreement for an inbound (AS2-From, AS2-To) pair; None for a pair we do not know."""

_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveOutcome:
    """What the handler of a received message decided: the MDN's disposition."""

    disposition: Disposition
    text: str = ""
    """A line for the MDN's human-readable part."""

    @classmethod
    def processed(cls, text: str = "") -> ReceiveOutcome:
        """The message was taken (stored, or handed on)."""
        return cls(disposition=Disposition.processed(), text=text)

    @classmethod
    def error(cls, description: str, text: str = "") -> ReceiveOutcome:
        """The message was received but not taken (``unexpected-processing-error`` …)."""
        return cls(disposition=Disposition.error(description), text=text)


Handler = Callable[[As2Message], Awaitable[ReceiveOutcome]]
"""Takes a received message (archives it, parses the X12 …) and says how it went."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MdnReply:
    """An MDN to answer with: in the HTTP response, or POSTed to :attr:`url`."""

    original_message_id: str
    disposition: Disposition
    headers: dict[str, str]
    """The HTTP headers (AS2-From, AS2-To, Message-ID, Content-Type …)."""
    body: bytes
    url: str | None = None
    """Where to POST an asynchronous MDN; None for a synchronous one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """How receiving one request went."""

    disposition: Disposition
    text: str
    message: As2Message | None = None
    """The message, when it got as far as the handler."""
    reply: MdnReply | None = None
    """The MDN to answer with; None when the sender asked for none."""


class _Refused(Exception):
    def __init__(self, disposition: Disposition, text: str, mic: Mic | None = None) -> None:
        super().__init__(text)
        self.disposition, self.text, self.mic = disposition, text, mic


class As2Receiver:
    """Turns inbound AS2 requests into messages for a handler, and answers with MDNs."""

    def __init__(
        self,
        partners: PartnerDirectory,
        handler: Handler,
        *,
        reporting_ua: str = "crossdock",
        domain: str = "crossdock",
        clock: Clock | None = None,
    ) -> None:
        self._partners = partners
        self._handler = handler
        self._reporting_ua = reporting_ua
        self._domain = domain
        self._clock = clock or SystemClock()

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Receive one request; raises :class:`NotAs2Request` for a request that is not AS2."""
        envelope = As2Headers.parse(headers)
        agreement = self._partners(envelope.as2_from, envelope.as2_to)
        message: As2Message | None = None
        try:
            message = self._open(envelope, agreement, body)
            outcome = await self._hand_on(message)
            disposition, text, mic = outcome.disposition, outcome.text, message.mic
        except _Refused as refused:
            disposition, text, mic = refused.disposition, refused.text, refused.mic
        reply = None
        if envelope.mdn is not None:
            reply = self._reply(envelope, agreement, disposition, text, mic)
        return Receipt(disposition=disposition, text=text, message=message, reply=reply)

    def _open(
        self, envelope: As2Headers, agreement: As2Agreement | None, body: bytes
    ) -> As2Message:
        if agreement is None:
            raise _Refused(
                Disposition.error("authentication-failed"),
                f"no AS2 agreement from {envelope.as2_from!r} to {envelope.as2_to!r}",
            )
        micalg = self._micalg(envelope)
        if envelope.mdn is not None and not self._can_sign(envelope.mdn, agreement):
            raise _Refused(Disposition.failure("unsupported format"), "a signed MDN cannot be made")
        outer = MimeEntity(content_type=envelope.content_type, content=body)
        if outer.media_type in _PKCS7_MIME and "compressed-data" in outer.content_type.lower():
            raise _Refused(
                Disposition.error("decompression-failed"), "compressed messages are unsupported"
            )
        encrypted = outer.media_type in _PKCS7_MIME
        if encrypted:
            if agreement.decrypt_with is None:
                raise _Refused(Disposition.error("decryption-failed"), "no key to decrypt with")
            try:
                mic_bytes = smime.decrypt(body, agreement.decrypt_with)
                inner = MimeEntity.parse(mic_bytes)
            except (smime.DecryptionFailed, ValueError) as exc:
                raise _Refused(Disposition.error("decryption-failed"), str(exc)) from exc
        elif agreement.require_encryption:
            raise _Refused(
                Disposition.error("insufficient-message-security"),
                "the agreement requires encrypted messages",
                Mic.of(body, micalg),
            )
        else:
            # Unsigned and unencrypted: the MIC is over the content alone (RFC 4130 §7.3.1).
            mic_bytes, inner = body, outer
        mic = Mic.of(mic_bytes, micalg)
        if inner.media_type in ("multipart/signed", *_PKCS7_MIME):
            raise _Refused(
                Disposition.error("authentication-failed"),
                "signed or nested S/MIME messages are not supported: the signature cannot be "
                "verified",
                mic,
            )
        return As2Message(
            as2_from=envelope.as2_from,
            as2_to=envelope.as2_to,
            message_id=envelope.message_id,
            content=_decoded(inner),
            content_type=inner.content_type,
            subject=envelope.subject,
            mdn=envelope.mdn,
            mic=mic,
            encrypted=encrypted,
        )

    @staticmethod
    def _can_sign(mdn: MdnRequest, agreement: As2Agreement) -> bool:
        """A required MDN signature is one we can make."""
        if not mdn.signature_required:
            return True
        return mdn.signature == SIGNATURE_PROTOCOL and agreement.sign_with is not None

    @staticmethod
    def _micalg(envelope: As2Headers) -> str:
        if envelope.mdn is None:
            return DEFAULT_ALGORITHM
        chosen = envelope.mdn.chosen_micalg()
        if chosen is not None:
            return chosen
        if envelope.mdn.micalg_required:
            raise _Refused(
                Disposition.failure("unsupported MIC-algorithms"),
                f"none of {', '.join(envelope.mdn.micalgs)} is supported",
            )
        return DEFAULT_ALGORITHM

    async def _hand_on(self, message: As2Message) -> ReceiveOutcome:
        try:
            return await self._handler(message)
        except PermanentError as exc:
            raise _Refused(
                Disposition.error("unexpected-processing-error"), str(exc), message.mic
            ) from exc

    def _reply(
        self,
        envelope: As2Headers,
        agreement: As2Agreement | None,
        disposition: Disposition,
        text: str,
        mic: Mic | None,
    ) -> MdnReply:
        assert envelope.mdn is not None
        summary = f"The AS2 message {envelope.message_id} from {envelope.as2_from} was received" + (
            " and processed." if disposition.ok else f" but not processed: {disposition}."
        )
        report = build_report(
            original_message_id=envelope.message_id,
            recipient=envelope.as2_to,
            disposition=disposition,
            mic=mic,
            text=f"{summary}\n{text}" if text else summary,
            reporting_ua=self._reporting_ua,
        )
        identity = agreement.sign_with if agreement is not None else None
        if envelope.mdn.signature == SIGNATURE_PROTOCOL and identity is not None:
            # The MIC may be sha-1 (a sender's choice we honour for the digest), but we never sign
            # with it: the signature then uses sha-256.
            algorithm = mic.algorithm if mic and smime.can_sign_with(mic.algorithm) else None
            report = smime.sign(report, identity, algorithm or DEFAULT_ALGORITHM)
        headers = {
            "AS2-Version": AS2_VERSION,
            "AS2-From": quote_name(envelope.as2_to),
            "AS2-To": quote_name(envelope.as2_from),
            "Message-ID": new_message_id(self._domain),
            "Subject": "AS2 MDN",
            "Date": _http_date(self._clock.now()),
            "MIME-Version": "1.0",
            "Content-Type": report.content_type,
        }
        return MdnReply(
            original_message_id=envelope.message_id,
            disposition=disposition,
            headers=headers,
            body=report.content,
            url=envelope.mdn.url,
        )


def _decoded(entity: MimeEntity) -> bytes:
    if (entity.header("Content-Transfer-Encoding") or "").strip().lower() != "base64":
        return entity.content
    try:
        return base64.b64decode(entity.content)
    except binascii.Error as exc:
        raise _Refused(
            Disposition.error("unexpected-processing-error"), "bad base64 content"
        ) from exc


def _http_date(now: datetime) -> str:
    return format_datetime(now, usegmt=True)
