"""Alerts: telling people that something needs them, outside the console.

:class:`AlertSink` is the port the SLA monitor sends through; :class:`WebhookAlertSink` posts each
alert as JSON to an operations endpoint (a chat hook, an incident tool), signed with HMAC-SHA256
when a secret is set; :class:`~crossdock.visibility.alerts_smtp.SmtpAlertSink` mails it.
:class:`AlertFanOut` sends one alert to every configured sink and says which of them took it.

A sink says whether a failure is worth another try: :class:`~crossdock.core.errors.RetryableError`
(a timeout, a 5xx or 429, a busy mail relay) or :class:`~crossdock.core.errors.PermanentError` (a
4xx, a relay refusing the message for good), each with a short ``code`` (``http_503``,
``timeout``, ``smtp_421`` …). The SLA monitor keeps an alert owed until every sink took it or
refused it for good, and a retry goes only to the sinks that have not taken it yet (see
:mod:`crossdock.visibility.sla_alerts`).

**A sink's errors name no address.** A chat hook's URL is a bearer secret (whoever holds it may
post to the channel), and an alert's errors are kept on its exception, and their codes written on
the order's timeline, which partners read. So the webhook says "alert webhook answered 503" and
the mail sink "SMTP relay answered 421"; the host, and only the host, goes to the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from crossdock.core.errors import PermanentError, RetryableError

log = logging.getLogger("crossdock.alerts")

SIGNATURE_HEADER = "X-Crossdock-Signature"
"""``sha256=<hex HMAC of the body>`` when the webhook has a secret."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One thing a person must look at."""

    alert_id: str
    """Stable per breach (the exception's id): a receiver can drop a repeat."""
    rule: str
    """What was missed: ``not_booked``, ``no_855``, ``not_invoiced``."""
    order_id: str
    system: str
    summary: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The alert as the webhook sends it."""
        return {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "order_id": self.order_id,
            "system": self.system,
            "summary": self.summary,
            "at": self.at.isoformat(),
            "detail": self.detail,
        }


class AlertSink(Protocol):
    """Somewhere alerts go."""

    name: str
    """Which sink this is (``webhook``, ``email``): what an alert's state lists as delivered."""

    async def send(self, alert: Alert) -> None:
        """Deliver one alert; raises a :class:`~crossdock.core.errors.CrossdockError` if it
        could not be delivered, whose message names no address (no URL, no host)."""
        ...


def error_code(error: Exception) -> str:
    """The short code of a sink's failure (``http_503``, ``timeout``, ``smtp_550``): what the
    order's timeline says, where the error's own text may not go."""
    if isinstance(error, RetryableError | PermanentError):
        return error.code
    return type(error).__name__


class WebhookAlertSink:
    """POSTs each alert as JSON to ``url``, signed when ``secret`` is given."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        secret: str = "",
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s
        self.transport = transport

    @property
    def host(self) -> str:
        """The endpoint's host, all the log may say of the URL (its path is often the secret)."""
        return urlsplit(self.url).hostname or "?"

    def sign(self, body: bytes) -> str:
        """The signature header's value for ``body``."""
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    async def send(self, alert: Alert) -> None:
        body = json.dumps(alert.as_json(), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = self.sign(body)
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.timeout_s
            ) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # The library's text may quote the URL: the error keeps only the failure's kind.
            kind = type(exc).__name__
            log.warning("alert webhook at %s failed: %s", self.host, kind)
            if isinstance(exc, httpx.TimeoutException):
                raise RetryableError(f"alert webhook timed out ({kind})", code="timeout") from exc
            if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
                raise PermanentError(
                    f"alert webhook URL unusable ({kind})", code="bad_url"
                ) from exc
            raise RetryableError(f"alert webhook unreachable ({kind})", code="connection") from exc
        status = response.status_code
        if status >= 400:
            log.warning("alert webhook at %s answered %d", self.host, status)
        if status >= 500 or status in (408, 429):
            raise RetryableError(f"alert webhook answered {status}", code=f"http_{status}")
        if status >= 400:
            raise PermanentError(f"alert webhook answered {status}", code=f"http_{status}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """How each sink did with one alert in one round of sends (:meth:`AlertFanOut.send`)."""

    delivered: tuple[str, ...] = ()
    """The sinks that took the alert."""
    refused: dict[str, Exception] = field(default_factory=dict)
    """The sinks that refused it for good (a :class:`PermanentError`), with their errors."""
    failed: dict[str, Exception] = field(default_factory=dict)
    """The sinks that could not take it now and may on another try, with their errors."""


class AlertFanOut:
    """Every configured sink, each tried whatever the others did."""

    def __init__(self, sinks: Sequence[AlertSink]) -> None:
        names = [sink.name for sink in sinks]
        if len(set(names)) != len(names):
            raise ValueError(f"alert sinks need distinct names, not {names}")
        self.sinks = tuple(sinks)

    @property
    def names(self) -> tuple[str, ...]:
        """The sinks' names, in the order they are tried."""
        return tuple(sink.name for sink in self.sinks)

    async def send(self, alert: Alert, *, skip: Collection[str] = ()) -> Delivery:
        """Send to each sink not named in ``skip`` (those that took the alert, or refused it for
        good, in an earlier round), and say how each did. A sink's failure is reported, never
        raised: the next sink still gets its chance."""
        delivered: list[str] = []
        refused: dict[str, Exception] = {}
        failed: dict[str, Exception] = {}
        for sink in self.sinks:
            if sink.name in skip:
                continue
            try:
                await sink.send(alert)
            except PermanentError as exc:
                refused[sink.name] = exc
            except Exception as exc:  # anything else may pass: tried again on the next round
                failed[sink.name] = exc
            else:
                delivered.append(sink.name)
        return Delivery(delivered=tuple(delivered), refused=refused, failed=failed)
