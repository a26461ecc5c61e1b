"""TokenBucket: the rate limit a sandbox service puts in front of its business requests."""

from __future__ import annotations

from datetime import datetime

# Float arithmetic on refills must not refuse a client that waited exactly as long as it was told.
_EPSILON = 1e-9


class TokenBucket:
    """`rate_per_s` tokens a second, holding at most `burst`; a request takes one token.

    Starts full. Times are instants on the service's clock, so a `ManualClock` drives it
    without sleeping; elapsed time is taken from datetimes (exact to the microsecond), not from
    epoch floats, whose rounding would refuse a client that waited exactly `1 / rate`.
    """

    def __init__(self, rate_per_s: float, burst: int, *, now: datetime) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = float(burst)
        self._updated_at = now

    @property
    def unlimited(self) -> bool:
        return self.rate_per_s <= 0

    def take(self, now: datetime) -> float | None:
        """Take a token: None when admitted, else the seconds until a token is available."""
        if self.unlimited:
            return None
        elapsed = max(0.0, (now - self._updated_at).total_seconds())
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_per_s)
        self._updated_at = max(self._updated_at, now)
        if self._tokens >= 1 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1)
            return None
        return (1 - self._tokens) / self.rate_per_s
