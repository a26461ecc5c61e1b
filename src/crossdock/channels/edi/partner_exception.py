"""Exceptions the partner's side raises: refused 850s, rejected and unacknowledged documents.

They carry ``source`` ``partner``: what to do is agreed with the partner, so the exception desk
does not replay them (see :mod:`crossdock.orchestration.exception_desk`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from crossdock.orchestration.store import UnitOfWork
from crossdock.orchestration.store_ops import ExceptionRecord


def raise_partner_exception(
    uow: UnitOfWork,
    *,
    partner: str,
    order_id: str,
    operation: str,
    error_type: str,
    error: str,
    file_id: str,
    now: datetime,
    customer_id: str = "",
) -> ExceptionRecord:
    """Record one (a fresh id each time: the column holds 64 characters, document keys more)."""
    return uow.exceptions.raise_exception(
        ExceptionRecord(
            exception_id=f"edi-{uuid.uuid4().hex}",
            order_id=order_id,
            system=partner,
            operation=operation,
            source="partner",
            request={"file_id": file_id},
            error=error,
            error_type=error_type,
            first_seen=now,
            last_seen=now,
            channel=partner,
            customer_id=customer_id,
        )
    )
