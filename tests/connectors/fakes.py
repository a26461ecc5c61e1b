"""In-memory fakes of the estate's systems, behind ``httpx.MockTransport``.

Each fake records every request, implements the documented API just enough to answer it, counts
the documents it really creates (not replays), and injects faults on demand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx

Route = Callable[[httpx.Request, dict[str, str]], httpx.Response]


@dataclass
class Fault:
    """What the fake does instead of (or after) answering a matching request."""

    method: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: Exception | None = None
    after_commit: bool = False
    """Handle the request first (the document is created), then fail: a lost answer."""
    times: int | None = None
    """How many requests it hits; None for every one."""

    def hits(self, request: httpx.Request) -> bool:
        return request.method == self.method and self.times != 0


class FakeSystem:
    """Base of the fakes: routing, request log, fault injection and a creation count."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.created = 0
        self._faults: list[Fault] = []
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []

    # -- for tests ---------------------------------------------------------------------------

    def client(self) -> httpx.AsyncClient:
        """An HTTP client whose every request this fake answers."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def fail(self, method: str = "POST", **how: Any) -> None:
        """Make matching requests fail; see :class:`Fault`."""
        self._faults.append(Fault(method=method, **how))

    def sent(self, method: str, path_prefix: str = "") -> list[httpx.Request]:
        return [
            r for r in self.requests if r.method == method and r.url.path.startswith(path_prefix)
        ]

    # -- for subclasses ----------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    # -- the transport -----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = next((f for f in self._faults if f.hits(request)), None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
        if fault is not None and not fault.after_commit:
            return self._failure(fault)
        response = self._dispatch(request)
        return self._failure(fault) if fault is not None else response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.url.path)
            if method == request.method and match:
                params = {key: unquote(value) for key, value in match.groupdict().items()}
                return handler(request, params)
        return httpx.Response(404, json={"error": "no such route"})

    @staticmethod
    def _failure(fault: Fault) -> httpx.Response:
        if fault.error is not None:
            raise fault.error
        assert fault.status is not None
        return httpx.Response(fault.status, headers=fault.headers, json=fault.body)


def body(request: httpx.Request) -> dict[str, Any]:
    """The JSON body, with numbers as exact decimals (a float here would be a defect)."""
    parsed: dict[str, Any] = json.loads(request.content, parse_float=Decimal)
    return parsed


class Replays:
    """Stripe-style idempotency: same key and body replay the answer; another body is a 422."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], tuple[bytes, httpx.Response]] = {}

    def answer(
        self, request: httpx.Request, create: Callable[[], httpx.Response]
    ) -> httpx.Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return httpx.Response(400, json={"error": "Idempotency-Key is required"})
        scope = (request.url.path, key)
        if scope in self._answers:
            content, response = self._answers[scope]
            if content != request.content:
                return httpx.Response(422, json={"error": "key reused with another body"})
            return httpx.Response(200, json=response.json())
        response = create()
        if response.is_success:
            self._answers[scope] = (request.content, response)
        return response


