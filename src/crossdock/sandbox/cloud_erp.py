"""CloudErp: the entity-B ERP. camelCase REST that honours `Idempotency-Key` like Stripe."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox.catalog import money, quantity
from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.faults import FaultConfig, Refusal
from crossdock.sandbox.idempotency import IdempotencyStore
from crossdock.sandbox.pricing import InvoiceArithmetic, check_invoice_arithmetic
from crossdock.sandbox.reject_rule import RejectRule, first_rejection
from crossdock.sandbox.service import InvalidRequest, ModelT, SandboxService

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales_orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    document_number TEXT UNIQUE,
    external_reference TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    external_reference TEXT NOT NULL,
    body TEXT NOT NULL
);
"""

PROBLEM_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class CloudErpFaults(FaultConfig):
    """Faults of the cloud ERP, on top of the common ones."""

    reject_when: list[RejectRule] = Field(
        default_factory=list,
        description="Poison values: a `POST /v1/salesOrders` whose body matches a rule is "
        "refused with a 422 problem naming the field; nothing is written and the "
        "Idempotency-Key is not remembered. Paths are camelCase as sent: "
        "`externalReference`, `customerNumber`, `currency`, `shipTo.<key>`, "
        "`lines.<n|*>.itemNumber`, `lines.<n|*>.quantity`.",
    )


