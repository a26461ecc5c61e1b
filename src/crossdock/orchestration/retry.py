"""How often and how long a delivery is tried again."""

from __future__ import annotations

import random
from datetime import timedelta

from pydantic import Field

from crossdock.core.value import Value


class RetryPolicy(Value):
    """Exponential backoff with jitter, a cap, a number of attempts and a deadline."""

    initial_interval: timedelta = timedelta(seconds=1)
    """Wait after the first failed attempt."""
    multiplier: float = Field(2.0, ge=1.0)
    """Each further wait is this many times the one before."""
    max_interval: timedelta = timedelta(minutes=5)
    """No single wait is longer than this."""
    jitter: float = Field(0.2, ge=0.0, lt=1.0)
    """Each wait is spread by up to ± this fraction, so retries of many deliveries don't align."""
    max_attempts: int = Field(12, ge=1)
    """Attempts in all, the first included; then the delivery fails and becomes an exception."""
    deadline: timedelta = timedelta(hours=24)
    """No attempt starts later than this after the delivery was queued."""

    def backoff(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after ``attempts`` failed attempts."""
        base = self.initial_interval.total_seconds() * self.multiplier ** max(attempts - 1, 0)
        seconds = min(base, self.max_interval.total_seconds())
        spread = (rng or random).uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return timedelta(seconds=max(seconds * (1 + spread), 0.0))
