"""Fixtures: key material made on the spot, agreements both ways, a receiving hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from crossdock.channels.edi.as2 import (
    As2Agreement,
    As2Client,
    As2Message,
    Identity,
    Mdn,
    ReceiveOutcome,
    as2_router,
)
from crossdock.integration.api.problems import install_problem_handlers

US = "CROSSDOCK"
PARTNER = "ACME RETAIL"
"""A partner whose AS2 name has a space (so it is quoted in headers)."""
X12 = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*CROSSDOCK      *~IEA*1*000000001~"


def make_identity(name: str) -> Identity:
    """A self-signed RSA certificate and its key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return Identity(certificate, key)


@pytest.fixture(scope="session")
def our_identity() -> Identity:
    return make_identity(US)


@pytest.fixture(scope="session")
def partner_identity() -> Identity:
    return make_identity(PARTNER)


@pytest.fixture
def outbound() -> As2Agreement:
    """Our agreement for sending to the partner: plain, synchronous MDN."""
    return As2Agreement(our_id=US, partner_id=PARTNER, url="https://as2.acme.test/as2")


@dataclass
class Hub:
    """A crossdock receiving AS2 messages: what its handler got, what MDNs it took or sent."""

    app: FastAPI
    received: list[As2Message] = field(default_factory=list)
    mdns: list[Mdn] = field(default_factory=list)
    posted_mdns: list[httpx.Request] = field(default_factory=list)
    outcome: ReceiveOutcome = field(default_factory=ReceiveOutcome.processed)
    agreements: dict[tuple[str, str], As2Agreement] = field(default_factory=dict)
    fails_with: Exception | None = None
    """What the handler raises instead of answering :attr:`outcome`."""

    def http(self) -> httpx.AsyncClient:
        """A client talking to the hub in process."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://hub")


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    app = FastAPI()
    install_problem_handlers(app)
    state = Hub(app=app)
    # The partner's side of our agreement, as the hub knows it: AS2-From is the partner.
    state.agreements[(PARTNER, US)] = As2Agreement(our_id=US, partner_id=PARTNER)

    async def receive(message: As2Message) -> ReceiveOutcome:
        state.received.append(message)
        if state.fails_with is not None:
            raise state.fails_with
        return state.outcome

    async def mdn_received(mdn: Mdn) -> None:
        state.mdns.append(mdn)

    def partner_endpoint(request: httpx.Request) -> httpx.Response:
        state.posted_mdns.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(partner_endpoint)) as http:
        app.include_router(
            as2_router(
                receive,
                partners=lambda as2_from, as2_to: state.agreements.get((as2_from, as2_to)),
                client=As2Client(http),
                mdn_received=mdn_received,
            )
        )
        yield state
