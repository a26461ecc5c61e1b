"""Sending AS2 messages (and asynchronous MDNs) over HTTP.

::

    connection failure, timeout, 408/423/429, 5xx     RetryableError (send again, same message_id)
    other 3xx/4xx, bad URL                            PermanentError
    sync MDN: processed/error …, failed/Failure …     MdnRefused (PermanentError)
    sync MDN: Received-Content-MIC is not ours        MicMismatch (PermanentError)
    sync MDN missing, or for another message          MdnUnreadable (PermanentError)

A resend must carry the first attempt's ``message_id``: AS2 receivers detect duplicates by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from crossdock.channels.edi.as2.agreement import As2Agreement
from crossdock.channels.edi.as2.errors import MdnUnreadable
from crossdock.channels.edi.as2.mdn import Mdn, parse_mdn
from crossdock.channels.edi.as2.message import build_message
from crossdock.channels.edi.as2.mic import Mic
from crossdock.channels.edi.as2.receiver import MdnReply
from crossdock.integration.outbound.errors import error_for_response, error_for_transport
from crossdock.orchestration.clock import Clock, SystemClock


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """A message the partner's AS2 server took."""

    message_id: str
    mic: Mic
    """Our MIC of the message; an asynchronous MDN is checked against it later."""
    mdn: Mdn | None = None
    """The synchronous MDN, checked (processed, MIC matches); None otherwise."""
    awaiting_mdn: bool = False
    """An asynchronous MDN is expected at the agreement's ``mdn_url``."""


class As2Client:
    """Posts AS2 messages with an injected ``httpx.AsyncClient`` (its timeouts, its transport)."""

    def __init__(
        self, http: httpx.AsyncClient, *, domain: str = "crossdock", clock: Clock | None = None
    ) -> None:
        self._http = http
        self._domain = domain
        self._clock = clock or SystemClock()

    async def send(
        self, payload: bytes, *, agreement: As2Agreement, message_id: str | None = None
    ) -> SendResult:
        """Send ``payload`` to the agreement's partner and check the synchronous MDN, if any."""
        message = build_message(
            payload,
            agreement,
            message_id=message_id,
            now=self._clock.now(),
            domain=self._domain,
        )
        response = await self._post(
            agreement.url, message.headers, message.body, system=f"AS2 {agreement.partner_id}"
        )
        if message.mdn is None:
            return SendResult(message_id=message.message_id, mic=message.mic)
        if message.mdn.asynchronous:
            return SendResult(message_id=message.message_id, mic=message.mic, awaiting_mdn=True)
        content_type = response.headers.get("Content-Type")
        if not content_type or not response.content:
            raise MdnUnreadable(f"{agreement.url} answered {response.status_code} without an MDN")
        mdn = parse_mdn(content_type, response.content)
        mdn.check(message.message_id, message.mic)
        return SendResult(message_id=message.message_id, mic=message.mic, mdn=mdn)

    async def send_mdn(self, reply: MdnReply) -> None:
        """POST an asynchronous MDN to the URL the sender named."""
        if reply.url is None:
            raise ValueError("a synchronous MDN is answered, not sent")
        await self._post(reply.url, reply.headers, reply.body, system="AS2 MDN")

    async def _post(
        self, url: str, headers: dict[str, str], body: bytes, *, system: str
    ) -> httpx.Response:
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            path = urlsplit(url).path or "/"
            raise error_for_transport(
                exc, system=system, method="POST", path=path, creates=False
            ) from exc
        if not response.is_success:
            raise error_for_response(response, system=system)
        return response
