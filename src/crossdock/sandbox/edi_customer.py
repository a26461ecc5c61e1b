"""EdiCustomer: a retailer that sends 850s to the hub over AS2 and checks what comes back.

It runs its own small translator (`x12_lite`, `as2_lite`) and never the hub's: it writes one
interchange per purchase order, checks the synchronous MDN, answers the hub's 997/855/856/810
with MDNs and 997s, and keeps findings for every document that breaks a rule it checks
(`edi_checks`).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox import as2_lite, x12_lite
from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.edi_checks import Finding, inspect
from crossdock.sandbox.edi_customer_store import EdiCustomerStore
from crossdock.sandbox.edi_documents import PoLine, acknowledgement_997, purchase_order_850
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.service import InvalidRequest, SandboxService, read_model

DOMAIN = "retailer"


class EdiCustomerConfig(BaseModel):
    """Who the retailer is on the wire and what its purchase orders look like."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds the catalog and the orders it generates.")
    faults: FaultConfig = Field(default_factory=FaultConfig)
    customer_id: str = Field("C0003", description="The catalog customer the retailer is.")
    as2_id: str = Field("RETAILCO", description="Our AS2 id (`AS2-From` of what we send).")
    hub_as2_id: str = Field("CROSSDOCK", description="The hub's AS2 id (`AS2-To`).")
    isa_qualifier: str = Field("ZZ", min_length=2, max_length=2, description="Our ISA05.")
    isa_id: str = Field("RETAILCO", min_length=1, max_length=15, description="Our ISA06.")
    hub_isa_qualifier: str = Field("ZZ", min_length=2, max_length=2, description="ISA07.")
    hub_isa_id: str = Field("CROSSDOCK", min_length=1, max_length=15, description="ISA08.")
    gs_id: str = Field("RETAILCO", description="Our GS02.")
    hub_gs_id: str = Field("CROSSDOCK", description="The hub's GS03.")
    usage: Literal["P", "T"] = Field("P", description="ISA15 of what we send.")
    lines_per_order: tuple[int, int] = Field((1, 4), description="PO1 lines, min and max.")
    quantity: tuple[int, int] = Field((1, 12), description="PO102 per line, min and max.")
    send_997: bool = Field(True, description="Acknowledge every received group but 997s.")
    as2_path: str = Field("/as2", description="Appended to the hub URL for AS2 POSTs.")
    po_prefix: str = Field("RC", description="PO numbers are this plus nine digits.")
    number_base: int | None = Field(
        None,
        ge=0,
        description="PO numbers and control numbers start after this; None derives it from the "
        "clock at construction so a fresh sandbox never repeats a previous run's numbers.",
    )
    retry: RetryPolicy = Field(
        default_factory=lambda: RetryPolicy(initial_s=0.2, max_s=5, max_attempts=5),
        description="Resends (same bytes, same Message-ID) on transport errors, 429 and 5xx.",
    )

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> EdiCustomerConfig:
        for name in ("lines_per_order", "quantity"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(f"{name} must be (min, max) with 1 <= min <= max")
        return self


@dataclass(kw_only=True)
class SentPo:
    """A purchase order the retailer sent and what the hub's MDN said."""

    po_number: str
    customer_id: str
    lines: list[PoLine]
    isa13: str
    gs06: str
    st02: str
    message_id: str = ""
    status_code: int | None = None
    mdn_ok: bool = False
    mdn: dict[str, str] = field(default_factory=dict)
    """Disposition, Received-Content-MIC and, when not ok, the problem."""

    def as_json(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "customer_id": self.customer_id,
            "lines": [line.as_json() for line in self.lines],
            "isa13": self.isa13,
            "gs06": self.gs06,
            "st02": self.st02,
            "message_id": self.message_id,
            "status_code": self.status_code,
            "mdn_ok": self.mdn_ok,
            "mdn": self.mdn,
        }


class _SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=10_000)
    concurrency: int = Field(4, ge=1, le=64)


