"""The shared outbound plumbing: endpoint settings, error translation, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from crossdock.core.errors import ConfigurationError, PermanentError, RetryableError
from crossdock.integration.outbound import (
    AmbiguousOutcome,
    HttpEndpoint,
    OutboundClient,
    WireModel,
    error_for_response,
    error_for_transport,
    retry_after_seconds,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class Echo(WireModel):
    ok: bool = True


def answer(status: int, **kwargs: object) -> httpx.Response:
    request = httpx.Request("POST", "http://erp.test/api/sales-orders")
    return httpx.Response(status, request=request, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Sat, 01 Mar 2025 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_delta_seconds_and_http_dates(
    header: str | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize("status", [408, 423, 429, 500, 502, 503, 504])
def test_statuses_that_may_succeed_later_are_retryable(status: int) -> None:
    error = error_for_response(answer(status, headers={"Retry-After": "3"}), system="erp")
    assert isinstance(error, RetryableError)
    assert not isinstance(error, AmbiguousOutcome)
    assert error.retry_after == 3


@pytest.mark.parametrize("header", ["X-RateLimit-Reset-After", "RateLimit-Reset"])
def test_a_429_is_honoured_to_the_precise_wait_the_system_names(header: str) -> None:
    headers = {"Retry-After": "1", header: "0.25"}
    error = error_for_response(answer(429, headers=headers), system="erp")

    assert isinstance(error, RetryableError)
    assert (error.retry_after, error.code, error.throttled) == (0.25, "http_429", True)


def test_a_precise_wait_longer_than_retry_after_or_unreadable_is_not_taken() -> None:
    longer = {"Retry-After": "1", "X-RateLimit-Reset-After": "5"}
    garbled = {"Retry-After": "2", "RateLimit-Reset": "soon"}
    outage = {"Retry-After": "3", "X-RateLimit-Reset-After": "0.1"}

    assert error_for_response(answer(429, headers=longer), system="erp").retry_after == 1
    assert error_for_response(answer(429, headers=garbled), system="erp").retry_after == 2
    # Only a rate limit speaks through these headers: a 503 keeps its Retry-After.
    assert error_for_response(answer(503, headers=outage), system="erp").retry_after == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_on_a_create_is_ambiguous(status: int) -> None:
    error = error_for_response(answer(status), system="erp", creates=True)
    assert isinstance(error, AmbiguousOutcome)


@pytest.mark.parametrize("status", [408, 423, 429])
def test_a_refusal_before_processing_is_not_ambiguous_even_on_a_create(status: int) -> None:
    error = error_for_response(answer(status), system="erp", creates=True)
    assert type(error) is RetryableError


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (422, {"error": "unknown sku", "field": "lines.0.sku"}, "unknown sku (field lines.0.sku)"),
        (
            422,
            {"title": "Unprocessable", "detail": "unknown item", "errors": [{"field": "currency"}]},
            "unknown item (field currency)",
        ),
        (422, {"detail": [{"loc": ["body", "lines"], "msg": "required"}]}, "field body.lines"),
        (409, {"error": "already shipped"}, "409: already shipped"),
        (400, {"message": "Idempotency-Key is required"}, "400: Idempotency-Key is required"),
        (404, {}, "404"),
    ],
)
def test_other_4xx_are_permanent_and_say_what_the_body_says(
    status: int, payload: dict[str, object], expected: str
) -> None:
    error = error_for_response(answer(status, json=payload), system="erp")
    assert isinstance(error, PermanentError)
    assert "erp POST /api/sales-orders answered" in str(error)
    assert expected in str(error)


def test_a_non_json_error_body_is_quoted() -> None:
    error = error_for_response(answer(403, text="<html>Forbidden by proxy</html>"), system="erp")
    assert isinstance(error, PermanentError)
    assert "Forbidden by proxy" in str(error)


@pytest.mark.parametrize(
    ("exc", "creates", "kind"),
    [
        (httpx.ConnectError("refused"), True, RetryableError),
        (httpx.ConnectTimeout("slow"), True, RetryableError),
        (httpx.PoolTimeout("busy"), True, RetryableError),
        (httpx.ReadTimeout("slow"), False, RetryableError),
        (httpx.ReadTimeout("slow"), True, AmbiguousOutcome),
        (httpx.WriteTimeout("slow"), True, AmbiguousOutcome),
        (httpx.RemoteProtocolError("reset"), True, AmbiguousOutcome),
        (httpx.ReadError("reset"), True, AmbiguousOutcome),
        (httpx.UnsupportedProtocol("ftp"), False, PermanentError),
        (httpx.TooManyRedirects("loop"), False, PermanentError),
    ],
)
def test_transport_failures_are_classified_by_whether_the_request_may_have_landed(
    exc: httpx.HTTPError, creates: bool, kind: type[Exception]
) -> None:
    error = error_for_transport(exc, system="erp", method="POST", path="/x", creates=creates)
    assert type(error) is kind


async def test_the_client_sends_json_auth_and_idempotency_key_and_parses_the_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"ok": True, "extra": "ignored"})

    endpoint = HttpEndpoint(
        base_url="http://erp.test/prefix/", token="t0k", headers={"X-Tenant": "acme"}
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = OutboundClient(endpoint, system="erp", http=http)
        echoed = await client.post("/things", {"a": 1}, into=Echo, idempotency_key="k-1")

    assert echoed == Echo(ok=True)
    (request,) = seen
    assert str(request.url) == "http://erp.test/prefix/things"
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.headers["X-Tenant"] == "acme"
    assert request.headers["Idempotency-Key"] == "k-1"
    assert request.headers["Content-Type"] == "application/json"


async def test_an_answer_of_the_wrong_shape_is_permanent() -> None:
    class Numbered(WireModel):
        number: str

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = OutboundClient(HttpEndpoint(base_url="http://erp.test"), system="erp", http=http)
        with pytest.raises(PermanentError, match="unexpected shape"):
            await client.get("/x", into=Numbered)


async def test_an_http_date_retry_after_is_measured_from_the_clock() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Retry-After": "Sat, 01 Mar 2025 12:01:00 GMT"}
        return httpx.Response(429, headers=headers, json={"error": "slow down"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        endpoint = HttpEndpoint(base_url="http://erp.test")
        client = OutboundClient(endpoint, system="erp", http=http, clock=lambda: NOW)
        with pytest.raises(RetryableError) as raised:
            await client.get("/x", into=Echo)
    assert raised.value.retry_after == 60


async def test_a_client_it_built_itself_is_closed_by_it() -> None:
    client = OutboundClient(HttpEndpoint(base_url="http://erp.test"), system="erp")
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):  # using it after aclose() is a bug
        await client.get("/x", into=Echo)


def test_the_token_is_a_secret_that_does_not_print() -> None:
    endpoint = HttpEndpoint(base_url="http://erp.test", token="s3cret")
    assert "s3cret" not in repr(endpoint)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "systems.east_erp.base_url"),
        ({"base_url": "erp.test"}, "systems.east_erp.base_url"),
        ({"base_url": "http://erp.test", "timeout": 0}, "systems.east_erp.timeout"),
        ({"base_url": "http://erp.test", "tiemout": 5}, "systems.east_erp.tiemout"),
    ],
)
def test_wrong_settings_fail_at_start_naming_the_key(settings: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        HttpEndpoint.from_estate("east_erp", settings)
    assert raised.value.key == key
