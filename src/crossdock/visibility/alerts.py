"""Alerts: telling people that something needs them, outside the console.

:class:`AlertSink` is the port the SLA monitor sends through; :class:`WebhookAlertSink` posts each
alert as JSON to an operations endpoint (a chat hook, an incident tool), signed with HMAC-SHA256
when a secret is set; :class:`~crossdock.visibility.alerts_smtp.SmtpAlertSink` mails it.
:class:`AlertFanOut` sends one alert to every configured sink.

An alert repeats what the exception queue already holds: a sink that fails loses the alert, not
the breach (see :mod:`crossdock.visibility.sla`).
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
        if response.status_code >= 500 or response.status_code == 429:
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
        """Send to each sink; if any failed, raise the first failure once all were tried."""
        failures: list[Exception] = []
        for sink in self.sinks:
            try:
                await sink.send(alert)
            except Exception as exc:  # the next sink still gets its chance
                failures.append(exc)
        if failures:
            raise failures[0]
