"""Typed settings: the only reader of the environment (``CROSSDOCK_`` prefix, ``__`` nests).

Examples: ``CROSSDOCK_STORE__URL=sqlite:///./crossdock.db``,
``CROSSDOCK_ESTATE_FILE=./crossdock.yaml``, ``CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS='["s1","s0"]'``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseModel):
    """Where the source of truth lives."""

    url: str = "sqlite:///./crossdock.db"
    """SQLAlchemy URL: a SQLite file (embedded default) or ``postgresql+psycopg://…``."""


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
    """Shared secrets for inbound webhooks. Several secrets allow rotation with an overlap."""

    shopify_secrets: list[SecretStr] = Field(default_factory=lambda: [SecretStr("hush")])
    wms_secret: SecretStr = SecretStr("crossdock-wms-secret")


class WorkerSettings(BaseModel):
    """Worker tuning."""

    step_batch: int = 64
    delivery_concurrency: int = 16
    idle_wait_s: float = 1.0
    inventory_sync_s: float = 30.0
    """How often stock positions are pulled from the system of execution."""


class Settings(BaseSettings):
    """Everything crossdock reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="CROSSDOCK_", env_nested_delimiter="__", extra="ignore"
    )

    store: StoreSettings = StoreSettings()
    api: ApiSettings = ApiSettings()
    webhooks: WebhookSettings = WebhookSettings()
    worker: WorkerSettings = WorkerSettings()
    estate_file: Path | None = None
    """The estate file (``crossdock.yaml``); None uses the sandbox estate on its default ports."""
    log_level: str = "INFO"
