"""LegacyErp: the entity-A ERP and system of record for master data. REST, no idempotency."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox.catalog import money, quantity
from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.pricing import InvoiceArithmetic, check_invoice_arithmetic
from crossdock.sandbox.reject_rule import RejectRule, first_rejection
from crossdock.sandbox.service import InvalidRequest, SandboxService, read_model

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales_orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT UNIQUE NOT NULL,
    external_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sales_orders_ref ON sales_orders (external_ref);
CREATE TABLE IF NOT EXISTS invoices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT UNIQUE NOT NULL,
    external_ref TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_ref ON invoices (external_ref);
"""


class LegacyErpFaults(FaultConfig):
    """Faults of the legacy ERP, on top of the common ones."""

    lost_response_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Probability that a created sales order/invoice is committed and then "
        "answered with 504, as if the response was lost on the way back.",
    )
    price_drift_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Share of SKUs whose list price is 5% above the catalog; decided per SKU "
        "from the seed, so it is stable for a run.",
    )
    reject_when: list[RejectRule] = Field(
        default_factory=list,
        description="Poison values: a `POST /api/sales-orders` whose body matches a rule is "
        "refused with 422 `{error, field}` and nothing is written, however often it is sent. "
        "Paths are snake_case as sent: `external_ref`, `customer_id`, `currency`, "
        "`ship_to.<key>`, `lines.<n|*>.sku`, `lines.<n|*>.quantity`.",
    )


