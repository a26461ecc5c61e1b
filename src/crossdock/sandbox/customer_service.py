"""CustomerService: the helpdesk that receives order status updates from the hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.idempotency import IdempotencyStore
from crossdock.sandbox.service import SandboxService, read_model

SCHEMA = """
CREATE TABLE IF NOT EXISTS status_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE,
    order_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_updates_order ON status_updates (order_id);
"""
SCOPE = "POST /api/status-updates"


class CustomerServiceConfig(BaseModel):
    """How the customer service system behaves."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds every random choice.")
    faults: FaultConfig = Field(default_factory=FaultConfig)


class _StatusUpdateIn(BaseModel):
    order_id: str = Field(min_length=1)
    channel_order_number: str | None = None
    customer_po: str | None = None
    status: str = Field(min_length=1)
    detail: dict[str, Any] = Field(default_factory=dict)


class CustomerService(SandboxService):
    """Stores order status updates. A repeated `Idempotency-Key` answers 200 with the first
    record and stores nothing new; without a key every POST is stored."""

    name = "customer_service"

    def __init__(
        self,
        config: CustomerServiceConfig,
        db_path: str | Path = MEMORY,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        self.db.executescript(SCHEMA)
        self.keys = IdempotencyStore(self.db)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/status-updates", self._create, methods=["POST"]),
            Route("/api/status-updates", self._list, methods=["GET"]),
        ]

    async def _create(self, request: Request) -> Response:
        update = await read_model(request, _StatusUpdateIn)
        key = request.headers.get("Idempotency-Key")
        now = self.clock.now()
        with self.db.transaction() as conn:
            if key:
                stored = self.keys.lookup(conn, SCOPE, key)
                if stored is not None:
                    return JSONResponse(stored.body, 200)
            seq = conn.execute(
                "INSERT INTO status_updates (order_id, body) VALUES (?, ?)",
                (update.order_id, "{}"),
            ).lastrowid
            assert seq is not None
            body = {
                "id": f"SU-{seq:06d}",
                **update.model_dump(mode="json"),
                "received_at": now.isoformat(),
            }
            conn.execute(
                "UPDATE status_updates SET id = ?, body = ? WHERE seq = ?",
                (body["id"], orjson.dumps(body).decode(), seq),
            )
            if key:
                self.keys.remember(
                    conn, SCOPE, key, fingerprint=self.keys.fingerprint(body), status=201, body=body
                )
            self.ledger.record(
                conn,
                kind="status_update",
                doc_id=body["id"],
                external_ref=update.order_id,
                at=now,
                body=body,
            )
        return JSONResponse(body, 201)

    async def _list(self, request: Request) -> Response:
        order_id = request.query_params.get("order_id")
        where, params = ("WHERE order_id = ?", [order_id]) if order_id is not None else ("", [])
        rows = self.db.query(f"SELECT body FROM status_updates {where} ORDER BY seq", params)
        return JSONResponse({"items": [orjson.loads(r["body"]) for r in rows]})
