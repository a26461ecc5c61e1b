"""The relational schema, shared by SQLite and PostgreSQL (Alembic migrations follow it).

Quantities are stored as integers in ten-thousandths (``QTY_SCALE``) so that reservations can be
checked and changed atomically in one ``UPDATE … WHERE available >= :q`` on every database, exactly.
Documents (order, state, commands, events) are JSON text: the columns beside them exist to query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

QTY_SCALE = 10_000

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def to_scaled(quantity: Decimal) -> int:
    """A decimal quantity as stored (exact to four decimals)."""
    return int((quantity * QTY_SCALE).to_integral_value())


def from_scaled(value: int) -> Decimal:
    """A stored quantity as a decimal, with no more places than it needs (``10``, not ``1E+1``)."""
    # An exact division keeps the smallest exponent that represents the result; normalize()
    # would turn whole numbers into exponent notation, which then shows in messages and JSON.
    return Decimal(value) / QTY_SCALE


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        result: datetime = value
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


def _ts(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, UtcDateTime(), nullable=nullable)


orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("channel_order_number", String(128), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("customer_po", String(128), nullable=False, server_default=""),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("quarantined", Boolean, nullable=False, server_default=text("false")),
    Column("quarantine_reason", Text, nullable=False, server_default=""),
    Column("order_doc", Text, nullable=False),
    Column("state_doc", Text, nullable=True),
    _ts("received_at"),
    _ts("updated_at"),
    _ts("closed_at", nullable=True),
    UniqueConstraint("channel", "channel_order_number"),
    Index(None, "status"),
    Index(None, "customer_id"),
    Index(None, "customer_po"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("message_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("source", String(128), nullable=False),
    Column("dedupe_key", String(256), nullable=True, unique=True),
    Column("causation_id", String(128), nullable=False, server_default=""),
    _ts("received_at"),
    _ts("processed_at", nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=False, server_default=""),
    Index(
        "ix_inbox_pending",
        "order_id",
        "message_id",
        postgresql_where=text("processed_at IS NULL"),
        sqlite_where=text("processed_at IS NULL"),
    ),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("delivery_id", String(64), nullable=False, unique=True),
    Column("order_id", String(64), nullable=False),
    Column("system", String(64), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("idempotency_key", String(256), nullable=False, unique=True),
    Column("command", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    _ts("next_attempt_at"),
    _ts("lease_until", nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("causation_id", String(128), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("completed_at", nullable=True),
    Index(
        "ix_deliveries_open",
        "system",
        "seq",
        postgresql_where=text("status IN ('pending', 'in_flight')"),
        sqlite_where=text("status IN ('pending', 'in_flight')"),
    ),
    Index(None, "order_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("order_id", String(64), nullable=False),
    Column("type", String(128), nullable=False),
    Column("data", Text, nullable=False),
    Column("causation_id", String(128), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("published_at", nullable=True),
    _ts("claimed_until", nullable=True),
    Index(
        "ix_outbox_unpublished",
        "seq",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

timers = Table(
    "timers",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    _ts("due_at"),
    Index(None, "due_at"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("order_id", String(64), nullable=False),
    _ts("at"),
    Column("kind", String(16), nullable=False),
    Column("system", String(64), nullable=False, server_default=""),
    Column("summary", Text, nullable=False),
    Column("rule", String(128), nullable=False, server_default=""),
    Column("correlation_id", String(128), nullable=False, server_default=""),
    Column("causation_id", String(128), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default="{}"),
    Index(None, "order_id", "entry_id"),
)

inventory = Table(
    "inventory",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("on_hand", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False, server_default=text("0")),
    Column("safety_stock", BigInteger, nullable=False, server_default=text("0")),
    _ts("updated_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("email", String(256), nullable=False, server_default=""),
    Column("doc", Text, nullable=False),
    Index(None, "email"),
)

products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("doc", Text, nullable=False),
)

prices = Table(
    "prices",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("doc", Text, nullable=False),
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("exception_id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("system", String(64), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("delivery_id", String(64), nullable=False, server_default=""),
    Column("message_id", BigInteger, nullable=True),
    Column("request", Text, nullable=False, server_default="{}"),
    Column("error", Text, nullable=False, server_default=""),
    Column("error_type", String(64), nullable=False, server_default=""),
    Column("classification", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    _ts("first_seen"),
    _ts("last_seen"),
    Column("status", String(16), nullable=False),
    Column("assignee", String(128), nullable=False, server_default=""),
    Column("tags", Text, nullable=False, server_default="[]"),
    Column("channel", String(64), nullable=False, server_default=""),
    Column("customer_id", String(64), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("replays", Integer, nullable=False, server_default=text("0")),
    _ts("updated_at"),
    Index(None, "status", "last_seen"),
    Index(None, "order_id"),
    Index(None, "delivery_id"),
    Index(None, "system", "status"),
)

bindings = Table(
    "bindings",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column("kind", String(96), primary_key=True),
    Column("external_id", String(128), nullable=False),
    _ts("bound_at"),
    Index(None, "system", "kind", "external_id"),
    Index(None, "external_id"),
)

system_states = Table(
    "system_states",
    metadata,
    Column("system", String(64), primary_key=True),
    Column("breaker", String(16), nullable=False, server_default="closed"),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    _ts("window_started_at", nullable=True),
    Column("window_calls", Integer, nullable=False, server_default=text("0")),
    Column("window_failures", Integer, nullable=False, server_default=text("0")),
    _ts("opened_at", nullable=True),
    _ts("probe_at", nullable=True),
    _ts("throttled_until", nullable=True),
    Column("tokens", Float, nullable=False, server_default=text("0")),
    _ts("tokens_at", nullable=True),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("paused_by", String(128), nullable=False, server_default=""),
    Column("paused_reason", Text, nullable=False, server_default=""),
    _ts("changed_at", nullable=True),
    Column("last_change", Text, nullable=False, server_default=""),
)

partner_files = Table(
    "partner_files",
    metadata,
    Column("file_id", String(64), primary_key=True),
    Column("partner", String(64), nullable=False, server_default=""),
    Column("direction", String(8), nullable=False),
    Column("transport", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    _ts("at"),
    Column("status", String(32), nullable=False, server_default=""),
    Column("summary", Text, nullable=False, server_default=""),
    Index(None, "partner", "at"),
)

partner_file_orders = Table(
    "partner_file_orders",
    metadata,
    Column("file_id", String(64), primary_key=True),
    Column("order_id", String(64), primary_key=True),
    Index(None, "order_id"),
)

control_numbers = Table(
    "control_numbers",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

partner_interchanges = Table(
    "partner_interchanges",
    metadata,
    Column("sender", String(64), primary_key=True),
    Column("control_number", String(32), primary_key=True),
    Column("file_id", String(64), nullable=False),
    _ts("received_at"),
)

partner_documents = Table(
    "partner_documents",
    metadata,
    Column("document_key", String(256), primary_key=True),
    Column("partner", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("set_id", String(8), nullable=False),
    Column("interchange_control", String(32), nullable=False),
    Column("group_control", String(32), nullable=False),
    Column("set_control", String(32), nullable=False),
    Column("file_id", String(64), nullable=False),
    _ts("created_at"),
    _ts("ack_due_at", nullable=True),
    Column("ack_status", String(32), nullable=False),
    _ts("acknowledged_at", nullable=True),
    Index(None, "partner", "group_control"),
    Index(None, "order_id"),
    Index(None, "ack_status", "ack_due_at"),
)

partner_purchase_orders = Table(
    "partner_purchase_orders",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("po_number", String(128), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("file_id", String(64), nullable=False, server_default=""),
    Index(None, "order_id"),
)

# --- API access governance (integration/access): partners, their keys and tokens, the
# idempotency records of creates, the audit log, webhook subscriptions and their fan-out cursor.

api_partners = Table(
    "api_partners",
    metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("customer_ids", Text, nullable=False, server_default="[]"),
    Column("admin", Boolean, nullable=False, server_default=text("false")),
    Column("rate_limit", String(64), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("disabled_at", nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", Text, nullable=False, server_default="[]"),
    Column("label", String(200), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("expires_at", nullable=True),
    _ts("revoked_at", nullable=True),
    _ts("last_used_at", nullable=True),
    Column("last_used_from", String(64), nullable=False, server_default=""),
    Index(None, "partner_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("scopes", Text, nullable=False, server_default="[]"),
    _ts("issued_at"),
    _ts("expires_at"),
    Index(None, "expires_at"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_headers", Text, nullable=False, server_default="{}"),
    Column("response_body", LargeBinary, nullable=True),
    _ts("created_at"),
    _ts("locked_until"),
    _ts("expires_at"),
    Index(None, "expires_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    _ts("at"),
    Column("partner_id", String(64), nullable=False, server_default=""),
    Column("key_id", String(32), nullable=False, server_default=""),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=False, server_default=""),
    Column("outcome", String(32), nullable=False),
    Column("remote", String(64), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default="{}"),
    Index(None, "at"),
    Index(None, "partner_id", "at"),
    Index(None, "action", "at"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_types", Text, nullable=False, server_default="[]"),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _ts("created_at"),
    _ts("disabled_at", nullable=True),
    Index(None, "partner_id"),
)

event_cursors = Table(
    "event_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    _ts("updated_at"),
)

# --- Leases (orchestration/leases.py): a loop that runs in one hub at a time (the SLA sweep).

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    _ts("acquired_at"),
    _ts("expires_at"),
)
