"""The vocabulary of the order-to-cash workflow.

Three kinds of value travel through the engine:

* **Messages** arrive at one order's workflow (its correlation key is ``order_id``), from a channel,
  from the warehouse, from a delivery's result, from a timer or from an operator.
* **Commands** are what a decision asks for. *Local* commands (``ReserveStock`` …) are carried
  out by the engine inside the step's own transaction; *delivery* commands (``CreateSalesOrder``
  …) become durable rows in their target system's queue and are sent by the delivery runner.
* **Events** are business facts published through the outbox (CloudEvents on the wire).

Every class is frozen and keyword-only; ``kind`` is the stable name stored in the database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, TypeAdapter

from crossdock.core.fulfilment import FulfilmentRequest, SalesOrderRef, ShipmentMilestone
from crossdock.core.inventory import Reservation, ShortLine
from crossdock.core.invoice import Invoice
from crossdock.core.order import Order
from crossdock.core.value import Value

# ---------------------------------------------------------------- messages (into a workflow)


class Message(Value):
    """Base of everything that arrives at an order's workflow."""

    needs_master_data: ClassVar[bool] = False
    """The engine loads customer, product and price facts before deciding on this message."""


class OrderReceived(Message):
    """A channel handed us a new order."""

    kind: Literal["order_received"] = "order_received"
    order: Order
    needs_master_data: ClassVar[bool] = True


class StockReserved(Message):
    """Result of ``ReserveStock``: every line is held."""

    kind: Literal["stock_reserved"] = "stock_reserved"
    reservation: Reservation


class StockShort(Message):
    """Result of ``ReserveStock``: at least one line cannot be held in full; nothing was held."""

    kind: Literal["stock_short"] = "stock_short"
    location: str
    short: tuple[ShortLine, ...]


class StockAvailable(Message):
    """Stock of a SKU went up at a location: a backordered order may now be reserved."""

    kind: Literal["stock_available"] = "stock_available"
    sku: str
    location: str


class SalesOrderBooked(Message):
    """The owning ERP created (or already had) the sales order."""

    kind: Literal["sales_order_booked"] = "sales_order_booked"
    sales_order: SalesOrderRef


class SalesOrderCancelled(Message):
    """The owning ERP cancelled the sales order."""

    kind: Literal["sales_order_cancelled"] = "sales_order_cancelled"
    system: str
    sales_order_number: str


class FulfilmentAccepted(Message):
    """The warehouse accepted the fulfilment request."""

    kind: Literal["fulfilment_accepted"] = "fulfilment_accepted"
    system: str
    fulfilment_id: str


class FulfilmentCancelled(Message):
    """The warehouse cancelled the fulfilment request."""

    kind: Literal["fulfilment_cancelled"] = "fulfilment_cancelled"
    system: str
    fulfilment_id: str


class MilestoneReported(Message):
    """The warehouse reported picked, packed or shipped for one shipment."""

    kind: Literal["milestone_reported"] = "milestone_reported"
    system: str
    milestone: ShipmentMilestone


class InvoicePosted(Message):
    """The owning ERP posted an invoice we sent."""

    kind: Literal["invoice_posted"] = "invoice_posted"
    system: str
    invoice_id: str
    invoice_number: str


class StatusNotified(Message):
    """A system of engagement acknowledged a status update."""

    kind: Literal["status_notified"] = "status_notified"
    system: str
    status: str


class CancellationRequested(Message):
    """Someone (a channel, a partner, an operator) asked to cancel the order."""

    kind: Literal["cancellation_requested"] = "cancellation_requested"
    reason: str
    requested_by: str = ""


class HoldReleased(Message):
    """An operator looked at a held order and released it."""

    kind: Literal["hold_released"] = "hold_released"
    released_by: str
    note: str = ""
    rearmed: tuple[str, ...] = ()
    """Idempotency keys of deliveries an operator already queued again (a replay, perhaps with a
    corrected document): the workflow must not queue them once more with its own document."""
    needs_master_data: ClassVar[bool] = True


class DeadlineReached(Message):
    """A timer the workflow set has fired."""

    kind: Literal["deadline_reached"] = "deadline_reached"
    timer: str
    """The name the workflow gave the timer, e.g. ``booking``."""


class DeliveryFailed(Message):
    """A delivery cannot succeed: a permanent error, or its attempts or deadline ran out."""

    kind: Literal["delivery_failed"] = "delivery_failed"
    delivery_id: str
    system: str
    operation: str
    reason: str
    classification: Literal["permanent", "exhausted"]


AnyMessage = Annotated[
    OrderReceived
    | StockReserved
    | StockShort
    | StockAvailable
    | SalesOrderBooked
    | SalesOrderCancelled
    | FulfilmentAccepted
    | FulfilmentCancelled
    | MilestoneReported
    | InvoicePosted
    | StatusNotified
    | CancellationRequested
    | HoldReleased
    | DeadlineReached
    | DeliveryFailed,
    Field(discriminator="kind"),
]
MESSAGE = TypeAdapter[AnyMessage](AnyMessage)

# ---------------------------------------------------------------- commands


class Command(Value):
    """Base of everything a decision asks for."""


class LocalCommand(Command):
    """Carried out by the engine in the same transaction as the decision that asked for it."""


