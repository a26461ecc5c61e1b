"""Where the NATS and Redis servers for scale-out tests are, and what to do when one is missing.

(PostgreSQL has its own helper, ``postgres.py``, which also gives each test a schema.)
Tests that need NATS or Redis skip, saying how to enable it, when the server cannot be reached —
unless ``CROSSDOCK_REQUIRE_SERVERS=1`` (set by ``.ci/run``), which makes a missing server a
failure.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

NATS_URL_VARIABLE = "CROSSDOCK_TEST_NATS_URL"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def require_nats() -> str:
    """The NATS URL tests use, or skip (fail in CI) when nothing answers there."""
    return _require("NATS", NATS_URL_VARIABLE, DEFAULT_NATS_URL, "nats-server -js")


REDIS_URL_VARIABLE = "CROSSDOCK_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def require_redis() -> str:
    """The Redis URL tests use, or skip (fail in CI) when nothing answers there."""
    return _require("Redis", REDIS_URL_VARIABLE, DEFAULT_REDIS_URL, "redis-server")


def _require(name: str, variable: str, default: str, server: str) -> str:
    url = os.environ.get(variable) or default
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return url
    except OSError:
        pass
    message = (
        f"{name} is not reachable at {url}: start {server} on {parts.hostname}:{parts.port} "
        f"or set {variable}"
    )
    if os.environ.get("CROSSDOCK_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)
