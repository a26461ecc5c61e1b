"""``POST /as2`` and ``POST /as2/mdn``: what a partner's AS2 server sees from crossdock."""

from __future__ import annotations

import base64
import hashlib

from crossdock.channels.edi.as2 import (
    As2Agreement,
    Disposition,
    Mic,
    ReceiveOutcome,
    build_message,
    build_report,
    parse_mdn,
)
from crossdock.core.errors import PermanentError, RetryableError

from .conftest import PARTNER, US, X12, Hub

FROM_PARTNER = As2Agreement(our_id=PARTNER, partner_id=US, url="http://hub/as2")
"""The partner's side: it sends to us."""


async def test_a_valid_message_is_handed_on_and_answered_with_a_processed_mdn(hub: Hub) -> None:
    message = build_message(X12, FROM_PARTNER)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert response.status_code == 200
    assert response.headers["AS2-From"] == US
    assert response.headers["AS2-To"] == '"ACME RETAIL"'
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.original_message_id == message.message_id
    assert mdn.disposition.ok
    assert mdn.mic == Mic(digest=base64.b64encode(hashlib.sha256(X12).digest()).decode())
    [received] = hub.received
    assert received.content == X12
    assert received.content_type == "application/edi-x12"
    assert (received.as2_from, received.as2_to) == (PARTNER, US)
    assert received.message_id == message.message_id


async def test_an_unknown_partner_gets_an_authentication_failed_mdn(hub: Hub) -> None:
    stranger = As2Agreement(our_id="STRANGER", partner_id=US, url="http://hub/as2")
    message = build_message(X12, stranger)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert response.status_code == 200
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("authentication-failed")
    assert mdn.original_message_id == message.message_id
    assert hub.received == []


async def test_a_request_without_as2_headers_gets_a_400_problem(hub: Hub) -> None:
    async with hub.http() as http:
        response = await http.post("/as2", content=X12, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:crossdock:problem:not-as2"
    assert [e["field"] for e in problem["errors"]] == ["AS2-From", "AS2-To", "Message-ID"]


async def test_a_message_without_message_id_gets_a_400_problem(hub: Hub) -> None:
    message = build_message(X12, FROM_PARTNER)
    headers = {k: v for k, v in message.headers.items() if k != "Message-ID"}
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=headers)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["Message-ID"]
    assert hub.received == []


async def test_the_handlers_refusal_is_the_mdns_disposition(hub: Hub) -> None:
    hub.outcome = ReceiveOutcome.error("unexpected-processing-error", "ISA13 reused")
    message = build_message(X12, FROM_PARTNER)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("unexpected-processing-error")
    assert "ISA13 reused" in mdn.text


async def test_a_permanent_error_in_the_handler_becomes_an_error_mdn(hub: Hub) -> None:
    hub.fails_with = PermanentError("the interchange does not parse")
    message = build_message(X12, FROM_PARTNER)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    mdn = parse_mdn(response.headers["Content-Type"], response.content)
    assert mdn.disposition == Disposition.error("unexpected-processing-error")
    assert "does not parse" in mdn.text


async def test_a_retryable_error_in_the_handler_asks_the_sender_to_resend(hub: Hub) -> None:
    hub.fails_with = RetryableError("store busy")
    message = build_message(X12, FROM_PARTNER)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"


async def test_an_asynchronous_mdn_is_posted_to_the_receipt_delivery_option(hub: Hub) -> None:
    agreement = As2Agreement(
        our_id=PARTNER,
        partner_id=US,
        url="http://hub/as2",
        mdn="async",
        mdn_url="https://as2.acme.test/mdn",
    )
    message = build_message(X12, agreement)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert response.status_code == 200
    assert response.content == b""
    [posted] = hub.posted_mdns
    assert str(posted.url) == "https://as2.acme.test/mdn"
    assert posted.headers["AS2-From"] == US
    assert posted.headers["AS2-To"] == '"ACME RETAIL"'
    mdn = parse_mdn(posted.headers["Content-Type"], posted.content)
    assert mdn.original_message_id == message.message_id
    assert mdn.disposition.ok
    mdn.check(message.message_id, message.mic)


async def test_a_message_without_mdn_request_is_taken_with_an_empty_200(hub: Hub) -> None:
    agreement = As2Agreement(our_id=PARTNER, partner_id=US, url="http://hub/as2", mdn="none")
    message = build_message(X12, agreement)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert (response.status_code, response.content) == (200, b"")
    assert len(hub.received) == 1


async def test_a_refused_message_without_mdn_request_gets_a_422_problem(hub: Hub) -> None:
    agreement = As2Agreement(our_id="STRANGER", partner_id=US, url="http://hub/as2", mdn="none")
    message = build_message(X12, agreement)
    async with hub.http() as http:
        response = await http.post("/as2", content=message.body, headers=message.headers)
    assert response.status_code == 422
    assert "authentication-failed" in response.json()["detail"]


async def test_an_asynchronous_mdn_for_our_message_reaches_the_callback(hub: Hub) -> None:
    report = build_report(
        original_message_id="<ours@crossdock>",
        recipient=PARTNER,
        disposition=Disposition.processed(),
        mic=Mic.of(X12),
        text="ok",
    )
    headers = {"Content-Type": report.content_type, "AS2-From": PARTNER, "AS2-To": US}
    async with hub.http() as http:
        response = await http.post("/as2/mdn", content=report.content, headers=headers)
    assert response.status_code == 200
    [mdn] = hub.mdns
    mdn.check("<ours@crossdock>", Mic.of(X12))


async def test_a_post_to_the_mdn_route_that_is_no_mdn_gets_a_400_problem(hub: Hub) -> None:
    async with hub.http() as http:
        response = await http.post(
            "/as2/mdn", content=b"hello", headers={"Content-Type": "text/plain"}
        )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:crossdock:problem:not-an-mdn"
    assert hub.mdns == []
