"""The one exception root, classified by what the caller should do.

::

    CrossdockError
     ├── BusinessRuleViolation   a rule refused it: never retried (HTTP 409/422)
     │    └── IllegalTransition  the order's state machine does not allow this step
     ├── RetryableError          timeouts, 429, 5xx, connection errors: back off and try again
     ├── PermanentError          4xx validation, bad mapping: exception queue and alert
     └── ConfigurationError      a missing or wrong setting: fails at start, names the key
"""

from __future__ import annotations


class CrossdockError(Exception):
    """Root of every error crossdock raises on purpose."""


class BusinessRuleViolation(CrossdockError):
    """A business rule refused the request. Retrying the same request cannot succeed."""


class IllegalTransition(BusinessRuleViolation):
    """The order lifecycle does not allow moving from one state to another."""

    def __init__(self, current: str, target: str, reason: str = "") -> None:
        self.current = current
        self.target = target
        detail = f": {reason}" if reason else ""
        super().__init__(f"cannot move an order from {current} to {target}{detail}")


class RetryableError(CrossdockError):
    """A transient failure: the same request may succeed later.

    ``retry_after`` is the number of seconds the other side asked us to wait, when it said so.
    ``code`` names the kind of failure for operators and filters (``http_503``, ``timeout``,
    ``connection`` …); ``throttled`` says the system refused us for going too fast (429), which
    slows the system down rather than counting against its health.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str = "retryable"
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code

    @property
    def throttled(self) -> bool:
        """The system asked us to slow down (HTTP 429)."""
        return self.code == "http_429"


class PermanentError(CrossdockError):
    """The other side refused the request for good: a person must look at it.

    ``code`` names the kind of refusal (``http_422``, ``mapping``, ``bad_url`` …).
    """

    def __init__(self, message: str, *, code: str = "permanent") -> None:
        super().__init__(message)
        self.code = code


class ConfigurationError(CrossdockError):
    """A setting is missing or wrong. Raised at start, naming the key."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"configuration {key}: {problem}")
