"""How outbound HTTP failures are classified, in one place.

::

    what happened                             raised as
    ────────────────────────────────────────  ─────────────────────────────────────────────────
    connect error, connect or pool timeout    RetryableError (nothing reached the system)
    read/write timeout, dropped connection    RetryableError; AmbiguousOutcome on a create
    HTTP 408, 423, 429                        RetryableError, retry_after from Retry-After
    HTTP 5xx                                  RetryableError; AmbiguousOutcome on a create
    HTTP 409, 422, other 4xx, other 3xx       PermanentError naming the status and the body's error
    a bad URL or scheme, a non-JSON answer    PermanentError

A create whose answer was lost *may have happened*. :class:`AmbiguousOutcome` says so, so a
connector for a system without idempotency keys resolves it by looking the document up instead of
sending it again blindly (see :func:`~crossdock.integration.outbound.create_once.create_once`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from crossdock.core.errors import CrossdockError, PermanentError, RetryableError

#: Statuses that refuse a request before processing it: safe to send again, even a create.
RETRYABLE_STATUSES = frozenset({408, 423, 429})

#: Transport failures that happen before the request reaches the other side.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)

_ERROR_TEXT_KEYS = ("error", "message", "detail", "title", "error_description", "reason")
_FIELD_KEYS = ("field", "pointer", "param", "loc")
_MAX_BODY_ECHO = 200


class AmbiguousOutcome(RetryableError):
    """A request that creates something failed after it may have reached the system.

    The document may exist. Retrying is safe only with an idempotency key the system honours, or
    after looking the document up by its external reference.
    """


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delta-seconds or an HTTP-date).

    None when the header is absent or unreadable; never negative.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(seconds, 0.0)


_PRECISE_WAITS = ("RateLimit-Reset", "X-RateLimit-Reset-After")
"""Headers that say, in (fractional) seconds, when a rate limit lets us in again: the IETF
``RateLimit-Reset`` (delta-seconds) and the widespread ``X-RateLimit-Reset-After``."""


def wait_for_response(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Seconds the system asked us to wait: ``Retry-After``, or on a 429 a more precise
    rate-limit header when it names a shorter wait (``Retry-After`` only counts whole seconds)."""
    retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=now)
    if response.status_code != 429:
        return retry_after
    for name in _PRECISE_WAITS:
        value = response.headers.get(name)
        try:
            precise = float(value) if value is not None else None
        except ValueError:
            continue
        if precise is not None and precise >= 0 and (retry_after is None or precise < retry_after):
            return precise
    return retry_after


def error_text(response: httpx.Response) -> str:
    """What the body says went wrong, naming the field when it does; else the start of the body."""
    try:
        body: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:_MAX_BODY_ECHO].strip()
    return _describe(body) or response.text[:_MAX_BODY_ECHO].strip()


def _describe(body: Any) -> str:
    """The error text of a JSON error body, with the field it names.

    Reads the shapes systems use: ``{"error", "field"}``, RFC 9457 problem details (``detail``,
    ``errors: [{"field", "detail"}]``), FastAPI's ``{"detail": [{"loc", "msg"}]}``.
    """
    if isinstance(body, list):
        return "; ".join(filter(None, (_describe(item) for item in body[:5])))
    if not isinstance(body, dict):
        return "" if body is None else str(body)
    text = ""
    for key in (*_ERROR_TEXT_KEYS, "msg"):
        value = body.get(key)
        if isinstance(value, dict | list):
            text = _describe(value)
        elif value not in (None, ""):
            text = str(value)
        if text:
            break
    fields = [_field_name(body.get(key)) for key in _FIELD_KEYS if body.get(key) not in (None, "")]
    nested = body.get("errors")
    if isinstance(nested, list):
        fields += [
            _field_name(item.get(key))
            for item in nested
            if isinstance(item, dict)
            for key in _FIELD_KEYS
            if item.get(key) not in (None, "")
        ]
    named = [field for field in dict.fromkeys(fields) if field not in text]
    if not named:
        return text
    where = f"field {', '.join(named)}"
    return f"{text} ({where})" if text else where


def _field_name(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ".".join(str(part) for part in value)
    return str(value)


def error_for_response(
    response: httpx.Response, *, system: str, creates: bool = False, now: datetime | None = None
) -> CrossdockError:
    """The core error an unsuccessful HTTP answer means (call only when it is not 2xx)."""
    request = response.request
    what = f"{system} {request.method} {request.url.path} answered {response.status_code}"
    status = response.status_code
    if status in RETRYABLE_STATUSES or status >= 500:
        retry_after = wait_for_response(response, now=now)
        detail = error_text(response)
        message = f"{what}: {detail}" if detail else what
        code = f"http_{status}"
        if status >= 500 and creates:
            return AmbiguousOutcome(
                f"{message} (the document may have been created)",
                retry_after=retry_after,
                code=code,
            )
        return RetryableError(message, retry_after=retry_after, code=code)
    detail = error_text(response)
    return PermanentError(f"{what}: {detail}" if detail else what, code=f"http_{status}")


def error_for_transport(
    exc: httpx.HTTPError | httpx.InvalidURL, *, system: str, method: str, path: str, creates: bool
) -> CrossdockError:
    """The core error a failure to exchange a request with the system means."""
    what = f"{system} {method} {path}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return PermanentError(
            f"{what}: the URL cannot be used ({exc}); check base_url", code="bad_url"
        )
    if isinstance(exc, httpx.TransportError):
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        code = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
        if creates and not isinstance(exc, _NOT_SENT):
            return AmbiguousOutcome(
                f"{what} failed ({reason}); the document may have been created", code=code
            )
        return RetryableError(f"{what} failed ({reason})", code=code)
    return PermanentError(f"{what} failed ({type(exc).__name__}: {exc})", code="transport")
