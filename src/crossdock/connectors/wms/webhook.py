"""``POST /webhooks/wms``: the warehouse reports pick, pack and ship milestones.

The warehouse signs each event: ``X-Crossdock-Signature: sha256=<hex HMAC-SHA256 of the raw
body>``, checked before the body is parsed. ``X-Event-Id`` (or the body's ``event_id``) is the
event's own id: a redelivered event is answered ``{"accepted": false}`` and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from crossdock.core.errors import ConfigurationError
from crossdock.core.fulfilment import Carton, Milestone, ShipmentMilestone, ShippedLine
from crossdock.integration.api.problems import (
    PROBLEM_RESPONSES,
    field_problems,
    problem_doc,
)
from crossdock.integration.api.webhooks import bad_signature, json_document
from crossdock.orchestration.intake import FieldProblem, InvalidDocument, OrderDesk

SIGNATURE_HEADER = "X-Crossdock-Signature"
SIGNATURE_SCHEME = "sha256="


class _Wire(BaseModel):
    # A tolerant reader: the warehouse may add fields crossdock does not read.
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventLine(_Wire):
    """Quantity of one order line in the shipment."""

    line_no: int = Field(ge=1)
    sku: str = Field(min_length=1)
    quantity: Decimal = Field(ge=0)


class EventCarton(_Wire):
    """A carton of the shipment."""

    carton_id: str = Field(min_length=1)
    weight_kg: Decimal | None = Field(default=None, ge=0)
    lines: list[EventLine] = Field(default_factory=list)
    """What the carton holds, when the warehouse says."""


class WmsEvent(_Wire):
    """A milestone event as the warehouse sends it."""

    event_id: str = ""
    """The event's id; the ``X-Event-Id`` header wins when both are sent and agree."""
    fulfilment_id: str = ""
    order_id: str = Field(min_length=1)
    shipment_id: str = Field(min_length=1)
    milestone: Milestone
    occurred_at: AwareDatetime
    lines: list[EventLine] = Field(default_factory=list)
    cartons: list[EventCarton] = Field(default_factory=list)
    carrier: str | None = None
    """Null until the shipment leaves (picked and packed events carry none)."""
    tracking_number: str | None = None
    final: bool = False

    def to_milestone(self) -> ShipmentMilestone:
        """The canonical milestone."""
        return ShipmentMilestone(
            order_id=self.order_id,
            shipment_id=self.shipment_id,
            milestone=self.milestone,
            occurred_at=self.occurred_at,
            lines=tuple(
                ShippedLine(line_no=line.line_no, sku=line.sku, quantity=line.quantity)
                for line in self.lines
            ),
            cartons=tuple(
                Carton(
                    carton_id=carton.carton_id,
                    weight_kg=carton.weight_kg,
                    lines=tuple(
                        ShippedLine(line_no=line.line_no, sku=line.sku, quantity=line.quantity)
                        for line in carton.lines
                    ),
                )
                for carton in self.cartons
            ),
            carrier=self.carrier or "",
            tracking_number=self.tracking_number or "",
            final=self.final,
        )


class EventReceipt(BaseModel):
    """The answer to the warehouse."""

    accepted: bool
    """False when this event id was already received (nothing changed)."""


class WmsSignature:
    """Checks ``sha256=<hex>`` signatures of raw bodies with the warehouse's shared secret."""

    def __init__(self, secret: str | SecretStr, *, setting: str = "wms.webhook_secret") -> None:
        key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if not key:
            raise ConfigurationError(setting, "a non-empty webhook secret is required")
        self._key = key.encode()

    def sign(self, body: bytes) -> str:
        """The header value the warehouse sends for ``body``."""
        return SIGNATURE_SCHEME + hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, header: str | None) -> bool:
        """Whether ``header`` is the signature of ``body``."""
        if not header:
            return False
        return hmac.compare_digest(self.sign(body).encode(), header.strip().lower().encode())


def read_event(document: Any, header_event_id: str | None) -> tuple[str, WmsEvent]:
    """The event and its id; :class:`InvalidDocument` naming every bad field."""
    try:
        event = WmsEvent.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument(field_problems(exc.errors())) from exc
    event_id = header_event_id or event.event_id
    if not event_id:
        raise InvalidDocument([FieldProblem("event_id", "send X-Event-Id or event_id")])
    if event.event_id and event.event_id != event_id:
        raise InvalidDocument([FieldProblem("event_id", "differs from the X-Event-Id header")])
    return event_id, event


def wms_router(
    desk: OrderDesk,
    *,
    system: str = "wms",
    secret: str | SecretStr,
    path: str = "/webhooks/wms",
) -> APIRouter:
    """The warehouse's milestone webhook; ``system`` is the warehouse's name in the estate."""
    signature = WmsSignature(secret)
    router = APIRouter(tags=["webhooks"])

    @router.post(
        path,
        status_code=HTTPStatus.ACCEPTED,
        responses={
            **PROBLEM_RESPONSES,
            401: problem_doc("Missing or wrong signature"),
            404: problem_doc("No order has the event's order_id"),
        },
    )
    async def wms_event(
        request: Request,
        x_crossdock_signature: Annotated[str | None, Header()] = None,
        x_event_id: Annotated[str | None, Header()] = None,
    ) -> EventReceipt:
        """Take a milestone; the order's workflow applies it in turn."""
        raw = await request.body()
        if not signature.verify(raw, x_crossdock_signature):
            raise bad_signature(SIGNATURE_HEADER)
        event_id, event = read_event(json_document(raw), x_event_id)
        accepted = await desk.run(
            desk.report_milestone, system, event.to_milestone(), event_id=event_id
        )
        return EventReceipt(accepted=accepted)

    return router


__all__ = ["EventReceipt", "WmsEvent", "WmsSignature", "wms_router"]
