"""Translating nats-py errors into crossdock's error tree, so none of them leaves the adapters.

The broker's failures are, with two exceptions, transient: a timeout, a server restarting, a
JetStream leader election, a connection being re-established. The relay and the workers back off
and try again, and nothing is marked published meanwhile. The exceptions: credentials the server
refuses (a configuration error, found at start) and a message larger than the server accepts
(permanent: retrying the same event cannot succeed).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import nats.errors
import nats.js.errors

from crossdock.core.errors import (
    ConfigurationError,
    CrossdockError,
    PermanentError,
    RetryableError,
)

URL_KEY = "broker.url"
"""The setting a refused connection points at."""

_REFUSED_CREDENTIALS = (
    nats.errors.AuthorizationError,
    nats.errors.InvalidUserCredentialsError,
    nats.errors.SecureConnRequiredError,
    nats.errors.SecureConnWantedError,
)


def crossdock_error(exc: BaseException, doing: str) -> CrossdockError:
    """The crossdock error for a nats error raised while ``doing`` something; raise it ``from``
    the original so the cause stays in the traceback."""
    if isinstance(exc, _REFUSED_CREDENTIALS):
        return ConfigurationError(URL_KEY, f"{doing}: the server refused us ({exc})")
    if isinstance(exc, nats.errors.MaxPayloadError):
        return PermanentError(f"{doing}: the message is larger than the server accepts ({exc})")
    if isinstance(exc, nats.js.errors.NoStreamResponseError):
        return RetryableError(f"{doing}: no JetStream stream answered (is JetStream enabled?)")
    if isinstance(exc, TimeoutError):  # nats.errors.TimeoutError is one too
        return RetryableError(f"{doing}: the server did not answer in time")
    return RetryableError(f"{doing}: {exc or type(exc).__name__}")


def redacted(url: str) -> str:
    """A server URL without its user name and password, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=f"***@{netloc}"))
