"""TrafficStats: what a sandbox fault gate let through and refused, for `/_sandbox/stats`."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

WINDOW_S = 1.0
_WINDOW = timedelta(seconds=WINDOW_S)


class TrafficStats:
    """Counts business requests (never `/_sandbox/*`) since the service started or was reset.

    `max_admitted_per_window` is the most requests admitted within any sliding window of
    `WINDOW_S` seconds (half-open: admissions at t and t + 1 s are in different windows), so a
    test can prove a client kept under a rate limit.
    """

    def __init__(self, since: datetime) -> None:
        self.reset(since)

    def reset(self, since: datetime) -> None:
        self.since = since
        self.requests = 0
        self.admitted = 0
        self.rate_limited = 0
        self.unavailable = 0
        self.max_admitted_per_window = 0
        self._recent: deque[datetime] = deque()

    def received(self) -> None:
        self.requests += 1

    def refused_rate_limited(self) -> None:
        self.rate_limited += 1

    def refused_unavailable(self) -> None:
        self.unavailable += 1

    def admit(self, at: datetime) -> None:
        """Count a request that reached the service's handler at `at` (on the service's clock)."""
        self.admitted += 1
        self._recent.append(at)
        while self._recent and self._recent[0] <= at - _WINDOW:
            self._recent.popleft()
        self.max_admitted_per_window = max(self.max_admitted_per_window, len(self._recent))

    def snapshot(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "requests": self.requests,
            "admitted": self.admitted,
            "rate_limited": self.rate_limited,
            "unavailable": self.unavailable,
            "max_admitted_per_window": self.max_admitted_per_window,
            "window_s": WINDOW_S,
        }
