"""SLA alerts by mail (real ``smtplib`` against a minimal local SMTP server) and the estate's
``sla`` block."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from typing import Any

import pytest

from crossdock.core.errors import ConfigurationError, PermanentError, RetryableError
from crossdock.estate import parse_estate, sandbox_estate
from crossdock.visibility.alerts import Alert, AlertFanOut
from crossdock.visibility.alerts_smtp import SmtpAlertSink, SmtpRelay


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message: greet, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        self.wfile.write(b"220 stub ESMTP\r\n")
        envelope: dict[str, Any] = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 stub\r\n")
            elif verb == "MAIL":
                envelope["from"] = command.partition(":")[2].strip("<> ")
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                envelope["rcpt"].append(command.partition(":")[2].strip("<> "))
                self.wfile.write(server.rcpt_reply)
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    body += chunk
                envelope["data"] = body
                server.received.append(envelope)
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.received: list[dict[str, Any]] = []
        self.rcpt_reply = b"250 OK\r\n"
        """What the relay answers each recipient."""


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


ALERT = Alert(
    alert_id="sla-not_booked-abc",
    rule="not_booked",
    order_id="O-1",
    system="legacy_erp",
    summary="SLA breached: not booked within 30 min",
    at=datetime(2026, 1, 5, 9, 31, tzinfo=UTC),
    detail={"due_at": "2026-01-05T09:30:00+00:00", "subject": ""},
)


async def test_an_alert_is_mailed_to_every_recipient(smtp_server: _SmtpServer) -> None:
    relay = SmtpRelay(
        host="127.0.0.1",
        port=smtp_server.server_address[1],
        from_addr="crossdock@ops.example",
        to_addrs=("ops@ops.example", "dana@ops.example"),
        starttls=False,
    )

    await SmtpAlertSink(relay).send(ALERT)

    [mail] = smtp_server.received
    assert mail["from"] == "crossdock@ops.example"
    assert mail["rcpt"] == ["ops@ops.example", "dana@ops.example"]
    message = message_from_bytes(mail["data"])
    assert message["Subject"] == "[crossdock] not_booked: O-1"
    assert message["X-Crossdock-Alert-Id"] == "sla-not_booked-abc"
    assert "SLA breached: not booked within 30 min" in message.get_payload()


async def test_an_unreachable_relay_is_a_retryable_failure() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        port = closed.server_address[1]
    relay = SmtpRelay(host="127.0.0.1", port=port, from_addr="a@x", to_addrs=("b@x",))

    with pytest.raises(RetryableError, match=r"SMTP 127\.0\.0\.1"):
        await SmtpAlertSink(relay).send(ALERT)


@pytest.mark.parametrize(
    ("reply", "refusal"),
    [
        (b"550 no such mailbox\r\n", PermanentError),
        (b"450 mailbox busy, try later\r\n", RetryableError),
    ],
    ids=["5xx-for-good", "4xx-for-now"],
)
async def test_a_relay_refusing_every_recipient_is_final_only_when_it_says_so(
    smtp_server: _SmtpServer, reply: bytes, refusal: type[Exception]
) -> None:
    smtp_server.rcpt_reply = reply
    relay = SmtpRelay(
        host="127.0.0.1",
        port=smtp_server.server_address[1],
        from_addr="crossdock@ops.example",
        to_addrs=("ops@ops.example",),
        starttls=False,
    )

    with pytest.raises(refusal, match="refused every recipient"):
        await SmtpAlertSink(relay).send(ALERT)
    assert smtp_server.received == []


class _Refuses:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send(self, alert: Alert) -> None:
        raise self.error


class _Takes:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


async def test_alerts_to_several_sinks_are_retried_while_any_sink_may_still_take_them() -> None:
    gone = _Refuses(PermanentError("webhook answered 404"))
    busy = _Refuses(RetryableError("SMTP answered 421"))
    takes = _Takes()

    with pytest.raises(RetryableError, match=r"404.*421"):
        await AlertFanOut([gone, takes, busy]).send(ALERT)
    with pytest.raises(PermanentError, match=r"404.*404"):
        await AlertFanOut([gone, takes, gone]).send(ALERT)
    assert takes.alerts == [ALERT, ALERT]  # every sink is tried whatever the others did


# ------------------------------------------------------------------ the estate's sla block


def estate_with(sla: dict[str, Any]) -> dict[str, Any]:
    document = sandbox_estate().model_dump(mode="json")
    document["sla"] = sla
    return document


def test_the_sla_block_sets_each_rule_and_each_partner_keeps_its_own_855_window() -> None:
    document = estate_with(
        {
            "not_booked_within_minutes": 45,
            "no_855_within_hours": "partner",
            "not_invoiced_by": {"at": "23:59", "timezone": "America/Chicago"},
            "sweep_s": 30,
        }
    )
    document["edi"]["partners"]["edi_customer"]["deadlines"]["ack_855_hours"] = 12

    policy = parse_estate(document).sla_policy()

    assert policy is not None
    assert policy.not_booked_within == timedelta(minutes=45)
    assert policy.ack_855_within == {"edi_customer": timedelta(hours=12)}
    assert policy.invoice_cutoff is not None
    assert policy.invoice_cutoff.at == time(23, 59)
    assert str(policy.invoice_cutoff.zone) == "America/Chicago"
    assert policy.sweep_every == timedelta(seconds=30)


def test_a_number_of_hours_applies_to_every_partner_that_takes_855s() -> None:
    policy = parse_estate(estate_with({"no_855_within_hours": 4})).sla_policy()

    assert policy is not None
    assert policy.ack_855_within == {"edi_customer": timedelta(hours=4)}
    assert policy.not_booked_within is None
    assert policy.invoice_cutoff is None


def test_an_estate_without_an_sla_block_has_no_monitor() -> None:
    assert sandbox_estate().sla_policy() is None


@pytest.mark.parametrize(
    ("sla", "key"),
    [
        ({"not_invoiced_by": {"timezone": "Mars/Olympus"}}, "sla.not_invoiced_by.timezone"),
        ({"not_booked_within_minutes": 0}, "sla.not_booked_within_minutes"),
        ({"no_855_within_hours": -1}, "sla.no_855_within_hours"),
        ({"not_booked_within": 30}, "sla.not_booked_within"),
    ],
)
def test_a_bad_sla_block_fails_at_start_naming_the_key(sla: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigurationError, match=key.replace(".", r"\.")):
        parse_estate(estate_with(sla))
