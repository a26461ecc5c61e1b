"""Where the NATS server for scale-out tests is, and what to do when it is missing.

(PostgreSQL has its own helper, ``postgres.py``, which also gives each test a schema.)
Tests that need NATS skip, saying how to enable it, when the server cannot be reached — unless
``CROSSDOCK_REQUIRE_SERVERS=1`` (set by ``.ci/run``), which makes a missing server a failure.
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
    url = os.environ.get(NATS_URL_VARIABLE) or DEFAULT_NATS_URL
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 2):
            return url
    except OSError:
        pass
    message = (
        f"NATS is not reachable at {url}: start nats-server -js on 127.0.0.1:4222 "
        f"or set {NATS_URL_VARIABLE}"
    )
    if os.environ.get("CROSSDOCK_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)