class ReserveStock(LocalCommand):
    """Hold every line of the order at one location, or nothing at all."""

    kind: Literal["reserve_stock"] = "reserve_stock"
    order_id: str
    location: str
    lines: tuple[tuple[int, str, Decimal], ...]
    """(line number, SKU, quantity)."""


class ReleaseStock(LocalCommand):
    """Give back whatever the order still holds (cancellation, short shipment)."""

    kind: Literal["release_stock"] = "release_stock"
    order_id: str


class ConsumeStock(LocalCommand):
    """Shipped quantities leave the building: reduce on hand and reserved together."""

    kind: Literal["consume_stock"] = "consume_stock"
    order_id: str
    location: str
    lines: tuple[tuple[int, str, Decimal], ...]


class ScheduleTimer(LocalCommand):
    """Deliver ``DeadlineReached(timer=name)`` to this order at ``due_at`` unless cancelled."""

    kind: Literal["schedule_timer"] = "schedule_timer"
    order_id: str
    name: str
    due_at: datetime


class CancelTimer(LocalCommand):
    """Forget a timer that is no longer needed."""

    kind: Literal["cancel_timer"] = "cancel_timer"
    order_id: str
    name: str


class DeliveryCommand(Command):
    """Sent to an external system by the delivery runner, at least once, with an idempotency key."""

    system: str
    """The target system's name in the estate file."""
    order_id: str

    @property
    def operation(self) -> str:
        """The operation name the connector dispatches on (the ``kind``)."""
        kind: str = getattr(self, "kind")  # noqa: B009 - every subclass declares it
        return kind

    @property
    def idempotency_key(self) -> str:
        """Stable across every retry of this command: the target can drop repeats by it."""
        return f"{self.order_id}:{self.operation}"


class CreateSalesOrder(DeliveryCommand):
    """Book the order as a sales order in the owning ERP."""

    kind: Literal["create_sales_order"] = "create_sales_order"
    order: Order


class CancelSalesOrder(DeliveryCommand):
    """Cancel the sales order in the owning ERP (compensation)."""

    kind: Literal["cancel_sales_order"] = "cancel_sales_order"
    sales_order_number: str


class RequestFulfilment(DeliveryCommand):
    """Ask the warehouse to pick, pack and ship."""

    kind: Literal["request_fulfilment"] = "request_fulfilment"
    request: FulfilmentRequest


class CancelFulfilment(DeliveryCommand):
    """Withdraw the fulfilment request (compensation)."""

    kind: Literal["cancel_fulfilment"] = "cancel_fulfilment"
    fulfilment_id: str


class PostInvoice(DeliveryCommand):
    """Post the invoice for one shipment in the owning ERP."""

    kind: Literal["post_invoice"] = "post_invoice"
    sales_order_number: str
    invoice: Invoice

    @property
    def idempotency_key(self) -> str:
        """One invoice per shipment: the key names the invoice."""
        return f"{self.order_id}:post_invoice:{self.invoice.invoice_id}"


class NotifyStatus(DeliveryCommand):
    """Tell a system of engagement where the order stands."""

    kind: Literal["notify_status"] = "notify_status"
    channel_order_number: str
    customer_po: str = ""
    status: str
    detail: dict[str, Any] = Field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """One notification per system and status (and per shipment, when the detail names one):
        two systems told the same status are two deliveries."""
        shipment = self.detail.get("shipment_id", "")
        suffix = f":{shipment}" if shipment else ""
        return f"{self.order_id}:notify_status:{self.system}:{self.status}{suffix}"


class SendPartnerFile(DeliveryCommand):
    """Send an archived file to a trading partner as it is (an acknowledgement we owe it)."""

    kind: Literal["send_partner_file"] = "send_partner_file"
    file_id: str
    """The archived file (its bytes never change: a retry sends exactly what the first did)."""
    description: str = ""
    """What the file is, for people: ``997 for group 1 of interchange 000000905``."""

    @property
    def idempotency_key(self) -> str:
        """One delivery per file."""
        return f"{self.order_id}:send_partner_file:{self.file_id}"


class DeliverEvent(DeliveryCommand):
    """POST one business event to one partner's webhook subscription (system ``webhooks``)."""

    kind: Literal["deliver_event"] = "deliver_event"
    subscription_id: str
    event_id: str
    """The outbox event: the gateway reads it (and the subscription's URL and secret) when it
    sends, so neither the secret nor the URL is copied into the delivery or the timeline."""

    @property
    def idempotency_key(self) -> str:
        """One delivery per subscription and event."""
        return f"webhook:{self.subscription_id}:{self.event_id}"


AnyDeliveryCommand = Annotated[
    CreateSalesOrder
    | CancelSalesOrder
    | RequestFulfilment
    | CancelFulfilment
    | PostInvoice
    | NotifyStatus
    | SendPartnerFile
    | DeliverEvent,
    Field(discriminator="kind"),
]
DELIVERY_COMMAND = TypeAdapter[AnyDeliveryCommand](AnyDeliveryCommand)

AnyLocalCommand = ReserveStock | ReleaseStock | ConsumeStock | ScheduleTimer | CancelTimer

# ---------------------------------------------------------------- events


class BusinessEvent(Value):
    """A business fact published through the outbox (``crossdock.order.<name>.v1`` on the wire)."""

    name: str
    """Past tense, e.g. ``accepted``, ``routed``, ``shipment_confirmed``."""
    data: dict[str, Any] = Field(default_factory=dict)
