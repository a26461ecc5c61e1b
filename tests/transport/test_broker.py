"""Connecting: the two brokers the composition root chooses between, and failures at start."""

from __future__ import annotations

import socket

import pytest

from crossdock.core.errors import ConfigurationError, RetryableError
from crossdock.integration.transport.broker import EmbeddedBroker, StreamSettings, connect_broker
from crossdock.integration.transport.embedded import EmbeddedTransport
from crossdock.orchestration.wakeups import InProcessWakeups


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the socket closes


async def test_no_server_at_start_is_a_retryable_error_naming_the_url() -> None:
    url = f"nats://127.0.0.1:{_closed_port()}"

    with pytest.raises(RetryableError, match=url):
        await connect_broker(url, connect_timeout_s=0.5)


async def test_the_url_never_appears_with_its_password() -> None:
    url = f"nats://crossdock:s3cret@127.0.0.1:{_closed_port()}"

    with pytest.raises(RetryableError) as raised:
        await connect_broker(url, connect_timeout_s=0.5)

    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("url", ["", "embedded", "http://127.0.0.1:4222", "127.0.0.1:4222"])
async def test_a_url_that_is_not_nats_fails_at_start_naming_the_key(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"broker\.url"):
        await connect_broker(url)


async def test_a_bad_tenant_fails_before_any_connection_is_tried() -> None:
    with pytest.raises(ConfigurationError, match=r"broker\.tenant"):
        await connect_broker(f"nats://127.0.0.1:{_closed_port()}", tenant="ACME.eu")


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"replicas": 0}, "broker.stream.replicas"),
        ({"replicas": 7}, "broker.stream.replicas"),
        ({"name": "crossdock.acme"}, "broker.stream.name"),
        ({"duplicate_window_s": 0}, "broker.stream.duplicate_window_s"),
        ({"max_age_s": 60}, "broker.stream.max_age_s"),
        ({"ack_timeout_s": -1}, "broker.stream.ack_timeout_s"),
    ],
)
def test_stream_settings_the_server_would_refuse_fail_naming_the_key(
    settings: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=key.replace(".", r"\.")):
        StreamSettings(**settings)  # type: ignore[arg-type]


def test_stream_defaults_are_one_replica_on_file_with_a_two_minute_duplicate_window() -> None:
    settings = StreamSettings()

    assert (settings.name, settings.replicas, settings.duplicate_window_s) == (None, 1, 120)


async def test_the_embedded_broker_has_the_same_shape_without_a_server() -> None:
    broker = EmbeddedBroker()

    assert isinstance(broker.transport, EmbeddedTransport)
    assert isinstance(broker.wakeups, InProcessWakeups)
    await broker.aclose()
