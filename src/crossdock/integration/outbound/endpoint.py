"""Where an outside system lives and how crossdock authenticates to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from crossdock.core.errors import ConfigurationError


class HttpEndpoint(BaseModel):
    """Settings of one outside system reached over HTTP.

    Connector settings extend this model (adding the system's name and anything of their own), so
    every connector reads ``base_url``, ``timeout``, ``headers`` and ``token`` the same way.
    Unknown keys are refused: a typo in the estate file fails at start and names itself.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    """Scheme, host and optional path prefix, e.g. ``http://legacy-erp:8101``."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for each of connect, write, read and a free pooled connection."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers sent on every request (an API key header, a tenant id …)."""
    token: SecretStr | None = None
    """Sent as ``Authorization: Bearer <token>`` when set."""

    @classmethod
    def from_estate(cls, name: str, settings: Mapping[str, Any]) -> Self:
        """Read the settings block of the system called ``name`` in the estate file.

        The system's name comes from ``name`` when the model has a ``name`` field. A missing or
        wrong key raises :class:`ConfigurationError` naming it (``systems.<name>.<key>``).
        """
        values = dict(settings)
        if "name" in cls.model_fields:
            values["name"] = name
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            raise ConfigurationError(
                f"systems.{name}.{key}" if key else f"systems.{name}", first["msg"]
            ) from exc

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with ``/``) on this endpoint."""
        return f"{self.base_url}{path}"

    def request_headers(self) -> dict[str, str]:
        """Headers every request carries: the configured ones plus authorisation."""
        headers = {"Accept": "application/json", **self.headers}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token.get_secret_value()}"
        return headers
