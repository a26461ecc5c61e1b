import base64
import email
import email.message
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crossdock.sandbox import x12_lite
from crossdock.sandbox.catalog import seed_catalog
from crossdock.sandbox.clock import ManualClock
from crossdock.sandbox.edi_customer import EdiCustomer, EdiCustomerConfig, SentPo
from crossdock.sandbox.estate import SandboxEstate
from crossdock.sandbox.retry import RetryPolicy
from waiting import eventually

HUB = x12_lite.Party(qualifier="ZZ", isa_id="CROSSDOCK", gs_id="CROSSDOCK")
RETAILER = x12_lite.Party(qualifier="ZZ", isa_id="RETAILCO", gs_id="RETAILCO")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def sha256_mic(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode() + ", sha-256"


@dataclass(frozen=True)
class As2Post:
    headers: dict[str, str]
    body: bytes

    @property
    def interchange(self) -> x12_lite.Interchange:
        [interchange] = x12_lite.read(self.body.decode())
        return interchange


class FakeHub:
    """Answers every AS2 POST with a hand-written sync MDN and records what it received."""

    def __init__(self, *, wrong_mic: bool = False, refuse: int = 0) -> None:
        self.posts: list[As2Post] = []
        self.wrong_mic = wrong_mic
        self.refuse = refuse
        self.app = Starlette(routes=[Route("/as2", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        self.posts.append(As2Post(dict(request.headers), body))
        if self.refuse > 0:
            self.refuse -= 1
            return Response("busy", 503)
        mic = sha256_mic(b"not what was sent" if self.wrong_mic else body)
        boundary = "mdn-boundary"
        report = (
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nReceived.\r\n"
            f"--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n"
            "Reporting-UA: fake hub\r\n"
            "Original-Recipient: rfc822; CROSSDOCK\r\n"
            "Final-Recipient: rfc822; CROSSDOCK\r\n"
            f"Original-Message-ID: {request.headers['message-id']}\r\n"
            "Disposition: automatic-action/MDN-sent-automatically; processed\r\n"
            f"Received-Content-MIC: {mic}\r\n\r\n"
            f"--{boundary}--\r\n"
        )
        content_type = (
            f'multipart/report; report-type=disposition-notification; boundary="{boundary}"'
        )
        return Response(report.encode(), 200, headers={"Content-Type": content_type})

    def sets(self, set_id: str) -> list[x12_lite.TransactionSet]:
        return [
            document
            for post in self.posts
            for group in post.interchange.groups
            for document in group.sets
            if document.set_id == set_id
        ]


@dataclass
class Running:
    customer: EdiCustomer
    hub: FakeHub
    client: httpx.AsyncClient


@pytest.fixture
async def running(request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    hub = FakeHub(**getattr(request, "param", {}))
    config = EdiCustomerConfig(number_base=0, retry=RetryPolicy(initial_s=0, max_attempts=3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hub.app)) as hub_client:
        customer = EdiCustomer(
            config, hub_client=hub_client, hub_url="http://hub", clock=ManualClock(AT)
        )
        await customer.start()
        app: Any = customer.app
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://retail") as client:
                yield Running(customer, hub, client)
        finally:
            await customer.stop()
            customer.close()


def customer_price(customer_id: str, sku: str) -> Decimal | None:
    catalog = seed_catalog()
    contract = [p for p in catalog.prices if p.sku == sku and p.customer_id == customer_id]
    return contract[0].unit_price if contract else catalog.list_price(sku)


def sscc(serial: int) -> str:
    digits = f"0061414{serial:010d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return "00" + digits + str((10 - total % 10) % 10)


def from_hub(control: int, functional_id: str, set_id: str, body: Sequence[Sequence[str]]) -> bytes:
    sets = [x12_lite.SetSpec(set_id=set_id, control="0001", body=body)]
    group = x12_lite.GroupSpec(functional_id=functional_id, control=control, sets=sets)
    return x12_lite.write(
        sender=HUB, receiver=RETAILER, control=control, at=AT, groups=[group]
    ).encode()


async def post_as2(client: httpx.AsyncClient, body: bytes, message_id: str) -> httpx.Response:
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": "CROSSDOCK",
        "AS2-To": "RETAILCO",
        "Message-ID": message_id,
        "Content-Type": "application/edi-x12",
        "Disposition-Notification-To": "CROSSDOCK",
    }
    return await client.post("/as2", content=body, headers=headers)


def mdn_fields(response: httpx.Response) -> dict[str, str]:
    content_type = response.headers["content-type"]
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.content
    )
    fields: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() == "message/disposition-notification":
            payload = part.get_payload()
            blocks = (
                payload if isinstance(payload, list) else [email.message_from_string(str(payload))]
            )
            for block in blocks:
                assert isinstance(block, email.message.Message)
                fields |= {k.lower(): str(v) for k, v in block.items()}
    return fields


def ack_855(po: SentPo) -> list[tuple[str, ...]]:
    body: list[tuple[str, ...]] = [("BAK", "00", "AD", po.po_number, "20260105")]
    for line in po.lines:
        body += [
            ("PO1", line.line_id, str(line.qty), "EA", str(line.price), "PE", "VP", line.sku),
            ("ACK", "IA", str(line.qty), "EA"),
        ]
    return [*body, ("CTT", str(len(po.lines)))]


def ship_856(po: SentPo, carton: str) -> list[tuple[str, ...]]:
    body: list[tuple[str, ...]] = [
        ("BSN", "00", "SHP-1", "20260105", "0900", "0001"),
        ("HL", "1", "", "S", "1"),
        ("TD5", "", "2", "UPSN"),
        ("HL", "2", "1", "O", "1"),
        ("PRF", po.po_number),
        ("HL", "3", "2", "P", "1"),
        ("MAN", "GM", carton),
    ]
    for i, line in enumerate(po.lines, start=4):
        body += [
            ("HL", str(i), "3", "I", "0"),
            ("LIN", line.line_id, "VP", line.sku),
            ("SN1", line.line_id, str(line.qty), "EA"),
        ]
    shipped = sum(line.qty for line in po.lines)
    return [*body, ("CTT", str(3 + len(po.lines)), str(shipped))]


def invoice_810(po: SentPo) -> list[tuple[str, ...]]:
    body: list[tuple[str, ...]] = [("BIG", "20260105", "INV-1", "", po.po_number)]
    subtotal = Decimal(0)
    for line in po.lines:
        body.append(
            ("IT1", line.line_id, str(line.qty), "EA", str(line.price), "PE", "VP", line.sku)
        )
        subtotal += line.qty * line.price
    tax = Decimal("1.25")
    cents = int((subtotal + tax) * 100)
    quantity = sum(line.qty for line in po.lines)
    return [
        *body,
        ("TDS", str(cents)),
        ("TXI", "TX", "1.25"),
        ("CTT", str(len(po.lines)), str(quantity)),
    ]


async def test_each_850_is_one_valid_interchange_priced_at_the_customers_price(
    running: Running,
) -> None:
    sent = await running.customer.send_purchase_orders(3)

    assert len(running.hub.posts) == 3
    for po, post in zip(sent, running.hub.posts, strict=True):
        raw = post.body.decode()
        assert len(raw.split("~")[0]) + 1 == 106
        isa = post.interchange
        [group] = isa.groups
        [document] = group.sets
        assert (isa.sender, isa.receiver, isa.header.element(12)) == (
            "RETAILCO",
            "CROSSDOCK",
            "00401",
        )
        assert isa.trailer is not None
        assert isa.trailer.elements == ("1", isa.control)
        assert group.trailer is not None
        assert group.trailer.elements == ("1", group.control)
        assert (group.functional_id, group.header.element(4)) == ("PO", "20260105")
        between = raw[raw.index("ST*850") : raw.index("SE*")].count("~") + 1
        assert document.segments[-1].elements == (str(between), document.control)
        assert document.first("BEG") == x12_lite.Segment(
            "BEG", ("00", "SA", po.po_number, "", "20260105")
        )
        po1s = document.body("PO1")
        assert [p.element(1) for p in po1s] == [str(i) for i in range(1, len(po1s) + 1)]
        for po1 in po1s:
            assert (po1.element(3), po1.element(5), po1.element(6)) == ("EA", "PE", "VP")
            assert Decimal(po1.element(4)) == customer_price("C0003", po1.element(7))
        ctt = document.first("CTT")
        assert ctt is not None
        assert ctt.elements == (str(len(po1s)), str(sum(int(p.element(2)) for p in po1s)))
        customer = seed_catalog().customer("C0003")
        assert customer is not None
        n4 = document.first("N4")
        assert n4 is not None
        assert n4.element(3) == customer.bill_to.zip
        assert post.headers["as2-from"] == "RETAILCO"
        assert post.headers["as2-to"] == "CROSSDOCK"
        assert post.headers["content-type"] == "application/edi-x12"
        assert post.headers["message-id"] == po.message_id
        assert po.mdn_ok, po.mdn
    assert len({po.isa13 for po in sent}) == 3
    report = running.customer.report()
    assert (report["sent"], report["mdn_ok"], report["findings_count"]) == (3, 3, 0)


@pytest.mark.parametrize("running", [{"wrong_mic": True}], indirect=True)
async def test_an_mdn_with_someone_elses_mic_is_recorded_as_a_failed_delivery(
    running: Running,
) -> None:
    [po] = await running.customer.send_purchase_orders(1)

    assert not po.mdn_ok
    assert "Received-Content-MIC" in po.mdn["problem"]
    assert running.customer.report()["mdn_ok"] == 0


@pytest.mark.parametrize("running", [{"refuse": 1}], indirect=True)
async def test_a_refused_850_is_resent_with_the_same_bytes_and_message_id(
    running: Running,
) -> None:
    [po] = await running.customer.send_purchase_orders(1)

    first, second = running.hub.posts
    assert first.body == second.body
    assert first.headers["message-id"] == second.headers["message-id"] == po.message_id
    assert po.mdn_ok


async def test_well_formed_855_856_810_get_a_processed_mdn_and_no_findings(
    running: Running,
) -> None:
    [po] = await running.customer.send_purchase_orders(1)
    documents = [
        from_hub(501, "PR", "855", ack_855(po)),
        from_hub(502, "SH", "856", ship_856(po, sscc(1))),
        from_hub(503, "IN", "810", invoice_810(po)),
    ]

    for i, body in enumerate(documents):
        response = await post_as2(running.client, body, f"<m{i}@hub>")
        fields = mdn_fields(response)
        assert response.status_code == 200
        assert response.headers["as2-from"] == "RETAILCO"
        assert response.headers["as2-to"] == "CROSSDOCK"
        assert fields["original-message-id"] == f"<m{i}@hub>"
        assert fields["disposition"].endswith("; processed")
        assert fields["received-content-mic"] == sha256_mic(body)

    report = running.customer.report()
    assert report["findings"] == []
    assert (report["acknowledged_855"], report["shipped"], report["invoiced"]) == (1, 1, 1)
    by_route = (await running.client.get(f"/api/purchase-orders/{po.po_number}")).json()
    assert by_route["received"] == {"997": 0, "855": 1, "856": 1, "810": 1}


async def test_a_broken_856_is_reported_with_each_broken_rule(running: Running) -> None:
    [po] = await running.customer.send_purchase_orders(1)
    bad_carton = sscc(7)[:-1] + str((int(sscc(7)[-1]) + 1) % 10)
    body = ship_856(po, bad_carton)
    body[3] = ("HL", "2", "3", "O", "1")  # the order level points at a later HL
    body[-1] = ("CTT", body[-1][1], "999")

    await post_as2(running.client, from_hub(601, "SH", "856", body), "<broken@hub>")

    checks = {f["check"] for f in running.customer.report()["findings"]}
    assert {"856.hl02", "856.ctt02", "856.sscc"} <= checks
    assert all(f["subject"] == po.po_number for f in running.customer.report()["findings"])


async def test_an_810_with_a_wrong_total_or_price_is_reported(running: Running) -> None:
    [po] = await running.customer.send_purchase_orders(1)
    body = invoice_810(po)
    first = list(body[1])
    first[4] = str(po.lines[0].price + 1)
    body[1] = tuple(first)

    await post_as2(running.client, from_hub(701, "IN", "810", body), "<inv@hub>")

    checks = {f["check"] for f in running.customer.report()["findings"]}
    assert checks == {"810.price", "810.tds01"}


async def test_a_997_goes_back_to_the_hub_for_a_received_855(running: Running) -> None:
    [po] = await running.customer.send_purchase_orders(1)

    await post_as2(running.client, from_hub(801, "PR", "855", ack_855(po)), "<ack@hub>")
    await eventually(lambda: len(running.hub.sets("997")) == 1)

    [ack] = running.hub.sets("997")
    assert [s.render() for s in ack.body()] == [
        "AK1*PR*801",
        "AK2*855*0001",
        "AK5*A",
        "AK9*A*1*1*1",
    ]
    await running.customer.drain()
    assert running.customer.store.acks_sent()[0]["mdn"]["ok"] == "true"


async def test_a_997_from_the_hub_acknowledges_the_850_and_gets_no_997_back(
    running: Running,
) -> None:
    [po] = await running.customer.send_purchase_orders(1)
    body = [
        ("AK1", "PO", po.gs06),
        ("AK2", "850", "0001"),
        ("AK5", "A"),
        ("AK9", "A", "1", "1", "1"),
    ]

    await post_as2(running.client, from_hub(901, "FA", "997", body), "<fa@hub>")
    await running.customer.drain()

    report = running.customer.report()
    assert (report["acknowledged"], report["findings_count"]) == (1, 0)
    assert running.hub.sets("997") == []


async def test_a_repeated_interchange_and_an_unknown_group_are_findings(running: Running) -> None:
    body = [("AK1", "PO", "424242"), ("AK9", "A", "1", "1", "1")]
    interchange = from_hub(950, "FA", "997", body)

    for _ in range(2):
        await post_as2(running.client, interchange, "<dup@hub>")

    checks = [f["check"] for f in running.customer.report()["findings"]]
    assert sorted(checks) == ["997.ak1", "997.ak1", "envelope.duplicate_isa13"]


async def test_purchase_orders_can_be_sent_over_http(running: Running) -> None:
    response = await running.client.post(
        "/api/purchase-orders", json={"count": 2, "concurrency": 2}
    )

    assert response.status_code == 200
    assert [po["mdn_ok"] for po in response.json()["sent"]] == [True, True]
    assert (await running.client.get("/api/purchase-orders/RC999")).status_code == 404


async def test_the_estate_serves_the_edi_customer_last() -> None:
    estate = SandboxEstate()
    async with estate.in_process() as running:
        health = await running.clients.edi_customer.get("/_sandbox/health")

    assert health.json()["system"] == "edi_customer"
    assert list(estate.services)[-1] == "edi_customer"
