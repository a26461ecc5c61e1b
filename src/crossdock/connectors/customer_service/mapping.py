"""Canonical status notifications → the customer service system's JSON. Pure functions."""

from __future__ import annotations

from crossdock.connectors.customer_service.client import NewStatusUpdate
from crossdock.orchestration.messages import NotifyStatus


def new_status_update(command: NotifyStatus) -> NewStatusUpdate:
    """The status update that tells customer service where the order stands."""
    return NewStatusUpdate(
        order_id=command.order_id,
        channel_order_number=command.channel_order_number,
        customer_po=command.customer_po,
        status=command.status,
        detail=dict(command.detail),
    )
