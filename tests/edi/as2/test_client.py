"""``As2Client.send`` against a partner stubbed with ``httpx.MockTransport``, and against a hub."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from crossdock.channels.edi.as2 import (
    As2Agreement,
    As2Client,
    Disposition,
    MdnRefused,
    MdnUnreadable,
    Mic,
    MicMismatch,
    build_report,
    parse_mdn,
)
from crossdock.core.errors import PermanentError, RetryableError

from .conftest import PARTNER, US, X12, Hub

PROCESSED = Disposition.processed()


def partner(
    disposition: Disposition = PROCESSED,
    *,
    mic: Callable[[httpx.Request], Mic | None] = lambda request: Mic.of(request.content),
) -> httpx.MockTransport:
    """A partner AS2 server answering every message with a synchronous MDN."""

    def answer(request: httpx.Request) -> httpx.Response:
        report = build_report(
            original_message_id=request.headers["Message-ID"],
            recipient=PARTNER,
            disposition=disposition,
            mic=mic(request),
            text="done",
        )
        return httpx.Response(
            200, content=report.content, headers={"Content-Type": report.content_type}
        )

    return httpx.MockTransport(answer)


async def test_a_processed_sync_mdn_with_our_mic_confirms_the_send(outbound: As2Agreement) -> None:
    async with httpx.AsyncClient(transport=partner()) as http:
        result = await As2Client(http).send(X12, agreement=outbound)
    assert result.mdn is not None
    assert result.mdn.disposition.ok
    assert result.mdn.original_message_id == result.message_id
    assert result.mic == Mic.of(X12)
    assert not result.awaiting_mdn


async def test_the_message_is_posted_to_the_partner_url_with_as2_headers(
    outbound: As2Agreement,
) -> None:
    seen: list[httpx.Request] = []
    answer = partner()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer.handle_request(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        await As2Client(http).send(X12, agreement=outbound, message_id="<fixed@crossdock>")
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", outbound.url)
    assert request.headers["Message-ID"] == "<fixed@crossdock>"
    assert request.headers["AS2-To"] == '"ACME RETAIL"'
    assert request.content == X12


async def test_an_error_mdn_is_a_permanent_error(outbound: As2Agreement) -> None:
    transport = partner(Disposition.error("authentication-failed"))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(MdnRefused) as raised:
            await As2Client(http).send(X12, agreement=outbound)
    assert isinstance(raised.value, PermanentError)
    assert raised.value.mdn.disposition.description == "authentication-failed"


async def test_a_failed_mdn_is_a_permanent_error(outbound: As2Agreement) -> None:
    transport = partner(Disposition.failure("unsupported format"))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(MdnRefused, match="unsupported format"):
            await As2Client(http).send(X12, agreement=outbound)


async def test_an_mdn_with_another_mic_is_a_mismatch(outbound: As2Agreement) -> None:
    transport = partner(mic=lambda request: Mic.of(request.content + b"\r\n"))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(MicMismatch):
            await As2Client(http).send(X12, agreement=outbound)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_a_busy_or_broken_partner_is_retryable(outbound: As2Agreement, status: int) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, headers={"Retry-After": "7"})
    )
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(RetryableError) as raised:
            await As2Client(http).send(X12, agreement=outbound)
    assert raised.value.code == f"http_{status}"
    assert raised.value.retry_after == 7


async def test_a_network_failure_is_retryable(outbound: As2Agreement) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        with pytest.raises(RetryableError) as raised:
            await As2Client(http).send(X12, agreement=outbound)
    assert raised.value.code == "connection"
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


async def test_a_timeout_is_retryable(outbound: As2Agreement) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http:
        with pytest.raises(RetryableError) as raised:
            await As2Client(http).send(X12, agreement=outbound)
    assert raised.value.code == "timeout"


async def test_a_4xx_answer_is_permanent(outbound: As2Agreement) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(403, text="forbidden"))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(PermanentError) as raised:
            await As2Client(http).send(X12, agreement=outbound)
    assert raised.value.code == "http_403"


async def test_a_200_without_an_mdn_is_unreadable(outbound: As2Agreement) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(MdnUnreadable):
            await As2Client(http).send(X12, agreement=outbound)


async def test_an_asynchronous_mdn_is_awaited_then_checked_when_it_arrives(hub: Hub) -> None:
    # We send to the hub asking for an async MDN; the hub POSTs it to our MDN URL (its stub).
    agreement = As2Agreement(
        our_id=PARTNER, partner_id=US, url="http://hub/as2", mdn="async", mdn_url="https://me/mdn"
    )
    async with hub.http() as http:
        result = await As2Client(http).send(X12, agreement=agreement)
    assert result.awaiting_mdn
    assert result.mdn is None
    [posted] = hub.posted_mdns
    mdn = parse_mdn(posted.headers["Content-Type"], posted.content)
    mdn.check(result.message_id, result.mic)


async def test_crossdock_to_crossdock_round_trip_with_a_sync_mdn(hub: Hub) -> None:
    agreement = As2Agreement(our_id=PARTNER, partner_id=US, url="http://hub/as2")
    async with hub.http() as http:
        result = await As2Client(http).send(X12, agreement=agreement)
    assert result.mdn is not None
    assert result.mdn.disposition.ok
    assert [m.content for m in hub.received] == [X12]
