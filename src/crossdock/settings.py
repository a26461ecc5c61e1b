"""Typed settings: the only reader of the environment (``CROSSDOCK_`` prefix, ``__`` nests).

Examples: ``CROSSDOCK_STORE__URL=sqlite:///./crossdock.db``,
``CROSSDOCK_ESTATE_FILE=./crossdock.yaml``, ``CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS='["s1","s0"]'``.
"""

from __future__ import annotations

from pathlib import Path

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
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

    model_config = ConfigDict(hide_input_in_errors=True)  # a storage URI may hold a password

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    """How partners reach this hub (webhook callbacks); defaults to http://host:port."""
    rate_limit_default: str = "600/minute"
    """Requests per API key under ``/api/v1`` when its partner has no limit of its own (``limits``
    notation; ``;`` separates several that all apply: ``600/minute;20000/hour``)."""
    rate_limit_anonymous: str = "60/minute"
    """Requests per client address under ``/api/v1`` without an accepted credential."""
    rate_limit_storage: SecretStr = SecretStr("memory://")
    """Where the counters live: ``memory://`` (this process) or ``redis://host:6379/0``, which
    every API process of a scaled-out hub must share. If it is down, requests go unlimited."""
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    """The largest request body (bytes); the EDI file routes take up to 64 MiB."""
    request_timeout_s: float = Field(default=30.0, gt=0)
    """How long a route may take to start answering before it is stopped with a 503."""

    @field_validator("rate_limit_default", "rate_limit_anonymous")
    @classmethod
    def _rate_limit(cls, text: str) -> str:
        try:
            if parse_many(text):
                return text
        except ValueError:
            pass
        raise ValueError(f"{text!r} is not a rate limit such as 600/minute")

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_limit_storage(cls, uri: SecretStr) -> SecretStr:
        scheme = uri.get_secret_value().partition("://")[0]
        if scheme not in ("memory", "redis", "rediss"):  # the URI may hold a password: not shown
            raise ValueError(f"a {scheme!r} URI: use memory:// or redis://host:6379/0")
        return uri

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


class SubscriptionSettings(BaseModel):
    """Partners' webhook subscriptions: where callbacks may point, and how they are sent."""

    allow_private_callbacks: bool = False
    """Accept callback URLs on private, loopback and link-local addresses (a test estate, or
    partners inside one network). Cloud metadata addresses stay refused."""
    allow_http_callbacks: bool = False
    """Accept plain ``http://`` callback URLs (otherwise ``https://`` only)."""
    fan_out_period_s: float = Field(default=1.0, gt=0)
    """How often a worker looks for new events to send when nothing wakes it sooner."""
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    """How long one callback may take to answer."""


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
    subscriptions: SubscriptionSettings = SubscriptionSettings()
    estate_file: Path | None = None
    """The estate file (``crossdock.yaml``); None uses the sandbox estate on its default ports."""
    log_level: str = "INFO"