class CloudErpConfig(BaseModel):
    """How the cloud ERP behaves."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds the catalog and every random choice.")
    faults: CloudErpFaults = Field(default_factory=CloudErpFaults)
    legal_entity: str = Field("B", description="The only legal entity it books for.")
    tax_code: str = Field("US-WEST", description="Tax code attached to every sales order.")
    tax_rate: Decimal = Field(Decimal("0.0725"), description="Rate of that tax code.")


class _Camel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _LineIn(_Camel):
    lineNumber: int = Field(gt=0)  # noqa: N815 - the wire format is camelCase
    itemNumber: str  # noqa: N815
    quantity: Decimal
    unitPrice: Decimal | None = None  # noqa: N815


class _SalesOrderIn(_Camel):
    externalReference: str = Field(min_length=1)  # noqa: N815
    customerNumber: str  # noqa: N815
    currency: str
    shipTo: dict[str, Any] = Field(default_factory=dict)  # noqa: N815
    lines: list[_LineIn] = Field(min_length=1)


class _InvoiceLineIn(_Camel):
    lineNumber: int = Field(gt=0)  # noqa: N815
    itemNumber: str  # noqa: N815
    quantity: Decimal
    unitPrice: Decimal  # noqa: N815
    amount: Decimal


class _InvoiceIn(_Camel):
    externalReference: str = Field(min_length=1)  # noqa: N815
    salesOrderNumber: str  # noqa: N815
    currency: str
    lines: list[_InvoiceLineIn] = Field(min_length=1)
    subtotal: Decimal
    taxAmount: Decimal  # noqa: N815
    total: Decimal


def problem(
    status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An RFC 9457 problem body."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": PROBLEM_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["errors"] = [{"field": field, "detail": detail}]
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


Create = Callable[[sqlite3.Connection, dict[str, Any], datetime], tuple[int, dict[str, Any]]]


class CloudErp(SandboxService):
    """Cloud ERP for legal entity B. Every POST needs an `Idempotency-Key`.

    Same key and same body: the stored response is replayed and nothing is created. Same key
    and another body: 422. No key: 400. Fault refusals (429, 503) are problems too.
    """

    name = "cloud_erp"

    def __init__(
        self, config: CloudErpConfig, db_path: str | Path = MEMORY, clock: Clock | None = None
    ) -> None:
        self.config = config
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        self.db.executescript(SCHEMA)
        self.keys = IdempotencyStore(self.db)

    def render_invalid(self, error: InvalidRequest) -> Response:
        return problem(error.status, error.message, error.field)

    def render_refusal(self, refusal: Refusal) -> Response:
        return problem(refusal.status, refusal.detail, headers=refusal.headers())

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/salesOrders", self._find_sales_orders, methods=["GET"]),
            Route("/v1/salesOrders", self._create_sales_order, methods=["POST"]),
            Route("/v1/salesOrders/{id}", self._get_sales_order, methods=["GET"]),
            Route("/v1/salesOrders/{id}/cancel", self._cancel, methods=["POST"]),
            Route("/v1/invoices", self._find_invoices, methods=["GET"]),
            Route("/v1/invoices", self._create_invoice, methods=["POST"]),
        ]

    # -- the idempotent envelope -------------------------------------------------------------

    async def _idempotent(self, request: Request, scope: str, create: Create) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return problem(400, "the Idempotency-Key header is required")
        try:
            payload = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            return problem(400, "body is not valid JSON")
        fingerprint = self.keys.fingerprint(payload)
        now = self.clock.now()
        with self.db.transaction() as conn:
            stored = self.keys.lookup(conn, scope, key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    return problem(422, "Idempotency-Key reused with a different request")
                return JSONResponse(stored.body, stored.status)
            status, body = create(conn, payload, now)
            self.keys.remember(conn, scope, key, fingerprint=fingerprint, status=status, body=body)
        return JSONResponse(body, status)

    @staticmethod
    def _parse(model: type[ModelT], payload: dict[str, Any]) -> ModelT:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidRequest(first["msg"], ".".join(map(str, first["loc"]))) from exc

    # -- sales orders ------------------------------------------------------------------------

    async def _create_sales_order(self, request: Request) -> Response:
        return await self._idempotent(request, "POST /v1/salesOrders", self._book)

    def _book(
        self, conn: sqlite3.Connection, payload: dict[str, Any], now: datetime
    ) -> tuple[int, dict[str, Any]]:
        order = self._parse(_SalesOrderIn, payload)
        faults = self.faults
        assert isinstance(faults, CloudErpFaults)
        rejection = first_rejection(faults.reject_when, payload)
        if rejection is not None:
            raise InvalidRequest(rejection.message, rejection.field)
        customer = self.catalog.customer(order.customerNumber)
        if customer is None:
            raise InvalidRequest("unknown customer", "customerNumber")
        if customer.legal_entity != self.config.legal_entity:
            raise InvalidRequest(
                f"customer belongs to legal entity {customer.legal_entity}", "customerNumber"
            )
        if order.currency != customer.currency:
            raise InvalidRequest(f"customer currency is {customer.currency}", "currency")
        lines = []
        for i, line in enumerate(order.lines):
            price = self.catalog.list_price(line.itemNumber)
            if price is None:
                raise InvalidRequest("unknown item", f"lines.{i}.itemNumber")
            if line.quantity <= 0:
                raise InvalidRequest("quantity must be positive", f"lines.{i}.quantity")
            lines.append(
                {
                    "lineNumber": line.lineNumber,
                    "itemNumber": line.itemNumber,
                    "quantity": quantity(line.quantity),
                    "unitPrice": money(price),
                }
            )
        so_id = str(uuid.uuid4())
        seq = conn.execute(
            "INSERT INTO sales_orders (id, external_reference, status, body) VALUES (?,?,?,?)",
            (so_id, order.externalReference, "Open", "{}"),
        ).lastrowid
        assert seq is not None
        body: dict[str, Any] = {
            "id": so_id,
            "documentNumber": f"CSO-{seq:06d}",
            "externalReference": order.externalReference,
            "customerNumber": order.customerNumber,
            "currency": order.currency,
            "status": "Open",
            "shipTo": order.shipTo,
            "lines": lines,
            "tax": {"taxCode": self.config.tax_code, "rate": str(self.config.tax_rate)},
            "createdAt": now.isoformat(),
        }
        conn.execute(
            "UPDATE sales_orders SET document_number = ?, body = ? WHERE seq = ?",
            (body["documentNumber"], orjson.dumps(body).decode(), seq),
        )
        self.ledger.record(
            conn,
            kind="sales_order",
            doc_id=body["documentNumber"],
            external_ref=order.externalReference,
            at=now,
            body=body,
        )
        return 201, body

    def _sales_order(self, row: Any) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(row["body"])
        body["status"] = row["status"]
        return body

    async def _find_sales_orders(self, request: Request) -> Response:
        ref = request.query_params.get("externalReference")
        where, params = ("WHERE external_reference = ?", [ref]) if ref is not None else ("", [])
        rows = self.db.query(f"SELECT * FROM sales_orders {where} ORDER BY seq", params)
        return JSONResponse({"value": [self._sales_order(r) for r in rows]})

    async def _get_sales_order(self, request: Request) -> Response:
        rows = self.db.query(
            "SELECT * FROM sales_orders WHERE id = ?", (request.path_params["id"],)
        )
        if not rows:
            return problem(404, "sales order not found")
        return JSONResponse(self._sales_order(rows[0]))

    async def _cancel(self, request: Request) -> Response:
        so_id = request.path_params["id"]
        if not self.db.query("SELECT 1 FROM sales_orders WHERE id = ?", (so_id,)):
            return problem(404, "sales order not found")

        def cancel(
            conn: sqlite3.Connection, _payload: dict[str, Any], now: datetime
        ) -> tuple[int, dict[str, Any]]:
            row = conn.execute("SELECT * FROM sales_orders WHERE id = ?", (so_id,)).fetchone()
            if row["status"] != "Cancelled":
                conn.execute("UPDATE sales_orders SET status = 'Cancelled' WHERE id = ?", (so_id,))
                self.ledger.record(
                    conn,
                    kind="sales_order_cancellation",
                    doc_id=so_id,
                    external_ref=row["external_reference"],
                    at=now,
                    body={"id": so_id},
                )
            number = orjson.loads(row["body"])["documentNumber"]
            return 200, {"id": so_id, "documentNumber": number, "status": "Cancelled"}

        return await self._idempotent(request, f"POST /v1/salesOrders/{so_id}/cancel", cancel)

    # -- invoices ----------------------------------------------------------------------------

    async def _create_invoice(self, request: Request) -> Response:
        return await self._idempotent(request, "POST /v1/invoices", self._post_invoice)

    def _post_invoice(
        self, conn: sqlite3.Connection, payload: dict[str, Any], now: datetime
    ) -> tuple[int, dict[str, Any]]:
        invoice = self._parse(_InvoiceIn, payload)
        known = conn.execute(
            "SELECT 1 FROM sales_orders WHERE document_number = ? OR id = ?",
            (invoice.salesOrderNumber, invoice.salesOrderNumber),
        ).fetchone()
        if known is None:
            raise InvalidRequest("unknown sales order", "salesOrderNumber")
        check_invoice_arithmetic(
            InvoiceArithmetic(
                lines=[(ln.quantity, ln.unitPrice, ln.amount) for ln in invoice.lines],
                subtotal=invoice.subtotal,
                tax_amount=invoice.taxAmount,
                total=invoice.total,
            ),
            field_names=("lines", "amount", "subtotal", "total"),
        )
        inv_id = str(uuid.uuid4())
        seq = conn.execute(
            "INSERT INTO invoices (id, external_reference, body) VALUES (?,?,?)",
            (inv_id, invoice.externalReference, "{}"),
        ).lastrowid
        assert seq is not None
        body: dict[str, Any] = {
            "id": inv_id,
            "documentNumber": f"CINV-{seq:06d}",
            "externalReference": invoice.externalReference,
            "salesOrderNumber": invoice.salesOrderNumber,
            "currency": invoice.currency,
            "status": "Posted",
            "lines": [
                {
                    "lineNumber": ln.lineNumber,
                    "itemNumber": ln.itemNumber,
                    "quantity": quantity(ln.quantity),
                    "unitPrice": money(ln.unitPrice),
                    "amount": money(ln.amount),
                }
                for ln in invoice.lines
            ],
            "subtotal": money(invoice.subtotal),
            "taxAmount": money(invoice.taxAmount),
            "total": money(invoice.total),
            "createdAt": now.isoformat(),
        }
        conn.execute(
            "UPDATE invoices SET body = ? WHERE seq = ?", (orjson.dumps(body).decode(), seq)
        )
        self.ledger.record(
            conn,
            kind="invoice",
            doc_id=body["documentNumber"],
            external_ref=invoice.externalReference,
            at=now,
            body=body,
        )
        return 201, body

    async def _find_invoices(self, request: Request) -> Response:
        ref = request.query_params.get("externalReference")
        where, params = ("WHERE external_reference = ?", [ref]) if ref is not None else ("", [])
        rows = self.db.query(f"SELECT body FROM invoices {where} ORDER BY seq", params)
        return JSONResponse({"value": [orjson.loads(r["body"]) for r in rows]})
