"""``ContractRegistry``: every business event type crossdock publishes, with its data schema.

An :class:`EventContract` names one version of one event type (``crossdock.order.routed.v1``):
who owns it, what it means, and the pydantic model of its ``data``. From the model it derives the
JSON Schema (draft 2020-12) that the CloudEvent's ``dataschema`` attribute names,
``urn:crossdock:schema:order/routed:v1``. A published version is frozen: ``docs/api/events.json``
holds the schemas as published, and :mod:`.compatibility` refuses an incompatible change to them.
A breaking change is a new version (``.v2``), registered next to the old one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from crossdock.core.errors import PermanentError

from .order_events import (
    InvoiceIssued,
    OrderAccepted,
    OrderBackordered,
    OrderCancelled,
    OrderClosed,
    OrderHeld,
    OrderInvoiced,
    OrderRouted,
    ShipmentConfirmed,
)

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ORDER_TO_CASH = "order-to-cash"
"""The owner of the order events: the order-to-cash workflow (``orchestration.order_to_cash``)."""


class ContractViolation(PermanentError):
    """An event's data does not match its contract (or the event type has none)."""

    def __init__(self, event_type: str, problems: list[str]) -> None:
        self.event_type = event_type
        self.problems = problems
        super().__init__(f"{event_type}: {'; '.join(problems)}", code="contract")


@dataclass(frozen=True, slots=True, kw_only=True)
class EventContract:
    """One version of one business event type."""

    name: str
    """The event's name, past tense: ``shipment_confirmed``."""
    version: int
    """Starts at 1; a breaking change is a new version, never an edit of a published one."""
    owner: str
    """The component that emits the event and answers for its contract."""
    description: str
    """When the event is published, for the people who subscribe to it."""
    data: type[BaseModel]
    """The model of the event's ``data``."""
    family: str = "order"
    """The aggregate the event is about; the middle of the type and of the subject."""

    @property
    def type(self) -> str:
        """The CloudEvent ``type``: ``crossdock.order.shipment_confirmed.v1``."""
        return f"crossdock.{self.family}.{self.name}.v{self.version}"

    @property
    def dataschema(self) -> str:
        """The CloudEvent ``dataschema``: ``urn:crossdock:schema:order/shipment_confirmed:v1``."""
        return f"urn:crossdock:schema:{self.family}/{self.name}:v{self.version}"

    @property
    def subject(self) -> str:
        """The NATS subject, ``{tenant}`` left as a parameter. It has no version: every version
        of an event shares the subject, and consumers tell them apart by ``type``."""
        return f"crossdock.{{tenant}}.{self.family}.{self.name}"

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of the event's ``data``, self-contained (no ``$ref``)
        and open: it does not forbid fields it does not name."""
        generated = self.data.model_json_schema()
        schema = inline_refs(generated, generated.get("$defs", {}))
        schema.pop("additionalProperties", None)
        return {"$schema": JSON_SCHEMA_DIALECT, "$id": self.dataschema, **schema}

    def problems(self, data: Mapping[str, Any]) -> list[str]:
        """What is wrong with ``data`` for this contract (nothing when it matches). Stricter than
        the published schema: a field the contract does not name is a problem here, because our
        own events must not drift from their contract."""
        try:
            self.data.model_validate(dict(data))
        except ValidationError as exc:
            return [
                f"{'.'.join(str(p) for p in error['loc']) or 'data'}: {error['msg']}"
                for error in exc.errors()
            ]
        return []


class ContractRegistry:
    """The contracts by event type, in registration order."""

    def __init__(self, contracts: Iterable[EventContract]) -> None:
        self._contracts: dict[str, EventContract] = {}
        for contract in contracts:
            if contract.type in self._contracts:
                raise ValueError(f"{contract.type} is registered twice")
            self._contracts[contract.type] = contract

    def __iter__(self) -> Iterator[EventContract]:
        return iter(self._contracts.values())

    def __len__(self) -> int:
        return len(self._contracts)

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._contracts

    def get(self, event_type: str) -> EventContract:
        """The contract of ``event_type``; :class:`ContractViolation` when there is none."""
        contract = self._contracts.get(event_type)
        if contract is None:
            raise ContractViolation(event_type, ["no contract is registered for this event type"])
        return contract

    def validate(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Check one outbox event's ``data`` against its contract; raise
        :class:`ContractViolation` naming every problem."""
        problems = self.get(event_type).problems(data)
        if problems:
            raise ContractViolation(event_type, problems)


def inline_refs(schema: Any, defs: Mapping[str, Any]) -> Any:
    """``schema`` with every local ``#/$defs/…`` reference replaced by its definition."""
    if isinstance(schema, list):
        return [inline_refs(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        # Keywords next to the $ref (a field's description) win over the definition's own.
        return {**target, **{k: inline_refs(v, defs) for k, v in schema.items() if k != "$ref"}}
    return {k: inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}


ORDER_EVENTS = ContractRegistry(
    EventContract(
        name=name, version=1, owner=ORDER_TO_CASH, description=inspect.getdoc(data) or "", data=data
    )
    for name, data in (
        ("accepted", OrderAccepted),
        ("backordered", OrderBackordered),
        ("routed", OrderRouted),
        ("held", OrderHeld),
        ("shipment_confirmed", ShipmentConfirmed),
        ("invoice_issued", InvoiceIssued),
        ("invoiced", OrderInvoiced),
        ("cancelled", OrderCancelled),
        ("closed", OrderClosed),
    )
)
"""Every event type crossdock publishes today."""
