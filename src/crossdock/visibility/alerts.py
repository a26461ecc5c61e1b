"""Alerts: telling people that something needs them, outside the console.

:class:`AlertSink` is the port the SLA monitor sends through; :class:`WebhookAlertSink` posts each
alert as JSON to an operations endpoint (a chat hook, an incident tool), signed with HMAC-SHA256
when a secret is set; :class:`~crossdock.visibility.alerts_smtp.SmtpAlertSink` mails it.
:class:`AlertFanOut` sends one alert to every configured sink.

A sink says whether a failure is worth another try: :class:`~crossdock.core.errors.RetryableError`
(a timeout, a 5xx or 429, a busy mail relay) or :class:`~crossdock.core.errors.PermanentError` (a
4xx, a relay refusing the message for good). The SLA monitor keeps an alert owed until it gets
through, retrying the first kind with backoff and giving up at once on the second (see
:mod:`crossdock.visibility.sla_alerts`). A retry goes to every sink again: ``alert_id`` lets a
receiver drop the repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from crossdock.core.errors import PermanentError, RetryableError

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

    async def send(self, alert: Alert) -> None:
        """Deliver one alert; raises a :class:`~crossdock.core.errors.CrossdockError` if it
        could not be delivered."""
        ...


class WebhookAlertSink:
    """POSTs each alert as JSON to ``url``, signed when ``secret`` is given."""

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
        except httpx.HTTPError as exc:
            raise RetryableError(f"alert webhook {self.url}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise RetryableError(f"alert webhook {self.url} answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(
                f"alert webhook {self.url} answered {response.status_code}",
                code=f"http_{response.status_code}",
            )


class AlertFanOut:
    """Every configured sink, each tried whatever the others did."""

    def __init__(self, sinks: Sequence[AlertSink]) -> None:
        self.sinks = tuple(sinks)

    async def send(self, alert: Alert) -> None:
        """Send to each sink; once all were tried, raise if any failed.

        Refused for good only when every failure was permanent: while one sink may still take
        the alert on another try, the failure is retryable (the other sinks get it again).
        """
        failures: list[Exception] = []
        for sink in self.sinks:
            try:
                await sink.send(alert)
            except Exception as exc:  # the next sink still gets its chance
                failures.append(exc)
        if not failures:
            return
        if len(failures) == 1:
            raise failures[0]
        reasons = "; ".join(str(failure) for failure in failures)
        if all(isinstance(failure, PermanentError) for failure in failures):
            raise PermanentError(reasons, code="alert_sinks") from failures[0]
        raise RetryableError(reasons, code="alert_sinks") from failures[0]