class LegacyErpConfig(BaseModel):
    """How the legacy ERP behaves."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds the catalog and every random choice.")
    faults: LegacyErpFaults = Field(default_factory=LegacyErpFaults)
    legal_entity: str = Field("A", description="The only legal entity it books for.")
    tax_code: str = Field("US-EAST", description="Tax code attached to every sales order.")
    tax_rate: Decimal = Field(Decimal("0.0825"), description="Rate of that tax code.")


class _LineIn(BaseModel):
    line_no: int = Field(gt=0)
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None


class _SalesOrderIn(BaseModel):
    external_ref: str = Field(min_length=1)
    customer_id: str
    currency: str
    ship_to: dict[str, Any] = Field(default_factory=dict)
    lines: list[_LineIn] = Field(min_length=1)


class _InvoiceLineIn(BaseModel):
    line_no: int = Field(gt=0)
    sku: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class _InvoiceIn(BaseModel):
    external_ref: str = Field(min_length=1)
    sales_order_number: str
    currency: str
    lines: list[_InvoiceLineIn] = Field(min_length=1)
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


class LegacyErp(SandboxService):
    """Legacy ERP for legal entity A: books sales orders at its own list prices, posts invoices.

    It has no idempotency: a repeated POST creates a second document. A lost response
    (`lost_response_rate`) commits the document and answers 504; clients must look it up by
    `external_ref` before retrying.
    """

    name = "legacy_erp"

    def __init__(
        self, config: LegacyErpConfig, db_path: str | Path = MEMORY, clock: Clock | None = None
    ) -> None:
        self.config = config
        self._drifted: frozenset[str] = frozenset()
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        self.db.executescript(SCHEMA)
        self.faults_changed()

    @property
    def legacy_faults(self) -> LegacyErpFaults:
        faults = self.faults
        assert isinstance(faults, LegacyErpFaults)
        return faults

    def faults_changed(self) -> None:
        rate = self.legacy_faults.price_drift_rate
        self._drifted = frozenset(
            p.sku
            for p in self.catalog.products
            if rate > 0 and random.Random(f"drift:{self.seed}:{p.sku}").random() < rate
        )

    def list_price(self, sku: str) -> Decimal | None:
        """The ERP's own price: the catalog price, 5% up for drifted SKUs."""
        price = self.catalog.list_price(sku)
        if price is None or sku not in self._drifted:
            return price
        return (price * Decimal("1.05")).quantize(Decimal("0.01"))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/customers", self._customers, methods=["GET"]),
            Route("/api/products", self._products, methods=["GET"]),
            Route("/api/prices", self._prices, methods=["GET"]),
            Route("/api/sales-orders", self._find_sales_orders, methods=["GET"]),
            Route("/api/sales-orders", self._create_sales_order, methods=["POST"]),
            Route("/api/sales-orders/{number}", self._get_sales_order, methods=["GET"]),
            Route("/api/sales-orders/{number}/cancel", self._cancel, methods=["POST"]),
            Route("/api/invoices", self._find_invoices, methods=["GET"]),
            Route("/api/invoices", self._create_invoice, methods=["POST"]),
        ]

    # -- master data -------------------------------------------------------------------------

    async def _customers(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "items": [
                    {
                        "customer_id": c.customer_id,
                        "name": c.name,
                        "email": c.email,
                        "legal_entity": c.legal_entity,
                        "region": c.region,
                        "currency": c.currency,
                    }
                    for c in self.catalog.customers
                ]
            }
        )

    async def _products(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "items": [
                    {"sku": p.sku, "description": p.description, "uom": p.uom, "active": p.active}
                    for p in self.catalog.products
                ]
            }
        )

    async def _prices(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "items": [
                    {
                        "sku": p.sku,
                        "currency": p.currency,
                        "unit_price": money(self.list_price(p.sku) or p.unit_price),
                        "customer_id": None,
                    }
                    for p in self.catalog.prices
                ]
            }
        )

    # -- sales orders ------------------------------------------------------------------------

    def _sales_order(self, row: Any) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(row["body"])
        body["status"] = row["status"]
        return body

    async def _find_sales_orders(self, request: Request) -> Response:
        ref = request.query_params.get("external_ref")
        where, params = ("WHERE external_ref = ?", [ref]) if ref is not None else ("", [])
        rows = self.db.query(f"SELECT * FROM sales_orders {where} ORDER BY seq", params)
        return JSONResponse({"items": [self._sales_order(r) for r in rows]})

    async def _get_sales_order(self, request: Request) -> Response:
        rows = self.db.query(
            "SELECT * FROM sales_orders WHERE number = ?", (request.path_params["number"],)
        )
        if not rows:
            return JSONResponse({"error": "sales order not found"}, 404)
        return JSONResponse(self._sales_order(rows[0]))

    def _check_order(self, order: _SalesOrderIn) -> None:
        customer = self.catalog.customer(order.customer_id)
        if customer is None:
            raise InvalidRequest("unknown customer", "customer_id")
        if customer.legal_entity != self.config.legal_entity:
            raise InvalidRequest(
                f"customer belongs to legal entity {customer.legal_entity}, this ERP books "
                f"{self.config.legal_entity}",
                "customer_id",
            )
        if order.currency != customer.currency:
            raise InvalidRequest(f"customer currency is {customer.currency}", "currency")
        for i, line in enumerate(order.lines):
            if self.list_price(line.sku) is None:
                raise InvalidRequest("unknown sku", f"lines.{i}.sku")
            if line.quantity <= 0:
                raise InvalidRequest("quantity must be positive", f"lines.{i}.quantity")

    async def _create_sales_order(self, request: Request) -> Response:
        order = await read_model(request, _SalesOrderIn)
        rejection = first_rejection(
            self.legacy_faults.reject_when, orjson.loads(await request.body())
        )
        if rejection is not None:
            raise InvalidRequest(rejection.message, rejection.field)
        self._check_order(order)
        now = self.clock.now()
        with self.db.transaction() as conn:
            seq = conn.execute(
                "INSERT INTO sales_orders (number, external_ref, status, body) VALUES (?,?,?,?)",
                ("pending", order.external_ref, "open", "{}"),
            ).lastrowid
            assert seq is not None
            number = f"SO-{100000 + seq}"
            body = {
                "number": number,
                "external_ref": order.external_ref,
                "customer_id": order.customer_id,
                "currency": order.currency,
                "status": "open",
                "ship_to": order.ship_to,
                "lines": [
                    {
                        "line_no": line.line_no,
                        "sku": line.sku,
                        "quantity": quantity(line.quantity),
                        "unit_price": money(self.list_price(line.sku) or Decimal(0)),
                    }
                    for line in order.lines
                ],
                "tax": {"code": self.config.tax_code, "rate": str(self.config.tax_rate)},
                "created_at": now.isoformat(),
            }
            conn.execute(
                "UPDATE sales_orders SET number = ?, body = ? WHERE seq = ?",
                (number, orjson.dumps(body).decode(), seq),
            )
            self.ledger.record(
                conn,
                kind="sales_order",
                doc_id=number,
                external_ref=order.external_ref,
                at=now,
                body=body,
            )
        return self._answer(body)

    async def _cancel(self, request: Request) -> Response:
        number = request.path_params["number"]
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT status FROM sales_orders WHERE number = ?", (number,)
            ).fetchone()
            if row is None:
                return JSONResponse({"error": "sales order not found"}, 404)
            if row["status"] != "cancelled":
                conn.execute(
                    "UPDATE sales_orders SET status = 'cancelled' WHERE number = ?", (number,)
                )
                self.ledger.record(
                    conn,
                    kind="sales_order_cancellation",
                    doc_id=number,
                    external_ref=None,
                    at=self.clock.now(),
                    body={"number": number},
                )
        return JSONResponse({"number": number, "status": "cancelled"})

    # -- invoices ----------------------------------------------------------------------------

    async def _find_invoices(self, request: Request) -> Response:
        ref = request.query_params.get("external_ref")
        where, params = ("WHERE external_ref = ?", [ref]) if ref is not None else ("", [])
        rows = self.db.query(f"SELECT body FROM invoices {where} ORDER BY seq", params)
        return JSONResponse({"items": [orjson.loads(r["body"]) for r in rows]})

    async def _create_invoice(self, request: Request) -> Response:
        invoice = await read_model(request, _InvoiceIn)
        if not self.db.query(
            "SELECT 1 FROM sales_orders WHERE number = ?", (invoice.sales_order_number,)
        ):
            raise InvalidRequest("unknown sales order", "sales_order_number")
        check_invoice_arithmetic(
            InvoiceArithmetic(
                lines=[(ln.quantity, ln.unit_price, ln.amount) for ln in invoice.lines],
                subtotal=invoice.subtotal,
                tax_amount=invoice.tax_amount,
                total=invoice.total,
            ),
            field_names=("lines", "amount", "subtotal", "total"),
        )
        now = self.clock.now()
        with self.db.transaction() as conn:
            seq = conn.execute(
                "INSERT INTO invoices (number, external_ref, body) VALUES (?,?,?)",
                ("pending", invoice.external_ref, "{}"),
            ).lastrowid
            assert seq is not None
            number = f"INV-{200000 + seq}"
            body = {
                "number": number,
                "external_ref": invoice.external_ref,
                "sales_order_number": invoice.sales_order_number,
                "currency": invoice.currency,
                "status": "posted",
                "lines": [
                    {
                        "line_no": ln.line_no,
                        "sku": ln.sku,
                        "quantity": quantity(ln.quantity),
                        "unit_price": money(ln.unit_price),
                        "amount": money(ln.amount),
                    }
                    for ln in invoice.lines
                ],
                "subtotal": money(invoice.subtotal),
                "tax_amount": money(invoice.tax_amount),
                "total": money(invoice.total),
                "created_at": now.isoformat(),
            }
            conn.execute(
                "UPDATE invoices SET number = ?, body = ? WHERE seq = ?",
                (number, orjson.dumps(body).decode(), seq),
            )
            self.ledger.record(
                conn,
                kind="invoice",
                doc_id=number,
                external_ref=invoice.external_ref,
                at=now,
                body=body,
            )
        return self._answer(body)

    def _answer(self, body: dict[str, Any]) -> Response:
        """201, unless the response is 'lost' after the commit (the document exists anyway)."""
        if self.injector.chance(self.legacy_faults.lost_response_rate):
            return JSONResponse({"error": "gateway timeout"}, 504)
        return JSONResponse(body, 201)
