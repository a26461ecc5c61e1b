"""Wms: the warehouse. Accepts fulfilments, works them through pick/pack/ship, tells the hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox.catalog import LOCATIONS, quantity
from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.idempotency import IdempotencyStore
from crossdock.sandbox.outbox import Outbox, WebhookSender, dispatch_due
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.service import InvalidRequest, SandboxService, read_model
from crossdock.sandbox.shipment_plan import PlanLine
from crossdock.sandbox.warehouse_floor import WarehouseFloor

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS fulfilments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fulfilment_id TEXT UNIQUE,
    order_id TEXT UNIQUE NOT NULL,
    location TEXT NOT NULL,
    ship_to_name TEXT NOT NULL,
    lines TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""
SCOPE = "POST /api/fulfilments"


class WmsFaults(FaultConfig):
    """Faults and behaviours of the WMS, on top of the common ones."""

    split_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Probability an order ships as two "
        "shipments (lines split across them, or one line's quantity).",
    )
    short_ship_rate: float = Field(
        0, ge=0, le=1, description="Probability one line ships less than ordered."
    )
    duplicate_event_rate: float = Field(
        0, ge=0, le=1, description="Probability an event is posted twice."
    )
    reorder_events_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Probability a fulfilment's events reach the hub out of order: they are "
        "held until its last milestone (or its cancellation), then sent in a seeded shuffle "
        "that is never picked → packed → shipped. Decided per order id; duplicates still "
        "apply, and a duplicate may land anywhere in the shuffle.",
    )


class WmsConfig(BaseModel):
    """How the WMS behaves."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds the catalog and every random choice.")
    faults: WmsFaults = Field(default_factory=WmsFaults)
    pick_delay_s: float = Field(0, ge=0, description="Acceptance (or previous shipment) to picked.")
    pack_delay_s: float = Field(0, ge=0, description="Picked to packed.")
    ship_delay_s: float = Field(0, ge=0, description="Packed to shipped.")
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy, description="Backoff while the hub refuses an event."
    )
    webhook_path: str = Field("/webhooks/wms", description="Appended to the hub URL.")
    dispatch_concurrency: int = Field(
        32, ge=1, description="Fulfilments whose next event is sent at once."
    )


class _LineIn(BaseModel):
    line_no: int = Field(gt=0)
    sku: str
    quantity: Decimal


class _FulfilmentIn(BaseModel):
    order_id: str = Field(min_length=1)
    location: str
    ship_to_name: str = ""
    lines: list[_LineIn] = Field(min_length=1)


