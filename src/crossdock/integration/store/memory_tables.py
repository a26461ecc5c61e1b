"""``MemoryTables``: the rows of a :class:`~.memory.MemoryStore`, as immutable snapshots.

A committed snapshot is never changed. A write transaction works on a fork: each table is copied
(shallowly: rows are frozen records) the first time the transaction writes to it, so a step pays
for the tables it touches, not for the whole store. Publishing the fork is one reference
assignment, which is what makes a unit of work atomic and lets readers keep a consistent snapshot.

Values are kept the way the SQL adapter keeps them, so that both adapters answer alike: documents
(orders, states, message bodies, commands, events, details, master data) as JSON, quantities as
integers in ten-thousandths, timestamps as aware UTC.
"""

from __future__ import annotations

from collections.abc import Hashable, ItemsView, Iterator, ValuesView
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import orjson

from crossdock.orchestration.partner_documents import OutboundDocument, PartnerFile
from crossdock.orchestration.store_ops import Binding, SystemState

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ERROR_LIMIT = 2000
"""Stored error texts are cut to this many characters (the SQL adapter does the same)."""


def utc(value: datetime) -> datetime:
    """An aware timestamp in UTC; naive ones are refused, as the SQL adapter refuses them."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass an aware UTC time")
    return value.astimezone(UTC)


def encode(document: dict[str, Any]) -> bytes:
    """A JSON document, encoded as the SQL adapter encodes its document columns."""
    return orjson.dumps(document)


def decode(document: bytes) -> dict[str, Any]:
    """A fresh copy of a stored JSON document: callers cannot change what is stored."""
    return cast(dict[str, Any], orjson.loads(document))


class Table(Generic[K, V]):
    """One table of a snapshot: shared with the snapshot it was forked from until first written."""

    __slots__ = ("_owned", "_rows", "_writable")

    def __init__(self) -> None:
        self._rows: dict[K, V] = {}
        self._owned = True
        self._writable = True

    def fork(self, *, writable: bool) -> Table[K, V]:
        """A view of the same rows that copies them before its first write."""
        forked: Table[K, V] = Table()
        forked._rows, forked._owned, forked._writable = self._rows, False, writable
        return forked

    def seal(self) -> None:
        """No more writes: the rows now belong to a published (or abandoned) snapshot."""
        self._writable = False

    def get(self, key: K) -> V | None:
        return self._rows.get(key)

    def __getitem__(self, key: K) -> V:
        return self._rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[K]:
        return iter(self._rows)

    def values(self) -> ValuesView[V]:
        return self._rows.values()

    def items(self) -> ItemsView[K, V]:
        return self._rows.items()

    def put(self, key: K, value: V) -> None:
        """Insert or replace a row (a replaced row keeps its place in iteration order)."""
        self._writable_rows()[key] = value

    def delete(self, key: K) -> None:
        """Remove a row if it is there."""
        if key in self._rows:
            del self._writable_rows()[key]

    def _writable_rows(self) -> dict[K, V]:
        if not self._writable:
            raise RuntimeError(
                "write outside a write transaction: open the unit of work with write=True, "
                "and do not keep using it after it ended"
            )
        if not self._owned:
            self._rows, self._owned = dict(self._rows), True
        return self._rows


# ------------------------------------------------------------------ rows


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    order_id: str
    channel: str
    channel_order_number: str
    customer_id: str
    customer_po: str
    status: str
    version: int
    quarantined: bool
    quarantine_reason: str
    order_doc: str
    state_doc: str | None
    received_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    message_id: int
    order_id: str
    kind: str
    body: bytes
    source: str
    dedupe_key: str | None
    causation_id: str
    received_at: datetime
    processed_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRow:
    seq: int
    delivery_id: str
    order_id: str
    system: str
    operation: str
    idempotency_key: str
    command: bytes
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    causation_id: str
    lease_until: datetime | None = None
    last_error: str = ""
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    seq: int
    event_id: str
    order_id: str
    type: str
    data: bytes
    causation_id: str
    created_at: datetime
    published_at: datetime | None = None
    claimed_until: datetime | None = None
    """The end of a relay's lease on the event (a claim not yet published or released)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRecord:
    entry_id: int
    order_id: str
    at: datetime
    kind: str
    summary: str
    system: str
    rule: str
    correlation_id: str
    causation_id: str
    detail: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class StockRecord:
    """Quantities in ten-thousandths."""

    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldLine:
    """One reserved line, its quantity in ten-thousandths."""

    line_no: int
    sku: str
    location: str
    quantity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerRecord:
    doc: str
    email: str
    """Lower-cased, for lookups by email."""


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    """An exception as its stored columns (see ``records.exception_columns``)."""

    columns: tuple[tuple[str, Any], ...]

    def __getattr__(self, name: str) -> Any:
        for key, value in object.__getattribute__(self, "columns"):
            if key == name:
                return value
        raise AttributeError(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedInterchange:
    """A partner's interchange as registered: the file it came in and when."""

    file_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderRow:
    """A partner's purchase order, its document as JSON (callers cannot change what is stored)."""

    partner: str
    po_number: str
    order_id: str
    document: bytes
    file_id: str


# ------------------------------------------------------------------ the snapshot

_COUNTERS = ("message_id", "delivery_seq", "event_seq", "entry_id")


class MemoryTables:
    """Every table of the store at one point in time, plus the counters that number new rows."""

    __slots__ = (
        "_counters",
        "_writable",
        "bindings",
        "channel_numbers",
        "control_numbers",
        "customers",
        "dedupe_keys",
        "deliveries",
        "deliveries_by_key",
        "deliveries_by_order",
        "events",
        "exceptions",
        "inbox",
        "inventory",
        "open_deliveries",
        "open_inbox",
        "orders",
        "partner_documents",
        "partner_file_orders",
        "partner_files",
        "partner_interchanges",
        "partner_purchase_orders",
        "prices",
        "products",
        "reservations",
        "system_states",
        "timeline",
        "timers",
        "unpublished",
    )

    def __init__(self) -> None:
        self.orders: Table[str, OrderRecord] = Table()
        self.channel_numbers: Table[tuple[str, str], str] = Table()
        self.inbox: Table[int, MessageRecord] = Table()
        self.dedupe_keys: Table[str, int] = Table()
        self.open_inbox: Table[str, tuple[int, ...]] = Table()
        """Unprocessed message ids per order, oldest first."""
        self.deliveries: Table[str, DeliveryRow] = Table()
        self.deliveries_by_key: Table[str, str] = Table()
        self.deliveries_by_order: Table[str, tuple[str, ...]] = Table()
        self.open_deliveries: Table[int, str] = Table()
        """Pending and in-flight deliveries: sequence number → delivery id."""
        self.events: Table[int, EventRecord] = Table()
        self.unpublished: Table[int, None] = Table()
        self.timers: Table[tuple[str, str], datetime] = Table()
        self.timeline: Table[str, tuple[EntryRecord, ...]] = Table()
        self.inventory: Table[tuple[str, str], StockRecord] = Table()
        self.reservations: Table[str, tuple[HeldLine, ...]] = Table()
        self.customers: Table[str, CustomerRecord] = Table()
        self.products: Table[str, str] = Table()
        self.prices: Table[tuple[str, str, str], str] = Table()
        self.exceptions: Table[str, ExceptionRow] = Table()
        self.bindings: Table[tuple[str, str, str], Binding] = Table()
        self.system_states: Table[str, SystemState] = Table()
        self.partner_files: Table[str, PartnerFile] = Table()
        """Archived files without their ``order_ids`` (those live in ``partner_file_orders``)."""
        self.partner_file_orders: Table[tuple[str, str], None] = Table()
        """(file id, order id) links."""
        self.control_numbers: Table[tuple[str, str], int] = Table()
        """The last number handed out per (partner, kind)."""
        self.partner_interchanges: Table[tuple[str, str], ReceivedInterchange] = Table()
        self.partner_documents: Table[str, OutboundDocument] = Table()
        self.partner_purchase_orders: Table[tuple[str, str], PurchaseOrderRow] = Table()
        self._counters = dict.fromkeys(_COUNTERS, 0)
        self._writable = True

    def _tables(self) -> Iterator[Table[Any, Any]]:
        for name in self.__slots__:
            if not name.startswith("_"):
                yield getattr(self, name)

    def fork(self, *, writable: bool) -> MemoryTables:
        """A transaction's view of this snapshot; ``writable=False`` refuses every write."""
        forked = MemoryTables.__new__(MemoryTables)
        for name in self.__slots__:
            if not name.startswith("_"):
                setattr(forked, name, getattr(self, name).fork(writable=writable))
        forked._counters = dict(self._counters)
        forked._writable = writable
        return forked

    def seal(self) -> None:
        """Freeze every table: this snapshot is published, or abandoned by a rollback."""
        for table in self._tables():
            table.seal()
        self._writable = False

    def allocate(self, counter: str) -> int:
        """The next number of a counter (message ids, sequence numbers, timeline entries)."""
        if not self._writable:
            raise RuntimeError("write outside a write transaction")
        self._counters[counter] += 1
        return self._counters[counter]

    def last(self, counter: str) -> int:
        """The last number a counter handed out."""
        return self._counters[counter]
