"""An AS2 message over HTTP (RFC 4130 §6): the headers, the body, and its MIC.

An outbound message is built from a payload and an agreement::

    AS2-Version: 1.2
    AS2-From: CROSSDOCK
    AS2-To: "ACME RETAIL"              (quoted when the name has spaces, RFC 4130 §6.2)
    Message-ID: <4f0c…@crossdock>
    Subject: EDI
    Date: Tue, 03 Jun 2025 10:00:00 GMT
    Content-Type: application/edi-x12
    Disposition-Notification-To: CROSSDOCK
    Disposition-Notification-Options: signed-receipt-protocol=optional, pkcs7-signature;
        signed-receipt-micalg=optional, sha-256
    Receipt-Delivery-Option: https://…/as2/mdn    (only for an asynchronous MDN)

An inbound request's headers are read into :class:`As2Headers`; the receiver turns them and the
(decrypted) body into an :class:`As2Message`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from crossdock.channels.edi.as2 import smime
from crossdock.channels.edi.as2.agreement import As2Agreement
from crossdock.channels.edi.as2.entity import MimeEntity
from crossdock.channels.edi.as2.errors import NotAs2Request
from crossdock.channels.edi.as2.mdn_request import SIGNATURE_PROTOCOL, MdnRequest
from crossdock.channels.edi.as2.mic import Mic

AS2_VERSION = "1.2"
_NEEDS_QUOTES = re.compile(r'[\s"\\(),:;<>@\[\]]')
_NOT_IN_DOMAIN = re.compile(r"[^A-Za-z0-9.-]+")


def quote_name(name: str) -> str:
    """An AS2 name as an ``AS2-From``/``AS2-To`` value: quoted when it has spaces or specials."""
    if not _NEEDS_QUOTES.search(name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def unquote_name(value: str) -> str:
    """The AS2 name in an ``AS2-From``/``AS2-To`` value (a token or a quoted string)."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def new_message_id(domain: str = "crossdock") -> str:
    """A globally unique ``Message-ID``: ``<uuid@domain>``."""
    host = _NOT_IN_DOMAIN.sub("-", domain).strip("-.") or "crossdock"
    return f"<{uuid.uuid4().hex}@{host}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """A message ready to POST."""

    message_id: str
    headers: dict[str, str]
    """Every HTTP header to send."""
    body: bytes
    mic: Mic
    """What the partner's MDN must return in ``Received-Content-MIC`` (RFC 4130 §7.3.1)."""
    mdn: MdnRequest | None
    """The MDN asked for; None when the agreement asks for none."""


def build_message(
    payload: bytes,
    agreement: As2Agreement,
    *,
    message_id: str | None = None,
    now: datetime | None = None,
    domain: str = "crossdock",
) -> OutboundMessage:
    """The AS2 message carrying ``payload`` to the agreement's partner.

    Pass the same ``message_id`` when sending a message again, so the partner's duplicate
    detection recognises it.
    """
    message_id = message_id or new_message_id(domain)
    entity = MimeEntity(
        content_type=agreement.content_type,
        content=payload,
        headers=(("Content-Transfer-Encoding", "binary"),),
    )
    if agreement.sign_with is None and agreement.encrypt_to is None:
        # Unsigned, unencrypted: the MIC covers the content alone, no headers (RFC 4130 §7.3.1).
        sent = MimeEntity(content_type=agreement.content_type, content=payload)
        mic = Mic.of(payload, agreement.micalg)
    else:
        # Signed or encrypted: the MIC covers the MIME entity, headers and content (§7.3.1).
        mic = Mic.of(entity.to_bytes(), agreement.micalg)
        sent = entity
        if agreement.sign_with is not None:
            sent = smime.sign(entity, agreement.sign_with, mic.algorithm)
        if agreement.encrypt_to is not None:
            sent = smime.encrypt(sent, agreement.encrypt_to)
    headers = {
        "AS2-Version": AS2_VERSION,
        "AS2-From": quote_name(agreement.our_id),
        "AS2-To": quote_name(agreement.partner_id),
        "Message-ID": message_id,
        "Subject": agreement.subject,
        "Date": format_datetime(now or datetime.now(UTC), usegmt=True),
        "MIME-Version": "1.0",
        "Content-Type": sent.content_type,
        **dict(sent.headers),
    }
    mdn = _mdn_request(agreement)
    if mdn is not None:
        headers["Disposition-Notification-To"] = mdn.to
        headers["Disposition-Notification-Options"] = mdn.options_header()
        if mdn.url:
            headers["Receipt-Delivery-Option"] = mdn.url
    return OutboundMessage(
        message_id=message_id, headers=headers, body=sent.content, mic=mic, mdn=mdn
    )


def _mdn_request(agreement: As2Agreement) -> MdnRequest | None:
    if agreement.mdn == "none":
        return None
    return MdnRequest(
        to=agreement.our_id,
        url=agreement.mdn_url if agreement.mdn == "async" else None,
        signature=SIGNATURE_PROTOCOL,
        micalgs=(agreement.micalg,),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class As2Headers:
    """What an inbound request's AS2 headers say."""

    as2_from: str
    as2_to: str
    message_id: str
    content_type: str
    subject: str = ""
    version: str = "1.0"
    mdn: MdnRequest | None = None
    """The MDN the sender asked for; None when it asked for none."""

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> As2Headers:
        """Read the headers (names in any case); raise :class:`NotAs2Request` when AS2-From,
        AS2-To or Message-ID is missing."""
        named = {name.lower(): value for name, value in headers.items()}
        required = ("AS2-From", "AS2-To", "Message-ID")
        missing = tuple(name for name in required if not named.get(name.lower(), "").strip())
        if missing:
            raise NotAs2Request(missing)
        notify = named.get("disposition-notification-to")
        return cls(
            as2_from=unquote_name(named["as2-from"]),
            as2_to=unquote_name(named["as2-to"]),
            message_id=named["message-id"].strip(),
            content_type=named.get("content-type", "application/octet-stream"),
            subject=named.get("subject", ""),
            version=named.get("as2-version", "1.0").strip(),
            mdn=MdnRequest.parse(
                notify,
                named.get("disposition-notification-options"),
                named.get("receipt-delivery-option"),
            )
            if notify is not None
            else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class As2Message:
    """A received AS2 message, decrypted, whose sender is a known partner."""

    as2_from: str
    as2_to: str
    message_id: str
    content: bytes
    """The payload (an X12 interchange, usually)."""
    content_type: str
    """The payload's media type (``application/edi-x12``)."""
    subject: str = ""
    mdn: MdnRequest | None = None
    """The MDN the sender asked for (sync or async, its URL, the MIC algorithms)."""
    mic: Mic | None = None
    """Our digest of what we received (RFC 4130 §7.3.1); None when the sender asked only for
    algorithms we do not support."""
    encrypted: bool = False
    """The message came encrypted (and we decrypted it)."""
    signed: bool = False
    """Always False: signed messages are refused, as their signature cannot be verified."""
