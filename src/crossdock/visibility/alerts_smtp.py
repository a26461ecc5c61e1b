"""Alerts by mail: one plain-text message per alert, through the operations SMTP relay.

``smtplib`` blocks, so each message is sent on a worker thread (:func:`asyncio.to_thread`). The
relay is described by :class:`SmtpRelay`; bootstrap builds it from the ``CROSSDOCK_SMTP__*``
settings and adds this sink only when a host is set.

A relay that cannot be reached, or answers 4xx (RFC 5321's "try again later"), is a
:class:`~crossdock.core.errors.RetryableError`; a 5xx (the sender or every recipient refused) is a
:class:`~crossdock.core.errors.PermanentError`: the SLA monitor retries the first and gives up on
the second at once.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.visibility.alerts import Alert


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpRelay:
    """Where alert mail goes, and as whom."""

    host: str
    port: int = 587
    from_addr: str
    to_addrs: tuple[str, ...]
    username: str = ""
    """Log in when set (after STARTTLS when that is on)."""
    password: str = ""
    starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in or sending."""
    timeout_s: float = 10.0


def alert_message(alert: Alert, relay: SmtpRelay) -> EmailMessage:
    """The mail for one alert."""
    message = EmailMessage()
    message["Subject"] = f"[crossdock] {alert.rule}: {alert.order_id}"
    message["From"] = relay.from_addr
    message["To"] = ", ".join(relay.to_addrs)
    message["X-Crossdock-Alert-Id"] = alert.alert_id
    lines = [
        alert.summary,
        "",
        f"Order:  {alert.order_id}",
        f"System: {alert.system}",
        f"Rule:   {alert.rule}",
        f"At:     {alert.at.isoformat()}",
        f"Alert:  {alert.alert_id}",
    ]
    lines += [f"{key}: {value}" for key, value in sorted(alert.detail.items())]
    message.set_content("\n".join(lines) + "\n")
    return message


class SmtpAlertSink:
    """Mails each alert to the relay's recipients."""

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def send(self, alert: Alert) -> None:
        await asyncio.to_thread(self._send, alert_message(alert, self.relay))

    def _send(self, message: EmailMessage) -> None:
        relay = self.relay
        try:
            with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_s) as smtp:
                if relay.starttls:
                    smtp.starttls()
                if relay.username:
                    smtp.login(relay.username, relay.password)
                smtp.send_message(message, relay.from_addr, list(relay.to_addrs))
        except smtplib.SMTPResponseException as exc:
            raise _refusal(f"SMTP {relay.host}:{relay.port} answered", exc.smtp_code) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            # Every recipient refused: permanent only when every refusal was (all 5xx).
            mildest = min(code for code, _ in exc.recipients.values())
            where = f"SMTP {relay.host}:{relay.port} refused every recipient,"
            raise _refusal(where, mildest) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP {relay.host}:{relay.port}: {exc}", code="smtp") from exc


def _refusal(text: str, smtp_code: int) -> RetryableError | PermanentError:
    """A relay's refusal: 4xx is "try again later" (RFC 5321 transient), 5xx is final."""
    message = f"{text} {smtp_code}"
    if 400 <= smtp_code < 500:
        return RetryableError(message, code=f"smtp_{smtp_code}")
    return PermanentError(message, code=f"smtp_{smtp_code}")
