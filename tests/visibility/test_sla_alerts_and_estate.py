"""SLA alerts by mail (real ``smtplib`` against a minimal local SMTP server, with STARTTLS on a
certificate made for the test), several sinks at once, and the estate's ``sla`` block."""

from __future__ import annotations

import socketserver
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crossdock.core.errors import ConfigurationError, PermanentError, RetryableError
from crossdock.estate import parse_estate, sandbox_estate
from crossdock.visibility.alerts import Alert, AlertFanOut, Delivery
from crossdock.visibility.alerts_smtp import SmtpAlertSink, SmtpRelay


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message: greet, EHLO, STARTTLS (when the server has a
    certificate), MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        self.reply(b"220 stub ESMTP\r\n")
        envelope: dict[str, Any] = {"rcpt": [], "tls": False}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                offer = server.tls is not None and not envelope["tls"]
                self.reply(b"250-stub\r\n250 STARTTLS\r\n" if offer else b"250 stub\r\n")
            elif command.upper() == "STARTTLS" and server.tls is not None:
                self.reply(b"220 go ahead\r\n")
                try:
                    secure = server.tls.wrap_socket(self.connection, server_side=True)
                except OSError:  # the client refused the certificate (ssl.SSLError is an OSError)
                    return
                self.connection = secure
                self.rfile = secure.makefile("rb")
                envelope["tls"] = True
            elif verb == "MAIL":
                envelope["from"] = command.partition(":")[2].strip("<> ")
                self.reply(b"250 OK\r\n")
            elif verb == "RCPT":
                envelope["rcpt"].append(command.partition(":")[2].strip("<> "))
                self.reply(server.rcpt_reply)
            elif verb == "DATA":
                self.reply(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    body += chunk
                envelope["data"] = body
                server.received.append(envelope)
                self.reply(b"250 queued\r\n")
            elif verb == "QUIT":
                self.reply(b"221 bye\r\n")
                return
            else:
                self.reply(b"502 not implemented\r\n")

    def reply(self, line: bytes) -> None:
        self.connection.sendall(line)


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.received: list[dict[str, Any]] = []
        self.rcpt_reply = b"250 OK\r\n"
        """What the relay answers each recipient."""
        self.tls: ssl.SSLContext | None = None
        """The relay's certificate: offers STARTTLS when set."""


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


async def test_an_unreachable_relay_is_a_retryable_failure_that_does_not_name_it() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        port = closed.server_address[1]
    relay = SmtpRelay(host="127.0.0.1", port=port, from_addr="a@x", to_addrs=("b@x",))

    with pytest.raises(RetryableError, match="SMTP relay failed") as failure:
        await SmtpAlertSink(relay).send(ALERT)
    assert "127.0.0.1" not in str(failure.value)
    assert str(port) not in str(failure.value)


# ------------------------------------------------------------------ STARTTLS


@dataclass(frozen=True)
class _Pki:
    ca_file: Path
    """The test's own certificate authority: trusted only when ``SSL_CERT_FILE`` names it."""
    server: ssl.SSLContext
    """The relay's side: a certificate for ``localhost``, signed by that authority."""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> _Pki:
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("crossdock test CA"))
        .issuer_name(_name("crossdock test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = folder / "relay.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(chain)
    return _Pki(ca_file=ca_file, server=server)


def _tls_relay(smtp_server: _SmtpServer, host: str) -> SmtpRelay:
    return SmtpRelay(
        host=host,
        port=smtp_server.server_address[1],
        from_addr="crossdock@ops.example",
        to_addrs=("ops@ops.example",),
        starttls=True,
    )


async def test_alert_mail_goes_over_starttls_to_a_relay_with_a_trusted_certificate(
    smtp_server: _SmtpServer, pki: _Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_server.tls = pki.server
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))

    await SmtpAlertSink(_tls_relay(smtp_server, "localhost")).send(ALERT)

    [mail] = smtp_server.received
    assert mail["tls"] is True
    assert message_from_bytes(mail["data"])["X-Crossdock-Alert-Id"] == ALERT.alert_id


@pytest.mark.parametrize(
    ("trusted", "host"),
    [(False, "localhost"), (True, "127.0.0.1")],
    ids=["untrusted-certificate", "certificate-for-another-host"],
)
async def test_alert_mail_is_not_sent_to_a_relay_whose_certificate_does_not_check_out(
    smtp_server: _SmtpServer,
    pki: _Pki,
    monkeypatch: pytest.MonkeyPatch,
    trusted: bool,
    host: str,
) -> None:
    smtp_server.tls = pki.server
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))

    with pytest.raises(RetryableError, match="SMTP relay TLS failed") as failure:
        await SmtpAlertSink(_tls_relay(smtp_server, host)).send(ALERT)

    assert failure.value.code == "tls"
    assert smtp_server.received == []


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
    def __init__(self, name: str, error: Exception) -> None:
        self.name = name
        self.error = error

    async def send(self, alert: Alert) -> None:
        raise self.error


class _Takes:
    def __init__(self, name: str) -> None:
        self.name = name
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


async def test_every_sink_is_tried_whatever_the_others_did_and_each_outcome_is_told_apart() -> None:
    gone = _Refuses("webhook", PermanentError("alert webhook answered 404", code="http_404"))
    busy = _Refuses("email", RetryableError("SMTP relay answered 421", code="smtp_421"))
    takes = _Takes("pager")

    delivery = await AlertFanOut([gone, takes, busy]).send(ALERT)

    assert delivery == Delivery(
        delivered=("pager",), refused={"webhook": gone.error}, failed={"email": busy.error}
    )
    assert takes.alerts == [ALERT]


async def test_a_retry_skips_the_sinks_named() -> None:
    takes, busy = _Takes("pager"), _Refuses("email", RetryableError("SMTP relay answered 421"))

    delivery = await AlertFanOut([takes, busy]).send(ALERT, skip=["pager"])

    assert (delivery.delivered, list(delivery.failed)) == ((), ["email"])
    assert takes.alerts == []


def test_sinks_need_names_of_their_own() -> None:
    with pytest.raises(ValueError, match="distinct names"):
        AlertFanOut([_Takes("webhook"), _Takes("webhook")])


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
