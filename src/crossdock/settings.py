"""Typed settings: the only reader of the environment (``CROSSDOCK_`` prefix, ``__`` nests).

Examples: ``CROSSDOCK_STORE__URL=sqlite:///./crossdock.db``,
``CROSSDOCK_ESTATE_FILE=./crossdock.yaml``, ``CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS='["s1","s0"]'``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crossdock.core.errors import ConfigurationError

SANDBOX_SHOPIFY_SECRET = "sandbox-shopify-secret"
"""The sandbox storefront's published test secret (never a production value)."""
SANDBOX_WMS_SECRET = "sandbox-wms-secret"
"""The sandbox WMS's published test secret (never a production value)."""


def database_url(url: str) -> str:
    """A database URL with the driver crossdock ships for it (``postgresql://`` → psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class StoreSettings(BaseModel):
    """Where the source of truth lives."""

    url: str = "sqlite:///./crossdock.db"
    """SQLAlchemy URL: a SQLite file (embedded default) or ``postgresql://…`` (psycopg 3)."""

    @field_validator("url")
    @classmethod
    def _with_driver(cls, url: str) -> str:
        return database_url(url)


class BrokerSettings(BaseModel):
    """The event backbone and cross-process wake-ups."""

    url: str = "embedded"
    """``embedded`` (in-process, the default) or ``nats://host:4222`` (NATS with JetStream)."""
    tenant: str = "default"
    """Names the stream and subjects (``crossdock.<tenant>.…``) so several hubs can share NATS."""
    replicas: int = 1
    """JetStream stream replicas; use 3 on a three-server cluster in production."""


class ApiSettings(BaseModel):
    """The HTTP listener."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    """How partners reach this hub (webhook callbacks); defaults to http://host:port."""

    def base_url(self) -> str:
        """The public URL, or the listener's own."""
        return self.public_url or f"http://{self.host}:{self.port}"


class WebhookSettings(BaseModel):
    """Shared secrets for inbound webhooks. Several Shopify secrets allow rotation with an overlap.

    Required when an estate file is given. Without one (the built-in sandbox estate) they default
    to the sandbox's own published test secrets, so ``crossdock up`` and ``crossdock sandbox up``
    work together out of the box — and only for the sandbox.
    """

    shopify_secrets: list[SecretStr] = Field(default_factory=list)
    wms_secret: SecretStr | None = None

    def resolved(self, *, sandbox: bool) -> tuple[list[str], str]:
        """The Shopify secrets (newest first) and the WMS secret, or a configuration error."""
        shopify = [secret.get_secret_value() for secret in self.shopify_secrets]
        wms = self.wms_secret.get_secret_value() if self.wms_secret else ""
        if sandbox:
            return shopify or [SANDBOX_SHOPIFY_SECRET], wms or SANDBOX_WMS_SECRET
        if not shopify or not all(shopify):
            raise ConfigurationError(
                "webhooks.shopify_secrets", "set CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS"
            )
        if not wms:
            raise ConfigurationError("webhooks.wms_secret", "set CROSSDOCK_WEBHOOKS__WMS_SECRET")
        return shopify, wms


class WorkerSettings(BaseModel):
    """Worker tuning."""

    step_batch: int = 64
    delivery_concurrency: int = 16
    idle_wait_s: float = 1.0
    inventory_sync_s: float = 30.0
    """How often reference data is pulled: stock positions, customers, products and prices."""
    delivery_lease_s: float = 60.0
    """How long a claimed delivery stays with its worker before another may take it over."""


class Settings(BaseSettings):
    """Everything crossdock reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="CROSSDOCK_", env_nested_delimiter="__", extra="ignore"
    )

    store: StoreSettings = StoreSettings()
    broker: BrokerSettings = BrokerSettings()
    api: ApiSettings = ApiSettings()
    webhooks: WebhookSettings = WebhookSettings()
    worker: WorkerSettings = WorkerSettings()
    estate_file: Path | None = None
    """The estate file (``crossdock.yaml``); None uses the sandbox estate on its default ports."""
    log_level: str = "INFO"
