"""Which order, message and request the work at hand is for, so every log line can say so.

The engine binds the ids where work happens — a step applying an order's messages, a delivery
attempt, an API request — and whatever logs inside that block, in our code or a library's,
carries them::

    with bound(correlation_id=row.order_id, causation_id=cause):
        ...

Plain :mod:`contextvars`, so the engine needs no logging library: the visibility layer's log
processor reads :func:`current` into each line. Context variables follow the task (each
``asyncio`` task starts with a copy), so concurrent deliveries never see each other's ids.
Work handed to a thread pool starts without them: bind inside the function that runs there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

CORRELATION_ID: ContextVar[str] = ContextVar("crossdock_correlation_id", default="")
"""The order the work is for: the id its timeline entries carry as ``correlation_id``."""
CAUSATION_ID: ContextVar[str] = ContextVar("crossdock_causation_id", default="")
"""What caused the work: an inbound message, a delivery, an operator's action."""
REQUEST_ID: ContextVar[str] = ContextVar("crossdock_request_id", default="")
"""The API request being answered (echoed to the caller as ``X-Request-Id``)."""

_VARIABLES: dict[str, ContextVar[str]] = {
    "correlation_id": CORRELATION_ID,
    "causation_id": CAUSATION_ID,
    "request_id": REQUEST_ID,
}


@contextmanager
def bound(
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    request_id: str | None = None,
) -> Iterator[None]:
    """Bind the given ids for the block; ids left None keep what an outer block bound."""
    given = {
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "request_id": request_id,
    }
    tokens: list[tuple[ContextVar[str], Token[str]]] = [
        (_VARIABLES[name], _VARIABLES[name].set(value))
        for name, value in given.items()
        if value is not None
    ]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def current() -> dict[str, str]:
    """The ids bound here and now, by name; unbound ones are left out."""
    return {name: value for name, variable in _VARIABLES.items() if (value := variable.get())}
