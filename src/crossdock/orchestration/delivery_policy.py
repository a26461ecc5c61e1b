"""How crossdock treats one external system: retries, its circuit breaker, its limits (D5).

Declared per system in the estate file under ``delivery:``; every worker reads the same policy and
shares the state it governs through the store (:class:`~.store_ops.SystemState`).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from crossdock.core.value import Value
from crossdock.orchestration.retry import RetryPolicy


class BreakerPolicy(Value):
    """When the circuit to a system opens, and how it tries the system again."""

    failure_threshold: int = Field(5, ge=1)
    """Consecutive failures that open the circuit."""
    failure_rate: float = Field(0.5, gt=0, le=1)
    """Or: this share of failed calls within ``window`` (once ``min_calls`` were made) opens it.

    Calls are counted from the window's first failure: a healthy system costs no writes."""
    min_calls: int = Field(20, ge=1)
    """Calls within the window before the failure rate counts."""
    window: timedelta = timedelta(seconds=60)
    """The span over which the failure rate is measured."""
    open_for: timedelta = timedelta(seconds=30)
    """How long an open circuit sends nothing before one probe is let through (half-open)."""


class DeliveryPolicy(Value):
    """Everything the delivery runner needs to know about one system."""

    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)
    concurrency: int = Field(16, ge=1)
    """Requests in flight to the system at once, across every worker."""
    rate_limit_per_s: float = Field(0, ge=0)
    """Deliveries per second sent to the system; 0 is no limit.

    It counts deliveries, not HTTP requests: a connector that looks a document up before creating
    it (the legacy ERP's) makes two requests for a create, so declare half the system's published
    limit for such a system, and keep a little under a hard limit (see ``rate_limit_burst``)."""
    rate_limit_burst: int = Field(1, ge=1)
    """Deliveries that may go back to back after a quiet spell, within the rate.

    Set it below the system's own burst: a request leaves a few milliseconds after its claim, so
    two can arrive closer together than the rate alone allows."""