class FakeLegacyErp(FakeSystem):
    """The legacy ERP: no idempotency; documents found by ``external_ref``."""

    def __init__(self) -> None:
        super().__init__()
        self.sales_orders: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.route("GET", "/api/customers", self._customers)
        self.route("GET", "/api/products", self._products)
        self.route("GET", "/api/prices", self._prices)
        self.route("GET", "/api/sales-orders", self._find_sales_orders)
        self.route("POST", "/api/sales-orders", self._create_sales_order)
        self.route("POST", "/api/sales-orders/(?P<number>[^/]+)/cancel", self._cancel)
        self.route("GET", "/api/invoices", self._find_invoices)
        self.route("POST", "/api/invoices", self._create_invoice)

    def book(self, external_ref: str, lines: list[dict[str, Any]] | None = None) -> str:
        """A sales order that already exists; returns its number."""
        number = f"SO-{100001 + len(self.sales_orders)}"
        self.sales_orders[number] = {
            "number": number,
            "external_ref": external_ref,
            "status": "open",
            "lines": lines or [],
            "tax": {"code": "US-EAST", "rate": "0.0825"},
        }
        return number

    def _customers(self, _: httpx.Request, __: dict[str, str]) -> httpx.Response:
        item = {
            "customer_id": "C-001",
            "name": "Acme Hardware",
            "email": "buyer@acme.test",
            "legal_entity": "A",
            "region": "east",
            "currency": "USD",
        }
        return httpx.Response(200, json={"items": [item]})

    def _products(self, _: httpx.Request, __: dict[str, str]) -> httpx.Response:
        item = {"sku": "SKU-1", "description": "Hex bolt M8", "uom": "BX", "active": True}
        return httpx.Response(200, json={"items": [item]})

    def _prices(self, _: httpx.Request, __: dict[str, str]) -> httpx.Response:
        items = [
            {"sku": "SKU-1", "currency": "USD", "unit_price": "12.50", "customer_id": None},
            {"sku": "SKU-1", "currency": "USD", "unit_price": "11.995", "customer_id": "C-001"},
        ]
        return httpx.Response(200, json={"items": items})

    def _find_sales_orders(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        ref = request.url.params.get("external_ref")
        items = [so for so in self.sales_orders.values() if so["external_ref"] == ref]
        return httpx.Response(200, json={"items": items})

    def _create_sales_order(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        new = body(request)
        for i, line in enumerate(new["lines"]):
            if line["sku"] == "UNKNOWN":
                return httpx.Response(422, json={"error": "unknown sku", "field": f"lines.{i}.sku"})
        self.created += 1
        number = self.book(new["external_ref"], new["lines"])
        return httpx.Response(201, json=self.sales_orders[number])

    def _cancel(self, _: httpx.Request, params: dict[str, str]) -> httpx.Response:
        so = self.sales_orders.get(params["number"])
        if so is None:
            return httpx.Response(404, json={"error": "sales order not found"})
        so["status"] = "cancelled"
        return httpx.Response(200, json={"number": so["number"], "status": "cancelled"})

    def _find_invoices(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        ref = request.url.params.get("external_ref")
        items = [inv for inv in self.invoices.values() if inv["external_ref"] == ref]
        return httpx.Response(200, json={"items": items})

    def _create_invoice(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        new = body(request)
        self.created += 1
        number = f"INV-{200001 + len(self.invoices)}"
        self.invoices[number] = {**new, "number": number, "status": "posted"}
        return httpx.Response(201, json=self.invoices[number])


class FakeCloudErp(FakeSystem):
    """The cloud ERP: camelCase, ``Idempotency-Key`` on every POST, cancel by internal id."""

    def __init__(self) -> None:
        super().__init__()
        self.sales_orders: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.replays = Replays()
        self.route("GET", "/v1/salesOrders", self._find)
        self.route("POST", "/v1/salesOrders", self._create)
        self.route("POST", "/v1/salesOrders/(?P<id>[^/]+)/cancel", self._cancel)
        self.route("POST", "/v1/invoices", self._invoice)

    def book(self, external_reference: str, status: str = "Open") -> str:
        """A sales order that already exists; returns its document number."""
        seq = len(self.sales_orders) + 1
        so_id = f"6f1c-{seq:04d}"
        self.sales_orders[so_id] = {
            "id": so_id,
            "documentNumber": f"CSO-{seq:06d}",
            "externalReference": external_reference,
            "status": status,
            "lines": [],
            "tax": {"taxCode": "US-WEST", "rate": "0.0725"},
        }
        return str(self.sales_orders[so_id]["documentNumber"])

    def _find(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        ref = request.url.params.get("externalReference")
        items = [so for so in self.sales_orders.values() if so["externalReference"] == ref]
        return httpx.Response(200, json={"items": items})

    def _create(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        def create() -> httpx.Response:
            new = body(request)
            for i, line in enumerate(new["lines"]):
                if line["itemNumber"] == "UNKNOWN":
                    return httpx.Response(
                        422,
                        json={
                            "title": "Unprocessable Entity",
                            "detail": "unknown item",
                            "errors": [{"field": f"lines.{i}.itemNumber", "detail": "unknown"}],
                        },
                    )
            self.created += 1
            number = self.book(new["externalReference"])
            so = next(so for so in self.sales_orders.values() if so["documentNumber"] == number)
            so["lines"] = new["lines"]
            return httpx.Response(201, json=so)

        return self.replays.answer(request, create)

    def _cancel(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        so = self.sales_orders.get(params["id"])
        if so is None:
            return httpx.Response(404, json={"detail": "sales order not found"})

        def cancel() -> httpx.Response:
            so["status"] = "Cancelled"
            return httpx.Response(200, json={"id": so["id"], "status": "Cancelled"})

        return self.replays.answer(request, cancel)

    def _invoice(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        def create() -> httpx.Response:
            new = body(request)
            self.created += 1
            seq = len(self.invoices) + 1
            invoice = {**new, "id": f"9a2b-{seq:04d}", "documentNumber": f"CINV-{seq:06d}"}
            self.invoices[invoice["id"]] = invoice
            return httpx.Response(201, json=invoice)

        return self.replays.answer(request, create)


class FakeWms(FakeSystem):
    """The warehouse: stock on hand, fulfilments with ``Idempotency-Key``, 409 once shipped."""

    def __init__(self) -> None:
        super().__init__()
        self.fulfilments: dict[str, dict[str, Any]] = {}
        self.replays = Replays()
        self.route("GET", "/api/inventory", self._inventory)
        self.route("POST", "/api/fulfilments", self._create)
        self.route("POST", "/api/fulfilments/(?P<id>[^/]+)/cancel", self._cancel)

    def release(self, order_id: str, status: str = "released") -> str:
        """A fulfilment that already exists; returns its id."""
        fulfilment_id = f"FUL-{len(self.fulfilments) + 1:05d}"
        self.fulfilments[fulfilment_id] = {
            "fulfilment_id": fulfilment_id,
            "order_id": order_id,
            "status": status,
        }
        return fulfilment_id

    def _inventory(self, _: httpx.Request, __: dict[str, str]) -> httpx.Response:
        items = [
            {"sku": "SKU-1", "location": "EAST-1", "on_hand": "120", "safety_stock": "10"},
            {"sku": "SKU-2", "location": "EAST-1", "on_hand": "7.5", "safety_stock": "0"},
        ]
        return httpx.Response(200, json={"items": items})

    def _create(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        def create() -> httpx.Response:
            new = body(request)
            if new["location"] == "UNKNOWN":
                return httpx.Response(422, json={"error": "unknown location", "field": "location"})
            self.created += 1
            fulfilment_id = self.release(new["order_id"])
            return httpx.Response(201, json=self.fulfilments[fulfilment_id])

        return self.replays.answer(request, create)

    def _cancel(self, _: httpx.Request, params: dict[str, str]) -> httpx.Response:
        fulfilment = self.fulfilments.get(params["id"])
        if fulfilment is None:
            return httpx.Response(404, json={"error": "fulfilment not found"})
        if fulfilment["status"] == "shipped":
            return httpx.Response(409, json={"error": "already shipped"})
        fulfilment["status"] = "cancelled"
        return httpx.Response(200, json=fulfilment)


class FakeCustomerService(FakeSystem):
    """Customer service: status updates with ``Idempotency-Key``."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[dict[str, Any]] = []
        self.replays = Replays()
        self.route("POST", "/api/status-updates", self._create)

    def _create(self, request: httpx.Request, _: dict[str, str]) -> httpx.Response:
        def create() -> httpx.Response:
            new = body(request)
            self.created += 1
            self.updates.append(new)
            return httpx.Response(201, json={"id": f"SU-{len(self.updates)}"})

        return self.replays.answer(request, create)
