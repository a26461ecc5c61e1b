"""Waiting in tests: on a condition, with a deadline — never a bare sleep as synchronisation.

    from waiting import eventually

    await eventually(lambda: order_closed(), timeout_s=30, what="the order closed")

The condition is checked at once and then every ``poll_s`` until it holds; past the deadline the
test fails, saying what it waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_S = 0.005


async def eventually(
    condition: Callable[[], bool],
    *,
    timeout_s: float = 5.0,
    what: str = "the condition",
    poll_s: float = POLL_S,
) -> None:
    """Return once ``condition()`` holds; fail after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        await asyncio.sleep(poll_s)