class EdiCustomer(SandboxService):
    """The retailer: `POST /api/purchase-orders` sends 850s, `POST /as2` receives documents."""

    name = "edi_customer"

    def __init__(
        self,
        config: EdiCustomerConfig,
        db_path: str | Path = MEMORY,
        *,
        hub_client: httpx.AsyncClient | None = None,
        hub_url: str = "http://127.0.0.1:8000",
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        customer = self.catalog.customer(config.customer_id)
        if customer is None:
            raise ValueError(f"edi_customer.customer_id {config.customer_id!r} is not in catalog")
        self.customer = customer
        base = config.number_base
        if base is None:
            base = int(self.clock.now().timestamp()) % 10**6 * 1000
        self.store = EdiCustomerStore(self.db, base=base, our_id=config.isa_id)
        self._hub_client = hub_client
        self._owned_client: httpx.AsyncClient | None = None
        self._as2_url = hub_url.rstrip("/") + config.as2_path
        self._us = x12_lite.Party(
            qualifier=config.isa_qualifier, isa_id=config.isa_id, gs_id=config.gs_id
        )
        self._hub = x12_lite.Party(
            qualifier=config.hub_isa_qualifier, isa_id=config.hub_isa_id, gs_id=config.hub_gs_id
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/purchase-orders", self._send, methods=["POST"]),
            Route("/api/purchase-orders/{po}", self._get_po, methods=["GET"]),
            Route("/api/report", self._report, methods=["GET"]),
            Route("/as2", self._receive, methods=["POST"]),
        ]

    async def stop(self) -> None:
        """Finish (or, after a few seconds, cancel) pending 997s, then close our own client."""
        await self.drain()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owned_client is not None:
            await self._owned_client.aclose()
            self._owned_client = None
        await super().stop()

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait up to `timeout_s` for the 997s being sent in the background."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    # -- routes ------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        order = await read_model(request, _SendIn)
        sent = await self.send_purchase_orders(order.count, concurrency=order.concurrency)
        return JSONResponse({"sent": [po.as_json() for po in sent]})

    async def _get_po(self, request: Request) -> Response:
        po = self.store.purchase_order_report(request.path_params["po"])
        if po is None:
            raise InvalidRequest("no such purchase order", "po", 404)
        return JSONResponse(po)

    async def _report(self, _request: Request) -> Response:
        return JSONResponse(self.report())

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        headers = request.headers
        if headers.get("as2-to", "") != self.config.as2_id:
            self.store.add_findings(
                [
                    Finding(
                        subject=f"AS2 {headers.get('message-id', '')}",
                        check="as2.to",
                        message=f"AS2-To is {headers.get('as2-to', '')!r}",
                    )
                ],
                self.clock.now(),
            )
        self.accept(body, message_id=headers.get("message-id", ""))
        if "disposition-notification-to" not in headers:
            return Response(status_code=200)
        receipt = as2_lite.receipt(headers, body, reporting_ua=self.config.as2_id, domain=DOMAIN)
        return Response(receipt.body, 200, headers=receipt.headers)

    # -- sending purchase orders -------------------------------------------------------------

    async def send_purchase_orders(self, count: int, concurrency: int = 4) -> list[SentPo]:
        """Write `count` 850s (one interchange each), POST each over AS2, check each MDN."""
        limit = asyncio.Semaphore(concurrency)

        async def one() -> SentPo:
            async with limit:
                po, raw = self._generate()
                delivery = await self._post(raw)
                po.message_id = delivery.message_id
                po.status_code, po.mdn_ok = delivery.status_code, delivery.mdn.ok
                po.mdn = _mdn_json(delivery.mdn)
                self.store.record_mdn(po.po_number, po.as_json())
                return po

        return list(await asyncio.gather(*(one() for _ in range(count))))

    def _generate(self) -> tuple[SentPo, bytes]:
        now = self.clock.now()
        with self.db.transaction() as conn:
            n = self.store.next_number(conn, "po")
            control = self.store.next_number(conn, "control")
            rng = random.Random(f"{self.seed}:edi:{n}")
            products = [p for p in self.catalog.products if p.active]
            count = min(rng.randint(*self.config.lines_per_order), len(products))
            lines = [
                PoLine(
                    line_id=str(i),
                    sku=product.sku,
                    qty=rng.randint(*self.config.quantity),
                    price=self.price(product.sku),
                    uom=product.uom,
                )
                for i, product in enumerate(rng.sample(products, count), start=1)
            ]
            po = SentPo(
                po_number=f"{self.config.po_prefix}{n:09d}",
                customer_id=self.customer.customer_id,
                lines=lines,
                isa13=f"{control:09d}",
                gs06=str(control),
                st02="0001",
            )
            spec = purchase_order_850(
                po_number=po.po_number, customer=self.customer, lines=lines, at=now, control="0001"
            )
            raw = self._interchange(control, "PO", [spec])
            self.store.add_purchase_order(conn, po.as_json(), raw, now)
            self.ledger.record(
                conn,
                kind="purchase_order",
                doc_id=po.po_number,
                external_ref=po.po_number,
                at=now,
                body={**po.as_json(), "x12": raw},
            )
        return po, raw.encode()

    def price(self, sku: str) -> Decimal:
        """The price the hub has on file for our customer: its contract price, else list."""
        for price in self.catalog.prices:
            if price.sku == sku and price.customer_id == self.customer.customer_id:
                return price.unit_price
        return self.catalog.list_price(sku) or Decimal(0)

    def _interchange(self, control: int, functional_id: str, sets: list[x12_lite.SetSpec]) -> str:
        group = x12_lite.GroupSpec(functional_id=functional_id, control=control, sets=sets)
        return x12_lite.write(
            sender=self._us,
            receiver=self._hub,
            control=control,
            at=self.clock.now(),
            groups=[group],
            usage=self.config.usage,
        )

    async def _post(self, body: bytes) -> as2_lite.Delivery:
        return await as2_lite.send(
            self._client(),
            self._as2_url,
            body,
            as2_from=self.config.as2_id,
            as2_to=self.config.hub_as2_id,
            domain=DOMAIN,
            retry=self.config.retry,
        )

    def _client(self) -> httpx.AsyncClient:
        if self._hub_client is not None:
            return self._hub_client
        if self._owned_client is None:
            self._owned_client = httpx.AsyncClient(timeout=10)
        return self._owned_client

    # -- receiving documents -----------------------------------------------------------------

    def accept(self, raw: bytes, *, message_id: str = "") -> list[Finding]:
        """Store and check every interchange in `raw`; queue a 997 per group when configured.

        Returns the findings this delivery produced.
        """
        now = self.clock.now()
        try:
            interchanges = x12_lite.read(raw.decode("utf-8", "replace"))
        except x12_lite.X12Error as exc:
            finding = Finding(subject=f"AS2 {message_id}", check="x12.unreadable", message=str(exc))
            self.store.add_findings([finding], now)
            return [finding]
        findings: list[Finding] = []
        for interchange in interchanges:
            with self.db.transaction() as conn:
                inspection = inspect(interchange, self.store.expectations(conn))
                self.store.add_interchange(conn, interchange, inspection, message_id, now)
                for received in inspection.sets:
                    self.ledger.record(
                        conn,
                        kind=f"x12_{received.document.set_id}",
                        doc_id=f"{interchange.control}:{received.group.element(6)}:"
                        f"{received.document.control}",
                        external_ref=received.po_number,
                        at=now,
                        body={"segments": [s.render() for s in received.document.segments]},
                    )
            findings += inspection.findings
            groups = [g for g in interchange.groups if g.functional_id != "FA"]
            if self.config.send_997 and groups and not inspection.duplicate:
                task = asyncio.get_running_loop().create_task(self._acknowledge(groups))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return findings

    async def _acknowledge(self, groups: list[x12_lite.Group]) -> None:
        """Send one interchange holding a 997 per received group; record the MDN outcome."""
        with self.db.transaction() as conn:
            control = self.store.next_number(conn, "control")
        sets = [acknowledgement_997(g, f"{i:04d}") for i, g in enumerate(groups, start=1)]
        raw = self._interchange(control, "FA", sets)
        acknowledges = [f"{g.functional_id} {g.control}" for g in groups]
        delivery = await self._post(raw.encode())
        self.store.add_ack(
            isa13=f"{control:09d}",
            acknowledges=acknowledges,
            raw=raw,
            mdn=_mdn_json(delivery.mdn) | {"ok": str(delivery.mdn.ok).lower()},
            at=self.clock.now(),
        )

    # -- reporting ---------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Totals, per-PO document counts and every finding."""
        return self.store.report()


def _mdn_json(mdn: as2_lite.MdnOutcome) -> dict[str, str]:
    return {"disposition": mdn.disposition, "mic": mdn.mic, "problem": mdn.problem}
