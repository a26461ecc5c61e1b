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


class SmtpSettings(BaseModel):
    """The mail relay SLA alerts are sent through; no host: no mail."""

    model_config = ConfigDict(hide_input_in_errors=True)

    host: str = ""
    port: int = Field(default=587, gt=0)
    from_addr: str = ""
    to_addrs: list[str] = Field(default_factory=list)
    """Recipients (``CROSSDOCK_SMTP__TO_ADDRS='["ops@example.com"]'``)."""
    username: str = ""
    """Log in as this user when set."""
    password: SecretStr = SecretStr("")
    starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in or sending."""

    def enabled(self) -> bool:
        """Whether mail is to be sent (a host is set); a host without a sender or recipients
        is a configuration error naming the missing key."""
        if not self.host:
            return False
        if not self.from_addr:
            raise ConfigurationError("smtp.from_addr", "set CROSSDOCK_SMTP__FROM_ADDR")
        if not self.to_addrs:
            raise ConfigurationError("smtp.to_addrs", "set CROSSDOCK_SMTP__TO_ADDRS")
        return True


class ConsoleSettings(BaseModel):
    """The operations console at ``/console``."""

    secret: SecretStr | None = None
    """Signs console session cookies. Set it (the same value on every API process) so sessions
    survive a restart and work behind a load balancer; unset, each process draws its own."""
    secure_cookie: bool = False
    """Mark the session cookie ``Secure``: set it when the console is served over HTTPS."""


class WorkerSettings(BaseModel):
    """Worker tuning."""

    step_batch: int = 64
    delivery_concurrency: int = 16
    idle_wait_s: float = 1.0
    inventory_sync_s: float = 30.0
    """How often reference data is pulled: stock positions, customers, products and prices."""
    delivery_lease_s: float = 60.0
    """How long a claimed delivery stays with its worker before another may take it over."""


class ObservabilitySettings(BaseModel):
    """Logs, metrics and traces (see docs/observability.md)."""

    model_config = ConfigDict(hide_input_in_errors=True)  # the metrics token is a secret

    log_json: bool = False
    """Write logs as JSON lines (timestamp, level, logger, event, correlation ids) instead of
    text for people; turn it on wherever a log shipper reads the output."""
    metrics_token: SecretStr | None = None
    """When set, ``GET /metrics`` requires ``Authorization: Bearer <token>``. Unset, it is open to
    whoever reaches the listener: fine on the default 127.0.0.1, not on a public address."""
    otlp_endpoint: str = ""
    """Where OpenTelemetry traces go (OTLP over HTTP, ``http://collector:4318``); empty falls back
    to ``OTEL_EXPORTER_OTLP_ENDPOINT``, and with neither (or without the ``otel`` extra) nothing
    is traced."""


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
    console: ConsoleSettings = ConsoleSettings()
    smtp: SmtpSettings = SmtpSettings()
    alert_webhook_secret: SecretStr | None = None
    """Signs SLA alert webhooks (HMAC-SHA256 in ``X-Crossdock-Signature``) when set."""
    observability: ObservabilitySettings = ObservabilitySettings()
    estate_file: Path | None = None
    """The estate file (``crossdock.yaml``); None uses the sandbox estate on its default ports."""
    log_level: str = "INFO"
