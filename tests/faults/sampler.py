"""Sampler: reads something at a steady cadence on a thread of its own while a scenario runs.

The cadence is a measurement interval, not a synchronisation: tests still wait for conditions with
``wait_for``. A reading that fails (the hub is being restarted) is skipped, not fatal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

import httpx

from crossdock.core.errors import RetryableError

T = TypeVar("T")


class Sampler(Generic[T]):
    """Calls ``read`` every ``every_s`` seconds between ``__enter__`` and ``__exit__``; keeps
    ``(monotonic time, reading)`` pairs."""

    def __init__(self, read: Callable[[], T], *, every_s: float) -> None:
        self._read = read
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self.samples: list[tuple[float, T]] = []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reading = self._read()
            except (httpx.HTTPError, RetryableError, OSError):
                reading = None
            if reading is not None:
                self.samples.append((time.monotonic(), reading))
            self._stop.wait(self._every_s)

    def __enter__(self) -> Sampler[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def readings(self) -> list[T]:
        """Every reading, oldest first."""
        return [reading for _, reading in self.samples]
