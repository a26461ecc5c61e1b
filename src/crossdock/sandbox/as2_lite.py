"""as2_lite: the retailer's minimal AS2 (RFC 4130), unsigned and unencrypted, sync MDNs only.

Sending builds the POST headers and reads the synchronous MDN that answers it; receiving answers
a POST with a synchronous MDN. The MIC of an unsigned message is the digest of the HTTP body
exactly as sent (RFC 4130 §7.3.1), written ``<base64 sha-256>, sha-256``.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import httpx

from crossdock.sandbox.retry import RetryPolicy

AS2_VERSION = "1.2"
EDI_X12 = "application/edi-x12"
MDN_OPTIONS = (
    "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
)
AUTOMATIC = "automatic-action/MDN-sent-automatically"


def mic_of(body: bytes) -> str:
    """The ``Received-Content-MIC`` value for an unsigned message body."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ", sha-256"


def new_message_id(domain: str) -> str:
    """A fresh ``Message-ID`` with its angle brackets, e.g. ``<…@retailer>``."""
    return f"<{uuid.uuid4()}@{domain}>"


@dataclass(frozen=True, kw_only=True)
class Outbound:
    """An AS2 message ready to POST: its headers, and what its MDN must confirm."""

    headers: dict[str, str]
    message_id: str
    mic: str


def outbound(
    body: bytes, *, as2_from: str, as2_to: str, receipt_to: str, domain: str = "retailer"
) -> Outbound:
    """Headers of an unsigned AS2 POST of an X12 `body` that asks for a synchronous MDN."""
    message_id = new_message_id(domain)
    headers = {
        "AS2-Version": AS2_VERSION,
        "AS2-From": as2_from,
        "AS2-To": as2_to,
        "Message-ID": message_id,
        "Content-Type": EDI_X12,
        "Disposition-Notification-To": receipt_to,
        "Disposition-Notification-Options": MDN_OPTIONS,
    }
    return Outbound(headers=headers, message_id=message_id, mic=mic_of(body))


@dataclass(frozen=True, kw_only=True)
class MdnOutcome:
    """What a synchronous MDN said, and whether it confirms our message."""

    ok: bool
    disposition: str = ""
    mic: str = ""
    original_message_id: str = ""
    problem: str = ""
    """Why the MDN does not confirm the message; empty when `ok`."""


def read_mdn(content_type: str, body: bytes, sent: Outbound) -> MdnOutcome:
    """Check that an MDN says `processed` (no error) for `sent` with its MIC."""
    fields = _mdn_fields(content_type, body)
    if fields is None:
        return MdnOutcome(ok=False, problem=f"not an MDN (Content-Type {content_type!r})")
    outcome = MdnOutcome(
        ok=False,
        disposition=fields.get("disposition", ""),
        mic=fields.get("received-content-mic", ""),
        original_message_id=fields.get("original-message-id", ""),
    )
    disposition = outcome.disposition.lower()
    if outcome.original_message_id.strip("<> ") != sent.message_id.strip("<> "):
        problem = f"answers {outcome.original_message_id or 'nothing'}, not {sent.message_id}"
    elif "processed" not in disposition or "error" in disposition or "fail" in disposition:
        problem = f"disposition is {outcome.disposition!r}"
    elif _normal_mic(outcome.mic) != _normal_mic(sent.mic):
        problem = f"Received-Content-MIC {outcome.mic!r} is not {sent.mic!r}"
    else:
        return replace(outcome, ok=True)
    return replace(outcome, problem=problem)


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """The outcome of sending one AS2 message: its id, the last HTTP status and the MDN."""

    message_id: str
    status_code: int | None
    mdn: MdnOutcome


async def send(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    as2_from: str,
    as2_to: str,
    domain: str,
    retry: RetryPolicy,
) -> Delivery:
    """POST `body` until answered (same bytes, same Message-ID), then read the sync MDN.

    Transport errors, 429 and 5xx are retried under `retry`; any other answer is final.
    """
    message = outbound(body, as2_from=as2_from, as2_to=as2_to, receipt_to=as2_from, domain=domain)
    attempt = 0
    while True:
        attempt += 1
        final = retry.gives_up_after(attempt)
        try:
            response = await client.post(url, content=body, headers=message.headers)
        except httpx.HTTPError as exc:
            status, problem = None, f"{type(exc).__name__}: {exc}"
        else:
            status, problem = response.status_code, f"HTTP {response.status_code}"
            if response.is_success:
                content_type = response.headers.get("content-type", "")
                mdn = read_mdn(content_type, response.content, message)
                return Delivery(message_id=message.message_id, status_code=status, mdn=mdn)
            final = final or (status < 500 and status != 429)
            problem += f": {response.text[:200]}"
        if final:
            failed = MdnOutcome(ok=False, original_message_id=message.message_id, problem=problem)
            return Delivery(message_id=message.message_id, status_code=status, mdn=failed)
        await asyncio.sleep(retry.delay_after(attempt))


def _normal_mic(value: str) -> tuple[str, str]:
    digest, _, algorithm = value.partition(",")
    return digest.strip(), algorithm.strip().lower().replace("sha256", "sha-256")


def _mdn_fields(content_type: str, body: bytes) -> dict[str, str] | None:
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if message.get_content_type() != "multipart/report":
        return None
    fields: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            blocks = [email.message_from_string(str(blocks))]
        for block in blocks:
            if isinstance(block, Message):
                for name, value in block.items():
                    fields.setdefault(name.lower(), " ".join(str(value).split()))
    return fields


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """A synchronous MDN to send back: the HTTP headers and body of the answer."""

    headers: dict[str, str]
    body: bytes
    mic: str


def receipt(
    request_headers: Mapping[str, str], body: bytes, *, reporting_ua: str, domain: str
) -> Receipt:
    """The ``processed`` MDN answering an inbound AS2 POST of `body` (AS2 ids swapped)."""
    ours, theirs = request_headers.get("as2-to", ""), request_headers.get("as2-from", "")
    mic = mic_of(body)
    fields = [
        f"Reporting-UA: {reporting_ua}",
        f"Original-Recipient: rfc822; {ours}",
        f"Final-Recipient: rfc822; {ours}",
        f"Original-Message-ID: {request_headers.get('message-id', '')}",
        f"Disposition: {AUTOMATIC}; processed",
        f"Received-Content-MIC: {mic}",
    ]
    notification = Message()
    notification["Content-Type"] = "message/disposition-notification"
    notification["Content-Transfer-Encoding"] = "7bit"
    notification.set_payload("\r\n".join(fields) + "\r\n")
    report = MIMEMultipart(
        "report", boundary=f"----=_{uuid.uuid4().hex}", report_type="disposition-notification"
    )
    report.attach(MIMEText(f"The message was received by {ours} and processed.\r\n", "plain"))
    report.attach(notification)
    rendered = report.as_bytes(policy=email.policy.HTTP)
    _, _, content = rendered.partition(b"\r\n\r\n")
    headers = {
        "AS2-Version": AS2_VERSION,
        "AS2-From": ours,
        "AS2-To": theirs,
        "Message-ID": new_message_id(domain),
        "MIME-Version": "1.0",
        "Content-Type": str(report["Content-Type"]),
    }
    return Receipt(headers=headers, body=content, mic=mic)
