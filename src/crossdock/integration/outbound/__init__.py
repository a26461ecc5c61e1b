"""Shared outbound HTTP plumbing: the layer below every HTTP connector.

* :class:`HttpEndpoint` — where a system lives and how to authenticate to it (a settings value).
* :class:`OutboundClient` — a small wrapper over an injectable ``httpx.AsyncClient`` that sends
  JSON, parses typed responses (:class:`WireModel`) and translates every failure into the core
  error tree, in one place (:mod:`crossdock.integration.outbound.errors`).
* :class:`AmbiguousOutcome` — a create that may or may not have happened.
* :func:`create_once` — lookup before create, for systems that do not honour ``Idempotency-Key``.
"""

from crossdock.integration.outbound.client import OutboundClient
from crossdock.integration.outbound.create_once import create_once
from crossdock.integration.outbound.endpoint import HttpEndpoint
from crossdock.integration.outbound.errors import (
    AmbiguousOutcome,
    error_for_response,
    error_for_transport,
    retry_after_seconds,
)
from crossdock.integration.outbound.wire import WireModel

__all__ = [
    "AmbiguousOutcome",
    "HttpEndpoint",
    "OutboundClient",
    "WireModel",
    "create_once",
    "error_for_response",
    "error_for_transport",
    "retry_after_seconds",
]
