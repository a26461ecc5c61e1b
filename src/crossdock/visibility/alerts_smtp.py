"""Alerts by mail: one plain-text message per alert, through the operations SMTP relay.

``smtplib`` blocks, so each message is sent on a worker thread (:func:`asyncio.to_thread`). The
relay is described by :class:`SmtpRelay`; bootstrap builds it from the ``CROSSDOCK_SMTP__*``
settings and adds this sink only when a host is set.

STARTTLS checks the relay's certificate against the system's trusted roots (``SSL_CERT_FILE``
or ``SSL_CERT_DIR`` name others) and the relay's host name, before the login and the message go
over the connection.

A relay that cannot be reached, or answers 4xx (RFC 5321's "try again later"), is a
:class:`~crossdock.core.errors.RetryableError`; a 5xx (the sender or every recipient refused) is a
:class:`~crossdock.core.errors.PermanentError`: the SLA monitor retries the first and gives up on
the second at once. Errors say "SMTP relay", never its host (they reach the order's timeline as
codes, and the exception as text); the host and the relay's reply go to the log.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.visibility.alerts import Alert

log = logging.getLogger("crossdock.alerts")


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

    name = "email"

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def send(self, alert: Alert) -> None:
        await asyncio.to_thread(self._send, alert_message(alert, self.relay))

    def _send(self, message: EmailMessage) -> None:
        relay = self.relay
        where = f"{relay.host}:{relay.port}"
        try:
            with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_s) as smtp:
                if relay.starttls:
                    # Without a context smtplib encrypts but trusts any certificate at all.
                    smtp.starttls(context=ssl.create_default_context())
                if relay.username:
                    smtp.login(relay.username, relay.password)
                smtp.send_message(message, relay.from_addr, list(relay.to_addrs))
        except smtplib.SMTPRecipientsRefused as exc:
            # Every recipient refused: permanent only when every refusal was (all 5xx).
            mildest = min(code for code, _ in exc.recipients.values())
            log.warning("SMTP relay %s refused every recipient: %s", where, exc.recipients)
            raise _refusal("SMTP relay refused every recipient,", mildest) from exc
        except smtplib.SMTPResponseException as exc:
            log.warning("SMTP relay %s answered %d %r", where, exc.smtp_code, exc.smtp_error)
            raise _refusal("SMTP relay answered", exc.smtp_code) from exc
        except ssl.SSLError as exc:
            log.warning("SMTP relay %s: TLS failed: %s", where, exc)
            raise RetryableError(
                f"SMTP relay TLS failed ({type(exc).__name__})", code="tls"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("SMTP relay %s: %s", where, exc)
            raise RetryableError(f"SMTP relay failed ({type(exc).__name__})", code="smtp") from exc


def _refusal(text: str, smtp_code: int) -> RetryableError | PermanentError:
    """A relay's refusal: 4xx is "try again later" (RFC 5321 transient), 5xx is final."""
    message = f"{text} {smtp_code}"
    if 400 <= smtp_code < 500:
        return RetryableError(message, code=f"smtp_{smtp_code}")
    return PermanentError(message, code=f"smtp_{smtp_code}")
