"""The service levels an estate promises, and a breach of one.

Three rules, each off unless the estate's ``sla:`` block turns it on (see ``docs/sla.md``):

* ``not_booked`` — an order still has no sales order in its ERP some minutes after it arrived;
* ``no_855`` — an EDI partner's order has had no 855 (purchase order acknowledgement) within the
  partner's window, by default the ``deadlines.ack_855_hours`` of its profile;
* ``not_invoiced`` — a shipment confirmed on a (local) day is still not invoiced at that day's
  cut-off time, in the estate's time zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Literal

SlaRule = Literal["not_booked", "no_855", "not_invoiced"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceCutoff:
    """By when, local time, a day's shipments must be invoiced."""

    at: time
    """The local time of day (``23:59``)."""
    zone: tzinfo
    """The time zone the day and the time are read in."""

    def deadline(self, shipped_at: datetime) -> datetime:
        """When a shipment confirmed at ``shipped_at`` must be invoiced by: the cut-off of its
        local day, or of the next day when it was confirmed after that day's cut-off."""
        local = shipped_at.astimezone(self.zone)
        cutoff = datetime.combine(local.date(), self.at, tzinfo=self.zone)
        if cutoff <= local:
            cutoff = datetime.combine(local.date() + timedelta(days=1), self.at, tzinfo=self.zone)
        return cutoff


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaPolicy:
    """Which rules are on, and their limits."""

    not_booked_within: timedelta | None = None
    """An order must have its sales order within this long of arriving; None: rule off."""
    ack_855_within: Mapping[str, timedelta] = field(default_factory=dict)
    """Per EDI partner (its channel name): an 855 must be sent within this long of the 850.
    Partners not named here are not checked."""
    invoice_cutoff: InvoiceCutoff | None = None
    """A confirmed shipment must be invoiced by its day's cut-off; None: rule off."""
    sweep_every: timedelta = timedelta(minutes=1)
    """How often the monitor looks for breaches."""

    @property
    def enabled(self) -> bool:
        """Whether any rule is on (otherwise there is nothing to monitor)."""
        return bool(
            self.not_booked_within or self.ack_855_within or self.invoice_cutoff is not None
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Breach:
    """One missed service level: one order (one shipment, for ``not_invoiced``)."""

    rule: SlaRule
    order_id: str
    system: str
    """The system that owes the step: the ERP, the EDI partner's channel, the invoicing ERP."""
    summary: str
    due_at: datetime
    subject: str = ""
    """What within the order missed it (the shipment id for ``not_invoiced``)."""
    channel: str = ""
    customer_id: str = ""

    @property
    def exception_id(self) -> str:
        """The same id for the same breach, however often it is found: raised once."""
        key = f"{self.rule}|{self.order_id}|{self.subject}".encode()
        return f"sla-{self.rule}-{hashlib.sha256(key).hexdigest()[:32]}"

    @property
    def operation(self) -> str:
        """The exception's operation: the rule, and the shipment when there is one."""
        return f"sla:{self.rule}" + (f":{self.subject}" if self.subject else "")
