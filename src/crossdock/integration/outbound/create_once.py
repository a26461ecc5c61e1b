"""Creating a document exactly once in a system that does not honour idempotency keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from crossdock.core.errors import RetryableError
from crossdock.integration.outbound.errors import AmbiguousOutcome

DocumentT = TypeVar("DocumentT")


async def create_once(
    *,
    find: Callable[[], Awaitable[DocumentT | None]],
    create: Callable[[], Awaitable[DocumentT]],
    what: str,
) -> DocumentT:
    """Look the document up by its external reference, and create it only when it is not there.

    When the create's outcome is ambiguous (a timeout or a 5xx after the request may have been
    committed), look again instead of sending it twice: found means it was created. Not found
    raises :class:`RetryableError`, and the next attempt starts with the lookup again, so a
    create the system was still committing is found then rather than duplicated.
    """
    existing = await find()
    if existing is not None:
        return existing
    try:
        return await create()
    except AmbiguousOutcome as exc:
        resolved = await find()
        if resolved is not None:
            return resolved
        raise RetryableError(
            f"{what}: {exc}; not found by lookup yet, the next attempt looks again before creating",
            retry_after=exc.retry_after,
            code=exc.code,
        ) from exc