class Wms(SandboxService):
    """The warehouse: fulfilment requests in, pick/pack/ship milestones out to the hub.

    Milestone events are written to the outbox in the transaction that moves the shipment,
    and a background dispatcher (started by `start()`) posts them, signed, until the hub
    answers 2xx: at least once, in order per fulfilment.
    """

    name = "wms"

    def __init__(
        self,
        config: WmsConfig,
        db_path: str | Path = MEMORY,
        hub_client: httpx.AsyncClient | None = None,
        hub_url: str = "http://127.0.0.1:8000",
        secret: str = "wms-secret",
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        self.db.executescript(SCHEMA)
        self.keys = IdempotencyStore(self.db)
        self.outbox = Outbox(self.db)
        self._hub_client = hub_client
        self._own_client: httpx.AsyncClient | None = None
        self._hub_url = hub_url.rstrip("/") + config.webhook_path
        self._secret = secret
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.floor = WarehouseFloor(self.db, self.ledger, self.catalog, config.seed)

    @property
    def wms_faults(self) -> WmsFaults:
        faults = self.faults
        assert isinstance(faults, WmsFaults)
        return faults

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/inventory", self._inventory, methods=["GET"]),
            Route("/api/fulfilments", self._accept, methods=["POST"]),
            Route("/api/fulfilments/{id}", self._get, methods=["GET"]),
            Route("/api/fulfilments/{id}/cancel", self._cancel, methods=["POST"]),
        ]

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        if self._task is None:
            client = self._hub_client
            if client is None:
                client = self._own_client = httpx.AsyncClient(timeout=10)
            sender = WebhookSender(client, self._hub_url, self._secret)
            self._task = asyncio.create_task(self._run(sender), name="sandbox-wms-dispatcher")

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None

    def wake(self) -> None:
        """Make the dispatcher look at the floor and the outbox now (e.g. after moving a clock)."""
        self._wake.set()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def _run(self, sender: WebhookSender) -> None:
        while True:
            self._wake.clear()
            try:
                faults = self.wms_faults
                self.floor.advance(
                    self._now(),
                    duplicate_event_rate=faults.duplicate_event_rate,
                    reorder_events_rate=faults.reorder_events_rate,
                )
                attempted = await dispatch_due(
                    self.outbox,
                    sender,
                    self.config.retry,
                    now=self._now,
                    limit=self.config.dispatch_concurrency,
                )
            except Exception:
                log.exception("WMS dispatcher failed; retrying in 1 s")
                timeout: float | None = 1.0
            else:
                if attempted:
                    continue
                timeout = self._seconds_to_next()
            if timeout is not None and timeout <= 0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _seconds_to_next(self) -> float | None:
        candidates = [
            t for t in (self.floor.next_due(), self.outbox.next_attempt_at()) if t is not None
        ]
        return None if not candidates else min(candidates) - self._now()

    # -- API ---------------------------------------------------------------------------------

    async def _inventory(self, _request: Request) -> Response:
        rows = self.db.query("SELECT * FROM inventory ORDER BY location, sku")
        return JSONResponse(
            {
                "items": [
                    {
                        "sku": r["sku"],
                        "location": r["location"],
                        "on_hand": r["on_hand"],
                        "safety_stock": r["safety_stock"],
                    }
                    for r in rows
                ]
            }
        )

    def _check(self, request: _FulfilmentIn) -> None:
        if request.location not in LOCATIONS:
            raise InvalidRequest(f"unknown location, expected one of {LOCATIONS}", "location")
        for i, line in enumerate(request.lines):
            if self.catalog.list_price(line.sku) is None:
                raise InvalidRequest("unknown sku", f"lines.{i}.sku")
            if line.quantity <= 0:
                raise InvalidRequest("quantity must be positive", f"lines.{i}.quantity")

    async def _accept(self, request: Request) -> Response:
        fulfilment = await read_model(request, _FulfilmentIn)
        key = request.headers.get("Idempotency-Key")
        fingerprint = self.keys.fingerprint(orjson.loads(await request.body()))
        with self.db.transaction() as conn:
            if key:
                stored = self.keys.lookup(conn, SCOPE, key)
                if stored is not None:
                    if stored.fingerprint != fingerprint:
                        return JSONResponse(
                            {"error": "Idempotency-Key reused with a different request"}, 422
                        )
                    return JSONResponse(stored.body, stored.status)
            existing = conn.execute(
                "SELECT * FROM fulfilments WHERE order_id = ?", (fulfilment.order_id,)
            ).fetchone()
            if existing is not None:
                return JSONResponse(
                    {
                        "fulfilment_id": existing["fulfilment_id"],
                        "order_id": existing["order_id"],
                        "status": existing["status"],
                    },
                    200,
                )
            self._check(fulfilment)
            body = self._create(conn, fulfilment)
            if key:
                self.keys.remember(conn, SCOPE, key, fingerprint=fingerprint, status=201, body=body)
        self._wake.set()
        return JSONResponse(body, 201)

    def _create(self, conn: sqlite3.Connection, request: _FulfilmentIn) -> dict[str, Any]:
        now = self.clock.now()
        lines = [
            {"line_no": ln.line_no, "sku": ln.sku, "quantity": quantity(ln.quantity)}
            for ln in request.lines
        ]
        seq = conn.execute(
            "INSERT INTO fulfilments (order_id, location, ship_to_name, lines, status, "
            "created_at) VALUES (?,?,?,?,?,?)",
            (
                request.order_id,
                request.location,
                request.ship_to_name,
                orjson.dumps(lines).decode(),
                "accepted",
                now.isoformat(),
            ),
        ).lastrowid
        assert seq is not None
        fulfilment_id = f"F-{seq:06d}"
        conn.execute("UPDATE fulfilments SET fulfilment_id = ? WHERE seq = ?", (fulfilment_id, seq))
        faults = self.wms_faults
        cfg = self.config
        plan = self.floor.schedule(
            conn,
            fulfilment_id=fulfilment_id,
            order_id=request.order_id,
            lines=[
                PlanLine(line_no=ln.line_no, sku=ln.sku, quantity=ln.quantity)
                for ln in request.lines
            ],
            start=now.timestamp(),
            delays=(cfg.pick_delay_s, cfg.pack_delay_s, cfg.ship_delay_s),
            split_rate=faults.split_rate,
            short_ship_rate=faults.short_ship_rate,
        )
        body = {"fulfilment_id": fulfilment_id, "order_id": request.order_id, "status": "accepted"}
        self.ledger.record(
            conn,
            kind="fulfilment",
            doc_id=fulfilment_id,
            external_ref=request.order_id,
            at=now,
            body={
                **body,
                "location": request.location,
                "lines": lines,
                "shipments": len(plan.shipments),
                "short_shipped": plan.short_shipped,
            },
        )
        return body

    async def _get(self, request: Request) -> Response:
        fulfilment_id = request.path_params["id"]
        rows = self.db.query("SELECT * FROM fulfilments WHERE fulfilment_id = ?", (fulfilment_id,))
        if not rows:
            return JSONResponse({"error": "fulfilment not found"}, 404)
        shipments = self.db.query(
            "SELECT * FROM shipments WHERE fulfilment_id = ? ORDER BY seq", (fulfilment_id,)
        )
        row = rows[0]
        return JSONResponse(
            {
                "fulfilment_id": fulfilment_id,
                "order_id": row["order_id"],
                "location": row["location"],
                "status": row["status"],
                "lines": orjson.loads(row["lines"]),
                "shipments": [
                    {
                        "shipment_id": s["shipment_id"],
                        "status": s["status"],
                        "final": bool(s["final"]),
                        "lines": orjson.loads(s["lines"]),
                        "cartons": orjson.loads(s["cartons"]),
                        "tracking_number": s["tracking_number"],
                    }
                    for s in shipments
                ],
            }
        )

    async def _cancel(self, request: Request) -> Response:
        fulfilment_id = request.path_params["id"]
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM fulfilments WHERE fulfilment_id = ?", (fulfilment_id,)
            ).fetchone()
            if row is None:
                return JSONResponse({"error": "fulfilment not found"}, 404)
            shipped = conn.execute(
                "SELECT 1 FROM shipments WHERE fulfilment_id = ? AND status = 'shipped'",
                (fulfilment_id,),
            ).fetchone()
            if shipped is not None:
                return JSONResponse({"error": "already shipped"}, 409)
            if row["status"] != "cancelled":
                conn.execute(
                    "UPDATE fulfilments SET status = 'cancelled' WHERE fulfilment_id = ?",
                    (fulfilment_id,),
                )
                self.floor.halt(conn, fulfilment_id, now=self._now())
                self.ledger.record(
                    conn,
                    kind="fulfilment_cancellation",
                    doc_id=fulfilment_id,
                    external_ref=row["order_id"],
                    at=self.clock.now(),
                    body={"fulfilment_id": fulfilment_id},
                )
        self._wake.set()  # events held back for reordering may have been released
        return JSONResponse(
            {"fulfilment_id": fulfilment_id, "order_id": row["order_id"], "status": "cancelled"}
        )
