"""Idempotency records: which response each partner's ``Idempotency-Key`` has already had.

A record is created when a request with a new key begins (``in_flight``, leased to the process
serving it until ``locked_until``) and completed with the response when it ends (``done``), or
deleted when the response is not worth keeping (a 5xx, a refusal the client may retry). It lives in
the hub's database beside the access store, so every API process sees the same keys: the primary
key ``(partner_id, idempotency_key)`` decides who begins first, on SQLite and PostgreSQL alike.

Every method is one short transaction; call them from a worker thread in async code. Database
failures leave as :class:`~crossdock.core.errors.RetryableError` (the client may try again).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from crossdock.core.errors import RetryableError
from crossdock.integration.store import schema as t
from crossdock.integration.store.engine import transaction

IDEMPOTENCY_TTL = timedelta(hours=24)
"""How long a key is remembered after its first request began; then it may be used again."""
IDEMPOTENCY_LEASE = timedelta(minutes=2)
"""How long a request may run before another process takes its key over (its process died)."""

IN_FLIGHT = "in_flight"
DONE = "done"

#: Claims that keep losing a race give up rather than spin; a winner always exists.
_ATTEMPTS = 8

_records = t.idempotency_records


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response a key had, replayed as it was."""

    status: int
    headers: tuple[tuple[str, str], ...]
    """Header names and values in the order the app sent them."""
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to serve a key: whoever holds it finishes or releases the record."""

    partner_id: str
    key: str
    locked_until: datetime
    """The lease; also the fence: a process whose key was taken over can no longer write."""


@dataclass(frozen=True, slots=True)
class Started:
    """The key is new (or expired, or abandoned): this request runs and owns the record."""

    claim: Claim


@dataclass(frozen=True, slots=True)
class Replay:
    """The same request already ran: answer with its response."""

    response: StoredResponse


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used for a different request (422): ``reason`` says how it differs."""

    reason: str


@dataclass(frozen=True, slots=True)
class InFlight:
    """The same key is being served right now (409); it is leased until ``locked_until``."""

    locked_until: datetime


Begun = Started | Replay | Mismatch | InFlight
"""What :meth:`IdempotencyStore.begin` decides."""


def _stored(row: Any) -> StoredResponse:
    headers = tuple((str(name), str(value)) for name, value in json.loads(row.response_headers))
    return StoredResponse(
        status=int(row.status_code), headers=headers, body=bytes(row.response_body or b"")
    )


class IdempotencyStore:
    """Idempotency records in the hub's database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _tx(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine, "idempotency store")

    def begin(
        self,
        partner_id: str,
        key: str,
        *,
        method: str,
        path: str,
        fingerprint: str,
        now: datetime,
        lease: timedelta = IDEMPOTENCY_LEASE,
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> Begun:
        """Begin a request with ``key``, or say why it must not run.

        A key unknown to ``partner_id`` (or expired, or left in flight by a process whose lease
        ran out) is claimed for this request. Otherwise a request for another method, path or
        body is a :class:`Mismatch`, the same request still running is :class:`InFlight`, and a
        finished one is a :class:`Replay`.
        """
        fresh = {
            "method": method,
            "path": path,
            "fingerprint": fingerprint,
            "state": IN_FLIGHT,
            "status_code": None,
            "response_headers": "[]",
            "response_body": None,
            "created_at": now,
            "locked_until": now + lease,
            "expires_at": now + ttl,
        }
        where = (_records.c.partner_id == partner_id, _records.c.idempotency_key == key)
        for _ in range(_ATTEMPTS):
            try:
                with self._tx() as c:
                    c.execute(
                        insert(_records).values(partner_id=partner_id, idempotency_key=key, **fresh)
                    )
                return Started(Claim(partner_id, key, now + lease))
            except IntegrityError:
                pass  # the key has a record: decide on it below
            with self._tx() as c:
                row = c.execute(select(_records).where(*where)).one_or_none()
                if row is None:
                    continue  # released or purged meanwhile: try to insert again
                if row.expires_at <= now or (row.state == IN_FLIGHT and row.locked_until <= now):
                    # Compare-and-set on the row as read: of two takers, one wins.
                    taken = c.execute(
                        update(_records)
                        .where(
                            *where,
                            _records.c.state == row.state,
                            _records.c.locked_until == row.locked_until,
                            _records.c.expires_at == row.expires_at,
                        )
                        .values(**fresh)
                    )
                    if taken.rowcount == 1:
                        return Started(Claim(partner_id, key, now + lease))
                    continue
            if (row.method, row.path) != (method, path):
                return Mismatch(f"the key was used for {row.method} {row.path}")
            if row.fingerprint != fingerprint:
                return Mismatch("the key was used with a different request body")
            if row.state == IN_FLIGHT:
                return InFlight(row.locked_until)
            return Replay(_stored(row))
        raise RetryableError(f"idempotency key {key!r} is contended; try again")

    def finish(
        self, claim: Claim, *, status: int, headers: Sequence[tuple[str, str]], body: bytes
    ) -> bool:
        """Keep the response of a claimed request; False when the claim was lost meanwhile."""
        with self._tx() as c:
            done = c.execute(
                update(_records)
                .where(*self._held(claim))
                .values(
                    state=DONE,
                    status_code=status,
                    response_headers=json.dumps([list(pair) for pair in headers]),
                    response_body=body,
                )
            )
        return bool(done.rowcount == 1)

    def release(self, claim: Claim) -> bool:
        """Forget a claimed request, so the key can be tried again; False when it was lost."""
        with self._tx() as c:
            gone = c.execute(delete(_records).where(*self._held(claim)))
        return bool(gone.rowcount == 1)

    def purge(self, now: datetime) -> int:
        """Delete the records that expired by ``now``; returns how many.

        A request still running under its lease keeps its record even past its expiry.
        """
        with self._tx() as c:
            gone = c.execute(
                delete(_records).where(
                    _records.c.expires_at <= now,
                    (_records.c.state == DONE) | (_records.c.locked_until <= now),
                )
            )
        return int(gone.rowcount)

    @staticmethod
    def _held(claim: Claim) -> tuple[Any, ...]:
        return (
            _records.c.partner_id == claim.partner_id,
            _records.c.idempotency_key == claim.key,
            _records.c.state == IN_FLIGHT,
            _records.c.locked_until == claim.locked_until,
        )
