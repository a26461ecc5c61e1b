"""RetryPolicy: how a sandbox system retries its calls to the hub."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """Exponential backoff without jitter, so sandbox runs stay reproducible."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_s: float = Field(0.2, ge=0, description="Wait before the first retry.")
    multiplier: float = Field(2.0, ge=1, description="Growth of the wait per failed attempt.")
    max_s: float = Field(10.0, ge=0, description="Longest wait between two attempts.")
    max_attempts: int | None = Field(
        None, ge=1, description="Attempts in all before giving up; None retries forever."
    )

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after `attempts` failed attempts (1 for the first failure)."""
        return float(min(self.max_s, self.initial_s * self.multiplier ** max(0, attempts - 1)))

    def gives_up_after(self, attempts: int) -> bool:
        return self.max_attempts is not None and attempts >= self.max_attempts
